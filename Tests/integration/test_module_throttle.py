"""CL.THROTTLE, the compiled-in example module (Plugins/Throttle): redis-cell's GCRA semantics and five-integer
reply, and the module command passing through ACL, MULTI/EXEC, scripts, keyspace notifications and propagation
exactly like a built-in. There is no redis-cell in the reference server, so the replies are checked against a
model of the algorithm (redis-cell's), and the streamed effect is replayed on a real redis-server."""

import random
import time

import pytest

from resp import RespError, decode
from test_effects_stream_diff import StreamTap, wait_for

SECOND = 1_000_000_000


def throttle(c, key, burst, count, period, quantity=None):
    args = ["CL.THROTTLE", key, burst, count, period] + ([] if quantity is None else [quantity])
    return decode(c.call(*args))


class Model(object):
    """redis-cell's limiter with the clock frozen at 0 (a test scenario runs well within a second, and periods
    are whole seconds per request, so the rounded-up second values do not move)."""

    def __init__(self):
        self.tat = None

    def hit(self, burst, count, period, quantity):
        emission = period * SECOND // count
        tolerance = emission * (burst + 1)
        increment = emission * quantity
        now = 0
        tat = now if self.tat is None else self.tat
        new_tat = max(now, tat) + increment
        diff = now - (new_tat - tolerance)
        retry = -SECOND
        if diff < 0:
            limited = 1
            if increment <= tolerance:
                retry = -diff
            ttl = tat - now
        else:
            limited = 0
            ttl = new_tat - now
            if ttl // 1_000_000 > 0:
                self.tat = new_tat
            elif self.tat is not None:
                self.tat = None
        nxt = tolerance - ttl
        remaining = int((nxt // 1000) / (emission // 1000)) if nxt > -emission else 0

        def secs(ns):
            s = int(ns / SECOND)
            if int((ns - s * SECOND) / 1_000_000) > 0:
                s += 1
            return s
        return [limited, burst + 1, remaining, secs(retry), secs(ttl)]


def test_throttle_allows_a_burst_then_limits(ours):
    with ours.client() as c:
        c.call("DEL", "t:burst")
        replies = [throttle(c, "t:burst", 4, 1, 1) for _ in range(7)]
        assert replies[:5] == [[0, 5, 4 - i, -1, i + 1] for i in range(5)]
        assert replies[5] == [1, 5, 0, 1, 5]
        assert replies[6] == [1, 5, 0, 1, 5]


def test_throttle_stores_the_tat_with_an_expire(ours):
    with ours.client() as c:
        c.call("DEL", "t:tat")
        assert throttle(c, "t:tat", 9, 10, 60)[0] == 0
        tat = int(decode(c.call("GET", "t:tat")))
        now_ns = int(decode(c.call("TIME"))[0]) * SECOND
        assert abs(tat - (now_ns + 6 * SECOND)) < 3 * SECOND
        assert 0 < decode(c.call("PTTL", "t:tat")) <= 6000


def test_throttle_quantity_larger_than_the_limit_is_limited_without_retry(ours):
    with ours.client() as c:
        c.call("DEL", "t:big")
        assert throttle(c, "t:big", 4, 1, 1, 6) == [1, 5, 5, -1, 0]
        assert decode(c.call("EXISTS", "t:big")) == 0


def test_throttle_quantity_zero_peeks(ours):
    with ours.client() as c:
        c.call("DEL", "t:peek")
        throttle(c, "t:peek", 4, 1, 60, 2)
        before = decode(c.call("GET", "t:peek"))
        assert throttle(c, "t:peek", 4, 1, 60, 0) == [0, 5, 3, -1, 120]
        assert decode(c.call("GET", "t:peek")) == before


def test_throttle_matches_redis_cell_on_random_scenarios(ours):
    rnd = random.Random(1010)
    with ours.client() as c:
        for scenario in range(60):
            key = "t:rnd:%d" % scenario
            c.call("DEL", key)
            burst, count = rnd.randint(0, 6), rnd.randint(1, 5)
            period = count * rnd.randint(30, 600)
            model = Model()
            for _ in range(rnd.randint(1, 12)):
                q = rnd.choice([0, 1, 1, 1, 2, 3, 9])
                expected = model.hit(burst, count, period, q)
                assert throttle(c, key, burst, count, period, q) == expected, (scenario, burst, count, period, q)


def test_throttle_argument_errors(ours):
    with ours.client() as c:
        assert c.call("CL.THROTTLE", "k", "1", "1") .startswith(b"-ERR wrong number of arguments for 'cl.throttle'")
        assert c.call("CL.THROTTLE", "k", "1", "1", "1", "1", "1").startswith(b"-ERR Usage: cl.throttle")
        assert c.call("CL.THROTTLE", "k", "x", "1", "1") == b"-ERR Couldn't parse as integer: x\r\n"
        assert c.call("CL.THROTTLE", "k", "1", "0", "1").startswith(b"-ERR count per period")
        assert c.call("CL.THROTTLE", "k", "1", "1", "0").startswith(b"-ERR period")
        assert c.call("CL.THROTTLE", "k", "-1", "1", "1").startswith(b"-ERR max_burst")
        assert c.call("CL.THROTTLE", "k", "1", "1", "1", "-1").startswith(b"-ERR quantity")
        assert c.call("CL.THROTTLE", "k", "9223372036854775807", "1", "9223372036854775807").startswith(b"-ERR rate limit parameters")


def test_throttle_on_another_type_is_wrongtype(ours):
    with ours.client() as c:
        c.call("DEL", "t:list")
        c.call("RPUSH", "t:list", "a")
        assert c.call("CL.THROTTLE", "t:list", 1, 1, 1).startswith(b"-WRONGTYPE")
        c.call("SET", "t:str", "abc")
        assert c.call("CL.THROTTLE", "t:str", 1, 1, 1).startswith(b"-ERR value is not an integer")


def test_throttle_in_multi_exec(ours):
    with ours.client() as c:
        c.call("DEL", "t:multi")
        assert c.call("MULTI") == b"+OK\r\n"
        assert c.call("CL.THROTTLE", "t:multi", 1, 1, 60) == b"+QUEUED\r\n"
        assert c.call("CL.THROTTLE", "t:multi", 1, 1, 60) == b"+QUEUED\r\n"
        assert c.call("CL.THROTTLE", "t:multi", 1, 1, 60) == b"+QUEUED\r\n"
        assert decode(c.call("EXEC")) == [[0, 2, 1, -1, 60], [0, 2, 0, -1, 120], [1, 2, 0, 60, 120]]


def test_throttle_is_checked_by_acl(ours):
    with ours.client() as c:
        try:
            assert c.call("ACL", "SETUSER", "t-nostr", "on", "nopass", "~*", "+@all", "-@string") == b"+OK\r\n"
            assert c.call("ACL", "SETUSER", "t-only", "on", "nopass", "~t:*", "+cl.throttle") == b"+OK\r\n"
            assert b"cl.throttle" in c.call("ACL", "CAT", "string")
            with ours.client() as u:
                assert u.call("AUTH", "t-nostr", "x") == b"+OK\r\n"
                assert u.call("CL.THROTTLE", "t:acl", 1, 1, 1).startswith(b"-NOPERM this user has no permissions to run the 'cl.throttle' command")
            with ours.client() as u:
                assert u.call("AUTH", "t-only", "x") == b"+OK\r\n"
                assert decode(u.call("CL.THROTTLE", "t:acl", 1, 1, 1))[0] == 0
                assert u.call("CL.THROTTLE", "other", 1, 1, 1).startswith(b"-NOPERM this user has no permissions to access one of the keys")
                assert u.call("GET", "t:acl").startswith(b"-NOPERM")
        finally:
            c.call("ACL", "DELUSER", "t-nostr", "t-only")


def test_throttle_from_a_script(ours):
    with ours.client() as c:
        c.call("DEL", "t:lua")
        script = "return redis.call('cl.throttle', KEYS[1], 3, 1, 10)"
        assert decode(c.call("EVAL", script, 1, "t:lua")) == [0, 4, 3, -1, 10]
        ro = "return redis.call('cl.throttle', KEYS[1], 3, 1, 10)"
        assert c.call("EVAL_RO", ro, 1, "t:lua").startswith(b"-ERR Write commands are not allowed from read-only scripts")


def test_throttle_fires_keyspace_events(server_factory):
    srv = server_factory("ours", "--notify-keyspace-events", "KEA")
    with srv.client() as sub, srv.client() as c:
        sub.send("PSUBSCRIBE", "__keyevent@0__:*")
        assert decode(sub.read_reply())[0] == b"psubscribe"
        throttle(c, "t:ev", 1, 1, 10)
        events = [decode(sub.read_reply()) for _ in range(2)]
        assert [(e[2], e[3]) for e in events] == [(b"__keyevent@0__:set", b"t:ev"), (b"__keyevent@0__:expire", b"t:ev")]


def test_throttle_propagates_its_state_not_the_command(server_factory, real):
    srv = server_factory("ours", "--repl-ping-replica-period", "3600", "--repl-diskless-sync", "no")
    tap = StreamTap(srv)
    try:
        tap.run("CL.THROTTLE", "t:rep", 0, 1, 30)
        tap.run("CL.THROTTLE", "t:rep", 0, 1, 30)   # limited: changes nothing, streams nothing
        effects = tap.effects()
        assert [e[0].upper() for e in effects] == [b"SELECT", b"SET"], effects
        _, key, value, px, at = effects[1]
        assert (key, px) == (b"t:rep", b"PXAT")
        assert value == tap.run("GET", "t:rep")
        # A real replica applies it as is: the same value, expiring at the same absolute time.
        with real.client() as r:
            assert r.call(*effects[1]) == b"+OK\r\n"
            assert decode(r.call("GET", "t:rep")) == value
            assert abs(decode(r.call("PEXPIRETIME", "t:rep")) - int(at)) == 0
            r.call("DEL", "t:rep")
    finally:
        tap.close()


def test_throttle_in_multi_propagates_wrapped(server_factory):
    srv = server_factory("ours", "--repl-ping-replica-period", "3600", "--repl-diskless-sync", "no")
    tap = StreamTap(srv)
    try:
        tap.run("MULTI")
        tap.run("CL.THROTTLE", "t:m", 5, 1, 30)
        tap.run("INCR", "t:n")
        tap.run("EXEC")
        names = [e[0].upper() for e in tap.effects()]
        assert names == [b"SELECT", b"MULTI", b"SET", b"INCR", b"EXEC"], names
    finally:
        tap.close()
