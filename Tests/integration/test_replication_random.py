"""100,000 seeded random writes on our master, from several connections at once, reach two replicas — one of
ours and a real redis-server 7.0.15 — and all three datasets are equal by DEBUG DIGEST afterwards.

The mix covers every type, several databases, MULTI/EXEC blocks, relative and absolute expiries, SPOP,
INCRBYFLOAT, non-deterministic writes (SPOP, ZPOPMIN on ties), EVAL scripts whose writes depend on SPOP, TIME and
SRANDMEMBER, FCALL of a library function, RENAME/MOVE/COPY, and blocking
pops woken by pushes from other connections (propagated as separate commands, as Redis does). Replay one seed with
`REPL_SEED`; change the size with `REPL_OPS`."""

import os
import random
import threading

import pytest

from conftest import ServerProcess, ours_binary, real_binary
from persist_tools import wait_for
from resp import encode_command

SEED = int(os.environ.get("REPL_SEED", "20261202"))
OPS = int(os.environ.get("REPL_OPS", "100000"))
WRITERS = 4


def random_write(rng, i):
    """One write command (with the database it runs in)."""
    k = "k%d" % rng.randrange(400)
    kind = rng.randrange(33)
    if kind == 0:
        return ("SET", k, "v%d" % i)
    if kind == 1:
        return ("INCR", "n%d" % rng.randrange(60))
    if kind == 2:
        return ("LPUSH", "l" + k, i, rng.randrange(10))
    if kind == 3:
        return ("RPUSH", "l" + k, "x" * rng.randrange(1, 80))
    if kind == 4:
        return ("SADD", "s" + k, *[rng.randrange(200) for _ in range(rng.randrange(1, 4))])
    if kind == 5:
        return ("SADD", "s" + k, "m%d" % rng.randrange(40))
    if kind == 6:
        return ("HSET", "h" + k, "f%d" % rng.randrange(40), i)
    if kind == 7:
        return ("ZADD", "z" + k, rng.randrange(20), "m%d" % rng.randrange(50))
    if kind == 8:
        return ("EXPIRE", rng.choice(["l", "s", "h", "z", ""]) + k, rng.randrange(1, 2000))
    if kind == 9:
        return ("DEL", rng.choice(["l", "s", "h", "z", ""]) + k)
    if kind == 10:
        return ("SPOP", "s" + k)
    if kind == 11:
        return ("SPOP", "s" + k, rng.randrange(1, 4))
    if kind == 12:
        return ("INCRBYFLOAT", "f%d" % rng.randrange(30), rng.choice(["1.5", "-0.25", "3e2", "0.1"]))
    if kind == 13:
        return ("SET", "t" + k, i, "PX", rng.randrange(1, 3000))
    if kind == 14:
        return ("RPOP", "l" + k)
    if kind == 15:
        return ("LPOP", "l" + k, rng.randrange(1, 3))
    if kind == 16:
        return ("ZINCRBY", "z" + k, rng.choice([1, 2.5, -1]), "m%d" % rng.randrange(50))
    if kind == 17:
        return ("APPEND", k, "x")
    if kind == 18:
        return ("HDEL", "h" + k, "f%d" % rng.randrange(40))
    if kind == 19:
        return ("ZPOPMIN", "z" + k)
    if kind == 20:
        return ("HINCRBYFLOAT", "h" + k, "g", "0.5")
    if kind == 21:
        return ("PERSIST", rng.choice(["l", "s", "h", "z", "t"]) + k)
    if kind == 22:
        return ("GETEX", "t" + k, "EX", rng.randrange(1, 1000))
    if kind == 23:
        return ("RENAME", k, "k%d" % rng.randrange(400))
    if kind == 24:
        return ("COPY", "h" + k, "hc" + k, "REPLACE")
    if kind == 25:
        return ("LMOVE", "l" + k, "l" + "k%d" % rng.randrange(400), "LEFT", "RIGHT")
    if kind == 26:
        return ("SINTERSTORE", "si" + k, "s" + k, "s" + "k%d" % rng.randrange(400))
    if kind == 27:
        return ("ZUNIONSTORE", "zu" + k, 2, "z" + k, "z" + "k%d" % rng.randrange(400))
    if kind == 28:
        return ("EXPIREAT", k, rng.randrange(1, 3000000000))
    if kind == 29:
        return ("SETRANGE", k, rng.randrange(20), "abc")
    if kind == 30:
        # A script's non-deterministic writes (Redis 7 replicates their effects, not the script).
        return ("EVAL", "local m = redis.call('SPOP', KEYS[1]) if m then redis.call('RPUSH', KEYS[2], m) end "
                "redis.call('INCRBYFLOAT', KEYS[3], ARGV[1]) return m", 3, "s" + k, "l" + k, "f%d" % rng.randrange(30),
                rng.choice(["0.5", "-1.25"]))
    if kind == 31:
        return ("EVAL", "local t = redis.call('TIME') redis.call('HSET', KEYS[1], 'at', t[1] .. '.' .. t[2]) "
                "return redis.call('SRANDMEMBER', KEYS[2])", 2, "h" + k, "s" + k)
    return ("FCALL", "popmove", 2, "z" + k, "l" + k)


LIBRARY = """#!lua name=randlib
redis.register_function('popmove', function(keys, args)
  local p = redis.call('ZPOPMIN', keys[1])
  if p[1] then redis.call('LPUSH', keys[2], p[1]) end
  return p
end)
"""


def writer_commands(seed, n):
    """A connection's commands: random writes with SELECTs, MULTI/EXEC blocks and a MOVE now and then."""
    rng = random.Random(seed)
    cmds = []
    for i in range(n):
        if i % 100 == 0:
            cmds.append(("SELECT", rng.choice((0, 1, 9))))
        if i % 211 == 0:
            cmds += [("MULTI",), random_write(rng, i), random_write(rng, i), ("INCR", "multi"), ("EXEC",)]
        elif i % 337 == 0:
            cmds.append(("MOVE", "k%d" % rng.randrange(400), rng.choice((0, 1, 9))))
        else:
            cmds.append(random_write(rng, i))
    return cmds


def run_commands(port, cmds):
    from resp import RespClient
    with RespClient(port, timeout=60) as c:
        for n in range(0, len(cmds), 1000):
            group = cmds[n:n + 1000]
            c.send_raw(b"".join(encode_command(*cmd) for cmd in group))
            for _ in group:
                c.read_reply()


def blocked_poppers(port, rounds, stop):
    """Clients blocked in BLPOP/BRPOP/BLMOVE/BZPOPMIN on keys the pusher below fills."""
    from resp import RespClient

    def popper(which):
        with RespClient(port, timeout=60) as c:
            c.call("SELECT", 1)
            for r in range(rounds):
                if stop.is_set():
                    return
                if which == 0:
                    c.call("BLPOP", "q%d" % (r % 5), "q%d" % ((r + 1) % 5), 5)
                elif which == 1:
                    c.call("BLMOVE", "q%d" % (r % 5), "moved", "RIGHT", "LEFT", 5)
                else:
                    c.call("BZPOPMIN", "zq%d" % (r % 3), 5)

    threads = [threading.Thread(target=popper, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    return threads


def pusher_commands(seed, n):
    rng = random.Random(seed)
    cmds = [("SELECT", 1)]
    for i in range(n):
        if rng.random() < 0.5:
            cmds.append(("RPUSH", "q%d" % rng.randrange(5), i))
        else:
            cmds.append(("ZADD", "zq%d" % rng.randrange(3), rng.randrange(10), "m%d" % i))
    return cmds


def offsets_equal(master, replica):
    mo = master.redis().info("replication")["master_repl_offset"]
    ri = replica.redis().info("replication")
    return ri.get("master_link_status") == "up" and ri.get("slave_repl_offset") == mo


@pytest.mark.timeout_seconds(300)
def test_hundred_thousand_random_writes_leave_both_replicas_equal_to_the_master():
    master = ServerProcess(ours_binary(), "ours-master", ["--repl-backlog-size", "64mb"]).start()
    replicas = []
    try:
        for binary, name in ((ours_binary(), "ours-replica"), (real_binary(), "real-replica")):
            replicas.append(ServerProcess(binary, name, ["--replicaof", "127.0.0.1", str(master.port)]).start())
        for r in replicas:
            wait_for(lambda: offsets_equal(master, r), timeout=60, what="%s to sync" % r.name)

        master.redis().execute_command("FUNCTION", "LOAD", LIBRARY)
        for r in replicas:
            wait_for(lambda: offsets_equal(master, r), timeout=60, what="%s to load the library" % r.name)
        per_writer = OPS // WRITERS
        stop = threading.Event()
        poppers = blocked_poppers(master.port, 400, stop)
        writers = [threading.Thread(target=run_commands, args=(master.port, writer_commands(SEED + w, per_writer)))
                   for w in range(WRITERS)]
        writers.append(threading.Thread(target=run_commands, args=(master.port, pusher_commands(SEED, 3000))))
        for t in writers:
            t.start()
        for t in writers:
            t.join(timeout=240)
            assert not t.is_alive(), "a writer did not finish"
        stop.set()
        for t in poppers:
            t.join(timeout=30)
        # The expiries in the mix are the master's to carry out: once the stream has reached the replicas the
        # datasets must be equal, whatever expired meanwhile (the master's DELs are in the stream).
        for r in replicas:
            wait_for(lambda: offsets_equal(master, r), timeout=120, what="%s to catch up" % r.name)
        with master.client() as c:
            c.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for r in replicas:
            wait_for(lambda: offsets_equal(master, r), timeout=120, what="%s to catch up" % r.name)
        want = master.redis().execute_command("DEBUG", "DIGEST")
        print("keys", master.redis().info("keyspace"), "offset", master.redis().info("replication")["master_repl_offset"],
              "commands", master.redis().info("stats")["total_commands_processed"])
        assert int(master.redis().dbsize()) > 0
        for r in replicas:
            assert r.redis().execute_command("DEBUG", "DIGEST") == want, r.name
    finally:
        for r in replicas:
            r.stop()
        master.stop()
