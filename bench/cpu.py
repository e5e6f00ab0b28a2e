#!/usr/bin/env python3
"""CPU time per request, ours vs redis-server, for `make bench` (not a test).

Throughput on a shared 2-core machine swings by tens of percent from run to run; the CPU time the server itself
spends per request does not. For each row this runs redis-benchmark against both servers and reads each server's
CPU time — the sum over all its threads of /proc/PID/task/TID/schedstat's on-CPU nanoseconds — before and after.

The two servers are interleaved finely: a pair is `--chunks` alternating runs per server (n/chunks requests
each, the order alternating from chunk to chunk), so both see the same machine. Whole-run pairs (one run of n
per server) spread by 9-15% (sd of a pair's efficiency) at -P 1 because the machine's speed drifts over seconds
(neighbours on the host); pairs of 10 alternating chunks spread by 1.5-3% on the same rows.

It prints, per row, the median over pairs of each server's requests per second and CPU microseconds per request,
the median of the pairs' efficiencies (redis CPU / ours: above 1.0 we spend less CPU than redis-server per
request) with their range, and the geometric mean of the efficiencies.

    python3 bench/cpu.py OURS_BIN REAL_BIN [--pairs 3] [--pairs-p1 N] [--chunks 10] [--n-p1 200000]
                         [--n-p16 1000000] [--clients 50] [--pipelines "1 16"] [--rows set,get,...]
"""

import argparse
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# Row name -> (setup redis-benchmark arguments or None, measured redis-benchmark arguments). The setup runs on a
# flushed server before each measured run and is not counted; pops get something to pop.
ROWS = {
    "ping_inline": (None, ["-t", "ping_inline"]),
    "ping_mbulk": (None, ["-t", "ping_mbulk"]),
    "set": (None, ["-t", "set"]),
    "get": (["-t", "set"], ["-t", "get"]),
    "incr": (None, ["-t", "incr"]),
    "lpush": (None, ["-t", "lpush"]),
    "rpush": (None, ["-t", "rpush"]),
    "lpop": (["-t", "lpush"], ["-t", "lpop"]),
    "rpop": (["-t", "rpush"], ["-t", "rpop"]),
    "sadd": (None, ["-r", "100000", "-t", "sadd"]),
    "hset": (None, ["-r", "100000", "-t", "hset"]),
    "spop": (["-r", "100000", "-t", "sadd"], ["-t", "spop"]),
    "zadd": (None, ["-r", "100000", "-t", "zadd"]),
    "zpopmin": (["-r", "100000", "-t", "zadd"], ["-t", "zpopmin"]),
    "lrange_100": (["-t", "lpush"], ["-t", "lrange_100"]),
    "mset": (None, ["-t", "mset"]),
    "xadd": (None, ["XADD", "bench:s", "*", "field", "value"]),
    "xrange_100": (["XADD", "bench:s", "*", "field", "value"], ["XRANGE", "bench:s", "-", "+", "COUNT", "100"]),
    "pfadd": (None, ["-r", "1000000", "PFADD", "bench:hll", "element:__rand_int__"]),
    # Filled in at run time: they need the script's SHA1 from SCRIPT LOAD (see SCRIPTS).
    "evalsha": (None, None),
    "evalsha10": (None, None),
}
# Rows not in the default set (`--rows` names them): many small collections, each in its compact encoding
# (listpack hashes and sorted sets, intsets), so every command works on a packed value at rest (issue 18).
EXTRA_ROWS = {
    "hset_small": (None, ["-r", "10000", "HSET", "h:__rand_int__", "f:__rand_int__", "v"]),
    "hget_small": (["-r", "10000", "HSET", "h:__rand_int__", "f:__rand_int__", "v"],
                   ["-r", "10000", "HGET", "h:__rand_int__", "f:__rand_int__"]),
    "sadd_small": (None, ["-r", "10000", "SADD", "s:__rand_int__", "__rand_int__"]),
    "sismember_small": (["-r", "10000", "SADD", "s:__rand_int__", "__rand_int__"],
                        ["-r", "10000", "SISMEMBER", "s:__rand_int__", "__rand_int__"]),
    "zadd_small": (None, ["-r", "10000", "ZADD", "z:__rand_int__", "__rand_int__", "m:__rand_int__"]),
}
ROW_TABLE = dict(ROWS, **EXTRA_ROWS)

# EVALSHA rows -> script body: one INCR, and ten redis.calls in a loop.
SCRIPTS = {
    "evalsha": "return redis.call('INCR', KEYS[1])",
    "evalsha10": "local n = 0 for i = 1, 10 do n = redis.call('INCR', KEYS[1]) end return n",
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server(object):
    """A server process with persistence off, on a free loopback port."""

    def __init__(self, name, binary):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="bench-cpu-%s-" % name)
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], cwd=self.dir, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.cli("PING") == "PONG":
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("%s (%s) did not start" % (name, binary))

    def cli(self, *args):
        try:
            return subprocess.run(["redis-cli", "-p", str(self.port)] + [str(a) for a in args],
                                  capture_output=True, text=True, timeout=30).stdout.strip()
        except subprocess.TimeoutExpired:
            return ""

    def cpu_ns(self):
        """On-CPU nanoseconds of every thread of the process so far (threads that exited are not counted, which
        is why the figure is read around runs in which no thread of the server exits)."""
        total = 0
        task_dir = "/proc/%d/task" % self.proc.pid
        for tid in os.listdir(task_dir):
            try:
                with open(os.path.join(task_dir, tid, "schedstat")) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return total

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def benchmark(port, args, n, pipeline, clients):
    """redis-benchmark's requests per second, or None."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-q", "-c", str(clients), "-n", str(n),
           "-P", str(pipeline)] + args
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600).stdout
    except subprocess.TimeoutExpired:
        return None
    for line in reversed(out.replace("\r", "\n").splitlines()):
        m = re.search(r"([0-9.]+) requests per second", line)
        if m:
            return float(m.group(1))
    return None


def measure_pair(servers, sha, row, setup, args, n, pipeline, clients, chunks, first):
    """One pair: both servers flushed (and set up: pops get something to pop, uncounted), then `chunks` alternating
    runs of n/chunks requests on each, `first` starting. Returns {name: (rps, CPU µs per request)}, or None."""
    for server in servers:
        server.cli("FLUSHALL")
        if setup:
            benchmark(server.port, setup, n, 16, clients)
    per = max(1, n // chunks)
    cpu = {s.name: 0 for s in servers}
    seconds = {s.name: 0.0 for s in servers}
    for i in range(chunks):
        order = servers if (i + first) % 2 == 0 else servers[::-1]
        for server in order:
            row_args = args if args else ["EVALSHA", sha[(server.name, row)], "1", "bench:counter"]
            before = server.cpu_ns()
            rps = benchmark(server.port, row_args, per, pipeline, clients)
            after = server.cpu_ns()
            if not rps:
                return None
            cpu[server.name] += after - before
            seconds[server.name] += per / rps
    total = per * chunks
    return {name: (total / seconds[name], cpu[name] / 1000.0 / total) for name in cpu}


def fmt(x, digits=2):
    return "n/a" if x is None else "%.*f" % (digits, x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ours")
    ap.add_argument("real")
    # At -P 1 both servers spend ~85% of their CPU in the kernel's TCP path (the same syscalls and segments per
    # request), so the rows' true margins are small: a pair must see both servers on the same machine (chunks).
    ap.add_argument("--pairs", type=int, default=int(os.environ.get("BENCH_CPU_PAIRS", "3")),
                    help="pairs per row (-P 1 rows: unless --pairs-p1 is given)")
    ap.add_argument("--pairs-p1", type=int, default=int(os.environ.get("BENCH_CPU_PAIRS_P1", "0")) or None,
                    help="pairs per -P 1 row (default: --pairs)")
    ap.add_argument("--chunks", type=int, default=int(os.environ.get("BENCH_CPU_CHUNKS", "10")),
                    help="alternating runs per server in a pair")
    ap.add_argument("--n-p1", type=int, default=int(os.environ.get("BENCH_N_P1", "200000")))
    ap.add_argument("--n-p16", type=int, default=int(os.environ.get("BENCH_N_P16", "1000000")))
    ap.add_argument("--clients", type=int, default=int(os.environ.get("BENCH_CLIENTS", "50")))
    ap.add_argument("--pipelines", default=os.environ.get("BENCH_PIPELINES", "1 16"))
    ap.add_argument("--rows", default=os.environ.get("BENCH_CPU_ROWS", ",".join(ROWS)))
    opts = ap.parse_args()
    if opts.pairs_p1 is None:
        opts.pairs_p1 = opts.pairs

    ours = Server("ours", os.path.abspath(opts.ours) if os.sep in opts.ours else opts.ours)
    try:
        real = Server("redis", opts.real)
    except RuntimeError:
        ours.stop()
        raise
    try:
        sha = {(s.name, row): s.cli("SCRIPT", "LOAD", body) for s in (ours, real) for row, body in SCRIPTS.items()}
        print("CPU per request (sum of the server's threads' on-CPU time / requests), median of %d (-P 1) and %d "
              "(-P 16) pairs of %d alternating runs per server; clients=%d n(P1)=%d n(P16)=%d"
              % (opts.pairs_p1, opts.pairs, opts.chunks, opts.clients, opts.n_p1, opts.n_p16))
        print("%-12s %3s %12s %12s %6s %10s %10s %6s  %s" % ("row", "P", "ours(rps)", "redis(rps)", "ratio",
                                                           "ours(us)", "redis(us)", "eff", "eff range"))
        efficiencies = []
        ratios = []
        for row in [r.strip() for r in opts.rows.split(",") if r.strip()]:
            if row not in ROW_TABLE:
                print("%-12s unknown row" % row)
                continue
            setup, args = ROW_TABLE[row]
            for pipeline in [int(p) for p in opts.pipelines.split()]:
                n = opts.n_p1 if pipeline == 1 else opts.n_p16
                pairs = []
                for i in range(opts.pairs_p1 if pipeline == 1 else opts.pairs):
                    r = measure_pair((ours, real), sha, row, setup, args, n, pipeline, opts.clients, opts.chunks, i)
                    if r and r["ours"][1] > 0 and r["redis"][0] > 0:
                        pairs.append(r)
                if not pairs:
                    print("%-12s %3d failed" % (row, pipeline))
                    continue
                o = [statistics.median(p["ours"][k] for p in pairs) for k in (0, 1)]
                r = [statistics.median(p["redis"][k] for p in pairs) for k in (0, 1)]
                ratio = statistics.median(p["ours"][0] / p["redis"][0] for p in pairs)
                effs = [p["redis"][1] / p["ours"][1] for p in pairs]
                eff = statistics.median(effs)
                efficiencies.append(eff)
                ratios.append(ratio)
                print("%-12s %3d %12s %12s %6s %10s %10s %6s  %s-%s" % (
                    row, pipeline, fmt(o[0], 0), fmt(r[0], 0), fmt(ratio), fmt(o[1], 3), fmt(r[1], 3), fmt(eff),
                    fmt(min(effs)), fmt(max(effs))))
                sys.stdout.flush()
        if efficiencies:
            geo = math.exp(sum(math.log(e) for e in efficiencies) / len(efficiencies))
            print("geometric mean of efficiency (redis CPU / ours) over %d rows: %.2f" % (len(efficiencies), geo))
            geo_rps = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            print("geometric mean of the throughput ratio (ours rps / redis rps) over %d rows: %.2f"
                  % (len(ratios), geo_rps))
    finally:
        ours.stop()
        real.stop()


if __name__ == "__main__":
    main()
