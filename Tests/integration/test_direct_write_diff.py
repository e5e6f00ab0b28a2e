"""Replies sent straight to the socket (issue 18, EpollConnection+Output.swift), compared with redis-server.

A batch's replies leave with one send(2) when nothing is queued for the connection; what the socket does not take
is queued until it is writable, and no later direct write may overtake it. These tests make the socket refuse: a client with a
small receive buffer pipelines many replies of random sizes (seeded) without reading, then reads them all, and
the bytes must equal redis-server's byte for byte (no reply lost, duplicated or reordered).
"""

import os
import random
import socket
import time

from resp import encode_command

SEED = int(os.environ.get("DIRECT_WRITE_SEED", "18"))


def fill(pair, rng, keys):
    """SETs keys of random sizes (1 byte to 300 KB) on both servers; returns their sizes."""
    sizes = {}
    for i in range(keys):
        size = rng.choice([1, 10, 200, 4000, 16 * 1024, 70 * 1000, 300 * 1000])
        sizes["k%d" % i] = size
        pair.check("SET", "k%d" % i, bytes([97 + i % 26]) * size)
    return sizes


def pipelined_bytes(port, batches, expected_len, deadline_s=60.0):
    """Sends each batch (bytes) without reading in between, then reads until `expected_len` bytes arrived."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.settimeout(deadline_s)
    got = bytearray()
    try:
        for b in batches:
            s.sendall(b)
        deadline = time.time() + deadline_s
        while len(got) < expected_len and time.time() < deadline:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    return bytes(got)


def run_both(pair, batches):
    """The whole reply stream of `batches` from redis-server, then from ours (read to the same length)."""
    real = read_all(pair.real.port, batches)
    ours = pipelined_bytes(pair.ours.port, batches, len(real))
    return ours, real


def read_all(port, batches):
    """The reference stream: ends with the reply of a final `ECHO end-of-stream`."""
    marker = b"$13\r\nend-of-stream\r\n"
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(60)
    got = bytearray()
    try:
        for b in batches:
            s.sendall(b)
        deadline = time.time() + 60
        while not got.endswith(marker) and time.time() < deadline:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got += chunk
    finally:
        s.close()
    assert got.endswith(marker), "reference stream incomplete (%d bytes)" % len(got)
    return bytes(got)


def random_batches(rng, sizes, commands, batch_count):
    names = sorted(sizes)
    cmds = []
    for _ in range(commands):
        r = rng.random()
        if r < 0.6:
            cmds.append(encode_command("GET", rng.choice(names)))
        elif r < 0.8:
            cmds.append(encode_command("INCR", "counter"))
        elif r < 0.9:
            cmds.append(encode_command("PING"))
        else:
            cmds.append(encode_command("STRLEN", rng.choice(names)))
    cmds.append(encode_command("ECHO", "end-of-stream"))
    # Cut the stream into batches at random byte offsets (commands split across sends too).
    data = b"".join(cmds)
    cuts = sorted(rng.sample(range(1, len(data)), min(batch_count - 1, len(data) - 1)))
    return [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]


def test_pipelined_large_replies_to_a_slow_reader_arrive_complete_and_in_order(pair):
    rng = random.Random(SEED)
    sizes = fill(pair, rng, 24)
    batches = random_batches(rng, sizes, 400, 40)
    pair.check("SET", "counter", "0")
    ours, real = run_both(pair, batches)
    assert len(ours) == len(real), "seed %d: ours sent %d bytes, redis-server %d" % (SEED, len(ours), len(real))
    assert ours == real, "seed %d: reply streams differ at byte %d" % (
        SEED, next(i for i in range(len(real)) if ours[i] != real[i]))


def test_small_replies_after_a_refused_large_one_keep_their_order(pair):
    rng = random.Random(SEED + 1)
    pair.check("SET", "big", b"z" * (2 * 1024 * 1024))
    pair.check("SET", "counter", "0")
    cmds = [encode_command("GET", "big")]
    for i in range(200):
        cmds.append(encode_command("INCR", "counter"))
        if rng.random() < 0.05:
            cmds.append(encode_command("GET", "big"))
    cmds.append(encode_command("ECHO", "end-of-stream"))
    # One command per send: many small batches, each answered while the big replies are still queued.
    ours, real = run_both(pair, cmds)
    assert ours == real
