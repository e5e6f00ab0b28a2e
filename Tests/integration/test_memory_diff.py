"""MEMORY USAGE/STATS/DOCTOR/PURGE/HELP against redis-server 7.0: MEMORY USAGE within ±30% of Redis's figure
for every type and encoding, replies and errors byte-equal where they do not depend on the allocator."""

import pytest

from resp import decode


def fill(conn):
    conn.call("SET", "s_embstr", "v")
    conn.call("SET", "s_int", "12345")
    conn.call("SET", "s_raw", "a" * 100)
    conn.call("SET", "s_big", "a" * 10000)
    conn.call("RPUSH", "l_small", "a", "b", "c")
    conn.call("RPUSH", "l_big", *["x" * 20 + str(i) for i in range(1000)])
    conn.call("HSET", "h_lp", *[x for i in range(10) for x in ("f%d" % i, "v%d" % i)])
    conn.call("HSET", "h_ht", *[x for i in range(1000) for x in ("f%d" % i, "v%d" % i)])
    conn.call("SADD", "set_int", *range(10))
    conn.call("SADD", "set_ht_ints", *range(1000))
    conn.call("SADD", "set_ht", *["m%d" % i for i in range(1000)])
    conn.call("ZADD", "z_lp", *[x for i in range(10) for x in (i, "m%d" % i)])
    conn.call("ZADD", "z_sl", *[x for i in range(1000) for x in (i, "m%d" % i)])
    for i in range(1000):
        conn.call("XADD", "x", "*", "f", "v%d" % i)


KEYS = ["s_embstr", "s_int", "s_raw", "s_big", "l_small", "l_big", "h_lp", "h_ht", "set_int", "set_ht_ints",
        "set_ht", "z_lp", "z_sl", "x"]


@pytest.mark.parametrize("samples", [None, "0"])
def test_memory_usage_within_30_percent_per_type_and_encoding(pair, samples):
    fill(pair.ours)
    fill(pair.real)
    extra = ("SAMPLES", samples) if samples else ()
    report = []
    for key in KEYS:
        enc = pair.check("OBJECT", "ENCODING", key)
        ours, real = pair.both("MEMORY", "USAGE", key, *extra)
        o, r = decode(ours), decode(real)
        report.append((key, enc, o, r, round(o / r, 2)))
    bad = [row for row in report if not 0.7 <= row[4] <= 1.3]
    assert not bad, "outside ±30%%: %r\nall: %r" % (bad, report)


@pytest.mark.parametrize("args", [("USAGE", "nokey"), ("USAGE",), ("USAGE", "k", "SAMPLES"),
                                  ("USAGE", "k", "SAMPLES", "x"), ("USAGE", "k", "FOO", "1"), ("HELP",),
                                  ("PURGE",), ("NOPE",), ("DOCTOR",), ("STATS", "x")])
def test_memory_replies_match(pair, args):
    pair.check("SET", "k", "v")
    pair.check("MEMORY", *args)


@pytest.mark.parametrize("protocol", [2, 3])
def test_memory_stats_field_names(pair, protocol):
    pair.check("HELLO", str(protocol))
    pair.check("SET", "k", "v")
    ours, real = pair.both("MEMORY", "STATS")
    o, r = decode(ours), decode(real)
    names = lambda reply: [k for k, _ in reply] if protocol == 3 else list(reply[0::2])
    assert names(o) == names(r)
    pair.check("HELLO", "2")


def test_memory_malloc_stats_is_text(ours):
    with ours.client() as c:
        assert isinstance(decode(c.call("MEMORY", "MALLOC-STATS")), bytes)
