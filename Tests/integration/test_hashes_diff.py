"""Differential tests for the hash commands (Redis 7.0 semantics).

Listpack-encoded hashes keep insertion order in Redis, so every reply that
lists one is compared byte for byte; hashtable-encoded hashes are compared
as multisets of (field, value) pairs.  Random replies (HRANDFIELD) are
checked for shape and membership.
"""

import os
import random

import pytest

from hashset_checks import (
    check_by_encoding, check_scan, check_unordered_pairs, config_set_or_skip, fresh_pair, real_encoding,
    tuned_pair, use_resp3,
)
from resp import RespMap, decode

LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808
LONG64 = "x" * 64
LONG65 = "y" * 65


@pytest.fixture(scope="module")
def tuned_servers(server_factory):
    """Servers started with small hash thresholds (4 entries, 8-byte strings)."""
    return tuned_pair(server_factory, "--hash-max-listpack-entries", "4", "--hash-max-listpack-value", "8")


@pytest.fixture
def tuned(tuned_servers):
    p = fresh_pair(tuned_servers)
    yield p
    p.close()


def fill(pair, key, n, prefix="f"):
    """HSET n fields on both, in batches."""
    for start in range(0, n, 50):
        args = []
        for i in range(start, min(n, start + 50)):
            args += ["%s%d" % (prefix, i), "v%d" % i]
        pair.check("HSET", key, *args)


# ---------------------------------------------------------------- HSET ----

def test_hset_counts_only_new_fields(pair):
    pair.check_script([("HSET", "h", "a", 1, "b", 2), ("HSET", "h", "a", 10, "c", 3), ("HGETALL", "h")])


def test_hset_same_field_twice_in_one_call(pair):
    pair.check_script([("HSET", "h", "a", 1, "a", 2), ("HGET", "h", "a"), ("HLEN", "h")])


def test_hset_odd_pair_count_is_arity_error(pair):
    pair.check_script([("HSET", "h", "a", 1, "b"), ("EXISTS", "h")])


def test_hset_too_few_arguments(pair):
    pair.check_script([("HSET", "h", "a"), ("HSET", "h"), ("HSET",)])


def test_hset_binary_fields_and_values(pair):
    field, value = b"f\x00\r\n\xff", b"v\x00\r\n" + bytes(range(256))
    pair.check_script([("HSET", "h", field, value), ("HGET", "h", field), ("HSTRLEN", "h", field),
                       ("HGETALL", "h")])


def test_hset_empty_field_and_value(pair):
    pair.check_script([("HSET", "h", "", ""), ("HGET", "h", ""), ("HEXISTS", "h", ""), ("HLEN", "h"),
                       ("HGETALL", "h"), ("OBJECT", "ENCODING", "h")])


def test_hset_on_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("HSET", "s", "a", 1), ("GET", "s")])


def test_hmset_replies_ok_and_sets(pair):
    pair.check_script([("HMSET", "h", "a", 1, "b", 2), ("HMSET", "h", "a", 3), ("HGETALL", "h")])


def test_hmset_odd_pair_count_names_hmset(pair):
    pair.check_script([("HMSET", "h", "a", 1, "b"), ("HMSET", "h", "a")])


def test_hset_integer_like_values_round_trip(pair):
    values = ["0", "-0", "007", "+1", "1.0", str(LLONG_MAX), str(LLONG_MIN), "9223372036854775808", " 1", "1e3"]
    args = []
    for i, v in enumerate(values):
        args += ["f%d" % i, v]
    pair.check("HSET", "h", *args)
    pair.check("HGETALL", "h")
    for i in range(len(values)):
        pair.check("HSTRLEN", "h", "f%d" % i)


# -------------------------------------------------------------- HSETNX ----

def test_hsetnx_sets_only_missing_fields(pair):
    pair.check_script([("HSETNX", "h", "a", 1), ("HSETNX", "h", "a", 2), ("HGET", "h", "a"),
                       ("HSETNX", "h", "b", 3), ("HGETALL", "h")])


def test_hsetnx_wrong_type_and_arity(pair):
    pair.check_script([("SET", "s", "x"), ("HSETNX", "s", "a", 1), ("HSETNX", "h", "a"),
                       ("HSETNX", "h", "a", 1, 2)])


def test_hsetnx_existing_field_with_long_value_keeps_listpack(pair):
    pair.check_script([("HSET", "h", "f", 1), ("HSETNX", "h", "f", LONG65), ("OBJECT", "ENCODING", "h"),
                       ("HSETNX", "h", "g", LONG65), ("OBJECT", "ENCODING", "h")])


# ----------------------------------------------------------- HGET/HMGET ----

def test_hget_missing_key_field_and_wrong_type(pair):
    pair.check_script([("HGET", "nokey", "f"), ("HSET", "h", "a", 1), ("HGET", "h", "b"),
                       ("SET", "s", "x"), ("HGET", "s", "a"), ("HGET", "h")])


def test_hmget_mixed_and_missing(pair):
    pair.check_script([("HSET", "h", "a", 1, "b", 2), ("HMGET", "h", "b", "x", "a", "a"),
                       ("HMGET", "nokey", "a", "b"), ("SET", "s", "x"), ("HMGET", "s", "a"), ("HMGET", "h")])


def test_hmget_resp3_nulls(pair):
    use_resp3(pair)
    pair.check_script([("HSET", "h", "a", 1), ("HMGET", "h", "a", "x"), ("HMGET", "nokey", "a"),
                       ("HGET", "h", "zz")])


# ------------------------------------------------- HGETALL/HKEYS/HVALS ----

def test_hgetall_listpack_keeps_insertion_order(pair):
    pair.check_script([("HSET", "h", "z", 1, "a", 2, "m", 3), ("HSET", "h", "b", 4), ("HSET", "h", "z", 9),
                       ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h"),
                       ("HDEL", "h", "a"), ("HSET", "h", "a", 5), ("HGETALL", "h")])


def test_hgetall_missing_key_resp2_and_resp3(pair):
    pair.check_script([("HGETALL", "nokey"), ("HKEYS", "nokey"), ("HVALS", "nokey")])
    use_resp3(pair)
    pair.check_script([("HGETALL", "nokey"), ("HKEYS", "nokey"), ("HVALS", "nokey")])


def test_hgetall_resp3_is_a_map(pair):
    use_resp3(pair)
    pair.check_script([("HSET", "h", "a", 1, "b", 2), ("HGETALL", "h"), ("HKEYS", "h"), ("HVALS", "h")])


def test_hgetall_hashtable_unordered(pair):
    fill(pair, "h", 600)
    pair.check("OBJECT", "ENCODING", "h")
    check_unordered_pairs(pair, "HGETALL", "h")
    pair.check_unordered("HKEYS", "h")
    pair.check_unordered("HVALS", "h")
    use_resp3(pair)
    check_unordered_pairs(pair, "HGETALL", "h")


def test_hgetall_family_wrong_type_and_arity(pair):
    pair.check_script([("SET", "s", "x"), ("HGETALL", "s"), ("HKEYS", "s"), ("HVALS", "s"), ("HLEN", "s"),
                       ("HGETALL",), ("HKEYS", "a", "b"), ("HVALS",), ("HLEN", "a", "b")])


def test_hash_commands_in_a_transaction(pair):
    pair.check_script([("MULTI",), ("HSET", "h", "a", 1, "b", 2), ("HINCRBYFLOAT", "h", "a", "0.5"),
                       ("HDEL", "h", "b"), ("HGETALL", "h"), ("HINCRBY", "h", "a", 1), ("EXEC",), ("HGETALL", "h")])


# ---------------------------------------------------------------- HDEL ----

def test_hdel_counts_removed_fields(pair):
    pair.check_script([("HSET", "h", "a", 1, "b", 2, "c", 3), ("HDEL", "h", "a", "x", "a", "b"),
                       ("HGETALL", "h"), ("HDEL", "nokey", "a")])


def test_hdel_last_field_deletes_key(pair):
    pair.check_script([("HSET", "h", "a", 1, "b", 2), ("HDEL", "h", "a", "b", "c"), ("EXISTS", "h"),
                       ("TYPE", "h"), ("HLEN", "h"), ("HGETALL", "h")])


def test_hdel_last_field_of_hashtable_deletes_key(pair):
    pair.check_script([("HSET", "h", LONG65, 1), ("OBJECT", "ENCODING", "h"), ("HDEL", "h", LONG65),
                       ("EXISTS", "h")])


def test_hdel_wrong_type_and_arity(pair):
    pair.check_script([("SET", "s", "x"), ("HDEL", "s", "a"), ("HDEL", "s")])


# ---------------------------------------------- HEXISTS/HLEN/HSTRLEN ----

def test_hexists_hlen_hstrlen(pair):
    pair.check_script([("HSET", "h", "a", "hello", "n", 12345, "e", ""), ("HEXISTS", "h", "a"),
                       ("HEXISTS", "h", "zz"), ("HEXISTS", "nokey", "a"), ("HLEN", "h"), ("HLEN", "nokey"),
                       ("HSTRLEN", "h", "a"), ("HSTRLEN", "h", "n"), ("HSTRLEN", "h", "e"),
                       ("HSTRLEN", "h", "zz"), ("HSTRLEN", "nokey", "a")])


def test_hexists_hstrlen_wrong_type_and_arity(pair):
    pair.check_script([("SET", "s", "x"), ("HEXISTS", "s", "a"), ("HSTRLEN", "s", "a"), ("HEXISTS", "s"),
                       ("HSTRLEN", "s", "a", "b")])


# ------------------------------------------------------------- HINCRBY ----

def test_hincrby_creates_key_and_field(pair):
    pair.check_script([("HINCRBY", "h", "n", 5), ("HINCRBY", "h", "n", -7), ("HINCRBY", "h", "m", 0),
                       ("HGETALL", "h"), ("OBJECT", "ENCODING", "h")])


def test_hincrby_errors(pair):
    pair.check_script([("HSET", "h", "s", "abc", "sp", " 1", "f", "1.5", "big", "9223372036854775808"),
                       ("HINCRBY", "h", "s", 1), ("HINCRBY", "h", "sp", 1), ("HINCRBY", "h", "f", 1),
                       ("HINCRBY", "h", "big", 1), ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "n", "1.0"),
                       ("HINCRBY", "h", "n", "+1"), ("HINCRBY", "h", "n", ""),
                       ("HINCRBY", "h", "n", "99999999999999999999")])


def test_hincrby_overflow(pair):
    pair.check_script([("HSET", "h", "max", LLONG_MAX, "min", LLONG_MIN), ("HINCRBY", "h", "max", 1),
                       ("HINCRBY", "h", "min", -1), ("HINCRBY", "h", "max", 0), ("HINCRBY", "h", "min", LLONG_MAX),
                       ("HINCRBY", "h", "min", LLONG_MIN), ("HGETALL", "h")])


def test_hincrby_bad_increment_reported_before_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("HINCRBY", "s", "f", "x"), ("HINCRBY", "s", "f", 1),
                       ("HINCRBY", "h", "f"), ("EXISTS", "h")])


def test_hincrby_long_field_converts(pair):
    pair.check_script([("HINCRBY", "h", LONG65, 1), ("OBJECT", "ENCODING", "h"), ("HINCRBY", "h2", LONG64, 1),
                       ("OBJECT", "ENCODING", "h2")])


# -------------------------------------------------------- HINCRBYFLOAT ----

def test_hincrbyfloat_formats_like_redis(pair):
    pair.check_script([("HINCRBYFLOAT", "h", "f", "1.1"), ("HINCRBYFLOAT", "h", "f", "2.2"),
                       ("HINCRBYFLOAT", "h", "f", "-3.3"), ("HINCRBYFLOAT", "h", "g", "5.0e3"),
                       ("HINCRBYFLOAT", "h", "g", "1e-5"), ("HINCRBYFLOAT", "h", "i", 10),
                       ("HINCRBYFLOAT", "h", "i", "0x10"), ("HINCRBYFLOAT", "h2", "big", "1e400"),
                       ("HINCRBYFLOAT", "h", "tiny", "1e-20"), ("HGETALL", "h"), ("HGETALL", "h2"),
                       ("OBJECT", "ENCODING", "h2")])


def test_hincrbyfloat_on_integer_and_float_values(pair):
    pair.check_script([("HSET", "h", "n", 10, "x", "3.0e3", "neg", "-0"), ("HINCRBYFLOAT", "h", "n", "0.5"),
                       ("HINCRBYFLOAT", "h", "x", 1), ("HINCRBYFLOAT", "h", "neg", 0), ("HGETALL", "h")])


def test_hincrbyfloat_errors(pair):
    pair.check_script([("HSET", "h", "s", "abc", "inf", "inf", "sp", " 1"),
                       ("HINCRBYFLOAT", "h", "s", 1), ("HINCRBYFLOAT", "h", "sp", 1),
                       ("HINCRBYFLOAT", "h", "inf", 1), ("HINCRBYFLOAT", "h", "n", "inf"),
                       ("HINCRBYFLOAT", "h", "n", "-inf"), ("HINCRBYFLOAT", "h", "n", "nan"),
                       ("HINCRBYFLOAT", "h", "n", "abc"), ("HINCRBYFLOAT", "h", "n", ""),
                       ("HINCRBYFLOAT", "h", "n", " 1"), ("HINCRBYFLOAT", "h", "big", "1e4932"),
                       ("HINCRBYFLOAT", "h", "big", "1e4932"), ("OBJECT", "ENCODING", "h")])
    check_unordered_pairs(pair, "HGETALL", "h")


def test_hincrbyfloat_bad_increment_reported_before_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("HINCRBYFLOAT", "s", "f", "x"), ("HINCRBYFLOAT", "s", "f", "inf"),
                       ("HINCRBYFLOAT", "s", "f", 1)])


def test_hincrbyfloat_long_field_converts(pair):
    pair.check_script([("HINCRBYFLOAT", "h", LONG65, "1.5"), ("OBJECT", "ENCODING", "h")])


# ---------------------------------------------------------- HRANDFIELD ----

def test_hrandfield_missing_key(pair):
    pair.check_script([("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", 3), ("HRANDFIELD", "nokey", -3),
                       ("HRANDFIELD", "nokey", 3, "WITHVALUES"), ("HRANDFIELD", "nokey", 0)])
    use_resp3(pair)
    pair.check_script([("HRANDFIELD", "nokey"), ("HRANDFIELD", "nokey", 3, "WITHVALUES")])


def test_hrandfield_argument_errors(pair):
    pair.check_script([
        ("HSET", "h", "a", 1), ("HRANDFIELD", "h", "x"), ("HRANDFIELD", "h", "1.5"),
        ("HRANDFIELD", "h", LLONG_MIN), ("HRANDFIELD", "h", "99999999999999999999"),
        ("HRANDFIELD", "h", 1, "WITHVALUE"), ("HRANDFIELD", "h", 1, "WITHVALUES", "x"),
        ("HRANDFIELD", "h", LLONG_MAX, "WITHVALUES"), ("HRANDFIELD", "h", -(LLONG_MAX // 2) - 1, "WITHVALUES"),
        ("HRANDFIELD", "h", 1, "withvalues"), ("HRANDFIELD", "nokey", "x"),
        ("HRANDFIELD", "nokey", 1, "foo")])


def test_hrandfield_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("HRANDFIELD", "s"), ("HRANDFIELD", "s", 0),
                       ("HRANDFIELD", "s", -1, "WITHVALUES")])


def test_hrandfield_zero_count(pair):
    pair.check_script([("HSET", "h", "a", 1), ("HRANDFIELD", "h", 0), ("HRANDFIELD", "h", 0, "WITHVALUES")])


def test_hrandfield_whole_listpack_in_insertion_order(pair):
    pair.check("HSET", "h", "c", 3, "a", 1, "b", 2)
    pair.check_script([("HRANDFIELD", "h", 3), ("HRANDFIELD", "h", 100), ("HRANDFIELD", "h", 3, "WITHVALUES"),
                       ("HRANDFIELD", "h", LLONG_MAX // 2, "WITHVALUES")])
    use_resp3(pair)
    pair.check_script([("HRANDFIELD", "h", 100, "WITHVALUES"), ("HRANDFIELD", "h", 3)])


def test_hrandfield_single_element_hash_is_deterministic(pair):
    pair.check("HSET", "h", "only", "v")
    pair.check_script([("HRANDFIELD", "h"), ("HRANDFIELD", "h", 1), ("HRANDFIELD", "h", -3),
                       ("HRANDFIELD", "h", -2, "WITHVALUES"), ("HRANDFIELD", "h", 1, "WITHVALUES")])
    use_resp3(pair)
    pair.check_script([("HRANDFIELD", "h", -2, "WITHVALUES"), ("HRANDFIELD", "h", 1, "WITHVALUES")])


def check_random_fields(pair, key, count, withvalues, contents):
    """HRANDFIELD with a count: same reply type and length; fields from the hash (with their values); distinct
    when count > 0."""
    args = ["HRANDFIELD", key, count] + (["WITHVALUES"] if withvalues else [])
    ours, real = pair.both(*args)
    o, r = decode(ours), decode(real)
    if ours[:1] != real[:1] or len(o) != len(r):
        pair.fail("HRANDFIELD shape mismatch", args, ours, real)
    if withvalues:
        items = [tuple(p) for p in o] if o and isinstance(o[0], list) else list(zip(o[0::2], o[1::2]))
        rt = [tuple(p) for p in r] if r and isinstance(r[0], list) else list(zip(r[0::2], r[1::2]))
        if (o and isinstance(o[0], list)) != (r and isinstance(r[0], list)):
            pair.fail("HRANDFIELD nesting mismatch", args, ours, real)
        fields = [f for f, _ in items]
        if any(contents.get(f) != v for f, v in items):
            pair.fail("HRANDFIELD returned a wrong pair", args, ours, real)
        assert len(rt) == len(items)
    else:
        fields = o
        if any(f not in contents for f in fields):
            pair.fail("HRANDFIELD returned a non-member", args, ours, real)
    if count > 0 and len(set(fields)) != len(fields):
        pair.fail("HRANDFIELD returned duplicates for a positive count", args, ours, real)


@pytest.mark.parametrize("size", [5, 40, 700])
@pytest.mark.parametrize("resp", [2, 3])
def test_hrandfield_counts(pair, size, resp):
    fill(pair, "h", size)
    if resp == 3:
        use_resp3(pair)
    contents = dict((b"f%d" % i, b"v%d" % i) for i in range(size))
    for count in (1, 2, size // 2, size - 1, -1, -5, -(size * 2)):
        for withvalues in (False, True):
            check_random_fields(pair, "h", count, withvalues, contents)
    # a count covering the hash returns all of it (in Redis's order for a listpack)
    check_by_encoding(pair, "h", "HRANDFIELD", "h", size + 1, "WITHVALUES", pairs=True)
    check_by_encoding(pair, "h", "HRANDFIELD", "h", size)
    for _ in range(20):
        ours, real = pair.both("HRANDFIELD", "h")
        assert ours[:1] == real[:1] == b"$" and decode(ours) in contents, ours


# --------------------------------------------------------------- HSCAN ----

def test_hscan_listpack_returns_everything_at_once(pair):
    pair.check("HSET", "h", "b", 1, "a", 2, "ab", 3, "c", 4)
    pair.check_script([("HSCAN", "h", 0), ("HSCAN", "h", 0, "COUNT", 1), ("HSCAN", "h", 7),
                       ("HSCAN", "h", 0, "MATCH", "a*"), ("HSCAN", "h", 0, "MATCH", "*"),
                       ("HSCAN", "h", 0, "match", "?", "count", 100), ("HSCAN", "h", 0, "MATCH", "nomatch"),
                       ("HSCAN", "h", 0, "MATCH", "a*", "MATCH", "b")])


def test_hscan_argument_errors(pair):
    pair.check("HSET", "h", "a", 1)
    pair.check_script([("HSCAN", "h", "x"), ("HSCAN", "h", "-1"), ("HSCAN", "h", " 1"),
                       ("HSCAN", "h", "18446744073709551616"), ("HSCAN", "h", 0, "COUNT", 0),
                       ("HSCAN", "h", 0, "COUNT", -1), ("HSCAN", "h", 0, "COUNT", "x"), ("HSCAN", "h", 0, "COUNT"),
                       ("HSCAN", "h", 0, "MATCH"), ("HSCAN", "h", 0, "TYPE", "hash"), ("HSCAN", "h", 0, "FOO", 1),
                       ("HSCAN", "h"), ("HSCAN", "h", "")])


def test_hscan_missing_key_ignores_options_but_not_cursor(pair):
    pair.check_script([("HSCAN", "nokey", 0, "COUNT", 0), ("HSCAN", "nokey", 0, "FOO"),
                       ("HSCAN", "nokey", "x")])


def test_hscan_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("HSCAN", "s", 0), ("HSCAN", "s", 0, "COUNT", 0), ("HSCAN", "s", "x")])


def test_hscan_resp3(pair):
    use_resp3(pair)
    pair.check_script([("HSET", "h", "a", 1, "b", 2), ("HSCAN", "h", 0), ("HSCAN", "nokey", 0)])


@pytest.mark.parametrize("opts", [(), ("COUNT", 1), ("COUNT", 7), ("COUNT", 1000), ("MATCH", "f1*"),
                                  ("MATCH", "*9", "COUNT", 3)])
def test_hscan_hashtable_full_iteration(pair, opts):
    fill(pair, "h", 800)
    check_scan(pair, "HSCAN", "h", *opts)


def test_hscan_cursor_survives_growth(ours):
    """Every field present for the whole iteration is returned even when the hash grows (the table doubles
    several times) between calls."""
    with ours.client() as c:
        fields = ["f%d" % i for i in range(600)]
        for i in range(0, 600, 50):
            args = []
            for f in fields[i:i + 50]:
                args += [f, 1]
            c.call("HSET", "h", *args)
        seen = set()
        cursor = b"0"
        for calls in range(100000):
            cursor, batch = decode(c.call("HSCAN", "h", cursor, "COUNT", 5))
            seen.update(batch[0::2])
            if calls < 60:
                c.call("HSET", "h", *sum([["g%d_%d" % (calls, j), 1] for j in range(80)], []))
            if cursor == b"0":
                break
        assert cursor == b"0"
        assert decode(c.call("HLEN", "h")) > 4000
        assert set(f.encode() for f in fields) <= seen


# ---------------------------------------------------------- encodings ----

def test_encoding_listpack_up_to_512_entries(pair):
    """redis-server without a config file uses 512 (the sample redis.conf's 128 is not the built-in default)."""
    fill(pair, "h", 512)
    pair.check("OBJECT", "ENCODING", "h")
    pair.check("HGETALL", "h")
    pair.check("HSET", "h", "f512", "v")
    pair.check("OBJECT", "ENCODING", "h")
    check_unordered_pairs(pair, "HGETALL", "h")


def test_encoding_value_and_field_length_limits(pair):
    pair.check_script([("HSET", "a", "f", LONG64), ("OBJECT", "ENCODING", "a"),
                       ("HSET", "b", "f", LONG65), ("OBJECT", "ENCODING", "b"),
                       ("HSET", "c", LONG65, "v"), ("OBJECT", "ENCODING", "c"),
                       ("HSET", "d", "f", 1), ("HSET", "d", "f", LONG65), ("OBJECT", "ENCODING", "d"),
                       ("HSET", "e", "f", "v", "g", LONG65), ("OBJECT", "ENCODING", "e")])


def test_encoding_never_converts_back(pair):
    pair.check_script([("HSET", "h", "a", 1, "long", LONG65), ("HDEL", "h", "long"), ("OBJECT", "ENCODING", "h"),
                       ("HGETALL", "h")])


def test_encoding_of_copy_and_rename(pair):
    pair.check_script([("HSET", "h", "a", 1, "b", 2), ("COPY", "h", "c"), ("HSET", "c", "a", 9),
                       ("HGETALL", "h"), ("HGETALL", "c"), ("OBJECT", "ENCODING", "c"), ("RENAME", "c", "d"),
                       ("HGETALL", "d"), ("TYPE", "d"), ("HSET", "big", "long", LONG65), ("COPY", "big", "big2"),
                       ("HDEL", "big", "long"), ("HGETALL", "big2"), ("OBJECT", "ENCODING", "big2")])


def test_tuned_thresholds_convert(tuned):
    tuned.check_script([("HSET", "h", "a", 1, "b", 2, "c", 3, "d", 4), ("OBJECT", "ENCODING", "h"),
                        ("HGETALL", "h"), ("HSET", "h", "e", 5), ("OBJECT", "ENCODING", "h"),
                        ("HSET", "v", "f", "12345678"), ("OBJECT", "ENCODING", "v"),
                        ("HSET", "v", "g", "123456789"), ("OBJECT", "ENCODING", "v"),
                        ("HSET", "w", "123456789", 1), ("OBJECT", "ENCODING", "w"),
                        ("HINCRBYFLOAT", "x", "f", "0.1"), ("HINCRBYFLOAT", "x", "f", "0.2"),
                        ("OBJECT", "ENCODING", "x"), ("HGET", "x", "f"),
                        ("HSET", "m", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5), ("OBJECT", "ENCODING", "m")])
    check_unordered_pairs(tuned, "HGETALL", "m")


def test_zero_entries_threshold_means_hashtable(server_factory):
    servers = tuned_pair(server_factory, "--hash-max-listpack-entries", "0")
    p = fresh_pair(servers)
    try:
        p.check_script([("HSET", "h", "a", 1), ("OBJECT", "ENCODING", "h"), ("HSETNX", "g", "a", 1),
                        ("OBJECT", "ENCODING", "g")])
    finally:
        p.close()
        for s in servers:
            s.stop()


def test_config_set_thresholds(pair):
    try:
        config_set_or_skip(pair, "hash-max-listpack-entries", "2")
        config_set_or_skip(pair, "hash-max-listpack-value", "3")
        pair.check_script([("HSET", "h", "a", 1, "b", 2), ("OBJECT", "ENCODING", "h"), ("HSET", "h", "c", 3),
                           ("OBJECT", "ENCODING", "h"), ("HSET", "v", "f", "abcd"), ("OBJECT", "ENCODING", "v")])
    finally:
        pair.both("CONFIG", "SET", "hash-max-listpack-entries", "512")
        pair.both("CONFIG", "SET", "hash-max-listpack-value", "64")


def test_lowered_threshold_applies_at_next_write(pair):
    """An existing listpack converts at its next HSET, even an update; HDEL and reads leave it alone."""
    pair.check_script([("HSET", "h", "a", 1, "b", 2, "c", 3), ("HSET", "g", "a", 1, "b", 2, "c", 3),
                       ("HSET", "k", "a", 1, "b", 2, "c", 3)])
    try:
        config_set_or_skip(pair, "hash-max-listpack-entries", "2")
        pair.check_script([("HGETALL", "h"), ("HDEL", "h", "c"), ("OBJECT", "ENCODING", "h"),
                           ("HSET", "g", "a", 5), ("OBJECT", "ENCODING", "g"), ("HINCRBY", "k", "a", 1),
                           ("OBJECT", "ENCODING", "k"), ("HSETNX", "h", "a", 1), ("OBJECT", "ENCODING", "h")])
    finally:
        pair.both("CONFIG", "SET", "hash-max-listpack-entries", "512")


# -------------------------------------------------------------- random ----

SEEDS = [11, 2024, 777]
OPS = int(os.environ.get("DIFF_OPS", "3000"))
if os.environ.get("DIFF_SEED"):
    SEEDS = [int(os.environ["DIFF_SEED"])]

HASH_KEYS = ["h0", "h1", "h2", "h3"]
OTHER_KEYS = ["str", "nokey"]


class HashGen(object):
    def __init__(self, rng, long_len):
        self.r = rng
        self.long_len = long_len

    def key(self):
        return self.r.choice(HASH_KEYS * 4 + OTHER_KEYS)

    def field(self):
        r = self.r
        c = r.random()
        if c < 0.7:
            return "f%d" % r.randint(0, 11)
        if c < 0.85:
            return str(r.randint(-5, 5))
        if c < 0.95:
            return r.choice(["", "a", "A", "f*", "f?x", "\x00b"])
        return "L" * r.choice([self.long_len, self.long_len + 1])

    def value(self):
        r = self.r
        c = r.random()
        if c < 0.35:
            return str(r.randint(-1000, 1000))
        if c < 0.45:
            return str(r.choice([LLONG_MAX, LLONG_MIN, LLONG_MAX - 1, LLONG_MIN + 1]))
        if c < 0.6:
            return r.choice(["1.5", "0.1", "-2.25", "3e2", "1e-3", "inf", "abc", "", " 1", "007"])
        if c < 0.95:
            return "".join(r.choice("abcdef") for _ in range(r.randint(1, 8)))
        return "V" * r.choice([self.long_len, self.long_len + 1])

    def pairs(self, n):
        out = []
        for _ in range(n):
            out += [self.field(), self.value()]
        return out

    def next(self):
        r = self.r
        k = self.key
        f = self.field
        choices = [
            (14, lambda: ("exact", ["HSET", k()] + self.pairs(r.randint(1, 4)))),
            (2, lambda: ("exact", ["HMSET", k()] + self.pairs(r.randint(1, 3)))),
            (3, lambda: ("exact", ["HSETNX", k(), f(), self.value()])),
            (6, lambda: ("exact", ["HGET", k(), f()])),
            (3, lambda: ("exact", ["HMGET", k()] + [f() for _ in range(r.randint(1, 4))])),
            (6, lambda: ("exact", ["HDEL", k()] + [f() for _ in range(r.randint(1, 4))])),
            (3, lambda: ("exact", ["HEXISTS", k(), f()])),
            (3, lambda: ("exact", ["HLEN", k()])),
            (3, lambda: ("exact", ["HSTRLEN", k(), f()])),
            (5, lambda: ("exact", ["HINCRBY", k(), f(), r.choice([1, -1, 7, LLONG_MAX, LLONG_MIN, "x", 0])])),
            (5, lambda: ("exact", ["HINCRBYFLOAT", k(), f(),
                                   r.choice(["1.5", "-0.25", "10", "1e3", "0.1", "inf", "x", "-1e-2"])])),
            (3, lambda: ("listing", ["HGETALL"])),
            (2, lambda: ("listing", ["HKEYS"])),
            (2, lambda: ("listing", ["HVALS"])),
            (3, lambda: ("scan", r.choice([[], ["COUNT", r.randint(1, 5)], ["MATCH", r.choice(["f*", "*1", "?"])]]))),
            (3, lambda: ("random", [r.choice([-6, -1, 1, 2, 3, 5, 50]), r.random() < 0.5])),
            (1, lambda: ("exact", ["HRANDFIELD", k(), 0])),
            (3, lambda: ("exact", ["OBJECT", "ENCODING", k()])),
            (2, lambda: ("exact", ["TYPE", k()])),
            (1, lambda: ("exact", ["DEL", k()])),
            (1, lambda: ("exact", ["COPY", k(), k(), "REPLACE"])),
            (1, lambda: ("exact", ["RENAME", k(), k()])),
            (1, lambda: ("exact", ["SET", "str", self.value()])),
            (1, lambda: ("exact", r.choice([["HSET", k(), "a"], ["HSET", k(), "a", 1, "b"], ["HGET", k()],
                                            ["HDEL", k()], ["HLEN"], ["HINCRBY", k(), "a"],
                                            ["HRANDFIELD", k(), 1, "x"], ["HSCAN", k()], ["HMSET", k(), "a"],
                                            ["HSTRLEN", k(), "a", "b"]]))),
        ]
        total = sum(w for w, _ in choices)
        x = r.uniform(0, total)
        for w, fn in choices:
            x -= w
            if x <= 0:
                return fn()
        return choices[0][1]()


def run_random(pair, seed, ops, long_len):
    rng = random.Random(seed)
    gen = HashGen(rng, long_len)
    for i in range(ops):
        kind, cmd = gen.next()
        pair.context = "seed=%d op=%d/%d (replay: DIFF_SEED=%d DIFF_OPS=%d)" % (seed, i, ops, seed, ops)
        if kind == "exact":
            pair.check(*cmd)
            continue
        key = rng.choice(HASH_KEYS)
        if kind == "listing":
            check_by_encoding(pair, key, cmd[0], key, pairs=cmd[0] == "HGETALL")
        elif kind == "scan":
            check_scan(pair, "HSCAN", key, *cmd)
        elif kind == "random":
            count, withvalues = cmd
            contents = decode(pair.real.call("HGETALL", key))
            if not isinstance(contents, list):  # another type: the error must match
                pair.check("HRANDFIELD", key, count)
                continue
            contents = contents.as_dict() if isinstance(contents, RespMap) else dict(
                zip(contents[0::2], contents[1::2]))
            check_random_fields(pair, key, count, withvalues, contents)
        else:
            raise AssertionError(kind)
    pair.context = "seed=%d final state" % seed
    for key in HASH_KEYS:
        check_by_encoding(pair, key, "HGETALL", key, pairs=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_hash_stream_small_thresholds(tuned, seed):
    """Thresholds of 4 entries / 8 bytes: hashes convert often."""
    run_random(tuned, seed, OPS, long_len=8)


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_random_hash_stream_default_thresholds(pair, seed):
    run_random(pair, seed + 1, OPS, long_len=64)


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_random_hash_stream_resp3(tuned, seed):
    use_resp3(tuned)
    run_random(tuned, seed + 2, OPS, long_len=8)
