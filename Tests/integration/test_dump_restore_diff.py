"""DUMP / RESTORE against Redis 7.0: payloads cross between our server and redis-server in both directions,
every type in every encoding, and RESTORE's errors and options behave the same."""

import time

import pytest

from resp import decode, encode_command

# name -> commands building key "k" (run on both servers)
BIG = "x" * 5000
CASES = {
    "string_int": [("SET", "k", "12345")],
    "string_negative_int": [("SET", "k", "-7")],
    "string_int32_edge": [("SET", "k", "-2147483648")],
    "string_int64": [("SET", "k", "9223372036854775807")],
    "string_not_canonical_int": [("SET", "k", "007")],
    "string_minus_zero": [("SET", "k", "-0")],
    "string_embstr": [("SET", "k", "hello world")],
    "string_raw": [("SET", "k", "r" * 100)],
    "string_compressible": [("SET", "k", "abc" * 1000)],
    "string_incompressible": [("SET", "k", bytes(range(256)) * 2)],
    "string_binary": [("SET", "k", b"\x00\xff\r\n\x00")],
    "string_empty": [("SET", "k", "")],
    "list_small": [("RPUSH", "k", "a", "1", "-5", "127", "128", "-4096", "4095", "70000", "-8388608",
                    "2147483648", "9223372036854775807", "", "x" * 100)],
    "list_many": [("RPUSH", "k") + tuple(str(i) for i in range(3000))],
    "list_big_elements": [("RPUSH", "k") + tuple(str(i) + BIG for i in range(10))],
    "list_huge_element": [("RPUSH", "k", "a", "y" * 20000, "b")],
    "set_intset": [("SADD", "k", "1", "2", "-3", "70000", str(2 ** 40), "-9223372036854775808")],
    "set_intset16": [("SADD", "k", "1", "2", "3")],
    "set_hashtable": [("SADD", "k", "a", "b", "1", "")],
    "set_intset_over_threshold": [("SADD", "k") + tuple(str(i) for i in range(600))],
    "hash_listpack": [("HSET", "k", "f1", "v1", "n", "42", "neg", "-100", "empty", "")],
    "hash_long_value": [("HSET", "k", "f", "v" * 65, "g", "1")],
    "hash_many_fields": [("HSET", "k") + tuple(s for i in range(600) for s in ("f%d" % i, str(i)))],
    "zset_listpack": [("ZADD", "k", "1", "a", "1.5", "b", "-2", "c", "inf", "d", "-inf", "e", "0", "f",
                       "1e300", "g", "-0.25", "h", "12345678901", "i")],
    "zset_negative_zero": [("ZADD", "k", "-0", "a", "1", "b")],
    "zset_skiplist_long_member": [("ZADD", "k", "1", "m" * 65, "2", "b", "inf", "c", "-inf", "d")],
    "zset_skiplist_many": [("ZADD", "k") + tuple(s for i in range(200) for s in (str(i * 0.5), "m%d" % i))],
}


def contents(r, key):
    """Type, encoding and every element of `key`, in a comparable form."""
    t = r.type(key).decode()
    enc = r.object("encoding", key)
    if t == "string":
        data = r.get(key)
    elif t == "list":
        data = r.lrange(key, 0, -1)
    elif t == "set":
        data = sorted(r.smembers(key))
    elif t == "hash":
        data = sorted(r.hgetall(key).items())
    elif t == "zset":
        data = [(m, repr(s)) for m, s in r.zrange(key, 0, -1, withscores=True)]
    else:
        data = None
    return t, enc, data


def build(server_client, commands):
    for cmd in commands:
        server_client.execute_command(*cmd)


@pytest.fixture
def clients(ours, real):
    o, r = ours.redis(), real.redis()
    yield o, r
    o.close()
    r.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_payload_from_real_restores_equal_in_ours(clients, case):
    o, r = clients
    build(r, CASES[case])
    payload = r.dump("k")
    assert o.restore("k", 0, payload)
    assert contents(o, "k") == contents(r, "k")


@pytest.mark.parametrize("case", sorted(CASES))
def test_payload_from_ours_restores_equal_in_real(clients, case):
    o, r = clients
    build(o, CASES[case])
    build(r, CASES[case])
    payload = o.dump("k")
    assert r.restore("copy", 0, payload)
    assert contents(r, "copy") == contents(r, "k")


DETERMINISTIC = ["string_int", "string_negative_int", "string_int32_edge", "string_int64", "string_embstr",
                 "string_raw", "string_compressible", "string_incompressible", "string_binary", "string_empty",
                 "list_small", "list_many", "list_big_elements", "list_huge_element", "set_intset", "set_intset16",
                 "hash_listpack", "zset_listpack", "zset_negative_zero", "zset_skiplist_long_member",
                 "zset_skiplist_many"]


@pytest.mark.parametrize("case", DETERMINISTIC)
def test_dump_bytes_equal_for_deterministic_encodings(clients, case):
    o, r = clients
    build(o, CASES[case])
    build(r, CASES[case])
    assert o.dump("k") == r.dump("k")


def test_dump_missing_key_is_null(pair):
    pair.check("DUMP", "nokey")


def test_restore_existing_key_is_busykey(pair, clients):
    o, r = clients
    r.set("k", "v")
    o.set("k", "v")
    pair.check("RESTORE", "k", "0", r.dump("k"))


def test_restore_replace_overwrites(pair, clients):
    o, r = clients
    r.rpush("src", "a", "b")
    payload = r.dump("src")
    pair.check("SET", "k", "v")
    pair.check("RESTORE", "k", "0", payload, "REPLACE")
    pair.check("LRANGE", "k", "0", "-1")


def test_restore_bad_checksum(pair, clients):
    _, r = clients
    r.set("src", "hello")
    payload = bytearray(r.dump("src"))
    payload[-1] ^= 0xFF
    pair.check("RESTORE", "k", "0", bytes(payload))
    pair.check("EXISTS", "k")


def test_restore_wrong_version(pair, clients):
    _, r = clients
    r.set("src", "hello")
    payload = bytearray(r.dump("src"))
    payload[-10] = 11
    pair.check("RESTORE", "k", "0", bytes(payload))


def test_restore_truncated_payload(pair, clients):
    _, r = clients
    r.set("src", "hello")
    payload = r.dump("src")
    pair.check("RESTORE", "k", "0", payload[:5])
    pair.check("RESTORE", "k", "0", b"")


def crc64(data):
    """CRC-64/Jones as Redis computes it (reflected, poly 0xad93d23594c935a9)."""
    poly = 0x95AC9329AC4BC9B5
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
    return crc


def with_trailer(body, version=10):
    data = body + bytes([version, 0])
    return data + crc64(data).to_bytes(8, "little")


def test_crc64_helper_matches_redis_vector():
    assert crc64(b"123456789") == 0xe9c6d914c4b8d9ca


def test_restore_corrupt_body_with_valid_trailer(pair):
    # A string whose declared length runs past the payload (trailer included: Redis reads into it).
    pair.check("RESTORE", "k", "0", with_trailer(b"\x00\x30abc"))
    pair.check("EXISTS", "k")
    pair.check("RESTORE", "k", "0", with_trailer(b"\x00\x0aabc"))
    pair.check("GET", "k")
    pair.check("EXISTS", "k")


def test_restore_unknown_type_with_valid_trailer(pair):
    pair.check("RESTORE", "k", "0", with_trailer(b"\x63\x01a"))


def test_restore_empty_list_with_valid_trailer(pair):
    pair.check("RESTORE", "k", "0", with_trailer(b"\x12\x00"))


def test_restore_old_plain_list_type(pair):
    # RDB type 1: count, then strings (what Redis wrote before ziplists).
    pair.check("RESTORE", "k", "0", with_trailer(b"\x01\x02\x01a\xc0\x05"))
    pair.check("LRANGE", "k", "0", "-1")
    pair.check("OBJECT", "ENCODING", "k")


def test_restore_old_string_score_zset_type(pair):
    # RDB type 3: member, then the score as a length-prefixed string (254 = +inf, 255 = -inf).
    pair.check("RESTORE", "k", "0", with_trailer(b"\x03\x03\x01a\x031.5\x01b\xfe\x01c\xff"))
    pair.check("ZRANGE", "k", "0", "-1", "WITHSCORES")
    pair.check("OBJECT", "ENCODING", "k")


def test_restore_version_9_payload(pair, clients):
    _, r = clients
    r.set("src", "hello")
    body = r.dump("src")[:-10]
    pair.check("RESTORE", "k", "0", with_trailer(body, version=9))
    pair.check("GET", "k")


def test_restore_negative_ttl(pair, clients):
    _, r = clients
    r.set("src", "v")
    pair.check("RESTORE", "k", "-1", r.dump("src"))


def test_restore_non_integer_ttl(pair, clients):
    _, r = clients
    r.set("src", "v")
    pair.check("RESTORE", "k", "abc", r.dump("src"))


def test_restore_ttl_sets_expiry(pair, clients):
    _, r = clients
    r.set("src", "v")
    pair.check("RESTORE", "k", "100000", r.dump("src"))
    pair.check_close("PTTL", "k", tolerance=1000)


def test_restore_absttl_in_past_creates_nothing(pair, clients):
    _, r = clients
    r.set("src", "v")
    pair.check("RESTORE", "k", "1000", r.dump("src"), "ABSTTL")
    pair.check("EXISTS", "k")


def test_restore_absttl_in_past_with_replace_deletes_old(pair, clients):
    _, r = clients
    r.set("src", "v")
    pair.check("SET", "k", "old")
    pair.check("RESTORE", "k", "1000", r.dump("src"), "ABSTTL", "REPLACE")
    pair.check("EXISTS", "k")


def test_restore_absttl_in_future(pair, clients):
    _, r = clients
    r.set("src", "v")
    pair.check("RESTORE", "k", "4102444800000", r.dump("src"), "ABSTTL")
    pair.check("PEXPIRETIME", "k")


def test_restore_idletime_sets_object_idletime(pair, clients):
    _, r = clients
    r.set("src", "v")
    pair.check("RESTORE", "k", "0", r.dump("src"), "IDLETIME", "1000")
    pair.check_close("OBJECT", "IDLETIME", "k", tolerance=2)


def test_restore_option_errors(pair, clients):
    _, r = clients
    r.set("src", "v")
    payload = r.dump("src")
    pair.check("RESTORE", "k", "0", payload, "IDLETIME", "-1")
    pair.check("RESTORE", "k", "0", payload, "IDLETIME", "x")
    pair.check("RESTORE", "k", "0", payload, "FREQ", "256")
    pair.check("RESTORE", "k", "0", payload, "FREQ", "-1")
    pair.check("RESTORE", "k", "0", payload, "IDLETIME")
    pair.check("RESTORE", "k", "0", payload, "BOGUS")
    pair.check("RESTORE", "k", "0", payload, "FREQ", "5")
    pair.check("EXISTS", "k")


def test_restore_syntax_error_comes_before_busykey(pair, clients):
    _, r = clients
    r.set("src", "v")
    pair.check("SET", "k", "v")
    pair.check("RESTORE", "k", "0", r.dump("src"), "BOGUS")


def test_restore_arity(pair):
    pair.check("RESTORE", "k", "0")
    pair.check("DUMP")


def test_command_info_matches_in_what_the_table_records(pair):
    # Name, arity, flags, first/last/step and ACL categories (the table records no tips or key-spec flags yet).
    for name in ("dump", "restore"):
        ours, real = (decode(x) for x in pair.both("COMMAND", "INFO", name))
        assert ours[0][:6] == real[0][:6]


def test_command_docs_match_in_what_the_table_records(pair):
    for name in ("dump", "restore"):
        ours, real = (decode(x) for x in pair.both("COMMAND", "DOCS", name))
        ours_doc = dict(zip(ours[1][::2], ours[1][1::2]))
        real_doc = dict(zip(real[1][::2], real[1][1::2]))
        for field in (b"summary", b"since", b"group", b"complexity", b"arguments"):
            assert ours_doc.get(field) == real_doc.get(field), field


def test_restore_fires_the_restore_keyspace_event(ours, real):
    payload = None
    for server in (real, ours):
        r = server.redis()
        r.config_set("notify-keyspace-events", "KEA")
        r.set("src", "v")
        payload = payload or r.dump("src")
        sub = server.redis().pubsub()
        sub.psubscribe("__key*__:*")
        assert sub.get_message(timeout=5)["type"] == "psubscribe"
        r.restore("k", 0, payload)
        got = []
        for _ in range(2):
            m = sub.get_message(timeout=5)
            got.append((m["channel"], m["data"]))
        assert got == [(b"__keyspace@0__:k", b"restore"), (b"__keyevent@0__:restore", b"k")], server
        sub.close()
        r.config_set("notify-keyspace-events", "")
        r.close()


@pytest.mark.parametrize("blocking", [("BLPOP", "k", "5"), ("BZPOPMIN", "k", "5")])
def test_restore_serves_a_client_blocked_on_the_key(ours, real, blocking):
    for server in (real, ours):
        r = server.redis()
        if blocking[0] == "BLPOP":
            r.rpush("src", "a", "b")
        else:
            r.zadd("src", {"a": 1})
        payload = r.dump("src")
        waiter = server.client(timeout=10)
        waiter.send_raw(encode_command(*blocking))
        deadline = time.monotonic() + 5
        while r.info("clients")["blocked_clients"] < 1:
            assert time.monotonic() < deadline, "client never blocked on %s" % server
            time.sleep(0.01)
        r.restore("k", 0, payload)
        reply = decode(waiter.read_reply())
        assert reply[0] == b"k", server
        waiter.close()
        r.close()


@pytest.mark.parametrize("fill", ["-1", "-3", "5", "0"])
def test_list_nodes_are_sized_like_redis_for_every_fill(clients, fill):
    o, r = clients
    for c in (o, r):
        c.config_set("list-max-listpack-size", fill)
        c.rpush("k", *[str(i) + ("x" * (i % 50)) for i in range(700)])
    try:
        assert o.dump("k") == r.dump("k")
    finally:
        for c in (o, r):
            c.config_set("list-max-listpack-size", "-2")
