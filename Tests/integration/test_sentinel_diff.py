"""Differential checks: our Sentinel and a real redis-sentinel 7.0 monitor the same master + replica and must
answer with the same reply shapes (field names, order, types; RESP2 and RESP3) and the same errors."""

import pytest

from resp import RespClient, decode
from sentinel_tools import PASSWORD, SentinelProcess, data_server, data_client, wait_for


@pytest.fixture(scope="module")
def duo():
    master = data_server("real")
    replica = data_server("real", "--replicaof", "127.0.0.1", str(master.port))
    opts = ["sentinel down-after-milliseconds mymaster 5000", "sentinel auth-pass mymaster %s" % PASSWORD]
    ours = SentinelProcess("ours", [("mymaster", "127.0.0.1", master.port, 2, opts)], name="diff")
    real = SentinelProcess("real", [("mymaster", "127.0.0.1", master.port, 2, opts)], name="diff")
    ours.start()
    real.start()
    try:
        def ready():
            for s in (ours, real):
                m = s.redis().sentinel_master("mymaster")
                if m["num-slaves"] != 1 or m["num-other-sentinels"] != 1:
                    return False
                if s.redis().sentinel_slaves("mymaster")[0]["master-link-status"] != "ok":
                    return False
            return True
        wait_for(ready, what="both sentinels see the replica and each other")
        yield ours, real
    finally:
        ours.cleanup()
        real.cleanup()
        replica.stop()
        master.stop()


def raw(s, *args, resp=2):
    c = RespClient(s.port)
    try:
        if resp == 3:
            c.call("HELLO", "3")
        return c.call(*args)
    finally:
        c.close()


def shape(value):
    """Field names and value types, not the values (times and ids differ)."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list) and value and all(isinstance(x, tuple) and len(x) == 2 for x in value):
        return [("map", k, shape(v)) for k, v in value]  # a RESP3 map, as resp.decode returns it
    if isinstance(value, list):
        if len(value) % 2 == 0 and all(isinstance(value[i], bytes) for i in range(0, len(value), 2)):
            return [(value[i], type(value[i + 1]).__name__) for i in range(0, len(value), 2)]
        return [shape(v) for v in value]
    return type(value).__name__


@pytest.mark.parametrize("resp", [2, 3])
@pytest.mark.parametrize("cmd", [("SENTINEL", "MASTER", "mymaster"), ("SENTINEL", "MASTERS"),
                                 ("SENTINEL", "REPLICAS", "mymaster"), ("SENTINEL", "SLAVES", "mymaster"),
                                 ("SENTINEL", "SENTINELS", "mymaster"), ("SENTINEL", "DEBUG"),
                                 ("SENTINEL", "CONFIG", "GET", "*"), ("SENTINEL", "CONFIG", "GET", "announce-*"),
                                 ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope"), ("SENTINEL", "PENDING-SCRIPTS"),
                                 ("SENTINEL", "SIMULATE-FAILURE", "HELP"), ("SENTINEL", "INFO-CACHE", "mymaster"),
                                 ("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "1", "0", "*"), ("ROLE",),
                                 ("SENTINEL", "HELP"), ("SENTINEL", "MYID"), ("INFO", "sentinel")])
def test_reply_shape_matches_redis_sentinel(duo, cmd, resp):
    ours, real = duo
    a = raw(ours, *cmd, resp=resp)
    b = raw(real, *cmd, resp=resp)
    assert a[:1] == b[:1]
    assert shape(decode(a)) == shape(decode(b))


@pytest.mark.parametrize("cmd", [
    ("SENTINEL", "MASTER", "nope"), ("SENTINEL", "REPLICAS", "nope"), ("SENTINEL", "MASTERS", "x"),
    ("SENTINEL", "FOO"), ("SENTINEL",), ("SENTINEL", "MONITOR", "m2", "127.0.0.1", "99999", "2"),
    ("SENTINEL", "MONITOR", "m2", "not-an-ip", "1234", "2"), ("SENTINEL", "MONITOR", "m2", "127.0.0.1", "1234", "0"),
    ("SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "1234", "1"), ("SENTINEL", "SET", "mymaster", "foo", "1"),
    ("SENTINEL", "SET", "mymaster", "quorum", "x"), ("SENTINEL", "SET", "nope", "quorum", "1"),
    ("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "0"), ("SENTINEL", "RESET", "nomatch"),
    ("SENTINEL", "CONFIG", "SET", "foo", "bar"), ("SENTINEL", "CONFIG", "GET", "foo"),
    ("SENTINEL", "SIMULATE-FAILURE", "foo"), ("SENTINEL", "FAILOVER", "nope"), ("SENTINEL", "CKQUORUM", "nope"),
    ("SENTINEL", "REMOVE", "nope"), ("SENTINEL", "DEBUG", "foo", "1"), ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope"),
    ("GET", "x"), ("PUBLISH", "x", "y"), ("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "1.2.3.4", "1", "0", "*"),
    ("SENTINEL", "INFO-CACHE", "nope"), ("PING",), ("ROLE",), ("SENTINEL", "HELP"),
])
def test_same_reply_as_redis_sentinel(duo, cmd):
    ours, real = duo
    assert raw(ours, *cmd) == raw(real, *cmd)


def test_get_master_addr_by_name_same(duo):
    ours, real = duo
    for resp in (2, 3):
        assert raw(ours, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster", resp=resp) == \
            raw(real, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster", resp=resp)


def test_ckquorum_same(duo):
    ours, real = duo
    assert raw(ours, "SENTINEL", "CKQUORUM", "mymaster") == raw(real, "SENTINEL", "CKQUORUM", "mymaster")


def test_is_master_down_by_addr_for_up_master_same(duo):
    ours, real = duo
    port = ours.monitors[0][2]
    args = ("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", str(port), "0", "*")
    assert raw(ours, *args) == raw(real, *args)


def test_info_sentinel_section_same_fields(duo):
    ours, real = duo

    def fields(s):
        text = decode(raw(s, "INFO", "sentinel")).decode()
        return [line.split(":")[0] for line in text.split("\r\n") if line and not line.startswith("#")]
    assert fields(ours) == fields(real)
    mine = decode(raw(ours, "INFO", "sentinel")).decode()
    assert "master0:name=mymaster,status=ok,address=127.0.0.1:%d,slaves=1,sentinels=2" % ours.monitors[0][2] in mine


def test_info_sections_same(duo):
    ours, real = duo

    def sections(s):
        text = decode(raw(s, "INFO")).decode()
        return [line for line in text.split("\r\n") if line.startswith("#")]
    assert sections(ours) == [s for s in sections(real) if s != "# CPU"] or sections(ours) == sections(real)


def test_command_list_same(duo):
    # The data server has no ACL, CLIENT PAUSE/UNPAUSE or COMMAND GETKEYSANDFLAGS yet: a Sentinel's table is the
    # built-in families' subset, so those are missing from ours too. Everything else is the same.
    ours, real = duo
    missing = {b"client|pause", b"client|unpause", b"command|getkeysandflags"}
    expected = sorted(c for c in decode(raw(real, "COMMAND", "LIST"))
                      if not c.startswith(b"acl") and c not in missing)
    assert sorted(decode(raw(ours, "COMMAND", "LIST"))) == expected


def test_hello_reports_sentinel_mode(duo):
    ours, real = duo
    def as_dict(v):
        return dict(v)
    a = as_dict(decode(raw(ours, "HELLO", "3")))
    b = as_dict(decode(raw(real, "HELLO", "3")))
    assert list(a) == list(b) and a[b"mode"] == b[b"mode"] == b"sentinel"


def test_info_cache_shape(duo):
    ours, real = duo
    a = decode(raw(ours, "SENTINEL", "INFO-CACHE", "mymaster"))
    b = decode(raw(real, "SENTINEL", "INFO-CACHE", "mymaster"))
    assert a[0] == b[0] == b"mymaster"
    assert len(a[1]) == len(b[1]) == 2
    assert all(isinstance(x[0], int) and x[1].startswith(b"# Server") for x in a[1])


def test_config_rewrite_keeps_other_lines_and_replaces_sentinel_lines_in_place(duo):
    ours, real = duo
    text = ours.config_text().splitlines()
    assert text[0] == "port %d" % ours.port
    assert text[4] == "sentinel monitor mymaster 127.0.0.1 %d 2" % ours.monitors[0][2]
    assert "# Generated by CONFIG REWRITE" in text
    keys = [" ".join(l.split()[:2]) for l in text if l.startswith("sentinel ")]
    real_keys = [" ".join(l.split()[:2]) for l in real.config_text().splitlines() if l.startswith("sentinel ")]
    assert set(keys) == set(real_keys)


def test_starts_from_a_config_file_redis_sentinel_rewrote(duo):
    """A sentinel.conf rewritten by redis-sentinel (with its `user default ...` and latency lines) starts ours,
    which reads the known replica and Sentinels from it."""
    ours, real = duo
    lines = [l for l in real.config_text().splitlines()
             if not l.startswith("port ") and not l.startswith("sentinel myid") and not l.startswith("logfile")
             and not l.startswith("pidfile")]
    s = SentinelProcess("ours", [], name="fromreal")
    try:
        from conftest import free_port
        s.port = free_port()
        with open(s.conf, "w") as f:
            f.write("port %d\n" % s.port + "\n".join(lines) + "\n")
        s.start(write=False)
        m = s.redis().sentinel_master("mymaster")
        assert m["num-slaves"] == 1 and m["num-other-sentinels"] >= 1
        assert "user default" in s.config_text()
    finally:
        s.cleanup()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_read_only_commands_same_reply_kind_and_errors(duo, seed):
    """Seeded random SENTINEL reads with random arguments: the same reply type on both, the same text for errors."""
    import random
    ours, real = duo
    rnd = random.Random(seed)
    subs = ["MASTER", "MASTERS", "REPLICAS", "SLAVES", "SENTINELS", "GET-MASTER-ADDR-BY-NAME", "CKQUORUM",
            "INFO-CACHE", "MYID", "PENDING-SCRIPTS", "HELP", "CONFIG", "IS-MASTER-DOWN-BY-ADDR", "NOPE"]
    pool = ["mymaster", "nope", "", "1", "-1", "0", "abc", "127.0.0.1", "99999", "*", "GET", "announce-ip",
            "18446744073709551616"]
    for _ in range(150):
        args = ["SENTINEL", rnd.choice(subs)] + [rnd.choice(pool) for _ in range(rnd.randint(0, 5))]
        if args[1] == "CONFIG" and len(args) > 2 and args[2].upper() == "SET":
            continue
        if args[1] == "IS-MASTER-DOWN-BY-ADDR" and len(args) == 6 and args[5] != "*":
            args[5] = "*"  # a vote changes the state
        a = raw(ours, *args)
        b = raw(real, *args)
        assert a[:1] == b[:1], (args, a[:200], b[:200])
        if a[:1] == b"-":
            assert a == b, args


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_sentinel_discovery_same_outcome_as_redis_sentinel(duo, protocol):
    """redis-py's Sentinel client speaking RESP2 or RESP3 (HELLO 3) to the Sentinel itself: discover_master and
    discover_slaves give the same result (or fail the same way) with ours and with redis-sentinel."""
    from redis.sentinel import Sentinel as PySentinel
    outcomes = []
    for s in duo:
        ps = PySentinel([("127.0.0.1", s.port)], sentinel_kwargs={"protocol": protocol, "socket_timeout": 5})
        got = []
        for call in (lambda: ps.discover_master("mymaster"), lambda: sorted(ps.discover_slaves("mymaster"))):
            try:
                got.append(call())
            except Exception as e:  # noqa: BLE001 - the outcome is what is compared
                got.append((type(e).__name__, str(e)))
        outcomes.append(got)
    assert outcomes[0] == outcomes[1]
    if protocol == 2:
        assert outcomes[0][0][1] == duo[0].monitors[0][2]
