#!/usr/bin/env python3
"""Failover probe for `make bench` (not a test): the reference topology (1 master + 2 replicas with
`requirepass`/`masterauth redis_password`, 3 Sentinels with quorum 2, `down-after-milliseconds 5000`,
`failover-timeout 20000`, `parallel-syncs 1`), `kill -9` of the master, and the time until a client subscribed to
`+switch-master` on one Sentinel receives the event. Run with our Sentinels and with real `redis-sentinel`s over
the same kind of data servers; each figure is the median of `--runs` runs (min and max printed too).

    python3 bench/failover.py [--runs 3] [--data ours|real|both] [--down-after 5000]

Environment: REDIS_SWIFT_BIN (our binary), REDIS_REAL_BIN (redis-server), REDIS_SENTINEL_BIN (redis-sentinel).
"""

import argparse
import os
import signal
import socket
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "integration"))
if not os.environ.get("REDIS_SWIFT_BIN"):
    os.environ["REDIS_SWIFT_BIN"] = os.path.join(ROOT, ".build", "release", "redis-swift")

from sentinel_tools import PASSWORD, Topology  # noqa: E402


def subscribe_switch(sentinel):
    """A raw RESP connection to the Sentinel subscribed to +switch-master (no client library in the timing)."""
    s = socket.create_connection(("127.0.0.1", sentinel.port), timeout=5)
    s.sendall(("*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(PASSWORD), PASSWORD)).encode())
    s.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$14\r\n+switch-master\r\n")
    buf = b""
    while b"+switch-master\r\n:1\r\n" not in buf:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("sentinel closed the subscription")
        buf += chunk
    return s


def wait_switch(sock, timeout):
    """Seconds until a `message` on +switch-master arrives (the time is taken when the bytes are read)."""
    sock.settimeout(1.0)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            raise RuntimeError("sentinel closed the subscription")
        buf += chunk
        if b"$7\r\nmessage\r\n$14\r\n+switch-master\r\n" in buf:
            return time.monotonic()
    raise RuntimeError("no +switch-master within %.0fs" % timeout)


def one_run(data_kind, sentinel_kind, down_after):
    t = Topology(data_kind, (sentinel_kind,) * 3, down_after=down_after, failover_timeout=20000)
    try:
        t.wait_replicas_online()
        t.wait_discovery()
        sub = subscribe_switch(t.sentinels[0])
        try:
            t.master.proc.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            t.master.proc.wait(timeout=10)
            return wait_switch(sub, timeout=down_after / 1000.0 + 120) - killed
        finally:
            sub.close()
    finally:
        t.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", choices=["ours", "real", "both"], default="ours")
    ap.add_argument("--down-after", type=int, default=5000)
    args = ap.parse_args()
    data_kinds = ["ours", "real"] if args.data == "both" else [args.data]
    print("Failover: kill -9 of the master -> +switch-master on a subscriber (down-after-milliseconds %d, "
          "median of %d runs)" % (args.down_after, args.runs))
    print("%-14s %-16s %8s %8s %8s" % ("data servers", "sentinels", "median_s", "min_s", "max_s"))
    for data_kind in data_kinds:
        for sentinel_kind, label in (("ours", "redis-swift"), ("real", "redis-sentinel")):
            times = []
            for _ in range(args.runs):
                try:
                    times.append(one_run(data_kind, sentinel_kind, args.down_after))
                except Exception as e:  # noqa: BLE001 - report and go on with the other runs
                    print("  run failed (%s sentinels over %s servers): %s" % (label, data_kind, e))
            if times:
                print("%-14s %-16s %8.2f %8.2f %8.2f" % ("redis-swift" if data_kind == "ours" else "redis-server",
                                                       label, statistics.median(times), min(times), max(times)))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
