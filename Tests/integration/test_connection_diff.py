"""Differential tests for connection-level commands and RESP3 (HELLO 3)."""

import pytest

from difftools import Pair
from resp import decode, reply_end, split_top_level

# HELLO fields whose *values* legitimately differ between servers; only the
# RESP type of the value is compared for them.
HELLO_VARIABLE_FIELDS = {b"server": b"$", b"version": b"$", b"id": b":"}


def hello_fields(raw):
    """[(key_raw, value_raw)] of a HELLO reply (RESP2 flat array or RESP3 map)."""
    header, elems = split_top_level(raw)
    assert elems is not None, "HELLO reply is not an aggregate: %r" % raw
    if raw[:1] == b"%":
        out = []
        for pair_raw in elems:
            k_end = reply_end(pair_raw, 0)
            out.append((pair_raw[:k_end], pair_raw[k_end:]))
        return header, out
    assert len(elems) % 2 == 0, raw
    return header, list(zip(elems[0::2], elems[1::2]))


def check_hello(pair, *args):
    """Compare HELLO replies ignoring server/version/id values (types only)."""
    ours, real = pair.both(*args)
    if not isinstance(real, bytes) or real[:1] not in (b"*", b"%"):
        # error replies must match exactly
        if ours != real:
            pair.fail("HELLO mismatch", args, ours, real)
        return real
    if not isinstance(ours, bytes) or ours[:1] != real[:1]:
        pair.fail("HELLO mismatch (reply type)", args, ours, real)
    oh, of = hello_fields(ours)
    rh, rf = hello_fields(real)
    if oh != rh or [k for k, _ in of] != [k for k, _ in rf]:
        pair.fail("HELLO mismatch (fields)", args, ours, real)
    for (k, ov), (_, rv) in zip(of, rf):
        name = decode(k)
        if name in HELLO_VARIABLE_FIELDS:
            want = HELLO_VARIABLE_FIELDS[name]
            if ov[:1] != want or rv[:1] != want:
                pair.fail("HELLO field %r has wrong type" % name, args, ours, real)
        elif ov != rv:
            pair.fail("HELLO field %r differs" % name, args, ours, real)
    return real


# ------------------------------------------------------------- PING / ECHO ----

def test_ping(pair):
    pair.check_script([("PING",), ("ping",)])


def test_ping_with_argument_returns_bulk(pair):
    pair.check_script([("PING", "hello"), ("PING", ""), ("PING", b"\x00\r\n")])


def test_ping_wrong_arity(pair):
    pair.check("PING", "a", "b")


def test_echo(pair):
    pair.check_script([("ECHO", "hello world"), ("ECHO", "")])


def test_echo_binary_data(pair):
    pair.check_script([("ECHO", bytes(range(256))), ("ECHO", b"\r\n\r\n"), ("ECHO", b"\x00" * 1000)])


def test_echo_wrong_arity(pair):
    pair.check_script([("ECHO",), ("ECHO", "a", "b")])


# ------------------------------------------------------------------ HELLO ----

def test_hello_without_arguments_keeps_resp2(pair):
    check_hello(pair, "HELLO")
    pair.check("GET", "missing")


def test_hello_2(pair):
    check_hello(pair, "HELLO", 2)
    pair.check("GET", "missing")


def test_hello_3_reply_is_a_map(pair):
    real = check_hello(pair, "HELLO", 3)
    assert real[:1] == b"%"


def test_hello_4_is_noproto(pair):
    pair.check_script([("HELLO", 4), ("HELLO", 1), ("HELLO", 0), ("GET", "missing")])


def test_hello_non_integer_version(pair):
    pair.check_script([("HELLO", "abc"), ("HELLO", "3.0"), ("HELLO", "")])


def test_hello_syntax_errors(pair):
    pair.check_script([("HELLO", 3, "FOO"), ("HELLO", 3, "AUTH", "default"), ("HELLO", 3, "SETNAME"),
                       ("HELLO", 2, "AUTH"), ("GET", "missing")])


def test_hello_auth_unknown_user_is_wrongpass(pair):
    pair.check_script([("HELLO", 3, "AUTH", "nosuchuser", "pw"), ("GET", "missing")])


def test_hello_auth_default_user_without_password_accepts_anything(pair):
    check_hello(pair, "HELLO", 3, "AUTH", "default", "whatever")
    pair.check("GET", "missing")


def test_hello_setname(pair):
    check_hello(pair, "HELLO", 2, "SETNAME", "myname")
    pair.check("CLIENT", "GETNAME")


def test_hello_setname_invalid(pair):
    pair.check_script([("HELLO", 3, "SETNAME", "a b"), ("CLIENT", "GETNAME"), ("GET", "missing")])


def test_hello_3_then_back_to_2(pair):
    check_hello(pair, "HELLO", 3)
    pair.check("GET", "missing")
    check_hello(pair, "HELLO", 2)
    pair.check("GET", "missing")


# ------------------------------------------------------------ RESP3 replies ----

@pytest.fixture
def resp3(pair):
    check_hello(pair, "HELLO", 3)
    return pair


def test_resp3_null_replies(resp3):
    resp3.check_script([("GET", "missing"), ("GETDEL", "missing"), ("GETEX", "missing"),
                        ("SET", "k", "v", "GET"), ("SET", "k", "w", "NX"), ("RANDOMKEY",),
                        ("OBJECT", "ENCODING", "missing"), ("CLIENT", "GETNAME")])


def test_resp3_mget_with_missing(resp3):
    resp3.check_script([("SET", "a", "1"), ("MGET", "a", "missing", "a")])


def test_resp3_integers_and_strings(resp3):
    resp3.check_script([("SET", "a", "1"), ("INCR", "a"), ("INCRBYFLOAT", "a", "1.5"), ("APPEND", "a", "x"),
                        ("EXISTS", "a"), ("TTL", "a"), ("TYPE", "a"), ("PING",), ("ECHO", "hi"),
                        ("DBSIZE",), ("STRLEN", "a")])


def test_resp3_lcs_idx_is_map(resp3):
    resp3.check_script([("SET", "a", "ohmytext"), ("SET", "b", "mynewtext"),
                        ("LCS", "a", "b", "IDX", "WITHMATCHLEN"), ("LCS", "a", "b", "IDX")])


def test_resp3_keys_and_scan(resp3):
    resp3.check_script([("SCAN", 0), ("KEYS", "*"), ("SET", "a", "1")])
    resp3.check_unordered("KEYS", "*")
    resp3.check("SCAN", 0)


def test_resp3_errors_are_unchanged(resp3):
    resp3.check_script([("GET",), ("foo", "a"), ("RPUSH", "l", "x"), ("GET", "l"),
                        ("SET", "k", "v", "EX", 0)])


def test_resp3_object_help(resp3):
    resp3.check("OBJECT", "HELP")


# ----------------------------------------------------------------- CLIENT ----

def test_client_getname_unset_is_nil(pair):
    pair.check("CLIENT", "GETNAME")


def test_client_setname_and_getname(pair):
    pair.check_script([("CLIENT", "SETNAME", "worker-1"), ("CLIENT", "GETNAME")])


def test_client_setname_empty_clears_name(pair):
    pair.check_script([("CLIENT", "SETNAME", "x"), ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME")])


@pytest.mark.parametrize("name", ["a b", "a\nb", "a\rb", b"a\x00b", b"\x7f", b"caf\xc3\xa9"])
def test_client_setname_invalid_characters(pair, name):
    pair.check_script([("CLIENT", "SETNAME", name), ("CLIENT", "GETNAME")])


def test_client_setname_wrong_arity(pair):
    pair.check_script([("CLIENT", "SETNAME"), ("CLIENT", "SETNAME", "a", "b"), ("CLIENT", "GETNAME", "x")])


def test_client_id_is_integer(pair):
    pair.check_same_type("CLIENT", "ID")
    pair.check("CLIENT", "ID", "x")


def test_client_id_is_stable_and_increasing(ours):
    with ours.client() as c1, ours.client() as c2:
        a1 = decode(c1.call("CLIENT", "ID"))
        a2 = decode(c1.call("CLIENT", "ID"))
        b = decode(c2.call("CLIENT", "ID"))
        assert isinstance(a1, int) and a1 == a2 and b > a1, (a1, a2, b)


def test_client_unknown_subcommand(pair):
    pair.check_script([("CLIENT", "FOO"), ("CLIENT", "nosuch", "x")])


# ------------------------------------------------------------------- QUIT ----

def test_quit_replies_ok_and_closes(pair):
    ours, real = pair.both("QUIT")
    assert real == b"+OK\r\n"
    assert ours == real, ours
    assert pair.ours.is_closed_by_peer(timeout=3), "ours did not close the connection after QUIT"
    assert pair.real.is_closed_by_peer(timeout=3)


# ---------------------------------------------------------- SELECT per conn ----

def test_select_is_per_connection(ours, real):
    p1 = Pair(ours.client(), real.client())
    p2 = Pair(ours.client(), real.client())
    try:
        p1.check_script([("SELECT", 4), ("SET", "a", "db4")])
        p2.check_script([("GET", "a"), ("SELECT", 4), ("GET", "a")])
    finally:
        p1.close()
        p2.close()


# --------------------------------------------------- servers with a password ----

@pytest.fixture(scope="module")
def auth_servers(server_factory):
    ours = server_factory("ours", "--requirepass", "secret")
    real = server_factory("real", "--requirepass", "secret")
    yield ours, real
    ours.stop()
    real.stop()


@pytest.fixture
def auth_pair(auth_servers):
    p = Pair(auth_servers[0].client(), auth_servers[1].client())
    yield p
    p.close()


def test_requirepass_commands_need_auth(auth_pair):
    auth_pair.check_script([("GET", "a"), ("SET", "a", "1"), ("foo",)])


def test_requirepass_ping_and_hello_without_auth(auth_pair):
    auth_pair.check_script([("PING",), ("HELLO", 3)])


def test_requirepass_hello_auth_wrong_password(auth_pair):
    auth_pair.check_script([("HELLO", 3, "AUTH", "default", "wrong"), ("GET", "a")])


def test_requirepass_hello_auth_right_password(auth_pair):
    check_hello(auth_pair, "HELLO", 3, "AUTH", "default", "secret")
    auth_pair.check("GET", "a")


def test_requirepass_auth_command(auth_pair):
    auth_pair.check_script([("AUTH", "wrong"), ("AUTH", "default", "wrong"), ("AUTH", "secret"),
                            ("GET", "a"), ("AUTH",), ("AUTH", "a", "b", "c")])
