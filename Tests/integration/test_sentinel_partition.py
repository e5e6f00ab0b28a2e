"""A network partition in Linux network namespaces: the master and one client are cut off from the Sentinels'
majority (which holds both replicas and all three Sentinels), both sides keep writing, the partition heals, and
we count the acknowledged writes that are lost, with and without `min-replicas-to-write 1` /
`min-replicas-max-lag 10`.

Topology (everything on this machine; the only link is a veth pair created by the test):

    namespace <ns>                          root namespace
    +-----------------------------+         +----------------------------------------+
    | master (ours) 0.0.0.0:P     |  veth   | replica 1, replica 2 (ours)            |
    | isolated writer -> 127.0.0.1| <-----> | Sentinel 1..3 (ours), quorum 2         |
    | 10.231.X.2/30               |         | redis-py Sentinel writer  10.231.X.1/30|
    +-----------------------------+         +----------------------------------------+

The partition is `ip link set <ns end> down`: packets between the two sides are dropped (connections stall, new
ones time out), as on a real cut. Needs root (CAP_NET_ADMIN) and `ip` (iproute2); skipped otherwise.
The figures are printed (`pytest -s`) and explained in docs/HIGH-AVAILABILITY.md."""

import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from conftest import ServerProcess, _die_with_parent, free_port, ours_binary, real_binary
from sentinel_tools import PASSWORD, SentinelProcess, wait_for

MAX_LAG = 10
DOWN_AFTER = 2000
NAME = "mymaster"


def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True, timeout=30, check=check)


def _netns_available():
    if shutil.which("ip") is None or os.geteuid() != 0:
        return False
    probe = "rswprobe%d" % os.getpid()
    try:
        if _ip("netns", "add", probe, check=False).returncode != 0:
            return False
        return True
    finally:
        _ip("netns", "del", probe, check=False)


pytestmark = pytest.mark.skipif(not _netns_available(), reason="needs root and iproute2 network namespaces")


class Partition(object):
    """A network namespace joined to the root namespace by one veth pair (unique names and /30 per run)."""

    def __init__(self):
        tag = "%05x" % random.randrange(16 ** 5)
        self.ns = "rsw-part-%d-%s" % (os.getpid(), tag)
        self.root_if = "rsw%sr" % tag  # interface names are at most 15 bytes
        self.ns_if = "rsw%sn" % tag
        used = _ip("-o", "addr").stdout
        for _ in range(200):
            octet = random.randrange(1, 255)
            if "10.231.%d." % octet not in used:
                break
        self.root_ip = "10.231.%d.1" % octet
        self.ns_ip = "10.231.%d.2" % octet
        self.pids = []

    def create(self):
        _ip("netns", "add", self.ns)
        _ip("link", "add", self.root_if, "type", "veth", "peer", "name", self.ns_if)
        _ip("link", "set", self.ns_if, "netns", self.ns)
        _ip("addr", "add", self.root_ip + "/30", "dev", self.root_if)
        _ip("link", "set", self.root_if, "up")
        _ip("-n", self.ns, "addr", "add", self.ns_ip + "/30", "dev", self.ns_if)
        _ip("-n", self.ns, "link", "set", self.ns_if, "up")
        _ip("-n", self.ns, "link", "set", "lo", "up")
        return self

    def isolate(self):
        _ip("-n", self.ns, "link", "set", self.ns_if, "down")

    def heal(self):
        _ip("-n", self.ns, "link", "set", self.ns_if, "up")

    def popen(self, cmd, **kw):
        """Starts `cmd` inside the namespace (`ip netns exec` execs it, so the pid is the command's)."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns] + cmd, preexec_fn=_die_with_parent, **kw)
        self.pids.append(p)
        return p

    def destroy(self):
        for p in self.pids:
            if p.poll() is None:
                p.kill()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        # Anything else still in the namespace (there should be nothing), then the links and the namespace.
        left = _ip("netns", "pids", self.ns, check=False).stdout.split()
        for pid in left:
            try:
                os.kill(int(pid), 9)
            except (OSError, ValueError):
                pass
        _ip("link", "del", self.root_if, check=False)  # deletes both ends
        _ip("netns", "del", self.ns, check=False)


@pytest.fixture
def partition():
    p = Partition()
    try:
        p.create()
        yield p
    finally:
        p.destroy()
        assert p.ns not in _ip("netns", "list").stdout
        assert p.root_if not in _ip("-o", "link").stdout


# The client on the master's side: SET iso:<n> in a loop against the master over the namespace's loopback;
# one line per write: "A <n> <sent> <acked>" or "E <n> <sent> <error>" (wall-clock times, shared by namespaces).
ISOLATED_WRITER = r"""
import os, sys, time, redis
host, port, password, out, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
r = redis.Redis(host=host, port=port, password=password, socket_timeout=2, socket_connect_timeout=2)
with open(out, "w", buffering=1) as f:
    n = 0
    while not os.path.exists(stop):
        sent = time.time()
        try:
            r.set("iso:%d" % n, n)
            f.write("A %d %.4f %.4f\n" % (n, sent, time.time()))
        except Exception as e:
            f.write("E %d %.4f %s\n" % (n, sent, str(e).replace("\n", " ")[:80]))
        n += 1
        time.sleep(0.01)
"""


def _read_isolated(path):
    acked, errors = {}, []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split(" ", 3)
                if len(parts) == 4 and parts[0] == "A" and line.endswith("\n"):
                    acked[int(parts[1])] = (float(parts[2]), float(parts[3]))
                elif len(parts) >= 3 and parts[0] == "E" and line.endswith("\n"):
                    errors.append((int(parts[1]), float(parts[2]), parts[3].strip() if len(parts) > 3 else ""))
    except OSError:
        pass
    return acked, errors


class SentinelWriter(object):
    """redis-py's Sentinel client on the majority side: SET sen:<n> on whatever master the Sentinels name."""

    def __init__(self, sentinels, host):
        from redis.sentinel import Sentinel
        self.ps = Sentinel([(host, s.port) for s in sentinels], sentinel_kwargs={"password": PASSWORD,
                           "socket_timeout": 2}, password=PASSWORD, socket_timeout=1, socket_connect_timeout=1)
        self.acked = {}  # n -> (sent, acked, master address)
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        m = self.ps.master_for(NAME)
        n = 0
        while not self.stop.is_set():
            sent = time.time()
            try:
                m.set("sen:%d" % n, n)
                conn = m.connection_pool
                self.acked[n] = (sent, time.time(), getattr(conn, "master_address", None))
            except Exception as e:  # noqa: BLE001 - the partition and the failover make writes fail for a while
                self.errors.append((n, sent, repr(e)[:80]))
            n += 1
            self.stop.wait(0.01)

    def start(self):
        self.thread.start()

    def finish(self):
        self.stop.set()
        self.thread.join(timeout=30)


def _client(host, port):
    import redis
    return redis.Redis(host=host, port=port, password=PASSWORD, socket_timeout=5, socket_connect_timeout=3,
                       decode_responses=True)


def _run_partition(part, min_replicas, data_kind):
    """The whole scenario (data servers of `data_kind`, our Sentinels); returns the figures."""
    binary = ours_binary() if data_kind == "ours" else real_binary()
    extra = ["--requirepass", PASSWORD, "--masterauth", PASSWORD]
    if min_replicas:
        extra += ["--min-replicas-to-write", "1", "--min-replicas-max-lag", str(MAX_LAG)]
    workdir = tempfile.mkdtemp(prefix="redis-it-partition-")
    servers, sentinels, writer_procs = [], [], []
    sen_writer = None
    mlog = None
    stop_file = os.path.join(workdir, "stop-isolated-writer")
    try:
        # The master, alone in the namespace (listening on its veth address and its own loopback).
        mport = free_port()
        mlog = open(os.path.join(workdir, "master.log"), "wb")
        master = part.popen([binary, "--port", str(mport), "--bind", part.ns_ip, "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--repl-diskless-sync-delay", "0", "--dir", workdir] + extra,
                            stdin=subprocess.DEVNULL, stdout=mlog, stderr=subprocess.STDOUT)
        mclient = _client(part.ns_ip, mport)
        wait_for(lambda: master.poll() is None and mclient.ping(), timeout=30, what="master in the namespace")
        # Two replicas in the root namespace, reachable on the veth's root address (the old master resyncs
        # from one of them after the heal).
        replicas = []
        for _ in range(2):
            r = ServerProcess(binary, "partition-replica",
                              extra + ["--bind", "127.0.0.1", part.root_ip, "--replicaof", part.ns_ip, str(mport)])
            r.start()
            servers.append(r)
            replicas.append(r)
        wait_for(lambda: mclient.info("replication").get("connected_slaves") == 2, what="replicas online")
        # Three Sentinels, also in the root namespace.
        opts = ["sentinel down-after-milliseconds %s %d" % (NAME, DOWN_AFTER),
                "sentinel failover-timeout %s 20000" % NAME,
                "sentinel parallel-syncs %s 1" % NAME,
                "sentinel auth-pass %s %s" % (NAME, PASSWORD)]
        for i in range(3):
            s = SentinelProcess("ours", [(NAME, part.ns_ip, mport, 2, opts)], requirepass=PASSWORD,
                                extra_lines=["bind 127.0.0.1 %s" % part.root_ip], name="part-s%d" % i)
            sentinels.append(s)
            s.start()

        def discovered():
            for s in sentinels:
                m = s.redis().sentinel_master(NAME)
                if m["num-slaves"] != 2 or m["num-other-sentinels"] != 2:
                    return False
            return True
        wait_for(discovered, what="sentinel discovery")

        # Writers on both sides.
        iso_out = os.path.join(workdir, "isolated.txt")
        writer_procs.append(part.popen([sys.executable, "-c", ISOLATED_WRITER, "127.0.0.1", str(mport), PASSWORD,
                                        iso_out, stop_file], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=open(os.path.join(workdir, "iso.err"), "w")))
        sen_writer = SentinelWriter(sentinels, "127.0.0.1")
        sen_writer.start()
        wait_for(lambda: len(_read_isolated(iso_out)[0]) >= 20 and len(sen_writer.acked) >= 20,
                 what="writes on both sides before the partition")

        # Cut.
        part.isolate()
        t_cut = time.time()
        old = (part.ns_ip, mport)

        def switched():
            addrs = {tuple(s.redis().sentinel_get_master_addr_by_name(NAME)) for s in sentinels}
            if len(addrs) == 1:
                (a,) = addrs
                return (a[0], int(a[1])) != old and (a[0], int(a[1]))
            return False
        new = wait_for(switched, timeout=90, what="failover on the majority side")
        t_switch = time.time()
        assert new[1] in [r.port for r in replicas]
        # The majority side writes to the promoted replica (with min-replicas it needs the other replica attached).
        n_at_switch = max(sen_writer.acked) if sen_writer.acked else -1
        wait_for(lambda: len([n for n in sen_writer.acked if n > n_at_switch]) >= 20, timeout=90,
                 what="the Sentinel client writing to the new master")
        # Hold the partition until the isolated client has been writing for longer than the lag window, and
        # (with min-replicas) until its master refuses writes.
        wait_for(lambda: any(sent > t_cut + MAX_LAG + 3 for sent, _ in _read_isolated(iso_out)[0].values()) or
                 any(sent > t_cut + MAX_LAG + 3 for _, sent, _ in _read_isolated(iso_out)[1]),
                 timeout=90, what="isolated writes past the lag window")
        if min_replicas:
            wait_for(lambda: any("NOREPLICAS" in e for _, _, e in _read_isolated(iso_out)[1]), timeout=60,
                     what="the isolated master refusing writes")

        # Heal; the Sentinels turn the old master into a replica of the new one.
        part.heal()
        t_heal = time.time()
        wait_for(lambda: mclient.info("replication").get("master_port") == new[1] and
                 mclient.info("replication").get("master_link_status") == "up", timeout=120,
                 what="old master rejoined as a replica of the new master")
        t_rejoin = time.time()
        open(stop_file, "w").close()
        writer_procs[0].wait(timeout=30)
        sen_writer.finish()

        # Exactly one master among the three data servers, and every Sentinel names it.
        roles = [mclient.info("replication")["role"]] + [_client("127.0.0.1", r.port).info("replication")["role"]
                                                        for r in replicas]
        assert roles.count("master") == 1, roles
        assert {tuple(s.redis().sentinel_get_master_addr_by_name(NAME)) for s in sentinels} == \
            {(new[0], new[1])}
        final = _client("127.0.0.1", new[1])
        # Let the other replica and the old master catch up with the final master before reading.
        off = final.info("replication")["master_repl_offset"]
        wait_for(lambda: mclient.info("replication").get("slave_repl_offset", -1) >= off, what="old master synced")

        def present(keys):
            got = set()
            keys = list(keys)
            for i in range(0, len(keys), 500):
                pipe = final.pipeline(transaction=False)
                for k in keys[i:i + 500]:
                    pipe.exists(k)
                for k, e in zip(keys[i:i + 500], pipe.execute()):
                    if e:
                        got.add(k)
            return got

        iso_acked, iso_errors = _read_isolated(iso_out)
        iso_present = present("iso:%d" % n for n in iso_acked)
        iso_lost = {n: v for n, v in iso_acked.items() if "iso:%d" % n not in iso_present}
        sen_present = present("sen:%d" % n for n in sen_writer.acked)
        sen_lost = {n: v for n, v in sen_writer.acked.items() if "sen:%d" % n not in sen_present}
        figures = {
            "data_servers": data_kind,
            "min_replicas": min_replicas,
            "partition_s": round(t_heal - t_cut, 1),
            "failover_s": round(t_switch - t_cut, 1),
            "rejoin_s": round(t_rejoin - t_heal, 1),
            "iso_acked_total": len(iso_acked),
            "iso_acked_during_partition": len([1 for s, _ in iso_acked.values() if s > t_cut]),
            "iso_lost": len(iso_lost),
            "iso_lost_sent_before_heal": len([1 for sent, _ in iso_lost.values() if sent <= t_heal]),
            "iso_lost_sent_after_heal": len([1 for sent, _ in iso_lost.values() if sent > t_heal]),
            "iso_lost_last_sent_after_cut_s": round(max([s for s, _ in iso_lost.values()] or [t_cut]) - t_cut, 1),
            "iso_noreplicas_errors": len([1 for _, _, e in iso_errors if "NOREPLICAS" in e]),
            "sen_acked_total": len(sen_writer.acked),
            "sen_lost": len(sen_lost),
        }
        print("\npartition figures: %r" % figures)
        return figures, t_cut, t_switch, iso_acked, iso_lost, iso_errors, sen_writer, sen_lost
    finally:
        open(stop_file, "w").close()
        if sen_writer is not None:
            sen_writer.finish()
        for s in sentinels:
            s.cleanup()
        for r in servers:
            r.stop()
        for p in part.pids:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if mlog is not None:
            mlog.close()
        shutil.rmtree(workdir, ignore_errors=True)


# Our data servers, and redis-server 7.0 as data servers under the same (our) Sentinels for comparison.
DATA_KINDS = pytest.mark.parametrize("data_kind", ["ours", "real"], ids=["our-servers", "redis-servers"])


@pytest.mark.timeout_seconds(400)
@DATA_KINDS
def test_partitioned_master_loses_its_acknowledged_writes_without_min_replicas(partition, data_kind):
    figures, t_cut, t_switch, iso_acked, iso_lost, _, sen_writer, sen_lost = _run_partition(partition, False,
                                                                                             data_kind)
    # Every write sent to the isolated master after the cut was acknowledged (nothing refuses them) and is gone
    # after the heal: the old master threw its data set away to resync from the new master.
    after_cut = {n for n, (sent, _) in iso_acked.items() if sent > t_cut}
    assert after_cut, "the isolated master acknowledged nothing during the partition"
    assert after_cut <= set(iso_lost)
    # ... including writes sent long after the lag window (the loss grows with the partition's length).
    assert any(sent > t_cut + MAX_LAG + 3 for sent, _ in iso_lost.values())
    # The majority side's writes to the new master all survive.
    assert not [n for n, (sent, _, _) in sen_writer.acked.items() if sent > t_switch and n in sen_lost]


@pytest.mark.timeout_seconds(400)
@DATA_KINDS
def test_min_replicas_bounds_the_isolated_masters_lost_writes_to_the_lag_window(partition, data_kind):
    figures, t_cut, t_switch, iso_acked, iso_lost, iso_errors, sen_writer, sen_lost = _run_partition(partition, True,
                                                                                                     data_kind)
    # The isolated master refused writes once its replicas' acknowledgements were older than min-replicas-max-lag.
    assert figures["iso_noreplicas_errors"] > 0
    first_refusal = min(sent for _, sent, e in iso_errors if "NOREPLICAS" in e and sent > t_cut)
    assert first_refusal > t_cut  # writes were still accepted for a while after the cut ...
    # ... but nothing sent after the lag window (+ the 1 s cron that recounts good replicas, + slack for a
    # loaded machine) was acknowledged, so the lost writes are at most ~MAX_LAG seconds of writes.
    late = [n for n, (sent, _) in iso_acked.items() if sent > t_cut + MAX_LAG + 5]
    assert late == [], "the isolated master acknowledged writes after the lag window"
    assert all(sent <= t_cut + MAX_LAG + 5 for sent, _ in iso_lost.values())
    assert not [n for n, (sent, _, _) in sen_writer.acked.items() if sent > t_switch and n in sen_lost]
