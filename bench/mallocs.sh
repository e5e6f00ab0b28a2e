#!/bin/bash
# Heap allocations per request of a release server (issue 18), not a test: counts calls of glibc's malloc in the
# server process with a perf uprobe while redis-benchmark runs each row (-P 16, 50 clients), divided by the
# requests. Connection setup is included (about 100 allocations per connection: 0.05 per request at the default
# N=100000); a command on the allocation-free path shows that floor and nothing more.
#
#     bench/mallocs.sh [SERVER_BIN]        (root: needs `perf probe`; N=100000 requests per row)
set -eu
BIN=${1:-.build/release/redis-swift}
N=${N:-100000}
PORT=${PORT:-7913}
LIBC=$(ldd "$BIN" | awk '/libc.so.6/ {print $3}')
CREATED=0
if ! perf probe -l 2>/dev/null | grep -q "probe_libc:malloc "; then
    perf probe -q -x "$LIBC" malloc
    CREATED=1
fi
DIR=$(mktemp -d)
"$BIN" --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$DIR" >"$DIR/log" 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; rm -rf "$DIR"; [ $CREATED = 1 ] && perf probe -q -d probe_libc:malloc' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
redis-benchmark -p "$PORT" -t set,sadd,hset,lpush -n 1000 -q >/dev/null
printf '%-12s %s\n' row "mallocs/request"
for spec in "ping_mbulk:-t ping_mbulk" "get:-t get" "set:-t set" "incr:-t incr" "sadd:-r 100000 -t sadd" \
            "hset:-r 100000 -t hset" "lpush:-t lpush" "rpop:-t rpop" "exists:EXISTS key:__rand_int__" \
            "sismember:SISMEMBER myset element:__rand_int__" "zadd:-r 100000 -t zadd" "mset:-t mset"; do
    name=${spec%%:*}
    args=${spec#*:}
    # shellcheck disable=SC2086
    count=$(perf stat -e probe_libc:malloc -p "$SPID" -x, -- redis-benchmark -p "$PORT" -c 50 -n "$N" -P 16 -q $args \
            2>&1 >/dev/null | awk -F, '/probe_libc:malloc/ {print $1}')
    awk -v n="$name" -v c="$count" -v r="$N" 'BEGIN { printf "%-12s %.3f\n", n, c / r }'
done
