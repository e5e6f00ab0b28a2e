"""A module loaded at run time that exports a data type (built from source with the template's build.sh): its
values get TYPE, DUMP/RESTORE and DEBUG RELOAD like a compiled-in type's, and MODULE UNLOAD refuses it with
Redis's text (Redis never unloads a module that exports data types, whether or not keys of them exist)."""

import os
import shutil
import tempfile
import time

import pytest

from conftest import ServerProcess, loaded_modules, ours_binary
from resp import decode
from test_module_loading import build, has_module_interfaces

pytestmark = pytest.mark.timeout_seconds(900)

SOURCE = r'''
import RedisModule

final class Counter: ModuleValue {
    var n: Int64
    init(_ n: Int64) { self.n = n }
    func duplicate() -> ModuleValue { Counter(n) }
    var memoryUsage: Int { 8 }
    func save(to io: inout ModuleValueWriter) { io.saveSigned(n) }
    func rewrite(key: RBytes, into aof: inout ModuleValueRewriter) {
        aof.emit(["COUNTER.SET", key, RBytes(String(n))])
    }
    func digest(into d: inout ModuleValueDigest) { d.add(n); d.endSequence() }
}

let counterType = ModuleDataType(name: "swcounter", encodingVersion: 1) { io, encver in
    guard encver == 1 else { throw ModuleError("unknown encoding") }
    return Counter(try io.loadSigned())
}

struct CounterModule: ModuleDefinition {
    let name = "counter"
    let version = 1
    var types: [ModuleDataType] { [counterType] }
    var commands: [ModuleCommand] {
        [
            ModuleCommand("counter.incr", arity: 2, flags: "write", firstKey: 1, lastKey: 1, keyStep: 1) { ctx in
                let key = ctx.argument(1)
                let c: Counter
                if let v = try ctx.value(key, of: counterType) as? Counter { c = v } else {
                    c = Counter(0)
                    ctx.setValue(key, c, of: counterType)
                }
                c.n += 1
                ctx.signalModified(key)
                ctx.replicateVerbatim()
                ctx.reply.integer(c.n)
            },
            ModuleCommand("counter.set", arity: 3, flags: "write", firstKey: 1, lastKey: 1, keyStep: 1) { ctx in
                ctx.setValue(ctx.argument(1), Counter(try ctx.integer(2)), of: counterType)
                ctx.signalModified(ctx.argument(1))
                ctx.replicateVerbatim()
                ctx.reply.ok()
            },
        ]
    }
}

@_cdecl("redis_swift_module_init")
public func redisSwiftModuleInit(_ request: UnsafeMutableRawPointer) -> Int32 {
    ModuleExport.export(CounterModule(), to: request)
}
'''


@pytest.fixture(scope="module")
def counter_so():
    if not has_module_interfaces():
        pytest.skip("the server's build has no module interfaces")
    d = tempfile.mkdtemp()
    try:
        src = os.path.join(d, "counter.swift")
        with open(src, "w") as f:
            f.write(SOURCE)
        yield build("counter", [src], "CounterModule")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def call(c, *args):
    return decode(c.call(*args))


def test_loaded_type_works_and_unload_is_refused(server_factory, counter_so):
    srv = server_factory("ours", "--enable-module-command", "yes")
    with srv.client() as c:
        assert call(c, "MODULE", "LOAD", counter_so) == b"OK"
        # Refused even with no key of the type, as Redis.
        assert c.call("MODULE", "UNLOAD", "counter") == \
            b"-ERR Error unloading module: the module exports one or more module-side data types, can't unload\r\n"
        assert call(c, "COUNTER.INCR", "k") == 1
        assert call(c, "COUNTER.INCR", "k") == 2
        assert call(c, "TYPE", "k") == b"swcounter"
        assert c.call("MODULE", "UNLOAD", "counter") == \
            b"-ERR Error unloading module: the module exports one or more module-side data types, can't unload\r\n"
        assert call(c, "COUNTER.INCR", "k") == 3  # still loaded
        payload = call(c, "DUMP", "k")
        assert call(c, "RESTORE", "k2", "0", payload) == b"OK"
        assert call(c, "COUNTER.INCR", "k2") == 4
        assert call(c, "COPY", "k", "k3") == 1
        assert call(c, "COUNTER.INCR", "k3") == 4
        assert call(c, "COUNTER.INCR", "k") == 4
        digest = call(c, "DEBUG", "DIGEST")
        assert call(c, "DEBUG", "RELOAD") == b"OK"
        assert call(c, "DEBUG", "DIGEST") == digest
        assert call(c, "COUNTER.INCR", "k") == 5
        modules = call(c, "MODULE", "LIST")
        assert [m[1] for m in loaded_modules(modules)] == [b"counter"]


def test_loaded_type_survives_an_aof_rewrite_without_preamble_and_a_restart(counter_so):
    """`loadmodule` loads the type before the AOF is replayed; the rewrite holds the type's own commands."""
    d = tempfile.mkdtemp(prefix="counter-aof-")
    srv = ServerProcess(ours_binary(), "ours-counter-aof", ["--dir", d, "--appendonly", "yes",
                                                            "--aof-use-rdb-preamble", "no", "--loadmodule", counter_so])
    try:
        srv.start()
        with srv.redis() as r:
            r.execute_command("COUNTER.SET", "k", "41")
            r.execute_command("BGREWRITEAOF")
            end = time.monotonic() + 60
            while r.info("persistence")["aof_rewrite_in_progress"] or r.info("persistence")["aof_rewrites"] < 1:
                assert time.monotonic() < end, "rewrite did not finish"
                time.sleep(0.05)
            assert r.execute_command("COUNTER.INCR", "k") == 42
        base = [f for f in os.listdir(os.path.join(d, "appendonlydir")) if ".base." in f]
        assert base and b"COUNTER.SET" in open(os.path.join(d, "appendonlydir", base[0]), "rb").read()
        srv.stop()
        srv.start()
        with srv.redis() as r:
            assert r.execute_command("COUNTER.INCR", "k") == 43
            assert r.type("k") == b"swcounter"
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)
