"""Differential tests for keyspace notifications (notify-keyspace-events).

A listener connection on each server PSUBSCRIBEs to `__keyspace@0__:*` and
`__keyevent@0__:*` (and SUBSCRIBEs to a sentinel channel).  A driver
connection runs the same commands on both servers (replies compared byte
for byte), then PUBLISHes to the sentinel; everything the listener received
before the sentinel message must be byte-identical, in the same order.

The flags are set with `CONFIG SET notify-keyspace-events` when our server
implements it; otherwise each flag set gets its own pair of servers started
with `--notify-keyspace-events <flags>` (cached for the session).
CONFIG GET normalization tests are skipped when ours lacks CONFIG GET.
Set NOTIF_VIA_ARGS=1 to force the command-line path.
"""

import os
import time

import pytest

from difftools import NoReply, Pair, safe_read
from resp import decode, format_command

LISTEN_TIMEOUT = 3.0
SENTINEL = "__it_sentinel__"
PATTERNS = ("__keyspace@0__:*", "__keyevent@0__:*")

_FACTORY_SERVERS = {}  # flags -> (ours, real) started with --notify-keyspace-events


def _config_set_works(server):
    with server.client() as c:
        return c.call("CONFIG", "SET", "notify-keyspace-events", "") == b"+OK\r\n"


def _config_get_works(server):
    with server.client() as c:
        return c.call("CONFIG", "GET", "notify-keyspace-events")[:1] == b"*"


def _set_flags(server, flags):
    with server.client() as c:
        reply = c.call("CONFIG", "SET", "notify-keyspace-events", flags)
    assert reply == b"+OK\r\n", "%s: CONFIG SET notify-keyspace-events %r -> %r" % (
        server.name, flags, reply)


@pytest.fixture
def notif_servers(request, ours, real, server_factory):
    """make(flags) -> (ours_server, real_server) with those flags, both empty."""
    used = []

    def make(flags):
        if not os.environ.get("NOTIF_VIA_ARGS") and _config_set_works(ours):
            for srv in (ours, real):
                _set_flags(srv, flags)
            used.append((ours, real, True))
            return ours, real
        servers = _FACTORY_SERVERS.get(flags)
        if servers is None or not all(s.alive() for s in servers):
            if servers is not None:
                for s in servers:
                    s.stop()
            servers = (server_factory("ours", "--notify-keyspace-events", flags),
                       server_factory("real", "--notify-keyspace-events", flags))
            _FACTORY_SERVERS[flags] = servers
        for s in servers:
            s.flushall()
        used.append(servers + (False,))
        return servers

    yield make
    for o, r, via_config in used:
        if via_config:
            for srv in (o, r):
                if srv.alive():
                    try:
                        _set_flags(srv, "")
                    except Exception:
                        pass
        elif not o.alive():
            code = o.proc.returncode if o.proc else None
            pytest.fail("ours (--notify-keyspace-events) died during the test (exit code %s); "
                        "log tail:\n%s" % (code, o.log_tail()), pytrace=False)


class Env(object):
    """Driver pair + listener pair on a pair of servers."""

    def __init__(self, o_srv, r_srv, patterns=PATTERNS):
        self.driver = Pair(o_srv.client(), r_srv.client())
        self.listener = Pair(o_srv.client(timeout=LISTEN_TIMEOUT), r_srv.client(timeout=LISTEN_TIMEOUT))
        self.published = 0
        for conn in (self.listener.ours, self.listener.real):
            conn.send("PSUBSCRIBE", *patterns)
            conn.send("SUBSCRIBE", SENTINEL)
        for _ in range(len(patterns) + 1):
            o, r = safe_read(self.listener.ours), safe_read(self.listener.real)
            assert not isinstance(r, NoReply), r
            assert o == r, "subscription confirmations differ: ours %r, real %r" % (o, r)
        self.log = []  # (command, notifications) for failure messages

    def run(self, *commands):
        """Run commands on the driver (replies compared byte for byte)."""
        for cmd in commands:
            if isinstance(cmd, str):
                cmd = cmd.split()
            self.driver.check(*cmd)
            self.log.append(format_command(cmd))

    def read_messages(self, conn, n):
        out = []
        for _ in range(n):
            raw = safe_read(conn)
            out.append(raw)
            if isinstance(raw, NoReply):
                break
        return out

    def until_sentinel(self, conn, marker):
        out = []
        while True:
            raw = safe_read(conn)
            if isinstance(raw, NoReply):
                out.append(raw)
                return out
            v = decode(raw)
            if isinstance(v, list) and len(v) == 3 and v[0] == b"message" and v[1] == SENTINEL.encode():
                if v[2] == marker:
                    return out
                continue
            out.append(raw)

    def collect(self):
        """Messages received by the listeners since the last collect()."""
        self.published += 1
        marker = b"m%d" % self.published
        self.driver.check("PUBLISH", SENTINEL, marker)
        return (self.until_sentinel(self.listener.ours, marker),
                self.until_sentinel(self.listener.real, marker))

    def close(self):
        self.driver.close()
        self.listener.close()


def show_messages(msgs):
    lines = []
    for m in msgs:
        if isinstance(m, NoReply):
            lines.append("      %r" % (m,))
        else:
            v = decode(m)
            lines.append("      %s" % " ".join(repr(x) for x in v[1:]) if isinstance(v, list) else repr(m))
    return "\n".join(lines) or "      (none)"


def compare(env, ours, real, what="notifications"):
    if ours != real:
        raise AssertionError(
            "%s differ after: %s\n  ours (%d):\n%s\n  real (%d):\n%s\n  raw ours: %r\n  raw real: %r" % (
                what, "; ".join(env.log), len(ours), show_messages(ours), len(real),
                show_messages(real), b"".join(m for m in ours if isinstance(m, bytes))[:2000],
                b"".join(m for m in real if isinstance(m, bytes))[:2000]))
    return real


@pytest.fixture
def env_factory(notif_servers):
    made = []

    def make(flags="KEA", patterns=PATTERNS):
        o, r = notif_servers(flags)
        e = Env(o, r, patterns)
        made.append(e)
        return e

    yield make
    for e in made:
        e.close()


def check_events(env_factory, *commands, **kw):
    """Run commands and compare all notifications; returns real's list."""
    env = env_factory(kw.pop("flags", "KEA"))
    assert not kw, kw
    env.run(*commands)
    o, r = env.collect()
    compare(env, o, r)
    return r


# ----------------------------------------------------------- events ----

def test_set_event(env_factory):
    r = check_events(env_factory, ("SET", "k", "v"))
    assert len(r) == 2


def test_set_with_ex_fires_set_and_expire(env_factory):
    r = check_events(env_factory, ("SET", "k", "v", "EX", "100"))
    assert len(r) == 4


def test_set_with_px_and_keepttl(env_factory):
    check_events(env_factory, ("SET", "k", "v", "PX", "100000"), ("SET", "k", "w", "KEEPTTL"))


def test_set_nx_xx_not_performed_fires_nothing(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("SET", "k", "w", "NX"), ("SET", "m", "w", "XX"))


def test_setex_psetex_events(env_factory):
    check_events(env_factory, ("SETEX", "a", "100", "v"), ("PSETEX", "b", "100000", "v"))


def test_setnx_event(env_factory):
    check_events(env_factory, ("SETNX", "a", "1"), ("SETNX", "a", "2"))


def test_mset_events(env_factory):
    check_events(env_factory, ("MSET", "a", "1", "b", "2", "a", "3"))


def test_msetnx_events(env_factory):
    check_events(env_factory, ("MSETNX", "a", "1", "b", "2"), ("MSETNX", "b", "3", "c", "4"))


def test_getset_event(env_factory):
    check_events(env_factory, ("GETSET", "a", "1"), ("GETSET", "a", "2"))


def test_set_get_event(env_factory):
    check_events(env_factory, ("SET", "a", "1", "GET"), ("SET", "a", "2", "GET"))


def test_del_event(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("SET", "j", "v"), ("DEL", "k", "missing", "j"))


def test_del_missing_key_fires_nothing(env_factory):
    r = check_events(env_factory, ("DEL", "missing"))
    assert r == []


def test_unlink_event(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("UNLINK", "k", "missing"))


def test_expire_event(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("EXPIRE", "k", "100"), ("EXPIRE", "missing", "100"))


def test_pexpire_expireat_pexpireat_events(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("PEXPIRE", "k", "100000"),
                 ("EXPIREAT", "k", "4102444800"), ("PEXPIREAT", "k", "4102444800000"))


def test_expire_in_the_past_deletes_with_del_event(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("EXPIRE", "k", "-1"))


def test_expire_with_condition_not_met_fires_nothing(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("EXPIRE", "k", "100", "XX"),
                 ("EXPIRE", "k", "100", "NX"), ("EXPIRE", "k", "200", "NX"))


def test_persist_event(env_factory):
    check_events(env_factory, ("SET", "k", "v", "EX", "100"), ("PERSIST", "k"), ("PERSIST", "k"),
                 ("PERSIST", "missing"))


def test_rename_events(env_factory):
    check_events(env_factory, ("SET", "a", "v"), ("RENAME", "a", "b"))


def test_rename_onto_existing_key(env_factory):
    check_events(env_factory, ("SET", "a", "v"), ("SET", "b", "w"), ("RENAME", "a", "b"))


def test_rename_to_itself(env_factory):
    check_events(env_factory, ("SET", "a", "v"), ("RENAME", "a", "a"))


def test_renamenx_events(env_factory):
    check_events(env_factory, ("SET", "a", "v"), ("SET", "c", "w"), ("RENAMENX", "a", "b"),
                 ("RENAMENX", "b", "c"))


def test_incr_event(env_factory):
    check_events(env_factory, ("INCR", "n"), ("INCR", "n"))


def test_incrby_decr_decrby_events(env_factory):
    check_events(env_factory, ("INCRBY", "n", "5"), ("DECR", "n"), ("DECRBY", "n", "3"))


def test_incr_error_fires_nothing(env_factory):
    check_events(env_factory, ("SET", "s", "abc"), ("INCR", "s"))


def test_incrbyfloat_event(env_factory):
    check_events(env_factory, ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "-0.5"))


def test_append_event(env_factory):
    check_events(env_factory, ("APPEND", "s", "ab"), ("APPEND", "s", "cd"))


def test_setrange_event(env_factory):
    check_events(env_factory, ("SETRANGE", "s", "3", "xy"), ("SETRANGE", "s", "0", "a"))


def test_setrange_empty_value_fires_nothing(env_factory):
    check_events(env_factory, ("SETRANGE", "missing", "5", ""), ("SET", "s", "abc"),
                 ("SETRANGE", "s", "1", ""))


def test_getdel_event(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("GETDEL", "k"), ("GETDEL", "k"))


def test_getex_events(env_factory):
    check_events(env_factory, ("SET", "k", "v"), ("GETEX", "k", "EX", "100"),
                 ("GETEX", "k", "PERSIST"), ("GETEX", "k"))


def test_reads_fire_nothing(env_factory):
    r = check_events(env_factory, ("SET", "k", "v"), ("GET", "k"), ("STRLEN", "k"), ("EXISTS", "k"),
                     ("TTL", "k"), ("GETRANGE", "k", "0", "-1"), ("MGET", "k", "x"))
    assert len(r) == 2


def test_copy_event(env_factory):
    check_events(env_factory, ("SET", "a", "v"), ("COPY", "a", "b"))


def test_flushall_fires_nothing(env_factory):
    check_events(env_factory, ("SET", "a", "v"), ("FLUSHALL",), ("SET", "b", "v"), ("FLUSHDB",))


def test_other_db_events_not_on_db0_channels(env_factory):
    check_events(env_factory, ("SELECT", "1"), ("SET", "a", "v"), ("DEL", "a"), ("SELECT", "0"),
                 ("SET", "b", "v"))


def test_events_of_other_db_on_their_own_channels(env_factory):
    env = env_factory("KEA", ("__keyspace@1__:*", "__keyevent@1__:*"))
    env.run(("SELECT", "1"), ("SET", "a", "v"), ("EXPIRE", "a", "10"), ("SELECT", "0"), ("SET", "b", "v"))
    compare(env, *env.collect())


def test_key_with_binary_name(env_factory):
    check_events(env_factory, ("SET", b"k\x00\r\n\xff", "v"), ("DEL", b"k\x00\r\n\xff"))


def test_transaction_events(env_factory):
    check_events(env_factory, ("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("DEL", "a"), ("EXEC",))


def test_expired_event_by_time(env_factory):
    env = env_factory("KEA")
    env.run(("SET", "k", "v", "PX", "50"))
    o1, r1 = env.collect()
    compare(env, o1, r1, "notifications of SET PX")
    time.sleep(0.3)
    # The key has expired; the active expire cycle (not an access) must
    # deliver the 'expired' keyspace + keyevent messages.
    o2 = env.read_messages(env.listener.ours, 2)
    r2 = env.read_messages(env.listener.real, 2)
    env.log.append("<sleep 0.3 s, no access to the key>")
    compare(env, o2, r2, "expiry notifications")
    o3, r3 = env.collect()
    compare(env, o3, r3, "notifications after the expiry")
    env.run(("EXISTS", "k"))


def test_expired_event_on_access(env_factory):
    # A key expiring between two checks: whichever path removes it (active
    # cycle or lazy on access) the subscriber sees exactly one 'expired'.
    env = env_factory("KEA")
    env.run(("SET", "k", "v", "PX", "1"))
    time.sleep(0.05)
    env.run(("GET", "k"))
    time.sleep(0.05)
    compare(env, *env.collect())


# ------------------------------------------------------ flag subsets ----

SUBSET_SCRIPT = [
    ("SET", "s", "v"), ("SET", "t", "v", "EX", "100"), ("INCR", "n"), ("APPEND", "s", "x"),
    ("EXPIRE", "s", "100"), ("PERSIST", "s"), ("RENAME", "s", "s2"), ("DEL", "s2"),
    ("SETRANGE", "n", "0", "9"), ("GETDEL", "n"), ("INCRBYFLOAT", "f", "1"),
]


@pytest.mark.parametrize("flags", [
    "K$", "Eg", "A", "KA", "EA", "K", "E", "Kg", "E$", "KEg$", "KEx", "Kgx",
])
def test_flag_subset(env_factory, flags):
    env = env_factory(flags)
    env.run(*SUBSET_SCRIPT)
    o, r = env.collect()
    compare(env, o, r)
    if flags in ("A", "K", "E"):
        assert r == [], "reference server sent notifications for %r" % flags


def test_flag_k_dollar_gets_only_keyspace_string_events(env_factory):
    env = env_factory("K$")
    env.run(("SET", "s", "v"), ("EXPIRE", "s", "10"), ("DEL", "s"), ("INCR", "n"))
    o, r = env.collect()
    compare(env, o, r)
    assert [decode(m)[2] for m in r] == [b"__keyspace@0__:s", b"__keyspace@0__:n"]


def test_flag_eg_gets_only_generic_keyevents(env_factory):
    env = env_factory("Eg")
    env.run(("SET", "s", "v"), ("EXPIRE", "s", "10"), ("DEL", "s"), ("INCR", "n"))
    o, r = env.collect()
    compare(env, o, r)
    assert [decode(m)[2] for m in r] == [b"__keyevent@0__:expire", b"__keyevent@0__:del"]


def test_flag_a_without_k_or_e_gives_nothing(env_factory):
    env = env_factory("A")
    env.run(("SET", "s", "v"), ("EXPIRE", "s", "10"), ("DEL", "s"), ("INCR", "n"))
    o, r = env.collect()
    compare(env, o, r)
    assert r == []


def test_expired_event_with_x_flag_only(env_factory):
    env = env_factory("Ex")
    env.run(("SET", "k", "v", "PX", "50"), ("SET", "j", "v"))
    compare(env, *env.collect())
    time.sleep(0.3)
    o2 = env.read_messages(env.listener.ours, 1)
    r2 = env.read_messages(env.listener.real, 1)
    env.log.append("<sleep 0.3 s>")
    compare(env, o2, r2, "expiry notifications")
    compare(env, *env.collect())


# --------------------------------------- CONFIG GET normalization ----

@pytest.fixture
def config_pair(ours, real, pair):
    if not _config_get_works(ours) or not _config_set_works(ours):
        pytest.skip("CONFIG GET/SET notify-keyspace-events not implemented on ours")
    yield pair
    for srv in (ours, real):
        try:
            _set_flags(srv, "")
        except Exception:
            pass


@pytest.mark.parametrize("flags", [
    "KEA", "AKE", "Kg$", "Ex", "", "g$lshzxetKE", "gKE$lshzxetd", "z", "AKEm", "Kd", "Kn", "AAKK",
    "mK", "$g", "xe", "KEA$g",
])
def test_config_get_normalized_flags(config_pair, flags):
    config_pair.check("CONFIG", "SET", "notify-keyspace-events", flags)
    config_pair.check("CONFIG", "GET", "notify-keyspace-events")


@pytest.mark.parametrize("flags", ["Q", "KE A", "K1"])
def test_config_set_invalid_flags(config_pair, flags):
    config_pair.check("CONFIG", "SET", "notify-keyspace-events", "KEA")
    config_pair.check("CONFIG", "SET", "notify-keyspace-events", flags)
    config_pair.check("CONFIG", "GET", "notify-keyspace-events")
