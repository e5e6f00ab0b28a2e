"""The replication stream (the effects of commands) compared with Redis 7.0's, command by command.

A raw client attaches to each master with `PSYNC ? -1`, skips the RDB image, then the same commands run on
our server and on a real redis-server 7.0; the commands each master streams are read back up to a marker write
and compared. Only what must differ is normalised: absolute Unix-ms times computed from relative TTLs are
compared within a tolerance, and the master's periodic `PING`s (and `REPLCONF GETACK`) are dropped.
"""

import time

import pytest

from conftest import ServerProcess, ours_binary, real_binary
from resp import decode

DEADLINE = 10.0
TIME_TOLERANCE_MS = 5000
MASTER_ARGS = ["--repl-ping-replica-period", "3600", "--repl-diskless-sync", "no", "--repl-timeout", "3600"]


def wait_for(predicate, timeout=DEADLINE, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


class StreamTap(object):
    """A master plus a fake replica reading its replication stream, and a client to drive it."""

    def __init__(self, srv):
        self.srv = srv
        self.client = srv.client()
        self.marks = 0
        self.tap = srv.client()
        self.tap.send("PSYNC", "?", "-1")
        while True:
            b = self.tap._peek_byte()
            if b == ord("\n"):
                self.tap._exact(1)
            elif b == ord("+"):
                assert self.tap._line().startswith(b"+FULLRESYNC")
            elif b == ord("$"):
                n = int(self.tap._line()[1:-2])
                self.tap._exact(n)
                break
            else:
                raise AssertionError("unexpected byte %r before the image" % chr(b))

    def run(self, *args):
        return decode(self.client.call(*args))

    def effects(self):
        """The commands streamed since the last call, up to a marker write made on a fresh connection."""
        self.marks += 1
        mark = b"%d" % self.marks
        with self.srv.client() as c:
            assert c.call("SET", "__mark__", mark) == b"+OK\r\n"
        out = []
        for _ in range(100000):
            cmd = decode(self.tap.read_reply())
            assert isinstance(cmd, list), "stream item is not a command: %r" % (cmd,)
            if cmd == [b"SET", b"__mark__", mark]:
                if out and out[-1][0].upper() == b"SELECT":
                    out.pop()  # the marker's own SELECT
                return out
            if cmd[0].upper() == b"PING" or (cmd[0].upper() == b"REPLCONF" and len(cmd) > 1
                                            and cmd[1].upper() == b"GETACK"):
                continue
            out.append(cmd)
        raise AssertionError("marker not found in the stream")

    def close(self):
        self.client.close()
        self.tap.close()


class StreamPair(object):
    """The same commands on our master and a real one; their streams compared."""

    def __init__(self, ours, real):
        self.taps = [StreamTap(ours), StreamTap(real)]
        self.ours, self.real = self.taps

    def run(self, *args):
        replies = [t.run(*args) for t in self.taps]
        return replies

    def run_all(self, commands):
        for cmd in commands:
            self.run(*cmd)

    def effects(self):
        return self.ours.effects(), self.real.effects()

    def assert_same_effects(self, loose=False):
        ours, real = self.effects()
        assert same_commands(ours, real, loose), "stream differs\n ours: %r\n real: %r" % (ours, real)
        return real


def is_time(arg):
    try:
        return int(arg) > 10 ** 12
    except ValueError:
        return False


def same_commands(ours, real, loose=False):
    """Equal command by command; absolute times within the tolerance; `loose` compares names and keys only."""
    if len(ours) != len(real):
        return False
    for a, b in zip(ours, real):
        if loose:
            if [x.upper() for x in a[:1]] + a[1:2] != [x.upper() for x in b[:1]] + b[1:2]:
                return False
            continue
        if len(a) != len(b) or a[0].upper() != b[0].upper():
            return False
        for x, y in zip(a[1:], b[1:]):
            if x == y:
                continue
            if is_time(x) and is_time(y) and abs(int(x) - int(y)) < TIME_TOLERANCE_MS:
                continue
            return False
    return True


@pytest.fixture
def pair():
    servers = [ServerProcess(ours_binary(), "ours-master", MASTER_ARGS),
               ServerProcess(real_binary(), "real-master", MASTER_ARGS)]
    try:
        for s in servers:
            s.start()
        p = StreamPair(*servers)
        yield p
        for t in p.taps:
            t.close()
    finally:
        for s in servers:
            s.stop()


def blocked_count(tap):
    info = tap.run("INFO", "clients").decode()
    for line in info.splitlines():
        if line.startswith("blocked_clients:"):
            return int(line.split(":")[1])
    return 0


def block_then_push(pair, block, setup=(), push=()):
    """Parks a client in `block` on each server, waits until it is blocked, then runs `push`."""
    for cmd in setup:
        pair.run(*cmd)
    waiters = []
    for t in pair.taps:
        w = t.srv.client()
        w.send(*block)
        wait_for(lambda: blocked_count(t) == 1, what="the client to block")
        waiters.append(w)
    for cmd in push:
        pair.run(*cmd)
    replies = [decode(w.read_reply()) for w in waiters]
    for w in waiters:
        w.close()
    return replies


# -- plain writes of every family -----------------------------------------------------------------------------

PLAIN_WRITES = {
    "strings": [["SET", "s", "1"], ["APPEND", "s", "x"], ["SETRANGE", "s", "5", "y"], ["INCR", "n"],
                ["INCRBY", "n", "5"], ["DECR", "n"], ["DECRBY", "n", "2"], ["MSET", "a", "1", "b", "2"],
                ["MSETNX", "c", "3", "d", "4"], ["SETNX", "e", "5"], ["GETSET", "e", "6"], ["GETDEL", "e"],
                ["SET", "f", "1", "GET"], ["SET", "f", "2", "NX"], ["SET", "f", "3", "XX", "KEEPTTL"]],
    "keys": [["SET", "a", "1"], ["SET", "b", "2"], ["DEL", "a", "zz"], ["UNLINK", "b"], ["SET", "c", "1"],
             ["RENAME", "c", "d"], ["RENAMENX", "d", "e"], ["COPY", "e", "f"], ["COPY", "e", "f", "REPLACE"],
             ["MOVE", "f", "3"], ["COPY", "e", "g", "DB", "4"], ["TOUCH", "e"]],
    "lists": [["RPUSH", "l", "a", "b", "c"], ["LPUSH", "l", "z"], ["LPUSHX", "l", "y"], ["RPUSHX", "l", "x"],
              ["LINSERT", "l", "BEFORE", "a", "q"], ["LSET", "l", "0", "w"], ["LREM", "l", "1", "q"],
              ["LTRIM", "l", "0", "4"], ["LPOP", "l"], ["RPOP", "l", "2"], ["RPOPLPUSH", "l", "m"],
              ["LMOVE", "l", "m", "LEFT", "RIGHT"], ["LMPOP", "2", "l", "m", "LEFT", "COUNT", "5"]],
    "hashes": [["HSET", "h", "a", "1", "b", "2"], ["HSETNX", "h", "c", "3"], ["HMSET", "h", "d", "4"],
               ["HINCRBY", "h", "a", "10"], ["HDEL", "h", "b", "zz"]],
    "sets": [["SADD", "s", "a", "b", "c"], ["SREM", "s", "a"], ["SMOVE", "s", "t", "b"],
             ["SADD", "u", "c", "d"], ["SINTERSTORE", "i", "s", "u"], ["SUNIONSTORE", "n", "s", "u"],
             ["SDIFFSTORE", "d", "u", "s"]],
    "zsets": [["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZINCRBY", "z", "5", "a"], ["ZREM", "z", "b"],
              ["ZADD", "y", "1", "c"], ["ZUNIONSTORE", "u", "2", "z", "y"], ["ZINTERSTORE", "i", "2", "z", "y"],
              ["ZRANGESTORE", "r", "z", "0", "-1"], ["ZREMRANGEBYRANK", "u", "0", "0"],
              ["ZPOPMIN", "z"], ["ZPOPMAX", "z", "5"], ["ZMPOP", "1", "u", "MIN", "COUNT", "3"]],
}


@pytest.mark.parametrize("family", sorted(PLAIN_WRITES))
def test_plain_writes_stream_as_redis(pair, family):
    pair.run_all(PLAIN_WRITES[family])
    pair.assert_same_effects()


def test_select_changes_emit_select_before_the_next_effect(pair):
    pair.run_all([["SET", "a", "1"], ["SELECT", "5"], ["SET", "a", "2"], ["SET", "b", "2"], ["SELECT", "0"],
                  ["GET", "a"], ["SELECT", "9"], ["INCR", "c"]])
    pair.assert_same_effects()


def test_relative_expiries_stream_as_absolute_times(pair):
    pair.run_all([["SET", "a", "1", "EX", "100"], ["SET", "b", "1", "PX", "100000"], ["SETEX", "c", "100", "v"],
                  ["PSETEX", "d", "100000", "v"], ["EXPIRE", "a", "200"], ["PEXPIRE", "b", "200000"],
                  ["EXPIREAT", "c", "4000000000"], ["PEXPIREAT", "d", "4000000000000"], ["EXPIRE", "a", "300", "GT"],
                  ["PERSIST", "a"], ["PERSIST", "a"], ["GETEX", "b", "EX", "50"], ["GETEX", "b", "PERSIST"],
                  ["GETEX", "c", "PXAT", "4100000000000"], ["GETEX", "d"], ["SET", "e", "1", "EXAT", "4000000000"]])
    pair.assert_same_effects()


def test_expire_in_the_past_streams_a_delete(pair):
    pair.run_all([["SET", "a", "1"], ["EXPIRE", "a", "-1"], ["SET", "b", "1"], ["GETEX", "b", "PXAT", "1"]])
    pair.assert_same_effects()


def test_float_increments_stream_their_results(pair):
    pair.run_all([["SET", "f", "1.5", "EX", "100"], ["INCRBYFLOAT", "f", "0.1"], ["INCRBYFLOAT", "g", "3"],
                  ["HINCRBYFLOAT", "h", "x", "1.25"], ["HINCRBYFLOAT", "h", "x", "1e3"]])
    pair.assert_same_effects()


def test_spop_of_one_member_streams_srem(pair):
    pair.run_all([["SADD", "s", "a"], ["SPOP", "s"], ["SADD", "t", "a", "b"], ["SPOP", "t", "0"]])
    pair.assert_same_effects()


def test_spop_of_the_whole_set_streams_a_delete(pair):
    pair.run_all([["SADD", "s", "a", "b", "c"], ["SPOP", "s", "10"]])
    pair.assert_same_effects()


def test_spop_of_some_members_streams_one_srem_each(pair):
    pair.run_all([["SADD", "s", "a", "b", "c", "d", "e"], ["SPOP", "s", "3"]])
    pair.assert_same_effects(loose=True)


def test_srandmember_streams_nothing(pair):
    pair.run_all([["SADD", "s", "a", "b"]])
    pair.effects()
    pair.run_all([["SRANDMEMBER", "s"], ["SRANDMEMBER", "s", "-5"]])
    assert pair.assert_same_effects() == []


def test_multi_exec_streams_the_writes_wrapped(pair):
    pair.run_all([["MULTI"], ["SET", "a", "1"], ["INCR", "b"], ["GET", "a"], ["EXEC"]])
    pair.assert_same_effects()


def test_multi_exec_with_one_write_streams_as_redis(pair):
    pair.run_all([["MULTI"], ["SET", "a", "1"], ["GET", "a"], ["EXEC"]])
    pair.assert_same_effects()


def test_multi_exec_of_reads_only_streams_nothing(pair):
    pair.run_all([["MULTI"], ["GET", "a"], ["EXEC"]])
    assert pair.assert_same_effects() == []


def test_multi_exec_with_a_failing_command_streams_the_others(pair):
    pair.run_all([["SET", "a", "1"], ["MULTI"], ["SET", "b", "1"], ["LPUSH", "a", "x"], ["INCR", "c"], ["EXEC"]])
    pair.assert_same_effects()


def test_multi_exec_changing_database_streams_selects_inside(pair):
    pair.run_all([["MULTI"], ["SET", "a", "1"], ["SELECT", "3"], ["SET", "a", "2"], ["EXEC"]])
    pair.assert_same_effects()


def test_blpop_woken_by_a_push_streams_push_then_pop(pair):
    replies = block_then_push(pair, ["BLPOP", "l", "0"], push=[["RPUSH", "l", "a", "b"]])
    assert replies[0] == replies[1]
    pair.assert_same_effects()


def test_brpoplpush_woken_by_a_push_streams_push_then_move(pair):
    block_then_push(pair, ["BRPOPLPUSH", "l", "d", "0"], push=[["LPUSH", "l", "a"]])
    pair.assert_same_effects()


def test_blmove_woken_by_a_push_streams_push_then_move(pair):
    block_then_push(pair, ["BLMOVE", "l", "d", "LEFT", "RIGHT", "0"], push=[["RPUSH", "l", "a", "b"]])
    pair.assert_same_effects()


def test_bzpopmin_woken_by_an_add_streams_add_then_pop(pair):
    block_then_push(pair, ["BZPOPMIN", "z", "0"], push=[["ZADD", "z", "1", "a", "2", "b"]])
    pair.assert_same_effects()


def test_blmpop_woken_by_a_push_streams_push_then_pop(pair):
    block_then_push(pair, ["BLMPOP", "0", "2", "x", "l", "RIGHT", "COUNT", "2"], push=[["RPUSH", "l", "a", "b", "c"]])
    pair.assert_same_effects()


def test_blpop_woken_inside_multi_streams_the_transaction_then_the_pop(pair):
    block_then_push(pair, ["BLPOP", "l", "0"], push=[["MULTI"], ["RPUSH", "l", "a"], ["SET", "k", "v"], ["EXEC"]])
    pair.assert_same_effects()


def test_lazily_expired_key_streams_a_delete(pair):
    pair.run_all([["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "a", "1", "PX", "30"]])
    pair.effects()
    for t in pair.taps:
        wait_for(lambda: t.run("EXISTS", "a") == 0, what="the key to expire")
    pair.assert_same_effects()


def test_lazily_expired_key_streams_unlink_with_lazyfree_lazy_expire(pair):
    pair.run_all([["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["CONFIG", "SET", "lazyfree-lazy-expire", "yes"],
                  ["SET", "a", "1", "PX", "30"]])
    pair.effects()
    for t in pair.taps:
        wait_for(lambda: t.run("GET", "a") is None, what="the key to expire")
    pair.assert_same_effects()


def test_actively_expired_key_streams_a_delete(pair):
    pair.run_all([["SELECT", "2"], ["SET", "a", "1", "PX", "30"]])
    pair.effects()
    for t in pair.taps:
        wait_for(lambda: t.run("DBSIZE") == 0, what="the active cycle to expire the key")
    pair.assert_same_effects()


@pytest.mark.parametrize("flush", [["FLUSHALL"], ["FLUSHALL", "ASYNC"], ["FLUSHALL", "SYNC"], ["FLUSHDB"],
                                   ["FLUSHDB", "ASYNC"]])
def test_flushes_stream_as_redis(pair, flush):
    pair.run_all([["SET", "a", "1"], ["SELECT", "1"], flush, flush])
    pair.assert_same_effects()


def test_swapdb_streams_as_redis(pair):
    pair.run_all([["SET", "a", "1"], ["SWAPDB", "0", "1"], ["SWAPDB", "1", "1"]])
    pair.assert_same_effects()


def test_sort_store_streams_as_redis(pair):
    pair.run_all([["RPUSH", "l", "3", "1", "2"], ["SORT", "l", "STORE", "d"], ["SORT", "l", "LIMIT", "0", "1"],
                  ["SORT", "missing", "STORE", "d"]])
    pair.assert_same_effects()


def test_publish_streams_as_redis(pair):
    pair.run_all([["SELECT", "4"], ["PUBLISH", "ch", "hello"], ["SET", "a", "1"], ["PUBLISH", "ch", "again"]])
    pair.assert_same_effects()


NO_OPS = [["DEL", "missing"], ["UNLINK", "missing"], ["SREM", "s", "zz"], ["HDEL", "h", "zz"], ["ZREM", "z", "zz"],
          ["LREM", "l", "0", "zz"], ["EXPIRE", "missing", "10"], ["PERSIST", "s"], ["SETNX", "s2", "x"],
          ["SET", "s2", "y", "NX"], ["LPUSHX", "missing", "a"], ["SMOVE", "missing", "s", "a"],
          ["RENAMENX", "s2", "s"], ["SINTERSTORE", "s", "missing"], ["LPOP", "missing"], ["ZPOPMIN", "missing"],
          ["GETDEL", "missing"], ["INCRBYFLOAT", "s2", "1"], ["COPY", "missing", "x"], ["MOVE", "missing", "1"]]


def test_no_op_writes_stream_nothing(pair):
    pair.run_all([["SADD", "s", "a"], ["HSET", "h", "a", "1"], ["ZADD", "z", "1", "a"], ["RPUSH", "l", "a"],
                  ["SET", "s2", "x"]])
    pair.effects()
    pair.run_all(NO_OPS)
    ours, real = pair.effects()
    assert ours == real


@pytest.mark.parametrize("write", [["INCR", "a"], ["SET", "a", "2"], ["RPUSH", "l", "x"], ["DEL", "a", "l"]])
def test_write_meeting_a_lazily_expired_key_streams_its_delete_with_it(pair, write):
    pair.run_all([["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "a", "1", "PX", "30"], ["RPUSH", "l", "a"],
                  ["PEXPIRE", "l", "30"]])
    pair.effects()
    until = time.time() + 0.06
    wait_for(lambda: time.time() > until, what="the TTLs to pass")
    pair.run(*write)
    pair.assert_same_effects()


def test_transaction_meeting_a_lazily_expired_key_streams_as_redis(pair):
    pair.run_all([["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "a", "1", "PX", "30"]])
    pair.effects()
    until = time.time() + 0.06
    wait_for(lambda: time.time() > until, what="the TTL to pass")
    pair.run_all([["MULTI"], ["SET", "b", "1"], ["INCR", "a"], ["EXEC"]])
    pair.assert_same_effects()


def test_blocking_commands_served_at_once_stream_their_plain_forms(pair):
    pair.run_all([["RPUSH", "l", "a", "b", "c", "d", "e"], ["BLPOP", "l", "0"], ["BRPOP", "l", "0"],
                  ["BLMOVE", "l", "d", "Left", "rIGHT", "0"], ["BRPOPLPUSH", "l", "d", "0"],
                  ["BLMPOP", "0", "1", "l", "LEFT"], ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
                  ["BZPOPMIN", "z", "0"], ["BZPOPMAX", "z", "0"], ["BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"]])
    pair.assert_same_effects()


def test_bzpopmax_and_bzmpop_woken_stream_as_redis(pair):
    block_then_push(pair, ["BZPOPMAX", "z", "0"], push=[["ZADD", "z", "1", "a", "2", "b"]])
    block_then_push(pair, ["BZMPOP", "0", "1", "y", "MAX", "COUNT", "2"], push=[["ZADD", "y", "1", "a", "2", "b"]])
    block_then_push(pair, ["BRPOP", "q", "0"], push=[["LPUSH", "q", "a", "b"]])
    pair.assert_same_effects()


def test_one_push_waking_two_clients_streams_each_pop_on_its_own(pair):
    waiters = []
    for t in pair.taps:
        for _ in range(2):
            w = t.srv.client()
            w.send("BLPOP", "l", "0")
            waiters.append(w)
        wait_for(lambda: blocked_count(t) == 2, what="two clients to block")
    pair.run("RPUSH", "l", "a", "b", "c")
    for w in waiters:
        w.read_reply()
        w.close()
    pair.assert_same_effects()


def test_publish_inside_multi_streams_as_redis(pair):
    pair.run_all([["MULTI"], ["PUBLISH", "ch", "m"], ["EXEC"], ["MULTI"], ["PUBLISH", "ch", "m"], ["SET", "a", "1"],
                  ["EXEC"]])
    pair.assert_same_effects()
