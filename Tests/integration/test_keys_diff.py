"""Differential edge cases for the generic keyspace commands (Redis 7.0)."""

import pytest

from resp import decode

PTTL_TOLERANCE_MS = 1000
LLONG_MAX = 9223372036854775807
FUTURE = 4102444800  # 2100-01-01, seconds


def make_keys(pair, *names):
    for n in names:
        pair.check("SET", n, "v-" + n if isinstance(n, str) else b"v")


# ------------------------------------------------------- DEL / UNLINK ----

def test_del_counts_deleted_keys(pair):
    make_keys(pair, "a", "b")
    pair.check_script([("DEL", "a", "b", "c"), ("EXISTS", "a", "b")])


def test_del_duplicate_key_counts_once(pair):
    make_keys(pair, "a")
    pair.check("DEL", "a", "a", "a")


def test_del_missing_key(pair):
    pair.check("DEL", "nope")


def test_del_any_type(pair):
    pair.check_script([("RPUSH", "l", "x"), ("DEL", "l"), ("TYPE", "l")])


def test_unlink_counts_deleted_keys(pair):
    make_keys(pair, "a", "b")
    pair.check_script([("RPUSH", "l", "x"), ("UNLINK", "a", "a", "l", "zz"), ("DBSIZE",)])


def test_del_unlink_wrong_arity(pair):
    pair.check_script([("DEL",), ("UNLINK",)])


# ------------------------------------------------------ EXISTS / TYPE ----

def test_exists_counts_duplicates_twice(pair):
    make_keys(pair, "a")
    pair.check_script([("EXISTS", "a", "a", "a"), ("EXISTS", "a", "b", "a")])


def test_exists_missing_and_wrong_arity(pair):
    pair.check_script([("EXISTS", "nope"), ("EXISTS",)])


def test_type_of_each_kind(pair):
    pair.check_script([("SET", "s", "v"), ("SET", "n", 12), ("RPUSH", "l", "x"),
                       ("TYPE", "s"), ("TYPE", "n"), ("TYPE", "l"), ("TYPE", "missing")])


def test_type_wrong_arity(pair):
    pair.check_script([("TYPE",), ("TYPE", "a", "b")])


# ----------------------------------------------------------------- KEYS ----

GLOB_KEYS = ["hello", "hallo", "hxllo", "hllo", "heeeello", "a", "b", "c", "d", "ab", "abc",
             "a*b", "a?b", "a[b", "a\\b", "x-y", "key:1", "key:2", "key:10", "Hello", ""]


@pytest.mark.parametrize("pattern", [
    "*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "[a-c]", "[^a]", "[!a]",
    "a\\*b", "a\\?b", "a\\[b", "a\\\\b", "a*", "*b", "key:?", "key:*", "key:[0-9]", "?",
    "[c-a]", "[a-]", "[", "a[", "\\", "[]", "[\\]]", "**", "*?*", "nomatch", "", "[Hh]ello",
    "[a-c]*", "h[a-z]*o",
])
def test_keys_glob(pair, pattern):
    make_keys(pair, *GLOB_KEYS)
    pair.check_unordered("KEYS", pattern)


def test_keys_on_empty_db(pair):
    pair.check("KEYS", "*")


def test_keys_includes_other_types(pair):
    pair.check_script([("RPUSH", "l", "x"), ("SET", "s", "v")])
    pair.check_unordered("KEYS", "*")


def test_keys_wrong_arity(pair):
    pair.check_script([("KEYS",), ("KEYS", "a", "b")])


# ----------------------------------------------------------------- SCAN ----

def _populate(pair, n=300, lists=0):
    args = []
    for i in range(n):
        args += ["key:%d" % i, str(i)]
    pair.check("MSET", *args)
    for i in range(lists):
        pair.check("RPUSH", "list:%d" % i, "x")


def test_scan_iterates_all_keys(pair):
    _populate(pair)
    ours, real = pair.scan_all()
    assert len(set(real)) == 300


def test_scan_iterates_keys_of_all_types(pair):
    _populate(pair, lists=20)
    ours, real = pair.scan_all()
    assert len(set(real)) == 320


@pytest.mark.parametrize("count", [1, 7, 100, 1000])
def test_scan_count_returns_every_key(pair, count):
    _populate(pair)
    pair.scan_all("COUNT", count)


@pytest.mark.parametrize("pattern", ["key:1*", "key:?", "*:1?", "list:*", "nomatch*", "*"])
def test_scan_match(pair, pattern):
    _populate(pair)
    pair.scan_all("MATCH", pattern, "COUNT", 50)


@pytest.mark.parametrize("typ", ["string", "list", "STRING", "hash", "none", "foo"])
def test_scan_type_filter(pair, typ):
    _populate(pair, lists=20)
    pair.scan_all("TYPE", typ, "COUNT", 30)


def test_scan_match_and_type_combined(pair):
    _populate(pair, lists=20)
    pair.scan_all("MATCH", "*1*", "TYPE", "list", "COUNT", 10)


def test_scan_empty_db_reply_is_exact(pair):
    pair.check_script([("SCAN", 0), ("SCAN", 0, "COUNT", 10, "MATCH", "*"), ("SCAN", 0, "TYPE", "list")])


def test_scan_small_db_single_call_returns_everything(pair):
    make_keys(pair, "a", "b", "c")
    ours, real = pair.both("SCAN", 0)
    o, r = decode(ours), decode(real)
    assert o[0] == r[0] == b"0", (ours, real)
    assert sorted(o[1]) == sorted(r[1]), (ours, real)


def test_scan_invalid_cursor(pair):
    pair.check_script([("SCAN", "abc"), ("SCAN", "1.5"), ("SCAN", " 1"), ("SCAN", "18446744073709551616"),
                       ("SCAN", "")])


def test_scan_syntax_errors(pair):
    pair.check_script([("SCAN", 0, "COUNT", 0), ("SCAN", 0, "COUNT", -1), ("SCAN", 0, "COUNT", "x"),
                       ("SCAN", 0, "MATCH"), ("SCAN", 0, "FOO", "bar"), ("SCAN", 0, "COUNT"),
                       ("SCAN", 0, "TYPE")])


def test_scan_wrong_arity(pair):
    pair.check("SCAN")


# ----------------------------------------------------------- RANDOMKEY ----

def test_randomkey_on_empty_db_is_nil(pair):
    pair.check("RANDOMKEY")


def test_randomkey_on_one_key_db(pair):
    pair.check_script([("SET", "only", "v"), ("RANDOMKEY",), ("RANDOMKEY",)])


def test_randomkey_returns_existing_key(pair):
    make_keys(pair, "a", "b", "c")
    ours, real = pair.both("RANDOMKEY")
    assert decode(ours) in (b"a", b"b", b"c"), ours
    assert decode(real) in (b"a", b"b", b"c"), real


def test_randomkey_wrong_arity(pair):
    pair.check("RANDOMKEY", "x")


# ------------------------------------------------------ RENAME / RENAMENX ----

def test_rename_moves_value(pair):
    pair.check_script([("SET", "a", "1"), ("RENAME", "a", "b"), ("GET", "a"), ("GET", "b")])


def test_rename_overwrites_destination_of_any_type(pair):
    pair.check_script([("SET", "a", "1"), ("RPUSH", "b", "x"), ("RENAME", "a", "b"), ("TYPE", "b")])


def test_rename_same_key(pair):
    pair.check_script([("SET", "a", "1"), ("RENAME", "a", "a"), ("GET", "a")])


def test_rename_missing_key(pair):
    pair.check_script([("RENAME", "nope", "b"), ("RENAME", "nope", "nope")])


def test_rename_carries_ttl(pair):
    pair.check_script([("SET", "a", "1", "EX", 1000), ("SET", "b", "2"), ("RENAME", "a", "b")])
    pair.check_close("TTL", "b")


def test_rename_destination_ttl_is_dropped(pair):
    pair.check_script([("SET", "a", "1"), ("SET", "b", "2", "EX", 1000), ("RENAME", "a", "b"), ("TTL", "b")])


def test_rename_list(pair):
    pair.check_script([("RPUSH", "l", "x", "y"), ("RENAME", "l", "m"), ("TYPE", "m"), ("EXISTS", "l")])


def test_renamenx_to_missing_destination(pair):
    pair.check_script([("SET", "a", "1"), ("RENAMENX", "a", "b"), ("MGET", "a", "b")])


def test_renamenx_to_existing_destination(pair):
    pair.check_script([("SET", "a", "1"), ("SET", "b", "2"), ("RENAMENX", "a", "b"), ("MGET", "a", "b")])


def test_renamenx_same_key(pair):
    pair.check_script([("SET", "a", "1"), ("RENAMENX", "a", "a")])


def test_renamenx_missing_key(pair):
    pair.check_script([("RENAMENX", "nope", "b"), ("RENAMENX", "nope", "nope")])


def test_rename_wrong_arity(pair):
    pair.check_script([("RENAME", "a"), ("RENAMENX", "a"), ("RENAME", "a", "b", "c")])


# ------------------------------------------------------------------ COPY ----

def test_copy_to_new_key(pair):
    pair.check_script([("SET", "a", "1"), ("COPY", "a", "b"), ("MGET", "a", "b")])


def test_copy_to_existing_key_without_replace(pair):
    pair.check_script([("SET", "a", "1"), ("SET", "b", "2"), ("COPY", "a", "b"), ("GET", "b")])


def test_copy_replace(pair):
    pair.check_script([("SET", "a", "1"), ("RPUSH", "b", "x"), ("COPY", "a", "b", "REPLACE"),
                       ("TYPE", "b"), ("GET", "b")])


def test_copy_missing_source(pair):
    pair.check_script([("COPY", "nope", "b"), ("EXISTS", "b")])


def test_copy_same_key(pair):
    pair.check_script([("SET", "a", "1"), ("COPY", "a", "a"), ("COPY", "a", "a", "REPLACE"),
                       ("COPY", "a", "a", "DB", 0)])


def test_copy_same_key_to_other_db(pair):
    pair.check_script([("SET", "a", "1"), ("COPY", "a", "a", "DB", 1), ("SELECT", 1), ("GET", "a")])


def test_copy_to_other_db(pair):
    pair.check_script([("SET", "a", "1"), ("COPY", "a", "b", "DB", 3), ("EXISTS", "b"), ("SELECT", 3),
                       ("GET", "b"), ("DBSIZE",)])


def test_copy_carries_ttl(pair):
    pair.check_script([("SET", "a", "1", "EX", 1000), ("COPY", "a", "b")])
    pair.check_close("TTL", "b")


def test_copy_is_independent(pair):
    pair.check_script([("SET", "a", "1"), ("COPY", "a", "b"), ("APPEND", "b", "x"), ("INCR", "a"),
                       ("MGET", "a", "b")])


def test_copy_list(pair):
    pair.check_script([("RPUSH", "a", "x", "y"), ("COPY", "a", "b"), ("TYPE", "b"), ("RPUSH", "b", "z"),
                       ("RPUSH", "a", "w")])


def test_copy_invalid_options(pair):
    pair.check_script([("SET", "a", "1"), ("COPY", "a", "b", "DB", 16), ("COPY", "a", "b", "DB", -1),
                       ("COPY", "a", "b", "DB", "x"), ("COPY", "a", "b", "DB"), ("COPY", "a", "b", "FOO"),
                       ("COPY", "a", "b", "REPLACE", "REPLACE"), ("COPY", "a")])


# ------------------------------------------------------------------ MOVE ----

def test_move_to_other_db(pair):
    pair.check_script([("SET", "a", "1"), ("MOVE", "a", 1), ("EXISTS", "a"), ("SELECT", 1), ("GET", "a")])


def test_move_when_target_exists(pair):
    pair.check_script([("SELECT", 1), ("SET", "a", "other"), ("SELECT", 0), ("SET", "a", "1"),
                       ("MOVE", "a", 1), ("GET", "a"), ("SELECT", 1), ("GET", "a")])


def test_move_missing_key(pair):
    pair.check("MOVE", "nope", 1)


def test_move_same_db(pair):
    pair.check_script([("SET", "a", "1"), ("MOVE", "a", 0)])


def test_move_carries_ttl(pair):
    pair.check_script([("SET", "a", "1", "EX", 1000), ("MOVE", "a", 2), ("SELECT", 2)])
    pair.check_close("TTL", "a")


def test_move_invalid_db(pair):
    pair.check_script([("SET", "a", "1"), ("MOVE", "a", 16), ("MOVE", "a", -1), ("MOVE", "a", "x"),
                       ("MOVE", "a"), ("MOVE", "a", 1, 2)])


# ---------------------------------------------------------- EXPIRE family ----

def test_expire_sets_ttl(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 100)])
    pair.check_close("TTL", "a")
    pair.check_close("PTTL", "a", tolerance=PTTL_TOLERANCE_MS)


def test_expire_missing_key(pair):
    pair.check_script([("EXPIRE", "nope", 100), ("PEXPIRE", "nope", 100), ("EXPIREAT", "nope", FUTURE),
                       ("PEXPIREAT", "nope", FUTURE * 1000)])


def test_expire_zero_and_negative_delete_key(pair):
    pair.check_script([("SET", "a", "1"), ("SET", "b", "1"), ("EXPIRE", "a", 0), ("PEXPIRE", "b", -10),
                       ("EXISTS", "a", "b")])


def test_expireat_in_the_past_deletes_key(pair):
    pair.check_script([("SET", "a", "1"), ("SET", "b", "1"), ("EXPIREAT", "a", 1), ("PEXPIREAT", "b", 0),
                       ("EXISTS", "a", "b")])


def test_expireat_sets_exact_expiretime(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIREAT", "a", FUTURE), ("EXPIRETIME", "a"),
                       ("PEXPIRETIME", "a")])


def test_pexpireat_sets_exact_pexpiretime(pair):
    pair.check_script([("SET", "a", "1"), ("PEXPIREAT", "a", FUTURE * 1000 + 567), ("PEXPIRETIME", "a"),
                       ("EXPIRETIME", "a")])


def test_expire_nx_only_when_no_ttl(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 100, "NX"), ("EXPIRE", "a", 200, "NX")])
    pair.check_close("TTL", "a")


def test_expire_xx_only_when_ttl_exists(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 100, "XX"), ("TTL", "a"),
                       ("EXPIRE", "a", 100), ("EXPIRE", "a", 300, "XX")])
    pair.check_close("TTL", "a")


def test_expire_gt(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 100, "GT"), ("TTL", "a"),
                       ("EXPIRE", "a", 100), ("EXPIRE", "a", 50, "GT"), ("EXPIRE", "a", 200, "GT")])
    pair.check_close("TTL", "a")


def test_expire_lt(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 100, "LT")])
    pair.check_close("TTL", "a")
    pair.check_script([("EXPIRE", "a", 500, "LT"), ("EXPIRE", "a", 50, "LT")])
    pair.check_close("TTL", "a")


def test_expireat_gt_lt_with_absolute_times(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIREAT", "a", FUTURE), ("EXPIREAT", "a", FUTURE - 10, "GT"),
                       ("EXPIREAT", "a", FUTURE + 10, "GT"), ("EXPIRETIME", "a"),
                       ("PEXPIREAT", "a", FUTURE * 1000, "LT"), ("PEXPIRETIME", "a"),
                       ("EXPIREAT", "a", FUTURE + 10, "LT")])


def test_expire_conflicting_options(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 100, "NX", "XX"), ("EXPIRE", "a", 100, "GT", "LT"),
                       ("EXPIRE", "a", 100, "NX", "GT"), ("EXPIRE", "a", 100, "XX", "LT", "NX"),
                       ("PEXPIRE", "a", 100, "LT", "GT"), ("TTL", "a")])


def test_expire_repeated_and_compatible_options(pair):
    # TTLs far apart, so the outcome never depends on two commands landing in the same millisecond.
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 100, "NX", "NX"), ("EXPIRE", "a", 50, "XX", "GT"),
                       ("EXPIRE", "a", 200, "XX", "GT"), ("EXPIRE", "a", 100, "xx", "lt")])


def test_expire_unsupported_option(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 100, "FOO"), ("PEXPIRE", "a", 100, "bar"),
                       ("EXPIREAT", "a", FUTURE, "KEEPTTL")])


def test_expire_non_integer(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", "abc"), ("EXPIRE", "a", "1.5"),
                       ("PEXPIRE", "a", ""), ("EXPIREAT", "a", " 100")])


def test_expire_overflow(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", LLONG_MAX), ("EXPIRE", "a", LLONG_MAX // 1000 + 1),
                       ("PEXPIRE", "a", LLONG_MAX), ("EXPIREAT", "a", LLONG_MAX),
                       ("PEXPIREAT", "a", LLONG_MAX), ("EXPIRE", "a", -LLONG_MAX), ("TTL", "a")])


def test_expire_on_list(pair):
    pair.check_script([("RPUSH", "l", "x"), ("EXPIRE", "l", 100)])
    pair.check_close("TTL", "l")


def test_expire_wrong_arity(pair):
    pair.check_script([("EXPIRE", "a"), ("PEXPIRE",), ("EXPIREAT", "a"), ("PEXPIREAT", "a")])


# ---------------------------------------------------- TTL / EXPIRETIME ----

def test_ttl_missing_and_persistent(pair):
    pair.check_script([("SET", "a", "1"), ("TTL", "a"), ("PTTL", "a"), ("TTL", "nope"), ("PTTL", "nope"),
                       ("EXPIRETIME", "a"), ("PEXPIRETIME", "a"), ("EXPIRETIME", "nope"),
                       ("PEXPIRETIME", "nope")])


def test_ttl_with_expire(pair):
    pair.check("SET", "a", "1", "PX", 123456)
    pair.check_close("TTL", "a")
    pair.check_close("PTTL", "a", tolerance=PTTL_TOLERANCE_MS)


def test_expiretime_after_relative_expire(pair):
    pair.check_script([("SET", "a", "1"), ("EXPIRE", "a", 1000)])
    pair.check_close("EXPIRETIME", "a", tolerance=1)
    pair.check_close("PEXPIRETIME", "a", tolerance=PTTL_TOLERANCE_MS)


def test_ttl_wrong_arity(pair):
    pair.check_script([("TTL",), ("PTTL", "a", "b"), ("EXPIRETIME",), ("PEXPIRETIME", "a", "b")])


# --------------------------------------------------------------- PERSIST ----

def test_persist(pair):
    pair.check_script([("SET", "a", "1", "EX", 100), ("PERSIST", "a"), ("TTL", "a"), ("PERSIST", "a"),
                       ("PERSIST", "nope"), ("PERSIST",)])


# ----------------------------------------------------------------- TOUCH ----

def test_touch_counts_existing_keys(pair):
    make_keys(pair, "a", "b")
    pair.check_script([("TOUCH", "a", "b", "c", "a"), ("TOUCH", "nope"), ("TOUCH",)])


# ---------------------------------------------------------------- OBJECT ----

@pytest.mark.parametrize("value", [
    "0", "1", "123", "-123", "9999", "10000", "10001", str(LLONG_MAX), str(-LLONG_MAX - 1),
    "9223372036854775808", "0123", "-0", " 1", "+1", "1.5", "abc", "", "x" * 44, "x" * 45, "x" * 100,
    "12345678901234567890",
])
def test_object_encoding_of_set_value(pair, value):
    pair.check_script([("SET", "k", value), ("OBJECT", "ENCODING", "k")])


def test_object_encoding_after_append_is_raw(pair):
    pair.check_script([("SET", "k", "abc"), ("APPEND", "k", "d"), ("OBJECT", "ENCODING", "k"),
                       ("APPEND", "n", "1"), ("OBJECT", "ENCODING", "n")])


def test_object_encoding_after_setrange(pair):
    pair.check_script([("SET", "k", "abc"), ("SETRANGE", "k", 1, "x"), ("OBJECT", "ENCODING", "k"),
                       ("SETRANGE", "m", 3, "x"), ("OBJECT", "ENCODING", "m")])


def test_object_encoding_after_incr_family(pair):
    pair.check_script([("INCR", "k"), ("OBJECT", "ENCODING", "k"), ("INCRBYFLOAT", "f", "1.5"),
                       ("OBJECT", "ENCODING", "f"), ("INCRBYFLOAT", "g", "2"), ("OBJECT", "ENCODING", "g")])


def test_object_encoding_missing_key(pair):
    pair.check("OBJECT", "ENCODING", "nope")


def test_object_refcount(pair):
    pair.check_script([("SET", "s", "hello"), ("OBJECT", "REFCOUNT", "s"), ("OBJECT", "REFCOUNT", "nope")])


def test_object_refcount_of_shared_integer(pair):
    pair.check_script([("SET", "n", "100"), ("OBJECT", "REFCOUNT", "n"), ("SET", "m", "123456"),
                       ("OBJECT", "REFCOUNT", "m")])


def test_object_idletime_of_fresh_key(pair):
    pair.check("SET", "a", "1")
    pair.check_close("OBJECT", "IDLETIME", "a", tolerance=1)
    pair.check("OBJECT", "IDLETIME", "nope")


def test_object_freq_without_lfu_policy(pair):
    pair.check_script([("SET", "a", "1"), ("OBJECT", "FREQ", "a")])


def test_object_help(pair):
    pair.check_script([("OBJECT", "HELP"), ("OBJECT", "help")])


def test_object_errors(pair):
    pair.check_script([("OBJECT",), ("OBJECT", "FOO"), ("OBJECT", "FOO", "k"), ("OBJECT", "ENCODING"),
                       ("OBJECT", "ENCODING", "a", "b"), ("OBJECT", "HELP", "x")])


# ------------------------------------------------ DBSIZE / FLUSH / SWAPDB ----

def test_dbsize(pair):
    pair.check("DBSIZE")
    make_keys(pair, "a", "b", "c")
    pair.check_script([("RPUSH", "l", "x"), ("DBSIZE",), ("DBSIZE", "x")])


def test_flushdb_only_current_db(pair):
    pair.check_script([("SET", "a", "1"), ("SELECT", 1), ("SET", "b", "1"), ("FLUSHDB",), ("DBSIZE",),
                       ("SELECT", 0), ("DBSIZE",)])


def test_flushdb_async_sync(pair):
    make_keys(pair, "a", "b")
    pair.check_script([("FLUSHDB", "ASYNC"), ("DBSIZE",), ("SET", "a", 1), ("FLUSHDB", "sync"), ("DBSIZE",)])


def test_flushdb_syntax_error(pair):
    pair.check_script([("FLUSHDB", "FOO"), ("FLUSHDB", "ASYNC", "SYNC")])


def test_flushall_all_dbs(pair):
    pair.check_script([("SET", "a", "1"), ("SELECT", 5), ("SET", "b", "1"), ("FLUSHALL",), ("DBSIZE",),
                       ("SELECT", 0), ("DBSIZE",)])


def test_flushall_async_sync_and_errors(pair):
    make_keys(pair, "a")
    pair.check_script([("FLUSHALL", "ASYNC"), ("DBSIZE",), ("SET", "a", 1), ("FLUSHALL", "SYNC"),
                       ("DBSIZE",), ("FLUSHALL", "FOO"), ("FLUSHALL", "SYNC", "ASYNC")])


def test_swapdb_swaps_contents(pair):
    pair.check_script([("SET", "a", "db0"), ("SELECT", 1), ("SET", "a", "db1"), ("SET", "b", "x"),
                       ("SWAPDB", 0, 1), ("GET", "a"), ("DBSIZE",), ("SELECT", 0), ("GET", "a"), ("DBSIZE",)])


def test_swapdb_same_index(pair):
    pair.check_script([("SET", "a", "1"), ("SWAPDB", 0, 0), ("GET", "a")])


def test_swapdb_with_empty_db(pair):
    pair.check_script([("SET", "a", "1", "EX", 1000), ("SWAPDB", 0, 9), ("EXISTS", "a"), ("SELECT", 9)])
    pair.check_close("TTL", "a")


def test_swapdb_errors(pair):
    pair.check_script([("SWAPDB", 0, 16), ("SWAPDB", -1, 0), ("SWAPDB", "a", 0), ("SWAPDB", 0, "b"),
                       ("SWAPDB", 0), ("SWAPDB", 0, 1, 2)])


# ----------------------------------------------------------------- SELECT ----

def test_select_isolates_databases(pair):
    pair.check_script([("SET", "a", "0"), ("SELECT", 15), ("GET", "a"), ("SET", "a", "15"), ("SELECT", 0),
                       ("GET", "a")])


def test_select_out_of_range(pair):
    pair.check_script([("SELECT", 16), ("SELECT", -1), ("SELECT", "x"), ("SELECT", "1.0"),
                       ("SELECT", 99999999999999999999), ("SELECT",), ("SELECT", 0, 1)])


# -------------------------------------------------------- error families ----

WRONGTYPE_COMMANDS = [
    ("GET", "l"), ("GETSET", "l", "v"), ("GETDEL", "l"), ("GETEX", "l", "PERSIST"), ("APPEND", "l", "x"),
    ("STRLEN", "l"), ("SETRANGE", "l", 0, "x"), ("GETRANGE", "l", 0, 1), ("SUBSTR", "l", 0, 1),
    ("INCR", "l"), ("DECR", "l"), ("INCRBY", "l", 1), ("DECRBY", "l", 1), ("INCRBYFLOAT", "l", 1),
    ("SET", "l", "v", "GET"), ("LCS", "l", "s"),
]


@pytest.mark.parametrize("cmd", WRONGTYPE_COMMANDS, ids=lambda c: c[0])
def test_wrongtype_errors(pair, cmd):
    pair.check_script([("RPUSH", "l", "a", "b"), ("SET", "s", "str"), cmd, ("TYPE", "l")])


ARITY_CASES = [
    ("GET",), ("SET", "k"), ("GETSET", "k"), ("GETDEL",), ("GETEX",), ("MGET",), ("MSET",), ("MSETNX",),
    ("SETNX", "k"), ("SETEX", "k", 1), ("PSETEX", "k", 1), ("APPEND", "k"), ("STRLEN",),
    ("SETRANGE", "k", 1), ("GETRANGE", "k", 1), ("SUBSTR", "k"), ("INCR",), ("DECR",), ("INCRBY", "k"),
    ("DECRBY", "k"), ("INCRBYFLOAT", "k"), ("LCS", "a"), ("DEL",), ("UNLINK",), ("EXISTS",), ("TYPE",),
    ("KEYS",), ("SCAN",), ("RANDOMKEY", "x"), ("RENAME", "a"), ("RENAMENX", "a"), ("COPY", "a"),
    ("MOVE", "a"), ("EXPIRE", "a"), ("PEXPIRE", "a"), ("EXPIREAT", "a"), ("PEXPIREAT", "a"), ("TTL",),
    ("PTTL",), ("EXPIRETIME",), ("PEXPIRETIME",), ("PERSIST",), ("TOUCH",), ("OBJECT",),
    ("OBJECT", "ENCODING"), ("OBJECT", "REFCOUNT"), ("OBJECT", "IDLETIME"), ("DBSIZE", "x"),
    ("SWAPDB", 1), ("SELECT",), ("ECHO",), ("PING", "a", "b"), ("CLIENT",), ("CLIENT", "SETNAME"),
    ("CLIENT", "GETNAME", "x"), ("CLIENT", "ID", "x"),
    ("get",), ("GeT", "a", "b"),
]


@pytest.mark.parametrize("cmd", ARITY_CASES, ids=lambda c: "_".join(str(x) for x in c))
def test_wrong_arity_error(pair, cmd):
    pair.check(*cmd)


@pytest.mark.parametrize("cmd", [
    ("foo", "a", "b"), ("foo",), ("FOO", "a"), ("", "a"), ("foo", ""), ("fOo", "x" * 200),
    ("foo", "a" * 100, "b" * 100), ("foo",) + tuple("a%d" % i for i in range(50)),
    ("foo", "a\r\nb"), ("x" * 200,), ("foo bar", "baz"), ("foo", "it's"), ("g\x00t", "a"),
], ids=lambda c: "cmd%d" % len(c))
def test_unknown_command_error(pair, cmd):
    pair.check(*cmd)


def test_unknown_subcommand_errors(pair):
    pair.check_script([("OBJECT", "FOO"), ("CLIENT", "FOO"), ("CLIENT", "foo", "bar")])


def test_connection_survives_errors(pair):
    pair.check_script([("foo",), ("GET",), ("SET", "a", "1", "EX", 0), ("PING",), ("SET", "a", "1"),
                       ("GET", "a")])
