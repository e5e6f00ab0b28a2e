"""Differential tests for the sorted-set commands (Redis 7.0 semantics).

Hand-written edge cases (one behaviour per test) plus a seeded random stream
of sorted-set commands over a small key space, run against our server and a
real redis-server; replies must be byte-identical, except where a reply is
random by design (ZRANDMEMBER with a count below the set's size, ZSCAN of a
hash-table-encoded set) and only its shape is compared.

Environment:
  DIFF_SEED   run only this seed of the random stream
  DIFF_OPS    commands per seed (default 3000)
"""

import os
import random
import time

import pytest

from difftools import Pair
from resp import decode

LLONG_MAX = 9223372036854775807
SEEDS = [20240611, 99, 4242]
OPS = int(os.environ.get("DIFF_OPS", "3000"))
if os.environ.get("DIFF_SEED"):
    SEEDS = [int(os.environ["DIFF_SEED"])]

# Servers with tiny listpack limits, so that small sets use the skiplist encoding.
SMALL_LIMITS = ("--zset-max-listpack-entries", "4", "--zset-max-listpack-value", "8")


@pytest.fixture
def resp3(pair):
    pair.both("HELLO", 3)
    return pair


@pytest.fixture(scope="module")
def small_servers(server_factory):
    ours = server_factory("ours", *SMALL_LIMITS)
    real = server_factory("real", *SMALL_LIMITS)
    yield ours, real
    ours.stop()
    real.stop()


@pytest.fixture
def small(small_servers):
    """A pair of servers whose sorted sets turn into skiplists above 4 members or 8-byte members."""
    for s in small_servers:
        s.flushall()
    p = Pair(small_servers[0].client(), small_servers[1].client())
    yield p
    p.close()


def zset(pair, key, *pairs):
    """ZADD key score member ... on both servers."""
    args = []
    for score, member in pairs:
        args += [score, member]
    pair.check("ZADD", key, *args)


def abcd(pair, key="z"):
    zset(pair, key, (1, "a"), (2, "b"), (3, "c"), (4, "d"))


def big(pair, key="big", n=300):
    """A set past the default listpack limit (skiplist encoded)."""
    args = []
    for i in range(n):
        args += [i % 37, "m%04d" % i]
    pair.check("ZADD", key, *args)


def check_set_size(pair, *args):
    """Compare only the length and element type of a random aggregate reply."""
    ours, real = pair.both(*args)
    o, r = decode(ours), decode(real)
    if type(o) != type(r) or (isinstance(r, list) and len(o) != len(r)):
        pair.fail("Differential mismatch (shape)", args, ours, real)
    return o, r


def zscan_all(pair, key, *args):
    """Iterate ZSCAN to the end on both servers; the (member, score) pairs must be the same."""
    results = []
    for conn in (pair.ours, pair.real):
        cursor = b"0"
        items = []
        for _ in range(10000):
            reply = decode(conn.call("ZSCAN", key, cursor, *args))
            cursor, batch = reply
            items += list(zip(batch[0::2], batch[1::2]))
            if cursor == b"0":
                break
        results.append(sorted(set(items)))
    assert results[0] == results[1], "ZSCAN %s: ours %r, real %r" % (key, results[0][:10], results[1][:10])
    return results[1]


# ------------------------------------------------------------------ ZADD ----

def test_zadd_adds_members_and_counts_new_ones(pair):
    pair.check_script([("ZADD", "z", 1, "a", 2, "b"), ("ZADD", "z", 3, "a", 4, "c"),
                       ("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZCARD", "z")])


def test_zadd_same_member_twice_in_one_call(pair):
    pair.check_script([("ZADD", "z", 1, "a", 2, "a"), ("ZSCORE", "z", "a"),
                       ("ZADD", "z", "CH", 5, "b", 6, "b"), ("ZSCORE", "z", "b")])


def test_zadd_nx_only_adds(pair):
    abcd(pair)
    pair.check_script([("ZADD", "z", "NX", 10, "a", 5, "e"), ("ZRANGE", "z", 0, -1, "WITHSCORES")])


def test_zadd_xx_only_updates(pair):
    abcd(pair)
    pair.check_script([("ZADD", "z", "XX", 10, "a", 5, "e"), ("ZRANGE", "z", 0, -1, "WITHSCORES")])


def test_zadd_xx_on_missing_key_creates_nothing(pair):
    pair.check_script([("ZADD", "z", "XX", 1, "a"), ("EXISTS", "z"), ("ZADD", "z", "XX", "INCR", 1, "a"),
                       ("EXISTS", "z")])


def test_zadd_gt_and_lt(pair):
    abcd(pair)
    pair.check_script([("ZADD", "z", "GT", "CH", 0, "a", 5, "b", 9, "new"),
                       ("ZADD", "z", "LT", "CH", 0, "a", 9, "c", 8, "new2"),
                       ("ZADD", "z", "XX", "GT", 100, "d", 100, "zz"),
                       ("ZRANGE", "z", 0, -1, "WITHSCORES")])


def test_zadd_ch_counts_changed_members(pair):
    abcd(pair)
    pair.check_script([("ZADD", "z", "CH", 1, "a", 20, "b", 5, "e"), ("ZADD", "z", 1, "a", 20, "b")])


def test_zadd_incr_replies_new_score(pair):
    pair.check_script([("ZADD", "z", "INCR", 1.5, "a"), ("ZADD", "z", "INCR", 2, "a"),
                       ("ZADD", "z", "INCR", "-0.1", "a"), ("ZADD", "z", "ch", "incr", 0, "a")])


def test_zadd_incr_nil_when_condition_fails(pair):
    abcd(pair)
    pair.check_script([("ZADD", "z", "INCR", "NX", 1, "a"), ("ZADD", "z", "INCR", "XX", 1, "nope"),
                       ("ZADD", "z", "INCR", "GT", -1, "a"), ("ZADD", "z", "INCR", "LT", 1, "a"),
                       ("ZADD", "z", "INCR", "GT", 1, "a")])


def test_zadd_incompatible_options(pair):
    pair.check_script([("ZADD", "z", "NX", "XX", 1, "a"), ("ZADD", "z", "NX", "GT", 1, "a"),
                       ("ZADD", "z", "LT", "NX", 1, "a"), ("ZADD", "z", "GT", "LT", 1, "a"),
                       ("ZADD", "z", "INCR", 1, "a", 2, "b"), ("EXISTS", "z")])


def test_zadd_syntax_errors(pair):
    pair.check_script([("ZADD", "z", "NX", "XX", 1, "a", 2), ("ZADD", "z", 1, "a", 2),
                       ("ZADD", "z", "nx", "ch"), ("ZADD", "z", "FOO", 1, "a"), ("ZADD", "z", 1),
                       ("ZADD", "z")])


def test_zadd_invalid_scores(pair):
    for score in ["abc", "nan", "", " 1", "1 ", "1e400", "-nan", "1.2.3", "0x"]:
        pair.check("ZADD", "z", score, "a")
    pair.check_script([("ZADD", "z", 1, "a", "x", "b"), ("EXISTS", "z")])


def test_zadd_score_forms(pair):
    pair.check_script([("ZADD", "z", "1.1", "a", "1e17", "b", "inf", "c", "-inf", "d", "0x10", "e",
                        "+5", "f", "-0", "g", "3.0e-5", "h", "1e-320", "i", "007", "j"),
                       ("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZSCORE", "z", "g")])


def test_zadd_negative_zero_in_a_skiplist(pair):
    big(pair)
    pair.check_script([("ZADD", "big", "-0", "neg"), ("ZSCORE", "big", "neg"), ("ZRANK", "big", "neg"),
                       ("ZRANGEBYSCORE", "big", "-0", "0", "WITHSCORES")])


def test_zadd_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("ZADD", "s", 1, "a"), ("ZADD", "s", "XX", 1, "a")])


def test_zadd_binary_and_empty_members(pair):
    pair.check_script([("ZADD", "z", 1, b"\x00\xff", 1, "", 1, b"a\r\nb"), ("ZRANGE", "z", 0, -1),
                       ("ZSCORE", "z", ""), ("ZRANK", "z", b"\x00\xff")])


def test_zadd_incr_nan_is_refused(pair):
    pair.check_script([("ZADD", "z", "inf", "a"), ("ZADD", "z", "INCR", "-inf", "a"), ("ZSCORE", "z", "a"),
                       ("ZINCRBY", "z", "-inf", "a"), ("ZINCRBY", "z", "+inf", "a")])


# --------------------------------------------------------------- ZINCRBY ----

def test_zincrby_creates_and_increments(pair):
    pair.check_script([("ZINCRBY", "z", 2, "a"), ("ZINCRBY", "z", "0.1", "a"), ("ZINCRBY", "z", "-5", "b"),
                       ("ZRANGE", "z", 0, -1, "WITHSCORES")])


def test_zincrby_invalid_increment(pair):
    pair.check_script([("ZINCRBY", "z", "abc", "a"), ("ZINCRBY", "z", "nx", "a"), ("ZINCRBY", "z", "incr", "a"),
                       ("ZINCRBY", "z", 1), ("EXISTS", "z")])


def test_zincrby_precision(pair):
    pair.check_script([("ZINCRBY", "z", "0.1", "a"), ("ZINCRBY", "z", "0.2", "a"), ("ZSCORE", "z", "a")])


# ------------------------------------------------------------------ ZREM ----

def test_zrem_counts_and_deletes_empty_key(pair):
    abcd(pair)
    pair.check_script([("ZREM", "z", "a", "x", "a"), ("ZREM", "z", "b", "c", "d", "e"), ("EXISTS", "z"),
                       ("ZREM", "z", "a"), ("ZREM", "z")])


def test_zrem_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("ZREM", "s", "a")])


# ------------------------------------------- ZCARD / ZSCORE / ZMSCORE ----

def test_zcard(pair):
    abcd(pair)
    pair.check_script([("ZCARD", "z"), ("ZCARD", "missing"), ("SET", "s", "x"), ("ZCARD", "s")])


def test_zscore(pair):
    abcd(pair)
    pair.check_script([("ZSCORE", "z", "b"), ("ZSCORE", "z", "x"), ("ZSCORE", "missing", "a"),
                       ("SET", "s", "x"), ("ZSCORE", "s", "a")])


def test_zmscore(pair):
    abcd(pair)
    pair.check_script([("ZMSCORE", "z", "a", "x", "d"), ("ZMSCORE", "missing", "a", "b"),
                       ("SET", "s", "x"), ("ZMSCORE", "s", "a"), ("ZMSCORE", "z")])


# ------------------------------------------------------ ZRANK / ZREVRANK ----

def test_zrank_and_zrevrank(pair):
    abcd(pair)
    pair.check_script([("ZRANK", "z", "a"), ("ZRANK", "z", "d"), ("ZREVRANK", "z", "a"),
                       ("ZREVRANK", "z", "d"), ("ZRANK", "z", "x"), ("ZRANK", "missing", "a")])


def test_zrank_has_no_withscore_in_7_0(pair):
    abcd(pair)
    pair.check_script([("ZRANK", "z", "a", "WITHSCORE"), ("ZREVRANK", "z", "a", "WITHSCORE")])


def test_zrank_in_a_skiplist(pair):
    big(pair)
    for m in ["m0000", "m0037", "m0299", "m0150", "nope"]:
        pair.check("ZRANK", "big", m)
        pair.check("ZREVRANK", "big", m)


def test_zrank_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("ZRANK", "s", "a"), ("ZREVRANK", "s", "a")])


# ------------------------------------------------- ZCOUNT / ZLEXCOUNT ----

def test_zcount_bounds(pair):
    zset(pair, "z", (1, "a"), (2, "b"), (2, "c"), (3, "d"), ("inf", "e"), ("-inf", "f"))
    for lo, hi in [("-inf", "+inf"), (2, 2), ("(2", 3), (2, "(3"), ("(1", "(3"), (3, 1), ("(2", "(2"),
                   ("inf", "inf"), ("(inf", "+inf"), ("-inf", "(-inf"), ("", 2), (" 2", 10), ("(", 10),
                   ("1e400", "inf"), ("0x2", "3"), (b"2\x00junk", 3)]:
        pair.check("ZCOUNT", "z", lo, hi)


def test_zcount_invalid_bounds(pair):
    abcd(pair)
    for lo, hi in [("a", 1), (1, "b"), ("((1", 2), ("nan", 1), ("2 ", 3), ("[1", 2)]:
        pair.check("ZCOUNT", "z", lo, hi)
    pair.check("ZCOUNT", "missing", "a", 1)


def test_zcount_missing_and_wrong_type(pair):
    pair.check_script([("ZCOUNT", "missing", 0, 1), ("SET", "s", "x"), ("ZCOUNT", "s", 0, 1),
                       ("ZCOUNT", "s", "x", 1)])


def test_zcount_in_a_skiplist(pair):
    big(pair)
    for lo, hi in [("-inf", "+inf"), (5, 10), ("(5", "(10"), (36, 36), (40, 50), ("(0", 1)]:
        pair.check("ZCOUNT", "big", lo, hi)


def test_zlexcount_bounds(pair):
    zset(pair, "z", (0, "a"), (0, "b"), (0, "bb"), (0, "c"), (0, ""))
    for lo, hi in [("-", "+"), ("[a", "[b"), ("(a", "(c"), ("[b", "[a"), ("(b", "(b"), ("[b", "[b"),
                   ("+", "-"), ("-", "-"), ("[", "+"), ("(", "+"), ("-", b"+\x00x"), ("[bb", "+")]:
        pair.check("ZLEXCOUNT", "z", lo, hi)


def test_zlexcount_invalid_bounds(pair):
    zset(pair, "z", (0, "a"))
    for lo, hi in [("a", "+"), ("-", "b"), ("", "+"), ("+a", "+"), ("-", "-x"), ("-", "")]:
        pair.check("ZLEXCOUNT", "z", lo, hi)
    pair.check("ZLEXCOUNT", "missing", "x", "+")


def test_zlexcount_with_mixed_scores_in_a_listpack(pair):
    zset(pair, "z", (1, "d"), (2, "a"), (3, "c"), (4, "b"))
    for lo, hi in [("-", "+"), ("[b", "[c"), ("[a", "(d"), ("(a", "+"), ("-", "[b")]:
        pair.check("ZLEXCOUNT", "z", lo, hi)
        pair.check("ZRANGEBYLEX", "z", lo, hi)
        pair.check("ZREVRANGEBYLEX", "z", hi, lo)


# ---------------------------------------------------------------- ZRANGE ----

def test_zrange_by_rank(pair):
    abcd(pair)
    for start, stop in [(0, -1), (1, 2), (-2, -1), (-100, 100), (3, 1), (5, 10), (-1, -2), (0, 0),
                        (LLONG_MAX, LLONG_MAX), (-LLONG_MAX - 1, 1)]:
        pair.check("ZRANGE", "z", start, stop)
        pair.check("ZRANGE", "z", start, stop, "REV", "WITHSCORES")


def test_zrange_byscore(pair):
    zset(pair, "z", (1, "a"), (2, "b"), (2, "c"), (3, "d"), (5, "e"))
    for args in [("1", "3"), ("(1", "3"), ("-inf", "+inf", "WITHSCORES"), ("(2", "(2"), ("4", "1"),
                 ("+inf", "-inf", "REV"), ("3", "(1", "REV", "WITHSCORES"), ("-inf", "+inf", "LIMIT", 1, 2),
                 ("+inf", "-inf", "REV", "LIMIT", 1, 2), ("-inf", "+inf", "LIMIT", 0, -1),
                 ("-inf", "+inf", "LIMIT", -1, 2), ("-inf", "+inf", "LIMIT", 10, 2),
                 ("-inf", "+inf", "LIMIT", 2, 0), ("2", "3", "LIMIT", 1, 10),
                 ("-inf", "+inf", "LIMIT", 4, LLONG_MAX), ("-inf", "+inf", "LIMIT", LLONG_MAX, 1)]:
        pair.check("ZRANGE", "z", *(args[:2] + ("BYSCORE",) + args[2:]))


def test_zrange_bylex(pair):
    zset(pair, "z", (0, "a"), (0, "b"), (0, "c"), (0, "d"), (0, "e"))
    for args in [("-", "+"), ("[b", "(d"), ("(a", "[c"), ("+", "-", "REV"), ("[d", "(a", "REV"),
                 ("-", "+", "LIMIT", 1, 2), ("+", "-", "REV", "LIMIT", 1, 2), ("-", "+", "LIMIT", 7, 1),
                 ("[c", "[b"), ("-", "+", "LIMIT", 0, -5)]:
        pair.check("ZRANGE", "z", *(args[:2] + ("BYLEX",) + args[2:]))


def test_zrange_option_errors(pair):
    abcd(pair)
    for args in [(0, 1, "LIMIT", 0, 1), (0, 1, "LIMIT", "a", 1), (0, 1, "LIMIT", 0, "b"), (0, 1, "LIMIT", 0),
                 ("-", "+", "BYLEX", "WITHSCORES"), (0, 1, "BYSCORE", "BYLEX"), (0, 1, "BYSCORE", "BYSCORE"),
                 (0, 1, "REV", "REV"), (0, 1, "FOO"), ("a", "b"), ("[a", "(c", "BYSCORE"),
                 (0, 1, "BYLEX"), (0, 1, "LIMIT", 5, -1), (0, 1, "WITHSCORES", "WITHSCORES"),
                 (0, 1, "rev", "withscores", "byscore", "limit", 0, 1)]:
        pair.check("ZRANGE", "z", *args)


def test_zrange_missing_key_still_parses_the_range(pair):
    pair.check_script([("ZRANGE", "missing", 0, 1), ("ZRANGE", "missing", "a", "b"),
                       ("ZRANGE", "missing", "a", "b", "BYSCORE"), ("ZRANGE", "missing", "a", "b", "BYLEX"),
                       ("ZRANGE", "missing", "-", "+", "BYLEX", "LIMIT", 0, 1)])


def test_zrange_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("ZRANGE", "s", 0, 1), ("ZRANGE", "s", "x", 1)])


def test_zrange_in_a_skiplist(pair):
    big(pair)
    for args in [(0, 10), (-10, -1, "WITHSCORES"), (100, 120, "REV"), (5, "(9", "BYSCORE", "LIMIT", 3, 20),
                 (9, "(5", "BYSCORE", "REV", "LIMIT", 3, 20, "WITHSCORES"), ("-inf", "+inf", "BYSCORE", "LIMIT", 290, 50)]:
        pair.check("ZRANGE", "big", *args)


def test_zrange_resp3_nests_pairs(resp3):
    abcd(resp3)
    resp3.check_script([("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZRANGE", "z", 0, -1),
                        ("ZRANGEBYSCORE", "z", 2, 3, "WITHSCORES"), ("ZREVRANGE", "z", 0, 1, "WITHSCORES"),
                        ("ZRANGE", "z", 9, 10, "WITHSCORES"), ("ZRANGEBYSCORE", "z", 9, 10, "WITHSCORES")])


# ----------------------------------------------------- legacy range commands ----

def test_zrevrange(pair):
    abcd(pair)
    pair.check_script([("ZREVRANGE", "z", 0, -1), ("ZREVRANGE", "z", 1, 2, "WITHSCORES"),
                       ("ZREVRANGE", "z", 0, 1, "REV"), ("ZREVRANGE", "z", 0, 1, "LIMIT", 0, 1),
                       ("ZREVRANGE", "z", 0, 1, "BYSCORE")])


def test_zrangebyscore_and_zrevrangebyscore(pair):
    zset(pair, "z", (1, "a"), (2, "b"), (3, "c"), (4, "d"))
    pair.check_script([("ZRANGEBYSCORE", "z", "(1", 4, "WITHSCORES", "LIMIT", 1, 1),
                       ("ZREVRANGEBYSCORE", "z", 4, "(1", "WITHSCORES", "LIMIT", 1, 5),
                       ("ZREVRANGEBYSCORE", "z", 1, 4), ("ZRANGEBYSCORE", "z", 0, 10, "REV"),
                       ("ZRANGEBYSCORE", "z", 0, 10, "BYSCORE"), ("ZRANGEBYSCORE", "z", "x", 10),
                       ("ZRANGEBYSCORE", "z", 0, 10, "LIMIT", 1)])


def test_zrangebylex_and_zrevrangebylex(pair):
    zset(pair, "z", (0, "a"), (0, "b"), (0, "c"))
    pair.check_script([("ZRANGEBYLEX", "z", "-", "+", "LIMIT", 1, 2), ("ZREVRANGEBYLEX", "z", "+", "-"),
                       ("ZREVRANGEBYLEX", "z", "[b", "-", "LIMIT", 0, 1), ("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"),
                       ("ZRANGEBYLEX", "z", "a", "+"), ("ZRANGEBYLEX", "z", "-", "+", "BYLEX")])


# ----------------------------------------------------------- ZRANGESTORE ----

def test_zrangestore_by_rank_score_and_lex(pair):
    abcd(pair)
    pair.check_script([("ZRANGESTORE", "d", "z", 1, 2), ("ZRANGE", "d", 0, -1, "WITHSCORES"),
                       ("ZRANGESTORE", "d", "z", "(1", "+inf", "BYSCORE", "REV", "LIMIT", 0, 2),
                       ("ZRANGE", "d", 0, -1, "WITHSCORES"),
                       ("ZRANGESTORE", "d", "z", "[b", "+", "BYLEX"), ("ZRANGE", "d", 0, -1, "WITHSCORES")])


def test_zrangestore_empty_result_deletes_destination(pair):
    abcd(pair)
    pair.check_script([("SET", "d", "x"), ("ZRANGESTORE", "d", "z", 10, 20), ("EXISTS", "d"),
                       ("SET", "d", "x"), ("ZRANGESTORE", "d", "missing", 0, -1), ("EXISTS", "d")])


def test_zrangestore_replaces_any_type_and_clears_ttl(pair):
    abcd(pair)
    pair.check_script([("SET", "d", "x", "EX", 1000), ("ZRANGESTORE", "d", "z", 0, -1), ("TTL", "d"),
                       ("TYPE", "d"), ("OBJECT", "ENCODING", "d")])


def test_zrangestore_errors(pair):
    abcd(pair)
    pair.check_script([("ZRANGESTORE", "d", "z", 0, 1, "WITHSCORES"), ("SET", "s", "x"),
                       ("ZRANGESTORE", "d", "s", 0, 1), ("ZRANGESTORE", "d", "z", 0, 1, "LIMIT", 0, 1),
                       ("ZRANGESTORE", "d", "z", 0), ("ZRANGESTORE", "s", "z", "x", 1)])


def test_zrangestore_into_itself(pair):
    abcd(pair)
    pair.check_script([("ZRANGESTORE", "z", "z", 1, 2), ("ZRANGE", "z", 0, -1, "WITHSCORES")])


def test_zrangestore_encoding_follows_limits(small):
    zset(small, "src", (1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e"), (6, "f"))
    small.check_script([("OBJECT", "ENCODING", "src"), ("ZRANGESTORE", "d", "src", 0, 3),
                        ("OBJECT", "ENCODING", "d"), ("ZRANGESTORE", "d", "src", 0, 4), ("OBJECT", "ENCODING", "d")])


def test_zrangestore_long_rank_range_starts_as_skiplist(small):
    small.check_script([("ZADD", "src", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f"), ("ZADD", "src", "-0", "a"),
                        ("ZRANGESTORE", "d1", "src", 0, -1), ("ZSCORE", "d1", "a"),
                        ("ZRANGESTORE", "d2", "src", "-inf", "+inf", "BYSCORE"), ("ZSCORE", "d2", "a"),
                        ("ZRANGESTORE", "d3", "src", "+inf", "-inf", "BYSCORE", "REV"), ("ZSCORE", "d3", "a"),
                        ("ZRANGESTORE", "d4", "src", 0, 3), ("ZSCORE", "d4", "a"), ("OBJECT", "ENCODING", "d4")])


# --------------------------------------------------------- ZREMRANGEBY* ----

def test_zremrangebyrank(pair):
    abcd(pair)
    pair.check_script([("ZREMRANGEBYRANK", "z", 5, 10), ("ZREMRANGEBYRANK", "z", 2, 1),
                       ("ZREMRANGEBYRANK", "z", -2, -1), ("ZRANGE", "z", 0, -1),
                       ("ZREMRANGEBYRANK", "z", 0, -1), ("EXISTS", "z"), ("ZREMRANGEBYRANK", "z", 0, -1),
                       ("ZREMRANGEBYRANK", "z", "a", 1)])


def test_zremrangebyscore(pair):
    zset(pair, "z", (1, "a"), (2, "b"), (3, "c"), (4, "d"))
    pair.check_script([("ZREMRANGEBYSCORE", "z", "(1", "(3"), ("ZRANGE", "z", 0, -1),
                       ("ZREMRANGEBYSCORE", "z", 5, 1), ("ZREMRANGEBYSCORE", "z", "x", 1),
                       ("ZREMRANGEBYSCORE", "missing", "x", 1), ("ZREMRANGEBYSCORE", "z", "-inf", "+inf"),
                       ("EXISTS", "z")])


def test_zremrangebylex(pair):
    zset(pair, "z", (0, "a"), (0, "b"), (0, "c"), (0, "d"))
    pair.check_script([("ZREMRANGEBYLEX", "z", "(a", "[c"), ("ZRANGE", "z", 0, -1),
                       ("ZREMRANGEBYLEX", "z", "x", "+"), ("ZREMRANGEBYLEX", "z", "+", "-"),
                       ("ZREMRANGEBYLEX", "z", "-", "+"), ("EXISTS", "z")])


def test_zremrange_in_a_skiplist(pair):
    big(pair)
    pair.check_script([("ZREMRANGEBYRANK", "big", 10, 40), ("ZREMRANGEBYSCORE", "big", 3, "(7"),
                       ("ZREMRANGEBYLEX", "big", "-", "+"), ("ZCARD", "big")])
    big(pair, "big2")
    pair.check_script([("ZREMRANGEBYSCORE", "big2", 20, 30), ("ZRANGE", "big2", 0, -1, "WITHSCORES"),
                       ("ZREMRANGEBYRANK", "big2", 0, -1), ("EXISTS", "big2")])


def test_zremrange_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("ZREMRANGEBYRANK", "s", 0, 1), ("ZREMRANGEBYSCORE", "s", 0, 1),
                       ("ZREMRANGEBYLEX", "s", "-", "+")])


# ------------------------------------------------------ ZPOPMIN / ZPOPMAX ----

def test_zpopmin_and_zpopmax(pair):
    zset(pair, "z", (1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e"))
    pair.check_script([("ZPOPMIN", "z"), ("ZPOPMAX", "z"), ("ZPOPMIN", "z", 2), ("ZPOPMAX", "z", 0),
                       ("ZPOPMAX", "z", 10), ("EXISTS", "z"), ("ZPOPMIN", "z"), ("ZPOPMIN", "z", 3)])


def test_zpop_count_errors(pair):
    abcd(pair)
    pair.check_script([("ZPOPMIN", "z", -1), ("ZPOPMIN", "z", "abc"), ("ZPOPMIN", "z", 1, 2),
                       ("ZPOPMAX", "missing", -1), ("SET", "s", "x"), ("ZPOPMIN", "s"), ("ZPOPMIN", "s", 0),
                       ("ZPOPMIN", "s", "x")])


def test_zpop_resp3(resp3):
    zset(resp3, "z", (1, "a"), (2, "b"), (3, "c"), (4, "d"))
    resp3.check_script([("ZPOPMIN", "z"), ("ZPOPMIN", "z", 1), ("ZPOPMAX", "z", 5), ("ZPOPMIN", "missing"),
                        ("ZPOPMIN", "missing", 2)])


def test_zpop_in_a_skiplist(pair):
    big(pair)
    pair.check_script([("ZPOPMIN", "big", 5), ("ZPOPMAX", "big", 5), ("ZPOPMIN", "big"), ("ZCARD", "big")])


# ----------------------------------------------------------------- ZMPOP ----

def test_zmpop_pops_from_first_non_empty_key(pair):
    zset(pair, "z2", (1, "a"), (2, "b"), (3, "c"))
    pair.check_script([("ZMPOP", 2, "z1", "z2", "MIN"), ("ZMPOP", 2, "z1", "z2", "max", "COUNT", 10),
                       ("ZMPOP", 2, "z1", "z2", "MIN"), ("EXISTS", "z2")])


def test_zmpop_errors(pair):
    abcd(pair)
    for args in [(0, "z", "MIN"), ("abc", "z", "MIN"), (-1, "z", "MIN"), (2, "z", "MIN"), (1, "z", "MID"),
                 (1, "z", "MIN", "COUNT", 0), (1, "z", "MIN", "COUNT", "x"), (1, "z", "MIN", "COUNT", -3),
                 (1, "z", "MIN", "COUNT", 1, "COUNT", 1), (1, "z", "MIN", "COUNT"), (1, "z", "MIN", "FOO"),
                 (LLONG_MAX, "z", "MIN"), (1, "z")]:
        pair.check("ZMPOP", *args)
    pair.check_script([("SET", "s", "x"), ("ZMPOP", 2, "missing", "s", "MIN"), ("ZMPOP", 2, "z", "s", "MIN")])


def test_zmpop_resp3(resp3):
    abcd(resp3)
    resp3.check_script([("ZMPOP", 1, "z", "MIN", "COUNT", 2), ("ZMPOP", 1, "missing", "MAX")])


# ----------------------------------------------------------- ZRANDMEMBER ----

def test_zrandmember_whole_set_comes_highest_first(pair):
    abcd(pair)
    pair.check_script([("ZRANDMEMBER", "z", 4), ("ZRANDMEMBER", "z", 100, "WITHSCORES"),
                       ("ZRANDMEMBER", "z", 0), ("ZRANDMEMBER", "z", 0, "withscores")])


def test_zrandmember_whole_skiplist(pair):
    big(pair, n=200)
    pair.check("ZRANDMEMBER", "big", 1000, "WITHSCORES")


def test_zrandmember_missing_key(pair):
    pair.check_script([("ZRANDMEMBER", "missing"), ("ZRANDMEMBER", "missing", 5),
                       ("ZRANDMEMBER", "missing", -5, "WITHSCORES")])


def test_zrandmember_errors(pair):
    abcd(pair)
    for args in [("abc",), (1, "foo"), (1, "WITHSCORES", "x"), (-LLONG_MAX - 1,), (-LLONG_MAX - 1, "foo"),
                 (-4611686018427387904, "WITHSCORES"), (-4611686018427387904, "foo")]:
        pair.check("ZRANDMEMBER", "z", *args)
    pair.check_script([("SET", "s", "x"), ("ZRANDMEMBER", "s"), ("ZRANDMEMBER", "s", 1),
                       ("ZRANDMEMBER", "s", -4611686018427387904, "WITHSCORES")])


def test_zrandmember_random_replies_have_the_right_shape(pair):
    abcd(pair)
    big(pair)
    for key in ("z", "big"):
        for args in [(), (1,), (2,), (-3,), (-10, "WITHSCORES"), (3, "WITHSCORES"), (1, "WITHSCORES")]:
            ours, _ = check_set_size(pair, "ZRANDMEMBER", key, *args)
            members = ours if not args or "WITHSCORES" not in args else ours[0::2]
            if not isinstance(members, list):
                members = [members]
            for m in members:
                assert decode(pair.ours.call("ZSCORE", key, m)) is not None
            if args and args[0] > 0:
                assert len(set(members)) == len(members)


def test_zrandmember_resp3(resp3):
    abcd(resp3)
    resp3.check_script([("ZRANDMEMBER", "z", 10, "WITHSCORES"), ("ZRANDMEMBER", "z", 10)])
    ours, real = resp3.both("ZRANDMEMBER", "z", -2, "WITHSCORES")
    assert ours.startswith(b"*2\r\n*2\r\n") and real.startswith(b"*2\r\n*2\r\n")


# ------------------------------------------------- ZUNION / ZINTER / ZDIFF ----

def sets_for_algebra(pair):
    zset(pair, "a", (1, "x"), (2, "y"), (3, "z"))
    zset(pair, "b", (10, "y"), (20, "z"), (30, "w"), (40, "v"))
    zset(pair, "c", ("0.1", "z"), ("0.2", "y"))


def test_zunion_weights_and_aggregates(pair):
    sets_for_algebra(pair)
    for extra in [(), ("WEIGHTS", 2, 3, 4), ("AGGREGATE", "MIN"), ("AGGREGATE", "max", "WEIGHTS", 1, -1, 0),
                  ("aggregate", "sum", "withscores"), ("WEIGHTS", "0.5", "inf", 1)]:
        pair.check("ZUNION", 3, "a", "b", "c", *extra)
        pair.check("ZUNION", 3, "a", "b", "c", *(extra + ("WITHSCORES",)))


def test_zinter_weights_and_aggregates(pair):
    sets_for_algebra(pair)
    for extra in [(), ("WEIGHTS", 2, 3, 4), ("AGGREGATE", "MIN"), ("AGGREGATE", "MAX"), ("WEIGHTS", 1, 0, "-1")]:
        pair.check("ZINTER", 3, "a", "b", "c", *extra)
        pair.check("ZINTER", 3, "a", "b", "c", *(extra + ("WITHSCORES",)))
    pair.check("ZINTER", 2, "b", "a", "WEIGHTS", "1.5", 2, "WITHSCORES")


def test_zunion_summation_order_follows_set_sizes(pair):
    zset(pair, "p", ("0.1", "m"))
    zset(pair, "q", ("0.2", "m"), (1, "n"))
    zset(pair, "r", ("0.3", "m"), (1, "n"), (2, "o"))
    for keys in [("p", "q", "r"), ("r", "q", "p"), ("q", "r", "p")]:
        pair.check("ZUNION", 3, *(keys + ("WITHSCORES",)))
        pair.check("ZINTER", 3, *(keys + ("WITHSCORES",)))


def test_zunion_undefined_scores_become_zero(pair):
    zset(pair, "a", ("inf", "x"), ("-inf", "y"), (1, "z"))
    zset(pair, "b", ("-inf", "x"), ("inf", "y"), (2, "z"))
    pair.check_script([("ZUNION", 2, "a", "b", "WITHSCORES"), ("ZINTER", 2, "a", "b", "WITHSCORES"),
                       ("ZUNION", 2, "a", "b", "WEIGHTS", 0, 1, "WITHSCORES"),
                       ("ZINTER", 2, "a", "b", "WEIGHTS", 1, 0, "WITHSCORES"),
                       ("ZINTER", 2, "a", "b", "WEIGHTS", 1, 0, "AGGREGATE", "MIN", "WITHSCORES"),
                       ("ZINTER", 2, "a", "b", "WEIGHTS", 1, 0, "AGGREGATE", "MAX", "WITHSCORES"),
                       ("ZUNION", 1, "a", "WEIGHTS", "-0", "WITHSCORES")])


def test_zinter_same_key_twice(pair):
    sets_for_algebra(pair)
    pair.check_script([("ZINTER", 2, "a", "a", "WITHSCORES"), ("ZUNION", 2, "a", "a", "WITHSCORES"),
                       ("ZDIFF", 2, "a", "a"), ("ZINTER", 2, "a", "a", "WEIGHTS", 2, 3, "WITHSCORES")])


def test_zdiff(pair):
    sets_for_algebra(pair)
    pair.check_script([("ZDIFF", 2, "b", "a", "WITHSCORES"), ("ZDIFF", 3, "a", "b", "c"),
                       ("ZDIFF", 1, "b"), ("ZDIFF", 2, "missing", "a"), ("ZDIFF", 2, "a", "missing", "WITHSCORES")])


def test_algebra_missing_keys(pair):
    sets_for_algebra(pair)
    pair.check_script([("ZUNION", 2, "a", "missing", "WITHSCORES"), ("ZINTER", 2, "a", "missing"),
                       ("ZUNION", 2, "missing", "nope"), ("ZINTERCARD", 2, "a", "missing")])


def test_algebra_errors(pair):
    sets_for_algebra(pair)
    for cmd in [("ZUNION", 0, "a"), ("ZUNION", "abc", "a"), ("ZUNION", 2, "a"), ("ZUNION", -1, "a"),
                ("ZUNION", 1, "a", "WEIGHTS", "abc"), ("ZUNION", 1, "a", "WEIGHTS", 1, 2),
                ("ZUNION", 1, "a", "WEIGHTS"), ("ZUNION", 1, "a", "AGGREGATE", "foo"), ("ZUNION", 1, "a", "AGGREGATE"),
                ("ZUNIONSTORE", "d", 1, "a", "WITHSCORES"), ("ZDIFF", 1, "a", "WEIGHTS", 1),
                ("ZDIFF", 1, "a", "AGGREGATE", "SUM"), ("ZDIFFSTORE", "d", 0, "a"), ("ZINTERSTORE", "d", 0, "a"),
                ("ZINTER", 0, "a"), ("ZUNION", LLONG_MAX, "a"), ("ZINTER", 1, "a", "LIMIT", 1),
                ("ZUNION", 1, "a", "WEIGHTS", "nan"), ("ZUNION", 1, "a", "WEIGHTS", "1e400")]:
        pair.check(*cmd)
    pair.check_script([("SET", "s", "x"), ("ZUNION", 2, "a", "s"), ("ZUNION", 2, "s", "missing", "WEIGHTS", "x", 1),
                       ("ZUNION", 2, "a", "missing", "WEIGHTS", "x", 1), ("ZINTERSTORE", "d", 2, "a", "s")])


def test_store_commands(pair):
    sets_for_algebra(pair)
    pair.check_script([("ZUNIONSTORE", "d", 3, "a", "b", "c", "WEIGHTS", 1, 2, 3), ("ZRANGE", "d", 0, -1, "WITHSCORES"),
                       ("ZINTERSTORE", "d", 2, "a", "b", "AGGREGATE", "MAX"), ("ZRANGE", "d", 0, -1, "WITHSCORES"),
                       ("ZDIFFSTORE", "d", 2, "b", "a"), ("ZRANGE", "d", 0, -1, "WITHSCORES"),
                       ("OBJECT", "ENCODING", "d")])


def test_store_empty_result_deletes_destination(pair):
    sets_for_algebra(pair)
    pair.check_script([("SET", "d", "x"), ("ZINTERSTORE", "d", 2, "a", "missing"), ("EXISTS", "d"),
                       ("ZADD", "d", 1, "q"), ("ZDIFFSTORE", "d", 2, "a", "a"), ("EXISTS", "d"),
                       ("ZUNIONSTORE", "d", 1, "missing"), ("EXISTS", "d")])


def test_store_clears_ttl_and_can_overwrite_an_input(pair):
    sets_for_algebra(pair)
    pair.check_script([("EXPIRE", "a", 1000), ("ZUNIONSTORE", "a", 2, "a", "b"), ("TTL", "a"),
                       ("ZRANGE", "a", 0, -1, "WITHSCORES")])


def test_store_negative_zero_in_listpack_and_skiplist(small):
    zset(small, "a", (0, "x"), (1, "y"))
    small.check_script([("ZUNIONSTORE", "d", 1, "a", "WEIGHTS", -1), ("ZRANGE", "d", 0, -1, "WITHSCORES"),
                        ("ZUNION", 1, "a", "WEIGHTS", -1, "WITHSCORES")])
    zset(small, "b", (0, "x"), (1, "y"), (2, "z"), (3, "w"), (4, "v"))
    small.check_script([("ZUNIONSTORE", "d", 1, "b", "WEIGHTS", -1), ("OBJECT", "ENCODING", "d"),
                        ("ZRANGE", "d", 0, -1, "WITHSCORES"), ("ZSCORE", "d", "x")])


def test_store_encoding_follows_limits(small):
    zset(small, "a", (1, "x"), (2, "y"), (3, "z"))
    zset(small, "b", (1, "p"), (2, "q"))
    small.check_script([("ZUNIONSTORE", "d", 2, "a", "b"), ("OBJECT", "ENCODING", "d"),
                        ("ZINTERSTORE", "d", 2, "a", "a"), ("OBJECT", "ENCODING", "d"),
                        ("ZADD", "e", 1, "longmember"), ("ZUNIONSTORE", "d", 1, "e"), ("OBJECT", "ENCODING", "d")])


def test_zintercard(pair):
    sets_for_algebra(pair)
    for args in [(2, "a", "b"), (3, "a", "b", "c"), (2, "a", "b", "LIMIT", 1), (2, "a", "b", "LIMIT", 0),
                 (1, "a", "LIMIT", 100), (1, "missing"), (0, "a"), (-1, "a"), ("abc", "a"), (2, "a"),
                 (1, "a", "LIMIT", -1), (1, "a", "LIMIT", "x"), (1, "a", "LIMIT"), (1, "a", "WEIGHTS", 1),
                 (1, "a", "WITHSCORES")]:
        pair.check("ZINTERCARD", *args)


def test_algebra_resp3(resp3):
    sets_for_algebra(resp3)
    resp3.check_script([("ZUNION", 2, "a", "b", "WITHSCORES"), ("ZINTER", 2, "a", "b"),
                        ("ZDIFF", 2, "b", "a", "WITHSCORES")])


def test_algebra_with_skiplists(pair):
    big(pair, "big1", 300)
    big(pair, "big2", 200)
    pair.check_script([("ZINTERSTORE", "d", 2, "big1", "big2", "WEIGHTS", 2, 3), ("ZRANGE", "d", 0, 20, "WITHSCORES"),
                       ("ZDIFFSTORE", "d", 2, "big1", "big2"), ("ZRANGE", "d", 0, -1, "WITHSCORES"),
                       ("OBJECT", "ENCODING", "d"), ("ZUNIONSTORE", "d", 2, "big1", "big2"), ("ZCARD", "d"),
                       ("ZINTERCARD", 2, "big1", "big2", "LIMIT", 50)])


# ----------------------------------------------------------------- ZSCAN ----

def test_zscan_small_set_returns_everything(pair):
    zset(pair, "z", (1, "a"), ("0.1", "b"), ("1e17", "c"), ("inf", "d"), ("-0", "e"), ("-2.5", "f"))
    pair.check_script([("ZSCAN", "z", 0), ("ZSCAN", "z", 0, "COUNT", 1), ("ZSCAN", "z", 123),
                       ("ZSCAN", "z", 0, "MATCH", "[a-c]")])


def test_zscan_options_and_errors(pair):
    abcd(pair)
    for args in [(0, "COUNT", 0), (0, "COUNT", "x"), (0, "TYPE", "zset"), (0, "NOVALUES"), (0, "MATCH"),
                 ("abc",), ("-1",), (0, "match", "*", "count", 5)]:
        pair.check("ZSCAN", "z", *args)
    pair.check_script([("ZSCAN", "missing", 0, "COUNT", 0), ("ZSCAN", "missing", "x"), ("SET", "s", "x"),
                       ("ZSCAN", "s", 0)])


def test_zscan_skiplist_full_iteration(pair):
    big(pair, n=500)
    pair.check("ZADD", "big", "0.1", "frac", "1e17", "huge", "-0", "negzero")
    zscan_all(pair, "big")
    zscan_all(pair, "big", "COUNT", 7)
    zscan_all(pair, "big", "MATCH", "m00*")


# ---------------------------------------------------------------- encodings ----

def test_encoding_conversion_by_count(small):
    small.check_script([("ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d"), ("OBJECT", "ENCODING", "z"),
                        ("ZADD", "z", 5, "e"), ("OBJECT", "ENCODING", "z"), ("ZREM", "z", "a", "b", "c"),
                        ("OBJECT", "ENCODING", "z")])


def test_encoding_conversion_by_member_length(small):
    small.check_script([("ZADD", "z", 1, "12345678"), ("OBJECT", "ENCODING", "z"), ("ZADD", "z", 1, "123456789"),
                        ("OBJECT", "ENCODING", "z"), ("ZADD", "y", 1, "123456789", 2, "a"),
                        ("OBJECT", "ENCODING", "y"), ("ZADD", "x", 1, "a", 2, "123456789"),
                        ("OBJECT", "ENCODING", "x")])


def test_encoding_default_limits(pair):
    pair.check("ZADD", "z", 1, "x" * 64)
    pair.check("OBJECT", "ENCODING", "z")
    pair.check("ZADD", "z", 1, "x" * 65)
    pair.check("OBJECT", "ENCODING", "z")
    big(pair, n=128)
    pair.check("OBJECT", "ENCODING", "big")
    pair.check("ZADD", "big", 1, "one-more")
    pair.check("OBJECT", "ENCODING", "big")


def test_negative_zero_is_kept_only_in_skiplists(small):
    small.check_script([("ZADD", "lp", "-0", "a"), ("ZSCORE", "lp", "a"), ("ZINCRBY", "lp", "-0", "b"),
                        ("ZSCORE", "lp", "b"), ("ZADD", "sl", 1, "a", 2, "b", 3, "c", 4, "d", "-0", "e"),
                        ("ZSCORE", "sl", "e"), ("ZADD", "sl", "-0", "f"), ("ZSCORE", "sl", "f"),
                        ("ZRANGE", "sl", 0, -1, "WITHSCORES"), ("ZSCAN", "lp", 0)])


def test_skiplist_operations_with_small_limits(small):
    zset(small, "z", (1, "a"), (2, "b"), (3, "c"), (4, "d"), (5, "e"), (5, "f"), (6, "g"))
    small.check_script([("ZRANGE", "z", 0, -1, "WITHSCORES"), ("ZRANK", "z", "f"), ("ZREVRANK", "z", "b"),
                        ("ZCOUNT", "z", 2, 5), ("ZRANGEBYSCORE", "z", "(1", 5, "LIMIT", 1, 3),
                        ("ZREVRANGEBYSCORE", "z", 5, "(1", "LIMIT", 1, 3), ("ZPOPMIN", "z", 2),
                        ("ZREMRANGEBYRANK", "z", 1, 2), ("ZRANGE", "z", 0, -1, "WITHSCORES")])


def test_skiplist_lex_ranges_with_equal_scores(small):
    zset(small, "z", *[(0, m) for m in ["a", "b", "c", "d", "e", "f", "g", "h"]])
    for lo, hi in [("-", "+"), ("[b", "(f"), ("(b", "[f"), ("[x", "+"), ("-", "(a"), ("[c", "[c")]:
        small.check("ZRANGEBYLEX", "z", lo, hi)
        small.check("ZRANGEBYLEX", "z", lo, hi, "LIMIT", 1, 2)
        small.check("ZREVRANGEBYLEX", "z", hi, lo, "LIMIT", 1, 2)
        small.check("ZLEXCOUNT", "z", lo, hi)
    small.check_script([("ZREMRANGEBYLEX", "z", "[b", "(f"), ("ZRANGE", "z", 0, -1)])


# ------------------------------------------------------------------ blocking ----

def blocked_pair(pair, ours_server, real_server, *command):
    """Sends a blocking command on fresh connections; returns them (their reply is still pending)."""
    ours_conn, real_conn = ours_server.client(), real_server.client()
    for conn in (ours_conn, real_conn):
        conn.send(*command)
    time.sleep(0.2)
    return ours_conn, real_conn


def read_both(pair, conns, what):
    ours, real = (c.read_reply() for c in conns)
    if ours != real:
        pair.fail("Differential mismatch (blocked client)", what, ours, real)
    for c in conns:
        c.close()
    return real


def test_bzpopmin_serves_at_once_when_possible(pair):
    zset(pair, "z", (1, "a"), (2, "b"))
    pair.check_script([("BZPOPMIN", "missing", "z", 0), ("BZPOPMAX", "z", 0), ("BZPOPMIN", "z", "0.01"),
                       ("BZPOPMIN", "z", "0.05")])


def test_bzpop_timeout_errors(pair):
    for t in ["abc", "-1", "-0.5", "nan", ""]:
        pair.check("BZPOPMIN", "z", t)
    pair.check_script([("SET", "s", "x"), ("BZPOPMAX", "s", 0), ("BZPOPMAX", "missing", "s", 0)])


def test_bzpopmin_wakes_on_zadd(pair, ours, real):
    conns = blocked_pair(pair, ours, real, "BZPOPMIN", "z1", "z2", 5)
    pair.check("ZADD", "z2", 2, "b", 1, "a")
    read_both(pair, conns, ("BZPOPMIN", "z1", "z2", 5))
    pair.check("ZRANGE", "z2", 0, -1, "WITHSCORES")


def test_bzpopmax_wakes_on_zunionstore(pair, ours, real):
    zset(pair, "src", (1, "a"), (2, "b"))
    conns = blocked_pair(pair, ours, real, "BZPOPMAX", "dst", 5)
    pair.check("ZUNIONSTORE", "dst", 1, "src")
    read_both(pair, conns, ("BZPOPMAX", "dst", 5))
    pair.check("ZRANGE", "dst", 0, -1, "WITHSCORES")


def test_bzpopmin_times_out_with_nil(pair, ours, real):
    conns = blocked_pair(pair, ours, real, "BZPOPMIN", "z", "0.1")
    read_both(pair, conns, ("BZPOPMIN", "z", "0.1"))


def test_bzmpop(pair, ours, real):
    zset(pair, "z", (1, "a"), (2, "b"), (3, "c"))
    pair.check_script([("BZMPOP", 0, 2, "missing", "z", "MAX", "COUNT", 2), ("BZMPOP", "0.01", 1, "missing", "MIN"),
                       ("BZMPOP", 0, 0, "z", "MIN"), ("BZMPOP", 0, 1, "z", "MID"), ("BZMPOP", "x", 1, "z", "MIN"),
                       ("BZMPOP", "x", 1, "z", "MID"), ("BZMPOP", -1, 1, "z", "MIN"),
                       ("BZMPOP", 0, 1, "z", "MIN", "COUNT", 0)])
    conns = blocked_pair(pair, ours, real, "BZMPOP", 5, 1, "w", "MIN", "COUNT", 5)
    pair.check("ZADD", "w", 3, "c", 1, "a")
    read_both(pair, conns, ("BZMPOP", 5, 1, "w", "MIN", "COUNT", 5))


def test_blocking_pops_inside_multi_do_not_block(pair):
    pair.check_script([("MULTI",), ("BZPOPMIN", "z", 0), ("BZMPOP", 0, 1, "z", "MAX"), ("ZADD", "z", 1, "a"),
                       ("BZPOPMAX", "z", 0), ("EXEC",)])


def test_bzpop_resp3(resp3, ours, real):
    zset(resp3, "z", (1, "a"), (2, "b"), (3, "c"))
    resp3.check_script([("BZPOPMIN", "z", 0), ("BZMPOP", 0, 1, "z", "MAX", "COUNT", 5), ("BZPOPMIN", "z", "0.01")])


# ---------------------------------------------------------- keyspace events ----

@pytest.fixture(scope="module")
def notify_servers(server_factory):
    args = ("--notify-keyspace-events", "KEA")
    ours = server_factory("ours", *args)
    real = server_factory("real", *args)
    yield ours, real
    ours.stop()
    real.stop()


def test_keyspace_events(notify_servers):
    ours_srv, real_srv = notify_servers
    for s in notify_servers:
        s.flushall()
    subs = [ours_srv.client(), real_srv.client()]
    for s in subs:
        s.call("PSUBSCRIBE", "__keyevent@0__:*")
    p = Pair(ours_srv.client(), real_srv.client())
    p.check_script([("ZADD", "z", 1, "a", 2, "b", 3, "c"), ("ZADD", "z", 1, "a"), ("ZINCRBY", "z", 1, "a"),
                    ("ZADD", "z", "INCR", 1, "b"), ("ZREM", "z", "b"), ("ZPOPMIN", "z"), ("ZADD", "y", 5, "q"),
                    ("ZUNIONSTORE", "u", 2, "y", "z"), ("ZINTERSTORE", "u", 2, "y", "z"),
                    ("ZADD", "w", 1, "a", 2, "b"), ("ZDIFFSTORE", "u", 1, "w"), ("ZRANGESTORE", "r", "w", 0, 0),
                    ("ZRANGESTORE", "r", "w", 5, 6), ("ZREMRANGEBYRANK", "w", 0, 0),
                    ("ZREMRANGEBYSCORE", "u", 1, 1), ("ZREMRANGEBYLEX", "u", "-", "+"), ("ZMPOP", 1, "w", "MAX"),
                    ("ZPOPMAX", "z", 5), ("SET", "marker", 1)])
    for _ in range(200):
        o, r = subs[0].read_reply(), subs[1].read_reply()
        assert o == r, "event mismatch: ours %r, real %r" % (o, r)
        if b"marker" in r:
            break
    for s in subs:
        s.close()
    p.close()


# ---------------------------------------------------------------- random ----

MEMBERS = list("abcdefghijklmnopqrst") + ["1", "10", "-1", "", "x" * 70, b"\x00\xff", "aa", "ab"]
SCORE_KEYS = ["z0", "z1", "z2", "z3", "z4"]
LEX_KEYS = ["lex0", "lex1"]  # all scores 0: lex ranges are well defined for every encoding


class ZGen(object):
    def __init__(self, rng):
        self.r = rng

    def key(self):
        r = self.r
        c = r.random()
        if c < 0.85:
            return r.choice(SCORE_KEYS)
        if c < 0.95:
            return r.choice(LEX_KEYS)
        return r.choice(["str", "missing"])

    def member(self):
        return self.r.choice(MEMBERS)

    def score(self):
        r = self.r
        c = r.random()
        if c < 0.45:
            return r.randint(-5, 5)
        if c < 0.75:
            return r.randint(-5, 5) + 0.5
        if c < 0.97:
            return r.choice(["inf", "-inf", "+inf", "-0", "0.1", "1e17", "2.5e-3", "1.1"])
        return r.choice(["abc", "nan", "", "(1"])

    def score_bound(self):
        r = self.r
        b = r.choice([lambda: str(r.randint(-6, 6)), lambda: "%s" % (r.randint(-6, 6) + 0.5),
                      lambda: r.choice(["-inf", "+inf", "inf", "1e400", "", "x", "(x", "((1"])])()
        return ("(" + b) if r.random() < 0.3 else b

    def lex_bound(self):
        r = self.r
        c = r.random()
        if c < 0.2:
            return r.choice(["-", "+"])
        if c < 0.9:
            m = self.member()
            m = m if isinstance(m, bytes) else m.encode()
            return r.choice([b"[", b"("]) + m
        return r.choice(["a", "", "+x"])

    def limit(self):
        r = self.r
        if r.random() < 0.3:
            return ["LIMIT", r.choice([0, 1, 2, 5, -1]), r.choice([0, 1, 3, -1, 100])]
        return []

    def zadd(self):
        r = self.r
        k = self.key()
        lex = k in LEX_KEYS
        opts = []
        if not lex:
            for opt in ["NX", "XX", "GT", "LT", "CH", "INCR"]:
                if r.random() < 0.08:
                    opts.append(opt)
        else:
            opts = r.choice([[], [], ["NX"], ["XX"], ["CH"]])
        pairs = []
        for _ in range(1 if "INCR" in opts and r.random() < 0.9 else r.randint(1, 8)):
            pairs += [0 if lex else self.score(), self.member()]
        return ["ZADD", k] + opts + pairs

    def range_cmd(self):
        r = self.r
        k = self.key()
        kind = r.choice(["rank", "score", "lex"])
        if kind == "lex" and k not in LEX_KEYS and r.random() < 0.8:
            k = r.choice(LEX_KEYS)
        rev = r.random() < 0.4
        ws = r.random() < 0.4
        if kind == "rank":
            a, b = r.randint(-8, 8), r.randint(-8, 8)
            form = r.choice(["ZRANGE", "ZRANGE", "ZREVRANGE", "ZREVRANGE", "ZRANGESTORE"])
            if form == "ZREVRANGE":
                return ["ZREVRANGE", k, a, b] + (["WITHSCORES"] if ws else [])
            if form == "ZRANGESTORE":
                return ["ZRANGESTORE", r.choice(SCORE_KEYS), k, a, b] + (["REV"] if rev else [])
            return ["ZRANGE", k, a, b] + (["REV"] if rev else []) + (["WITHSCORES"] if ws else [])
        if kind == "score":
            lo, hi = self.score_bound(), self.score_bound()
            form = r.choice(["ZRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE"] * 3 + ["ZRANGESTORE"])
            if form == "ZRANGE":
                return ["ZRANGE", k, lo, hi, "BYSCORE"] + (["REV"] if rev else []) + self.limit() + \
                    (["WITHSCORES"] if ws else [])
            if form == "ZRANGESTORE":
                return ["ZRANGESTORE", r.choice(SCORE_KEYS), k, lo, hi, "BYSCORE"] + (["REV"] if rev else []) + \
                    self.limit()
            return [form, k, lo, hi] + (["WITHSCORES"] if ws else []) + self.limit()
        lo, hi = self.lex_bound(), self.lex_bound()
        form = r.choice(["ZRANGE", "ZRANGEBYLEX", "ZREVRANGEBYLEX"] * 3 + ["ZRANGESTORE"])
        if form == "ZRANGE":
            return ["ZRANGE", k, lo, hi, "BYLEX"] + (["REV"] if rev else []) + self.limit()
        if form == "ZRANGESTORE":
            dst = r.choice(LEX_KEYS) if k in LEX_KEYS else r.choice(SCORE_KEYS)
            return ["ZRANGESTORE", dst, k, lo, hi, "BYLEX"] + (["REV"] if rev else []) + self.limit()
        return [form, k, lo, hi] + self.limit()

    def range_kind(self, cmd):
        """Member ranges over sets with mixed scores are only defined for the listpack encoding."""
        lex = "BYLEX" in cmd or cmd[0] in ("ZRANGEBYLEX", "ZREVRANGEBYLEX")
        src = cmd[2] if cmd[0] == "ZRANGESTORE" else cmd[1]
        return ("lex-mixed" if lex and src not in LEX_KEYS else "exact"), cmd

    def algebra(self):
        r = self.r
        n = r.randint(1, 3)
        keys = [r.choice(SCORE_KEYS + ["missing"] + (["str"] if r.random() < 0.1 else [])) for _ in range(n)]
        op = r.choice(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD"])
        store = op.endswith("STORE")
        cmd = [op] + ([r.choice(SCORE_KEYS)] if store else []) + [n] + keys
        if op == "ZINTERCARD":
            return cmd + (["LIMIT", r.choice([0, 1, 2, 5])] if r.random() < 0.5 else [])
        if "DIFF" not in op:
            if r.random() < 0.4:
                cmd += ["WEIGHTS"] + [r.choice([1, 2, -1, 0, "0.5", "inf"]) for _ in range(n)]
            if r.random() < 0.4:
                cmd += ["AGGREGATE", r.choice(["SUM", "MIN", "MAX"])]
        if not store and r.random() < 0.5:
            cmd.append("WITHSCORES")
        return cmd

    def next(self):
        r = self.r
        k = self.key
        choices = [
            (20, lambda: ("exact", self.zadd())),
            (4, lambda: ("exact", ["ZINCRBY", r.choice(SCORE_KEYS), self.score(), self.member()])),
            (4, lambda: ("exact", ["ZREM", k()] + [self.member() for _ in range(r.randint(1, 2))])),
            (2, lambda: ("exact", ["ZCARD", k()])),
            (4, lambda: ("exact", ["ZSCORE", k(), self.member()])),
            (2, lambda: ("exact", ["ZMSCORE", k()] + [self.member() for _ in range(r.randint(1, 3))])),
            (4, lambda: ("exact", [r.choice(["ZRANK", "ZREVRANK"]), k(), self.member()])),
            (3, lambda: ("exact", ["ZCOUNT", k(), self.score_bound(), self.score_bound()])),
            (2, lambda: ("exact", ["ZLEXCOUNT", r.choice(LEX_KEYS), self.lex_bound(), self.lex_bound()])),
            (16, lambda: self.range_kind(self.range_cmd())),
            (1, lambda: ("exact", ["ZREMRANGEBYRANK", k(), r.randint(-6, 6), r.randint(-6, 6)])),
            (1, lambda: ("exact", ["ZREMRANGEBYSCORE", k(), self.score_bound(), self.score_bound()])),
            (1, lambda: ("exact", ["ZREMRANGEBYLEX", r.choice(LEX_KEYS), self.lex_bound(), self.lex_bound()])),
            (2, lambda: ("exact", [r.choice(["ZPOPMIN", "ZPOPMAX"]), k()] + r.choice([[], [1], [3], [0]]))),
            (1, lambda: ("exact", ["ZMPOP", 2, k(), k(), r.choice(["MIN", "MAX"])] + r.choice([[], ["COUNT", 2]]))),
            (0.5, lambda: ("exact", ["BZPOPMIN", k(), k(), "0.01"])),
            (0.5, lambda: ("exact", ["BZMPOP", "0.01", 1, k(), "MAX", "COUNT", 2])),
            (2, lambda: ("exact", ["ZRANDMEMBER", k(), r.choice([0, 1000])] + r.choice([[], ["WITHSCORES"]]))),
            (1, lambda: ("shape", ["ZRANDMEMBER", k(), r.choice([2, -3])])),
            (6, lambda: ("exact", self.algebra())),
            (2, lambda: ("zscan", ["ZSCAN", k(), 0] + r.choice([[], ["MATCH", "[a-e]"], ["COUNT", 3]]))),
            (2, lambda: ("exact", ["OBJECT", "ENCODING", k()])),
            (0.3, lambda: ("exact", ["DEL", k()])),
            (0.5, lambda: ("exact", ["SET", "str", "x"])),
        ]
        total = sum(w for w, _ in choices)
        x = r.uniform(0, total)
        for w, f in choices:
            x -= w
            if x <= 0:
                return f()
        return choices[0][1]()


def run_random(pair, seed, ops):
    gen = ZGen(random.Random(seed))
    for i in range(ops):
        kind, cmd = gen.next()
        pair.context = "seed=%d op=%d/%d (replay: DIFF_SEED=%d DIFF_OPS=%d)" % (seed, i, ops, seed, ops)
        if kind == "exact":
            pair.check(*cmd)
        elif kind == "shape":
            check_set_size(pair, *cmd)
        elif kind == "zscan":
            if pair.check("OBJECT", "ENCODING", cmd[1]) == b"$8\r\nskiplist\r\n":
                zscan_all(pair, cmd[1], *cmd[3:])
            else:
                pair.check(*cmd)
        elif kind == "lex-mixed":
            src = cmd[2] if cmd[0] == "ZRANGESTORE" else cmd[1]
            if pair.check("OBJECT", "ENCODING", src) != b"$8\r\nskiplist\r\n":
                pair.check(*cmd)
        else:
            raise AssertionError(kind)
    pair.context = "seed=%d final state" % seed
    for key in SCORE_KEYS + LEX_KEYS:
        pair.check("ZRANGE", key, 0, -1, "WITHSCORES")
        pair.check("OBJECT", "ENCODING", key)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_zset_commands(pair, seed):
    run_random(pair, seed, OPS)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_random_zset_commands_small_limits(small, seed):
    """The same stream where sets of more than 4 members (or members over 8 bytes) are skiplists."""
    run_random(small, seed + 1, OPS)
