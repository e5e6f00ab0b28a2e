"""A replica killed with `kill -9` and restarted continues its master's history: the RDB it holds (the image it
received, or one it saved) carries the replication position as `repl-id` / `repl-offset` aux fields, it loads it,
and its PSYNC is answered `+CONTINUE` when the master's backlog still holds that offset (Redis 4+'s
replicationCacheMasterUsingMyself). Every pairing: ours/ours, a real master with our replica, our master with a
real replica. Every wait polls with a generous deadline."""

import random
import signal
import subprocess

import pytest

import persist_tools
from persist_tools import wait_for
from test_replication import digest, mixed_writes, run_pipelined


def info_replication(srv):
    return srv.redis().info("replication")


def link_up(srv):
    return info_replication(srv).get("master_link_status") == "up"


def in_sync(master, replica):
    mo = info_replication(master)["master_repl_offset"]
    ri = info_replication(replica)
    return ri.get("master_link_status") == "up" and ri.get("slave_repl_offset") == mo


def kill9(srv):
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(timeout=10)


def aux_field_names(path):
    """The AUX field names of an RDB file, as redis-check-rdb 7.0 reports them."""
    out = subprocess.run(["redis-check-rdb", str(path)], capture_output=True, text=True, timeout=60).stdout
    return sorted(line.split("AUX FIELD ", 1)[1].split(" = ", 1)[0]
                  for line in out.splitlines() if "AUX FIELD " in line)


def settled(master, replica):
    """The replica holds the master's dataset. Polled: the writes set TTLs from 1 s up, so on a slow (sanitized)
    build keys keep expiring on the master, and its DEL may still be on the way when the digests are taken; a real
    divergence never settles and fails at the deadline."""
    wait_for(lambda: in_sync(master, replica) and digest(replica) == digest(master),
             what="the replica's dataset to equal the master's")


@pytest.mark.parametrize("master_kind,replica_kind", [("ours", "ours"), ("real", "ours"), ("ours", "real")])
def test_replica_killed_and_restarted_continues_with_a_partial_resync(tmp_path, master_kind, replica_kind):
    master = persist_tools.start(master_kind, tmp_path / "master", "--repl-ping-replica-period", "1")
    replica = None
    try:
        run_pipelined(master, mixed_writes(random.Random(1), 2000), seed=1)
        args = ("--replicaof", "127.0.0.1", str(master.port), "--repl-diskless-load", "disabled")
        replica = persist_tools.start(replica_kind, tmp_path / "replica", *args)
        wait_for(lambda: in_sync(master, replica), what="the first sync")
        assert (tmp_path / "replica" / "dump.rdb").exists(), "a disk-loaded image is kept as the replica's RDB"
        # Writes after the sync are only in the replica's memory: the kill loses them, the backlog has them.
        run_pipelined(master, mixed_writes(random.Random(2), 2000), seed=2)
        wait_for(lambda: in_sync(master, replica), what="the replica to follow")
        kill9(replica)
        run_pipelined(master, mixed_writes(random.Random(3), 1000), seed=3)
        partial_before = int(master.redis().info("stats")["sync_partial_ok"])
        full_before = int(master.redis().info("stats")["sync_full"])
        replica.stop()
        replica = persist_tools.start(replica_kind, tmp_path / "replica", *args)
        wait_for(lambda: in_sync(master, replica), what="the restarted replica to catch up")
        stats = master.redis().info("stats")
        assert int(stats["sync_partial_ok"]) == partial_before + 1
        assert int(stats["sync_full"]) == full_before
        settled(master, replica)
    finally:
        if replica is not None:
            replica.stop()
        master.stop()


def test_restarted_replica_whose_offset_left_the_backlog_gets_a_full_resync(tmp_path):
    master = persist_tools.start("ours", tmp_path / "master", "--repl-backlog-size", "16384")
    replica = None
    try:
        args = ("--replicaof", "127.0.0.1", str(master.port))
        replica = persist_tools.start("ours", tmp_path / "replica", *args)
        wait_for(lambda: in_sync(master, replica), what="the first sync")
        kill9(replica)
        run_pipelined(master, mixed_writes(random.Random(4), 3000), seed=4)
        full_before = int(master.redis().info("stats")["sync_full"])
        replica.stop()
        replica = persist_tools.start("ours", tmp_path / "replica", *args)
        wait_for(lambda: in_sync(master, replica), what="the restarted replica to catch up")
        assert int(master.redis().info("stats")["sync_full"]) == full_before + 1
        settled(master, replica)
    finally:
        if replica is not None:
            replica.stop()
        master.stop()


@pytest.mark.parametrize("role", ["master", "replica"])
def test_rdb_saved_by_a_replicating_server_carries_the_same_aux_fields_as_redis(tmp_path, role):
    """SAVE on a master with a backlog, or on a replica, writes repl-stream-db/repl-id/repl-offset as Redis does."""
    names = {}
    for kind in ("ours", "real"):
        master = persist_tools.start(kind, tmp_path / kind / "master")
        replica = persist_tools.start(kind, tmp_path / kind / "replica", "--replicaof", "127.0.0.1", str(master.port),
                                      "--repl-diskless-load", "swapdb")
        try:
            wait_for(lambda: in_sync(master, replica), what="%s sync" % kind)
            srv = master if role == "master" else replica
            wait_for(lambda: srv.redis().info("persistence")["rdb_bgsave_in_progress"] == 0, what="no BGSAVE")
            assert srv.redis().execute_command("SAVE") in (b"OK", "OK", True)
            names[kind] = aux_field_names(tmp_path / kind / role / "dump.rdb")
        finally:
            replica.stop()
            master.stop()
    assert "repl-id" in names["real"]
    assert names["ours"] == names["real"]


def test_rdb_saved_by_a_master_that_never_had_replicas_has_no_replication_fields(tmp_path):
    srv = persist_tools.start("ours", tmp_path)
    try:
        srv.redis().set("k", "v")
        srv.redis().execute_command("SAVE")
        assert "repl-id" not in aux_field_names(tmp_path / "dump.rdb")
    finally:
        srv.stop()
