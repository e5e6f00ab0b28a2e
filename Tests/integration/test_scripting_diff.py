"""EVAL / EVALSHA / SCRIPT against a real redis-server 7.0: replies compared byte for byte.

Conversions both ways (RESP2 and RESP3 callers, redis.setresp(3) inside), error texts and tables, pcall, the
script cache, shebang flags, the redis.* API and the cjson / bit libraries.
"""

import random

import pytest


@pytest.fixture
def sp(pair):
    """A pair with empty script caches and no function libraries."""
    pair.check("SCRIPT", "FLUSH")
    pair.check("FUNCTION", "FLUSH")
    yield pair


def evals(sp, script, *keys_and_args, numkeys=0):
    return sp.check("EVAL", script, numkeys, *keys_and_args)


# -- Lua -> RESP --------------------------------------------------------------------------------------------------

LUA_TO_RESP = [
    "return 1", "return -5", "return 0", "return 'hello'", "return ''", "return 3.99", "return -3.99",
    "return 2^53", "return 1e300", "return -1e300", "return 0/0", "return true", "return false", "return nil",
    "return {1, 2, 3, 'x', nil, 5}", "return {}", "return {{}}", "return {1, {2, {3, 'a'}}}",
    "return {true, false, 1.5, 'z'}", "return {ok='FINE'}", "return {ok='two\\r\\nlines'}",
    "return {err='My Error x'}", "return {err='x'}", "return redis.status_reply('S')",
    "return redis.error_reply('E r')", "return redis.error_reply('x')", "return redis.error_reply('-CODE text')",
    "return redis.error_reply('')", "return {double=3.5}", "return {double=-0.25}", "return {big_number='123456789012345678901234567890'}",
    "return {map={a=1}}", "return {set={a=true}}", "return {map={}}", "return {set={}}",
    "return {ok='a', err='b'}", "return {err=5}", "return {double='x'}", "return {1, ok='x'}",
    "return KEYS", "return ARGV", "return #KEYS + #ARGV", "return string.format('%d-%s', 5, 'x')",
    "return tostring(12)", "return tonumber('0x10')", "return math.floor(7.9)", "return string.rep('ab', 3)",
    "return table.concat({1, 2, 3}, ',')", "return select('#', 1, 2, 3)", "return type(redis)",
    "return redis.REDIS_VERSION", "return redis.REDIS_VERSION_NUM", "return redis.sha1hex('')",
    "return redis.sha1hex('abc')", "return redis.LOG_WARNING", "return redis.REPL_ALL",
]


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("script", LUA_TO_RESP)
def test_lua_value_converts_to_redis_reply(sp, script, protocol):
    sp.both("HELLO", protocol)
    evals(sp, script, "k1", "a1", "a2", numkeys=1)


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("script", [
    "redis.setresp(3); return true", "redis.setresp(3); return false", "redis.setresp(3); return {true, false}",
    "redis.setresp(3); return nil", "redis.setresp(2); return false",
])
def test_booleans_follow_the_scripts_resp_version(sp, script, protocol):
    sp.both("HELLO", protocol)
    evals(sp, script)


# -- RESP -> Lua --------------------------------------------------------------------------------------------------

SETUP = [("SET", "str", "v"), ("SET", "n", "10"), ("RPUSH", "l", "a", "b", "c"), ("HSET", "h", "f", "v"),
         ("SADD", "s1", "m"), ("ZADD", "z", "1.5", "a"), ("SET", "e", "")]

RESP_TO_LUA = [
    "return redis.call('get', 'str')", "return redis.call('get', 'nokey')", "return type(redis.call('get', 'nokey'))",
    "return tostring(redis.call('get', 'nokey'))", "return redis.call('incr', 'n')",
    "return type(redis.call('incr', 'n'))", "return redis.call('lrange', 'l', 0, -1)",
    "return redis.call('set', 'a', 'b')", "local t = redis.call('set', 'a', 'b'); return t.ok",
    "return type(redis.call('ping'))", "return redis.call('ping')", "return redis.call('hgetall', 'h')",
    "return redis.call('smembers', 's1')", "return redis.call('zscore', 'z', 'a')",
    "return redis.call('zrange', 'z', 0, -1, 'withscores')", "return redis.call('get', 'e')",
    "return redis.call('exists', 'str', 'nokey')", "return redis.call('mget', 'str', 'nokey', 'n')",
    "return #redis.call('mget', 'str', 'nokey', 'n')", "return redis.call('lpop', 'nolist')",
    "return redis.call('type', 'l')", "local t = redis.call('type', 'l'); return t.ok",
    "return redis.call('set', 'x', 1.5)", "redis.call('set', 'x', 1.5); return redis.call('get', 'x')",
    "redis.call('set', 'x', 10); return redis.call('get', 'x')", "redis.call('set', 'x', -0.5); return redis.call('get', 'x')",
    "return redis.call('object', 'encoding', 'l')", "return redis.call('config', 'get', 'maxmemory')",
    "return redis.call('GeT', 'str')", "return redis.pcall('get', 'str')",
    "return redis.call('blpop', 'nolist', 0)", "return redis.call('brpoplpush', 'nolist', 'x', 0)",
    "return redis.call('blpop', 'l', 0)", "return redis.call('get', 'n') + 1", "return redis.call('strlen', 'str')",
    "return redis.call('incrbyfloat', 'n', '1.5')", "return redis.call('hget', 'h', 'nofield')",
    "return redis.call('select', 100)", "return redis.pcall('select', 100)", "return redis.call('echo', '')",
    "return redis.call('getrange', 'str', 0, -1)", "return redis.call('ttl', 'str')", "return redis.call('dbsize')",
]
RESP3_TO_LUA = [
    "redis.setresp(3); return redis.call('hgetall', 'h')", "redis.setresp(3); return redis.call('get', 'nokey')",
    "redis.setresp(3); return type(redis.call('get', 'nokey'))", "redis.setresp(3); return redis.call('smembers', 's1')",
    "redis.setresp(3); return redis.call('zscore', 'z', 'a')",
    "redis.setresp(3); local r = redis.call('zscore', 'z', 'a'); return {type(r), tostring(r.double)}",
    "redis.setresp(3); local r = redis.call('hgetall', 'h'); return r.map.f",
    "redis.setresp(3); local r = redis.call('smembers', 's1'); return tostring(r.set.m)",
    "redis.setresp(3); return redis.call('lrange', 'l', 0, -1)", "redis.setresp(3); return redis.call('incr', 'n')",
    "redis.setresp(3); return redis.call('ping')", "redis.setresp(3); return redis.call('lpop', 'nolist')",
    "redis.setresp(3); return redis.call('zrange', 'z', 0, -1, 'withscores')",
]


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("script", RESP_TO_LUA + RESP3_TO_LUA)
def test_redis_reply_converts_to_lua_value(sp, script, protocol):
    sp.setup(*SETUP)
    sp.both("HELLO", protocol)
    evals(sp, script)


# -- errors -------------------------------------------------------------------------------------------------------

ERRORS = [
    "x = 1", "return y", "return redis.call('nosuch')", "return redis.call('get')", "return redis.call('get', 'a', 'b')",
    "return redis.pcall('nosuch')", "return redis.call()", "return redis.call({})", "return redis.call('get', nil)",
    "return redis.call('multi')", "return redis.call('eval', 'return 1', 0)", "return redis.call('subscribe', 'c')",
    "redis.call('set', 'a', 'b'); return redis.call('lpush', 'a', 'x')",
    "redis.call('set', 'a', 'b'); return redis.pcall('lpush', 'a', 'x')", "return error('boom')",
    "return error({err='FOO bar'})", "error('WRONGTYPE x', 0)", "error('foo', 0)", "error(nil)",
    "return redis.call('config')", "return redis.call('config', 'nosuch')", "return +",
    "return nil .. 'x'", "return #nil", "redis.foo = 1",
    "string.x = 1", "table.insert = nil", "_G.x = 1", "rawset(_G, 'x', 1)", "setmetatable(_G, nil)",
    "return redis.setresp(4)", "return redis.setresp()", "return redis.set_repl(99)", "return redis.log()",
    "return redis.log('x', 'y')", "return redis.log(99, 'y')", "return redis.sha1hex()", "return print",
    "return os", "return io", "return require", "return debug", "return dofile", "return loadfile", "return setfenv",
    "return getfenv", "return newproxy", "return module", "return redis.error_reply()", "return redis.status_reply(1)",
    "local ok, e = pcall(redis.call, 'nosuch'); error(e)", "local ok, e = pcall(redis.call, 'nosuch'); error(e, 0)",
    "return redis.call('set', 'a')", "return redis.call('get', {})", "return redis.call('get', true)",
    "return redis.call('auth', 'x')", "return redis.call('client', 'reply', 'off')",
]


@pytest.mark.parametrize("script", ERRORS)
def test_script_error_reply_matches_redis(sp, script):
    evals(sp, script)


def test_errors_are_counted_in_errorstats_as_redis_counts_them(sp):
    sp.check("CONFIG", "RESETSTAT")
    for script in ["return redis.call('nosuch')", "return redis.pcall('nosuch')", "return error('x')",
                   "redis.call('set', 'a', 'b'); return redis.call('lpush', 'a', 'x')",
                   "return redis.error_reply('MINE x')", "return {err='OTHER y'}"]:
        evals(sp, script)
    sp.check("INFO", "errorstats")


# -- pcall --------------------------------------------------------------------------------------------------------

PCALL = [
    "local r = redis.pcall('nosuch'); return r.err",
    "local ok, e = pcall(redis.call, 'nosuch'); return {tostring(ok), type(e), e}",
    "local ok, e = pcall(error, 'x'); return {tostring(ok), type(e), e}",
    "local ok, e = pcall(error, {err='X y'}); return {tostring(ok), type(e), e}",
    "local ok, e = pcall(error, {other=1}); return {tostring(ok), type(e)}",
    "local ok, e = pcall(function() error('inner') end); return {tostring(ok), e}",
    "local ok, a, b = pcall(function() return 1, 2 end); return {tostring(ok), a, b}",
    "redis.call('set', 'a', 'b'); local r = redis.pcall('lpush', 'a', 'x'); return {type(r), r.err}",
    "local r = redis.pcall('get'); return r",
    "local ok, e = xpcall(function() error('deep') end, function(m) return 'handled: ' .. m end); return {tostring(ok), e}",
    "local t = redis.error_reply('x'); return t.err", "local t = redis.status_reply('x'); return t.ok",
]


@pytest.mark.parametrize("script", PCALL)
def test_pcall_and_error_tables_match_redis(sp, script):
    evals(sp, script)


# -- the script cache -----------------------------------------------------------------------------------------------

def test_script_load_returns_the_sha1_and_evalsha_runs_it(sp):
    sha = sp.check("SCRIPT", "LOAD", "return 'cached'").split(b"\r\n")[1].decode()
    sp.check("EVALSHA", sha, 0)
    sp.check("EVALSHA", sha.upper(), 0)
    sp.check("EVALSHA_RO", sha, 0)
    sp.check("SCRIPT", "EXISTS", sha, sha.upper(), "ffffffffffffffffffffffffffffffffffffffff")


def test_eval_caches_its_script(sp):
    sp.check("EVAL", "return 'via eval'", 0)
    sp.check("SCRIPT", "EXISTS", "a8e4c9f3bb3f6d0d43d8f0cc38b7f5b1a5e3b0f9")
    sha = sp.check("SCRIPT", "LOAD", "return 'via eval'").split(b"\r\n")[1].decode()
    sp.check("SCRIPT", "EXISTS", sha)


def test_script_flush_forgets_scripts(sp):
    sha = sp.check("SCRIPT", "LOAD", "return 1").split(b"\r\n")[1].decode()
    sp.check("SCRIPT", "FLUSH")
    sp.check("EVALSHA", sha, 0)
    sp.check("SCRIPT", "EXISTS", sha)
    sp.check("SCRIPT", "FLUSH", "ASYNC")
    sp.check("SCRIPT", "FLUSH", "sync")
    sp.check("SCRIPT", "FLUSH", "bogus")


@pytest.mark.parametrize("cmd", [
    ("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", 0), ("EVALSHA", "fff", 0),
    ("EVAL", "return 1", -1), ("EVAL", "return 1", 5), ("EVAL", "return 1", "x"), ("EVAL", "return 1"),
    ("SCRIPT", "KILL"), ("SCRIPT", "NOSUCH"), ("SCRIPT",), ("SCRIPT", "EXISTS"),
    ("SCRIPT", "LOAD"), ("SCRIPT", "LOAD", "return +"), ("EVALSHA_RO", "fff", 0),
    ("EVAL", "return KEYS[1]..ARGV[1]", 1, "k", "a"), ("EVAL", "return {KEYS[2], ARGV[2]}", 2, "k1", "k2", "a1", "a2"),
])
def test_eval_and_script_arguments_match_redis(sp, cmd):
    sp.check(*cmd)


def test_script_help_is_redis_help(sp):
    sp.check("SCRIPT", "HELP")


def test_script_global_state_does_not_leak_between_scripts(sp):
    evals(sp, "local x = 5; return x")
    evals(sp, "return x")


def test_select_inside_a_script_does_not_change_the_callers_database(sp):
    evals(sp, "redis.call('select', 3); redis.call('set', 'k', 'in3'); return redis.call('get', 'k')")
    sp.check("GET", "k")
    sp.check("SELECT", 3)
    sp.check("GET", "k")
    sp.check("SELECT", 0)


def test_scripts_run_in_the_callers_database(sp):
    sp.check("SELECT", 5)
    sp.check("SET", "k", "five")
    evals(sp, "return redis.call('get', 'k')")
    sp.check("SELECT", 0)


# -- shebang flags ---------------------------------------------------------------------------------------------------

SHEBANGS = [
    "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", "#!lua flags=no-writes\nreturn redis.call('get', 'a')",
    "#!lua flags=bogus\nreturn 1", "#!lua\nreturn 1", "#!lua name=x\nreturn 1", "#!luax\nreturn 1", "#!lua",
    "#!lua flags=\nreturn 1", "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 2",
    "#!lua flags=no-writes,\nreturn 1", "#!lua\nreturn redis.call('set', 'a', 'b')", "#!lua\n\nerror('line three')",
    "#!lua flags=no-writes\nreturn redis.call('nosuch')",
]


@pytest.mark.parametrize("script", SHEBANGS)
def test_shebang_flags_match_redis(sp, script):
    sp.check("EVAL", script, 0)
    sp.check("EVAL_RO", script, 0)


@pytest.mark.parametrize("script", ["return redis.call('set', 'a', 'b')", "return redis.call('get', 'a')",
                                    "return redis.pcall('incr', 'a')"])
def test_eval_ro_refuses_writes(sp, script):
    sp.check("EVAL_RO", script, 0)


# -- libraries ---------------------------------------------------------------------------------------------------

LIBRARIES = [
    "return cjson.encode({1, 2, 3})", "return cjson.encode({a=1})", "return cjson.encode('x\"y')",
    "return cjson.encode({})", "return cjson.encode(cjson.decode('[1,\"a\",null,true]'))",
    "return cjson.decode('[1,2,3]')[2]", "return cjson.decode('{\"a\":{\"b\":[5]}}').a.b[1]",
    "return cjson.decode('\"str\"')", "return type(cjson.decode('null'))", "return cjson.encode(12)",
    "return cjson.encode(1.5)", "return cjson.decode('1.5') * 2", "return cjson.encode({x={y={z=1}}})",
    "return bit.band(5, 3)", "return bit.bor(5, 3)", "return bit.bxor(1, 3)", "return bit.lshift(1, 10)",
    "return bit.rshift(256, 4)", "return bit.arshift(-256, 4)", "return bit.bnot(0)", "return bit.tohex(255)",
    "return bit.tohex(255, 4)", "return bit.tobit(2^32 + 5)", "return bit.bswap(1)", "return bit.rol(1, 33)",
    "return math.pow(2, 10)", "return table.getn({1, 2, 3})", "return unpack({1, 2, 3})",
    "return {unpack({1, 2, 3})}", "return loadstring('return 5')()", "return type(loadstring('syntax error'))",
    "return math.mod(7, 3)", "return table.maxn({1, 2, [10]=3})", "return gcinfo() > 0",
    "return string.gfind ~= nil", "return math.log10(1000)", "return type(coroutine.create(function() end))",
    "local co = coroutine.wrap(function(a) coroutine.yield(a + 1) end); return co(1)",
    "return string.byte('A')", "return string.char(72, 105)", "return ('x'):upper()", "return #'abc'",
    "return string.find('hello', 'll')", "return {string.find('hello', 'l+')}", "return string.gsub('aaa', 'a', 'b')",
    "return string.sub('hello', 2, -2)", "return string.lower('ABC')", "return string.reverse('abc')",
    "return math.max(1, 5, 3)", "return math.abs(-4)", "return math.huge > 0", "return tostring(nil)",
    "return tostring(true)", "return tonumber('  12  ')", "return tonumber('z', 36)", "return next({})",
    "local t = {}; for k, v in pairs({a=1}) do t[#t + 1] = k end; return t",
    "local t = {}; for i, v in ipairs({5, 6}) do t[#t + 1] = v end; return t",
    "return rawequal('a', 'a')", "return rawget({5}, 1)", "return rawlen({1, 2})", "return type(_G)",
    "return _G.redis ~= nil", "return type(load('return 1'))", "return load('return 7')()",
    # cmsgpack (ours, written in C) against Redis's bundled lua-cmsgpack
    "return cmsgpack.pack({1, 2, 3})", "return cmsgpack.pack('hello')", "return cmsgpack.pack(1.5)",
    "return cmsgpack.pack(0.1)", "return cmsgpack.pack(-1)", "return cmsgpack.pack(-33)", "return cmsgpack.pack(-129)",
    "return cmsgpack.pack(-40000)", "return cmsgpack.pack(-2^40)", "return cmsgpack.pack(300)",
    "return cmsgpack.pack(70000)", "return cmsgpack.pack(2^40)", "return cmsgpack.pack(true, false)",
    "return cmsgpack.pack({a=1})", "return cmsgpack.pack(string.rep('x', 40))", "return cmsgpack.pack(string.rep('x', 300))",
    "return cmsgpack.pack(string.rep('x', 70000))", "return cmsgpack.pack({})", "return cmsgpack.pack({{{}}})",
    "local t = {} for i = 1, 20 do t[i] = i end return cmsgpack.pack(t)", "return cmsgpack.pack({1, nil, 3})",
    "return cmsgpack.unpack(cmsgpack.pack({1, 2, {3, 'x'}}))", "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', 3))}",
    "return cmsgpack.unpack(cmsgpack.pack(0.25)) * 4", "return cmsgpack.unpack(cmsgpack.pack({k='v'})).k",
    "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}",
    "return cmsgpack.unpack('\\147\\1')", "return cmsgpack.unpack('\\193')", "return cmsgpack.pack()",
    # struct (ours, written in C) against Redis's bundled lstruct
    "return struct.pack('>I2', 258)", "return struct.pack('<i4', -2)", "return struct.pack('bBhH', -1, 255, -2, 65535)",
    "return {struct.unpack('>I2', struct.pack('>I2', 258))}", "return struct.size('i4h')", "return struct.size('!4bi4')",
    "return struct.pack('s', 'abc')", "return struct.pack('c5', 'abcdefg')", "return struct.pack('c0', 'abc')",
    "return {struct.unpack('<i4s', struct.pack('<i4s', 7, 'xy'))}", "return struct.pack('!4 b i4', 1, 2)",
    "return struct.pack('>d', 1.5)", "return struct.pack('<f', 0.5)", "return {struct.unpack('bc0', '\\3abcd')}",
    "return {struct.unpack('>l', struct.pack('>l', -5))}", "return struct.pack('>i3', 65536 + 2)",
    "return {struct.unpack('>I2', 'a')}", "return struct.pack('y', 1)", "return {struct.unpack('<I2', 'abcd', 3)}",
]


@pytest.mark.parametrize("script", LIBRARIES)
def test_library_function_matches_redis(sp, script):
    evals(sp, script)


def test_cjson_round_trips_random_documents(sp):
    rnd = random.Random(8)
    for _ in range(40):
        doc = [rnd.randint(-10 ** 6, 10 ** 6) for _ in range(rnd.randint(0, 6))]
        text = "[" + ",".join(str(x) for x in doc) + "]"
        evals(sp, "return cjson.encode(cjson.decode(ARGV[1]))", text)
        evals(sp, "local t = cjson.decode(ARGV[1]); local s = 0; for _, v in ipairs(t) do s = s + v end; return s", text)


def test_bit_operations_match_redis_for_random_operands(sp):
    rnd = random.Random(9)
    for _ in range(40):
        a, b = rnd.randint(-2 ** 31, 2 ** 31 - 1), rnd.randint(0, 40)
        evals(sp, "return {bit.band(ARGV[1], ARGV[2]), bit.bor(ARGV[1], ARGV[2]), bit.bxor(ARGV[1], ARGV[2]),"
                  " bit.lshift(ARGV[1], ARGV[2] % 32), bit.rshift(ARGV[1], ARGV[2] % 32), bit.tohex(ARGV[1])}",
              a, b)


def test_random_scripts_over_random_data_match_redis(sp):
    """Seeded random sequences of small scripts that read and write through redis.call."""
    rnd = random.Random(11)
    templates = [
        "return redis.call('incrby', KEYS[1], ARGV[1])", "return redis.call('rpush', KEYS[1], ARGV[1])",
        "return redis.pcall('lrange', KEYS[1], 0, -1)", "return redis.pcall('get', KEYS[1])",
        "return redis.call('del', KEYS[1])", "return redis.pcall('hset', KEYS[1], 'f', ARGV[1])",
        "return redis.pcall('hgetall', KEYS[1])", "return redis.call('exists', KEYS[1])",
        "return redis.pcall('sadd', KEYS[1], ARGV[1])", "return redis.pcall('scard', KEYS[1])",
        "local v = redis.pcall('get', KEYS[1]); if type(v) == 'string' then return v .. '!' end; return v",
    ]
    for _ in range(150):
        sp.check("EVAL", rnd.choice(templates), 1, "k%d" % rnd.randint(0, 4), rnd.randint(-50, 50))


def test_info_reports_the_script_cache(sp):
    sp.check("SCRIPT", "LOAD", "return 1")
    sp.check("SCRIPT", "LOAD", "return 2")
    fields = {}
    for name, conn in (("ours", sp.ours), ("real", sp.real)):
        text = conn.call("INFO", "memory").decode()
        fields[name] = {line.split(":")[0]: line.split(":")[1] for line in text.splitlines() if ":" in line}
    for key in ["number_of_cached_scripts", "used_memory_lua", "used_memory_scripts", "used_memory_vm_eval",
                "used_memory_vm_functions", "number_of_functions", "number_of_libraries"]:
        assert key in fields["ours"], key
    assert fields["ours"]["number_of_cached_scripts"] == fields["real"]["number_of_cached_scripts"] == "2"


def test_script_writes_are_refused_over_maxmemory_as_redis_refuses_them(sp):
    sp.check("CONFIG", "SET", "maxmemory", "1")
    try:
        evals(sp, "return redis.call('set', 'a', 'b')")
        evals(sp, "return redis.pcall('set', 'a', 'b')")
        evals(sp, "return redis.call('get', 'a')")
        evals(sp, "return redis.call('del', 'a')")
        sp.check("EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', 'a', 'b')", 0)
        sp.check("EVAL", "#!lua\nreturn redis.call('get', 'a')", 0)
        sp.check("EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'a')", 0)
    finally:
        sp.check("CONFIG", "SET", "maxmemory", "0")


def test_eval_inside_multi_replies_as_redis(sp):
    sp.check("MULTI")
    sp.check("EVAL", "return redis.call('incr', 'n')", 0)
    sp.check("EVAL", "return redis.call('nosuch')", 0)
    sp.check("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", 0)
    sp.check("EXEC")


def test_a_script_writing_a_watched_key_aborts_the_watchers_exec(sp, ours, real):
    sp.check("WATCH", "k")
    for srv in (ours, real):
        with srv.client() as other:
            assert other.call("EVAL", "return redis.call('set', 'k', 'v')", 0) == b"+OK\r\n"
    sp.check("MULTI")
    sp.check("GET", "k")
    sp.check("EXEC")


def test_script_writes_fire_keyspace_notifications(sp, ours, real):
    sp.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        subs = []
        for srv in (ours, real):
            s = srv.client()
            s.call("SUBSCRIBE", "__keyevent@0__:set")
            subs.append(s)
        evals(sp, "redis.call('set', 'a', '1'); redis.call('set', 'b', '2'); return 1")
        for _ in range(2):
            ours_msg, real_msg = [s.read_reply() for s in subs]
            assert ours_msg == real_msg
        for s in subs:
            s.close()
    finally:
        sp.check("CONFIG", "SET", "notify-keyspace-events", "")


def test_redis_py_scripts_fall_back_from_evalsha_to_eval(ours):
    r = ours.redis()
    r.script_flush()
    incr = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr(keys=["ctr"], args=[5]) == 5
    assert incr(keys=["ctr"], args=[2]) == 7
    assert r.script_exists(incr.sha) == [True]


# -- KEYS and ARGV are fresh for every run (ours refills the previous run's tables when the script left them clean) --

DIRTY_ARGS = [
    "KEYS[#KEYS + 1] = 'extra'; ARGV.x = 1; return {#KEYS, #ARGV}",
    "KEYS[1] = nil; KEYS[9] = 'far'; return #ARGV",
    "setmetatable(KEYS, {__index = function() return 'meta' end}); return KEYS[5]",
    "ARGV[2] = 'changed'; ARGV[1] = nil; return 1",
    "table.insert(KEYS, 'ins'); table.insert(ARGV, 1, 'front'); return #KEYS",
    "for i = #ARGV, 1, -1 do ARGV[i] = nil end; KEYS[1.0] = 'float'; return 0",
]


@pytest.mark.parametrize("dirty", DIRTY_ARGS)
def test_keys_and_argv_are_fresh_after_a_script_changed_them(sp, dirty):
    evals(sp, dirty, "k1", "k2", "a1", "a2", "a3", numkeys=2)
    probe = ("local out = {#KEYS, #ARGV, tostring(getmetatable(KEYS)), tostring(KEYS[5])} "
             "for k, v in pairs(KEYS) do out[#out + 1] = tostring(k) .. '=' .. v end "
             "for k, v in pairs(ARGV) do out[#out + 1] = tostring(k) .. '=' .. v end return out")
    for keys_and_args, numkeys in [(("x",), 1), ((), 0), (("k1", "k2", "k3", "a"), 3), (("a1",) * 7, 2)]:
        evals(sp, probe, *keys_and_args, numkeys=numkeys)
        evals(sp, dirty, "k1", "k2", "a1", "a2", "a3", numkeys=2)


def test_keys_and_argv_shrink_and_grow_between_runs(sp):
    rng = random.Random(8021)
    sha = sp.check("SCRIPT", "LOAD", "local t = {} for i, v in ipairs(KEYS) do t[i] = v end t[#t + 1] = '|' "
                   "for _, v in ipairs(ARGV) do t[#t + 1] = v end t[#t + 1] = #KEYS + #ARGV return t")
    sha = sha.split(b"\r\n")[1].decode()
    for _ in range(60):
        n = rng.randrange(0, 12)
        items = ["v%d" % rng.randrange(100) for _ in range(n)]
        sp.check("EVALSHA", sha, rng.randrange(0, n + 1), *items)
