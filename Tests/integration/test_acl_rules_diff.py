"""ACL LIST / ACL GETUSER command rules compared with a real redis-server 7.0, over seeded random rule sequences.

Redis 7.0 describes a selector's commands from its command bitmap (ACLDescribeSelectorCommandRules): `+@all` or
`-@all`, then categories chosen greedily, then the single commands that still differ. The category part is
deterministic and compared byte for byte; the single commands come in Redis's command-dict order, which a random
hash seed makes differ from one redis-server process to the next, so they are compared as a multiset.

The greedy choice counts the commands of each category, so it matches Redis's where our command table has the
same commands. Ours runs without the compiled-in plugins (CL.THROTTLE, BF.*, MQ.*) here, so both tables hold the
same commands and the random rules may use every category; they start from
`-@all`; the fixed cases cover `+@all` and those categories where the result does not depend on the difference.
"""

import random

import pytest

from conftest import NO_PLUGINS
from difftools import Pair
from resp import decode

# The categories whose members are the same in both command tables (see above).
CATEGORIES = ["read", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream",
              "pubsub", "blocking", "transaction", "admin", "dangerous", "connection", "keyspace", "fast", "write",
              "slow", "scripting"]
COMMANDS = ["get", "set", "del", "hset", "hget", "lpush", "lrange", "sadd", "zadd", "zrange", "xadd", "xread",
            "publish", "subscribe", "eval", "multi", "exec", "debug", "flushall", "keys", "scan", "sort",
            "blpop", "bzpopmin", "pfadd", "setbit", "geoadd", "ping", "info", "select", "incr", "mget"]
SUBCOMMANDS = ["config|get", "config|set", "client|kill", "client|list", "acl|whoami", "acl|setuser",
               "object|encoding", "memory|usage", "command|info", "xinfo|stream", "script|load", "function|list"]
CONTAINERS = ["config", "client", "acl", "object", "memory", "command", "xinfo", "script", "function"]
FIRST_ARGS = ["select|0", "select|1", "debug|object", "debug|sleep", "get|x"]


def random_rule(rng):
    kind = rng.random()
    sign = rng.choice("+-")
    if kind < 0.35:
        return sign + "@" + rng.choice(CATEGORIES)
    if kind < 0.6:
        return sign + rng.choice(COMMANDS)
    if kind < 0.72:
        return sign + rng.choice(SUBCOMMANDS)
    if kind < 0.8:
        return sign + rng.choice(CONTAINERS)
    if kind < 0.88:
        return "+" + rng.choice(FIRST_ARGS)
    return rng.choice(["nocommands", "-@all"])


def split_rules(rules):
    """(the leading `+@all`/`-@all` and categories, in order; the single-command rules, sorted)."""
    words = rules.split()
    head = [w for w in words if w[1:2] == "@"]
    rest = sorted(w for w in words if w[1:2] != "@")
    assert words[:len(head)] == head, rules
    return head, rest


def user_line(client, name):
    for line in decode(client.call("ACL", "LIST")):
        if line.startswith(b"user %s " % name.encode()):
            return line.decode()
    raise AssertionError("no user %s" % name)


def commands_of(line):
    """The command rules of each selector of an ACL LIST line: the root's, then each `(...)`'s."""
    root, _, selectors = line.partition(" (")
    parts = [root] + [s.rstrip(")") for s in selectors.split(" (")] if selectors else [root]
    return [split_rules(" ".join(w for w in p.split() if w[:1] in "+-")) for p in parts]


@pytest.fixture(scope="module")
def rule_servers(server_factory):
    ours = server_factory("ours", *NO_PLUGINS)
    real = server_factory("real")
    yield ours, real
    ours.stop()
    real.stop()


@pytest.fixture
def acl(rule_servers):
    """A pair of connections; the user `u` is deleted before and after each test."""
    ours, real = rule_servers
    p = Pair(ours.client(), real.client())
    p.check("ACL", "DELUSER", "u")
    yield p
    p.check("ACL", "DELUSER", "u")
    p.close()


@pytest.mark.parametrize("rules", [
    ("+@all", "-debug"), ("+@read", "-get", "+get"), ("-@all", "+get|x"), ("+@hash", "-hset"), ("allcommands",),
    ("nocommands",), ("+config|get", "-config"), ("+config", "-config|set", "+config|set"), ("+@read", "-@read"),
    ("+GET",), ("+Config|GET",), ("+@write", "+@read"), ("+@read", "+@write"), ("+@all", "-@dangerous", "+@string", "-get"),
    ("+@admin", "+@dangerous"), ("+@pubsub", "+@admin"), ("+@geo", "+@stream", "+@sortedset"),
    ("+@connection", "+@transaction", "+@scripting"), ("+@all", "-@write", "-@read"), ("+get", "+set", "+@string"),
    ("+select|0", "+select|1"), ("+@all", "-@all", "+get"),
], ids=lambda r: " ".join(r))
def test_list_command_rules_byte_equal(acl, rules):
    acl.check("ACL", "SETUSER", "u", "reset", *rules)
    acl.check("ACL", "LIST")
    acl.check("ACL", "GETUSER", "u")


def test_list_command_rules_with_selectors_byte_equal(acl):
    acl.check("ACL", "SETUSER", "u", "on", "+@read", "-keys", "(~x +@hash -hdel)", "(%R~y +@write +@read)")
    acl.check("ACL", "LIST")
    acl.check("ACL", "GETUSER", "u")
    acl.check("ACL", "SETUSER", "u", "clearselectors", "reset", "+@all", "-@dangerous")
    acl.check("ACL", "LIST")


@pytest.mark.parametrize("seed", range(12))
def test_random_rule_sequences_describe_as_redis(acl, seed):
    rng = random.Random(seed)
    for round_ in range(25):
        rules = [random_rule(rng) for _ in range(rng.randint(1, 8))]
        if rng.random() < 0.2:
            rules.append("(%s)" % " ".join(random_rule(rng) for _ in range(rng.randint(1, 4))))
        if rng.random() < 0.3:
            rules.insert(0, "reset")
        acl.check("ACL", "SETUSER", "u", *rules)
        ours, real = user_line(acl.ours, "u"), user_line(acl.real, "u")
        assert commands_of(ours) == commands_of(real), (seed, round_, rules, ours, real)
        # ACL GETUSER's `commands` field is the same description.
        o, r = decode(acl.ours.call("ACL", "GETUSER", "u")), decode(acl.real.call("ACL", "GETUSER", "u"))
        assert split_rules(o[5].decode()) == split_rules(r[5].decode()), (seed, rules)
