"""What a replica does differently from a master, ours side by side with a real redis-server 7.0 replica.

Expired keys are hidden but kept until the master's DEL; an image's expired keys are loaded; the master's
writes pass maxmemory; replies to the master are never sent (a scripted fake master checks what comes back).
"""

import os
import shutil
import socket
import threading
import time

import pytest

from conftest import ServerProcess, free_port, ours_binary, real_binary
from resp import RespClient, decode, encode_command

DEADLINE = 10.0
EMPTY_RDB = b"REDIS0009\xff" + b"\x00" * 8  # checksum 0: not checked


def wait_for(predicate, timeout=DEADLINE, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


def link_up(srv):
    with srv.client() as c:
        return b"master_link_status:up" in c.call("INFO", "replication")


def dbsize(srv):
    with srv.client() as c:
        return decode(c.call("DBSIZE"))


@pytest.fixture
def started():
    servers = []

    def start(binary, name, *args):
        srv = ServerProcess(binary, name, list(args))
        servers.append(srv)
        return srv.start()

    yield start
    for srv in servers:
        srv.stop()


def replicas_of(start, master, *extra):
    """Our replica and a real one of `master`, both with the link up."""
    reps = [start(ours_binary(), "ours-replica", "--replicaof", "127.0.0.1", str(master.port), *extra),
            start(real_binary(), "real-replica", "--replicaof", "127.0.0.1", str(master.port), *extra)]
    for r in reps:
        wait_for(lambda: link_up(r), what="%s's link to come up" % r.name)
    return reps


def in_sync(master, replica):
    with master.client() as m, replica.client() as r:
        def offset(c, field):
            for line in c.call("INFO", "replication").decode().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split(":")[1])
            return -1
        return offset(m, "master_repl_offset") == offset(r, "master_repl_offset")


def expired_key_on(master, key="k"):
    """Sets `key` with a 50 ms TTL on a master whose active expiry is off, and waits until the TTL has passed
    (no lookup, which would expire it)."""
    with master.client() as c:
        assert c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"+OK\r\n"
        assert c.call("SET", key, "v", "PX", "50") == b"+OK\r\n"
    until = time.time() + 0.1
    wait_for(lambda: time.time() > until, what="the TTL to pass")


def test_replica_hides_expired_keys_without_deleting_them(started):
    master = started(real_binary(), "real-master")
    reps = replicas_of(started, master)
    expired_key_on(master)
    for r in reps:
        wait_for(lambda: in_sync(master, r), what="the replica to catch up")
        with r.client() as c:
            assert c.call("GET", "k") == b"$-1\r\n", r.name
            assert c.call("EXISTS", "k") == b":0\r\n", r.name
            assert c.call("DBSIZE") == b":1\r\n", r.name


def test_replica_deletes_an_expired_key_when_the_master_deletes_it(started):
    master = started(real_binary(), "real-master")
    reps = replicas_of(started, master)
    expired_key_on(master)
    with master.client() as c:
        assert c.call("GET", "k") == b"$-1\r\n"  # the master's lazy expiry streams DEL
    for r in reps:
        wait_for(lambda: dbsize(r) == 0, what="%s to apply the master's DEL" % r.name)


def test_replica_has_no_active_expiry(started):
    master = started(real_binary(), "real-master")
    reps = replicas_of(started, master)
    expired_key_on(master)
    for r in reps:
        wait_for(lambda: in_sync(master, r), what="the replica to catch up")
    # Absence of an event needs a wait: 30 cron periods at hz 10 would have expired the key on a master.
    until = time.time() + 0.3
    wait_for(lambda: time.time() > until, what="several cron periods")
    assert [dbsize(r) for r in reps] == [1, 1]


def test_replica_keeps_the_expired_keys_of_the_image(started):
    master = started(real_binary(), "real-master")
    expired_key_on(master)
    reps = replicas_of(started, master)
    for r in reps:
        with r.client() as c:
            assert c.call("DBSIZE") == b":1\r\n", r.name
            assert c.call("GET", "k") == b"$-1\r\n", r.name


def test_master_writes_pass_the_replicas_maxmemory(started):
    master = started(real_binary(), "real-master")
    reps = replicas_of(started, master, "--maxmemory", "1")
    with master.client() as c:
        assert c.call("SET", "k", "v") == b"+OK\r\n"
    for r in reps:
        wait_for(lambda: in_sync(master, r), what="the replica to catch up")
        with r.client() as c:
            assert c.call("GET", "k") == b"$1\r\nv\r\n", r.name


class FakeMaster(object):
    """A scripted master: answers the handshake, sends an empty image, then the given stream; records
    every command the replica sends back."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(DEADLINE)
        self.port = self.sock.getsockname()[1]
        self.conn = None

    def accept_and_sync(self):
        conn, _ = self.sock.accept()
        conn.settimeout(DEADLINE)
        self.conn = RespClient.__new__(RespClient)
        self.conn.sock, self.conn.port, self.conn.timeout = conn, self.port, DEADLINE
        self.conn.buf, self.conn.pos, self.conn.closed = bytearray(), 0, False
        while True:
            cmd = self.read_command()
            name = cmd[0].upper()
            if name == b"PING":
                conn.sendall(b"+PONG\r\n")
            elif name == b"PSYNC" or name == b"SYNC":
                conn.sendall(b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n")
                conn.sendall(b"$%d\r\n" % len(EMPTY_RDB) + EMPTY_RDB)
                return
            else:
                conn.sendall(b"+OK\r\n")

    def read_command(self):
        if self.conn._peek_byte() == ord("*"):
            return decode(self.conn.read_reply())
        return self.conn._line()[:-2].split()

    def send(self, *args):
        data = encode_command(*args)
        self.conn.sock.sendall(data)
        return len(data)

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.sock.close()


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_replies_to_the_master_are_never_sent(started, kind):
    fake = FakeMaster()
    try:
        binary = ours_binary() if kind == "ours" else real_binary()
        replica = started(binary, kind + "-replica", "--replicaof", "127.0.0.1", str(fake.port))
        fake.accept_and_sync()
        wait_for(lambda: link_up(replica), what="the link to come up")
        sent = 0
        for cmd in [["SELECT", "0"], ["SET", "k", "v"], ["LPUSH", "k", "x"], ["INCR", "k"], ["NOSUCHCOMMAND", "a"],
                    ["GET", "k"], ["SET", "k2", "v2"]]:
            sent += fake.send(*cmd)
        getack = fake.send("REPLCONF", "GETACK", "*")
        received = []
        for _ in range(1000):
            cmd = fake.read_command()
            received.append(cmd)
            if cmd[:2] == [b"REPLCONF", b"ACK"] and int(cmd[2]) >= sent:
                break
        assert all(c[:2] == [b"REPLCONF", b"ACK"] for c in received), received
        with replica.client() as c:
            assert c.call("GET", "k2") == b"$2\r\nv2\r\n"
            assert c.call("GET", "k") == b"$1\r\nv\r\n"
    finally:
        fake.close()


def test_replica_subscribers_hear_the_masters_publish(started):
    master = started(real_binary(), "real-master")
    reps = replicas_of(started, master)
    subs = []
    for r in reps:
        s = r.client()
        assert decode(s.call("SUBSCRIBE", "ch")) == [b"subscribe", b"ch", 1]
        subs.append(s)
    try:
        with master.client() as c:
            c.call("PUBLISH", "ch", "hello")
        for s in subs:
            assert decode(s.read_reply()) == [b"message", b"ch", b"hello"]
    finally:
        for s in subs:
            s.close()


def test_our_master_streams_publish_to_a_real_replica(started):
    master = started(ours_binary(), "ours-master")
    replica = started(real_binary(), "real-replica", "--replicaof", "127.0.0.1", str(master.port))
    wait_for(lambda: link_up(replica), what="the link to come up")
    with replica.client() as s:
        s.call("SUBSCRIBE", "ch")
        with master.client() as c:
            c.call("PUBLISH", "ch", "hello")
        assert decode(s.read_reply()) == [b"message", b"ch", b"hello"]


def test_replica_configured_at_start_keeps_the_expired_keys_of_its_file(started, tmp_path):
    """A replica loads its own dump.rdb before the link exists: its expired keys stay (hidden) as in Redis."""
    source = started(real_binary(), "real-source")
    expired_key_on(source)
    with source.client() as c:
        assert c.call("SAVE") == b"+OK\r\n"
    shutil.copy(os.path.join(source.dir, "dump.rdb"), str(tmp_path / "dump.rdb"))
    absent_master = free_port()  # nothing listens: the link stays down, no full sync replaces the data
    for binary, name in [(ours_binary(), "ours-replica"), (real_binary(), "real-replica")]:
        r = started(binary, name, "--dir", str(tmp_path), "--dbfilename", "dump.rdb",
                    "--replicaof", "127.0.0.1", str(absent_master))
        assert dbsize(r) == 1, r.name
        with r.client() as c:
            assert c.call("GET", "k") == b"$-1\r\n", r.name
