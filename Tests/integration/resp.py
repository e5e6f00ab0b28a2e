"""Minimal raw RESP2/RESP3 client used by the differential tests.

`RespClient.read_reply()` returns the *exact raw bytes* of one complete reply,
so two servers can be compared byte for byte.  `decode()` turns raw reply
bytes into Python values when a test needs to look inside a reply, and
`split_top_level()` cuts an aggregate reply into the raw bytes of its
elements (used for order-insensitive comparisons).

The class is re-exported by conftest.py; it lives in its own module so that
difftools.py and the test modules can import it without importing conftest.
"""

import os
import socket
import time

# IT_SOCKET_TIMEOUT: longer for sanitized debug builds (make test-sanitize-*), which are 5-20 times slower.
DEFAULT_TIMEOUT = float(os.environ.get("IT_SOCKET_TIMEOUT", "10"))

# RESP types whose payload is a single line.
LINE_TYPES = b"+-:_,#("
# RESP types whose payload is a length-prefixed blob.
BLOB_TYPES = b"$!="
# Aggregates: number of child replies per announced element.
AGGREGATE_TYPES = {ord("*"): 1, ord("~"): 1, ord(">"): 1, ord("%"): 2, ord("|"): 2}


class ProtocolError(Exception):
    """The bytes received are not a valid RESP reply."""


class ConnectionClosed(Exception):
    """The server closed the connection before a full reply arrived."""


class RespError(object):
    """A decoded error reply (`-ERR ...` or `!` blob error)."""

    def __init__(self, message):
        self.message = message

    def __eq__(self, other):
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return "RespError(%r)" % (self.message,)


def to_bytes(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, bool):
        raise TypeError("bool is ambiguous as a RESP argument")
    if isinstance(value, (int, float)):
        return repr(value).encode() if isinstance(value, float) else str(value).encode()
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError("cannot encode %r" % (value,))


def encode_command(*args):
    """Encode a command as a RESP multibulk request."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        b = to_bytes(arg)
        parts.append(b"$%d\r\n" % len(b))
        parts.append(b)
        parts.append(b"\r\n")
    return b"".join(parts)


def format_command(args, limit=200):
    """Human readable rendering of a command for assertion messages."""
    out = []
    for a in args:
        b = to_bytes(a)
        s = repr(b)[2:-1] if any(c < 33 or c > 126 or c in b"'\"\\" for c in b) else b.decode()
        if len(b) == 0:
            s = "''"
        if len(s) > 60:
            s = s[:57] + "...(%d bytes)" % len(b)
        out.append(s)
    text = " ".join(out)
    return text if len(text) <= limit else text[:limit] + "..."


class RespClient(object):
    """A blocking socket client speaking raw RESP.

    Every socket operation is bounded by `timeout` seconds.
    """

    def __init__(self, port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.closed = False

    # -- sending ---------------------------------------------------------
    def send(self, *args):
        self.sock.sendall(encode_command(*args))

    def send_raw(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        """Send one command and return the raw reply bytes."""
        self.send(*args)
        return self.read_reply()

    def call_decoded(self, *args):
        return decode(self.call(*args))

    # -- receiving -------------------------------------------------------
    def _fill(self):
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise socket.timeout("no complete reply from port %d within %.1fs (have %r)"
                                 % (self.port, self.timeout, bytes(self.buf[self.pos:self.pos + 200])))
        if not data:
            self.closed = True
            raise ConnectionClosed("connection closed by server (partial data %r)"
                                   % (bytes(self.buf[self.pos:self.pos + 200]),))
        if self.pos > (1 << 20) and self.pos == len(self.buf):
            self.buf = bytearray()
            self.pos = 0
        self.buf += data

    def _line(self):
        """Return one line including its CRLF."""
        while True:
            idx = self.buf.find(b"\r\n", self.pos)
            if idx >= 0:
                line = bytes(self.buf[self.pos:idx + 2])
                self.pos = idx + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n:
            self._fill()
        data = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return data

    def read_reply(self):
        """Read exactly one complete reply and return its raw bytes."""
        out = []
        self._read_one(out)
        return b"".join(out)

    def _read_one(self, out):
        line = self._line()
        out.append(line)
        t = line[0]
        body = line[1:-2]
        if t in LINE_TYPES:
            return
        if t in BLOB_TYPES:
            if body == b"?":  # RESP3 streamed string: ;len chunks, ended by ;0
                while True:
                    chunk = self._line()
                    out.append(chunk)
                    if chunk[:1] != b";":
                        raise ProtocolError("bad streamed string chunk %r" % chunk)
                    n = int(chunk[1:-2])
                    if n == 0:
                        return
                    out.append(self._exact(n + 2))
            n = int(body)
            if n < 0:  # null bulk ($-1)
                return
            data = self._exact(n + 2)
            if data[-2:] != b"\r\n":
                raise ProtocolError("blob not terminated by CRLF: %r" % data[-10:])
            out.append(data)
            return
        if t in AGGREGATE_TYPES:
            per = AGGREGATE_TYPES[t]
            if body == b"?":  # streamed aggregate, ended by '.'
                while True:
                    if self._peek_byte() == ord("."):
                        end = self._line()
                        out.append(end)
                        return
                    for _ in range(per):
                        self._read_one(out)
            n = int(body)
            if n < 0:  # null array (*-1)
                return
            for _ in range(n * per):
                self._read_one(out)
            if t == ord("|"):
                # An attribute is followed by the actual reply it decorates.
                self._read_one(out)
            return
        if t == ord(";"):
            n = int(body)
            if n:
                out.append(self._exact(n + 2))
            return
        raise ProtocolError("unknown RESP type byte %r in line %r" % (chr(t), line))

    def _peek_byte(self):
        while len(self.buf) - self.pos < 1:
            self._fill()
        return self.buf[self.pos]

    def read_until_closed(self, max_bytes=1 << 22, timeout=None):
        """Read everything until EOF; returns (data, closed_flag)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        data = bytes(self.buf[self.pos:])
        self.pos = len(self.buf)
        while len(data) < max_bytes:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return data, False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                return data, False
            except (ConnectionResetError, BrokenPipeError):
                return data, True
            finally:
                self.sock.settimeout(self.timeout)
            if not chunk:
                self.closed = True
                return data, True
            data += chunk
        return data, False

    def is_closed_by_peer(self, timeout=2.0):
        """True if the server closed the connection (EOF/RST) within timeout."""
        _, closed = self.read_until_closed(timeout=timeout)
        return closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------------
# Decoding raw reply bytes
# ---------------------------------------------------------------------------

class Verbatim(bytes):
    """RESP3 verbatim string; `.format` holds the 3-byte format."""


class Double(float):
    pass


class BigNumber(int):
    pass


class RespSet(list):
    pass


class RespPush(list):
    pass


class RespMap(list):
    """RESP3 map, kept as an ordered list of (key, value) pairs."""

    def as_dict(self):
        return dict((k if not isinstance(k, list) else tuple(k), v) for k, v in self)


def _parse(raw, pos):
    end = raw.index(b"\r\n", pos)
    t = raw[pos]
    body = raw[pos + 1:end]
    nxt = end + 2
    if t == ord("+"):
        return body, nxt
    if t == ord("-"):
        return RespError(body.decode("utf-8", "replace")), nxt
    if t == ord(":"):
        return int(body), nxt
    if t == ord("_"):
        return None, nxt
    if t == ord(","):
        return Double(float(body.decode())), nxt
    if t == ord("#"):
        return body == b"t", nxt
    if t == ord("("):
        return BigNumber(int(body)), nxt
    if t in BLOB_TYPES:
        if body == b"?":
            chunks = []
            while True:
                e = raw.index(b"\r\n", nxt)
                n = int(raw[nxt + 1:e])
                nxt = e + 2
                if n == 0:
                    break
                chunks.append(raw[nxt:nxt + n])
                nxt += n + 2
            data = b"".join(chunks)
        else:
            n = int(body)
            if n < 0:
                return None, nxt
            data = raw[nxt:nxt + n]
            nxt += n + 2
        if t == ord("!"):
            return RespError(data.decode("utf-8", "replace")), nxt
        if t == ord("="):
            v = Verbatim(data[4:])
            v.format = data[:3]
            return v, nxt
        return data, nxt
    if t in AGGREGATE_TYPES:
        per = AGGREGATE_TYPES[t]
        items = []
        if body == b"?":
            while raw[nxt] != ord("."):
                for _ in range(per):
                    v, nxt = _parse(raw, nxt)
                    items.append(v)
            nxt = raw.index(b"\r\n", nxt) + 2
        else:
            n = int(body)
            if n < 0:
                return None, nxt
            for _ in range(n * per):
                v, nxt = _parse(raw, nxt)
                items.append(v)
        if per == 2:
            pairs = RespMap(zip(items[0::2], items[1::2]))
            if t == ord("|"):
                # attribute: return the decorated value, drop the attribute
                return _parse(raw, nxt)
            return pairs, nxt
        if t == ord("~"):
            return RespSet(items), nxt
        if t == ord(">"):
            return RespPush(items), nxt
        return items, nxt
    raise ProtocolError("cannot decode type %r" % chr(t))


def decode(raw):
    """Decode the raw bytes of one reply into Python values.

    Simple strings and bulk strings become bytes, errors RespError, integers
    int, nulls None, arrays/sets/pushes lists, maps RespMap (list of pairs).
    """
    value, end = _parse(raw, 0)
    if end != len(raw):
        raise ProtocolError("trailing bytes after reply: %r" % raw[end:end + 50])
    return value


def reply_end(raw, pos):
    """Offset just past the reply starting at `pos` in `raw`."""
    return _parse(raw, pos)[1]


def split_top_level(raw):
    """Split an aggregate reply into (header_line, [raw element bytes]).

    For maps each element is the raw bytes of one key+value pair.  For a
    non-aggregate reply returns (raw, None).
    """
    t = raw[0]
    if t not in AGGREGATE_TYPES or t == ord("|"):
        return raw, None
    end = raw.index(b"\r\n") + 2
    header = raw[:end]
    if raw[1:end - 2] == b"?" or int(raw[1:end - 2]) < 0:
        return raw, None
    per = AGGREGATE_TYPES[t]
    n = int(raw[1:end - 2])
    elems = []
    pos = end
    for _ in range(n):
        start = pos
        for _ in range(per):
            pos = reply_end(raw, pos)
        elems.append(raw[start:pos])
    if pos != len(raw):
        raise ProtocolError("trailing bytes after aggregate")
    return header, elems
