"""Wire-protocol robustness tests.

Each test runs against our server and against the reference redis-server
(the `server` fixture is parametrized over both) with the *same* exact
assertions, which were taken from what Redis 7.0 does.
"""

import os
import random
import select
import socket
import threading
import time

import pytest

from resp import decode, encode_command

ERR_MBULK_LEN = b"-ERR Protocol error: invalid multibulk length\r\n"
ERR_BULK_LEN = b"-ERR Protocol error: invalid bulk length\r\n"
ERR_QUOTES = b"-ERR Protocol error: unbalanced quotes in request\r\n"
ERR_BIG_INLINE = b"-ERR Protocol error: too big inline request\r\n"
ERR_BIG_MBULK = b"-ERR Protocol error: too big mbulk count string\r\n"
ERR_BIG_BULK = b"-ERR Protocol error: too big bulk count string\r\n"


def expected_dollar(got):
    return b"-ERR Protocol error: expected '$', got '" + got + b"'\r\n"


def assert_error_and_close(server, payload, expected):
    """Send payload; the server must reply exactly `expected` then close."""
    with server.client(timeout=5) as c:
        c.send_raw(payload)
        data, closed = c.read_until_closed(timeout=5)
    assert data == expected, "reply to %r: %r" % (payload[:60], data)
    assert closed, "server did not close the connection after %r" % (payload[:60],)
    assert_alive(server)


def assert_replies(server, payload, expected, wait=0.1):
    """Send payload; the server must reply exactly `expected` and stay open."""
    with server.client(timeout=5) as c:
        c.send_raw(payload)
        data = b""
        deadline = time.monotonic() + 5
        while len(data) < len(expected) and time.monotonic() < deadline:
            try:
                chunk = c.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                raise AssertionError("connection closed; got %r, wanted %r" % (data, expected))
            data += chunk
        more, closed = c.read_until_closed(timeout=wait)  # nothing more may come
        data += more
    assert data == expected, "reply to %r: %r" % (payload[:80], data)
    assert not closed


def assert_alive(server):
    with server.client(timeout=5) as c:
        assert c.call("PING") == b"+PONG\r\n"


def assert_silent_and_open(server, payload, wait=0.5):
    """The server must wait for more input: no reply, connection open."""
    with server.client(timeout=5) as c:
        c.send_raw(payload)
        data, closed = c.read_until_closed(timeout=wait)
    assert data == b"" and not closed, (data, closed)


# ------------------------------------------------------ multibulk header ----

def test_multibulk_length_too_large(server):
    assert_error_and_close(server, b"*99999999999\r\n", ERR_MBULK_LEN)


def test_multibulk_length_above_int_max(server):
    assert_error_and_close(server, b"*2147483648\r\n", ERR_MBULK_LEN)


@pytest.mark.parametrize("header", [b"*abc\r\n", b"*+1\r\n", b"*01\r\n", b"*1 \r\n", b"*\r\n", b"* 1\r\n",
                                    b"*1.0\r\n"])
def test_multibulk_length_not_a_number(server, header):
    assert_error_and_close(server, header, ERR_MBULK_LEN)


def test_multibulk_count_line_too_long(server):
    assert_error_and_close(server, b"*" + b"1" * (70 * 1024), ERR_BIG_MBULK)


def test_large_but_valid_multibulk_length_waits_for_arguments(server):
    assert_silent_and_open(server, b"*1048577\r\n")


@pytest.mark.parametrize("header", [b"*0\r\n", b"*-1\r\n", b"*-5\r\n"])
def test_empty_or_negative_multibulk_is_ignored(server, header):
    assert_replies(server, header + b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n")


# ------------------------------------------------------------ bulk header ----

def test_negative_bulk_length(server):
    assert_error_and_close(server, b"*1\r\n$-5\r\n", ERR_BULK_LEN)


def test_bulk_length_minus_one_in_request(server):
    assert_error_and_close(server, b"*1\r\n$-1\r\n", ERR_BULK_LEN)


def test_bulk_length_above_proto_max_bulk_len(server):
    # proto-max-bulk-len defaults to 512 MB (536870912)
    assert_error_and_close(server, b"*1\r\n$536870913\r\n", ERR_BULK_LEN)
    assert_error_and_close(server, b"*2\r\n$3\r\nGET\r\n$600000000\r\n", ERR_BULK_LEN)


def test_bulk_length_equal_to_proto_max_bulk_len_is_accepted(server):
    assert_silent_and_open(server, b"*1\r\n$536870912\r\n")


@pytest.mark.parametrize("header", [b"$abc", b"$+4", b"$04", b"$4 ", b"$", b"$1.0"])
def test_bulk_length_not_a_number(server, header):
    assert_error_and_close(server, b"*1\r\n" + header + b"\r\n", ERR_BULK_LEN)


def test_bulk_count_line_too_long(server):
    assert_error_and_close(server, b"*1\r\n$" + b"1" * (70 * 1024), ERR_BIG_BULK)


@pytest.mark.parametrize("prefix,got", [(b":4", b":"), (b"+PING", b"+"), (b"PING", b"P"), (b"*1", b"*")])
def test_bulk_expected_dollar(server, prefix, got):
    assert_error_and_close(server, b"*1\r\n" + prefix + b"\r\n", expected_dollar(got))


def test_bulk_payload_terminator_is_not_validated(server):
    # Redis reads <len> bytes and skips the next two without checking they
    # are CRLF, so "PINGxx" still runs PING.
    assert_replies(server, b"*1\r\n$4\r\nPINGxx", b"+PONG\r\n")


def test_empty_bulk_argument(server):
    assert_replies(server, b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", b"$0\r\n\r\n")


def test_empty_command_name_is_unknown_command(server):
    assert_replies(server, b"*1\r\n$0\r\n\r\n", b"-ERR unknown command '', with args beginning with: \r\n")


# --------------------------------------------------------- inline commands ----

def test_inline_ping(server):
    assert_replies(server, b"PING\r\n", b"+PONG\r\n")


def test_inline_with_bare_newline(server):
    assert_replies(server, b"PING\n", b"+PONG\r\n")


def test_inline_set_with_quoted_value_then_get(server):
    assert_replies(server, b'SET a "hello world"\r\nGET a\r\n', b"+OK\r\n$11\r\nhello world\r\n")


def test_inline_single_quotes_and_escapes(server):
    assert_replies(server, b"ECHO 'it\\'s'\r\n", b"$4\r\nit's\r\n")
    assert_replies(server, b"ECHO 'a\\nb'\r\n", b"$4\r\na\\nb\r\n")
    assert_replies(server, b'ECHO "x\\x41\\n\\t\\\\"\r\n', b"$5\r\nxA\n\t\\\r\n")
    assert_replies(server, b'ECHO ""\r\n', b"$0\r\n\r\n")


def test_inline_multiple_spaces_between_arguments(server):
    assert_replies(server, b"  ECHO    hi   \r\n", b"$2\r\nhi\r\n")


def test_inline_empty_lines_are_ignored(server):
    assert_replies(server, b"\r\n\r\n  \r\nPING\r\n", b"+PONG\r\n")


def test_inline_unknown_command(server):
    assert_replies(server, b"FOO a b\r\n", b"-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n")


def test_inline_wrong_arity(server):
    assert_replies(server, b"set\r\n", b"-ERR wrong number of arguments for 'set' command\r\n")


def test_inline_unbalanced_double_quote(server):
    assert_error_and_close(server, b'SET "a b\r\n', ERR_QUOTES)


def test_inline_unbalanced_single_quote(server):
    assert_error_and_close(server, b"SET 'a b\r\n", ERR_QUOTES)


def test_inline_closing_quote_must_be_followed_by_space(server):
    assert_error_and_close(server, b'SET a "b"c\r\n', ERR_QUOTES)


def test_inline_too_big_request(server):
    """10 MB without a newline: Redis gives up after 64 KB."""
    with server.client(timeout=5) as c:
        block = b"A" * 65536
        got = b""
        closed = False
        for _ in range(160):  # 10 MB
            try:
                c.sock.sendall(block)
            except OSError:
                break
            readable, _, _ = select.select([c.sock], [], [], 0)
            if readable:
                try:
                    data = c.sock.recv(65536)
                except OSError:
                    closed = True
                    break
                if not data:
                    closed = True
                    break
                got += data
        more, closed2 = c.read_until_closed(timeout=5)
        got += more
    assert got == ERR_BIG_INLINE, got[:200]
    assert closed or closed2
    assert_alive(server)


def test_mixed_inline_and_multibulk_pipeline(server):
    payload = b"PING\r\n" + encode_command("ECHO", "x") + b"ECHO y\r\n" + encode_command("PING")
    assert_replies(server, payload, b"+PONG\r\n$1\r\nx\r\n$1\r\ny\r\n+PONG\r\n")


# ------------------------------------------------------- partial requests ----

def test_command_sent_byte_by_byte(server):
    payload = encode_command("SET", "bytewise", "value") + encode_command("GET", "bytewise")
    with server.client(timeout=5) as c:
        for i in range(len(payload)):
            c.send_raw(payload[i:i + 1])
            time.sleep(0.001)
        assert c.read_reply() == b"+OK\r\n"
        assert c.read_reply() == b"$5\r\nvalue\r\n"


def test_truncated_frames_then_close_store_nothing(server):
    frame = encode_command("SET", "trunc", "hello")
    for cut in range(1, len(frame)):
        with server.client(timeout=5) as c:
            c.send_raw(frame[:cut])
    inline = b"SET trunc2 hello"
    for cut in range(1, len(inline) + 1):
        with server.client(timeout=5) as c:
            c.send_raw(inline[:cut])
    time.sleep(0.1)
    with server.client(timeout=5) as c:
        assert c.call("EXISTS", "trunc", "trunc2") == b":0\r\n"
        assert c.call("DBSIZE") == b":0\r\n"
        # control: the complete frame does store the key
        c.send_raw(frame)
        assert c.read_reply() == b"+OK\r\n"
        assert c.call("GET", "trunc") == b"$5\r\nhello\r\n"


def test_partial_request_does_not_block_other_clients(server):
    with server.client(timeout=5) as slow:
        slow.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc")
        with server.client(timeout=5) as other:
            assert other.call("PING") == b"+PONG\r\n"
            assert other.call("EXISTS", "k") == b":0\r\n"
        slow.send_raw(b"x" * 97 + b"\r\n")
        assert slow.read_reply() == b"+OK\r\n"
        assert slow.call("STRLEN", "k") == b":100\r\n"


# ---------------------------------------------------------- random bytes ----

def test_random_bytes_never_kill_the_server(server):
    seed = int(os.environ.get("PROTO_SEED", "4242"))
    rng = random.Random(seed)
    prefixes = [b"", b"*", b"$", b"*2\r\n", b"*1\r\n$", b"*3\r\n$3\r\nSET\r\n", b"PING ", b'"', b"\r\n"]
    for i in range(300):
        data = rng.choice(prefixes) + bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 300)))
        if rng.random() < 0.3:
            data += b"\r\n"
        try:
            with server.client(timeout=5) as c:
                c.send_raw(data)
                if rng.random() < 0.2:
                    c.read_until_closed(timeout=0.02)
        except OSError:
            pass
        if i % 50 == 49:
            assert server.alive(), "server died (PROTO_SEED=%d, iteration %d, last input %r)" % (seed, i, data)
            assert_alive(server)
    assert_alive(server)
    with server.client(timeout=5) as c:
        assert c.call("SET", "after-fuzz", "ok") == b"+OK\r\n"
        assert c.call("GET", "after-fuzz") == b"$2\r\nok\r\n"


# ------------------------------------------------------ pipelining / size ----

def test_pipeline_of_10000_commands_in_one_write(server):
    n = 10000
    parts = []
    for i in range(n):
        parts.append(encode_command("INCR", "counter") if i % 2 == 0 else encode_command("ECHO", "e%d" % i))
    payload = b"".join(parts)
    with server.client(timeout=10) as c:
        errors = []

        def writer():
            try:
                c.sock.sendall(payload)  # a single write call
            except OSError as e:
                errors.append(e)

        t = threading.Thread(target=writer)
        t.start()
        try:
            for i in range(n):
                reply = c.read_reply()
                want = (b":%d\r\n" % (i // 2 + 1)) if i % 2 == 0 else (b"$%d\r\ne%d\r\n" % (len(b"e%d" % i), i))
                assert reply == want, "reply %d: %r != %r" % (i, reply, want)
        finally:
            t.join(timeout=10)
        assert not errors, errors
        assert c.call("GET", "counter") == b"$4\r\n5000\r\n"


def test_big_value_round_trip(server):
    value = bytes(random.Random(5).getrandbits(8) for _ in range(1024)) * (5 * 1024)  # 5 MB
    with server.client(timeout=20) as c:
        assert c.call("SET", "big", value) == b"+OK\r\n"
        assert c.call("STRLEN", "big") == b":%d\r\n" % len(value)
        reply = c.call("GET", "big")
        assert reply == b"$%d\r\n" % len(value) + value + b"\r\n"
        assert c.call("GETRANGE", "big", 1000, 1009) == b"$10\r\n" + value[1000:1010] + b"\r\n"


def test_many_arguments_in_one_command(server):
    n = 20000
    args = []
    for i in range(n):
        args += ["key%d" % i, "v%d" % i]
    with server.client(timeout=20) as c:
        assert c.call("MSET", *args) == b"+OK\r\n"
        assert c.call("DBSIZE") == b":%d\r\n" % n
        reply = decode(c.call("MGET", *["key%d" % i for i in range(n)]))
        assert reply == [b"v%d" % i for i in range(n)]
