"""Never deaf while background work of the server's own loops is active when a script starts: a BGSAVE (snapshot
slices), an attached replica (the replication cron, its ACKs), the master stream of a replica. That work runs on
the NIO loops that also run the client connections' timers (the retries of a command that arrived just as the
script began); it used to wait in `lock()` for the script's whole run, so those clients got no reply at all.
Now it yields to the script (`Server.withDataWhenNoScript`) and goes on once the script ends.

Each test runs against our server and a real redis-server 7.0 (io-threads 2, a 1.5 s busy-reply-threshold) with
the same assertions: early clients get +PONG or -BUSY (never nothing), new clients get -BUSY, SCRIPT KILL works,
and the background work completes afterwards (the BGSAVE ends ok, the replica holds the master's data).
"""

import os
import threading
import time

import pytest

from test_scripting_busy_peers import BUSY_EVAL, DEADLINE, ENDLESS, Background, command, wait_busy

SCALE = float(os.environ.get("IT_DEADLINE_SCALE", "1"))


def wait_for(predicate, what, timeout=DEADLINE * SCALE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def info_field(srv, section, name):
    value = srv.redis().info(section).get(name)
    return None if value is None else str(value)


def ping_until_busy(c, errors):
    """PING after PING until one is answered -BUSY: the last PING is sent after the script began (most likely
    before it was past its threshold), so it must be answered though the script holds the data."""
    try:
        deadline = time.monotonic() + DEADLINE * SCALE
        while time.monotonic() < deadline:
            reply = c.call("PING")
            if reply == BUSY_EVAL:
                return
            assert reply == b"+PONG\r\n", reply
        raise AssertionError("never answered -BUSY")
    except Exception as e:
        errors.append(e)


def endless_script_with_early_clients(srv, shift):
    """Early clients PING until the endless EVAL sent meanwhile makes them -BUSY (each PING answered within the
    socket timeout); then a new client gets -BUSY and SCRIPT KILL ends the script. Connections opened one after
    the other go to the I/O loops in turn: `4 + shift` early clients (both loops), then the script's connection —
    run with shift 0 and 1, the script runs once on each loop (the early clients of the other loop are the ones
    whose retries ran on a NIO loop that background work used to hold)."""
    early = [srv.client(timeout=DEADLINE) for _ in range(4 + shift)]
    conn = srv.client(timeout=DEADLINE * 2)
    try:
        for c in early:
            assert c.call("PING") == b"+PONG\r\n"
        run = Background(conn, command("EVAL", ENDLESS, 0), 1)
        errors = []
        pingers = [threading.Thread(target=ping_until_busy, args=(c, errors)) for c in early]
        for t in pingers:
            t.start()
        for t in pingers:
            t.join()
        assert errors == []
        wait_busy(srv)
        fresh = srv.client(timeout=DEADLINE)
        try:
            assert fresh.call("PING") == BUSY_EVAL
            assert fresh.call("SCRIPT", "KILL") == b"+OK\r\n"
        finally:
            fresh.close()
        assert run.wait()[0].startswith(b"-ERR Script killed by user")
        for c in early:
            assert c.call("PING") == b"+PONG\r\n"
    finally:
        conn.close()
        for c in early:
            c.close()


@pytest.fixture(params=["ours", "real"])
def kind(request):
    return request.param


def start(server_factory, kind, *extra):
    # A threshold of 1.5 s: the early PINGs mostly arrive after the script began and before it is busy, and are
    # retried from their loop's timers that whole time (over a replication cron tick, many master stream reads).
    return server_factory(kind, "--busy-reply-threshold", "1500", "--io-threads", "2", *extra)


def test_clients_are_answered_when_a_script_starts_during_a_bgsave(server_factory, kind):
    srv = start(server_factory, kind)
    try:
        r = srv.redis()
        r.execute_command("DEBUG", "POPULATE", 30000)
        # 30,000 keys at 1 ms each: the snapshot is still being written while the scripts run.
        r.config_set("rdb-key-save-delay", 1000)
        assert r.bgsave()
        wait_for(lambda: info_field(srv, "persistence", "rdb_bgsave_in_progress") == "1", "the BGSAVE to run")
        for shift in (0, 1):
            endless_script_with_early_clients(srv, shift)
        assert info_field(srv, "persistence", "rdb_bgsave_in_progress") == "1"
        # Ours reads the delay per key (a redis-server child keeps its own: at most 30 s more).
        r.config_set("rdb-key-save-delay", 0)
        wait_for(lambda: info_field(srv, "persistence", "rdb_bgsave_in_progress") == "0", "the BGSAVE to end",
                 timeout=DEADLINE * SCALE + 60)
        assert info_field(srv, "persistence", "rdb_last_bgsave_status") == "ok"
    finally:
        srv.stop()


class Writer(object):
    """Writes `w<i>` = i on its own connection until stopped (a -BUSY reply while the script runs is counted
    and the same key is written again)."""

    def __init__(self, srv):
        self.srv = srv
        self.stopped = threading.Event()
        self.written = 0
        self.busy = 0
        self.error = None
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        c = self.srv.client(timeout=DEADLINE * 2)
        try:
            while not self.stopped.is_set():
                reply = c.call("SET", "w%d" % self.written, self.written)
                if reply == b"+OK\r\n":
                    self.written += 1
                elif reply.startswith(b"-BUSY"):
                    self.busy += 1
                else:
                    raise AssertionError(reply)
        except Exception as e:
            self.error = e
        finally:
            c.close()

    def stop(self):
        self.stopped.set()
        self.thread.join(DEADLINE * 2)
        assert not self.thread.is_alive()
        assert self.error is None, self.error
        return self.written


def attach_replica(server_factory, kind, master):
    replica = start(server_factory, kind, "--replicaof", "127.0.0.1", str(master.port))
    wait_for(lambda: info_field(replica, "replication", "master_link_status") == "up", "the replica to sync")
    wait_for(lambda: master.redis().execute_command("ROLE")[2], "the replica to be online")
    return replica


def replica_has(replica, written):
    r = replica.redis()
    return r.dbsize() >= written and (written == 0 or r.get("w%d" % (written - 1)) == str(written - 1).encode())


def test_master_with_a_replica_being_written_answers_clients_while_a_script_runs(server_factory, kind):
    master = start(server_factory, kind)
    replica = None
    try:
        replica = attach_replica(server_factory, kind, master)
        writer = Writer(master)
        try:
            wait_for(lambda: writer.written >= 200, "the writer to get going")
            for shift in (0, 1):
                endless_script_with_early_clients(master, shift)
        finally:
            written = writer.stop()
        assert written >= 200
        # The replication link survived the script: everything written reaches the replica.
        wait_for(lambda: replica_has(replica, written), "the replica to hold every write")
        assert replica.redis().dbsize() == master.redis().dbsize()
    finally:
        if replica is not None:
            replica.stop()
        master.stop()


def test_replica_answers_clients_while_a_script_runs_during_the_master_stream(server_factory, kind):
    master = start(server_factory, kind)
    replica = None
    try:
        replica = attach_replica(server_factory, kind, master)
        writer = Writer(master)
        try:
            wait_for(lambda: replica.redis().dbsize() >= 100, "the stream to reach the replica")
            # A read-only script on the replica while the master keeps streaming to it.
            for shift in (0, 1):
                endless_script_with_early_clients(replica, shift)
        finally:
            written = writer.stop()
        assert writer.busy == 0  # the master itself was never busy
        # What the master sent during the script is applied afterwards, in order.
        wait_for(lambda: replica_has(replica, written), "the replica to catch up")
        assert replica.redis().dbsize() == master.redis().dbsize()
        assert info_field(replica, "replication", "master_link_status") == "up"
    finally:
        if replica is not None:
            replica.stop()
        master.stop()
