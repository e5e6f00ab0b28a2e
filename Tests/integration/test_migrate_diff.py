"""MIGRATE between our server and redis-server 7.0.15, every direction, compared with real Redis doing the same.

Each scenario runs twice against the same kind of target (a fresh, FLUSHALL-ed ours or real): once with our
server as the source and once with real Redis as the source.  The replies, and what the source and the target
hold afterwards (DEBUG DIGEST, TTLs), must be the same.  Ours → real, real → ours and ours → ours are all covered
this way (real → real is the reference).  The source's effects (a DEL of the moved keys) are observed through its
AOF.
"""

import os

import pytest

import datasets
from persist_tools import digest, start, wait_for

TARGET_KINDS = ["ours", "real"]
PASSWORD = "s3cret"


@pytest.fixture(scope="module")
def targets(tmp_path_factory):
    """{(kind, False): server}: targets kept for the module, FLUSHALL-ed before each scenario."""
    out = {}
    for kind in TARGET_KINDS:
        out[(kind, False)] = start(kind, tmp_path_factory.mktemp("t-%s" % kind))
    yield out
    for srv in out.values():
        srv.stop()


def flush(srv, password=None):
    with srv.client() as c:
        if password:
            c.call("AUTH", password)
        c.call("FLUSHALL")


class TTL(object):
    """A PTTL that compares equal to another within 5 s (-1 and -2 only to themselves)."""

    def __init__(self, ms):
        self.ms = ms

    def __eq__(self, other):
        if self.ms < 0 or other.ms < 0:
            return self.ms == other.ms
        return abs(self.ms - other.ms) <= 5000

    def __repr__(self):
        return "TTL(%d)" % self.ms


def observe(srv, password=None, keys=(), db=0):
    """What a server holds: digest, and per key its PTTL (compared with a tolerance)."""
    with srv.client() as c:
        if password:
            assert c.call("AUTH", password) == b"+OK\r\n"
        c.call("SELECT", db)
        ttls = [TTL(int(c.call("PTTL", k)[1:-2])) for k in keys]
        return c.call("DEBUG", "DIGEST"), ttls


def run(sources, targets, kind, steps, keys=(), db=0):
    """Runs `steps(client, port)` on each source against a fresh target of `kind`; asserts all agree."""
    results = {}
    target = targets[(kind, False)]
    for name, src in sources.items():
        flush(target)
        with src.client() as c:
            replies = steps(c, target.port)
        results[name] = (replies, observe(src, keys=keys), observe(target, keys=keys, db=db))
    assert results["ours"] == results["real"]
    return results["ours"]


@pytest.fixture
def sources(ours, real):
    return {"ours": ours, "real": real}


H = "127.0.0.1"


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_single_key_moves_and_disappears_from_the_source(sources, targets, kind):
    def steps(c, port):
        c.call("RPUSH", "k", "a", "b")
        return [c.call("MIGRATE", H, port, "k", 0, 5000), c.call("EXISTS", "k")]
    replies, _, _ = run(sources, targets, kind, steps, keys=["k"])
    assert replies == [b"+OK\r\n", b":0\r\n"]


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_every_type_moves_with_the_keys_form(sources, targets, kind):
    ds = datasets.Dataset("db0")
    for build in (datasets.strings, datasets.lists, datasets.sets, datasets.hashes, datasets.zsets):
        ds.extend(build(0))
    keys = [k for _, k in ds.keys()]

    def steps(c, port):
        datasets.load(c, ds)
        before = c.call("DEBUG", "DIGEST")
        return [before, c.call("MIGRATE", H, port, "", 0, 10000, "KEYS", *keys), c.call("DBSIZE")]
    replies, _, (target_digest, _) = run(sources, targets, kind, steps)
    assert replies[1:] == [b"+OK\r\n", b":0\r\n"]
    assert target_digest == replies[0]


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_keys_form_skips_missing_keys_and_nokey_when_none_exist(sources, targets, kind):
    def steps(c, port):
        c.call("SET", "a", "1")
        c.call("SET", "b", "2")
        return [c.call("MIGRATE", H, port, "", 0, 5000, "KEYS", "a", "missing", "b"),
                c.call("MIGRATE", H, port, "", 0, 5000, "KEYS", "x", "y"),
                c.call("MIGRATE", H, port, "nothing", 0, 5000)]
    replies, _, _ = run(sources, targets, kind, steps, keys=["a", "b"])
    assert replies == [b"+OK\r\n", b"+NOKEY\r\n", b"+NOKEY\r\n"]


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_copy_keeps_the_source_key(sources, targets, kind):
    def steps(c, port):
        c.call("SADD", "k", "x", "y")
        return [c.call("MIGRATE", H, port, "k", 0, 5000, "COPY"), c.call("SMEMBERS", "k")[:4]]
    run(sources, targets, kind, steps, keys=["k"])


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_existing_target_key_is_busykey_and_replace_overwrites(sources, targets, kind):
    def steps(c, port):
        c.call("SET", "k", "new")
        with targets[(kind, False)].client() as t:
            t.call("SET", "k", "old")
        return [c.call("MIGRATE", H, port, "k", 0, 5000),
                c.call("MIGRATE", H, port, "", 0, 5000, "COPY", "KEYS", "k"),
                c.call("EXISTS", "k"),
                c.call("MIGRATE", H, port, "k", 0, 5000, "REPLACE"),
                c.call("EXISTS", "k")]
    replies, _, _ = run(sources, targets, kind, steps, keys=["k"])
    assert b"BUSYKEY" in replies[0]
    assert replies[3:] == [b"+OK\r\n", b":0\r\n"]


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_ttl_and_destination_db_are_carried_over(sources, targets, kind):
    def steps(c, port):
        c.call("SET", "k", "v", "PX", 5000000)
        c.call("HSET", "h", "f", "v")
        c.call("PEXPIREAT", "h", datasets.FAR_FUTURE_MS)
        return [c.call("MIGRATE", H, port, "", 3, 5000, "KEYS", "k", "h")]
    replies, _, (_, ttls) = run(sources, targets, kind, steps, keys=["k", "h"], db=3)
    assert replies == [b"+OK\r\n"]
    assert 4_990_000 < ttls[0].ms <= 5_000_000


@pytest.mark.parametrize("kind", TARGET_KINDS)
@pytest.mark.parametrize("auth", [("AUTH", PASSWORD), ("AUTH2", "default", PASSWORD), ("AUTH", "wrong"),
                                  ("AUTH2", "nobody", PASSWORD), ()],
                         ids=["auth", "auth2", "wrong-password", "wrong-user", "no-auth"])
def test_auth_against_a_target_with_requirepass(sources, tmp_path, kind, auth):
    # A fresh target per case: redis-server keeps MIGRATE connections open for 10 s, and a connection that
    # authenticated once stays authenticated, so a shared target would let later cases pass without AUTH.
    results = {}
    for name, src in sources.items():
        target = start(kind, tmp_path / name, "--requirepass", PASSWORD)
        try:
            with src.client() as c:
                c.call("SET", "k", "v")
                replies = [c.call("MIGRATE", H, target.port, "k", 0, 5000, *auth), c.call("EXISTS", "k")]
            results[name] = (replies, observe(target, PASSWORD, keys=["k"]))
        finally:
            target.stop()
    assert results["ours"] == results["real"]


@pytest.mark.parametrize("args", [
    ("k", 0, 5000, "KEYS", "a"),             # KEYS needs the empty key argument
    ("k", "x", 5000),                        # db not an integer
    ("k", 0, "soon"),                        # timeout not an integer
    ("k", 0, 5000, "AUTH"),                  # AUTH without a password
    ("k", 0, 5000, "AUTH2", "user"),         # AUTH2 without a password
    ("k", 0, 5000, "BOGUS"),                 # unknown option
    ("k", 0),                                # arity
    ("", 0, 5000),                           # empty key without KEYS
    ("k", -1, 5000),                         # negative db
], ids=["keys-needs-empty-key", "db", "timeout", "auth", "auth2", "option", "arity", "empty-key", "neg-db"])
def test_bad_arguments_are_refused_like_redis(pair, targets, args):
    pair.check("SET", "k", "v")
    port = targets[("real", False)].port
    if args[1] == -1:
        # Redis caches its connection to a target for 10 s and sends SELECT only when the db differs from the
        # last one (-1 on a new connection), so its reply to db -1 depends on that cache: a migration just before
        # makes its SELECT -1 certain (ours connects per call and always selects).
        pair.check("MIGRATE", H, port, "k", 0, 5000, "COPY", "REPLACE")
    pair.check("MIGRATE", H, port, *args)
    pair.check("EXISTS", "k")


def test_connection_refused_is_ioerr_like_redis(pair):
    from conftest import free_port
    port = free_port()
    pair.check("SET", "k", "v")
    reply = pair.check("MIGRATE", H, port, "k", 0, 1000)
    assert reply.startswith(b"-IOERR")
    pair.check("MIGRATE", H, port, "", 0, 1000, "KEYS", "k")
    pair.check("EXISTS", "k")


def test_bad_port_is_an_error_like_redis(pair):
    pair.check("SET", "k", "v")
    pair.check("MIGRATE", H, "notaport", "k", 0, 1000)
    pair.check("MIGRATE", H, 70000, "k", 0, 1000)


def aof_text(data_dir):
    d = os.path.join(str(data_dir), "appendonlydir")
    return b"".join(open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d)) if ".incr." in f)


def test_moved_keys_are_deleted_in_the_source_aof_like_redis(tmp_path, targets):
    logs = {}
    for kind in ("ours", "real"):
        d = tmp_path / kind
        src = start(kind, d, "--appendonly", "yes", "--appendfsync", "always")
        try:
            target = targets[("real", False)]
            flush(target)
            with src.client() as c:
                c.call("SET", "moved", "1")
                c.call("SET", "copied", "2")
                assert c.call("MIGRATE", H, target.port, "moved", 0, 5000) == b"+OK\r\n"
                assert c.call("MIGRATE", H, target.port, "copied", 0, 5000, "COPY") == b"+OK\r\n"
                c.call("SET", "marker", "end")
            wait_for(lambda: b"marker" in aof_text(d), what="the AOF to hold the marker")
            logs[kind] = aof_text(d)
        finally:
            src.stop()
        again = start(kind, d, "--appendonly", "yes")
        try:
            with again.client() as c:
                assert (c.call("EXISTS", "moved"), c.call("EXISTS", "copied")) == (b":0\r\n", b":1\r\n")
        finally:
            again.stop()
    for kind, text in logs.items():
        assert b"$3\r\nDEL\r\n$5\r\nmoved\r\n" in text.replace(b"del", b"DEL"), (kind, text[-400:])
        assert b"DEL\r\n$6\r\ncopied" not in text.replace(b"del", b"DEL"), kind
