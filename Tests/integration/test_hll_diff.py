"""Differential tests for the HyperLogLog commands (Redis 7.0 semantics and representation).

The HLL is a string in Redis's exact format (header, sparse opcodes, dense 6-bit registers, cached cardinality),
so after the same PFADDs `GET` must return the same bytes on both servers, and a string copied from one server to
the other with SET must behave the same there.
"""

import os
import random

import pytest

from hashset_checks import use_resp3
from resp import decode

HLL_DENSE_SIZE = 16 + 12288


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def hpair(request, pair):
    if request.param == 3:
        use_resp3(pair)
    return pair


def add_elements(pair, key, elements, batch=500):
    for i in range(0, len(elements), batch):
        pair.check("PFADD", key, *elements[i:i + batch])


def elements(prefix, n):
    return ["%s:%d" % (prefix, i) for i in range(n)]


# ------------------------------------------------------------- representation ----

@pytest.mark.parametrize("n", [1, 100, 1000, 10000, 100000])
def test_pfadd_get_is_byte_equal(pair, n):
    add_elements(pair, "h", elements("e", n))
    raw = decode(pair.check("GET", "h"))
    pair.check("PFDEBUG", "ENCODING", "h")
    pair.check("PFCOUNT", "h")
    pair.check("GET", "h")  # with the cached cardinality now stored
    pair.check("STRLEN", "h")
    if n >= 10000:
        assert len(raw) == HLL_DENSE_SIZE
    else:
        assert raw[4] == 1


def test_sparse_to_dense_promotion_boundary(pair):
    # Add one at a time around the 3000-byte sparse limit and compare every step's string.
    es = elements("p", 2600)
    add_elements(pair, "h", es[:1500])
    for e in es[1500:]:
        pair.check("PFADD", "h", e)
        pair.check("STRLEN", "h")
    pair.check("PFDEBUG", "ENCODING", "h")
    pair.check("GET", "h")


def test_binary_and_empty_elements(hpair):
    hpair.check("PFADD", "h", "", b"\x00", b"\xff\xfe", "a" * 7, "b" * 8, "c" * 9, "d" * 1000)
    hpair.check("GET", "h")
    hpair.check("PFCOUNT", "h")


def test_pfadd_without_elements(hpair):
    hpair.check_script([("PFADD", "h"), ("GET", "h"), ("PFADD", "h"), ("PFCOUNT", "h"), ("OBJECT", "ENCODING", "h")])


def test_pfadd_return_values(hpair):
    hpair.check_script([("PFADD", "h", "a", "b"), ("PFADD", "h", "a"), ("PFADD", "h", "b", "a"),
                        ("PFADD", "h", "c"), ("PFCOUNT", "h")])


def test_small_sparse_limit_promotes_early(pair):
    for p in (pair.ours, pair.real):
        assert p.call("CONFIG", "SET", "hll-sparse-max-bytes", "100") == b"+OK\r\n"
    try:
        pair.check("CONFIG", "GET", "hll-sparse-max-bytes")
        for i in range(60):
            pair.check("PFADD", "h", "x%d" % i)
        pair.check("PFDEBUG", "ENCODING", "h")
        pair.check("GET", "h")
    finally:
        for p in (pair.ours, pair.real):
            p.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    pair.check("CONFIG", "GET", "hll-sparse-max-bytes")


def test_register_above_sparse_range_merges_into_dense(pair):
    # A register of 40 cannot be a sparse VAL (at most 32): a hand-made dense source with it, merged.
    regs = bytearray(12288)
    regs[4] = 40 >> 2  # register 5 = 40 (its low two bits live in byte 3's top bits, here zero)
    pair.check("SET", "src", hll_header(0, b"\x00" * 7 + b"\x80") + bytes(regs))
    pair.check_script([("PFADD", "dst", "a", "b"), ("PFMERGE", "dst", "src"), ("PFDEBUG", "ENCODING", "dst"),
                       ("GET", "dst"), ("PFCOUNT", "dst"), ("PFCOUNT", "src", "dst")])


# ------------------------------------------------------------------- PFCOUNT ----

def test_pfcount_missing_key_and_cache(hpair):
    hpair.check_script([("PFCOUNT", "nokey"), ("PFADD", "h", *elements("c", 50)), ("PFCOUNT", "h"),
                        ("GET", "h"), ("PFCOUNT", "h"), ("PFADD", "h", "new"), ("GET", "h"), ("PFCOUNT", "h")])


def test_pfcount_several_keys_merges_without_changing_them(hpair):
    add_elements(hpair, "a", elements("x", 300))
    add_elements(hpair, "b", elements("y", 20000))
    add_elements(hpair, "c", elements("x", 150) + elements("z", 40))
    for keys in [("a", "b"), ("a", "c"), ("a", "b", "c"), ("a", "nokey"), ("nokey", "nokey2"), ("c", "c")]:
        hpair.check("PFCOUNT", *keys)
    for k in "abc":
        hpair.check("GET", k)


@pytest.mark.parametrize("n", [0, 10, 200, 2000, 30000, 300000])
def test_pfcount_agrees_at_sizes(pair, n):
    add_elements(pair, "h", elements("s%d" % n, n), batch=1000)
    pair.check("PFCOUNT", "h")
    pair.check("PFCOUNT", "h", "nokey")


def test_pfcount_wrong_types(hpair):
    hpair.check_script([("LPUSH", "l", "x"), ("SET", "s", "not an hll"), ("PFADD", "h", "a"), ("PFCOUNT", "l"),
                        ("PFCOUNT", "s"), ("PFCOUNT", "h", "s"), ("PFCOUNT", "h", "l"), ("PFADD", "s", "a"),
                        ("PFADD", "l", "a"), ("PFMERGE", "s", "h"), ("PFMERGE", "h", "l"), ("SET", "i", "123"),
                        ("PFCOUNT", "i")])


# ------------------------------------------------------------------- PFMERGE ----

def test_pfmerge_sparse_and_dense(pair):
    add_elements(pair, "sp", elements("m", 500))
    add_elements(pair, "de", elements("n", 20000))
    add_elements(pair, "sp2", elements("m", 250) + elements("o", 100))
    pair.check_script([("PFMERGE", "d1", "sp", "sp2"), ("GET", "d1"), ("PFDEBUG", "ENCODING", "d1"),
                       ("PFMERGE", "d2", "sp", "de"), ("GET", "d2"), ("PFDEBUG", "ENCODING", "d2"),
                       ("PFMERGE", "sp", "sp2"), ("GET", "sp"), ("PFMERGE", "sp2", "de"), ("GET", "sp2"),
                       ("PFMERGE", "d3"), ("GET", "d3"), ("PFMERGE", "d4", "nokey"), ("GET", "d4"),
                       ("PFCOUNT", "d1"), ("PFCOUNT", "d2"), ("PFCOUNT", "sp2")])


def test_pfmerge_of_many_sparse_grows_past_the_limit(pair):
    for i in range(8):
        add_elements(pair, "s%d" % i, elements("g%d" % i, 400))
    pair.check("PFMERGE", "dst", *["s%d" % i for i in range(8)])
    pair.check("PFDEBUG", "ENCODING", "dst")
    pair.check("GET", "dst")


# ---------------------------------------------------------- SET-copied values ----

@pytest.mark.parametrize("n", [3, 800, 12000])
@pytest.mark.parametrize("direction", ["real-to-ours", "ours-to-real"])
def test_hll_copied_with_set_works_on_the_other_server(pair, n, direction):
    src, dst = (pair.real, pair.ours) if direction == "real-to-ours" else (pair.ours, pair.real)
    for i in range(0, n, 500):
        src.call("PFADD", "h", *elements("c", n)[i:i + 500])
    value = decode(src.call("GET", "h"))
    dst.call("SET", "h", value)
    # Now bring both servers to the same state and compare.
    pair.check("SET", "h", value)
    pair.check_script([("PFCOUNT", "h"), ("PFADD", "h", "extra1", "extra2"), ("GET", "h"), ("PFCOUNT", "h"),
                       ("PFADD", "h2", "z"), ("PFMERGE", "h2", "h"), ("GET", "h2"), ("OBJECT", "ENCODING", "h")])


# ------------------------------------------------------------------ corruption ----

def hll_header(encoding, card=b"\x00" * 8):
    return b"HYLL" + bytes([encoding]) + b"\x00\x00\x00" + card


def test_invalid_hll_strings_are_rejected(hpair):
    values = [b"HYLL", b"HYLX" + b"\x01" + b"\x00" * 11 + b"\x7f\xff", hll_header(2) + b"\x7f\xff",
              hll_header(0) + b"\x00" * 10, hll_header(0) + b"\x00" * 12289, b"x" * 20]
    for i, v in enumerate(values):
        k = "bad%d" % i
        hpair.check("SET", k, v)
        for cmd in [("PFADD", k, "a"), ("PFCOUNT", k), ("PFCOUNT", k, "nokey"), ("PFMERGE", "d", k),
                    ("PFDEBUG", "ENCODING", k), ("PFDEBUG", "GETREG", k)]:
            hpair.check(*cmd)


def test_corrupted_sparse_payloads(hpair):
    bad = [
        hll_header(1, b"\x00" * 7 + b"\x80"),                      # no opcodes at all
        hll_header(1, b"\x00" * 7 + b"\x80") + b"\x7f\xff\x7f\xff",  # too many registers
        hll_header(1, b"\x00" * 7 + b"\x80") + b"\x7f\xfe",          # one register short
        hll_header(1, b"\x00" * 7 + b"\x80") + b"\x40",              # truncated XZERO
        hll_header(1, b"\x00" * 7 + b"\x80") + b"\xff" * 5000,       # VALs past the end
        hll_header(1) + b"\x7f\xff",                                 # valid, cached 0
        hll_header(1, b"\x05" + b"\x00" * 7) + b"\x7f\xff",          # valid, cached 5 (a lie Redis believes)
    ]
    for i, v in enumerate(bad):
        k = "c%d" % i
        hpair.check("SET", k, v)
        hpair.check("PFCOUNT", k)
        hpair.check("PFCOUNT", k, "nokey")
        hpair.check("PFMERGE", "d%d" % i, k)
        hpair.check("PFADD", k, "a", "b", "c")
        hpair.check("GET", k)
        hpair.check("PFDEBUG", "DECODE", k)
        hpair.check("PFDEBUG", "TODENSE", k)


def test_dense_registers_above_the_hash_limit(hpair):
    # Hand-made dense HLLs with register values a real hash never produces (52..63).
    for i, byte in enumerate([b"\xff", b"\xcc", b"\x00"]):
        k = "d%d" % i
        hpair.check("SET", k, hll_header(0, b"\x00" * 7 + b"\x80") + byte * 12288)
        hpair.check("PFCOUNT", k)
        hpair.check("PFCOUNT", k, "nokey")
        hpair.check("PFADD", k, "a")
        hpair.check("GET", k)


# -------------------------------------------------------------------- PFDEBUG ----

def test_pfdebug_subcommands(hpair):
    add_elements(hpair, "h", elements("d", 30))
    hpair.check_script([("PFDEBUG", "DECODE", "h"), ("PFDEBUG", "ENCODING", "h"), ("pfdebug", "encoding", "h"),
                        ("PFDEBUG", "NOPE", "h"), ("PFDEBUG", "NOPE", "nokey"), ("PFDEBUG", "DECODE", "nokey"),
                        ("PFDEBUG", "GETREG"), ("PFDEBUG", "GETREG", "h", "x"), ("PFDEBUG", "TODENSE", "h"),
                        ("PFDEBUG", "TODENSE", "h"), ("PFDEBUG", "DECODE", "h"), ("PFDEBUG", "ENCODING", "h"),
                        ("GET", "h"), ("PFADD", "g", "a"), ("PFDEBUG", "GETREG", "g"), ("GET", "g"),
                        ("PFADD", "e"), ("PFDEBUG", "DECODE", "e"), ("SET", "s", "abc"), ("PFDEBUG", "ENCODING", "s")])


def test_pfselftest_passes(hpair):
    hpair.check("PFSELFTEST")
    hpair.check("PFSELFTEST", "x")


# ------------------------------------------------------------- random streams ----

@pytest.mark.parametrize("seed", [int(os.environ.get("DIFF_SEED", 0)) or s for s in (11, 22)])
def test_random_hll_command_streams(pair, seed):
    rnd = random.Random(seed)
    pair.context = "seed %d" % seed
    keys = ["h1", "h2", "h3"]
    for _ in range(int(os.environ.get("DIFF_OPS", 300))):
        k = rnd.choice(keys)
        op = rnd.randrange(6)
        if op <= 2:
            n = rnd.choice([1, 3, 50, 400])
            pair.check("PFADD", k, *["r%d" % rnd.randrange(30000) for _ in range(n)])
        elif op == 3:
            pair.check("PFCOUNT", *rnd.sample(keys, rnd.randrange(1, 4)))
        elif op == 4:
            pair.check("PFMERGE", k, *rnd.sample(keys, rnd.randrange(0, 3)))
        else:
            pair.check("GET", k)
    for k in keys:
        pair.check("GET", k)


def test_commands_on_a_set_copied_hll_make_it_raw(hpair):
    empty = hll_header(1) + b"\x7f\xff"  # an empty sparse HLL with a valid cached 0: embstr when SET
    for cmd in ["PFCOUNT", "PFADD", "PFDEBUG"]:
        k = "h-" + cmd
        hpair.check("SET", k, empty)
        hpair.check("OBJECT", "ENCODING", k)
        if cmd == "PFDEBUG":
            hpair.check("PFDEBUG", "ENCODING", k)
        else:
            hpair.check(cmd, k)
        hpair.check("OBJECT", "ENCODING", k)
    hpair.check("SET", "m", empty)
    hpair.check("PFCOUNT", "m", "nokey")
    hpair.check("PFMERGE", "m2", "m")
    hpair.check("OBJECT", "ENCODING", "m")
    hpair.check("OBJECT", "ENCODING", "m2")


@pytest.mark.parametrize("seed", [int(os.environ.get("DIFF_SEED", 0)) or s for s in (33,)])
def test_random_hll_streams_with_a_small_sparse_limit(pair, seed):
    for p in (pair.ours, pair.real):
        assert p.call("CONFIG", "SET", "hll-sparse-max-bytes", "300") == b"+OK\r\n"
    try:
        rnd = random.Random(seed)
        pair.context = "seed %d" % seed
        keys = ["a", "b", "c"]
        for _ in range(int(os.environ.get("DIFF_OPS", 300))):
            k = rnd.choice(keys)
            op = rnd.randrange(4)
            if op <= 1:
                pair.check("PFADD", k, *["s%d" % rnd.randrange(5000) for _ in range(rnd.choice([1, 5, 40]))])
            elif op == 2:
                pair.check("PFMERGE", k, *rnd.sample(keys, rnd.randrange(0, 3)))
            else:
                pair.check("PFCOUNT", *rnd.sample(keys, rnd.randrange(1, 4)))
        for k in keys:
            pair.check("GET", k)
    finally:
        for p in (pair.ours, pair.real):
            p.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


def test_hll_sparse_max_bytes_config_values(pair):
    try:
        for v in ["3kb", "-1", "abc", "0", "1gb", "", "12345"]:
            pair.check("CONFIG", "SET", "hll-sparse-max-bytes", v)
            pair.check("CONFIG", "GET", "hll-sparse-max-bytes")
    finally:
        for p in (pair.ours, pair.real):
            p.call("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
