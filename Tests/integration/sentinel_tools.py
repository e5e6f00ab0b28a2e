"""Helpers for the Sentinel suites: Sentinel processes (ours or real redis-sentinel 7.0), data-server topologies
(1 master + N replicas, with `requirepass`/`masterauth`), and polling with generous deadlines."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import ServerProcess, free_port, ours_binary, process_listens_on, real_binary, _die_with_parent, RespClient

PASSWORD = "redis_password"
DEADLINE = 60.0


def real_sentinel_binary():
    return shutil.which(os.environ.get("REDIS_SENTINEL_BIN", "redis-sentinel")) or "redis-sentinel"


def wait_for(predicate, timeout=DEADLINE, what="condition", interval=0.1):
    """Polls `predicate` until it returns a truthy value; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - servers restart during these tests
            last_error = e
        time.sleep(interval)
    pytest.fail("timed out after %.0fs waiting for %s (last error: %r)" % (timeout, what, last_error), pytrace=False)


class SentinelProcess(object):
    """A Sentinel (ours: `redis-swift conf --sentinel`; real: `redis-sentinel conf`) with its own writable config."""

    def __init__(self, kind, monitors, requirepass=None, extra_lines=(), name="sentinel", pre_lines=()):
        self.kind = kind
        self.pre_lines = list(pre_lines)  # before the monitors (`sentinel resolve-hostnames yes` must be)
        self.monitors = monitors  # [(name, host, port, quorum, [option lines])]
        self.requirepass = requirepass
        self.extra_lines = list(extra_lines)
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="redis-it-%s-%s-" % (name, kind))
        self.conf = os.path.join(self.dir, "sentinel.conf")
        self.log_path = os.path.join(self.dir, "sentinel.log")
        self.port = None
        self.proc = None

    def write_config(self):
        lines = ["port %d" % self.port, "bind 127.0.0.1", 'dir "%s"' % self.dir, "daemonize no"]
        if self.requirepass:
            lines.append("requirepass %s" % self.requirepass)
        lines.extend(self.pre_lines)
        for name, host, port, quorum, opts in self.monitors:
            lines.append("sentinel monitor %s %s %d %d" % (name, host, port, quorum))
            lines.extend(opts)
        lines.extend(self.extra_lines)
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self, write=True):
        if self.port is None:
            self.port = free_port()
        if write:
            self.write_config()
        if self.kind == "ours":
            cmd = [ours_binary(), self.conf, "--sentinel"]
        else:
            cmd = [real_sentinel_binary(), self.conf]
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        wait_for(self._answers, timeout=30, what="%s sentinel on port %d" % (self.kind, self.port))
        return self

    def _answers(self):
        if self.proc.poll() is not None:
            pytest.fail("sentinel exited with %s:\n%s" % (self.proc.returncode, self.log_tail()), pytrace=False)
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(64) == b"":
                return False
        if not process_listens_on(self.proc.pid, self.port):
            pytest.fail("port %d answered, but not by this sentinel (taken by another process)" % self.port,
                        pytrace=False)
        return True

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read()[-20000:].decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def redis(self, protocol=2):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.requirepass, protocol=protocol,
                           socket_timeout=10, socket_connect_timeout=5, decode_responses=True)

    def client(self):
        c = RespClient(self.port)
        if self.requirepass:
            c.call("AUTH", self.requirepass)
        return c

    def config_text(self):
        with open(self.conf) as f:
            return f.read()


def data_server(kind, *extra):
    """A data server (ours or real) with the reference deployment's passwords."""
    binary = ours_binary() if kind == "ours" else real_binary()
    srv = ServerProcess(binary, "data-%s" % kind,
                        ["--requirepass", PASSWORD, "--masterauth", PASSWORD] + list(extra))
    srv.start()
    return srv


def data_client(srv):
    import redis
    return redis.Redis(host="127.0.0.1", port=srv.port, password=PASSWORD, socket_timeout=10,
                       socket_connect_timeout=5, decode_responses=True)


def restart_on_same_port(srv, *extra):
    """Starts a stopped ServerProcess again on its old port (a replica of `extra`'s master, say)."""
    port = srv.port
    srv.extra_args = ["--requirepass", PASSWORD, "--masterauth", PASSWORD] + list(extra)
    srv.dir = tempfile.mkdtemp(prefix="redis-it-restart-")
    srv.log_path = os.path.join(srv.dir, "server.log")
    srv._log = open(srv.log_path, "wb")
    cmd = [srv.binary, "--port", str(port)] + ServerProcess.BASE_ARGS + srv.extra_args
    srv.proc = subprocess.Popen(cmd, cwd=srv.dir, stdin=subprocess.DEVNULL, stdout=srv._log,
                                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    srv.port = port

    def up():
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(64) == b"":
                return False
        if not process_listens_on(srv.proc.pid, port):
            pytest.fail("port %d answered, but not by the restarted server (taken by another process)" % port,
                        pytrace=False)
        return True
    wait_for(up, timeout=30, what="restarted server on %d" % port)
    return srv


class Topology(object):
    """1 master + N replicas (data servers of `data_kind`) and Sentinels of the given kinds."""

    def __init__(self, data_kind="ours", sentinel_kinds=("ours", "ours", "ours"), replicas=2, quorum=2,
                 down_after=2000, failover_timeout=20000, name="mymaster", sentinel_password=PASSWORD,
                 monitor_host="127.0.0.1", replica_args=(), sentinel_lines=()):
        self.data_kind = data_kind
        self.name = name
        self.servers = []
        self.sentinels = []
        self.master = data_server(data_kind)
        self.servers.append(self.master)
        self.replicas = []
        for _ in range(replicas):
            r = data_server(data_kind, "--replicaof", "127.0.0.1", str(self.master.port), *replica_args)
            self.servers.append(r)
            self.replicas.append(r)
        opts = ["sentinel down-after-milliseconds %s %d" % (name, down_after),
                "sentinel failover-timeout %s %d" % (name, failover_timeout),
                "sentinel parallel-syncs %s 1" % name,
                "sentinel auth-pass %s %s" % (name, PASSWORD)]
        for i, kind in enumerate(sentinel_kinds):
            s = SentinelProcess(kind, [(name, monitor_host, self.master.port, quorum, opts)],
                                requirepass=sentinel_password, name="s%d" % i, pre_lines=sentinel_lines)
            self.sentinels.append(s)
        for s in self.sentinels:
            s.start()

    def wait_replicas_online(self):
        def online():
            info = data_client(self.master).info("replication")
            return info.get("connected_slaves", 0) == len(self.replicas)
        wait_for(online, what="replicas online")

    def wait_discovery(self):
        """Every Sentinel knows every replica and every other Sentinel."""
        n = len(self.sentinels)

        def known():
            for s in self.sentinels:
                r = s.redis()
                m = r.sentinel_master(self.name)
                if m["num-slaves"] != len(self.replicas) or m["num-other-sentinels"] != n - 1:
                    return False
            return True
        wait_for(known, what="sentinel discovery")

    def master_addr(self, s=None):
        s = s or self.sentinels[0]
        return tuple(s.redis().sentinel_get_master_addr_by_name(self.name))

    def close(self):
        for s in self.sentinels:
            s.cleanup()
        for srv in self.servers:
            srv.stop()
