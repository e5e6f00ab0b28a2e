"""Module commands that block clients on keys (RM_BlockClientOnKeys semantics) on the server's one blocking
mechanism: the compiled-in example `Plugins/Queue` (MQ.PUSH / MQ.BPOP on its `MQqueue--` type, MQ.WAITKEY on
plain keys) and a module loaded as a shared library (`blk`, built here like the template). Served by the module's
signal and by built-in writes, timeouts, FIFO order, CLIENT UNBLOCK TIMEOUT/ERROR, MULTI/EXEC and scripts (no
blocking), disconnects and CLIENT KILL, INFO `blocked_clients`, CLIENT LIST's `b` flag, MODULE UNLOAD refused
while clients wait, and what a served client's command streams to replicas (its effects)."""

import os
import shutil
import tempfile
import threading
import time

import pytest

from conftest import ServerProcess, ours_binary
from resp import RespClient, decode
from test_effects_stream_diff import StreamTap
from test_module_loading import build, has_module_interfaces

pytestmark = pytest.mark.timeout_seconds(900)

DEADLINE = 30.0
NULL_ARRAY = {2: b"*-1\r\n", 3: b"_\r\n"}


def wait_until(predicate, what, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def info_field(c, section, name):
    for line in decode(c.call("INFO", section)).decode().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def blocked(c):
    return int(info_field(c, "clients", "blocked_clients"))


def wait_blocked(admin, n):
    wait_until(lambda: blocked(admin) == n, "%d blocked clients" % n)


def client_id(c):
    return decode(c.call("CLIENT", "ID"))


@pytest.fixture
def srv(ours):
    return ours


# ---- the compiled-in example: MQ.* -------------------------------------------------------------------------------


def test_bpop_pops_at_once_when_an_item_is_there(srv):
    with srv.client() as c:
        assert decode(c.call("MQ.PUSH", "q", "a", "b")) == 2
        assert decode(c.call("MQ.BPOP", "empty", "q", "0")) == [b"q", b"a"]
        assert decode(c.call("MQ.LEN", "q")) == 1
        assert decode(c.call("TYPE", "q")) == b"MQqueue--"
        assert decode(c.call("MQ.POP", "q")) == b"b"
        assert decode(c.call("EXISTS", "q")) == 0   # an emptied queue is deleted, as a list


def test_queue_type_survives_reload_dump_restore_and_copy(srv):
    with srv.client() as c:
        assert decode(c.call("MQ.PUSH", "q", "a", "b", "c")) == 3
        value_digest = decode(c.call("DEBUG", "DIGEST-VALUE", "q"))
        assert c.call("DEBUG", "RELOAD") == b"+OK\r\n"
        assert decode(c.call("DEBUG", "DIGEST-VALUE", "q")) == value_digest
        payload = decode(c.call("DUMP", "q"))
        assert c.call("RESTORE", "r", "0", payload) == b"+OK\r\n"
        assert decode(c.call("COPY", "q", "copy")) == 1
        assert decode(c.call("MQ.POP", "copy")) == b"a"        # the copy is its own queue
        assert [decode(c.call("MQ.POP", "r")) for _ in range(4)] == [b"a", b"b", b"c", None]
        assert decode(c.call("MQ.LEN", "q")) == 3
        assert c.call("RESTORE", "bad", "0", payload[:-12] + b"x" * 12).startswith(b"-ERR")


def test_bpop_blocks_then_a_push_from_another_client_serves_it(srv):
    with srv.client() as admin, srv.client() as waiter:
        waiter.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 1)
        assert admin.call("MQ.PUSH", "q", "hello") == b":1\r\n"
        assert waiter.read_reply() == b"*2\r\n$1\r\nq\r\n$5\r\nhello\r\n"
        assert blocked(admin) == 0
        assert decode(admin.call("EXISTS", "q")) == 0
        # The connection goes on normally afterwards.
        assert waiter.call("PING") == b"+PONG\r\n"


def test_bpop_through_redis_py_in_resp2_and_resp3(srv):
    for protocol in (2, 3):
        with srv.redis(protocol=protocol) as r, srv.client() as admin:
            result = {}
            t = threading.Thread(target=lambda: result.setdefault("v", r.execute_command("MQ.BPOP", "q1", "q2", 0)))
            t.start()
            wait_blocked(admin, 1)
            assert admin.call("MQ.PUSH", "q2", "x") == b":1\r\n"
            t.join(DEADLINE)
            assert not t.is_alive()
            assert result["v"] == [b"q2", b"x"]


def test_bpop_timeout_replies_a_null_array_like_blpop(srv, real):
    for resp in (2, 3):
        replies = []
        for s, cmd in ((srv, ("MQ.BPOP", "nq", "0.05")), (real, ("BLPOP", "nq", "0.05"))):
            with s.client() as c:
                c.call("HELLO", resp)
                replies.append(c.call(*cmd))
        assert replies[0] == replies[1] == NULL_ARRAY[resp]
    with srv.client() as c:
        assert blocked(c) == 0


def test_bpop_argument_errors_are_blpops(srv, real):
    for timeout in ("x", "-1", "nan"):
        with srv.client() as o, real.client() as r:
            assert o.call("MQ.BPOP", "q", timeout) == r.call("BLPOP", "q", timeout)


def test_bpop_on_another_type_is_wrongtype(srv):
    with srv.client() as c:
        c.call("SET", "s", "v")
        assert c.call("MQ.BPOP", "s", "0").startswith(b"-WRONGTYPE")
        assert blocked(c) == 0


def test_two_blocked_clients_are_served_in_fifo_order(srv):
    with srv.client() as admin, srv.client() as first, srv.client() as second:
        first.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 1)
        second.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 2)
        assert admin.call("MQ.PUSH", "q", "one") == b":1\r\n"
        assert decode(first.read_reply()) == [b"q", b"one"]
        wait_blocked(admin, 1)
        # The second one declined (nothing left) and kept its place; the next push is its.
        assert admin.call("MQ.PUSH", "q", "two") == b":1\r\n"
        assert decode(second.read_reply()) == [b"q", b"two"]
        assert blocked(admin) == 0


def test_one_push_of_two_items_serves_both_waiters_in_order(srv):
    with srv.client() as admin, srv.client() as first, srv.client() as second:
        first.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 1)
        second.send("MQ.BPOP", "other", "q", "0")
        wait_blocked(admin, 2)
        assert admin.call("MQ.PUSH", "q", "a", "b") == b":2\r\n"
        assert decode(first.read_reply()) == [b"q", b"a"]
        assert decode(second.read_reply()) == [b"q", b"b"]
        assert decode(admin.call("EXISTS", "q")) == 0


def test_waitkey_is_woken_by_builtin_writes_on_plain_keys(srv):
    with srv.client() as admin, srv.client() as waiter:
        waiter.send("MQ.WAITKEY", "l", "z", "0")
        wait_blocked(admin, 1)
        assert admin.call("LPUSH", "l", "x") == b":1\r\n"
        assert decode(waiter.read_reply()) == [b"l", b"list"]
        waiter.send("MQ.WAITKEY", "st", "0")
        wait_blocked(admin, 1)
        decode(admin.call("XADD", "st", "*", "f", "v"))
        assert decode(waiter.read_reply()) == [b"st", b"stream"]


def test_client_unblock_timeout_runs_the_timeout_callback(srv):
    with srv.client() as admin, srv.client() as waiter:
        waiter.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 1)
        assert admin.call("CLIENT", "UNBLOCK", client_id_of(admin, waiter), "TIMEOUT") == b":1\r\n"
        assert waiter.read_reply() == b"*-1\r\n"
        assert blocked(admin) == 0
        assert admin.call("MQ.PUSH", "q", "kept") == b":1\r\n"   # nobody takes it now
        assert decode(admin.call("MQ.LEN", "q")) == 1


def test_client_unblock_error_replies_unblocked(srv):
    with srv.client() as admin, srv.client() as waiter:
        waiter.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 1)
        assert admin.call("CLIENT", "UNBLOCK", client_id_of(admin, waiter), "ERROR") == b":1\r\n"
        assert waiter.read_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
        assert blocked(admin) == 0
        assert waiter.call("PING") == b"+PONG\r\n"


def client_id_of(admin, target):
    """The id of `target`, a connection now blocked (found by its command in CLIENT LIST)."""
    for line in decode(admin.call("CLIENT", "LIST")).decode().splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        if fields["cmd"] in ("mq.bpop", "mq.waitkey", "blk.getdel") and "b" in fields["flags"]:
            return fields["id"]
    raise AssertionError("no blocked client")


def test_client_list_shows_the_b_flag_and_info_counts_the_client(srv):
    with srv.client() as admin, srv.client() as waiter:
        waiter.call("CLIENT", "SETNAME", "waiter")
        waiter.send("MQ.BPOP", "q", "100")
        wait_blocked(admin, 1)
        line = [l for l in decode(admin.call("CLIENT", "LIST")).decode().splitlines() if "name=waiter" in l][0]
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        assert fields["flags"] == "b"
        assert fields["cmd"] == "mq.bpop"
        assert info_field(admin, "clients", "clients_in_timeout_table") == "1"
        admin.call("MQ.PUSH", "q", "v")
        assert decode(waiter.read_reply()) == [b"q", b"v"]
        line = [l for l in decode(admin.call("CLIENT", "LIST")).decode().splitlines() if "name=waiter" in l][0]
        assert " flags=N " in line


def test_multi_exec_does_not_block(srv):
    with srv.client() as c:
        for args in (("MQ.BPOP", "q", "0"), ("MQ.WAITKEY", "nokey", "0")):
            assert c.call("MULTI") == b"+OK\r\n"
            assert c.call(*args) == b"+QUEUED\r\n"
            assert c.call("EXEC") == b"*1\r\n*-1\r\n"
        c.call("MQ.PUSH", "q", "v")
        c.call("MULTI")
        c.call("MQ.BPOP", "q", "0")
        assert decode(c.call("EXEC")) == [[b"q", b"v"]]
        assert blocked(c) == 0


def test_a_script_does_not_block(srv):
    with srv.client() as c:
        assert c.call("EVAL", "return redis.call('mq.bpop', KEYS[1], 0)", 1, "q") == b"$-1\r\n"
        c.call("MQ.PUSH", "q", "v")
        assert decode(c.call("EVAL", "return redis.call('mq.bpop', KEYS[1], 0)", 1, "q")) == [b"q", b"v"]
        assert blocked(c) == 0


def test_disconnect_while_blocked_leaves_the_server_clean(srv):
    with srv.client() as admin:
        waiter = RespClient(srv.port)
        waiter.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 1)
        waiter.close()
        wait_blocked(admin, 0)
        assert admin.call("MQ.PUSH", "q", "v") == b":1\r\n"
        assert decode(admin.call("MQ.LEN", "q")) == 1   # no ghost took it
        assert admin.call("PING") == b"+PONG\r\n"


def test_client_kill_of_a_blocked_client(srv):
    with srv.client() as admin, srv.client() as waiter:
        waiter.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 1)
        assert admin.call("CLIENT", "KILL", "ID", client_id_of(admin, waiter)) == b":1\r\n"
        wait_blocked(admin, 0)
        assert waiter.is_closed_by_peer()
        assert admin.call("MQ.PUSH", "q", "v") == b":1\r\n"
        assert decode(admin.call("MQ.LEN", "q")) == 1


def test_served_pop_streams_its_effect(server_factory):
    srv = server_factory("ours", "--repl-ping-replica-period", "3600", "--repl-diskless-sync", "no")
    tap = StreamTap(srv)
    try:
        with srv.client() as admin, srv.client() as waiter:
            waiter.send("MQ.BPOP", "q", "0")
            wait_blocked(admin, 1)
            tap.run("MQ.PUSH", "q", "a", "b")
            assert decode(waiter.read_reply()) == [b"q", b"a"]
            effects = tap.effects()
            assert effects == [[b"SELECT", b"0"], [b"MQ.PUSH", b"q", b"a", b"b"], [b"MQ.POP", b"q"]], effects
            # A waiter that times out or declines streams nothing.
            waiter.call("MQ.BPOP", "none", "0.01")
            assert tap.effects() == []
    finally:
        tap.close()


def digest(c):
    return decode(c.call("DEBUG", "DIGEST"))


def test_served_pop_reaches_a_replica(server_factory):
    master = server_factory("ours")
    replica = server_factory("ours", "--replicaof", "127.0.0.1", str(master.port))
    with master.client() as admin, master.client() as waiter, replica.client() as r:
        wait_until(lambda: info_field(r, "replication", "master_link_status") == "up", "the replica link")
        admin.call("MQ.PUSH", "q", "keep")
        waiter.send("MQ.BPOP", "q2", "q", "0")
        assert decode(waiter.read_reply()) == [b"q", b"keep"]
        waiter.send("MQ.BPOP", "q", "0")
        wait_blocked(admin, 1)
        admin.call("MQ.PUSH", "q", "x", "y")
        assert decode(waiter.read_reply()) == [b"q", b"x"]
        wait_until(lambda: decode(r.call("MQ.LEN", "q")) == 1, "the replica's queue")
        wait_until(lambda: digest(r) == digest(admin), "equal digests")


# ---- a module loaded as a shared library ------------------------------------------------------------------------

SOURCE = r'''
import RedisModule

/// BLK.GETDEL key timeout-ms: the string at key, deleted, once the key exists (waits for it).
func getdel(_ ctx: ModuleContext) throws {
    let key = ctx.argument(1)
    let ms = try ctx.integer(2)
    func serve(_ ctx: ModuleContext) throws -> Bool {
        guard let v = try ctx.string(key) else { return false }
        ctx.delete(key)
        ctx.signalModified(key)
        ctx.replicate([["DEL", key]])
        ctx.reply.bulk(v)
        return true
    }
    if try serve(ctx) { return }
    try ctx.blockOnKeys([key], timeoutMilliseconds: ms, onReady: serve,
                        onTimeout: { ctx in ctx.reply.bulk("timed out") })
}

struct BlkModule: ModuleDefinition {
    let name = "blk"
    let version = 1
    var commands: [ModuleCommand] {
        [ModuleCommand("blk.getdel", arity: 3, flags: "write blocking", firstKey: 1, lastKey: 1, keyStep: 1,
                       handler: getdel),
         ModuleCommand("blk.canblock", arity: 1, handler: { ctx in ctx.reply.integer(ctx.canBlock ? 1 : 0) })]
    }
}

@_cdecl("redis_swift_module_init")
public func redisSwiftModuleInit(_ request: UnsafeMutableRawPointer) -> Int32 {
    ModuleExport.export(BlkModule(), to: request)
}
'''


@pytest.fixture(scope="module")
def blk_so():
    if not has_module_interfaces():
        pytest.skip("the server's build has no module interfaces")
    d = tempfile.mkdtemp()
    try:
        src = os.path.join(d, "blk.swift")
        with open(src, "w") as f:
            f.write(SOURCE)
        yield build("blk", [src], "BlkModule")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_loaded_module_blocks_and_a_builtin_set_serves_it(server_factory, blk_so):
    srv = server_factory("ours", "--enable-module-command", "yes")
    with srv.client() as admin, srv.client() as waiter:
        assert admin.call("MODULE", "LOAD", blk_so) == b"+OK\r\n"
        assert decode(admin.call("BLK.CANBLOCK")) == 1
        admin.call("MULTI")
        admin.call("BLK.CANBLOCK")
        assert decode(admin.call("EXEC")) == [0]
        waiter.send("BLK.GETDEL", "k", "0")
        wait_blocked(admin, 1)
        assert admin.call("SET", "k", "v") == b"+OK\r\n"
        assert waiter.read_reply() == b"$1\r\nv\r\n"
        assert decode(admin.call("EXISTS", "k")) == 0
        assert waiter.call("BLK.GETDEL", "k", "20") == b"$9\r\ntimed out\r\n"
        assert blocked(admin) == 0


def test_loaded_module_unload_is_refused_while_clients_wait(server_factory, blk_so):
    srv = server_factory("ours", "--enable-module-command", "yes")
    with srv.client() as admin, srv.client() as waiter:
        assert admin.call("MODULE", "LOAD", blk_so) == b"+OK\r\n"
        waiter.send("BLK.GETDEL", "k", "0")
        wait_blocked(admin, 1)
        assert admin.call("MODULE", "UNLOAD", "blk") == (
            b"-ERR Error unloading module: the module has blocked clients. Please wait them unblocked and try again\r\n")
        assert admin.call("CLIENT", "UNBLOCK", client_id_of(admin, waiter)) == b":1\r\n"
        assert waiter.read_reply() == b"$9\r\ntimed out\r\n"
        assert admin.call("MODULE", "UNLOAD", "blk") == b"+OK\r\n"


def test_loaded_module_served_write_reaches_a_replica(server_factory, blk_so):
    master = server_factory("ours", "--enable-module-command", "yes")
    replica = server_factory("ours", "--replicaof", "127.0.0.1", str(master.port))
    with master.client() as admin, master.client() as waiter, replica.client() as r:
        assert admin.call("MODULE", "LOAD", blk_so) == b"+OK\r\n"
        wait_until(lambda: info_field(r, "replication", "master_link_status") == "up", "the replica link")
        waiter.send("BLK.GETDEL", "k", "0")
        wait_blocked(admin, 1)
        admin.call("SET", "k", "v")
        assert waiter.read_reply() == b"$1\r\nv\r\n"
        admin.call("SET", "after", "1")
        wait_until(lambda: decode(r.call("GET", "after")) == b"1", "the replica to catch up")
        assert decode(r.call("EXISTS", "k")) == 0   # the DEL effect arrived (the replica has no blk module)
