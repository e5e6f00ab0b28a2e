"""The container half of docs/WALKTHROUGH.md against deploy/docker-compose.yml, run for real with podman-compose
(`make compose-test`, which builds the image first; see deploy/compose-test.sh). One `up`, the checks in file order
(they share the deployment), one `down -v`. Needs root (rootful podman) and the image $REDIS_SWIFT_IMAGE."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
PASSWORD = "redis_password"
DATA = ("redis-master", "redis-replica-1", "redis-replica-2")
SENTINELS = ("redis-sentinel-1", "redis-sentinel-2", "redis-sentinel-3")
PUBLISHED = {"redis-master": 10007, "redis-replica-1": 10008, "redis-replica-2": 10009,
             "redis-sentinel-1": 26379, "redis-sentinel-2": 26380, "redis-sentinel-3": 26381}
DEADLINE = 120.0
# The acceptance criterion: after `podman stop redis-master`, a replica is named within 30 s.
FAILOVER_DEADLINE = float(os.environ.get("COMPOSE_FAILOVER_DEADLINE", "30"))

pytestmark = pytest.mark.skipif(shutil.which("podman") is None or shutil.which("podman-compose") is None,
                                reason="podman/podman-compose not installed (make compose-test installs them)")


def host_ip():
    """An address of this host that containers and the host both reach (what ANNOUNCE_IP is for)."""
    ip = os.environ.get("ANNOUNCE_IP")
    if ip:
        return ip
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.254", 9))  # no packet is sent: this only picks the outgoing interface's address
        return s.getsockname()[0]
    finally:
        s.close()


def run(*cmd, check=True, timeout=300, env=None):
    p = subprocess.run(list(cmd), cwd=DEPLOY, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        pytest.fail("%s exited %d\nstdout: %s\nstderr: %s" % (" ".join(cmd), p.returncode, p.stdout[-3000:],
                                                            p.stderr[-3000:]), pytrace=False)
    return p


def cli(container, *args, port=None):
    """`podman exec CONTAINER redis-cli [-p PORT] -a redis_password ARGS...`; stdout lines."""
    cmd = ["podman", "exec", container, "redis-cli"]
    if port:
        cmd += ["-p", str(port)]
    cmd += ["-a", PASSWORD, "--no-auth-warning"] + [str(a) for a in args]
    return run(*cmd, check=False, timeout=30).stdout.splitlines()


def host_cli(host, port, *args):
    p = subprocess.run(["redis-cli", "-h", host, "-p", str(port), "-a", PASSWORD, "--no-auth-warning"]
                       + [str(a) for a in args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    return p.stdout.splitlines()


def wait_for(predicate, timeout=DEADLINE, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - containers restart during these tests
            last = e
        time.sleep(0.5)
    pytest.fail("timed out after %.0fs waiting for %s (last error: %r)" % (timeout, what, last), pytrace=False)


def master_addr(sentinel="redis-sentinel-1"):
    lines = cli(sentinel, "SENTINEL", "get-master-addr-by-name", "mymaster", port=26379)
    return (lines[0], int(lines[1])) if len(lines) == 2 and lines[1].isdigit() else None


@pytest.fixture(scope="module")
def compose():
    ip = host_ip()
    env = dict(os.environ, ANNOUNCE_IP=ip,
               REDIS_SWIFT_IMAGE=os.environ.get("REDIS_SWIFT_IMAGE", "localhost/redis-swift:latest"))
    run("podman", "image", "exists", env["REDIS_SWIFT_IMAGE"])
    run("podman-compose", "down", "-t", "1", "-v", check=False, env=env)  # leftovers of an interrupted run
    for name, port in PUBLISHED.items():
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                pytest.fail("port %d (%s) is in use on this host" % (port, name), pytrace=False)
    try:
        run("podman-compose", "up", "-d", env=env)
        yield {"ip": ip, "env": env}
    finally:
        run("podman-compose", "down", "-t", "1", "-v", check=False, env=env)


def test_all_six_containers_become_healthy(compose):
    # podman schedules healthchecks through systemd timers; without systemd, run them ourselves until they pass.
    for name in DATA + SENTINELS:
        wait_for(lambda: run("podman", "healthcheck", "run", name, check=False, timeout=30).returncode == 0,
                 what="%s healthy" % name)


def test_master_answers_ping_with_password(compose):
    assert cli("redis-master", "ping") == ["PONG"]
    assert run("podman", "exec", "redis-master", "redis-cli", "ping").stdout.strip().startswith("NOAUTH")


def test_server_runs_as_non_root_with_data_in_data(compose):
    assert run("podman", "exec", "redis-master", "id", "-un").stdout.strip() == "redis"
    assert cli("redis-master", "CONFIG", "GET", "dir") == ["dir", "/data"]


def test_master_log_is_in_podman_logs(compose):
    wait_for(lambda: "Ready to accept connections" in run("podman", "logs", "redis-master").stdout,
             what="the master's start-up log line")


def test_set_on_master_get_on_replica(compose):
    assert cli("redis-master", "SET", "test:key", "hello-from-master") == ["OK"]
    for replica in ("redis-replica-1", "redis-replica-2"):
        wait_for(lambda: cli(replica, "GET", "test:key") == ["hello-from-master"], what="%s has test:key" % replica)
    assert cli("redis-replica-1", "SET", "x", "1")[0].startswith("READONLY")


def test_sentinel_masters_lists_mymaster_with_announced_address(compose):
    ip = compose["ip"]

    def complete():
        lines = cli("redis-sentinel-1", "SENTINEL", "masters", port=26379)
        fields = dict(zip(lines[0::2], lines[1::2]))
        return (fields.get("name") == "mymaster" and fields.get("ip") == ip and fields.get("port") == "10007"
                and fields.get("num-slaves") == "2" and fields.get("num-other-sentinels") == "2"
                and fields.get("flags") == "master")
    wait_for(complete, what="SENTINEL masters: mymaster at %s:10007 with 2 replicas and 2 other Sentinels" % ip)


def test_host_clients_use_the_announced_addresses(compose):
    ip = compose["ip"]
    assert host_cli("127.0.0.1", 26379, "SENTINEL", "get-master-addr-by-name", "mymaster") == [ip, "10007"]
    replicas = host_cli("127.0.0.1", 26380, "SENTINEL", "replicas", "mymaster")
    assert sorted(replicas[i + 1] for i, k in enumerate(replicas) if k == "name") == \
        ["%s:10008" % ip, "%s:10009" % ip]
    assert host_cli(ip, 10008, "GET", "test:key") == ["hello-from-master"]


def test_stopping_the_master_promotes_a_replica_within_30s(compose):
    ip = compose["ip"]
    run("podman", "stop", "-t", "30", "redis-master")  # SIGTERM: final save, then exit
    new = wait_for(lambda: (master_addr() or (None, 0))[1] in (10008, 10009) and master_addr(),
                   timeout=FAILOVER_DEADLINE, what="a replica named by get-master-addr-by-name")
    assert new[0] == ip
    compose["new_master"] = "redis-replica-%d" % (new[1] - 10007)
    for s in SENTINELS:
        wait_for(lambda: master_addr(s) == new, what="%s to agree on %s" % (s, new))


def test_writes_continue_on_the_new_master(compose):
    new = compose["new_master"]
    other = "redis-replica-2" if new == "redis-replica-1" else "redis-replica-1"
    wait_for(lambda: cli(new, "ROLE")[:1] == ["master"], what="%s reports role master" % new)
    assert cli(new, "SET", "after:failover", "still-writing") == ["OK"]
    assert host_cli(compose["ip"], PUBLISHED[new], "INCR", "after:counter") == ["1"]
    wait_for(lambda: cli(other, "GET", "after:failover") == ["still-writing"],
             what="%s replicates from the new master" % other)


def test_restarted_old_master_rejoins_as_replica(compose):
    new = compose["new_master"]
    run("podman", "start", "redis-master")
    wait_for(lambda: cli("redis-master", "ROLE")[:1] == ["slave"], what="redis-master to become a replica")
    role = cli("redis-master", "ROLE")
    assert role[1:3] == [compose["ip"], str(PUBLISHED[new])]
    wait_for(lambda: cli("redis-master", "GET", "after:failover") == ["still-writing"],
             what="redis-master to receive the writes made after the failover")


def test_dump_rdb_copied_out_passes_redis_check_rdb(compose):
    assert cli("redis-master", "GET", "test:key") == ["hello-from-master"]
    out = tempfile.mkdtemp(prefix="redis-backup-")
    try:
        run("podman", "cp", "redis-master:/data/dump.rdb", out + "/")
        path = os.path.join(out, "dump.rdb")
        assert os.path.getsize(path) > 0
        check = subprocess.run(["redis-check-rdb", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=60)
        assert check.returncode == 0, check.stdout
        assert "RDB looks OK" in check.stdout
    finally:
        shutil.rmtree(out, ignore_errors=True)
