"""Differential tests for SORT and SORT_RO (Redis 7.0 semantics): same commands to ours and the reference
redis-server, byte-identical replies (unordered only where Redis's own order is unspecified)."""

import random

import pytest


def rpush(pair, key, *items):
    pair.check("RPUSH", key, *items)


def test_sort_numeric_list_ascending(pair):
    rpush(pair, "l", 3, 1, 2, 10, -5)
    pair.check("SORT", "l")


def test_sort_numeric_descending(pair):
    rpush(pair, "l", 3, 1, 2, 10, -5, 2.5)
    pair.check("SORT", "l", "DESC")


def test_sort_ties_are_broken_by_element_bytes(pair):
    rpush(pair, "l", "1.0", "1", "01", "1e0")
    pair.check("SORT", "l")
    pair.check("SORT", "l", "DESC")


def test_sort_non_numeric_elements_error(pair):
    rpush(pair, "l", 1, "abc", 2)
    pair.check("SORT", "l")


def test_sort_numbers_with_leading_spaces_are_numeric(pair):
    rpush(pair, "l", " 3", " 1", "2")
    pair.check("SORT", "l")


def test_sort_alpha(pair):
    rpush(pair, "l", "banana", "apple", "Cherry", "apple2", "")
    pair.check("SORT", "l", "ALPHA")
    pair.check("SORT", "l", "ALPHA", "DESC")


@pytest.mark.parametrize("limit", [(0, 2), (1, 2), (2, 100), (-1, 2), (0, -1), (5, 1), (0, 0), (100, 1), (-5, -5)])
def test_sort_limit(pair, limit):
    rpush(pair, "l", 5, 4, 3, 2, 1)
    pair.check("SORT", "l", "LIMIT", *limit)


def test_sort_limit_needs_integers(pair):
    rpush(pair, "l", 1)
    pair.check("SORT", "l", "LIMIT", "a", 1)
    pair.check("SORT", "l", "LIMIT", 0)


def test_sort_by_nosort_keeps_list_order(pair):
    rpush(pair, "l", 3, 1, 2)
    pair.check("SORT", "l", "BY", "nosort")
    pair.check("SORT", "l", "BY", "nosort", "DESC")
    pair.check("SORT", "l", "BY", "nosort", "LIMIT", 1, 1)
    pair.check("SORT", "l", "BY", "nosort", "DESC", "LIMIT", 1, 5)


def test_sort_by_external_weights(pair):
    rpush(pair, "l", "a", "b", "c", "d")
    pair.check("MSET", "w_a", 3, "w_b", 1, "w_c", 2)
    pair.check("SORT", "l", "BY", "w_*")
    pair.check("SORT", "l", "BY", "w_*", "DESC")


def test_sort_by_hash_field(pair):
    rpush(pair, "l", "1", "2", "3")
    pair.check("HSET", "h_1", "f", 30, "name", "one")
    pair.check("HSET", "h_2", "f", 10, "name", "two")
    pair.check("HSET", "h_3", "f", 20, "name", "three")
    pair.check("SORT", "l", "BY", "h_*->f")
    pair.check("SORT", "l", "BY", "h_*->f", "GET", "h_*->name", "GET", "#")
    pair.check("SORT", "l", "BY", "h_*->missing")


def test_sort_by_alpha_weights(pair):
    rpush(pair, "l", "x", "y", "z")
    pair.check("MSET", "n_x", "pear", "n_y", "apple", "n_z", "fig")
    pair.check("SORT", "l", "BY", "n_*", "ALPHA")


def test_sort_by_non_numeric_weights_errors(pair):
    rpush(pair, "l", "x", "y")
    pair.check("MSET", "n_x", "pear", "n_y", "apple")
    pair.check("SORT", "l", "BY", "n_*")


def test_sort_get_patterns(pair):
    rpush(pair, "l", 2, 1, 3)
    pair.check("MSET", "v_1", "one", "v_2", "two")
    pair.check("SORT", "l", "GET", "v_*")
    pair.check("SORT", "l", "GET", "#", "GET", "v_*")
    pair.check("SORT", "l", "GET", "constant")
    pair.check("RPUSH", "v_3", "x")
    pair.check("SORT", "l", "GET", "v_*")


def test_sort_store_creates_a_list(pair):
    rpush(pair, "l", 3, 1, 2)
    pair.check("SORT", "l", "STORE", "dst")
    pair.check("LRANGE", "dst", 0, -1)
    pair.check("TYPE", "dst")


def test_sort_store_with_get_uses_empty_strings_for_missing(pair):
    rpush(pair, "l", 2, 1)
    pair.check("SET", "v_1", "one")
    pair.check("SORT", "l", "GET", "v_*", "GET", "#", "STORE", "dst")
    pair.check("LRANGE", "dst", 0, -1)


def test_sort_store_of_nothing_deletes_destination(pair):
    pair.check("SET", "dst", "x")
    pair.check("SORT", "missing", "STORE", "dst")
    pair.check("EXISTS", "dst")


def test_sort_missing_key_is_empty(pair):
    pair.check("SORT", "missing")
    pair.check("SORT_RO", "missing")


def test_sort_wrong_type(pair):
    pair.check("SET", "s", "x")
    pair.check("SORT", "s")
    pair.check("SORT_RO", "s")


def test_sort_ro_refuses_store(pair):
    rpush(pair, "l", 1)
    pair.check("SORT_RO", "l", "STORE", "dst")
    pair.check("SORT_RO", "l", "DESC")


def test_sort_syntax_error(pair):
    rpush(pair, "l", 1)
    pair.check("SORT", "l", "FOO")
    pair.check("SORT", "l", "BY")
    pair.check("SORT")


def test_sort_intset(pair):
    pair.check("SADD", "s", 5, 3, 9, 1)
    pair.check("SORT", "s")
    pair.check("SORT", "s", "DESC", "LIMIT", 0, 2)
    pair.check("SORT", "s", "BY", "nosort")


def test_sort_hashtable_set_by_nosort_store_is_sorted(pair):
    pair.check("SADD", "s", "b", "a", "c", "d")
    pair.check("SORT", "s", "BY", "nosort", "STORE", "dst")
    pair.check("LRANGE", "dst", 0, -1)
    pair.check_unordered("SORT", "s", "BY", "nosort")


def test_sort_sorted_set(pair):
    pair.check("ZADD", "z", 1, "c", 2, "b", 3, "a")
    pair.check("SORT", "z", "BY", "nosort")
    pair.check("SORT", "z", "BY", "nosort", "DESC", "LIMIT", 0, 2)
    pair.check("SORT", "z", "ALPHA")
    pair.check("OBJECT", "ENCODING", "z")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sort_random_lists(pair, seed):
    rnd = random.Random(seed)
    pair.context = "seed=%d" % seed
    for _ in range(40):
        pair.check("DEL", "l", "dst")
        n = rnd.randint(0, 12)
        items = [str(rnd.randint(-50, 50)) if rnd.random() < 0.8 else str(rnd.uniform(-5, 5)) for _ in range(n)]
        if items:
            rpush(pair, "l", *items)
        for i in range(0, 6):
            pair.check("SET", "w_%d" % i, rnd.randint(0, 3))
        args = ["SORT", "l"]
        if rnd.random() < 0.3:
            args += ["BY", "w_*"]
        if rnd.random() < 0.5:
            args.append("DESC")
        if rnd.random() < 0.4:
            args += ["LIMIT", rnd.randint(-2, 8), rnd.randint(-2, 8)]
        if rnd.random() < 0.3:
            args += ["GET", "#", "GET", "w_*"]
        if rnd.random() < 0.3:
            args += ["STORE", "dst"]
            pair.check(*args)
            pair.check("LRANGE", "dst", 0, -1)
        else:
            pair.check(*args)
