"""Differential tests for the set commands (Redis 7.0 semantics).

Intset-encoded sets iterate in ascending numeric order in Redis, so replies
over them are compared byte for byte; hashtable-encoded sets are compared as
multisets.  Random replies (SPOP, SRANDMEMBER) are checked for shape and
membership, and after an SPOP our server is brought back in step with the
reference by undoing the difference in what each popped.
"""

import os
import random

import pytest

from hashset_checks import (
    check_by_encoding, check_scan, config_set_or_skip, fresh_pair, real_encoding, tuned_pair, use_resp3,
)
from resp import RespError, decode

LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808


@pytest.fixture(scope="module")
def tuned_servers(server_factory):
    """Servers started with set-max-intset-entries 8."""
    return tuned_pair(server_factory, "--set-max-intset-entries", "8")


@pytest.fixture
def tuned(tuned_servers):
    p = fresh_pair(tuned_servers)
    yield p
    p.close()


def add_range(pair, key, start, stop, fmt="%d"):
    members = [fmt % i for i in range(start, stop)]
    for i in range(0, len(members), 100):
        pair.check("SADD", key, *members[i:i + 100])


# ---------------------------------------------------------------- SADD ----

def test_sadd_counts_new_members_and_sorts_intset(pair):
    pair.check_script([("SADD", "s", 5, 3, 9, 3, -2), ("SADD", "s", 3, 4), ("SMEMBERS", "s"),
                       ("OBJECT", "ENCODING", "s"), ("SCARD", "s")])


def test_sadd_non_canonical_integers_convert(pair):
    for i, m in enumerate(["01", "+1", " 1", "-0", "1.0", "9223372036854775808", "abc", ""]):
        key = "s%d" % i
        pair.check_script([("SADD", key, 1, 2), ("SADD", key, m), ("OBJECT", "ENCODING", key),
                           ("SISMEMBER", key, m), ("SCARD", key)])


def test_sadd_integer_extremes_stay_intset(pair):
    pair.check_script([("SADD", "s", LLONG_MAX, LLONG_MIN, 0, -1), ("OBJECT", "ENCODING", "s"),
                       ("SMEMBERS", "s"), ("SISMEMBER", "s", LLONG_MIN), ("SISMEMBER", "s", "-0")])


def test_sadd_binary_and_empty_members(pair):
    pair.check_script([("SADD", "s", b"a\x00b", b"\r\n", ""), ("SISMEMBER", "s", b"a\x00b"),
                       ("SISMEMBER", "s", ""), ("SCARD", "s")])
    pair.check_unordered("SMEMBERS", "s")


def test_sadd_wrong_type_and_arity(pair):
    pair.check_script([("SET", "str", "x"), ("SADD", "str", 1), ("SADD", "s"), ("SADD",)])


# ---------------------------------------------------------------- SREM ----

def test_srem_counts_and_keeps_encoding(pair):
    pair.check_script([("SADD", "s", 1, 2, 3, 4), ("SREM", "s", 2, 2, "x", 9), ("SMEMBERS", "s"),
                       ("SREM", "nokey", 1), ("OBJECT", "ENCODING", "s")])


def test_srem_last_member_deletes_key(pair):
    pair.check_script([("SADD", "s", 1, "a"), ("SREM", "s", 1, "a", "b"), ("EXISTS", "s"), ("TYPE", "s"),
                       ("SADD", "t", 7), ("SREM", "t", 7), ("EXISTS", "t")])


def test_srem_never_converts_back(pair):
    pair.check_script([("SADD", "s", 1, 2, "x"), ("SREM", "s", "x"), ("OBJECT", "ENCODING", "s"), ("SCARD", "s")])


def test_srem_wrong_type_and_arity(pair):
    pair.check_script([("SET", "str", "x"), ("SREM", "str", 1), ("SREM", "s")])


# ------------------------------------------------ SISMEMBER/SMISMEMBER ----

def test_sismember_and_smismember(pair):
    pair.check_script([("SADD", "s", 1, 2, 3), ("SISMEMBER", "s", 2), ("SISMEMBER", "s", "02"),
                       ("SISMEMBER", "s", "x"), ("SISMEMBER", "nokey", 1), ("SMISMEMBER", "s", 1, "x", 3, 3),
                       ("SMISMEMBER", "nokey", 1, 2), ("SADD", "h", "a", "b"), ("SMISMEMBER", "h", "a", "c")])


def test_membership_wrong_type_and_arity(pair):
    pair.check_script([("SET", "str", "x"), ("SISMEMBER", "str", 1), ("SMISMEMBER", "str", 1),
                       ("SCARD", "str"), ("SISMEMBER", "s"), ("SISMEMBER", "s", 1, 2), ("SMISMEMBER", "s"),
                       ("SCARD",), ("SCARD", "a", "b")])


def test_smismember_resp3(pair):
    use_resp3(pair)
    pair.check_script([("SADD", "s", 1), ("SMISMEMBER", "s", 1, 2), ("SISMEMBER", "s", 1)])


# ------------------------------------------------------------ SMEMBERS ----

def test_smembers_missing_key_resp2_and_resp3(pair):
    pair.check("SMEMBERS", "nokey")
    use_resp3(pair)
    pair.check_script([("SMEMBERS", "nokey"), ("SADD", "s", 3, 1, 2), ("SMEMBERS", "s")])


def test_smembers_hashtable_unordered(pair):
    pair.check("SADD", "s", "a", "b", "c", 1, 2)
    pair.check_unordered("SMEMBERS", "s")
    use_resp3(pair)
    pair.check_unordered("SMEMBERS", "s")


def test_smembers_wrong_type_and_arity(pair):
    pair.check_script([("SET", "str", "x"), ("SMEMBERS", "str"), ("SMEMBERS",), ("SMEMBERS", "a", "b")])


# --------------------------------------------------------------- SMOVE ----

def test_smove_basic_and_new_destination_encodings(pair):
    pair.check_script([("SADD", "src", 1, 2, "a"), ("SMOVE", "src", "d1", 1), ("OBJECT", "ENCODING", "d1"),
                       ("SMOVE", "src", "d2", "a"), ("OBJECT", "ENCODING", "d2"), ("SMOVE", "src", "d1", "x"),
                       ("SMEMBERS", "d1"), ("SCARD", "src")])


def test_smove_member_already_in_destination(pair):
    pair.check_script([("SADD", "a", 1, 2), ("SADD", "b", 1), ("SMOVE", "a", "b", 1), ("SMEMBERS", "a"),
                       ("SMEMBERS", "b")])


def test_smove_last_member_deletes_source(pair):
    pair.check_script([("SADD", "a", 5), ("SMOVE", "a", "b", 5), ("EXISTS", "a"), ("SMEMBERS", "b")])


def test_smove_converts_destination(pair):
    pair.check_script([("SADD", "a", "x"), ("SADD", "b", 1, 2), ("SMOVE", "a", "b", "x"),
                       ("OBJECT", "ENCODING", "b"), ("EXISTS", "a")])


def test_smove_same_key(pair):
    pair.check_script([("SADD", "a", 1), ("SMOVE", "a", "a", 1), ("SMOVE", "a", "a", 2), ("SMEMBERS", "a")])


def test_smove_missing_and_wrong_types(pair):
    pair.check_script([("SET", "str", "x"), ("SADD", "a", 1), ("SMOVE", "nokey", "a", 1),
                       ("SMOVE", "nokey", "str", 1), ("SMOVE", "str", "a", 1), ("SMOVE", "a", "str", 1),
                       ("SMOVE", "a", "str", 9), ("SMEMBERS", "a"), ("SMOVE", "a", "b"), ("SMOVE", "a", "b", 1, 2)])


# ---------------------------------------------------------------- SPOP ----

def test_spop_missing_key_and_errors(pair):
    pair.check_script([("SPOP", "nokey"), ("SPOP", "nokey", 3), ("SPOP", "nokey", 0), ("SADD", "s", 1, 2),
                       ("SPOP", "s", -1), ("SPOP", "s", "x"), ("SPOP", "s", LLONG_MIN),
                       ("SPOP", "s", "99999999999999999999"), ("SPOP", "s", 1, 2), ("SPOP", "s", 0),
                       ("SPOP", "nokey", -1), ("SCARD", "s"), ("SPOP",)])


def test_spop_missing_key_resp3(pair):
    use_resp3(pair)
    pair.check_script([("SPOP", "nokey"), ("SPOP", "nokey", 3), ("SADD", "s", 1), ("SPOP", "s", 0)])


def test_spop_wrong_type(pair):
    pair.check_script([("SET", "str", "x"), ("SPOP", "str"), ("SPOP", "str", 0), ("SPOP", "str", -1)])


def test_spop_single_member_set(pair):
    pair.check_script([("SADD", "s", "only"), ("SPOP", "s"), ("EXISTS", "s"), ("SADD", "t", 7), ("SPOP", "t", 1),
                       ("EXISTS", "t")])


def test_spop_whole_set_is_sorted_and_deletes(pair):
    pair.check_script([("SADD", "s", 9, 1, 5, -3), ("SPOP", "s", 4), ("EXISTS", "s"),
                       ("SADD", "t", 3, 2, 1), ("SPOP", "t", 100), ("EXISTS", "t")])


def test_spop_whole_hashtable_of_integers_comes_out_sorted(pair):
    """Redis replies through a fresh union set, which is an intset again."""
    pair.check_script([("SADD", "s", "x", 30, 10, 20), ("SREM", "s", "x"), ("OBJECT", "ENCODING", "s"),
                       ("SPOP", "s", 3), ("EXISTS", "s")])
    use_resp3(pair)
    pair.check_script([("SADD", "s", "x", 30, 10, 20), ("SREM", "s", "x"), ("SPOP", "s", 3)])


def test_spop_whole_set_with_ttl_then_recreated(pair):
    pair.check_script([("SADD", "s", 1, 2), ("EXPIRE", "s", 1000), ("SPOP", "s", 2), ("SADD", "s", 3),
                       ("TTL", "s")])


def popped(raw):
    value = decode(raw)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def check_spop(pair, key, *count):
    """SPOP on both: same reply type and length, popped members were members; then ours is brought back in step
    (ours re-adds what only it popped and removes what only the reference popped)."""
    members = decode(pair.real.call("SMEMBERS", key))
    before = set(members) if isinstance(members, list) else None
    args = ("SPOP", key) + count
    ours, real = pair.both(*args)
    if ours == real:
        return
    if ours[:1] != real[:1] or before is None:
        pair.fail("SPOP mismatch", args, ours, real)
    o, r = popped(ours), popped(real)
    if len(o) != len(r) or len(set(o)) != len(o) or not set(o) <= before:
        pair.fail("SPOP popped something else", args, ours, real)
    only_ours, only_real = set(o) - set(r), set(r) - set(o)
    if only_ours:
        pair.ours.call("SADD", key, *sorted(only_ours))
    if only_real:
        pair.ours.call("SREM", key, *sorted(only_real))
    pair.history.append("<resync %s: ours re-added %d, removed %d>" % (key, len(only_ours), len(only_real)))
    # Popping most of a set rebuilds the rest from the members kept (as Redis does), so its encoding depends on
    # which were kept: align ours with the reference's.
    want = real_encoding(pair, key)
    if decode(pair.ours.call("OBJECT", "ENCODING", key)) == want:
        return
    if want == b"hashtable":
        pair.ours.call("SADD", key, "<resync>")
        pair.ours.call("SREM", key, "<resync>")
    else:
        members = decode(pair.ours.call("SMEMBERS", key))
        when = decode(pair.real.call("PEXPIRETIME", key))
        pair.ours.call("DEL", key)
        pair.ours.call("SADD", key, *members)
        if when > 0:
            pair.ours.call("PEXPIREAT", key, when)
    pair.history.append("<resync %s: encoding set to %s>" % (key, want))


@pytest.mark.parametrize("kind", ["intset", "hashtable"])
def test_spop_counts_below_size(pair, kind):
    fmt = "%d" if kind == "intset" else "m%d"
    add_range(pair, "s", 0, 60, fmt)
    for count in [(), (1,), (2,), (10,), (30,), (15,)]:
        check_spop(pair, "s", *count)
        pair.check("SCARD", "s")
        check_by_encoding(pair, "s", "SMEMBERS", "s")


def test_spop_large_share_of_intset(pair):
    """Popping most of a set takes Redis's other strategy (keep the rest); the set keeps its encoding."""
    add_range(pair, "s", 0, 50)
    check_spop(pair, "s", 45)
    pair.check_script([("SCARD", "s"), ("OBJECT", "ENCODING", "s"), ("SMEMBERS", "s")])


def test_spop_large_share_rebuilds_remaining_set(pair):
    """The members that stay go into a fresh set: a hashtable of integers becomes an intset again, TTL kept."""
    pair.check_script([("SADD", "s", "x", *range(10)), ("SREM", "s", "x"), ("EXPIRE", "s", 1000)])
    check_spop(pair, "s", 9)
    pair.check_script([("SCARD", "s"), ("OBJECT", "ENCODING", "s"), ("TTL", "s")])


# --------------------------------------------------------- SRANDMEMBER ----

def test_srandmember_missing_key_and_errors(pair):
    pair.check_script([("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", 5), ("SRANDMEMBER", "nokey", -5),
                       ("SADD", "s", 1), ("SRANDMEMBER", "s", "x"), ("SRANDMEMBER", "s", LLONG_MIN),
                       ("SRANDMEMBER", "s", "99999999999999999999"), ("SRANDMEMBER", "s", 1, 2),
                       ("SRANDMEMBER", "s", 0), ("SRANDMEMBER", "nokey", "x"), ("SRANDMEMBER",)])
    use_resp3(pair)
    pair.check_script([("SRANDMEMBER", "nokey"), ("SRANDMEMBER", "nokey", 5), ("SRANDMEMBER", "s", 0)])


def test_srandmember_wrong_type(pair):
    pair.check_script([("SET", "str", "x"), ("SRANDMEMBER", "str"), ("SRANDMEMBER", "str", 0),
                       ("SRANDMEMBER", "str", -3)])


def test_srandmember_whole_intset_in_order(pair):
    pair.check("SADD", "s", 3, 1, 2)
    pair.check_script([("SRANDMEMBER", "s", 3), ("SRANDMEMBER", "s", LLONG_MAX)])
    use_resp3(pair)
    pair.check_script([("SRANDMEMBER", "s", 100)])


def test_srandmember_single_member(pair):
    pair.check_script([("SADD", "s", "x"), ("SRANDMEMBER", "s"), ("SRANDMEMBER", "s", 1), ("SRANDMEMBER", "s", -3),
                       ("SRANDMEMBER", "s", 5)])


@pytest.mark.parametrize("kind", ["intset", "hashtable"])
@pytest.mark.parametrize("size", [3, 40, 600])
def test_srandmember_counts(pair, kind, size):
    add_range(pair, "s", 0, size, "%d" if kind == "intset" else "m%d")
    members = set(decode(pair.real.call("SMEMBERS", "s")))
    for count in (1, 2, size // 2, size - 1, -1, -7, -(size * 2)):
        args = ("SRANDMEMBER", "s", count)
        ours, real = pair.both(*args)
        o, r = decode(ours), decode(real)
        if ours[:1] != real[:1] or len(o) != len(r) or not set(o) <= members:
            pair.fail("SRANDMEMBER mismatch", args, ours, real)
        if count > 0 and len(set(o)) != len(o):
            pair.fail("SRANDMEMBER duplicates for a positive count", args, ours, real)
    check_by_encoding(pair, "s", "SRANDMEMBER", "s", size)
    for _ in range(10):
        ours, _ = pair.both("SRANDMEMBER", "s")
        assert decode(ours) in members


# ----------------------------------------------------- SINTER & friends ----

def test_sinter_intsets_ascending(pair):
    pair.check_script([("SADD", "a", 5, 1, 3, 7, 9), ("SADD", "b", 9, 7, 3, 2), ("SINTER", "a", "b"),
                       ("SINTER", "b", "a"), ("SINTER", "a"), ("SINTER", "a", "a")])


def test_sinter_iterates_first_smallest_set(pair):
    """Equal sizes: the first given is iterated, so an intset first gives ascending order."""
    pair.check_script([("SADD", "i", 4, 3, 2, 1), ("SADD", "h", "x", 1, 2, 3), ("SREM", "h", "x"),
                       ("SADD", "h", 4), ("SINTER", "i", "h"), ("SADD", "big", 1, 2, 3, 4, 5, "y"),
                       ("SINTER", "big", "i")])


def test_sinter_missing_key_and_wrong_type_order(pair):
    pair.check_script([("SADD", "a", 1), ("SET", "str", "x"), ("SINTER", "a", "nokey"), ("SINTER", "nokey", "str"),
                       ("SINTER", "str", "nokey"), ("SINTER", "a", "str"), ("SINTER",)])


def test_sinter_resp3_set_reply(pair):
    use_resp3(pair)
    pair.check_script([("SADD", "a", 1, 2), ("SADD", "b", 2, 3), ("SINTER", "a", "b"), ("SINTER", "a", "nokey"),
                       ("SUNION", "a", "b"), ("SDIFF", "a", "b"), ("SDIFF", "a", "a")])


def test_sintercard_arguments(pair):
    pair.check_script([
        ("SADD", "a", 1, 2, 3), ("SADD", "b", 2, 3, 4), ("SINTERCARD", 2, "a", "b"),
        ("SINTERCARD", 2, "a", "b", "LIMIT", 1), ("SINTERCARD", 2, "a", "b", "limit", 0),
        ("SINTERCARD", 2, "a", "b", "LIMIT", 5), ("SINTERCARD", 1, "a", "LIMIT", 2, "LIMIT", 1),
        ("SINTERCARD", 0, "a"), ("SINTERCARD", -1, "a"), ("SINTERCARD", "x", "a"), ("SINTERCARD", 3, "a", "b"),
        ("SINTERCARD", LLONG_MAX, "a"), ("SINTERCARD", "99999999999999999999", "a"),
        ("SINTERCARD", 1, "a", "LIMIT"), ("SINTERCARD", 1, "a", "LIMIT", -1), ("SINTERCARD", 1, "a", "LIMIT", "x"),
        ("SINTERCARD", 1, "a", "FOO", 1), ("SINTERCARD", 1, "a", "b"), ("SINTERCARD", 2, "a", "nokey"),
        ("SINTERCARD", 1), ("SINTERCARD",)])


def test_sintercard_command_getkeys(pair):
    pair.check_script([("COMMAND", "GETKEYS", "SINTERCARD", 2, "a", "b", "LIMIT", 1),
                       ("COMMAND", "GETKEYS", "SINTERCARD", 3, "a", "b"), ("COMMAND", "GETKEYS", "SINTERCARD", 0, "a"),
                       ("COMMAND", "GETKEYS", "SINTERCARD", "x", "a"), ("COMMAND", "GETKEYS", "SMOVE", "a", "b", "m"),
                       ("COMMAND", "GETKEYS", "SDIFFSTORE", "d", "a", "b")])


def test_set_commands_in_a_transaction(pair):
    pair.check_script([("MULTI",), ("SADD", "s", 3, 1, 2), ("SMEMBERS", "s"), ("SPOP", "s", 5), ("SADD", "t", "x"),
                       ("SMOVE", "t", "u", "x"), ("SUNIONSTORE", "v", "u", "nokey"), ("EXEC",), ("SMEMBERS", "v")])


def test_sintercard_wrong_type(pair):
    pair.check_script([("SET", "str", "x"), ("SINTERCARD", 2, "nokey", "str"), ("SINTERCARD", 1, "str"),
                       ("SINTERCARD", 1, "str", "LIMIT", -1)])


def test_sinterstore_stores_and_replaces(pair):
    pair.check_script([("SADD", "a", 1, 2, "x"), ("SADD", "b", 2, "x", 3), ("SET", "dst", "v"),
                       ("EXPIRE", "dst", 1000), ("SINTERSTORE", "dst", "a", "b"), ("TYPE", "dst"), ("TTL", "dst"),
                       ("OBJECT", "ENCODING", "dst"), ("SREM", "a", "x"), ("SINTERSTORE", "dst", "a", "b"),
                       ("OBJECT", "ENCODING", "dst"), ("SMEMBERS", "dst")])


def test_sinterstore_empty_result_deletes_destination(pair):
    pair.check_script([("SADD", "a", 1), ("SADD", "b", 2), ("SET", "dst", "v"), ("SINTERSTORE", "dst", "a", "b"),
                       ("EXISTS", "dst"), ("SET", "dst", "v"), ("SINTERSTORE", "dst", "a", "nokey"),
                       ("EXISTS", "dst"), ("SINTERSTORE", "dst", "nokey")])


def test_sinterstore_destination_is_a_source(pair):
    pair.check_script([("SADD", "a", 1, 2, 3), ("SADD", "b", 2, 3), ("SINTERSTORE", "a", "a", "b"),
                       ("SMEMBERS", "a")])


def test_sunion_and_store(pair):
    pair.check_script([("SADD", "a", 5, 1), ("SADD", "b", 3, 1), ("SUNION", "a", "b", "nokey"),
                       ("SUNIONSTORE", "dst", "a", "b"), ("SMEMBERS", "dst"), ("OBJECT", "ENCODING", "dst"),
                       ("SUNION", "nokey"), ("SUNIONSTORE", "dst", "nokey"), ("EXISTS", "dst"),
                       ("SET", "str", "x"), ("SUNION", "a", "str"), ("SUNIONSTORE", "dst", "str"),
                       ("SUNIONSTORE", "str", "a"), ("TYPE", "str"), ("SUNIONSTORE", "dst")])


def test_sunion_of_hashtable_integers_is_sorted(pair):
    pair.check_script([("SADD", "h", "x", 3, 1, 2), ("SREM", "h", "x"), ("SUNION", "h"), ("SUNIONSTORE", "d", "h"),
                       ("OBJECT", "ENCODING", "d")])


def test_sunion_mixed_is_hashtable(pair):
    pair.check_script([("SADD", "a", 1, 2), ("SADD", "b", "x"), ("SUNIONSTORE", "d", "a", "b"),
                       ("OBJECT", "ENCODING", "d")])
    pair.check_unordered("SUNION", "a", "b")


def test_sdiff_and_store(pair):
    pair.check_script([("SADD", "a", 1, 2, 3, 4), ("SADD", "b", 2), ("SADD", "c", 4, 5), ("SDIFF", "a", "b", "c"),
                       ("SDIFF", "a", "nokey"), ("SDIFF", "nokey", "a"), ("SDIFF", "a", "a"), ("SDIFF", "a", "b", "a"),
                       ("SDIFFSTORE", "d", "a", "b"), ("SMEMBERS", "d"), ("SDIFFSTORE", "d", "a", "a"),
                       ("EXISTS", "d"), ("SET", "str", "x"), ("SDIFF", "nokey", "str"), ("SDIFFSTORE", "d", "str")])


def test_sdiff_algorithm_decides_result_encoding(pair):
    """Subtracting small sets from a big one adds everything then removes (Redis's second algorithm), so a
    member that is removed later still turned the result into a hashtable."""
    add_range(pair, "e", 1, 17)
    pair.check_script([("SADD", "e", "x"), ("SADD", "f", "x"), ("SADD", "g", 16),
                       ("SDIFFSTORE", "d1", "e", "f", "g"), ("OBJECT", "ENCODING", "d1"),
                       ("SDIFFSTORE", "d2", "e", "f"), ("OBJECT", "ENCODING", "d2"), ("SDIFF", "e", "f")])
    pair.check_unordered("SDIFF", "e", "f", "g")


def test_algebra_arity(pair):
    pair.check_script([("SINTER",), ("SINTERSTORE", "d"), ("SUNION",), ("SUNIONSTORE", "d"), ("SDIFF",),
                       ("SDIFFSTORE", "d")])


# --------------------------------------------------------------- SSCAN ----

def test_sscan_intset_returns_everything_at_once(pair):
    pair.check("SADD", "s", 10, 2, 33, 1)
    pair.check_script([("SSCAN", "s", 0), ("SSCAN", "s", 0, "COUNT", 1), ("SSCAN", "s", 99),
                       ("SSCAN", "s", 0, "MATCH", "1*"), ("SSCAN", "s", 0, "MATCH", "*", "COUNT", 2)])


def test_sscan_errors(pair):
    pair.check_script([("SADD", "s", 1), ("SET", "str", "x"), ("SSCAN", "s", "x"), ("SSCAN", "s", 0, "COUNT", 0),
                       ("SSCAN", "s", 0, "COUNT", "x"), ("SSCAN", "s", 0, "MATCH"), ("SSCAN", "s", 0, "TYPE", "set"),
                       ("SSCAN", "nokey", 0, "COUNT", 0), ("SSCAN", "nokey", "x"), ("SSCAN", "str", 0),
                       ("SSCAN", "str", 0, "BAD"), ("SSCAN", "s"), ("SSCAN", "s", "-1")])


@pytest.mark.parametrize("opts", [(), ("COUNT", 1), ("COUNT", 20), ("MATCH", "m1*"), ("MATCH", "*5", "COUNT", 4)])
def test_sscan_hashtable_full_iteration(pair, opts):
    add_range(pair, "s", 0, 700, "m%d")
    check_scan(pair, "SSCAN", "s", *opts)


def test_sscan_cursor_survives_growth(ours):
    with ours.client() as c:
        members = ["m%d" % i for i in range(500)]
        c.call("SADD", "s", *members)
        seen = set()
        cursor = b"0"
        for calls in range(100000):
            cursor, batch = decode(c.call("SSCAN", "s", cursor, "COUNT", 5))
            seen.update(batch)
            if calls < 60:
                c.call("SADD", "s", *["n%d_%d" % (calls, j) for j in range(80)])
            if cursor == b"0":
                break
        assert cursor == b"0"
        assert set(m.encode() for m in members) <= seen


# ---------------------------------------------------------- encodings ----

def test_intset_up_to_512_entries(pair):
    add_range(pair, "s", 0, 512)
    pair.check_script([("OBJECT", "ENCODING", "s"), ("SMEMBERS", "s"), ("SADD", "s", 512),
                       ("OBJECT", "ENCODING", "s")])
    pair.check_unordered("SMEMBERS", "s")


def test_tuned_intset_threshold(tuned):
    tuned.check_script([("SADD", "s", *range(8)), ("OBJECT", "ENCODING", "s"), ("SADD", "s", 8),
                        ("OBJECT", "ENCODING", "s"), ("SADD", "t", *range(20)), ("OBJECT", "ENCODING", "t"),
                        ("SUNIONSTORE", "u", "s"), ("OBJECT", "ENCODING", "u"), ("SADD", "small", 1, 2),
                        ("SINTERSTORE", "v", "small", "t"), ("OBJECT", "ENCODING", "v"), ("SMEMBERS", "v")])


def test_zero_intset_threshold_means_hashtable(server_factory):
    servers = tuned_pair(server_factory, "--set-max-intset-entries", "0")
    p = fresh_pair(servers)
    try:
        p.check_script([("SADD", "s", 1), ("OBJECT", "ENCODING", "s"), ("SMOVE", "s", "t", 1),
                        ("OBJECT", "ENCODING", "t")])
    finally:
        p.close()
        for s in servers:
            s.stop()


def test_config_set_intset_threshold(pair):
    try:
        config_set_or_skip(pair, "set-max-intset-entries", "2")
        pair.check_script([("SADD", "s", 1, 2), ("OBJECT", "ENCODING", "s"), ("SADD", "s", 3),
                           ("OBJECT", "ENCODING", "s")])
    finally:
        pair.both("CONFIG", "SET", "set-max-intset-entries", "512")


def test_lowered_intset_threshold_applies_at_next_insertion(pair):
    pair.check("SADD", "s", 1, 2, 3)
    try:
        config_set_or_skip(pair, "set-max-intset-entries", "2")
        pair.check_script([("SADD", "s", 1), ("OBJECT", "ENCODING", "s"), ("SREM", "s", 3),
                           ("OBJECT", "ENCODING", "s"), ("SADD", "s", 7), ("OBJECT", "ENCODING", "s")])
    finally:
        pair.both("CONFIG", "SET", "set-max-intset-entries", "512")


def test_copy_is_independent(pair):
    pair.check_script([("SADD", "a", 1, 2), ("COPY", "a", "b"), ("SADD", "b", 3), ("SMEMBERS", "a"),
                       ("SMEMBERS", "b"), ("SADD", "h", "x"), ("COPY", "h", "h2"), ("SREM", "h", "x"),
                       ("SMEMBERS", "h2"), ("OBJECT", "ENCODING", "h2"), ("TYPE", "h2")])


# -------------------------------------------------------------- random ----

SEEDS = [5, 31337, 424242]
OPS = int(os.environ.get("DIFF_OPS", "3000"))
if os.environ.get("DIFF_SEED"):
    SEEDS = [int(os.environ["DIFF_SEED"])]

SET_KEYS = ["s0", "s1", "s2", "s3"]
OTHER_KEYS = ["str", "nokey"]


class SetGen(object):
    def __init__(self, rng):
        self.r = rng

    def key(self):
        return self.r.choice(SET_KEYS * 4 + OTHER_KEYS)

    def keys(self, lo=1, hi=4):
        return [self.key() for _ in range(self.r.randint(lo, hi))]

    def member(self):
        r = self.r
        c = r.random()
        if c < 0.65:
            return str(r.randint(-3, 14))
        if c < 0.72:
            return str(r.choice([LLONG_MAX, LLONG_MIN, 10 ** 12]))
        if c < 0.95:
            return r.choice(["a", "b", "c", "d", "e", "01", "-0", "", "x y"])
        return "m%d" % r.randint(0, 40)

    def members(self, lo=1, hi=5):
        return [self.member() for _ in range(self.r.randint(lo, hi))]

    def next(self):
        r = self.r
        k = self.key
        choices = [
            (14, lambda: ("exact", ["SADD", k()] + self.members())),
            (7, lambda: ("exact", ["SREM", k()] + self.members())),
            (4, lambda: ("exact", ["SISMEMBER", k(), self.member()])),
            (3, lambda: ("exact", ["SMISMEMBER", k()] + self.members())),
            (3, lambda: ("exact", ["SCARD", k()])),
            (4, lambda: ("exact", ["SMOVE", k(), k(), self.member()])),
            (4, lambda: ("listing", ["SMEMBERS"])),
            (3, lambda: ("spop", r.choice([[], [], [1], [2], [3], [10], [0]]))),
            (3, lambda: ("srandmember", r.choice([-5, -1, 1, 2, 3, 20]))),
            (3, lambda: ("sinter", self.keys())),
            (3, lambda: ("store", [r.choice(["SUNION", "SDIFF"])] + self.keys())),
            (3, lambda: ("exact", [r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), k()] + self.keys())),
            (2, lambda: ("exact", ["SINTERCARD", 2, k(), k()] + r.choice([[], ["LIMIT", r.randint(0, 3)]]))),
            (3, lambda: ("scan", r.choice([[], ["COUNT", r.randint(1, 4)], ["MATCH", r.choice(["1*", "?", "*a*"])]]))),
            (3, lambda: ("exact", ["OBJECT", "ENCODING", k()])),
            (1, lambda: ("exact", ["TYPE", k()])),
            (1, lambda: ("exact", ["DEL", k()])),
            (1, lambda: ("exact", ["COPY", k(), k(), "REPLACE"])),
            (1, lambda: ("exact", ["SET", "str", "v"])),
            (1, lambda: ("exact", r.choice([["SADD", k()], ["SREM", k()], ["SPOP", k(), 1, 2], ["SMOVE", k(), k()],
                                            ["SINTERCARD", 3, k()], ["SRANDMEMBER", k(), 1, 1],
                                            ["SSCAN", k(), 0, "COUNT"], ["SINTERCARD", 0, k()]]))),
        ]
        total = sum(w for w, _ in choices)
        x = r.uniform(0, total)
        for w, fn in choices:
            x -= w
            if x <= 0:
                return fn()
        return choices[0][1]()


def first_smallest_is_intset(pair, keys):
    """Whether Redis's SINTER will iterate an intset (then its order is ascending): all keys exist and the first
    of the smallest sets is intset-encoded."""
    best = None
    for key in keys:
        card = decode(pair.real.call("SCARD", key))
        if not isinstance(card, int) or card == 0:
            return False
        if best is None or card < best[0]:
            best = (card, key)
    return real_encoding(pair, best[1]) == b"intset"


def run_random(pair, seed, ops):
    rng = random.Random(seed)
    gen = SetGen(rng)
    for i in range(ops):
        kind, cmd = gen.next()
        pair.context = "seed=%d op=%d/%d (replay: DIFF_SEED=%d DIFF_OPS=%d)" % (seed, i, ops, seed, ops)
        if kind == "exact":
            pair.check(*cmd)
            continue
        key = rng.choice(SET_KEYS)
        if kind == "listing":
            check_by_encoding(pair, key, "SMEMBERS", key)
        elif kind == "spop":
            check_spop(pair, key, *cmd)
        elif kind == "srandmember":
            members = decode(pair.real.call("SMEMBERS", key))
            if not isinstance(members, list):
                pair.check("SRANDMEMBER", key, cmd)
                continue
            ours, real = pair.both("SRANDMEMBER", key, cmd)
            o, r = decode(ours), decode(real)
            if ours[:1] != real[:1] or len(o) != len(r) or not set(o) <= set(members):
                pair.fail("SRANDMEMBER mismatch", ("SRANDMEMBER", key, cmd), ours, real)
        elif kind == "sinter":
            if first_smallest_is_intset(pair, cmd):
                pair.check("SINTER", *cmd)
            else:
                pair.check_unordered("SINTER", *cmd)
        elif kind == "store":
            # The stored copy tells the result's encoding, hence whether Redis's reply order is defined.
            op, keys = cmd[0], cmd[1:]
            pair.check(op + "STORE", "tmp", *keys)
            if real_encoding(pair, "tmp") == b"hashtable":
                pair.check_unordered(op, *keys)
            else:
                pair.check(op, *keys)
            pair.check("OBJECT", "ENCODING", "tmp")
            pair.check("DEL", "tmp")
        elif kind == "scan":
            check_scan(pair, "SSCAN", key, *cmd)
        else:
            raise AssertionError(kind)
    pair.context = "seed=%d final state" % seed
    for key in SET_KEYS:
        check_by_encoding(pair, key, "SMEMBERS", key)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_set_stream_small_threshold(tuned, seed):
    """set-max-intset-entries 8: sets convert often."""
    run_random(tuned, seed, OPS)


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_random_set_stream_default_threshold(pair, seed):
    run_random(pair, seed + 1, OPS)


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_random_set_stream_resp3(tuned, seed):
    use_resp3(tuned)
    run_random(tuned, seed + 2, OPS)
