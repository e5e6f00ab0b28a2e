"""Seeded random differential testing of the string and keyspace commands.

Thousands of commands over a small key space (so keys collide, change type,
get renamed, copied, expired...) are sent to both servers; every reply must
be byte-identical, except TTL-like replies which are compared within a
tolerance.

Environment:
  DIFF_SEED   run only this seed (default: the fixed SEEDS below)
  DIFF_OPS    commands per seed (default 3000)

The failure message shows the seed, the index of the failing command and the
previous commands, so a failure can be replayed with DIFF_SEED=<seed>.

Timing-safety rules followed by the generator:
  * relative TTLs are >= 1000 s, so nothing expires during a run;
  * GT/LT are only combined with absolute times (EXPIREAT/PEXPIREAT), which
    are either in the past or around year 2100 - far from any relative TTL -
    so the comparison outcome cannot depend on the moment a server ran;
  * RANDOMKEY is never used (its choice is random by design);
  * SET ... EXAT/PXAT never uses a time in the past: Redis 7.0 stores such a
    key (it is only removed later by lazy/active expiry, so DBSIZE would
    depend on timing), whereas EXPIREAT/GETEX EXAT in the past delete at once;
  * LCS is only sent when both strings are short (checked with STRLEN first).
"""

import os
import random

import pytest

SEEDS = [20240601, 7, 1234567]
OPS = int(os.environ.get("DIFF_OPS", "3000"))
if os.environ.get("DIFF_SEED"):
    SEEDS = [int(os.environ["DIFF_SEED"])]

LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808
FUTURE_S = 4102444800  # year 2100

STRING_KEYS = ["k%d" % i for i in range(6)] + ["n%d" % i for i in range(4)]
LIST_KEYS = ["l0", "l1"]
ALL_KEYS = STRING_KEYS + LIST_KEYS + ["k:x", "k:y", "other"]

PATTERNS = ["*", "k*", "n?", "l[01]", "[kn]*", "k[^0-2]", "*:*", "k\\*", "?", "nomatch", "*1*"]


class Gen(object):
    def __init__(self, rng, lists=True):
        self.r = rng
        self.lists = lists

    # -- values ---------------------------------------------------------------
    def key(self):
        return self.r.choice(ALL_KEYS)

    def int_value(self):
        r = self.r
        c = r.random()
        if c < 0.5:
            return r.randint(-100, 100)
        if c < 0.65:
            return LLONG_MAX - r.randint(0, 20)
        if c < 0.8:
            return LLONG_MIN + r.randint(0, 20)
        return r.randint(-10 ** 12, 10 ** 12)

    def float_value(self):
        r = self.r
        return r.choice([
            lambda: "%d" % r.randint(-50, 50),
            lambda: "%.2f" % r.uniform(-100, 100),
            lambda: "%.1f" % r.uniform(-10, 10),
            lambda: "%de%d" % (r.randint(1, 9), r.randint(-3, 4)),
            lambda: "%d.0e3" % r.randint(1, 9),
            lambda: r.choice(["0.1", "0.2", "-0.1", "1.5", "3.0e3", "5.0e3", "1e-3", "0"]),
            lambda: r.choice(["abc", "", " 1", "inf", "nan", "1.2.3"]),
        ])()

    def value(self):
        r = self.r
        c = r.random()
        if c < 0.3:
            return str(self.int_value())
        if c < 0.4:
            return self.float_value()
        if c < 0.5:
            return r.choice(["", "0", "-0", "007", " 1", "+1", "x" * 44, "x" * 45])
        if c < 0.55:
            return bytes(r.randint(0, 255) for _ in range(r.randint(0, 12)))
        n = r.randint(1, 20)
        return "".join(r.choice("abcdefghij") for _ in range(n))

    def rel_seconds(self):
        return self.r.randint(1000, 100000)

    def abs_seconds(self, allow_past=True):
        if allow_past and self.r.random() < 0.15:
            return self.r.randint(1, 1000000)  # in the past: deletes the key
        return FUTURE_S + self.r.randint(-100000, 100000)

    # -- commands -------------------------------------------------------------
    def set_cmd(self):
        r = self.r
        cmd = ["SET", self.key(), self.value()]
        opts = []
        c = r.random()
        if c < 0.15:
            opts += ["EX", self.rel_seconds()]
        elif c < 0.25:
            opts += ["PX", self.rel_seconds() * 1000 + r.randint(0, 999)]
        elif c < 0.3:
            opts += ["EXAT", self.abs_seconds(allow_past=False)]
        elif c < 0.35:
            opts += ["PXAT", self.abs_seconds(allow_past=False) * 1000 + r.randint(0, 999)]
        elif c < 0.42:
            opts += ["KEEPTTL"]
        c = r.random()
        if c < 0.15:
            opts.append("NX")
        elif c < 0.3:
            opts.append("XX")
        if r.random() < 0.2:
            opts.append("GET")
        if r.random() < 0.05:  # invalid combinations / values
            opts += r.choice([["NX", "XX"], ["EX", 0], ["EX", -1], ["PX", 10, "EX", 10], ["KEEPTTL", "EX", 5],
                              ["EX", LLONG_MAX], ["EX", "x"], ["FOO"], ["EX"]])
        r.shuffle(opts) if r.random() < 0.1 else None
        return cmd + opts

    def expire_cmd(self):
        r = self.r
        k = self.key()
        c = r.random()
        if c < 0.35:
            cmd = ["EXPIRE", k, self.rel_seconds()]
            flags = [[], [], ["NX"], ["XX"]]
        elif c < 0.5:
            cmd = ["PEXPIRE", k, self.rel_seconds() * 1000]
            flags = [[], ["NX"], ["XX"]]
        elif c < 0.8:
            cmd = ["EXPIREAT", k, self.abs_seconds()]
            flags = [[], ["NX"], ["XX"], ["GT"], ["LT"], ["XX", "GT"], ["XX", "LT"]]
        else:
            cmd = ["PEXPIREAT", k, self.abs_seconds() * 1000 + r.randint(0, 999)]
            flags = [[], ["GT"], ["LT"], ["NX"]]
        if r.random() < 0.05:
            return cmd + r.choice([["NX", "XX"], ["GT", "LT"], ["NX", "GT"], ["FOO"]])
        if r.random() < 0.03:
            cmd[2] = r.choice([0, -5, "abc"])  # deletes the key / error
        return cmd + r.choice(flags)

    def getex_cmd(self):
        r = self.r
        k = self.key()
        return ["GETEX", k] + r.choice([
            [], ["PERSIST"], ["EX", self.rel_seconds()], ["PX", self.rel_seconds() * 1000],
            ["EXAT", self.abs_seconds()], ["PXAT", self.abs_seconds() * 1000], ["EX", 0],
            ["PERSIST", "EX", 10], ["FOO"],
        ])

    def wrong_arity(self):
        return self.r.choice([
            ["GET"], ["SET", "k0"], ["APPEND", "k0"], ["INCR"], ["INCRBY", "k0"], ["STRLEN"],
            ["SETRANGE", "k0", 1], ["GETRANGE", "k0"], ["MSET", "k0"], ["MSET", "k0", "1", "k1"], ["MGET"],
            ["DEL"], ["EXISTS"], ["TYPE"], ["RENAME", "k0"], ["COPY", "k0"], ["EXPIRE", "k0"], ["TTL"],
            ["PERSIST"], ["GETDEL"], ["GETEX"], ["SETNX", "k0"], ["MSETNX", "k0"], ["LCS", "k0"], ["KEYS"],
            ["DBSIZE", "x"], ["INCRBYFLOAT", "k0"], ["DECRBY", "k0", 1, 2], ["GETSET", "k0"],
        ])

    def next(self):
        """Return (kind, command) where kind selects the comparison."""
        r = self.r
        k = self.key
        choices = [
            (12, lambda: ("exact", self.set_cmd())),
            (8, lambda: ("exact", ["GET", k()])),
            (5, lambda: ("exact", ["APPEND", k(), self.value()])),
            (4, lambda: ("exact", ["INCR", k()])),
            (2, lambda: ("exact", ["DECR", k()])),
            (4, lambda: ("exact", [r.choice(["INCRBY", "DECRBY"]), k(), self.int_value()])),
            (4, lambda: ("exact", ["INCRBYFLOAT", k(), self.float_value()])),
            (3, lambda: ("exact", ["STRLEN", k()])),
            (3, lambda: ("exact", ["SETRANGE", k(), r.randint(0, 40) if r.random() < 0.8
                                   else r.randint(0, 9999), self.value()])),
            (4, lambda: ("exact", [r.choice(["GETRANGE", "SUBSTR"]), k(), r.randint(-30, 30),
                                   r.randint(-30, 30)])),
            (3, lambda: ("exact", ["MSET"] + sum([[k(), self.value()] for _ in range(r.randint(1, 4))], []))),
            (3, lambda: ("exact", ["MGET"] + [k() for _ in range(r.randint(1, 5))])),
            (3, lambda: ("exact", [r.choice(["DEL", "UNLINK"])] + [k() for _ in range(r.randint(1, 3))])),
            (3, lambda: ("exact", ["EXISTS"] + [k() for _ in range(r.randint(1, 4))])),
            (3, lambda: ("exact", ["TYPE", k()])),
            (2, lambda: ("exact", ["RENAME", k(), k()])),
            (1, lambda: ("exact", ["RENAMENX", k(), k()])),
            (2, lambda: ("exact", ["COPY", k(), k()] + r.choice([[], ["REPLACE"], ["DB", 1], ["DB", 1, "REPLACE"]]))),
            (5, lambda: ("exact", self.expire_cmd())),
            (2, lambda: ("exact", ["PERSIST", k()])),
            (4, lambda: ("ttl", [r.choice(["TTL", "EXPIRETIME"]), k()])),
            (2, lambda: ("pttl", [r.choice(["PTTL", "PEXPIRETIME"]), k()])),
            (2, lambda: ("exact", ["GETDEL", k()])),
            (3, lambda: ("exact", self.getex_cmd())),
            (1, lambda: ("exact", ["GETSET", k(), self.value()])),
            (2, lambda: ("exact", ["SETNX", k(), self.value()])),
            (2, lambda: ("exact", ["MSETNX"] + sum([[k(), self.value()] for _ in range(r.randint(1, 3))], []))),
            (2, lambda: ("lcs", ["LCS", k(), k()] + r.choice([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"],
                                                              ["IDX", "MINMATCHLEN", r.randint(0, 4)],
                                                              ["LEN", "IDX"]]))),
            (2, lambda: ("unordered", ["KEYS", r.choice(PATTERNS)])),
            (2, lambda: ("exact", ["DBSIZE"])),
            (2 if self.lists else 0,
             lambda: ("exact", ["RPUSH", r.choice(LIST_KEYS + ALL_KEYS[:2]), self.value()])),
            (1, lambda: ("exact", ["SETEX", k(), r.choice([self.rel_seconds(), 0, -1]), self.value()])),
            (1, lambda: ("exact", ["PSETEX", k(), self.rel_seconds() * 1000, self.value()])),
            (1, lambda: ("exact", ["MOVE", k(), 1])),
            (1, lambda: ("exact", ["SELECT", r.choice([0, 0, 0, 1])])),
            (1, lambda: ("scan", ["SCAN"] + r.choice([[], ["MATCH", r.choice(PATTERNS)], ["TYPE", "list"],
                                                       ["COUNT", 3]]))),
            (2, lambda: ("exact", self.wrong_arity())),
        ]
        total = sum(w for w, _ in choices)
        x = r.uniform(0, total)
        for w, f in choices:
            x -= w
            if x <= 0:
                return f()
        return choices[0][1]()


def run_random(pair, seed, ops, lists=True):
    rng = random.Random(seed)
    gen = Gen(rng, lists=lists)
    for i in range(ops):
        kind, cmd = gen.next()
        pair.context = "seed=%d op=%d/%d (replay: DIFF_SEED=%d DIFF_OPS=%d)" % (seed, i, ops, seed, ops)
        if kind == "exact":
            pair.check(*cmd)
        elif kind == "ttl":
            pair.check_close(*cmd, tolerance=1)
        elif kind == "pttl":
            pair.check_close(*cmd, tolerance=1000)
        elif kind == "unordered":
            pair.check_unordered(*cmd)
        elif kind == "scan":
            pair.scan_all(*cmd[1:])
        elif kind == "lcs":
            a = pair.check("STRLEN", cmd[1])
            b = pair.check("STRLEN", cmd[2])
            la = int(a[1:-2]) if a[:1] == b":" else 0
            lb = int(b[1:-2]) if b[:1] == b":" else 0
            if la * lb <= 200000:
                pair.check(*cmd)
        else:
            raise AssertionError(kind)
    # final state must agree too
    pair.context = "seed=%d final state" % seed
    pair.check("SELECT", 0)
    for db in (0, 1):
        pair.check("SELECT", db)
        pair.check_unordered("KEYS", "*")
        for key in ALL_KEYS:
            pair.check("TYPE", key)
            pair.check_close("TTL", key, tolerance=1)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_string_and_key_commands(pair, seed):
    """Strings, keyspace commands and some lists (RPUSH) for WRONGTYPE paths."""
    run_random(pair, seed, OPS)


@pytest.mark.parametrize("seed", SEEDS[:1])
def test_random_strings_only(pair, seed):
    """Same generator without RPUSH: every key is a string (or missing)."""
    run_random(pair, seed + 1, OPS, lists=False)
