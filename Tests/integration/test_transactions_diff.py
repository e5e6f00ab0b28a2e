"""Differential tests for MULTI / EXEC / DISCARD / WATCH / UNWATCH (Redis 7.0).

Every reply is compared byte for byte with the reference server.  Tests that
need "another client" use a second Pair (`other`), so the interfering write
happens on a different connection on both servers.
"""

import time

import pytest

from difftools import Pair
from resp import decode

EXEC_NIL_RESP2 = b"*-1\r\n"
EXEC_NIL_RESP3 = b"_\r\n"


@pytest.fixture
def other(ours, real):
    """A second connection to each server (DB 0)."""
    p = Pair(ours.client(), real.client())
    yield p
    p.close()


def hello3(pair):
    """Switch both connections to RESP3 (HELLO reply values differ: only the type is checked)."""
    o, r = pair.both("HELLO", "3")
    assert r[:1] == b"%", r
    assert o[:1] == b"%", "ours did not accept HELLO 3: %r" % (o,)


def ours_has_command(ours, name):
    """True if our server implements `name`.

    Asks `COMMAND INFO name` first; if COMMAND itself is not implemented,
    falls back to calling the command with no arguments (an arity error
    means it exists, "unknown command" means it does not).
    """
    with ours.client() as c:
        raw = c.call("COMMAND", "INFO", name)
        if raw[:1] == b"*":
            v = decode(raw)
            return bool(v) and v[0] is not None
        raw = c.call(name)
    return b"unknown command" not in raw


# ------------------------------------------------------------- basics ----

def test_multi_exec_queued_replies(pair):
    pair.check_script([
        ("MULTI",),
        ("SET", "a", "1"),
        ("INCR", "a"),
        ("GET", "a"),
        ("APPEND", "a", "x"),
        ("EXEC",),
        ("GET", "a"),
    ])


def test_empty_transaction_exec_returns_empty_array(pair):
    pair.check_script([("MULTI",), ("EXEC",)])


def test_discarded_commands_are_not_executed(pair):
    pair.check_script([("MULTI",), ("SET", "a", "1"), ("DISCARD",), ("GET", "a"), ("EXISTS", "a")])


def test_queued_writes_are_invisible_to_other_clients_until_exec(pair, other):
    pair.check_script([("MULTI",), ("SET", "a", "1")])
    other.check("GET", "a")
    pair.check("EXEC")
    other.check("GET", "a")


def test_lowercase_transaction_commands(pair):
    pair.check_script([("multi",), ("set", "a", "1"), ("get", "a"), ("exec",)])


def test_multi_wrong_arity(pair):
    pair.check_script([("MULTI", "x"), ("EXEC",)])


def test_exec_wrong_arity_outside_multi(pair):
    # Redis 7.0 turns any rejected EXEC into "-EXECABORT Transaction discarded because of: ..."
    pair.check("EXEC", "x")


def test_exec_wrong_arity_inside_multi(pair):
    pair.check_script([("MULTI",), ("SET", "a", "1"), ("EXEC", "x"), ("EXEC",), ("GET", "a")])


def test_discard_wrong_arity(pair):
    pair.check_script([("DISCARD", "x"), ("MULTI",), ("DISCARD", "x"), ("EXEC",)])


def test_select_inside_multi_changes_db_for_following_commands(pair):
    pair.check_script([
        ("MULTI",), ("SELECT", "1"), ("SET", "a", "db1"), ("EXEC",),
        ("GET", "a"), ("SELECT", "0"), ("GET", "a"),
    ])


# ------------------------------------------------- queue-time errors ----

def test_queue_time_unknown_command_aborts_exec(pair):
    pair.check_script([
        ("MULTI",), ("SET", "a", "1"), ("NOSUCHCOMMAND", "x", "y"), ("EXEC",), ("GET", "a"),
    ])


def test_queue_time_wrong_arity_aborts_exec(pair):
    pair.check_script([
        ("MULTI",), ("SET", "a", "1"), ("SET", "b"), ("GET",), ("EXEC",), ("EXISTS", "a", "b"),
    ])


def test_execabort_ends_the_transaction(pair):
    pair.check_script([
        ("MULTI",), ("FOO",), ("EXEC",), ("EXEC",), ("SET", "a", "1"), ("GET", "a"),
    ])


def test_discard_after_queue_time_error(pair):
    pair.check_script([("MULTI",), ("SET", "a"), ("DISCARD",), ("EXEC",), ("EXISTS", "a")])


def test_execabort_wins_over_dirty_watch(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("BADCMD",), ("EXEC",)])


# ---------------------------------------------------- runtime errors ----

def test_runtime_errors_are_returned_in_place(pair):
    pair.check_script([
        ("SET", "s", "foo"),
        ("MULTI",),
        ("INCR", "s"),                   # not an integer
        ("SET", "t", "1"),
        ("SET", "u", "v", "EX", "0"),    # invalid expire time
        ("INCRBY", "t", "41"),
        ("SET", "u", "v", "NX", "XX"),   # syntax error
        ("INCRBYFLOAT", "s", "1"),       # not a float
        ("SETRANGE", "t", "-1", "x"),    # offset out of range
        ("GET", "t"),
        ("EXEC",),
        ("GET", "t"),
        ("EXISTS", "u"),
    ])


def test_wrongtype_errors_are_returned_in_place(ours, pair):
    if not ours_has_command(ours, "RPUSH"):
        pytest.skip("RPUSH is not implemented on ours (needed for a non-string key)")
    pair.check_script([
        ("RPUSH", "l", "x"),
        ("MULTI",),
        ("GET", "l"),
        ("SET", "t", "1"),
        ("APPEND", "l", "y"),
        ("INCR", "t"),
        ("EXEC",),
    ])


def test_runtime_error_does_not_roll_back(pair):
    pair.check_script([
        ("SET", "s", "foo"),
        ("MULTI",), ("SET", "a", "1"), ("INCR", "s"), ("SET", "b", "2"), ("EXEC",),
        ("MGET", "a", "b", "s"),
    ])


# -------------------------------------------------- state errors ----

def test_exec_without_multi(pair):
    pair.check("EXEC")


def test_discard_without_multi(pair):
    pair.check("DISCARD")


def test_nested_multi_is_an_error_but_keeps_transaction(pair):
    pair.check_script([("MULTI",), ("SET", "a", "1"), ("MULTI",), ("GET", "a"), ("EXEC",)])


def test_watch_inside_multi_is_an_error_but_keeps_transaction(pair):
    pair.check_script([("MULTI",), ("SET", "a", "1"), ("WATCH", "a"), ("GET", "a"), ("EXEC",)])


def test_watch_wrong_arity(pair):
    pair.check_script([("WATCH",), ("UNWATCH", "x")])


def test_unwatch_outside_multi(pair):
    pair.check_script([("UNWATCH",), ("WATCH", "a", "b"), ("UNWATCH",), ("UNWATCH",)])


def test_unwatch_inside_multi_is_queued(pair):
    pair.check_script([("MULTI",), ("UNWATCH",), ("EXEC",)])


def test_discard_drops_queued_commands(pair):
    pair.check_script([
        ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("DISCARD",), ("GET", "a"), ("EXEC",),
    ])


def test_reset_inside_multi_leaves_transaction(pair):
    pair.check_script([
        ("MULTI",), ("SET", "a", "1"), ("RESET",), ("EXEC",), ("GET", "a"),
    ])


def test_reset_clears_watch(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k"), ("RESET",)])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


# ---------------------------------------------------------- WATCH ----

def test_watch_untouched_key_exec_succeeds(pair):
    pair.check_script([
        ("SET", "k", "1"), ("WATCH", "k"), ("MULTI",), ("INCR", "k"), ("EXEC",), ("GET", "k"),
    ])


def test_watch_invalidated_by_write_from_other_connection(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("SET", "k", "3"), ("EXEC",), ("GET", "k")])


def test_watch_invalidated_by_same_value_write(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("SET", "k", "1")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_watch_missing_key_invalidated_when_created(pair, other):
    pair.check("WATCH", "k")
    other.check("SET", "k", "new")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_watch_invalidated_by_own_write(pair):
    pair.check_script([
        ("SET", "k", "1"), ("WATCH", "k"), ("SET", "k", "2"),
        ("MULTI",), ("GET", "k"), ("EXEC",),
    ])


def test_watch_one_of_several_keys_touched(pair, other):
    pair.check_script([("SET", "a", "1"), ("SET", "b", "1"), ("WATCH", "a", "b", "c")])
    other.check("INCR", "b")
    pair.check_script([("MULTI",), ("SET", "a", "x"), ("EXEC",), ("GET", "a")])


def test_watch_invalidated_by_expiry(pair):
    pair.check_script([("SET", "k", "v", "PX", "50"), ("WATCH", "k")])
    time.sleep(0.2)
    pair.check_script([("MULTI",), ("SET", "other", "1"), ("EXEC",), ("EXISTS", "other")])


def test_watch_invalidated_by_expire_command(pair, other):
    pair.check_script([("SET", "k", "v"), ("WATCH", "k")])
    other.check("EXPIRE", "k", "100")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_watch_invalidated_by_flushdb(pair, other):
    pair.check_script([("SET", "k", "v"), ("WATCH", "k")])
    other.check("FLUSHDB")
    pair.check_script([("MULTI",), ("SET", "x", "1"), ("EXEC",)])


def test_watch_invalidated_by_flushall(pair, other):
    pair.check_script([("SET", "k", "v"), ("WATCH", "k")])
    other.check("FLUSHALL")
    pair.check_script([("MULTI",), ("SET", "x", "1"), ("EXEC",)])


def test_watch_missing_key_not_invalidated_by_flushall(pair, other):
    # Redis only touches watched keys that existed in the flushed database.
    pair.check("WATCH", "k")
    other.check("SET", "unrelated", "1")
    other.check("FLUSHALL")
    pair.check_script([("MULTI",), ("SET", "x", "1"), ("EXEC",)])


def test_watch_flushdb_of_other_db_does_not_invalidate(pair, other):
    pair.check_script([("SET", "k", "v"), ("WATCH", "k")])
    other.check_script([("SELECT", "1"), ("SET", "k", "v1"), ("FLUSHDB",)])
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_watch_invalidated_by_swapdb_key_in_watched_db(pair, other):
    pair.check_script([("SET", "k", "v"), ("WATCH", "k")])
    other.check("SWAPDB", "0", "1")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_watch_invalidated_by_swapdb_key_in_other_db(pair, other):
    pair.check("WATCH", "k")
    other.check_script([("SELECT", "1"), ("SET", "k", "in-db1"), ("SWAPDB", "0", "1")])
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_watch_missing_key_not_invalidated_by_swapdb(pair, other):
    pair.check("WATCH", "k")
    other.check_script([("SELECT", "1"), ("SET", "x", "1"), ("SWAPDB", "0", "1")])
    pair.check_script([("MULTI",), ("GET", "x"), ("EXEC",)])


def test_watch_invalidated_by_rename_onto_watched_key(pair, other):
    pair.check_script([("SET", "src", "1"), ("WATCH", "dst")])
    other.check("RENAME", "src", "dst")
    pair.check_script([("MULTI",), ("GET", "dst"), ("EXEC",)])


def test_watch_invalidated_by_rename_of_watched_key(pair, other):
    pair.check_script([("SET", "src", "1"), ("WATCH", "src")])
    other.check("RENAME", "src", "dst")
    pair.check_script([("MULTI",), ("GET", "dst"), ("EXEC",)])


def test_watch_invalidated_by_del(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("DEL", "k")
    pair.check_script([("MULTI",), ("SET", "x", "1"), ("EXEC",), ("EXISTS", "x")])


def test_watch_not_invalidated_by_del_of_missing_key(pair, other):
    pair.check("WATCH", "k")
    other.check("DEL", "k")
    pair.check_script([("MULTI",), ("SET", "x", "1"), ("EXEC",)])


def test_watch_not_invalidated_by_write_to_other_key(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check_script([("SET", "k2", "x"), ("DEL", "k3"), ("INCR", "counter")])
    pair.check_script([("MULTI",), ("INCR", "k"), ("EXEC",), ("GET", "k")])


def test_watch_not_invalidated_by_same_key_in_other_db(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check_script([("SELECT", "1"), ("SET", "k", "x")])
    pair.check_script([("MULTI",), ("INCR", "k"), ("EXEC",)])


def test_watch_not_invalidated_by_read(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check_script([("GET", "k"), ("EXISTS", "k"), ("STRLEN", "k"), ("TTL", "k"), ("TYPE", "k")])
    pair.check_script([("MULTI",), ("INCR", "k"), ("EXEC",)])


def test_unwatch_forgets_watched_keys(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k"), ("UNWATCH",)])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_unwatch_queued_in_multi_does_not_rescue_transaction(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("UNWATCH",), ("GET", "k"), ("EXEC",)])


def test_exec_unwatches_keys(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k"), ("MULTI",), ("GET", "k"), ("EXEC",)])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_aborted_exec_unwatches_keys(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])
    other.check("SET", "k", "3")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_discard_unwatches_keys(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k"), ("MULTI",), ("DISCARD",)])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("GET", "k"), ("EXEC",)])


def test_aborted_exec_reply_is_null_array_in_resp2(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("SET", "k", "2")
    pair.check("MULTI")
    pair.check("GET", "k")
    assert pair.check("EXEC") == EXEC_NIL_RESP2


def test_aborted_exec_reply_is_resp3_null(pair, other):
    hello3(pair)
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("SET", "k", "2")
    pair.check_script([("MULTI",), ("GET", "k")])
    assert pair.check("EXEC") == EXEC_NIL_RESP3


def test_resp3_exec_reply_types(pair):
    hello3(pair)
    pair.check_script([
        ("MULTI",), ("SET", "a", "1"), ("GET", "a"), ("GET", "missing"), ("INCR", "a"),
        ("INCRBYFLOAT", "a", "0.5"), ("EXEC",),
    ])


# -------------------------------------------- blocking inside MULTI ----

def _require_blpop(ours):
    if not ours_has_command(ours, "BLPOP"):
        pytest.skip("BLPOP is not implemented on ours (COMMAND INFO blpop / BLPOP probe)")


def test_blpop_inside_multi_on_empty_list_does_not_block(ours, pair):
    _require_blpop(ours)
    started = time.monotonic()
    pair.check_script([("MULTI",), ("BLPOP", "empty", "0"), ("EXEC",)])
    assert time.monotonic() - started < 5


def test_blpop_inside_multi_with_timeout_does_not_wait(ours, pair):
    _require_blpop(ours)
    started = time.monotonic()
    pair.check_script([("MULTI",), ("BLPOP", "empty", "3"), ("SET", "a", "1"), ("EXEC",)])
    # Both servers must have answered without waiting the 3 s (twice).
    assert time.monotonic() - started < 3


def test_blpop_inside_multi_pops_available_element(ours, pair):
    _require_blpop(ours)
    pair.check_script([
        ("MULTI",), ("RPUSH", "l", "a", "b"), ("BLPOP", "l", "0"), ("BLPOP", "l", "0"),
        ("BLPOP", "l", "0"), ("EXEC",),
    ])


# ------------------------------------------------ CLIENT LIST fields ----

def _client_fields(conn, addr, keys=("flags", "multi", "cmd", "db")):
    raw = conn.call("CLIENT", "LIST")
    if raw[:1] != b"$":
        return raw
    needle = "%s:%d" % addr
    for line in decode(raw).decode("utf-8", "replace").splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if fields.get("addr") == needle:
            return dict((k, fields.get(k)) for k in keys)
    return "no CLIENT LIST entry with addr=%s" % needle


def _compare_client_fields(pair, other):
    o = _client_fields(other.ours, pair.ours.sock.getsockname()[:2])
    r = _client_fields(other.real, pair.real.sock.getsockname()[:2])
    assert isinstance(r, dict), r
    assert o == r, "CLIENT LIST fields differ:\n  ours: %r\n  real: %r" % (o, r)


def test_client_list_shows_queued_commands_in_multi(pair, other):
    pair.check_script([("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a")])
    _compare_client_fields(pair, other)


def test_client_list_shows_dirty_cas_flag(pair, other):
    pair.check_script([("SET", "k", "1"), ("WATCH", "k")])
    other.check("SET", "k", "2")
    pair.check("MULTI")
    _compare_client_fields(pair, other)
