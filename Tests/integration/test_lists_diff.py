"""Differential tests for the list family (Redis 7.0 semantics).

Every test sends the same commands to our server and to the reference
redis-server and requires byte-identical raw replies.

  * hand-written edge cases, one behaviour per test;
  * blocking commands with two connections per server (a waiter blocked on
    one raw connection, a push from another), every read bounded by a socket
    timeout;
  * a seeded random stream of list commands over a small key space.

Environment:
  DIFF_SEED   run only this seed of the random stream
  DIFF_RESP   protocol for DIFF_SEED (2 or 3, default 2)
  DIFF_OPS    commands per seed (default 3000)
"""

import os
import random
import socket
import time

import pytest

from difftools import NoReply, Pair, safe_read, show
from resp import encode_command

LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
RANK_ZERO = (b"-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
             b"or use negative to start from the end of the list\r\n")


def resp3(pair):
    """Switch both connections to RESP3 (HELLO's reply differs in the client id, so it is not compared)."""
    ours, real = pair.both("HELLO", "3")
    assert ours[:1] == real[:1] == b"%", (ours, real)


# ------------------------------------------------------------- LPUSH/RPUSH ---

def test_lpush_returns_length_and_prepends_in_argument_order(pair):
    pair.check_script([("LPUSH", "l", "a", "b", "c"), ("LRANGE", "l", 0, -1), ("LLEN", "l")])


def test_rpush_returns_length_and_appends(pair):
    pair.check_script([("RPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LRANGE", "l", 0, -1)])


def test_push_binary_and_empty_elements(pair):
    pair.check_script([("RPUSH", "l", b"", b"a\x00b\r\n", bytes(range(256)), "x" * 100),
                       ("LRANGE", "l", 0, -1), ("LINDEX", "l", 2), ("OBJECT", "ENCODING", "l"),
                       ("TYPE", "l")])


def test_push_integers_keep_their_text(pair):
    pair.check_script([("RPUSH", "l", "1", "-0", "007", str(LLONG_MAX), str(LLONG_MIN), "1e3", " 2"),
                       ("LRANGE", "l", 0, -1), ("LPOS", "l", "007")])


def test_push_against_string_is_wrongtype(pair):
    pair.check_script([("SET", "s", "v"), ("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPUSHX", "s", "a"),
                       ("RPUSHX", "s", "a"), ("GET", "s")])


def test_pushx_on_missing_key_is_zero_and_creates_nothing(pair):
    pair.check_script([("LPUSHX", "l", "a"), ("RPUSHX", "l", "a", "b"), ("EXISTS", "l")])


def test_pushx_on_existing_list_pushes_all(pair):
    pair.check_script([("RPUSH", "l", "x"), ("LPUSHX", "l", "a", "b"), ("RPUSHX", "l", "c", "d"),
                       ("LRANGE", "l", 0, -1)])


def test_push_arity_errors(pair):
    pair.check_script([("LPUSH", "l"), ("RPUSH", "l"), ("LPUSHX", "l"), ("RPUSHX",)])


def test_push_many_elements_grows_and_reads_back(pair):
    elements = ["e%d" % i for i in range(1000)]
    pair.check("RPUSH", "l", *elements)
    pair.check("LPUSH", "l", *elements)
    pair.check_script([("LLEN", "l"), ("LRANGE", "l", 995, 1005), ("LINDEX", "l", -1), ("LINDEX", "l", 0),
                       ("LINDEX", "l", 1000), ("LRANGE", "l", 0, -1)])


# ---------------------------------------------------------------- LPOP/RPOP ---

def test_lpop_rpop_single_element(pair):
    pair.check_script([("RPUSH", "l", "a", "b", "c"), ("LPOP", "l"), ("RPOP", "l"), ("LRANGE", "l", 0, -1)])


def test_pop_last_element_deletes_key(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LPOP", "l"), ("EXISTS", "l"), ("LPOP", "l"), ("RPOP", "l")])


def test_pop_with_count_returns_array(pair):
    pair.check_script([("RPUSH", "l", "a", "b", "c", "d", "e"), ("LPOP", "l", 2), ("RPOP", "l", 2),
                       ("LRANGE", "l", 0, -1)])


def test_pop_count_larger_than_list_returns_all_and_deletes(pair):
    pair.check_script([("RPUSH", "l", "a", "b", "c"), ("RPOP", "l", 10), ("EXISTS", "l")])


def test_pop_count_zero_on_existing_list_is_empty_array(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LPOP", "l", 0), ("RPOP", "l", 0), ("LLEN", "l")])


def test_pop_missing_key_nil_vs_nil_array(pair):
    pair.check_script([("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", 1), ("RPOP", "l", 3), ("LPOP", "l", 0)])


def test_pop_missing_key_resp3(pair):
    resp3(pair)
    pair.check_script([("LPOP", "l"), ("LPOP", "l", 2), ("RPUSH", "l", "a", "b"), ("RPOP", "l", 5),
                       ("LPOP", "l", 0)])


def test_pop_negative_or_invalid_count_errors(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LPOP", "l", -1), ("RPOP", "l", "abc"), ("LPOP", "missing", -5),
                       ("LPOP", "l", str(LLONG_MIN)), ("LPOP", "l", "99999999999999999999"), ("LPOP", "l", "1.5"),
                       ("LPOP", "l", str(LLONG_MAX))])


def test_pop_count_is_checked_before_type(pair):
    pair.check_script([("SET", "s", "v"), ("LPOP", "s", -1), ("LPOP", "s", 0), ("LPOP", "s"), ("RPOP", "s", 1)])


def test_pop_too_many_arguments_is_arity_error(pair):
    pair.check_script([("LPOP", "l", 1, 2), ("RPOP", "l", 1, 2, 3), ("LPOP",)])


# ------------------------------------------------------------ LLEN/LINDEX ---

def test_llen_missing_and_wrongtype(pair):
    pair.check_script([("LLEN", "l"), ("SET", "s", "v"), ("LLEN", "s")])


def test_lindex_positive_negative_and_out_of_range(pair):
    pair.check("RPUSH", "l", "a", "b", "c")
    for i in [0, 1, 2, 3, -1, -3, -4, LLONG_MAX, LLONG_MIN]:
        pair.check("LINDEX", "l", i)


def test_lindex_missing_key_is_nil_even_with_bad_index(pair):
    pair.check_script([("LINDEX", "l", 0), ("LINDEX", "l", "abc")])


def test_lindex_bad_index_on_existing_list(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LINDEX", "l", "abc"), ("LINDEX", "l", " 1"), ("LINDEX", "l", "+0"),
                       ("LINDEX", "l", "01"), ("LINDEX", "l", "-0")])


def test_lindex_wrongtype(pair):
    pair.check_script([("SET", "s", "v"), ("LINDEX", "s", 0), ("LINDEX", "s", "abc")])


# -------------------------------------------------------------------- LSET ---

def test_lset_replaces_by_index(pair):
    pair.check_script([("RPUSH", "l", "a", "b", "c"), ("LSET", "l", 0, "x"), ("LSET", "l", -1, "z"),
                       ("LSET", "l", 1, ""), ("LRANGE", "l", 0, -1)])


def test_lset_missing_key_is_no_such_key(pair):
    pair.check_script([("LSET", "l", 0, "x"), ("LSET", "l", "abc", "x"), ("EXISTS", "l")])


def test_lset_index_out_of_range(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LSET", "l", 1, "x"), ("LSET", "l", -2, "x"),
                       ("LSET", "l", LLONG_MIN, "x"), ("LSET", "l", "abc", "x")])


def test_lset_wrongtype(pair):
    pair.check_script([("SET", "s", "v"), ("LSET", "s", 0, "x")])


# ------------------------------------------------------------------ LRANGE ---

def test_lrange_index_combinations(pair):
    pair.check("RPUSH", "l", *"abcdefg")
    for start, stop in [(0, -1), (0, 0), (-1, -1), (2, 4), (4, 2), (-3, -1), (-100, 2), (5, 100), (7, 10),
                        (-100, -50), (0, -8), (-7, -7), (LLONG_MIN, LLONG_MAX), (LLONG_MAX, LLONG_MIN), (3, -5)]:
        pair.check("LRANGE", "l", start, stop)


def test_lrange_missing_key_is_empty_array(pair):
    pair.check("LRANGE", "l", 0, -1)


def test_lrange_parses_indexes_before_lookup(pair):
    pair.check_script([("LRANGE", "missing", "a", 0), ("LRANGE", "missing", 0, "b"), ("SET", "s", "v"),
                       ("LRANGE", "s", "x", 0), ("LRANGE", "s", 0, -1)])


# ------------------------------------------------------------------- LTRIM ---

def test_ltrim_keeps_range(pair):
    pair.check_script([("RPUSH", "l", *"abcdefg"), ("LTRIM", "l", 1, -2), ("LRANGE", "l", 0, -1),
                       ("LTRIM", "l", -2, 100), ("LRANGE", "l", 0, -1)])


def test_ltrim_empty_range_deletes_key(pair):
    pair.check_script([("RPUSH", "l", "a", "b"), ("LTRIM", "l", 5, 10), ("EXISTS", "l"),
                       ("RPUSH", "l", "a", "b"), ("LTRIM", "l", 1, 0), ("EXISTS", "l")])


def test_ltrim_missing_key_is_ok(pair):
    pair.check_script([("LTRIM", "l", 0, 1), ("EXISTS", "l")])


def test_ltrim_errors(pair):
    pair.check_script([("LTRIM", "l", "a", 1), ("SET", "s", "v"), ("LTRIM", "s", 0, 1), ("LTRIM", "s", 0, "x")])


# -------------------------------------------------------------------- LREM ---

def test_lrem_positive_negative_and_zero_counts(pair):
    elems = ["a", "b", "a", "c", "a", "b", "a"]
    pair.check_script([("RPUSH", "l", *elems), ("LREM", "l", 2, "a"), ("LRANGE", "l", 0, -1)])
    pair.check_script([("DEL", "l"), ("RPUSH", "l", *elems), ("LREM", "l", -2, "a"), ("LRANGE", "l", 0, -1)])
    pair.check_script([("DEL", "l"), ("RPUSH", "l", *elems), ("LREM", "l", 0, "a"), ("LRANGE", "l", 0, -1)])


def test_lrem_extreme_counts_remove_all(pair):
    elems = ["a", "b", "a", "c", "a"]
    pair.check_script([("RPUSH", "l", *elems), ("LREM", "l", LLONG_MIN, "a"), ("LRANGE", "l", 0, -1),
                       ("RPUSH", "l", "a", "a"), ("LREM", "l", LLONG_MAX, "a"), ("LRANGE", "l", 0, -1)])


def test_lrem_removing_everything_deletes_key(pair):
    pair.check_script([("RPUSH", "l", "x", "x"), ("LREM", "l", 0, "x"), ("EXISTS", "l")])


def test_lrem_no_match_missing_and_errors(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LREM", "l", 0, "zz"), ("LREM", "missing", 1, "a"),
                       ("LREM", "l", "x", "a"), ("LREM", "missing", "x", "a"), ("SET", "s", "v"),
                       ("LREM", "s", 0, "a")])


# ----------------------------------------------------------------- LINSERT ---

def test_linsert_before_and_after(pair):
    pair.check_script([("RPUSH", "l", "a", "b", "c"), ("LINSERT", "l", "BEFORE", "b", "x"),
                       ("LINSERT", "l", "after", "c", "y"), ("LINSERT", "l", "Before", "a", "z"),
                       ("LRANGE", "l", 0, -1)])


def test_linsert_uses_first_pivot_from_head(pair):
    pair.check_script([("RPUSH", "l", "p", "q", "p"), ("LINSERT", "l", "AFTER", "p", "x"),
                       ("LRANGE", "l", 0, -1)])


def test_linsert_missing_pivot_and_key(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LINSERT", "l", "BEFORE", "zz", "x"),
                       ("LINSERT", "missing", "BEFORE", "a", "x"), ("EXISTS", "missing")])


def test_linsert_syntax_error_before_lookup(pair):
    pair.check_script([("LINSERT", "missing", "middle", "a", "x"), ("SET", "s", "v"),
                       ("LINSERT", "s", "up", "a", "x"), ("LINSERT", "s", "BEFORE", "a", "x")])


def test_linsert_in_large_list_middle(pair):
    pair.check("RPUSH", "l", *["v%d" % i for i in range(300)])
    for pivot in ["v0", "v150", "v299", "v77", "v220"]:
        pair.check("LINSERT", "l", "BEFORE", pivot, "new-" + pivot)
        pair.check("LINSERT", "l", "AFTER", pivot, "after-" + pivot)
    pair.check("LRANGE", "l", 0, -1)


def test_option_names_stop_at_nul_like_strcasecmp(pair):
    pair.check_script([("RPUSH", "a", "1", "2"), ("LINSERT", "a", b"before\x00x", "2", "z"),
                       ("LMOVE", "a", "b", b"left\x00zz", "RIGHT"), ("LPOS", "a", "2", b"rank\x00", 1),
                       ("LMPOP", 1, "a", b"left\x00", b"count\x00q", 1), ("LRANGE", "a", 0, -1),
                       ("LRANGE", "b", 0, -1)])


# -------------------------------------------------------------------- LPOS ---

LPOS_LIST = ["a", "b", "c", "1", "2", "3", "c", "c", "a"]


def test_lpos_basic_first_match(pair):
    pair.check("RPUSH", "l", *LPOS_LIST)
    for e in ["a", "c", "3", "zz"]:
        pair.check("LPOS", "l", e)


def test_lpos_rank_positive_and_negative(pair):
    pair.check("RPUSH", "l", *LPOS_LIST)
    for rank in [1, 2, 3, 4, -1, -2, -3, -4, LLONG_MAX, -LLONG_MAX, LLONG_MIN]:
        pair.check("LPOS", "l", "c", "RANK", rank)


def test_lpos_count_options(pair):
    pair.check("RPUSH", "l", *LPOS_LIST)
    for args in [("COUNT", 0), ("COUNT", 1), ("COUNT", 2), ("COUNT", 10), ("RANK", 2, "COUNT", 0),
                 ("RANK", -1, "COUNT", 2), ("RANK", -2, "COUNT", 0), ("RANK", 5, "COUNT", 1),
                 ("RANK", LLONG_MIN, "COUNT", 2), ("RANK", LLONG_MIN, "COUNT", 0), ("COUNT", 1, "COUNT", 3),
                 ("RANK", 1, "RANK", -1)]:
        pair.check("LPOS", "l", "c", *args)


def test_lpos_maxlen(pair):
    pair.check("RPUSH", "l", *LPOS_LIST)
    for args in [("MAXLEN", 1), ("MAXLEN", 3), ("MAXLEN", 7), ("MAXLEN", 0), ("MAXLEN", 7, "COUNT", 0),
                 ("RANK", -1, "MAXLEN", 2), ("RANK", -1, "MAXLEN", 3, "COUNT", 0), ("RANK", 2, "MAXLEN", 7)]:
        pair.check("LPOS", "l", "c", *args)


def test_lpos_missing_key_nil_or_empty_array(pair):
    pair.check_script([("LPOS", "l", "a"), ("LPOS", "l", "a", "COUNT", 0), ("LPOS", "l", "a", "RANK", 2),
                       ("LPOS", "l", "a", "MAXLEN", 1)])


def test_lpos_no_match_with_and_without_count(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LPOS", "l", "zz"), ("LPOS", "l", "zz", "COUNT", 3)])


def test_lpos_option_errors(pair):
    pair.check("RPUSH", "l", "a")
    for args in [("RANK", 0), ("RANK", "abc"), ("COUNT", -1), ("COUNT", "abc"), ("MAXLEN", -1),
                 ("MAXLEN", "x"), ("RANK",), ("COUNT",), ("BOGUS", 1), ("RANK", 1, "COUNT"), ("rank", 0)]:
        pair.check("LPOS", "l", "a", *args)


def test_lpos_rank_zero_exact_text(pair):
    assert pair.check("LPOS", "l", "a", "RANK", 0) == RANK_ZERO


def test_lpos_errors_come_before_lookup_and_type(pair):
    pair.check_script([("SET", "s", "v"), ("LPOS", "s", "a", "RANK", 0), ("LPOS", "s", "a"),
                       ("LPOS", "missing", "a", "COUNT", -1)])


def test_lpos_resp3(pair):
    resp3(pair)
    pair.check_script([("LPOS", "l", "a"), ("RPUSH", "l", "a", "b", "a"), ("LPOS", "l", "a", "COUNT", 0),
                       ("LPOS", "l", "zz")])


# ---------------------------------------------------------- LMOVE/RPOPLPUSH ---

def test_lmove_all_four_directions(pair):
    pair.check("RPUSH", "src", "1", "2", "3", "4")
    for a, b in [("LEFT", "LEFT"), ("LEFT", "RIGHT"), ("RIGHT", "LEFT"), ("right", "right")]:
        pair.check("LMOVE", "src", "dst", a, b)
    pair.check_script([("LRANGE", "dst", 0, -1), ("EXISTS", "src")])


def test_lmove_same_key_rotates(pair):
    pair.check_script([("RPUSH", "l", "a", "b", "c"), ("LMOVE", "l", "l", "LEFT", "RIGHT"),
                       ("LRANGE", "l", 0, -1), ("RPOPLPUSH", "l", "l"), ("LRANGE", "l", 0, -1)])


def test_lmove_same_key_single_element_survives(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LMOVE", "l", "l", "LEFT", "LEFT"), ("LRANGE", "l", 0, -1),
                       ("RPOPLPUSH", "l", "l"), ("EXISTS", "l")])


def test_lmove_missing_source_is_nil_and_creates_nothing(pair):
    pair.check_script([("LMOVE", "src", "dst", "LEFT", "RIGHT"), ("RPOPLPUSH", "src", "dst"),
                       ("EXISTS", "dst")])


def test_lmove_wrongtype_source_or_destination(pair):
    pair.check_script([("SET", "s", "v"), ("RPUSH", "l", "a"), ("LMOVE", "s", "l", "LEFT", "LEFT"),
                       ("LMOVE", "l", "s", "LEFT", "LEFT"), ("RPOPLPUSH", "l", "s"), ("LRANGE", "l", 0, -1),
                       ("LMOVE", "missing", "s", "LEFT", "LEFT")])


def test_lmove_bad_direction_is_syntax_error(pair):
    pair.check_script([("RPUSH", "l", "a"), ("LMOVE", "l", "d", "UP", "LEFT"), ("LMOVE", "l", "d", "LEFT", "DOWN"),
                       ("LMOVE", "missing", "d", "X", "Y"), ("LRANGE", "l", 0, -1)])


def test_rpoplpush_moves_tail_to_head_and_deletes_empty_source(pair):
    pair.check_script([("RPUSH", "src", "a", "b"), ("RPUSH", "dst", "x"), ("RPOPLPUSH", "src", "dst"),
                       ("RPOPLPUSH", "src", "dst"), ("EXISTS", "src"), ("LRANGE", "dst", 0, -1)])


# ------------------------------------------------------------------- LMPOP ---

def test_lmpop_pops_from_first_non_empty_key(pair):
    pair.check_script([("RPUSH", "b", "1", "2", "3"), ("RPUSH", "c", "x"), ("LMPOP", 3, "a", "b", "c", "LEFT"),
                       ("LMPOP", 3, "a", "b", "c", "RIGHT", "COUNT", 10), ("LMPOP", 2, "b", "c", "left", "count", 1),
                       ("EXISTS", "b", "c")])


def test_lmpop_nothing_to_pop_is_nil_array(pair):
    pair.check_script([("LMPOP", 2, "a", "b", "LEFT")])
    resp3(pair)
    pair.check_script([("LMPOP", 1, "a", "RIGHT"), ("RPUSH", "a", "1"), ("LMPOP", 1, "a", "RIGHT", "COUNT", 5)])


def test_lmpop_numkeys_errors(pair):
    for args in [(0, "a", "LEFT"), (-1, "a", "LEFT"), ("abc", "a", "LEFT"), (2, "a", "LEFT"), (3, "a", "LEFT"),
                 (LLONG_MAX, "a", "LEFT"), (1, "a", "b"), (1, "a", "LEFT", "COUNT"), (1, "a", "LEFT", "COUNT", 0),
                 (1, "a", "LEFT", "COUNT", -1), (1, "a", "LEFT", "COUNT", "x"), (1, "a", "LEFT", "COUNT", 1, "COUNT", 1),
                 (1, "a", "LEFT", "extra"), (1, "a")]:
        pair.check("LMPOP", *args)


def test_lmpop_wrongtype_stops_at_that_key(pair):
    pair.check_script([("SET", "s", "v"), ("RPUSH", "l", "a"), ("LMPOP", 2, "s", "l", "LEFT"),
                       ("LMPOP", 2, "l", "s", "LEFT"), ("LMPOP", 2, "missing", "s", "LEFT")])


# --------------------------------------------------------- keyspace interplay ---

def test_list_type_encoding_and_copy(pair):
    pair.check_script([("RPUSH", "l", "a", "b"), ("TYPE", "l"), ("OBJECT", "ENCODING", "l"), ("COPY", "l", "l2"),
                       ("RPUSH", "l2", "c"), ("LRANGE", "l", 0, -1), ("LRANGE", "l2", 0, -1),
                       ("OBJECT", "ENCODING", "l2")])


def test_string_commands_on_list_are_wrongtype(pair):
    pair.check_script([("RPUSH", "l", "a"), ("GET", "l"), ("APPEND", "l", "x"), ("SET", "l", "v"), ("TYPE", "l")])


def test_expired_list_is_missing(pair):
    pair.check_script([("RPUSH", "l", "a"), ("PEXPIRE", "l", 1)])
    time.sleep(0.05)
    pair.check_script([("LLEN", "l"), ("LPUSHX", "l", "x"), ("RPUSH", "l", "b"), ("LRANGE", "l", 0, -1),
                       ("TTL", "l")])


# ---------------------------------------------------------------- blocking ---

WAIT_FOR_BLOCK = 0.15


class Waiter(object):
    """A connection to each server that sends a blocking command and reads its reply later."""

    def __init__(self, ours, real, timeout=5.0):
        self.pair = Pair(ours.client(timeout=timeout), real.client(timeout=timeout))

    def send(self, *args):
        data = encode_command(*args)
        self.pair.history.append(repr(args))
        self.pair.ours.send_raw(data)
        self.pair.real.send_raw(data)

    def expect_same(self):
        ours, real = safe_read(self.pair.ours), safe_read(self.pair.real)
        assert not isinstance(real, NoReply), "reference server gave no reply: %r" % real
        assert ours == real, "waiter replies differ:\n  ours: %s\n  real: %s" % (show(ours), show(real))
        return real

    def assert_nothing_pending(self, wait=0.1):
        for name, conn in (("ours", self.pair.ours), ("real", self.pair.real)):
            conn.sock.settimeout(wait)
            try:
                data = conn.sock.recv(1024, socket.MSG_PEEK)
            except socket.timeout:
                data = None
            finally:
                conn.sock.settimeout(conn.timeout if hasattr(conn, "timeout") else 5.0)
            assert not data, "%s replied while it should still block: %r" % (name, data)

    def close(self):
        self.pair.close()


@pytest.fixture
def waiters(ours, real):
    made = []

    def make(timeout=5.0):
        w = Waiter(ours, real, timeout)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()


def test_blpop_served_immediately_when_list_has_elements(pair):
    pair.check_script([("RPUSH", "b", "1", "2"), ("BLPOP", "a", "b", 0), ("BRPOP", "a", "b", 0),
                       ("EXISTS", "b")])


def test_blocking_pops_wrongtype_immediately(pair):
    pair.check_script([("SET", "s", "v"), ("BLPOP", "missing", "s", 0), ("BRPOP", "s", 0),
                       ("BLMOVE", "s", "d", "LEFT", "LEFT", 0), ("BRPOPLPUSH", "s", "d", 0),
                       ("BLMPOP", 0, 2, "missing", "s", "LEFT")])


def test_blocking_timeout_argument_errors(pair):
    for t in ["-1", "abc", "nan", "-0.5", "", "1 ", " 1", "0x"]:
        pair.check("BLPOP", "k", t)
    pair.check_script([("BLMOVE", "a", "b", "UP", "LEFT", -1), ("BLMOVE", "a", "b", "LEFT", "LEFT", -1),
                       ("BRPOPLPUSH", "a", "b", "x"), ("BLMPOP", -1, 0, "a", "LEFT"), ("BLMPOP", -1, 1, "a", "LEFT"),
                       ("BLMPOP", "x", 1, "a", "LEFT", "COUNT", 0), ("BLMPOP", 0, 1, "a", "UP"),
                       ("BLMPOP", 0, 5, "a", "LEFT")])


def test_blocking_timeout_overflow_reports_negative(pair):
    for t in ["1e400", "inf", "1e17", "+inf"]:
        pair.check("BLPOP", "k", t)


def test_blocking_timeouts_reply_nil_array(pair):
    for cmd in [("BLPOP", "a", "b", "0.1"), ("BRPOP", "a", "0.1"), ("BLMOVE", "a", "b", "LEFT", "RIGHT", "0.1"),
                ("BRPOPLPUSH", "a", "b", "0.1"), ("BLMPOP", "0.1", 2, "a", "b", "RIGHT", "COUNT", 2)]:
        pair.check(*cmd)


def test_blocking_timeouts_resp3(pair):
    resp3(pair)
    pair.check_script([("BLPOP", "a", "0.1"), ("BLMOVE", "a", "b", "LEFT", "RIGHT", "0.1"),
                       ("BLMPOP", "0.1", 1, "a", "LEFT")])


def test_blpop_woken_by_push_from_other_connection(pair, waiters):
    w = waiters()
    w.send("BLPOP", "k1", "k2", 0)
    time.sleep(WAIT_FOR_BLOCK)
    w.assert_nothing_pending()
    pair.check("RPUSH", "k2", "a", "b")
    w.expect_same()
    pair.check_script([("LRANGE", "k2", 0, -1), ("EXISTS", "k1")])


def test_brpop_woken_by_lpush_takes_tail(pair, waiters):
    w = waiters()
    w.send("BRPOP", "k", 5)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("LPUSH", "k", "x", "y", "z")
    w.expect_same()
    pair.check("LRANGE", "k", 0, -1)


def test_blpop_waiter_empties_single_element_list(pair, waiters):
    w = waiters()
    w.send("BLPOP", "k", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("RPUSH", "k", "only")
    w.expect_same()
    pair.check("EXISTS", "k")


def test_blpop_fifo_order_of_two_waiters(pair, waiters):
    first, second = waiters(), waiters()
    first.send("BLPOP", "k", 0)
    time.sleep(WAIT_FOR_BLOCK)
    second.send("BLPOP", "k", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("RPUSH", "k", "one")
    first.expect_same()
    second.assert_nothing_pending()
    pair.check("RPUSH", "k", "two")
    second.expect_same()
    pair.check("EXISTS", "k")


def test_one_push_of_two_elements_serves_two_waiters_in_order(pair, waiters):
    first, second = waiters(), waiters()
    first.send("BRPOP", "k", 0)
    time.sleep(WAIT_FOR_BLOCK)
    second.send("BLPOP", "k", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("RPUSH", "k", "a", "b", "c")
    first.expect_same()
    second.expect_same()
    pair.check("LRANGE", "k", 0, -1)


def test_blocked_client_times_out_with_nil_array(pair, waiters):
    w = waiters()
    w.send("BLPOP", "k", "0.1")
    assert w.expect_same() == b"*-1\r\n"
    pair.check("RPUSH", "k", "late")
    pair.check("LRANGE", "k", 0, -1)


def test_blmove_woken_moves_element(pair, waiters):
    w = waiters()
    w.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("RPUSH", "src", "a", "b")
    w.expect_same()
    pair.check_script([("LRANGE", "src", 0, -1), ("LRANGE", "dst", 0, -1)])


def test_brpoplpush_woken_and_timeout(pair, waiters):
    w = waiters()
    w.send("BRPOPLPUSH", "src", "dst", "0.1")
    w.expect_same()
    w.send("BRPOPLPUSH", "src", "dst", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("LPUSH", "src", "v")
    w.expect_same()
    pair.check_script([("EXISTS", "src"), ("LRANGE", "dst", 0, -1)])


def test_blmove_woken_with_wrongtype_destination_gets_wrongtype(pair, waiters):
    w = waiters()
    w.send("BLMOVE", "src", "dst", "LEFT", "RIGHT", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("SET", "dst", "string")
    pair.check("RPUSH", "src", "v")
    assert w.expect_same() == WRONGTYPE
    pair.check_script([("LRANGE", "src", 0, -1), ("GET", "dst")])


def test_blmpop_woken_with_count(pair, waiters):
    w = waiters()
    w.send("BLMPOP", 0, 2, "a", "b", "RIGHT", "COUNT", 2)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("RPUSH", "b", "1", "2", "3")
    w.expect_same()
    pair.check("LRANGE", "b", 0, -1)


def test_waiter_chain_blmove_feeds_blpop(pair, waiters):
    mover, popper = waiters(), waiters()
    popper.send("BLPOP", "dst", 0)
    time.sleep(WAIT_FOR_BLOCK)
    mover.send("BLMOVE", "src", "dst", "LEFT", "LEFT", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("RPUSH", "src", "x")
    mover.expect_same()
    popper.expect_same()
    pair.check_script([("EXISTS", "src"), ("EXISTS", "dst")])


def test_waiter_on_other_db_is_not_woken(pair, waiters):
    w = waiters()
    w.send("SELECT", 1)
    w.expect_same()
    w.send("BLPOP", "k", "0.3")
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("RPUSH", "k", "db0")
    assert w.expect_same() == b"*-1\r\n"
    pair.check("LLEN", "k")


def test_waiter_resp3_reply_when_woken(pair, waiters):
    w = waiters()
    ours, real = w.pair.both("HELLO", "3")
    assert ours[:1] == real[:1] == b"%"
    w.send("BLPOP", "k", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check("RPUSH", "k", "v")
    w.expect_same()


def test_blocking_commands_inside_multi_do_not_block(pair):
    ours, real = pair.both("MULTI")
    if ours.startswith(b"-ERR unknown command"):
        pytest.skip("MULTI is not available in this build")
    assert ours == real == b"+OK\r\n"
    for cmd in [("BLPOP", "x", 0), ("BRPOP", "x", "y", 0), ("BLMOVE", "x", "y", "LEFT", "RIGHT", 0),
                ("BRPOPLPUSH", "x", "y", 0), ("BLMPOP", 0, 1, "x", "LEFT")]:
        pair.check(*cmd)
    pair.check("EXEC")


# ------------------------------------------------------------ random stream ---

# (seed, RESP version)
SEEDS = [(424242, 2), (99, 2), (31337, 3)]
OPS = int(os.environ.get("DIFF_OPS", "3000"))
if os.environ.get("DIFF_SEED"):
    SEEDS = [(int(os.environ["DIFF_SEED"]), int(os.environ.get("DIFF_RESP", "2")))]

LIST_KEYS = ["l0", "l1", "l2", "l3"]
OTHER_KEYS = ["s0"]
ELEMENTS = ["a", "b", "c", "1", "2", "-3", "", "x" * 20, "long-element-%s" % ("y" * 40), "a\x00b"]


class ListGen(object):
    def __init__(self, rng):
        self.r = rng

    def key(self):
        return self.r.choice(LIST_KEYS) if self.r.random() < 0.93 else self.r.choice(OTHER_KEYS)

    def elem(self):
        return self.r.choice(ELEMENTS)

    def elems(self):
        return [self.elem() for _ in range(self.r.randint(1, 6))]

    def index(self):
        r = self.r
        c = r.random()
        if c < 0.8:
            return r.randint(-12, 12)
        if c < 0.9:
            return r.choice([LLONG_MAX, LLONG_MIN, LLONG_MAX - 1, LLONG_MIN + 1])
        return r.choice(["abc", "1.5", "", " 1"])

    def side(self):
        return self.r.choice(["LEFT", "RIGHT", "left", "Right"] * 6 + ["UP"])

    def count(self):
        r = self.r
        return r.choice([0, 1, 2, 3, 5, 10, -1, "x"] if r.random() < 0.9 else [LLONG_MAX, LLONG_MIN])

    def keys(self):
        return [self.key() for _ in range(self.r.randint(1, 3))]

    def command(self):
        r, k = self.r, self.key
        choices = [
            (12, lambda: ("RPUSH", k()) + tuple(self.elems())),
            (12, lambda: ("LPUSH", k()) + tuple(self.elems())),
            (3, lambda: ("LPUSHX", k()) + tuple(self.elems())),
            (3, lambda: ("RPUSHX", k()) + tuple(self.elems())),
            (6, lambda: ("LPOP", k())),
            (6, lambda: ("RPOP", k())),
            (5, lambda: ("LPOP", k(), self.count())),
            (5, lambda: ("RPOP", k(), self.count())),
            (5, lambda: ("LLEN", k())),
            (6, lambda: ("LINDEX", k(), self.index())),
            (4, lambda: ("LSET", k(), self.index(), self.elem())),
            (8, lambda: ("LRANGE", k(), self.index(), self.index())),
            (3, lambda: ("LTRIM", k(), self.index(), self.index())),
            (4, lambda: ("LREM", k(), self.count(), self.elem())),
            (4, lambda: ("LINSERT", k(), r.choice(["BEFORE", "AFTER", "after", "x"]), self.elem(), self.elem())),
            (5, lambda: ("LPOS", k(), self.elem()) + self.lpos_options()),
            (4, lambda: ("LMOVE", k(), k(), self.side(), self.side())),
            (3, lambda: ("RPOPLPUSH", k(), k())),
            (4, lambda: self.lmpop("LMPOP")),
            (2, lambda: ("BLPOP",) + tuple(self.keys()) + ("0.01",)),
            (2, lambda: ("BRPOP",) + tuple(self.keys()) + ("0.01",)),
            (2, lambda: ("BLMOVE", k(), k(), self.side(), self.side(), "0.01")),
            (1, lambda: ("BRPOPLPUSH", k(), k(), "0.01")),
            (2, lambda: self.lmpop("BLMPOP")),
            (1, lambda: ("SET", r.choice(OTHER_KEYS + LIST_KEYS[:1]), self.elem())),
            (2, lambda: ("DEL", k())),
            (1, lambda: ("EXISTS", k())),
            (1, lambda: ("TYPE", k())),
        ]
        total = sum(w for w, _ in choices)
        pick = r.uniform(0, total)
        for w, f in choices:
            pick -= w
            if pick <= 0:
                return f()
        return choices[-1][1]()

    def lpos_options(self):
        r = self.r
        opts = []
        for name, values in [("RANK", [1, 2, -1, -2, 3, 0, LLONG_MIN]), ("COUNT", [0, 1, 2, -1]),
                             ("MAXLEN", [0, 1, 3, 5, -1])]:
            if r.random() < 0.35:
                opts += [name, r.choice(values)]
        r.shuffle(opts) if r.random() < 0.05 else None
        return tuple(opts)

    def lmpop(self, name):
        r = self.r
        keys = self.keys()
        numkeys = len(keys) if r.random() < 0.9 else r.choice([0, -1, len(keys) + 1, "x"])
        args = [name] + (["0.01"] if name == "BLMPOP" else []) + [numkeys] + keys + [self.side()]
        if r.random() < 0.5:
            args += ["COUNT", r.choice([1, 2, 3, 10, 0, -1])]
        return tuple(args)


@pytest.mark.parametrize("seed,protocol", SEEDS)
def test_random_list_command_stream(pair, seed, protocol):
    if protocol == 3:
        resp3(pair)
    rng = random.Random(seed)
    gen = ListGen(rng)
    pair.context = "seed=%d" % seed
    for i in range(OPS):
        cmd = gen.command()
        pair.context = "seed=%d op=%d" % (seed, i)
        pair.check(*cmd)
    for key in LIST_KEYS + OTHER_KEYS:
        pair.check("TYPE", key)
        ours, real = pair.both("LRANGE", key, 0, -1)
        assert ours == real, "final contents of %s differ (seed %d)" % (key, seed)


def test_waiter_keeps_waiting_when_a_transaction_leaves_another_type(pair, waiters):
    w = waiters()
    w.send("BLPOP", "tk", "0.5")
    time.sleep(WAIT_FOR_BLOCK)
    pair.check_script([("MULTI",), ("RPUSH", "tk", "v"), ("SET", "tk", "str"), ("EXEC",)])
    w.assert_nothing_pending()
    w.expect_same()


def test_multi_key_waiter_is_served_from_the_key_pushed_first(pair, waiters):
    w = waiters()
    w.send("BLPOP", "ka", "kb", 0)
    time.sleep(WAIT_FOR_BLOCK)
    pair.check_script([("MULTI",), ("RPUSH", "kb", "B"), ("RPUSH", "ka", "A"), ("EXEC",)])
    w.expect_same()
    pair.check_script([("LRANGE", "ka", 0, -1), ("LRANGE", "kb", 0, -1)])


# --------------------------------------------------- random stream, many nodes ---
# The same commands over lists of thousands of elements, some of them kilobytes long, so each list spans many
# storage nodes and indexes, ranges, inserts and removals cross node boundaries (and LPOS/LINDEX walk from
# either end).

BIG_ELEMENTS = ELEMENTS + ["z" * 500, "w" * 3000, "q" * 9000, "n" * 127, "m" * 128]


class BigListGen(ListGen):
    def elem(self):
        return self.r.choice(BIG_ELEMENTS)

    def elems(self):
        return [self.elem() for _ in range(self.r.randint(1, 40))]

    def index(self):
        r = self.r
        if r.random() < 0.9:
            return r.randint(-2500, 2500)
        return ListGen.index(self)


@pytest.mark.parametrize("seed,protocol", [(2718, 2), (1618, 3)])
def test_random_command_stream_over_lists_of_many_nodes(pair, seed, protocol):
    if protocol == 3:
        resp3(pair)
    rng = random.Random(seed)
    for key in LIST_KEYS:
        for _ in range(20):
            pair.check("RPUSH", key, *[rng.choice(BIG_ELEMENTS) for _ in range(100)])
    gen = BigListGen(rng)
    for i in range(int(OPS / 2)):
        cmd = gen.command()
        pair.context = "seed=%d op=%d" % (seed, i)
        pair.check(*cmd)
    for key in LIST_KEYS + OTHER_KEYS:
        ours, real = pair.both("LRANGE", key, 0, -1)
        assert ours == real, "final contents of %s differ (seed %d)" % (key, seed)


def test_lset_of_large_values_over_a_long_list_keeps_every_element(pair):
    """LSET of values of up to 20 KB over a 3,000-element list (our nodes split when LSET grows one past 16 KB)."""
    rng = random.Random(5)
    pair.check("RPUSH", "l", *["e%d" % i for i in range(3000)])
    for step in range(1500):
        value = "x" * rng.choice([1, 100, 5000, 20000]) + str(step)
        pair.check("LSET", "l", rng.randint(-3000, 2999), value)
        if step % 100 == 0:
            pair.check("LINDEX", "l", rng.randint(0, 2999))
    ours, real = pair.both("LRANGE", "l", 0, -1)
    assert ours == real
    pair.check("LLEN", "l")
