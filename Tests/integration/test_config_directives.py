"""Every redis.conf directive of Redis 7.0.15: names, CONFIG SET/GET round trips and errors, config files.

Differential: the same CONFIG GET/SET input goes to redis-swift and to redis-server 7.0.15 and the replies must be
byte-equal; config files (Debian's stock redis.conf, one listing every directive) must start our server; daemonize,
pidfile, logfile, unixsocket, always-show-logo, include, stdin and CONFIG REWRITE behave as redis-server's.

Directives other helpers own (ACL, observability, eviction) are left out through OWNED_ELSEWHERE; the lead empties
that set when their branches are merged.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import ours_binary, real_binary, free_port
from resp import RespClient

# Directives implemented by other helpers' branches (acl, observe, evict): not required here.
OWNED_ELSEWHERE = {
    "aclfile", "acllog-max-len", "acl-pubsub-default", "enable-module-command",
}
# Existing directives those helpers own whose validation they will bring to Redis's (value ranges, policies).
VALIDATION_OWNED_ELSEWHERE = set()
# Directives whose CONFIG SET changes the process in ways a shared test must not try (paths, listeners).
NOT_SET_IN_TESTS = {"dir", "dbfilename", "port", "bind", "appendonly", "replicaof", "slaveof", "requirepass", "save"}

DEADLINE = 20.0


def wait_until(predicate, what, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def config_get_all(client):
    flat = client.execute_command("CONFIG", "GET", "*")
    if isinstance(flat, dict):
        return {k.decode(): v.decode() for k, v in flat.items()}
    return {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}


class Proc(object):
    """A server started from a config file / stdin / arguments in a temp dir (ours or real)."""

    def __init__(self, kind, args, stdin_text=None, directory=None):
        self.kind = kind
        self.dir = directory or tempfile.mkdtemp(prefix="redis-cfg-%s-" % kind)
        self.log_path = os.path.join(self.dir, "stdout.log")
        binary = ours_binary() if kind == "ours" else real_binary()
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary] + list(args), cwd=self.dir, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL)
        if stdin_text is not None:
            self.proc.stdin.write(stdin_text.encode())
            self.proc.stdin.close()

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_ready(self, port=None, unixsocket=None):
        def ready():
            try:
                if unixsocket:
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.settimeout(1)
                    s.connect(unixsocket)
                else:
                    s = socket.create_connection(("127.0.0.1", port), timeout=1)
                with s:
                    s.sendall(b"PING\r\n")
                    return s.recv(64).startswith(b"+PONG")
            except OSError:
                if self.proc.poll() is not None and self.proc.returncode != 0:
                    raise AssertionError("%s exited %s:\n%s" % (self.kind, self.proc.returncode, self.output()))
                return False
        wait_until(ready, "%s to answer PING" % self.kind)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_client(port=None, unixsocket=None):
    import redis
    if unixsocket:
        return redis.Redis(unix_socket_path=unixsocket, socket_timeout=10)
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)


def raw_client(server):
    return RespClient(server.port)


# ---------------------------------------------------------------------------
# CONFIG GET * names and values
# ---------------------------------------------------------------------------

def test_config_get_star_lists_the_same_names_as_redis(ours, real):
    ours_names = set(config_get_all(ours.redis()))
    real_names = set(config_get_all(real.redis())) - OWNED_ELSEWHERE
    assert sorted(real_names - ours_names) == [], "missing in ours"
    # The compiled-in Bloom plugin's configs (bf.*) are a module's: redis-server has no such module.
    plugin_configs = {n for n in ours_names if n.startswith("bf.")}
    assert sorted(plugin_configs) == ["bf.error-rate", "bf.expansion", "bf.initial-size"]
    assert sorted(ours_names - real_names - OWNED_ELSEWHERE - plugin_configs) == [], "extra in ours"


def test_config_get_star_defaults_equal_redis(ours, real):
    o, r = config_get_all(ours.redis()), config_get_all(real.redis())
    differing = {k: (o[k], r[k]) for k in r if k in o and o[k] != r[k] and k not in {"dir", "port"}}
    assert differing == {}


def test_config_get_alias_and_name_are_separate_entries(pair):
    pair.check("CONFIG", "GET", "hash-max-ziplist-entries")
    pair.check_unordered("CONFIG", "GET", "hash-max-*")
    pair.check_unordered("CONFIG", "GET", "slave-*")
    pair.check("CONFIG", "GET", "HZ")


def test_config_get_hidden_directive_answers_by_exact_name(pair):
    pair.check("CONFIG", "GET", "key-load-delay")
    pair.check("CONFIG", "GET", "loading-process-events-interval-bytes")
    pair.check("CONFIG", "GET", "key-load-*")


# ---------------------------------------------------------------------------
# CONFIG SET: accepted values round-trip, refused values give Redis's errors
# ---------------------------------------------------------------------------

GOOD_CANDIDATES = ["yes", "no", "0", "1", "2", "7", "99", "1000", "-1", "-5", "1kb", "2mb", "1gb", "3000", "65535",
                   "local", "clients", "swapdb", "on-empty-db", "always", "everysec", "KEA", "Ex", "verbose",
                   "warning", "debug", "notice", "relative", "absolute", "optional", "hostname", "panic",
                   "panic-on-replicas", "nosave now", "save force", "1 2 3", "-2000 0 2000", "{title} {port}",
                   "{title}", "1.2.3.4", "some text", "user", "local3"]

BAD_CANDIDATES = ["abc", "", "-1", "+1", "01", "1.5", "yes no", "1 2", "1kb", "-9223372036854775808",
                  "9223372036854775807", "99999999999999999999", "maybe", "2147483648", "4294967296", "65536",
                  "1001", "11", "0", "1 2 3 4", "-2001 0 0", "a b c", "{bad}", "{title", "1x", "5KB", "5 mb",
                  "nosave bogus"]


@pytest.fixture
def fresh_pair(server_factory):
    ours = server_factory("ours")
    real = server_factory("real")
    yield ours, real
    ours.stop()
    real.stop()


def settable_names(real_server):
    names = set(config_get_all(real_server.redis()))
    return sorted(names - OWNED_ELSEWHERE - VALIDATION_OWNED_ELSEWHERE - NOT_SET_IN_TESTS)


def both_set(o, r, name, value):
    ro = o.call("CONFIG", "SET", name, value)
    rr = r.call("CONFIG", "SET", name, value)
    return ro, rr


def test_config_set_accepted_values_round_trip_as_redis(fresh_pair):
    ours, real = fresh_pair
    o, r = raw_client(ours), raw_client(real)
    checked = 0
    for name in settable_names(real):
        before = r.call("CONFIG", "GET", name)
        assert o.call("CONFIG", "GET", name) == before, name
        for value in GOOD_CANDIDATES:
            if name == "maxclients" and value in ("1", "2", "7"):
                continue  # would lock the test's own connection out
            ro, rr = both_set(o, r, name, value)
            assert (name, value, ro) == (name, value, rr)
            if rr == b"+OK\r\n":
                checked += 1
                assert (name, o.call("CONFIG", "GET", name)) == (name, r.call("CONFIG", "GET", name))
    assert checked > 200
    o.close()
    r.close()


def test_config_set_refused_values_give_redis_errors(fresh_pair):
    ours, real = fresh_pair
    o, r = raw_client(ours), raw_client(real)
    original = config_get_all(real.redis())
    for name in settable_names(real):
        for value in BAD_CANDIDATES:
            if name == "maxclients" and value in ("0", "1", "2", "11", "-1"):
                continue
            if name == "maxclients" and len(value) > 4 and value.isdigit():
                continue  # past the open-files limit: Redis reports what setrlimit allowed (see docs/CONFIG.md)
            ro, rr = both_set(o, r, name, value)
            assert (name, value, ro) == (name, value, rr)
        if name in original and name != "maxclients":
            both_set(o, r, name, original[name])
    o.close()
    r.close()


def test_config_set_seeded_random_values_match_redis(fresh_pair):
    ours, real = fresh_pair
    o, r = raw_client(ours), raw_client(real)
    seed = int(os.environ.get("CONFIG_SEED", "1607"))
    rng = random.Random(seed)
    names = [n for n in settable_names(real) if n != "maxclients"]
    pieces = ["0", "1", "9", "-", "k", "kb", "M", "gb", "b", "yes", "no", " ", "x", "{", "}", "title", "00", "17"]
    for _ in range(1500):
        name = rng.choice(names)
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        ro, rr = both_set(o, r, name, value)
        assert (seed, name, value, ro) == (seed, name, value, rr)
        assert (name, o.call("CONFIG", "GET", name)) == (name, r.call("CONFIG", "GET", name))
    o.close()
    r.close()


def test_config_set_immutable_and_unknown_errors_match(pair):
    for name, value in [("daemonize", "no"), ("unixsocket", "/tmp/x"), ("always-show-logo", "yes"),
                        ("syslog-enabled", "yes"), ("supervised", "no"), ("cluster-enabled", "no"),
                        ("disable-thp", "no"), ("set-proc-title", "no"), ("bgsave_cpulist", "0"),
                        ("no-such-directive", "1"), ("rdbchecksum", "no"), ("io-threads-do-reads", "yes")]:
        pair.check("CONFIG", "SET", name, value)


def test_config_set_several_at_once_is_all_or_nothing(pair):
    pair.check("CONFIG", "SET", "hz", "20", "activerehashing", "maybe")
    pair.check("CONFIG", "GET", "hz")
    pair.check("CONFIG", "SET", "hz", "20", "hz", "30")
    pair.check("CONFIG", "SET", "hz", "10", "active-expire-effort", "1")


# ---------------------------------------------------------------------------
# Directives that act
# ---------------------------------------------------------------------------

def info_field(client, section, field):
    value = client.info(section).get(field)
    return None if value is None else str(value)


def test_config_set_hz_changes_the_cron_frequency(ours):
    c = ours.redis()
    try:
        c.config_set("hz", "100")
        wait_until(lambda: info_field(c, "server", "hz") == "100", "INFO hz 100")
        assert info_field(c, "server", "configured_hz") == "100"
        c.config_set("hz", "1000")
        assert c.config_get("hz") == {"hz": "500"}
    finally:
        c.config_set("hz", "10")


def test_active_expire_effort_still_reclaims_keys(ours):
    c = ours.redis()
    try:
        c.config_set("active-expire-effort", "10")
        for i in range(200):
            c.set("k%d" % i, "v", px=1)
        wait_until(lambda: c.dbsize() == 0 and int(info_field(c, "stats", "expired_keys")) >= 200,
                   "the expiry cycle to reclaim the keys")
    finally:
        c.config_set("active-expire-effort", "1")


def test_config_set_loglevel_changes_what_is_logged(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    p = Proc("ours", ["--port", str(port), "--save", "", "--logfile", str(log), "--dir", str(tmp_path)])
    try:
        p.wait_ready(port=port)
        c = redis_client(port)
        c.config_set("loglevel", "warning")
        c.save()
        c.config_set("loglevel", "notice")
        c.save()
        wait_until(lambda: "DB saved on disk" in log.read_text(), "the notice after loglevel notice")
        assert log.read_text().count("DB saved on disk") == 1
        c.config_set("loglevel", "debug")
        assert c.config_get("loglevel") == {"loglevel": "debug"}
    finally:
        p.cleanup()


def test_shutdown_on_sigterm_nosave_skips_the_final_save(tmp_path):
    for flags, expect_dump in [("nosave", False), ("default", True)]:
        port = free_port()
        d = tmp_path / flags
        d.mkdir()
        p = Proc("ours", ["--port", str(port), "--save", "3600 1", "--dir", str(d), "--shutdown-on-sigterm", flags],
                 directory=str(d))
        try:
            p.wait_ready(port=port)
            redis_client(port).set("k", "v")
            p.proc.send_signal(signal.SIGTERM)
            p.proc.wait(timeout=DEADLINE)
            assert (d / "dump.rdb").exists() == expect_dump, flags
        finally:
            p.stop()


# ---------------------------------------------------------------------------
# Process directives: daemonize, pidfile, logfile, unixsocket, logo, syslog
# ---------------------------------------------------------------------------

def test_daemonize_writes_pidfile_and_logfile_and_removes_pidfile_on_shutdown(tmp_path):
    port = free_port()
    pidfile, logfile = tmp_path / "r.pid", tmp_path / "r.log"
    launcher = subprocess.run([ours_binary(), "--port", str(port), "--daemonize", "yes", "--pidfile", str(pidfile),
                               "--logfile", str(logfile), "--dir", str(tmp_path), "--save", ""],
                              cwd=str(tmp_path), timeout=DEADLINE, capture_output=True)
    assert launcher.returncode == 0
    pid = None
    try:
        wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), "the pid file")
        pid = int(pidfile.read_text())
        c = redis_client(port)
        wait_until(lambda: c.ping(), "PING")
        assert int(info_field(c, "server", "process_id")) == pid
        assert c.config_get("daemonize") == {"daemonize": "yes"}
        wait_until(lambda: "Ready to accept connections" in logfile.read_text(), "the ready line in the log file")
        c.shutdown(nosave=True)
    except Exception:
        if pid:
            os.kill(pid, signal.SIGKILL)
        raise
    wait_until(lambda: not pidfile.exists(), "the pid file to be removed")

    def gone():
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True
    wait_until(gone, "the daemon to exit")
    assert "Removing the pid file." in logfile.read_text()


def test_unixsocket_serves_redis_cli_with_the_configured_permissions(tmp_path):
    port = free_port()
    path = str(tmp_path / "r.sock")
    p = Proc("ours", ["--port", str(port), "--save", "", "--unixsocket", path, "--unixsocketperm", "700"])
    try:
        p.wait_ready(unixsocket=path)
        out = subprocess.run(["redis-cli", "-s", path, "ping"], capture_output=True, timeout=DEADLINE)
        assert out.stdout == b"PONG\n"
        assert oct(os.stat(path).st_mode & 0o777) == "0o700"
        c = redis_client(unixsocket=path)
        assert c.config_get("unixsocket") == {"unixsocket": path}
        assert c.config_get("unixsocketperm") == {"unixsocketperm": "700"}
        assert c.set("k", "v") and redis_client(port).get("k") == b"v"
        wait_until(lambda: "The server is now ready to accept connections at " + path in p.output(), "the log line")
    finally:
        p.cleanup()
    assert not os.path.exists(path)


def test_unix_socket_client_list_addr_matches_redis(tmp_path):
    rows = {}
    for kind in ("ours", "real"):
        port = free_port()
        path = str(tmp_path / ("%s.sock" % kind))
        p = Proc(kind, ["--port", str(port), "--save", "", "--unixsocket", path])
        try:
            p.wait_ready(unixsocket=path)
            line = redis_client(unixsocket=path).execute_command("CLIENT", "INFO").decode()
            fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
            rows[kind] = (fields["addr"].replace(path, "P"), fields["laddr"].replace(path, "P"))
        finally:
            p.cleanup()
    assert rows["ours"] == rows["real"]


def logo_lines(text):
    return [l for l in text.splitlines() if not re.match(r"^\d+:[CMSX] ", l)]


def test_always_show_logo_prints_redis_logo_with_port_and_pid(tmp_path):
    logos = {}
    for kind in ("ours", "real"):
        port = free_port()
        p = Proc(kind, ["--port", str(port), "--save", "", "--always-show-logo", "yes"])
        try:
            p.wait_ready(port=port)
            text = wait_until(lambda: "PID: %d" % p.proc.pid in p.output() and p.output(), "the logo")
            assert re.search(r"Port: %d\s*$" % port, text, re.M)
            logos[kind] = [l.replace(str(port), "PORT").replace(str(p.proc.pid), "PID") for l in logo_lines(text)]
        finally:
            p.cleanup()
    assert logos["ours"][:18] == logos["real"][:18]


def test_startup_log_lines_match_redis(tmp_path):
    seen = {}
    for kind in ("ours", "real"):
        port = free_port()
        p = Proc(kind, ["--port", str(port), "--save", ""])
        try:
            p.wait_ready(port=port)
            wait_until(lambda: "Ready to accept connections" in p.output(), "the ready line")
            lines = [re.sub(r"^\d+:([CM]) \d\d \w{3} \d{4} [\d:.]+ ([*#.-]) ", r"\1 \2 ", l)
                     for l in p.output().splitlines()]
            seen[kind] = [re.sub(r"\d+", "N", l) for l in lines if l.startswith(("C ", "M "))]
        finally:
            p.cleanup()
    for line in ["C # oONOoONOoONOo Redis is starting oONOoONOoONOo",
                 "C # Redis version=N.N.N, bits=N, commit=N, modified=N, pid=N, just started",
                 "M * Running mode=standalone, port=N.", "M # Server initialized",
                 "M * Ready to accept connections"]:
        assert line in seen["real"]
        assert line in seen["ours"]


def test_syslog_enabled_starts_and_serves(tmp_path):
    port = free_port()
    p = Proc("ours", ["--port", str(port), "--save", "", "--syslog-enabled", "yes", "--syslog-ident", "rs-test",
                      "--syslog-facility", "local3"])
    try:
        p.wait_ready(port=port)
        assert redis_client(port).config_get("syslog-*") == {
            "syslog-enabled": "yes", "syslog-ident": "rs-test", "syslog-facility": "local3"}
    finally:
        p.cleanup()


# ---------------------------------------------------------------------------
# Config files: stock redis.conf, every directive, include, stdin, command line
# ---------------------------------------------------------------------------

def adjusted_stock_conf(directory, port, drop=()):
    """Debian's /etc/redis/redis.conf with only port, dir, pidfile, logfile and daemonize changed."""
    out = []
    for line in open("/etc/redis/redis.conf").read().splitlines():
        word = line.split()[0].lower() if line.strip() and not line.lstrip().startswith("#") else None
        if word == "port":
            line = "port %d" % port
        elif word == "dir":
            line = "dir %s" % directory
        elif word == "pidfile":
            line = "pidfile %s/redis.pid" % directory
        elif word == "logfile":
            line = "logfile %s/redis.log" % directory
        elif word == "daemonize":
            line = "daemonize no"
        elif word in drop:
            continue
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.skipif(not os.path.exists("/etc/redis/redis.conf"), reason="redis-server package's redis.conf")
def test_debian_stock_redis_conf_starts_our_server(tmp_path):
    port = free_port()
    conf = tmp_path / "redis.conf"
    conf.write_text(adjusted_stock_conf(tmp_path, port, drop=OWNED_ELSEWHERE))
    p = Proc("ours", [str(conf)])
    try:
        p.wait_ready(port=port)
        c = redis_client(port)
        got = c.config_get("*")
        assert got["always-show-logo"] == "no" and got["oom-score-adj-values"] == "0 200 800"
        assert got["proc-title-template"] == "{title} {listen-addr} {server-mode}"
        assert got["pidfile"] == "%s/redis.pid" % tmp_path
        wait_until(lambda: (tmp_path / "redis.pid").exists(), "the pid file")
        assert "Ready to accept connections" in (tmp_path / "redis.log").read_text()
    finally:
        p.cleanup()


def every_directive_file(real_values, port, directory):
    lines = []
    for name, value in sorted(real_values.items()):
        if name in OWNED_ELSEWHERE:
            continue
        if name in ("port",):
            value = str(port)
        elif name in ("dir",):
            value = str(directory)
        elif name in ("pidfile", "logfile", "unixsocket"):
            value = ""
        elif name == "daemonize":
            value = "no"
        if name == "client-output-buffer-limit":
            parts = value.split()
            for i in range(0, len(parts), 4):
                lines.append("%s %s" % (name, " ".join(parts[i:i + 4])))
            continue
        if name in ("bind", "save", "oom-score-adj-values", "shutdown-on-sigint", "shutdown-on-sigterm") and value:
            lines.append("%s %s" % (name, value))
            continue
        if name in ("replicaof", "slaveof") and not value:
            continue
        lines.append('%s "%s"' % (name, value.replace("\\", "\\\\").replace('"', '\\"')))
    return "\n".join(lines) + "\n"


def test_a_file_with_every_redis_directive_starts_both_servers_alike(real, tmp_path):
    values = config_get_all(real.redis())
    got = {}
    for kind in ("real", "ours"):
        port = free_port()
        d = tmp_path / kind
        d.mkdir()
        conf = d / "all.conf"
        conf.write_text(every_directive_file(values, port, d))
        p = Proc(kind, [str(conf)], directory=str(d))
        try:
            p.wait_ready(port=port)
            # bf.*: the compiled-in Bloom plugin's configs (no such module in redis-server).
            got[kind] = {k: v for k, v in config_get_all(redis_client(port)).items()
                         if k not in ("port", "dir") and k not in OWNED_ELSEWHERE and not k.startswith("bf.")}
        finally:
            p.cleanup()
    assert got["ours"] == got["real"]


def fatal_message(kind, args, stdin_text=None):
    binary = ours_binary() if kind == "ours" else real_binary()
    out = subprocess.run([binary] + args, input=(stdin_text or "").encode(), capture_output=True, timeout=DEADLINE)
    text = (out.stdout + out.stderr).decode()
    lines = [l for l in text.splitlines() if l.strip() and not re.match(r"^\d+:[CM] ", l)]
    return out.returncode, lines


@pytest.mark.parametrize("text", ["hz 5 10", "no-such-directive 1", "loglevel loud", "syslog-facility foo",
                                  "maxmemory 1zb", "appendfsync \"never\"", "tcp-backlog x"])
def test_bad_config_file_lines_fail_like_redis(tmp_path, text):
    conf = tmp_path / "bad.conf"
    conf.write_text("port 0\n%s\n" % text)
    ours_code, ours_lines = fatal_message("ours", [str(conf)])
    real_code, real_lines = fatal_message("real", [str(conf)])
    assert ours_code == real_code == 1
    # The banner and the line number, the offending line and the reason as Redis prints them.
    assert ours_lines[:3] == real_lines[:3]
    assert ours_lines[3].startswith(real_lines[3])


def test_include_applies_the_included_file_in_place(tmp_path):
    port = free_port()
    (tmp_path / "a.conf").write_text("hz 33\nmaxclients 777\n")
    (tmp_path / "b.conf").write_text("hz 44\n")
    main = tmp_path / "main.conf"
    main.write_text("port %d\nsave \"\"\ninclude %s/a.conf\nmaxclients 555\ninclude %s/b*.conf\n"
                    % (port, tmp_path, tmp_path))
    p = Proc("ours", [str(main)])
    try:
        p.wait_ready(port=port)
        c = redis_client(port)
        assert c.config_get("hz") == {"hz": "44"}
        assert c.config_get("maxclients") == {"maxclients": "555"}
    finally:
        p.cleanup()


def test_missing_include_is_fatal_like_redis(tmp_path):
    conf = tmp_path / "main.conf"
    conf.write_text("port 0\ninclude %s/none.conf\n" % tmp_path)
    code, lines = fatal_message("ours", [str(conf)])
    assert code == 1
    assert any("Fatal error, can't open config file '%s/none.conf'" % tmp_path in l for l in lines)


def test_config_read_from_stdin_then_command_line_overrides(tmp_path):
    port = free_port()
    p = Proc("ours", ["-", "--hz", "25"], stdin_text="port %d\nsave \"\"\nhz 12\nmaxclients 321\n" % port)
    try:
        p.wait_ready(port=port)
        c = redis_client(port)
        assert c.config_get("hz") == {"hz": "25"}
        assert c.config_get("maxclients") == {"maxclients": "321"}
    finally:
        p.cleanup()


def test_command_line_options_override_the_config_file(tmp_path):
    port = free_port()
    conf = tmp_path / "r.conf"
    conf.write_text("port 1\nhz 12\nslave-read-only no\nsave \"\"\n")
    p = Proc("ours", [str(conf), "--port", str(port), "--hz", "19", "-"], stdin_text="maxclients 222\n")
    try:
        p.wait_ready(port=port)
        c = redis_client(port)
        assert c.config_get("hz") == {"hz": "19"}
        assert c.config_get("replica-read-only") == {"replica-read-only": "no"}
        assert c.config_get("maxclients") == {"maxclients": "222"}
    finally:
        p.cleanup()


# ---------------------------------------------------------------------------
# CONFIG REWRITE
# ---------------------------------------------------------------------------

REWRITE_SETS = [("maxmemory", "64mb"), ("hash-max-listpack-value", "1024"),
                ("client-output-buffer-limit", "normal 1mb 0 0"), ("masterauth", "a b"),
                ("oom-score-adj-values", "1 2 3"), ("notify-keyspace-events", "KEA"),
                ("replica-announce-ip", "1.2.3.4"), ("shutdown-on-sigint", "nosave now"),
                ("appendfsync", "always"), ("lua-time-limit", "6000"), ("zset-max-ziplist-entries", "100"),
                ("activerehashing", "no"), ("tls-ciphers", "DEFAULT:!MEDIUM"), ("cluster-node-timeout", "5000"),
                ("save", "100 1 200 2"), ("stream-node-max-bytes", "8kb")]


def rewritten(kind, tmp_path):
    port = free_port()
    d = tmp_path / kind
    d.mkdir()
    conf = d / "redis.conf"
    text = adjusted_stock_conf(d, port, drop=OWNED_ELSEWHERE)
    text += "slave-read-only no\nhz 20\nhz 30\nsave 100 1\nsave 200 2\n  # indented comment  \n"
    conf.write_text(text)
    p = Proc(kind, [str(conf)], directory=str(d))
    try:
        p.wait_ready(port=port)
        c = redis_client(port)
        for name, value in REWRITE_SETS:
            c.config_set(name, value)
        assert c.config_rewrite()
    finally:
        p.stop()
    out = conf.read_text().replace(str(port), "PORT").replace(str(d), "DIR")
    shutil.rmtree(str(d), ignore_errors=True)
    return out


def split_generated(text):
    head, sep, tail = text.partition("# Generated by CONFIG REWRITE\n")
    return head, set(l for l in tail.splitlines() if l.split(" ", 1)[0] not in OWNED_ELSEWHERE
                     and not l.startswith("user "))


def test_config_rewrite_output_matches_redis(tmp_path):
    ours_head, ours_tail = split_generated(rewritten("ours", tmp_path))
    real_head, real_tail = split_generated(rewritten("real", tmp_path))
    assert ours_head.splitlines() == real_head.splitlines()
    assert ours_tail == real_tail


def test_config_rewrite_twice_is_stable(tmp_path):
    port = free_port()
    conf = tmp_path / "r.conf"
    conf.write_text("# my comment\nport %d\nsave \"\"\n\n\n# another\nhz 15\n" % port)
    p = Proc("ours", [str(conf)])
    try:
        p.wait_ready(port=port)
        c = redis_client(port)
        c.config_set("maxmemory", "10mb")
        c.config_rewrite()
        first = conf.read_text()
        c.config_rewrite()
        assert conf.read_text() == first
        assert first.startswith("# my comment\nport %d\nsave \"\"\n\n# another\nhz 15\n" % port)
        # Redis always writes `dir` and latency-tracking-info-percentiles (forced lines), even at their default,
        # and the users as `user` lines.
        tail = first.split("\n# Generated by CONFIG REWRITE\n")[1].splitlines()
        # The ThreadSanitizer run starts every server with --io-threads 2 (IT_IO_THREADS), which REWRITE keeps.
        harness = "io-threads %s" % os.environ.get("IT_IO_THREADS", "1")
        assert [l for l in tail if not l.startswith("dir ") and l != harness] == [
            "maxmemory 10mb", "latency-tracking-info-percentiles 50 99 99.9", "user default on nopass ~* &* +@all"]
        assert sum(l.startswith("dir \"/") for l in tail) == 1
    finally:
        p.cleanup()


def rewritten_users(kind, tmp_path, conf_text, setup):
    port = free_port()
    d = tmp_path / kind
    d.mkdir()
    conf = d / "redis.conf"
    conf.write_text(("port %d\nsave \"\"\n" % port) + conf_text.replace("DIR", str(d)))
    p = Proc(kind, [str(conf)], directory=str(d))
    try:
        p.wait_ready(port=port)
        c = redis_client(port)
        for cmd in setup:
            c.execute_command(*cmd)
        assert c.config_rewrite()
    finally:
        p.stop()
    out = conf.read_text().replace(str(port), "PORT").replace(str(d), "DIR")
    shutil.rmtree(str(d), ignore_errors=True)
    return out


def test_config_rewrite_writes_user_lines_as_redis(tmp_path):
    """`user` lines of the file are replaced in order by the users (ACL LIST's lines, sorted by name), the rest
    appended; `rename-command` lines stay as they were."""
    text = ("rename-command flushdb myflush\nuser zed on >pw ~a* +get\n# keep me\nuser alice off\n"
            "user bob on nopass +@all -debug\n")
    setup = [("ACL", "SETUSER", "carol", "on", "nopass", "+@read", "(~x +set)"), ("ACL", "DELUSER", "bob")]
    ours, real = (rewritten_users(k, tmp_path, text, setup) for k in ("ours", "real"))
    strip = lambda t: [l for l in t.splitlines() if not l.startswith(("dir ", "latency-tracking-info-percentiles"))]
    assert strip(ours) == strip(real)
    assert "rename-command flushdb myflush" in ours.splitlines()


def test_config_rewrite_drops_user_lines_with_an_aclfile(tmp_path):
    text = "aclfile DIR/users.acl\n"
    for kind in ("ours", "real"):
        (tmp_path / kind).mkdir()
        (tmp_path / kind / "users.acl").write_text("user default on nopass ~* &* +@all\nuser u on nopass +get\n")
    outs = []
    for kind in ("ours", "real"):
        port = free_port()
        d = tmp_path / kind
        conf = d / "redis.conf"
        conf.write_text(("port %d\nsave \"\"\n" % port) + text.replace("DIR", str(d)))
        p = Proc(kind, [str(conf)], directory=str(d))
        try:
            p.wait_ready(port=port)
            c = redis_client(port)
            assert c.config_rewrite()
        finally:
            p.stop()
        outs.append([l for l in conf.read_text().splitlines() if l.startswith("user ")])
    assert outs[0] == outs[1] == []


@pytest.mark.parametrize("bind", ["1.2.3.4.5", "127.0.0.1 1.2.3.4.5"])
def test_unusable_bind_address_stops_the_start_like_redis(bind):
    """A `bind` address that cannot be listened on: Redis's warning naming it and its abort line, exit 1."""
    lines = {}
    for kind in ("ours", "real"):
        p = Proc(kind, ["--port", str(free_port()), "--save", "", "--bind"] + bind.split())
        try:
            wait_until(lambda: p.proc.poll() is not None, "%s to exit" % kind)
            assert p.proc.returncode == 1
            text = p.output()
            port = re.search(r"Failed listening on port (\d+)", text).group(1)
            lines[kind] = [re.sub(r"^\d+:[A-Z] [^*#]*[*#] ", "", l).replace(port, "PORT")
                           for l in text.splitlines() if "listening" in l]
        finally:
            p.cleanup()
    assert lines["ours"] == lines["real"]
