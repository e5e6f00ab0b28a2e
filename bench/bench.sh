#!/usr/bin/env bash
# Throughput and memory comparison: redis-swift vs the reference redis-server.
#
# Usage: bench/bench.sh
#
# Environment:
#   REDIS_SWIFT_BIN  our server binary (default <repo>/.build/release/redis-swift)
#   REDIS_REAL_BIN   reference server (default: redis-server on PATH)
#   BENCH_N          requests per run (sets both of the next two)
#   BENCH_N_P1       requests per run without pipelining (default 200000)
#   BENCH_N_P16      requests per run with -P 16         (default 1000000)
#   BENCH_CLIENTS    parallel connections (default 50)
#   BENCH_PIPELINES  pipeline depths to run (default "1 16")
#   BENCH_TESTS      extra redis-benchmark -t names to add rows for, e.g. "lpush,rpop"
#   BENCH_ONLY       replace the default test list (ping_inline ping_mbulk set get incr mset)
#   BENCH_POPULATE   keys for the memory comparison (default 1000000; 0 skips it)
#   BENCH_TIMEOUT    seconds allowed per redis-benchmark run (default 300)
#   BENCH_OUT        if set, also append tab-separated rows to this file
#   BENCH_IDLE       0 skips memory per idle connection (bench/idle_connections.py; BENCH_IDLE_CONNECTIONS)
#   BENCH_MEMORY     0 skips memory per key/element for each type and encoding (bench/memory.py;
#                    BENCH_MEMORY_SCALE, default 1.0)
#   BENCH_CPU        0 skips the CPU-per-request table (bench/cpu.py; BENCH_CPU_PAIRS (default 3),
#                    BENCH_CPU_PAIRS_P1 (-P 1 rows, default BENCH_CPU_PAIRS), BENCH_CPU_CHUNKS (alternating
#                    runs per server in a pair, default 10), BENCH_CPU_ROWS)
#   BENCH_LATENCY    0 skips the latency-under-load table (bench/latency.py)
#   BENCH_STREAMS    0 skips the stream rows (XADD, XRANGE of 100 entries, XREADGROUP of one new entry)
#   BENCH_SCRIPTING  0 skips the EVALSHA rows (one INCR, ten INCRs per script)
#   BENCH_GEO        0 skips the GEOADD / GEOSEARCH rows (a 1,000-member geo set)
#   BENCH_BITHLL     0 skips the SETBIT / BITCOUNT (on a 1 MB bitmap) / PFADD / PFCOUNT (10 keys) rows
#   BENCH_MODULES    0 skips the module row (CL.THROTTLE next to INCR on our server: a module command of the
#                    same work should cost no more than a built-in, ratio >= 0.9)
#   BENCH_ACL        0 skips the SET/GET rows as a user with a 10-pattern key ACL
#   BENCH_REPL       0 skips the replication probe (SET with 2 replicas vs none, replication lag)
#   BENCH_FAILOVER   0 skips the Sentinel failover probe (kill -9 -> +switch-master, our Sentinels vs
#                    redis-sentinel; BENCH_FAILOVER_RUNS runs each, default 3)
#   BENCH_REHASH     0 skips the rehash-pause probe (worst PING while growing to BENCH_REHASH_KEYS keys,
#                    default 10000000; bench/rehash_pause.py)
#   BENCH_PERSIST    0 skips the persistence probes (SAVE/load/snapshot pause; BENCH_PERSIST_KEYS,
#                    BENCH_PERSIST_ZSET, BENCH_PAUSE_KEYS size them)
#
# Both servers run with --save "" --appendonly no on free loopback ports and
# are stopped on exit (trap), whatever happens.

set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OURS_BIN="${REDIS_SWIFT_BIN:-$ROOT/.build/release/redis-swift}"
REAL_BIN="${REDIS_REAL_BIN:-redis-server}"
N_P1="${BENCH_N_P1:-${BENCH_N:-200000}}"
N_P16="${BENCH_N_P16:-${BENCH_N:-1000000}}"
CLIENTS="${BENCH_CLIENTS:-50}"
PIPELINES="${BENCH_PIPELINES:-1 16}"
POPULATE="${BENCH_POPULATE:-1000000}"
RUN_TIMEOUT="${BENCH_TIMEOUT:-300}"

for tool in redis-benchmark redis-cli python3; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool not found" >&2; exit 2; }
done
if [[ "$OURS_BIN" != */* ]]; then OURS_BIN="$(command -v "$OURS_BIN" || echo "$OURS_BIN")"; fi
[[ -x "$OURS_BIN" ]] || { echo "bench.sh: our server binary not found: $OURS_BIN (swift build -c release)" >&2; exit 2; }
command -v "$REAL_BIN" >/dev/null || [[ -x "$REAL_BIN" ]] || { echo "bench.sh: $REAL_BIN not found" >&2; exit 2; }

TESTS="${BENCH_ONLY:-ping_inline ping_mbulk set get incr mset}"
if [[ -n "${BENCH_TESTS:-}" ]]; then TESTS="$TESTS ${BENCH_TESTS//,/ }"; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/redis-bench.XXXXXX")"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME BINARY -> sets PORT_<NAME>
start_server() {
    local name="$1" bin="$2" port dir pid
    port="$(free_port)"
    dir="$WORK/$name"
    mkdir -p "$dir"
    (cd "$dir" && exec "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
        --enable-debug-command yes >"$dir/server.log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do
        if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
            printf -v "PORT_$name" '%s' "$port"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench.sh: $name ($bin) did not start; log:" >&2
    tail -20 "$dir/server.log" >&2
    exit 1
}

# rps PORT TEST PIPELINE N -> prints requests per second (or "fail")
rps() {
    local port="$1" test="$2" pipe="$3" n="$4" out value
    redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null 2>&1
    out="$(timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -q -c "$CLIENTS" \
        -n "$n" -P "$pipe" -t "$test" 2>&1 | tr '\r' '\n')"
    value="$(printf '%s\n' "$out" | grep 'requests per second' | tail -1 |
        sed -E 's/^.*: ([0-9.]+) requests per second.*$/\1/')"
    if [[ "$value" =~ ^[0-9.]+$ ]]; then printf '%s' "$value"; else printf 'fail'; fi
}

ratio() {  # ratio A B -> A/B with 2 decimals, or n/a
    awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "n/a" }'
}

start_server ours "$OURS_BIN"
start_server real "$REAL_BIN"

echo "ours:  $OURS_BIN (port $PORT_ours)"
echo "redis: $(command -v "$REAL_BIN" || echo "$REAL_BIN") (port $PORT_real, $("$REAL_BIN" --version 2>/dev/null | awk '{print $3}'))"
echo "clients=$CLIENTS  n(P1)=$N_P1  n(P16)=$N_P16"
echo
printf '%-14s %3s %14s %14s %7s\n' test P 'ours(rps)' 'redis(rps)' ratio
for test in $TESTS; do
    for pipe in $PIPELINES; do
        if [[ "$pipe" == 1 ]]; then n="$N_P1"; else n="$N_P16"; fi
        ours_rps="$(rps "$PORT_ours" "$test" "$pipe" "$n")"
        real_rps="$(rps "$PORT_real" "$test" "$pipe" "$n")"
        r="$(ratio "$ours_rps" "$real_rps")"
        printf '%-14s %3s %14s %14s %7s\n' "$test" "$pipe" "$ours_rps" "$real_rps" "$r"
        if [[ -n "${BENCH_OUT:-}" ]]; then
            printf 'rps\t%s\t%s\t%s\t%s\t%s\n' "$test" "$pipe" "$ours_rps" "$real_rps" "$r" >>"$BENCH_OUT"
        fi
    done
done

# --------------------------------------------------------- CPU per request --
# The server's own CPU time per request (all its threads, from /proc), ours vs redis-server, interleaved pairs,
# medians: steadier than throughput on a shared machine. BENCH_CPU=0 skips it; BENCH_CPU_PAIRS, BENCH_CPU_ROWS.
if [[ "${BENCH_CPU:-1}" != 0 ]]; then
    echo
    timeout -k 5 3600 python3 "$ROOT/bench/cpu.py" "$OURS_BIN" "$(command -v "$REAL_BIN" || echo "$REAL_BIN")" \
        --n-p1 "$N_P1" --n-p16 "$N_P16" --clients "$CLIENTS" --pipelines "$PIPELINES" || echo "CPU probe failed"
fi

# ------------------------------------------------------- latency under load --
# p50/p99/p99.9/max of GET and SET at 50 and 500 connections from redis-benchmark's histogram, ours vs redis-server,
# interleaved pairs, medians (issue 17). BENCH_LATENCY=0 skips it.
if [[ "${BENCH_LATENCY:-1}" != 0 ]]; then
    echo
    timeout -k 5 3600 python3 "$ROOT/bench/latency.py" "$OURS_BIN" "$(command -v "$REAL_BIN" || echo "$REAL_BIN")" \
        --n "$N_P1" || echo "latency probe failed"
fi

# ----------------------------------------------------------------- streams --
# custom_rps PORT PIPE N SETUP_N CMD... -> rps of CMD after FLUSHALL and SETUP_N pipelined XADDs to bench:s
# (plus a group "g" at 0), or "fail".
custom_rps() {
    local port="$1" pipe="$2" n="$3" setup="$4" out value
    shift 4
    redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null 2>&1
    if [[ "$setup" -gt 0 ]]; then
        timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -q -c "$CLIENTS" -n "$setup" -P 16 \
            XADD bench:s '*' field value >/dev/null 2>&1
        redis-cli -h 127.0.0.1 -p "$port" XGROUP CREATE bench:s g 0 >/dev/null 2>&1
    fi
    out="$(timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -q -c "$CLIENTS" \
        -n "$n" -P "$pipe" "$@" 2>&1 | tr '\r' '\n')"
    value="$(printf '%s\n' "$out" | grep 'requests per second' | tail -1 |
        sed -E 's/^.*: ([0-9.]+) requests per second.*$/\1/')"
    if [[ "$value" =~ ^[0-9.]+$ ]]; then printf '%s' "$value"; else printf 'fail'; fi
}

if [[ "${BENCH_STREAMS:-1}" != 0 ]]; then
    for pipe in $PIPELINES; do
        if [[ "$pipe" == 1 ]]; then n="$N_P1"; else n="$N_P16"; fi
        for row in xadd xrange_100 xreadgroup; do
            case "$row" in
                xadd) setup=0; cmd=(XADD bench:s '*' field value) ;;
                xrange_100) setup=1000; cmd=(XRANGE bench:s - + COUNT 100) ;;
                xreadgroup) setup="$n"; cmd=(XREADGROUP GROUP g c COUNT 1 STREAMS bench:s '>') ;;
            esac
            ours_rps="$(custom_rps "$PORT_ours" "$pipe" "$n" "$setup" "${cmd[@]}")"
            real_rps="$(custom_rps "$PORT_real" "$pipe" "$n" "$setup" "${cmd[@]}")"
            r="$(ratio "$ours_rps" "$real_rps")"
            printf '%-14s %3s %14s %14s %7s\n' "$row" "$pipe" "$ours_rps" "$real_rps" "$r"
            if [[ -n "${BENCH_OUT:-}" ]]; then
                printf 'rps\t%s\t%s\t%s\t%s\t%s\n' "$row" "$pipe" "$ours_rps" "$real_rps" "$r" >>"$BENCH_OUT"
            fi
        done
    done
fi

# ------------------------------------------------------------------ memory --
info_field() {  # info_field PORT FIELD
    redis-cli -h 127.0.0.1 -p "$1" info memory 2>/dev/null | tr -d '\r' |
        awk -F: -v f="$2" '$1 == f { print $2 }'
}

# memory PORT -> "used rss used_per_key"
memory() {
    local port="$1" before after rss reply
    redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null 2>&1
    before="$(info_field "$port" used_memory)"
    reply="$(timeout -k 5 "$RUN_TIMEOUT" redis-cli -h 127.0.0.1 -p "$port" debug populate "$POPULATE" 2>&1)"
    if [[ "$reply" != "OK" ]]; then echo "n/a n/a n/a"; return; fi
    after="$(info_field "$port" used_memory)"
    rss="$(info_field "$port" used_memory_rss)"
    awk -v b="${before:-x}" -v a="${after:-x}" -v r="${rss:-x}" -v n="$POPULATE" 'BEGIN {
        if (a !~ /^[0-9]+$/) { print "n/a n/a n/a"; exit }
        per = (b ~ /^[0-9]+$/) ? sprintf("%.1f", (a - b) / n) : "n/a"
        printf "%s %s %s\n", a, (r ~ /^[0-9]+$/ ? r : "n/a"), per }'
}

if [[ "$POPULATE" -gt 0 ]]; then
    read -r o_used o_rss o_per <<<"$(memory "$PORT_ours")"
    read -r r_used r_rss r_per <<<"$(memory "$PORT_real")"
    echo
    echo "memory after DEBUG POPULATE $POPULATE:"
    printf '%-20s %16s %16s %7s\n' metric ours redis ratio
    printf '%-20s %16s %16s %7s\n' used_memory "$o_used" "$r_used" "$(ratio "$o_used" "$r_used")"
    printf '%-20s %16s %16s %7s\n' used_memory_rss "$o_rss" "$r_rss" "$(ratio "$o_rss" "$r_rss")"
    printf '%-20s %16s %16s %7s\n' bytes_per_key "$o_per" "$r_per" "$(ratio "$o_per" "$r_per")"
    if [[ -n "${BENCH_OUT:-}" ]]; then
        printf 'mem\t%s\t%s\t%s\t%s\t%s\t%s\n' "$o_used" "$r_used" "$o_rss" "$r_rss" "$o_per" "$r_per" >>"$BENCH_OUT"
    fi
fi

# ----------------------------------------------------------------- pub/sub --
# PUBLISH throughput with 1 and 50 subscribers (redis-cli SUBSCRIBE processes reading everything).
publish_rps() {  # publish_rps PORT SUBSCRIBERS
    local port="$1" subs="$2" spids=() i out value
    for i in $(seq 1 "$subs"); do
        redis-cli -h 127.0.0.1 -p "$port" subscribe benchchan >/dev/null 2>&1 &
        spids+=("$!")
    done
    for _ in $(seq 1 50); do
        [[ "$(redis-cli -h 127.0.0.1 -p "$port" pubsub numsub benchchan 2>/dev/null | tail -1)" == "$subs" ]] && break
        sleep 0.1
    done
    out="$(timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -q -c "$CLIENTS" -n "$N_P1" \
        publish benchchan hello-world-message 2>&1 | tr '\r' '\n')"
    kill "${spids[@]}" 2>/dev/null
    wait "${spids[@]}" 2>/dev/null
    value="$(printf '%s\n' "$out" | grep 'requests per second' | tail -1 |
        sed -E 's/^.*: ([0-9.]+) requests per second.*$/\1/')"
    if [[ "$value" =~ ^[0-9.]+$ ]]; then printf '%s' "$value"; else printf 'fail'; fi
}

if [[ "${BENCH_PUBSUB:-1}" != 0 ]]; then
    echo
    printf '%-14s %3s %14s %14s %7s\n' 'publish(subs)' P 'ours(rps)' 'redis(rps)' ratio
    for subs in 1 50; do
        o="$(publish_rps "$PORT_ours" "$subs")"
        r="$(publish_rps "$PORT_real" "$subs")"
        printf '%-14s %3s %14s %14s %7s\n' "publish($subs)" 1 "$o" "$r" "$(ratio "$o" "$r")"
    done
fi

# --------------------------------------------------------------------- geo --
# GEOADD into a set of 1,000 members (random members at random positions in the square 0..0.999 degrees, from
# `__rand_int__e-3` with -r 1000), then GEOSEARCH over those 1,000 members (20 km around the square's middle, about
# 100 inside; ASC, COUNT 10).
geo_rps() {  # geo_rps PORT PIPELINE N CMD... -> requests per second (or "fail")
    local port="$1" pipe="$2" n="$3" out value
    shift 3
    out="$(timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -q -c "$CLIENTS" -n "$n" \
        -P "$pipe" -r 1000 "$@" 2>&1 | tr '\r' '\n')"
    value="$(printf '%s\n' "$out" | grep 'requests per second' | tail -1 |
        sed -E 's/^.*: ([0-9.]+) requests per second.*$/\1/')"
    if [[ "$value" =~ ^[0-9.]+$ ]]; then printf '%s' "$value"; else printf 'fail'; fi
}

if [[ "${BENCH_GEO:-1}" != 0 ]]; then
    echo
    printf '%-14s %3s %14s %14s %7s\n' 'geo(1k)' P 'ours(rps)' 'redis(rps)' ratio
    for pipe in $PIPELINES; do
        if [[ "$pipe" == 1 ]]; then n="$N_P1"; else n="$N_P16"; fi
        for which in geoadd geosearch; do
            if [[ "$which" == geoadd ]]; then
                cmd=(geoadd geobench __rand_int__e-3 __rand_int__e-3 m__rand_int__)
                for port in "$PORT_ours" "$PORT_real"; do redis-cli -h 127.0.0.1 -p "$port" del geobench >/dev/null; done
            else
                cmd=(geosearch geobench fromlonlat 0.5 0.5 byradius 20 km asc count 10)
            fi
            o="$(geo_rps "$PORT_ours" "$pipe" "$n" "${cmd[@]}")"
            r="$(geo_rps "$PORT_real" "$pipe" "$n" "${cmd[@]}")"
            printf '%-14s %3s %14s %14s %7s\n' "$which" "$pipe" "$o" "$r" "$(ratio "$o" "$r")"
            if [[ -n "${BENCH_OUT:-}" ]]; then
                printf 'rps\t%s\t%s\t%s\t%s\t%s\n' "$which" "$pipe" "$o" "$r" "$(ratio "$o" "$r")" >>"$BENCH_OUT"
            fi
        done
    done
fi

# ----------------------------------------------------------- bitmaps / HLL --
# Commands redis-benchmark has no -t test for: a setup on a flushed server, then the command as given
# (__rand_int__ ranges over -r 1000000). BENCH_BITHLL=0 skips them.
setup_bitmap_1mb() { redis-cli -h 127.0.0.1 -p "$1" setbit bm 8388607 1 >/dev/null; }
setup_hll_10() {
    local port="$1" i
    for i in $(seq 0 9); do
        printf 'PFADD h%d %s\n' "$i" "$(seq -f "e$i:%g" 1 $((i * 3000 + 10)) | tr '\n' ' ')"
    done | redis-cli -h 127.0.0.1 -p "$port" >/dev/null
}
cmd_rps() {  # cmd_rps PORT PIPELINE SETUP DIVISOR COMMAND... (DIVISOR shrinks the request count of slow rows)
    local port="$1" pipe="$2" setup="$3" div="$4" out value n
    shift 4
    redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null 2>&1
    [[ -n "$setup" ]] && "$setup" "$port"
    if [[ "$pipe" == 1 ]]; then n="$N_P1"; else n="$N_P16"; fi
    n=$(( n / div > 1000 ? n / div : 1000 ))
    out="$(timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -q -c "$CLIENTS" -n "$n" \
        -P "$pipe" -r 1000000 "$@" 2>&1 | tr '\r' '\n')"
    value="$(printf '%s\n' "$out" | grep 'requests per second' | tail -1 |
        sed -E 's/^.*: ([0-9.]+) requests per second.*$/\1/')"
    if [[ "$value" =~ ^[0-9.]+$ ]]; then printf '%s' "$value"; else printf 'fail'; fi
}

if [[ "${BENCH_BITHLL:-1}" != 0 ]]; then
    echo
    printf '%-14s %3s %14s %14s %7s\n' command P 'ours(rps)' 'redis(rps)' ratio
    for row in "setbit_1mb|setup_bitmap_1mb|1|SETBIT bm 4194303 1" "bitcount_1mb|setup_bitmap_1mb|20|BITCOUNT bm" \
               "pfadd||1|PFADD hll e:__rand_int__" "pfcount_10|setup_hll_10|50|PFCOUNT h0 h1 h2 h3 h4 h5 h6 h7 h8 h9"; do
        IFS='|' read -r name setup div cmd <<<"$row"
        for pipe in $PIPELINES; do
            # shellcheck disable=SC2086
            o="$(cmd_rps "$PORT_ours" "$pipe" "$setup" "$div" $cmd)"
            # shellcheck disable=SC2086
            r="$(cmd_rps "$PORT_real" "$pipe" "$setup" "$div" $cmd)"
            printf '%-14s %3s %14s %14s %7s\n' "$name" "$pipe" "$o" "$r" "$(ratio "$o" "$r")"
            if [[ -n "${BENCH_OUT:-}" ]]; then
                printf 'rps\t%s\t%s\t%s\t%s\t%s\n' "$name" "$pipe" "$o" "$r" "$(ratio "$o" "$r")" >>"$BENCH_OUT"
            fi
        done
    done
fi

# --------------------------------------------------------------- scripting --
# EVALSHA of a one-INCR script and of a ten-call script (redis.call through the nested dispatcher), P=1 and 16.
evalsha_rps() {  # evalsha_rps PORT BODY PIPELINE
    local port="$1" body="$2" pipe="$3" sha out value
    redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null 2>&1
    sha="$(redis-cli -h 127.0.0.1 -p "$port" script load "$body" 2>/dev/null | tr -d '\r')"
    out="$(timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -q -c "$CLIENTS" -n "$N_P1" \
        -P "$pipe" -r 1000 evalsha "$sha" 1 key:__rand_int__ 2>&1 | tr '\r' '\n')"
    value="$(printf '%s\n' "$out" | grep 'requests per second' | tail -1 |
        sed -E 's/^.*: ([0-9.]+) requests per second.*$/\1/')"
    if [[ "$value" =~ ^[0-9.]+$ ]]; then printf '%s' "$value"; else printf 'fail'; fi
}

if [[ "${BENCH_SCRIPTING:-1}" != 0 ]]; then
    echo
    printf '%-14s %3s %14s %14s %7s\n' script P 'ours(rps)' 'redis(rps)' ratio
    one="return redis.call('incr', KEYS[1])"
    ten="local n = 0 for i = 1, 10 do n = redis.call('incr', KEYS[1]) end return n"
    for pipe in 1 16; do
        for name in one ten; do
            body="${!name}"
            o="$(evalsha_rps "$PORT_ours" "$body" "$pipe")"
            r="$(evalsha_rps "$PORT_real" "$body" "$pipe")"
            printf '%-14s %3s %14s %14s %7s\n' "evalsha-$name" "$pipe" "$o" "$r" "$(ratio "$o" "$r")"
            if [[ -n "${BENCH_OUT:-}" ]]; then
                printf 'rps\t%s\t%s\t%s\t%s\t%s\n' "evalsha-$name" "$pipe" "$o" "$r" "$(ratio "$o" "$r")" >>"$BENCH_OUT"
            fi
        done
    done
fi

# ----------------------------------------------------------------- modules --
# CL.THROTTLE (the compiled-in module, Plugins/Throttle) next to INCR, both on our server: one key read, one
# write with an expire time, a reply. The ratio is module/built-in (redis-server has no CL.THROTTLE).
if [[ "${BENCH_MODULES:-1}" != 0 ]]; then
    echo
    printf '%-14s %3s %14s %14s %7s
' module P 'cl.throttle' 'incr(ours)' ratio
    for pipe in $PIPELINES; do
        redis-cli -h 127.0.0.1 -p "$PORT_ours" flushall >/dev/null 2>&1
        m="$(cmd_rps "$PORT_ours" "$pipe" "" 1 CL.THROTTLE t:__rand_int__ 1000000 1000000 1)"
        i="$(cmd_rps "$PORT_ours" "$pipe" "" 1 INCR c:__rand_int__)"
        printf '%-14s %3s %14s %14s %7s\n' "cl.throttle" "$pipe" "$m" "$i" "$(ratio "$m" "$i")"
        if [[ -n "${BENCH_OUT:-}" ]]; then
            printf 'rps\t%s\t%s\t%s\t%s\t%s\n' "cl.throttle-vs-incr" "$pipe" "$m" "$i" "$(ratio "$m" "$i")" >>"$BENCH_OUT"
        fi
    done
fi

# --------------------------------------------------------------------- acl --
# SET/GET as a non-default user whose key ACL holds 10 patterns (the benchmark's keys match the last one).
acl_rps() {  # acl_rps PORT PIPELINE TEST -> requests per second (or "fail")
    local port="$1" pipe="$2" test="$3" n out value
    if [[ "$pipe" == 1 ]]; then n="$N_P1"; else n="$N_P16"; fi
    out="$(timeout -k 5 "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$port" -q -c "$CLIENTS" -n "$n" \
        -P "$pipe" -r 100000 --user benchuser -a benchpass -t "$test" 2>&1 | tr '\r' '\n')"
    value="$(printf '%s\n' "$out" | grep 'requests per second' | tail -1 |
        sed -E 's/^.*: ([0-9.]+) requests per second.*$/\1/')"
    if [[ "$value" =~ ^[0-9.]+$ ]]; then printf '%s' "$value"; else printf 'fail'; fi
}

if [[ "${BENCH_ACL:-1}" != 0 ]]; then
    echo
    printf '%-14s %3s %14s %14s %7s\n' 'acl(10 pat)' P 'ours(rps)' 'redis(rps)' ratio
    for port in "$PORT_ours" "$PORT_real"; do
        redis-cli -h 127.0.0.1 -p "$port" acl setuser benchuser reset on '>benchpass' '~a:*' '~b:*' '~c:*' '~d:*' \
            '~e:*' '~f:*' '~g:*' '~h:*' '~i:*' '~key:*' '+@all' >/dev/null
    done
    for pipe in $PIPELINES; do
        for test in set get; do
            o="$(acl_rps "$PORT_ours" "$pipe" "$test")"
            r="$(acl_rps "$PORT_real" "$pipe" "$test")"
            printf '%-14s %3s %14s %14s %7s\n' "acl-$test" "$pipe" "$o" "$r" "$(ratio "$o" "$r")"
            if [[ -n "${BENCH_OUT:-}" ]]; then
                printf 'rps\t%s\t%s\t%s\t%s\t%s\n' "acl-$test" "$pipe" "$o" "$r" "$(ratio "$o" "$r")" >>"$BENCH_OUT"
            fi
        done
    done
    for port in "$PORT_ours" "$PORT_real"; do redis-cli -h 127.0.0.1 -p "$port" acl deluser benchuser >/dev/null; done
fi

# ------------------------------------------------------------------- scale --
# ZADD of 1M members, 100k ZRANK and ZRANGE-by-rank calls, and the RSS of a 1M-member zset, a 1M-field hash, a
# 1M-entry stream and a 1M-member geo set.
if [[ "${BENCH_SCALE:-1}" != 0 ]]; then
    # Fresh servers per probe: RSS never shrinks after a delete.
    start_server zo "$OURS_BIN"; start_server zr "$REAL_BIN"
    start_server ho "$OURS_BIN"; start_server hr "$REAL_BIN"
    zo="$(timeout -k 5 "$RUN_TIMEOUT" python3 "$ROOT/bench/scale.py" "$PORT_zo" zset 2>&1 | tail -1)"
    zr="$(timeout -k 5 "$RUN_TIMEOUT" python3 "$ROOT/bench/scale.py" "$PORT_zr" zset 2>&1 | tail -1)"
    ho="$(timeout -k 5 "$RUN_TIMEOUT" python3 "$ROOT/bench/scale.py" "$PORT_ho" hash 2>&1 | tail -1)"
    hr="$(timeout -k 5 "$RUN_TIMEOUT" python3 "$ROOT/bench/scale.py" "$PORT_hr" hash 2>&1 | tail -1)"
    start_server so "$OURS_BIN"; start_server sr "$REAL_BIN"
    start_server go "$OURS_BIN"; start_server gr "$REAL_BIN"
    so="$(timeout -k 5 "$RUN_TIMEOUT" python3 "$ROOT/bench/scale.py" "$PORT_so" stream 2>&1 | tail -1)"
    sr="$(timeout -k 5 "$RUN_TIMEOUT" python3 "$ROOT/bench/scale.py" "$PORT_sr" stream 2>&1 | tail -1)"
    go="$(timeout -k 5 "$RUN_TIMEOUT" python3 "$ROOT/bench/scale.py" "$PORT_go" geo 2>&1 | tail -1)"
    gr="$(timeout -k 5 "$RUN_TIMEOUT" python3 "$ROOT/bench/scale.py" "$PORT_gr" geo 2>&1 | tail -1)"
    echo
    echo "scale (seconds for one pipelined client; RSS added in MB, fresh server per probe):"
    python3 - "$zo" "$zr" "$ho" "$hr" "$so" "$sr" "$go" "$gr" <<'PY'
import json, sys
try:
    zo, zr, ho, hr, so, sr, go, gr = (json.loads(a) for a in sys.argv[1:9])
except ValueError:
    print("  scale probe failed:", [a[:120] for a in sys.argv[1:9]]); sys.exit(0)
o = dict(zo, **ho, **so, **go); r = dict(zr, **hr, **sr, **gr)
print("%-22s %10s %10s %7s" % ("metric", "ours", "redis", "ratio"))
for k in ["zadd_s", "zrank_s", "zrange_by_rank_s", "zset_rss_mb", "hset_s", "hash_rss_mb", "xadd_s",
          "stream_rss_mb", "geoadd_s", "geo_rss_mb"]:
    ratio = "%.2f" % (o[k] / r[k]) if r[k] else "n/a"
    print("%-22s %10s %10s %7s" % (k, o[k], r[k], ratio))
PY
fi

# ------------------------------------------------------------- replication --
# SET throughput on a master alone vs with 2 replicas attached, and the replication lag under that load.
if [[ "${BENCH_REPL:-1}" != 0 ]]; then
    echo
    timeout -k 5 1800 python3 "$ROOT/bench/replication.py" "$OURS_BIN" "$(command -v "$REAL_BIN" || echo "$REAL_BIN")" \
        --n "$N_P1" --clients "$CLIENTS" || echo "replication probe failed"
fi

# ---------------------------------------------------------------- failover --
# Sentinel: time from kill -9 of the master to +switch-master, our Sentinels vs redis-sentinel (down-after 5000).
if [[ "${BENCH_FAILOVER:-1}" != 0 ]]; then
    echo
    REDIS_SWIFT_BIN="$OURS_BIN" REDIS_REAL_BIN="$(command -v "$REAL_BIN" || echo "$REAL_BIN")" \
        timeout -k 5 1800 python3 "$ROOT/bench/failover.py" --runs "${BENCH_FAILOVER_RUNS:-3}" \
        || echo "failover probe failed"
fi

# -------------------------------------------------------- idle connections --
# RSS per idle connection for 10,000 connections, ours vs redis-server (bench/idle_connections.py).
if [[ "${BENCH_IDLE:-1}" != 0 ]]; then
    echo
    timeout -k 5 600 python3 "$ROOT/bench/idle_connections.py" --connections "${BENCH_IDLE_CONNECTIONS:-10000}" \
        --ours "$OURS_BIN" --real "$(command -v "$REAL_BIN" || echo "$REAL_BIN")" || echo "idle-connection probe failed"
fi

# ------------------------------------------------------- memory per element --
# RSS and used_memory per key or element for each type in each encoding, ours vs redis-server (bench/memory.py).
if [[ "${BENCH_MEMORY:-1}" != 0 ]]; then
    echo
    timeout -k 5 1800 python3 "$ROOT/bench/memory.py" "$OURS_BIN" "$(command -v "$REAL_BIN" || echo "$REAL_BIN")" \
        --scale "${BENCH_MEMORY_SCALE:-1.0}" || echo "memory probe failed"
fi

# ------------------------------------------------------------- persistence --
# SAVE time and file size, load time at start, and the worst PING latency during BGSAVE/BGREWRITEAOF.
if [[ "${BENCH_PERSIST:-1}" != 0 ]]; then
    echo
    timeout -k 5 1800 python3 "$ROOT/bench/persistence.py" "$OURS_BIN" "$(command -v "$REAL_BIN" || echo "$REAL_BIN")" \
        --keys "${BENCH_PERSIST_KEYS:-1000000}" --zset "${BENCH_PERSIST_ZSET:-1000000}" \
        --pause-keys "${BENCH_PAUSE_KEYS:-5000000}" || echo "persistence probe failed"
fi

# ------------------------------------------------------------ rehash pause --
# The worst PING latency while the keyspace grows to BENCH_REHASH_KEYS keys (small DEBUG POPULATE chunks).
if [[ "${BENCH_REHASH:-1}" != 0 ]]; then
    echo
    timeout -k 5 1800 python3 "$ROOT/bench/rehash_pause.py" "$OURS_BIN" "$(command -v "$REAL_BIN" || echo "$REAL_BIN")" \
        --keys "${BENCH_REHASH_KEYS:-10000000}" || echo "rehash pause probe failed"
fi
