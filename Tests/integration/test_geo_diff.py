"""Differential tests for the geo commands (Redis 7.0 semantics).

Every command and option runs on our server and on a real redis-server, in RESP2 and RESP3; replies must be
byte-identical (members, their order, distances printed with 4 decimals, coordinates as Redis prints decoded
cell centres, hashes). Hand-written edge cases (one behaviour per test) plus seeded random searches over
thousands of points (radius and box, FROMMEMBER and FROMLONLAT, every ordering, COUNT and ANY).

Environment:
  GEO_SEED    run only this seed of the random searches
  GEO_POINTS  points per seed (default 3000)
  GEO_QUERIES searches per seed (default 400)
"""

import os
import random

import pytest

from difftools import Pair
from resp import decode

SEEDS = [20261202, 7, 4242]
if os.environ.get("GEO_SEED"):
    SEEDS = [int(os.environ["GEO_SEED"])]
POINTS = int(os.environ.get("GEO_POINTS", "3000"))
QUERIES = int(os.environ.get("GEO_QUERIES", "400"))

SICILY = [("13.361389", "38.115556", "Palermo"), ("15.087269", "37.502669", "Catania"),
          ("12.758489", "38.788135", "edge1"), ("13.583333", "37.316667", "Agrigento"),
          ("14.015482", "37.490089", "Caltanissetta")]

LAT_MAX = "85.05112878"


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def proto(request, pair):
    """The pair, speaking RESP2 or RESP3."""
    if request.param == 3:
        pair.both("HELLO", 3)
    return pair


def sicily(pair, key="Sicily"):
    args = []
    for lon, lat, name in SICILY:
        args += [lon, lat, name]
    pair.check("GEOADD", key, *args)


def geoadd_points(pair, key, points):
    """GEOADD many points on both servers in batches."""
    for i in range(0, len(points), 300):
        args = []
        for lon, lat, name in points[i:i + 300]:
            args += [lon, lat, name]
        pair.check("GEOADD", key, *args)


# ---------------------------------------------------------------- GEOADD ----

def test_geoadd_stores_geohash_scores(pair):
    sicily(pair)
    pair.check_script([("ZRANGE", "Sicily", 0, -1, "WITHSCORES"), ("ZCARD", "Sicily"),
                       ("OBJECT", "ENCODING", "Sicily")])


def test_geoadd_counts_only_new_members(pair):
    sicily(pair)
    pair.check_script([("GEOADD", "Sicily", "13.4", "38.1", "Palermo", "1", "1", "new"),
                       ("ZSCORE", "Sicily", "Palermo")])


def test_geoadd_nx_xx_ch(pair):
    sicily(pair)
    pair.check_script([("GEOADD", "Sicily", "NX", "1", "2", "Palermo", "3", "4", "x"),
                       ("GEOADD", "Sicily", "XX", "1", "2", "Palermo", "3", "4", "y"),
                       ("GEOADD", "Sicily", "XX", "CH", "5", "6", "Palermo", "3", "4", "z"),
                       ("GEOADD", "Sicily", "CH", "NX", "5", "6", "Palermo", "7", "8", "w"),
                       ("GEOADD", "Sicily", "ch", "xx", "ch", "5", "6", "Palermo"),
                       ("ZRANGE", "Sicily", 0, -1, "WITHSCORES")])


def test_geoadd_xx_on_missing_key_creates_nothing(pair):
    pair.check_script([("GEOADD", "k", "XX", "1", "2", "m"), ("EXISTS", "k")])


def test_geoadd_nx_and_xx_together_is_a_syntax_error(pair):
    pair.check_script([("GEOADD", "k", "NX", "XX", "1", "2", "m"), ("EXISTS", "k")])


def test_geoadd_argument_count_errors(pair):
    pair.check_script([("GEOADD", "k", "1", "2"), ("GEOADD", "k", "1", "2", "m", "3"),
                       ("GEOADD", "k", "NX", "CH", "CH"), ("GEOADD", "k", "NX", "1", "2"),
                       ("GEOADD", "k", "GT", "1", "2", "m"), ("EXISTS", "k")])


def test_geoadd_invalid_pair_is_refused_with_the_pair_printed(pair):
    pair.check_script([("GEOADD", "k", "200", "100", "m"), ("GEOADD", "k", "1", "2", "a", "-180.5", "0", "b"),
                       ("GEOADD", "k", "0", "85.06", "m"), ("GEOADD", "k", "0", "-85.052", "m"),
                       ("GEOADD", "k", "1e300", "1", "m"), ("GEOADD", "k", "-0.0000001", "-90", "m"),
                       ("EXISTS", "k")])


def test_geoadd_invalid_floats(pair):
    pair.check_script([("GEOADD", "k", "x", "1", "m"), ("GEOADD", "k", "1", "nan", "m"),
                       ("GEOADD", "k", "1e400", "1", "m"), ("GEOADD", "k", " 1", "1", "m"),
                       ("GEOADD", "k", "", "1", "m"), ("GEOADD", "k", "inf", "1", "m"), ("EXISTS", "k")])


def test_geoadd_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("GEOADD", "s", "1", "2", "m")])


def test_geoadd_poles_and_antimeridian(pair):
    pair.check_script([("GEOADD", "k", "180", "0", "e", "-180", "0", "w", "0", LAT_MAX, "n",
                        "0", "-" + LAT_MAX, "s", "180", LAT_MAX, "ne", "-180", "-" + LAT_MAX, "sw",
                        "0", "0", "origin", "-0", "-0", "negzero"),
                       ("ZRANGE", "k", 0, -1, "WITHSCORES"),
                       ("GEOPOS", "k", "e", "w", "n", "s", "ne", "sw", "origin", "negzero"),
                       ("GEOHASH", "k", "e", "w", "n", "s", "ne", "sw", "origin")])


def test_geoadd_binary_and_empty_members(pair):
    pair.check_script([("GEOADD", "k", "1", "2", "", "3", "4", b"\x00\xff\r\n"),
                       ("GEOPOS", "k", "", b"\x00\xff\r\n"), ("ZRANGE", "k", 0, -1)])


def test_geoadd_many_members_converts_to_skiplist(pair):
    pts = [("%.6f" % (i * 0.01 - 50), "%.6f" % (i * 0.005 - 20), "m%d" % i) for i in range(200)]
    geoadd_points(pair, "k", pts)
    pair.check_script([("OBJECT", "ENCODING", "k"), ("ZCARD", "k"), ("GEOPOS", "k", "m0", "m199", "zz")])


# ---------------------------------------------------------------- GEOPOS ----

def test_geopos_members_and_missing(proto):
    sicily(proto)
    proto.check_script([("GEOPOS", "Sicily", "Palermo", "Catania", "nope"), ("GEOPOS", "Sicily"),
                        ("GEOPOS", "nokey", "a", "b"), ("GEOPOS", "nokey")])


def test_geopos_of_members_added_with_zadd_scores(proto):
    proto.check_script([("ZADD", "z", "-1", "neg", "1e30", "huge", "3.5", "frac", "inf", "pinf", "-inf", "ninf",
                         "0", "zero", "4503599627370496", "two52", "9007199254740992", "two53",
                         "18446744073709551616", "two64", "-9223372036854775808", "min64"),
                        ("GEOPOS", "z", "neg", "huge", "frac", "pinf", "ninf", "zero", "two52", "two53",
                         "two64", "min64"),
                        ("GEOHASH", "z", "neg", "huge", "frac", "pinf", "ninf", "zero", "two52", "two53",
                         "two64", "min64"),
                        ("GEODIST", "z", "neg", "huge"), ("GEODIST", "z", "pinf", "frac", "km")])


def test_geopos_wrong_type(proto):
    proto.check_script([("SET", "s", "x"), ("GEOPOS", "s", "a"), ("GEOHASH", "s", "a"), ("GEODIST", "s", "a", "b")])


# --------------------------------------------------------------- GEOHASH ----

def test_geohash_members_and_missing(proto):
    sicily(proto)
    proto.check_script([("GEOHASH", "Sicily", "Palermo", "Catania", "nope"), ("GEOHASH", "Sicily"),
                        ("GEOHASH", "nokey", "a")])


# --------------------------------------------------------------- GEODIST ----

def test_geodist_units(proto):
    sicily(proto)
    for unit in ["m", "km", "ft", "mi", "M", "KM", "Ft", "mI"]:
        proto.check("GEODIST", "Sicily", "Palermo", "Catania", unit)
    proto.check("GEODIST", "Sicily", "Palermo", "Catania")
    proto.check("GEODIST", "Sicily", "Palermo", "Palermo")


def test_geodist_missing_member_or_key_is_null(proto):
    sicily(proto)
    proto.check_script([("GEODIST", "Sicily", "Palermo", "nope"), ("GEODIST", "Sicily", "nope", "Palermo"),
                        ("GEODIST", "nokey", "a", "b"), ("GEODIST", "nokey", "a", "b", "km")])


def test_geodist_unit_error_comes_before_the_key_lookup(proto):
    proto.check_script([("SET", "s", "x"), ("GEODIST", "s", "a", "b", "parsec"), ("GEODIST", "nokey", "a", "b", "yd"),
                        ("GEODIST", "nokey", "a", "b", "km", "extra"), ("GEODIST", "s", "a", "b")])


def test_geodist_antipodes_and_poles(proto):
    proto.check_script([("GEOADD", "k", "0", "0", "a", "180", "0", "b", "-180", "0", "c", "90", LAT_MAX, "n",
                         "-90", "-" + LAT_MAX, "s", "179.9999", "0.0001", "d"),
                        ("GEODIST", "k", "a", "b"), ("GEODIST", "k", "b", "c"), ("GEODIST", "k", "n", "s", "km"),
                        ("GEODIST", "k", "a", "d", "mi"), ("GEODIST", "k", "c", "d", "ft")])


# ------------------------------------------------------------- GEORADIUS ----

def test_georadius_plain_and_with_options(proto):
    sicily(proto)
    for extra in [(), ("WITHDIST",), ("WITHCOORD",), ("WITHHASH",), ("WITHDIST", "WITHCOORD", "WITHHASH"),
                  ("ASC",), ("DESC",), ("COUNT", 2), ("COUNT", 2, "DESC"), ("COUNT", 1, "ANY"),
                  ("COUNT", 10, "ANY", "ASC"), ("withcoord", "withhash", "count", "3", "desc"),
                  ("ASC", "DESC"), ("COUNT", 1, "COUNT", 3)]:
        proto.check("GEORADIUS", "Sicily", "15", "37", "200", "km", *extra)


def test_georadius_units(proto):
    sicily(proto)
    for radius, unit in [("200000", "m"), ("200", "KM"), ("656168", "ft"), ("124.3", "mi")]:
        proto.check("GEORADIUS", "Sicily", "15", "37", radius, unit, "WITHDIST", "ASC")


def test_georadius_errors(pair):
    sicily(pair)
    pair.check_script([("GEORADIUS", "Sicily", "15", "37", "200", "parsec"),
                       ("GEORADIUS", "Sicily", "15", "37", "-1", "km"),
                       ("GEORADIUS", "Sicily", "15", "37", "x", "km"),
                       ("GEORADIUS", "Sicily", "x", "37", "1", "km"),
                       ("GEORADIUS", "Sicily", "15", "91", "1", "km"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "-3"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "x"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "ANY"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "STORE", "d"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "d", "WITHCOORD"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "BYBOX", "1", "1", "km"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "FROMLONLAT", "1", "1"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "bogus"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "0", "bogus"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "bogus", "COUNT", "0"),
                       ("EXISTS", "d")])


def test_georadius_missing_key(proto):
    proto.check_script([("GEORADIUS", "nokey", "15", "37", "200", "km"),
                        ("GEORADIUS", "nokey", "15", "37", "200", "km", "WITHDIST"),
                        ("GEORADIUS", "nokey", "15", "37", "200", "parsec"),
                        ("GEORADIUS", "nokey", "15", "37", "200", "km", "ANY"),
                        ("GEORADIUS", "nokey", "15", "37", "200", "km", "STORE", "d")])


def test_georadius_missing_key_with_store_deletes_the_destination(pair):
    pair.check_script([("SET", "d", "x"), ("GEORADIUS", "nokey", "15", "37", "200", "km", "STORE", "d"),
                       ("EXISTS", "d")])


def test_georadius_wrong_type(pair):
    pair.check_script([("SET", "s", "x"), ("GEORADIUS", "s", "15", "37", "200", "km"),
                       ("GEORADIUS", "s", "500", "37", "200", "parsec"),
                       ("GEORADIUSBYMEMBER", "s", "m", "1", "km"), ("GEOSEARCH", "s", "FROMLONLAT", "1", "2",
                                                                    "BYRADIUS", "1", "km")])


def test_georadius_store_and_storedist(pair):
    sicily(pair)
    pair.check_script([("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d"),
                       ("ZRANGE", "d", 0, -1, "WITHSCORES"), ("OBJECT", "ENCODING", "d"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "dd", "COUNT", 2),
                       ("ZRANGE", "dd", 0, -1, "WITHSCORES"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "a", "STOREDIST", "b"),
                       ("EXISTS", "a", "b"), ("ZRANGE", "b", 0, -1, "WITHSCORES"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STOREDIST", "c", "STORE", "e"),
                       ("EXISTS", "c", "e"), ("ZRANGE", "e", 0, -1, "WITHSCORES")])


def test_georadius_store_empty_result_deletes_destination(pair):
    sicily(pair)
    pair.check_script([("SET", "d", "x"), ("EXPIRE", "d", "100"),
                       ("GEORADIUS", "Sicily", "-100", "0", "1", "km", "STORE", "d"), ("EXISTS", "d"),
                       ("GEORADIUS", "Sicily", "-100", "0", "1", "km", "STORE", "d"), ("EXISTS", "d")])


def test_georadius_store_replaces_any_type_and_clears_ttl(pair):
    sicily(pair)
    pair.check_script([("RPUSH", "d", "x"), ("EXPIRE", "d", "100"),
                       ("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d"), ("TYPE", "d"), ("TTL", "d")])


def test_georadius_store_into_the_source_key(pair):
    sicily(pair)
    pair.check_script([("GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE", "Sicily"),
                       ("ZRANGE", "Sicily", 0, -1, "WITHSCORES")])


def test_georadius_store_result_encoding_follows_listpack_limits(pair):
    pts = [("%.5f" % (10 + (i % 20) * 0.01), "%.5f" % (40 + (i // 20) * 0.01), "p%03d" % i) for i in range(200)]
    geoadd_points(pair, "k", pts)
    pair.check_script([("GEORADIUS", "k", "10.1", "40.05", "20", "km", "STORE", "big"),
                       ("OBJECT", "ENCODING", "big"), ("ZCARD", "big"),
                       ("GEORADIUS", "k", "10.1", "40.05", "20", "km", "STORE", "small", "COUNT", 5),
                       ("OBJECT", "ENCODING", "small"), ("ZRANGE", "small", 0, -1, "WITHSCORES")])


def test_georadius_ro_refuses_store(pair):
    sicily(pair)
    pair.check_script([("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "d"),
                       ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STOREDIST", "d"),
                       ("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "STORE", "d"),
                       ("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST", "DESC"),
                       ("EXISTS", "d")])


def test_georadius_ro_replies_like_georadius(proto):
    sicily(proto)
    proto.check("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "ASC")
    proto.check("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "WITHHASH", "COUNT", 2)


# ----------------------------------------------------- GEORADIUSBYMEMBER ----

def test_georadiusbymember_options(proto):
    sicily(proto)
    for extra in [(), ("WITHDIST",), ("WITHCOORD", "WITHHASH"), ("DESC",), ("COUNT", 3), ("COUNT", 2, "ANY")]:
        proto.check("GEORADIUSBYMEMBER", "Sicily", "Agrigento", "100", "km", *extra)


def test_georadiusbymember_missing_member(pair):
    sicily(pair)
    pair.check_script([("GEORADIUSBYMEMBER", "Sicily", "nope", "100", "km"),
                       ("GEORADIUSBYMEMBER", "Sicily", "nope", "-1", "parsec")])


def test_georadiusbymember_missing_key_skips_the_radius_checks(pair):
    pair.check_script([("GEORADIUSBYMEMBER", "nokey", "m", "-1", "parsec"),
                       ("GEORADIUSBYMEMBER", "nokey", "m", "x", "km", "STORE", "d"),
                       ("GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "bogus"),
                       ("GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "ANY")])


def test_georadiusbymember_store(pair):
    sicily(pair)
    pair.check_script([("GEORADIUSBYMEMBER", "Sicily", "Palermo", "150", "km", "STOREDIST", "d", "DESC"),
                       ("ZRANGE", "d", 0, -1, "WITHSCORES")])


# ------------------------------------------------------------- GEOSEARCH ----

def test_geosearch_from_lonlat_by_radius(proto):
    sicily(proto)
    for extra in [(), ("WITHDIST", "WITHCOORD", "WITHHASH"), ("ASC",), ("DESC", "COUNT", 2),
                  ("COUNT", 2, "ANY", "WITHDIST")]:
        proto.check("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", *extra)


def test_geosearch_from_member_by_box(proto):
    sicily(proto)
    for extra in [(), ("WITHDIST",), ("WITHCOORD", "ASC"), ("DESC", "WITHHASH"), ("COUNT", 1)]:
        proto.check("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "300", "200", "km", *extra)


def test_geosearch_box_is_not_a_circle(proto):
    sicily(proto)
    proto.check("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400", "km", "ASC", "WITHDIST")
    proto.check("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHDIST")
    proto.check("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "10", "400", "km", "ASC")
    proto.check("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "10", "km", "ASC")


def test_geosearch_option_order_is_free(proto):
    sicily(proto)
    proto.check("GEOSEARCH", "Sicily", "WITHDIST", "BYRADIUS", "200", "km", "COUNT", "3", "FROMMEMBER", "Catania",
                "DESC")


def test_geosearch_errors(pair):
    sicily(pair)
    pair.check_script([("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STORE", "d"),
                       ("GEOSEARCH", "Sicily", "BYRADIUS", "200", "km", "WITHDIST"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "WITHDIST"),
                       ("geosearch", "Sicily", "fromlonlat", "15", "37", "withdist"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "FROMMEMBER", "Palermo",
                        "BYRADIUS", "1", "m"),
                       ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "FROMLONLAT", "15", "37",
                        "BYRADIUS", "1", "m"),
                       ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m",
                        "BYBOX", "1", "1", "m"),
                       ("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "1", "1", "m",
                        "BYRADIUS", "1", "m"),
                       ("GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "m"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "181", "0", "BYRADIUS", "1", "m"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "0", "BYBOX", "-1", "1", "m"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "0", "BYBOX", "a", "1", "m"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "0", "BYBOX", "1", "b", "m"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "0", "BYBOX", "1", "1", "yd"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "0", "BYRADIUS", "1", "m", "ANY"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "0", "BYRADIUS", "1", "m", "COUNT", "0"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "0", "BYBOX", "1", "1"),
                       ("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "0", "BYRADIUS", "1")])


def test_geosearch_missing_key(proto):
    proto.check_script([("GEOSEARCH", "nokey", "FROMMEMBER", "m", "BYRADIUS", "1", "km"),
                        ("GEOSEARCH", "nokey", "FROMLONLAT", "1", "2", "BYBOX", "1", "1", "km", "WITHDIST"),
                        ("GEOSEARCH", "nokey", "FROMMEMBER", "m", "BYRADIUS", "1", "yd"),
                        ("GEOSEARCH", "nokey", "FROMMEMBER", "m", "WITHDIST")])


# -------------------------------------------------------- GEOSEARCHSTORE ----

def test_geosearchstore_stores_hashes_or_distances(pair):
    sicily(pair)
    pair.check_script([("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
                       ("ZRANGE", "d", 0, -1, "WITHSCORES"),
                       ("GEOSEARCHSTORE", "dd", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km",
                        "STOREDIST", "COUNT", 3, "DESC"),
                       ("ZRANGE", "dd", 0, -1, "WITHSCORES"),
                       ("GEOSEARCHSTORE", "e", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "mi",
                        "COUNT", 2, "ANY", "STOREDIST"),
                       ("ZRANGE", "e", 0, -1, "WITHSCORES")])


def test_geosearchstore_errors(pair):
    sicily(pair)
    pair.check_script([("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
                        "WITHDIST"),
                       ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
                        "STORE", "x"),
                       ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "WITHHASH", "x"),
                       ("GEOSEARCHSTORE", "d", "Sicily", "BYRADIUS", "200", "km", "STOREDIST"),
                       ("SET", "s", "x"),
                       ("GEOSEARCHSTORE", "d", "s", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
                       ("GEOSEARCHSTORE", "s", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"),
                       ("TYPE", "s"), ("EXISTS", "d")])


def test_geosearchstore_empty_or_missing_source_deletes_destination(pair):
    sicily(pair)
    pair.check_script([("SET", "d", "x"),
                       ("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "-100", "0", "BYRADIUS", "1", "km"),
                       ("EXISTS", "d"), ("SET", "d", "x"),
                       ("GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"),
                       ("EXISTS", "d")])


# ------------------------------------------------------------ edge cases ----

def test_zero_radius_finds_only_the_same_cell_point(proto):
    proto.check("GEOADD", "k", "10", "20", "a", "10.000001", "20", "b", "10", "20", "c")
    proto.check("GEORADIUS", "k", "10", "20", "0", "m", "WITHDIST")
    proto.check("GEORADIUSBYMEMBER", "k", "a", "0", "km", "WITHDIST", "ASC")
    proto.check("GEOSEARCH", "k", "FROMMEMBER", "a", "BYBOX", "0", "0", "m", "WITHDIST")


def test_huge_radius_covers_the_whole_world(proto):
    proto.check("GEOADD", "k", "0", "0", "a", "179", "80", "b", "-179", "-80", "c", "90", "45", "d",
                "-90", "-45", "e", "180", "0", "f", "-180", "0", "g")
    for radius in ["20000", "40000", "1e9", "inf"]:
        proto.check("GEORADIUS", "k", "0", "0", radius, "km", "ASC", "WITHDIST")
        proto.check("GEOSEARCH", "k", "FROMLONLAT", "0", "0", "BYBOX", radius, radius, "km", "DESC")
    proto.check("GEORADIUS", "k", "0", "0", "inf", "km")
    proto.check("GEORADIUS", "k", "0", "0", "inf", "km", "COUNT", "3")


def test_search_near_the_poles(proto):
    pts = []
    for i in range(60):
        pts.append(("%.4f" % (-180 + i * 6), "%.6f" % (84.9 + (i % 5) * 0.03), "n%d" % i))
        pts.append(("%.4f" % (-180 + i * 6), "%.6f" % (-84.9 - (i % 5) * 0.03), "s%d" % i))
    geoadd_points(proto, "k", pts)
    proto.check("GEOSEARCH", "k", "FROMLONLAT", "0", "85", "BYRADIUS", "300", "km", "ASC", "WITHDIST")
    proto.check("GEOSEARCH", "k", "FROMLONLAT", "0", "-85", "BYBOX", "2000", "100", "km", "ASC", "WITHCOORD")
    proto.check("GEORADIUS", "k", "0", LAT_MAX, "100", "km", "WITHDIST", "ASC")
    proto.check("GEORADIUSBYMEMBER", "k", "s3", "1000", "km", "DESC", "COUNT", "7")


def test_search_across_the_antimeridian(proto):
    proto.check("GEOADD", "k", "179.9", "10", "e1", "-179.9", "10", "w1", "179.5", "10.2", "e2",
                "-179.5", "9.8", "w2", "180", "10", "edge", "-180", "10", "wedge")
    proto.check("GEORADIUS", "k", "179.95", "10", "100", "km", "ASC", "WITHDIST")
    proto.check("GEORADIUS", "k", "-179.95", "10", "100", "km", "ASC", "WITHDIST")
    proto.check("GEOSEARCH", "k", "FROMLONLAT", "180", "10", "BYBOX", "200", "200", "km", "ASC")
    proto.check("GEOSEARCH", "k", "FROMMEMBER", "wedge", "BYRADIUS", "60", "km", "DESC", "WITHCOORD")


def test_members_at_the_same_point_keep_redis_order(proto):
    args = []
    for i in range(60):
        args += ["12.5", "41.9", "same%02d" % i]
    for i in range(30):
        args += ["12.6", "41.9", "near%02d" % i]
    proto.check("GEOADD", "k", *args)
    for extra in [("ASC",), ("DESC",), ("COUNT", 5), ("COUNT", 5, "DESC"), ("COUNT", 61), ("COUNT", 70, "DESC"),
                  ("COUNT", 3, "ANY"), ("COUNT", 45, "ANY", "DESC"), ()]:
        proto.check("GEORADIUS", "k", "12.5", "41.9", "50", "km", "WITHDIST", *extra)
        proto.check("GEOSEARCH", "k", "FROMMEMBER", "same00", "BYBOX", "50", "50", "km", *extra)


def test_distance_is_rounded_from_the_scaled_value(proto):
    """17429785.438450001 ft prints as ...4384 (llrint of the scaled double), not %.4f's ...4385."""
    proto.check("ZADD", "k", "674595184478457", "p")
    proto.check("GEORADIUS_RO", "k", "53.26230", "-68.12653", "27244285.685", "ft", "WITHDIST")
    proto.check("GEORADIUS", "k", "53.26230", "-68.12653", "27244285.685", "ft", "STOREDIST", "d")
    proto.check("ZSCORE", "d", "p")


def test_distance_along_a_meridian_uses_the_latitude_difference(pair):
    rng = random.Random(1)
    args = ["10", "0", "center"]
    for i in range(300):
        args += ["10", "%.6f" % rng.uniform(-80, 80), "m%d" % i]
    pair.check("GEOADD", "k", *args)
    pair.check("GEORADIUSBYMEMBER", "k", "center", "30000", "km", "STOREDIST", "d")
    pair.check("ZRANGE", "d", 0, -1, "WITHSCORES")
    for i in range(0, 300, 7):
        pair.check("GEODIST", "k", "center", "m%d" % i, "mi")


def test_listpack_and_skiplist_sets_search_alike(pair, server_factory):
    small = [server_factory(kind, "--zset-max-listpack-entries", "2") for kind in ("ours", "real")]
    p = Pair(small[0].client(), small[1].client())
    try:
        sicily(p)
        p.check("OBJECT", "ENCODING", "Sicily")
        p.check("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHHASH", "WITHCOORD")
        p.check("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "COUNT", "2")
        p.check("OBJECT", "ENCODING", "d")
    finally:
        p.close()
        for s in small:
            s.stop()


def test_geo_commands_in_a_transaction(pair):
    pair.check_script([("MULTI",), ("GEOADD", "k", "1", "2", "a", "1.001", "2", "b"),
                       ("GEORADIUS", "k", "1", "2", "1", "km", "STORE", "d"), ("GEOPOS", "k", "a"),
                       ("GEODIST", "k", "a", "b"), ("EXEC",), ("ZRANGE", "d", 0, -1, "WITHSCORES")])


# -------------------------------------------------------- command table ----

GEO_COMMANDS = ["geoadd", "geodist", "geohash", "geopos", "georadius", "georadius_ro", "georadiusbymember",
                "georadiusbymember_ro", "geosearch", "geosearchstore"]


@pytest.mark.parametrize("name", GEO_COMMANDS)
def test_command_info_matches(pair, name):
    """Name, arity, flags, first/last/step and ACL categories (key specs aside)."""
    ours, real = pair.both("COMMAND", "INFO", name)
    assert decode(ours)[0][:7] == decode(real)[0][:7]


@pytest.mark.parametrize("name", GEO_COMMANDS)
def test_command_docs_arguments_match(pair, name):
    def arguments(raw):
        fields = decode(raw)[1]
        return dict(zip(fields[0::2], fields[1::2])).get(b"arguments")
    ours, real = pair.both("COMMAND", "DOCS", name)
    assert arguments(ours) == arguments(real)
    assert arguments(real) is not None


def test_command_getkeys_finds_the_store_keys(pair):
    pair.check_script([("COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m"),
                       ("COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "STORE", "a"),
                       ("COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "STORE", "a", "STOREDIST", "b"),
                       ("COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "COUNT", "1", "store", "store"),
                       ("COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "STORE"),
                       ("COMMAND", "GETKEYS", "GEORADIUS", "k", "1", "2", "3", "m", "STORE", "a", "STOREDIST"),
                       ("COMMAND", "GETKEYS", "GEORADIUSBYMEMBER", "k", "m", "3", "m", "STOREDIST", "x"),
                       ("COMMAND", "GETKEYS", "GEOSEARCHSTORE", "d", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "m"),
                       ("COMMAND", "GETKEYS", "GEOSEARCH", "s", "FROMMEMBER", "m", "BYRADIUS", "1", "m")])


# ------------------------------------------------------ random searches ----

def random_points(rng, n):
    """Points clustered in a few regions (so searches find many), plus some spread over the whole world."""
    centers = [(rng.uniform(-179, 179), rng.uniform(-80, 80)) for _ in range(6)] + [(179.9, 0.0), (0.0, 84.9)]
    pts = []
    for i in range(n):
        if rng.random() < 0.15:
            lon, lat = rng.uniform(-180, 180), rng.uniform(-85.05, 85.05)
        else:
            clon, clat = rng.choice(centers)
            lon = max(-180.0, min(180.0, clon + rng.gauss(0, 0.5)))
            lat = max(-85.05, min(85.05, clat + rng.gauss(0, 0.3)))
        pts.append(("%.6f" % lon, "%.6f" % lat, "p%d" % i))
    # A few duplicates of the same position, so that ties are exercised.
    for j in range(20):
        lon, lat, _ = pts[rng.randrange(len(pts))]
        pts.append((lon, lat, "dup%d" % j))
    return pts, centers


def random_search(rng, pts, centers):
    """One random GEOSEARCH / GEORADIUS* command (argument list)."""
    unit = rng.choice(["m", "km", "ft", "mi", "KM"])
    scale = {"m": 1000.0, "km": 1.0, "ft": 3280.84, "mi": 0.621371, "KM": 1.0}[unit]
    size = rng.choice([0.5, 5, 20, 80, 300, 2000, 9000]) * rng.uniform(0.3, 1.5) * scale
    size_text = "%.3f" % size
    if rng.random() < 0.5:
        clon, clat = rng.choice(centers)
        center = ["%.5f" % max(-180, min(180, clon + rng.gauss(0, 0.5))),
                  "%.5f" % max(-85.05, min(85.05, clat + rng.gauss(0, 0.3)))]
        member = None
    else:
        member = rng.choice(pts)[2]
        center = None
    groups = []
    for flag in ["WITHDIST", "WITHCOORD", "WITHHASH"]:
        if rng.random() < 0.4:
            groups.append([flag])
    sort = rng.choice([None, "ASC", "DESC"])
    if sort:
        groups.append([sort])
    if rng.random() < 0.5:
        groups.append(["COUNT", str(rng.choice([1, 2, 5, 10, 50, 500]))])
        if rng.random() < 0.3:
            groups.append(["ANY"])
    rng.shuffle(groups)
    opts = [x for g in groups for x in g]
    kind = rng.random()
    if kind < 0.45:
        cmd = ["GEOSEARCH", "g"]
        cmd += ["FROMMEMBER", member] if member else ["FROMLONLAT"] + center
        if rng.random() < 0.5:
            cmd += ["BYRADIUS", size_text, unit]
        else:
            cmd += ["BYBOX", size_text, "%.3f" % (size * rng.uniform(0.2, 3)), unit]
        return cmd + opts
    if member:
        return [rng.choice(["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]), "g", member, size_text, unit] + opts
    return [rng.choice(["GEORADIUS", "GEORADIUS_RO"]), "g"] + center + [size_text, unit] + opts


@pytest.mark.parametrize("seed", SEEDS)
def test_random_searches_match(pair, seed):
    rng = random.Random(seed)
    pts, centers = random_points(rng, POINTS)
    geoadd_points(pair, "g", pts)
    pair.check("ZCARD", "g")
    for q in range(QUERIES):
        if q == QUERIES // 2:
            pair.both("HELLO", 3)
        cmd = random_search(rng, pts, centers)
        pair.context = "seed %d, query %d" % (seed, q)
        pair.check(*cmd)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_stores_match(pair, seed):
    rng = random.Random(seed + 1)
    pts, centers = random_points(rng, POINTS // 3)
    geoadd_points(pair, "g", pts)
    for q in range(QUERIES // 4):
        cmd = [x for x in random_search(rng, pts, centers) if x not in ("WITHDIST", "WITHCOORD", "WITHHASH")]
        pair.context = "seed %d, store %d" % (seed, q)
        if cmd[0] == "GEOSEARCH":
            cmd = ["GEOSEARCHSTORE", "dst"] + cmd[1:] + (["STOREDIST"] if rng.random() < 0.5 else [])
        elif cmd[0].endswith("_RO"):
            continue
        else:
            cmd += [rng.choice(["STORE", "STOREDIST"]), "dst"]
        pair.check(*cmd)
        pair.check("ZRANGE", "dst", 0, -1, "WITHSCORES")


@pytest.mark.parametrize("seed", SEEDS)
def test_random_positions_hashes_and_distances_match(pair, seed):
    rng = random.Random(seed + 2)
    pts = [("%.7f" % rng.uniform(-180, 180), "%.7f" % rng.uniform(-85.05112878, 85.05112878), "r%d" % i)
           for i in range(1000)]
    geoadd_points(pair, "g", pts)
    names = [p[2] for p in pts]
    for i in range(0, len(names), 100):
        pair.check("GEOPOS", "g", *names[i:i + 100])
        pair.check("GEOHASH", "g", *names[i:i + 100])
    pair.both("HELLO", 3)
    pair.check("GEOPOS", "g", *names[:200])
    for _ in range(300):
        pair.check("GEODIST", "g", rng.choice(names), rng.choice(names), rng.choice(["m", "km", "mi", "ft"]))


# ------------------------------------------- notifications, propagation ----

from test_notifications_diff import check_events, env_factory, notif_servers  # noqa: E402,F401  (fixtures)
from test_effects_stream_diff import MASTER_ARGS, StreamPair  # noqa: E402
from conftest import ServerProcess, ours_binary, real_binary  # noqa: E402


def test_geoadd_fires_zadd_event(env_factory):
    r = check_events(env_factory, ("GEOADD", "k", "1", "2", "a"), ("GEOADD", "k", "1", "2", "a"),
                     ("GEOADD", "k", "CH", "1", "3", "a"))
    assert len(r) == 4


def test_search_stores_fire_their_events(env_factory):
    check_events(env_factory, ("GEOADD", "k", "1", "2", "a", "1.01", "2", "b"),
                 ("GEORADIUS", "k", "1", "2", "10", "km", "STORE", "d"),
                 ("GEORADIUSBYMEMBER", "k", "a", "10", "km", "STOREDIST", "d"),
                 ("GEOSEARCHSTORE", "e", "k", "FROMMEMBER", "a", "BYBOX", "10", "10", "km"),
                 ("GEORADIUS", "k", "50", "2", "10", "km", "STORE", "d"),
                 ("GEOSEARCHSTORE", "e", "nokey", "FROMMEMBER", "a", "BYBOX", "10", "10", "km"),
                 ("GEORADIUS", "k", "50", "2", "10", "km", "STORE", "d"))


@pytest.fixture
def streams():
    servers = [ServerProcess(ours_binary(), "ours-master", MASTER_ARGS),
               ServerProcess(real_binary(), "real-master", MASTER_ARGS)]
    try:
        for s in servers:
            s.start()
        p = StreamPair(*servers)
        yield p
        for t in p.taps:
            t.close()
    finally:
        for s in servers:
            s.stop()


def test_geoadd_propagates_as_zadd(streams):
    streams.run_all([["GEOADD", "k", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
                     ["GEOADD", "k", "NX", "CH", "1", "2", "Palermo", "3", "4", "x"],
                     ["GEOADD", "k", "XX", "1", "2", "nope"], ["GEOADD", "k", "200", "0", "bad"]])
    real = streams.assert_same_effects()
    assert [c[0].upper() for c in real if c[0].upper() != b"SELECT"] == [b"ZADD", b"ZADD"]


def test_geoadd_in_a_transaction_propagates_as_zadd(streams):
    streams.run_all([["MULTI"], ["GEOADD", "k", "1", "2", "a"], ["GEORADIUS", "k", "1", "2", "5", "km", "STORE", "d"],
                     ["GEOADD", "k", "XX", "3", "4", "zz"], ["EXEC"]])
    streams.assert_same_effects()


def test_search_stores_propagate_verbatim(streams):
    streams.run_all([["GEOADD", "k", "1", "2", "a", "1.01", "2", "b"],
                     ["GEORADIUS", "k", "1", "2", "10", "km", "STORE", "d"],
                     ["GEORADIUSBYMEMBER", "k", "a", "10", "km", "STOREDIST", "d", "COUNT", "1"],
                     ["GEOSEARCHSTORE", "e", "k", "FROMMEMBER", "a", "BYBOX", "10", "10", "km", "STOREDIST"],
                     ["GEORADIUS", "k", "50", "2", "10", "km", "STORE", "nothing"],
                     ["GEOSEARCH", "k", "FROMMEMBER", "a", "BYRADIUS", "10", "km"],
                     ["GEORADIUS", "k", "50", "2", "10", "km", "STORE", "d"]])
    streams.assert_same_effects()


@pytest.mark.parametrize("seed", SEEDS)
def test_random_searches_on_listpack_sets_match(pair, seed):
    rng = random.Random(seed + 3)
    pts, centers = random_points(rng, 100)
    geoadd_points(pair, "g", pts)
    pair.check("OBJECT", "ENCODING", "g")
    for q in range(QUERIES // 2):
        pair.context = "seed %d, small-set query %d" % (seed, q)
        pair.check(*random_search(rng, pts, centers))
