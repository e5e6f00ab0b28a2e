"""Comparison helpers for hash and set replies (test_hashes_diff.py, test_sets_diff.py).

Redis defines the order of a compact collection's elements (listpack hashes:
insertion order; intsets: ascending), so replies over those are compared byte
for byte.  Hashtable order is Redis's dict order, which ours does not copy:
those replies are compared as multisets (of pairs, for hashes).
"""

import pytest

from difftools import Pair
from resp import RespMap, decode

UNORDERED = b"hashtable"


def real_encoding(pair, key):
    """OBJECT ENCODING of `key` on the reference server (None if missing)."""
    value = decode(pair.real.call("OBJECT", "ENCODING", key))
    return value if isinstance(value, bytes) else None


def as_pairs(value):
    """A decoded HGETALL / HRANDFIELD WITHVALUES / HSCAN page as a sorted list of (field, value)."""
    if isinstance(value, RespMap):
        items = list(value)
    elif value and isinstance(value[0], list):  # RESP3 HRANDFIELD: nested pairs
        items = [tuple(p) for p in value]
    else:
        items = list(zip(value[0::2], value[1::2]))
    return sorted(items)


def check_unordered_pairs(pair, *args):
    """Same reply type and length, same (field, value) pairs in any order."""
    ours, real = pair.both(*args)
    if ours == real:
        return real
    if ours[:1] != real[:1]:
        pair.fail("Differential mismatch (pairs: reply type)", args, ours, real)
    o, r = decode(ours), decode(real)
    if not isinstance(r, list) or not isinstance(o, list) or len(o) != len(r) or as_pairs(o) != as_pairs(r):
        pair.fail("Differential mismatch (unordered pairs)", args, ours, real)
    return real


def check_by_encoding(pair, key, *args, **kw):
    """`args` lists the collection at `key`: unordered (by pairs when `pairs=True`) when the reference holds a
    hashtable there, else exact (compact encodings, missing keys, other types). The encodings are compared too."""
    pairs = kw.pop("pairs", False)
    assert not kw, kw
    pair.check("OBJECT", "ENCODING", key)
    if real_encoding(pair, key) != UNORDERED:
        return pair.check(*args)
    if pairs:
        return check_unordered_pairs(pair, *args)
    return pair.check_unordered(*args)


def scan_to_end(conn, cmd, key, opts, max_calls=10000):
    """Runs HSCAN/SSCAN from cursor 0 until it returns 0; returns the flat list of elements."""
    cursor = b"0"
    out = []
    for _ in range(max_calls):
        reply = decode(conn.call(cmd, key, cursor, *opts))
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, batch = reply
        out.extend(batch)
        if cursor == b"0":
            return out
    raise AssertionError("%s did not finish within %d calls" % (cmd, max_calls))


def check_scan(pair, cmd, key, *opts):
    """A full HSCAN/SSCAN iteration: the same elements (pairs for HSCAN) on both, duplicates allowed, for a
    hashtable; otherwise one byte-exact call (compact encodings return everything with cursor 0)."""
    pair.check("OBJECT", "ENCODING", key)
    if real_encoding(pair, key) != UNORDERED:
        return pair.check(cmd, key, 0, *opts)
    pair.history.append("%s %s <full iteration> %r" % (cmd, key, opts))
    ours = scan_to_end(pair.ours, cmd, key, opts)
    real = scan_to_end(pair.real, cmd, key, opts)
    if cmd.upper() == "HSCAN":
        ours, real = set(zip(ours[0::2], ours[1::2])), set(zip(real[0::2], real[1::2]))
    else:
        ours, real = set(ours), set(real)
    if ours != real:
        pair.fail("Scan mismatch", (cmd, key) + opts, sorted(ours)[:20], sorted(real)[:20])


def use_resp3(pair):
    """Switches both connections to RESP3 (HELLO replies differ in the client id, so are not compared)."""
    ours, real = pair.both("HELLO", 3)
    assert ours[:1] == b"%" and real[:1] == b"%", (ours, real)


def config_set_or_skip(pair, name, value):
    """CONFIG SET on both servers; skips the test when our build has no CONFIG command yet."""
    ours, real = pair.both("CONFIG", "SET", name, value)
    if ours.startswith(b"-ERR unknown command"):
        pytest.skip("CONFIG SET is not available in this build")
    assert ours == real == b"+OK\r\n", (ours, real)


def tuned_pair(server_factory, *args):
    """Starts one ours/real pair with extra startup arguments (e.g. small encoding thresholds)."""
    return server_factory("ours", *args), server_factory("real", *args)


def fresh_pair(servers):
    """A Pair on a flushed (ours, real) server tuple."""
    ours, real = servers
    for s in (ours, real):
        if not s.alive():
            s.restart()
        s.flushall()
    return Pair(ours.client(), real.client())
