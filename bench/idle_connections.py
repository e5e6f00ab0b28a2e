#!/usr/bin/env python3
"""Memory per idle connection, ours vs redis-server: opens N connections (default 10,000) to each server
in turn, each sending one PING, and prints the RSS growth per connection (VmRSS before/after).

    python3 bench/idle_connections.py [--connections 10000] [--ours .build/release/redis-swift]
"""

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def measure(binary, n):
    port = free_port()
    d = tempfile.mkdtemp(prefix="idle-bench-")
    proc = subprocess.Popen([binary, "--port", str(port), "--save", "", "--appendonly", "no",
                             "--maxclients", str(n + 100), "--bind", "127.0.0.1"],
                            cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socks = []
    try:
        end = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        time.sleep(0.5)
        base = rss_kb(proc.pid)
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"PING\r\n")
            socks.append(s)
            if len(socks) % 500 == 0:
                for t in socks[-500:]:
                    t.recv(16)
        for t in socks[-(len(socks) % 500 or 500):] if len(socks) % 500 else []:
            t.recv(16)
        time.sleep(1)
        after = rss_kb(proc.pid)
        return base, after
    finally:
        for s in socks:
            s.close()
        proc.terminate()
        proc.wait(10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--ours", default=os.environ.get("REDIS_SWIFT_BIN", ".build/release/redis-swift"))
    ap.add_argument("--real", default="redis-server")
    a = ap.parse_args()
    a.ours = os.path.abspath(a.ours) if os.path.exists(a.ours) else a.ours
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The client (this process) and each server (a child, which inherits the limit) hold n descriptors apiece.
    need = a.connections + 200
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    n = min(a.connections, min(need, hard) - 200)
    print("idle connections: %d each" % n)
    for name, binary in (("ours", a.ours), ("redis", a.real)):
        base, after = measure(binary, n)
        print("%-6s RSS %7d KiB -> %7d KiB: %6.1f KiB per connection" % (name, base, after, (after - base) / n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
