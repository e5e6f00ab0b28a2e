"""BF.*, the compiled-in Bloom filter example (Plugins/Bloom) on a custom data type (`MBbloom--`): RedisBloom's
command semantics and error texts, checked against a model (no RedisBloom in the reference server), and the
type's integration with the kernel: TYPE / OBJECT ENCODING / MEMORY USAGE, deep COPY, DUMP/RESTORE, RDB
(DEBUG RELOAD, SAVE + restart), AOF rewrite + restart, replication, MULTI, scripts, ACL, keyspace events, a
corrupt payload, an unknown module type in an RDB file (the same log line as redis-server's), and MODULE UNLOAD
of a loadable module that exports a type."""

import os
import random
import shutil
import struct
import subprocess
import tempfile
import time

import pytest
import redis

from conftest import ServerProcess, free_port, ours_binary, real_binary
from resp import RespError, decode

DEADLINE = 60


def wait_for(predicate, what, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list):
        return [_text(x) for x in v]
    return v


def call(c, *args):
    """A decoded reply with bulk and simple strings as text."""
    return _text(decode(c.call(*args)))


def raw(c, *args):
    return c.call(*args)


@pytest.fixture
def r(ours):
    with ours.redis() as client:
        yield client


@pytest.fixture
def tmpdir_path():
    d = tempfile.mkdtemp(prefix="bloom-it-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


# -- commands ---------------------------------------------------------------------------------------------------

def test_add_replies_one_then_zero_and_exists_follows(r):
    assert r.execute_command("BF.ADD", "f", "a") == 1
    assert r.execute_command("BF.ADD", "f", "a") == 0
    assert r.execute_command("BF.MADD", "f", "b", "c", "a") == [1, 1, 0]
    assert r.execute_command("BF.EXISTS", "f", "a") == 1
    assert r.execute_command("BF.MEXISTS", "f", "a", "b", "nope") == [1, 1, 0]
    assert r.execute_command("BF.EXISTS", "missing", "a") == 0
    assert r.execute_command("BF.CARD", "f") == 3
    assert r.execute_command("BF.CARD", "missing") == 0


def test_auto_created_filter_has_redisbloom_defaults(r):
    r.execute_command("BF.ADD", "f", "x")
    info = r.execute_command("BF.INFO", "f")
    fields = dict(zip([k.decode() if isinstance(k, bytes) else k for k in info[0::2]], info[1::2]))
    assert fields["Capacity"] == 100
    assert fields["Number of filters"] == 1
    assert fields["Number of items inserted"] == 1
    assert fields["Expansion rate"] == 2
    assert fields["Size"] > 0
    assert r.execute_command("BF.INFO", "f", "CAPACITY") == [100]
    assert r.execute_command("BF.INFO", "f", "items") == [1]
    assert r.execute_command("BF.INFO", "f", "EXPANSION") == [2]
    assert r.execute_command("BF.INFO", "f", "filters") == [1]


def test_info_reply_is_an_array_of_simple_strings_and_integers(ours):
    with ours.client() as c:
        call(c, "BF.RESERVE", "f", "0.01", "100", "NONSCALING")
        reply = raw(c, "BF.INFO", "f")
        assert reply.startswith(b"*10\r\n+Capacity\r\n:100\r\n+Size\r\n:")
        assert reply.endswith(b"+Number of filters\r\n:1\r\n+Number of items inserted\r\n:0\r\n"
                              b"+Expansion rate\r\n$-1\r\n")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_false_negatives_and_false_positive_rate_within_bound(r, seed):
    rng = random.Random(seed)
    error, n = 0.01, 3000
    r.execute_command("BF.RESERVE", "f", error, n)
    members = ["m:%d:%d" % (seed, rng.getrandbits(48)) for _ in range(n)]
    for i in range(0, n, 500):
        r.execute_command("BF.MADD", "f", *members[i:i + 500])
    assert all(v == 1 for i in range(0, n, 500) for v in r.execute_command("BF.MEXISTS", "f", *members[i:i + 500]))
    probes = ["p:%d:%d" % (seed, i) for i in range(20000)]
    hits = 0
    for i in range(0, len(probes), 1000):
        hits += sum(r.execute_command("BF.MEXISTS", "f", *probes[i:i + 1000]))
    assert hits / len(probes) <= error * 1.5, hits
    assert r.execute_command("BF.INFO", "f", "filters") == [1]


def test_scaling_adds_a_sub_filter_when_capacity_is_reached(r):
    r.execute_command("BF.RESERVE", "f", "0.01", "10", "EXPANSION", "3")
    items = ["i%d" % i for i in range(40)]
    added = sum(r.execute_command("BF.MADD", "f", *items))
    info = r.execute_command("BF.INFO", "f", "filters")[0]
    assert info >= 2
    assert r.execute_command("BF.INFO", "f", "CAPACITY") == [sum(10 * 3 ** k for k in range(info))]
    assert r.execute_command("BF.CARD", "f") == added
    assert r.execute_command("BF.MEXISTS", "f", *items) == [1] * 40


def test_nonscaling_full_filter_replies_an_error_and_stops(ours):
    with ours.client() as c:
        assert call(c, "BF.RESERVE", "f", "0.001", "5", "NONSCALING") == "OK"
        reply = call(c, "BF.INSERT", "f", "ITEMS", *["x%d" % i for i in range(9)])
        assert reply[:5] == [1, 1, 1, 1, 1]
        assert reply[5] == RespError("ERR non scaling filter is full")
        assert len(reply) == 6
        assert raw(c, "BF.ADD", "f", "another") == b"-ERR non scaling filter is full\r\n"
        assert call(c, "BF.INFO", "f", "filters") == [1]


@pytest.mark.parametrize("args,error", [
    (["BF.RESERVE", "f", "x", "10"], b"-ERR bad error rate\r\n"),
    (["BF.RESERVE", "f", "1", "10"], b"-ERR (0 < error rate range < 1) \r\n"),
    (["BF.RESERVE", "f", "0", "10"], b"-ERR (0 < error rate range < 1) \r\n"),
    (["BF.RESERVE", "f", "0.1", "x"], b"-ERR bad capacity\r\n"),
    (["BF.RESERVE", "f", "0.1", "0"], b"-ERR (capacity should be larger than 0)\r\n"),
    (["BF.RESERVE", "f", "0.1", "10", "EXPANSION"], b"-ERR no expansion\r\n"),
    (["BF.RESERVE", "f", "0.1", "10", "EXPANSION", "x"], b"-ERR bad expansion\r\n"),
    (["BF.RESERVE", "f", "0.1", "10", "NONSCALING", "EXPANSION", "2"], b"-Nonscaling filters cannot expand\r\n"),
    (["BF.RESERVE", "f", "0.1", "10", "a", "b", "c", "d"], b"-ERR wrong number of arguments for 'bf.reserve' command\r\n"),
    (["BF.INSERT", "f", "CAPACITY", "x", "ITEMS", "a"], b"-Bad capacity\r\n"),
    (["BF.INSERT", "f", "ERROR", "x", "ITEMS", "a"], b"-Bad error rate\r\n"),
    (["BF.INSERT", "f", "EXPANSION", "x", "ITEMS", "a"], b"-Bad expansion\r\n"),
    (["BF.INSERT", "f", "ERROR", "2", "ITEMS", "a"], b"-Bad argument received\r\n"),
    (["BF.INSERT", "f", "BOGUS", "ITEMS", "a"], b"-Unknown argument received\r\n"),
    (["BF.INSERT", "f", "CAPACITY", "10", "ITEMS"], b"-ERR wrong number of arguments for 'bf.insert' command\r\n"),
    (["BF.INSERT", "f", "NOCREATE", "ITEMS", "a"], b"-ERR not found\r\n"),
    (["BF.INFO", "f"], b"-ERR not found\r\n"),
    (["BF.ADD", "f", "a", "b"], b"-ERR wrong number of arguments for 'bf.add' command\r\n"),
    (["BF.EXISTS", "f", "a", "b"], b"-ERR wrong number of arguments for 'bf.exists' command\r\n"),
])
def test_errors_as_redisbloom(ours, args, error):
    with ours.client() as c:
        assert raw(c, *args) == error
        assert call(c, "EXISTS", "f") == 0


def test_reserve_on_existing_key_replies_item_exists(ours):
    with ours.client() as c:
        call(c, "BF.ADD", "f", "a")
        assert raw(c, "BF.RESERVE", "f", "0.1", "10") == b"-ERR item exists\r\n"


def test_info_unknown_field_is_refused(ours):
    with ours.client() as c:
        call(c, "BF.ADD", "f", "a")
        assert raw(c, "BF.INFO", "f", "nope") == b"-Invalid information value\r\n"


def test_wrong_type_keys(ours):
    with ours.client() as c:
        call(c, "SET", "s", "v")
        wrongtype = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        assert raw(c, "BF.ADD", "s", "a") == wrongtype
        assert raw(c, "BF.INFO", "s") == wrongtype
        assert raw(c, "BF.CARD", "s") == wrongtype
        assert raw(c, "BF.EXISTS", "s", "a") == b":0\r\n"  # RedisBloom answers 0 for another type
        call(c, "BF.ADD", "f", "a")
        assert raw(c, "GET", "f") == wrongtype
        assert raw(c, "LPUSH", "f", "x") == wrongtype


def test_insert_creates_with_its_options(r):
    assert r.execute_command("BF.INSERT", "f", "CAPACITY", "1000", "ERROR", "0.001", "EXPANSION", "4",
                             "ITEMS", "a", "b") == [1, 1]
    assert r.execute_command("BF.INFO", "f", "capacity") == [1000]
    assert r.execute_command("BF.INFO", "f", "expansion") == [4]
    assert r.execute_command("BF.INSERT", "g", "NONSCALING", "ITEMS", "a") == [1]
    assert r.execute_command("BF.INFO", "g", "expansion") == [None]


# -- the data type in the kernel ---------------------------------------------------------------------------------

def test_type_encoding_and_memory_usage(r):
    r.execute_command("BF.RESERVE", "f", "0.01", "1000")
    assert r.type("f") == b"MBbloom--"
    assert r.object("encoding", "f") == b"raw"
    small = r.memory_usage("f")
    size = r.execute_command("BF.INFO", "f", "SIZE")[0]
    assert small >= size
    r.execute_command("BF.RESERVE", "g", "0.0001", "100000")
    assert r.memory_usage("g") > small + 100000
    assert sorted(r.scan(0, _type="MBbloom--", count=1000)[1]) == [b"f", b"g"]
    assert sorted(r.scan(0, _type="mbbloom--", count=1000)[1]) == [b"f", b"g"]


def test_copy_is_deep(r):
    r.execute_command("BF.ADD", "f", "a")
    assert r.copy("f", "g") == 1
    assert r.execute_command("BF.ADD", "g", "only-in-copy") == 1
    assert r.execute_command("BF.EXISTS", "g", "only-in-copy") == 1
    assert r.execute_command("BF.EXISTS", "f", "only-in-copy") == 0
    assert r.execute_command("BF.CARD", "f") == 1
    assert r.execute_command("BF.CARD", "g") == 2


def test_digest_value_follows_content(r):
    r.execute_command("BF.ADD", "f", "a")
    r.copy("f", "g")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "f") == r.execute_command("DEBUG", "DIGEST-VALUE", "g")
    r.execute_command("BF.ADD", "g", "b")
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "f") != r.execute_command("DEBUG", "DIGEST-VALUE", "g")


def test_dump_restore_round_trip(r):
    items = ["d%d" % i for i in range(300)]
    r.execute_command("BF.RESERVE", "f", "0.01", "100")
    r.execute_command("BF.MADD", "f", *items)
    payload = r.dump("f")
    assert payload[0] == 7  # RDB_TYPE_MODULE_2
    digest = r.execute_command("DEBUG", "DIGEST-VALUE", "f")
    r.restore("g", 0, payload)
    assert r.type("g") == b"MBbloom--"
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "g") == digest
    assert r.execute_command("BF.MEXISTS", "g", *items) == [1] * len(items)
    assert r.execute_command("BF.INFO", "g") == r.execute_command("BF.INFO", "f")


def test_corrupt_dump_payload_is_refused_and_the_server_keeps_serving(ours):
    with ours.redis() as r, ours.client() as c:
        r.execute_command("BF.ADD", "f", "a")
        payload = bytearray(r.dump("f"))
        call(c, "DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")
        try:
            # A truncated body, an opcode changed (unsigned -> string), an unknown module type's name.
            truncated = bytes(payload[:20]) + bytes(payload[-10:])
            assert raw(c, "RESTORE", "g", "0", truncated) == b"-ERR Bad data format\r\n"
            bad_opcode = bytearray(payload)
            bad_opcode[10] = 5  # the first value's opcode (after type byte, 9-byte id): UINT 2 -> STRING 5
            assert raw(c, "RESTORE", "g", "0", bytes(bad_opcode)) == b"-ERR Bad data format\r\n"
            unknown = bytearray(payload)
            unknown[2] ^= 0x10  # inside the packed name
            assert raw(c, "RESTORE", "g", "0", bytes(unknown)) == b"-ERR Bad data format\r\n"
            # Nonsense inside the fields (a link count of zero).
            zero_links = bytearray(payload)
            assert zero_links[12:14] == b"\x02\x01", zero_links[:20]
            zero_links[13] = 0
            assert raw(c, "RESTORE", "g", "0", bytes(zero_links)) == b"-ERR Bad data format\r\n"
        finally:
            call(c, "DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0")
        assert call(c, "EXISTS", "g") == 0
        assert call(c, "PING") == "PONG"
        assert call(c, "BF.EXISTS", "f", "a") == 1


def test_corrupt_checksum_is_refused_as_redis(ours):
    with ours.redis() as r, ours.client() as c:
        r.execute_command("BF.ADD", "f", "a")
        payload = bytearray(r.dump("f"))
        payload[-1] ^= 1
        assert raw(c, "RESTORE", "g", "0", bytes(payload)) == b"-ERR DUMP payload version or checksum are wrong\r\n"


def test_debug_reload_round_trip(r):
    items = ["r%d" % i for i in range(500)]
    r.execute_command("BF.RESERVE", "f", "0.001", "50", "EXPANSION", "3")
    r.execute_command("BF.MADD", "f", *items)
    r.execute_command("BF.RESERVE", "n", "0.1", "5", "NONSCALING")
    r.pexpire("f", 10_000_000)
    digest = r.execute_command("DEBUG", "DIGEST")
    info = r.execute_command("BF.INFO", "f")
    assert r.execute_command("DEBUG", "RELOAD") == b"OK"
    assert r.execute_command("DEBUG", "DIGEST") == digest
    assert r.execute_command("BF.INFO", "f") == info
    assert r.execute_command("BF.MEXISTS", "f", *items) == [1] * len(items)
    assert r.execute_command("BF.INFO", "n", "expansion") == [None]
    assert r.pttl("f") > 0


def test_save_and_restart_round_trip(tmpdir_path):
    srv = ServerProcess(ours_binary(), "ours-bloom-save", ["--dir", tmpdir_path])
    try:
        srv.start()
        with srv.redis() as r:
            r.execute_command("BF.MADD", "f", *["s%d" % i for i in range(250)])
            digest = r.execute_command("DEBUG", "DIGEST")
            card = r.execute_command("BF.CARD", "f")  # false positives of a scaled filter count as present
            assert 240 <= card <= 250
            assert r.save()
        srv.stop()
        srv.start()
        with srv.redis() as r:
            assert r.execute_command("DEBUG", "DIGEST") == digest
            assert r.execute_command("BF.CARD", "f") == card
            assert r.execute_command("BF.MEXISTS", "f", *["s%d" % i for i in range(250)]) == [1] * 250
    finally:
        srv.stop()


@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_aof_rewrite_and_restart_round_trip(tmpdir_path, preamble):
    args = ["--dir", tmpdir_path, "--appendonly", "yes", "--aof-use-rdb-preamble", preamble]
    srv = ServerProcess(ours_binary(), "ours-bloom-aof", args)
    try:
        srv.start()
        with srv.redis() as r:
            r.execute_command("BF.RESERVE", "f", "0.01", "20", "EXPANSION", "2")
            r.execute_command("BF.MADD", "f", *["a%d" % i for i in range(100)])
            r.execute_command("BF.RESERVE", "n", "0.05", "10", "NONSCALING")
            r.execute_command("BF.ADD", "n", "x")
            before = r.info("persistence")["aof_rewrites"]
            r.execute_command("BGREWRITEAOF")
            wait_for(lambda: r.info("persistence")["aof_rewrites"] > before
                     and r.info("persistence")["aof_rewrite_in_progress"] == 0, "the AOF rewrite")
            r.execute_command("BF.ADD", "f", "after-rewrite")
            digest = r.execute_command("DEBUG", "DIGEST")
            info = r.execute_command("BF.INFO", "f")
        srv.stop()
        srv.start()
        with srv.redis() as r:
            assert r.execute_command("DEBUG", "DIGEST") == digest
            assert r.execute_command("BF.INFO", "f") == info
            assert r.execute_command("BF.EXISTS", "f", "after-rewrite") == 1
            assert r.execute_command("BF.INFO", "n", "expansion") == [None]
    finally:
        srv.stop()


def test_scandump_and_loadchunk_round_trip(r):
    r.execute_command("BF.RESERVE", "f", "0.01", "50")
    r.execute_command("BF.MADD", "f", *["c%d" % i for i in range(120)])
    chunks = []
    it = 0
    while True:
        it, data = r.execute_command("BF.SCANDUMP", "f", it)
        if it == 0:
            break
        chunks.append((it, data))
    assert len(chunks) >= 2
    for it, data in chunks:
        assert r.execute_command("BF.LOADCHUNK", "g", it, data) == b"OK"
    assert r.execute_command("DEBUG", "DIGEST-VALUE", "g") == r.execute_command("DEBUG", "DIGEST-VALUE", "f")
    assert r.execute_command("BF.MEXISTS", "g", *["c%d" % i for i in range(120)]) == [1] * 120


def test_loadchunk_refuses_bad_data(ours):
    with ours.client() as c:
        assert raw(c, "BF.LOADCHUNK", "g", "1", "garbage") == b"-ERR received bad data\r\n"
        assert raw(c, "BF.LOADCHUNK", "g", "5", "x") == b"-ERR not found\r\n"
        call(c, "BF.ADD", "g", "a")
        assert raw(c, "BF.LOADCHUNK", "g", "100000000", "x") == b"-ERR invalid offset - no link found\r\n"
        assert call(c, "BF.EXISTS", "g", "a") == 1


def _rdb_with_bloom(dirpath):
    """Saves an RDB holding one Bloom filter (checksum off, so the file can be edited) and returns its path."""
    srv = ServerProcess(ours_binary(), "ours-bloom-rdb", ["--dir", dirpath, "--rdbchecksum", "no"])
    try:
        srv.start()
        with srv.redis() as r:
            r.execute_command("BF.ADD", "bloomkey", "a")
            assert r.save()
    finally:
        srv.stop()
    return os.path.join(dirpath, "dump.rdb")


def _start_expecting_failure(binary, dirpath):
    log = os.path.join(dirpath, "start.log")
    with open(log, "wb") as out:
        proc = subprocess.run([binary, "--port", str(free_port()), "--dir", dirpath, "--save", "", "--logfile", ""],
                              stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=60)
    with open(log, "rb") as f:
        return proc.returncode, f.read().decode("utf-8", "replace")


def test_unknown_module_type_in_rdb_stops_the_start_as_redis(tmpdir_path):
    path = _rdb_with_bloom(tmpdir_path)
    # redis-server has no MBbloom-- type: it refuses our file with its text.
    # (redis-server then runs its RDB check on the file, which skips module values, and exits with its status.)
    _code, log = _start_expecting_failure(real_binary(), tmpdir_path)
    assert "The RDB file contains module data I can't load: no matching module type 'MBbloom--'" in log
    # Ours, given a file whose type name no module exports, refuses it with the same text.
    data = bytearray(open(path, "rb").read())
    marker = b"\x07\x08bloomkey\x81"
    at = data.index(marker) + len(marker)
    idv = struct.unpack(">Q", bytes(data[at:at + 8]))[0]
    assert idv & 1023 == 4
    zz = 51  # 'z' in Redis's charset: the first character of the name becomes 'z'
    idv = (idv & ~(63 << 58)) | (zz << 58)
    data[at:at + 8] = struct.pack(">Q", idv)
    with open(path, "wb") as f:
        f.write(data)
    code, log = _start_expecting_failure(ours_binary(), tmpdir_path)
    assert code != 0
    assert "The RDB file contains module data I can't load: no matching module type 'zBbloom--'" in log


def test_replica_receives_the_filter_and_its_updates():
    master = ServerProcess(ours_binary(), "ours-bloom-master", [])
    replica = None
    try:
        master.start()
        with master.redis() as m:
            m.execute_command("BF.MADD", "f", *["x%d" % i for i in range(200)])
            replica = ServerProcess(ours_binary(), "ours-bloom-replica", ["--replicaof", "127.0.0.1", str(master.port)])
            replica.start()
            with replica.redis() as s:
                wait_for(lambda: s.info("replication").get("master_link_status") == "up", "the replica link")
                wait_for(lambda: s.execute_command("BF.CARD", "f") == 200, "the full sync")
                m.execute_command("BF.ADD", "f", "streamed")
                m.execute_command("BF.RESERVE", "g", "0.1", "10", "NONSCALING")
                wait_for(lambda: s.execute_command("BF.EXISTS", "f", "streamed") == 1, "the streamed add")
                wait_for(lambda: s.exists("g") == 1, "the streamed reserve")
                assert s.execute_command("DEBUG", "DIGEST") == m.execute_command("DEBUG", "DIGEST")
                assert s.type("f") == b"MBbloom--"
    finally:
        if replica:
            replica.stop()
        master.stop()


def test_multi_exec_queues_bloom_commands(ours):
    with ours.client() as c:
        assert call(c, "MULTI") == "OK"
        assert call(c, "BF.ADD", "f", "a") == "QUEUED"
        assert call(c, "BF.EXISTS", "f", "a") == "QUEUED"
        assert call(c, "EXEC") == [1, 1]


def test_scripts_call_bloom_commands(r):
    assert r.eval("return redis.call('BF.ADD', KEYS[1], ARGV[1])", 1, "f", "a") == 1
    assert r.eval("return redis.call('BF.MEXISTS', KEYS[1], 'a', 'b')", 1, "f") == [1, 0]
    r.execute_command("BF.RESERVE", "n", "0.1", "1", "NONSCALING")
    with pytest.raises(redis.ResponseError, match="non scaling filter is full"):
        r.eval("redis.call('BF.ADD', KEYS[1], 'a'); return redis.call('BF.ADD', KEYS[1], 'b')", 1, "n")
    assert r.execute_command("BF.CARD", "n") == 1


def test_acl_by_command_and_category(ours):
    with ours.client() as c:
        call(c, "ACL", "SETUSER", "bfuser", "on", "nopass", "~*", "-@all", "+bf.add")
        call(c, "ACL", "SETUSER", "nowrite", "on", "nopass", "~*", "+@all", "-@write")
        try:
            assert call(c, "AUTH", "bfuser", "x") == "OK"
            assert call(c, "BF.ADD", "f", "a") == 1
            reply = raw(c, "BF.EXISTS", "f", "a")
            assert reply.startswith(b"-NOPERM"), reply
            assert call(c, "AUTH", "nowrite", "x") == "OK"
            assert raw(c, "BF.ADD", "f", "b").startswith(b"-NOPERM")
            assert call(c, "BF.EXISTS", "f", "a") == 1
        finally:
            call(c, "AUTH", "default", "x")
            call(c, "ACL", "DELUSER", "bfuser", "nowrite")


def test_keyspace_events(ours):
    with ours.client() as c, ours.client() as sub:
        call(c, "CONFIG", "SET", "notify-keyspace-events", "KEg")
        try:
            sub.send("SUBSCRIBE", "__keyevent@0__:bf.add", "__keyevent@0__:bf.reserve")
            sub.read_reply()
            sub.read_reply()
            call(c, "BF.RESERVE", "f", "0.1", "10")
            call(c, "BF.ADD", "f", "a")
            call(c, "BF.ADD", "f", "a")  # nothing added: no event
            call(c, "BF.ADD", "g", "b")  # created and added
            msgs = []
            while len(msgs) < 4:
                msgs.append(_text(decode(sub.read_reply())))
            assert msgs == [["message", "__keyevent@0__:bf.reserve", "f"], ["message", "__keyevent@0__:bf.add", "f"],
                            ["message", "__keyevent@0__:bf.reserve", "g"], ["message", "__keyevent@0__:bf.add", "g"]]
        finally:
            call(c, "CONFIG", "SET", "notify-keyspace-events", "")


def test_flushall_and_del_remove_filters(r):
    r.execute_command("BF.ADD", "f", "a")
    assert r.delete("f") == 1
    r.execute_command("BF.ADD", "f", "a")
    r.flushall()
    assert r.execute_command("BF.EXISTS", "f", "a") == 0


# -- the module's configs: bf.error-rate, bf.initial-size, bf.expansion ----------------------------------------


BLOOM_DEFAULTS = ["bf.error-rate", "0.01", "bf.initial-size", "100", "bf.expansion", "2"]


def test_bloom_configs_have_redisbloom_defaults(ours):
    with ours.client() as c:
        assert call(c, "CONFIG", "GET", "bf.*") == BLOOM_DEFAULTS


def test_bloom_configs_are_the_defaults_of_an_implicit_filter(server_factory):
    srv = server_factory("ours", "--bf.initial-size", "1000", "--bf.expansion", "4")
    with srv.client() as c:
        assert call(c, "BF.ADD", "k", "a") == 1
        fields = call(c, "BF.INFO", "k")
        assert fields[fields.index("Capacity") + 1] == 1000
        assert fields[fields.index("Expansion rate") + 1] == 4
        assert call(c, "CONFIG", "SET", "bf.initial-size", "50", "bf.expansion", "3") == "OK"
        assert call(c, "BF.RESERVE", "r", "0.01", "10") == "OK"
        fields = call(c, "BF.INFO", "r")
        assert fields[fields.index("Expansion rate") + 1] == 3
        assert call(c, "BF.INSERT", "i", "ITEMS", "x") == [1]
        fields = call(c, "BF.INFO", "i")
        assert fields[fields.index("Capacity") + 1] == 50


def test_bloom_error_rate_config_changes_the_implicit_filter_size(server_factory):
    srv = server_factory("ours")
    with srv.client() as c:
        assert call(c, "BF.ADD", "coarse", "a") == 1
        assert call(c, "CONFIG", "SET", "bf.error-rate", "0.0001") == "OK"
        assert call(c, "CONFIG", "GET", "bf.error-rate") == ["bf.error-rate", "0.0001"]
        assert call(c, "BF.ADD", "fine", "a") == 1
        coarse, fine = call(c, "BF.INFO", "coarse"), call(c, "BF.INFO", "fine")
        assert fine[fine.index("Size") + 1] > coarse[coarse.index("Size") + 1]


def test_bloom_config_refusals(ours):
    with ours.client() as c:
        for name, value, why in (("bf.error-rate", "1", "error-rate must be a number between 0 and 1 (exclusive)"),
                                 ("bf.error-rate", "abc", "error-rate must be a number between 0 and 1 (exclusive)"),
                                 ("bf.initial-size", "0", "argument must be between 1 and 1073741824 inclusive"),
                                 ("bf.expansion", "x", "argument couldn't be parsed into an integer")):
            assert c.call("CONFIG", "SET", name, value) == (
                "-ERR CONFIG SET failed (possibly related to argument '%s') - %s\r\n" % (name, why)).encode()
        assert call(c, "CONFIG", "GET", "bf.*") == BLOOM_DEFAULTS


def test_bloom_bad_config_line_stops_the_start(tmpdir_path):
    proc = subprocess.run([ours_binary(), "--port", "0", "--bf.expansion", "0"], capture_output=True, timeout=60,
                          cwd=tmpdir_path)
    assert proc.returncode == 1
    out = proc.stdout.decode()
    assert "Issue during loading of configuration bf.expansion : argument must be between 1 and 32768 inclusive" in out
