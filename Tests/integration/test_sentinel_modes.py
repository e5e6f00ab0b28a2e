"""TILT and +reboot, the same on our Sentinel and on redis-sentinel 7.0.15 (each test runs against both)."""

import signal

import pytest

from sentinel_tools import PASSWORD, SentinelProcess, data_server, restart_on_same_port, wait_for


@pytest.fixture(params=["ours", "real"])
def single(request):
    master = data_server("ours")
    s = SentinelProcess(request.param, [("mymaster", "127.0.0.1", master.port, 1,
                                         ["sentinel auth-pass mymaster %s" % PASSWORD])], name="modes")
    s.start()
    try:
        yield s, master
    finally:
        s.cleanup()
        master.stop()


def _events(s):
    r = s.redis()
    p = r.pubsub()
    p.psubscribe("*")
    got = []

    def poll(name):
        while True:
            m = p.get_message(timeout=0.05)
            if m is None:
                break
            if m["type"] == "pmessage":
                got.append((m["channel"], m["data"]))
        return [d for c, d in got if c == name]
    return poll, (r, p)


def test_tilt_entered_and_exited_with_debug_timings(single):
    s, _ = single
    poll, keep = _events(s)
    r = s.redis()
    r.execute_command("SENTINEL", "DEBUG", "TILT-PERIOD", "500", "TILT-TRIGGER", "1")
    assert wait_for(lambda: poll("+tilt"), what="+tilt") [0] == "#tilt mode entered"
    assert r.info("sentinel")["sentinel_tilt"] == 1
    r.execute_command("SENTINEL", "DEBUG", "TILT-TRIGGER", "2000")
    assert wait_for(lambda: poll("-tilt"), what="-tilt")[0] == "#tilt mode exited"
    wait_for(lambda: r.info("sentinel")["sentinel_tilt"] == 0, what="tilt flag cleared")


def test_reboot_of_the_master_is_detected(single):
    s, master = single
    r = s.redis()
    wait_for(lambda: r.sentinel_master("mymaster")["runid"], what="master run id known")
    poll, keep = _events(s)
    master.proc.send_signal(signal.SIGKILL)
    master.proc.wait(timeout=10)
    restart_on_same_port(master)
    r.execute_command("SENTINEL", "DEBUG", "INFO-PERIOD", "200")
    assert wait_for(lambda: poll("+reboot"), what="+reboot")[0] == "master mymaster 127.0.0.1 %d" % master.port


@pytest.mark.parametrize("kind", ["ours", "real"])
def test_simulate_failure_crash_after_election_exits_99(kind):
    master = data_server("ours")
    replica = data_server("ours", "--replicaof", "127.0.0.1", str(master.port))
    s = SentinelProcess(kind, [("mymaster", "127.0.0.1", master.port, 1,
                                ["sentinel auth-pass mymaster %s" % PASSWORD])], name="crash")
    s.start()
    try:
        r = s.redis()
        wait_for(lambda: r.sentinel_slaves("mymaster") and
                 r.sentinel_slaves("mymaster")[0]["master-link-status"] == "ok", what="replica known")
        r.execute_command("SENTINEL", "SIMULATE-FAILURE", "CRASH-AFTER-ELECTION")
        assert r.sentinel_failover("mymaster")
        wait_for(lambda: s.proc.poll() is not None, what="simulated crash")
        assert s.proc.returncode == 99
    finally:
        s.cleanup()
        replica.stop()
        master.stop()
