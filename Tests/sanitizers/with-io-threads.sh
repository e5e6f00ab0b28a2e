#!/bin/bash
# Template of .build-tsan/redis-swift-io2 and .build-tsan/redis-server-io2, which `make build-sanitize-thread` writes
# (@BINARY@ replaced by the ThreadSanitizer build, or by redis-server): the server run with `io-threads 2`, so that
# two I/O loops really share the data. The reference server gets the same option, so that what the differential
# tests compare (CONFIG GET *, CONFIG REWRITE's output) differs in nothing the harness added. argv[0] is passed on
# (the binary acts as redis-check-aof/-rdb or redis-sentinel by that name), and the option is added to server runs
# only, not to the check tools or to --version/--help. It goes after a leading config file (or `-`, stdin) and
# before the other options, so that a trailing `-` stays last and a test's own --io-threads wins.
bin=@BINARY@
case "$(basename "$0")" in
    redis-check-*) exec -a "$0" "$bin" "$@" ;;
esac
case "${1:-}" in
    --check-*|-v|--version|-h|--help|--test-memory) exec -a "$0" "$bin" "$@" ;;
esac
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
    conf=$1
    shift
    exec -a "$0" "$bin" "$conf" --io-threads 2 "$@"
fi
exec -a "$0" "$bin" --io-threads 2 "$@"
