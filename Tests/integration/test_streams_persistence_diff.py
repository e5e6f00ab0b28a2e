"""Streams across persistence against redis-server 7.0.15: DUMP payloads byte-equal and restorable both ways, RDB
files (type 19, with consumer groups, PELs and consumers) written by one server load in the other with the same
XINFO STREAM FULL, DEBUG RELOAD and AOF rewrite keep every field, DEBUG DIGEST-VALUE equal."""

import os

import pytest

from persist_tools import start, wait_rewrite_done, wait_for, info
from test_rdb_interop import save_in

# Commands building stream "k" (with fixed delivery times, so only consumers' seen-times depend on the clock).
GROUPLESS = [("XADD", "k", "1-1", "a", "1", "b", "2"), ("XADD", "k", "1-2", "a", "3", "b", "-4"),
             ("XADD", "k", "2-0", "other", "x" * 70), ("XADD", "k", "3-3", "a", "", "b", b"\x00\xff"),
             ("XDEL", "k", "1-2"), ("XSETID", "k", "9-9", "ENTRIESADDED", "12", "MAXDELETEDID", "5-5")]
WITH_GROUPS = GROUPLESS + [
    ("XGROUP", "CREATE", "k", "g1", "0"), ("XGROUP", "CREATE", "k", "g2", "$", "ENTRIESREAD", "12"),
    ("XGROUP", "CREATE", "k", "g3", "1-1"),
    ("XCLAIM", "k", "g1", "alice", "0", "1-1", "TIME", "1700000000000", "RETRYCOUNT", "2", "FORCE", "JUSTID"),
    ("XCLAIM", "k", "g1", "bob", "0", "3-3", "TIME", "1700000000005", "FORCE", "JUSTID"),
    ("XGROUP", "CREATECONSUMER", "k", "g2", "idle")]
MANY = [("CONFIG", "SET", "stream-node-max-entries", "7")] + [
    ("XADD", "k", "%d-%d" % (i // 4 + 1, i % 4), "f", i, "g", "v" * (i % 9)) for i in range(300)] + [
    ("XDEL", "k", "3-1", "40-0", "41-2"), ("XTRIM", "k", "MAXLEN", "~", "250")]
CASES = {"groupless": GROUPLESS, "with_groups": WITH_GROUPS, "many_nodes": MANY,
         "empty": [("XADD", "k", "1-1", "f", "v"), ("XDEL", "k", "1-1")],
         "empty_with_group": [("XGROUP", "CREATE", "k", "g", "$", "MKSTREAM")]}


@pytest.fixture
def pair(pair):
    """The shared pair; MANY lowers stream-node-max-entries on it, so Redis's default is put back after."""
    yield pair
    pair.both("CONFIG", "SET", "stream-node-max-entries", "100")


def build(pair, commands):
    for cmd in commands:
        pair.check(*cmd)


def full_info(conn, key="k"):
    return conn.call("XINFO", "STREAM", key, "FULL", "COUNT", "0")


@pytest.mark.parametrize("case", ["groupless", "many_nodes", "empty", "empty_with_group"])
def test_dump_bytes_equal(pair, case):
    build(pair, CASES[case])
    pair.check("DUMP", "k")


@pytest.mark.parametrize("case", sorted(CASES))
def test_dump_restores_both_ways(pair, case):
    build(pair, CASES[case])
    ours_payload, real_payload = pair.both("DUMP", "k")
    ours_payload, real_payload = ours_payload.split(b"\r\n", 1)[1][:-2], real_payload.split(b"\r\n", 1)[1][:-2]
    assert pair.ours.call("RESTORE", "from-real", "0", real_payload) == b"+OK\r\n"
    assert pair.real.call("RESTORE", "from-ours", "0", ours_payload) == b"+OK\r\n"
    assert full_info(pair.ours, "from-real") == full_info(pair.real, "k")
    assert full_info(pair.real, "from-ours") == full_info(pair.ours, "k")
    pair.check("DEBUG", "DIGEST-VALUE", "k")


def test_restore_refuses_corrupt_stream_payload(pair):
    build(pair, GROUPLESS)
    raw = pair.real.call("DUMP", "k").split(b"\r\n", 1)[1][:-2]
    bad = bytearray(raw)
    bad[20] ^= 0x55
    pair.check("RESTORE", "x", "0", bytes(bad))


def test_digest_value_equal(pair):
    for name in sorted(CASES):
        pair.check("FLUSHALL")
        pair.check("CONFIG", "SET", "stream-node-max-entries", "100")
        build(pair, CASES[name])
        pair.check("DEBUG", "DIGEST-VALUE", "k")
        pair.check("DEBUG", "DIGEST")


@pytest.mark.parametrize("writer,reader", [("real", "ours"), ("ours", "real")])
def test_rdb_with_groups_loads_in_the_other_server(tmp_path, writer, reader):
    src = start(writer, tmp_path / "w")
    try:
        with src.client() as c:
            for cmd in WITH_GROUPS:
                c.call(*cmd)
            c.call("CONFIG", "SET", "stream-node-max-entries", "7")
            for cmd in MANY[1:]:
                assert not c.call(cmd[0], "k2", *cmd[2:]).startswith(b"-")
            want = full_info(c), full_info(c, "k2"), c.call("DEBUG", "DIGEST")
        save_in(src, tmp_path / "r")
    finally:
        src.stop()
    dst = start(reader, tmp_path / "r")
    try:
        with dst.client() as c:
            got = full_info(c), full_info(c, "k2"), c.call("DEBUG", "DIGEST")
    finally:
        dst.stop()
    assert got == want


def test_debug_reload_keeps_everything(ours):
    with ours.client() as c:
        for cmd in WITH_GROUPS:
            c.call(*cmd)
        before = full_info(c), c.call("XINFO", "GROUPS", "k"), c.call("DEBUG", "DIGEST")
        assert c.call("DEBUG", "RELOAD") == b"+OK\r\n"
        assert (full_info(c), c.call("XINFO", "GROUPS", "k"), c.call("DEBUG", "DIGEST")) == before


def strip_seen_times(reply):
    """Consumers' seen-time is not kept by an AOF rewrite (XCLAIM recreates them), as in Redis."""
    parts = reply.split(b"$9\r\nseen-time\r\n")
    return [parts[0]] + [p.split(b"\r\n", 1)[1] for p in parts[1:]]


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_aof_rewrite_restores_streams_and_groups(tmp_path, kind):
    args = ("--appendonly", "yes", "--aof-use-rdb-preamble", "no")
    srv = start(kind, tmp_path / kind, *args)
    try:
        with srv.client() as c:
            for cmd in WITH_GROUPS:
                c.call(*cmd)
            c.call("XADD", "e", "1-1", "f", "v")
            c.call("XDEL", "e", "1-1")
            want = full_info(c), full_info(c, "e"), c.call("DEBUG", "DIGEST")
            assert c.call("BGREWRITEAOF").startswith(b"+")
        wait_rewrite_done(srv)
    finally:
        srv.stop()
    srv = start(kind, tmp_path / kind, *args)
    try:
        with srv.client() as c:
            got = full_info(c), full_info(c, "e"), c.call("DEBUG", "DIGEST")
    finally:
        srv.stop()
    assert strip_seen_times(got[0]) == strip_seen_times(want[0])
    assert got[1:] == want[1:]


def test_bgsave_sees_streams_as_of_its_start(tmp_path):
    """Streams mutated in place (XADD, XDEL, XTRIM, XREADGROUP, XGROUP) while a fork-free snapshot runs are
    written as they were when BGSAVE started; redis-server loads that file."""
    srv = start("ours", tmp_path / "o", "--enable-debug-command", "yes", "--rdb-key-save-delay", "10")
    try:
        with srv.client() as c:
            c.call("DEBUG", "POPULATE", "100000")
            for k in range(20):
                key = "st:%d" % k
                for cmd in WITH_GROUPS:
                    c.call(cmd[0], key, *cmd[2:]) if cmd[0] != "XGROUP" else c.call(cmd[0], cmd[1], key, *cmd[3:])
            want = [full_info(c, "st:%d" % k) for k in range(20)]
            assert c.call("BGSAVE").startswith(b"+")
            for k in range(20):
                key = "st:%d" % k
                for cmd in [("XADD", key, "20-1", "new", "x"), ("XDEL", key, "1-1"), ("XTRIM", key, "MAXLEN", "1"),
                            ("XREADGROUP", "GROUP", "g3", "zed", "STREAMS", key, ">"),
                            ("XGROUP", "DESTROY", key, "g2")]:
                    c.call(*cmd)
            assert info(srv)["rdb_bgsave_in_progress"] == "1", "the writes did not overlap the snapshot"
        wait_for(lambda: info(srv)["rdb_bgsave_in_progress"] == "0", what="BGSAVE to finish")
        assert info(srv)["rdb_last_bgsave_status"] == "ok"
        os.makedirs(str(tmp_path / "r"))
        os.replace(str(tmp_path / "o" / "dump.rdb"), str(tmp_path / "r" / "dump.rdb"))
    finally:
        srv.stop()
    loader = start("real", tmp_path / "r")
    try:
        with loader.client() as c:
            got = [full_info(c, "st:%d" % k) for k in range(20)]
    finally:
        loader.stop()
    assert got == want
