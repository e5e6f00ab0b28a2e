"""dump.rdb interop with redis-server 7.0.15, both ways, and how our server treats files it must refuse.

Every dataset of datasets.py (alone, all together, and two seeded random ones) goes through a file written by one
server and loaded by the other; the two must then agree on DEBUG DIGEST, key counts per database, types, OBJECT
ENCODING and PTTL (within a tolerance).  Corrupt, truncated, wrongly checksummed and too-many-databases files must
stop our server with a clear error (naming the byte offset for corrupt data), a non-zero exit status and no
signal, without ever answering a command from a half-loaded keyspace.  Old-format files (RDB 9 and 6, with
ziplist, zipmap, intset, quicklist v1 and string-score encodings) are built byte by byte here and loaded by both
servers, which must agree.
"""

import os
import re
import shutil
import struct

import pytest

import datasets
from persist_tools import (assert_same_keyspace, digest, keyspace, run_to_exit, start, wait_bgsave_done,
                           wait_for)
from test_dump_restore_diff import crc64

CASES = sorted(datasets.DATASETS) + ["everything", "random-1", "random-2"]


def build(name):
    if name == "everything":
        return datasets.everything(0)
    if name.startswith("random-"):
        return datasets.random_dataset(int(name.split("-")[1]), 150)
    return datasets.DATASETS[name](0)


def save_in(srv, dest_dir, background=False):
    """SAVE (or BGSAVE, polled to completion) on `srv`; copies its dump.rdb to `dest_dir`."""
    with srv.client() as c:
        if background:
            assert c.call("BGSAVE") == b"+Background saving started\r\n"
        else:
            assert c.call("SAVE") == b"+OK\r\n"
        path = os.path.join(c.call_decoded("CONFIG", "GET", "dir")[1].decode(), "dump.rdb")
    if background:
        wait_bgsave_done(srv)
    os.makedirs(str(dest_dir), exist_ok=True)
    shutil.copy(path, os.path.join(str(dest_dir), "dump.rdb"))
    return os.path.join(str(dest_dir), "dump.rdb")


def loaded(ds, source, data_dir, *args):
    """Start real and ours on data_dir/dump.rdb: both digests equal `source`'s; types, encodings (as each
    server converts on load), PTTLs and db sizes equal between the two readers and to `source` (bar encodings)."""
    readers = {}
    try:
        for kind in ("real", "ours"):
            readers[kind] = start(kind, data_dir, "--dbfilename", "dump.rdb", *args)
        want = digest(source)
        assert digest(readers["ours"]) == want
        assert digest(readers["real"]) == want
        assert_same_keyspace(keyspace(readers["ours"], ds), keyspace(readers["real"], ds))
        assert_same_keyspace(keyspace(readers["ours"], ds), keyspace(source, ds), encodings=False)
    finally:
        for srv in readers.values():
            srv.stop()


# ---------------------------------------------------------------------------------------------------------------
# Real → ours, ours → real
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_real_dump_loads_into_ours_with_identical_data(real, tmp_path, name):
    ds = build(name)
    with real.client() as c:
        datasets.load(c, ds)
    save_in(real, tmp_path)
    loaded(ds, real, tmp_path)


@pytest.mark.parametrize("name", CASES)
def test_our_save_loads_into_real_with_identical_data(ours, tmp_path, name):
    ds = build(name)
    with ours.client() as c:
        datasets.load(c, ds)
    save_in(ours, tmp_path)
    loaded(ds, ours, tmp_path)


@pytest.mark.parametrize("name", ["everything", "random-1"])
def test_our_bgsave_loads_into_real_with_identical_data(ours, tmp_path, name):
    ds = build(name)
    with ours.client() as c:
        datasets.load(c, ds)
    save_in(ours, tmp_path, background=True)
    loaded(ds, ours, tmp_path)


NO_COMPRESSION_NO_CHECKSUM = ("--rdbcompression", "no", "--rdbchecksum", "no")


@pytest.mark.parametrize("writer", ["real", "ours"])
def test_files_without_compression_and_checksum_interoperate(server_factory, tmp_path, writer):
    ds = build("everything")
    src = server_factory(writer, *NO_COMPRESSION_NO_CHECKSUM)
    with src.client() as c:
        datasets.load(c, ds)
    path = save_in(src, tmp_path)
    with open(path, "rb") as f:
        data = f.read()
    assert data[-8:] == b"\0" * 8, "rdbchecksum no writes a zero checksum"
    assert b"r" * 45 in data, "rdbcompression no keeps compressible strings as they are"
    loaded(ds, src, tmp_path, *NO_COMPRESSION_NO_CHECKSUM)


# ---------------------------------------------------------------------------------------------------------------
# Files our server must refuse
# ---------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_image(tmp_path_factory):
    """The bytes of a dump.rdb redis-server wrote for datasets.everything() (checksummed, compressed)."""
    from conftest import ServerProcess, real_binary
    srv = ServerProcess(real_binary(), "real-image").start()
    try:
        with srv.client() as c:
            datasets.load(c, datasets.everything(0))
        path = save_in(srv, tmp_path_factory.mktemp("image"))
    finally:
        srv.stop()
    with open(path, "rb") as f:
        return f.read()


def refuse(tmp_path, data, *args):
    """Write `data` as dump.rdb, run ours on it, assert a clean refusal; returns the log text."""
    with open(os.path.join(str(tmp_path), "dump.rdb"), "wb") as f:
        f.write(data)
    rc, log = run_to_exit("ours", tmp_path, "--dbfilename", "dump.rdb", *args)
    assert rc > 0, "exit status %r (negative: killed by a signal)\n%s" % (rc, log[-2000:])
    return log.decode("utf-8", "replace")


def test_keys_in_dbs_beyond_databases_stop_the_start_like_redis(tmp_path):
    ds = build("multi_db")  # writes db 9
    src = start("real", tmp_path / "src")
    try:
        with src.client() as c:
            datasets.load(c, ds)
        data = open(save_in(src, tmp_path / "copy"), "rb").read()
    finally:
        src.stop()
    ours_log = refuse(tmp_path, data, "--databases", "4")
    os.makedirs(str(tmp_path / "r"))
    open(str(tmp_path / "r" / "dump.rdb"), "wb").write(data)
    rc, real_log = run_to_exit("real", tmp_path / "r", "--dbfilename", "dump.rdb", "--databases", "4")
    assert rc > 0
    expected = "configured to handle more than 4 databases"
    assert expected in real_log.decode()
    assert expected in ours_log


@pytest.mark.parametrize("where", ["aux", "first-key", "third", "half", "two-thirds", "before-eof", "eof",
                                   "checksum"])
def test_a_flipped_byte_refuses_start_naming_the_offset(real_image, tmp_path, where):
    n = len(real_image)
    offset = {"aux": 12, "first-key": 140, "third": n // 3, "half": n // 2, "two-thirds": 2 * n // 3,
              "before-eof": n - 12, "eof": n - 9, "checksum": n - 1}[where]
    data = bytearray(real_image)
    data[offset] ^= 0x5A
    log = refuse(tmp_path, bytes(data))
    assert re.search(r"offset \d+", log), log[-2000:]


@pytest.mark.parametrize("cut", [0, 5, 9, 30, 300, "half", "before-eof", "no-checksum"])
def test_a_truncated_file_refuses_start_naming_the_offset(real_image, tmp_path, cut):
    n = len(real_image)
    length = {"half": n // 2, "before-eof": n - 9, "no-checksum": n - 8}.get(cut, cut)
    log = refuse(tmp_path, real_image[:length])
    if length >= 9:
        assert re.search(r"offset \d+", log), log[-2000:]


def test_a_bad_checksum_refuses_start_and_says_so(real_image, tmp_path):
    data = real_image[:-8] + struct.pack("<Q", crc64(real_image[:-8]) ^ 1)
    log = refuse(tmp_path, data)
    assert "checksum" in log.lower(), log[-2000:]


@pytest.mark.parametrize("offset_fraction", [0.0005, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999])
def test_garbage_in_an_unchecksummed_file_never_crashes(tmp_path, offset_fraction):
    """Without a checksum a flipped byte may still be a valid file; ours either loads it or exits cleanly."""
    body = unchecksummed_image(tmp_path)
    offset = max(9, min(len(body) - 1, int(len(body) * offset_fraction)))
    for flip in (0xFF, 0x80, 0x3F):
        data = bytearray(body)
        data[offset] ^= flip
        d = tmp_path / ("f%d" % flip)
        os.makedirs(str(d))
        with open(str(d / "dump.rdb"), "wb") as f:
            f.write(bytes(data))
        from conftest import ServerProcess, ours_binary
        srv = ServerProcess(ours_binary(), "ours-garbage", ["--dir", str(d), "--dbfilename", "dump.rdb"])
        try:
            srv.start()
            with srv.client() as c:
                assert c.call("PING") == b"+PONG\r\n"
        except RuntimeError as e:
            assert "exited with code" in str(e) and "code -" not in str(e), str(e)[-2000:]
        finally:
            srv.stop()


_UNCHECKSUMMED = {}


def unchecksummed_image(tmp_path):
    if "image" not in _UNCHECKSUMMED:
        srv = start("real", tmp_path / "src", "--rdbchecksum", "no")
        try:
            with srv.client() as c:
                datasets.load(c, datasets.random_dataset(3, 60))
            _UNCHECKSUMMED["image"] = open(save_in(srv, tmp_path / "copy"), "rb").read()
        finally:
            srv.stop()
    return _UNCHECKSUMMED["image"]


# ---------------------------------------------------------------------------------------------------------------
# Old formats, built byte by byte
# ---------------------------------------------------------------------------------------------------------------

def rdb_len(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def rdb_str(s):
    s = s if isinstance(s, bytes) else str(s).encode()
    return rdb_len(len(s)) + s


def ziplist(items):
    """A ziplist of str/bytes (up to 16383 bytes) and int items, with Redis's integer encodings."""
    entries = []
    prev = 0
    for it in items:
        head = bytes([prev]) if prev < 254 else b"\xfe" + struct.pack("<I", prev)
        if isinstance(it, int):
            if 0 <= it <= 12:
                enc = bytes([0xF1 + it])
            elif -128 <= it <= 127:
                enc = b"\xfe" + struct.pack("<b", it)
            elif -32768 <= it <= 32767:
                enc = b"\xc0" + struct.pack("<h", it)
            elif -(1 << 23) <= it < (1 << 23):
                enc = b"\xf0" + struct.pack("<i", it)[:3]
            elif -(1 << 31) <= it < (1 << 31):
                enc = b"\xd0" + struct.pack("<i", it)
            else:
                enc = b"\xe0" + struct.pack("<q", it)
        else:
            b = it if isinstance(it, bytes) else it.encode()
            enc = (bytes([len(b)]) if len(b) < 64 else bytes([0x40 | (len(b) >> 8), len(b) & 0xFF])) + b
        entry = head + enc
        entries.append(entry)
        prev = len(entry)
    body = b"".join(entries)
    tail = 10 + len(body) - (len(entries[-1]) if entries else 0)
    return struct.pack("<IIH", 10 + len(body) + 1, tail, min(len(entries), 65535)) + body + b"\xff"


def zipmap(pairs):
    out = bytes([len(pairs)])
    for k, v in pairs:
        out += bytes([len(k)]) + k + bytes([len(v), 0]) + v
    return out + b"\xff"


def intset(values, width):
    fmt = {2: "<h", 4: "<i", 8: "<q"}[width]
    return struct.pack("<II", width, len(values)) + b"".join(struct.pack(fmt, v) for v in sorted(values))


def old_rdb(version, checksum=True):
    """An RDB `version` file using the encodings Redis wrote before 7.0, in dbs 0 and 3, with expiries."""
    body = b"REDIS%04d" % version
    if version >= 7:
        body += b"\xfa" + rdb_str("redis-ver") + rdb_str("5.0.14")
    body += b"\xfe\x00"
    if version >= 7:
        body += b"\xfb" + rdb_len(9) + rdb_len(2)
    body += b"\x00" + rdb_str("str") + rdb_str("plain")
    body += b"\x00" + rdb_str("int") + b"\xc1" + struct.pack("<h", -1234)
    body += b"\xfc" + struct.pack("<Q", 4102444800123) + b"\x00" + rdb_str("expires-ms") + rdb_str("v")
    body += b"\xfd" + struct.pack("<I", 4102444800) + b"\x00" + rdb_str("expires-s") + rdb_str("v")
    body += b"\x01" + rdb_str("list:plain") + rdb_len(3) + rdb_str("a") + b"\xc0\x05" + rdb_str("")
    body += b"\x02" + rdb_str("set:plain") + rdb_len(2) + rdb_str("x") + rdb_str("y")
    body += b"\x03" + rdb_str("zset:strscores") + rdb_len(3) + rdb_str("a") + rdb_str("1.5") + rdb_str("b") \
        + b"\xfe" + rdb_str("c") + b"\xff"
    body += b"\x04" + rdb_str("hash:plain") + rdb_len(1) + rdb_str("f") + rdb_str("v")
    body += b"\x09" + rdb_str("hash:zipmap") + rdb_str(zipmap([(b"a", b"xy"), (b"bb", b"")]))
    body += b"\x0a" + rdb_str("list:ziplist") + rdb_str(ziplist(["a", 5, -100, 1000, 70000, 1 << 40, "x" * 70]))
    body += b"\x0b" + rdb_str("set:intset16") + rdb_str(intset([3, -2, 1000], 2))
    body += b"\x0b" + rdb_str("set:intset64") + rdb_str(intset([1 << 40, -1], 8))
    body += b"\x0c" + rdb_str("zset:ziplist") + rdb_str(ziplist(["m1", "1", "m2", "2.5", 7, "-inf"]))
    body += b"\x0d" + rdb_str("hash:ziplist") + rdb_str(ziplist(["f1", "v1", "f2", 12]))
    big = [i for i in range(300)]
    body += b"\x0d" + rdb_str("hash:ziplist:over-threshold") + rdb_str(ziplist(["f", "v" * 100]))
    body += b"\x0c" + rdb_str("zset:ziplist:over-threshold") + rdb_str(ziplist(["m" * 80, 1]))
    if version >= 7:
        body += b"\x0e" + rdb_str("list:quicklist1") + rdb_len(2) + rdb_str(ziplist(big[:150])) \
            + rdb_str(ziplist(["tail", "node"] + big[150:]))
    if version >= 9:
        body += b"\xfe\x03" + b"\xfc" + struct.pack("<Q", 4102444800999) + b"\x00" + rdb_str("db3") + rdb_str("v")
    body += b"\xff"
    if version >= 5:
        body += struct.pack("<Q", crc64(body) if checksum else 0)
    return body


@pytest.mark.parametrize("version", [9, 6])
def test_old_format_files_load_like_redis_loads_them(tmp_path, version):
    data = old_rdb(version)
    digests = []
    shapes = []
    ds = datasets.Dataset("old")
    for key in [b"str", b"int", b"expires-ms", b"expires-s", b"list:plain", b"set:plain", b"zset:strscores",
                b"hash:plain", b"hash:zipmap", b"list:ziplist", b"set:intset16", b"set:intset64",
                b"zset:ziplist", b"hash:ziplist", b"hash:ziplist:over-threshold",
                b"zset:ziplist:over-threshold"] + ([b"list:quicklist1"] if version >= 7 else []):
        ds.add(0, key, None)
    if version >= 9:
        ds.add(3, b"db3", None)
    for kind in ("real", "ours"):
        d = tmp_path / kind
        os.makedirs(str(d))
        open(str(d / "dump.rdb"), "wb").write(data)
        srv = start(kind, d, "--dbfilename", "dump.rdb")
        try:
            digests.append(digest(srv))
            shapes.append(keyspace(srv, ds))
        finally:
            srv.stop()
    assert digests[0] == digests[1]
    assert digests[0] != b"+" + b"0" * 40 + b"\r\n"
    assert_same_keyspace(shapes[1], shapes[0])


# ---------------------------------------------------------------------------------------------------------------
# DEBUG RELOAD
# ---------------------------------------------------------------------------------------------------------------

def test_debug_reload_keeps_the_digest_and_converts_encodings_like_redis(ours, real):
    ds = build("everything")
    before = {}
    for srv in (ours, real):
        with srv.client() as c:
            datasets.load(c, ds)
        before[srv.name] = digest(srv)
        with srv.client() as c:
            assert c.call("DEBUG", "RELOAD") == b"+OK\r\n"
    assert before["ours"] == before["real"]
    assert digest(ours) == before["ours"]
    assert digest(real) == before["real"]
    assert_same_keyspace(keyspace(ours, ds), keyspace(real, ds))


@pytest.mark.parametrize("args", [("BOGUS",), ("MERGE", "BOGUS"), ("NOSAVE", "NOFLUSH", "X"), ("merge",)])
def test_debug_reload_option_errors_match_redis(pair, args):
    pair.check("SET", "k", "v")
    pair.check("DEBUG", "RELOAD", *args)
    pair.check("GET", "k")


def test_debug_reload_nosave_noflush_merge_matches_redis(pair):
    pair.check("SET", "k", "v")
    pair.check("DEBUG", "RELOAD")
    pair.check("SET", "k", "changed")
    pair.check("SET", "new", "1")
    pair.check("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")
    pair.check("GET", "k")
    pair.check("GET", "new")
    pair.check("DBSIZE")


# ---------------------------------------------------------------------------------------------------------------
# DUMP payloads of every dataset key, both ways
# ---------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("direction", ["real-to-ours", "ours-to-real"])
def test_dump_payloads_of_every_key_restore_identically(ours, real, direction):
    src, dst = (real, ours) if direction == "real-to-ours" else (ours, real)
    ds = build("everything")
    with src.client() as c:
        datasets.load(c, ds)
    with src.client() as s, dst.client() as d:
        for db in ds.dbs():
            s.call("SELECT", db)
            d.call("SELECT", db)
            for _, key in [(x, k) for x, k in ds.keys() if x == db]:
                payload = s.call_decoded("DUMP", key)
                ttl = max(0, int(s.call("PTTL", key)[1:-2]))
                assert d.call("RESTORE", key, ttl, payload) == b"+OK\r\n", key
                assert d.call("DEBUG", "DIGEST-VALUE", key) == s.call("DEBUG", "DIGEST-VALUE", key), key
    assert digest(dst) == digest(src)


# ------------------------------------------------------------------ IDLE / FREQ opcodes ----

def lfu_dataset(c):
    """Keys read 0..9 times with lfu-log-factor 0 (each read adds one to the LFU counter: key:i has 5+i)."""
    for i in range(10):
        c.call("SET", "key:%d" % i, "v")
        for _ in range(i):
            c.call("GET", "key:%d" % i)


def freqs(srv):
    with srv.client() as c:
        return [c.call("OBJECT", "FREQ", "key:%d" % i) for i in range(10)]


@pytest.mark.parametrize("writer,reader", [("real", "ours"), ("ours", "real")])
def test_freq_opcodes_keep_lfu_counters_across_servers(tmp_path, writer, reader):
    """With an LFU policy Redis 7.0 writes each key's counter (RDB_OPCODE_FREQ 249) and the loader keeps it:
    OBJECT FREQ after loading equals OBJECT FREQ before saving, either way round."""
    lfu = ("--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0", "--lfu-decay-time", "0")
    src = start(writer, tmp_path / "w", *lfu)
    try:
        with src.client() as c:
            lfu_dataset(c)
        before = freqs(src)
        assert before[9] == b":14\r\n"
        save_in(src, tmp_path / "r")
    finally:
        src.stop()
    dst = start(reader, tmp_path / "r", "--dbfilename", "dump.rdb", *lfu)
    try:
        assert freqs(dst) == before
    finally:
        dst.stop()


@pytest.mark.parametrize("writer,reader", [("real", "ours"), ("ours", "real")])
def test_idle_opcodes_keep_idle_times_across_servers(tmp_path, writer, reader):
    """With an LRU policy Redis 7.0 writes each key's idle seconds (RDB_OPCODE_IDLE 248): a key untouched for a
    while is still idle that long after loading (at least: the clock went on), a fresh key less."""
    lru = ("--maxmemory-policy", "allkeys-lru")
    src = start(writer, tmp_path / "w", *lru)
    try:
        with src.client() as c:
            c.call("SET", "old", "v")
            wait_for(lambda: int(c.call("OBJECT", "IDLETIME", "old")[1:-2]) >= 2, what="key to be idle 2 s")
            c.call("SET", "new", "v")
        save_in(src, tmp_path / "r")
    finally:
        src.stop()
    dst = start(reader, tmp_path / "r", "--dbfilename", "dump.rdb", *lru)
    try:
        with dst.client() as c:
            old = int(c.call("OBJECT", "IDLETIME", "old")[1:-2])
            new = int(c.call("OBJECT", "IDLETIME", "new")[1:-2])
        assert old >= 2 and old >= new + 1
    finally:
        dst.stop()
