"""Hostile scripts: each fails cleanly (an error reply or a bounded result) and the server keeps serving.

Run against our server only (some of these crash or hang real Redis 7.0, e.g. `error({})`); a `lua-memory-limit`
and a short `busy-reply-threshold` bound the ones that would otherwise eat memory or time.
"""

import threading
import time

import pytest

from resp import decode

HOSTILE = [
    # escaping the sandbox
    "return io.open('/etc/passwd')", "return os.execute('true')", "return require('os')", "return package.loaded",
    "return debug.getinfo(1)", "return dofile('/etc/passwd')", "return loadfile('/etc/passwd')",
    "return load(string.dump(function() return 1 end))", "return loadstring(string.dump(function() return 1 end))",
    "return load('\\27Lua')", "return getmetatable('').__index.rep", "getmetatable('').__index = nil",
    "return setmetatable(_G, {})", "rawset(redis, 'call', nil)", "rawset(string, 'rep', nil)",
    "redis.call = function() return 1 end", "string.rep = nil", "_G.redis = nil", "KEYS = nil; return 1",
    "return setmetatable({}, {__gc = function() while true do end end})",
    "local t = setmetatable({}, {__index = function(t, k) error('boom') end}); return t",
    "return error(setmetatable({}, {__index = function() error('x') end}))",
    "return error(setmetatable({err = 'X y'}, {__tostring = function() error('y') end}))",
    "error({})", "error({err = 5})", "error({err = {}})", "error(setmetatable({}, {__tostring = function() return {} end}))",
    "return {err = setmetatable({}, {})}", "local t = {}; t[1] = t; return t",
    "local t = {}; for i = 1, 600 do t = {t} end; return t",
    # resources
    "local function f() f() end; f()",
    "return string.rep('x', 2^40)", "local t = {}; for i = 1, 1e9 do t[i] = i end",
    "local s = 'x'; for i = 1, 60 do s = s .. s end; return #s",
    "return string.format('%99999999d', 1)", "return ('x'):rep(1e8):len()",
    "collectgarbage('stop'); local t = {}; for i = 1, 1e8 do t[i] = {} end",
    "return pcall(string.rep, 'x', -1)", "return select(-1)", "return table.concat({}, 'x', 1, 2^31)",
    "return redis.call(string.rep('x', 100000))", "return redis.call('set', 'k', string.rep('v', 1e7))",
    "return tostring(setmetatable({}, {__tostring = function() return 5 end}))",
    "return coroutine.wrap(function() redis.call('set', 'k', 'v') end)()",
    "redis.setresp(3); return redis.call('hello', '2')",
]


@pytest.fixture(scope="module")
def bounded(server_factory):
    return server_factory("ours", "--lua-memory-limit", "64mb", "--busy-reply-threshold", "100")


@pytest.mark.parametrize("script", HOSTILE)
def test_hostile_script_fails_cleanly_and_the_server_keeps_serving(bounded, script):
    with bounded.client(timeout=30) as c:
        reply = c.call("EVAL", script, 0)
        assert reply[:1] in b"-:$*+_", reply[:200]
        assert c.call("PING") == b"+PONG\r\n"
        assert c.call("SET", "alive", "1") == b"+OK\r\n"
        assert c.call("EVAL", "return redis.call('get', 'alive')", 0) == b"$1\r\n1\r\n"
    assert bounded.alive()


def run_killing_after(server, script):
    """Runs `script`, killing it with SCRIPT KILL from a fresh connection once it is busy."""
    from test_scripting_busy import wait_busy
    result = {}

    def runner():
        with server.client(timeout=60) as c:
            result["reply"] = c.call("EVAL", script, 0)

    t = threading.Thread(target=runner)
    t.start()
    wait_busy(server)
    with server.client(timeout=10) as k:
        assert k.call("SCRIPT", "KILL") == b"+OK\r\n"
    t.join(30)
    assert not t.is_alive()
    return result["reply"]


@pytest.mark.parametrize("script", [
    "while true do end", "local ok = pcall(function() while true do end end); while true do end",
    "while true do pcall(function() while true do end end) end",
    "local co = coroutine.wrap(function() while true do end end); co()",
    "local function f() return f() end; return f()",
    "while true do local ok, e = pcall(redis.call, 'ping') end",
])
def test_endless_scripts_are_killed_and_pcall_cannot_swallow_the_kill(bounded, script):
    reply = run_killing_after(bounded, script)
    assert reply.startswith(b"-ERR Script killed by user with SCRIPT KILL..."), reply
    with bounded.client() as c:
        assert c.call("PING") == b"+PONG\r\n"


def test_memory_limit_fails_the_script_and_frees_the_memory(bounded):
    with bounded.client(timeout=30) as c:
        reply = c.call("EVAL", "local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 100) .. i end", 0)
        assert reply.startswith(b"-"), reply
        assert b"not enough memory" in reply
        assert c.call("EVAL", "return 'after'", 0) == b"$5\r\nafter\r\n"
        info = decode(c.call("INFO", "memory")).decode()
        lua = [l for l in info.splitlines() if l.startswith("used_memory_lua:")][0]
        assert int(lua.split(":")[1]) < 64 * 1024 * 1024


@pytest.mark.parametrize("body", ["while true do end", "local function f() return f() end f()",
                                  "while true do pcall(function() while true do end end) end"])
def test_endless_library_body_times_out_on_function_load(bounded, body):
    with bounded.client(timeout=30) as c:
        reply = c.call("FUNCTION", "LOAD", "#!lua name=spin\n" + body)
        assert reply.startswith(b"-ERR Error registering functions: ERR FUNCTION LOAD timeout"), reply
        assert c.call("PING") == b"+PONG\r\n"
        assert c.call("FUNCTION", "LIST") == b"*0\r\n"


def test_hostile_scripts_in_random_order_leave_a_working_server(bounded):
    """The hostile scripts again, shuffled, on one connection: none may poison the state for the next."""
    import random
    rnd = random.Random(5)
    scripts = list(HOSTILE)
    rnd.shuffle(scripts)
    with bounded.client(timeout=60) as c:
        for script in scripts:
            reply = c.call("EVAL", script, 0)
            assert reply[:1] in b"-:$*+_", (script, reply[:200])
        assert c.call("EVAL", "return redis.call('ping')", 0) == b"+PONG\r\n"
        assert c.call("EVAL", "x = 1", 0).startswith(b"-ERR user_script:1: Attempt to modify a readonly table")
