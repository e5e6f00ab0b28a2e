"""Effects of the bitmap and HyperLogLog commands compared with Redis 7.0: the replication stream (what a
replica and the AOF receive) and keyspace notifications."""

import pytest

from test_effects_stream_diff import pair  # noqa: F401  (the stream-tap fixture)
from test_notifications_diff import check_events, env_factory, notif_servers  # noqa: F401


def stream(pair, commands):
    pair.run_all(commands)
    return [c for c in pair.assert_same_effects() if c[0].upper() != b"SELECT"]


# -------------------------------------------------------------------- bitmaps ----

def test_setbit_streams_only_when_it_changes_something(pair):
    real = stream(pair, [["SETBIT", "b", "7", "1"], ["SETBIT", "b", "7", "1"], ["SETBIT", "b", "3", "0"],
                         ["SETBIT", "b", "30", "0"], ["GETBIT", "b", "7"]])
    assert [c[0].upper() for c in real] == [b"SETBIT", b"SETBIT"]


def test_bitfield_streams_when_it_wrote(pair):
    real = stream(pair, [["BITFIELD", "f", "SET", "u8", "0", "5"], ["BITFIELD", "f", "SET", "u8", "0", "5"],
                         ["BITFIELD", "f", "GET", "u8", "0"], ["BITFIELD_RO", "f", "GET", "u8", "0"],
                         ["BITFIELD", "f", "INCRBY", "i4", "0", "1", "GET", "u8", "0"],
                         ["BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"],
                         ["BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "9"]])
    assert len(real) == 2


def test_bitop_streams_itself_and_nothing_for_an_absent_empty_result(pair):
    stream(pair, [["SET", "a", "abc"], ["BITOP", "NOT", "d", "a"], ["BITOP", "AND", "d", "nokey"],
                  ["BITOP", "AND", "d", "nokey"], ["BITCOUNT", "a"], ["BITPOS", "a", "1"]])


# ---------------------------------------------------------------- hyperloglog ----

def test_pfadd_streams_only_when_registers_change(pair):
    real = stream(pair, [["PFADD", "h", "a", "b"], ["PFADD", "h", "a"], ["PFADD", "h"], ["PFADD", "new"]])
    assert len(real) == 2


def test_pfcount_streams_when_it_refreshes_the_cache(pair):
    stream(pair, [["PFADD", "h", "a", "b"], ["PFCOUNT", "h"], ["PFCOUNT", "h"], ["PFADD", "h", "c"],
                  ["PFCOUNT", "h", "nokey"], ["PFCOUNT", "h"]])


def test_pfmerge_and_pfdebug_stream_as_redis(pair):
    stream(pair, [["PFADD", "a", "x"], ["PFADD", "b", "y"], ["PFMERGE", "c", "a", "b"], ["PFMERGE", "c"],
                  ["PFDEBUG", "ENCODING", "c"], ["PFDEBUG", "TODENSE", "c"], ["PFDEBUG", "TODENSE", "c"],
                  ["PFDEBUG", "GETREG", "a"], ["PFDEBUG", "DECODE", "b"]])


# -------------------------------------------------------------- notifications ----

def test_bitmap_events(env_factory):  # noqa: F811
    check_events(env_factory, ("SETBIT", "b", "1", "1"), ("SETBIT", "b", "1", "1"), ("SETBIT", "b", "2", "0"),
                 ("BITFIELD", "b", "SET", "u8", "0", "7", "GET", "u8", "0"), ("BITFIELD", "b", "GET", "u8", "0"),
                 ("BITFIELD", "c", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"),
                 ("BITOP", "OR", "d", "b"), ("BITOP", "AND", "d", "nokey"), ("BITOP", "AND", "d", "nokey"))


def test_hll_events(env_factory):  # noqa: F811
    check_events(env_factory, ("PFADD", "h", "a"), ("PFADD", "h", "a"), ("PFADD", "h2"), ("PFCOUNT", "h"),
                 ("PFMERGE", "m", "h", "h2"), ("PFMERGE", "m"), ("PFDEBUG", "TODENSE", "m"))
