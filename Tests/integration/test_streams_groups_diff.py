"""Differential tests for stream consumer groups (Redis 7.0.15): XGROUP, XREADGROUP (new entries and history),
XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO GROUPS/CONSUMERS/STREAM FULL, in RESP2 and RESP3.

Replies are compared byte for byte, except the parts that are wall-clock readings on each server (idle times,
delivery and seen times): those replies are decoded and such numbers masked before comparing."""

import os
import random

import pytest

from hashset_checks import use_resp3
from resp import RespMap, decode

TIME_KEYS = {b"idle", b"seen-time"}


def masked(value, idle_positions=()):
    """Times masked: integers that look like Unix ms, the values of idle/seen-time fields, and list positions
    named in `idle_positions` of 4-element PEL rows."""
    if isinstance(value, RespMap):
        return [(k, "T" if k in TIME_KEYS else masked(v, idle_positions)) for k, v in value]
    if isinstance(value, list):
        if len(value) % 2 == 0 and any(value[i] in TIME_KEYS for i in range(0, len(value), 2)
                                       if isinstance(value[i], bytes)):
            out = []
            for i in range(0, len(value), 2):
                out += [value[i], "T" if value[i] in TIME_KEYS else masked(value[i + 1], idle_positions)]
            return out
        out = [masked(v, idle_positions) for v in value]
        if len(value) == 4 and isinstance(value[0], bytes) and b"-" in value[0] and isinstance(value[2], int):
            for p in idle_positions:
                out[p] = "I"
        return out
    if isinstance(value, int) and value > 10 ** 12:
        return "T"
    return value


def check_masked(pair, *args, idle=False):
    ours, real = pair.both(*args)
    a, b = masked(decode(ours), (2,) if idle else ()), masked(decode(real), (2,) if idle else ())
    assert a == b, "%r\n ours: %r\n real: %r" % (args, ours, real)
    assert (ours[:1] == real[:1]), (ours, real)


def setup_stream(pair, n=5, key="s"):
    for i in range(1, n + 1):
        pair.check("XADD", key, "%d-1" % i, "f", i)


# ------------------------------------------------------------ XGROUP ----

def test_xgroup_create_variants_and_errors(pair):
    setup_stream(pair)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "$"), ("XGROUP", "CREATE", "s", "g", "0"),
                       ("XGROUP", "CREATE", "s", "g1", "0", "ENTRIESREAD", "3"),
                       ("XGROUP", "CREATE", "s", "g2", "2-1", "ENTRIESREAD", "-1"),
                       ("XGROUP", "CREATE", "s", "g3", "0", "ENTRIESREAD", "-2"),
                       ("XGROUP", "CREATE", "s", "g3", "0", "ENTRIESREAD", "x"),
                       ("XGROUP", "CREATE", "s", "g3", "+"), ("XGROUP", "CREATE", "s", "g3", "bad"),
                       ("XGROUP", "CREATE", "s", "g3", "0", "FOO"), ("XGROUP", "CREATE", "s", "g3", "0", "MKSTREAM", "X", "Y"),
                       ("XGROUP", "CREATE", "nokey", "g", "0"), ("XGROUP", "CREATE", "nokey", "g", "$", "MKSTREAM"),
                       ("XINFO", "STREAM", "nokey"), ("SET", "str", "x"), ("XGROUP", "CREATE", "str", "g", "0"),
                       ("XGROUP", "CREATE", "s"), ("XGROUP", "FOO", "s", "g"), ("XGROUP", "HELP"),
                       ("XGROUP", "HELP", "x"), ("XINFO", "GROUPS", "s")])


def test_xgroup_setid_destroy_consumers(pair):
    setup_stream(pair)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "SETID", "s", "g", "3-1"),
                       ("XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "5"), ("XGROUP", "SETID", "s", "g", "-"),
                       ("XGROUP", "SETID", "s", "g", "0", "MKSTREAM"), ("XGROUP", "SETID", "s", "nog", "0"),
                       ("XGROUP", "SETID", "nokey", "g", "0"), ("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD"),
                       ("XGROUP", "CREATECONSUMER", "s", "g", "alice"), ("XGROUP", "CREATECONSUMER", "s", "g", "alice"),
                       ("XGROUP", "CREATECONSUMER", "s", "nog", "alice"), ("XGROUP", "DELCONSUMER", "s", "g", "bob"),
                       ("XINFO", "GROUPS", "s"), ("XGROUP", "DELCONSUMER", "s", "g", "alice"),
                       ("XGROUP", "DESTROY", "s", "g"), ("XGROUP", "DESTROY", "s", "g"),
                       ("XGROUP", "DESTROY", "nokey", "g"), ("XINFO", "GROUPS", "s")])


# -------------------------------------------------------- XREADGROUP ----

def test_xreadgroup_new_entries_history_and_pending(pair):
    setup_stream(pair)
    pair.check("XGROUP", "CREATE", "s", "g", "0")
    for proto in (2, 3):
        if proto == 3:
            pair.check("XGROUP", "SETID", "s", "g", "0")
            use_resp3(pair)
        pair.check_script([("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"),
                           ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"),
                           ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"),
                           ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
                           ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "1-1"),
                           ("XREADGROUP", "GROUP", "g", "nobody", "STREAMS", "s", "0"),
                           ("XPENDING", "s", "g"), ("XINFO", "GROUPS", "s")])
        check_masked(pair, "XPENDING", "s", "g", "-", "+", "10", idle=True)
        check_masked(pair, "XINFO", "CONSUMERS", "s", "g")


def test_xreadgroup_deleted_entry_in_history_is_nil(pair):
    setup_stream(pair, 3)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
                       ("XDEL", "s", "2-1"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"),
                       ("XINFO", "GROUPS", "s")])
    use_resp3(pair)
    pair.check("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0")


def test_xreadgroup_noack_and_multiple_streams(pair):
    setup_stream(pair, 3, "a")
    setup_stream(pair, 2, "b")
    pair.check_script([("XGROUP", "CREATE", "a", "g", "0"), ("XGROUP", "CREATE", "b", "g", "$"),
                       ("XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "a", "b", ">", ">"),
                       ("XPENDING", "a", "g"), ("XADD", "b", "9-1", "f", "v"),
                       ("XREADGROUP", "GROUP", "g", "c", "COUNT", "5", "STREAMS", "a", "b", "0", ">"),
                       ("XINFO", "GROUPS", "a"), ("XINFO", "GROUPS", "b")])


def test_xreadgroup_errors(pair):
    setup_stream(pair, 2)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("SET", "str", "x"),
                       ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"),
                       ("XREADGROUP", "GROUP", "nog", "c", "STREAMS", "s", ">"),
                       ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "nokey", ">"),
                       ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"),
                       ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">", "0"),
                       ("XREADGROUP", "COUNT", "1", "STREAMS", "s", ">", "x", "y"),
                       ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "bad"),
                       ("XREADGROUP", "GROUP", "g", "STREAMS", "s", ">")])


def test_entries_read_and_lag_track_xdel_and_setid(pair):
    setup_stream(pair, 6)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XGROUP", "CREATE", "s", "h", "$"),
                       ("XGROUP", "CREATE", "s", "k", "3-1"), ("XINFO", "GROUPS", "s"),
                       ("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
                       ("XDEL", "s", "4-1"), ("XINFO", "GROUPS", "s"),
                       ("XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
                       ("XDEL", "s", "1-1"), ("XINFO", "GROUPS", "s"),
                       ("XREADGROUP", "GROUP", "k", "c", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
                       ("XGROUP", "SETID", "s", "h", "2-1", "ENTRIESREAD", "2"), ("XINFO", "GROUPS", "s"),
                       ("XADD", "s", "7-1", "f", "v"), ("XTRIM", "s", "MAXLEN", "2"), ("XINFO", "GROUPS", "s"),
                       ("XSETID", "s", "8-1", "ENTRIESADDED", "20"), ("XINFO", "GROUPS", "s")])


# ---------------------------------------------------------- XACK / XPENDING ----

def test_xack_counts(pair):
    setup_stream(pair, 4)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
                       ("XACK", "s", "g", "1-1", "1-1", "9-9", "2"), ("XACK", "s", "g", "bad"), ("XACK", "s", "g", "3-1", "bad"),
                       ("XACK", "s", "nog", "3-1"), ("XACK", "nokey", "g", "3-1"), ("XPENDING", "s", "g")])


def test_xpending_forms_and_errors(pair):
    setup_stream(pair, 5)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XPENDING", "s", "g"),
                       ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"),
                       ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"), ("XPENDING", "s", "g"),
                       ("XPENDING", "s", "g", "-", "+", "10", "nobody"), ("XPENDING", "s", "g", "-", "+", "0"),
                       ("XPENDING", "s", "g", "-"), ("XPENDING", "s", "g", "-", "+"),
                       ("XPENDING", "s", "g", "IDLE", "0", "-", "+"), ("XPENDING", "s", "g", "-", "+", "x"),
                       ("XPENDING", "s", "g", "IDLE", "x", "-", "+", "1"), ("XPENDING", "s", "g", "(-", "+", "1"),
                       ("XPENDING", "s", "nog"), ("XPENDING", "nokey", "g"), ("XPENDING", "s", "g", "-", "+", "1", "a", "b"),
                       ("XPENDING", "s", "g", "IDLE", "999999999", "-", "+", "10")])
    for args in [("-", "+", "10"), ("(1-1", "(5-1", "10"), ("2", "4", "2"), ("-", "+", "10", "bob"),
                 ("IDLE", "0", "-", "+", "3", "alice")]:
        check_masked(pair, "XPENDING", "s", "g", *args, idle=True)
    use_resp3(pair)
    pair.check("XPENDING", "s", "g")


# --------------------------------------------------------- XCLAIM ----

def test_xclaim_transfers_and_counts(pair):
    setup_stream(pair, 5)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"),
                       ("XCLAIM", "s", "g", "bob", "0", "1-1", "2-1", "TIME", "1000"),
                       ("XCLAIM", "s", "g", "bob", "0", "3-1", "RETRYCOUNT", "9", "JUSTID"),
                       ("XCLAIM", "s", "g", "bob", "999999999", "4-1"), ("XCLAIM", "s", "g", "bob", "0", "9-9"),
                       ("XCLAIM", "s", "g", "carol", "0", "9-9", "FORCE"), ("XACK", "s", "g", "5-1"),
                       ("XCLAIM", "s", "g", "carol", "0", "5-1", "FORCE", "TIME", "2000"),
                       ("XCLAIM", "s", "g", "carol", "0", "4-1", "IDLE", "5000", "JUSTID", "LASTID", "8-1"),
                       ("XPENDING", "s", "g"), ("XINFO", "GROUPS", "s")])
    check_masked(pair, "XPENDING", "s", "g", "-", "+", "10", idle=True)
    check_masked(pair, "XINFO", "STREAM", "s", "FULL")


def test_xclaim_deleted_entries_leave_the_pel(pair):
    setup_stream(pair, 3)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"),
                       ("XDEL", "s", "2-1"), ("XCLAIM", "s", "g", "bob", "0", "1-1", "2-1", "3-1", "JUSTID"),
                       ("XPENDING", "s", "g")])


def test_xclaim_errors(pair):
    setup_stream(pair, 2)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("SET", "str", "x"),
                       ("XCLAIM", "s", "nog", "c", "0", "1-1"), ("XCLAIM", "nokey", "g", "c", "0", "1-1"),
                       ("XCLAIM", "str", "g", "c", "0", "1-1"), ("XCLAIM", "s", "g", "c", "x", "1-1"),
                       ("XCLAIM", "s", "g", "c", "0", "1-1", "FOO"), ("XCLAIM", "s", "g", "c", "0", "1-1", "IDLE", "x"),
                       ("XCLAIM", "s", "g", "c", "0", "1-1", "TIME", "x"),
                       ("XCLAIM", "s", "g", "c", "0", "1-1", "RETRYCOUNT", "x"),
                       ("XCLAIM", "s", "g", "c", "0", "1-1", "LASTID", "x"), ("XCLAIM", "s", "g", "c", "0", "bad"),
                       ("XCLAIM", "s", "g", "c", "0")])


# ------------------------------------------------------- XAUTOCLAIM ----

def test_xautoclaim_cursor_count_and_deleted(pair):
    setup_stream(pair, 8)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"),
                       ("XDEL", "s", "2-1", "5-1"), ("XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "3"),
                       ("XAUTOCLAIM", "s", "g", "bob", "0", "3-1", "COUNT", "3", "JUSTID"),
                       ("XAUTOCLAIM", "s", "g", "bob", "0", "(7-1"), ("XAUTOCLAIM", "s", "g", "carol", "0", "-"),
                       ("XAUTOCLAIM", "s", "g", "carol", "999999999", "-"), ("XPENDING", "s", "g")])
    use_resp3(pair)
    pair.check("XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "2")


def test_xautoclaim_errors(pair):
    setup_stream(pair, 2)
    pair.check_script([("XGROUP", "CREATE", "s", "g", "0"), ("XAUTOCLAIM", "s", "nog", "c", "0", "0"),
                       ("XAUTOCLAIM", "nokey", "g", "c", "0", "0"), ("XAUTOCLAIM", "s", "g", "c", "x", "0"),
                       ("XAUTOCLAIM", "s", "g", "c", "0", "bad"), ("XAUTOCLAIM", "s", "g", "c", "0", "(-"),
                       ("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0"),
                       ("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "x"),
                       ("XAUTOCLAIM", "s", "g", "c", "0", "0", "FOO"), ("XAUTOCLAIM", "nokey", "g", "c", "x", "0")])


# ------------------------------------------------------------ XINFO ----

def test_xinfo_groups_consumers_and_full(pair):
    setup_stream(pair, 4)
    pair.check_script([("XGROUP", "CREATE", "s", "b-group", "0"), ("XGROUP", "CREATE", "s", "a-group", "$"),
                       ("XREADGROUP", "GROUP", "b-group", "zed", "COUNT", "1", "STREAMS", "s", ">"),
                       ("XREADGROUP", "GROUP", "b-group", "amy", "STREAMS", "s", ">"),
                       ("XGROUP", "CREATECONSUMER", "s", "b-group", "mid"),
                       ("XINFO", "GROUPS", "s"), ("XINFO", "CONSUMERS", "s", "nog"), ("XINFO", "CONSUMERS", "nokey", "g"),
                       ("XINFO", "CONSUMERS", "s")])
    for proto in (2, 3):
        if proto == 3:
            use_resp3(pair)
        check_masked(pair, "XINFO", "CONSUMERS", "s", "b-group")
        check_masked(pair, "XINFO", "STREAM", "s", "FULL")
        check_masked(pair, "XINFO", "STREAM", "s", "FULL", "COUNT", "1")
        pair.check("XINFO", "GROUPS", "s")


# ------------------------------------------------------ seeded random ----

SEED = int(os.environ.get("DIFF_SEED", "4321"))


@pytest.mark.parametrize("seed", [SEED, SEED + 1])
def test_random_group_commands(pair, seed):
    """Random XADD/XDEL/XREADGROUP/XACK/XCLAIM/XAUTOCLAIM/XGROUP sequences; group state compared throughout."""
    rng = random.Random(seed)
    pair.context = "seed %d" % seed
    ms = 0
    pair.check("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM")
    consumers = ["c1", "c2", "c3"]
    for _ in range(int(os.environ.get("DIFF_OPS", "300"))):
        op = rng.random()
        if op < 0.3:
            ms += 1
            pair.check("XADD", "s", "%d-1" % ms, "f", rng.randint(0, 9))
        elif op < 0.4:
            pair.check("XDEL", "s", "%d-1" % rng.randint(1, ms + 1))
        elif op < 0.6:
            args = ["XREADGROUP", "GROUP", "g", rng.choice(consumers), "COUNT", rng.randint(1, 3)]
            if rng.random() < 0.2:
                args.append("NOACK")
            pair.check(*(args + ["STREAMS", "s", rng.choice([">", ">", "0", "%d" % rng.randint(0, ms)])]))
        elif op < 0.7:
            pair.check("XACK", "s", "g", *["%d-1" % rng.randint(1, ms + 1) for _ in range(2)])
        elif op < 0.8:
            extra = rng.choice([[], ["JUSTID"], ["FORCE", "JUSTID"], ["RETRYCOUNT", "4", "JUSTID"]])
            pair.check("XCLAIM", "s", "g", rng.choice(consumers), "0",
                       *(["%d-1" % rng.randint(1, ms + 1) for _ in range(2)] + extra + ["TIME", "5000"]))
        elif op < 0.88:
            pair.check("XAUTOCLAIM", "s", "g", rng.choice(consumers), "0", "%d" % rng.randint(0, ms),
                       "COUNT", rng.randint(1, 4), *(["JUSTID"] if rng.random() < 0.5 else []))
        elif op < 0.93:
            pair.check("XGROUP", rng.choice(["CREATECONSUMER", "DELCONSUMER"]), "s", "g", rng.choice(consumers))
        else:
            pair.check("XPENDING", "s", "g")
            pair.check("XINFO", "GROUPS", "s")
    check_masked(pair, "XINFO", "STREAM", "s", "FULL", "COUNT", "0")
    check_masked(pair, "XPENDING", "s", "g", "-", "+", "1000", idle=True)
