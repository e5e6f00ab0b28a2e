"""DEBUG OBJECT prints the fields Redis 7.0 prints, in the same shape; the quicklist figures of lists built by
RPUSH match redis-server's (ours are replayed from the elements: see QuicklistEstimate.swift)."""

import re

import pytest

import datasets

FIELDS = re.compile(rb"^\+Value at:0x[0-9a-f]+ refcount:-?\d+ encoding:[a-z]+ serializedlength:\d+ "
                    rb"lru:\d+ lru_seconds_idle:\d+(?P<ql> ql_nodes:.*)?\r\n$")
QL = re.compile(rb"^ ql_nodes:\d+ ql_avg_node:\d+\.\d\d ql_listpack_max:-?\d+ ql_compressed:[01] "
                rb"ql_uncompressed_size:\d+$")


def ql_part(reply):
    m = FIELDS.match(reply)
    assert m, reply
    return m.group("ql")


@pytest.mark.parametrize("key,cmd", [
    ("s", ("SET", "s", "hello")),
    ("n", ("SET", "n", "12345")),
    ("h", ("HSET", "h", "f", "v")),
    ("z", ("ZADD", "z", 1, "a")),
    ("st", ("SADD", "st", 1)),
])
def test_non_list_values_have_the_base_fields_only(pair, key, cmd):
    pair.check(*cmd)
    assert ql_part(pair.ours.call("DEBUG", "OBJECT", key)) is None
    assert ql_part(pair.real.call("DEBUG", "OBJECT", key)) is None


RPUSH_BUILT = ["list:small", "list:ints", "list:single", "list:large", "list:mixed-sizes"]


@pytest.mark.parametrize("key", RPUSH_BUILT)
def test_quicklist_fields_of_rpush_built_lists_match_redis(pair, key):
    ds = datasets.lists(0)
    datasets.load(pair.ours, ds)
    datasets.load(pair.real, ds)
    ours = ql_part(pair.ours.call("DEBUG", "OBJECT", key))
    real = ql_part(pair.real.call("DEBUG", "OBJECT", key))
    assert real is not None and QL.match(real), real
    assert ours == real


def test_quicklist_fields_follow_list_max_listpack_size(pair):
    pair.check("CONFIG", "SET", "list-max-listpack-size", 5)
    try:
        pair.check("RPUSH", "l", *range(23))
        assert ql_part(pair.ours.call("DEBUG", "OBJECT", "l")) == ql_part(pair.real.call("DEBUG", "OBJECT", "l"))
    finally:
        pair.check("CONFIG", "SET", "list-max-listpack-size", -2)


def test_missing_key_is_an_error(pair):
    pair.check("DEBUG", "OBJECT", "missing")
