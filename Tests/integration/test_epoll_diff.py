"""Client connections served by our own epoll loops (issue 18, EpollLoop / EpollConnection), against redis-server.

The loop reads into a reusable per-connection buffer, sends replies with send(2), queues what the socket refuses
and closes a connection only once that queue is sent; work from other threads (blocked clients woken, pub/sub
messages, CLIENT KILL) reaches a connection through its loop's task queue. These tests aim at those paths: a
close after a large queued reply, connections spread over several I/O loops (`io-threads`), Unix-socket
clients, and commands cut at random byte offsets (seeded), each compared with redis-server.
"""

import os
import random
import socket
import tempfile
import time

import pytest

from resp import RespClient, encode_command

SEED = int(os.environ.get("EPOLL_SEED", "18"))
DEADLINE = 30.0


def wait_until(pred, what, timeout=DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


def info_field(client, section, field):
    raw = client.call("INFO", section).decode()
    for line in raw.split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    raise AssertionError("no %s in INFO %s" % (field, section))


def stream_until_closed(port, data, rcvbuf=4096):
    """Sends `data` on a connection with a small receive buffer, then reads everything until the server closes."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect(("127.0.0.1", port))
    s.settimeout(DEADLINE)
    got = bytearray()
    closed = False
    try:
        s.sendall(data)
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            chunk = s.recv(1 << 16)
            if not chunk:
                closed = True
                break
            got += chunk
    except ConnectionResetError:
        closed = True
    finally:
        s.close()
    return bytes(got), closed


def test_quit_after_a_large_queued_reply_sends_it_whole_then_closes(pair):
    pair.check("SET", "big", b"q" * (3 * 1024 * 1024))
    data = encode_command("GET", "big") + encode_command("PING") + encode_command("QUIT") + encode_command("PING")
    ours, ours_closed = stream_until_closed(pair.ours.port, data)
    real, real_closed = stream_until_closed(pair.real.port, data)
    assert ours_closed and real_closed
    assert len(ours) == len(real)
    assert ours == real


def test_protocol_error_after_queued_replies_answers_them_then_closes(pair):
    pair.check("SET", "big", b"e" * (1024 * 1024))
    data = encode_command("GET", "big") + encode_command("GET", "big") + b"*1\r\n$x\r\n"
    ours, ours_closed = stream_until_closed(pair.ours.port, data)
    real, real_closed = stream_until_closed(pair.real.port, data)
    assert ours_closed and real_closed
    assert ours == real


def test_commands_cut_at_random_offsets_get_the_same_replies(pair):
    rng = random.Random(SEED)
    cmds = []
    for i in range(300):
        r = rng.random()
        if r < 0.3:
            cmds.append(encode_command("SET", "k%d" % rng.randrange(20), os.urandom(rng.choice([1, 30, 5000]))))
        elif r < 0.6:
            cmds.append(encode_command("GET", "k%d" % rng.randrange(20)))
        elif r < 0.8:
            cmds.append(encode_command("INCR", "n"))
        else:
            cmds.append(b"PING\r\n")  # inline
    cmds.append(encode_command("ECHO", "end"))
    data = b"".join(cmds)
    cuts = sorted(rng.sample(range(1, len(data)), 200))
    pieces = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
    marker = b"$3\r\nend\r\n"
    results = []
    for port in (pair.ours.port, pair.real.port):
        s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        got = bytearray()
        for p in pieces:
            s.sendall(p)
        deadline = time.monotonic() + DEADLINE
        while not got.endswith(marker) and time.monotonic() < deadline:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            got += chunk
        s.close()
        results.append(bytes(got))
    # Same SETs on a fresh pair of keyspaces: the GET replies (random values) differ per run, not per server.
    assert results[0] == results[1], "seed %d" % SEED


@pytest.fixture
def threaded(server_factory):
    """Both servers with four I/O threads."""
    return server_factory("ours", "--io-threads", "4"), server_factory("real", "--io-threads", "4")


def test_clients_spread_over_io_threads_all_count_their_increments(threaded):
    for srv in threaded:
        conns = [srv.client() for _ in range(12)]
        for c in conns:
            c.send_raw(encode_command("INCR", "n") * 50)
        for c in conns:
            for _ in range(50):
                c.read_reply()
        with srv.client() as c:
            assert c.call("GET", "n") == b"$3\r\n600\r\n"
        for c in conns:
            c.close()


def test_blocked_client_woken_by_a_push_from_another_io_thread(threaded):
    replies = []
    for srv in threaded:
        waiters = [srv.client() for _ in range(6)]
        with srv.client() as admin:
            for i, w in enumerate(waiters):
                w.send("BLPOP", "list%d" % i, "0")
            wait_until(lambda: info_field(admin, "clients", "blocked_clients") == "6", "6 blocked clients")
            pushers = [srv.client() for _ in range(6)]
            for i, p in enumerate(pushers):
                assert p.call("RPUSH", "list%d" % i, "v%d" % i) == b":1\r\n"
            replies.append([w.read_reply() for w in waiters])
            for c in waiters + pushers:
                c.close()
    assert replies[0] == replies[1]


def test_pubsub_messages_cross_io_threads_in_order(threaded):
    streams = []
    for srv in threaded:
        subs = [srv.client() for _ in range(4)]
        for s in subs:
            assert s.call("SUBSCRIBE", "ch").startswith(b"*3\r\n")
        pubs = [srv.client() for _ in range(4)]
        for n in range(25):
            for i, p in enumerate(pubs):
                assert p.call("PUBLISH", "ch", "m%d-%d" % (i, n)) == b":4\r\n"
        streams.append([b"".join(s.read_reply() for _ in range(100)) for s in subs])
        for c in subs + pubs:
            c.close()
    assert streams[0] == streams[1]
    assert streams[0][0] == streams[0][3]


def test_client_kill_closes_a_connection_of_another_io_thread(threaded):
    for srv in threaded:
        victims = [srv.client() for _ in range(4)]
        ids = [int(v.call("CLIENT", "ID")[1:-2]) for v in victims]
        with srv.client() as admin:
            for i in ids:
                assert admin.call("CLIENT", "KILL", "ID", str(i)) == b":1\r\n"
            for v in victims:
                assert v.is_closed_by_peer(timeout=DEADLINE)
            wait_until(lambda: info_field(admin, "clients", "connected_clients") == "1", "one client left")


def unix_client_info(srv, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(DEADLINE)
    s.connect(path)
    try:
        s.sendall(encode_command("CLIENT", "INFO") + encode_command("PING"))
        got = b""
        while not got.endswith(b"+PONG\r\n"):
            chunk = s.recv(65536)
            assert chunk, "connection closed"
            got += chunk
    finally:
        s.close()
    return got


def test_unix_socket_clients_are_named_after_the_socket_file(server_factory):
    infos = []
    for kind in ("ours", "real"):
        path = os.path.join(tempfile.mkdtemp(prefix="epoll-unix-"), "%s.sock" % kind)
        srv = server_factory(kind, "--unixsocket", path)
        got = unix_client_info(srv, path)
        fields = dict(f.split(b"=", 1) for f in got.split(b"\r\n")[1].split(b" ") if b"=" in f)
        infos.append((fields[b"addr"].replace(path.encode(), b"PATH"), fields[b"laddr"].replace(path.encode(), b"PATH"),
                      fields[b"flags"], got.endswith(b"+PONG\r\n")))
        srv.stop()
    assert infos[0] == infos[1]
