#!/usr/bin/env python3
"""The rehash pause (not a test): the worst PING latency while the keyspace grows to N keys, ours vs redis-server.

  python3 bench/rehash_pause.py OURS_BIN REAL_BIN [--keys 10000000] [--chunk 1000] [--runs 1]

Each server starts fresh (--save '' --appendonly no) on a free loopback port. A loader connection grows the
keyspace with pipelined `DEBUG POPULATE <chunk> p<i>` commands (small chunks, so no single command is long:
what remains is the table's own pauses); a separate probe process sends PING on its own connection in a loop
and records each round trip. Printed per server: probes, p50/p99/p99.9/max PING latency in ms, the load time,
and used_memory per key. On a shared machine the max also holds scheduler noise; compare with redis-server's
max from the same run.
"""

import argparse
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_line(sock, buf):
    while b"\r\n" not in buf[0]:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        buf[0] += data
    line, buf[0] = buf[0].split(b"\r\n", 1)
    return line


def command(sock, buf, *args):
    sock.sendall(enc(*args))
    line = read_line(sock, buf)
    if line.startswith(b"$"):
        n = int(line[1:])
        while len(buf[0]) < n + 2:
            buf[0] += sock.recv(65536)
        data, buf[0] = buf[0][:n], buf[0][n + 2:]
        return data
    return line


def probe(port, stop, out):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ping = enc("PING")
    samples = []
    while not stop.is_set():
        t = time.perf_counter()
        sock.sendall(ping)
        data = b""
        while not data.endswith(b"\r\n"):
            data += sock.recv(64)
        samples.append(time.perf_counter() - t)
    sock.close()
    out.put(samples)


def wait_ready(port, proc):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(enc("PING"))
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def run(binary, keys, chunk):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--enable-debug-command", "yes"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        sock = socket.create_connection(("127.0.0.1", port))
        buf = [b""]
        base = int(dict(l.split(b":", 1) for l in command(sock, buf, "INFO", "memory").split(b"\r\n")
                        if b":" in l)[b"used_memory"])
        stop, out = mp.Event(), mp.Queue()
        p = mp.Process(target=probe, args=(port, stop, out))
        p.start()
        start = time.perf_counter()
        batches = keys // chunk
        window = 8
        sent = 0
        done = 0
        while done < batches:
            while sent < batches and sent - done < window:
                sock.sendall(enc("DEBUG", "POPULATE", chunk, "p%d" % sent))
                sent += 1
            line = read_line(sock, buf)
            if not line.startswith(b"+"):
                raise RuntimeError(line)
            done += 1
        load = time.perf_counter() - start
        stop.set()
        samples = out.get(timeout=120)
        p.join(timeout=60)
        info = command(sock, buf, "INFO", "memory")
        used = int(dict(l.split(b":", 1) for l in info.split(b"\r\n") if b":" in l)[b"used_memory"])
        dbsize = int(command(sock, buf, "DBSIZE")[1:])
        sock.close()
        samples.sort()
        pct = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000
        return {"probes": len(samples), "p50": pct(0.5), "p99": pct(0.99), "p999": pct(0.999),
                "max": samples[-1] * 1000, "load_s": load, "keys": dbsize,
                "bytes_per_key": (used - base) / max(1, dbsize)}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ours")
    ap.add_argument("real")
    ap.add_argument("--keys", type=int, default=10_000_000)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    print("Rehash pause: worst PING while growing to %d keys (DEBUG POPULATE %d per command)" % (a.keys, a.chunk))
    print("%-8s %8s %8s %8s %8s %9s %8s %10s" % ("server", "probes", "p50 ms", "p99 ms", "p99.9", "max ms",
                                                "load s", "bytes/key"))
    for _ in range(a.runs):
        for name, binary in (("ours", a.ours), ("redis", a.real)):
            r = run(binary, a.keys, a.chunk)
            print("%-8s %8d %8.3f %8.3f %8.3f %9.2f %8.1f %10.1f" % (name, r["probes"], r["p50"], r["p99"], r["p999"],
                                                                  r["max"], r["load_s"], r["bytes_per_key"]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
