"""Differential tests for client-side caching (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO): the same
connections and commands on ours and on the reference redis-server, invalidation bytes compared exactly."""

import socket
import time

import pytest

from difftools import NoReply, Pair, safe_read, show

SETTLE = 0.15


class Duo:
    """One raw connection to each server, driven in lockstep."""

    def __init__(self, ours, real):
        self.pair = Pair(ours.client(timeout=3.0), real.client(timeout=3.0))

    def check(self, *args):
        return self.pair.check(*args)

    def id_pair(self):
        o, r = self.pair.both("CLIENT", "ID")
        return int(o[1:-2]), int(r[1:-2])

    def expect_same_push(self):
        ours, real = safe_read(self.pair.ours), safe_read(self.pair.real)
        assert not isinstance(real, NoReply), "reference sent nothing: %r" % real
        assert ours == real, "pushes differ:\n  ours: %s\n  real: %s" % (show(ours), show(real))
        return real

    def expect_nothing(self, wait=SETTLE):
        for name, conn in (("ours", self.pair.ours), ("real", self.pair.real)):
            conn.sock.settimeout(wait)
            try:
                data = conn.sock.recv(4096, socket.MSG_PEEK)
            except socket.timeout:
                data = None
            finally:
                conn.sock.settimeout(3.0)
            assert not data, "%s sent unexpected bytes: %r" % (name, data)

    def close(self):
        self.pair.close()


@pytest.fixture
def duo(ours, real):
    made = []

    def make():
        d = Duo(ours, real)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def resp3(d):
    o, r = d.pair.both("HELLO", "3")
    assert o[:1] == r[:1] == b"%"


@pytest.mark.parametrize("args", [
    ("ON", "PREFIX", "a"),
    ("ON", "OPTIN", "OPTOUT"),
    ("ON", "REDIRECT", "999999"),
    ("ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"),
    ("ON", "BCAST", "PREFIX", "ab", "PREFIX", "a"),
    ("FOO",),
    ("ON", "NOLOOP", "BOGUS"),
    ("ON", "REDIRECT", "abc"),
])
def test_tracking_option_errors(pair, args):
    pair.check("CLIENT", "TRACKING", *args)


def test_tracking_mode_switch_errors(pair):
    pair.check("CLIENT", "TRACKING", "ON")
    pair.check("CLIENT", "TRACKING", "ON", "BCAST")
    pair.check("CLIENT", "TRACKING", "OFF")
    pair.check("CLIENT", "TRACKING", "ON", "OPTIN")
    pair.check("CLIENT", "TRACKING", "ON", "OPTOUT")


def test_caching_needs_optin_or_optout(pair):
    pair.check("CLIENT", "CACHING", "YES")
    pair.check("CLIENT", "TRACKING", "ON")
    pair.check("CLIENT", "CACHING", "YES")
    pair.check("CLIENT", "TRACKING", "OFF")
    pair.check("CLIENT", "TRACKING", "ON", "OPTIN")
    pair.check("CLIENT", "CACHING", "NO")
    pair.check("CLIENT", "CACHING", "YES")
    pair.check("CLIENT", "CACHING", "MAYBE")


def test_trackinginfo_and_getredir(pair):
    pair.check("CLIENT", "TRACKINGINFO")
    pair.check("CLIENT", "GETREDIR")
    pair.check("CLIENT", "TRACKING", "ON", "OPTIN", "NOLOOP")
    pair.check("CLIENT", "TRACKINGINFO")
    pair.check("CLIENT", "CACHING", "YES")
    pair.check("CLIENT", "TRACKINGINFO")
    pair.check("CLIENT", "GETREDIR")
    pair.check("CLIENT", "TRACKING", "OFF")
    pair.check("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p:", "PREFIX", "q:")
    pair.check("CLIENT", "TRACKINGINFO")


def test_trackinginfo_resp3(pair):
    pair.both("HELLO", "3")
    pair.check("CLIENT", "TRACKING", "ON", "BCAST")
    pair.check("CLIENT", "TRACKINGINFO")


def test_read_key_is_invalidated_when_another_client_writes(duo):
    a, b = duo(), duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON")
    a.check("GET", "k")
    b.check("SET", "k", "1")
    a.expect_same_push()
    # One-shot: a second write without a new read sends nothing.
    b.check("SET", "k", "2")
    a.expect_nothing()
    a.check("PING")


def test_own_write_is_invalidated_after_the_reply(duo):
    a = duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON")
    a.check("GET", "k")
    a.check("SET", "k", "1")
    a.expect_same_push()


def test_noloop_skips_own_writes(duo):
    a, b = duo(), duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON", "NOLOOP")
    a.check("GET", "k")
    a.check("SET", "k", "1")
    a.expect_nothing()
    a.check("GET", "k")
    b.check("SET", "k", "2")
    a.expect_same_push()


def test_flushall_sends_a_null_invalidation(duo):
    a, b = duo(), duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON")
    a.check("GET", "k")
    b.check("FLUSHALL")
    a.expect_same_push()


def test_multi_key_read_tracks_every_key(duo):
    a, b = duo(), duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON")
    a.check("MGET", "x", "y", "z")
    b.check("MSET", "y", "1", "z", "2")
    a.expect_same_push()
    a.expect_same_push()


def test_optin_tracks_only_after_caching_yes(duo):
    a, b = duo(), duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON", "OPTIN")
    a.check("GET", "untracked")
    a.check("CLIENT", "CACHING", "YES")
    a.check("GET", "tracked")
    b.check("SET", "untracked", "1")
    b.check("SET", "tracked", "1")
    a.expect_same_push()
    a.expect_nothing()


def test_optout_skips_after_caching_no(duo):
    a, b = duo(), duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON", "OPTOUT")
    a.check("CLIENT", "CACHING", "NO")
    a.check("GET", "skipped")
    a.check("GET", "tracked")
    b.check("SET", "skipped", "1")
    b.check("SET", "tracked", "1")
    a.expect_same_push()
    a.expect_nothing()


def test_bcast_prefix_batches_keys_of_one_command(duo):
    a, b = duo(), duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "k")
    b.check("MSET", "k1", "1", "k2", "2", "j", "3")
    a.expect_same_push()
    b.check("SET", "j", "x")
    a.expect_nothing()
    a.check("SET", "k3", "x")
    a.expect_same_push()


def test_redirect_to_a_resp2_subscriber(duo):
    target, tracker, writer = duo(), duo(), duo()
    ids = target.id_pair()
    target.check("SUBSCRIBE", "__redis__:invalidate")
    o = tracker.pair.ours.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(ids[0]))
    r = tracker.pair.real.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(ids[1]))
    assert o == r == b"+OK\r\n", (o, r)
    tracker.check("GET", "z")
    writer.check("SET", "z", "1")
    target.expect_same_push()
    tracker.check("GET", "z")
    writer.check("FLUSHDB")
    target.expect_same_push()


def test_resp2_tracking_without_redirect_sends_nothing(duo):
    a, b = duo(), duo()
    a.check("CLIENT", "TRACKING", "ON")
    a.check("GET", "k")
    b.check("SET", "k", "1")
    a.expect_nothing()
    a.check("PING")


def test_reset_turns_tracking_off(duo):
    a, b = duo(), duo()
    resp3(a)
    a.check("CLIENT", "TRACKING", "ON")
    a.check("GET", "k")
    o, r = a.pair.both("RESET")
    assert o == r == b"+RESET\r\n"
    b.check("SET", "k", "1")
    a.expect_nothing()
    a.check("CLIENT", "TRACKINGINFO")
