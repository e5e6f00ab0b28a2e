"""RDB snapshots: SAVE, BGSAVE, LASTSAVE, save points, MISCONF, shutdown saving, and the fork-free snapshot's
point-in-time guarantee while clients keep writing.

A file our server writes is checked by loading it into a real redis-server (the reference reader) and reading
the data back; error texts and INFO fields are compared with the reference server's."""

import os
import shutil
import time

import pytest

from conftest import ServerProcess, ours_binary, real_binary

DEADLINE = 60.0


def wait_for(predicate, timeout=DEADLINE, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s" % what)


def info_field(r, section, field):
    return r.info(section)[field]


def wait_bgsave_done(r):
    wait_for(lambda: info_field(r, "persistence", "rdb_bgsave_in_progress") == 0, what="BGSAVE to finish")


def load_with_real_redis(rdb_dir, filename="dump.rdb"):
    """Starts the reference server on a copy of the file; returns the running server (caller stops it)."""
    srv = ServerProcess(real_binary(), "real-loader", ["--dir", str(rdb_dir), "--dbfilename", filename])
    srv.start()
    wait_for(lambda: srv.redis().info("persistence")["loading"] == 0, what="the reference server to load")
    return srv


def start_ours(*args):
    srv = ServerProcess(ours_binary(), "ours-persist", list(args))
    srv.start()
    return srv


@pytest.fixture
def ours_in(tmp_path):
    started = []

    def factory(*args):
        srv = start_ours("--dir", str(tmp_path), *args)
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()


def test_save_writes_a_file_real_redis_loads(ours_in, tmp_path):
    srv = ours_in()
    r = srv.redis()
    r.set("a", "1")
    r.set("b", "hello")
    r.set("c", "x" * 1000, px=10_000_000)
    assert r.save() is True
    assert (tmp_path / "dump.rdb").exists()
    loader = load_with_real_redis(tmp_path)
    try:
        lr = loader.redis()
        assert lr.dbsize() == 3
        assert lr.get("a") == b"1" and lr.get("b") == b"hello" and lr.get("c") == b"x" * 1000
        assert 9_000_000 < lr.pttl("c") <= 10_000_000
    finally:
        loader.stop()


def test_lastsave_and_changes_since_last_save_follow_saves(ours_in):
    r = ours_in().redis()
    r.set("k", "v")
    assert info_field(r, "persistence", "rdb_changes_since_last_save") == 1
    before = r.lastsave()
    time.sleep(1.1)  # LASTSAVE has a resolution of one second
    r.save()
    assert r.lastsave() > before
    assert info_field(r, "persistence", "rdb_changes_since_last_save") == 0
    assert info_field(r, "persistence", "rdb_saves") == 1


def test_bgsave_replies_and_reports_success(ours_in):
    r = ours_in().redis()
    r.set("k", "v")
    assert r.execute_command("BGSAVE") is True
    wait_bgsave_done(r)
    p = r.info("persistence")
    assert p["rdb_last_bgsave_status"] == "ok"
    assert p["rdb_changes_since_last_save"] == 0


def test_bgsave_and_save_reply_like_redis(server_factory):
    replies = []
    for kind in ("ours", "real"):
        with server_factory(kind).client() as c:
            replies.append((c.call("BGSAVE", "NOW"), c.call("SAVE", "x"), c.call("LASTSAVE", "x"),
                            c.call("BGSAVE"), c.call("SAVE")))
    assert replies[0][:4] == replies[1][:4]
    assert replies[0][3] == b"+Background saving started\r\n"
    # SAVE right after BGSAVE: both servers refuse while the background save runs, or save.
    assert replies[0][4] in (b"+OK\r\n", b"-ERR Background save already in progress\r\n")


def test_bgsave_is_a_point_in_time_view_while_clients_write(ours_in, tmp_path):
    n = 100_000
    # rdb-key-save-delay (µs per key, as in Redis) keeps the snapshot running while the writes arrive.
    srv = ours_in("--enable-debug-command", "yes", "--rdb-key-save-delay", "10")
    r = srv.redis()
    r.execute_command("DEBUG", "POPULATE", n)
    for i in range(0, 100, 10):
        r.set("ttl:%d" % i, "t", px=50_000_000)
    # Change the dataset while the snapshot runs: overwrite, delete, add, change TTLs.
    pipe = r.pipeline(transaction=False)
    pipe.info("persistence")
    for i in range(0, n, 7):
        pipe.set("key:%d" % i, "changed")
    for i in range(3, n, 11):
        pipe.delete("key:%d" % i)
    for i in range(5000):
        pipe.set("new:%d" % i, "born-after")
    for i in range(0, 100, 10):
        pipe.persist("ttl:%d" % i)
    pipe.info("persistence")
    assert r.execute_command("BGSAVE") is True
    results = pipe.execute()
    assert results[0]["rdb_bgsave_in_progress"] == 1, "the writes did not overlap the snapshot"
    assert results[-1]["rdb_bgsave_in_progress"] == 1, "the writes did not overlap the snapshot"
    wait_bgsave_done(r)
    assert info_field(r, "persistence", "rdb_last_bgsave_status") == "ok"
    loader = load_with_real_redis(tmp_path)
    try:
        lr = loader.redis()
        assert lr.dbsize() == n + 10
        for i in list(range(0, 2000)) + list(range(n - 2000, n)):
            assert lr.get("key:%d" % i) == b"value:%d" % i
        assert lr.exists("new:0") == 0
        for i in range(0, 100, 10):
            assert lr.pttl("ttl:%d" % i) > 40_000_000
    finally:
        loader.stop()
    # The live dataset has every change.
    assert r.get("key:0") == b"changed" and r.exists("key:3") == 0 and r.get("new:1") == b"born-after"


def test_flushall_and_swapdb_during_bgsave_do_not_change_the_snapshot(ours_in, tmp_path):
    n = 50_000
    r = ours_in("--enable-debug-command", "yes", "--rdb-key-save-delay", "10").redis()
    r.execute_command("DEBUG", "POPULATE", n)
    r.execute_command("SELECT", 0)
    r.execute_command("BGSAVE")
    pipe = r.pipeline(transaction=False)
    pipe.swapdb(0, 1)
    pipe.flushall()
    pipe.set("after", "flush")
    pipe.info("persistence")
    results = pipe.execute()
    assert results[-1]["rdb_bgsave_in_progress"] == 1, "the writes did not overlap the snapshot"
    wait_bgsave_done(r)
    loader = load_with_real_redis(tmp_path)
    try:
        lr = loader.redis()
        assert lr.dbsize() == n
        assert lr.get("key:123") == b"value:123"
        assert lr.exists("after") == 0
    finally:
        loader.stop()


def test_save_points_trigger_a_background_save(ours_in, tmp_path):
    r = ours_in("--save", "1 1").redis()
    r.set("k", "v")
    wait_for(lambda: info_field(r, "persistence", "rdb_saves") >= 1, what="a save point to fire")
    assert (tmp_path / "dump.rdb").exists()
    assert info_field(r, "persistence", "rdb_changes_since_last_save") == 0


def test_config_get_save_default_matches_redis(server_factory):
    values = []
    for kind in ("ours", "real"):
        srv = ServerProcess(ours_binary() if kind == "ours" else real_binary(), kind + "-defaults", [])
        srv.BASE_ARGS = ["--bind", "127.0.0.1"]
        srv.start()
        try:
            values.append(srv.redis().config_get("save")["save"])
        finally:
            srv.stop()
    assert values[0] == values[1]


def test_failed_bgsave_denies_writes_with_misconf_like_redis(tmp_path):
    replies = []
    for kind in ("ours", "real"):
        d = tmp_path / kind
        d.mkdir()
        srv = ServerProcess(ours_binary() if kind == "ours" else real_binary(), kind + "-misconf",
                            ["--dir", str(d), "--save", "3600 1"])
        srv.start()
        try:
            r = srv.redis()
            r.set("k", "v")
            # The directory disappears: the temporary file cannot be created.
            shutil.rmtree(d)
            r.execute_command("BGSAVE")
            wait_for(lambda: info_field(r, "persistence", "rdb_bgsave_in_progress") == 0)
            status = info_field(r, "persistence", "rdb_last_bgsave_status")
            with srv.client() as c:
                replies.append((status, c.call("SET", "x", "1"), c.call("GET", "k"), c.call("PING")))
                c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
                replies.append(c.call("SET", "x", "1"))
        finally:
            srv.stop()
    assert replies[0] == replies[2] and replies[1] == replies[3]
    assert replies[0][0] == "err" and replies[0][1].startswith(b"-MISCONF")


def test_shutdown_save_and_nosave(ours_in, tmp_path):
    srv = ours_in()
    with srv.client() as c:
        c.call("SET", "k", "v")
        c.send("SHUTDOWN", "NOSAVE")
    wait_for(lambda: srv.proc.poll() is not None, what="the server to exit")
    assert not (tmp_path / "dump.rdb").exists()
    srv2 = ours_in()
    with srv2.client() as c:
        c.call("SET", "k", "v")
        c.send("SHUTDOWN", "SAVE")
    wait_for(lambda: srv2.proc.poll() is not None, what="the server to exit")
    assert (tmp_path / "dump.rdb").exists()


def test_sigterm_saves_when_save_points_are_configured(ours_in, tmp_path):
    srv = ours_in("--save", "3600 1")
    srv.redis().set("k", "v")
    srv.proc.terminate()
    wait_for(lambda: srv.proc.poll() is not None, what="the server to exit")
    assert (tmp_path / "dump.rdb").exists()
    loader = load_with_real_redis(tmp_path)
    try:
        assert loader.redis().get("k") == b"v"
    finally:
        loader.stop()


def test_info_persistence_has_redis_fields(server_factory):
    names = []
    for kind in ("ours", "real"):
        r = server_factory(kind).redis()
        names.append([k for k in r.info("persistence").keys() if not k.startswith("aof_")])
    assert names[0] == names[1]


def test_bgrewriteaof_with_appendonly_off_writes_a_base_like_redis(tmp_path):
    layouts = []
    for kind in ("ours", "real"):
        d = tmp_path / kind
        d.mkdir()
        srv = ServerProcess(ours_binary() if kind == "ours" else real_binary(), kind + "-aofoff", ["--dir", str(d)])
        srv.start()
        try:
            r = srv.redis()
            r.set("k", "v")
            assert r.bgrewriteaof()
            wait_for(lambda: r.info("persistence")["aof_rewrite_in_progress"] == 0, what="the rewrite")
            assert r.info("persistence")["aof_rewrites"] == 1
            files = sorted(os.listdir(d / "appendonlydir"))
            manifest = (d / "appendonlydir" / "appendonly.aof.manifest").read_text()
            layouts.append((files, manifest))
        finally:
            srv.stop()
    assert layouts[0] == layouts[1]


def test_debug_change_repl_id_changes_master_replid(ours_in):
    r = ours_in("--enable-debug-command", "yes").redis()
    before = r.info("replication")["master_replid"]
    assert r.execute_command("DEBUG", "CHANGE-REPL-ID") == b"OK"
    after = r.info("replication")["master_replid"]
    assert after != before and len(after) == 40


def test_clients_get_loading_while_the_dataset_loads_like_redis(tmp_path):
    """The port opens before the dataset is loaded (key-load-delay slows the load, as in Redis's own tests):
    commands get -LOADING, INFO answers with loading:1 and the loading_* fields, then the data is there."""
    seen = []
    for kind in ("ours", "real"):
        d = tmp_path / kind
        d.mkdir()
        binary = ours_binary() if kind == "ours" else real_binary()
        srv = ServerProcess(binary, kind + "-filler", ["--dir", str(d), "--enable-debug-command", "yes"])
        srv.start()
        # Over 2 MB: Redis serves clients during a load every 2 MB (loading-process-events-interval-bytes).
        srv.redis().execute_command("DEBUG", "POPULATE", 200000)
        srv.redis().save()
        srv.stop()
        proc_dir = d
        loader = ServerProcess(binary, kind + "-slowload", ["--dir", str(proc_dir), "--key-load-delay", "-10"])
        loader.BASE_ARGS = ["--bind", "127.0.0.1", "--save", ""]
        # Start without the harness's wait for the end of loading.
        import socket
        import subprocess
        loader.port = __import__("conftest").free_port()
        loader.proc = subprocess.Popen([binary, "--port", str(loader.port)] + loader.BASE_ARGS + loader.extra_args,
                                       cwd=str(proc_dir), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            def connect():
                try:
                    return socket.create_connection(("127.0.0.1", loader.port), timeout=0.5)
                except OSError:
                    return None
            s = wait_for(connect, what="the port to open")
            s.close()
            with loader.client() as c:
                get_reply = c.call("GET", "key:1")
                info = c.call_decoded("INFO", "persistence")
            fields = set(l.split(b":")[0] for l in info.split(b"\r\n") if b":" in l)
            seen.append((get_reply, b"loading:1" in info,
                         {f for f in fields if f.startswith(b"loading")}))
            r = loader.redis()
            wait_for(lambda: r.info("persistence")["loading"] == 0, what="the load to finish")
            assert r.get("key:1") == b"value:1" and r.dbsize() == 200000
        finally:
            loader.proc.kill()
            loader.proc.wait()
    assert seen[0] == seen[1]
    assert seen[0][0] == b"-LOADING Redis is loading the dataset in memory\r\n" and seen[0][1]
