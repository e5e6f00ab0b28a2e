"""Differential tests for the bitmap commands (Redis 7.0 semantics): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
BITFIELD and BITFIELD_RO, every reply compared byte for byte with redis-server, in RESP2 and RESP3."""

import os
import random

import pytest

from hashset_checks import use_resp3

LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808
MAX_BIT = 512 * 1024 * 1024 * 8 - 1  # the last bit below proto-max-bulk-len


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def bpair(request, pair):
    if request.param == 3:
        use_resp3(pair)
    return pair


# ---------------------------------------------------------- SETBIT / GETBIT ----

def test_setbit_creates_pads_and_returns_old_bit(bpair):
    bpair.check_script([("SETBIT", "b", 7, 1), ("GET", "b"), ("SETBIT", "b", 7, 1), ("SETBIT", "b", 7, 0),
                        ("SETBIT", "b", 100, 1), ("GET", "b"), ("STRLEN", "b"), ("GETBIT", "b", 100),
                        ("GETBIT", "b", 99), ("GETBIT", "b", 1000000), ("GETBIT", "nokey", 5)])


def test_setbit_value_errors(bpair):
    for v in ["2", "-1", "x", "", "1.0", "01", " 1"]:
        bpair.check("SETBIT", "b", 0, v)
    bpair.check("EXISTS", "b")


def test_bit_offset_limits_and_errors(bpair):
    for off in ["-1", "x", "", "4294967296", str(MAX_BIT + 1), str(LLONG_MAX), "1.5", "+1"]:
        bpair.check("SETBIT", "b", off, 1)
        bpair.check("GETBIT", "b", off)
    bpair.check("GETBIT", "b", MAX_BIT)
    bpair.check("EXISTS", "b")


def test_setbit_at_the_last_allowed_offset(bpair):
    bpair.check_script([("SETBIT", "big", MAX_BIT, 1), ("STRLEN", "big"), ("GETBIT", "big", MAX_BIT),
                        ("BITCOUNT", "big"), ("BITPOS", "big", 1), ("BITPOS", "big", 1, -1), ("DEL", "big")])


def test_setbit_on_wrong_type_and_offset_error_first(bpair):
    bpair.check_script([("LPUSH", "l", "a"), ("SETBIT", "l", 0, 1), ("SETBIT", "l", -1, 1), ("SETBIT", "l", 0, 5),
                        ("GETBIT", "l", 0), ("GETBIT", "l", -1)])


def test_setbit_object_encoding_is_raw(bpair):
    bpair.check_script([("SET", "i", "12345"), ("OBJECT", "ENCODING", "i"), ("SETBIT", "i", 0, 1),
                        ("OBJECT", "ENCODING", "i"), ("GET", "i"), ("SET", "e", "abc"), ("SETBIT", "e", 1, 1),
                        ("OBJECT", "ENCODING", "e"), ("SETBIT", "new", 3, 1), ("OBJECT", "ENCODING", "new"),
                        ("SET", "i2", "7"), ("SETBIT", "i2", 0, 0), ("OBJECT", "ENCODING", "i2")])


def test_getbit_on_integer_encoded_string_reads_its_digits(bpair):
    bpair.check_script([("SET", "n", "123"), ("GETBIT", "n", 2), ("GETBIT", "n", 3), ("GETBIT", "n", 23),
                        ("GETBIT", "n", 24)])


# ---------------------------------------------------------------- BITCOUNT ----

def test_bitcount_whole_and_byte_ranges(bpair):
    bpair.check("SET", "s", "foobar")
    for args in [(), (0, 0), (1, 1), (0, -1), (-2, -1), (-1, -2), (5, 30), (-100, 100), (3, 2), (100, 200),
                 (-100, -50), (0, LLONG_MAX), (LLONG_MIN, LLONG_MAX)]:
        bpair.check("BITCOUNT", "s", *args)
        bpair.check("BITCOUNT", "s", *(args + ("BYTE",)) if args else ())


def test_bitcount_bit_ranges(bpair):
    bpair.check("SET", "s", "foobar")
    for args in [(0, 0), (1, 1), (5, 30), (0, -1), (-3, -1), (-1, -3), (7, 8), (8, 15), (9, 14), (47, 47),
                 (-48, -48), (0, 100000), (-100000, 3), (LLONG_MIN, LLONG_MAX), (3, 2)]:
        bpair.check("BITCOUNT", "s", args[0], args[1], "BIT")
        bpair.check("BITCOUNT", "s", args[0], args[1], "bit")


def test_bitcount_errors_and_missing_key(bpair):
    bpair.check("SET", "s", "foobar")
    bpair.check("HSET", "h", "a", "b")
    for args in [("s", 0), ("s", "x", 1), ("s", 0, "x"), ("s", 0, 1, "nibble"), ("s", 0, 1, "bit", "x"),
                 ("nokey", "x", "y"), ("nokey", 0), ("nokey", 0, 1, "bad"), ("h",), ("h", "x"), ("h", 0, 1)]:
        bpair.check("BITCOUNT", *args)


def test_bitcount_large_bitmap_word_paths(bpair):
    rnd = random.Random(7)
    data = bytes(rnd.randrange(256) for _ in range(10007))
    bpair.check("SET", "big", data)
    for args in [(), (0, -1), (1, -2), (3, 10000), (17, 9001), (8, 80000, "BIT"), (13, 79999, "BIT"),
                 (-70001, -3, "BIT")]:
        bpair.check("BITCOUNT", "big", *args)


# ------------------------------------------------------------------ BITPOS ----

def test_bitpos_whole_string(bpair):
    bpair.check_script([("SET", "a", b"\xff\xf0\x00"), ("BITPOS", "a", 0), ("BITPOS", "a", 1),
                        ("SET", "ones", b"\xff\xff\xff"), ("BITPOS", "ones", 0), ("BITPOS", "ones", 1),
                        ("SET", "zeros", b"\x00\x00"), ("BITPOS", "zeros", 1), ("BITPOS", "zeros", 0),
                        ("SET", "empty", ""), ("BITPOS", "empty", 0), ("BITPOS", "empty", 1)])


def test_bitpos_no_match_with_and_without_end(bpair):
    bpair.check("SET", "ones", b"\xff\xff\xff")
    for args in [(0, 0), (0, 0, -1), (0, 1), (0, 1, 2), (0, 0, 23, "BIT"), (0, 0, -1, "BIT"), (0, 3, 20, "BIT"),
                 (1, 0), (1, 2, 1)]:
        bpair.check("BITPOS", "ones", *args)
    bpair.check("SET", "zeros", b"\x00\x00\x00")
    for args in [(1, 0), (1, 0, -1), (1, 5, 20, "BIT"), (0, 1), (0, 1, 2), (0, 9, 9, "BIT")]:
        bpair.check("BITPOS", "zeros", *args)


def test_bitpos_byte_and_bit_ranges(bpair):
    bpair.check("SET", "s", b"\x00\xff\xf0\x0f\x81")
    for bit in (0, 1):
        for args in [(1,), (2,), (-1,), (-2, -1), (1, 1), (2, 3), (3, 2), (-100, 100), (LLONG_MIN, LLONG_MAX)]:
            bpair.check("BITPOS", "s", bit, *args)
            if len(args) == 2:
                bpair.check("BITPOS", "s", bit, args[0], args[1], "BYTE")
        for args in [(0, 7), (7, 8), (8, 15), (12, 19), (20, 27), (1, 1), (33, 38), (39, 39), (-8, -1), (-9, -2),
                     (5, 4), (0, 1000), (-1000, -1), (16, 17), (18, 18)]:
            bpair.check("BITPOS", "s", bit, args[0], args[1], "BIT")


def test_bitpos_errors_and_missing_key(bpair):
    bpair.check("SET", "s", "foobar")
    bpair.check("HSET", "h", "a", "b")
    for args in [("s", 2), ("s", -1), ("s", "x"), ("s", 1, "x"), ("s", 1, 0, "x"), ("s", 1, 0, 1, "nibble"),
                 ("s", 1, 0, "x", "nibble"), ("s", 1, 0, 1, "bit", "extra"), ("nokey", 1), ("nokey", 0),
                 ("nokey", 1, "x"), ("nokey", 2), ("nokey", 0, 5, 10, "bad"), ("h", 1), ("h", 1, "x"), ("h", 2)]:
        bpair.check("BITPOS", *args)


def test_bitpos_large_bitmap(bpair):
    data = b"\x00" * 5000 + b"\x01" + b"\xff" * 3000 + b"\xfe"
    bpair.check("SET", "big", data)
    for args in [(1,), (0,), (0, 5001), (0, 5001, -1), (1, 5001, -2, "BYTE"), (0, 40009, 64015, "BIT"),
                 (1, 40000, 40006, "BIT"), (0, 5001, 8000)]:
        bpair.check("BITPOS", "big", *args)


# ------------------------------------------------------------------- BITOP ----

def test_bitop_operations_with_unequal_lengths(bpair):
    bpair.check_script([("SET", "a", b"\xf0\x0f\xaa"), ("SET", "b", b"\xff"), ("SET", "c", b"\x01\x02\x03\x04\x05")])
    for op in ["AND", "OR", "XOR", "and", "Or"]:
        bpair.check("BITOP", op, "dest", "a", "b", "c")
        bpair.check("GET", "dest")
        bpair.check("BITOP", op, "dest", "a", "nokey")
        bpair.check("GET", "dest")
    bpair.check_script([("BITOP", "NOT", "dest", "c"), ("GET", "dest"), ("OBJECT", "ENCODING", "dest"),
                        ("BITOP", "NOT", "dest", "dest"), ("GET", "dest")])


def test_bitop_long_strings_word_paths(bpair):
    rnd = random.Random(11)
    for i, n in enumerate([33, 64, 1000, 4099]):
        bpair.check("SET", "k%d" % i, bytes(rnd.randrange(256) for _ in range(n)))
    for op in ["AND", "OR", "XOR"]:
        bpair.check("BITOP", op, "d", "k0", "k1", "k2", "k3")
        bpair.check("GET", "d")
    bpair.check("BITOP", "NOT", "d", "k3")
    bpair.check("GET", "d")


def test_bitop_empty_result_deletes_destination(bpair):
    bpair.check_script([("SET", "dest", "x"), ("EXPIRE", "dest", 100), ("BITOP", "AND", "dest", "n1", "n2"),
                        ("EXISTS", "dest"), ("SET", "e", ""), ("SET", "dest", "y"), ("BITOP", "OR", "dest", "e"),
                        ("EXISTS", "dest"), ("BITOP", "NOT", "dest", "nokey"), ("EXISTS", "dest")])


def test_bitop_result_replaces_any_type_and_ttl(bpair):
    bpair.check_script([("SET", "a", "abc"), ("LPUSH", "dest", "x"), ("BITOP", "OR", "dest", "a"), ("TYPE", "dest"),
                        ("SET", "d2", "v", "EX", 100), ("BITOP", "AND", "d2", "a"), ("TTL", "d2"),
                        ("OBJECT", "ENCODING", "d2")])


def test_bitop_errors(bpair):
    bpair.check_script([("SET", "a", "abc"), ("LPUSH", "l", "x"), ("BITOP", "NAND", "d", "a"),
                        ("BITOP", "NOT", "d", "a", "a"), ("BITOP", "AND", "d", "a", "l"), ("BITOP", "NOT", "d", "l"),
                        ("BITOP", "AND", "d"), ("EXISTS", "d"), ("BITOP", "ORX", "d", "a")])


# ---------------------------------------------------------------- BITFIELD ----

def test_bitfield_get_set_incrby_basic(bpair):
    bpair.check_script([("BITFIELD", "bf", "SET", "i8", 0, -100, "GET", "i8", 0, "GET", "u8", 0, "INCRBY", "i8", 0, 10),
                        ("GET", "bf"), ("BITFIELD", "bf", "SET", "u4", "#1", 15, "GET", "u4", "#1", "GET", "u16", 0),
                        ("BITFIELD", "bf", "INCRBY", "u2", 100, 1, "GET", "u2", 100), ("STRLEN", "bf"),
                        ("OBJECT", "ENCODING", "bf"), ("BITFIELD", "bf"), ("BITFIELD", "nokey", "GET", "u8", 0),
                        ("EXISTS", "nokey")])


def test_bitfield_overflow_modes_at_type_limits(bpair):
    for t, lo, hi in [("i8", -128, 127), ("u8", 0, 255), ("i1", -1, 0), ("u1", 0, 1), ("i64", LLONG_MIN, LLONG_MAX),
                      ("u63", 0, LLONG_MAX), ("i63", -(1 << 62), (1 << 62) - 1), ("u32", 0, (1 << 32) - 1)]:
        for mode in ["WRAP", "SAT", "FAIL"]:
            key = "k-%s-%s" % (t, mode)
            bpair.check("BITFIELD", key, "OVERFLOW", mode, "SET", t, 3, hi, "INCRBY", t, 3, 1, "GET", t, 3)
            bpair.check("BITFIELD", key, "OVERFLOW", mode, "SET", t, 3, lo, "INCRBY", t, 3, -1, "GET", t, 3)
            bpair.check("BITFIELD", key, "OVERFLOW", mode, "SET", t, 3, hi + 1 if hi < LLONG_MAX else LLONG_MIN,
                        "SET", t, 3, lo - 1 if lo > LLONG_MIN else LLONG_MAX, "GET", t, 3)
            bpair.check("BITFIELD", key, "OVERFLOW", mode, "INCRBY", t, 3, LLONG_MAX, "INCRBY", t, 3, LLONG_MIN,
                        "INCRBY", t, 3, LLONG_MIN, "INCRBY", t, 3, LLONG_MAX, "INCRBY", t, 3, LLONG_MAX)
            bpair.check("GET", key)


def test_bitfield_overflow_applies_to_following_ops_only(bpair):
    bpair.check("BITFIELD", "k", "INCRBY", "u2", 0, 5, "OVERFLOW", "SAT", "INCRBY", "u2", 0, 5, "OVERFLOW", "FAIL",
                "INCRBY", "u2", 0, 1, "OVERFLOW", "WRAP", "INCRBY", "u2", 0, 1, "overflow", "sat")


def test_bitfield_fail_on_missing_key_creates_it_empty(bpair):
    bpair.check_script([("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", 9, 10), ("EXISTS", "k"),
                        ("GET", "k"), ("OBJECT", "ENCODING", "k")])


def test_bitfield_unaligned_and_hash_offsets(bpair):
    rnd = random.Random(3)
    bpair.check("SET", "k", bytes(rnd.randrange(256) for _ in range(20)))
    for t in ["i64", "u63", "i13", "u7", "i1", "u17", "i33"]:
        for off in [0, 1, 5, 7, 9, 63, 100, 150, 159, "#0", "#1", "#2", "#20"]:
            bpair.check("BITFIELD", "k", "GET", t, off)
            bpair.check("BITFIELD_RO", "k", "GET", t, off)


def test_bitfield_errors(bpair):
    bpair.check("SET", "k", "abc")
    bpair.check("LPUSH", "l", "x")
    for args in [("GET", "u64", 0), ("GET", "i65", 0), ("GET", "i0", 0), ("GET", "x8", 0), ("GET", "u", 0),
                 ("GET", "", 0), ("GET", "i8", -1), ("GET", "i8", "#-1"), ("GET", "i8", "x"), ("GET", "i8", "#"),
                 ("GET", "i8", "##1"), ("GET", "i8", 4294967296), ("SET", "i8", 0, "x"), ("SET", "i8", 0),
                 ("INCRBY", "i8", 0, "1.5"), ("OVERFLOW", "BAD"), ("OVERFLOW",), ("GET", "i8"), ("FOO", 1, 2),
                 ("GET", "i8", 0, "SET", "u64", 0, 1), ("GET", "i8", "#536870912"), ("SET", "i8", "#-0", 1)]:
        bpair.check("BITFIELD", "k", *args)
    bpair.check("GET", "k")
    bpair.check("BITFIELD", "l", "GET", "i8", 0)
    bpair.check("BITFIELD", "l", "SET", "i8", 0, 1)
    bpair.check("BITFIELD", "l", "GET", "i8", -1)


def test_bitfield_ro_rejects_writes(bpair):
    bpair.check_script([("SET", "k", "abc"), ("BITFIELD_RO", "k", "GET", "u8", 0, "GET", "i4", 4),
                        ("BITFIELD_RO", "k", "SET", "u8", 0, 1), ("BITFIELD_RO", "k", "INCRBY", "u8", 0, 1),
                        ("BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", 0), ("BITFIELD_RO", "k"),
                        ("BITFIELD_RO", "nokey", "GET", "u8", 0), ("GET", "k")])


# ---------------------------------------------------------- random streams ----

def random_bit_command(rnd, keys):
    k = rnd.choice(keys)
    op = rnd.randrange(12)
    off = rnd.choice([rnd.randrange(64), rnd.randrange(2000), -1, rnd.randrange(200000)])
    if op == 0:
        return ("SETBIT", k, off, rnd.choice([0, 1, 1, 2]))
    if op == 1:
        return ("GETBIT", k, off)
    if op == 2:
        args = []
        if rnd.random() < 0.7:
            args = [rnd.randrange(-40, 40), rnd.randrange(-40, 40)]
            if rnd.random() < 0.5:
                args.append(rnd.choice(["BIT", "BYTE"]))
        return ("BITCOUNT", k) + tuple(args)
    if op == 3:
        args = [rnd.choice([0, 1])]
        n = rnd.randrange(4)
        if n >= 1:
            args.append(rnd.randrange(-300, 300))
        if n >= 2:
            args.append(rnd.randrange(-300, 300))
        if n >= 3:
            args.append(rnd.choice(["BIT", "BYTE"]))
        return ("BITPOS", k) + tuple(args)
    if op == 4:
        o = rnd.choice(["AND", "OR", "XOR", "NOT"])
        srcs = [rnd.choice(keys)] if o == "NOT" else [rnd.choice(keys) for _ in range(rnd.randrange(1, 4))]
        return ("BITOP", o, rnd.choice(keys)) + tuple(srcs)
    if op in (5, 6, 7):
        args = []
        for _ in range(rnd.randrange(1, 5)):
            sign = rnd.choice("iu")
            bits = rnd.randrange(1, 65 if sign == "i" else 64)
            t = "%s%d" % (sign, bits)
            o = rnd.choice(["#%d" % rnd.randrange(20), rnd.randrange(300)])
            kind = rnd.randrange(4)
            if kind == 0:
                args += ["GET", t, o]
            elif kind == 1:
                args += ["SET", t, o, rnd.choice([rnd.randrange(-1000, 1000), LLONG_MAX, LLONG_MIN, 1 << bits])]
            elif kind == 2:
                args += ["INCRBY", t, o, rnd.choice([rnd.randrange(-300, 300), LLONG_MAX, LLONG_MIN, 1 << (bits - 1)])]
            else:
                args += ["OVERFLOW", rnd.choice(["WRAP", "SAT", "FAIL"])]
        return (rnd.choice(["BITFIELD", "BITFIELD"]), k) + tuple(args)
    if op == 8:
        return ("SET", k, bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 40))))
    if op == 9:
        return ("GET", k)
    if op == 10:
        return ("APPEND", k, "x" * rnd.randrange(1, 30))
    return ("BITFIELD_RO", k, "GET", rnd.choice(["u8", "i16", "i64", "u63"]), rnd.randrange(400))


@pytest.mark.parametrize("seed", [int(os.environ.get("DIFF_SEED", 0)) or s for s in (101, 202, 303)])
def test_random_bitmap_command_streams(pair, seed):
    rnd = random.Random(seed)
    pair.context = "seed %d" % seed
    keys = ["k1", "k2", "k3", "k4"]
    for _ in range(int(os.environ.get("DIFF_OPS", 600))):
        pair.check(*random_bit_command(rnd, keys))
    for k in keys:
        pair.check("GET", k)
        pair.check("OBJECT", "ENCODING", k)
