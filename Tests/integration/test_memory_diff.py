"""MEMORY USAGE/STATS/DOCTOR/PURGE/HELP against redis-server 7.0: MEMORY USAGE within ±30% of Redis's figure
for every type and encoding, replies and errors byte-equal where they do not depend on the allocator."""

import random

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
@pytest.mark.parametrize("key", KEYS)
def test_memory_usage_within_30_percent_per_type_and_encoding(pair, samples, key):
    fill(pair.ours)
    fill(pair.real)
    extra = ("SAMPLES", samples) if samples else ()
    pair.check("OBJECT", "ENCODING", key)
    ours, real = pair.both("MEMORY", "USAGE", key, *extra)
    o, r = decode(ours), decode(real)
    assert isinstance(o, int) and 0.7 <= o / r <= 1.3, (key, o, r, round(o / r, 2))


def _value(rng, size, numeric):
    """A value of about `size` bytes: an integer when `numeric`, else letters and punctuation."""
    if numeric:
        return str(rng.randint(-10 ** min(size, 18), 10 ** min(size, 18)))
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789:-_") for _ in range(size))


def random_key(rng, conn_pairs, name):
    """Writes one random value of a random type and size to `name` on both servers (same commands)."""
    kind = rng.choice(["string", "list", "hash", "set", "intset", "zset", "stream"])
    n = rng.choice([1, 3, 20, 100, 200, 600, 2000])
    size = rng.choice([1, 5, 30, 60, 100, 500, 3000])
    # One kind of element per key: MEMORY USAGE extrapolates from a random sample of elements on both servers,
    # and a mix of short integers and long strings makes either estimate swing far from the other.
    numeric = rng.random() < 0.3

    def random_value(rng, size):
        return _value(rng, size, numeric)
    if kind == "string":
        cmds = [("SET", name, random_value(rng, size if n < 100 else size * 10))]
    elif kind == "list":
        cmds = [("RPUSH", name, *[random_value(rng, size) for _ in range(n)])]
    elif kind == "hash":
        cmds = [("HSET", name, *[x for i in range(n) for x in ("f%d" % i, random_value(rng, size))])]
    elif kind == "set":
        cmds = [("SADD", name, *["%s%d" % (random_value(rng, size), i) for i in range(n)])]
    elif kind == "intset":
        cmds = [("SADD", name, *[rng.randint(-2 ** 40, 2 ** 40) if size > 30 else i for i in range(n)])]
    elif kind == "zset":
        cmds = [("ZADD", name, *[x for i in range(n)
                                  for x in (rng.choice([i, i + 0.5]), "%s%d" % (random_value(rng, size), i))])]
    else:
        cmds = [("XADD", name, "*", "f", random_value(rng, size), "g", str(i)) for i in range(min(n, 600))]
    for c in conn_pairs:
        for cmd in cmds:
            c.call(*cmd)
    return kind


@pytest.mark.parametrize("seed", range(6))
def test_memory_usage_of_random_values_within_30_percent(pair, seed):
    """Seeded random values of each type, small and large: MEMORY USAGE (default samples and SAMPLES 0) within
    ±30% of Redis's, with the same OBJECT ENCODING."""
    rng = random.Random(seed)
    for i in range(12):
        name = "rk:%d:%d" % (seed, i)
        kind = random_key(rng, (pair.ours, pair.real), name)
        pair.check("OBJECT", "ENCODING", name)
        for extra in ((), ("SAMPLES", "0")):
            o = decode(pair.ours.call("MEMORY", "USAGE", name, *extra))
            r = decode(pair.real.call("MEMORY", "USAGE", name, *extra))
            assert 0.7 <= o / r <= 1.3, (seed, i, kind, decode(pair.real.call("OBJECT", "ENCODING", name)), o, r,
                                         round(o / r, 2))
        pair.check("DEL", name)


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
