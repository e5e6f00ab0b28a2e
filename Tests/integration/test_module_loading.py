"""Modules loaded at run time, as a new user follows docs/MODULES.md: build examples/module-template into a
shared library with its build.sh (holding the shared build lock), MODULE LOAD it into a running server, call its
commands from redis-cli, see it in MODULE LIST, COMMAND INFO, COMMAND DOCS and ACL CAT, then MODULE UNLOAD it.
Then bad modules (no entry point, a duplicate command name, another API version, a throwing handler, a load
refusal, a missing file): each is a clear error and a log line, and the server keeps serving."""

import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import NO_PLUGINS, loaded_modules, ours_binary
from resp import decode

TEMPLATE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "module-template")
BUILD_TIMEOUT = 600
# A build waits for the shared build lock, which other builds may hold for minutes.
pytestmark = pytest.mark.timeout_seconds(900)
LOAD_ERROR = b"-ERR Error loading the extension. Please check the server logs.\r\n"


def products_dir():
    """The build products the server binary comes from (with the module interfaces in Modules/): .build/release, or
    a sanitizer build's debug directory (make test-sanitize-*; the ThreadSanitizer wrapper sits beside it)."""
    d = os.path.dirname(os.path.abspath(ours_binary()))
    return d if os.path.basename(d) in ("debug", "release") else os.path.join(d, "debug")


def repo_root():
    """The checkout whose build the server binary comes from."""
    return os.path.dirname(os.path.dirname(products_dir()))


def has_module_interfaces():
    return os.path.exists(os.path.join(products_dir(), "Modules", "RedisModule.swiftmodule"))


def build(name, sources=None, swift_module=None):
    """Runs the template's build.sh under the shared build lock; returns the library's path."""
    env = dict(os.environ, REDIS_SWIFT=repo_root(), REDIS_SWIFT_PRODUCTS=products_dir(), MODULE_NAME=name)
    if sources:
        env["SOURCES"] = " ".join(sources)
        env["SWIFT_MODULE"] = swift_module
    cmd = ["flock", "/tmp/swift-build.lock", os.path.join(TEMPLATE, "build.sh")]
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return proc.stdout.decode().strip().splitlines()[-1]


@pytest.fixture(scope="module")
def hello_so():
    if not has_module_interfaces():
        pytest.skip("the server's build has no module interfaces")
    return build("hello")


def cli(srv, *args):
    out = subprocess.run(["redis-cli", "-p", str(srv.port)] + [str(a) for a in args], capture_output=True,
                         timeout=30)
    return out.stdout.decode().strip()


def test_template_loads_runs_lists_and_unloads(server_factory, hello_so):
    srv = server_factory("ours", "--enable-module-command", "yes")
    assert cli(srv, "MODULE", "LOAD", hello_so) == "OK"
    assert cli(srv, "HELLO.GREET", "you") == "Hello, you!"
    assert cli(srv, "HELLO.COUNT", "visits") == "1"
    assert cli(srv, "HELLO.COUNT", "visits") == "2"
    with srv.client() as c:
        assert loaded_modules(decode(c.call("MODULE", "LIST"))) == [[b"name", b"hello", b"ver", 1, b"path", hello_so.encode(), b"args", []]]
        info = decode(c.call("COMMAND", "INFO", "hello.count"))[0]
        assert info[:6] == [b"hello.count", 2, [b"write", b"denyoom", b"fast"], 1, 1, 1]
        assert set(info[6]) == {b"@write", b"@string", b"@fast"}
        docs = decode(c.call("COMMAND", "DOCS", "hello.greet"))
        assert docs[0] == b"hello.greet"
        fields = dict(zip(docs[1][::2], docs[1][1::2]))
        assert fields[b"summary"] == b"Replies a greeting."
        assert (fields[b"group"], fields[b"module"]) == (b"module", b"hello")
        assert sorted(decode(c.call("COMMAND", "LIST", "FILTERBY", "MODULE", "hello"))) == [b"hello.count", b"hello.greet"]
        assert b"hello.count" in decode(c.call("ACL", "CAT", "string"))
        assert b"hello.greet" not in decode(c.call("ACL", "CAT", "string"))
    assert cli(srv, "MODULE", "UNLOAD", "hello") == "OK"
    assert cli(srv, "HELLO.GREET").startswith("ERR unknown command 'HELLO.GREET'")
    with srv.client() as c:
        assert loaded_modules(decode(c.call("MODULE", "LIST"))) == []
        assert c.call("COMMAND", "INFO", "hello.count") == b"*1\r\n$-1\r\n"
        assert b"hello.count" not in decode(c.call("ACL", "CAT", "string"))
        assert decode(c.call("GET", "visits")) == b"2"


def test_template_package_builds_with_swift_build_and_loads(server_factory, hello_so, tmp_path):
    """The template copied elsewhere, as a user would, and built with `swift build` and its own Package.swift."""
    copy = tmp_path / "my-module"
    shutil.copytree(TEMPLATE, copy, ignore=shutil.ignore_patterns(".build"))
    env = dict(os.environ, REDIS_SWIFT=repo_root())
    proc = subprocess.run(["flock", "/tmp/swift-build.lock", "swift", "build", "-c", "release"], cwd=copy, env=env,
                          capture_output=True, timeout=BUILD_TIMEOUT)
    assert proc.returncode == 0, (proc.stdout + proc.stderr).decode()[-3000:]
    library = copy / ".build" / "release" / "libhello.so"
    assert library.exists()
    # No kernel code inside: every kernel symbol the library uses comes from the server.
    defined = subprocess.run(["nm", "-D", "--defined-only", str(library)], capture_output=True).stdout.decode()
    symbols = [line.split()[-1] for line in defined.splitlines() if line.strip()]
    assert any(sym.startswith("$s11HelloModule") for sym in symbols)
    assert not [sym for sym in symbols if sym.startswith(("$s6Kernel", "$s11RedisModule"))]
    srv = server_factory("ours", "--enable-module-command", "yes")
    assert cli(srv, "MODULE", "LOAD", str(library)) == "OK"
    assert cli(srv, "HELLO.GREET", "you") == "Hello, you!"
    assert cli(srv, "HELLO.COUNT", "visits") == "1"
    assert cli(srv, "MODULE", "UNLOAD", "hello") == "OK"


def test_unloaded_command_is_not_kept_by_a_cached_lookup_or_a_queued_multi(server_factory, hello_so):
    srv = server_factory("ours", "--enable-module-command", "yes")
    with srv.client() as admin, srv.client() as c:
        assert admin.call("MODULE", "LOAD", hello_so) == b"+OK\r\n"
        assert decode(c.call("HELLO.GREET")) == b"Hello, world!"   # cached lookup on this connection
        assert c.call("MULTI") == b"+OK\r\n"
        assert c.call("HELLO.COUNT", "q") == b"+QUEUED\r\n"
        assert admin.call("MODULE", "UNLOAD", "hello") == b"+OK\r\n"
        assert b"-ERR unknown command 'HELLO.COUNT'" in c.call("EXEC")
        assert c.call("HELLO.GREET").startswith(b"-ERR unknown command 'HELLO.GREET'")
        assert admin.call("MODULE", "LOAD", hello_so) == b"+OK\r\n"
        assert decode(c.call("HELLO.GREET")) == b"Hello, world!"


def test_reloaded_module_is_granted_to_all_commands_users(server_factory, hello_so):
    srv = server_factory("ours", "--enable-module-command", "yes")
    with srv.client() as c:
        assert c.call("ACL", "SETUSER", "all", "on", "nopass", "+@all", "~*") == b"+OK\r\n"
        assert c.call("ACL", "SETUSER", "some", "on", "nopass", "+@string", "-@all", "+get", "~*") == b"+OK\r\n"
        assert c.call("MODULE", "LOAD", hello_so) == b"+OK\r\n"
        with srv.client() as u:
            assert u.call("AUTH", "all", "x") == b"+OK\r\n"
            assert decode(u.call("HELLO.GREET")) == b"Hello, world!"
        with srv.client() as u:
            assert u.call("AUTH", "some", "x") == b"+OK\r\n"
            assert u.call("HELLO.GREET").startswith(b"-NOPERM")


def test_loadmodule_directive_loads_at_start(server_factory, hello_so):
    srv = server_factory("ours", "--loadmodule", hello_so)
    assert cli(srv, "HELLO.GREET") == "Hello, world!"
    with srv.client() as c:
        assert [m[1] for m in loaded_modules(decode(c.call("MODULE", "LIST")))] == [b"hello"]


def test_loadmodule_failure_stops_the_start(hello_so):
    port_dir = tempfile.mkdtemp()
    try:
        proc = subprocess.run([ours_binary(), "--port", "0", "--loadmodule", "/nonexistent/lib.so"],
                              capture_output=True, timeout=60, cwd=port_dir)
        assert proc.returncode == 1
        out = proc.stdout.decode()
        assert "Module /nonexistent/lib.so failed to load" in out
        assert "Can't load module from /nonexistent/lib.so: server aborting" in out
    finally:
        shutil.rmtree(port_dir, ignore_errors=True)


def test_module_command_gate_as_redis(server_factory, hello_so):
    for kind in ("ours", "real"):
        srv = server_factory(kind, *(NO_PLUGINS if kind == "ours" else ()))
        with srv.client() as c:
            assert c.call("MODULE", "LOAD", hello_so).startswith(b"-ERR MODULE command not allowed. If the enable-module-command option is set to \"local\"")
            assert c.call("MODULE", "UNLOAD", "x").startswith(b"-ERR MODULE command not allowed")
            assert c.call("MODULE", "LIST") == b"*0\r\n"
            assert decode(c.call("CONFIG", "GET", "enable-module-command")) == [b"enable-module-command", b"no"]


def test_module_errors_as_redis(server_factory):
    replies = []
    for kind in ("ours", "real"):
        srv = server_factory(kind, "--enable-module-command", "yes", *(NO_PLUGINS if kind == "ours" else ()))
        with srv.client() as c:
            replies.append([c.call("MODULE", "LOAD", "/nonexistent/lib.so"),
                            c.call("MODULE", "UNLOAD", "nosuch"),
                            c.call("MODULE", "LOADEX", "/nonexistent/lib.so", "CONFIG", "a", "b", "ARGS", "x"),
                            c.call("MODULE", "LIST"),
                            c.call("MODULE"),
                            c.call("MODULE", "HELP")])
        assert "failed to load: /nonexistent/lib.so: cannot open shared object file" in srv.log_tail()
    assert replies[0] == replies[1]
    assert replies[0][0] == LOAD_ERROR


BAD_SOURCES = {
    # No redis_swift_module_init.
    "noentry": """
import RedisModule
public func somethingElse() -> Int { 1 }
""",
    # A command name the server already has.
    "dup": """
import RedisModule
struct Dup: ModuleDefinition {
    let name = "dup"
    let version = 1
    var commands: [ModuleCommand] { [ModuleCommand("get", arity: 2, handler: { c in c.reply.ok() })] }
}
@_cdecl("redis_swift_module_init")
public func initModule(_ r: UnsafeMutableRawPointer) -> Int32 { ModuleExport.export(Dup(), to: r) }
""",
    # Built against another API version (what an old module's inlined export reports).
    "oldapi": """
import RedisModule
struct Old: ModuleDefinition {
    let name = "oldapi"
    let version = 1
    var commands: [ModuleCommand] { [ModuleCommand("oldapi.x", arity: 1, handler: { c in c.reply.ok() })] }
}
@_cdecl("redis_swift_module_init")
public func initModule(_ r: UnsafeMutableRawPointer) -> Int32 {
    ModuleLoadRequest.fill(r, definition: Old(), apiVersion: 999)
    return 0
}
""",
    # A handler that throws, one that throws a non-module error, and a load that refuses its arguments.
    "thrower": """
import RedisModule
struct Oops: Error, CustomStringConvertible { var description: String { "oops happened" } }
struct Fine: ModuleDefinition {
    let name = "thrower"
    let version = 3
    var commands: [ModuleCommand] { [
        ModuleCommand("thrower.err", arity: 1, handler: { _ in throw ModuleError("WRONGTYPE custom failure") }),
        ModuleCommand("thrower.any", arity: 1, handler: { _ in throw Oops() }),
    ] }
    func onLoad(arguments: [String]) throws {
        if arguments.first == "refuse" { throw ModuleError("refused by the module") }
    }
}
@_cdecl("redis_swift_module_init")
public func initModule(_ r: UnsafeMutableRawPointer) -> Int32 {
    ModuleExport.export(Fine(), to: r)
}
""",
    # A command with arity 0 and one with an unknown flag: refused by the registration door.
    "badmeta": """
import RedisModule
struct BadMeta: ModuleDefinition {
    let name = "badmeta"
    let version = 1
    var commands: [ModuleCommand] { [
        ModuleCommand("badmeta.ok", arity: 1, handler: { c in c.reply.ok() }),
        ModuleCommand("badmeta.zero", arity: 0, handler: { c in c.reply.ok() }),
    ] }
}
@_cdecl("redis_swift_module_init")
public func initModule(_ r: UnsafeMutableRawPointer) -> Int32 { ModuleExport.export(BadMeta(), to: r) }
""",
}


@pytest.fixture(scope="module")
def bad_modules(hello_so):
    d = tempfile.mkdtemp()
    libs = {}
    try:
        for name, text in BAD_SOURCES.items():
            src = os.path.join(d, name + ".swift")
            with open(src, "w") as f:
                f.write(text)
            libs[name] = build("bad" + name, [src], "Bad" + name.capitalize())
        yield libs
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_bad_modules_fail_clearly_and_the_server_keeps_serving(server_factory, bad_modules):
    srv = server_factory("ours", "--enable-module-command", "yes")
    with srv.client() as c:
        causes = {
            "noentry": "does not export the redis_swift_module_init entry point",
            "dup": "command 'get' is already registered",
            "oldapi": "was built against module API version 999, this server implements version 3",
        }
        for name, cause in causes.items():
            assert c.call("MODULE", "LOAD", bad_modules[name]) == LOAD_ERROR
            assert cause in srv.log_tail(5), (name, srv.log_tail(5))
            assert c.call("PING") == b"+PONG\r\n"
        assert loaded_modules(decode(c.call("MODULE", "LIST"))) == []
        assert decode(c.call("GET", "x")) is None   # the built-in GET still is the built-in


def test_throwing_handlers_reply_errors(server_factory, bad_modules):
    srv = server_factory("ours", "--enable-module-command", "yes")
    with srv.client() as c:
        assert c.call("MODULE", "LOAD", bad_modules["thrower"], "refuse") == LOAD_ERROR
        assert "refused by the module" in srv.log_tail(5)
        assert c.call("THROWER.ERR").startswith(b"-ERR unknown command")   # nothing stayed registered
        assert c.call("MODULE", "LOAD", bad_modules["thrower"]) == b"+OK\r\n"
        assert c.call("THROWER.ERR") == b"-WRONGTYPE custom failure\r\n"
        assert c.call("THROWER.ANY") == b"-ERR oops happened\r\n"
        assert loaded_modules(decode(c.call("MODULE", "LIST")))[0][3] == 3
        stats = decode(c.call("INFO", "errorstats"))
        assert b"errorstat_WRONGTYPE" in stats


def test_bad_command_metadata_is_refused_at_load(server_factory, bad_modules):
    srv = server_factory("ours", "--enable-module-command", "yes")
    with srv.client() as c:
        assert c.call("MODULE", "LOAD", bad_modules["badmeta"]) == LOAD_ERROR
        assert "command 'badmeta.zero': arity 0" in srv.log_tail(5)
        assert c.call("BADMETA.OK").startswith(b"-ERR unknown command")   # all or nothing
        assert c.call("PING") == b"+PONG\r\n"
