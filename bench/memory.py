#!/usr/bin/env python3
"""Memory per key and per element, ours vs redis-server, for each type in each encoding (`make bench`; not a test).

  python3 bench/memory.py OURS_BIN REDIS_BIN [--scale 1.0] [--only strings,hash-listpack,...]

For every scenario both servers are started fresh (RSS never shrinks after a delete, so a delta needs a clean
process), the same commands are sent to each over one pipelined connection, and the script prints:
- RSS added (VmRSS of the server process after minus before loading, `/proc/PID/status`), per key or element;
- `used_memory` added per key or element (each server's own accounting: glibc's in-use bytes for ours,
  jemalloc's for Redis, so compare RSS first);
- the ratio ours/Redis of the RSS figure (lower is better; issue 18 asks ≤ 0.7 for small strings and ≤ 1.0 for
  every collection encoding);
- the `OBJECT ENCODING` of a sample key on both servers, which must be equal (a scenario whose encodings differ is
  flagged: it would compare different things).
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(300)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(1 << 20)
            if not data:
                raise ConnectionError("server closed the connection")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest
        if kind == b"-":
            raise RuntimeError(rest.decode(errors="replace"))
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        raise RuntimeError("unexpected reply %r" % line)

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return self.reply()

    def pipeline(self, commands, chunk=1000):
        for i in range(0, len(commands), chunk):
            part = commands[i:i + chunk]
            self.sock.sendall(b"".join(part))
            for _ in part:
                self.reply()


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def used_memory(conn):
    for line in conn.call("INFO", "memory").split(b"\r\n"):
        if line.startswith(b"used_memory:"):
            return int(line.split(b":")[1])
    raise RuntimeError("no used_memory")


# Each scenario: (name, elements it stores, a generator of encoded commands, a sample key, expected encoding).
def scenarios(scale):
    n_keys = int(1_000_000 * scale)
    n_small = int(100_000 * scale)
    n_big = max(1, int(1_000 * scale))

    def strings():
        for i in range(n_keys):
            yield encode("SET", "key:%d" % i, "value:%d" % i)

    def integers():
        for i in range(n_keys):
            yield encode("SET", "key:%d" % i, str(i * 7 + 100000))

    def small(cmd, member):
        def gen():
            for i in range(n_small):
                args = [cmd, "k:%d" % i]
                for j in range(10):
                    args += member(i, j)
                yield encode(*args)
        return gen

    def big(cmd, member):
        def gen():
            for i in range(n_big):
                for start in range(0, 1000, 100):
                    args = [cmd, "k:%d" % i]
                    for j in range(start, start + 100):
                        args += member(i, j)
                    yield encode(*args)
        return gen

    return [
        ("strings (embstr)", n_keys, strings, "key:1", b"embstr"),
        ("strings (int)", n_keys, integers, "key:1", b"int"),
        ("hash listpack, 10 fields", n_small * 10, small("HSET", lambda i, j: ["f%d" % j, "v%d" % (i + j)]),
         "k:1", b"listpack"),
        ("hash hashtable, 1000 fields", n_big * 1000, big("HSET", lambda i, j: ["field:%d" % j, "value:%d" % (i + j)]),
         "k:1", b"hashtable"),
        ("set intset, 10 ints", n_small * 10, small("SADD", lambda i, j: [str(i * 10 + j)]), "k:1", b"intset"),
        ("set hashtable, 10 strings", n_small * 10, small("SADD", lambda i, j: ["m:%d" % (i * 10 + j)]),
         "k:1", b"hashtable"),
        ("set hashtable, 1000 strings", n_big * 1000, big("SADD", lambda i, j: ["member:%d" % j]), "k:1", b"hashtable"),
        ("zset listpack, 10 members", n_small * 10, small("ZADD", lambda i, j: [str(j), "m:%d" % j]),
         "k:1", b"listpack"),
        ("zset skiplist, 1000 members", n_big * 1000, big("ZADD", lambda i, j: [str(j * 3 + i), "member:%d" % j]),
         "k:1", b"skiplist"),
        ("list quicklist, 10 items", n_small * 10, small("RPUSH", lambda i, j: ["item:%d" % j]), "k:1", b"quicklist"),
        ("list quicklist, 1000 items", n_big * 1000, big("RPUSH", lambda i, j: ["item:%d" % j]), "k:1", b"quicklist"),
    ]


class Server:
    def __init__(self, binary):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="memory-bench-")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--save", "", "--appendonly", "no",
                                      "--dir", self.dir, "--bind", "127.0.0.1"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                self.conn = Conn(self.port)
                self.conn.call("PING")
                return
            except (OSError, RuntimeError, ConnectionError):
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("%s did not start" % binary)
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        subprocess.run(["rm", "-rf", self.dir])


def measure(binary, scenario):
    _, elements, gen, sample, _ = scenario
    server = Server(binary)
    try:
        time.sleep(0.2)
        rss0, used0 = rss_bytes(server.proc.pid), used_memory(server.conn)
        batch = []
        for command in gen():
            batch.append(command)
            if len(batch) == 10_000:
                server.conn.pipeline(batch)
                batch = []
        server.conn.pipeline(batch)
        encoding = server.conn.call("OBJECT", "ENCODING", sample)
        rss1, used1 = rss_bytes(server.proc.pid), used_memory(server.conn)
        return (rss1 - rss0) / elements, (used1 - used0) / elements, encoding
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ours")
    ap.add_argument("redis")
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every key and element count")
    ap.add_argument("--only", default="", help="comma-separated prefixes of scenario names")
    args = ap.parse_args()
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    print("%-30s %12s %12s %7s %12s %12s  %s" % ("scenario (bytes per element)", "ours RSS", "redis RSS", "ratio",
                                                 "ours used", "redis used", "encoding"))
    for scenario in scenarios(args.scale):
        name, _, _, _, expected = scenario
        if only and not any(name.startswith(p) for p in only):
            continue
        o_rss, o_used, o_enc = measure(args.ours, scenario)
        r_rss, r_used, r_enc = measure(args.redis, scenario)
        ratio = "%.2f" % (o_rss / r_rss) if r_rss > 0 else "n/a"
        enc = o_enc.decode() if o_enc == r_enc == expected else "DIFFERS ours=%r redis=%r" % (o_enc, r_enc)
        print("%-30s %12.1f %12.1f %7s %12.1f %12.1f  %s" % (name, o_rss, r_rss, ratio, o_used, r_used, enc))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
