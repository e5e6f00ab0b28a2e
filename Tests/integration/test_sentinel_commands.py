"""SENTINEL commands that change the state (MONITOR, REMOVE, SET, RESET, IS-MASTER-DOWN-BY-ADDR votes, CONFIG SET,
DEBUG, SIMULATE-FAILURE), their events and the config file they rewrite; notification and client-reconfig
scripts; SHUTDOWN. One Sentinel of ours, one data server of ours."""

import os
import signal
import stat

import pytest
import redis

from sentinel_tools import PASSWORD, SentinelProcess, data_server, wait_for


@pytest.fixture
def one(tmp_path):
    master = data_server("ours")
    log = tmp_path / "script.log"
    script = tmp_path / "notify.sh"
    script.write_text("#!/bin/sh\necho \"$@\" >> %s\n" % log)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    opts = ["sentinel down-after-milliseconds mymaster 1000", "sentinel auth-pass mymaster %s" % PASSWORD,
            "sentinel notification-script mymaster %s" % script]
    s = SentinelProcess("ours", [("mymaster", "127.0.0.1", master.port, 1, opts)], name="cmds",
                        extra_lines=["sentinel deny-scripts-reconfig no"])
    s.start()
    try:
        yield s, master, log, script
    finally:
        s.cleanup()
        master.stop()


def test_monitor_adds_master_and_rewrites_config(one):
    s, master, _, _ = one
    r = s.redis()
    assert r.sentinel_monitor("other", "127.0.0.1", master.port, 1)
    assert "sentinel monitor other 127.0.0.1 %d 1" % master.port in s.config_text()
    assert sorted(r.sentinel_masters()) == ["mymaster", "other"]
    assert r.execute_command("ROLE") == ["sentinel", ["mymaster", "other"]]


def test_remove_forgets_master_and_rewrites_config(one):
    s, master, _, _ = one
    r = s.redis()
    assert r.sentinel_remove("mymaster")
    assert "sentinel monitor mymaster" not in s.config_text()
    assert r.sentinel_masters() == {}


def test_set_changes_options_and_rewrites_config(one):
    s, _, _, _ = one
    r = s.redis()
    assert r.sentinel_set("mymaster", "quorum", 3)
    assert r.execute_command("SENTINEL", "SET", "mymaster", "failover-timeout", "12345", "parallel-syncs", "2")
    m = r.sentinel_master("mymaster")
    assert (m["quorum"], m["failover-timeout"], m["parallel-syncs"]) == (3, 12345, 2)
    text = s.config_text()
    assert "sentinel failover-timeout mymaster 12345" in text and "sentinel parallel-syncs mymaster 2" in text


def test_restart_reads_back_rewritten_state(one):
    s, master, _, _ = one
    r = s.redis()
    myid = r.execute_command("SENTINEL", "MYID")
    r.sentinel_set("mymaster", "quorum", 4)
    s.stop()
    s.start(write=False)
    r = s.redis()
    assert r.execute_command("SENTINEL", "MYID") == myid
    assert r.sentinel_master("mymaster")["quorum"] == 4


def test_reset_returns_matching_count(one):
    s, _, _, _ = one
    r = s.redis()
    assert r.execute_command("SENTINEL", "RESET", "my*") == 1
    assert r.execute_command("SENTINEL", "RESET", "nomatch*") == 0


def test_is_master_down_by_addr_votes_once_per_epoch(one):
    s, master, _, _ = one
    c = s.client()
    a = "a" * 40
    b = "b" * 40
    assert c.call("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", str(master.port), "5", a) == \
        b"*3\r\n:0\r\n$40\r\n" + a.encode() + b"\r\n:5\r\n"
    # Same epoch, another candidate: the vote stays with the first.
    assert c.call("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", str(master.port), "5", b) == \
        b"*3\r\n:0\r\n$40\r\n" + a.encode() + b"\r\n:5\r\n"
    assert "sentinel current-epoch 5" in s.config_text()
    assert "sentinel leader-epoch mymaster 5" in s.config_text()


def test_master_down_is_reported_and_notification_script_runs(one):
    s, master, log, script = one
    master.proc.send_signal(signal.SIGSTOP)
    try:
        c = s.client()
        wait_for(lambda: c.call("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", str(master.port), "0", "*")
                 .startswith(b"*3\r\n:1\r\n"), what="sdown reported to other sentinels")
        wait_for(lambda: log.exists() and "+sdown master mymaster 127.0.0.1 %d" % master.port in log.read_text(),
                 what="notification script called with the event")
        assert "+odown master mymaster 127.0.0.1 %d #quorum 1/1" % master.port in \
            wait_for(lambda: "+odown" in log.read_text() and log.read_text(), what="+odown script call")
        info = s.redis().info("sentinel")
        assert info["master0"]["status"] == "odown"
    finally:
        master.proc.send_signal(signal.SIGCONT)


def test_set_script_denied_by_default(one, tmp_path):
    master = one[1]
    s = SentinelProcess("ours", [("m", "127.0.0.1", master.port, 1, [])], name="deny")
    s.start()
    try:
        with pytest.raises(redis.ResponseError, match="denied for security reasons"):
            s.redis().sentinel_set("m", "notification-script", str(one[3]))
    finally:
        s.cleanup()


def test_config_set_announce_ip_and_get(one):
    s, _, _, _ = one
    r = s.redis()
    assert r.execute_command("SENTINEL", "CONFIG", "SET", "announce-ip", "10.0.0.1") == "OK"
    assert r.execute_command("SENTINEL", "CONFIG", "GET", "announce-ip") == ["announce-ip", "10.0.0.1"]
    assert "sentinel announce-ip 10.0.0.1" in s.config_text()


def test_debug_sets_timing_parameters(one):
    s, _, _, _ = one
    r = s.redis()
    r.execute_command("SENTINEL", "DEBUG", "ping-period", "500")
    d = r.execute_command("SENTINEL", "DEBUG")
    assert dict(zip(d[::2], d[1::2]))["PING-PERIOD"] == "500"


def test_simulate_failure_sets_flags(one):
    s, _, _, _ = one
    r = s.redis()
    r.execute_command("SENTINEL", "SIMULATE-FAILURE", "crash-after-election")
    assert r.info("sentinel")["sentinel_simulate_failure_flags"] == 1


def test_shutdown_exits_and_keeps_config(one):
    s, _, _, _ = one
    r = s.redis()
    myid = r.execute_command("SENTINEL", "MYID")
    try:
        r.shutdown()
    except redis.ConnectionError:
        pass
    s.proc.wait(timeout=20)
    assert "sentinel myid %s" % myid in s.config_text()


def test_hello_published_to_sentinel_adds_sentinel(one):
    s, master, _, _ = one
    c = s.client()
    other = "c" * 40
    hello = "127.0.0.1,1,%s,7,mymaster,127.0.0.1,%d,0" % (other, master.port)
    assert c.call("PUBLISH", "__sentinel__:hello", hello) == b":1\r\n"
    r = s.redis()
    assert [x["runid"] for x in r.sentinel_sentinels("mymaster")] == [other]
    assert "sentinel current-epoch 7" in s.config_text()
    assert "sentinel known-sentinel mymaster 127.0.0.1 1 %s" % other in s.config_text()


def test_hello_with_newer_config_epoch_switches_master(one):
    s, master, _, _ = one
    c = s.client()
    other = "d" * 40
    hello = "127.0.0.1,1,%s,9,mymaster,127.0.0.1,%d,9" % (other, 1)
    assert c.call("PUBLISH", "__sentinel__:hello", hello) == b":1\r\n"
    r = s.redis()
    assert r.sentinel_get_master_addr_by_name("mymaster") == ("127.0.0.1", 1)
    assert [x["port"] for x in r.sentinel_slaves("mymaster")] == [master.port]
    assert "sentinel config-epoch mymaster 9" in s.config_text()


def test_relative_config_path_is_rewritten_in_place_after_dir_changes(tmp_path):
    import subprocess
    from conftest import free_port, ours_binary
    from resp import RespClient
    port = free_port()
    conf = tmp_path / "rel.conf"
    other = tmp_path / "elsewhere"
    other.mkdir()
    conf.write_text("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor m 127.0.0.1 1 1\n" % (port, other))
    proc = subprocess.Popen([ours_binary(), "rel.conf", "--sentinel"], cwd=str(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: RespClient(port).call("PING") == b"+PONG\r\n", what="sentinel up")
        assert "sentinel myid " in conf.read_text()
        assert not (other / "rel.conf").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
