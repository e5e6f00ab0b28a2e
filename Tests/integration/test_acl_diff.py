"""ACL users, permissions, authentication and key specs, compared with a real redis-server 7.0.

Each test gets a pair of dedicated servers (module scope) reset to one `default` user, so users and passwords
never leak into other test files.
"""

import random
import time

import pytest

from difftools import Pair
from resp import RespClient, decode, split_top_level

REFERENCE_USER = ("on", ">mypassword", "~cached:*", "+get", "+set")


@pytest.fixture(scope="module")
def acl_servers(server_factory):
    # MODULE LOAD/LOADEX/UNLOAD enabled, as DEBUG is for every test server, so that the ACL decides them (with the
    # gate closed both servers refuse them before the ACL: test_protected_commands_diff.py).
    ours = server_factory("ours", "--enable-module-command", "yes")
    real = server_factory("real", "--enable-module-command", "yes")
    yield ours, real
    ours.stop()
    real.stop()


def _reset(srv):
    c = srv.client()
    c.call("AUTH", "default", "adminpass")  # harmless when no password is set
    c.call("CONFIG", "SET", "requirepass", "")
    c.call("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all")
    for name in decode(c.call("ACL", "USERS")):
        if name != b"default":
            c.call("ACL", "DELUSER", name)
    c.call("ACL", "LOG", "RESET")
    c.call("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
    c.call("CONFIG", "SET", "acllog-max-len", "128")
    c.call("FLUSHALL")
    c.close()


@pytest.fixture
def acl(acl_servers):
    ours, real = acl_servers
    for srv in (ours, real):
        _reset(srv)
    p = Pair(ours.client(), real.client())
    yield p
    p.close()
    for srv in (ours, real):
        _reset(srv)


def user_pair(acl, *auth):
    """A second connection to each server, authenticated with AUTH *auth (checked equal)."""
    p = Pair(RespClient(acl.ours.port), RespClient(acl.real.port))
    p.check("AUTH", *auth)
    return p


def tokens(line):
    return sorted(line.split(b" "))


# ------------------------------------------------------------------ SETUSER ----

BAD_RULES = ["foo", "+nosuch", "+@nosuch", "<nopw", "#abc", "!abc", "%X~a", "+select|0|1", "-select|0",
             "+config|nosuch", "+config|get|x", "(+get", "(+get +nosuch)", "on off bar"]


@pytest.mark.parametrize("rule", BAD_RULES)
def test_setuser_bad_rule_error_text(acl, rule):
    acl.check("ACL", "SETUSER", "bad", *rule.split(" "))
    acl.check("ACL", "GETUSER", "bad")


def test_setuser_pattern_after_allkeys_and_allchannels(acl):
    acl.check("ACL", "SETUSER", "u", "allkeys", "~x")
    acl.check("ACL", "SETUSER", "u", "allkeys", "%R~x")
    acl.check("ACL", "SETUSER", "u", "allchannels", "&x")


def test_setuser_username_with_space(acl):
    acl.check("ACL", "SETUSER", "a b", "on")


def test_setuser_is_atomic(acl):
    acl.check("ACL", "SETUSER", "u", "on", "+get")
    acl.check("ACL", "SETUSER", "u", "off", "+set", "+nosuch")
    acl.check("ACL", "LIST")


# ------------------------------------------------------------------ GETUSER / LIST ----

DETERMINISTIC_USERS = [
    ("on", ">p1", "~cached:*", "+get"),
    ("on", "nopass", "%R~r*", "%W~w*", "%RW~b*", "~c*", "%R~c*", "&ch*", "+config|get"),
    ("off", "#" + "a" * 64, ">x", "<x", "allkeys", "allchannels", "+select|0", "+select|1"),
    ("on", "skip-sanitize-payload", "~a", "(~b +get)", "(&c* %W~d +set)"),
    ("reset",),
    ("on", "nopass", "+@all", "~*", "&*"),
    ("on", "+get", "(~x +set)", "clearselectors"),
    ("on", "%R~", "+@all", "-get"),
]


@pytest.mark.parametrize("rules", DETERMINISTIC_USERS, ids=lambda r: " ".join(r)[:40])
@pytest.mark.parametrize("proto", [2, 3])
def test_getuser_and_list_byte_equal(acl, rules, proto):
    acl.check("HELLO", proto)
    acl.check("ACL", "SETUSER", "u1", *rules)
    acl.check("ACL", "GETUSER", "u1")
    acl.check("ACL", "LIST")
    acl.check("ACL", "USERS")


COMMAND_RULE_SETS = [
    ("+get", "+set", "+lpush", "+hset"),
    ("+@all", "-@dangerous", "+@string", "-get"),
    ("+get", "+get", "-set", "+set", "-get"),
    ("+@hash", "-hset"),
    ("+@all", "-@string"),
    ("+config", "-config|set"),
]


@pytest.mark.parametrize("rules", COMMAND_RULE_SETS, ids=lambda r: " ".join(r))
def test_list_command_rules_same_set(acl, rules):
    """Redis prints the single commands in its (randomly seeded) dict order: compare as sets."""
    acl.check("ACL", "SETUSER", "u1", "on", *rules)
    ours, real = acl.both("ACL", "GETUSER", "u1")
    o, r = decode(ours), decode(real)
    assert tokens(o[5]) == tokens(r[5])


def test_getuser_missing_is_null(acl):
    acl.check("ACL", "GETUSER", "nosuch")


def test_deluser_counts_and_refuses_default(acl):
    acl.check("ACL", "SETUSER", "a")
    acl.check("ACL", "SETUSER", "b")
    acl.check("ACL", "DELUSER", "a", "nosuch", "b")
    acl.check("ACL", "DELUSER", "default")
    acl.check("ACL", "USERS")


def test_deluser_disconnects_its_connections(acl):
    acl.check("ACL", "SETUSER", "a", "on", "nopass", "+@all", "~*")
    u = user_pair(acl, "a", "x")
    u.check("ACL", "WHOAMI")
    acl.check("ACL", "DELUSER", "a")
    for conn in (u.ours, u.real):
        assert conn.is_closed_by_peer(timeout=10)


def test_whoami_and_users(acl):
    acl.check("ACL", "WHOAMI")
    acl.check("ACL", "SETUSER", "zed", "on", "nopass", "+acl")
    acl.check("ACL", "SETUSER", "amy")
    acl.check("ACL", "USERS")
    u = user_pair(acl, "zed", "whatever")
    u.check("ACL", "WHOAMI")


# ------------------------------------------------------------------ CAT / COMMAND INFO ----

def test_cat_lists_categories(acl):
    acl.check("ACL", "CAT")
    acl.check("ACL", "CAT", "nosuch")


def our_commands(acl):
    names = []
    for info in decode(acl.ours.call("COMMAND", "INFO")):
        names.append(info[0])
        for sub in info[9]:
            names.append(sub[0])
    return names


def test_cat_each_category_matches_redis_for_our_commands(acl):
    ours_names = set(our_commands(acl))
    for cat in decode(acl.real.call("ACL", "CAT")):
        o = set(decode(acl.ours.call("ACL", "CAT", cat)))
        r = set(decode(acl.real.call("ACL", "CAT", cat)))
        assert o - r <= {n for n in ours_names if not acl.real.call("COMMAND", "INFO", n).startswith(b"*1\r\n*10")}, cat
        missing = {n for n in (r & ours_names) if n not in o}
        assert not missing, (cat, missing)


def test_command_info_categories_and_key_specs_equal_redis(acl):
    """Every command we register that Redis 7.0 also has: same ACL categories and key specs (byte-equal)."""
    checked = 0
    for name in our_commands(acl):
        real = acl.real.call("COMMAND", "INFO", name)
        if real == b"*1\r\n$-1\r\n":  # a command Redis 7.0 does not have (a plugin's)
            continue
        ours = acl.ours.call("COMMAND", "INFO", name)
        _, oi = split_top_level(ours)
        _, ri = split_top_level(real)
        _, of = split_top_level(oi[0])
        _, rf = split_top_level(ri[0])
        assert of[6] == rf[6], (name, "categories", of[6], rf[6])
        assert of[8] == rf[8], (name, "key specs", of[8], rf[8])
        checked += 1
    assert checked > 200


GETKEYS_CASES = [
    ("get", "k"), ("set", "k", "v"), ("set", "k", "v", "GET"), ("mset", "a", "1", "b", "2"),
    ("zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"), ("zunion", "2", "a", "b"),
    ("eval", "return 1", "2", "k1", "k2", "arg"), ("fcall", "f", "1", "k"),
    ("xread", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"), ("lmove", "a", "b", "LEFT", "RIGHT"),
    ("bitfield", "k", "GET", "u8", "0"), ("bitfield", "k", "SET", "u8", "0", "1"), ("rename", "a", "b"),
    ("georadius", "g", "0", "0", "1", "km", "STORE", "dst"), ("lmpop", "2", "a", "b", "LEFT"),
    ("sintercard", "2", "a", "b"), ("blmpop", "0", "1", "a", "LEFT"), ("copy", "a", "b"), ("del", "a", "b"),
    ("object", "encoding", "k"), ("memory", "usage", "k"), ("xreadgroup", "GROUP", "g", "c", "STREAMS", "s", ">"),
    ("zrangestore", "d", "s", "0", "-1"), ("smove", "a", "b", "m"), ("pfmerge", "d", "a", "b"),
    ("eval", "return 1", "0"), ("zunionstore", "d", "x", "a"),
    # numkeys not a number, out of range, or more than the arguments: Redis's genericGetKeys gives no keys (an error
    # unless the command may have none), and reads the count as atoi does.
    ("zunionstore", "d", "5", "a"), ("zunionstore", "d", "0", "a"), ("zunionstore", "d", "-1", "a"),
    ("zunionstore", "d", "2x", "a", "b"), ("zinter", "2", "a"), ("zdiff", "3", "a", "b"), ("lmpop", "x", "a", "LEFT"),
    ("lmpop", "0", "a", "LEFT"), ("blmpop", "0", "x", "a", "LEFT"), ("sintercard", "2", "a"), ("zintercard", "0", "a"),
    ("eval", "x", "y"), ("eval", "x", "3", "a"), ("fcall", "f", "x"), ("fcall", "f", "2", "a"), ("zmpop", "9", "a", "MIN"),
    ("xread", "COUNT", "1", "STREAMS", "a", "b", "c"), ("georadius", "g", "0", "0", "1", "km", "STORE"),
    ("sort", "k", "BY", "x", "GET", "y", "STORE", "z"), ("migrate", "h", "p", "k", "0", "5", "KEYS", "a", "b"),
    ("get",), ("ping",), ("nosuch", "x"),
]


@pytest.mark.parametrize("case", GETKEYS_CASES, ids=lambda c: " ".join(c))
def test_command_getkeys_and_getkeysandflags(acl, case):
    acl.check("COMMAND", "GETKEYS", *case)
    acl.check("COMMAND", "GETKEYSANDFLAGS", *case)
    acl.check("HELLO", "3")
    acl.check("COMMAND", "GETKEYSANDFLAGS", *case)


# ------------------------------------------------------------------ AUTH / NOPERM ----

def test_reference_user_nopermissions(acl):
    acl.check("ACL", "SETUSER", "myuser", *REFERENCE_USER)
    u = user_pair(acl, "myuser", "mypassword")
    u.check("SET", "cached:1", "v")
    u.check("GET", "cached:1")
    u.check("GET", "other")
    u.check("SET", "other", "v")
    u.check("LPUSH", "cached:1", "x")
    u.check("CONFIG", "GET", "maxmemory")
    u.check("ACL", "WHOAMI")
    u.check("PING")
    u.close()
    acl.check("GET", "other")


def test_auth_errors(acl):
    acl.check("AUTH", "nopass-configured")
    acl.check("AUTH", "nouser", "x")
    acl.check("AUTH", "a", "b", "c")
    acl.check("ACL", "SETUSER", "off-user", "off", ">p")
    acl.check("AUTH", "off-user", "p")
    acl.check("ACL", "SETUSER", "u", "on", ">p", "+@all", "~*")
    acl.check("AUTH", "u", "wrong")
    acl.check("AUTH", "u", "p")
    acl.check("ACL", "WHOAMI")


def test_password_bytes_are_not_decoded(acl):
    acl.check("ACL", "SETUSER", "u", "on", b">\xff\xfe", "+@all", "~*")
    acl.check("AUTH", "u", b"\xef\xbf\xbd\xef\xbf\xbd")
    acl.check("AUTH", "u", b"\xff\xfe")


def test_hello_auth(acl):
    acl.check("ACL", "SETUSER", "u", "on", ">p", "+@all", "~*")
    acl.check("HELLO", "2", "AUTH", "u", "bad")
    ours, real = acl.both("HELLO", "2", "AUTH", "u", "p")
    assert ours[:1] == real[:1] == b"*"
    acl.check("ACL", "WHOAMI")


def test_requirepass_config_set(acl):
    acl.check("CONFIG", "SET", "requirepass", "adminpass")
    fresh = Pair(RespClient(acl.ours.port), RespClient(acl.real.port))
    fresh.check("GET", "x")
    fresh.check("AUTH", "wrong")
    fresh.check("AUTH", "adminpass")
    fresh.check("GET", "x")
    fresh.check("CONFIG", "GET", "requirepass")
    fresh.check("ACL", "GETUSER", "default")
    fresh.check("CONFIG", "SET", "requirepass", "")
    fresh.close()


def test_noauth_before_auth_when_default_is_off(acl):
    acl.check("ACL", "SETUSER", "default", "off")
    fresh = Pair(RespClient(acl.ours.port), RespClient(acl.real.port))
    fresh.check("GET", "x")
    fresh.check("HELLO", "3")
    fresh.close()
    acl.check("ACL", "SETUSER", "default", "on")


def test_noperm_texts(acl):
    acl.check("ACL", "SETUSER", "u", "on", "nopass", "~k*", "&c*", "+get", "+publish", "+subscribe",
              "+psubscribe", "+client|id", "+select|0")
    u = user_pair(acl, "u", "x")
    u.check("LPUSH", "k", "x")
    u.check("GET", "x")
    u.check("PUBLISH", "x", "y")
    u.check("PUBLISH", "c1", "y")
    u.check("CLIENT", "INFO")
    u.check("SELECT", "1")
    u.check("SELECT", "0")
    u.check("PSUBSCRIBE", "c?")
    u.check("PSUBSCRIBE", "c*")


def test_read_write_key_permissions(acl):
    acl.check("ACL", "SETUSER", "u", "on", "nopass", "%R~r*", "%W~w*", "+@all")
    u = user_pair(acl, "u", "x")
    for cmd in [("GET", "r1"), ("GET", "w1"), ("SET", "w1", "v"), ("SET", "r1", "v"), ("SET", "w1", "v", "GET"),
                ("COPY", "r1", "w1"), ("COPY", "w1", "r1"), ("EXISTS", "zzz"), ("LMOVE", "r1", "w1", "LEFT", "LEFT"),
                ("APPEND", "w1", "x"), ("DEL", "w1"), ("BITFIELD", "r1", "GET", "u8", "0")]:
        u.check(*cmd)


# ------------------------------------------------------------------ DRYRUN ----

def test_dryrun(acl):
    acl.check("ACL", "SETUSER", "u", "on", "nopass", "~k*", "&c*", "+get", "+publish", "+config|get")
    acl.check("ACL", "DRYRUN", "u", "get", "k1")
    acl.check("ACL", "DRYRUN", "u", "get", "x")
    acl.check("ACL", "DRYRUN", "u", "set", "k1", "v")
    acl.check("ACL", "DRYRUN", "u", "publish", "x", "m")
    acl.check("ACL", "DRYRUN", "u", "config", "get", "x")
    acl.check("ACL", "DRYRUN", "u", "config", "set", "x", "y")
    acl.check("ACL", "DRYRUN", "nouser", "get", "x")
    acl.check("ACL", "DRYRUN", "u", "nocmd")
    acl.check("ACL", "DRYRUN", "u", "get")


def test_genpass(acl):
    for args in [(), ("5",), ("256",), ("4096",)]:
        o = decode(acl.ours.call("ACL", "GENPASS", *args))
        r = decode(acl.real.call("ACL", "GENPASS", *args))
        assert len(o) == len(r) and all(ch in b"0123456789abcdef" for ch in o)
    acl.check("ACL", "GENPASS", "0")
    acl.check("ACL", "GENPASS", "4097")
    acl.check("ACL", "GENPASS", "x")


# ------------------------------------------------------------------ LOG ----

def log_entries(conn, *args):
    """ACL LOG with age-seconds and client-info masked (they depend on timing and connection details)."""
    out = []
    for e in decode(conn.call("ACL", "LOG", *args)):
        d = dict(zip(e[0::2], e[1::2])) if not hasattr(e, "as_dict") else e.as_dict()
        d.pop(b"age-seconds")
        info = d.pop(b"client-info")
        fields = dict(f.split(b"=", 1) for f in info.split(b" "))
        out.append((d, fields[b"user"], fields[b"cmd"]))
    return out


def test_log_entries_and_merging(acl):
    acl.check("ACL", "SETUSER", "u", "on", ">p", "~k*", "&c*", "+get", "+publish", "+multi", "+exec")
    u = user_pair(acl, "u", "p")
    u.check("GET", "x")
    u.check("GET", "x")
    u.check("LPUSH", "k", "v")
    u.check("PUBLISH", "x", "m")
    u.check("AUTH", "u", "wrong")
    u.check("AUTH", "ghost", "wrong")
    u.check("MULTI")
    u.check("SET", "k", "v")
    u.check("EXEC")
    assert log_entries(acl.ours) == log_entries(acl.real)
    assert log_entries(acl.ours, "2") == log_entries(acl.real, "2")
    acl.check("ACL", "LOG", "0")
    acl.check("ACL", "LOG", "x")
    acl.check("ACL", "LOG", "RESET")
    acl.check("ACL", "LOG")


def test_log_bounded_by_acllog_max_len(acl):
    acl.check("CONFIG", "SET", "acllog-max-len", "3")
    for i in range(8):
        acl.check("AUTH", "user%d" % i, "x")
    assert len(decode(acl.ours.call("ACL", "LOG", "100"))) == 3
    assert log_entries(acl.ours, "100") == log_entries(acl.real, "100")
    acl.check("CONFIG", "SET", "acllog-max-len", "1")
    assert log_entries(acl.ours, "100") == log_entries(acl.real, "100")


# ------------------------------------------------------------------ MULTI / pub/sub / scripts ----

def test_exec_rechecks_permissions(acl):
    acl.check("ACL", "SETUSER", "u", "on", "nopass", "~*", "+@all")
    u = user_pair(acl, "u", "x")
    u.check("MULTI")
    u.check("SET", "a", "1")
    u.check("GET", "a")
    acl.check("ACL", "SETUSER", "u", "-set")
    u.check("EXEC")
    u.check("MULTI")
    u.check("SET", "a", "1")
    u.check("EXEC")
    assert log_entries(acl.ours) == log_entries(acl.real)


def test_pubsub_channel_permissions(acl):
    acl.check("ACL", "SETUSER", "u", "on", "nopass", "&news.*", "+@pubsub")
    u = user_pair(acl, "u", "x")
    u.check("PUBLISH", "news.1", "m")
    u.check("PUBLISH", "sport", "m")
    u.check("SPUBLISH", "sport", "m")
    u.check("SUBSCRIBE", "sport")
    u.check("SSUBSCRIBE", "sport")
    u.check("PSUBSCRIBE", "news.?")
    u.check("SUBSCRIBE", "news.1", "news.2")


def test_subscriber_losing_channel_is_disconnected(acl):
    acl.check("ACL", "SETUSER", "u", "on", "nopass", "&news.*", "+@pubsub")
    u = user_pair(acl, "u", "x")
    u.check("SUBSCRIBE", "news.1")
    acl.check("ACL", "SETUSER", "u", "resetchannels", "&sport")
    for conn in (u.ours, u.real):
        assert conn.is_closed_by_peer(timeout=10)


def test_acl_pubsub_default_allchannels(acl):
    acl.check("CONFIG", "SET", "acl-pubsub-default", "allchannels")
    acl.check("ACL", "SETUSER", "u", "on", "+publish")
    acl.check("ACL", "LIST")
    acl.check("ACL", "DRYRUN", "u", "publish", "any", "m")


def test_script_calls_are_checked(acl):
    acl.check("ACL", "SETUSER", "u", "on", "nopass", "~k*", "&c*", "+eval", "+get", "+publish", "+fcall")
    u = user_pair(acl, "u", "x")
    u.check("EVAL", "return redis.call('get', 'k1')", "0")
    u.check("EVAL", "return redis.pcall('get', 'x')", "0")
    u.check("EVAL", "return redis.pcall('lpush', 'k1', 'x')", "0")
    u.check("EVAL", "return redis.pcall('publish', 'x', 'm')", "0")
    assert log_entries(acl.ours) == log_entries(acl.real)


# ------------------------------------------------------------------ the denial matrix ----

SKIP_IN_MATRIX = {"auth", "hello", "quit", "reset"}  # no_auth: Redis never checks them


def matrix_args(info, key):
    """Arguments for a command: the key, then filler up to the arity."""
    name, arity = info[0].decode(), info[1]
    parts = name.split("|")
    n = arity if arity > 0 else -arity
    if arity > 0:
        return (parts + [key] + ["1"] * n)[:n]
    return parts + [key] + ["1"] * max(0, n - len(parts) - 1)


def test_denial_matrix_reference_user(acl):
    """For `~cached:* +get +set`, every registered command with an allowed and a disallowed key: only GET and
    SET on cached:* succeed, and nothing else changes the dataset. Ours and Redis classify each alike."""
    acl.check("ACL", "SETUSER", "myuser", *REFERENCE_USER)
    admin = {"ours": acl.ours, "real": acl.real}
    for c in admin.values():
        c.call("SET", "cached:seed", "v")
        c.call("LPUSH", "list", "a", "b")
    digest_before = {k: c.call("DEBUG", "DIGEST") for k, c in admin.items()}
    u = user_pair(acl, "myuser", "mypassword")
    infos = []
    for info in decode(acl.ours.call("COMMAND", "INFO")):
        subs = info[9]
        infos.extend(subs if subs else [info])
    tried = 0
    for info in infos:
        name = info[0].decode()
        if name.split("|")[0] in SKIP_IN_MATRIX:
            continue
        for key in ("cached:1", "other"):
            args = matrix_args(info, key)
            ours, real = u.both(*args)
            allowed = name in ("get", "set") and key == "cached:1"
            denied = ours[:1] == b"-" and b"NOPERM" in ours[:80]
            assert denied != allowed, (args, ours)
            known = acl.real.call("COMMAND", "INFO", name).startswith(b"*1\r\n*10\r\n")
            if known:
                assert denied == (real[:1] == b"-" and b"NOPERM" in real[:80]), (args, ours, real)
            tried += 1
    assert tried > 400
    for c in admin.values():
        c.call("DEL", "cached:1")
    assert {k: c.call("DEBUG", "DIGEST") for k, c in admin.items()} == digest_before


# ------------------------------------------------------------------ robustness ----

def test_many_wrong_auths_memory_bounded(acl_servers):
    ours, _ = acl_servers
    _reset(ours)
    admin = ours.client()
    admin.call("CONFIG", "SET", "requirepass", "adminpass")
    try:
        attacker = RespClient(ours.port, timeout=60)
        other = RespClient(ours.port)
        other.call("AUTH", "adminpass")

        def rss():
            info = decode(admin.call("INFO", "memory")).decode()
            return int([l for l in info.split("\r\n") if l.startswith("used_memory:")][0].split(":")[1])

        def burst(n, tag):
            batch = b"".join(b"*3\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n$5\r\nwrong\r\n" % (len(u), u)
                             for u in (("%s%d" % (tag, i)).encode() for i in range(n)))
            attacker.send_raw(batch)
            for _ in range(n):
                assert attacker.read_reply().startswith(b"-WRONGPASS")

        burst(10000, "warm")
        before = rss()
        for round_ in range(9):
            burst(10000, "r%d-" % round_)
            assert other.call("PING") == b"+PONG\r\n"
        after = rss()
        assert len(decode(admin.call("ACL", "LOG", "1000"))) == 128
        assert after - before < 8 * 1024 * 1024, (before, after)
    finally:
        admin.call("CONFIG", "SET", "requirepass", "")
        _reset(ours)
