"""Hardened deployments (ours only): examples/hardened.conf, disable-command-family, rename-command, user lines."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import ours_binary, free_port
from resp import RespClient, decode

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HARDENED = os.path.join(ROOT, "examples", "hardened.conf")


class Proc(object):
    """Our server started with exactly the given arguments (a config file first), in a temp dir."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="redis-it-hardened-")
        self.port = free_port()
        self.log = os.path.join(self.dir, "log")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([str(ours_binary())] + list(args) + ["--port", str(self.port)],
                                         cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("server did not start: " + self.output())

    def wait_exit(self, timeout=30):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def output(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def hardened():
    p = Proc(HARDENED).wait_ready()
    yield p
    p.stop()


def test_hardened_conf_requires_auth(hardened):
    c = RespClient(hardened.port)
    assert c.call("GET", "cached:1").startswith(b"-NOAUTH")
    assert c.call("AUTH", "default", "x").startswith(b"-WRONGPASS")
    assert c.call("AUTH", "app", "change-this-app-password") == b"+OK\r\n"
    assert c.call("SET", "cached:1", "v") == b"+OK\r\n"
    assert c.call("GET", "cached:1") == b"$1\r\nv\r\n"
    assert c.call("GET", "secret").startswith(b"-NOPERM")
    assert c.call("DEL", "cached:1").startswith(b"-NOPERM")


@pytest.mark.parametrize("cmd", [("EVAL", "return 1", "0"), ("SUBSCRIBE", "x"), ("DEBUG", "SLEEP", "0"),
                                 ("CONFIG", "GET", "maxmemory"), ("CONFIG", "SET", "disable-command-family", "")])
def test_hardened_conf_commands_are_unknown(hardened, cmd):
    c = RespClient(hardened.port)
    c.call("AUTH", "ops", "change-this-ops-password")
    assert c.call(*cmd).startswith(b"-ERR unknown command")


def test_hardened_conf_families_absent_everywhere(hardened):
    c = RespClient(hardened.port)
    c.call("AUTH", "ops", "change-this-ops-password")
    names = set(n for n in decode(c.call("COMMAND", "LIST")))
    assert not names & {b"eval", b"fcall", b"subscribe", b"publish", b"config", b"debug"}
    assert decode(c.call("COMMAND", "COUNT")) == len([n for n in names if b"|" not in n])
    assert decode(c.call("ACL", "CAT", "scripting")) == []
    assert decode(c.call("ACL", "CAT", "pubsub")) == []
    assert c.call("MULTI") == b"+OK\r\n"
    assert c.call("EVAL", "return 1", "0").startswith(b"-ERR unknown command")
    assert c.call("EXEC").startswith(b"-EXECABORT")


def test_disable_command_family_repeatable_and_immutable(server_factory):
    srv = server_factory("ours", "--disable-command-family", "scripting", "--disable-command-family", "geo")
    c = srv.client()
    assert decode(c.call("CONFIG", "GET", "disable-command-family")) == [b"disable-command-family", b"scripting geo"]
    assert c.call("CONFIG", "SET", "disable-command-family", "").startswith(b"-ERR")
    assert c.call("GEOADD", "g", "0", "0", "m").startswith(b"-ERR unknown command")
    assert c.call("EVAL", "return 1", "0").startswith(b"-ERR unknown command")
    assert c.call("SET", "k", "v") == b"+OK\r\n"
    srv.stop()


def test_unknown_family_stops_startup():
    p = Proc("--disable-command-family", "admin")
    try:
        assert p.wait_exit() not in (None, 0)
        assert "Unknown command family 'admin'" in p.output()
    finally:
        p.stop()


def test_user_lines_and_aclfile_together_refused():
    d = tempfile.mkdtemp()
    try:
        conf = os.path.join(d, "r.conf")
        with open(conf, "w") as f:
            f.write("user u on nopass +@all ~*\naclfile %s\n" % os.path.join(d, "users.acl"))
        p = Proc(conf)
        try:
            assert p.wait_exit() not in (None, 0)
            assert "users defined in redis.conf" in p.output()
        finally:
            p.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_aclfile_save_and_load():
    d = tempfile.mkdtemp()
    try:
        acl = os.path.join(d, "users.acl")
        with open(acl, "w") as f:
            f.write("user default on nopass ~* &* +@all\nuser app on >pw ~cached:* +get +set\n")
        p = Proc("--aclfile", acl).wait_ready()
        try:
            c = RespClient(p.port)
            assert decode(c.call("ACL", "USERS")) == [b"app", b"default"]
            assert c.call("ACL", "SETUSER", "extra", "on", "nopass", "+ping") == b"+OK\r\n"
            assert c.call("ACL", "SAVE") == b"+OK\r\n"
            with open(acl) as f:
                assert "user extra on nopass resetchannels -@all +ping" in f.read()
            with open(acl, "w") as f:
                f.write("user default on nopass ~* &* +@all\nuser other on nopass +get\n")
            assert c.call("ACL", "LOAD") == b"+OK\r\n"
            assert decode(c.call("ACL", "USERS")) == [b"default", b"other"]
            with open(acl, "w") as f:
                f.write("user default on nopass ~* &* +@all\nuser bad on +nosuch\n")
            assert c.call("ACL", "LOAD").startswith(b"-ERR")
            assert decode(c.call("ACL", "USERS")) == [b"default", b"other"]
        finally:
            p.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_rename_command():
    d = tempfile.mkdtemp()
    try:
        conf = os.path.join(d, "r.conf")
        with open(conf, "w") as f:
            f.write('rename-command FLUSHALL ""\nrename-command GET fetch\n')
        p = Proc(conf).wait_ready()
        try:
            c = RespClient(p.port)
            assert c.call("FLUSHALL").startswith(b"-ERR unknown command")
            assert c.call("GET", "k").startswith(b"-ERR unknown command")
            c.call("SET", "k", "v")
            assert c.call("FETCH", "k") == b"$1\r\nv\r\n"
        finally:
            p.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)
