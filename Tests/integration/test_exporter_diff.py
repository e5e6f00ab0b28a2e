"""prometheus-redis-exporter (Debian package) pointed at ours and at redis-server exports the same metric names
(the exceptions list below is empty; see docs/OBSERVABILITY.md for the fields whose values are constants here)."""

import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

from conftest import free_port

EXPORTER = shutil.which("prometheus-redis-exporter") or shutil.which("redis_exporter")

# Metric names that may legitimately differ, with the reason (docs/OBSERVABILITY.md). Empty: every INFO field
# the exporter reads is printed by both (jemalloc-only and defragmentation fields with glibc / constant values).
EXCEPTIONS = set()


def scrape(server):
    port = free_port()
    proc = subprocess.Popen([EXPORTER, "-redis.addr", "redis://127.0.0.1:%d" % server.port,
                             "-web.listen-address", "127.0.0.1:%d" % port],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
                if "redis_up 1" in body:
                    return body
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("exporter gave no redis_up 1 for %s" % server.name)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def metric_names(body):
    names = set()
    for line in body.splitlines():
        if line and not line.startswith("#"):
            names.add(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0))
    return set(n for n in names if n.startswith("redis_"))


@pytest.mark.skipif(EXPORTER is None, reason="prometheus-redis-exporter is not installed (apt-get install "
                                              "prometheus-redis-exporter; it is in the Makefile's APT_PACKAGES)")
def test_exporter_metric_names_match_redis(ours, real):
    for srv in (ours, real):
        with srv.client() as c:
            c.call("SET", "k", "v")
            c.call("GET", "k")
            c.call("GET", "nokey")
            c.call("LPUSH", "k", "x")   # an error, for errorstats
    o, r = metric_names(scrape(ours)), metric_names(scrape(real))
    missing = sorted(r - o - EXCEPTIONS)
    extra = sorted(o - r - EXCEPTIONS)
    assert not missing, "metrics redis-server exports and we do not: %r" % missing
    assert not extra, "metrics we export and redis-server does not: %r" % extra
