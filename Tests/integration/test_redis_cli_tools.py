"""redis-cli's operator modes against ours and redis-server: --stat, --bigkeys, --memkeys, --latency,
--latency-history, --scan --pattern and --pipe run to completion (or until stopped) and print output of the
same shape (numbers masked; for --scan the same keys)."""

import os
import pty
import re
import select
import signal
import subprocess
import time

import pytest


def run_interactive(args, seconds):
    """Runs redis-cli on a pseudo-terminal (it prints its live modes only to a terminal) for `seconds`, then
    stops it with SIGINT as a user would; returns what it printed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(["redis-cli"] + args, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    end = time.monotonic() + seconds
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([master], [], [], left)
            if r:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        os.close(master)
    return out.decode("utf-8", "replace")


def run(args, stdin=None):
    return subprocess.run(["redis-cli"] + args, input=stdin, capture_output=True, timeout=60).stdout.decode()


def shape(text):
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "\n", text)
    text = re.sub(r"\d+(\.\d+)?[KMG]?", "N", text)
    return [re.sub(r"\s+", " ", l).strip() for l in text.replace("\r", "\n").splitlines() if l.strip()]


def populate(conn):
    conn.call("DEBUG", "POPULATE", "100")
    conn.call("RPUSH", "biglist", "a", "b", "c")
    conn.call("HSET", "h", "f", "v")
    conn.call("SADD", "s", "m")
    conn.call("ZADD", "z", "1", "m")
    conn.call("XADD", "x", "*", "f", "v")


@pytest.fixture
def both(ours, real):
    for srv in (ours, real):
        with srv.client() as c:
            populate(c)
    return ours, real


@pytest.mark.parametrize("mode", ["--bigkeys", "--memkeys"])
def test_bigkeys_and_memkeys_summaries_have_redis_shape(both, mode):
    ours, real = both
    o = shape(run(["-p", str(ours.port), mode]))
    r = shape(run(["-p", str(real.port), mode]))
    summary = lambda lines: lines[lines.index("-------- summary -------"):]
    assert summary(o) == summary(r)


def test_scan_pattern_lists_the_same_keys(both):
    ours, real = both
    o = sorted(run(["-p", str(ours.port), "--scan", "--pattern", "key:1?"]).split())
    r = sorted(run(["-p", str(real.port), "--scan", "--pattern", "key:1?"]).split())
    assert o == r and len(o) == 10


def test_pipe_reports_replies_and_errors(both):
    ours, real = both
    data = b"SET a 1\r\nINCR a\r\nLPUSH a x\r\nGET a\r\n"
    o = run(["-p", str(ours.port), "--pipe"], stdin=data)
    r = run(["-p", str(real.port), "--pipe"], stdin=data)
    assert o.splitlines()[-1] == r.splitlines()[-1] == "errors: 1, replies: 4"


@pytest.mark.parametrize("mode,seconds", [(["--stat", "-i", "0.2"], 1.5), (["--latency"], 1.5),
                                          (["--latency-history", "-i", "1"], 2.5)])
def test_live_modes_print_redis_shaped_lines(both, mode, seconds):
    ours, real = both
    o = shape(run_interactive(["-p", str(ours.port)] + mode, seconds))
    r = shape(run_interactive(["-p", str(real.port)] + mode, seconds))
    assert o and r
    # The sample count depends on timing; the kinds of lines printed do not.
    assert set(o) == set(r), (sorted(set(o)), sorted(set(r)))


def test_hotkeys_summary_equal_with_deterministic_lfu(ours, real):
    """--hotkeys (OBJECT FREQ over SCAN, needs an LFU policy): with lfu-log-factor 0 every access adds one to the
    counter, so key:i read i times has counter 5+i on both servers and the summaries are equal line for line."""
    for srv in (ours, real):
        with srv.client() as c:
            c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
            c.call("CONFIG", "SET", "lfu-log-factor", "0")
            try:
                for i in range(20):
                    c.call("SET", "key:%d" % i, "v")
                for i in range(20):
                    for _ in range(i):
                        c.call("GET", "key:%d" % i)
                out = run(["-p", str(srv.port), "--hotkeys"])
            finally:
                c.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
                c.call("CONFIG", "SET", "lfu-log-factor", "10")
        summary = out[out.index("-------- summary -------"):]
        if srv is ours:
            ours_summary = summary
    assert ours_summary == summary
    assert "hot key found with counter: 24\tkeyname: \"key:19\"" in summary


def test_hotkeys_refused_without_an_lfu_policy(both):
    """Without an LFU policy OBJECT FREQ errors and redis-cli stops with the server's error on stderr."""
    outs = []
    for srv in both:
        p = subprocess.run(["redis-cli", "-p", str(srv.port), "--hotkeys"], capture_output=True, timeout=60)
        err = re.sub(r"key '[^']*'", "key 'K'", p.stderr.decode())
        outs.append((p.returncode, p.stdout.decode().splitlines()[:4], err))
    assert outs[0] == outs[1]
    assert "LFU maxmemory policy" in outs[0][2]
