"""The append-only file, Redis 7.0 multi-part format: interop with redis-server 7.0.15 both ways, restart,
MULTI/EXEC and expiries in the file, truncated tails, BGREWRITEAOF, redis-check-aof, and kill -9 durability
with appendfsync always / everysec."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import free_port, ours_binary, process_listens_on, real_binary

# IT_DEADLINE_SCALE: sanitized debug builds (make test-sanitize-*) load and sync 5-20 times slower.
START_TIMEOUT = 20 * float(os.environ.get("IT_DEADLINE_SCALE", "1"))


class DirServer(object):
    """A server process on a free port whose data directory survives restarts and kill -9."""

    def __init__(self, binary, data_dir, *args):
        self.binary = str(binary)
        self.dir = data_dir
        self.args = list(args)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(data_dir, "server.log")

    def start(self, expect_exit=False):
        self.port = free_port()
        log = open(self.log_path, "ab")
        cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
               "--dir", self.dir] + self.args
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if expect_exit:
                    return self.proc.returncode
                raise RuntimeError("server exited during startup:\n" + self.log())
            if expect_exit:
                time.sleep(0.05)
                continue
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    # The port opens before the dataset is loaded: wait until PING stops answering -LOADING.
                    s.sendall(b"PING\r\n")
                    if not s.recv(64).startswith(b"-LOADING"):
                        if not process_listens_on(self.proc.pid, self.port):
                            # Another test's server holds the port we believed free: ours exits; try another.
                            self.kill9()
                            return self.start(expect_exit)
                        return None
                    time.sleep(0.05)
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not %s in time:\n%s" % ("exit" if expect_exit else "start", self.log()))

    def redis(self, db=0):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, db=db, socket_timeout=20)

    def shutdown(self):
        if self.proc and self.proc.poll() is None:
            try:
                self.redis().shutdown()
            except Exception:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-8000:].decode("utf-8", "replace")
        except OSError:
            return ""


@pytest.fixture
def data_dir():
    d = tempfile.mkdtemp(prefix="redis-it-aof-")
    servers = []
    yield d, servers
    for s in servers:
        s.kill9()
    shutil.rmtree(d, ignore_errors=True)


def server(data_dir, binary, *args):
    d, servers = data_dir
    s = DirServer(binary, d, *args)
    servers.append(s)
    return s


def ours(data_dir, *args):
    return server(data_dir, ours_binary(), "--appendonly", "yes", *args)


def real(data_dir, *args):
    return server(data_dir, real_binary(), "--appendonly", "yes", "--aof-use-rdb-preamble", "no", *args)


def aof_dir(data_dir):
    return os.path.join(data_dir[0], "appendonlydir")


def manifest_entries(data_dir):
    with open(os.path.join(aof_dir(data_dir), "appendonly.aof.manifest")) as f:
        return [line.split() for line in f.read().splitlines()]


def incr_path(data_dir):
    incr = [e[1] for e in manifest_entries(data_dir) if e[5] == "i"][-1]
    return os.path.join(aof_dir(data_dir), incr)


def dataset(s):
    """Every key of every non-empty database: type, value, absolute expiry."""
    out = {}
    info = s.redis().info("keyspace")
    for dbname in info:
        db = int(dbname[2:])
        r = s.redis(db)
        for k in r.keys("*"):
            t = r.type(k).decode()
            if t == "string":
                v = r.get(k)
            elif t == "list":
                v = r.lrange(k, 0, -1)
            elif t == "set":
                v = sorted(r.smembers(k))
            elif t == "hash":
                v = sorted(r.hgetall(k).items())
            elif t == "zset":
                v = r.zrange(k, 0, -1, withscores=True)
            else:
                v = None
            out[(db, k)] = (t, v, r.pexpiretime(k))
    return out


def write_sample(s):
    """Mixed types, several databases, TTLs, a transaction, deletes and overwrites."""
    r = s.redis()
    r.set("str", "hello")
    r.set("int", 42)
    r.incrby("int", 8)
    r.append("str", " world")
    r.set("ttl", "v", ex=1000)
    r.expire("str", 5000)
    r.rpush("list", *[str(i) for i in range(150)])
    r.lpush("list", "head")
    r.hset("hash", mapping={"f%d" % i: "v%d" % i for i in range(100)})
    r.sadd("set", *range(80))
    r.sadd("sset", "a", "b", "c")
    r.zadd("zset", {"m%d" % i: i * 1.5 for i in range(130)})
    r.set("gone", "x")
    r.delete("gone")
    r.set("shortlived", "x", px=1)
    p = r.pipeline(transaction=True)
    p.set("tx1", "a")
    p.incr("tx2")
    p.rpush("txlist", "x", "y")
    p.execute()
    r2 = s.redis(3)
    r2.set("db3key", "v3")
    r2.hset("db3hash", "a", "1")
    r2.pexpire("db3hash", 9000000)
    time.sleep(0.01)  # let "shortlived" expire: its DEL is in the file too


def wait_until(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


# ------------------------------------------------------------------ interop ----

def test_ours_appendonlydir_loads_in_real_redis(data_dir):
    a = ours(data_dir, "--aof-use-rdb-preamble", "no")
    a.start()
    write_sample(a)
    before = dataset(a)
    a.shutdown()
    b = real(data_dir)
    b.start()
    assert dataset(b) == before
    b.shutdown()


def test_real_appendonlydir_loads_in_ours(data_dir):
    b = real(data_dir)
    b.start()
    write_sample(b)
    before = dataset(b)
    b.shutdown()
    a = ours(data_dir)
    a.start()
    assert dataset(a) == before
    a.shutdown()


def test_real_appendonlydir_after_bgrewriteaof_loads_in_ours(data_dir):
    b = real(data_dir)
    b.start()
    write_sample(b)
    b.redis().bgrewriteaof()
    assert wait_until(lambda: b.redis().info("persistence")["aof_rewrite_in_progress"] == 0)
    b.redis().set("after", "rewrite")
    before = dataset(b)
    b.shutdown()
    a = ours(data_dir)
    a.start()
    assert dataset(a) == before
    a.shutdown()


def test_first_start_creates_base_incr_and_manifest(data_dir):
    a = ours(data_dir, "--aof-use-rdb-preamble", "no")
    a.start()
    assert manifest_entries(data_dir) == [
        ["file", "appendonly.aof.1.base.aof", "seq", "1", "type", "b"],
        ["file", "appendonly.aof.1.incr.aof", "seq", "1", "type", "i"]]
    a.shutdown()


# ------------------------------------------------------------ restart ----

def test_restart_keeps_data(data_dir):
    a = ours(data_dir)
    a.start()
    write_sample(a)
    before = dataset(a)
    a.shutdown()
    a.start()
    assert dataset(a) == before
    a.shutdown()


def rewrite_done(s):
    return wait_until(lambda: s.redis().info("persistence")["aof_rewrite_in_progress"] == 0, timeout=60)


def test_bgrewriteaof_switches_manifest_and_keeps_data(data_dir):
    a = ours(data_dir)
    a.start()
    write_sample(a)
    assert a.redis().bgrewriteaof()
    a.redis().set("after", "rewrite")
    assert rewrite_done(a)
    entries = manifest_entries(data_dir)
    # aof-use-rdb-preamble yes (the default): the new base is an RDB snapshot.
    assert [e[1] for e in entries] == ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof"]
    assert sorted(os.listdir(aof_dir(data_dir))) == sorted(
        ["appendonly.aof.2.base.rdb", "appendonly.aof.2.incr.aof", "appendonly.aof.manifest"])
    before = dataset(a)
    a.shutdown()
    a.start()
    assert dataset(a) == before
    a.shutdown()


def test_timestamp_annotations_are_written_and_skipped_on_load(data_dir):
    a = ours(data_dir, "--aof-timestamp-enabled", "yes")
    a.start()
    a.redis().set("k", "v")
    a.shutdown()
    with open(incr_path(data_dir), "rb") as f:
        assert f.read().startswith(b"#TS:")
    a.start()
    assert a.redis().get("k") == b"v"
    a.shutdown()


def test_config_set_appendonly_at_runtime_writes_the_dataset(data_dir):
    d, servers = data_dir
    a = server(data_dir, ours_binary(), "--appendonly", "no")
    a.start()
    write_sample(a)
    before = dataset(a)
    assert a.redis().config_set("appendonly", "yes")
    assert a.redis().info("persistence")["aof_enabled"] == 1
    a.shutdown()
    a.args = ["--appendonly", "yes"]
    a.start()
    assert dataset(a) == before
    a.shutdown()


def test_old_style_single_file_is_loaded_and_migrated(data_dir):
    d, _ = data_dir
    with open(os.path.join(d, "appendonly.aof"), "wb") as f:
        f.write(b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$3\r\nold\r\n$5\r\nstyle\r\n")
    a = ours(data_dir)
    a.start()
    assert a.redis().get("old") == b"style"
    assert "Successfully migrated an old-style AOF into the AOF directory" in a.log()
    assert not os.path.exists(os.path.join(d, "appendonly.aof"))
    a.shutdown()
    b = real(data_dir)
    b.start()
    assert b.redis().get("old") == b"style"
    b.shutdown()


# ----------------------------------------------------------- truncation ----

def truncated_setup(data_dir):
    a = ours(data_dir)
    a.start()
    a.redis().set("complete", "1")
    a.shutdown()
    with open(incr_path(data_dir), "ab") as f:
        f.write(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$3\r\nxy")
    return a


def test_truncated_tail_is_cut_with_aof_load_truncated_yes(data_dir):
    a = truncated_setup(data_dir)
    size = os.path.getsize(incr_path(data_dir))
    a.start()
    assert a.redis().get("complete") == b"1"
    assert a.redis().get("half") is None
    assert "!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!" in a.log()
    assert os.path.getsize(incr_path(data_dir)) == size - len(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$3\r\nxy")
    a.shutdown()


def test_truncated_tail_refuses_to_start_with_aof_load_truncated_no(data_dir):
    a = truncated_setup(data_dir)
    a.args += ["--aof-load-truncated", "no"]
    code = a.start(expect_exit=True)
    assert code != 0
    assert "Unexpected end of file reading the append only file appendonly.aof.1.incr.aof" in a.log()


def test_incomplete_multi_at_the_end_is_reverted(data_dir):
    a = ours(data_dir)
    a.start()
    a.redis().set("before", "1")
    a.shutdown()
    with open(incr_path(data_dir), "ab") as f:
        f.write(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$2\r\ntx\r\n$1\r\n1\r\n")
    a.start()
    assert a.redis().get("before") == b"1"
    assert a.redis().get("tx") is None
    assert "Revert incomplete MULTI/EXEC transaction in AOF file" in a.log()
    a.shutdown()


# ----------------------------------------------------------- check-aof ----

def run_check(binary, *args, stdin=b""):
    p = subprocess.run([binary] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return p.returncode, p.stdout


def test_check_aof_reports_like_redis_check_aof(data_dir):
    b = real(data_dir)
    b.start()
    write_sample(b)
    b.redis().bgrewriteaof()
    assert wait_until(lambda: b.redis().info("persistence")["aof_rewrite_in_progress"] == 0)
    b.redis().set("x", "y")
    b.redis().rpush("l", "a", "b")
    b.shutdown()
    manifest = os.path.join(aof_dir(data_dir), "appendonly.aof.manifest")
    tool = shutil.which("redis-check-aof")
    assert run_check(ours_binary(), "--check-aof", manifest) == run_check(tool, manifest)
    incr = incr_path(data_dir)
    with open(incr, "rb") as f:
        data = f.read()
    with open(incr, "wb") as f:
        f.write(data[:-7])
    assert run_check(ours_binary(), "--check-aof", manifest) == run_check(tool, manifest)
    assert run_check(ours_binary(), "--check-aof", incr) == run_check(tool, incr)
    saved = data[:-7]
    got_ours = run_check(ours_binary(), "--check-aof", "--fix", manifest, stdin=b"y\n")
    with open(incr, "wb") as f:
        f.write(saved)
    got_real = run_check(tool, "--fix", manifest, stdin=b"y\n")
    assert got_ours == got_real


def test_check_aof_runs_as_redis_check_aof_symlink(data_dir):
    d, _ = data_dir
    link = os.path.join(d, "redis-check-aof")
    os.symlink(ours_binary(), link)
    path = os.path.join(d, "one.aof")
    with open(path, "wb") as f:
        f.write(b"*1\r\n$4\r\nPING\r\n")
    assert run_check(link, path) == run_check(shutil.which("redis-check-aof"), path)


# ------------------------------------------------------- durability ----

def writer(port, conn_id, round_id, acked, stop, batch=100):
    """Pipelines mixed writes; records how many replies arrived (every reply is one line)."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    except OSError:
        return
    f = sock.makefile("rb")
    i = 0
    try:
        while not stop.is_set():
            buf = []
            for j in range(i, i + batch):
                kind = j % 5
                tag = "%d:%d" % (round_id, conn_id)
                if kind == 0:
                    args = ["SET", "s:%s:%d" % (tag, j), str(j)]
                elif kind == 1:
                    args = ["RPUSH", "l:" + tag, str(j)]
                elif kind == 2:
                    args = ["SADD", "t:" + tag, str(j)]
                elif kind == 3:
                    args = ["HSET", "h:" + tag, str(j), "v"]
                else:
                    args = ["ZADD", "z:" + tag, str(j), "m%d" % j]
                buf.append("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args))
            sock.sendall("".join(buf).encode())
            for _ in range(batch):
                line = f.readline()
                if not line.endswith(b"\r\n") or line[:1] not in (b"+", b":"):
                    return
                acked[conn_id] = acked.get(conn_id, 0) + 1
            i += batch
    except OSError:
        return
    finally:
        try:
            sock.close()
        except OSError:
            pass


def verify_round(r, round_id, acked):
    for conn_id, n in acked.items():
        tag = "%d:%d" % (round_id, conn_id)
        strings = [j for j in range(n) if j % 5 == 0]
        for k in range(0, len(strings), 1000):
            chunk = strings[k:k + 1000]
            got = r.mget(["s:%s:%d" % (tag, j) for j in chunk])
            missing = [j for j, v in zip(chunk, got) if v != str(j).encode()]
            assert not missing, "round %d conn %d: acknowledged SETs missing: %s" % (round_id, conn_id, missing[:5])
        lst = [int(x) for x in r.lrange("l:" + tag, 0, -1)]
        want = [j for j in range(n) if j % 5 == 1]
        assert lst[:len(want)] == want, "round %d conn %d: list lost acknowledged pushes" % (round_id, conn_id)
        members = set(int(x) for x in r.smembers("t:" + tag))
        assert all(j in members for j in range(n) if j % 5 == 2)
        fields = set(int(x) for x in r.hkeys("h:" + tag))
        assert all(j in fields for j in range(n) if j % 5 == 3)
        zmembers = set(r.zrange("z:" + tag, 0, -1))
        assert all(("m%d" % j).encode() in zmembers for j in range(n) if j % 5 == 4)


@pytest.mark.skipif(bool(os.environ.get("IT_SANITIZER")),
                    reason="reloads a growing AOF of 200,000+ commands 20 times: tens of minutes on a sanitized debug build")
def test_kill9_with_appendfsync_always_keeps_every_acknowledged_write(data_dir):
    a = ours(data_dir, "--appendfsync", "always")
    rounds, per_round, conns = 10, 21000, 4
    total = 0
    for round_id in range(rounds):
        a.start()
        acked, stop = {}, threading.Event()
        threads = [threading.Thread(target=writer, args=(a.port, c, round_id, acked, stop)) for c in range(conns)]
        for t in threads:
            t.start()
        assert wait_until(lambda: sum(acked.values()) >= per_round, timeout=30), "writers too slow"
        a.kill9()  # while the writers are still sending
        stop.set()
        for t in threads:
            t.join(timeout=10)
        total += sum(acked.values())
        a.start()
        verify_round(a.redis(), round_id, acked)
        a.kill9()
    assert total >= 200000


def test_kill9_with_appendfsync_everysec_loses_at_most_about_a_second(data_dir):
    a = ours(data_dir, "--appendfsync", "everysec")
    a.start()
    sock = socket.create_connection(("127.0.0.1", a.port), timeout=10)
    f = sock.makefile("rb")
    acked_at = []
    deadline = time.monotonic() + 3.0
    i = 0
    while time.monotonic() < deadline:
        cmds = "".join("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n" % (len("e%d" % j), "e%d" % j)
                       for j in range(i, i + 50))
        sock.sendall(cmds.encode())
        for _ in range(50):
            assert f.readline() == b"+OK\r\n"
        now = time.monotonic()
        acked_at.append((i + 50, now))
        i += 50
    kill_time = time.monotonic()
    a.kill9()
    sock.close()
    old = max((n for n, t in acked_at if t < kill_time - 2.0), default=0)
    assert old > 0
    a.start()
    r = a.redis()
    got = r.mget(["e%d" % j for j in range(old)])
    assert all(v == b"v" for v in got), "acknowledged writes older than 2 s were lost"
    a.shutdown()


# ------------------------------------------------- rewrite under load ----

def test_bgrewriteaof_under_a_write_load_loses_nothing(data_dir):
    a = ours(data_dir)
    a.start()
    acked, stop = {}, threading.Event()
    threads = [threading.Thread(target=writer, args=(a.port, c, 0, acked, stop)) for c in range(3)]
    for t in threads:
        t.start()
    r = a.redis()
    for _ in range(5):
        target = sum(acked.values()) + 3000
        assert wait_until(lambda: sum(acked.values()) >= target, timeout=30)
        assert r.bgrewriteaof()
        assert rewrite_done(a)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert r.info("persistence")["aof_rewrites"] >= 5
    a.shutdown()
    a.start()
    verify_round(a.redis(), 0, acked)
    a.shutdown()


# ------------------------------------------------------ INFO and CONFIG ----

AOF_DIRECTIVES = ["appendonly", "appendfilename", "appenddirname", "appendfsync", "no-appendfsync-on-rewrite",
                  "auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size", "aof-load-truncated",
                  "aof-use-rdb-preamble", "aof-timestamp-enabled", "aof-rewrite-incremental-fsync"]


def info_aof_fields(s):
    return [k for k in s.redis().info("persistence") if k.startswith("aof_")]


def test_info_persistence_aof_fields_are_redis_fields(data_dir):
    d, _ = data_dir
    os.mkdir(os.path.join(d, "ours"))
    os.mkdir(os.path.join(d, "real"))
    a = server((os.path.join(d, "ours"), data_dir[1]), ours_binary(), "--appendonly", "yes")
    b = server((os.path.join(d, "real"), data_dir[1]), real_binary(), "--appendonly", "yes")
    a.start()
    b.start()
    assert info_aof_fields(a) == info_aof_fields(b)
    a.redis().config_set("appendonly", "no")
    b.redis().config_set("appendonly", "no")
    assert info_aof_fields(a) == info_aof_fields(b)
    a.shutdown()
    b.shutdown()


def test_aof_directives_have_redis_defaults_and_validation(data_dir):
    d, _ = data_dir
    os.mkdir(os.path.join(d, "ours"))
    os.mkdir(os.path.join(d, "real"))
    a = server((os.path.join(d, "ours"), data_dir[1]), ours_binary())
    b = server((os.path.join(d, "real"), data_dir[1]), real_binary())
    a.start()
    b.start()
    for name in AOF_DIRECTIVES:
        assert a.redis().config_get(name) == b.redis().config_get(name), name
    for args in [("appendfsync", "sometimes"), ("aof-load-truncated", "maybe"), ("appenddirname", "x"),
                 ("auto-aof-rewrite-percentage", "-1"), ("appendfsync", "no"), ("aof-timestamp-enabled", "yes")]:
        results = []
        for s in (a, b):
            try:
                results.append(("ok", s.redis().config_set(*args)))
            except Exception as e:
                results.append(("err", str(e)))
        assert results[0] == results[1], args
    a.shutdown()
    b.shutdown()


def test_auto_rewrite_starts_past_percentage_and_min_size(data_dir):
    a = ours(data_dir, "--auto-aof-rewrite-min-size", "64kb", "--auto-aof-rewrite-percentage", "100")
    a.start()
    r = a.redis()
    p = r.pipeline(transaction=False)
    for i in range(3000):
        p.set("k%d" % (i % 10), "x" * 100)
    p.execute()
    assert wait_until(lambda: r.info("persistence")["aof_rewrites"] >= 1)
    assert "Starting automatic rewriting of AOF on" in a.log()
    # A rewrite that started while the writes went on leaves them in the new incremental file; the next automatic
    # rewrite (growth past 100% of the new base) compacts them again.
    assert wait_until(lambda: r.info("persistence")["aof_current_size"] < 64 * 1024, timeout=60)
    a.shutdown()


def test_appendfsync_always_woken_and_subscribed_clients_get_their_replies(data_dir):
    a = ours(data_dir, "--appendfsync", "always")
    a.start()
    r = a.redis()
    popped = []
    t = threading.Thread(target=lambda: popped.append(a.redis().blpop("q", timeout=10)))
    t.start()
    assert wait_until(lambda: r.info("clients")["blocked_clients"] == 1)
    ps = a.redis().pubsub()
    ps.subscribe("ch")
    assert ps.get_message(timeout=5)["type"] == "subscribe"
    r.rpush("q", "job")
    r.publish("ch", "hello")
    t.join(timeout=10)
    assert popped == [(b"q", b"job")]
    msg = ps.get_message(timeout=5)
    assert msg and msg["data"] == b"hello"
    r.set("last", "1")
    a.kill9()
    a.start()
    assert a.redis().get("last") == b"1"
    assert a.redis().llen("q") == 0
    a.shutdown()


def test_real_appendonlydir_with_rdb_base_loads_in_ours(data_dir):
    b = server(data_dir, real_binary(), "--appendonly", "yes")  # aof-use-rdb-preamble yes: base is RDB
    b.start()
    write_sample(b)
    b.redis().bgrewriteaof()
    assert rewrite_done(b)
    b.redis().set("after", "rewrite")
    before = dataset(b)
    b.shutdown()
    assert any(e[1].endswith(".base.rdb") for e in manifest_entries(data_dir))
    a = ours(data_dir)
    a.start()
    assert "Reading RDB base file on AOF loading..." in a.log()
    assert dataset(a) == before
    a.shutdown()


def test_ours_appendonlydir_with_rdb_base_loads_in_real_redis(data_dir):
    a = ours(data_dir)
    a.start()
    write_sample(a)
    assert a.redis().bgrewriteaof()
    assert rewrite_done(a)
    a.redis().set("after", "rewrite")
    before = dataset(a)
    a.shutdown()
    assert any(e[1].endswith(".base.rdb") for e in manifest_entries(data_dir))
    b = server(data_dir, real_binary(), "--appendonly", "yes")
    b.start()
    assert dataset(b) == before
    b.shutdown()
