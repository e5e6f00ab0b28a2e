"""Lazy freeing: UNLINK, FLUSHALL/FLUSHDB ASYNC and the lazyfree-* directives hand large values to a background
thread. Asserted through semantics (keys gone at once, the server answers while the background work is pending)
and the INFO counters (lazyfree_pending_objects drains to 0, lazyfreed_objects counts what was freed lazily),
compared with the reference server where the counts are deterministic. No timing assertions."""

import time

import pytest


def memory_info(r):
    return r.info("memory")


def wait_drained(r, timeout=120):
    deadline = time.time() + timeout
    while int(memory_info(r)["lazyfree_pending_objects"]) != 0:
        assert time.time() < deadline, "lazy-free queue never drained"
        time.sleep(0.02)


def big_values(r):
    """A hash, a set and a sorted set above Redis's lazy-free threshold (64), and small ones below it."""
    p = r.pipeline(transaction=False)
    p.hset("bighash", mapping={"f%d" % i: "v" * 70 for i in range(1000)})
    p.sadd("bigset", *["m%d" % i for i in range(1000)])
    p.zadd("bigzset", {"m%d" % i: i for i in range(1000)})
    p.hset("smallhash", mapping={"f%d" % i: "v" for i in range(10)})
    p.set("str", "x" * 100000)
    p.execute()


def test_unlink_frees_large_values_lazily_like_redis(server_factory):
    counts = {}
    for kind in ("ours", "real"):
        srv = server_factory(kind, "--save", "")
        try:
            r = srv.redis()
            big_values(r)
            assert r.unlink("bighash", "bigset", "bigzset", "smallhash", "str", "missing") == 5
            assert r.dbsize() == 0
            wait_drained(r)
            counts[kind] = int(memory_info(r)["lazyfreed_objects"])
        finally:
            srv.stop()
    assert counts["ours"] == counts["real"] == 3, counts


@pytest.mark.parametrize("directive,trigger", [
    ("lazyfree-lazy-user-del", "del"),
    ("lazyfree-lazy-server-del", "set"),
    ("lazyfree-lazy-server-del", "rename"),
    ("lazyfree-lazy-user-flush", "flushdb"),
])
def test_lazyfree_directives_choose_lazy_freeing_like_redis(server_factory, directive, trigger):
    counts = {}
    for kind in ("ours", "real"):
        srv = server_factory(kind, "--save", "", "--" + directive, "yes")
        try:
            r = srv.redis()
            big_values(r)
            if trigger == "del":
                assert r.delete("bighash", "smallhash") == 2
            elif trigger == "set":
                r.set("bighash", "now a string")
            elif trigger == "rename":
                r.rename("smallhash", "bigset")
            elif trigger == "flushdb":
                r.execute_command("FLUSHDB")
                assert r.dbsize() == 0
            wait_drained(r)
            counts[kind] = int(memory_info(r)["lazyfreed_objects"])
        finally:
            srv.stop()
    assert counts["ours"] == counts["real"], counts


def test_flushall_async_of_a_million_keys_frees_in_the_background(server_factory):
    srv = server_factory("ours", "--save", "")
    try:
        c = srv.client(timeout=60)
        r = srv.redis()
        assert c.call("DEBUG", "POPULATE", "1000000") == b"+OK\r\n"
        used_full = int(memory_info(r)["used_memory"])
        # Pipelined: the flush and the commands after it are read together, answered in order.
        c.send_raw(b"*2\r\n$8\r\nFLUSHALL\r\n$5\r\nASYNC\r\n*1\r\n$4\r\nPING\r\n*1\r\n$6\r\nDBSIZE\r\n")
        assert c.read_reply() == b"+OK\r\n"
        assert c.read_reply() == b"+PONG\r\n"
        assert c.read_reply() == b":0\r\n"
        assert c.call("SET", "after", "1") == b"+OK\r\n"
        wait_drained(r)
        info = memory_info(r)
        assert int(info["lazyfreed_objects"]) == 1000000
        # The memory is given back (allow what the allocator keeps cached).
        assert int(info["used_memory"]) < used_full // 4
        assert r.get("after") == b"1"
    finally:
        srv.stop()


def test_flushdb_async_counts_like_redis(server_factory):
    counts = {}
    for kind in ("ours", "real"):
        srv = server_factory(kind, "--save", "")
        try:
            c = srv.client(timeout=30)
            r = srv.redis()
            assert c.call("DEBUG", "POPULATE", "20000") == b"+OK\r\n"
            assert c.call("FLUSHDB", "ASYNC") == b"+OK\r\n"
            assert c.call("DBSIZE") == b":0\r\n"
            assert c.call("FLUSHDB", "ASYNC") == b"+OK\r\n"  # empty: nothing queued
            wait_drained(r)
            counts[kind] = int(memory_info(r)["lazyfreed_objects"])
            assert c.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
            counts[kind + "-reset"] = int(memory_info(r)["lazyfreed_objects"])
        finally:
            srv.stop()
    assert counts["ours"] == counts["real"] and counts["ours-reset"] == counts["real-reset"], counts


def test_lazy_eviction_and_expiry_free_lazily(server_factory):
    srv = server_factory("ours", "--save", "", "--lazyfree-lazy-eviction", "yes", "--lazyfree-lazy-expire", "yes",
                         "--maxmemory-policy", "allkeys-random")
    try:
        r = srv.redis()
        for i in range(20):
            r.sadd("expiring:%d" % i, *["m%d" % j for j in range(200)])
            r.pexpire("expiring:%d" % i, 1)
        deadline = time.time() + 30
        while r.dbsize() > 0:
            assert time.time() < deadline
            time.sleep(0.02)
        wait_drained(r)
        assert int(memory_info(r)["lazyfreed_objects"]) == 20
        used = int(memory_info(r)["used_memory"])
        r.config_set("maxmemory", used + 2 * 1024 * 1024)
        for i in range(200):
            r.sadd("big:%d" % i, *["m%d" % j for j in range(300)])
        wait_drained(r)
        assert int(r.info("stats")["evicted_keys"]) > 0
        assert int(memory_info(r)["lazyfreed_objects"]) > 20
    finally:
        srv.stop()


def test_replica_lazy_flush_frees_the_old_dataset_lazily_like_redis(server_factory):
    counts = {}
    for kind in ("ours", "real"):
        master = server_factory(kind, "--save", "")
        replica = server_factory(kind, "--save", "", "--replica-lazy-flush", "yes")
        try:
            mr, rr = master.redis(), replica.redis()
            mr.set("from-master", "1")
            with replica.client(timeout=30) as c:
                assert c.call("DEBUG", "POPULATE", "1000") == b"+OK\r\n"
            rr.replicaof("127.0.0.1", master.port)
            deadline = time.time() + 60
            while rr.info("replication").get("master_link_status") != "up":
                assert time.time() < deadline, "replica never linked"
                time.sleep(0.05)
            wait_drained(rr)
            assert rr.dbsize() == 1
            counts[kind] = int(memory_info(rr)["lazyfreed_objects"])
        finally:
            replica.stop()
            master.stop()
    assert counts["ours"] == counts["real"] == 1000, counts
