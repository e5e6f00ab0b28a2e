"""examples/local-cluster.sh (behind `make cluster` / `make cluster-down`): the fixed ports, refusing to start over
someone else's listener, and `down` stopping exactly the processes `up` started (not a process that reused a pid)."""

import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import ours_binary
from sentinel_tools import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "local-cluster.sh")
NAMES = {"redis-master": 10007, "redis-replica-1": 10008, "redis-replica-2": 10009,
         "redis-sentinel-1": 26379, "redis-sentinel-2": 26380, "redis-sentinel-3": 26381}


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def cluster_dir():
    for port in NAMES.values():
        if port_open(port):
            pytest.fail("port %d is in use: these tests need the cluster's fixed ports" % port, pytrace=False)
    d = tempfile.mkdtemp(prefix="local-cluster-")
    env = dict(os.environ, REDIS_SWIFT_BIN=ours_binary(), CLUSTER_DIR=os.path.join(d, "cluster"))
    try:
        yield env
    finally:
        subprocess.run([SCRIPT, "down"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        shutil.rmtree(d, ignore_errors=True)


def script(env, *args):
    return subprocess.run([SCRIPT] + list(args), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)


def test_up_refuses_a_taken_port_and_leaves_its_owner_alone(cluster_dir):
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", 26381))
        other.listen(1)
        p = script(cluster_dir, "up")
        assert p.returncode != 0
        assert "port 26381 (redis-sentinel-3) is in use" in p.stdout
        assert port_open(26381)  # still ours
        assert not any(port_open(port) for name, port in NAMES.items() if port != 26381)


def test_up_answers_on_every_port_and_down_stops_exactly_those_processes(cluster_dir):
    p = script(cluster_dir, "up")
    assert p.returncode == 0, p.stdout
    assert all(port_open(port) for port in NAMES.values())
    d = cluster_dir["CLUSTER_DIR"]
    pids = {n: int(open(os.path.join(d, n, n + ".pid")).read()) for n in NAMES}
    # A pid file that names some other process (a reused pid): `down` must leave it alone.
    decoy = subprocess.Popen(["sleep", "300"])
    try:
        os.makedirs(os.path.join(d, "redis-sentinel-3"), exist_ok=True)
        script(cluster_dir, "stop", "redis-sentinel-3")
        with open(os.path.join(d, "redis-sentinel-3", "redis-sentinel-3.pid"), "w") as f:
            f.write(str(decoy.pid))
        p = script(cluster_dir, "down")
        assert p.returncode == 0, p.stdout
        assert "redis-sentinel-3 is not running" in p.stdout
        for name, pid in pids.items():
            wait_for(lambda: not os.path.exists("/proc/%d" % pid) or
                     open("/proc/%d/stat" % pid).read().split()[2] == "Z", what="%s (pid %d) to exit" % (name, pid))
        assert not any(port_open(port) for port in NAMES.values())
        assert decoy.poll() is None
    finally:
        decoy.kill()
        decoy.wait()
