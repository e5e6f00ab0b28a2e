"""Protected commands (DEBUG, MODULE LOAD/LOADEX/UNLOAD) against redis-server 7.0: `enable-debug-command` and
`enable-module-command` are checked right after the arity, before authentication, ACL and MULTI queueing."""

import pytest

from conftest import NO_PLUGINS
from difftools import Pair
from resp import RespClient


@pytest.fixture(scope="module")
def closed(server_factory):
    """Both servers with the gates closed and a password; a user who may only GET."""
    args = ("--enable-debug-command", "no", "--enable-module-command", "no", "--requirepass", "pw")
    ours, real = server_factory("ours", *args, *NO_PLUGINS), server_factory("real", *args)
    for srv in (ours, real):
        c = srv.client()
        c.call("AUTH", "pw")
        c.call("ACL", "SETUSER", "getter", "on", ">g", "~*", "+get")
        c.close()
    yield ours, real
    ours.stop()
    real.stop()


@pytest.fixture
def pair(closed):
    ours, real = closed
    p = Pair(RespClient(ours.port), RespClient(real.port))
    yield p
    p.close()


def test_debug_is_refused_before_authentication(pair):
    pair.check("DEBUG", "SLEEP", "0")


def test_module_load_and_unload_are_refused_before_authentication(pair):
    pair.check("MODULE", "LOAD", "/nonexistent.so")
    pair.check("MODULE", "LOADEX", "/nonexistent.so", "ARGS", "a")
    pair.check("MODULE", "UNLOAD", "nothing")


def test_module_list_is_not_protected(pair):
    pair.check("MODULE", "LIST")
    pair.check("AUTH", "pw")
    pair.check("MODULE", "LIST")


def test_wrong_arity_comes_before_the_gate(pair):
    pair.check("DEBUG")
    pair.check("MODULE", "LOAD")


def test_an_unprivileged_user_gets_the_gate_error_not_noperm(pair):
    pair.check("AUTH", "getter", "g")
    pair.check("DEBUG", "SLEEP", "0")
    pair.check("MODULE", "LOAD", "/nonexistent.so")
    pair.check("MODULE", "LIST")


def test_a_refused_debug_in_multi_aborts_the_transaction(pair):
    pair.check("AUTH", "pw")
    pair.check("MULTI")
    pair.check("DEBUG", "SLEEP", "0")
    pair.check("SET", "k", "v")
    pair.check("EXEC")
    pair.check("EXISTS", "k")


@pytest.mark.parametrize("setting", ["local", "yes"])
def test_local_or_yes_lets_a_loopback_client_run_debug(server_factory, setting):
    ours = server_factory("ours", "--enable-debug-command", setting)
    real = server_factory("real", "--enable-debug-command", setting)
    try:
        p = Pair(RespClient(ours.port), RespClient(real.port))
        p.check("DEBUG", "SLEEP", "0")
        p.check("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        p.close()
    finally:
        ours.stop()
        real.stop()
