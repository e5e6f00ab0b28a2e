"""A subscriber that never reads must be disconnected by the pubsub
client-output-buffer-limit, without hurting a fast subscriber or letting
the server's memory grow with the published volume.

Setup (server started with `--client-output-buffer-limit "pubsub 8mb 2mb 5"`):
  * subscriber A: raw socket with SO_RCVBUF 4096 (set before connect) that
    subscribes and then never reads;
  * subscriber B: reads everything in a background thread and checks every
    message byte for byte and in order;
  * a publisher sends 1,600 messages of 64 KB (~100 MB), pipelined in small
    batches, reading every PUBLISH reply.  It never runs more than WINDOW
    messages ahead of B, so B's own output buffer stays below the soft limit:
    B is a fast reader by construction and must never be dropped.
  * a sampler thread reads VmRSS of the server process every 20 ms.

Asserted: A is disconnected (PUBSUB NUMSUB, CLIENT LIST when available, and
EOF/RST on A's socket), B got every message intact and in order, the last
PUBLISH replies count only B, and the server's peak RSS stays < 150 MB.
Runs on ours, and on real Redis as a sanity check of the test itself.
"""

import socket
import threading
import time

import pytest

from buffer_tools import RSS_BOUNDS_APPLY
from resp import decode, encode_command

LIMIT_ARGS = ("--client-output-buffer-limit", "pubsub 8mb 2mb 5")
CHANNEL = b"firehose"
N_MESSAGES = 1600
PAYLOAD_SIZE = 64 * 1024
BATCH = 8            # PUBLISH commands per pipelined write
WINDOW = 24          # max messages published but not yet received by B (1.5 MB)
MAX_RSS_KB = 150 * 1024
TIME_BUDGET = 55.0   # seconds for the whole scenario

FILLER = bytes(range(256)) * (PAYLOAD_SIZE // 256)
MSG_HEADER = b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n" % (len(CHANNEL), CHANNEL, PAYLOAD_SIZE)
MSG_LEN = len(MSG_HEADER) + PAYLOAD_SIZE + 2


def payload(i):
    tag = b"%08d" % i
    return tag + FILLER[len(tag):]


def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class FastReader(threading.Thread):
    """Subscriber B: reads MSG_LEN bytes per message and checks each one."""

    def __init__(self, sock, deadline):
        super(FastReader, self).__init__(name="subscriber-B", daemon=True)
        self.sock = sock
        self.deadline = deadline
        self.count = 0
        self.error = None
        self.progress = threading.Condition()

    def run(self):
        buf = bytearray(MSG_LEN)
        view = memoryview(buf)
        hl = len(MSG_HEADER)
        try:
            for i in range(N_MESSAGES):
                got = 0
                while got < MSG_LEN:
                    if time.monotonic() > self.deadline:
                        raise RuntimeError("time budget exhausted after %d messages" % i)
                    try:
                        n = self.sock.recv_into(view[got:], MSG_LEN - got)
                    except socket.timeout:
                        continue
                    if n == 0:
                        raise RuntimeError("connection closed by server after %d messages "
                                           "(+%d bytes)" % (i, got))
                    got += n
                if bytes(view[:hl]) != MSG_HEADER:
                    raise RuntimeError("message %d: bad header %r" % (i, bytes(view[:hl + 16])))
                if bytes(view[hl:hl + 8]) != b"%08d" % i:
                    raise RuntimeError("message %d: out of order / corrupt: got tag %r"
                                       % (i, bytes(view[hl:hl + 8])))
                if bytes(view[hl + 8:MSG_LEN - 2]) != FILLER[8:] or bytes(view[MSG_LEN - 2:]) != b"\r\n":
                    raise RuntimeError("message %d: payload corrupted" % i)
                with self.progress:
                    self.count = i + 1
                    self.progress.notify_all()
        except Exception as e:  # reported by the main thread
            self.error = "%s: %s" % (type(e).__name__, e)
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, n, deadline):
        with self.progress:
            while self.count < n and self.error is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.progress.wait(min(remaining, 0.5))
            return self.count >= n


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super(RssSampler, self).__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.peak = 0
        self.samples = 0
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            v = rss_kb(self.pid)
            if v is not None:
                self.peak = max(self.peak, v)
                self.samples += 1
            self.stop_event.wait(0.02)


def numsub(conn):
    reply = decode(conn.call("PUBSUB", "NUMSUB", CHANNEL))
    return reply[1]


def client_list_has_addr(conn, addr):
    """True/False whether CLIENT LIST lists a client with addr=host:port; None
    when CLIENT LIST is not available."""
    raw = conn.call("CLIENT", "LIST")
    if raw[:1] != b"$":
        return None
    text = decode(raw).decode("utf-8", "replace")
    needle = "addr=%s:%d" % addr
    return any(needle in line.split() for line in text.splitlines())


def drain_until_closed(sock, timeout):
    """Read and discard until EOF/RST; returns (closed, bytes_read)."""
    deadline = time.monotonic() + timeout
    total = 0
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, total
        if not data:
            return True, total
        total += len(data)
    return False, total


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_slow_subscriber_is_disconnected_fast_one_gets_everything(server_factory, kind):
    started = time.monotonic()
    deadline = started + TIME_BUDGET
    srv = server_factory(kind, *LIMIT_ARGS)
    pid = srv.proc.pid
    control = srv.client()
    publisher = srv.client(timeout=20)
    a_sock = None
    b_client = None
    sampler = RssSampler(pid)
    try:
        # The limit must have been taken (checked when CONFIG GET is implemented).
        raw = control.call("CONFIG", "GET", "client-output-buffer-limit")
        if raw[:1] == b"*":
            cobl = decode(raw)
            assert len(cobl) == 2 and b"pubsub 8388608 2097152 5" in cobl[1], (
                "%s did not take %s: CONFIG GET says %r" % (kind, LIMIT_ARGS, cobl))

        # Subscriber A: tiny receive buffer, never reads.
        a_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        a_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        a_sock.settimeout(10)
        a_sock.connect(("127.0.0.1", srv.port))
        a_addr = a_sock.getsockname()[:2]
        a_sock.sendall(encode_command("SUBSCRIBE", CHANNEL))

        # Subscriber B: reads everything.
        b_client = srv.client(timeout=10)
        confirm = b_client.call("SUBSCRIBE", CHANNEL)
        assert decode(confirm)[0] == b"subscribe", confirm
        assert b_client.pos == len(b_client.buf), "unexpected bytes after SUBSCRIBE confirmation"
        b_client.sock.settimeout(0.5)
        reader = FastReader(b_client.sock, deadline)

        while numsub(control) != 2:
            assert time.monotonic() < started + 5, "subscribers did not register"
            time.sleep(0.01)

        rss_before = rss_kb(pid)
        sampler.start()
        reader.start()

        replies = []
        sent = 0
        while sent < N_MESSAGES:
            assert time.monotonic() < deadline, "time budget exhausted after %d PUBLISH" % sent
            n = min(BATCH, N_MESSAGES - sent)
            # Keep B (the fast reader) within WINDOW messages of the publisher.
            if not reader.wait_for(sent + n - WINDOW, deadline):
                pytest.fail("subscriber B stalled at %d/%d messages (published %d): %s"
                            % (reader.count, N_MESSAGES, sent, reader.error))
            publisher.send_raw(b"".join(encode_command("PUBLISH", CHANNEL, payload(i))
                                        for i in range(sent, sent + n)))
            for _ in range(n):
                replies.append(publisher.read_reply())
            sent += n

        got_all = reader.wait_for(N_MESSAGES, deadline)
        sampler.stop_event.set()
        sampler.join(2)
        elapsed = time.monotonic() - started

        print("%s: %.1fs, A dropped after %d PUBLISH, peak RSS %.1f MB (before %.1f MB), %d samples"
              % (kind, elapsed, replies.count(b":2\r\n"), sampler.peak / 1024.0,
                 (rss_before or 0) / 1024.0, sampler.samples))

        # B: every message, intact, in order.
        assert reader.error is None, "subscriber B: %s" % reader.error
        assert got_all and reader.count == N_MESSAGES, (
            "subscriber B received %d of %d messages" % (reader.count, N_MESSAGES))

        # PUBLISH replies: 2 receivers until A was dropped, then only B.
        bad = [r for r in replies if r not in (b":1\r\n", b":2\r\n")]
        assert not bad, "unexpected PUBLISH replies: %r" % bad[:5]
        delivered_to_a = replies.count(b":2\r\n")
        assert replies[-1] == b":1\r\n", (
            "A was never disconnected: the last PUBLISH still reached 2 subscribers "
            "(%d of %d PUBLISH counted A)" % (delivered_to_a, N_MESSAGES))
        assert replies[:delivered_to_a] == [b":2\r\n"] * delivered_to_a, \
            "PUBLISH counts went back up after A was dropped"
        # 8 MB hard limit + kernel socket buffers: A must be gone well before 40 MB.
        assert delivered_to_a < 600, (
            "A was only dropped after %d messages of 64 KB (hard limit is 8 MB)" % delivered_to_a)

        assert numsub(control) == 1, "PUBSUB NUMSUB still counts A"
        a_listed = client_list_has_addr(control, a_addr)
        b_listed = client_list_has_addr(control, b_client.sock.getsockname()[:2])
        if a_listed is not None:
            assert b_listed, "CLIENT LIST does not show B (sanity check of the lookup)"
            assert not a_listed, "CLIENT LIST still shows A (addr=%s:%d)" % a_addr

        closed, drained = drain_until_closed(a_sock, max(1.0, min(10.0, deadline - time.monotonic())))
        assert closed, "A's socket was not closed by the server (read %d bytes, no EOF/RST)" % drained

        assert sampler.samples > 0, "could not read VmRSS of pid %d" % pid
        assert sampler.peak < MAX_RSS_KB or not RSS_BOUNDS_APPLY, (
            "%s peak RSS %.1f MB (before: %.1f MB) while publishing %.0f MB in %.1fs; limit %d MB"
            % (kind, sampler.peak / 1024.0, (rss_before or 0) / 1024.0,
               N_MESSAGES * PAYLOAD_SIZE / 1048576.0, elapsed, MAX_RSS_KB // 1024))
        assert srv.alive(), "%s died:\n%s" % (kind, srv.log_tail())
    finally:
        sampler.stop_event.set()
        for closer in (control, publisher, b_client):
            if closer is not None:
                closer.close()
        if a_sock is not None:
            a_sock.close()
        srv.stop()
