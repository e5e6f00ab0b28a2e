#!/usr/bin/env python3
"""Persistence probes for `make bench` (not a test): ours vs the reference redis-server, same machine, same run.

  python3 bench/persistence.py OURS_BIN REAL_BIN [--keys N] [--pause-keys N] [--zset N]

Prints, for each server:
- SAVE: seconds and file size for N keys (DEBUG POPULATE, default 1,000,000), and for one sorted set of N members;
- load: seconds from start until the server answers PING with `loading:0`, for each of those files;
- snapshot pause: worst PING latency seen by a client pinging in a loop while BGSAVE (and BGREWRITEAOF) of
  --pause-keys keys (default 5,000,000) runs, with the time the snapshot took. Redis forks: its pause is the
  fork (page-table copy, ~10 ms/GB); ours has no fork and serialises in slices under the data lock.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.buf = b""

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(1 << 16)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        if line[:1] == b"$":
            n = int(line[1:])
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 16)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if line[:1] == b"*":
            return [self.reply() for _ in range(int(line[1:]))]
        return line

    def call(self, *args):
        self.send(*args)
        return self.reply()

    def info(self, section):
        text = self.call("INFO", section).decode()
        return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)


class Server:
    def __init__(self, binary, name):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="bench-persist-%s-" % name)
        self.proc = None
        self.port = None

    def start(self, *extra):
        self.port = free_port()
        log = open(os.path.join(self.dir, "server.log"), "ab")
        started = time.monotonic()
        self.proc = subprocess.Popen([self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--enable-debug-command", "yes", "--dir", self.dir]
                                     + list(extra), stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        while True:
            try:
                c = Conn(self.port)
                if c.info("persistence").get("loading") == "0":
                    return time.monotonic() - started, c
            except (OSError, ConnectionError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("server exited")
            time.sleep(0.01)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def save_and_load(binary, name, fill):
    srv = Server(binary, name)
    try:
        _, c = srv.start()
        fill(c)
        t = time.monotonic()
        assert c.call("SAVE") == b"+OK", "SAVE failed"
        save_s = time.monotonic() - t
        size = os.path.getsize(os.path.join(srv.dir, "dump.rdb"))
        srv.stop()
        load_s, c = srv.start()
        return save_s, size, load_s
    finally:
        srv.cleanup()


def populate(n):
    return lambda c: c.call("DEBUG", "POPULATE", n)


def zset(n):
    def fill(c):
        batch = 1000
        for start in range(0, n, batch):
            args = ["ZADD", "z"]
            for i in range(start, min(n, start + batch)):
                args += [str(i * 1.5), "member:%d" % i]
            c.send(*args)
        for _ in range(0, n, batch):
            c.reply()
    return fill


def pause(binary, name, keys, command):
    srv = Server(binary, name)
    try:
        _, c = srv.start()
        c.call("DEBUG", "POPULATE", keys)
        probe = Conn(srv.port)
        t0 = time.monotonic()
        reply = c.call(command)
        if reply.startswith(b"-"):
            return None
        worst = 0.0
        n = 0
        flag = "rdb_bgsave_in_progress" if command == "BGSAVE" else "aof_rewrite_in_progress"
        while True:
            s = time.perf_counter()
            probe.call("PING")
            worst = max(worst, time.perf_counter() - s)
            n += 1
            if n % 50 == 0 and c.info("persistence").get(flag) == "0":
                break
        return worst * 1000, time.monotonic() - t0
    finally:
        srv.cleanup()


def main():
    ours, real = os.path.abspath(sys.argv[1]), shutil.which(sys.argv[2]) or os.path.abspath(sys.argv[2])
    opts = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    keys = int(opts.get("--keys", 1_000_000))
    zmembers = int(opts.get("--zset", 1_000_000))
    pause_keys = int(opts.get("--pause-keys", 5_000_000))

    print("%-34s %12s %12s %7s" % ("persistence", "ours", "redis", "ratio"))

    def row(label, o, r, fmt="%.3f"):
        ratio = "%.2f" % (o / r) if (o is not None and r) else "n/a"
        print("%-34s %12s %12s %7s" % (label, fmt % o if o is not None else "n/a", fmt % r if r is not None else "n/a", ratio))

    for label, fill in (("%d keys" % keys, populate(keys)), ("zset of %d members" % zmembers, zset(zmembers))):
        o = save_and_load(ours, "ours", fill)
        r = save_and_load(real, "real", fill)
        row("SAVE seconds, " + label, o[0], r[0])
        row("file bytes, " + label, o[1], r[1], "%d")
        row("load seconds, " + label, o[2], r[2])
    for command in ("BGSAVE", "BGREWRITEAOF"):
        o = pause(ours, "ours", pause_keys, command)
        r = pause(real, "real", pause_keys, command)
        row("worst PING ms during %s, %dM keys" % (command, pause_keys // 1_000_000), o and o[0], r and r[0], "%.2f")
        row("%s seconds" % command, o and o[1], r and r[1], "%.2f")


if __name__ == "__main__":
    main()
