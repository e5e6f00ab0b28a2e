"""10,000 idle connections to our server (issue 17): every one is served (PING → PONG), a fresh client is still
answered while they are open, the memory they cost stays bounded, and once they close the client count returns to
its baseline. `bench/idle_connections.py` prints the same figure for redis-server next to ours."""

import resource
import socket

import pytest

from buffer_tools import RSS_BOUNDS_APPLY, rss_kb, wait_until
from resp import encode_command

CONNECTIONS = 10000
BATCH = 500
PONG = b"+PONG\r\n"


def connected_clients(srv):
    with srv.client(timeout=30) as c:
        raw = c.call("INFO", "clients").decode()
    for line in raw.splitlines():
        if line.startswith("connected_clients:"):
            return int(line.split(":")[1])
    return -1


def fresh_client_pong(srv):
    with srv.client(timeout=30) as c:
        return c.call("PING") == PONG


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def raise_nofile_limit(need):
    """Raises this process's soft RLIMIT_NOFILE to `need` (the server started after it inherits it); skips the test
    with the reason when the hard limit does not allow it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip("needs %d open files, the hard limit (ulimit -Hn) is %d" % (need, hard))
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    except (ValueError, OSError) as e:
        pytest.skip("cannot raise the open files limit to %d: %s" % (need, e))


@pytest.mark.timeout_seconds(600)
def test_ten_thousand_idle_connections_are_served_and_released(server_factory):
    # The test process holds one socket per connection; the server one per connection plus its own descriptors.
    raise_nofile_limit(CONNECTIONS + 1000)
    srv = server_factory("ours", "--maxclients", str(CONNECTIONS + 100))
    socks = []
    try:
        baseline = connected_clients(srv)
        assert baseline == 1  # the INFO client itself
        base_rss = rss_kb(srv.proc.pid)
        while len(socks) < CONNECTIONS:
            batch = []
            for _ in range(min(BATCH, CONNECTIONS - len(socks))):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=60)
                batch.append(s)
                socks.append(s)
            ping = encode_command("PING")
            for s in batch:
                s.sendall(ping)
            for i, s in enumerate(batch):
                got = read_exactly(s, len(PONG))
                assert got == PONG, "connection %d got %r" % (len(socks) - len(batch) + i, got)
            assert fresh_client_pong(srv), "a fresh client was not answered with %d connections open" % len(socks)
        # All of them are registered (each was answered) and idle; the server still serves a newcomer.
        # (The last fresh client's close may still be on its way: polled.)
        wait_until(lambda: connected_clients(srv) == CONNECTIONS + 1, "%d clients" % (CONNECTIONS + 1), timeout=60)
        assert fresh_client_pong(srv)
        # A second round on every idle connection: none was dropped or starved.
        ping = encode_command("PING")
        for start in range(0, CONNECTIONS, BATCH):
            for s in socks[start:start + BATCH]:
                s.sendall(ping)
            for s in socks[start:start + BATCH]:
                assert read_exactly(s, len(PONG)) == PONG
        grown = rss_kb(srv.proc.pid) - base_rss
        print("RSS grew %d KiB for %d idle connections (%.1f KiB each)" % (grown, CONNECTIONS, grown / CONNECTIONS))
        assert grown < CONNECTIONS * 64 or not RSS_BOUNDS_APPLY, "%d KiB for %d idle connections" % (grown, CONNECTIONS)
    finally:
        for s in socks:
            s.close()
    wait_until(lambda: connected_clients(srv) == baseline, "the client count to return to %d" % baseline,
               timeout=120, interval=0.2)
    assert fresh_client_pong(srv)
    srv.stop()
