"""CLIENT PAUSE/UNPAUSE, CLIENT KILL filters and CLIENT LIST fields, against redis-server 7.0: error replies
byte-equal (pair), behaviour with the same assertions on both servers (server fixture)."""

import re
import time

import pytest

from resp import decode

DEADLINE = 10.0


def wait_for(predicate, what):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


def clients(conn):
    out = {}
    for line in decode(conn.call("CLIENT", "LIST")).decode().splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" "))
        out[int(fields["id"])] = fields
    return out


@pytest.mark.parametrize("args", [("PAUSE", "abc"), ("PAUSE", "-1"), ("PAUSE", "10", "FOO"),
                                  ("PAUSE", "10", "write", "extra"), ("UNPAUSE", "x"), ("UNPAUSE",),
                                  ("KILL", "ID", "abc"), ("KILL", "ID", "0"), ("KILL", "TYPE", "foo"),
                                  ("KILL", "1.2.3.4:5"), ("KILL", "ADDR", "1.2.3.4:5"), ("KILL", "MAXAGE", "1"),
                                  ("KILL", "SKIPME", "maybe"), ("KILL", "ID"), ("NO-TOUCH", "on"), ("HELP",)])
def test_client_admin_errors_match(pair, args):
    pair.check("CLIENT", *args)


def test_client_pause_write_serves_reads_and_holds_writes(server):
    with server.client() as admin, server.client() as writer, server.client() as reader:
        writer_id = int(writer.call("CLIENT", "ID")[1:-2])
        writer.call("SET", "k", "before")
        assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
        try:
            assert decode(reader.call("GET", "k")) == b"before"
            writer.send("SET", "k", "after")
            wait_for(lambda: "b" in clients(admin)[writer_id]["flags"], "the writer to be parked")
            assert decode(reader.call("GET", "k")) == b"before"
            assert decode(reader.call("PING")) == b"PONG"
        finally:
            assert admin.call("CLIENT", "UNPAUSE") == b"+OK\r\n"
        assert writer.read_reply() == b"+OK\r\n"
        assert decode(reader.call("GET", "k")) == b"after"


def test_client_pause_all_ends_at_timeout(server):
    with server.client() as admin, server.client() as other:
        assert admin.call("CLIENT", "PAUSE", "300", "ALL") == b"+OK\r\n"
        other.send("PING")
        # The reply arrives once the pause times out.
        assert decode(other.read_reply()) == b"PONG"


def test_client_pause_keeps_expired_keys_until_unpause(server):
    with server.client() as admin, server.client() as c:
        c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        c.call("SET", "gone", "v", "PX", "100")
        assert admin.call("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
        try:
            wait_for(lambda: c.call("EXISTS", "gone") == b":0\r\n", "the key to read as expired")
            # Neither the active cycle nor the read deleted it: DBSIZE still counts it.
            end = time.monotonic() + 0.3
            while time.monotonic() < end:
                assert c.call("DBSIZE") == b":1\r\n"
        finally:
            admin.call("CLIENT", "UNPAUSE")
        wait_for(lambda: c.call("DBSIZE") == b":0\r\n", "the key to be reclaimed after the pause")


def test_client_kill_filters(server):
    with server.client() as admin, server.client() as a, server.client() as b, server.client() as sub:
        ids = dict((name, int(conn.call("CLIENT", "ID")[1:-2])) for name, conn in
                   (("admin", admin), ("a", a), ("b", b), ("sub", sub)))
        sub.call("SUBSCRIBE", "ch")
        listing = clients(admin)
        assert listing[ids["admin"]]["cmd"] == "client|list"
        assert listing[ids["a"]]["cmd"] == "client|id"
        assert listing[ids["sub"]]["cmd"] == "subscribe"
        pubsub = decode(admin.call("CLIENT", "LIST", "TYPE", "pubsub")).decode()
        assert re.findall(r"id=(\d+)", pubsub) == [str(ids["sub"])]
        assert admin.call("CLIENT", "KILL", "TYPE", "pubsub") == b":1\r\n"
        assert sub.is_closed_by_peer()
        assert admin.call("CLIENT", "KILL", "ID", str(ids["a"])) == b":1\r\n"
        assert a.is_closed_by_peer()
        addr_b = clients(admin)[ids["b"]]["addr"]
        laddr_b = clients(admin)[ids["b"]]["laddr"]
        assert admin.call("CLIENT", "KILL", "ADDR", addr_b, "LADDR", laddr_b, "USER", "default") == b":1\r\n"
        assert b.is_closed_by_peer()
        with server.client() as c:
            id_c = int(c.call("CLIENT", "ID")[1:-2])
            addr_c = clients(admin)[id_c]["addr"]
            assert admin.call("CLIENT", "KILL", addr_c) == b"+OK\r\n"
            assert c.is_closed_by_peer()
        # SKIPME yes (the default) spares the caller; SKIPME no includes it.
        assert admin.call("CLIENT", "KILL", "ID", str(ids["admin"])) == b":0\r\n"
        assert admin.call("CLIENT", "KILL", "ID", str(ids["admin"]), "SKIPME", "no") == b":1\r\n"
        assert admin.is_closed_by_peer()
