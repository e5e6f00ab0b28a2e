"""Replication, master side: a real redis-server 7.0.15 replica of our server.

The replica syncs (full resync with our RDB image, then the stream of effects), and after any mix of writes its
dataset equals ours by DEBUG DIGEST. A cut link under write load resumes with a partial resync (`+CONTINUE`, seen
in the replica's log); WAIT counts acknowledging replicas; INFO replication and ROLE have Redis's shape.

Every wait polls with a generous deadline; every process is stopped by the test that started it."""

import os
import random
import threading
import time

import pytest

import datasets
from conftest import ServerProcess, ours_binary, real_binary

# IT_DEADLINE_SCALE: sanitized debug builds (make test-sanitize-*) sync 5-20 times slower.
DEADLINE = 30.0 * float(os.environ.get("IT_DEADLINE_SCALE", "1"))


def wait_for(predicate, timeout=DEADLINE, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s" % what)


@pytest.fixture
def master():
    srv = ServerProcess(ours_binary(), "ours-master")
    srv.start()
    yield srv
    srv.stop()


def start_replica(master_port, *extra):
    srv = ServerProcess(real_binary(), "real-replica",
                        ["--replicaof", "127.0.0.1", str(master_port), "--repl-ping-replica-period", "1"]
                        + list(extra))
    srv.start()
    return srv


@pytest.fixture
def replica_factory():
    started = []

    def make(master_port, *extra):
        srv = start_replica(master_port, *extra)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def link_up(replica):
    info = replica.redis().info("replication")
    return info.get("master_link_status") == "up"


def wait_in_sync(master, replica, what="the replica to catch up"):
    """Waits until the replica processed every byte the master produced."""
    m, r = master.redis(), replica.redis()

    def caught_up():
        mo = m.info("replication")["master_repl_offset"]
        ri = r.info("replication")
        return ri.get("master_link_status") == "up" and ri.get("slave_repl_offset") == mo

    wait_for(caught_up, what=what)


def digest(srv):
    return srv.redis().execute_command("DEBUG", "DIGEST")


def assert_same_dataset(master, replica, dbs=(0, 1, 9)):
    """DEBUG DIGEST equal; otherwise fails naming the keys that differ (missing on a side, or another value)."""
    if digest(replica) == digest(master):
        return
    m, r = master.redis(), replica.redis()
    report = []
    for db in dbs:
        m.execute_command("SELECT", db)
        r.execute_command("SELECT", db)
        mk, rk = set(m.keys("*")), set(r.keys("*"))
        both = sorted(mk & rk)

        def facts(c):
            out = []
            for n in range(0, len(both), 2000):
                p = c.pipeline(transaction=False)
                for k in both[n:n + 2000]:
                    p.execute_command("DEBUG", "DIGEST-VALUE", k)
                    p.execute_command("PEXPIRETIME", k)
                res = p.execute()
                out += list(zip(res[::2], res[1::2]))
            return out
        fm, fr = facts(m), facts(r)
        changed = [(k, a, b) for k, a, b in zip(both, fm, fr) if a != b]
        report.append("db%d: only on master %r, only on replica %r, different %r"
                      % (db, sorted(mk - rk)[:5], sorted(rk - mk)[:5], sorted(changed)[:5]))
    raise AssertionError("datasets differ:\n" + "\n".join(report))


def mixed_writes(rng, n):
    """n write commands over every type, several databases, expiries and non-deterministic commands."""
    ops = []
    for i in range(n):
        k = "k%d" % rng.randrange(300)
        kind = rng.randrange(16)
        if kind == 0:
            ops.append(("SET", k, "v%d" % i))
        elif kind == 1:
            ops.append(("INCR", "n%d" % rng.randrange(50)))
        elif kind == 2:
            ops.append(("LPUSH", "l" + k, i, i + 1))
        elif kind == 3:
            ops.append(("SADD", "s" + k, rng.randrange(100), "m%d" % rng.randrange(20)))
        elif kind == 4:
            ops.append(("HSET", "h" + k, "f%d" % rng.randrange(30), i))
        elif kind == 5:
            ops.append(("ZADD", "z" + k, rng.random() * 100, "m%d" % rng.randrange(40)))
        elif kind == 6:
            ops.append(("EXPIRE", "l" + k, rng.randrange(1, 1000)))
        elif kind == 7:
            ops.append(("DEL", k))
        elif kind == 8:
            ops.append(("SPOP", "s" + k))
        elif kind == 9:
            ops.append(("INCRBYFLOAT", "f%d" % rng.randrange(20), "1.5"))
        elif kind == 10:
            ops.append(("SET", "t" + k, i, "EX", rng.randrange(100, 1000)))
        elif kind == 11:
            ops.append(("RPOP", "l" + k))
        elif kind == 12:
            ops.append(("ZINCRBY", "z" + k, 2, "m1"))
        elif kind == 13:
            ops.append(("APPEND", k, "x"))
        elif kind == 14:
            ops.append(("HDEL", "h" + k, "f%d" % rng.randrange(30)))
        else:
            ops.append(("SPOP", "s" + k, 2))
    return ops


def run_pipelined(srv, ops, db_choices=(0, 1, 9), seed=0):
    """Sends `ops` pipelined on one raw connection (with SELECTs and some MULTI/EXEC blocks); replies are read
    and errors (WRONGTYPE from the random mix) ignored."""
    from resp import encode_command
    rng = random.Random(seed)
    cmds = []
    for i, op in enumerate(ops):
        if i % 50 == 0:
            cmds.append(("SELECT", rng.choice(db_choices)))
        if i % 97 == 0:
            cmds += [("MULTI",), op, ("INCR", "multi-counter"), ("EXEC",)]
        else:
            cmds.append(op)
    with srv.client() as c:
        for n in range(0, len(cmds), 500):
            group = cmds[n:n + 500]
            c.send_raw(b"".join(encode_command(*cmd) for cmd in group))
            for _ in group:
                c.read_reply()


def test_real_replica_full_sync_copies_the_dataset(master, replica_factory):
    with master.client() as c:
        datasets.load(c, datasets.everything(seed=1))
    replica = replica_factory(master.port)
    wait_for(lambda: link_up(replica), what="the replica's link to come up")
    wait_in_sync(master, replica)
    assert digest(replica) == digest(master)
    log = open(replica.log_path).read()
    assert "Full resync from master" in log


def test_real_replica_follows_ten_thousand_mixed_writes(master, replica_factory):
    with master.client() as c:
        datasets.load(c, datasets.everything(seed=2))
    replica = replica_factory(master.port)
    wait_for(lambda: link_up(replica), what="the replica's link to come up")
    run_pipelined(master, mixed_writes(random.Random(7), 10000), seed=7)
    wait_in_sync(master, replica)
    assert digest(replica) == digest(master)


def test_writes_during_the_full_sync_reach_the_replica(master, replica_factory):
    with master.client() as c:
        datasets.load(c, datasets.random_dataset(3, 3000))
    master.redis().config_set("rdb-key-save-delay", 200)
    replica = replica_factory(master.port)
    wait_for(lambda: master.redis().info("persistence")["rdb_bgsave_in_progress"] == 1, what="the sync's snapshot")
    run_pipelined(master, mixed_writes(random.Random(8), 2000), seed=8)
    master.redis().config_set("rdb-key-save-delay", 0)
    wait_in_sync(master, replica)
    assert digest(replica) == digest(master)


def test_cut_link_under_write_load_resumes_with_partial_resync(master, replica_factory):
    replica = replica_factory(master.port)
    wait_for(lambda: link_up(replica), what="the replica's link to come up")
    stop = threading.Event()

    def writer():
        r = master.redis()
        i = 0
        while not stop.is_set():
            r.set("w%d" % (i % 500), i)
            r.incr("counter")
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        wait_for(lambda: master.redis().info("replication")["master_repl_offset"] > 20000, what="write load")
        killed = master.redis().execute_command("CLIENT", "KILL", "TYPE", "replica")
        assert killed == 1
        wait_for(lambda: "Successful partial resynchronization with master" in open(replica.log_path).read(),
                 what="the partial resync in the replica's log")
    finally:
        stop.set()
        t.join(timeout=10)
    wait_in_sync(master, replica)
    assert digest(replica) == digest(master)
    assert "Partial resynchronization request" in open(master.log_path).read()


def test_restarted_replica_with_unknown_id_gets_a_full_resync(master, replica_factory):
    replica = replica_factory(master.port)
    wait_for(lambda: link_up(replica), what="first sync")
    master.redis().set("a", 1)
    replica.restart()
    wait_for(lambda: link_up(replica), what="the restarted replica's sync")
    wait_in_sync(master, replica)
    assert replica.redis().get("a") == b"1"


def test_wait_returns_the_number_of_acknowledging_replicas(master, replica_factory):
    r1 = replica_factory(master.port)
    r2 = replica_factory(master.port)
    wait_for(lambda: link_up(r1) and link_up(r2), what="both replicas")
    m = master.redis()
    m.set("x", 1)
    assert m.execute_command("WAIT", 2, 5000) == 2
    m.set("y", 2)
    start = time.monotonic()
    assert m.execute_command("WAIT", 3, 300) == 2
    assert time.monotonic() - start >= 0.25


def test_wait_without_replicas_returns_zero_at_once(master):
    m = master.redis()
    m.set("x", 1)
    assert m.execute_command("WAIT", 0, 0) == 0
    assert m.execute_command("WAIT", 1, 100) == 0


def test_info_replication_describes_the_attached_replica(master, replica_factory):
    replica = replica_factory(master.port)
    wait_in_sync(master, replica)
    info = master.redis().info("replication")
    assert info["role"] == "master"
    assert info["connected_slaves"] == 1
    s0 = info["slave0"]
    assert s0["ip"] == "127.0.0.1" and s0["port"] == replica.port and s0["state"] == "online"
    assert s0["offset"] <= info["master_repl_offset"]
    assert info["repl_backlog_active"] == 1
    assert info["repl_backlog_size"] == 1048576
    assert info["repl_backlog_first_byte_offset"] == 1
    assert info["repl_backlog_histlen"] == info["master_repl_offset"]
    assert info["second_repl_offset"] == -1
    # Same fields, same order, as a real master with one replica.
    real_master = ServerProcess(real_binary(), "real-master")
    real_master.start()
    other = start_replica(real_master.port)
    try:
        wait_in_sync(real_master, other)
        with master.client() as a, real_master.client() as b:
            ours_names = [l.split(":")[0] for l in a.call_decoded("INFO", "replication").decode().splitlines()]
            real_names = [l.split(":")[0] for l in b.call_decoded("INFO", "replication").decode().splitlines()]
        assert ours_names == real_names
    finally:
        other.stop()
        real_master.stop()


def test_role_lists_online_replicas(master, replica_factory):
    replica = replica_factory(master.port)
    wait_in_sync(master, replica)
    role = master.redis().execute_command("ROLE")
    assert role[0] == b"master"
    assert isinstance(role[1], int)
    assert role[2][0][0] == b"127.0.0.1" and role[2][0][1] == str(replica.port).encode()


def test_client_list_flags_replica_connections(master, replica_factory):
    replica = replica_factory(master.port)
    wait_in_sync(master, replica)
    with master.client() as c:
        listing = c.call_decoded("CLIENT", "LIST", "TYPE", "replica")
    assert b"flags=S " in listing


# ---------------------------------------------------------------------------
# Replica side: our server as the replica of a real redis-server master
# ---------------------------------------------------------------------------

@pytest.fixture
def real_master():
    srv = ServerProcess(real_binary(), "real-master", ["--repl-ping-replica-period", "1"])
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def our_replica_factory():
    started = []

    def make(master_port, *extra):
        srv = ServerProcess(ours_binary(), "ours-replica", ["--replicaof", "127.0.0.1", str(master_port)] + list(extra))
        srv.start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


def test_our_replica_syncs_from_a_real_master_and_follows_its_writes(real_master, our_replica_factory):
    with real_master.client() as c:
        datasets.load(c, datasets.everything(seed=4))
    replica = our_replica_factory(real_master.port)
    wait_for(lambda: link_up(replica), what="our replica's link to come up")
    run_pipelined(real_master, mixed_writes(random.Random(9), 5000), seed=9)
    wait_in_sync(real_master, replica)
    assert digest(replica) == digest(real_master)
    info = replica.redis().info("replication")
    assert info["role"] == "slave" and info["master_port"] == real_master.port
    assert info["slave_read_only"] == 1


def test_writes_to_our_read_only_replica_are_refused(real_master, our_replica_factory):
    replica = our_replica_factory(real_master.port)
    wait_for(lambda: link_up(replica), what="our replica's link to come up")
    with replica.client() as c:
        assert c.call("SET", "k", "v") == b"-READONLY You can't write against a read only replica.\r\n"
        assert c.call("GET", "k") == b"$-1\r\n"


def test_our_replica_resumes_with_a_partial_resync_after_the_master_cuts_the_link(real_master, our_replica_factory):
    replica = our_replica_factory(real_master.port)
    wait_for(lambda: link_up(replica), what="our replica's link to come up")
    run_pipelined(real_master, mixed_writes(random.Random(10), 1000), seed=10)
    wait_in_sync(real_master, replica)
    assert real_master.redis().execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
    real_master.redis().set("after-cut", 1)
    wait_for(lambda: "Successful partial resynchronization with master" in open(replica.log_path).read(),
             what="the partial resync in our log")
    wait_in_sync(real_master, replica)
    assert digest(replica) == digest(real_master)
    assert replica.redis().get("after-cut") == b"1"


def test_replicaof_no_one_makes_our_replica_a_writable_master(real_master, our_replica_factory):
    replica = our_replica_factory(real_master.port)
    wait_for(lambda: link_up(replica), what="our replica's link to come up")
    real_master.redis().set("kept", 1)
    wait_in_sync(real_master, replica)
    r = replica.redis()
    assert r.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
    assert r.set("new", 2)
    assert r.get("kept") == b"1"
    info = r.info("replication")
    assert info["role"] == "master" and info["second_repl_offset"] > 0


@pytest.mark.parametrize("replica_kind", ["ours", "real"])
def test_disk_based_sync_of_a_large_dataset_sends_the_file_in_paced_chunks(replica_kind):
    """`repl-diskless-sync no`: the RDB file (tens of MB, many 1 MB chunks) reaches the replica whole, followed by
    the writes made while it was being sent."""
    master = ServerProcess(ours_binary(), "ours-master", ["--repl-diskless-sync", "no"]).start()
    replica = None
    # A sanitized debug build (IT_SANITIZER) populates and digests 300,000 keys in minutes on a shared machine:
    # there 60,000 keys (~6 MB, still several chunks).
    keys = 60000 if os.environ.get("IT_SANITIZER") else 300000
    try:
        master.redis().execute_command("DEBUG", "POPULATE", keys, "key", 100)
        # The mix sets 1 s TTLs: a key the master expires between the offset check and the digests would differ.
        master.redis().execute_command("DEBUG", "SET-ACTIVE-EXPIRE", 0)
        binary = ours_binary() if replica_kind == "ours" else real_binary()
        replica = ServerProcess(binary, "replica", ["--replicaof", "127.0.0.1", str(master.port)]).start()
        run_pipelined(master, mixed_writes(random.Random(21), 3000), seed=21)
        wait_in_sync(master, replica)
        assert_same_dataset(master, replica)
        assert int(replica.redis().dbsize()) >= keys
    finally:
        if replica is not None:
            replica.stop()
        master.stop()


@pytest.mark.parametrize("replica_kind", ["ours", "real"])
def test_diskless_transfer_lasting_several_cron_ticks_arrives_intact(replica_kind):
    """The once-a-second keepalive newline must never land inside an image being streamed."""
    master = ServerProcess(ours_binary(), "ours-master", ["--repl-diskless-sync", "yes"]).start()
    replica = None
    try:
        master.redis().execute_command("DEBUG", "POPULATE", 20000, "key", 50)
        master.redis().config_set("rdb-key-save-delay", 150)  # microseconds per key: a transfer of ~3 s
        binary = ours_binary() if replica_kind == "ours" else real_binary()
        replica = ServerProcess(binary, "replica", ["--replicaof", "127.0.0.1", str(master.port)]).start()
        wait_for(lambda: master.redis().info("persistence")["rdb_bgsave_in_progress"] == 1, what="the transfer")
        wait_for(lambda: master.redis().info("persistence")["rdb_bgsave_in_progress"] == 0, what="its end")
        master.redis().config_set("rdb-key-save-delay", 0)
        master.redis().execute_command("DEBUG", "SET-ACTIVE-EXPIRE", 0)
        run_pipelined(master, mixed_writes(random.Random(22), 500), seed=22)
        wait_in_sync(master, replica)
        assert digest(replica) == digest(master)
        assert int(master.redis().info("stats")["sync_full"]) == 1
    finally:
        if replica is not None:
            replica.stop()
        master.stop()
