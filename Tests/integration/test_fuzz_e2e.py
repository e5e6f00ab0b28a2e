"""End-to-end protocol fuzzing, short seeded run (`make fuzz` runs 100,000+ inputs): generated RESP/inline byte
streams sent to ours and to redis-server on fresh connections must give byte-equal transcripts (or both close),
and our server keeps answering. Regression inputs found by the fuzzer are pinned below."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
import e2e  # noqa: E402


@pytest.mark.parametrize("seed", [1, 2])
def test_seeded_fuzz_streams_get_the_same_bytes_as_redis(ours, real, seed):
    diffs, n = e2e.run(ours.port, real.port, seed, 1500)
    assert n == 1500
    assert diffs == [], "first difference: input %r ours %r real %r" % diffs[0]
    assert e2e.alive(ours.port)


REGRESSIONS = [
    # A raw non-UTF-8 byte in an unknown command's name and arguments is echoed byte for byte.
    b"*1\r\n$4\r\n\xeaECH\r\n",
    b"EXISTS~7 \xce}\xb8k1\nGeT \n",
    # "expected '$', got 'X'" carries the raw byte.
    b"*2\r\n$3\r\nGET\r\n\xe13\r\nkey\r\n",
    # A NUL byte before a header's or an inline line's end: Redis's strchr stops there, so it waits for more.
    b"DEL k1\r\n*2\r\n$3\r\nGET\r\n\x003\r\nkey\r\n",
    b"DE\x00 \n*1\r\n$4\r\nPING\r\n",
    b"*1\x00\r\n$4\r\nPING\r\n",
    # A bad '$' line is refused only once its "\r\n" is complete.
    b"*2\r\n$3\r\nGET\r\nx\r",
]


@pytest.mark.parametrize("data", REGRESSIONS, ids=range(len(REGRESSIONS)))
def test_fuzzer_regression_inputs_get_the_same_bytes_as_redis(ours, real, data):
    for pieces in ([data], [data[i:i + 1] for i in range(len(data))]):
        assert e2e.transcript(ours.port, pieces) == e2e.transcript(real.port, pieces)
