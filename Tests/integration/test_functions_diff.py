"""FUNCTION / FCALL against a real redis-server 7.0: libraries, flags, errors, DUMP/RESTORE moved between the
two servers, and libraries kept in RDB files."""

import pytest

LIB = "#!lua name=mylib\nredis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)"
LIB_FLAGS = ("#!lua name=flagged\n"
             "redis.register_function{function_name='ro', callback=function(k, a) return redis.call('get', k[1]) end,"
             " flags={'no-writes'}, description='reads a key'}")
LIB_WRITE = "#!lua name=w\nredis.register_function('wr', function(k, a) return redis.call('set', k[1], a[1]) end)"
LIB_ERR = "#!lua name=e\nredis.register_function('fe', function(k, a) error('oops') end)"


@pytest.fixture
def fp(pair):
    pair.check("FUNCTION", "FLUSH")
    pair.check("SCRIPT", "FLUSH")
    yield pair
    pair.check("FUNCTION", "FLUSH")


@pytest.mark.parametrize("protocol", [2, 3])
def test_load_list_and_call_a_library(fp, protocol):
    fp.both("HELLO", protocol)
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check("FCALL", "f1", 1, "k", "a")
    fp.check("FCALL_RO", "f1", 1, "k", "a")
    fp.check("FUNCTION", "LIST")
    fp.check("FUNCTION", "LIST", "WITHCODE")
    fp.check("FUNCTION", "LIST", "LIBRARYNAME", "my*")
    fp.check("FUNCTION", "LIST", "LIBRARYNAME", "nomatch*")
    fp.check("FUNCTION", "STATS")


@pytest.mark.parametrize("protocol", [2, 3])
def test_flags_and_description_are_listed(fp, protocol):
    fp.both("HELLO", protocol)
    fp.check("FUNCTION", "LOAD", LIB_FLAGS)
    fp.check("FUNCTION", "LIST")
    fp.check("SET", "k", "v")
    fp.check("FCALL_RO", "ro", 1, "k")


def test_write_functions_and_read_only_calls(fp):
    fp.check("FUNCTION", "LOAD", LIB_WRITE)
    fp.check("FCALL", "wr", 1, "k", "v")
    fp.check("GET", "k")
    fp.check("FCALL_RO", "wr", 1, "k", "v")


def test_function_errors_carry_the_function_name(fp):
    fp.check("FUNCTION", "LOAD", LIB_ERR)
    fp.check("FCALL", "fe", 0)


@pytest.mark.parametrize("code", [
    "#!lua name=mylib\nreturn 1", "lua name=x", "#!lua", "#!lua name=a-b", "#!lua name=a foo=bar", "#!js name=a",
    "#!lua name=x\nreturn +", "#!lua name=x\nredis.register_function('bad-name', function() end)",
    "#!lua name=x\nredis.register_function('f', 5)", "#!lua name=x\nredis.register_function('f')",
    "#!lua name=x\nredis.register_function('f', function() end); redis.register_function('f', function() end)",
    "#!lua name=x\nredis.register_function{function_name='f'}",
    "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}",
    "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, other=1}",
    "#!lua name=x\nredis.register_function('f1', function() end)",
])
def test_load_errors_match_redis(fp, code):
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check("FUNCTION", "LOAD", code)


@pytest.mark.parametrize("cmd", [
    ("FCALL", "nosuch", 0), ("FUNCTION", "DELETE", "nolib"), ("FUNCTION", "FLUSH", "bad"), ("FUNCTION", "KILL"),
    ("FUNCTION", "HELP"), ("FUNCTION", "LIST", "bogus"), ("FUNCTION", "LIST", "LIBRARYNAME"),
    ("FUNCTION", "RESTORE", "garbage"), ("FUNCTION", "LOAD", "REPLACE"), ("FCALL", "f1", 5),
    ("FCALL", "f1", -1), ("FUNCTION", "NOSUCH"), ("FUNCTION", "DUMP", "x"),
])
def test_function_command_errors_match_redis(fp, cmd):
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check(*cmd)


def test_replace_delete_and_flush(fp):
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check("FUNCTION", "LOAD", "REPLACE", LIB.replace("args[1]", "'replaced'"))
    fp.check("FCALL", "f1", 1, "k", "a")
    fp.check("FUNCTION", "DELETE", "mylib")
    fp.check("FCALL", "f1", 1, "k", "a")
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check("FUNCTION", "FLUSH", "ASYNC")
    fp.check("FUNCTION", "LIST")


def test_dump_payloads_are_byte_identical(fp):
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check("FUNCTION", "DUMP")


@pytest.mark.parametrize("direction", ["real_to_ours", "ours_to_real"])
def test_dump_restores_on_the_other_server(fp, direction):
    src, dst = (fp.real, fp.ours) if direction == "real_to_ours" else (fp.ours, fp.real)
    assert src.call("FUNCTION", "LOAD", LIB) == b"$5\r\nmylib\r\n"
    assert src.call("FUNCTION", "LOAD", LIB_FLAGS) == b"$7\r\nflagged\r\n"
    raw = src.call("FUNCTION", "DUMP")
    header, _, rest = raw.partition(b"\r\n")
    payload = rest[:int(header[1:])]
    assert dst.call("FUNCTION", "RESTORE", payload) == b"+OK\r\n"
    assert dst.call("FCALL", "f1", 1, "k", "a") == b"*2\r\n$1\r\nk\r\n$1\r\na\r\n"
    assert dst.call("FUNCTION", "RESTORE", payload).startswith(b"-ERR Library ")
    assert dst.call("FUNCTION", "RESTORE", payload, "REPLACE") == b"+OK\r\n"
    assert dst.call("FUNCTION", "RESTORE", payload, "FLUSH") == b"+OK\r\n"
    assert dst.call("FUNCTION", "RESTORE", payload, "BOGUS").startswith(b"-ERR Wrong restore policy")
    assert src.call("FUNCTION", "FLUSH") == b"+OK\r\n"


def test_restore_policies_match_redis(fp):
    fp.check("FUNCTION", "LOAD", LIB)
    raw = fp.check("FUNCTION", "DUMP")
    header, _, rest = raw.partition(b"\r\n")
    payload = rest[:int(header[1:])]
    fp.check("FUNCTION", "RESTORE", payload)
    fp.check("FUNCTION", "RESTORE", payload, "APPEND")
    fp.check("FUNCTION", "RESTORE", payload, "REPLACE")
    fp.check("FUNCTION", "FLUSH")
    fp.check("FUNCTION", "RESTORE", payload, "FLUSH")
    fp.check("FCALL", "f1", 1, "k", "a")
    fp.check("FUNCTION", "RESTORE", payload[:-1] + b"x")


def test_libraries_survive_debug_reload(fp):
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check("DEBUG", "RELOAD")
    fp.check("FCALL", "f1", 1, "k", "a")
    fp.check("FUNCTION", "LIST")


def test_info_counts_functions_and_libraries(fp):
    fp.check("FUNCTION", "LOAD", LIB)
    fp.check("FUNCTION", "LOAD", LIB_FLAGS)
    for conn in (fp.ours, fp.real):
        text = conn.call("INFO", "memory").decode()
        assert "number_of_functions:2" in text
        assert "number_of_libraries:2" in text


@pytest.mark.parametrize("src_kind,dst_kind", [("ours", "real"), ("real", "ours")])
def test_rdb_with_libraries_loads_on_the_other_server(server_factory, tmp_path, src_kind, dst_kind):
    import os
    import shutil
    src = server_factory(src_kind)
    with src.client() as c:
        assert c.call("FUNCTION", "LOAD", LIB) == b"$5\r\nmylib\r\n"
        assert c.call("SET", "k", "v") == b"+OK\r\n"
        assert c.call("SAVE") == b"+OK\r\n"
    shutil.copy(os.path.join(src.dir, "dump.rdb"), str(tmp_path / "dump.rdb"))
    src.stop()
    dst = server_factory(dst_kind, "--dir", str(tmp_path))
    with dst.client() as c:
        assert c.call("FCALL", "f1", 1, "k", "a") == b"*2\r\n$1\r\nk\r\n$1\r\na\r\n"
        assert c.call("GET", "k") == b"$1\r\nv\r\n"
        assert c.call("FUNCTION", "LIST", "LIBRARYNAME", "mylib").startswith(b"*1\r\n")
    dst.stop()


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_aof_rewrite_writes_libraries_as_function_load(server_factory, kind):
    import glob
    import os
    import time
    srv = server_factory(kind, "--appendonly", "yes", "--aof-use-rdb-preamble", "no")
    with srv.client() as c:
        assert c.call("FUNCTION", "LOAD", LIB) == b"$5\r\nmylib\r\n"
        assert c.call("SET", "k", "v") == b"+OK\r\n"
        assert c.call("BGREWRITEAOF").startswith(b"+")
        deadline = time.monotonic() + 30
        base = []
        while time.monotonic() < deadline:
            info = c.call("INFO", "persistence")
            base = glob.glob(os.path.join(srv.dir, "appendonlydir", "*.base.aof"))
            if b"aof_rewrite_in_progress:0" in info and b"aof_rewrite_scheduled:0" in info and base:
                with open(base[0], "rb") as f:
                    data = f.read()
                if b"FUNCTION" in data:
                    break
            time.sleep(0.05)
    with open(base[0], "rb") as f:
        data = f.read()
    load = b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$%d\r\n%s\r\n" % (len(LIB), LIB.encode())
    assert data.startswith(load), data[:200]
    srv.stop()


@pytest.mark.parametrize("name", ["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro",
                                  "script|load", "script|exists", "script|kill", "function|load", "function|list", "function|restore", "function|dump",
                                  "function|stats", "function|kill", "function|delete", "function|flush"])
def test_command_docs_of_scripting_commands_match_redis(fp, name):
    # (SCRIPT FLUSH is left out: COMMAND DOCS has no `history` field for any command yet.)
    fp.check("COMMAND", "DOCS", name)
