"""maxmemory with the noeviction policy: writes that may grow memory are refused with Redis's OOM error once the
allocator's in-use bytes exceed the limit; reads and deletes still work. Compared with the reference server
where the behaviour is deterministic (both over a tiny limit)."""

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


def fill_until_oom(c, limit=2000):
    value = b"x" * 10000
    for i in range(limit):
        reply = c.call("SET", "fill:%d" % i, value)
        if reply != b"+OK\r\n":
            return i, reply
    return limit, None


def test_writes_are_refused_over_maxmemory_and_reads_still_work(server_factory):
    for kind in ("ours", "real"):
        srv = server_factory(kind)
        with srv.client() as c:
            assert c.call("SET", "before", "1") == b"+OK\r\n"
            used = int(c.call_decoded("INFO", "memory").split(b"used_memory:")[1].split(b"\r\n")[0])
            assert c.call("CONFIG", "SET", "maxmemory", str(used + 2 * 1024 * 1024)) == b"+OK\r\n"
            written, reply = fill_until_oom(c)
            assert reply == OOM, (kind, written, reply)
            assert written > 0, kind
            # Not denyoom: reads, deletes and commands that do not add data still run.
            assert c.call("GET", "before") == b"$1\r\n1\r\n", kind
            assert c.call("DEL", "fill:0") == b":1\r\n", kind
            assert c.call("INCR", "before").startswith(b"-OOM"), kind
            # Raising the limit lets writes through again.
            assert c.call("CONFIG", "SET", "maxmemory", "0") == b"+OK\r\n"
            assert c.call("SET", "after", "1") == b"+OK\r\n", kind


def test_oom_inside_multi_aborts_the_transaction(server_factory):
    for kind in ("ours", "real"):
        srv = server_factory(kind)
        with srv.client() as c:
            used = int(c.call_decoded("INFO", "memory").split(b"used_memory:")[1].split(b"\r\n")[0])
            assert c.call("CONFIG", "SET", "maxmemory", str(used + 1024 * 1024)) == b"+OK\r\n"
            fill_until_oom(c)
            assert c.call("MULTI") == b"+OK\r\n"
            assert c.call("SET", "k", "v") == OOM, kind
            assert c.call("EXEC").startswith(b"-EXECABORT"), kind
