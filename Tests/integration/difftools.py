"""Differential comparison helpers: run the same command on ours and real.

    pair.check("SET", "k", "v", "EX", 0)      # raw replies must be identical
    pair.check_unordered("KEYS", "*")         # same elements, any order
    pair.check_close("TTL", "k", tolerance=1) # integer replies within 1
    pair.check_script([("SET", "a", 1), "INCR a", ("GET", "a")])

On a mismatch the assertion message shows the command, both raw replies and
the previous commands sent on this pair.
"""

import socket
from collections import deque

from resp import (
    ConnectionClosed,
    ProtocolError,
    decode,
    encode_command,
    format_command,
    split_top_level,
)


class NoReply(object):
    """Stands in for a reply that never came (timeout, closed connection)."""

    def __init__(self, reason):
        self.reason = reason

    def __repr__(self):
        return "<no reply: %s>" % self.reason

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True


def safe_read(conn):
    try:
        return conn.read_reply()
    except (socket.timeout, ConnectionClosed, ProtocolError, OSError, ValueError) as e:
        return NoReply("%s: %s" % (type(e).__name__, e))


def show(raw, limit=600):
    if isinstance(raw, NoReply):
        return repr(raw)
    r = repr(raw)
    return r if len(r) <= limit else r[:limit] + "...(%d bytes)" % len(raw)


class Pair(object):
    """A raw connection to our server and one to the reference server."""

    def __init__(self, ours, real, history=12):
        self.ours = ours
        self.real = real
        self.history = deque(maxlen=history)
        self.context = None  # extra text for failure messages (e.g. a seed)

    # -- plumbing ----------------------------------------------------------
    def both(self, *args):
        """Send to both, return (ours_raw, real_raw) without comparing."""
        data = encode_command(*args)
        self.history.append(format_command(args))
        for conn in (self.ours, self.real):
            try:
                conn.send_raw(data)
            except OSError:
                pass  # surfaces as NoReply below
        return safe_read(self.ours), safe_read(self.real)

    def both_raw(self, data):
        """Send arbitrary bytes to both, read one reply from each."""
        self.history.append("<raw %r>" % data[:80])
        for conn in (self.ours, self.real):
            try:
                conn.send_raw(data)
            except OSError:
                pass
        return safe_read(self.ours), safe_read(self.real)

    def fail(self, what, args, ours, real, note=""):
        lines = ["%s for: %s" % (what, format_command(args)),
                 "  ours: %s" % show(ours),
                 "  real: %s" % show(real)]
        if note:
            lines.append("  " + note)
        if self.context:
            lines.append("  context: %s" % self.context)
        prev = list(self.history)[:-1]
        if prev:
            lines.append("  previous commands on this pair (oldest first):")
            lines.extend("    " + c for c in prev)
        raise AssertionError("\n".join(lines))

    # -- comparisons ---------------------------------------------------------
    def check(self, *args):
        """Replies must be byte-identical. Returns the (real) raw reply."""
        ours, real = self.both(*args)
        if isinstance(real, NoReply):
            self.fail("Reference server gave no reply", args, ours, real)
        if ours != real:
            self.fail("Differential mismatch", args, ours, real)
        return real

    def check_decoded(self, *args):
        return decode(self.check(*args))

    def check_unordered(self, *args):
        """Top-level aggregate replies must hold the same elements, any order."""
        ours, real = self.both(*args)
        if isinstance(real, NoReply):
            self.fail("Reference server gave no reply", args, ours, real)
        if isinstance(ours, NoReply):
            self.fail("Differential mismatch (unordered)", args, ours, real)
        if ours == real:
            return real
        oh, oe = split_top_level(ours)
        rh, re_ = split_top_level(real)
        if oe is None or re_ is None or oh != rh or sorted(oe) != sorted(re_):
            self.fail("Differential mismatch (unordered)", args, ours, real)
        return real

    def check_close(self, *args, **kw):
        """Integer replies within `tolerance` (default 1).

        Negative integers (TTL's -1/-2 style sentinels) must match exactly.
        """
        tolerance = kw.pop("tolerance", 1)
        assert not kw, kw
        ours, real = self.both(*args)
        if isinstance(real, NoReply) or isinstance(ours, NoReply):
            self.fail("Differential mismatch (close)", args, ours, real)
        if ours == real:
            return real
        if not (ours[:1] == b":" and real[:1] == b":"):
            self.fail("Differential mismatch (close: both must be integers)", args, ours, real)
        o, r = decode(ours), decode(real)
        if o < 0 or r < 0 or abs(o - r) > tolerance:
            self.fail("Differential mismatch (close)", args, ours, real,
                      "difference %d exceeds tolerance %d" % (abs(o - r), tolerance))
        return real

    def check_same_type(self, *args):
        """Only the RESP type byte must agree (ids, timestamps, ...)."""
        ours, real = self.both(*args)
        if isinstance(ours, NoReply) or isinstance(real, NoReply) or ours[:1] != real[:1]:
            self.fail("Differential mismatch (reply type)", args, ours, real)
        return ours, real

    def check_script(self, commands):
        """Run a list of commands, each checked byte for byte.

        Items are tuples/lists of arguments, or strings split on whitespace.
        """
        replies = []
        for cmd in commands:
            if isinstance(cmd, str):
                cmd = cmd.split()
            replies.append(self.check(*cmd))
        return replies

    def setup(self, *commands):
        """Run setup commands on both servers; they must agree too."""
        return self.check_script(commands)

    def scan_all(self, *scan_args, **kw):
        """Iterate SCAN to completion on both; compare the sets of keys."""
        max_calls = kw.pop("max_calls", 100000)
        results = []
        for name, conn in (("ours", self.ours), ("real", self.real)):
            cursor = b"0"
            keys = []
            for _ in range(max_calls):
                raw = conn.call("SCAN", cursor, *scan_args)
                reply = decode(raw)
                if not (isinstance(reply, list) and len(reply) == 2 and isinstance(reply[1], list)):
                    self.fail("Malformed SCAN reply", ("SCAN", cursor) + scan_args,
                              raw if name == "ours" else None, raw if name == "real" else None)
                cursor, batch = reply
                keys.extend(batch)
                if cursor == b"0":
                    break
            else:
                raise AssertionError("%s: SCAN did not finish within %d calls" % (name, max_calls))
            results.append(keys)
        ours_keys, real_keys = results
        if set(ours_keys) != set(real_keys):
            missing = sorted(set(real_keys) - set(ours_keys))[:20]
            extra = sorted(set(ours_keys) - set(real_keys))[:20]
            raise AssertionError("SCAN %s: key sets differ; ours is missing %r, has extra %r"
                                 % (format_command(scan_args), missing, extra))
        return ours_keys, real_keys

    def close(self):
        self.ours.close()
        self.real.close()
