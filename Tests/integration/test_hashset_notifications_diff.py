"""Keyspace notifications of the hash and set commands, compared with the reference server (same machinery as
test_notifications_diff.py: a listener on each server, messages compared byte for byte and in order)."""

from test_notifications_diff import check_events, compare, env_factory, notif_servers  # noqa: F401 (fixtures)


# -------------------------------------------------------------- hashes ----

def test_hset_hmset_hsetnx_events(env_factory):
    check_events(env_factory, ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HMSET", "h", "c", "3"),
                 ("HSETNX", "h", "a", "9"), ("HSETNX", "h", "d", "4"))


def test_hdel_events_and_del_when_emptied(env_factory):
    check_events(env_factory, ("HSET", "h", "a", "1", "b", "2"), ("HDEL", "h", "a", "zz"), ("HDEL", "h", "zz"),
                 ("HDEL", "h", "b"), ("HDEL", "h", "b"))


def test_hincrby_hincrbyfloat_events(env_factory):
    check_events(env_factory, ("HINCRBY", "h", "n", "5"), ("HINCRBYFLOAT", "h", "f", "1.5"),
                 ("HINCRBY", "h", "n", "x"), ("HSET", "h", "s", "abc"), ("HINCRBY", "h", "s", "1"),
                 ("HINCRBYFLOAT", "h", "s", "1"))


def test_hash_reads_and_errors_fire_nothing(env_factory):
    r = check_events(env_factory, ("SET", "str", "x"), ("HSET", "str", "a", "1"), ("HGET", "h", "a"),
                     ("HGETALL", "h"), ("HRANDFIELD", "h"), ("HSCAN", "h", "0"), ("HLEN", "h"))
    assert len(r) == 2  # the SET only


# ---------------------------------------------------------------- sets ----

def test_sadd_srem_events(env_factory):
    check_events(env_factory, ("SADD", "s", "1", "2", "a"), ("SADD", "s", "1"), ("SREM", "s", "zz"),
                 ("SREM", "s", "1"), ("SREM", "s", "2", "a"))


def test_spop_events(env_factory):
    check_events(env_factory, ("SADD", "s", "only"), ("SPOP", "s"), ("SADD", "t", "1", "2", "3"), ("SPOP", "t", "0"),
                 ("SPOP", "t", "5"), ("SADD", "u", "x"), ("SPOP", "u", "1"), ("SPOP", "missing"),
                 ("SPOP", "missing", "2"))


def test_spop_of_some_members_fires_one_spop_event(env_factory):
    """Which members go is random, so only the notifications are compared."""
    env = env_factory("KEA")
    env.run(("SADD", "t", "1", "2", "3", "4", "5"))
    for cmd in (("SPOP", "t"), ("SPOP", "t", "2"), ("SPOP", "t", "1")):
        env.driver.both(*cmd)
        env.log.append(" ".join(cmd))
    o, r = env.collect()
    compare(env, o, r)


def test_smove_events(env_factory):
    check_events(env_factory, ("SADD", "a", "1", "2"), ("SADD", "b", "2"), ("SMOVE", "a", "b", "1"),
                 ("SMOVE", "a", "b", "2"), ("SMOVE", "b", "b", "1"), ("SMOVE", "b", "c", "zz"), ("SMOVE", "b", "c", "1"))


def test_store_events(env_factory):
    check_events(env_factory, ("SADD", "a", "1", "2"), ("SADD", "b", "2", "3"), ("SINTERSTORE", "d", "a", "b"),
                 ("SUNIONSTORE", "d", "a", "b"), ("SDIFFSTORE", "d", "a", "b"), ("SINTERSTORE", "d", "a", "missing"),
                 ("SINTERSTORE", "d", "a", "missing"), ("SUNIONSTORE", "e", "missing"), ("SET", "f", "x"),
                 ("SDIFFSTORE", "f", "a", "a"))


def test_set_reads_fire_nothing(env_factory):
    r = check_events(env_factory, ("SMEMBERS", "s"), ("SINTER", "a", "b"), ("SRANDMEMBER", "s", "3"),
                     ("SSCAN", "s", "0"), ("SINTERCARD", "1", "s"), ("SMISMEMBER", "s", "a"))
    assert r == []
