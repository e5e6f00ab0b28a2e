"""Replication features beyond plain PSYNC, each checked against redis-server 7.0.15 where it is observable.

- `min-replicas-to-write` / `min-replicas-max-lag`: writes refused with NOREPLICAS, INFO `min_slaves_good_slaves`.
- `repl-backlog-ttl` frees the backlog of a master left without replicas; `CONFIG SET repl-backlog-size` resizes
  the live backlog (and is raised to Redis's 16 KB minimum).
- `replica-announce-ip` / `replica-announce-port` as the master reports them; `replica-priority` and
  `replica-announced` in a replica's INFO.
- Chained replicas: a replica serves SYNC/PSYNC and proxies its master's stream byte for byte (same replid and
  offsets on all three servers, equal digests), in both mixes of real and our servers.
- A promoted replica lets its old master continue with a partial resync (`replid2` / `second_repl_offset`).

Every wait polls with a deadline; every process started here is stopped by the fixture that started it."""

import os
import subprocess
import tempfile
import time

import pytest

from conftest import ServerProcess, ours_binary, real_binary

# IT_DEADLINE_SCALE: sanitized debug builds (make test-sanitize-*) sync 5-20 times slower.
DEADLINE = 20.0 * float(os.environ.get("IT_DEADLINE_SCALE", "1"))


def wait_for(predicate, timeout=DEADLINE, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s" % what)


def binary(kind):
    return ours_binary() if kind == "ours" else real_binary()


@pytest.fixture
def servers():
    """start(kind, *args) starts ours or a real redis-server; all are stopped at the end."""
    started = []

    def start(kind, *args):
        srv = ServerProcess(binary(kind), "%s-%d" % (kind, len(started)), ["--repl-ping-replica-period", "1", "--repl-diskless-sync-delay", "0"] + list(args))
        started.append(srv)
        srv.start()
        return srv

    yield start
    for srv in started:
        srv.stop()


def info(srv):
    return srv.redis().info("replication")


def replicate(srv, master):
    srv.redis().execute_command("REPLICAOF", "127.0.0.1", master.port)


def in_sync(master, *replicas):
    """Every replica has processed every byte the master produced."""
    mo = info(master)["master_repl_offset"]
    for r in replicas:
        ri = info(r)
        if ri.get("master_link_status") != "up" or ri.get("slave_repl_offset") != mo:
            return False
    return True


def wait_online(master):
    """ROLE lists online replicas only; a redis-server master marks a replica online at its first ACK."""
    wait_for(lambda: master.redis().execute_command("ROLE")[2], what="the replica to be online")


def write_some(srv, n=200, prefix="k"):
    r = srv.redis()
    p = r.pipeline(transaction=False)
    for i in range(n):
        db_key = "%s%d" % (prefix, i)
        p.set(db_key, i)
        p.hset("h" + prefix, db_key, i)
        if i % 50 == 0:
            p.execute_command("SELECT", 3)
            p.lpush("l" + prefix, i)
            p.execute_command("SELECT", 0)
    p.execute()


def digest(srv):
    return srv.redis().execute_command("DEBUG", "DIGEST")


# -- min-replicas-to-write ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["ours", "real"])
def test_writes_are_refused_without_enough_good_replicas(servers, kind):
    master = servers(kind, "--min-replicas-to-write", "1")
    r = master.redis()
    with pytest.raises(Exception) as e:
        r.set("a", "1")
    assert "Not enough good replicas to write." in str(e.value)
    assert info(master)["min_slaves_good_slaves"] == 0
    assert r.get("a") is None  # reads are still served


def test_norplicas_error_text_is_redis_s(servers):
    replies = []
    for kind in ("ours", "real"):
        srv = servers(kind, "--min-replicas-to-write", "2")
        with srv.client() as c:
            replies.append((c.call("SET", "a", "1"), c.call("MULTI"), c.call("SET", "a", "1"), c.call("EXEC")))
    assert replies[0] == replies[1]
    assert replies[0][0] == b"-NOREPLICAS Not enough good replicas to write.\r\n"


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_a_replica_that_acknowledges_makes_writes_accepted(servers, kind):
    master = servers(kind, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10")
    replicate(servers("real"), master)
    wait_for(lambda: info(master).get("min_slaves_good_slaves") == 1, what="one good replica")
    assert master.redis().set("a", "1") is True


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_a_replica_lagging_past_max_lag_stops_counting_as_good(servers, kind):
    master = servers(kind, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "1")
    replica = servers("real")
    replicate(replica, master)
    wait_for(lambda: info(master).get("min_slaves_good_slaves") == 1, what="one good replica")
    sleeper = replica.client(timeout=10)
    sleeper.send("DEBUG", "SLEEP", "4")  # no ACK while it sleeps
    try:
        wait_for(lambda: info(master).get("min_slaves_good_slaves") == 0, timeout=8, what="the replica to lag")
        with pytest.raises(Exception, match="Not enough good replicas"):
            master.redis().set("a", "1")
    finally:
        sleeper.read_reply()
        sleeper.close()


# -- backlog ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["ours", "real"])
def test_backlog_is_freed_once_no_replica_was_attached_for_the_ttl(servers, kind):
    master = servers(kind, "--repl-backlog-ttl", "1")
    replica = servers("real")
    replicate(replica, master)
    wait_for(lambda: in_sync(master, replica), what="the replica to sync")
    old_id = info(master)["master_replid"]
    assert info(master)["repl_backlog_active"] == 1
    replica.redis().execute_command("REPLICAOF", "NO", "ONE")
    wait_for(lambda: info(master)["repl_backlog_active"] == 0, timeout=8, what="the backlog to be freed")
    assert info(master)["master_replid"] != old_id


def test_config_set_backlog_size_is_raised_to_the_16k_minimum(servers):
    got = []
    for kind in ("ours", "real"):
        r = servers(kind).redis()
        r.config_set("repl-backlog-size", "100")
        got.append(r.config_get("repl-backlog-size"))
    assert got[0] == got[1] == {"repl-backlog-size": "16384"}


def test_config_set_backlog_size_shrinks_the_live_backlog(servers):
    master = servers("ours")
    replica = servers("real")
    replicate(replica, master)
    wait_for(lambda: in_sync(master, replica), what="the replica to sync")
    master.redis().set("big", "x" * 100000)
    assert info(master)["repl_backlog_histlen"] > 100000
    master.redis().config_set("repl-backlog-size", "20000")
    i = info(master)
    assert i["repl_backlog_size"] == 20000
    assert 0 < i["repl_backlog_histlen"] <= 20000
    assert i["repl_backlog_first_byte_offset"] == i["master_repl_offset"] - i["repl_backlog_histlen"] + 1
    master.redis().set("after", "1")
    wait_for(lambda: in_sync(master, replica), what="the replica to follow after the resize")
    assert replica.redis().get("after") == b"1"


# -- announce, priority -----------------------------------------------------------------------------------

@pytest.mark.parametrize("replica_kind,master_kind", [("ours", "real"), ("real", "ours")])
def test_master_reports_the_announced_ip_and_port(servers, replica_kind, master_kind):
    master = servers(master_kind)
    replica = servers(replica_kind, "--replica-announce-ip", "10.1.2.3", "--replica-announce-port", "4242")
    replicate(replica, master)
    wait_for(lambda: in_sync(master, replica), what="the replica to sync")
    slave0 = info(master)["slave0"]
    assert (slave0["ip"], slave0["port"]) == ("10.1.2.3", 4242)
    # ROLE lists online replicas only (a diskless redis-server master waits for the replica's first ACK).
    listed = wait_for(lambda: master.redis().execute_command("ROLE")[2], what="ROLE to list the replica")
    assert listed[0][:2] == [b"10.1.2.3", b"4242"]


def test_replica_info_shows_priority_and_announced_as_redis(servers):
    master = servers("real")
    shown = []
    for kind in ("ours", "real"):
        replica = servers(kind, "--replica-priority", "7", "--replica-announced", "no")
        replicate(replica, master)
        i = info(replica)
        shown.append((i["slave_priority"], i["replica_announced"], i["slave_read_only"]))
    assert shown[0] == shown[1] == (7, 0, 1)


# -- chained replicas ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("chain", [("real", "ours", "real"), ("ours", "real", "ours"), ("ours", "ours", "ours")])
def test_chained_replicas_share_the_master_stream(servers, chain):
    top = servers(chain[0])
    middle = servers(chain[1])
    bottom = servers(chain[2])
    write_some(top, prefix="before")
    replicate(middle, top)
    wait_for(lambda: in_sync(top, middle), what="the middle replica to sync")
    replicate(bottom, middle)
    write_some(top, prefix="during")
    wait_for(lambda: in_sync(top, middle) and in_sync(middle, bottom), what="the chain to sync")
    write_some(top, prefix="after")
    top.redis().incr("counter")
    wait_for(lambda: in_sync(top, middle) and in_sync(middle, bottom), what="the chain to follow")
    assert digest(top) == digest(middle) == digest(bottom)
    ids = [info(s)["master_replid"] for s in (top, middle, bottom)]
    assert ids[0] == ids[1] == ids[2]
    assert info(middle)["connected_slaves"] == 1


def test_a_replica_without_its_master_link_refuses_sync(servers):
    replies = []
    for kind in ("ours", "real"):
        srv = servers(kind, "--replicaof", "127.0.0.1", "1")  # nothing listens on port 1
        with srv.client() as c:
            replies.append(c.call("PSYNC", "?", "-1"))
    assert replies[0] == replies[1] == b"-NOMASTERLINK Can't SYNC while not connected with my master\r\n"


def test_sub_replica_continues_partially_after_its_link_drops(servers):
    top = servers("real")
    middle = servers("ours")
    bottom = servers("real")
    replicate(middle, top)
    wait_for(lambda: in_sync(top, middle), what="the middle replica to sync")
    replicate(bottom, middle)
    wait_for(lambda: in_sync(middle, bottom), what="the bottom replica to sync")
    middle.redis().execute_command("CLIENT", "KILL", "TYPE", "replica")
    write_some(top, prefix="gap")
    wait_for(lambda: in_sync(top, middle) and in_sync(middle, bottom), what="the chain to recover")
    assert digest(top) == digest(bottom)
    with open(bottom.log_path, "rb") as f:
        assert b"Successful partial resynchronization with master" in f.read()


# -- promotion ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("old_master_kind", ["real", "ours"])
def test_old_master_continues_partially_from_the_promoted_replica(servers, old_master_kind):
    old = servers(old_master_kind)
    promoted = servers("ours")
    replicate(promoted, old)
    write_some(old, prefix="one")
    wait_for(lambda: in_sync(old, promoted), what="the replica to sync")
    old_id = info(old)["master_replid"]
    promoted.redis().execute_command("REPLICAOF", "NO", "ONE")
    p = info(promoted)
    assert p["master_replid2"] == old_id
    assert p["second_repl_offset"] == p["master_repl_offset"] + 1
    replicate(old, promoted)
    write_some(promoted, prefix="two")
    wait_for(lambda: in_sync(promoted, old), what="the old master to follow")
    assert digest(old) == digest(promoted)
    with open(promoted.log_path, "rb") as f:
        assert b"Partial resynchronization request from" in f.read()


# -- FAILOVER ---------------------------------------------------------------------------------------------

def failover_replies(srv):
    with srv.client() as c:
        return [c.call(*args) for args in (
            ("FAILOVER",), ("FAILOVER", "ABORT"), ("FAILOVER", "TIMEOUT", "0"), ("FAILOVER", "BOGUS"),
            ("FAILOVER", "TO", "127.0.0.1", "notaport"), ("FAILOVER", "TIMEOUT", "10", "TIMEOUT", "10"),
        )]


def test_failover_argument_errors_are_redis_s(servers):
    assert failover_replies(servers("ours")) == failover_replies(servers("real"))


def test_failover_preconditions_are_checked_as_redis(servers):
    got = []
    for kind in ("ours", "real"):
        master = servers(kind)
        replica = servers("real")
        replicate(replica, master)
        wait_for(lambda: in_sync(master, replica), what="the replica to sync")
        wait_online(master)
        with master.client() as c:
            got.append([c.call("FAILOVER", "FORCE"), c.call("FAILOVER", "TO", "10.9.9.9", "1")])
        with servers(kind, "--replicaof", "127.0.0.1", str(master.port)).client() as c:
            got.append([c.call("FAILOVER")])
    assert got[0] == got[2] and got[1] == got[3]
    assert got[0][0] == b"-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n"


def role_name(srv):
    return srv.redis().execute_command("ROLE")[0]


@pytest.mark.parametrize("master_kind,replica_kind", [("ours", "ours"), ("ours", "real"), ("real", "ours")])
def test_failover_hands_the_master_role_to_the_replica(servers, master_kind, replica_kind):
    master = servers(master_kind)
    replica = servers(replica_kind)
    write_some(master, prefix="before")
    replicate(replica, master)
    wait_for(lambda: in_sync(master, replica), what="the replica to sync")
    wait_online(master)
    assert master.redis().execute_command("FAILOVER") in (b"OK", "OK", True)
    wait_for(lambda: role_name(master) == b"slave" and role_name(replica) == b"master"
             and info(master)["master_link_status"] == "up", what="the roles to swap")
    assert info(master)["master_failover_state"] == "no-failover"
    assert info(replica)["master_replid2"] == info(master)["master_replid2"]
    write_some(replica, prefix="after")
    wait_for(lambda: in_sync(replica, master), what="the old master to follow")
    assert digest(master) == digest(replica)
    with open(master.log_path, "rb") as f:
        assert b"Successful partial resynchronization with master" in f.read()


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_failover_gives_up_after_its_timeout_and_releases_held_writes(servers, kind):
    master = servers(kind)
    replica = servers("real")
    replicate(replica, master)
    wait_for(lambda: in_sync(master, replica), what="the replica to sync")
    wait_online(master)
    sleeper = replica.client(timeout=10)
    sleeper.send("DEBUG", "SLEEP", "2")
    try:
        master.redis().set("behind", "1")  # the sleeping replica cannot acknowledge this
        master.redis().execute_command("FAILOVER", "TIMEOUT", "300")
        held = master.client(timeout=10)
        held.send("SET", "held", "1")
        assert info(master)["master_failover_state"] in ("waiting-for-sync", "no-failover")
        wait_for(lambda: info(master)["master_failover_state"] == "no-failover", timeout=5, what="the timeout")
        assert held.read_reply() == b"+OK\r\n"
        held.close()
        assert role_name(master) == b"master"
    finally:
        sleeper.read_reply()
        sleeper.close()


def test_forced_failover_answers_held_writes_with_readonly_as_redis(servers):
    got = []
    for kind in ("ours", "real"):
        master = servers(kind)
        replica = servers("real")
        replicate(replica, master)
        wait_for(lambda: in_sync(master, replica), what="the replica to sync")
        wait_online(master)
        sleeper = replica.client(timeout=10)
        sleeper.send("DEBUG", "SLEEP", "1")
        master.redis().set("behind", "1")
        master.redis().execute_command("FAILOVER", "TO", "127.0.0.1", replica.port, "FORCE", "TIMEOUT", "200")
        held = master.client(timeout=10)
        held.send("SET", "held", "1")
        got.append(held.read_reply())
        held.close()
        sleeper.read_reply()
        sleeper.close()
        wait_for(lambda: role_name(replica) == b"master" and info(master)["master_link_status"] == "up",
                 what="the forced failover to finish")
    assert got[0] == got[1] == b"-READONLY You can't write against a read only replica.\r\n"


# -- diskless sync -------------------------------------------------------------------------------------------


def read_line(c):
    """One CRLF-terminated line, without the keep-alive newlines a master sends before it."""
    return c._line().lstrip(b"\n").rstrip(b"\r\n")


def test_diskless_sync_streams_an_eof_marked_image_that_redis_check_rdb_accepts(servers):
    master = servers("ours", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
    write_some(master, prefix="img")
    c = master.client(timeout=10)
    try:
        assert c.call("REPLCONF", "capa", "eof", "capa", "psync2") == b"+OK\r\n"
        c.send("PSYNC", "?", "-1")
        assert read_line(c).startswith(b"+FULLRESYNC ")
        header = read_line(c)
        assert header.startswith(b"$EOF:") and len(header) == 5 + 40
        mark = header[5:]
        data = bytearray(c.buf[c.pos:])
        c.pos = len(c.buf)
        deadline = time.monotonic() + DEADLINE
        while mark not in data:
            assert time.monotonic() < deadline, "the image never ended"
            c._fill()
            data += c.buf[c.pos:]
            c.pos = len(c.buf)
        image = bytes(data[:data.find(mark)])
    finally:
        c.close()
    assert image.startswith(b"REDIS0010")
    with tempfile.NamedTemporaryFile(suffix=".rdb") as f:
        f.write(image)
        f.flush()
        check = subprocess.run(["redis-check-rdb", f.name], capture_output=True, timeout=30)
    assert check.returncode == 0, check.stdout
    assert not os.path.exists(os.path.join(master.dir, "dump.rdb"))


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_a_real_replica_syncs_from_a_diskless_master(servers, kind):
    master = servers(kind, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
    write_some(master, prefix="d")
    replica = servers("real")
    replicate(replica, master)
    wait_for(lambda: in_sync(master, replica), what="the replica to sync")
    assert digest(master) == digest(replica)
    with open(master.log_path, "rb") as f:
        assert b"Starting BGSAVE for SYNC with target: replicas sockets" in f.read()
    assert not os.path.exists(os.path.join(master.dir, "dump.rdb"))


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_replicas_waiting_together_share_one_diskless_transfer(servers, kind):
    master = servers(kind, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "30",
                     "--repl-diskless-sync-max-replicas", "2")
    write_some(master, prefix="s")
    a, b = servers("real"), servers("real")
    replicate(a, master)
    replicate(b, master)
    wait_for(lambda: in_sync(master, a, b), what="both replicas to sync")
    with open(master.log_path, "rb") as f:
        assert f.read().count(b"Starting BGSAVE for SYNC") == 1


@pytest.mark.parametrize("kind", ["ours", "real"])
@pytest.mark.parametrize("mode,file_expected", [("disabled", True), ("swapdb", False)])
def test_diskless_load_decides_whether_the_image_is_saved_to_the_rdb_file(servers, kind, mode, file_expected):
    master = servers("real", "--repl-diskless-sync", "no")
    write_some(master, prefix="f")
    replica = servers(kind, "--repl-diskless-load", mode)
    replicate(replica, master)
    wait_for(lambda: in_sync(master, replica), what="the replica to sync")
    assert digest(master) == digest(replica)
    assert os.path.exists(os.path.join(replica.dir, "dump.rdb")) == file_expected


# -- configuration ------------------------------------------------------------------------------------------

REPLICATION_DIRECTIVES = [
    "repl-diskless-sync",
    "repl-backlog-size", "repl-backlog-ttl", "repl-ping-replica-period", "repl-ping-slave-period", "repl-timeout",
    "replica-read-only", "slave-read-only", "replica-serve-stale-data", "slave-serve-stale-data",
    "replica-priority", "slave-priority", "replica-announced", "replica-announce-ip", "slave-announce-ip",
    "replica-announce-port", "slave-announce-port", "replica-lazy-flush", "slave-lazy-flush",
    "repl-disable-tcp-nodelay", "repl-diskless-sync-delay",
    "repl-diskless-sync-max-replicas", "repl-diskless-load", "min-replicas-to-write", "min-slaves-to-write",
    "min-replicas-max-lag", "min-slaves-max-lag", "masterauth", "masteruser",
]

SETTINGS = [
    ("repl-backlog-ttl", "7"), ("replica-priority", "3"), ("slave-announce-ip", "10.0.0.1"),
    ("replica-announce-port", "6390"), ("replica-announced", "no"), ("slave-lazy-flush", "yes"),
    ("repl-diskless-sync-max-replicas", "2"), ("repl-diskless-load", "swapdb"), ("min-slaves-to-write", "0"),
    ("repl-diskless-load", "bogus"), ("replica-announce-port", "70000"),
]


def config_view(srv):
    with srv.client() as c:
        sets = [c.call("CONFIG", "SET", name, value) for name, value in SETTINGS]
        gets = [c.call("CONFIG", "GET", name) for name in REPLICATION_DIRECTIVES]
    return sets, gets


def test_replication_directives_are_set_and_read_as_redis(servers):
    ours, real = config_view(servers("ours")), config_view(servers("real"))
    assert ours[0] == real[0]
    for name, got, want in zip(REPLICATION_DIRECTIVES, ours[1], real[1]):
        assert got == want, name


@pytest.mark.parametrize("chain", [("real", "ours", "real"), ("ours", "ours", "ours")])
def test_chain_follows_mixed_writes_sent_while_the_sub_replica_syncs(servers, chain):
    import random
    import threading
    from test_replication import mixed_writes

    top, middle, bottom = (servers(kind) for kind in chain)
    replicate(middle, top)
    wait_for(lambda: in_sync(top, middle), what="the middle replica to sync")
    ops = mixed_writes(random.Random(12), 6000)

    def writer():
        r = top.redis()
        for start in range(0, len(ops), 200):
            p = r.pipeline(transaction=start % 1000 == 0)
            p.execute_command("SELECT", (start // 200) % 3)
            for op in ops[start:start + 200]:
                p.execute_command(*op)
            p.execute(raise_on_error=False)

    t = threading.Thread(target=writer)
    t.start()
    replicate(bottom, middle)
    t.join(timeout=DEADLINE)
    assert not t.is_alive()
    # Polled with the digests: keys written with a TTL keep expiring on the top (a slow, sanitized build runs this
    # for minutes), and a DEL may be on its way down when the digests are taken; a real divergence never settles.
    wait_for(lambda: in_sync(top, middle) and in_sync(middle, bottom) and digest(top) == digest(middle) == digest(bottom),
             what="the chain to catch up with equal datasets")


class FakeMaster(object):
    """A master that answers the handshake and sends `image` as a full sync, for every connection; with `cut`
    it sends only the first half of the image and closes the connection."""

    def __init__(self, image, cut=False):
        import socket
        self.image = image
        self.cut = cut
        self.psyncs = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        self.thread = __import__("threading").Thread(target=self.serve)
        self.thread.start()

    def serve(self):
        import socket
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            conn.settimeout(5)
            try:
                buf = b""
                while not self.stopped:
                    data = conn.recv(4096)
                    if not data:
                        break
                    buf += data
                    while b"\r\n" in buf:
                        line, _, rest = buf.partition(b"\r\n")
                        if line.startswith(b"*"):
                            n = int(line[1:])
                            parts = rest.split(b"\r\n")
                            if len(parts) < 2 * n + 1:
                                break
                            args = [parts[2 * i + 1] for i in range(n)]
                            buf = b"\r\n".join(parts[2 * n:])
                        else:
                            args, buf = line.split(), rest
                        name = args[0].upper() if args else b""
                        if name == b"PING":
                            conn.sendall(b"+PONG\r\n")
                        elif name == b"PSYNC":
                            self.psyncs += 1
                            body = self.image[:len(self.image) // 2] if self.cut else self.image
                            conn.sendall(b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n$%d\r\n" % len(self.image) + body)
                            if self.cut:
                                raise OSError("cut")
                        else:
                            conn.sendall(b"+OK\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    def stop(self):
        self.stopped = True
        self.thread.join(timeout=10)
        self.sock.close()


def image_of_one_key():
    """A valid RDB image (from a real redis-server) holding the key `from-image`."""
    with ServerProcess(real_binary(), "image-source") as source:
        source.redis().set("from-image", "1")
        source.redis().save()
        with open(os.path.join(source.dir, "dump.rdb"), "rb") as f:
            return f.read()


def follow_fake_master(servers, kind, fake):
    replica = servers(kind, "--repl-diskless-load", "swapdb")
    replica.redis().set("kept", "yes")
    replica.redis().execute_command("REPLICAOF", "127.0.0.1", fake.port)
    wait_for(lambda: fake.psyncs >= 2, what="a failed load and a retry")
    return replica


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_swapdb_keeps_the_old_dataset_when_the_transfer_is_cut(servers, kind):
    fake = FakeMaster(image_of_one_key(), cut=True)
    try:
        replica = follow_fake_master(servers, kind, fake)
        assert replica.redis().get("kept") == b"yes"
        assert replica.redis().get("from-image") is None
    finally:
        fake.stop()


def test_swapdb_keeps_the_old_dataset_when_the_image_is_corrupt(servers):
    """redis-server 7.0 exits on a corrupt image; we keep serving the old dataset and retry."""
    image = bytearray(image_of_one_key())
    image[-1] ^= 0xFF  # a wrong CRC64
    fake = FakeMaster(bytes(image))
    try:
        replica = follow_fake_master(servers, "ours", fake)
        assert replica.alive()
        assert replica.redis().get("kept") == b"yes"
        assert replica.redis().get("from-image") is None
    finally:
        fake.stop()
