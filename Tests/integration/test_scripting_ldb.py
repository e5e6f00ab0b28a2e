"""The Lua debugger (SCRIPT DEBUG, `redis-cli --ldb-sync-mode`) against a real redis-server 7.0.

Each test drives real `redis-cli --ldb-sync-mode --eval script.lua key , arg` through a pty (pexpect) against
both servers with the same debugger commands, and compares the two transcripts (what redis-cli prints: the
debugger's log lines, the script's reply, the end-of-session message). Only SYNC sessions are compared: Redis
forks for SCRIPT DEBUG YES, which we refuse (docs/SCRIPTING.md).
"""

import os
import re

import pytest

pexpect = pytest.importorskip("pexpect")

PROMPTS = [re.escape("lua debugger> "), r"127\.0\.0\.1:\d+> ", pexpect.EOF]


def transcript(server, tmp_path, script, commands, keys=("k1",), args=("a1",), sync=True):
    """What redis-cli shows for a debugging session of `script` driven by `commands`."""
    path = tmp_path / ("%s.lua" % server.name)
    path.write_text(script)
    argv = ["-p", str(server.port), "--no-raw", "--ldb-sync-mode" if sync else "--ldb", "--eval", str(path)]
    argv += list(keys) + [","] + list(args)
    child = pexpect.spawn("redis-cli", argv, encoding="utf-8", timeout=60, env=dict(os.environ, TERM="dumb"))
    try:
        out = []
        i = child.expect(PROMPTS)
        out.append(child.before)
        for cmd in commands:
            if i != 0:
                break
            child.sendline(cmd)
            i = child.expect(PROMPTS)
            out.append("%s => %s" % (cmd, child.before))
        out.append(["[in debugger]", "[session ended]", "[eof]"][i])
        if i != 2:
            child.sendline("quit")
            child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    return "\n".join(out).replace("\r", "").replace(str(server.port), "PORT")


def same_session(ours, real, tmp_path, script, commands, **kw):
    o = transcript(ours, tmp_path, script, commands, **kw)
    r = transcript(real, tmp_path, script, commands, **kw)
    assert o == r, "transcripts differ\n--- ours ---\n%s\n--- real ---\n%s" % (o, r)
    return o


SIMPLE = """local a = 1
local b = redis.call('set', KEYS[1], ARGV[1])
local t = {1, 2, 'x'}
redis.debug('hello', a, t)
return redis.call('get', KEYS[1])
"""

FUNCTION = """local function f(x)
  local y = x * 2
  redis.breakpoint()
  return y + 1
end
local s = 'a\\nb"c'
local r = f(20)
redis.call('incr', 'cnt')
return {r, s}
"""


def test_ldb_steps_line_by_line_and_prints_locals(ours, real, tmp_path):
    out = same_session(ours, real, tmp_path, SIMPLE, ["s", "p", "s", "p", "s", "p a", "p t", "s", "s"])
    assert "<redis> set k1 a1" in out and "(Lua debugging session ended)" in out


def test_ldb_next_is_step(ours, real, tmp_path):
    same_session(ours, real, tmp_path, SIMPLE, ["n", "next", "step", "n", "n", "n"])


def test_ldb_list_and_whole_show_the_source(ours, real, tmp_path):
    same_session(ours, real, tmp_path, FUNCTION, ["l", "l 3 1", "l 0", "list 7 0", "l 99", "w", "whole", "l -2 2"])


def test_ldb_breakpoints_are_added_listed_removed_and_hit(ours, real, tmp_path):
    same_session(ours, real, tmp_path, SIMPLE,
                 ["b", "b 5", "b", "b -5", "b", "b -5", "b 99", "b x", "b 3 4", "b 3", "c", "b 0", "b", "c"])


def test_ldb_redis_breakpoint_stops_and_trace_shows_the_calls(ours, real, tmp_path):
    same_session(ours, real, tmp_path, FUNCTION, ["c", "t", "p", "p x", "p y", "p KEYS", "p ARGV", "p nosuch", "c"])


def test_ldb_eval_runs_code_in_another_frame(ours, real, tmp_path):
    same_session(ours, real, tmp_path, SIMPLE,
                 ["e 1 + 1", "e {1, 2, {a = 1}}", "e 'str\\n' .. 'x'", "eval error('boom')", "e local z = 5",
                  "e true", "e nil", "e a", "e 2.5", "e {['k'] = 'v'}", "e KEYS"])


def test_ldb_redis_runs_commands_and_logs_replies(ours, real, tmp_path):
    same_session(ours, real, tmp_path, SIMPLE,
                 ["r set foo bar", "redis get foo", "r incr foo", "r nosuchcmd", "r set", "r rpush l a b c",
                  "r lrange l 0 -1", "r get nokey", "r hset h f v", "r hgetall h", "r ping", "r"])


def test_ldb_maxlen_trims_long_values_once_hinted(ours, real, tmp_path):
    same_session(ours, real, tmp_path, SIMPLE,
                 ["e string.rep('x', 300)", "e string.rep('w', 300)", "m", "m 10", "e string.rep('y', 100)",
                  "maxlen 100", "e string.rep('y', 150)", "m 0", "e string.rep('z', 300)", "m"])


def test_ldb_help_and_unknown_commands(ours, real, tmp_path):
    same_session(ours, real, tmp_path, SIMPLE, ["h", "help", "zzz", "x y z"])


def test_ldb_abort_ends_the_script_and_keeps_its_changes(ours, real, tmp_path):
    out = same_session(ours, real, tmp_path, SIMPLE, ["s", "s", "a"])
    assert "script aborted for user request" in out
    assert ours.client().call("GET", "k1") == real.client().call("GET", "k1") == b"$2\r\na1\r\n"


def test_ldb_nested_command_errors_show_while_stepping(ours, real, tmp_path):
    script = "redis.call('set', 'x', '1')\nlocal v = redis.pcall('lpush', 'x', 'y')\nredis.call('lpush', 'x', 'z')\nreturn v\n"
    same_session(ours, real, tmp_path, script, ["s", "s", "e v.err", "s", "s"])


def test_ldb_quit_lets_the_script_finish_without_the_client(ours, real, tmp_path):
    same_session(ours, real, tmp_path, FUNCTION, ["s", "quit"])
    assert ours.client().call("GET", "cnt") == real.client().call("GET", "cnt") == b"$1\r\n1\r\n"


def test_ldb_continue_runs_to_the_end_and_shows_the_reply(ours, real, tmp_path):
    out = same_session(ours, real, tmp_path, SIMPLE, ["c"])
    assert "<debug> line 4:" in out


def test_ldb_compile_error_ends_the_session(ours, real, tmp_path):
    same_session(ours, real, tmp_path, "local x = = 1\n", [])


def test_ldb_runtime_error_ends_the_session(ours, real, tmp_path):
    same_session(ours, real, tmp_path, "local a = 1\nreturn redis.call('nosuch')\n", ["s", "s"])


def test_ldb_stops_an_endless_loop_past_the_busy_threshold(ours, real, tmp_path):
    script = "local i = 0\nwhile true do\n  i = i + 1\nend\n"
    outs = []
    for srv in (ours, real):
        srv.client().call("CONFIG", "SET", "busy-reply-threshold", "100")
        try:
            outs.append(transcript(srv, tmp_path, script, ["c", "a"]))
        finally:
            srv.client().call("CONFIG", "SET", "busy-reply-threshold", "5000")
    o, r = [re.sub(r"i = \d+", "i = N", x) for x in outs]
    assert o == r
    assert "stop reason = timeout reached, infinite loop?" in o


def test_ldb_sync_session_serves_only_its_client(ours, real, tmp_path):
    # While the session is stopped, another client's SET must not run before the script reads the key.
    script = "local before = 1\nreturn redis.call('get', 'flag')\n"
    results = []
    for srv in (ours, real):
        path = tmp_path / ("%s-only.lua" % srv.name)
        path.write_text(script)
        child = pexpect.spawn("redis-cli", ["-p", str(srv.port), "--no-raw", "--ldb-sync-mode", "--eval", str(path)],
                              encoding="utf-8", timeout=60, env=dict(os.environ, TERM="dumb"))
        other = srv.client(timeout=60)
        try:
            child.expect_exact("lua debugger> ")
            other.send("SET", "flag", "other")
            child.sendline("c")
            child.expect(PROMPTS)
            results.append(child.before.replace("\r", ""))
            assert other.read_reply() == b"+OK\r\n"
            child.sendline("quit")
            child.expect(pexpect.EOF)
        finally:
            child.close(force=True)
            other.close()
    assert results[0] == results[1]
    assert "(nil)" in results[0]


@pytest.mark.parametrize("args", [("SYNC",), ("sync",), ("NO",), ("no",), ("maybe",), ("",), ("SYNC", "x"), ()])
def test_script_debug_replies_as_redis(pair, args):
    pair.check("SCRIPT", "DEBUG", *args)
    pair.check("SCRIPT", "DEBUG", "NO")


def test_script_debug_in_multi_is_refused_at_exec(pair):
    pair.check("MULTI")
    pair.check("SCRIPT", "DEBUG", "SYNC")
    pair.check("EXEC")
    pair.check("EVAL", "return 1", "0")


def test_script_debug_pipelined_behind_a_command_is_refused(ours, real):
    replies = []
    for srv in (ours, real):
        c = srv.client()
        c.send_raw(b"PING\r\nSCRIPT DEBUG SYNC\r\nSCRIPT DEBUG NO\r\n")
        replies.append([c.read_reply() for _ in range(3)])
        c.close()
    assert replies[0] == replies[1]


def test_evalsha_is_refused_while_debugging(pair):
    sha = pair.check("SCRIPT", "LOAD", "return 1").split(b"\r\n")[1].decode()
    pair.check("SCRIPT", "DEBUG", "SYNC")
    pair.check("EVALSHA", sha, "0")
    pair.check("EVALSHA", "abc", "0")
    pair.check("EVALSHA_RO", sha, "0")
    pair.check("SCRIPT", "DEBUG", "NO")
    pair.check("EVALSHA", sha, "0")


def test_script_debug_no_ends_debugging(pair):
    pair.check("SCRIPT", "DEBUG", "SYNC")
    pair.check("SCRIPT", "DEBUG", "NO")
    pair.check("EVAL", "return redis.breakpoint()", "0")
    pair.check("EVAL", "redis.debug('x') return 1", "0")


def test_forked_debugging_is_refused_and_runs_nothing(ours, tmp_path):
    # SCRIPT DEBUG YES forks in Redis (changes rolled back); we cannot fork, so neither it nor the EVAL runs.
    c = ours.client()
    reply = c.call("SCRIPT", "DEBUG", "YES")
    assert reply.startswith(b"-ERR SCRIPT DEBUG YES") and b"SYNC" in reply
    assert c.call("EVAL", "return redis.call('set', 'forked', '1')", "0").startswith(b"-ERR SCRIPT DEBUG YES")
    assert c.call("SCRIPT", "DEBUG", "NO") == b"+OK\r\n"
    assert c.call("EXISTS", "forked") == b":0\r\n"
    out = transcript(ours, tmp_path, "return redis.call('set', 'forked', '1')", ["c"], sync=False)
    assert "SCRIPT DEBUG YES" in out
    assert ours.client().call("EXISTS", "forked") == b":0\r\n"
