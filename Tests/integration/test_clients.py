"""Real clients against our server only: redis-py (RESP2 and RESP3),
redis-cli and redis-benchmark."""

import re
import shutil
import subprocess
from collections import Counter

import pytest
import redis

CLI_TIMEOUT = 30
BENCH_TIMEOUT = 180


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def client(request, ours):
    r = ours.redis(protocol=request.param)
    yield r
    r.close()


def test_redis_py_set_get(client):
    assert client.set("a", "b") is True
    assert client.get("a") == b"b"
    assert client.get("missing") is None
    assert client.set("a", "c", nx=True) is None
    assert client.set("a", "c", xx=True, get=True) == b"b"
    assert client.get("a") == b"c"


def test_redis_py_binary_and_unicode(ours):
    r = ours.redis(protocol=2, decode_responses=True)
    try:
        r.set("ключ", "значение ☃")
        assert r.get("ключ") == "значение ☃"
    finally:
        r.close()
    r = ours.redis(protocol=3)
    try:
        blob = bytes(range(256)) * 4
        r.set(b"\x00bin", blob)
        assert r.get(b"\x00bin") == blob
    finally:
        r.close()


def test_redis_py_expire_and_ttl(client):
    client.set("k", "v")
    assert client.ttl("k") == -1
    assert client.expire("k", 100) is True
    assert 98 <= client.ttl("k") <= 100
    assert 98000 <= client.pttl("k") <= 100000
    assert client.persist("k") is True
    assert client.ttl("k") == -1
    assert client.ttl("missing") == -2
    client.set("e", "v", ex=1000)
    assert 998 <= client.ttl("e") <= 1000


def test_redis_py_counters_and_ranges(client):
    assert client.incr("n") == 1
    assert client.incrby("n", 10) == 11
    assert client.decr("n") == 10
    assert client.incrbyfloat("f", 2.5) == 2.5
    assert client.append("s", "hello") == 5
    assert client.setrange("s", 5, " world") == 11
    assert client.getrange("s", 0, 4) == b"hello"
    assert client.strlen("s") == 11
    assert client.mset({"x": "1", "y": "2"}) is True
    assert client.mget(["x", "y", "zz"]) == [b"1", b"2", None]
    assert client.exists("x", "y", "zz", "x") == 3
    assert client.type("x") == b"string"
    assert client.delete("x", "y") == 2


def test_redis_py_errors(client):
    client.rpush("l", "a")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        client.get("l")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        client.execute_command("GET")
    with pytest.raises(redis.ResponseError, match="unknown command"):
        client.execute_command("NOSUCHCOMMAND", "x")


def test_redis_py_scan_iter_1000_keys_exactly_once(client):
    pipe = client.pipeline(transaction=False)
    for i in range(1000):
        pipe.set("key:%d" % i, i)
    pipe.execute()
    seen = Counter(client.scan_iter(count=37))
    assert len(seen) == 1000
    assert set(seen) == {b"key:%d" % i for i in range(1000)}
    dupes = [k for k, n in seen.items() if n != 1]
    assert not dupes, "keys returned more than once: %r" % dupes[:10]
    matched = set(client.scan_iter(match="key:1??"))
    assert matched == {b"key:%d" % i for i in range(100, 200)}
    assert client.dbsize() == 1000
    assert sorted(client.keys("key:99*")) == sorted([b"key:99"] + [b"key:99%d" % i for i in range(10)])


def test_redis_py_pipeline_many_commands(client):
    pipe = client.pipeline(transaction=False)
    for i in range(500):
        pipe.incr("ctr")
    results = pipe.execute()
    assert results == list(range(1, 501))


def test_redis_py_resp3_hello(ours):
    r = ours.redis(protocol=3)
    try:
        info = r.execute_command("HELLO", 3)
        assert isinstance(info, dict)
        info = {(k.decode() if isinstance(k, bytes) else k): v for k, v in info.items()}
        assert info["proto"] == 3
        assert isinstance(info["id"], int)
        assert "server" in info and "version" in info
        assert r.ping() is True
        assert r.get("missing") is None
    finally:
        r.close()


def test_redis_py_resp2_hello(ours):
    r = ours.redis(protocol=2)
    try:
        reply = r.execute_command("HELLO", 2)
        flat = list(reply) if isinstance(reply, list) else None
        if flat is not None:
            fields = dict(zip(flat[0::2], flat[1::2]))
        else:
            fields = reply
        fields = {(k.decode() if isinstance(k, bytes) else k): v for k, v in fields.items()}
        assert fields["proto"] == 2
    finally:
        r.close()


def test_redis_py_client_name(client):
    assert client.client_setname("tester") is True
    assert client.client_getname() in (b"tester", "tester")
    assert isinstance(client.client_id(), int)


def test_redis_py_select_other_db(ours):
    r0 = ours.redis(protocol=2, db=0)
    r3 = ours.redis(protocol=3, db=3)
    try:
        r3.set("only-in-3", "x")
        assert r0.get("only-in-3") is None
        assert r3.get("only-in-3") == b"x"
    finally:
        r0.close()
        r3.close()


# --------------------------------------------------------------- redis-cli ----

def cli(server, *args):
    exe = shutil.which("redis-cli")
    if not exe:
        pytest.skip("redis-cli not installed")
    proc = subprocess.run([exe, "-h", "127.0.0.1", "-p", str(server.port)] + list(args),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=CLI_TIMEOUT)
    return proc


def test_redis_cli_set_and_get(ours):
    p = cli(ours, "set", "a", "b")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"OK\n"
    p = cli(ours, "--no-raw", "get", "a")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b'"b"\n'
    p = cli(ours, "get", "a")
    assert p.stdout == b"b\n"


def test_redis_cli_no_raw_types(ours):
    cli(ours, "set", "n", "5")
    assert cli(ours, "--no-raw", "incr", "n").stdout == b"(integer) 6\n"
    assert cli(ours, "--no-raw", "get", "missing").stdout == b"(nil)\n"
    out = cli(ours, "--no-raw", "mget", "n", "missing").stdout
    assert out == b'1) "6"\n2) (nil)\n'
    out = cli(ours, "--no-raw", "get").stdout
    assert out == b"(error) ERR wrong number of arguments for 'get' command\n"


def test_redis_cli_info_server(ours):
    p = cli(ours, "info", "server")
    assert p.returncode == 0, p.stderr
    assert b"redis_version:" in p.stdout


def test_redis_cli_ping(ours):
    assert cli(ours, "ping").stdout == b"PONG\n"


def test_redis_cli_resp3(ours):
    p = cli(ours, "-3", "--no-raw", "get", "missing")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"(nil)\n"


# ---------------------------------------------------------- redis-benchmark ----

def test_redis_benchmark_set_get(ours):
    exe = shutil.which("redis-benchmark")
    if not exe:
        pytest.skip("redis-benchmark not installed")
    proc = subprocess.run([exe, "-h", "127.0.0.1", "-p", str(ours.port), "-t", "set,get", "-n", "20000", "-q"],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=BENCH_TIMEOUT)
    out = proc.stdout.decode("utf-8", "replace").replace("\r", "\n")
    assert proc.returncode == 0, (proc.returncode, out[-2000:], proc.stderr[-2000:])
    for name in ("SET", "GET"):
        assert re.search(r"^%s: [0-9.]+ requests per second" % name, out, re.M), out[-2000:]


def test_plugin_family_can_be_disabled(server_factory):
    srv = server_factory("ours", "--disable-module-families", "redis-cell")
    with srv.client() as c:
        assert c.call("CL.THROTTLE", "rl", 2, 1, 100).startswith(b"-ERR unknown command")
        assert c.call("COMMAND", "INFO", "cl.throttle") == b"*1\r\n$-1\r\n"
        assert c.call("SET", "k", "v") == b"+OK\r\n"


def _doc_arguments(server, name):
    """The `arguments` entry of COMMAND DOCS <name> (RESP2: flat key/value arrays)."""
    from resp import decode
    with server.client() as c:
        reply = decode(c.call("COMMAND", "DOCS", name))
    fields = reply[1]
    for i in range(0, len(fields), 2):
        if fields[i] == b"arguments":
            return fields[i + 1]
    return None


@pytest.mark.parametrize("name", ["set", "zadd", "getex", "client", "lpos", "scan"])
def test_command_docs_arguments_match_redis_so_redis_cli_hints_work(ours, real, name):
    assert _doc_arguments(ours, name) == _doc_arguments(real, name)
