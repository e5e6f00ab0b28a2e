"""What scripts and functions stream to replicas, compared with Redis 7.0's stream (see test_effects_stream_diff):
a script's writes as MULTI ... EXEC of its effects (none if it wrote nothing), FUNCTION LOAD/DELETE/FLUSH/RESTORE
as themselves."""

import pytest

from conftest import ServerProcess, ours_binary, real_binary
from test_effects_stream_diff import MASTER_ARGS, StreamPair


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


@pytest.mark.parametrize("script", [
    "redis.call('set', 'a', '1'); redis.call('incr', 'b'); return 1",
    "return redis.call('set', 'a', '1')",
    "return redis.call('get', 'a')",
    "redis.call('set', 'a', '1'); redis.call('select', 3); redis.call('set', 'a', '2')",
    "redis.call('set', 'a', '1'); redis.pcall('lpush', 'a', 'x'); redis.call('incr', 'n')",
    "redis.call('set', 'a', '1'); redis.call('expire', 'a', 100)",
    "redis.call('sadd', 's', 'x'); redis.call('spop', 's')",
    "redis.call('set', 'f', '1.5'); redis.call('incrbyfloat', 'f', '1')",
    "redis.set_repl(redis.REPL_NONE); redis.call('set', 'a', '1'); redis.set_repl(redis.REPL_ALL); redis.call('set', 'b', '2')",
    "redis.call('set', 'x', 'y'); error('fails after writing')",
])
def test_script_effects_stream_as_redis(pair, script):
    pair.run("EVAL", script, 0)
    pair.assert_same_effects()


def test_evalsha_streams_the_same_effects(pair):
    sha = pair.run("SCRIPT", "LOAD", "redis.call('set', 'a', '1'); redis.call('set', 'b', '2')")[1].decode()
    pair.run("EVALSHA", sha, 0)
    pair.run("EVAL", "redis.call('set', 'a', '1'); redis.call('set', 'b', '2')", 0)
    pair.assert_same_effects()


def test_script_inside_multi_streams_as_redis(pair):
    pair.run_all([["MULTI"], ["SET", "x", "1"], ["EVAL", "redis.call('set', 'a', '1'); redis.call('set', 'b', '2')", "0"],
                  ["EXEC"]])
    pair.assert_same_effects()


def test_function_changes_stream_as_themselves(pair):
    lib = "#!lua name=lib\nredis.register_function('w', function(k, a) redis.call('set', k[1], a[1]); return redis.call('incr', 'n') end)"
    pair.run("FUNCTION", "LOAD", lib)
    pair.run("FCALL", "w", 1, "k", "v")
    pair.run("FUNCTION", "DELETE", "lib")
    pair.run("FUNCTION", "LOAD", lib)
    pair.run("FUNCTION", "FLUSH")
    pair.assert_same_effects()


def test_script_effects_reach_a_replica(server_factory):
    master = server_factory("ours")
    replica = server_factory("ours", "--replicaof", "127.0.0.1", str(master.port))
    import time
    with master.client() as m, replica.client() as r:
        m.call("EVAL", "redis.call('set', 'a', '1'); redis.call('rpush', 'l', 'x', 'y'); return 1", 0)
        m.call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 7 end, flags={'no-writes'}}")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if r.call("LRANGE", "l", 0, -1) == b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n" and r.call("FCALL", "f", 0) == b":7\r\n":
                break
            time.sleep(0.05)
        assert r.call("GET", "a") == b"$1\r\n1\r\n"
        assert r.call("FCALL", "f", 0) == b":7\r\n"
