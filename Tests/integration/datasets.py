"""Shared, deterministic datasets covering every Redis 7.0 type in every encoding.

For tests that compare two servers holding the same data (DEBUG DIGEST, DUMP/RESTORE payloads, RDB files, AOF
files, replication).  Independent of any one test: a dataset is plain data, a list of `Op(db, args)` commands,
so it can be loaded through the suite's raw RESP client or redis-py, or written elsewhere (an AOF, a script).

    import datasets
    ds = datasets.everything(seed=0)          # or datasets.DATASETS["zsets"](0), datasets.random_dataset(7, 300)
    datasets.load(client, ds)                 # RespClient (resp.py) or redis.Redis; ends in DB 0
    for db, key in ds.keys(): ...             # every key written, with its database
    ds.encodings                              # {(db, key): "listpack", ...} what OBJECT ENCODING must say on
                                              # redis-server 7.0 with default thresholds

Encodings assume Redis 7.0's default thresholds (list-max-listpack-size -2, set-max-intset-entries 512,
hash-max-listpack-entries 512 / -value 64, zset-max-listpack-entries 128 / -value 64).  Lists are always
`quicklist` in 7.0; "small" lists fit one node, "large" ones span many nodes, some with elements over 8 KB.

Datasets (all deterministic for a seed):
  strings      int (small, negative, 64-bit extremes), embstr, raw, empty, binary bytes, a 1 MB value,
               APPEND-grown raw, non-canonical integers ("007", 2^63) stored as strings, floats
  lists        small, integers, LPUSH order, large (many nodes), elements > 8 KB, binary and empty elements
  sets         intset (small, extremes, exactly 512), hashtable (strings, mixed, 513 integers, 1000 members)
  hashes       listpack (small, integer and empty values, binary, exactly 512 fields), hashtable (600 fields, a 65-byte value,
               a 65-byte field)
  zsets        listpack (inf, -inf, -0, negative, fractional, equal scores, subnormal, 2^53+1), skiplist
               (200 members, a 65-byte member, equal scores)
  streams      a node-spanning stream (same and differing fields, integer and binary values), deleted entries,
               an emptied stream, XSETID metadata, groups with pending entries and consumers
  ttls         keys of every type with a TTL: far future (year 2100, ms precision), odd millisecond TTLs
  multi_db     keys in DB 0, 1 and 9, including the same key name with different values
  everything   all of the above together
  random_dataset(seed, n)   n random keys of random types, sizes, encodings, TTLs and databases
"""

import random

__all__ = ["Op", "Dataset", "load", "DATASETS", "everything", "random_dataset",
           "strings", "lists", "sets", "hashes", "zsets", "streams", "ttls", "multi_db"]

FAR_FUTURE_MS = 4102444800123  # 2100-01-01T00:00:00.123Z
LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808


class Op(object):
    """One command to run in database `db`."""
    __slots__ = ("db", "args")

    def __init__(self, db, args):
        self.db = db
        self.args = tuple(args)

    def __repr__(self):
        return "Op(db=%d, %r)" % (self.db, self.args[:4])


class Dataset(object):
    """Commands that build a dataset, the keys they write, and the encodings redis-server 7.0 gives them."""

    def __init__(self, name):
        self.name = name
        self.ops = []
        self.encodings = {}  # (db, key) -> expected OBJECT ENCODING (None: not asserted)
        self._keys = []

    def add(self, db, key, encoding, *commands):
        """Record `key` (bytes or str) in `db`, built by `commands` (each a tuple of arguments)."""
        key = _b(key)
        if (db, key) not in self.encodings:
            self._keys.append((db, key))
        self.encodings[(db, key)] = encoding
        for c in commands:
            self.ops.append(Op(db, c))
        return self

    def extend(self, other):
        """Append another dataset's commands and keys (later commands win on equal keys)."""
        for db, key in other.keys():
            self.add(db, key, other.encodings[(db, key)])
        self.ops.extend(other.ops)
        return self

    def keys(self):
        """[(db, key bytes)] in the order first written."""
        return list(self._keys)

    def dbs(self):
        """Sorted database ids the dataset writes to."""
        return sorted({db for db, _ in self._keys})

    def __repr__(self):
        return "<Dataset %s: %d keys, %d commands>" % (self.name, len(self._keys), len(self.ops))


def _b(x):
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    return str(x).encode()


def _chunks(items, n):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def _rand_bytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def _big_blob(rng, n):
    """n pseudo-random bytes, fast for megabytes (a random 4 KB block repeated with a varying prefix)."""
    block = _rand_bytes(rng, 4096)
    out = bytearray()
    i = 0
    while len(out) < n:
        out += i.to_bytes(4, "big") + block
        i += 1
    return bytes(out[:n])


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

def load(client, dataset, batch=200):
    """Run the dataset's commands on `client` (resp.RespClient or redis.Redis), pipelined; ends in DB 0.

    Raises RuntimeError naming the command if a server replies with an error.
    """
    if hasattr(client, "execute_command"):
        _load_redis_py(client, dataset, batch)
    else:
        _load_resp(client, dataset, batch)


def _with_selects(dataset):
    current = None
    for op in dataset.ops:
        if op.db != current:
            yield ("SELECT", op.db)
            current = op.db
        yield op.args
    yield ("SELECT", 0)


def _load_resp(client, dataset, batch):
    from resp import encode_command
    cmds = list(_with_selects(dataset))
    for group in _chunks(cmds, batch):
        client.send_raw(b"".join(encode_command(*c) for c in group))
        for c in group:
            reply = client.read_reply()
            if reply[:1] == b"-":
                raise RuntimeError("dataset command %r failed: %r" % (c[:3], reply))


def _load_redis_py(client, dataset, batch):
    # SELECT through a pool is unsafe; one dedicated connection runs everything in order.
    pool = client.connection_pool
    try:
        conn = pool.get_connection()  # redis-py >= 5.3
    except TypeError:
        conn = pool.get_connection("SELECT")
    try:
        for group in _chunks(list(_with_selects(dataset)), batch):
            conn.send_packed_command(conn.pack_commands(group))
            for c in group:
                conn.read_response()  # raises redis.ResponseError on an error reply
    finally:
        pool.release(conn)


# ---------------------------------------------------------------------------
# The datasets
# ---------------------------------------------------------------------------

def strings(seed=0):
    """Strings in every encoding: int, embstr, raw (long, binary, APPEND-grown), empty, 1 MB; a bitmap and HLLs."""
    rng = random.Random(seed)
    d = Dataset("strings")
    for key, value, enc in [
        ("str:int:small", "42", "int"),
        ("str:int:zero", "0", "int"),
        ("str:int:neg", "-17", "int"),
        ("str:int:big", "1234567890123", "int"),
        ("str:int:max", str(LLONG_MAX), "int"),
        ("str:int:min", str(LLONG_MIN), "int"),
        ("str:notint:leading-zero", "007", "embstr"),
        ("str:notint:plus", "+5", "embstr"),
        ("str:notint:overflow", str(LLONG_MAX + 1), "embstr"),
        ("str:float", "3.14159", "embstr"),
        ("str:empty", "", "embstr"),
        ("str:embstr", "hello world", "embstr"),
        ("str:embstr:44", "e" * 44, "embstr"),
        ("str:raw:45", "r" * 45, "raw"),
        ("str:binary:short", b"\x00\xff\r\n\x01", "embstr"),
        ("str:binary:all-bytes", bytes(range(256)), "raw"),
        ("str:random", _rand_bytes(rng, 300), "raw"),
        ("str:1mb", _big_blob(rng, 1 << 20), "raw"),
    ]:
        d.add(0, key, enc, ("SET", key, value))
    d.add(0, "str:appended", "raw", ("SET", "str:appended", "ab"), ("APPEND", "str:appended", "cd"))
    d.add(0, "str:incr", "int", ("SET", "str:incr", "10"), ("INCRBY", "str:incr", 5))
    d.add(0, "str:incrbyfloat", "embstr", ("INCRBYFLOAT", "str:incrbyfloat", "1.5"))
    d.add(0, "str:setrange", "raw", ("SETRANGE", "str:setrange", 3, "xyz"))
    d.add(0, "str:bitmap", "raw", *[("SETBIT", "str:bitmap", off, 1) for off in (0, 7, 100, 8191, 70000)])
    d.add(0, "str:hll:sparse", "raw", ("PFADD", "str:hll:sparse", *["e%d" % i for i in range(60)]))
    d.add(0, "str:hll:dense", "raw", *[("PFADD", "str:hll:dense", *["d%d" % i for i in range(j, j + 1000)])
                                      for j in range(0, 5000, 1000)])
    return d


def lists(seed=0):
    """Lists: one-node ones, many-node ones, elements over 8 KB, integers, binary and empty elements."""
    rng = random.Random(seed)
    d = Dataset("lists")
    d.add(0, "list:small", "quicklist", ("RPUSH", "list:small", "a", "1", "-5", "", b"\x00\xff", "hello"))
    d.add(0, "list:ints", "quicklist",
          ("RPUSH", "list:ints", 0, 127, 128, -4096, 4095, 32767, -32768, 8388607, 2147483647,
           LLONG_MAX, LLONG_MIN, "00", "1.0"))
    d.add(0, "list:lpush", "quicklist", ("LPUSH", "list:lpush", "x", "y", "z", 3, 2, 1))
    d.add(0, "list:single", "quicklist", ("RPUSH", "list:single", "only"))
    large = [_b("item:%d:%s" % (i, "v" * rng.randint(0, 40))) for i in range(3000)]
    d.add(0, "list:large", "quicklist", *[("RPUSH", "list:large") + tuple(c) for c in _chunks(large, 500)])
    big = [_big_blob(rng, 10000 + i) for i in range(5)]
    d.add(0, "list:big-elements", "quicklist",
          ("RPUSH", "list:big-elements", "head", big[0], "mid", big[1], big[2]),
          ("LPUSH", "list:big-elements", big[3], "small"), ("RPUSH", "list:big-elements", big[4], "tail"))
    mixed = [_rand_bytes(rng, rng.choice([1, 5, 60, 300, 5000])) for _ in range(60)]
    d.add(0, "list:mixed-sizes", "quicklist", ("RPUSH", "list:mixed-sizes") + tuple(mixed))
    return d


def sets(seed=0):
    """Sets: intset (small, 64-bit extremes, exactly 512 members) and hashtable (strings, 513 ints, large)."""
    rng = random.Random(seed)
    d = Dataset("sets")
    d.add(0, "set:intset", "intset", ("SADD", "set:intset", 3, 1, 2, -7, 100))
    d.add(0, "set:intset:extremes", "intset", ("SADD", "set:intset:extremes", LLONG_MAX, LLONG_MIN, 0, -1))
    d.add(0, "set:intset:512", "intset", ("SADD", "set:intset:512") + tuple(rng.sample(range(-10**6, 10**6), 512)))
    d.add(0, "set:hashtable:513-ints", "hashtable",
          ("SADD", "set:hashtable:513-ints") + tuple(rng.sample(range(-10**6, 10**6), 513)))
    d.add(0, "set:hashtable:strings", "hashtable", ("SADD", "set:hashtable:strings", "a", "b", "", b"\x00\x01"))
    d.add(0, "set:hashtable:mixed", "hashtable", ("SADD", "set:hashtable:mixed", 1, 2, "three", "007", "1.5"))
    d.add(0, "set:hashtable:large", "hashtable",
          ("SADD", "set:hashtable:large") + tuple(_b("m:%d:%d" % (i, rng.getrandbits(32))) for i in range(1000)))
    d.add(0, "set:converted", "hashtable", ("SADD", "set:converted", 1, 2, 3), ("SADD", "set:converted", "x"),
          ("SREM", "set:converted", "x"))
    return d


def hashes(seed=0):
    """Hashes: listpack (small, integer, empty and binary values) and hashtable (many fields, long value/field)."""
    rng = random.Random(seed)
    d = Dataset("hashes")
    d.add(0, "hash:listpack", "listpack", ("HSET", "hash:listpack", "f1", "v1", "f2", "v2", "n", 12345))
    d.add(0, "hash:listpack:odd", "listpack",
          ("HSET", "hash:listpack:odd", "", "empty-field", "empty-value", "", b"\x00\xff", b"\r\n",
           "neg", -9223372036854775808, "float", "2.5"))
    d.add(0, "hash:listpack:512", "listpack",
          ("HSET", "hash:listpack:512") + tuple(x for i in range(512) for x in ("f%d" % i, rng.getrandbits(20))))
    d.add(0, "hash:hashtable:many", "hashtable",
          ("HSET", "hash:hashtable:many") + tuple(x for i in range(600) for x in ("field:%d" % i, "value:%d" % i)))
    d.add(0, "hash:hashtable:long-value", "hashtable",
          ("HSET", "hash:hashtable:long-value", "a", "1", "long", "v" * 65))
    d.add(0, "hash:hashtable:long-field", "hashtable", ("HSET", "hash:hashtable:long-field", "f" * 65, "x"))
    d.add(0, "hash:hashtable:big-values", "hashtable",
          ("HSET", "hash:hashtable:big-values", "a", _big_blob(rng, 20000), "b", _rand_bytes(rng, 700)))
    return d


def zsets(seed=0):
    """Sorted sets: listpack (special, fractional, equal scores) and skiplist (many members, long member)."""
    rng = random.Random(seed)
    d = Dataset("zsets")
    d.add(0, "zset:listpack", "listpack",
          ("ZADD", "zset:listpack", "1", "one", "2", "two", "2", "two-bis", "-3.5", "neg", "0.1", "tenth",
           "inf", "plus-inf", "-inf", "minus-inf", "1e-320", "subnormal", "9007199254740993", "big",
           "0.3333333333333333", "third", "1.5e300", "huge"))
    d.add(0, "zset:listpack:int-members", "listpack", ("ZADD", "zset:listpack:int-members", 1, 10, 2, -20, 3, LLONG_MAX))
    d.add(0, "zset:listpack:neg-zero", "listpack", ("ZADD", "zset:listpack:neg-zero", "-0", "negzero", "0", "zero"))
    d.add(0, "zset:listpack:incr", "listpack", ("ZADD", "zset:listpack:incr", 1, "a"),
          ("ZINCRBY", "zset:listpack:incr", "0.1", "a"), ("ZINCRBY", "zset:listpack:incr", "0.2", "a"))
    members = []
    for i in range(200):
        score = rng.choice([rng.randint(-1000, 1000), rng.uniform(-1e6, 1e6), 7])
        members += [repr(float(score)), "member:%d" % i]
    d.add(0, "zset:skiplist:many", "skiplist", ("ZADD", "zset:skiplist:many") + tuple(members))
    d.add(0, "zset:skiplist:long-member", "skiplist",
          ("ZADD", "zset:skiplist:long-member", 1, "m" * 65, "-inf", "low", "inf", "high"))
    d.add(0, "zset:skiplist:equal-scores", "skiplist",
          ("ZADD", "zset:skiplist:equal-scores") + tuple(x for i in range(150) for x in ("5", "eq:%03d" % i)))
    return d


def streams(seed=0):
    """Streams: many nodes (more than 100 entries), entries with the master's fields and with other fields,
    integer, binary and empty values, XDEL tombstones, an emptied stream, XSETID metadata, consumer groups with
    pending entries (XCLAIM with fixed times) and a consumer without any."""
    rng = random.Random(seed)
    d = Dataset("streams")
    d.add(0, "stream:small", "stream", ("XADD", "stream:small", "1-1", "a", "1", "b", "two"),
          ("XADD", "stream:small", "1-2", "a", "-5", "b", b"\x00\xff"), ("XADD", "stream:small", "2-0", "c", ""),
          ("XADD", "stream:small", "3-7", "a", LLONG_MAX, "b", "x" * 70))
    big = [("XADD", "stream:many", "%d-%d" % (1000 + i // 3, i % 3), "f", i, "g", _rand_bytes(rng, rng.randint(0, 30)))
           for i in range(350)]
    big.append(("XDEL", "stream:many", "1000-0", "1005-1", "1100-2"))
    d.add(0, "stream:many", "stream", *big)
    d.add(0, "stream:emptied", "stream", ("XADD", "stream:emptied", "5-5", "f", "v"), ("XDEL", "stream:emptied", "5-5"))
    d.add(0, "stream:setid", "stream", ("XADD", "stream:setid", "1-1", "f", "v"),
          ("XSETID", "stream:setid", "9-9", "ENTRIESADDED", 20, "MAXDELETEDID", "4-4"))
    d.add(1, "stream:groups", "stream", ("XADD", "stream:groups", "1-1", "f", "v"),
          ("XADD", "stream:groups", "2-1", "f", "w"), ("XADD", "stream:groups", "3-1", "f", "x"),
          ("XGROUP", "CREATE", "stream:groups", "g1", "0"), ("XGROUP", "CREATE", "stream:groups", "g2", "2-1",
                                                             "ENTRIESREAD", 2),
          ("XCLAIM", "stream:groups", "g1", "alice", 0, "1-1", "TIME", 1700000000000, "RETRYCOUNT", 3, "FORCE",
           "JUSTID"),
          ("XCLAIM", "stream:groups", "g1", "bob", 0, "3-1", "TIME", 1700000000001, "FORCE", "JUSTID"),
          ("XGROUP", "CREATECONSUMER", "stream:groups", "g2", "idle"))
    return d


def ttls(seed=0):
    """Keys of every type with a TTL: far future with millisecond precision, and odd millisecond TTLs."""
    rng = random.Random(seed)
    d = Dataset("ttls")
    d.add(0, "ttl:string:far", "embstr", ("SET", "ttl:string:far", "v", "PXAT", FAR_FUTURE_MS))
    d.add(0, "ttl:string:ms", "int", ("PSETEX", "ttl:string:ms", 86400000 + rng.randint(1, 999), 5))
    d.add(0, "ttl:list", "quicklist", ("RPUSH", "ttl:list", "a", "b"), ("PEXPIREAT", "ttl:list", FAR_FUTURE_MS))
    d.add(0, "ttl:set", "intset", ("SADD", "ttl:set", 1, 2), ("EXPIRE", "ttl:set", 100000))
    d.add(0, "ttl:set:hashtable", "hashtable", ("SADD", "ttl:set:hashtable", "a"), ("PEXPIRE", "ttl:set:hashtable", 123456789))
    d.add(0, "ttl:hash", "listpack", ("HSET", "ttl:hash", "f", "v"), ("EXPIREAT", "ttl:hash", FAR_FUTURE_MS // 1000))
    d.add(0, "ttl:zset", "listpack", ("ZADD", "ttl:zset", 1, "a"), ("PEXPIREAT", "ttl:zset", FAR_FUTURE_MS + 1))
    d.add(0, "ttl:zset:skiplist", "skiplist",
          ("ZADD", "ttl:zset:skiplist", 1, "z" * 70), ("EXPIRE", "ttl:zset:skiplist", 50000))
    d.add(0, "ttl:stream", "stream", ("XADD", "ttl:stream", "1-1", "f", "v"), ("PEXPIREAT", "ttl:stream", FAR_FUTURE_MS))
    d.add(1, "ttl:db1", "embstr", ("SET", "ttl:db1", "x", "EX", 99999))
    return d


def multi_db(seed=0):
    """Keys in databases 0, 1 and 9, including one key name holding different values (and types) per db."""
    d = Dataset("multi_db")
    for db in (0, 1, 9):
        d.add(db, "db:shared-name", "embstr", ("SET", "db:shared-name", "in db %d" % db))
        d.add(db, "db:only-%d" % db, "listpack", ("HSET", "db:only-%d" % db, "db", db))
    d.add(1, "db:type-differs", "quicklist", ("RPUSH", "db:type-differs", "a"))
    d.add(9, "db:type-differs", "intset", ("SADD", "db:type-differs", 1))
    d.add(9, "db:zset", "listpack", ("ZADD", "db:zset", 1, "a", 2, "b"))
    return d


DATASETS = {
    "strings": strings,
    "lists": lists,
    "sets": sets,
    "hashes": hashes,
    "zsets": zsets,
    "streams": streams,
    "ttls": ttls,
    "multi_db": multi_db,
}


def everything(seed=0):
    """Every dataset above, together (key names do not collide)."""
    d = Dataset("everything")
    for build in DATASETS.values():
        d.extend(build(seed))
    return d


def random_dataset(seed, n):
    """`n` random keys (types, sizes and so encodings, TTLs, databases 0/1/9 all drawn from `seed`).

    Encodings are not asserted (None) except where the size decides them unambiguously.
    """
    rng = random.Random(seed)
    d = Dataset("random-%d-%d" % (seed, n))

    def member():
        kind = rng.random()
        if kind < 0.3:
            return rng.randint(-10**12, 10**12)
        if kind < 0.4:
            return _rand_bytes(rng, rng.randint(0, 20))
        return "m%d" % rng.getrandbits(24) + "x" * rng.choice([0, 0, 0, 10, 70])

    for i in range(n):
        db = rng.choice([0, 0, 0, 1, 9])
        key = "rnd:%d:%d" % (i, rng.getrandbits(16))
        size = rng.choice([1, 2, 5, 20, 100, 200, 600])
        t = rng.choice(["string", "list", "set", "hash", "zset"])
        if t == "string":
            v = rng.choice([rng.randint(LLONG_MIN, LLONG_MAX), _rand_bytes(rng, size), "s" * size])
            cmds = [("SET", key, v)]
        elif t == "list":
            cmds = [("RPUSH", key) + tuple(member() for _ in range(size))]
        elif t == "set":
            if rng.random() < 0.5:
                cmds = [("SADD", key) + tuple(rng.randint(-10**9, 10**9) for _ in range(size))]
            else:
                cmds = [("SADD", key) + tuple(member() for _ in range(size))]
        elif t == "hash":
            cmds = [("HSET", key) + tuple(x for j in range(size) for x in ("f%d" % j, member()))]
        else:
            scores = [rng.choice([rng.randint(-5, 5), rng.uniform(-1e9, 1e9), "inf", "-inf"]) for _ in range(size)]
            cmds = [("ZADD", key) + tuple(x for s in scores for x in (s, member()))]
        ttl = rng.random()
        if ttl < 0.2:
            cmds.append(("PEXPIRE", key, rng.randint(10**6, 10**9)))
        elif ttl < 0.3:
            cmds.append(("PEXPIREAT", key, FAR_FUTURE_MS + rng.randint(0, 10**6)))
        d.add(db, key, None, *cmds)
    return d
