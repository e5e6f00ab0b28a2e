"""Memory that outlives its use and client eviction (issue 17 and 16, docs/RELIABILITY.md):
`maxmemory-clients`, CLIENT NO-EVICT, `tracking-table-max-keys`, the bound on INFO errorstats codes."""

import socket
import time

import pytest

from buffer_tools import info_field, log_text, peer_closed, raw_socket, wait_until
from resp import encode_command


@pytest.mark.parametrize("value", ["10%", "200%", "101%", "0%", "100%", "1mb", "-1", "abc", "1gb", "5%x", "0"])
def test_maxmemory_clients_config_set_and_get(pair, value):
    pair.check("CONFIG", "SET", "maxmemory-clients", value)
    pair.check("CONFIG", "GET", "maxmemory-clients")
    pair.check("CONFIG", "SET", "maxmemory-clients", "0")


def partial_big_argument(port, size):
    """A client whose query buffer holds `size` bytes of an unfinished argument."""
    s = raw_socket(port, rcvbuf=1 << 16)
    try:
        s.sendall(b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % (size * 2))
        s.sendall(b"q" * size)
    except OSError:
        pass  # evicted while sending
    return s


@pytest.mark.timeout_seconds(120)
@pytest.mark.parametrize("kind", ["ours", "real"])
def test_largest_client_is_evicted_past_maxmemory_clients(server_factory, kind):
    srv = server_factory(kind, "--maxmemory-clients", "4mb")
    try:
        small = srv.client()
        assert small.call("PING") == b"+PONG\r\n"
        big = partial_big_argument(srv.port, 8 << 20)
        wait_until(lambda: info_field(srv, "stats", "evicted_clients") == "1", "evicted_clients to be 1")
        wait_until(lambda: peer_closed(big), "the big client to be closed")
        big.close()
        # The small client is still served.
        assert small.call("PING") == b"+PONG\r\n"
        small.close()
    finally:
        srv.stop()


@pytest.mark.timeout_seconds(120)
@pytest.mark.parametrize("kind", ["ours", "real"])
def test_no_evict_client_is_not_evicted(server_factory, kind):
    srv = server_factory(kind, "--maxmemory-clients", "4mb")
    try:
        s = raw_socket(srv.port, rcvbuf=1 << 16)
        s.sendall(encode_command("CLIENT", "NO-EVICT", "on"))
        s.settimeout(10)
        assert s.recv(100) == b"+OK\r\n"
        s.sendall(b"*2\r\n$4\r\nECHO\r\n$%d\r\n" % (16 << 20))
        s.sendall(b"q" * (8 << 20))
        with srv.client() as c:
            # The observer is exempt too: with the no-evict client over the limit, any evictable client is evicted
            # (Redis evicted a fresh INFO client here on a loaded machine).
            assert c.call("CLIENT", "NO-EVICT", "on") == b"+OK\r\n"
            me = "id=%d " % int(c.call("CLIENT", "ID")[1:-2])

            def holds_qbuf():
                for line in c.call("CLIENT", "LIST").decode().splitlines():
                    if "flags=e" in line and not line.startswith(me):
                        f = dict(x.split("=", 1) for x in line.split(" ") if "=" in x)
                        return int(f["qbuf"]) >= (4 << 20)
                return False
            wait_until(holds_qbuf, "the no-evict client to hold a large query buffer")
            assert b"evicted_clients:0\r\n" in c.call("INFO", "stats")
        assert not peer_closed(s, timeout=0.3)
        s.close()
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_maxmemory_clients_zero_evicts_nobody(server_factory, kind):
    srv = server_factory(kind)
    try:
        big = partial_big_argument(srv.port, 8 << 20)
        with srv.client() as c:
            wait_until(lambda: any("qbuf=" in l and int(dict(x.split("=", 1) for x in l.split(" ") if "=" in x)["qbuf"]) > (4 << 20)
                                   for l in c.call("CLIENT", "LIST").decode().splitlines()), "the query buffer to fill")
        assert info_field(srv, "stats", "evicted_clients") == "0"
        big.close()
    finally:
        srv.stop()


def read_pushes(sock, deadline):
    """Counts RESP3 invalidation pushes read from `sock` until `deadline` (or no data for 0.5 s)."""
    sock.settimeout(0.5)
    data = b""
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return data.count(b">2\r\n$10\r\ninvalidate\r\n")


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_tracking_table_max_keys_invalidates_past_the_limit(server_factory, kind):
    srv = server_factory(kind, "--tracking-table-max-keys", "10")
    try:
        s = raw_socket(srv.port, rcvbuf=1 << 16)
        s.settimeout(10)
        s.sendall(encode_command("HELLO", "3"))
        time.sleep(0)  # no wait needed: replies are read below
        s.sendall(encode_command("CLIENT", "TRACKING", "on"))
        for i in range(50):
            s.sendall(encode_command("GET", "key:%d" % i))
        wait_until(lambda: int(info_field(srv, "stats", "tracking_total_keys")) <= 10, "the table to shrink to 10")
        pushes = read_pushes(s, time.monotonic() + 10)
        assert pushes >= 40
        s.close()
    finally:
        srv.stop()


def test_errorstats_keeps_at_most_128_codes(server_factory):
    # Redis 7.2's bound (7.0.15 has none): new codes past 128 count only in total_error_replies, logged once.
    srv = server_factory("ours")
    try:
        with srv.client() as c:
            for i in range(140):
                c.call("EVAL", "return redis.error_reply('CODE%d x')" % i, "0")
            raw = c.call("INFO", "errorstats").decode()
        codes = [l for l in raw.splitlines() if l.startswith("errorstat_")]
        assert len(codes) == 128
        assert int(info_field(srv, "stats", "total_error_replies")) == 140
        assert log_text(srv).count("Errorstats stopped adding new errors") == 1
        with srv.client() as c:
            c.call("CONFIG", "RESETSTAT")
            c.call("EVAL", "return redis.error_reply('CODE200 x')", "0")
            assert "errorstat_CODE200:count=1" in c.call("INFO", "errorstats").decode()
    finally:
        srv.stop()


def test_errorstats_identical_below_the_bound(pair):
    pair.check("CONFIG", "RESETSTAT")
    for i in range(20):
        pair.check("EVAL", "return redis.error_reply('E%d x')" % i, "0")
    pair.check("INFO", "errorstats")
