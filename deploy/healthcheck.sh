#!/bin/sh
# HEALTHCHECK of the redis-swift image: PING on $REDIS_PORT (6379; 26379 for a Sentinel) must answer PONG.
if [ -n "${REDIS_PASSWORD:-}" ]; then export REDISCLI_AUTH="$REDIS_PASSWORD"; fi
[ "$(redis-cli -p "${REDIS_PORT:-6379}" ping 2>&1)" = PONG ]
