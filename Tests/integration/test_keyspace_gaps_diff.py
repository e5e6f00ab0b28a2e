"""Differential tests for keyspace behaviours Redis 7.0 has and we lacked: WATCH of an already-expired key,
invalidations for keys removed by active expiry, push messages under CLIENT REPLY OFF, blocked clients woken by
keys that appear through RENAME/MOVE/COPY/SWAPDB, and the `new` keyspace event.

Waiting for a TTL to pass is a wait on the wall clock (both servers use it), with polling deadlines."""

import socket
import time

import pytest

from difftools import NoReply, Pair, safe_read, show


def pair_of(ours, real, timeout=5.0):
    return Pair(ours.client(timeout=timeout), real.client(timeout=timeout))


def wait_past(deadline_s):
    while time.time() < deadline_s:
        time.sleep(0.01)


def same_push(p):
    o, r = safe_read(p.ours), safe_read(p.real)
    assert not isinstance(r, NoReply), "reference sent nothing: %r" % r
    assert o == r, "pushes differ:\n  ours: %s\n  real: %s" % (show(o), show(r))
    return r


def nothing_pending(p, wait=0.2):
    for name, conn in (("ours", p.ours), ("real", p.real)):
        conn.sock.settimeout(wait)
        try:
            data = conn.sock.recv(4096, socket.MSG_PEEK)
        except socket.timeout:
            data = None
        finally:
            conn.sock.settimeout(5.0)
        assert not data, "%s sent unexpected bytes: %r" % (name, data)


@pytest.fixture
def duo(ours, real):
    made = []

    def make():
        p = pair_of(ours, real)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()
    for srv in (ours, real):
        with srv.client() as c:
            c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")


def expired_key(p, key, db=None):
    """Creates `key` with a 1 ms TTL (active expiry off) and waits until it is logically expired."""
    if db is not None:
        p.check("SELECT", str(db))
    p.check("SET", key, "v", "PX", "1")
    wait_past(time.time() + 0.02)
    if db is not None:
        p.check("SELECT", "0")


def test_watch_of_expired_key_survives_its_lazy_deletion(duo):
    a, b = duo(), duo()
    a.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    expired_key(a, "k")
    a.check("WATCH", "k")
    b.check("GET", "k")  # lazy deletion of the already-expired key
    a.check("MULTI")
    a.check("SET", "x", "1")
    a.check("EXEC")


def test_watch_of_expired_key_survives_flushdb(duo):
    a, b = duo(), duo()
    a.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    expired_key(a, "k")
    a.check("WATCH", "k")
    b.check("FLUSHDB")
    a.check("MULTI")
    a.check("SET", "x", "1")
    a.check("EXEC")


def test_watch_of_expired_key_survives_swapdb_bringing_another_expired_key(duo):
    a, b = duo(), duo()
    a.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    expired_key(a, "k")
    expired_key(a, "k", db=1)
    a.check("WATCH", "k")
    b.check("SWAPDB", "0", "1")
    a.check("MULTI")
    a.check("SET", "x", "1")
    a.check("EXEC")


def test_watch_of_expired_key_fails_when_swapdb_brings_a_live_key(duo):
    a, b = duo(), duo()
    a.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    expired_key(a, "k")
    b.check("SELECT", "1")
    b.check("SET", "k", "live")
    a.check("WATCH", "k")
    b.check("SWAPDB", "0", "1")
    a.check("MULTI")
    a.check("SET", "x", "1")
    a.check("EXEC")


def test_watch_of_missing_key_replaced_by_expired_key_via_swapdb(duo):
    a, b = duo(), duo()
    a.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    expired_key(a, "k", db=1)
    a.check("WATCH", "k")
    b.check("SWAPDB", "0", "1")
    a.check("MULTI")
    a.check("SET", "x", "1")
    a.check("EXEC")


def test_watched_key_that_expires_after_watch_fails_exec(duo):
    a = duo()
    a.check("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    a.check("SET", "k", "v", "PX", "50")
    a.check("WATCH", "k")
    wait_past(time.time() + 0.1)
    a.check("MULTI")
    a.check("SET", "x", "1")
    a.check("EXEC")


def test_tracking_client_hears_about_keys_removed_by_active_expiry(duo):
    a, b = duo(), duo()
    a.both("HELLO", "3")
    a.check("CLIENT", "TRACKING", "ON")
    b.check("SET", "k", "v", "PX", "100")
    a.check("GET", "k")
    # No further command from either client: the expiry cycle's deletion must push the invalidation.
    same_push(a)


def test_bcast_tracking_client_hears_about_active_expiry_without_reading(duo):
    a, b = duo(), duo()
    a.both("HELLO", "3")
    a.check("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "exp:")
    b.check("SET", "exp:k", "v", "PX", "100")
    same_push(a)  # the SET itself
    same_push(a)  # its expiry, from the cron
    nothing_pending(a)


def test_resp3_push_messages_reach_a_subscriber_with_replies_off(duo):
    a, b = duo(), duo()
    a.both("HELLO", "3")
    a.check("SUBSCRIBE", "ch")
    for conn in (a.ours, a.real):
        conn.send_raw(b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n")
    b.check("PUBLISH", "ch", "from-b")
    same_push(a)
    for conn in (a.ours, a.real):
        conn.send_raw(b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$4\r\nself\r\n")
    same_push(a)  # its own message, without PUBLISH's reply
    for conn in (a.ours, a.real):
        conn.send_raw(b"*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nch2\r\n")
    same_push(a)  # the subscribe confirmation is a push too
    for conn in (a.ours, a.real):
        conn.send_raw(b"*1\r\n$4\r\nPING\r\n")
    nothing_pending(a)


def test_tracking_invalidation_reaches_a_client_with_replies_off(duo):
    a, b = duo(), duo()
    a.both("HELLO", "3")
    a.check("CLIENT", "TRACKING", "ON")
    a.check("GET", "k")
    for conn in (a.ours, a.real):
        conn.send_raw(b"*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n")
    b.check("SET", "k", "1")
    same_push(a)


def blocked(p, *args):
    for conn in (p.ours, p.real):
        conn.send_raw(encode(*args))


def encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def wait_blocked(p, n=1):
    deadline = time.time() + 10
    for conn in (p.ours, p.real):
        while True:
            info = conn.call("INFO", "clients")
            if b"blocked_clients:%d" % n in info:
                break
            assert time.time() < deadline, "client never blocked"
            time.sleep(0.01)


@pytest.mark.parametrize("how", ["rename", "move", "copy", "swapdb", "lmove", "restore"])
def test_key_appearing_wakes_client_blocked_on_it(duo, how):
    a, b = duo(), duo()
    blocked(a, "BLPOP", "dst", "0")
    wait_blocked(b)
    if how == "rename":
        b.check("RPUSH", "src", "x")
        b.check("RENAME", "src", "dst")
    elif how == "move":
        b.check("SELECT", "1")
        b.check("RPUSH", "dst", "x")
        b.check("MOVE", "dst", "0")
    elif how == "copy":
        b.check("RPUSH", "src", "x")
        b.check("COPY", "src", "dst")
    elif how == "swapdb":
        b.check("SELECT", "1")
        b.check("RPUSH", "dst", "x")
        b.check("SWAPDB", "0", "1")
    elif how == "lmove":
        b.check("RPUSH", "src", "x")
        b.check("LMOVE", "src", "dst", "LEFT", "LEFT")
    elif how == "restore":
        b.check("RPUSH", "src", "x")
        dump = b.check_decoded("DUMP", "src")
        b.check("RESTORE", "dst", "0", dump)
    same_push(a)  # BLPOP's reply
    b.check("SELECT", "0")
    b.check("EXISTS", "dst")


def test_new_keyspace_event_where_redis_emits_it(duo):
    sub, w = duo(), duo()
    w.check("CONFIG", "SET", "notify-keyspace-events", "En")
    try:
        sub.check("SUBSCRIBE", "__keyevent@0__:new")
        w.check("SET", "a", "1")
        w.check("SET", "a", "2")  # not new
        w.check("RPUSH", "l", "x")
        w.check("SADD", "s", "m")
        w.check("RENAME", "a", "b")
        w.check("COPY", "b", "c")
        w.check("INCR", "n")
        w.check("HSET", "h", "f", "v")
        w.check("SMOVE", "s", "s2", "m")
        w.check("PING")
        for _ in range(8):
            same_push(sub)
        nothing_pending(sub)
    finally:
        w.check("CONFIG", "SET", "notify-keyspace-events", "")
