"""CONFIG SET bind and port at run time against redis-server 7.0: the server listens again at once, keeps the
connections it has, and when the new addresses cannot be bound answers Redis's error, undoes the whole CONFIG SET
and listens where it did before."""

import socket
import time

import pytest

from conftest import free_port
from difftools import Pair
from resp import RespClient


@pytest.fixture
def servers(server_factory):
    ours, real = server_factory("ours"), server_factory("real")
    yield ours, real
    for srv in (ours, real):
        srv.stop()


def _answers(port, deadline=20.0):
    """Whether a fresh connection to 127.0.0.1:port gets PONG (polled until the deadline)."""
    end = time.time() + deadline
    while time.time() < end:
        try:
            c = RespClient(port)
            ok = c.call("PING") == b"+PONG\r\n"
            c.close()
            if ok:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def _refused(port, deadline=20.0):
    end = time.time() + deadline
    while time.time() < end:
        with socket.socket() as s:
            s.settimeout(1)
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return True
        time.sleep(0.05)
    return False


def test_an_address_that_cannot_be_bound_is_refused_and_the_old_ones_kept(servers):
    ours, real = servers
    p = Pair(RespClient(ours.port), RespClient(real.port))
    p.check("CONFIG", "SET", "bind", "1.2.3.4")
    p.check("CONFIG", "GET", "bind")
    assert _answers(ours.port) and _answers(real.port)


def test_a_failed_bind_undoes_the_whole_config_set(servers):
    ours, real = servers
    p = Pair(RespClient(ours.port), RespClient(real.port))
    p.check("CONFIG", "SET", "maxmemory-samples", "7", "bind", "1.2.3.4")
    p.check("CONFIG", "GET", "maxmemory-samples")


def test_a_busy_port_is_refused_with_redis_s_error(servers):
    ours, real = servers
    p = Pair(RespClient(ours.port), RespClient(real.port))
    with socket.socket() as blocker:
        blocker.bind(("0.0.0.0", 0))
        blocker.listen(1)
        busy = blocker.getsockname()[1]
        p.check("CONFIG", "SET", "port", str(busy))
    assert _answers(ours.port) and _answers(real.port)


def test_setting_the_same_port_is_a_no_op(servers):
    ours, real = servers
    p = Pair(RespClient(ours.port), RespClient(real.port))
    assert p.ours.call("CONFIG", "SET", "port", str(ours.port)) == b"+OK\r\n"
    assert p.real.call("CONFIG", "SET", "port", str(real.port)) == b"+OK\r\n"
    assert _answers(ours.port)


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_a_new_port_is_listened_on_at_once_and_the_old_one_closed(servers, kind):
    srv = servers[0] if kind == "ours" else servers[1]
    old = srv.port
    c = RespClient(old)
    new = free_port()
    assert c.call("CONFIG", "SET", "port", str(new)) == b"+OK\r\n"
    assert _answers(new)
    assert _refused(old)
    assert c.call("PING") == b"+PONG\r\n"  # the connection that asked is kept
    assert c.call("CONFIG", "SET", "port", str(old)) == b"+OK\r\n"
    assert _answers(old)


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_a_new_bind_list_is_listened_on(servers, kind):
    srv = servers[0] if kind == "ours" else servers[1]
    c = RespClient(srv.port)
    assert c.call("CONFIG", "SET", "bind", "127.0.0.1 -::1") == b"+OK\r\n"
    assert c.call("CONFIG", "GET", "bind") == b"*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n"
    assert _answers(srv.port)
