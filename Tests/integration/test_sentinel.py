"""Sentinel with our data servers and our Sentinels: the reference deployment (1 master + 2 replicas,
`requirepass`/`masterauth redis_password`, 3 Sentinels with `auth-pass` and `requirepass`)."""

import os
import signal
import subprocess
import threading
import time

import pytest
import redis
from redis.sentinel import Sentinel as PySentinel

from sentinel_tools import (PASSWORD, Topology, SentinelProcess, data_client, restart_on_same_port, wait_for,
                            ours_binary)


@pytest.fixture
def topo():
    t = Topology("ours", ("ours", "ours", "ours"))
    try:
        t.wait_replicas_online()
        t.wait_discovery()
        yield t
    finally:
        t.close()


def _subscribe_events(sentinel, pattern="*"):
    """A pub/sub connection to a Sentinel collecting event messages in a list (from a thread)."""
    r = sentinel.redis()
    p = r.pubsub()
    p.psubscribe(pattern)
    events = []
    stop = threading.Event()

    def run(keep=(r, p)):  # the client must outlive this function, or its pool closes the connection
        while not stop.is_set():
            try:
                m = p.get_message(timeout=0.2)
            except Exception as e:  # noqa: BLE001
                events.append(("<error>", repr(e)))
                return
            if m and m["type"] == "pmessage":
                events.append((m["channel"], m["data"]))
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return events, stop


def test_sentinel_masters_replicas_sentinels_show_topology(topo):
    s = topo.sentinels[0].redis()
    masters = s.sentinel_masters()
    assert list(masters) == ["mymaster"]
    m = masters["mymaster"]
    assert (m["ip"], m["port"]) == ("127.0.0.1", topo.master.port)
    assert m["is_master"] and not m["is_sdown"] and not m["is_odown"]
    assert m["num-slaves"] == 2 and m["num-other-sentinels"] == 2 and m["quorum"] == 2
    replicas = s.sentinel_slaves("mymaster")
    assert sorted(r["port"] for r in replicas) == sorted(r.port for r in topo.replicas)
    wait_for(lambda: all(r["master-link-status"] == "ok" for r in s.sentinel_slaves("mymaster")),
             what="replica links ok")
    sentinels = s.sentinel_sentinels("mymaster")
    assert sorted(x["port"] for x in sentinels) == sorted(x.port for x in topo.sentinels[1:])
    ids = {x.redis().execute_command("SENTINEL", "MYID") for x in topo.sentinels}
    assert len(ids) == 3 and all(len(i) == 40 for i in ids)


def test_redis_cli_get_master_addr_by_name_with_password(topo):
    out = subprocess.run(["redis-cli", "-p", str(topo.sentinels[0].port), "-a", PASSWORD, "--no-auth-warning",
                          "SENTINEL", "get-master-addr-by-name", "mymaster"],
                         capture_output=True, text=True, timeout=20)
    assert out.stdout.split() == ["127.0.0.1", str(topo.master.port)]


def test_redis_py_resp3_sentinel_replies(topo):
    r = topo.sentinels[0].redis(protocol=3)
    m = r.sentinel_master("mymaster")
    assert m["port"] == topo.master.port and m["num-slaves"] == 2 and "master" in m["flags"]
    assert sorted(x["port"] for x in r.sentinel_slaves("mymaster")) == sorted(x.port for x in topo.replicas)
    assert len(r.sentinel_sentinels("mymaster")) == 2
    assert r.sentinel_get_master_addr_by_name("mymaster") == ("127.0.0.1", topo.master.port)
    assert r.execute_command("HELLO", "3")["mode"] == "sentinel"


def test_sentinel_requires_auth_when_requirepass_is_set(topo):
    import socket
    with socket.create_connection(("127.0.0.1", topo.sentinels[0].port), timeout=5) as c:
        c.sendall(b"SENTINEL masters\r\n")
        assert c.recv(100).startswith(b"-NOAUTH")


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_sentinel_client_discovers_master_and_replicas(topo, protocol):
    # redis-py 5's Sentinel discovery parses SENTINEL MASTERS in RESP2 only (with RESP3 it fails the same way
    # against redis-sentinel 7.0.15): the Sentinel connections speak RESP2, the data connections `protocol`.
    ps = PySentinel([("127.0.0.1", s.port) for s in topo.sentinels],
                    sentinel_kwargs={"password": PASSWORD},
                    password=PASSWORD, socket_timeout=5, protocol=protocol)
    assert ps.discover_master("mymaster") == ("127.0.0.1", topo.master.port)
    assert sorted(p for _, p in ps.discover_slaves("mymaster")) == sorted(r.port for r in topo.replicas)
    m = ps.master_for("mymaster", socket_timeout=5)
    m.set("k", "v")
    assert m.get("k") == b"v"


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_slave_for_reads_from_a_replica(topo, protocol):
    ps = PySentinel([("127.0.0.1", s.port) for s in topo.sentinels], sentinel_kwargs={"password": PASSWORD},
                    password=PASSWORD, socket_timeout=5, protocol=protocol)
    ps.master_for("mymaster", socket_timeout=5).set("replicated", "yes")
    replica = ps.slave_for("mymaster", socket_timeout=5)
    wait_for(lambda: replica.get("replicated") == b"yes", what="read from a replica")
    assert replica.info("replication")["role"] == "slave"
    assert replica.connection_pool.get_connection().port in [r.port for r in topo.replicas]


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_rediscovers_the_master_after_readonly(topo, protocol):
    """A pooled connection to the old master gets -READONLY once that server is a replica: redis-py's Sentinel
    client drops it ("The previous master is now a slave") and the next command asks the Sentinels again."""
    ps = PySentinel([("127.0.0.1", s.port) for s in topo.sentinels], sentinel_kwargs={"password": PASSWORD},
                    password=PASSWORD, socket_timeout=5, protocol=protocol)
    m = ps.master_for("mymaster", socket_timeout=5)
    m.set("before", "1")  # the pool now holds a connection to the current master
    old = topo.master_addr()
    assert topo.sentinels[0].redis().sentinel_failover("mymaster")
    new = wait_for(lambda: all(topo.master_addr(s) != old for s in topo.sentinels) and topo.master_addr(),
                   what="failover")
    # SENTINEL MASTERS (what redis-py reads) shows the new address once the failover has ended (+switch-master).
    wait_for(lambda: all(s.redis().sentinel_master("mymaster")["port"] == new[1] for s in topo.sentinels),
             what="+switch-master on every sentinel")
    # Make the old master a replica ourselves, before the Sentinels convert it (and kill its clients): the pooled
    # connection stays open and its next write is refused with -READONLY.
    data_client(topo.master).execute_command("REPLICAOF", new[0], str(new[1]))
    with pytest.raises(redis.ConnectionError, match="previous master is now a slave"):
        m.set("during", "1")
    m.set("after", "1")
    assert m.connection_pool.get_connection().port == new[1]
    promoted = data_client(next(r for r in topo.replicas if r.port == new[1]))
    assert promoted.get("after") == "1" and promoted.get("before") == "1"


def test_config_file_is_rewritten_with_discovered_state(topo):
    for s in topo.sentinels:
        text = s.config_text()
        assert "sentinel myid " in text
        assert text.count("sentinel known-replica mymaster") == 2
        assert text.count("sentinel known-sentinel mymaster") == 2
        assert "sentinel current-epoch" in text
        assert "sentinel monitor mymaster 127.0.0.1 %d 2" % topo.master.port in text


def _writer(ps, stop, errors, written):
    i = 0
    while not stop.is_set():
        try:
            m = ps.master_for("mymaster", socket_timeout=2, retry_on_timeout=False)
            m.set("key:%d" % i, i)
            written.append(i)
            i += 1
        except Exception as e:  # noqa: BLE001 - failover in progress
            errors.append(repr(e))
            time.sleep(0.05)


def test_kill_master_fails_over_while_client_writes_and_old_master_rejoins(topo):
    events, stop_events = _subscribe_events(topo.sentinels[0])
    ps = PySentinel([("127.0.0.1", s.port) for s in topo.sentinels], sentinel_kwargs={"password": PASSWORD},
                    password=PASSWORD, socket_timeout=2)
    stop, errors, written = threading.Event(), [], []
    w = threading.Thread(target=_writer, args=(ps, stop, errors, written), daemon=True)
    w.start()
    wait_for(lambda: len(written) > 20, what="writes before the failure")
    old_port = topo.master.port
    topo.master.proc.send_signal(signal.SIGKILL)
    topo.master.proc.wait(timeout=10)
    new = wait_for(lambda: topo.master_addr()[1] != old_port and topo.master_addr(), timeout=90,
                   what="+switch-master")
    assert new[1] in [r.port for r in topo.replicas]
    # Every Sentinel converges on the new master.
    wait_for(lambda: all(topo.master_addr(s) == new for s in topo.sentinels), what="all sentinels agree")
    before = len(written)
    wait_for(lambda: len(written) > before + 20, what="writes continue against the new master")
    stop.set()
    w.join(timeout=10)
    promoted = data_client(next(r for r in topo.replicas if r.port == new[1]))
    assert promoted.info("replication")["role"] == "master"
    assert int(promoted.get("key:%d" % (len(written) - 1))) == len(written) - 1
    wait_for(lambda: "+switch-master" in [c for c, _ in events], what="+switch-master event")
    names = [c for c, _ in events]
    for e in ["+sdown", "+odown", "+switch-master"]:
        assert e in names, (e, events)
    switch = [d for c, d in events if c == "+switch-master"][0]
    assert switch == "mymaster 127.0.0.1 %d 127.0.0.1 %d" % (old_port, new[1])
    # The old master comes back as it was (a master); the Sentinels reconfigure it as a replica of the new one.
    restart_on_same_port(topo.master)
    wait_for(lambda: data_client(topo.master).info("replication").get("master_port") == new[1],
             timeout=90, what="old master converted to replica")
    wait_for(lambda: data_client(topo.master).info("replication").get("master_link_status") == "up",
             timeout=60, what="old master synced")
    stop_events.set()
    # Whichever Sentinel sees it first converts it (the others then see a replica).
    assert any("+convert-to-slave slave 127.0.0.1:%d" % old_port in open(s.log_path).read() for s in topo.sentinels)


def test_sentinel_failover_command_promotes_a_replica(topo):
    events, stop_events = _subscribe_events(topo.sentinels[1])
    s = topo.sentinels[1].redis()
    old = topo.master_addr(topo.sentinels[1])
    assert s.sentinel_failover("mymaster")
    new = wait_for(lambda: topo.master_addr(topo.sentinels[1]) != old and topo.master_addr(topo.sentinels[1]),
                   what="manual failover")
    wait_for(lambda: all(topo.master_addr(x) == new for x in topo.sentinels), what="all sentinels agree")
    srv = next(r for r in topo.replicas if r.port == new[1])
    wait_for(lambda: data_client(srv).info("replication")["role"] == "master", what="promoted")
    # The old master (still running) becomes a replica of the new one.
    wait_for(lambda: data_client(topo.master).info("replication").get("master_port") == new[1], timeout=60,
             what="old master reconfigured")
    wait_for(lambda: "+switch-master" in [c for c, _ in events], what="+switch-master event")
    names = [c for c, _ in events]
    stop_events.set()
    for e in ["+new-epoch", "+try-failover", "+elected-leader", "+failover-state-select-slave", "+selected-slave",
              "+failover-state-send-slaveof-noone", "+failover-state-wait-promotion", "+promoted-slave",
              "+failover-state-reconf-slaves", "+failover-end", "+switch-master"]:
        assert e in names, (e, names)
    text = topo.sentinels[1].config_text()
    assert "sentinel monitor mymaster 127.0.0.1 %d 2" % new[1] in text
    assert "sentinel config-epoch mymaster 1" in text


def test_failover_in_progress_is_refused_twice(topo):
    s = topo.sentinels[0].redis()
    assert s.sentinel_failover("mymaster")
    with pytest.raises(redis.ResponseError, match="INPROG"):
        s.sentinel_failover("mymaster")


def test_sdown_and_odown_of_a_stopped_replica_and_master_events(topo):
    events, stop_events = _subscribe_events(topo.sentinels[2])
    r = topo.replicas[0]
    r.proc.send_signal(signal.SIGSTOP)
    try:
        wait_for(lambda: any(c == "+sdown" and ("127.0.0.1:%d" % r.port) in d for c, d in events),
                 what="+sdown for the replica %r" % events)
        flags = [x["flags"] for x in topo.sentinels[2].redis().sentinel_slaves("mymaster") if x["port"] == r.port][0]
        assert "s_down" in flags
    finally:
        r.proc.send_signal(signal.SIGCONT)
    wait_for(lambda: any(c == "-sdown" and ("127.0.0.1:%d" % r.port) in d for c, d in events), what="-sdown")
    stop_events.set()


def test_start_without_config_file_fails():
    out = subprocess.run([ours_binary(), "--sentinel"], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    assert "Sentinel needs config file on disk to save state" in out.stdout + out.stderr


def test_start_with_unwritable_config_fails(tmp_path):
    conf = tmp_path / "s.conf"
    conf.write_text("port 0\nsentinel monitor m 127.0.0.1 6379 2\n")
    os.chmod(conf, 0o444)
    if os.access(conf, os.W_OK):
        pytest.skip("running as root: files are always writable")
    out = subprocess.run([ours_binary(), str(conf), "--sentinel"], capture_output=True, text=True, timeout=20)
    assert out.returncode != 0
    assert "is not writable" in out.stdout + out.stderr


def test_invoked_as_redis_sentinel_runs_sentinel_mode(tmp_path):
    link = tmp_path / "redis-sentinel"
    os.symlink(ours_binary(), link)
    s = SentinelProcess("ours", [("m", "127.0.0.1", 1, 1, [])], name="symlink")
    try:
        s.port = None
        from conftest import free_port
        s.port = free_port()
        s.write_config()
        log = open(s.log_path, "wb")
        s.proc = subprocess.Popen([str(link), s.conf], cwd=s.dir, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: s.client().call("PING") == b"+PONG\r\n", what="symlinked sentinel")
        assert s.redis().info("server")["redis_mode"] == "sentinel"
        assert s.redis().execute_command("ROLE") == ["sentinel", ["m"]]
    finally:
        s.cleanup()


def test_failover_never_promotes_a_replica_with_priority_zero(topo):
    s = topo.sentinels[0].redis()
    data_client(topo.replicas[0]).config_set("replica-priority", 0)
    s.execute_command("SENTINEL", "DEBUG", "INFO-PERIOD", "200")
    wait_for(lambda: {x["port"]: x["slave-priority"] for x in s.sentinel_slaves("mymaster")}[topo.replicas[0].port] == 0,
             what="priority 0 seen")
    assert s.sentinel_failover("mymaster")
    new = wait_for(lambda: topo.master_addr() != ("127.0.0.1", topo.master.port) and topo.master_addr(),
                   what="failover")
    assert new == ("127.0.0.1", topo.replicas[1].port)


def test_failover_without_eligible_replica_is_refused(topo):
    s = topo.sentinels[0].redis()
    for r in topo.replicas:
        data_client(r).config_set("replica-priority", 0)
    s.execute_command("SENTINEL", "DEBUG", "INFO-PERIOD", "200")
    wait_for(lambda: all(x["slave-priority"] == 0 for x in s.sentinel_slaves("mymaster")), what="priorities seen")
    with pytest.raises(redis.ResponseError, match="NOGOODSLAVE No suitable replica to promote"):
        s.sentinel_failover("mymaster")
