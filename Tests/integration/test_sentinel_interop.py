"""Interop: our Sentinels fail over real redis-server instances, real redis-sentinel 7.0.15 fails over our data
servers, and a mixed group (2 of ours + 1 real) agrees on ODOWN, elects a leader and fails over."""

import re
import signal

import pytest

from sentinel_tools import Topology, data_client, restart_on_same_port, wait_for


def _kill_master_and_wait_switch(t):
    old = t.master.port
    t.master.proc.send_signal(signal.SIGKILL)
    t.master.proc.wait(timeout=10)

    def switched():
        addrs = {t.master_addr(s) for s in t.sentinels}
        if len(addrs) == 1:
            (addr,) = addrs
            return addr[1] != old and addr
        return False
    new = wait_for(switched, timeout=120, what="every sentinel switched to a promoted replica")
    promoted = next(r for r in t.replicas if r.port == new[1])
    wait_for(lambda: data_client(promoted).info("replication")["role"] == "master", what="promoted replica")
    other = [r for r in t.replicas if r.port != new[1]]
    for r in other:
        wait_for(lambda: data_client(r).info("replication").get("master_port") == new[1], timeout=60,
                 what="other replica follows the new master")
    return old, new


def _writes_reach_replicas(t, new):
    promoted = next(r for r in t.replicas if r.port == new[1])
    data_client(promoted).set("after-failover", "yes")
    for r in t.replicas:
        if r is not promoted:
            wait_for(lambda: data_client(r).get("after-failover") == "yes", what="replication from the new master")


@pytest.mark.parametrize("data_kind,sentinels", [
    ("real", ("ours", "ours", "ours")),
    ("ours", ("real", "real", "real")),
    ("ours", ("ours", "ours", "real")),
    ("real", ("ours", "real", "ours")),
], ids=["our-sentinels-real-servers", "real-sentinels-our-servers", "mixed-group-our-servers",
        "mixed-group-real-servers"])
def test_kill_master_fails_over(data_kind, sentinels):
    t = Topology(data_kind, sentinels)
    try:
        t.wait_replicas_online()
        t.wait_discovery()
        old, new = _kill_master_and_wait_switch(t)
        _writes_reach_replicas(t, new)
        # Every Sentinel's view: the new master, the other replica and the old master as replicas.
        for s in t.sentinels:
            wait_for(lambda: sorted(x["port"] for x in s.redis().sentinel_slaves("mymaster")) ==
                     sorted([old] + [r.port for r in t.replicas if r.port != new[1]]),
                     what="replica list after the switch")
        # The old master rejoins as a replica of the new one.
        restart_on_same_port(t.master)
        wait_for(lambda: data_client(t.master).info("replication").get("master_port") == new[1], timeout=90,
                 what="old master converted to a replica")
    finally:
        t.close()


def test_mixed_group_agrees_on_odown_and_elects_one_leader():
    t = Topology("ours", ("ours", "ours", "real"))
    try:
        t.wait_replicas_online()
        t.wait_discovery()
        subs = []
        for s in t.sentinels:
            r = s.redis()
            p = r.pubsub()
            p.subscribe("+odown", "+elected-leader", "+switch-master", "+vote-for-leader")
            subs.append((r, p, []))
        old, new = _kill_master_and_wait_switch(t)

        def drain():
            for _, p, got in subs:
                while True:
                    m = p.get_message(timeout=0.05)
                    if m is None:
                        break
                    if m["type"] == "message":
                        got.append((m["channel"], m["data"]))
            return all(any(c == "+switch-master" for c, _ in got) for _, _, got in subs)
        wait_for(drain, what="+switch-master on every sentinel")
        odown = [any(c == "+odown" for c, _ in got) for _, _, got in subs]
        assert sum(odown) >= 2  # the quorum (2) saw ODOWN
        leaders = [s for s, (_, _, got) in zip(t.sentinels, subs) if any(c == "+elected-leader" for c, _ in got)]
        assert len(leaders) == 1
        # Ours and the real one publish the same texts: one +switch-master line, votes as "<runid> <epoch>".
        switches = {d for _, _, got in subs for c, d in got if c == "+switch-master"}
        assert switches == {"mymaster 127.0.0.1 %d 127.0.0.1 %d" % (old, new[1])}
        votes = [d for _, _, got in subs for c, d in got if c == "+vote-for-leader"]
        assert votes and all(re.fullmatch(r"[0-9a-f]{40} [0-9]+", v) for v in votes), votes
        for _, p, _ in subs:
            p.close()
    finally:
        t.close()


@pytest.mark.parametrize("data_kind,sentinels,asked", [
    ("real", ("ours", "ours", "ours"), 0),
    ("ours", ("real", "real", "real"), 0),
    ("ours", ("ours", "ours", "real"), 2),
    ("real", ("ours", "real", "ours"), 0),
], ids=["our-sentinels-real-servers", "real-sentinels-our-servers", "mixed-group-asking-the-real-one",
        "mixed-group-real-servers-asking-ours"])
def test_sentinel_failover_command_in_each_group(data_kind, sentinels, asked):
    """SENTINEL FAILOVER on one Sentinel of the group (forced, no votes): a replica is promoted, every Sentinel of
    the group (ours and real alike) follows it through the hellos, the old master (alive) becomes its replica."""
    t = Topology(data_kind, sentinels)
    try:
        t.wait_replicas_online()
        t.wait_discovery()
        old = t.master.port
        assert t.sentinels[asked].redis().sentinel_failover("mymaster")

        def switched():
            addrs = {t.master_addr(s) for s in t.sentinels}
            if len(addrs) == 1:
                (addr,) = addrs
                return addr[1] != old and addr
            return False
        new = wait_for(switched, timeout=90, what="every sentinel follows the promoted replica")
        promoted = next(r for r in t.replicas if r.port == new[1])
        wait_for(lambda: data_client(promoted).info("replication")["role"] == "master", what="promoted replica")
        wait_for(lambda: data_client(t.master).info("replication").get("master_port") == new[1], timeout=90,
                 what="old master reconfigured as a replica")
        _writes_reach_replicas(t, new)
    finally:
        t.close()
