"""Output buffer limits for every client class and back-pressure (issue 17, docs/RELIABILITY.md).

The headline scenario runs on both servers with the same arguments and the same assertions: a client that
pipelines 100,000 `GET` of a 1 MB value without reading is disconnected with Redis's log line, and the
server's RSS stays under the limit plus a few tens of MB. With the normal class unlimited (Redis's default),
only our back-pressure bounds the memory; that case runs on ours (Redis grows without bound there).
"""

import socket
import time

import pytest

from buffer_tools import (NonReadingPipeliner, RssSampler, client_list, info_field, log_text, peer_closed,
                          raw_socket, rss_kb, wait_until)
from resp import encode_command

LOG_LINE = "scheduled to be closed ASAP for overcoming of output buffer limits."
BIG = 1024 * 1024
GET_BIG = encode_command("GET", "big")
SLACK_KB = 40 * 1024


def start(server_factory, kind, *args):
    return server_factory(kind, *args)


def set_big(srv, size=BIG):
    with srv.client() as c:
        assert c.call("SET", "big", b"x" * size) == b"+OK\r\n"


def other_client_answers(srv):
    with srv.client(timeout=10) as c:
        return c.call("PING") == b"+PONG\r\n"


@pytest.mark.timeout_seconds(120)
@pytest.mark.parametrize("kind", ["ours", "real"])
def test_pipelined_big_gets_disconnected_by_normal_hard_limit(server_factory, kind):
    srv = start(server_factory, kind, "--client-output-buffer-limit", "normal 64mb 32mb 10")
    try:
        set_big(srv)
        base = rss_kb(srv.proc.pid)
        sock = raw_socket(srv.port)
        deadline = time.monotonic() + 60
        with RssSampler(srv.proc.pid) as sampler:
            sender = NonReadingPipeliner(sock, GET_BIG, 100000, deadline)
            sender.start()
            wait_until(lambda: LOG_LINE in log_text(srv), "the output-limit log line", timeout=60)
            wait_until(lambda: peer_closed(sock), "the connection to be closed", timeout=30)
            sender.join(30)
        sock.close()
        growth = sampler.peak - base
        assert growth < 64 * 1024 + SLACK_KB, "RSS grew %d KiB" % growth
        assert other_client_answers(srv)
        if kind == "ours":
            assert int(info_field(srv, "stats", "client_output_buffer_limit_disconnections")) >= 1
    finally:
        srv.stop()


@pytest.mark.timeout_seconds(120)
@pytest.mark.parametrize("kind", ["ours", "real"])
def test_soft_limit_disconnects_after_its_seconds(server_factory, kind):
    # Hard limit off: the client stays over the 1 MB soft limit; after 2 s over it, it is closed.
    srv = start(server_factory, kind, "--client-output-buffer-limit", "normal 0 1mb 2")
    try:
        set_big(srv, 256 * 1024)
        sock = raw_socket(srv.port)
        deadline = time.monotonic() + 60
        sender = NonReadingPipeliner(sock, encode_command("GET", "big"), 20000, deadline, chunk=8)
        sender.start()
        wait_until(lambda: LOG_LINE in log_text(srv), "the soft-limit log line", timeout=60)
        wait_until(lambda: peer_closed(sock), "the connection to be closed", timeout=30)
        sender.join(30)
        sock.close()
        assert other_client_answers(srv)
    finally:
        srv.stop()


@pytest.mark.timeout_seconds(120)
def test_unlimited_normal_class_is_bounded_by_back_pressure(server_factory):
    # Redis's default `normal 0 0 0`: nothing disconnects the client; pausing its reads bounds our memory.
    srv = start(server_factory, "ours")
    try:
        set_big(srv)
        base = rss_kb(srv.proc.pid)
        sock = raw_socket(srv.port)
        deadline = time.monotonic() + 20
        with RssSampler(srv.proc.pid) as sampler:
            sender = NonReadingPipeliner(sock, GET_BIG, 100000, deadline)
            sender.start()
            # The server stops reading: the sender blocks (or all 2 MB of commands sit in kernel buffers).
            def stalled():
                before = sender.sent
                time.sleep(0.5)
                return sender.sent == before
            wait_until(stalled, "the sender to be held back", timeout=20)
            assert other_client_answers(srv)
            sender.join(30)
        growth = sampler.peak - base
        assert growth < SLACK_KB, "RSS grew %d KiB" % growth
        assert not sender.closed_by_peer
        assert LOG_LINE not in log_text(srv)
        # The paused client resumes as soon as it reads: its replies arrive, complete and in order.
        sock.settimeout(10)
        got = 0
        want = len(b"$%d\r\n" % BIG) + BIG + 2
        buf = b""
        while got < 5:
            data = sock.recv(1 << 20)
            assert data, "connection closed"
            buf += data
            while len(buf) >= want:
                assert buf[:want] == b"$%d\r\n" % BIG + b"x" * BIG + b"\r\n"
                buf = buf[want:]
                got += 1
        sock.close()
        assert other_client_answers(srv)
    finally:
        srv.stop()


def test_paused_pipeline_completes_when_client_reads(server_factory):
    # Every one of 3,000 pipelined 64 KB GETs is answered once the client reads (nothing lost by pausing).
    srv = start(server_factory, "ours")
    try:
        with srv.client() as c:
            assert c.call("SET", "v", b"y" * 65536) == b"+OK\r\n"
        sock = raw_socket(srv.port, rcvbuf=1 << 16)
        n = 3000
        payload = encode_command("GET", "v") * n + encode_command("PING")
        sock.settimeout(30)
        sent = 0
        want = n * (len(b"$65536\r\n") + 65536 + 2) + len(b"+PONG\r\n")
        got = bytearray()
        sock.setblocking(False)
        deadline = time.monotonic() + 60
        while len(got) < want and time.monotonic() < deadline:
            if sent < len(payload):
                try:
                    sent += sock.send(payload[sent:sent + 65536])
                except BlockingIOError:
                    pass
            try:
                data = sock.recv(1 << 20)
                if not data:
                    break
                got += data
            except BlockingIOError:
                time.sleep(0.001)
        sock.close()
        assert len(got) == want
        assert bytes(got[-7:]) == b"+PONG\r\n"
    finally:
        srv.stop()


@pytest.mark.timeout_seconds(120)
@pytest.mark.parametrize("kind", ["ours", "real"])
def test_pubsub_limit_disconnects_non_reading_subscriber_with_log_line(server_factory, kind):
    srv = start(server_factory, kind, "--client-output-buffer-limit", "pubsub 4mb 1mb 60")
    try:
        sub = raw_socket(srv.port)
        sub.sendall(encode_command("SUBSCRIBE", "ch"))
        with srv.client() as pub:
            wait_until(lambda: pub.call("PUBSUB", "NUMSUB", "ch").endswith(b":1\r\n"), "the subscription")
            msg = b"m" * 65536
            def closed():
                for _ in range(16):
                    pub.call("PUBLISH", "ch", msg)
                return LOG_LINE in log_text(srv)
            wait_until(closed, "the pubsub limit", timeout=60)
            wait_until(lambda: pub.call("PUBSUB", "NUMSUB", "ch").endswith(b":0\r\n"), "the subscriber to leave")
        sub.close()
    finally:
        srv.stop()


def test_client_list_omem_counts_unsent_output(server_factory):
    srv = start(server_factory, "ours")
    try:
        set_big(srv)
        sock = raw_socket(srv.port)
        sock.sendall(encode_command("CLIENT", "SETNAME", "slow") + GET_BIG * 8)

        def omem():
            for line in client_list(srv).decode().splitlines():
                if "name=slow" in line:
                    fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
                    return int(fields["omem"]) > 0 and int(fields["tot-mem"]) >= int(fields["omem"])
            return False
        wait_until(omem, "omem > 0 for the non-reading client")
        sock.close()
    finally:
        srv.stop()


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_idle_client_keeps_no_large_argument(server_factory, kind):
    # A 200 MB argument is released after its command: RSS falls back and CLIENT LIST's argv-mem is 0.
    srv = start(server_factory, kind)
    try:
        with srv.client(timeout=60) as c:
            c.call("CLIENT", "SETNAME", "holder")
            base = rss_kb(srv.proc.pid)
            c.send_raw(b"*3\r\n$4\r\nECHO\r\n$%d\r\n" % (200 << 20))
            chunk = b"z" * (1 << 20)
            for _ in range(200):
                c.send_raw(chunk)
            c.send_raw(b"\r\n$1\r\nx\r\n")
            # ECHO's arity is 2: the 3-argument call is an error; the argument was read in full.
            c.read_reply()
            with srv.client() as other:
                line = [l for l in other.call("CLIENT", "LIST").decode().splitlines() if "name=holder" in l][0]
            assert " argv-mem=0 " in line
            if kind == "ours":
                wait_until(lambda: rss_kb(srv.proc.pid) - base < 100 * 1024, "RSS to fall back", timeout=30)
    finally:
        srv.stop()


def test_output_limit_stat_resets_with_config_resetstat(server_factory):
    srv = start(server_factory, "ours", "--client-output-buffer-limit", "normal 1mb 0 0")
    try:
        set_big(srv, 600 * 1024)
        sock = raw_socket(srv.port)
        sock.sendall(GET_BIG * 8)
        wait_until(lambda: info_field(srv, "stats", "client_output_buffer_limit_disconnections") == "1", "the stat")
        wait_until(lambda: peer_closed(sock), "the close")
        sock.close()
        with srv.client() as c:
            c.call("CONFIG", "RESETSTAT")
        assert info_field(srv, "stats", "client_output_buffer_limit_disconnections") == "0"
    finally:
        srv.stop()
