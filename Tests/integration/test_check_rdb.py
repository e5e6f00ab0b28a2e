"""`redis-swift --check-rdb FILE` (and the binary invoked as `redis-check-rdb`) reports a file written by
redis-server 7.0 exactly as the real `redis-check-rdb` does, valid or corrupt."""

import os
import shutil
import subprocess

import pytest

from conftest import ours_binary


def populate(r):
    r.set("s", "hello")
    r.set("i", "12345")
    r.set("big", "abc" * 1000)
    r.set("e", "x", ex=100000)
    r.rpush("l", *[str(i) for i in range(2000)])
    r.sadd("si", 1, 2, 3)
    r.sadd("sh", "a", "b")
    r.hset("h", mapping={"f": "v", "n": "1"})
    r.hset("hh", mapping={"f%d" % i: "v" for i in range(600)})
    r.zadd("z", {"a": 1, "b": 2.5})
    r.zadd("zz", {"m%d" % i: i for i in range(300)})


@pytest.fixture
def real_rdb(real, tmp_path):
    """A dump.rdb saved by the reference server, copied to a temp dir."""
    r = real.redis()
    populate(r)
    r.execute_command("SELECT", 2)
    r.set("in-db-2", "v")
    r.execute_command("FUNCTION", "LOAD", "REPLACE",
                      "#!lua name=checklib\nredis.register_function('f', function() return 1 end)")
    assert r.save()
    r.execute_command("FUNCTION", "FLUSH")
    r.close()
    path = tmp_path / "dump.rdb"
    shutil.copy(os.path.join(real.dir, "dump.rdb"), str(path))
    return path


def run(argv, cwd):
    p = subprocess.run(argv, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    lines = [l for l in p.stdout.decode(errors="replace").splitlines() if not l.endswith("reading failure.")]
    return p.returncode, lines


def both(path):
    real = run(["redis-check-rdb", path.name], path.parent)
    ours = run([ours_binary(), "--check-rdb", path.name], path.parent)
    return ours, real


def test_valid_file_report_matches_redis_check_rdb(real_rdb):
    ours, real = both(real_rdb)
    assert real[0] == 0
    assert ours == real


def test_invoked_as_redis_check_rdb_through_a_symlink(real_rdb, tmp_path):
    link = tmp_path / "redis-check-rdb"
    os.symlink(os.path.abspath(ours_binary()), str(link))
    ours = run([str(link), real_rdb.name], real_rdb.parent)
    real = run(["redis-check-rdb", real_rdb.name], real_rdb.parent)
    assert ours == real


def test_bad_checksum_report_matches(real_rdb):
    data = bytearray(real_rdb.read_bytes())
    data[-1] ^= 0x01
    real_rdb.write_bytes(bytes(data))
    ours, real = both(real_rdb)
    assert real[0] == 1
    assert ours == real


def test_checksum_disabled_report_matches(real_rdb):
    data = bytearray(real_rdb.read_bytes())
    data[-8:] = b"\0" * 8
    real_rdb.write_bytes(bytes(data))
    ours, real = both(real_rdb)
    assert ours == real


@pytest.mark.parametrize("cut", [3, 9, 40, 300, 1000, 5000, -20, -9])
def test_truncated_file_report_matches(real_rdb, cut):
    data = real_rdb.read_bytes()
    real_rdb.write_bytes(data[:cut])
    ours, real = both(real_rdb)
    assert real[0] == 1
    assert ours == real


@pytest.mark.parametrize("cut", [3, 9, 40, 100, -9])
def test_truncated_file_is_an_error_with_the_same_progress(real_rdb, cut):
    data = real_rdb.read_bytes()
    real_rdb.write_bytes(data[:cut])
    (ours_rc, ours_lines), (real_rc, real_lines) = both(real_rdb)
    assert ours_rc == real_rc == 1
    assert "--- RDB ERROR DETECTED ---" in ours_lines
    # Everything before the error block is the same progress report.
    assert ours_lines[:ours_lines.index("--- RDB ERROR DETECTED ---")] == \
        real_lines[:real_lines.index("--- RDB ERROR DETECTED ---")]
    assert ours_lines[-3:] == real_lines[-3:]


def test_missing_file_exits_1(tmp_path):
    rc, _ = run([ours_binary(), "--check-rdb", "nope.rdb"], tmp_path)
    assert rc == 1
