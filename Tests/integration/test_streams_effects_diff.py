"""The replication stream of the stream commands compared with redis-server 7.0's (harness of
test_effects_stream_diff.py): XADD's resolved IDs, `~` trims rewritten to exact ones, XREADGROUP/XCLAIM/XAUTOCLAIM
propagated as XCLAIM + XGROUP SETID, blocked readers served by XADD."""

import pytest

from test_effects_stream_diff import block_then_push, pair  # noqa: F401  (the pair fixture)


def test_xadd_with_explicit_ids_streams_as_is(pair):
    pair.run_all([["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-*", "b", "2"], ["XADD", "s", "5", "c", "3"],
                  ["XADD", "s", "NOMKSTREAM", "6-1", "d", "4"], ["XADD", "missing", "NOMKSTREAM", "1-1", "a", "b"]])
    pair.assert_same_effects()


def test_xadd_auto_id_propagates_the_generated_id(pair):
    ours = pair.ours.run("XADD", "s", "*", "a", "1")
    real = pair.real.run("XADD", "s", "*", "a", "1")
    o, r = [[c for c in e if c[0].upper() != b"SELECT"] for e in pair.effects()]
    assert o == [[b"XADD", b"s", ours, b"a", b"1"]]
    assert r == [[b"XADD", b"s", real, b"a", b"1"]]


def test_xadd_approximate_maxlen_streams_exact_threshold(pair):
    pair.run("CONFIG", "SET", "stream-node-max-entries", "3")
    for i in range(1, 11):
        pair.run("XADD", "s", "%d-1" % i, "f", "v")
    pair.effects()
    pair.run_all([["XADD", "s", "MAXLEN", "~", "4", "11-1", "f", "v"],
                  ["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "3", "12-1", "f", "v"],
                  ["XADD", "s", "MINID", "~", "10", "13-1", "f", "v"],
                  ["XADD", "s", "MAXLEN", "=", "20", "14-1", "f", "v"]])
    pair.assert_same_effects()


def test_xtrim_approximate_and_exact_stream_as_redis(pair):
    pair.run("CONFIG", "SET", "stream-node-max-entries", "2")
    for i in range(1, 12):
        pair.run("XADD", "s", "%d-1" % i, "f", "v")
    pair.effects()
    pair.run_all([["XTRIM", "s", "MAXLEN", "~", "6"], ["XTRIM", "s", "MAXLEN", "~", "6"],
                  ["XTRIM", "s", "MINID", "~", "9"], ["XTRIM", "s", "MAXLEN", "4"], ["XTRIM", "s", "MINID", "=", "9-1"],
                  ["XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "2"]])
    pair.assert_same_effects()


def test_xdel_xsetid_and_group_admin_stream_as_is(pair):
    pair.run_all([["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "2"], ["XDEL", "s", "1-1", "9-9"],
                  ["XDEL", "s", "9-9"], ["XSETID", "s", "5-5"], ["XSETID", "s", "6-6", "ENTRIESADDED", "9",
                                                                 "MAXDELETEDID", "3-3"],
                  ["XGROUP", "CREATE", "s", "g", "0"], ["XGROUP", "CREATE", "s", "g", "0"],
                  ["XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"], ["XGROUP", "SETID", "s", "g", "1-1"],
                  ["XGROUP", "CREATECONSUMER", "s", "g", "alice"], ["XGROUP", "CREATECONSUMER", "s", "g", "alice"],
                  ["XGROUP", "DELCONSUMER", "s", "g", "alice"], ["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
                  ["XGROUP", "DESTROY", "s", "g"], ["XGROUP", "DESTROY", "s", "g"]])
    pair.assert_same_effects()


def test_xreadgroup_propagates_xclaim_per_entry(pair):
    pair.run_all([["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "2"],
                  ["XGROUP", "CREATE", "s", "g", "0"]])
    pair.effects()
    pair.run_all([["XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"],
                  ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
                  ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"],
                  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"]])
    pair.assert_same_effects()


def test_xreadgroup_noack_propagates_setid(pair):
    pair.run_all([["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "2"],
                  ["XGROUP", "CREATE", "s", "g", "0"]])
    pair.effects()
    pair.run("XREADGROUP", "GROUP", "g", "alice", "NOACK", "STREAMS", "s", ">")
    pair.assert_same_effects()


def test_xclaim_and_xack_stream_as_redis(pair):
    pair.run_all([["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "2"], ["XADD", "s", "3-1", "a", "3"],
                  ["XGROUP", "CREATE", "s", "g", "0"],
                  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]])
    pair.effects()
    pair.run_all([["XCLAIM", "s", "g", "bob", "0", "1-1", "2-1", "TIME", "1000", "RETRYCOUNT", "5"],
                  ["XCLAIM", "s", "g", "bob", "0", "3", "JUSTID", "LASTID", "9-9"],
                  ["XCLAIM", "s", "g", "bob", "0", "8-8", "LASTID", "10-1"],
                  ["XDEL", "s", "2-1"], ["XCLAIM", "s", "g", "carol", "0", "2-1", "TIME", "1000"],
                  ["XACK", "s", "g", "1-1", "7-7"]])
    pair.assert_same_effects()


def test_xautoclaim_streams_claims_and_deleted_entries(pair):
    pair.run_all([["XADD", "s", "1-1", "a", "1"], ["XADD", "s", "2-1", "a", "2"], ["XADD", "s", "3-1", "a", "3"],
                  ["XGROUP", "CREATE", "s", "g", "0"],
                  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"], ["XDEL", "s", "2-1"]])
    pair.effects()
    pair.run_all([["XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "2"],
                  ["XAUTOCLAIM", "s", "g", "bob", "0", "0", "JUSTID"]])
    pair.assert_same_effects()


def test_blocked_xreadgroup_served_by_xadd_streams_xadd_then_xclaim(pair):
    replies = block_then_push(pair, ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"],
                              setup=[["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]],
                              push=[["XADD", "s", "1-1", "f", "v"]])
    assert replies[0] == replies[1]
    pair.assert_same_effects()


def test_blocked_xread_served_by_xadd_streams_only_xadd(pair):
    replies = block_then_push(pair, ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
                              setup=[["XADD", "s", "1-1", "f", "v"]],
                              push=[["XADD", "s", "2-1", "f", "w"]])
    assert replies[0] == replies[1]
    pair.assert_same_effects()


def test_xreadgroup_new_consumer_with_nothing_to_read(pair):
    pair.run_all([["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]])
    pair.effects()
    pair.run_all([["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"],
                  ["XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">"],
                  ["XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"]])
    pair.assert_same_effects()


def test_xclaim_new_consumer_propagation(pair):
    pair.run_all([["XADD", "s", "1-1", "a", "1"], ["XGROUP", "CREATE", "s", "g", "0"],
                  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"]])
    pair.effects()
    pair.run_all([["XCLAIM", "s", "g", "bob", "999999999", "1-1"], ["XAUTOCLAIM", "s", "g", "carol", "99999999", "0"]])
    pair.assert_same_effects()


def test_xreadgroup_noack_existing_consumer(pair):
    pair.run_all([["XADD", "s", "1-1", "a", "1"], ["XGROUP", "CREATE", "s", "g", "0"],
                  ["XGROUP", "CREATECONSUMER", "s", "g", "alice"]])
    pair.effects()
    pair.run_all([["XREADGROUP", "GROUP", "g", "alice", "NOACK", "STREAMS", "s", ">"]])
    pair.assert_same_effects()
