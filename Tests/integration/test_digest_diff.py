"""DEBUG DIGEST / DEBUG DIGEST-VALUE: the same data gives the same digest on redis-server 7.0 and on ours.

The datasets come from datasets.py (every type in every encoding, TTLs, several databases); each is loaded into
both servers and compared as a whole (DEBUG DIGEST) and key by key (DEBUG DIGEST-VALUE).  Seeded random command
streams from the other differential suites end with the same comparison.
"""

import pytest

import datasets
from test_random_diff import run_random as run_random_strings
from test_hashes_diff import run_random as run_random_hashes
from test_sets_diff import run_random as run_random_sets
from test_zsets_diff import run_random as run_random_zsets

ZEROS = b"+" + b"0" * 40 + b"\r\n"


def load_both(pair, ds):
    datasets.load(pair.ours, ds)
    datasets.load(pair.real, ds)


def digest(conn):
    reply = conn.call("DEBUG", "DIGEST")
    assert reply[:1] == b"+" and len(reply) == 43, reply
    return reply


def check_dataset(pair, ds, check_encodings=True):
    """Whole digest, per-key digests and (where the dataset names one) the encoding, on both servers."""
    pair.context = "dataset %s" % ds.name
    whole = pair.check("DEBUG", "DIGEST")
    assert whole != ZEROS
    for db in ds.dbs():
        pair.check("SELECT", db)
        keys = [k for d, k in ds.keys() if d == db]
        pair.check("DEBUG", "DIGEST-VALUE", *keys)
        if check_encodings:
            for key in keys:
                expected = ds.encodings[(db, key)]
                reply = pair.check("OBJECT", "ENCODING", key)
                if expected is not None:
                    assert reply == b"$%d\r\n%s\r\n" % (len(expected), expected.encode()), (db, key, reply)
    pair.check("SELECT", 0)


@pytest.mark.parametrize("name", sorted(datasets.DATASETS))
def test_each_dataset_digests_equal(pair, name):
    check_dataset(pair, load_ds(pair, datasets.DATASETS[name](0)))


def load_ds(pair, ds):
    load_both(pair, ds)
    return ds


def test_everything_together_digests_equal(pair):
    check_dataset(pair, load_ds(pair, datasets.everything(0)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_dataset_digests_equal(pair, seed):
    check_dataset(pair, load_ds(pair, datasets.random_dataset(seed, 300)))


def test_other_seed_gives_other_data(pair):
    datasets.load(pair.ours, datasets.random_dataset(1, 50))
    datasets.load(pair.real, datasets.random_dataset(2, 50))
    assert digest(pair.ours) != digest(pair.real)


def test_empty_dataset_digest_is_40_zeros(pair):
    assert pair.check("DEBUG", "DIGEST") == ZEROS


def test_emptied_dataset_digest_is_40_zeros_again(pair):
    pair.check("SET", "k", "v")
    pair.check("DEL", "k")
    assert pair.check("DEBUG", "DIGEST") == ZEROS


def test_digest_value_of_missing_key_is_40_zeros(pair):
    pair.check("SET", "present", "v")
    reply = pair.check("DEBUG", "DIGEST-VALUE", "missing", "present")
    assert reply.startswith(b"*2\r\n" + ZEROS)


def test_digest_value_without_keys_is_an_empty_array(pair):
    assert pair.check("DEBUG", "DIGEST-VALUE") == b"*0\r\n"


def test_digest_with_an_argument_is_an_error(pair):
    pair.check("DEBUG", "DIGEST", "extra")


def test_help_lists_digest_subcommands(ours):
    with ours.client() as c:
        text = c.call("DEBUG", "HELP")
    assert b"DIGEST-VALUE <key> [<key> ...]" in text and b"+DIGEST\r\n" in text


CHANGES = [
    # (setup, change): one element differs after the change
    (("SET", "k", "abc"), ("SETRANGE", "k", 1, "X")),
    (("RPUSH", "k", "a", "b", "c"), ("LSET", "k", 1, "B")),
    (("SADD", "k", 1, 2, 3), ("SADD", "k", 4)),
    (("SADD", "k", "a", "b"), ("SREM", "k", "b")),
    (("HSET", "k", "f", "v", "g", "w"), ("HSET", "k", "g", "W")),
    (("ZADD", "k", 1, "a", 2, "b"), ("ZADD", "k", "2.5", "b")),
    (("ZADD", "k", 1, "a", 2, "b"), ("ZADD", "k", 2, "c")),
]


@pytest.mark.parametrize("setup,change", CHANGES, ids=[c[1][0] for c in CHANGES])
def test_digest_changes_when_one_element_changes(pair, setup, change):
    pair.check(*setup)
    before = pair.check("DEBUG", "DIGEST")
    before_value = pair.check("DEBUG", "DIGEST-VALUE", "k")
    pair.check(*change)
    assert pair.check("DEBUG", "DIGEST") != before
    assert pair.check("DEBUG", "DIGEST-VALUE", "k") != before_value


def test_adding_a_ttl_changes_the_digest(pair):
    pair.check("RPUSH", "k", "a")
    before = pair.check("DEBUG", "DIGEST")
    pair.check("EXPIRE", "k", 1000)
    assert pair.check("DEBUG", "DIGEST") != before


def test_changing_a_ttl_keeps_the_digest(pair):
    """Redis mixes in only whether a key has a TTL, not the time."""
    pair.check("SET", "k", "v", "EX", 1000)
    before = pair.check("DEBUG", "DIGEST")
    pair.check("EXPIRE", "k", 5000)
    assert pair.check("DEBUG", "DIGEST") == before
    pair.check("PERSIST", "k")
    assert pair.check("DEBUG", "DIGEST") != before


def test_list_digest_depends_on_order(pair):
    pair.check("RPUSH", "a", 1, 2)
    pair.check("RPUSH", "b", 2, 1)
    ours = pair.ours.call("DEBUG", "DIGEST-VALUE", "a", "b")
    assert ours[4:47] != ours[47:]
    pair.check("DEBUG", "DIGEST-VALUE", "a", "b")


@pytest.mark.parametrize("cmd,forward,backward", [
    ("SADD", ("x", "y", "z", "1"), ("1", "z", "y", "x")),
    ("SADD", (1, 2, 3), (3, 2, 1)),
    ("HSET", ("f", "1", "g", "2", "h", "3"), ("h", "3", "g", "2", "f", "1")),
    ("ZADD", (1, "a", 2, "b", 2, "c"), (2, "c", 2, "b", 1, "a")),
], ids=["set", "intset", "hash", "zset"])
def test_digest_does_not_depend_on_insertion_order(pair, cmd, forward, backward):
    pair.check(cmd, "a", *forward)
    pair.check(cmd, "b", *backward)
    reply = pair.check("DEBUG", "DIGEST-VALUE", "a", "b")
    assert reply[4:47] == reply[47:]


def test_digest_does_not_depend_on_encoding(pair):
    """A hash converted to hashtable and back to its listpack-sized content digests like the listpack one."""
    pair.check("HSET", "a", "f", "v")
    pair.check("HSET", "b", "f", "v", "long", "x" * 100)
    pair.check("HDEL", "b", "long")
    reply = pair.check("DEBUG", "DIGEST-VALUE", "a", "b")
    assert reply[4:47] == reply[47:]


def test_same_data_in_another_db_changes_the_digest(pair):
    pair.check("SET", "k", "v")
    in_db0 = pair.check("DEBUG", "DIGEST")
    pair.check("MOVE", "k", 1)
    assert pair.check("DEBUG", "DIGEST") != in_db0


def test_digest_value_ignores_the_key_name(pair):
    pair.check("SET", "a", "same")
    pair.check("SET", "b", "same")
    reply = pair.check("DEBUG", "DIGEST-VALUE", "a", "b")
    assert reply[4:47] == reply[47:]


def test_string_digest_is_the_same_for_int_and_embstr_forms(pair):
    """An integer-encoded string and the same digits stored as embstr (INCRBYFLOAT) digest alike."""
    pair.check("SET", "a", "10")
    pair.check("SET", "b", "9")
    pair.check("INCRBYFLOAT", "b", 1)
    assert pair.check("OBJECT", "ENCODING", "b") == b"$6\r\nembstr\r\n"
    reply = pair.check("DEBUG", "DIGEST-VALUE", "a", "b")
    assert reply[4:47] == reply[47:]


@pytest.mark.parametrize("seed", [20240601, 7])
def test_digest_after_random_string_and_key_commands(pair, seed):
    run_random_strings(pair, seed, 1500)
    pair.context = "seed=%d digest" % seed
    pair.check("DEBUG", "DIGEST")


def test_digest_after_random_hash_commands(pair):
    run_random_hashes(pair, 11, 1500, 80)
    pair.check("DEBUG", "DIGEST")


def test_digest_after_random_set_commands(pair):
    run_random_sets(pair, 12, 1500)
    pair.check("DEBUG", "DIGEST")


def test_digest_after_random_zset_commands(pair):
    run_random_zsets(pair, 13, 1500)
    pair.check("DEBUG", "DIGEST")


def test_datasets_load_through_redis_py(ours, real):
    """The builder also works with redis-py clients (what other suites may hold)."""
    ds = datasets.multi_db(0)
    for server in (ours, real):
        r = server.redis()
        try:
            datasets.load(r, ds)
        finally:
            r.close()
    with ours.client() as a, real.client() as b:
        assert digest(a) == digest(b) != ZEROS
