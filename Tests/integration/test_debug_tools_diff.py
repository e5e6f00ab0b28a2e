"""Differential tests for the DEBUG subcommands test tooling uses (PROTOCOL in RESP2 and RESP3, the encoding
probes, REPLYBUFFER, PAUSE-CRON, SET-SKIP-CHECKSUM-VALIDATION, STRINGMATCH-TEST, HELP)."""

import pytest

TYPES = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim",
         "true", "false", "nope", "STRING"]


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("kind", TYPES)
def test_debug_protocol_is_byte_equal(pair, protocol, kind):
    pair.both("HELLO", str(protocol))
    pair.check("DEBUG", "PROTOCOL", kind)
    if protocol == 3 and kind == "push":
        # The push message is followed by the command's own reply.
        ours, real = pair.ours.read_reply(), pair.real.read_reply()
        assert ours == real
    pair.both("HELLO", "2")


@pytest.mark.parametrize("args", [
    ("QUICKLIST-PACKED-THRESHOLD", "100"), ("QUICKLIST-PACKED-THRESHOLD", "abc"),
    ("QUICKLIST-PACKED-THRESHOLD", "5g"), ("QUICKLIST-PACKED-THRESHOLD", "0"),
    ("LISTPACK", "h"), ("LISTPACK", "s"), ("LISTPACK", "nokey"), ("QUICKLIST", "l"), ("QUICKLIST", "l", "1"),
    ("QUICKLIST", "s"), ("QUICKLIST", "nokey"), ("STRINGMATCH-LEN",), ("STRINGMATCH-TEST",),
    ("REPLYBUFFER", "PEAK-RESET-TIME", "100"), ("REPLYBUFFER", "PEAK-RESET-TIME", "NEVER"),
    ("REPLYBUFFER", "PEAK-RESET-TIME", "RESET"), ("REPLYBUFFER", "RESIZING", "0"),
    ("REPLYBUFFER", "RESIZING", "1"), ("REPLYBUFFER", "X"), ("PAUSE-CRON", "0"),
    ("SET-SKIP-CHECKSUM-VALIDATION", "0"), ("SET-ACTIVE-EXPIRE", "1"), ("CHANGE-REPL-ID",),
    ("LOG", "hello"), ("SLEEP", "0"), ("OBJECT", "nokey"), ("PROTOCOL",),
])
def test_debug_tool_replies(pair, args):
    pair.check("HSET", "h", "f", "v")
    pair.check("RPUSH", "l", "a", "b")
    pair.check("SET", "s", "x")
    pair.check("DEBUG", *args)


def test_debug_pause_cron_stops_active_expiry(server):
    with server.client() as c:
        assert c.call("DEBUG", "PAUSE-CRON", "1") == b"+OK\r\n"
        try:
            c.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
            c.call("SET", "k", "v", "PX", "1")
            # The key's time passes; without the cron nothing reclaims it (DBSIZE still counts it).
            deadline = __import__("time").monotonic() + 0.3
            while __import__("time").monotonic() < deadline:
                assert c.call("DBSIZE") == b":1\r\n"
        finally:
            c.call("DEBUG", "PAUSE-CRON", "0")


def test_debug_skip_checksum_validation_accepts_bad_crc(pair):
    pair.check("SET", "src", "hello")
    payload = pair.real.call("DUMP", "src")
    body = payload.split(b"\r\n", 1)[1][:-2]
    broken = body[:-1] + bytes([body[-1] ^ 0xFF])
    pair.check("RESTORE", "dst", "0", broken)
    pair.check("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")
    try:
        pair.check("RESTORE", "dst", "0", broken)
        pair.check("GET", "dst")
    finally:
        pair.check("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0")


@pytest.mark.parametrize("args", [(), ("VERSION", "7"), ("VERSION", "4"), ("VERSION", "x"), ("foo",),
                                  ("VERSION", "5", "10", "1", "1"), ("VERSION", "5", "20", "3", "2"),
                                  ("VERSION", "5", "x"), ("VERSION", "6", "x"), ("VERSION", "5", "0", "0", "0")])
def test_lolwut_deterministic_outputs_are_byte_equal(pair, args):
    pair.check("LOLWUT", *args)


@pytest.mark.parametrize("args", [("VERSION", "5"), ("VERSION", "6"), ("VERSION", "6", "30", "10")])
def test_lolwut_random_art_has_redis_shape(pair, args):
    ours, real = [x.decode() for x in
                  (__import__("resp").decode(r) for r in pair.both("LOLWUT", *args))]
    o, r = ours.split("\n"), real.split("\n")
    assert len(o) == len(r)
    assert o[-3:] == r[-3:]   # captions
    if args[1] == "6":
        assert [l.count("\x1b[0m") for l in o] == [l.count("\x1b[0m") for l in r]
        codes = lambda text: set(__import__("re").findall(r"\x1b\[(0;\d+;\d+m) ", text))
        assert codes(ours) <= codes(real) | {"0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"}
    else:
        assert [len(l) for l in o] == [len(l) for l in r]
    if args[1] == "5":
        assert o[:4] == r[:4]   # the first two rows of squares are not randomised
