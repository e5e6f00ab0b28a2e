"""Differential edge cases for the string commands (Redis 7.0 semantics).

Every test sends the same commands to our server and to the reference
redis-server and requires byte-identical raw replies, except where a
tolerance is stated (TTLs, which depend on the moment each server ran).
"""

import pytest

PTTL_TOLERANCE_MS = 1000
LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808


# ---------------------------------------------------------------- SET ----

def test_set_returns_ok_and_get_reads_it(pair):
    pair.check_script([("SET", "k", "v"), ("GET", "k")])


def test_set_overwrites_existing_value(pair):
    pair.check_script([("SET", "k", "v1"), ("SET", "k", "v2"), ("GET", "k")])


def test_set_empty_value(pair):
    pair.check_script([("SET", "k", ""), ("GET", "k"), ("STRLEN", "k"), ("EXISTS", "k")])


def test_set_binary_value_with_crlf_and_nul(pair):
    value = b"a\x00b\r\nc\xff\xfe" + bytes(range(256))
    pair.check_script([("SET", b"bin\x00key", value), ("GET", b"bin\x00key"), ("STRLEN", b"bin\x00key")])


def test_set_empty_key_name(pair):
    pair.check_script([("SET", "", "v"), ("GET", ""), ("EXISTS", "")])


def test_set_options_are_case_insensitive(pair):
    pair.check_script([("SET", "k", "v", "ex", 100, "nX"), ("SET", "k", "w", "Xx", "gEt")])
    pair.check_close("TTL", "k")


def test_set_ex_sets_ttl(pair):
    pair.check("SET", "k", "v", "EX", 100)
    pair.check_close("TTL", "k", tolerance=1)


def test_set_px_sets_pttl(pair):
    pair.check("SET", "k", "v", "PX", 100000)
    pair.check_close("PTTL", "k", tolerance=PTTL_TOLERANCE_MS)


def test_set_exat_sets_exact_expiretime(pair):
    pair.check_script([("SET", "k", "v", "EXAT", 4102444800), ("EXPIRETIME", "k"),
                       ("PEXPIRETIME", "k")])


def test_set_pxat_sets_exact_pexpiretime(pair):
    pair.check_script([("SET", "k", "v", "PXAT", 4102444800123), ("PEXPIRETIME", "k"),
                       ("EXPIRETIME", "k")])


def test_set_exat_in_the_past_deletes_key(pair):
    pair.check_script([("SET", "k", "old"), ("SET", "k", "v", "EXAT", 1), ("GET", "k"),
                       ("EXISTS", "k")])


def test_set_pxat_in_the_past_deletes_key(pair):
    pair.check_script([("SET", "k", "v", "PXAT", 1000), ("EXISTS", "k"), ("DBSIZE",)])


def test_set_ex_zero_is_invalid_expire_time(pair):
    pair.check_script([("SET", "k", "v", "EX", 0), ("EXISTS", "k")])


def test_set_ex_negative_is_invalid_expire_time(pair):
    pair.check("SET", "k", "v", "EX", -1)


def test_set_px_zero_and_negative_are_invalid(pair):
    pair.check_script([("SET", "k", "v", "PX", 0), ("SET", "k", "v", "PX", -100)])


def test_set_exat_and_pxat_zero_are_invalid(pair):
    pair.check_script([("SET", "k", "v", "EXAT", 0), ("SET", "k", "v", "PXAT", 0),
                       ("SET", "k", "v", "EXAT", -5)])


def test_set_ex_not_an_integer(pair):
    pair.check_script([("SET", "k", "v", "EX", "abc"), ("SET", "k", "v", "EX", "1.5"),
                       ("SET", "k", "v", "EX", ""), ("SET", "k", "v", "PX", " 10")])


def test_set_ex_llong_max_overflows(pair):
    pair.check("SET", "k", "v", "EX", LLONG_MAX)


def test_set_ex_that_overflows_when_converted_to_ms(pair):
    pair.check_script([("SET", "k", "v", "EX", LLONG_MAX // 10),
                       ("SET", "k", "v", "EX", LLONG_MAX // 1000 + 1),
                       ("SET", "k", "v", "EX", LLONG_MAX // 1000)])


def test_set_px_that_overflows_when_added_to_now(pair):
    pair.check_script([("SET", "k", "v", "PX", LLONG_MAX), ("SET", "k", "v", "PX", LLONG_MAX - 1000),
                       ("EXISTS", "k")])


def test_set_exat_and_pxat_huge_overflow(pair):
    pair.check_script([("SET", "k", "v", "EXAT", LLONG_MAX), ("SET", "k", "v", "PXAT", LLONG_MAX),
                       ("SET", "k", "v", "EXAT", LLONG_MAX // 1000 + 1)])


def test_set_ex_beyond_llong_is_not_an_integer(pair):
    pair.check_script([("SET", "k", "v", "EX", "9223372036854775808"),
                       ("SET", "k", "v", "EX", "99999999999999999999999")])


def test_set_nx_when_key_missing_sets(pair):
    pair.check_script([("SET", "k", "v", "NX"), ("GET", "k")])


def test_set_nx_when_key_exists_returns_nil(pair):
    pair.check_script([("SET", "k", "v"), ("SET", "k", "w", "NX"), ("GET", "k")])


def test_set_xx_when_key_missing_returns_nil(pair):
    pair.check_script([("SET", "k", "v", "XX"), ("EXISTS", "k")])


def test_set_xx_when_key_exists_sets(pair):
    pair.check_script([("SET", "k", "v"), ("SET", "k", "w", "XX"), ("GET", "k")])


def test_set_nx_xx_together_is_syntax_error(pair):
    pair.check_script([("SET", "k", "v", "NX", "XX"), ("SET", "k", "v", "XX", "NX"), ("EXISTS", "k")])


def test_set_ex_and_px_together_is_syntax_error(pair):
    pair.check_script([("SET", "k", "v", "EX", 10, "PX", 10), ("SET", "k", "v", "PX", 10, "EX", 10),
                       ("SET", "k", "v", "EX", 10, "EXAT", 10), ("SET", "k", "v", "PXAT", 10, "EXAT", 10)])


def test_set_same_expire_option_twice_last_wins(pair):
    pair.check("SET", "k", "v", "EX", 10, "EX", 200)
    pair.check_close("TTL", "k")


def test_set_ex_without_value_is_syntax_error(pair):
    pair.check_script([("SET", "k", "v", "EX"), ("SET", "k", "v", "PX"), ("SET", "k", "v", "NX", "EX")])


def test_set_unknown_option_is_syntax_error(pair):
    pair.check_script([("SET", "k", "v", "FOO"), ("SET", "k", "v", "EX", 10, "BAR"), ("EXISTS", "k")])


def test_set_keepttl_preserves_ttl(pair):
    pair.check_script([("SET", "k", "v", "EX", 1000), ("SET", "k", "w", "KEEPTTL"), ("GET", "k")])
    pair.check_close("TTL", "k")


def test_set_without_keepttl_clears_ttl(pair):
    pair.check_script([("SET", "k", "v", "EX", 1000), ("SET", "k", "w"), ("TTL", "k")])


def test_set_keepttl_with_expire_option_is_syntax_error(pair):
    pair.check_script([("SET", "k", "v", "KEEPTTL", "EX", 5), ("SET", "k", "v", "PX", 100, "KEEPTTL"),
                       ("SET", "k", "v", "KEEPTTL", "PXAT", 5)])


def test_set_keepttl_on_missing_key(pair):
    pair.check_script([("SET", "k", "v", "KEEPTTL"), ("TTL", "k")])


def test_set_get_returns_old_value(pair):
    pair.check_script([("SET", "k", "old"), ("SET", "k", "new", "GET"), ("GET", "k")])


def test_set_get_on_missing_key_returns_nil(pair):
    pair.check_script([("SET", "k", "v", "GET"), ("GET", "k")])


def test_set_get_on_wrong_type_errors_and_keeps_list(pair):
    pair.check_script([("RPUSH", "l", "a"), ("SET", "l", "v", "GET"), ("TYPE", "l")])


def test_set_get_with_nx_when_key_exists(pair):
    pair.check_script([("SET", "k", "v"), ("SET", "k", "w", "NX", "GET"), ("GET", "k")])


def test_set_get_with_nx_when_key_missing(pair):
    pair.check_script([("SET", "k", "w", "NX", "GET"), ("GET", "k")])


def test_set_get_with_xx_and_ex(pair):
    pair.check_script([("SET", "k", "v"), ("SET", "k", "w", "XX", "GET", "EX", 500), ("GET", "k")])
    pair.check_close("TTL", "k")


def test_set_overwrites_other_types(pair):
    pair.check_script([("RPUSH", "l", "a", "b"), ("SET", "l", "v"), ("TYPE", "l"), ("GET", "l")])


def test_set_wrong_arity(pair):
    pair.check_script([("SET",), ("SET", "k")])


def test_set_integer_values_round_trip_exactly(pair):
    for v in ["0", "-0", "007", "123", "-123", str(LLONG_MAX), str(LLONG_MIN), "9223372036854775808",
              "1e3", " 1", "1 ", "+1", "0x10", "12345678901234567890"]:
        pair.check("SET", "k", v)
        pair.check("GET", "k")


# ---------------------------------------------------------------- GET ----

def test_get_missing_key_is_nil(pair):
    pair.check("GET", "nope")


def test_get_on_list_is_wrongtype(pair):
    pair.check_script([("RPUSH", "l", "a"), ("GET", "l")])


def test_get_wrong_arity(pair):
    pair.check_script([("GET",), ("GET", "a", "b")])


# ------------------------------------------------------------- GETSET ----

def test_getset_returns_old_value(pair):
    pair.check_script([("SET", "k", "a"), ("GETSET", "k", "b"), ("GET", "k")])


def test_getset_on_missing_key(pair):
    pair.check_script([("GETSET", "k", "b"), ("GET", "k")])


def test_getset_clears_ttl(pair):
    pair.check_script([("SET", "k", "a", "EX", 1000), ("GETSET", "k", "b"), ("TTL", "k")])


def test_getset_on_wrong_type(pair):
    pair.check_script([("RPUSH", "l", "a"), ("GETSET", "l", "b"), ("TYPE", "l")])


def test_getset_wrong_arity(pair):
    pair.check_script([("GETSET", "k"), ("GETSET", "k", "v", "x")])


# ------------------------------------------------------------- GETDEL ----

def test_getdel_returns_value_and_deletes(pair):
    pair.check_script([("SET", "k", "v"), ("GETDEL", "k"), ("EXISTS", "k"), ("GETDEL", "k")])


def test_getdel_on_wrong_type_keeps_key(pair):
    pair.check_script([("RPUSH", "l", "a"), ("GETDEL", "l"), ("EXISTS", "l")])


def test_getdel_wrong_arity(pair):
    pair.check_script([("GETDEL",), ("GETDEL", "a", "b")])


# -------------------------------------------------------------- GETEX ----

def test_getex_without_options_keeps_ttl(pair):
    pair.check_script([("SET", "k", "v", "EX", 1000), ("GETEX", "k")])
    pair.check_close("TTL", "k")


def test_getex_ex_sets_ttl(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "EX", 500)])
    pair.check_close("TTL", "k")


def test_getex_px_sets_pttl(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "PX", 500000)])
    pair.check_close("PTTL", "k", tolerance=PTTL_TOLERANCE_MS)


def test_getex_exat_and_pxat_set_exact_expiretime(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "EXAT", 4102444800), ("EXPIRETIME", "k"),
                       ("GETEX", "k", "PXAT", 4102444800999), ("PEXPIRETIME", "k")])


def test_getex_exat_in_the_past_deletes_key(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "EXAT", 1), ("EXISTS", "k")])


def test_getex_persist_removes_ttl(pair):
    pair.check_script([("SET", "k", "v", "EX", 1000), ("GETEX", "k", "PERSIST"), ("TTL", "k")])


def test_getex_persist_on_key_without_ttl(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "PERSIST"), ("TTL", "k")])


def test_getex_persist_twice_is_allowed(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "PERSIST", "PERSIST")])


def test_getex_persist_with_ex_is_syntax_error(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "PERSIST", "EX", 1),
                       ("GETEX", "k", "EX", 1, "PERSIST"), ("GETEX", "k", "EX", 1, "PX", 1000)])


def test_getex_ex_zero_on_existing_key_is_invalid(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "EX", 0), ("GETEX", "k", "PX", -1),
                       ("GETEX", "k", "EX", LLONG_MAX), ("TTL", "k")])


def test_getex_on_missing_key_is_nil_even_with_bad_expire(pair):
    pair.check_script([("GETEX", "nope"), ("GETEX", "nope", "EX", 0), ("GETEX", "nope", "EX", "abc")])


def test_getex_unknown_option(pair):
    pair.check_script([("SET", "k", "v"), ("GETEX", "k", "FOO"), ("GETEX", "k", "EX"),
                       ("GETEX", "k", "KEEPTTL"), ("GETEX", "k", "NX")])


def test_getex_on_wrong_type(pair):
    pair.check_script([("RPUSH", "l", "a"), ("GETEX", "l"), ("GETEX", "l", "PERSIST")])


def test_getex_wrong_arity(pair):
    pair.check("GETEX")


# --------------------------------------------------------- MGET / MSET ----

def test_mget_mixed_present_missing_and_wrong_type(pair):
    pair.check_script([("SET", "a", "1"), ("RPUSH", "l", "x"), ("MGET", "a", "nope", "l", "a")])


def test_mget_wrong_arity(pair):
    pair.check("MGET")


def test_mset_sets_all_and_overwrites(pair):
    pair.check_script([("SET", "a", "old", "EX", 100), ("MSET", "a", "1", "b", "2", "a", "3"),
                       ("MGET", "a", "b"), ("TTL", "a")])


def test_mset_odd_number_of_arguments(pair):
    pair.check_script([("MSET", "a"), ("MSET", "a", "1", "b"), ("EXISTS", "a", "b")])


def test_mset_overwrites_list(pair):
    pair.check_script([("RPUSH", "l", "x"), ("MSET", "l", "v"), ("TYPE", "l")])


def test_msetnx_all_new_sets_all(pair):
    pair.check_script([("MSETNX", "a", "1", "b", "2"), ("MGET", "a", "b")])


def test_msetnx_one_existing_sets_none(pair):
    pair.check_script([("SET", "b", "x"), ("MSETNX", "a", "1", "b", "2"), ("MGET", "a", "b")])


def test_msetnx_existing_list_blocks(pair):
    pair.check_script([("RPUSH", "b", "x"), ("MSETNX", "a", "1", "b", "2"), ("EXISTS", "a")])


def test_msetnx_duplicate_keys_in_one_call(pair):
    pair.check_script([("MSETNX", "a", "1", "a", "2"), ("GET", "a")])


def test_msetnx_odd_arguments(pair):
    pair.check_script([("MSETNX", "a"), ("MSETNX", "a", "1", "b")])


# ------------------------------------------------ SETNX / SETEX / PSETEX ----

def test_setnx_missing_and_existing(pair):
    pair.check_script([("SETNX", "k", "a"), ("SETNX", "k", "b"), ("GET", "k")])


def test_setnx_wrong_arity(pair):
    pair.check_script([("SETNX", "k"), ("SETNX", "k", "v", "NX")])


def test_setex_sets_value_and_ttl(pair):
    pair.check_script([("SETEX", "k", 100, "v"), ("GET", "k")])
    pair.check_close("TTL", "k")


def test_setex_zero_negative_and_non_integer(pair):
    pair.check_script([("SETEX", "k", 0, "v"), ("SETEX", "k", -5, "v"), ("SETEX", "k", "x", "v"),
                       ("SETEX", "k", LLONG_MAX, "v"), ("EXISTS", "k")])


def test_setex_overwrites_list(pair):
    pair.check_script([("RPUSH", "k", "a"), ("SETEX", "k", 100, "v"), ("TYPE", "k")])


def test_psetex_sets_value_and_pttl(pair):
    pair.check_script([("PSETEX", "k", 100000, "v"), ("GET", "k")])
    pair.check_close("PTTL", "k", tolerance=PTTL_TOLERANCE_MS)


def test_psetex_zero_and_overflow(pair):
    pair.check_script([("PSETEX", "k", 0, "v"), ("PSETEX", "k", LLONG_MAX, "v"), ("PSETEX", "k", "1.5", "v")])


def test_setex_psetex_wrong_arity(pair):
    pair.check_script([("SETEX", "k", 10), ("PSETEX", "k"), ("SETEX", "k", 10, "v", "x")])


# ------------------------------------------------------ APPEND / STRLEN ----

def test_append_to_missing_key_creates_it(pair):
    pair.check_script([("APPEND", "k", "hello"), ("GET", "k")])


def test_append_to_existing(pair):
    pair.check_script([("SET", "k", "hello"), ("APPEND", "k", " world"), ("GET", "k"), ("STRLEN", "k")])


def test_append_empty_string(pair):
    pair.check_script([("APPEND", "k", ""), ("EXISTS", "k"), ("GET", "k")])


def test_append_to_integer_value(pair):
    pair.check_script([("SET", "k", 123), ("APPEND", "k", 456), ("GET", "k"), ("INCR", "k")])


def test_append_keeps_ttl(pair):
    pair.check_script([("SET", "k", "v", "EX", 1000), ("APPEND", "k", "x")])
    pair.check_close("TTL", "k")


def test_append_on_wrong_type(pair):
    pair.check_script([("RPUSH", "l", "a"), ("APPEND", "l", "x")])


def test_append_binary(pair):
    pair.check_script([("APPEND", "k", b"\x00\r\n"), ("APPEND", "k", b"\xff"), ("GET", "k")])


def test_strlen_missing_integer_and_wrong_type(pair):
    pair.check_script([("STRLEN", "nope"), ("SET", "n", -12345), ("STRLEN", "n"),
                       ("RPUSH", "l", "a"), ("STRLEN", "l"), ("STRLEN",), ("STRLEN", "a", "b")])


# ----------------------------------------------------------- SETRANGE ----

def test_setrange_on_missing_key_pads_with_zero_bytes(pair):
    pair.check_script([("SETRANGE", "k", 5, "abc"), ("GET", "k"), ("STRLEN", "k")])


def test_setrange_overwrites_middle(pair):
    pair.check_script([("SET", "k", "Hello World"), ("SETRANGE", "k", 6, "Redis"), ("GET", "k")])


def test_setrange_extends_past_end(pair):
    pair.check_script([("SET", "k", "abc"), ("SETRANGE", "k", 10, "xyz"), ("GET", "k")])


def test_setrange_offset_zero_on_missing(pair):
    pair.check_script([("SETRANGE", "k", 0, "abc"), ("GET", "k")])


def test_setrange_empty_value_on_missing_key_does_not_create(pair):
    pair.check_script([("SETRANGE", "k", 5, ""), ("EXISTS", "k"), ("SETRANGE", "k", 0, "")])


def test_setrange_empty_value_on_existing_key_returns_length(pair):
    pair.check_script([("SET", "k", "abc"), ("SETRANGE", "k", 100, ""), ("GET", "k")])


def test_setrange_on_integer_encoded_value(pair):
    pair.check_script([("SET", "k", 1234), ("SETRANGE", "k", 1, "9"), ("GET", "k"), ("INCR", "k")])


def test_setrange_negative_offset(pair):
    pair.check_script([("SETRANGE", "k", -1, "x"), ("SET", "k", "v"), ("SETRANGE", "k", -1, "x")])


def test_setrange_offset_beyond_512mb_is_error(pair):
    pair.check_script([("SETRANGE", "k", 536870912, "x"), ("SETRANGE", "k", 536870911, "xx"),
                       ("EXISTS", "k")])


def test_setrange_huge_offset_with_empty_value(pair):
    pair.check_script([("SET", "k", "v"), ("SETRANGE", "k", 536870911, ""),
                       ("SETRANGE", "k", 536870912, "")])


def test_setrange_non_integer_offset(pair):
    pair.check_script([("SETRANGE", "k", "x", "a"), ("SETRANGE", "k", "1.0", "a"),
                       ("SETRANGE", "k", LLONG_MAX, "a"), ("SETRANGE", "k", "99999999999999999999", "a")])


def test_setrange_on_wrong_type(pair):
    pair.check_script([("RPUSH", "l", "a"), ("SETRANGE", "l", 0, "x"), ("SETRANGE", "l", 0, "")])


def test_setrange_wrong_arity(pair):
    pair.check_script([("SETRANGE", "k", 0), ("SETRANGE", "k", 0, "a", "b")])


# --------------------------------------------------- GETRANGE / SUBSTR ----

@pytest.mark.parametrize("start,end", [
    (0, -1), (0, 0), (0, 3), (-3, -1), (-1, -5), (5, 2), (-100, 100), (100, 200), (-100, -50),
    (3, 3), (0, -100), (-1, -1), (11, 20), (10, 10), (LLONG_MIN, LLONG_MAX), (-11, 0),
])
def test_getrange_ranges(pair, start, end):
    pair.check("SET", "k", "Hello World")
    pair.check("GETRANGE", "k", start, end)
    pair.check("SUBSTR", "k", start, end)


def test_getrange_missing_key_is_empty_string(pair):
    pair.check_script([("GETRANGE", "nope", 0, -1), ("GETRANGE", "nope", 5, 10)])


def test_getrange_on_empty_string(pair):
    pair.check_script([("SET", "k", ""), ("GETRANGE", "k", 0, -1), ("GETRANGE", "k", -1, 0)])


def test_getrange_on_integer_encoded_value(pair):
    pair.check_script([("SET", "k", -12345), ("GETRANGE", "k", 0, 2), ("GETRANGE", "k", -2, -1)])


def test_getrange_non_integer_arguments(pair):
    pair.check_script([("SET", "k", "abc"), ("GETRANGE", "k", "a", 1), ("GETRANGE", "k", 0, "1.5"),
                       ("GETRANGE", "k", 0, "99999999999999999999")])


def test_getrange_wrong_type_and_arity(pair):
    pair.check_script([("RPUSH", "l", "a"), ("GETRANGE", "l", 0, -1), ("GETRANGE", "l", 0),
                       ("SUBSTR", "l"), ("GETRANGE", "k", 0, 1, 2)])


# ------------------------------------------------ INCR / DECR family ----

def test_incr_missing_key_starts_at_zero(pair):
    pair.check_script([("INCR", "k"), ("INCR", "k"), ("GET", "k"), ("DECR", "d"), ("GET", "d")])


def test_incrby_and_decrby(pair):
    pair.check_script([("SET", "k", 10), ("INCRBY", "k", 5), ("DECRBY", "k", 20), ("INCRBY", "k", -3),
                       ("DECRBY", "k", -100), ("GET", "k")])


def test_incr_on_negative_value(pair):
    pair.check_script([("SET", "k", -5), ("INCR", "k"), ("DECR", "k"), ("DECR", "k")])


def test_incr_non_integer_value(pair):
    for v in ["abc", "1.5", "", " 1", "1 ", "+1", "007", "-0", "1e3", "0x10", "12345678901234567890"]:
        pair.check("SET", "k", v)
        pair.check("INCR", "k")
        pair.check("GET", "k")


def test_incrby_non_integer_increment(pair):
    pair.check_script([("SET", "k", 1), ("INCRBY", "k", "abc"), ("INCRBY", "k", " 1"), ("INCRBY", "k", "+1"),
                       ("INCRBY", "k", "1.0"), ("DECRBY", "k", ""), ("INCRBY", "k", "9223372036854775808"),
                       ("GET", "k")])


def test_incr_at_llong_max_overflows(pair):
    pair.check_script([("SET", "k", LLONG_MAX), ("INCR", "k"), ("GET", "k")])


def test_decr_at_llong_min_overflows(pair):
    pair.check_script([("SET", "k", LLONG_MIN), ("DECR", "k"), ("GET", "k")])


def test_incrby_overflow_both_directions(pair):
    pair.check_script([("SET", "k", LLONG_MAX - 5), ("INCRBY", "k", 5), ("INCRBY", "k", 1),
                       ("SET", "k", LLONG_MIN + 5), ("INCRBY", "k", -5), ("INCRBY", "k", -1),
                       ("SET", "k", 1), ("INCRBY", "k", LLONG_MAX)])


def test_decrby_llong_min_is_rejected(pair):
    pair.check_script([("SET", "k", 0), ("DECRBY", "k", LLONG_MIN), ("DECRBY", "k", LLONG_MIN + 1),
                       ("GET", "k")])


def test_incr_keeps_ttl(pair):
    pair.check_script([("SET", "k", 1, "EX", 1000), ("INCR", "k")])
    pair.check_close("TTL", "k")


def test_incr_on_wrong_type(pair):
    pair.check_script([("RPUSH", "l", "a"), ("INCR", "l"), ("DECR", "l"), ("INCRBY", "l", 2),
                       ("DECRBY", "l", 2)])


def test_incr_family_wrong_arity(pair):
    pair.check_script([("INCR",), ("INCR", "a", "b"), ("DECR",), ("INCRBY", "a"), ("DECRBY", "a", 1, 2)])


def test_incr_result_is_integer_encoded(pair):
    pair.check_script([("SET", "k", "10"), ("INCR", "k"), ("OBJECT", "ENCODING", "k")])


# ------------------------------------------------------- INCRBYFLOAT ----

def test_incrbyfloat_basic(pair):
    pair.check_script([("SET", "k", 10), ("INCRBYFLOAT", "k", "10.5"), ("GET", "k")])


def test_incrbyfloat_exponent_notation_increment(pair):
    pair.check_script([("SET", "k", 10), ("INCRBYFLOAT", "k", "3.0e3"), ("INCRBYFLOAT", "k", "5.0e3"),
                       ("INCRBYFLOAT", "k", "-1E2")])


def test_incrbyfloat_exponent_notation_stored_value(pair):
    pair.check_script([("SET", "k", "5.0e3"), ("INCRBYFLOAT", "k", 0), ("GET", "k")])


def test_incrbyfloat_missing_key(pair):
    pair.check_script([("INCRBYFLOAT", "k", "1.0"), ("INCRBYFLOAT", "j", "-2.50")])


def test_incrbyfloat_point_one_plus_point_two(pair):
    pair.check_script([("SET", "k", "0.1"), ("INCRBYFLOAT", "k", "0.2"), ("INCRBYFLOAT", "k", "0.7")])


def test_incrbyfloat_result_zero_and_negative(pair):
    pair.check_script([("SET", "k", "-1"), ("INCRBYFLOAT", "k", 1), ("INCRBYFLOAT", "k", "-0.5"),
                       ("INCRBYFLOAT", "k", "-0.0")])


def test_incrbyfloat_tiny_values_round_to_zero(pair):
    pair.check_script([("INCRBYFLOAT", "k", "1e-20"), ("INCRBYFLOAT", "j", "0.000000000000000001"),
                       ("INCRBYFLOAT", "i", "1.23456789012345678")])


def test_incrbyfloat_large_values_use_long_double_precision(pair):
    pair.check_script([("INCRBYFLOAT", "k", "123456789012345678901234567890"),
                       ("SET", "h", "1e308"), ("INCRBYFLOAT", "h", "1e308"),
                       ("INCRBYFLOAT", "g", "1.5e20")])


def test_incrbyfloat_inf_and_nan_are_errors(pair):
    pair.check_script([("SET", "k", 1), ("INCRBYFLOAT", "k", "inf"), ("INCRBYFLOAT", "k", "-inf"),
                       ("INCRBYFLOAT", "k", "nan"), ("INCRBYFLOAT", "k", "+inf"), ("GET", "k")])


def test_incrbyfloat_stored_inf_is_not_a_float(pair):
    pair.check_script([("SET", "k", "inf"), ("INCRBYFLOAT", "k", 1), ("SET", "k", "nan"),
                       ("INCRBYFLOAT", "k", 1)])


def test_incrbyfloat_invalid_increment(pair):
    pair.check_script([("SET", "k", 1), ("INCRBYFLOAT", "k", "abc"), ("INCRBYFLOAT", "k", " 1"),
                       ("INCRBYFLOAT", "k", "1 "), ("INCRBYFLOAT", "k", ""), ("INCRBYFLOAT", "k", "1.5e"),
                       ("GET", "k")])


def test_incrbyfloat_invalid_stored_value(pair):
    pair.check_script([("SET", "k", "abc"), ("INCRBYFLOAT", "k", 1), ("SET", "k", ""),
                       ("INCRBYFLOAT", "k", 1), ("SET", "k", " 1"), ("INCRBYFLOAT", "k", 1)])


def test_incrbyfloat_accepts_hex_and_leading_zeros_like_strtold(pair):
    pair.check_script([("SET", "k", "0x10"), ("INCRBYFLOAT", "k", 1), ("SET", "j", "007"),
                       ("INCRBYFLOAT", "j", "1"), ("INCRBYFLOAT", "j", "+1"), ("INCRBYFLOAT", "j", ".5")])


def test_incrbyfloat_integer_results_have_no_decimal_point(pair):
    pair.check_script([("SET", "k", "1.5"), ("INCRBYFLOAT", "k", "1.5"), ("GET", "k"),
                       ("INCR", "k")])


def test_incrbyfloat_keeps_ttl(pair):
    pair.check_script([("SET", "k", 1, "EX", 1000), ("INCRBYFLOAT", "k", "0.5")])
    pair.check_close("TTL", "k")


def test_incrbyfloat_on_wrong_type_and_arity(pair):
    pair.check_script([("RPUSH", "l", "a"), ("INCRBYFLOAT", "l", 1), ("INCRBYFLOAT", "l"),
                       ("INCRBYFLOAT", "k", 1, 2)])


# ---------------------------------------------------------------- LCS ----

def _lcs_setup(pair):
    pair.check_script([("SET", "key1", "ohmytext"), ("SET", "key2", "mynewtext")])


def test_lcs_returns_common_subsequence(pair):
    _lcs_setup(pair)
    pair.check("LCS", "key1", "key2")


def test_lcs_len(pair):
    _lcs_setup(pair)
    pair.check("LCS", "key1", "key2", "LEN")


def test_lcs_idx(pair):
    _lcs_setup(pair)
    pair.check("LCS", "key1", "key2", "IDX")


def test_lcs_idx_minmatchlen(pair):
    _lcs_setup(pair)
    pair.check_script([("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 4),
                       ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 0),
                       ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", -5),
                       ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 100)])


def test_lcs_idx_withmatchlen(pair):
    _lcs_setup(pair)
    pair.check_script([("LCS", "key1", "key2", "IDX", "WITHMATCHLEN"),
                       ("LCS", "key1", "key2", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN"),
                       ("LCS", "key1", "key2", "WITHMATCHLEN", "IDX")])


def test_lcs_withmatchlen_without_idx_is_ignored(pair):
    _lcs_setup(pair)
    pair.check_script([("LCS", "key1", "key2", "WITHMATCHLEN"), ("LCS", "key1", "key2", "MINMATCHLEN", 3)])


def test_lcs_len_and_idx_together_is_error(pair):
    _lcs_setup(pair)
    pair.check("LCS", "key1", "key2", "LEN", "IDX")


def test_lcs_missing_keys_are_empty(pair):
    pair.check_script([("LCS", "a", "b"), ("LCS", "a", "b", "LEN"), ("LCS", "a", "b", "IDX"),
                       ("SET", "a", "abc"), ("LCS", "a", "b"), ("LCS", "a", "b", "IDX")])


def test_lcs_same_key(pair):
    pair.check_script([("SET", "a", "hello"), ("LCS", "a", "a"), ("LCS", "a", "a", "IDX", "WITHMATCHLEN")])


def test_lcs_no_common_chars(pair):
    pair.check_script([("SET", "a", "abc"), ("SET", "b", "xyz"), ("LCS", "a", "b"), ("LCS", "a", "b", "IDX")])


def test_lcs_multiple_ranges(pair):
    pair.check_script([("SET", "a", "abcXdefYghiZjkl"), ("SET", "b", "abc1def2ghi3jkl4"),
                       ("LCS", "a", "b"), ("LCS", "a", "b", "IDX", "WITHMATCHLEN"),
                       ("LCS", "a", "b", "IDX", "MINMATCHLEN", 3)])


def test_lcs_integer_encoded_values(pair):
    pair.check_script([("SET", "a", 12345), ("SET", "b", 1535), ("LCS", "a", "b"), ("LCS", "a", "b", "IDX")])


def test_lcs_syntax_errors(pair):
    _lcs_setup(pair)
    pair.check_script([("LCS", "key1", "key2", "FOO"), ("LCS", "key1", "key2", "MINMATCHLEN"),
                       ("LCS", "key1", "key2", "MINMATCHLEN", "x"), ("LCS", "key1")])


def test_lcs_on_wrong_type(pair):
    pair.check_script([("RPUSH", "l", "a"), ("SET", "s", "a"), ("LCS", "l", "s"), ("LCS", "s", "l")])
