#!/usr/bin/env python3
"""The rehash pause (not a test): the worst PING latency while the keyspace grows to N keys, ours vs redis-server.

  python3 bench/rehash_pause.py OURS_BIN REAL_BIN [--keys 10000000] [--chunk 1000] [--runs 1] [--shrink]
                                                  [--stall-ms 5] [--only ours|redis]

Each server starts fresh (--save '' --appendonly no) on a free loopback port. A loader connection grows the
keyspace with pipelined `DEBUG POPULATE <chunk> p<i>` commands (small chunks, so no single command is long:
what remains is the table's own pauses); a separate probe process sends PING on its own connection in a loop
and records each round trip. Printed per server: probes, p50/p99/p99.9/max PING latency in ms, the load time,
and used_memory per key. On a shared machine the max also holds scheduler noise; compare with redis-server's
max from the same run.

--shrink then deletes 15/16 of the keys (pipelined `DEL` of <chunk> keys per command) with a new probe running, and
prints that phase as a second row ("shrink"): the table shrinks in steps and frees its large arrays.
--stall-ms N runs ours with REDIS_SWIFT_STALL_MS=N (docs/RELIABILITY.md, "Pauses") and prints the server's stall
log lines after its rows: what held the data lock or an I/O loop for more than N ms.
"""

import argparse
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
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


def pipeline(sock, buf, commands, window=8):
    """Sends `commands` (encoded) with up to `window` in flight; every reply must be a status or an integer."""
    sent = done = 0
    while done < len(commands):
        while sent < len(commands) and sent - done < window:
            sock.sendall(commands[sent])
            sent += 1
        line = read_line(sock, buf)
        if not line[:1] in (b"+", b":"):
            raise RuntimeError(line)
        done += 1


def probed(port, body):
    """Runs `body()` with a PING probe on its own connection; returns the sorted round trips and body's seconds."""
    stop, out = mp.Event(), mp.Queue()
    p = mp.Process(target=probe, args=(port, stop, out))
    p.start()
    start = time.perf_counter()
    body()
    elapsed = time.perf_counter() - start
    stop.set()
    samples = out.get(timeout=120)
    p.join(timeout=60)
    samples.sort()
    return samples, elapsed


def summary(samples, seconds):
    pct = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000
    return {"probes": len(samples), "p50": pct(0.5), "p99": pct(0.99), "p999": pct(0.999),
            "max": samples[-1] * 1000, "load_s": seconds}


def used_memory(sock, buf):
    info = command(sock, buf, "INFO", "memory")
    return int(dict(l.split(b":", 1) for l in info.split(b"\r\n") if b":" in l)[b"used_memory"])


def run(binary, keys, chunk, shrink=False, stall_ms=0, log=None):
    port = free_port()
    env = dict(os.environ)
    if stall_ms:
        env["REDIS_SWIFT_STALL_MS"] = str(stall_ms)
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--enable-debug-command", "yes"],
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env)
    try:
        wait_ready(port, proc)
        sock = socket.create_connection(("127.0.0.1", port))
        buf = [b""]
        base = used_memory(sock, buf)
        batches = keys // chunk
        grow = [enc("DEBUG", "POPULATE", chunk, "p%d" % i) for i in range(batches)]
        samples, seconds = probed(port, lambda: pipeline(sock, buf, grow))
        rows = [("grow", summary(samples, seconds))]
        dbsize = int(command(sock, buf, "DBSIZE")[1:])
        rows[0][1].update(keys=dbsize, bytes_per_key=(used_memory(sock, buf) - base) / max(1, dbsize))
        if shrink:
            dels = [enc("DEL", *["p%d:%d" % (i, j) for j in range(chunk)]) for i in range(batches - batches // 16)]
            samples, seconds = probed(port, lambda: pipeline(sock, buf, dels))
            left = int(command(sock, buf, "DBSIZE")[1:])
            r = summary(samples, seconds)
            r.update(keys=left, bytes_per_key=(used_memory(sock, buf) - base) / max(1, left))
            rows.append(("shrink", r))
        sock.close()
        return rows
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
    ap.add_argument("--shrink", action="store_true")
    ap.add_argument("--stall-ms", type=float, default=0)
    ap.add_argument("--only", choices=("ours", "redis"))
    a = ap.parse_args()
    print("Rehash pause: worst PING while growing to %d keys (DEBUG POPULATE %d per command)%s"
          % (a.keys, a.chunk, ", then deleting 15/16 of them (DEL of %d keys per command)" % a.chunk if a.shrink else ""))
    print("%-8s %-6s %8s %8s %8s %8s %9s %8s %10s" % ("server", "phase", "probes", "p50 ms", "p99 ms", "p99.9",
                                                     "max ms", "load s", "bytes/key"))
    servers = [s for s in (("ours", a.ours), ("redis", a.real)) if a.only in (None, s[0])]
    for _ in range(a.runs):
        for name, binary in servers:
            with tempfile.TemporaryFile() as log:
                rows = run(binary, a.keys, a.chunk, a.shrink, a.stall_ms if name == "ours" else 0, log)
                for phase, r in rows:
                    print("%-8s %-6s %8d %8.3f %8.3f %8.3f %9.2f %8.1f %10.1f"
                          % (name, phase if phase == "shrink" else "grow", r["probes"], r["p50"], r["p99"], r["p999"],
                             r["max"], r["load_s"], r["bytes_per_key"]))
                if name == "ours" and a.stall_ms:
                    log.seek(0)
                    for line in log.read().decode(errors="replace").splitlines():
                        if "Stall:" in line:
                            print("    " + line)
                sys.stdout.flush()


if __name__ == "__main__":
    main()
