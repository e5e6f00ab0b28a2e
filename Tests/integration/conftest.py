"""Fixtures for the redis-swift integration and differential test suite.

Servers
  * `ours`  - the binary named by $REDIS_SWIFT_BIN, default
              <repo>/.build/release/redis-swift
  * `real`  - the reference server, $REDIS_REAL_BIN or `redis-server` (7.0.x)

Both are started once per session (on free ports, each in its own temp dir)
and every test gets a FLUSHALL-ed server and fresh connections (which start
in DB 0).  If a server dies during a test the test errors out with the tail
of the server log and the server is restarted for the next test.

Time bounds: every socket has a timeout (resp.DEFAULT_TIMEOUT), every
subprocess wait has a timeout, and each test phase (setup/call/teardown) is
additionally bounded by the `test_timeout` ini option (SIGALRM based, no
plugin needed).

Run:  python3 -m pytest -q Tests/integration
      REDIS_SWIFT_BIN=$(which redis-server) python3 -m pytest -q Tests/integration
"""

import atexit
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from resp import (  # noqa: E402  (re-exported for convenience)
    ConnectionClosed,
    ProtocolError,
    RespClient,
    RespError,
    decode,
    encode_command,
    split_top_level,
)
from difftools import Pair  # noqa: E402

REPO_ROOT = HERE.parents[1]
DEFAULT_OURS_BIN = REPO_ROOT / ".build" / "release" / "redis-swift"
START_TIMEOUT = 10.0 * float(os.environ.get("IT_DEADLINE_SCALE", "1"))
STOP_TIMEOUT = 5.0

__all__ = [
    "ServerProcess", "RespClient", "RespError", "ConnectionClosed", "ProtocolError",
    "decode", "encode_command", "split_top_level", "ours_binary", "real_binary",
]


# The compiled-in plugins (Plugins/): they are listed by MODULE LIST and INFO's `# Modules` as modules loaded at
# start. Tests comparing ours with a module-less redis-server start ours with them disabled (NO_PLUGINS).
PLUGIN_MODULES = (b"redis-cell", b"bf", b"mq")
NO_PLUGINS = tuple(a for m in PLUGIN_MODULES for a in ("--disable-command-family", m.decode()))


def loaded_modules(module_list):
    """The rows of a decoded MODULE LIST reply that are not compiled-in plugins."""
    return [m for m in module_list if m[1] not in PLUGIN_MODULES]


def ours_binary():
    env = os.environ.get("REDIS_SWIFT_BIN")
    if env:
        found = shutil.which(env) if os.sep not in env else env
        return found or env
    return str(DEFAULT_OURS_BIN)


def real_binary():
    env = os.environ.get("REDIS_REAL_BIN", "redis-server")
    return shutil.which(env) or env


# Listening ports are taken below the kernel's ephemeral range (32768+), so outgoing client connections of this
# or another test run cannot occupy them; a random start keeps concurrent test runs apart.
_PORT_RANGE = (20000, 32000)


def free_port():
    """A TCP port that was free a moment ago (bindable on 127.0.0.1 and nothing listening on it)."""
    for _ in range(200):
        port = random.randrange(*_PORT_RANGE)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening_inodes(pid, port):
    """Socket inodes listening on TCP `port` in the network namespace of `pid` (from /proc/PID/net/tcp*)."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            with open("/proc/%d/net/%s" % (pid, table)) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(inode)
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return inodes


def process_listens_on(pid, port):
    """Whether process `pid` itself holds a socket listening on `port` — not another test's server that won the
    race for a port we believed free. Unknown (no /proc) counts as yes."""
    if not os.path.isdir("/proc/%d" % pid):
        return False
    wanted = _listening_inodes(pid, port)
    if not wanted:
        return not os.path.exists("/proc/%d/net/tcp" % pid)
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return True
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in wanted:
            return True
    return False


def _die_with_parent():
    """preexec_fn: SIGKILL the server if the pytest process dies abruptly."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


_LIVE = set()


def _kill_all_at_exit():
    for proc in list(_LIVE):
        proc.stop()


atexit.register(_kill_all_at_exit)


class ServerProcess(object):
    """A redis-server compatible process on a free port in a temp dir."""

    # A diskless full sync (Redis 7.0's default) starts at once rather than after 5 s of waiting for more replicas.
    BASE_ARGS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--enable-debug-command", "yes", "--repl-diskless-sync-delay", "0"]

    def __init__(self, binary, name="server", extra_args=()):
        self.binary = str(binary)
        self.name = name
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.dir = None
        self.log_path = None
        self._log = None
        self.restarts = 0
        self.broken = None  # reason the suite gave up on this server

    # -- lifecycle ---------------------------------------------------------
    def start(self):
        if not (os.path.isfile(self.binary) and os.access(self.binary, os.X_OK)):
            raise RuntimeError(
                "%s binary not found or not executable: %s (build it with "
                "`swift build -c release`, or point REDIS_SWIFT_BIN at a "
                "redis-server compatible binary)" % (self.name, self.binary))
        last_error = None
        for _attempt in range(3):  # retry in case the free port got taken
            try:
                self._start_once()
                return self
            except RuntimeError as e:
                last_error = e
                self.stop()
        raise last_error

    def _start_once(self):
        self.dir = tempfile.mkdtemp(prefix="redis-it-%s-" % self.name)
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "server.log")
        self._log = open(self.log_path, "wb")
        cmd = [self.binary, "--port", str(self.port)] + self.BASE_ARGS + self.extra_args
        self.proc = subprocess.Popen(
            cmd, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        _LIVE.add(self)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with code %s during startup:\n%s"
                                   % (self.name, self.proc.returncode, self.log_tail()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    # The port opens before the dataset is loaded: wait until PING stops answering -LOADING.
                    s.sendall(b"PING\r\n")
                    if not s.recv(64).startswith(b"-LOADING"):
                        if not process_listens_on(self.proc.pid, self.port):
                            raise RuntimeError("%s: port %d answered, but not by our process (taken by another "
                                               "server)" % (self.name, self.port))
                        return
                    time.sleep(0.05)
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("%s did not accept connections on port %d within %.0fs:\n%s"
                           % (self.name, self.port, START_TIMEOUT, self.log_tail()))

    def stop(self):
        proc = self.proc
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    try:
                        proc.wait(timeout=STOP_TIMEOUT)
                    except subprocess.TimeoutExpired:
                        pass
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.dir and os.path.isdir(self.dir):
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        _LIVE.discard(self)

    def restart(self):
        self.stop()
        self.restarts += 1
        self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()[-20000:]
        except (OSError, TypeError):
            return "<no log>"
        return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])

    # -- clients -------------------------------------------------------------
    def client(self, timeout=None):
        """A fresh raw RESP connection."""
        if timeout is None:
            return RespClient(self.port)
        return RespClient(self.port, timeout=timeout)

    def redis(self, protocol=2, **kwargs):
        """A redis-py client (socket timeouts set)."""
        import redis
        kwargs.setdefault("socket_timeout", float(os.environ.get("IT_SOCKET_TIMEOUT", "10")))
        kwargs.setdefault("socket_connect_timeout", 5)
        return redis.Redis(host="127.0.0.1", port=self.port, protocol=protocol, **kwargs)

    def flushall(self):
        with self.client() as c:
            reply = c.call("FLUSHALL")
        if reply != b"+OK\r\n":
            pytest.fail("FLUSHALL (run before every test) failed on %s: %r"
                        % (self.name, reply), pytrace=False)

    def __repr__(self):
        return "<ServerProcess %s %s port=%s>" % (self.name, self.binary, self.port)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------
# Per-test time limit without a plugin
# ---------------------------------------------------------------------------

class PhaseTimeout(BaseException):
    """Derives from BaseException so `except Exception` in test code cannot swallow it."""
    pass


def pytest_addoption(parser):
    parser.addini("test_timeout", "seconds allowed for each of a test's setup, call and "
                  "teardown phases (0 disables)", default="120")


def _timeout_seconds(item):
    env = os.environ.get("IT_TEST_TIMEOUT")
    if env:
        return int(env)
    # A long test names its own bound: @pytest.mark.timeout_seconds(300).
    marker = item.get_closest_marker("timeout_seconds")
    if marker is not None:
        return int(marker.args[0])
    return int(item.config.getini("test_timeout") or 0)


def _with_alarm(item, phase):
    seconds = _timeout_seconds(item)
    if seconds <= 0 or not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise PhaseTimeout("%s of %s exceeded %ds" % (phase, item.nodeid, seconds))

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    for _ in _with_alarm(item, "setup"):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    for _ in _with_alarm(item, "call"):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    for _ in _with_alarm(item, "teardown"):
        yield


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

def _session_server(binary, name):
    server = ServerProcess(binary, name)
    error = None
    try:
        server.start()
    except RuntimeError as e:
        error = str(e)
    if error:
        pytest.fail(error, pytrace=False)
    return server


@pytest.fixture(scope="session")
def ours_server():
    server = _session_server(ours_binary(), "ours")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def real_server():
    server = _session_server(real_binary(), "real")
    yield server
    server.stop()


def _clean(server):
    """Give the test a responsive, empty server.

    A dead server is restarted; a server that does not answer FLUSHALL in
    time is killed and restarted once.  If that does not help, the server is
    marked broken and all following tests fail fast instead of each waiting
    for timeouts.
    """
    if server.broken:
        pytest.fail("%s server is unusable: %s" % (server.name, server.broken), pytrace=False)
    problem = None
    for attempt in range(2):
        try:
            if not server.alive():
                server.restart()
            server.flushall()
            return server
        except (OSError, ConnectionClosed, ProtocolError, RuntimeError, ValueError) as e:
            problem = "%s: %s" % (type(e).__name__, e)
            if attempt == 0:
                try:
                    server.restart()
                except RuntimeError as e2:
                    problem = str(e2)
                    break
    server.broken = problem
    pytest.fail("%s server is unusable: %s" % (server.name, problem), pytrace=False)


def _check_survived(server):
    if not server.alive():
        code = server.proc.returncode if server.proc else None
        tail = server.log_tail()
        try:
            server.restart()  # so the following tests still have a server
        except RuntimeError as e:
            server.broken = "restart after crash failed: %s" % e
        pytest.fail("%s server died during the test (exit code %s); log tail:\n%s"
                    % (server.name, code, tail), pytrace=False)


@pytest.fixture
def ours(ours_server):
    """Our server, FLUSHALL-ed; fails the test if it dies during it."""
    yield _clean(ours_server)
    _check_survived(ours_server)


@pytest.fixture
def real(real_server):
    """The reference redis-server, FLUSHALL-ed."""
    yield _clean(real_server)
    _check_survived(real_server)


@pytest.fixture
def pair(ours, real):
    """Raw connections to ours and real (both in DB 0, both servers empty)."""
    p = Pair(ours.client(), real.client())
    p.check("SELECT", 0)
    yield p
    p.close()


@pytest.fixture(scope="session")
def server_factory():
    """Start extra servers with custom args: factory("ours"|"real", *extra_args).

    Everything started is stopped at the end of the session at the latest;
    callers may stop earlier with server.stop().
    """
    started = []

    def factory(kind, *extra_args):
        binary = ours_binary() if kind == "ours" else real_binary()
        srv = ServerProcess(binary, "%s%s" % (kind, "-custom"), extra_args)
        started.append(srv)
        error = None
        try:
            srv.start()
        except RuntimeError as e:
            error = str(e)
        if error:
            pytest.fail(error, pytrace=False)
        return srv

    yield factory
    for srv in started:
        srv.stop()


@pytest.fixture(params=["ours", "real"])
def server(request):
    """Parametrize a test over both servers (same assertions for each)."""
    return request.getfixturevalue(request.param)
