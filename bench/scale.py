#!/usr/bin/env python3
"""Scale and memory probes for `make bench` (not a test): run against one server, print one JSON line.

  python3 bench/scale.py PORT zset|hash [MEMBERS] [QUERIES]

- zset: ZADD of MEMBERS (default 1,000,000) members to one sorted set, pipelined 1,000 members per command;
  QUERIES (default 100,000) ZRANK calls and as many ZRANGE-by-rank calls (ZRANGE key r r), pipelined; the RSS
  the sorted set added.
- hash: HSET of MEMBERS fields into one hash, and the RSS it added.
- stream: XADD of MEMBERS entries (`*`, one field of 8 bytes) to one stream, and the RSS it added.
- geo: GEOADD of MEMBERS random points (1,000 per command) to one geo set, and the RSS it added.
Run each mode against a freshly started server: RSS never shrinks after a delete, so deltas need a clean start.
Times are wall-clock seconds for the client to send everything and read every reply over one connection.
"""

import json
import random
import socket
import sys
import time


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(120)

    def run(self, commands, lines_per_reply):
        """Send encoded commands in chunks and read until every reply's lines arrived."""
        expected = len(commands) * lines_per_reply
        seen = 0
        chunk = 200
        for i in range(0, len(commands), chunk):
            self.sock.sendall(b"".join(commands[i:i + chunk]))
            # Read what is available so the server's output never stalls the pipeline for long.
            while seen < min(expected, (i + chunk) * lines_per_reply) - 50 * lines_per_reply * 10:
                seen += self.sock.recv(1 << 20).count(b"\r\n")
        while seen < expected:
            seen += self.sock.recv(1 << 20).count(b"\r\n")

    def info_rss(self):
        self.sock.sendall(encode("INFO", "memory"))
        data = b""
        while not data.endswith(b"\r\n") or data.count(b"\r\n") < 2:
            data += self.sock.recv(1 << 16)
        for line in data.split(b"\r\n"):
            if line.startswith(b"used_memory_rss:"):
                return int(line.split(b":")[1])
        return 0


def main():
    port = int(sys.argv[1])
    mode = sys.argv[2]
    members = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    queries = int(sys.argv[4]) if len(sys.argv) > 4 else 100_000
    rnd = random.Random(42)
    c = Conn(port)
    rss0 = c.info_rss()
    batch = 1000
    if mode == "hash":
        hsets = []
        for start in range(0, members, batch):
            args = ["HSET", "bigh"]
            for m in range(start, min(members, start + batch)):
                args += ["field:%d" % m, "v:%d" % m]
            hsets.append(encode(*args))
        t0 = time.time()
        c.run(hsets, 1)
        print(json.dumps({"hset_s": round(time.time() - t0, 3), "hash_rss_mb": round((c.info_rss() - rss0) / 1e6, 1)}))
        return

    if mode == "stream":
        xadds = [encode("XADD", "bigs", "*", "f", "v:%06d" % (m % 1000000)) for m in range(members)]
        t0 = time.time()
        c.run(xadds, 2)
        print(json.dumps({"xadd_s": round(time.time() - t0, 3), "stream_rss_mb": round((c.info_rss() - rss0) / 1e6, 1)}))
        return
    if mode == "geo":
        geoadds = []
        for start in range(0, members, batch):
            args = ["GEOADD", "bigg"]
            for m in range(start, min(members, start + batch)):
                args += ["%.6f" % (rnd.random() * 360 - 180), "%.6f" % (rnd.random() * 170 - 85), "member:%d" % m]
            geoadds.append(encode(*args))
        t0 = time.time()
        c.run(geoadds, 1)
        print(json.dumps({"geoadd_s": round(time.time() - t0, 3), "geo_rss_mb": round((c.info_rss() - rss0) / 1e6, 1)}))
        return

    zadds = []
    for start in range(0, members, batch):
        args = ["ZADD", "bigz"]
        for m in range(start, min(members, start + batch)):
            args += [rnd.random() * 1e6, "member:%d" % m]
        zadds.append(encode(*args))
    t0 = time.time()
    c.run(zadds, 1)
    zadd_s = time.time() - t0
    rss_z = c.info_rss()

    ranks = [encode("ZRANK", "bigz", "member:%d" % rnd.randrange(members)) for _ in range(queries)]
    t0 = time.time()
    c.run(ranks, 1)
    zrank_s = time.time() - t0

    ranges = []
    for _ in range(queries):
        r = rnd.randrange(members)
        ranges.append(encode("ZRANGE", "bigz", r, r))
    t0 = time.time()
    c.run(ranges, 3)
    zrange_s = time.time() - t0
    print(json.dumps({"zadd_s": round(zadd_s, 3), "zrank_s": round(zrank_s, 3),
                      "zrange_by_rank_s": round(zrange_s, 3), "zset_rss_mb": round((rss_z - rss0) / 1e6, 1)}))


if __name__ == "__main__":
    main()
