"""Differential tests for Pub/Sub (Redis 7.0): SUBSCRIBE and friends, PUBLISH,
SPUBLISH, the messages subscribers receive, the RESP2 subscriber context,
RESP3 push messages, PUBSUB introspection and RESET.

Each role (subscriber, publisher, ...) is a Pair: one connection to ours and
one to real; the same commands go to both and the raw bytes each side
receives are compared.  Channel names are unique per test where the global
PUBSUB views are involved, and tests that look at global counts first wait
until subscriptions of earlier tests' closed connections are gone.
"""

import time

import pytest

from difftools import NoReply, Pair, safe_read
from resp import decode, encode_command, format_command

SUB_TIMEOUT = 3.0  # seconds to wait for a message that should arrive


# ---------------------------------------------------------------- helpers ----

@pytest.fixture
def conns(ours, real):
    """Factory of extra Pairs (fresh connections, DB 0); all closed at teardown."""
    made = []

    def make():
        p = Pair(ours.client(timeout=SUB_TIMEOUT), real.client(timeout=SUB_TIMEOUT))
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def send_both(pair, *args):
    data = encode_command(*args)
    pair.history.append(format_command(args))
    for conn in (pair.ours, pair.real):
        conn.send_raw(data)


def read_both(pair, n=1):
    """Read n replies from each side (no command sent)."""
    ours = [safe_read(pair.ours) for _ in range(n)]
    real = [safe_read(pair.real) for _ in range(n)]
    return ours, real


def _joined(replies):
    if any(isinstance(r, NoReply) for r in replies):
        return replies
    return b"".join(replies)


def check_n(pair, n, *args):
    """Send a command whose answer is n replies (SUBSCRIBE a b c ...); compare all bytes."""
    send_both(pair, *args)
    ours, real = read_both(pair, n)
    if any(isinstance(r, NoReply) for r in real):
        pair.fail("Reference server gave fewer than %d replies" % n, args, _joined(ours), _joined(real))
    if ours != real:
        pair.fail("Differential mismatch (%d replies)" % n, args, _joined(ours), _joined(real))
    return real


def expect_messages(pair, n=1, what="pushed message"):
    """Read n unsolicited replies (messages) from each side and compare bytes."""
    ours, real = read_both(pair, n)
    if any(isinstance(r, NoReply) for r in real):
        pair.fail("Reference server did not deliver %d %s(s)" % (n, what), ("<read>",),
                  _joined(ours), _joined(real))
    if ours != real:
        pair.fail("Differential mismatch (%s)" % what, ("<read>",), _joined(ours), _joined(real))
    return real


def sync_subscriber(pair):
    """PING the (RESP2) subscriber: the pong must be the very next reply on
    both sides, which proves no unexpected message arrived before it."""
    return pair.check("PING", "sync")


def strip_count(raw):
    """Raw (un)subscribe confirmation without its trailing count element."""
    idx = raw.rstrip(b"\r\n").rfind(b"\r\n")
    return raw[:idx + 2]


def check_unordered_confirmations(pair, n, *args):
    """UNSUBSCRIBE-all style: n confirmations whose channel order is up to the
    server's hash table.  The multiset of confirmations (without their counts)
    must match and the sequence of counts must match (it only depends on n)."""
    send_both(pair, *args)
    ours, real = read_both(pair, n)
    if any(isinstance(r, NoReply) for r in real):
        pair.fail("Reference server gave fewer than %d replies" % n, args, _joined(ours), _joined(real))
    if any(isinstance(r, NoReply) for r in ours):
        pair.fail("Differential mismatch (%d unordered replies)" % n, args, _joined(ours), _joined(real))
    o_counts = [decode(r)[-1] for r in ours]
    r_counts = [decode(r)[-1] for r in real]
    if sorted(map(strip_count, ours)) != sorted(map(strip_count, real)) or o_counts != r_counts:
        pair.fail("Differential mismatch (%d unordered replies)" % n, args, _joined(ours), _joined(real))
    return real


def hello3(pair):
    o, r = pair.both("HELLO", "3")
    assert r[:1] == b"%", r
    assert o[:1] == b"%", "ours did not accept HELLO 3: %r" % (o,)


def wait_pubsub_idle(pair, deadline_s=3.0):
    """Wait until no channel/pattern/shard channel subscriptions are left on
    either server (connections closed by earlier tests are reaped async)."""
    deadline = time.monotonic() + deadline_s
    while True:
        states = []
        for conn in (pair.ours, pair.real):
            states.append((conn.call("PUBSUB", "CHANNELS"), conn.call("PUBSUB", "NUMPAT"),
                           conn.call("PUBSUB", "SHARDCHANNELS")))
        idle = all(s == (b"*0\r\n", b":0\r\n", b"*0\r\n") for s in states)
        if idle or time.monotonic() > deadline:
            return
        time.sleep(0.05)


# ---------------------------------------------- confirmations / counts ----

def test_subscribe_confirmations_count_up(conns):
    sub = conns()
    check_n(sub, 3, "SUBSCRIBE", "a", "b", "c")


def test_subscribe_same_channel_twice_does_not_count_twice(conns):
    sub = conns()
    check_n(sub, 3, "SUBSCRIBE", "a", "a", "b")
    check_n(sub, 1, "SUBSCRIBE", "b")


def test_psubscribe_confirmations_count_channels_and_patterns(conns):
    sub = conns()
    check_n(sub, 2, "SUBSCRIBE", "a", "b")
    check_n(sub, 3, "PSUBSCRIBE", "p*", "q?", "p*")


def test_ssubscribe_counts_only_shard_channels(conns):
    sub = conns()
    check_n(sub, 1, "SUBSCRIBE", "a")
    check_n(sub, 1, "PSUBSCRIBE", "p*")
    check_n(sub, 1, "SSUBSCRIBE", "s1")
    check_n(sub, 1, "SSUBSCRIBE", "s1")


def test_ssubscribe_multiple_channels(conns):
    # Standalone Redis does not check that the channels share a hash slot.
    sub = conns()
    check_n(sub, 2, "SSUBSCRIBE", "{t}one", "{t}two")
    check_n(sub, 2, "SSUBSCRIBE", "a", "b")


def test_unsubscribe_specific_channels(conns):
    sub = conns()
    check_n(sub, 3, "SUBSCRIBE", "a", "b", "c")
    check_n(sub, 2, "UNSUBSCRIBE", "b", "nosuch")
    check_n(sub, 1, "UNSUBSCRIBE", "b")


def test_punsubscribe_specific_patterns(conns):
    sub = conns()
    check_n(sub, 1, "SUBSCRIBE", "a")
    check_n(sub, 2, "PSUBSCRIBE", "p*", "q*")
    check_n(sub, 2, "PUNSUBSCRIBE", "q*", "zz*")


def test_sunsubscribe_specific_channels(conns):
    sub = conns()
    check_n(sub, 1, "SSUBSCRIBE", "{x}a")
    check_n(sub, 1, "SSUBSCRIBE", "{x}b")
    check_n(sub, 2, "SUNSUBSCRIBE", "{x}a", "{x}nosuch")


def test_unsubscribe_all_when_subscribed_to_several(conns):
    sub = conns()
    check_n(sub, 4, "SUBSCRIBE", "a", "b", "c", "d")
    check_n(sub, 1, "PSUBSCRIBE", "p*")
    check_unordered_confirmations(sub, 4, "UNSUBSCRIBE")
    check_n(sub, 1, "PUNSUBSCRIBE", "p*")


def test_punsubscribe_all_when_subscribed_to_several(conns):
    sub = conns()
    check_n(sub, 3, "PSUBSCRIBE", "a*", "b*", "c?")
    check_unordered_confirmations(sub, 3, "PUNSUBSCRIBE")


def test_sunsubscribe_all_when_subscribed_to_several(conns):
    sub = conns()
    check_n(sub, 1, "SSUBSCRIBE", "s1")
    check_n(sub, 1, "SSUBSCRIBE", "s2")
    check_n(sub, 1, "SSUBSCRIBE", "s3")
    check_unordered_confirmations(sub, 3, "SUNSUBSCRIBE")


def test_unsubscribe_all_when_subscribed_to_none(pair):
    pair.check("UNSUBSCRIBE")


def test_punsubscribe_all_when_subscribed_to_none(pair):
    pair.check("PUNSUBSCRIBE")


def test_sunsubscribe_all_when_subscribed_to_none(pair):
    pair.check("SUNSUBSCRIBE")


def test_unsubscribe_with_args_outside_subscriber_mode(pair):
    check_n(pair, 2, "UNSUBSCRIBE", "a", "b")
    check_n(pair, 1, "PUNSUBSCRIBE", "a*")
    check_n(pair, 1, "SUNSUBSCRIBE", "a")
    pair.check("GET", "k")  # still a normal client


def test_unsubscribe_all_when_subscribed_only_to_patterns(conns):
    sub = conns()
    check_n(sub, 1, "PSUBSCRIBE", "p*")
    sub.check("UNSUBSCRIBE")
    sub.check("PUNSUBSCRIBE")


def test_subscribe_family_wrong_arity(pair):
    pair.check_script([("SUBSCRIBE",), ("PSUBSCRIBE",), ("SSUBSCRIBE",), ("PUBLISH", "a"),
                       ("SPUBLISH", "a"), ("PUBLISH", "a", "b", "c")])


# ---------------------------------------------- PUBLISH and messages ----

def test_publish_without_subscribers_returns_zero(pair):
    pair.check_script([("PUBLISH", "nobody", "x"), ("SPUBLISH", "nobody", "x")])


def test_message_bytes_received_by_channel_subscriber(conns):
    sub, pub = conns(), conns()
    check_n(sub, 2, "SUBSCRIBE", "news", "other")
    pub.check("PUBLISH", "news", "hello")
    expect_messages(sub, 1, "message")
    pub.check("PUBLISH", "other", "")
    expect_messages(sub, 1, "message")
    sync_subscriber(sub)


def test_message_with_binary_payload(conns):
    sub, pub = conns(), conns()
    check_n(sub, 1, "SUBSCRIBE", b"bin\x00chan")
    pub.check("PUBLISH", b"bin\x00chan", b"\r\n\x00\xff payload \r\n")
    expect_messages(sub, 1, "message")
    big = b"x" * 100000
    pub.check("PUBLISH", b"bin\x00chan", big)
    expect_messages(sub, 1, "message")


def test_pmessage_bytes_received_by_pattern_subscriber(conns):
    sub, pub = conns(), conns()
    check_n(sub, 1, "PSUBSCRIBE", "news.*")
    pub.check("PUBLISH", "news.sport", "goal")
    expect_messages(sub, 1, "pmessage")
    pub.check("PUBLISH", "weather", "rain")  # no match
    sync_subscriber(sub)


@pytest.mark.parametrize("pattern,channel", [
    ("h?llo", "hello"), ("h?llo", "hallo"), ("h*llo", "hllo"), ("h[ae]llo", "hello"),
    ("h[^e]llo", "hallo"), ("h[^e]llo", "hello"), ("h[a-b]llo", "hbllo"), ("h\\*llo", "h*llo"),
    ("h\\*llo", "hello"), ("*", ""),
])
def test_pattern_matching(conns, pattern, channel):
    sub, pub = conns(), conns()
    check_n(sub, 1, "PSUBSCRIBE", pattern)
    delivered = decode(pub.check("PUBLISH", channel, "m"))
    if delivered:
        expect_messages(sub, delivered, "pmessage")
    sync_subscriber(sub)


def test_smessage_bytes_received_by_shard_subscriber(conns):
    sub, pub = conns(), conns()
    check_n(sub, 1, "SSUBSCRIBE", "shard1")
    pub.check("SPUBLISH", "shard1", "hello")
    expect_messages(sub, 1, "smessage")
    sync_subscriber(sub)


def test_publish_does_not_reach_shard_subscribers_and_vice_versa(conns):
    sub, pub = conns(), conns()
    check_n(sub, 1, "SSUBSCRIBE", "c1")
    check_n(sub, 1, "SUBSCRIBE", "c2")
    check_n(sub, 1, "PSUBSCRIBE", "c*")
    pub.check("PUBLISH", "c1", "to-plain-c1")     # pattern matches, shard sub does not get it
    expect_messages(sub, 1, "pmessage")
    pub.check("SPUBLISH", "c2", "to-shard-c2")    # neither plain nor pattern subscribers
    sync_subscriber(sub)


def test_publish_counts_channel_and_pattern_receivers(conns):
    s1, s2, s3, pub = conns(), conns(), conns(), conns()
    check_n(s1, 1, "SUBSCRIBE", "ch")
    check_n(s2, 1, "PSUBSCRIBE", "c*")
    check_n(s3, 1, "SUBSCRIBE", "ch")
    check_n(s3, 1, "PSUBSCRIBE", "?h")
    pub.check("PUBLISH", "ch", "m")          # 4 deliveries
    expect_messages(s1, 1, "message")
    expect_messages(s2, 1, "pmessage")
    expect_messages(s3, 2, "message then pmessage")
    pub.check("PUBLISH", "cx", "m")          # only s2
    expect_messages(s2, 1, "pmessage")
    for s in (s1, s2, s3):
        sync_subscriber(s)


def test_spublish_counts_shard_receivers(conns):
    s1, s2, pub = conns(), conns(), conns()
    check_n(s1, 1, "SSUBSCRIBE", "sh")
    check_n(s2, 1, "SSUBSCRIBE", "sh")
    check_n(s2, 1, "PSUBSCRIBE", "*")
    pub.check("SPUBLISH", "sh", "m")
    expect_messages(s1, 1, "smessage")
    expect_messages(s2, 1, "smessage")
    sync_subscriber(s2)


def test_messages_arrive_in_publish_order(conns):
    sub, pub = conns(), conns()
    check_n(sub, 2, "SUBSCRIBE", "a", "b")
    for i in range(20):
        pub.check("PUBLISH", "a" if i % 3 else "b", "msg-%d" % i)
    expect_messages(sub, 20, "message")


def test_publisher_subscribed_to_own_channel_receives_message_resp3(conns):
    sub = conns()
    hello3(sub)
    check_n(sub, 1, "SUBSCRIBE", "self")
    # In RESP3 the push may come before or after the PUBLISH reply; Redis
    # sends the push first (it is written while PUBLISH runs).
    check_n(sub, 2, "PUBLISH", "self", "hi")


def test_unsubscribed_channel_no_longer_receives(conns):
    sub, pub = conns(), conns()
    check_n(sub, 2, "SUBSCRIBE", "a", "b")
    check_n(sub, 1, "UNSUBSCRIBE", "a")
    pub.check("PUBLISH", "a", "lost")
    pub.check("PUBLISH", "b", "kept")
    expect_messages(sub, 1, "message")
    sync_subscriber(sub)


def test_publish_is_independent_of_selected_db(conns):
    sub, pub = conns(), conns()
    sub.check("SELECT", "3")
    check_n(sub, 1, "SUBSCRIBE", "x")
    pub.check("SELECT", "5")
    pub.check("PUBLISH", "x", "across-dbs")
    expect_messages(sub, 1, "message")


# ------------------------------------------ RESP2 subscriber context ----

def test_resp2_subscriber_get_is_rejected(conns):
    sub = conns()
    check_n(sub, 1, "SUBSCRIBE", "a")
    sub.check_script([("GET", "k"), ("SET", "k", "v"), ("publish", "a", "x")])


def test_resp2_subscriber_pattern_only_get_is_rejected(conns):
    sub = conns()
    check_n(sub, 1, "PSUBSCRIBE", "a*")
    sub.check("GET", "k")


def test_resp2_shard_subscriber_get_is_rejected(conns):
    sub = conns()
    check_n(sub, 1, "SSUBSCRIBE", "a")
    sub.check("GET", "k")


def test_resp2_subscriber_ping(conns):
    sub = conns()
    check_n(sub, 1, "SUBSCRIBE", "a")
    sub.check("PING")


def test_resp2_subscriber_ping_with_argument(conns):
    sub = conns()
    check_n(sub, 1, "SUBSCRIBE", "a")
    sub.check_script([("PING", "hello"), ("PING", ""), ("PING", "a", "b")])


def test_resp2_subscriber_allowed_commands(conns):
    sub = conns()
    check_n(sub, 1, "SUBSCRIBE", "a")
    check_n(sub, 1, "PSUBSCRIBE", "b*")
    check_n(sub, 1, "SSUBSCRIBE", "c")
    check_n(sub, 1, "UNSUBSCRIBE", "a")
    sub.check("GET", "k")


def test_resp2_leaving_subscriber_mode_allows_commands(conns):
    sub = conns()
    check_n(sub, 2, "SUBSCRIBE", "a", "b")
    check_n(sub, 2, "UNSUBSCRIBE", "a", "b")
    sub.check_script([("SET", "k", "v"), ("GET", "k"), ("PING",)])


def test_resp2_subscriber_quit(conns):
    sub = conns()
    check_n(sub, 1, "SUBSCRIBE", "a")
    sub.check("QUIT")
    assert sub.ours.is_closed_by_peer(), "ours did not close the connection after QUIT"
    assert sub.real.is_closed_by_peer()


# ------------------------------------------------------------- RESP3 ----

def test_resp3_subscribe_confirmations_are_pushes(conns):
    sub = conns()
    hello3(sub)
    check_n(sub, 2, "SUBSCRIBE", "a", "b")
    check_n(sub, 1, "PSUBSCRIBE", "p*")
    check_n(sub, 1, "SSUBSCRIBE", "s")
    check_n(sub, 1, "UNSUBSCRIBE", "a")
    check_n(sub, 1, "PUNSUBSCRIBE", "p*")
    check_n(sub, 1, "SUNSUBSCRIBE", "s")


def test_resp3_unsubscribe_all_when_subscribed_to_none(conns):
    sub = conns()
    hello3(sub)
    sub.check_script([("UNSUBSCRIBE",), ("PUNSUBSCRIBE",), ("SUNSUBSCRIBE",)])


def test_resp3_messages_are_pushes(conns):
    sub, pub = conns(), conns()
    hello3(sub)
    check_n(sub, 1, "SUBSCRIBE", "ch")
    check_n(sub, 1, "PSUBSCRIBE", "c*")
    check_n(sub, 1, "SSUBSCRIBE", "sh")
    pub.check("PUBLISH", "ch", "one")
    expect_messages(sub, 2, "message + pmessage push")
    pub.check("SPUBLISH", "sh", "two")
    expect_messages(sub, 1, "smessage push")


def test_resp3_subscriber_can_run_get(conns):
    sub = conns()
    hello3(sub)
    check_n(sub, 1, "SUBSCRIBE", "a")
    sub.check_script([("SET", "k", "v"), ("GET", "k"), ("GET", "missing"), ("PING",), ("PING", "x")])


def test_resp3_push_interleaves_with_replies(conns):
    sub, pub = conns(), conns()
    hello3(sub)
    check_n(sub, 1, "SUBSCRIBE", "a")
    pub.check("PUBLISH", "a", "m1")
    # The push arrived before the reply to GET on both servers.
    check_n(sub, 2, "GET", "k")


# ------------------------------------------------------------ PUBSUB ----

def test_pubsub_channels(conns):
    s1, s2, q = conns(), conns(), conns()
    check_n(s1, 3, "SUBSCRIBE", "chan-news", "chan-sport", "other-x")
    check_n(s2, 1, "SUBSCRIBE", "chan-news")
    check_n(s2, 1, "PSUBSCRIBE", "chan-*")  # patterns are not channels
    check_n(s2, 1, "SSUBSCRIBE", "chan-shard")  # neither are shard channels
    q.check_unordered("PUBSUB", "CHANNELS", "chan-*")
    q.check_unordered("PUBSUB", "CHANNELS", "*-x")
    q.check("PUBSUB", "CHANNELS", "nomatch*")


def test_pubsub_channels_without_pattern(conns):
    q = conns()
    wait_pubsub_idle(q)
    q.check("PUBSUB", "CHANNELS")
    s1 = conns()
    check_n(s1, 2, "SUBSCRIBE", "one", "two")
    q.check_unordered("PUBSUB", "CHANNELS")


def test_pubsub_channels_drops_unsubscribed(conns):
    s1, q = conns(), conns()
    check_n(s1, 2, "SUBSCRIBE", "gone-a", "gone-b")
    check_n(s1, 1, "UNSUBSCRIBE", "gone-a")
    q.check("PUBSUB", "CHANNELS", "gone-*")


def test_pubsub_numsub(conns):
    s1, s2, q = conns(), conns(), conns()
    check_n(s1, 2, "SUBSCRIBE", "ns-a", "ns-b")
    check_n(s2, 1, "SUBSCRIBE", "ns-a")
    check_n(s2, 1, "PSUBSCRIBE", "ns-*")  # patterns are not counted
    q.check_script([("PUBSUB", "NUMSUB", "ns-a", "ns-b", "ns-c", "ns-a"), ("PUBSUB", "NUMSUB")])


def test_pubsub_numpat(conns):
    q = conns()
    wait_pubsub_idle(q)
    q.check("PUBSUB", "NUMPAT")
    s1, s2 = conns(), conns()
    check_n(s1, 2, "PSUBSCRIBE", "np-*", "np-?")
    check_n(s2, 1, "PSUBSCRIBE", "np-*")
    check_n(s2, 1, "SUBSCRIBE", "np-chan")
    q.check("PUBSUB", "NUMPAT")
    check_n(s1, 1, "PUNSUBSCRIBE", "np-?")
    q.check("PUBSUB", "NUMPAT")


def test_pubsub_shardchannels(conns):
    s1, q = conns(), conns()
    check_n(s1, 1, "SSUBSCRIBE", "sc-1")
    check_n(s1, 1, "SSUBSCRIBE", "sc-2")
    check_n(s1, 1, "SUBSCRIBE", "sc-plain")
    q.check_unordered("PUBSUB", "SHARDCHANNELS", "sc-*")
    q.check("PUBSUB", "SHARDCHANNELS", "none*")


def test_pubsub_shardchannels_without_pattern(conns):
    q = conns()
    wait_pubsub_idle(q)
    q.check("PUBSUB", "SHARDCHANNELS")
    s1 = conns()
    check_n(s1, 1, "SSUBSCRIBE", "x1")
    check_n(s1, 1, "SSUBSCRIBE", "x2")
    q.check_unordered("PUBSUB", "SHARDCHANNELS")


def test_pubsub_shardnumsub(conns):
    s1, s2, q = conns(), conns(), conns()
    check_n(s1, 1, "SSUBSCRIBE", "sn-a")
    check_n(s2, 1, "SSUBSCRIBE", "sn-a")
    check_n(s2, 1, "SUBSCRIBE", "sn-b")  # plain subscription: not counted
    q.check_script([("PUBSUB", "SHARDNUMSUB", "sn-a", "sn-b", "sn-a"), ("PUBSUB", "SHARDNUMSUB")])


def test_pubsub_help(pair):
    pair.check_script([("PUBSUB", "HELP"), ("pubsub", "help")])


def test_pubsub_unknown_subcommand(pair):
    pair.check_script([("PUBSUB", "FOO"), ("PUBSUB", "foo", "bar")])


@pytest.mark.parametrize("args", [
    ("PUBSUB",), ("PUBSUB", "CHANNELS", "a", "b"), ("PUBSUB", "NUMPAT", "x"),
    ("PUBSUB", "SHARDCHANNELS", "a", "b"), ("PUBSUB", "HELP", "x"),
], ids=lambda a: "_".join(a[1:]) or "none")
def test_pubsub_wrong_arity(pair, args):
    pair.check(*args)


@pytest.mark.parametrize("args", [
    ("PUBSUB", "NUMSUB", "r3-a", "r3-z"), ("PUBSUB", "SHARDNUMSUB", "r3-s"),
    ("PUBSUB", "CHANNELS", "r3-*"), ("PUBSUB", "SHARDCHANNELS", "r3-*"), ("PUBSUB", "NUMPAT"),
], ids=lambda a: a[1])
def test_pubsub_resp3_reply_type(conns, args):
    # Redis 7.0 keeps NUMSUB / SHARDNUMSUB a flat array in RESP3 (not a map).
    q, s1 = conns(), conns()
    if args[1] == "NUMPAT":
        wait_pubsub_idle(q)
    hello3(q)
    check_n(s1, 1, "SUBSCRIBE", "r3-a")
    check_n(s1, 1, "SSUBSCRIBE", "r3-s")
    q.check(*args)


# ------------------------------------------------------------- RESET ----

def test_reset_unsubscribes_everything(conns):
    sub, pub, q = conns(), conns(), conns()
    check_n(sub, 2, "SUBSCRIBE", "rs-a", "rs-b")
    check_n(sub, 1, "PSUBSCRIBE", "rs-*")
    check_n(sub, 1, "SSUBSCRIBE", "rs-s")
    sub.check("RESET")
    q.check_script([("PUBSUB", "NUMSUB", "rs-a", "rs-b"), ("PUBSUB", "CHANNELS", "rs-*"),
                    ("PUBSUB", "SHARDNUMSUB", "rs-s")])
    pub.check_script([("PUBLISH", "rs-a", "x"), ("PUBLISH", "rs-zz", "x"), ("SPUBLISH", "rs-s", "x")])
    # Out of subscriber mode: normal commands work and nothing was delivered.
    sub.check_script([("GET", "k"), ("PING",)])


def test_reset_in_resp3_subscriber_returns_to_resp2(conns):
    sub = conns()
    hello3(sub)
    check_n(sub, 1, "SUBSCRIBE", "a")
    sub.check("RESET")
    sub.check_script([("PING",), ("UNSUBSCRIBE",)])


# ------------------------------------------------ CLIENT LIST fields ----

SUB_FIELDS = ("flags", "db", "sub", "psub", "ssub", "multi", "cmd", "resp")


def _client_fields(conn, addr):
    raw = conn.call("CLIENT", "LIST")
    if raw[:1] != b"$":
        return raw
    needle = "addr=%s:%d" % addr
    for line in decode(raw).decode("utf-8", "replace").splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "addr=" + fields.get("addr", "") == needle:
            return dict((k, fields.get(k)) for k in SUB_FIELDS)
    return "no CLIENT LIST entry with %s" % needle


def test_client_list_shows_subscription_counts(conns):
    sub, q = conns(), conns()
    check_n(sub, 2, "SUBSCRIBE", "cl-a", "cl-b")
    check_n(sub, 1, "PSUBSCRIBE", "cl-*")
    check_n(sub, 1, "SSUBSCRIBE", "cl-s")
    o = _client_fields(q.ours, sub.ours.sock.getsockname()[:2])
    r = _client_fields(q.real, sub.real.sock.getsockname()[:2])
    assert isinstance(r, dict), r
    assert o == r, "CLIENT LIST fields of a subscriber differ:\n  ours: %r\n  real: %r" % (o, r)
