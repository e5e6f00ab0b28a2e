"""Persistence under faults: a kill -9 in the middle of a BGSAVE, a data directory that disappears, AOF restarts
and interop with datasets.py, a rewrite and a BGSAVE competing, and how the server saves when it is told to stop.

Where Redis's behaviour is deterministic the same steps run on redis-server 7.0.15 and the replies must match.
"""

import os
import shutil
import signal

import pytest

import datasets
from persist_tools import digest, info, start, wait_bgsave_done, wait_for, wait_rewrite_done

SLOW_SAVE = ("--rdb-key-save-delay", "2000")  # µs per key, as in Redis: 2,000 keys take about 4 s


def fill(srv, n, prefix="k"):
    with srv.client() as c:
        for i in range(0, n, 500):
            args = []
            for j in range(i, min(n, i + 500)):
                args += ["%s:%d" % (prefix, j), "v%d" % j]
            assert c.call("MSET", *args) == b"+OK\r\n"


def read(path):
    with open(str(path), "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------------------------
# kill -9 during BGSAVE
# ---------------------------------------------------------------------------------------------------------------

def test_kill9_during_bgsave_leaves_the_previous_dump_intact_and_loadable(tmp_path):
    srv = start("ours", tmp_path, *SLOW_SAVE)
    try:
        fill(srv, 50, "good")
        with srv.client() as c:
            c.call("CONFIG", "SET", "rdb-key-save-delay", "0")
            assert c.call("SAVE") == b"+OK\r\n"
            c.call("CONFIG", "SET", "rdb-key-save-delay", SLOW_SAVE[1])
        good = read(tmp_path / "dump.rdb")
        good_digest = digest(srv)
        fill(srv, 2000, "later")
        with srv.client() as c:
            assert c.call("BGSAVE") == b"+Background saving started\r\n"
        wait_for(lambda: any(f.startswith("temp") for f in os.listdir(str(tmp_path))),
                 what="the snapshot's temporary file")
        assert info(srv)["rdb_bgsave_in_progress"] == "1"
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(timeout=5)
    finally:
        srv.stop()
    assert read(tmp_path / "dump.rdb") == good
    leftovers = [f for f in os.listdir(str(tmp_path)) if f.startswith("temp")]
    assert leftovers, "the test must leave a temporary file behind to check that it is harmless"
    again = start("ours", tmp_path)
    try:
        assert digest(again) == good_digest
        with again.client() as c:
            assert c.call("DBSIZE") == b":50\r\n"
            assert c.call("SET", "after", "restart") == b"+OK\r\n"
            assert c.call("BGSAVE") == b"+Background saving started\r\n"
        wait_bgsave_done(again)
        assert info(again)["rdb_last_bgsave_status"] == "ok"
        after = digest(again)
    finally:
        again.stop()
    third = start("real", tmp_path)
    try:
        assert digest(third) == after
    finally:
        third.stop()


# ---------------------------------------------------------------------------------------------------------------
# Disk errors
# ---------------------------------------------------------------------------------------------------------------

def test_bgsave_into_a_vanished_dir_fails_denies_writes_and_recovers_like_redis(tmp_path):
    results = {}
    for kind in ("ours", "real"):
        d = tmp_path / kind / "data"
        srv = start(kind, d, "--save", "3600 1", "--enable-protected-configs", "yes")
        try:
            with srv.client() as c:
                c.call("SET", "k", "v")
                shutil.rmtree(str(d))
                c.call("BGSAVE")
                wait_bgsave_done(srv)
                steps = [info(srv)["rdb_last_bgsave_status"], c.call("SET", "x", "1"), c.call("GET", "k"),
                         c.call("INCR", "n"), c.call("DEL", "k")]
                os.makedirs(str(d))
                steps.append(c.call("CONFIG", "SET", "dir", str(d)))
                steps.append(c.call("BGSAVE"))
                wait_bgsave_done(srv)
                steps += [info(srv)["rdb_last_bgsave_status"], c.call("SET", "x", "1"),
                          os.path.exists(str(d / "dump.rdb"))]
            results[kind] = steps
        finally:
            srv.stop()
    assert results["ours"] == results["real"]
    assert results["ours"][0] == "err" and results["ours"][1].startswith(b"-MISCONF")
    assert results["ours"][-3:] == ["ok", b"+OK\r\n", True]


def test_save_into_a_vanished_dir_is_an_error_like_redis(tmp_path):
    results = {}
    for kind in ("ours", "real"):
        d = tmp_path / kind
        srv = start(kind, d)
        try:
            with srv.client() as c:
                c.call("SET", "k", "v")
                shutil.rmtree(str(d))
                results[kind] = (c.call("SAVE"), c.call("SET", "x", "1"))
        finally:
            srv.stop()
    assert results["ours"] == results["real"]


# ---------------------------------------------------------------------------------------------------------------
# AOF
# ---------------------------------------------------------------------------------------------------------------

AOF = ("--appendonly", "yes")


def load_everything(srv):
    with srv.client() as c:
        datasets.load(c, datasets.everything(0))


def test_appendonly_dataset_survives_a_restart(tmp_path):
    srv = start("ours", tmp_path, *AOF)
    try:
        load_everything(srv)
        want = digest(srv)
    finally:
        srv.stop()
    assert not os.path.exists(str(tmp_path / "dump.rdb"))
    again = start("ours", tmp_path, *AOF)
    try:
        assert digest(again) == want
    finally:
        again.stop()


@pytest.mark.parametrize("writer,reader", [("real", "ours"), ("ours", "real")])
@pytest.mark.parametrize("rewrite", [False, True], ids=["incr-only", "after-rewrite"])
def test_appendonlydir_with_the_datasets_moves_between_servers(tmp_path, writer, reader, rewrite):
    srv = start(writer, tmp_path, *AOF)
    try:
        load_everything(srv)
        if rewrite:
            with srv.client() as c:
                assert c.call("BGREWRITEAOF").startswith(b"+Background append only file rewriting")
            wait_rewrite_done(srv)
            with srv.client() as c:
                c.call("SET", "after-rewrite", "1")
        want = digest(srv)
    finally:
        srv.stop()
    other = start(reader, tmp_path, *AOF)
    try:
        assert digest(other) == want
    finally:
        other.stop()


def rewrite_vs_bgsave(kind, d):
    srv = start(kind, d, *AOF)
    try:
        fill(srv, 800)
        with srv.client() as c:
            wait_rewrite_done(srv)
            # 800 keys x 3 ms: each save runs ~2.4 s, so the next command reliably finds it running on a loaded machine.
            c.call("CONFIG", "SET", "rdb-key-save-delay", "3000")
            out = [c.call("BGSAVE"), c.call("BGREWRITEAOF")]
            out.append(info(srv)["aof_rewrite_scheduled"])
            wait_bgsave_done(srv)
            wait_rewrite_done(srv)
            out += [info(srv)["rdb_last_bgsave_status"], info(srv)["aof_last_bgrewrite_status"]]
            # The other way round: a rewrite runs, BGSAVE is refused, BGSAVE SCHEDULE waits for it.
            out.append(c.call("BGREWRITEAOF"))
            out += [c.call("BGSAVE"), c.call("BGSAVE", "SCHEDULE")]
            wait_rewrite_done(srv)
            wait_for(lambda: info(srv)["rdb_bgsave_in_progress"] == "0" and info(srv)["rdb_saves"] == "2",
                     what="the scheduled BGSAVE to run")
            out.append(info(srv)["rdb_last_bgsave_status"])
            c.call("CONFIG", "SET", "rdb-key-save-delay", "0")
            want = digest(srv)
    finally:
        srv.stop()
    return out, want


def test_bgrewriteaof_and_bgsave_schedule_each_other_like_redis(tmp_path):
    ours, ours_digest = rewrite_vs_bgsave("ours", tmp_path / "ours")
    real, _ = rewrite_vs_bgsave("real", tmp_path / "real")
    assert ours == real
    assert ours[1] == b"+Background append only file rewriting scheduled\r\n"
    assert ours[7] == b"+Background saving scheduled\r\n"
    loader = start("real", tmp_path / "ours", "--appendonly", "no")
    try:
        assert digest(loader) == ours_digest  # the scheduled BGSAVE's dump.rdb
    finally:
        loader.stop()


# ---------------------------------------------------------------------------------------------------------------
# Stopping
# ---------------------------------------------------------------------------------------------------------------

def test_sigterm_with_save_points_saves_and_logs_like_redis(tmp_path):
    for kind in ("ours", "real"):
        d = tmp_path / kind
        srv = start(kind, d, "--save", "3600 1")
        try:
            with srv.client() as c:
                c.call("SET", "k", "v")
            want = digest(srv)
            srv.proc.send_signal(signal.SIGTERM)
            assert srv.proc.wait(timeout=10) == 0
            log = read(srv.log_path).decode("utf-8", "replace")
        finally:
            srv.stop()
        assert "Saving the final RDB snapshot before exiting." in log, (kind, log[-1500:])
        assert "DB saved on disk" in log, (kind, log[-1500:])
        loader = start("real", d)
        try:
            assert digest(loader) == want
        finally:
            loader.stop()


@pytest.mark.parametrize("args", [("ABORT",), ("NOSAVE", "ABORT"), ("SAVE", "NOSAVE"), ("BOGUS",),
                                  ("NOW", "FORCE", "ABORT")])
def test_shutdown_errors_match_redis(pair, args):
    pair.check("SHUTDOWN", *args)
    pair.check("PING")


def test_shutdown_with_a_failing_save_refuses_like_redis(tmp_path):
    results = {}
    for kind in ("ours", "real"):
        d = tmp_path / kind
        srv = start(kind, d)
        try:
            with srv.client() as c:
                c.call("SET", "k", "v")
                shutil.rmtree(str(d))
                results[kind] = (c.call("SHUTDOWN", "SAVE"), c.call("PING"))
        finally:
            srv.stop()
    assert results["ours"] == results["real"]


@pytest.mark.parametrize("args", [("NOSAVE",), ("SAVE",), ("NOSAVE", "NOW", "FORCE")])
def test_shutdown_closes_the_connection_and_saves_as_told_like_redis(tmp_path, args):
    outcome = {}
    for kind in ("ours", "real"):
        d = tmp_path / kind
        srv = start(kind, d)
        try:
            with srv.client() as c:
                c.call("SET", "k", "v")
                c.send("SHUTDOWN", *args)
                closed = c.is_closed_by_peer(timeout=10)
            code = srv.proc.wait(timeout=10)
            outcome[kind] = (closed, code, os.path.exists(str(d / "dump.rdb")))
        finally:
            srv.stop()
    assert outcome["ours"] == outcome["real"]


@pytest.mark.parametrize("args", [("dir", "/tmp"), ("dbfilename", "other.rdb"), ("save", "", "dir", "/tmp"),
                                  ("daemonize", "no", "dir", "/tmp"), ("dir", "/tmp", "dir", "/tmp")])
def test_dir_and_dbfilename_are_protected_configs_like_redis(pair, args):
    pair.check("CONFIG", "SET", *args)
    pair.check("CONFIG", "GET", "dbfilename")


def test_kill9_during_bgrewriteaof_loses_no_acknowledged_write(tmp_path):
    srv = start("ours", tmp_path, *AOF, "--appendfsync", "always")
    try:
        fill(srv, 1500)
        wait_rewrite_done(srv)
        with srv.client() as c:
            c.call("CONFIG", "SET", "rdb-key-save-delay", "2000")
            assert c.call("BGREWRITEAOF") == b"+Background append only file rewriting started\r\n"
            for i in range(200):  # acknowledged while the rewrite runs: they go to the new incr file
                assert c.call("SET", "during:%d" % i, i) == b"+OK\r\n"
            assert info(srv)["aof_rewrite_in_progress"] == "1"
        want = digest(srv)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(timeout=5)
    finally:
        srv.stop()
    again = start("ours", tmp_path, *AOF)
    try:
        assert digest(again) == want
    finally:
        again.stop()
    other = start("real", tmp_path, *AOF)  # and the directory left behind is one redis-server accepts
    try:
        assert digest(other) == want
    finally:
        other.stop()


def test_sigterm_during_bgsave_still_saves_the_final_snapshot(tmp_path):
    srv = start("ours", tmp_path, "--save", "3600 1")
    try:
        fill(srv, 1000)
        with srv.client() as c:
            c.call("CONFIG", "SET", "rdb-key-save-delay", "1000")
            assert c.call("BGSAVE") == b"+Background saving started\r\n"
            c.call("SET", "written-after-bgsave-started", "1")
        want = digest(srv)
        assert info(srv)["rdb_bgsave_in_progress"] == "1"
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(timeout=20) == 0
    finally:
        srv.stop()
    loader = start("real", tmp_path)
    try:
        assert digest(loader) == want
    finally:
        loader.stop()
