"""The server run as an unprivileged user (as in every container image) accepts connections. Regression: the
accepted sockets' options went through NIO as SO_DEBUG instead of SO_KEEPALIVE; SO_DEBUG needs CAP_NET_ADMIN, so
for a non-root server every connection was closed right after accept (root, as in most test runs, hid it)."""

import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import ours_binary, free_port
from sentinel_tools import wait_for

NOBODY = 65534


def _drop_privileges():
    os.setsid()
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)


@pytest.mark.parametrize("keepalive", ["300", "0"])
def test_server_as_unprivileged_user_answers_clients(keepalive):
    d = tempfile.mkdtemp(prefix="redis-it-nobody-")
    os.chmod(d, 0o777)
    binary = os.path.join(d, "redis-swift")
    shutil.copy(ours_binary(), binary)  # the build folder may not be readable by that user
    os.chmod(binary, 0o755)
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--tcp-keepalive", keepalive], cwd=d,
                            stdin=subprocess.DEVNULL, stdout=open(os.path.join(d, "log"), "wb"), stderr=subprocess.STDOUT,
                            preexec_fn=_drop_privileges)
    try:
        def pong():
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64) == b"+PONG\r\n"
        wait_for(pong, timeout=30, what="PONG from the server running as uid %d" % NOBODY)
        assert int(open("/proc/%d/status" % proc.pid).read().split("Uid:")[1].split()[0]) == \
            (NOBODY if os.geteuid() == 0 else os.geteuid())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(d, ignore_errors=True)
