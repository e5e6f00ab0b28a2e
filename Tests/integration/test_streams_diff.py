"""Differential tests for the stream commands without consumer groups (Redis 7.0.15 semantics): XADD, XRANGE,
XREVRANGE, XLEN, XDEL, XTRIM, XSETID, non-blocking XREAD, XINFO STREAM, in RESP2 and RESP3, byte for byte.
IDs are given explicitly wherever `*` would depend on the clock."""

import os
import random

import pytest

from hashset_checks import use_resp3


@pytest.fixture(autouse=True)
def default_node_limits(pair):
    """Tests that change the node limits leave the shared servers at Redis's defaults."""
    yield
    pair.both("CONFIG", "SET", "stream-node-max-entries", "100")
    pair.both("CONFIG", "SET", "stream-node-max-bytes", "4096")


def both_protocols(pair, commands):
    pair.check_script(commands)
    use_resp3(pair)
    pair.check_script(commands)


def fill(pair, key, n, start=1, fields=("f", "v")):
    for i in range(start, start + n):
        pair.check("XADD", key, "%d-1" % i, *fields)


# ---------------------------------------------------------------- XADD ----

def test_xadd_explicit_and_partial_ids(pair):
    pair.check_script([("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "1-*", "a", "2"), ("XADD", "s", "5", "b", "3"),
                       ("XADD", "s", "5-*", "c", "4"), ("XADD", "s", "7-0", "d", "5"), ("XLEN", "s"),
                       ("XRANGE", "s", "-", "+")])


def test_xadd_id_errors(pair):
    pair.check_script([("XADD", "s", "5-5", "a", "1"), ("XADD", "s", "5-5", "a", "1"), ("XADD", "s", "5-4", "a", "1"),
                       ("XADD", "s", "4-*", "a", "1"), ("XADD", "t", "0-0", "a", "1"), ("XADD", "t", "0", "a", "1"),
                       ("EXISTS", "t"), ("XADD", "s", "-", "a", "1"), ("XADD", "s", "+", "a", "1"),
                       ("XADD", "s", "x-1", "a", "1"), ("XADD", "s", "1-x", "a", "1"), ("XADD", "s", "-1", "a", "1"),
                       ("XADD", "s", "18446744073709551616-0", "a", "1"), ("XADD", "s", " 6", "a", "1"),
                       ("XADD", "s", "+7-1", "a", "1"), ("XADD", "s", "09-01", "a", "1"), ("XRANGE", "s", "-", "+")])


def test_xadd_last_possible_id(pair):
    pair.check_script([("XADD", "s", "18446744073709551615-18446744073709551614", "a", "1"),
                       ("XADD", "s", "18446744073709551615-*", "a", "1"),
                       ("XADD", "s", "18446744073709551615-*", "a", "1"), ("XADD", "s", "*", "a", "1")])


def test_xadd_arity_and_options(pair):
    pair.check_script([("XADD", "s", "1-1", "a"), ("XADD", "s", "1-1", "a", "1", "b"), ("XADD", "s", "1-1"),
                       ("XADD", "s", "MAXLEN", "1-1", "a", "1"), ("XADD", "s", "MAXLEN", "-1", "1-1", "a", "1"),
                       ("XADD", "s", "MAXLEN", "1", "MINID", "1", "1-1", "a", "1"),
                       ("XADD", "s", "LIMIT", "5", "1-1", "a", "1"), ("XADD", "s", "LIMIT", "0", "1-1", "a", "1"),
                       ("XADD", "s", "MAXLEN", "5", "LIMIT", "5", "2-1", "a", "1"),
                       ("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "3-1", "a", "1"),
                       ("XADD", "s", "MINID", "~", "+", "4-1", "a", "1"), ("XADD", "s", "FOO", "a", "1"),
                       ("XRANGE", "s", "-", "+")])


def test_xadd_nomkstream(pair):
    both_protocols(pair, [("XADD", "s", "NOMKSTREAM", "1-1", "a", "1"), ("EXISTS", "s"),
                          ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "NOMKSTREAM", "2-1", "a", "1"),
                          ("DEL", "s")])


def test_xadd_wrong_type(pair):
    pair.check_script([("SET", "str", "x"), ("XADD", "str", "1-1", "a", "1"), ("XLEN", "str"),
                       ("XRANGE", "str", "-", "+"), ("XDEL", "str", "1-1"), ("XTRIM", "str", "MAXLEN", "1")])


def test_xadd_binary_integer_and_empty_values(pair):
    pair.check_script([("XADD", "s", "1-1", b"\x00bin\xff", b"\r\n", "", ""),
                       ("XADD", "s", "2-1", "n", "-4096", "m", "9223372036854775807", "o", "-9223372036854775808"),
                       ("XADD", "s", "3-1", "n", "012", "m", "1.5", "o", "-0"), ("XRANGE", "s", "-", "+")])


# --------------------------------------------------------- XRANGE family ----

def test_xrange_bounds_and_count(pair):
    fill(pair, "s", 6)
    both_protocols(pair, [("XRANGE", "s", "-", "+"), ("XRANGE", "s", "2", "4"), ("XRANGE", "s", "(2-1", "(5-1"),
                          ("XRANGE", "s", "2-2", "4-0"), ("XRANGE", "s", "-", "+", "COUNT", "2"),
                          ("XRANGE", "s", "-", "+", "COUNT", "0"), ("XRANGE", "s", "-", "+", "COUNT", "-3"),
                          ("XRANGE", "s", "5", "2"), ("XRANGE", "nokey", "-", "+"),
                          ("XREVRANGE", "s", "+", "-"), ("XREVRANGE", "s", "(5-1", "(2-1", "COUNT", "2"),
                          ("XREVRANGE", "s", "4", "-", "COUNT", "1"), ("XREVRANGE", "nokey", "+", "-")])


def test_xrange_bound_errors(pair):
    fill(pair, "s", 2)
    pair.check_script([("XRANGE", "s", "(-", "+"), ("XRANGE", "s", "-", "(+"), ("XRANGE", "s", "(", "+"),
                       ("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"),
                       ("XRANGE", "s", "-", "(0-0"), ("XRANGE", "s", "x", "+"), ("XRANGE", "s", "-", "+", "COUNT"),
                       ("XRANGE", "s", "-", "+", "COUNT", "x"), ("XRANGE", "s", "-", "+", "LIMIT", "1"),
                       ("XRANGE", "s", "-"), ("XREVRANGE", "s", "(-", "-")])


def test_xrange_spans_many_nodes(pair):
    for i in range(1, 260):
        pair.check("XADD", "s", "%d-%d" % (i // 7, i % 7), "f", i, "g" if i % 3 else "h", "x" * (i % 5))
    pair.check_script([("XRANGE", "s", "-", "+"), ("XREVRANGE", "s", "+", "-"), ("XRANGE", "s", "10", "20-3"),
                       ("XREVRANGE", "s", "30-2", "13", "COUNT", "9"), ("XLEN", "s")])


# ------------------------------------------------------------- XDEL ----

def test_xdel_counts_and_tombstones(pair):
    fill(pair, "s", 5)
    both_protocols(pair, [("XDEL", "s", "2-1", "2-1", "9-9", "4-1"), ("XLEN", "s"), ("XRANGE", "s", "-", "+"),
                          ("XDEL", "s", "1-1"), ("XINFO", "STREAM", "s"), ("XDEL", "nokey", "1-1"),
                          ("XADD", "s", "20-1", "f", "v")])


def test_xdel_invalid_id_deletes_nothing(pair):
    fill(pair, "s", 3)
    pair.check_script([("XDEL", "s", "1-1", "bad"), ("XDEL", "s", "-"), ("XLEN", "s")])


def test_xdel_last_entry_keeps_the_empty_stream(pair):
    pair.check_script([("XADD", "s", "1-1", "f", "v"), ("XDEL", "s", "1-1"), ("EXISTS", "s"), ("XLEN", "s"),
                       ("TYPE", "s"), ("XINFO", "STREAM", "s"), ("XADD", "s", "1-1", "f", "v"),
                       ("XADD", "s", "1-2", "f", "v")])


# ------------------------------------------------------------- XTRIM ----

def test_xtrim_exact(pair):
    fill(pair, "s", 10)
    pair.check_script([("XTRIM", "s", "MAXLEN", "7"), ("XTRIM", "s", "MAXLEN", "=", "5"),
                       ("XTRIM", "s", "MINID", "8"), ("XTRIM", "s", "MINID", "=", "8-1"), ("XRANGE", "s", "-", "+"),
                       ("XINFO", "STREAM", "s"), ("XTRIM", "s", "MAXLEN", "0"), ("XINFO", "STREAM", "s"),
                       ("XTRIM", "nokey", "MAXLEN", "0")])


def test_xtrim_approximate_removes_whole_nodes_only(pair):
    pair.check("CONFIG", "SET", "stream-node-max-entries", "4")
    fill(pair, "s", 30)
    pair.check_script([("XTRIM", "s", "MAXLEN", "~", "25"), ("XTRIM", "s", "MAXLEN", "~", "21"),
                       ("XTRIM", "s", "MAXLEN", "~", "10", "LIMIT", "4"), ("XTRIM", "s", "MINID", "~", "20"),
                       ("XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "0"), ("XINFO", "STREAM", "s")])


def test_xtrim_approximate_with_node_bytes_limit(pair):
    pair.check("CONFIG", "SET", "stream-node-max-bytes", "200")
    for i in range(1, 40):
        pair.check("XADD", "s", "%d-1" % i, "field", "v" * (i % 13))
    pair.check_script([("XINFO", "STREAM", "s"), ("XTRIM", "s", "MAXLEN", "~", "20"), ("XINFO", "STREAM", "s"),
                       ("XADD", "s", "MAXLEN", "~", "5", "100-1", "f", "v"), ("XINFO", "STREAM", "s")])


def test_xtrim_errors(pair):
    fill(pair, "s", 3)
    pair.check_script([("XTRIM", "s"), ("XTRIM", "s", "MAXLEN"), ("XTRIM", "s", "FOO", "1"),
                       ("XTRIM", "s", "LIMIT", "1"), ("XTRIM", "s", "MAXLEN", "1", "LIMIT", "1"),
                       ("XTRIM", "s", "MAXLEN", "~"), ("XTRIM", "s", "MAXLEN", "~", "x"),
                       ("XTRIM", "s", "MINID", "1", "MAXLEN", "1"), ("XTRIM", "s", "MINID", "-"),
                       ("XTRIM", "s", "MAXLEN", "-5"), ("XTRIM", "s", "MAXLEN", "1", "x"), ("XLEN", "s")])


def test_xadd_trims_after_adding(pair):
    fill(pair, "s", 5)
    pair.check_script([("XADD", "s", "MAXLEN", "3", "6-1", "f", "v"), ("XADD", "s", "MINID", "5", "7-1", "f", "v"),
                       ("XADD", "s", "MAXLEN", "0", "8-1", "f", "v"), ("XINFO", "STREAM", "s")])


# ------------------------------------------------------------ XSETID ----

def test_xsetid_and_its_errors(pair):
    fill(pair, "s", 3)
    both_protocols(pair, [("XSETID", "s", "2-1"), ("XSETID", "s", "3-1"), ("XSETID", "s", "10-1"),
                          ("XSETID", "s", "11-1", "ENTRIESADDED", "2"), ("XSETID", "s", "11-1", "ENTRIESADDED", "-1"),
                          ("XSETID", "s", "11-1", "MAXDELETEDID", "12-1"),
                          ("XSETID", "s", "12-1", "ENTRIESADDED", "9", "MAXDELETEDID", "11-5"),
                          ("XSETID", "s", "11-6"), ("XSETID", "s", "+"), ("XSETID", "s", "12-1", "FOO", "1"),
                          ("XSETID", "nokey", "1-1"), ("XINFO", "STREAM", "s"), ("XADD", "s", "12-1", "f", "v")])


# ------------------------------------------------------ XREAD (no block) ----

def test_xread_non_blocking(pair):
    fill(pair, "a", 4)
    fill(pair, "b", 2, start=10)
    both_protocols(pair, [("XREAD", "STREAMS", "a", "0"), ("XREAD", "COUNT", "2", "STREAMS", "a", "b", "1-1", "0"),
                          ("XREAD", "STREAMS", "a", "b", "$", "$"), ("XREAD", "STREAMS", "a", "nokey", "3", "0"),
                          ("XREAD", "STREAMS", "nokey", "0"), ("XREAD", "COUNT", "0", "STREAMS", "a", "3-1"),
                          ("XREAD", "COUNT", "-1", "STREAMS", "a", "3-1")])


def test_xread_errors(pair):
    fill(pair, "a", 2)
    pair.check_script([("SET", "str", "x"), ("XREAD", "STREAMS", "a"), ("XREAD", "STREAMS", "a", "b", "0"),
                       ("XREAD", "STREAMS", "a", "str", "0", "0"), ("XREAD", "STREAMS", "a", ">"),
                       ("XREAD", "STREAMS", "a", "-"), ("XREAD", "GROUP", "g", "c", "STREAMS", "a", "0"),
                       ("XREAD", "NOACK", "STREAMS", "a", "0"), ("XREAD", "COUNT", "x", "STREAMS", "a", "0"),
                       ("XREAD", "BLOCK", "x", "STREAMS", "a", "0"), ("XREAD", "BLOCK", "-1", "STREAMS", "a", "0"),
                       ("XREAD", "FOO", "STREAMS", "a", "0"), ("XREAD", "COUNT", "1", "a", "0")])


def test_xread_block_inside_multi_replies_null(pair):
    pair.check_script([("MULTI",), ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), ("EXEC",)])
    use_resp3(pair)
    pair.check_script([("MULTI",), ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), ("EXEC",)])


# ------------------------------------------------------------- XINFO ----

def test_xinfo_stream_fields_in_order(pair):
    fill(pair, "s", 5, fields=("a", "1", "b", "2"))
    pair.check("XADD", "s", "9-1", "other", "x")
    pair.check("XDEL", "s", "3-1")
    both_protocols(pair, [("XINFO", "STREAM", "s"), ("XINFO", "STREAM", "s", "FULL"),
                          ("XINFO", "STREAM", "s", "FULL", "COUNT", "2"), ("XINFO", "STREAM", "s", "FULL", "COUNT", "0"),
                          ("XINFO", "STREAM", "s", "FULL", "COUNT", "-1"), ("XINFO", "STREAM", "s", "FOO"),
                          ("XINFO", "STREAM", "s", "FULL", "LIMIT", "1"), ("XINFO", "STREAM", "s", "FULL", "COUNT"),
                          ("XINFO", "STREAM", "nokey"), ("XINFO", "HELP"), ("XINFO", "FOO"), ("XINFO", "STREAM")])


def test_xinfo_radix_tree_nodes_match(pair):
    pair.check("CONFIG", "SET", "stream-node-max-entries", "2")
    for i, ms in enumerate([1, 2, 3, 256, 257, 65536, 65537, 1 << 32, (1 << 32) + 5, 1 << 40, 1 << 56, (1 << 63) + 1]):
        for seq in (0, 1, 300):
            pair.check("XADD", "s", "%d-%d" % (ms, seq), "f", i)
        pair.check("XINFO", "STREAM", "s")
    for ms in [2, 257, 65537, 1 << 40]:
        pair.check("XTRIM", "s", "MINID", "%d" % ms)
        pair.check("XINFO", "STREAM", "s")


# --------------------------------------------------------- types / config ----

def test_type_encoding_scan_and_copy(pair):
    fill(pair, "s", 3)
    pair.check("XGROUP", "CREATE", "s", "g", "0")
    pair.check_script([("TYPE", "s"), ("OBJECT", "ENCODING", "s"), ("SET", "x", "1"), ("SCAN", "0", "TYPE", "stream"),
                       ("COPY", "s", "s2"), ("XRANGE", "s2", "-", "+"), ("XINFO", "GROUPS", "s2"),
                       ("XADD", "s2", "9-1", "f", "v"), ("XLEN", "s"), ("XLEN", "s2")])


def test_stream_node_config_get_set(pair):
    pair.check_script([("CONFIG", "GET", "stream-node-max-bytes"), ("CONFIG", "GET", "stream-node-max-entries"),
                       ("CONFIG", "SET", "stream-node-max-bytes", "1kb"),
                       ("CONFIG", "GET", "stream-node-max-bytes"), ("CONFIG", "SET", "stream-node-max-entries", "0"),
                       ("CONFIG", "SET", "stream-node-max-entries", "-1"), ("CONFIG", "SET", "stream-node-max-bytes", "x"),
                       ("CONFIG", "GET", "stream-node-max-entries")])


def test_zero_node_limits_put_everything_in_one_node(pair):
    pair.check("CONFIG", "SET", "stream-node-max-entries", "0")
    pair.check("CONFIG", "SET", "stream-node-max-bytes", "0")
    fill(pair, "s", 300)
    pair.check_script([("XINFO", "STREAM", "s"), ("XTRIM", "s", "MAXLEN", "~", "10"), ("XLEN", "s")])


# ------------------------------------------------------ seeded random ----

SEED = int(os.environ.get("DIFF_SEED", "1234"))


@pytest.mark.parametrize("seed", [SEED, SEED + 1, SEED + 2])
def test_random_stream_commands(pair, seed):
    rng = random.Random(seed)
    pair.context = "seed %d" % seed
    pair.check("CONFIG", "SET", "stream-node-max-entries", str(rng.choice([2, 3, 5, 100])))
    keys = ["s1", "s2"]
    ms = {k: 0 for k in keys}
    for _ in range(int(os.environ.get("DIFF_OPS", "400"))):
        k = rng.choice(keys)
        op = rng.random()
        if op < 0.45:
            ms[k] += rng.choice([0, 1, 1, 2, 50])
            idarg = rng.choice(["%d-*" % ms[k], "%d-%d" % (ms[k], rng.randint(0, 3)), str(ms[k])])
            nf = rng.randint(1, 3)
            fields = []
            for j in range(nf):
                fields += [rng.choice(["a", "b", "c", "f%d" % j]), rng.choice(["1", "-7", "x", "", "v" * rng.randint(1, 90)])]
            trim = []
            if rng.random() < 0.2:
                trim = [rng.choice(["MAXLEN", "MINID"]), rng.choice(["~", "=", None])]
                trim = [t for t in trim if t]
                trim.append(str(rng.randint(0, 30)) if trim[0] == "MAXLEN" else "%d" % max(0, ms[k] - rng.randint(0, 40)))
            pair.check("XADD", k, *(trim + [idarg] + fields))
        elif op < 0.6:
            pair.check("XDEL", k, *["%d-%d" % (rng.randint(0, ms[k] + 1), rng.randint(0, 3)) for _ in range(3)])
        elif op < 0.68:
            pair.check("XTRIM", k, rng.choice(["MAXLEN", "MINID"]), rng.choice(["~", "="]), str(rng.randint(0, 40)))
        elif op < 0.8:
            a, b = sorted([rng.randint(0, ms[k] + 1), rng.randint(0, ms[k] + 1)])
            cmd = rng.choice(["XRANGE", "XREVRANGE"])
            lo, hi = rng.choice([("%d" % a, "%d" % b), ("(%d-1" % a, "+"), ("-", "(%d-0" % max(b, 1))])
            args = (k, lo, hi) if cmd == "XRANGE" else (k, hi, lo)
            pair.check(cmd, *(args + (("COUNT", rng.randint(1, 5)) if rng.random() < 0.3 else ())))
        elif op < 0.9:
            pair.check("XREAD", "COUNT", rng.randint(1, 4), "STREAMS", "s1", "s2",
                       "%d" % rng.randint(0, ms["s1"] + 1), "%d" % rng.randint(0, ms["s2"] + 1))
        else:
            pair.check("XINFO", "STREAM", k, *(("FULL",) if rng.random() < 0.5 else ()))
    for k in keys:
        pair.check("XRANGE", k, "-", "+")
        pair.check("XINFO", "STREAM", k, "FULL", "COUNT", "0")
