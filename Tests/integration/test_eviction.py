"""maxmemory eviction (all eight maxmemory-policy values), compared with the reference redis-server where the
outcome is deterministic, and checked against each policy's rule where it is approximate (sampling).

Every test starts its own servers (server_factory) and stops them before returning. No timing assertions:
memory figures are polled with generous deadlines, workloads are seeded."""

import random
import time

import pytest

VALUE = b"v" * 1000
BUDGET = 3 * 1024 * 1024  # bytes above the baseline a test allows
# Redis itself may overshoot by what one command allocates plus bookkeeping; allow a generous margin.
TOLERANCE = 1024 * 1024


def info_int(r, section, field):
    return int(r.info(section)[field])


def start(server_factory, kind, *args):
    srv = server_factory(kind, "--save", "", "--appendonly", "no", *args)
    return srv, srv.redis()


def limit_above_baseline(r, extra=BUDGET):
    used = info_int(r, "memory", "used_memory")
    limit = used + extra
    r.config_set("maxmemory", limit)
    return limit


def write_keys(r, prefix, n, ttl=None, batch=200):
    """Writes n keys in pipelined batches; returns the names written (OOM errors stop the loop)."""
    names = []
    for base in range(0, n, batch):
        p = r.pipeline(transaction=False)
        chunk = ["%s:%d" % (prefix, i) for i in range(base, min(n, base + batch))]
        for k in chunk:
            if ttl is None:
                p.set(k, VALUE)
            else:
                p.set(k, VALUE, ex=ttl(k))
        p.execute()
        names += chunk
    return names


def existing(r, names):
    p = r.pipeline(transaction=False)
    for k in names:
        p.exists(k)
    return [k for k, e in zip(names, p.execute()) if e]


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policy_keeps_memory_under_the_limit_and_counts_evictions(server_factory, policy):
    srv, r = start(server_factory, "ours", "--maxmemory-policy", policy)
    try:
        limit = limit_above_baseline(r)
        names = write_keys(r, "k", 12000)  # ~12 MB of values into a 3 MB budget
        used = info_int(r, "memory", "used_memory")
        assert used <= limit + TOLERANCE, (used, limit)
        r.config_set("maxmemory", 0)  # no more evictions while counting
        left = r.dbsize()
        assert 0 < left < len(names)
        assert info_int(r, "stats", "evicted_keys") == len(names) - left
    finally:
        srv.stop()


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_volatile_policy_never_evicts_keys_without_ttl(server_factory, policy):
    srv, r = start(server_factory, "ours", "--maxmemory-policy", policy)
    try:
        persistent = write_keys(r, "p", 500)
        limit = limit_above_baseline(r)
        volatile = write_keys(r, "t", 12000, ttl=lambda k: 100000)
        assert info_int(r, "memory", "used_memory") <= limit + TOLERANCE
        r.config_set("maxmemory", 0)  # no more evictions while counting
        assert len(existing(r, persistent)) == len(persistent)
        left = len(existing(r, volatile))
        assert 0 < left < len(volatile)
        assert info_int(r, "stats", "evicted_keys") == len(volatile) - left
    finally:
        srv.stop()


def test_volatile_ttl_evicts_shortest_ttl_first(server_factory):
    srv, r = start(server_factory, "ours", "--maxmemory-policy", "volatile-ttl")
    try:
        limit_above_baseline(r)
        rng = random.Random(7)
        ttls = {}

        def ttl(k):
            ttls[k] = rng.randint(1000, 100000)
            return ttls[k]
        names = write_keys(r, "t", 10000, ttl=ttl)
        r.config_set("maxmemory", 0)
        alive = set(existing(r, names))
        evicted = [ttls[k] for k in names if k not in alive]
        kept = [ttls[k] for k in alive]
        assert evicted and kept
        mean_evicted = sum(evicted) / len(evicted)
        mean_kept = sum(kept) / len(kept)
        # Approximated with a 16-key pool over 5-key samples: a strong bias, not a strict order.
        assert mean_evicted < mean_kept * 0.6, (mean_evicted, mean_kept)
    finally:
        srv.stop()


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-random", "volatile-ttl", "volatile-lfu"])
def test_volatile_policy_without_volatile_keys_refuses_writes_like_redis(server_factory, policy):
    replies = {}
    for kind in ("ours", "real"):
        srv, r = start(server_factory, kind, "--maxmemory-policy", policy)
        try:
            c = srv.client()
            limit_above_baseline(r, 2 * 1024 * 1024)
            got = None
            for i in range(5000):
                reply = c.call("SET", "fill:%d" % i, VALUE * 10)
                if reply != b"+OK\r\n":
                    got = reply
                    break
            replies[kind] = (got, c.call("GET", "fill:0"), c.call("DEL", "fill:1"))
            assert info_int(r, "stats", "evicted_keys") == 0
            c.close()
        finally:
            srv.stop()
    assert replies["ours"] == replies["real"]


def test_evicted_keys_are_published_as_evicted_events(server_factory):
    srv, r = start(server_factory, "ours", "--maxmemory-policy", "allkeys-random",
                   "--notify-keyspace-events", "Ee")
    try:
        sub = srv.client()
        assert sub.call("SUBSCRIBE", "__keyevent@0__:evicted").startswith(b"*3")
        limit_above_baseline(r)
        write_keys(r, "k", 8000)
        r.config_set("maxmemory", 0)
        evicted = info_int(r, "stats", "evicted_keys")
        assert evicted > 0
        seen = 0
        deadline = time.time() + 20
        while seen < evicted and time.time() < deadline:
            msg = sub.read_reply()
            assert b"evicted" in msg
            seen += 1
        assert seen == evicted
    finally:
        srv.stop()


def test_eviction_is_propagated_to_replicas(server_factory):
    master, mr = start(server_factory, "ours", "--maxmemory-policy", "allkeys-lru")
    replica, rr = start(server_factory, "ours")
    try:
        rr.replicaof("127.0.0.1", master.port)
        deadline = time.time() + 30
        while rr.info("replication").get("master_link_status") != "up":
            assert time.time() < deadline, "replica never linked"
            time.sleep(0.05)
        limit_above_baseline(mr)
        write_keys(mr, "k", 8000)
        mr.config_set("maxmemory", 0)
        assert info_int(mr, "stats", "evicted_keys") > 0
        deadline = time.time() + 30
        while rr.dbsize() != mr.dbsize():
            assert time.time() < deadline, (rr.dbsize(), mr.dbsize())
            time.sleep(0.05)
        assert sorted(rr.keys("*")) == sorted(mr.keys("*"))
    finally:
        replica.stop()
        master.stop()


def test_object_freq_follows_accesses_under_lfu(server_factory):
    for kind in ("ours", "real"):
        srv, r = start(server_factory, kind, "--maxmemory-policy", "allkeys-lfu")
        try:
            r.set("cold", "x")
            r.set("hot", "y")
            for _ in range(2000):
                r.get("hot")
            cold = r.object("freq", "cold")
            hot = r.object("freq", "hot")
            assert cold == 5, kind  # LFU_INIT_VAL, untouched
            # The logarithmic counter after 2000 hits with lfu-log-factor 10 lands around 25 (simulated with Redis's
            # formula: 17..34 in 3,000 runs, above 30 in 2.5% of them; a bound of 30 failed once).
            assert 10 <= hot <= 40, (kind, hot)
        finally:
            srv.stop()


def test_object_freq_and_idletime_errors_match_redis(server_factory):
    replies = {}
    for kind in ("ours", "real"):
        srv = server_factory(kind, "--save", "")
        try:
            c = srv.client()
            c.call("SET", "k", "v")
            out = [c.call("OBJECT", "FREQ", "k"), c.call("OBJECT", "IDLETIME", "k")]
            c.call("CONFIG", "SET", "maxmemory-policy", "volatile-lfu")
            out += [c.call("OBJECT", "FREQ", "k"), c.call("OBJECT", "IDLETIME", "k")]
            out += [c.call("CONFIG", "SET", "maxmemory-policy", "bogus"),
                    c.call("CONFIG", "SET", "maxmemory-samples", "0"),
                    c.call("CONFIG", "SET", "maxmemory-eviction-tenacity", "101"),
                    c.call("CONFIG", "SET", "lfu-log-factor", "-1"),
                    c.call("CONFIG", "GET", "lfu-log-factor"),
                    c.call("CONFIG", "GET", "lfu-decay-time"),
                    c.call("CONFIG", "GET", "maxmemory-samples"),
                    c.call("CONFIG", "GET", "maxmemory-eviction-tenacity"),
                    c.call("CONFIG", "GET", "maxmemory-policy")]
            replies[kind] = out
            c.close()
        finally:
            srv.stop()
    assert replies["ours"] == replies["real"]


def test_restore_freq_is_kept_under_lfu(server_factory):
    replies = {}
    for kind in ("ours", "real"):
        srv = server_factory(kind, "--save", "", "--maxmemory-policy", "allkeys-lfu")
        try:
            c = srv.client()
            c.call("SET", "k", "v")
            dump = c.call_decoded("DUMP", "k")
            out = [c.call("RESTORE", "k2", "0", dump, "FREQ", "100"), c.call("OBJECT", "FREQ", "k2")]
            replies[kind] = out
            c.close()
        finally:
            srv.stop()
    assert replies["ours"] == replies["real"]


def zipf_hit_rate(r, seed, keys=20000, ops=40000, s=1.0, batch=100):
    """A seeded Zipf read-through cache: GET, and SET on a miss. Returns the hit rate."""
    rng = random.Random(seed)
    weights = [1.0 / (i + 1) ** s for i in range(keys)]
    order = list(range(keys))
    rng.shuffle(order)  # hot keys are not the first written
    population = ["z:%d" % order[i] for i in range(keys)]
    picks = rng.choices(population, weights=weights, k=ops)
    hits = 0
    for base in range(0, ops, batch):
        chunk = picks[base:base + batch]
        p = r.pipeline(transaction=False)
        for k in chunk:
            p.get(k)
        got = p.execute()
        p = r.pipeline(transaction=False)
        misses = 0
        for k, v in zip(chunk, got):
            if v is None:
                p.set(k, VALUE)
                misses += 1
            else:
                hits += 1
        if misses:
            p.execute()
    return hits / ops


def per_key_bytes(r, n=3000):
    before = info_int(r, "memory", "used_memory")
    write_keys(r, "probe", n)
    after = info_int(r, "memory", "used_memory")
    r.flushall()
    return max(1, (after - before) // n)


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu"])
def test_hit_rate_on_zipf_workload_is_close_to_redis(server_factory, policy):
    """The same seeded workload against both servers, each limited to room for the same number of keys."""
    rates = {}
    for kind in ("ours", "real"):
        srv, r = start(server_factory, kind, "--maxmemory-policy", policy)
        try:
            per_key = per_key_bytes(r)
            base = info_int(r, "memory", "used_memory")
            r.config_set("maxmemory", base + per_key * 4000)  # a fifth of the 20,000 keys fit
            rates[kind] = zipf_hit_rate(r, seed=1234)
            assert info_int(r, "stats", "evicted_keys") > 0
        finally:
            srv.stop()
    assert abs(rates["ours"] - rates["real"]) <= 0.05, rates


@pytest.mark.parametrize("lazy,verb", [("no", b"DEL"), ("yes", b"UNLINK")])
def test_evictions_reach_the_aof_as_separate_deletions(server_factory, lazy, verb):
    """Redis 7.0 writes each eviction as its own DEL (UNLINK under lazyfree-lazy-eviction), never in MULTI."""
    import glob
    import os
    counts = {}
    for kind in ("ours", "real"):
        srv, r = start(server_factory, kind, "--maxmemory-policy", "allkeys-lru", "--appendfsync", "always",
                       "--lazyfree-lazy-eviction", lazy)
        try:
            r.config_set("appendonly", "yes")
            deadline = time.time() + 30
            while int(r.info("persistence")["aof_rewrite_in_progress"]) or \
                    int(r.info("persistence")["aof_rewrite_scheduled"]):
                assert time.time() < deadline
                time.sleep(0.05)
            limit_above_baseline(r, 1024 * 1024)
            write_keys(r, "k", 3000, batch=1)
            r.config_set("maxmemory", 0)
            evicted = info_int(r, "stats", "evicted_keys")
            data = b""
            for f in glob.glob(os.path.join(srv.dir, "appendonlydir", "*.incr.aof")):
                with open(f, "rb") as fh:
                    data += fh.read()
            lines = data.split(b"\r\n")
            counts[kind] = (lines.count(verb) == evicted, lines.count(b"MULTI"), evicted > 0)
        finally:
            srv.stop()
    assert counts["ours"] == counts["real"] == (True, 0, True), counts
