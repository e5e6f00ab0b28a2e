#!/bin/bash
# Template of .build-tsan/redis-swift-io2, which `make build-sanitize-thread` writes (@BINARY@ replaced): the
# ThreadSanitizer build run with `io-threads 2`, so that two I/O loops really share the data. argv[0] is passed on
# (the binary acts as redis-check-aof/-rdb or redis-sentinel by that name), and the option is added to server runs
# only, not to the check tools or to --version/--help.
bin=@BINARY@
case "$(basename "$0")" in
    redis-check-*) exec -a "$0" "$bin" "$@" ;;
esac
case "${1:-}" in
    --check-*|-v|--version|-h|--help|--test-memory) exec -a "$0" "$bin" "$@" ;;
esac
exec -a "$0" "$bin" "$@" --io-threads 2
