"""`resolve-hostnames` / `announce-hostnames` against redis-sentinel 7.0.15: a master monitored by name
(`localhost`) and a replica announcing itself by name (`replica-announce-ip localhost`). With
`announce-hostnames no` Sentinel resolves the names and shows IP addresses everywhere (replies, INFO, events, the
config file); with `yes` it shows the names, and tells replicas to replicate from the name."""

import re
import socket

import pytest

from conftest import free_port
from sentinel_tools import PASSWORD, SentinelProcess, Topology, data_server, data_client, wait_for

HOST = "localhost"


def _ip_of(name):
    return socket.getaddrinfo(name, None, 0, socket.SOCK_STREAM)[0][4][0]


def _start_sentinel(kind, master_port, announce, tag):
    s = SentinelProcess(kind, [], name="host-%s" % tag)
    s.port = free_port()
    lines = ["port %d" % s.port, "bind 127.0.0.1", 'dir "%s"' % s.dir,
             "sentinel resolve-hostnames yes", "sentinel announce-hostnames %s" % announce,
             "sentinel monitor mymaster %s %d 2" % (HOST, master_port),
             "sentinel down-after-milliseconds mymaster 5000", "sentinel auth-pass mymaster %s" % PASSWORD]
    with open(s.conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    return s.start(write=False)


@pytest.fixture(scope="module", params=["no", "yes"], ids=["announce-hostnames-no", "announce-hostnames-yes"])
def pair(request):
    announce = request.param
    master = data_server("ours")
    replica = data_server("ours", "--replicaof", "127.0.0.1", str(master.port), "--replica-announce-ip", HOST)
    sentinels = []
    try:
        for kind in ("ours", "real"):
            sentinels.append(_start_sentinel(kind, master.port, announce, announce))

        def ready():
            for s in sentinels:
                m = s.redis().sentinel_master("mymaster")
                if m["num-slaves"] != 1 or m["num-other-sentinels"] != 1:
                    return False
            return True
        wait_for(ready, what="both sentinels see the replica and each other")
        yield announce, master, replica, sentinels[0], sentinels[1]
    finally:
        for s in sentinels:
            s.cleanup()
        replica.stop()
        master.stop()


def _expected(announce):
    return HOST if announce == "yes" else _ip_of(HOST)


def test_master_address_in_replies_follows_announce_hostnames(pair):
    announce, master, _, ours, real = pair
    got = []
    for s in (ours, real):
        r = s.redis()
        got.append((r.sentinel_master("mymaster")["ip"], r.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME",
                                                                            "mymaster")))
    assert got[0] == got[1]
    assert got[0][0] == _expected(announce)


def test_replica_entry_name_and_ip_follow_announce_hostnames(pair):
    announce, _, replica, ours, real = pair
    got = []
    for s in (ours, real):
        (r,) = s.redis().sentinel_slaves("mymaster")
        got.append((r["name"], r["ip"], r["port"]))
    assert got[0] == got[1]
    assert got[0] == ("%s:%d" % (_expected(announce), replica.port), _expected(announce), replica.port)


def test_info_sentinel_master_address_follows_announce_hostnames(pair):
    announce, master, _, ours, real = pair
    lines = []
    for s in (ours, real):
        lines.append(s.redis().info("sentinel")["master0"]["address"])
    assert lines[0] == lines[1] == "%s:%d" % (_expected(announce), master.port)


def test_config_rewrite_writes_announced_addresses(pair):
    announce, master, replica, ours, real = pair
    wanted = []
    for s in (ours, real):
        s.redis().execute_command("SENTINEL", "FLUSHCONFIG")
        wanted.append(sorted(l for l in s.config_text().splitlines()
                             if l.startswith("sentinel monitor") or l.startswith("sentinel known-replica")))
    assert wanted[0] == wanted[1]
    assert "sentinel monitor mymaster %s %d 2" % (_expected(announce), master.port) in wanted[0]


def test_monitor_and_slave_events_use_announced_addresses(pair):
    announce, master, replica, ours, real = pair

    def events(s):
        return sorted(re.sub(r"^.*?[#*] ", "", l) for l in s.log_tail(400).splitlines()
                      if " +monitor " in l or " +slave " in l)
    wait_for(lambda: len(events(ours)) >= 2 and len(events(real)) >= 2, what="+monitor and +slave logged")
    assert events(ours) == events(real)
    assert "+monitor master mymaster %s %d quorum 2" % (_expected(announce), master.port) in events(ours)


def test_monitor_by_name_needs_resolve_hostnames(pair):
    announce, _, _, ours, real = pair
    for s in (ours, real):
        r = s.redis()
        try:
            r.execute_command("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "no")
            with pytest.raises(Exception) as e:
                r.execute_command("SENTINEL", "MONITOR", "byname", HOST, "6399", "1")
            assert str(e.value) == "Invalid IP address or hostname specified"
            r.execute_command("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes")
            with pytest.raises(Exception) as e:
                r.execute_command("SENTINEL", "MONITOR", "byname", "no-such-host.invalid", "6399", "1")
            assert str(e.value) == "Invalid IP address or hostname specified"
            assert r.execute_command("SENTINEL", "MONITOR", "byname", HOST, "6399", "1")
            assert r.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "byname") == [_expected(announce), "6399"]
        finally:
            r.execute_command("SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes")
            try:
                r.execute_command("SENTINEL", "REMOVE", "byname")
            except Exception:  # noqa: BLE001 - not added
                pass


def test_announce_hostnames_can_be_switched_at_runtime(pair):
    announce, master, _, ours, real = pair
    other = "no" if announce == "yes" else "yes"
    try:
        for s in (ours, real):
            s.redis().execute_command("SENTINEL", "CONFIG", "SET", "announce-hostnames", other)
        got = [s.redis().execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster") for s in (ours, real)]
        assert got[0] == got[1] == [_expected(other), str(master.port)]
    finally:
        for s in (ours, real):
            s.redis().execute_command("SENTINEL", "CONFIG", "SET", "announce-hostnames", announce)


@pytest.mark.parametrize("kind", ["ours", "real"])
@pytest.mark.timeout_seconds(240)
def test_failover_with_announce_hostnames_reconfigures_by_name(kind):
    """A failover where every address is a name: +switch-master names the hosts, the other replica is told to
    replicate from the promoted one by name, and clients get the name back (ours and redis-sentinel alike)."""
    t = Topology("ours", (kind, kind, kind), monitor_host=HOST, replica_args=("--replica-announce-ip", HOST),
                 sentinel_lines=["sentinel resolve-hostnames yes", "sentinel announce-hostnames yes"])
    try:
        t.wait_replicas_online()
        t.wait_discovery()
        r = t.sentinels[0].redis()
        p = r.pubsub()
        p.subscribe("+switch-master")
        old = t.master.port
        r.execute_command("SENTINEL", "FAILOVER", "mymaster")

        def switch():
            m = p.get_message(timeout=0.5)
            return m and m["type"] == "message" and m["data"]
        text = wait_for(switch, timeout=90, what="+switch-master")
        new = wait_for(lambda: t.master_addr()[1] != old and t.master_addr(), what="new master address")
        assert new[0] == HOST
        assert text == "mymaster %s %d %s %d" % (HOST, old, HOST, new[1])
        other = next(x for x in t.replicas if x.port != new[1])
        wait_for(lambda: data_client(other).info("replication").get("master_port") == new[1], timeout=60,
                 what="the other replica follows the new master")
        assert data_client(other).info("replication")["master_host"] == HOST
        # The old master is converted by name too.
        wait_for(lambda: data_client(t.master).info("replication").get("master_port") == new[1], timeout=90,
                 what="old master converted")
        assert data_client(t.master).info("replication")["master_host"] == HOST
        p.close()
    finally:
        t.close()
