"""Never deaf: while a script runs past busy-reply-threshold, new connections get -BUSY, and SCRIPT KILL,
FUNCTION KILL and SHUTDOWN NOSAVE from a brand-new redis-cli work. The same steps run against our server and a
real redis-server 7.0 (each started with a 100 ms threshold) and must give the same replies.
"""

import socket
import subprocess
import threading
import time

import pytest

DEADLINE = 30.0


@pytest.fixture(params=["ours", "real"])
def busy_server(request, server_factory):
    srv = server_factory(request.param, "--busy-reply-threshold", "100")
    yield srv
    srv.stop()


def cli(srv, *args):
    """A brand-new redis-cli connection running one command; its output."""
    return subprocess.run(["redis-cli", "-p", str(srv.port)] + [str(a) for a in args],
                          capture_output=True, timeout=DEADLINE).stdout


class Running(object):
    """A command sent on its own connection, answered later."""

    def __init__(self, srv, *args):
        self.reply = None
        self.conn = srv.client(timeout=DEADLINE * 2)
        self.thread = threading.Thread(target=self._run, args=args)
        self.thread.start()

    def _run(self, *args):
        try:
            self.reply = self.conn.call(*args)
        except Exception as e:  # the connection closes on SHUTDOWN NOSAVE
            self.reply = repr(e).encode()

    def wait(self):
        self.thread.join(DEADLINE)
        assert not self.thread.is_alive(), "the script never ended"
        self.conn.close()
        return self.reply


def wait_busy(srv):
    """Polls with fresh connections until one is answered -BUSY (a connection that is not answered within half a
    second is abandoned and the next one tried: real Redis answers -BUSY only from its next event-loop pass)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        c = srv.client(timeout=0.5)
        try:
            reply = c.call("PING")
        except (socket.timeout, OSError):
            reply = b""
        finally:
            c.close()
        if reply.startswith(b"-BUSY"):
            return cli(srv, "PING")
        time.sleep(0.02)
    raise AssertionError("the server never reported BUSY")


def test_endless_eval_makes_new_clients_busy_and_script_kill_ends_it(busy_server):
    run = Running(busy_server, "EVAL", "while true do end", 0)
    assert wait_busy(busy_server) == b"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\n\n"
    assert cli(busy_server, "GET", "x").startswith(b"BUSY")
    assert cli(busy_server, "FUNCTION", "KILL").startswith(b"BUSY Redis is busy running a script. You can only call SCRIPT KILL")
    assert cli(busy_server, "SCRIPT", "KILL") == b"OK\n"
    reply = run.wait()
    assert reply.startswith(b"-ERR Script killed by user with SCRIPT KILL... script: "), reply
    assert reply.endswith(b", on @user_script:1.\r\n"), reply
    assert cli(busy_server, "PING") == b"PONG\n"
    assert cli(busy_server, "SCRIPT", "KILL") == b"NOTBUSY No scripts in execution right now.\n\n"


def test_endless_function_is_ended_by_function_kill(busy_server):
    assert cli(busy_server, "FUNCTION", "LOAD",
               "#!lua name=spin\nredis.register_function('spin', function() while true do end end)") == b"spin\n"
    run = Running(busy_server, "FCALL", "spin", 0)
    assert wait_busy(busy_server) == b"BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\n\n"
    assert cli(busy_server, "SCRIPT", "KILL").startswith(b"BUSY Redis is busy running a script. You can only call FUNCTION KILL")
    assert cli(busy_server, "FUNCTION", "KILL") == b"OK\n"
    reply = run.wait()
    assert reply.startswith(b"-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."), reply
    assert cli(busy_server, "PING") == b"PONG\n"


def test_a_script_that_wrote_is_unkillable_and_shutdown_nosave_stops_the_server(busy_server):
    run = Running(busy_server, "EVAL", "redis.call('set', 'x', 'y'); while true do end", 0)
    wait_busy(busy_server)
    assert cli(busy_server, "SCRIPT", "KILL") == (
        b"UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the "
        b"script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\n\n")
    cli(busy_server, "SHUTDOWN", "NOSAVE")
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline and busy_server.proc.poll() is None:
        time.sleep(0.02)
    assert busy_server.proc.poll() is not None, "the server did not exit"
    run.wait()


def test_clients_connected_before_the_script_are_answered_after_it(busy_server):
    with busy_server.client(timeout=DEADLINE) as early:
        assert early.call("SET", "k", "v") == b"+OK\r\n"
        run = Running(busy_server, "EVAL", "local t = redis.call('time'); while true do end", 0)
        wait_busy(busy_server)
        assert cli(busy_server, "SCRIPT", "KILL") == b"OK\n"
        run.wait()
        assert early.call("GET", "k") == b"$1\r\nv\r\n"


def test_connections_accepted_just_before_the_script_started_are_answered_while_it_runs(busy_server):
    """Sockets connected in the instant before an endless script starts (accepted for the script's own I/O loop
    but not yet registered there) are answered while it runs: -BUSY, or PONG when read before it started."""
    with busy_server.client(timeout=DEADLINE) as runner:
        for _ in range(15):
            assert runner.call("PING") == b"+PONG\r\n"
            late = [busy_server.client(timeout=DEADLINE) for _ in range(4)]
            runner.send("EVAL", "while true do end", 0)
            for c in late:
                c.send("PING")
            replies = [c.read_reply() for c in late]
            for reply in replies:
                assert reply == b"+PONG\r\n" or reply.startswith(b"-BUSY"), reply
            if all(r == b"+PONG\r\n" for r in replies):
                wait_busy(busy_server)
            assert cli(busy_server, "SCRIPT", "KILL") == b"OK\n"
            assert runner.read_reply().startswith(b"-ERR Script killed by user with SCRIPT KILL")
            for c in late:
                c.close()
