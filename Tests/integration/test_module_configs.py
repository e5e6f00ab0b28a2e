"""Module configs (Redis 7.0's RedisModule_Register{String,Bool,Numeric,Enum}Config + LoadConfigs), on a loadable
module built from the template like test_module_loading.py: `<module>.<name>` in CONFIG GET (patterns, hidden),
CONFIG SET (validation texts, immutable, protected, apply refusals that restore, sensitive redaction), MODULE
LOADEX ... CONFIG (refusals roll the load back), config-file lines queued for `loadmodule`, leftover lines and bad
values stopping the start with Redis's log lines, CONFIG REWRITE + restart, MODULE UNLOAD. The module-specific
texts come from Redis 7.0's sources (redis-server loads no Swift module); the start-up texts that need no module
are compared with redis-server itself. The Bloom plugin's bf.* configs are tested at the end."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import free_port, loaded_modules, ours_binary, real_binary
from resp import RespClient, decode
from test_module_loading import LOAD_ERROR, build, repo_root

pytestmark = pytest.mark.timeout_seconds(900)
DEADLINE = 60

SOURCE = r"""
import RedisModule

final class State {
    var mutableBool = true
    var immutableBool = false
    var memory: Int64 = 0
    var numeric: Int64 = 0
    var text = ""
    var choice = 0
    var flags = 0
    var applies = 0
}
let state = State()
let secret = ModuleSetting<String>("")
let hiddenValue = ModuleSetting<Int64>(0)
let guarded = ModuleSetting<Int64>(0)

struct ConfigsModule: ModuleDefinition {
    let name = "moduleconfigs"
    let version = 1
    var commands: [ModuleCommand] { [
        ModuleCommand("moduleconfigs.applies", arity: 1, handler: { c in c.reply.integer(Int64(state.applies)) }),
        ModuleCommand("moduleconfigs.text", arity: 1, handler: { c in c.reply.bulk(state.text) }),
    ] }
    var configs: [ModuleConfig] { [
        .bool("mutable_bool", default: true, get: { state.mutableBool }, set: { state.mutableBool = $0 },
              apply: { () throws(ModuleError) in
                  state.applies += 1
                  if state.mutableBool && state.immutableBool { throw ModuleError("Bool configs cannot both be yes.") }
              }),
        .bool("immutable_bool", default: false, flags: .immutable, get: { state.immutableBool },
              set: { state.immutableBool = $0 }),
        .numeric("memory_numeric", default: 1024, min: 0, max: 3 << 30, flags: .memory, get: { state.memory },
                 set: { state.memory = $0 }, apply: { () throws(ModuleError) in
                     if state.memory == state.numeric { throw ModuleError("These configs cannot equal each other.") }
                 }),
        .numeric("numeric", default: -1, min: -5, max: 2000, get: { state.numeric }, set: { state.numeric = $0 }),
        .string("string", default: "secret password", get: { state.text }, set: { v throws(ModuleError) in
            if v == "rejectisfreed" { throw ModuleError("Cannot set string to 'rejectisfreed'") }
            state.text = v
        }),
        .enumeration("enum", default: 1, values: [("one", 1), ("two", 2)], get: { state.choice },
                     set: { state.choice = $0 }),
        .enumeration("flags", default: 3, values: [("none", 0), ("five", 5), ("one", 1), ("two", 2), ("four", 4)],
                     flags: .bitflags, get: { state.flags }, set: { state.flags = $0 }),
        .string("secret", default: "", flags: .sensitive, stored: secret),
        .numeric("hidden", default: 7, min: 0, max: 100, flags: .hidden, stored: hiddenValue),
        .numeric("guarded", default: 1, min: 0, max: 100, flags: .protected, stored: guarded),
    ] }
}

@_cdecl("redis_swift_module_init")
public func initModule(_ r: UnsafeMutableRawPointer) -> Int32 { ModuleExport.export(ConfigsModule(), to: r) }
"""

SECOND = r"""
import RedisModule
let flag = ModuleSetting<Bool>(true)
struct Second: ModuleDefinition {
    let name = "configs"
    let version = 1
    var commands: [ModuleCommand] { [] }
    var configs: [ModuleConfig] { [.bool("test", default: true, stored: flag)] }
}
@_cdecl("redis_swift_module_init")
public func initModule(_ r: UnsafeMutableRawPointer) -> Int32 { ModuleExport.export(Second(), to: r) }
"""

BAD_NAME = r"""
import RedisModule
let v = ModuleSetting<Bool>(true)
struct BadName: ModuleDefinition {
    let name = "badcfg"
    let version = 1
    var commands: [ModuleCommand] { [ModuleCommand("badcfg.x", arity: 1, handler: { c in c.reply.ok() })] }
    var configs: [ModuleConfig] { [.bool("bad name", default: true, stored: v)] }
}
@_cdecl("redis_swift_module_init")
public func initModule(_ r: UnsafeMutableRawPointer) -> Int32 { ModuleExport.export(BadName(), to: r) }
"""

DEFAULTS = {
    b"moduleconfigs.mutable_bool": b"yes",
    b"moduleconfigs.immutable_bool": b"no",
    b"moduleconfigs.memory_numeric": b"1024",
    b"moduleconfigs.numeric": b"-1",
    b"moduleconfigs.string": b"secret password",
    b"moduleconfigs.enum": b"one",
    b"moduleconfigs.flags": b"one two",
    b"moduleconfigs.secret": b"",
    b"moduleconfigs.guarded": b"1",
}


@pytest.fixture(scope="module")
def libs():
    if not os.path.exists(os.path.join(repo_root(), ".build", "release", "Modules", "RedisModule.swiftmodule")):
        pytest.skip("the server's build has no module interfaces")
    d = tempfile.mkdtemp()
    try:
        out = {}
        for name, module, text in (("moduleconfigs", "ModuleConfigs", SOURCE), ("configs", "SecondConfigs", SECOND),
                                   ("badcfg", "BadCfg", BAD_NAME)):
            src = os.path.join(d, name + ".swift")
            with open(src, "w") as f:
                f.write(text)
            out[name] = build(name, [src], module)
        yield out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def config_get(c, pattern):
    flat = decode(c.call("CONFIG", "GET", pattern))
    return dict(zip(flat[::2], flat[1::2]))


def get1(c, name):
    return config_get(c, name).get(name.encode() if isinstance(name, str) else name)


@pytest.fixture
def srv(server_factory, libs):
    s = server_factory("ours", "--enable-module-command", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOAD", libs["moduleconfigs"]) == b"+OK\r\n"
    return s


def test_config_get_shows_the_defaults(srv):
    with srv.client() as c:
        got = config_get(c, "moduleconfigs.*")
        assert got == DEFAULTS


def test_hidden_config_answers_only_its_exact_name(srv):
    with srv.client() as c:
        assert b"moduleconfigs.hidden" not in config_get(c, "*")
        assert b"moduleconfigs.hidden" not in config_get(c, "moduleconfigs.h*")
        assert get1(c, "moduleconfigs.hidden") == b"7"
        assert get1(c, "MODULECONFIGS.HIDDEN") == b"7"


def test_config_set_changes_every_kind(srv):
    with srv.client() as c:
        for name, value, shown in (("mutable_bool", "no", b"no"), ("memory_numeric", "1mb", b"1048576"),
                                   ("string", "wafflewednesdays", b"wafflewednesdays"), ("enum", "TWO", b"two"),
                                   ("numeric", "-2", b"-2"), ("hidden", "9", b"9")):
            assert c.call("CONFIG", "SET", "moduleconfigs." + name, value) == b"+OK\r\n"
            assert get1(c, "moduleconfigs." + name) == shown
        binary = b"super \x00secret password"
        assert c.call("CONFIG", "SET", "moduleconfigs.string", binary) == b"+OK\r\n"
        assert get1(c, "moduleconfigs.string") == binary


def test_bitflags_take_several_names_and_show_redis_names(srv):
    with srv.client() as c:
        for value, shown in (("two", b"two"), ("none", b"none"), ("two four", b"two four"), ("five", b"five"),
                             ("one four", b"five"), ("one two four", b"five two"), ("FOUR one", b"five")):
            assert c.call("CONFIG", "SET", "moduleconfigs.flags", value) == b"+OK\r\n"
            assert get1(c, "moduleconfigs.flags") == shown, value


def test_refused_values_reply_redis_texts(srv):
    cases = [
        ("immutable_bool", "yes", "can't set immutable config"),
        ("string", "rejectisfreed", "Cannot set string to 'rejectisfreed'"),
        ("memory_numeric", "200gb", "argument must be between 0 and 3221225472 inclusive"),
        ("memory_numeric", "-5", "argument must be a memory value"),
        ("numeric", "-10", "argument must be between -5 and 2000 inclusive"),
        ("numeric", "1x", "argument couldn't be parsed into an integer"),
        ("enum", "asdf", "argument(s) must be one of the following: one, two"),
        ("enum", "one two", "argument(s) must be one of the following: one, two"),
        ("flags", "one six", "argument(s) must be one of the following: none, five, one, two, four"),
        ("mutable_bool", "maybe", "argument must be 'yes' or 'no'"),
    ]
    with srv.client() as c:
        for name, value, why in cases:
            reply = c.call("CONFIG", "SET", "moduleconfigs." + name, value)
            assert reply == ("-ERR CONFIG SET failed (possibly related to argument 'moduleconfigs.%s') - %s\r\n"
                             % (name, why)).encode(), (name, value, reply)
        assert config_get(c, "moduleconfigs.*") == DEFAULTS


def test_unknown_module_config_name_is_redis_unknown_option(srv, server_factory):
    replies = []
    for s in (srv, server_factory("real")):
        with s.client() as c:
            replies.append(c.call("CONFIG", "SET", "moduleconfigs.nosuch", "1"))
    assert replies[0] == replies[1]


def test_apply_refusal_restores_every_value_of_the_config_set(srv):
    with srv.client() as c:
        reply = c.call("CONFIG", "SET", "moduleconfigs.memory_numeric", "1000", "moduleconfigs.numeric", "1000")
        assert reply == (b"-ERR CONFIG SET failed (possibly related to argument 'memory_numeric') - "
                         b"These configs cannot equal each other.\r\n")
        assert get1(c, "moduleconfigs.memory_numeric") == b"1024"
        assert get1(c, "moduleconfigs.numeric") == b"-1"
        assert c.call("CONFIG", "SET", "moduleconfigs.memory_numeric", "1000") == b"+OK\r\n"
        assert get1(c, "moduleconfigs.memory_numeric") == b"1000"


def test_apply_runs_after_config_set_only(srv):
    with srv.client() as c:
        assert decode(c.call("MODULECONFIGS.APPLIES")) == 0      # not at load
        assert c.call("CONFIG", "SET", "moduleconfigs.mutable_bool", "no") == b"+OK\r\n"
        assert decode(c.call("MODULECONFIGS.APPLIES")) == 1


def test_protected_config_follows_enable_protected_configs(srv, server_factory, libs):
    with srv.client() as c:
        assert c.call("CONFIG", "SET", "moduleconfigs.guarded", "5") == (
            b"-ERR CONFIG SET failed (possibly related to argument 'moduleconfigs.guarded') - can't set protected config\r\n")
    s = server_factory("ours", "--enable-module-command", "yes", "--enable-protected-configs", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOAD", libs["moduleconfigs"]) == b"+OK\r\n"
        assert c.call("CONFIG", "SET", "moduleconfigs.guarded", "5") == b"+OK\r\n"
        assert get1(c, "moduleconfigs.guarded") == b"5"


def test_sensitive_value_is_redacted_from_slowlog(srv):
    with srv.client() as c:
        assert c.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == b"+OK\r\n"
        assert c.call("CONFIG", "SET", "moduleconfigs.secret", "hunter2", "moduleconfigs.numeric", "3") == b"+OK\r\n"
        entries = decode(c.call("SLOWLOG", "GET", "10"))
        args = [e[3] for e in entries if e[3][:2] == [b"CONFIG", b"SET"]][0]
        assert args == [b"CONFIG", b"SET", b"moduleconfigs.secret", b"(redacted)", b"moduleconfigs.numeric", b"3"]
        assert get1(c, "moduleconfigs.secret") == b"hunter2"


def test_unload_removes_the_configs_and_a_reload_starts_from_defaults(srv, libs):
    with srv.client() as c:
        assert c.call("CONFIG", "SET", "moduleconfigs.string", "changed") == b"+OK\r\n"
        assert c.call("MODULE", "UNLOAD", "moduleconfigs") == b"+OK\r\n"
        assert config_get(c, "moduleconfigs.*") == {}
        assert config_get(c, "moduleconfigs.string") == {}
        assert c.call("MODULE", "LOAD", libs["moduleconfigs"]) == b"+OK\r\n"
        assert config_get(c, "moduleconfigs.*") == DEFAULTS


def test_loadex_sets_configs_also_immutable_ones(server_factory, libs):
    s = server_factory("ours", "--enable-module-command", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOADEX", libs["moduleconfigs"], "CONFIG", "moduleconfigs.mutable_bool", "no",
                      "CONFIG", "moduleconfigs.immutable_bool", "yes", "CONFIG", "moduleconfigs.memory_numeric", "2mb",
                      "CONFIG", "MODULECONFIGS.STRING", "tclortickle", "ARGS", "a", "b") == b"+OK\r\n"
        got = config_get(c, "moduleconfigs.*")
        assert got[b"moduleconfigs.mutable_bool"] == b"no"
        assert got[b"moduleconfigs.immutable_bool"] == b"yes"
        assert got[b"moduleconfigs.memory_numeric"] == b"2097152"
        assert got[b"moduleconfigs.string"] == b"tclortickle"
        assert got[b"moduleconfigs.enum"] == b"one"
        assert loaded_modules(decode(c.call("MODULE", "LIST")))[0][7] == [b"a", b"b"]


def test_loadex_same_config_twice_takes_the_last(server_factory, libs):
    s = server_factory("ours", "--enable-module-command", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOADEX", libs["moduleconfigs"], "CONFIG", "moduleconfigs.mutable_bool", "yes",
                      "CONFIG", "moduleconfigs.mutable_bool", "no") == b"+OK\r\n"
        assert get1(c, "moduleconfigs.mutable_bool") == b"no"


@pytest.mark.parametrize("args,logged", [
    (["CONFIG", "moduleconfigs.memory_numeric", "200gb", "ARGS"],
     "Issue during loading of configuration moduleconfigs.memory_numeric : argument must be between 0 and 3221225472 inclusive"),
    (["CONFIG", "moduleconfigs.string", "rejectisfreed"],
     "Issue during loading of configuration moduleconfigs.string : Cannot set string to 'rejectisfreed'"),
    (["CONFIG", "moduleconfigs.mutable_bool", "CONFIG", "moduleconfigs.enum", "two", "ARGS"],
     "Syntax Error from arguments to loadex around moduleconfigs.enum."),   # "CONFIG" was the bool's value
    (["CONFIG", "maxclients", "333"],
     "Loadex configurations were not applied, likely due to invalid arguments. Unloading the module."),
    (["CONFIG", "moduleconfigs.nosuch", "1"],
     "Loadex configurations were not applied, likely due to invalid arguments. Unloading the module."),
    (["CONFIG", "moduleconfigs.string"], "CONFIG specified without name value pair"),
    (["BOGUS"], "Syntax Error from arguments to loadex around BOGUS."),
])
def test_loadex_refusal_rolls_the_load_back(server_factory, libs, args, logged):
    s = server_factory("ours", "--enable-module-command", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOADEX", libs["moduleconfigs"], *args) == LOAD_ERROR
        assert logged in s.log_tail(5), s.log_tail(5)
        assert config_get(c, "moduleconfigs.*") == {}
        assert loaded_modules(decode(c.call("MODULE", "LIST"))) == []
        assert c.call("MODULECONFIGS.TEXT").startswith(b"-ERR unknown command")
        assert get1(c, "maxclients") == b"10000"
        # The refusal left nothing queued: a plain load gets the defaults.
        assert c.call("MODULE", "LOAD", libs["moduleconfigs"]) == b"+OK\r\n"
        assert config_get(c, "moduleconfigs.*") == DEFAULTS


def test_loadex_cannot_set_another_modules_config(server_factory, libs):
    s = server_factory("ours", "--enable-module-command", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOAD", libs["configs"]) == b"+OK\r\n"
        assert c.call("MODULE", "LOADEX", libs["moduleconfigs"], "CONFIG", "configs.test", "no") == LOAD_ERROR
        assert get1(c, "configs.test") == b"yes"
        assert config_get(c, "moduleconfigs.*") == {}


def test_bad_config_name_refuses_the_load(server_factory, libs):
    s = server_factory("ours", "--enable-module-command", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOAD", libs["badcfg"]) == LOAD_ERROR
        assert "Invalid character   in Module Config name bad name." in s.log_tail(5)
        assert c.call("BADCFG.X").startswith(b"-ERR unknown command")


def test_two_modules_keep_their_own_configs(server_factory, libs):
    s = server_factory("ours", "--enable-module-command", "yes")
    with s.client() as c:
        assert c.call("MODULE", "LOAD", libs["moduleconfigs"]) == b"+OK\r\n"
        assert c.call("MODULE", "LOADEX", libs["configs"], "CONFIG", "configs.test", "no") == b"+OK\r\n"
        assert get1(c, "configs.test") == b"no"
        assert config_get(c, "moduleconfigs.*") == DEFAULTS
        assert set(config_get(c, "*s.test")) == {b"configs.test"}


# -- start-up: config-file lines queued for loadmodule ---------------------------------------------------------


class Proc(object):
    """A server started from a config file in its own directory (kept across restarts)."""

    def __init__(self, kind, directory, lines):
        self.kind = kind
        self.dir = directory
        self.conf = os.path.join(directory, "redis.conf")
        self.port = free_port()
        with open(self.conf, "w") as f:
            f.write("port %d\nbind 127.0.0.1\nsave \"\"\nenable-module-command yes\n" % self.port)
            for line in lines:
                f.write(line + "\n")
        self.proc = None
        self.log = os.path.join(directory, "out.log")

    def start(self):
        binary = ours_binary() if self.kind == "ours" else real_binary()
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([binary, self.conf], cwd=self.dir, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("server did not start or exit")

    def output(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def call(self, *args):
        """The decoded reply (bulk and simple strings as bytes)."""
        c = RespClient(self.port)
        try:
            return decode(c.call(*args))
        finally:
            c.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=DEADLINE)


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="modcfg-")
    procs = []
    yield d, procs
    for p in procs:
        p.stop()
    shutil.rmtree(d, ignore_errors=True)


def started(workdir, lines, kind="ours"):
    d, procs = workdir
    sub = tempfile.mkdtemp(dir=d)
    p = Proc(kind, sub, lines)
    procs.append(p)
    return p, p.start()


def test_config_file_lines_apply_when_the_module_loads(workdir, libs):
    p, up = started(workdir, ["moduleconfigs.string bootedup", "loadmodule %s" % libs["moduleconfigs"],
                              "moduleconfigs.flags two four", "MODULECONFIGS.ENUM two", "moduleconfigs.enum one"])
    assert up, p.output()
    got = dict(zip(*[iter(p.call("CONFIG", "GET", "moduleconfigs.*"))] * 2))
    assert got[b"moduleconfigs.string"] == b"bootedup"
    assert got[b"moduleconfigs.flags"] == b"two four"
    assert got[b"moduleconfigs.enum"] == b"one"
    assert got[b"moduleconfigs.numeric"] == b"-1"


def test_config_line_without_a_module_stops_the_start_as_redis(workdir):
    outputs = []
    for kind in ("ours", "real"):
        p, up = started(workdir, ["moduleconfigs.string hello"], kind)
        assert not up and p.proc.returncode == 1
        outputs.append(p.output())
    for out in outputs:
        assert "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting" in out


def test_config_line_without_a_value_is_a_fatal_config_error_as_redis(workdir):
    outputs = []
    for kind in ("ours", "real"):
        p, up = started(workdir, ["moduleconfigs.string"], kind)
        assert not up and p.proc.returncode == 1
        outputs.append(p.output().split("***", 1)[1].strip().splitlines()[:4])
    assert outputs[0] == outputs[1]
    assert outputs[0][2:] == [">>> 'moduleconfigs.string'", "Module config specified without value"]


def test_bad_queued_value_stops_the_start(workdir, libs):
    p, up = started(workdir, ["loadmodule %s" % libs["moduleconfigs"], "moduleconfigs.string rejectisfreed"])
    assert not up and p.proc.returncode == 1
    out = p.output()
    assert "Issue during loading of configuration moduleconfigs.string : Cannot set string to 'rejectisfreed'" in out
    assert "Can't load module from %s: server aborting" % libs["moduleconfigs"] in out


def test_config_rewrite_keeps_loaded_modules_and_their_configs_across_a_restart(workdir, libs):
    p, up = started(workdir, [])
    assert up, p.output()
    assert p.call("MODULE", "LOADEX", libs["moduleconfigs"], "CONFIG", "moduleconfigs.string",
                  b"super \x00secret password", "ARGS", "x") == b"OK"
    for name, value in (("mutable_bool", "no"), ("memory_numeric", "750"), ("enum", "two"), ("flags", "four two")):
        assert p.call("CONFIG", "SET", "moduleconfigs." + name, value) == b"OK"
    assert p.call("CONFIG", "REWRITE") == b"OK"
    text = open(p.conf).read()
    assert "loadmodule %s x\n" % libs["moduleconfigs"] in text
    assert 'moduleconfigs.string "super \\x00secret password"\n' in text
    assert "moduleconfigs.numeric" not in text          # at its default
    p.stop()
    assert p.start(), p.output()
    got = dict(zip(*[iter(p.call("CONFIG", "GET", "moduleconfigs.*"))] * 2))
    assert got[b"moduleconfigs.string"] == b"super \x00secret password"
    assert got[b"moduleconfigs.mutable_bool"] == b"no"
    assert got[b"moduleconfigs.memory_numeric"] == b"750"
    assert got[b"moduleconfigs.enum"] == b"two"
    assert got[b"moduleconfigs.flags"] == b"two four"
    assert got[b"moduleconfigs.numeric"] == b"-1"


def test_config_rewrite_after_unload_drops_the_module_and_its_lines(workdir, libs):
    p, up = started(workdir, [])
    assert up, p.output()
    assert p.call("MODULE", "LOADEX", libs["moduleconfigs"], "CONFIG", "moduleconfigs.memory_numeric", "500") == b"OK"
    assert p.call("CONFIG", "REWRITE") == b"OK"
    assert "moduleconfigs.memory_numeric 500" in open(p.conf).read()
    assert p.call("MODULE", "UNLOAD", "moduleconfigs") == b"OK"
    assert p.call("CONFIG", "REWRITE") == b"OK"
    text = open(p.conf).read()
    assert "moduleconfigs." not in text and "loadmodule" not in text
    p.stop()
    assert p.start(), p.output()
    assert p.call("CONFIG", "GET", "moduleconfigs.*") == []
