#!/usr/bin/env python3
"""In-use chunk sizes of a live process's busiest glibc thread arena (a memory account aid; not a test).

  python3 bench/heapwalk.py PID [--top 25]

Reads the largest 64 MiB-aligned anonymous mapping (a glibc thread heap: redis-swift's event loop allocates the
keyspace's values there) through /proc/PID/mem, walks its chunks from the arena header to the top chunk and
prints a histogram of chunk sizes. "used" counts every chunk whose next chunk has PREV_INUSE set, so chunks parked
in tcache or fastbins (freed, but not given back to the arena) count as used, as they do in mallinfo2's uordblks
and in the RSS. Needs ptrace rights over PID (root, or the same user with ptrace_scope 0). glibc 2.36 x86-64
layout: heap_info (32 bytes) then malloc_state, whose `top` is at offset 96.
"""

import argparse
import collections
import struct


def busiest_heap(pid):
    best = None
    for line in open("/proc/%d/maps" % pid):
        p = line.split()
        a, b = [int(x, 16) for x in p[0].split("-")]
        if p[1] == "rw-p" and len(p) == 5 and a % (64 << 20) == 0 and (best is None or b - a > best[1] - best[0]):
            best = (a, b)
    if best is None:
        raise SystemExit("no thread heap found")
    return best


def walk(pid, start, length):
    with open("/proc/%d/mem" % pid, "rb") as f:
        f.seek(start)
        mem = f.read(length)
    q = lambda off: struct.unpack_from("<Q", mem, off)[0]
    top = q(q(0) - start + 96) - start
    # The first chunk follows malloc_state, 16-byte aligned: find the offset whose chain of sizes ends at top.
    for first in range(32 + 2000, 32 + 2400, 16):
        off, chunks = first, []
        while off < top:
            size = q(off + 8) & ~7
            if size < 32 or off + size > len(mem):
                break
            chunks.append((off, size))
            off += size
        if off == top:
            break
    else:
        raise SystemExit("could not find the chunk chain")
    used, free = collections.Counter(), collections.Counter()
    for off, size in chunks:
        (used if q(off + size + 8) & 1 else free)[size] += 1
    return used, free


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pid", type=int)
    ap.add_argument("--top", type=int, default=25, help="rows of each histogram to print")
    args = ap.parse_args()
    start, end = busiest_heap(args.pid)
    used, free = walk(args.pid, start, end - start)
    print("heap %x, %d bytes mapped; in use %d, free %d" % (start, end - start, sum(k * v for k, v in used.items()),
                                                             sum(k * v for k, v in free.items())))
    for name, hist in (("used", used), ("free", free)):
        for size, n in sorted(hist.items(), key=lambda kv: -kv[0] * kv[1])[:args.top]:
            print("%s %6d x %6d = %9d" % (name, size, n, size * n))


if __name__ == "__main__":
    main()
