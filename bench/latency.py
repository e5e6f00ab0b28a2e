#!/usr/bin/env python3
"""Latency under load, ours vs redis-server, for `make bench` (not a test; issue 17).

For GET and SET at 50 and 500 connections (`-P 1`), runs redis-benchmark against both servers, interleaved (the
order alternates between pairs), and reads redis-benchmark's own latency histogram: p50, p99 and max from its
summary, p99.9 from its percentile distribution (the first bucket at or above 99.9%). Prints, per row, the median
of each figure over the pairs and ours/redis for p99 and p99.9 (below 1.0 our tail is shorter).

    python3 bench/latency.py OURS_BIN REAL_BIN [--pairs 3] [--n 200000] [--clients "50 500"] [--tests get,set]
"""

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu import Server  # noqa: E402  (same directory: a server on a free port with persistence off)


def run(port, test, clients, n):
    """{'p50','p99','p999','max'} in milliseconds for one redis-benchmark run, or None."""
    cmd = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", test, "-c", str(clients), "-n", str(n),
           "-r", "100000"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=900).stdout.replace("\r", "\n")
    except subprocess.TimeoutExpired:
        return None
    figures = {}
    for line in out.splitlines():
        m = re.match(r"\s*([0-9.]+)% <= ([0-9.]+) milliseconds", line)
        if m and "p999" not in figures and float(m.group(1)) >= 99.9:
            figures["p999"] = float(m.group(2))
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if "latency summary" in line and i + 2 < len(lines):
            header, values = lines[i + 1].split(), lines[i + 2].split()
            summary = dict(zip(header, (float(v) for v in values)))
            figures.update(p50=summary["p50"], p99=summary["p99"], max=summary["max"])
    return figures if {"p50", "p99", "p999", "max"} <= figures.keys() else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ours")
    ap.add_argument("real")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--clients", default="50 500")
    ap.add_argument("--tests", default="get,set")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))  # 500 clients + two servers

    binaries = [b if "/" not in b else os.path.abspath(b) for b in (args.ours, args.real)]
    servers = [Server("ours", binaries[0]), Server("redis", binaries[1])]
    try:
        print("Latency under load (redis-benchmark's histogram, -P 1, n=%d), median of %d interleaved pairs; "
              "milliseconds" % (args.n, args.pairs))
        print("%-5s %5s | %7s %7s %7s %7s | %7s %7s %7s %7s | %6s %6s" % (
            "test", "conns", "p50", "p99", "p99.9", "max", "p50", "p99", "p99.9", "max", "p99", "p99.9"))
        print("%-5s %5s | %-31s | %-31s | %-13s" % ("", "", "ours", "redis-server", "ours/redis"))
        for test in args.tests.split(","):
            for clients in (int(c) for c in args.clients.split()):
                results = {"ours": [], "redis": []}
                for pair in range(args.pairs):
                    order = servers if pair % 2 == 0 else list(reversed(servers))
                    for server in order:
                        server.cli("FLUSHALL")
                        if test == "get":
                            run(server.port, "set", 50, args.n)
                        figures = run(server.port, test, clients, args.n)
                        if figures:
                            results[server.name].append(figures)
                if not results["ours"] or not results["redis"]:
                    print("%-5s %5d   (a run failed)" % (test, clients))
                    continue
                med = {name: {k: statistics.median(f[k] for f in runs) for k in ("p50", "p99", "p999", "max")}
                       for name, runs in results.items()}
                o, r = med["ours"], med["redis"]
                print("%-5s %5d | %7.3f %7.3f %7.3f %7.3f | %7.3f %7.3f %7.3f %7.3f | %6.2f %6.2f" % (
                    test, clients, o["p50"], o["p99"], o["p999"], o["max"], r["p50"], r["p99"], r["p999"],
                    r["max"], o["p99"] / r["p99"], o["p999"] / r["p999"]))
                sys.stdout.flush()
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
