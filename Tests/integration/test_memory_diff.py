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


# Encodings whose representation here is not Redis's compact one (measured ratio ours/Redis): MEMORY USAGE
# reports what our structures really take, so these are outside ±30% until the representation changes.
# strict: the test fails as soon as one of them comes within ±30%, so the mark must then be removed.
KNOWN_LARGER = {
    "l_small": "a list keeps a ring of 16-byte-plus inline elements, 8 slots at least (2.4x)",
    "l_big": "a list element over 16 bytes is its own heap array (3.5x)",
    "h_lp": "a listpack-encoded hash is an array of (field, value) pairs, not a listpack (6.5x)",
    "set_int": "an intset is an array of Int64 with spare capacity (3.2x)",
    "z_lp": "a listpack-encoded sorted set is two parallel arrays (4.7x)",
    "x": "stream nodes are exact-size listpacks without jemalloc's size-class slack (0.68x)",
}


@pytest.mark.parametrize("samples", [None, "0"])
@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.xfail(strict=True, reason=KNOWN_LARGER[k]))
                                 if k in KNOWN_LARGER else k for k in KEYS])
def test_memory_usage_within_30_percent_per_type_and_encoding(pair, samples, key):
    fill(pair.ours)
    fill(pair.real)
    extra = ("SAMPLES", samples) if samples else ()
    pair.check("OBJECT", "ENCODING", key)
    ours, real = pair.both("MEMORY", "USAGE", key, *extra)
    o, r = decode(ours), decode(real)
    assert isinstance(o, int) and 0.7 <= o / r <= 1.3, (key, o, r, round(o / r, 2))


@pytest.mark.parametrize("args", [("USAGE", "nokey"), ("USAGE",), ("USAGE", "k", "SAMPLES"),
                                  ("USAGE", "k", "SAMPLES", "x"), ("USAGE", "k", "FOO", "1"), ("HELP",),
                                  ("PURGE",), ("NOPE",), ("STATS", "x")])
def test_memory_replies_match(pair, args):
    pair.check("SET", "k", "v")
    pair.check("MEMORY", *args)


@pytest.mark.parametrize("protocol", [2, 3])
def test_memory_stats_field_names(server_factory, protocol):
    """Compared on servers nothing else used: the fields depend on the server's history (databases, clients)."""
    from difftools import Pair
    ours, real = server_factory("ours"), server_factory("real")
    try:
        pair = Pair(ours.client(), real.client())
        pair.check("HELLO", str(protocol))
        pair.check("SET", "k", "v")
        o_raw, r_raw = pair.both("MEMORY", "STATS")
        o, r = decode(o_raw), decode(r_raw)
        names = lambda reply: [k for k, _ in reply] if protocol == 3 else list(reply[0::2])
        assert names(o) == names(r)
        pair.close()
    finally:
        ours.stop()
        real.stop()


def test_memory_malloc_stats_is_text(ours):
    with ours.client() as c:
        assert isinstance(decode(c.call("MEMORY", "MALLOC-STATS")), bytes)


def test_memory_doctor_matches_on_fresh_servers(server_factory):
    """MEMORY DOCTOR reads the server's memory history (peak, RSS ratio): compared on servers nothing else used."""
    from difftools import Pair
    ours, real = server_factory("ours"), server_factory("real")
    try:
        p = Pair(ours.client(), real.client())
        p.check("SET", "k", "v")
        p.check("MEMORY", "DOCTOR")
        p.close()
    finally:
        ours.stop()
        real.stop()
