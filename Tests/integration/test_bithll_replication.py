"""Bitmap and HyperLogLog writes replicated both ways between our server and redis-server 7.0.15: after the same
seeded stream (SETBIT, BITFIELD incl. OVERFLOW FAIL, BITOP, PFADD across sparse→dense, PFMERGE, PFCOUNT cache
refreshes, PFDEBUG TODENSE) the replica's dataset equals the master's by DEBUG DIGEST."""

import random

from test_replication import (  # noqa: F401  (fixtures)
    digest, link_up, master, our_replica_factory, real_master, replica_factory, wait_for, wait_in_sync,
)


def bithll_writes(rng, n):
    keys = ["b1", "b2", "b3", "h1", "h2", "h3"]
    ops = []
    for _ in range(n):
        k = rng.choice(keys)
        r = rng.randrange(10)
        if r == 0:
            ops.append(("SETBIT", k, rng.randrange(5000), rng.randrange(2)))
        elif r == 1:
            ops.append(("BITFIELD", k, "OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL"]), "INCRBY",
                        rng.choice(["u8", "i16", "i64", "u63"]), rng.randrange(300), rng.randrange(-1000, 1000),
                        "GET", "u8", 0))
        elif r == 2:
            ops.append(("BITOP", rng.choice(["AND", "OR", "XOR"]), rng.choice(keys), k, rng.choice(keys)))
        elif r in (3, 4, 5):
            ops.append(("PFADD", k) + tuple("e%d" % rng.randrange(50000) for _ in range(rng.choice([1, 20, 300]))))
        elif r == 6:
            ops.append(("PFMERGE", k, rng.choice(keys), rng.choice(keys)))
        elif r == 7:
            ops.append(("PFCOUNT", k))
        elif r == 8:
            ops.append(("PFDEBUG", "TODENSE", k))
        else:
            ops.append(("GETBIT", k, rng.randrange(100)))
    return ops


def run(srv, ops):
    with srv.client() as c:
        for op in ops:
            c.call(*op)  # errors (wrong types between bitmaps and HLLs) are part of the stream


def test_real_replica_of_our_master_follows_bitmap_and_hll_writes(master, replica_factory):  # noqa: F811
    replica = replica_factory(master.port)
    wait_for(lambda: link_up(replica), what="the replica's link to come up")
    run(master, bithll_writes(random.Random(5), 1500))
    wait_in_sync(master, replica)
    assert digest(replica) == digest(master)


def test_our_replica_of_a_real_master_follows_bitmap_and_hll_writes(real_master, our_replica_factory):  # noqa: F811
    replica = our_replica_factory(real_master.port)
    wait_for(lambda: link_up(replica), what="our replica's link to come up")
    run(real_master, bithll_writes(random.Random(6), 1500))
    wait_in_sync(real_master, replica)
    assert digest(replica) == digest(real_master)
