"""A long pipeline shares the server (docs/RELIABILITY.md, "Pauses").

A connection's read batch holds the data lock for at most a time slice (`Server.batchSliceMicroseconds`); the rest
of its pipeline then runs after the loop has served its other connections, so a PING waits for about one command,
not for a whole pipeline of slow ones. Redis runs a client's whole query buffer at once; here the difference is
visible only in timing between clients, never in a client's own replies, which the differential test checks.
"""

from resp import encode_command


def _pipeline(commands):
    return b"".join(encode_command(*c) for c in commands)


def test_a_pipeline_of_slow_commands_lets_another_client_in_before_it_ends(ours):
    n = 300
    a, b = ours.client(), ours.client()
    try:
        # 300 × (10 ms sleep, INCR): three seconds of work in one pipeline (a margin for a loaded machine, where the
        # test's own PING may be sent late).
        a.send_raw(_pipeline([("DEBUG", "SLEEP", "0.01"), ("INCR", "done")] * n))
        assert a.read_reply() == b"+OK\r\n"  # the pipeline is running
        assert b.call("PING") == b"+PONG\r\n"
        served_after = int(b.call_decoded("GET", "done") or 0)
        # Without the slice, B would have waited for the whole pipeline (done == n).
        assert served_after < n
        for i in range(1, n + 1):
            if i > 1:
                assert a.read_reply() == b"+OK\r\n"
            assert a.read_reply() == b":%d\r\n" % i
        assert b.call("GET", "done") == b"$3\r\n300\r\n"
    finally:
        a.close()
        b.close()


def test_a_sliced_pipeline_replies_like_redis(pair):
    # Slow commands between writes and reads: the batch is cut at several points, the replies must not change.
    commands = []
    for i in range(60):
        commands += [("RPUSH", "l", i), ("DEBUG", "SLEEP", "0.002"), ("LRANGE", "l", -3, -1), ("INCRBY", "n", i),
                     ("GET", "n"), ("LLEN", "l")]
    raw = _pipeline(commands)
    replies = []
    for c in (pair.ours, pair.real):
        c.send_raw(raw)
        replies.append([c.read_reply() for _ in commands])
    assert replies[0] == replies[1]
