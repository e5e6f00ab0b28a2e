"""Blocking XREAD / XREADGROUP against redis-server 7.0.15 with several clients: every waiter's reply compared
byte for byte. Waiting is polled (INFO clients' blocked_clients on each server), never a fixed sleep."""

import time

import pytest

from resp import RespClient

DEADLINE = 10.0


def blocked(conn):
    conn.send("INFO", "clients")
    info = conn.read_reply().decode()
    for line in info.splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    return 0


class Waiters(object):
    """Pairs of extra connections (ours, real) that send a command and may block."""

    def __init__(self, pair, ours, real):
        self.pair = pair
        self.servers = (ours, real)
        self.admin = (ours.client(), real.client())
        self.conns = []
        self.count = 0

    def new(self, resp3=False):
        c = (self.servers[0].client(), self.servers[1].client())
        if resp3:
            for x in c:
                x.send("HELLO", "3")
                x.read_reply()
        self.conns.append(c)
        return c

    def send_blocking(self, c, *args):
        for x in c:
            x.send(*args)
        self.count += 1
        self.wait_blocked(self.count)

    def wait_blocked(self, n):
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if all(blocked(a) == n for a in self.admin):
                return
            time.sleep(0.005)
        raise AssertionError("expected %d blocked clients, have %r" % (n, [blocked(a) for a in self.admin]))

    def expect_same(self, c):
        ours, real = c[0].read_reply(), c[1].read_reply()
        assert ours == real, "ours %r\nreal %r" % (ours, real)
        self.count -= 1
        return ours

    def close(self):
        for c in self.conns + [self.admin]:
            for x in c:
                x.close()


@pytest.fixture
def waiters(pair, ours, real):
    w = Waiters(pair, ours, real)
    yield w
    w.close()


def test_xread_dollar_is_resolved_when_blocking(pair, waiters):
    pair.check("XADD", "s", "1-1", "f", "v")
    w = waiters.new()
    waiters.send_blocking(w, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    pair.check("XADD", "s", "2-1", "f", "w")
    waiters.expect_same(w)


def test_several_xread_clients_all_served_by_one_xadd(pair, waiters):
    pair.check("XADD", "s", "1-1", "f", "v")
    a, b, c = waiters.new(), waiters.new(resp3=True), waiters.new()
    waiters.send_blocking(a, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    waiters.send_blocking(b, "XREAD", "BLOCK", "0", "STREAMS", "s", "1-1")
    waiters.send_blocking(c, "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "other", "s", "$", "$")
    pair.check("XADD", "s", "2-1", "f", "w")
    for x in (a, b, c):
        waiters.expect_same(x)


def test_xread_on_missing_key_served_when_created(pair, waiters):
    w = waiters.new()
    waiters.send_blocking(w, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$")
    pair.check("XADD", "b", "3-1", "f", "v")
    waiters.expect_same(w)


def test_xread_waiter_keeps_waiting_for_ids_past_its_own(pair, waiters):
    w = waiters.new()
    waiters.send_blocking(w, "XREAD", "BLOCK", "0", "STREAMS", "s", "5-0")
    pair.check("XADD", "s", "3-1", "f", "v")
    waiters.wait_blocked(1)
    pair.check("XADD", "s", "6-1", "f", "v")
    waiters.expect_same(w)


def test_xread_deleted_key_keeps_waiting(pair, waiters):
    pair.check("XADD", "s", "1-1", "f", "v")
    w = waiters.new()
    waiters.send_blocking(w, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    pair.check("DEL", "s")
    waiters.wait_blocked(1)
    pair.check("XADD", "s", "1-5", "f", "again")
    waiters.expect_same(w)


def test_xread_block_timeout_replies_nil(pair, waiters):
    pair.check("XREAD", "BLOCK", "50", "STREAMS", "s", "$")
    w = waiters.new(resp3=True)
    for x in w:
        x.send("XREAD", "BLOCK", "30", "STREAMS", "s", "$")
    assert w[0].read_reply() == w[1].read_reply() == b"_\r\n"


def test_xreadgroup_waiters_share_new_entries_in_order(pair, waiters):
    pair.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    a, b = waiters.new(), waiters.new()
    waiters.send_blocking(a, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
    waiters.send_blocking(b, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">")
    pair.check("XADD", "s", "1-1", "f", "v")
    waiters.expect_same(a)
    waiters.wait_blocked(1)
    pair.check("XADD", "s", "2-1", "f", "w")
    waiters.expect_same(b)
    pair.check("XPENDING", "s", "g")
    pair.check("XINFO", "GROUPS", "s")


def test_xreadgroup_noack_blocked_then_served(pair, waiters):
    pair.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w = waiters.new(resp3=True)
    waiters.send_blocking(w, "XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
    pair.check("XADD", "s", "1-1", "f", "v")
    waiters.expect_same(w)
    pair.check("XPENDING", "s", "g")


def test_xreadgroup_unblocked_when_key_deleted(pair, waiters):
    pair.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w = waiters.new()
    waiters.send_blocking(w, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    pair.check("DEL", "s")
    waiters.expect_same(w)


def test_xreadgroup_unblocked_when_key_overwritten(pair, waiters):
    pair.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w = waiters.new()
    waiters.send_blocking(w, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    pair.check("SET", "s", "string now")
    waiters.expect_same(w)


def test_xreadgroup_unblocked_when_group_destroyed(pair, waiters):
    pair.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w = waiters.new()
    waiters.send_blocking(w, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    pair.check("XGROUP", "DESTROY", "s", "g")
    waiters.expect_same(w)


def test_xreadgroup_unblocked_by_flushall(pair, waiters):
    pair.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    w = waiters.new()
    waiters.send_blocking(w, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    pair.check("FLUSHALL")
    waiters.expect_same(w)


def test_mixed_xread_and_xreadgroup_waiters_on_one_key(pair, waiters):
    pair.check("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    a, b, c = waiters.new(), waiters.new(), waiters.new(resp3=True)
    waiters.send_blocking(a, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    waiters.send_blocking(b, "XREADGROUP", "GROUP", "g", "x", "BLOCK", "0", "STREAMS", "s", ">")
    waiters.send_blocking(c, "XREADGROUP", "GROUP", "g", "y", "BLOCK", "0", "STREAMS", "s", ">")
    pair.check("XADD", "s", "1-1", "f", "v")
    waiters.expect_same(a)
    waiters.expect_same(b)
    waiters.wait_blocked(1)
    pair.check("XADD", "s", "2-1", "f", "w")
    waiters.expect_same(c)


def test_xadd_inside_multi_serves_after_exec(pair, waiters):
    w = waiters.new()
    waiters.send_blocking(w, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    pair.check_script([("MULTI",), ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "2-1", "b", "2"), ("EXEC",)])
    waiters.expect_same(w)


def test_xread_served_count_default_and_limited(pair, waiters):
    pair.check("XADD", "s", "1-1", "f", "v")
    a, b = waiters.new(), waiters.new()
    waiters.send_blocking(a, "XREAD", "BLOCK", "0", "STREAMS", "s", "1-1")
    waiters.send_blocking(b, "XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "s", "1-1")
    pair.check_script([("MULTI",)] + [("XADD", "s", "%d-1" % i, "f", i) for i in range(2, 7)] + [("EXEC",)])
    waiters.expect_same(a)
    waiters.expect_same(b)
