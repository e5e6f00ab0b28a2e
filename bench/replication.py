#!/usr/bin/env python3
"""Replication probe for `make bench` (not a test): SET throughput on a master alone and on a master with two
replicas attached, and the replication lag (master offset - slowest replica's offset, in bytes) sampled every
50 ms while redis-benchmark writes. Run for our server and for redis-server, each topology of one kind.

    python3 bench/replication.py OURS_BIN REAL_BIN [--n 200000] [--clients 50]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server(object):
    def __init__(self, binary, *args):
        self.dir = tempfile.mkdtemp(prefix="bench-repl-")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--repl-diskless-sync-delay", "0"] + list(args),
                                     cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("server %s did not start" % binary)

    def cli(self, *args):
        try:
            return subprocess.run(["redis-cli", "-p", str(self.port)] + [str(a) for a in args],
                                  capture_output=True, text=True, timeout=10).stdout.strip()
        except subprocess.TimeoutExpired:
            return ""

    def info(self, section):
        out = {}
        for line in self.cli("INFO", section).splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                out[k] = v
        return out

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def set_rps(port, n, clients, pipeline):
    out = subprocess.run(["redis-benchmark", "-p", str(port), "-q", "-t", "set", "-n", str(n), "-c", str(clients),
                          "-P", str(pipeline), "-r", "100000"], capture_output=True, text=True, timeout=600).stdout
    for line in out.replace("\r", "\n").splitlines():
        if "requests per second" in line:
            return float(line.split(":")[1].split()[0])
    return None


def in_sync(master, replicas):
    mo = master.info("replication").get("master_repl_offset")
    return all(r.info("replication").get("slave_repl_offset") == mo for r in replicas)


def probe(binary, n, clients):
    result = {}
    alone = Server(binary)
    try:
        for p in (1, 16):
            result["set_alone_P%d" % p] = set_rps(alone.port, n if p == 1 else n * 5, clients, p)
    finally:
        alone.stop()
    master = Server(binary)
    replicas = []
    try:
        replicas = [Server(binary, "--replicaof", "127.0.0.1", str(master.port)) for _ in range(2)]
        deadline = time.time() + 60
        while time.time() < deadline and not all(r.info("replication").get("master_link_status") == "up"
                                                  for r in replicas):
            time.sleep(0.05)
        lags = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                mo = int(master.info("replication").get("master_repl_offset", 0))
                ro = min(int(r.info("replication").get("slave_repl_offset", 0)) for r in replicas)
                lags.append(max(0, mo - ro))
                time.sleep(0.05)

        for p in (1, 16):
            t = threading.Thread(target=sample)
            stop.clear()
            t.start()
            result["set_2replicas_P%d" % p] = set_rps(master.port, n if p == 1 else n * 5, clients, p)
            stop.set()
            t.join()
            result["lag_max_bytes_P%d" % p] = max(lags) if lags else None
            result["lag_mean_bytes_P%d" % p] = int(sum(lags) / len(lags)) if lags else None
            lags.clear()
            start = time.time()
            while not in_sync(master, replicas) and time.time() - start < 60:
                time.sleep(0.01)
            result["catch_up_s_P%d" % p] = round(time.time() - start, 3)
    finally:
        for r in replicas:
            r.stop()
        master.stop()
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("real")
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    a = ap.parse_args()
    a.ours, a.real = os.path.abspath(a.ours), os.path.abspath(a.real)
    ours = probe(a.ours, a.n, a.clients)
    real = probe(a.real, a.n, a.clients)
    print("replication (SET, -c %d; lag = master offset - slowest of 2 replicas, sampled every 50 ms):" % a.clients)
    print("%-22s %12s %12s %7s" % ("metric", "ours", "redis", "ratio"))
    for k in sorted(ours):
        o, r = ours[k], real[k]
        ratio = "%.2f" % (o / r) if o is not None and r else "n/a"
        print("%-22s %12s %12s %7s" % (k, o, r, ratio))


if __name__ == "__main__":
    sys.exit(main())
