"""Helpers shared by the persistence interop and fault tests: servers started on a data directory, polling,
digests and a per-key description of a keyspace (type, encoding, PTTL) to compare two servers.

    srv = start("ours", data_dir, "--dbfilename", "dump.rdb")   # a ServerProcess; caller stops it
    facts = keyspace(srv, ds)                                    # {(db, key): (type, encoding, pttl)}
    wait_for(lambda: ..., what="...")                            # poll, never a fixed sleep
"""

import os
import signal
import subprocess
import time

from conftest import ServerProcess, ours_binary, real_binary
from resp import encode_command

# IT_DEADLINE_SCALE: sanitized debug builds (make test-sanitize-*) save, load and sync 5-20 times slower.
DEADLINE = 30.0 * float(os.environ.get("IT_DEADLINE_SCALE", "1"))
PTTL_TOLERANCE_MS = 5000


def binary(kind):
    """The executable for "ours" or "real"."""
    return ours_binary() if kind == "ours" else real_binary()


def start(kind, data_dir, *args):
    """A started server of `kind` whose --dir is `data_dir` (the log stays in the server's own temp dir)."""
    os.makedirs(str(data_dir), exist_ok=True)
    srv = ServerProcess(binary(kind), "%s-persist" % kind, ["--dir", str(data_dir)] + list(args))
    srv.start()
    wait_for(lambda: not loading(srv), what="%s to finish loading" % kind)
    return srv


def loading(srv):
    with srv.client() as c:
        reply = c.call("INFO", "persistence")
    return b"loading:1" in reply or reply.startswith(b"-LOADING")


def wait_for(predicate, timeout=DEADLINE, what="condition"):
    """Poll `predicate` every 20 ms until it is truthy; AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting for %s" % what)


def info(srv, section="persistence"):
    """INFO `section` as a dict of str -> str."""
    with srv.client() as c:
        text = c.call("INFO", section).decode()
    out = {}
    for line in text.splitlines()[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def wait_bgsave_done(srv):
    wait_for(lambda: info(srv)["rdb_bgsave_in_progress"] == "0", what="BGSAVE to finish")


def wait_rewrite_done(srv):
    wait_for(lambda: info(srv)["aof_rewrite_in_progress"] == "0"
             and info(srv)["aof_rewrite_scheduled"] == "0", what="BGREWRITEAOF to finish")


def digest(srv):
    with srv.client() as c:
        reply = c.call("DEBUG", "DIGEST")
    assert reply[:1] == b"+" and len(reply) == 43, reply
    return reply


def keyspace(srv, ds):
    """{(db, key): (TYPE, OBJECT ENCODING, PTTL)} for every key of dataset `ds`, plus ("dbsize", db) entries."""
    out = {}
    with srv.client() as c:
        for db in ds.dbs():
            keys = [k for d, k in ds.keys() if d == db]
            cmds = [("SELECT", db), ("DBSIZE",)]
            for k in keys:
                cmds += [("TYPE", k), ("OBJECT", "ENCODING", k), ("PTTL", k)]
            c.send_raw(b"".join(encode_command(*x) for x in cmds))
            replies = [c.read_reply() for _ in cmds]
            out[("dbsize", db)] = replies[1]
            for i, k in enumerate(keys):
                t, e, p = replies[2 + 3 * i: 5 + 3 * i]
                out[(db, k)] = (t, e, int(p[1:-2]))
    return out


def assert_same_keyspace(got, want, tolerance=PTTL_TOLERANCE_MS, encodings=True):
    """Types, encodings (unless told not to) and db sizes equal; PTTLs equal within `tolerance` ms (-1 stays -1)."""
    assert got.keys() == want.keys()
    for k in want:
        if k[0] == "dbsize":
            assert got[k] == want[k], k
            continue
        gt, ge, gp = got[k]
        wt, we, wp = want[k]
        assert gt == wt and (ge == we or not encodings), (k, got[k], want[k])
        if wp < 0:
            assert gp == wp, (k, gp, wp)
        else:
            assert abs(gp - wp) <= tolerance, (k, gp, wp)


def run_to_exit(kind, data_dir, *args, timeout=20.0):
    """Run a server that is expected to stop on its own (refused start-up); returns (returncode, log bytes).

    The server gets a free port; if it is still running after `timeout` it is killed and the test fails.
    """
    from conftest import free_port
    log_path = os.path.join(str(data_dir), "startup.log")
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [binary(kind), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir)]
            + list(args), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        served = probe_until_exit(proc, port, timeout)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=5)
            raise AssertionError("%s kept running on a file it should refuse" % kind)
    assert not served, "%s served data while refusing its file: %r" % (kind, served)
    with open(log_path, "rb") as f:
        return proc.returncode, f.read()


def probe_until_exit(proc, port, timeout):
    """Until `proc` exits, keep asking it DBSIZE; returns the replies that were not a -LOADING error."""
    import socket
    served = []
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.settimeout(0.5)
                s.sendall(encode_command("DBSIZE"))
                reply = s.recv(64)
                if reply and not reply.startswith(b"-LOADING"):
                    served.append(reply)
        except OSError:
            pass
        time.sleep(0.01)
    return served
