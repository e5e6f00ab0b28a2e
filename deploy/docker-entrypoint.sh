#!/bin/sh
# Container entrypoint of the redis-swift image (see docs/DEPLOYMENT.md). Exec's the server as PID 1, so SIGTERM
# reaches it (final save, clean exit).
#   redis-server CONF [--directive value ...]   a data server; REDIS_ROLE=replica makes it a replica of the master
#   redis-sentinel CONF [--directive value ...] a Sentinel; CONF is copied to /data/sentinel.conf on first start
#                                               (Sentinel rewrites its file) and the monitor lines are added
#   anything else                               exec'd as is (e.g. redis-cli, sh)
# Environment (all optional):
#   REDIS_PASSWORD        requirepass + masterauth (+ Sentinel's requirepass and auth-pass)
#   ANNOUNCE_IP           an address of the host that clients outside the container network can reach; with it,
#   ANNOUNCE_PORT         this container's published port is what replicas and Sentinels announce, and the master
#   MASTER_ANNOUNCE_PORT  is known as ANNOUNCE_IP:MASTER_ANNOUNCE_PORT (default 10007)
#   MASTER_HOST/PORT      the master inside the container network (default redis-master 6379), used when
#                         ANNOUNCE_IP is empty: addresses are then the containers' own
#   REDIS_ROLE            master | replica (data servers)
#   SENTINEL_QUORUM       default 2; SENTINEL_DOWN_AFTER_MS default 5000; SENTINEL_FAILOVER_TIMEOUT_MS default 10000
set -eu

resolve() {  # the IPv4 address of a name, waiting up to 60 s for it to appear in DNS
  i=0
  while [ $i -lt 300 ]; do
    addr=$(getent ahostsv4 "$1" 2>/dev/null | awk 'NR==1 {print $1}')
    [ -n "$addr" ] && { echo "$addr"; return 0; }
    i=$((i + 1)); sleep 0.2
  done
  echo "docker-entrypoint: cannot resolve $1" >&2; return 1
}

master_address() {  # "ip port" of the master as the Sentinels and replicas should know it
  if [ -n "${ANNOUNCE_IP:-}" ]; then echo "$ANNOUNCE_IP ${MASTER_ANNOUNCE_PORT:-10007}"
  else echo "$(resolve "${MASTER_HOST:-redis-master}") ${MASTER_PORT:-6379}"; fi
}

case "${1:-}" in
  redis-server|redis-swift)
    shift
    conf=${1:-/etc/redis-swift/redis.conf}; [ $# -gt 0 ] && shift
    set -- /usr/local/bin/redis-swift "$conf" "$@"
    if [ -n "${REDIS_PASSWORD:-}" ]; then set -- "$@" --requirepass "$REDIS_PASSWORD" --masterauth "$REDIS_PASSWORD"; fi
    if [ -n "${ANNOUNCE_IP:-}" ]; then
      set -- "$@" --replica-announce-ip "$ANNOUNCE_IP"
      [ -n "${ANNOUNCE_PORT:-}" ] && set -- "$@" --replica-announce-port "$ANNOUNCE_PORT"
    fi
    if [ "${REDIS_ROLE:-master}" = replica ]; then
      # shellcheck disable=SC2046 # "ip port" splits into two arguments on purpose
      set -- "$@" --replicaof $(master_address)
    fi
    exec "$@" ;;
  redis-sentinel)
    shift
    template=${1:-/etc/redis-swift/sentinel.conf}; [ $# -gt 0 ] && shift
    conf=/data/sentinel.conf
    if [ ! -s "$conf" ]; then
      cp "$template" "$conf.tmp"
      {
        echo
        echo "# added by docker-entrypoint.sh on first start"
        if [ -n "${REDIS_PASSWORD:-}" ]; then echo "requirepass \"$REDIS_PASSWORD\""; fi
        if [ -n "${ANNOUNCE_IP:-}" ]; then
          echo "sentinel announce-ip $ANNOUNCE_IP"
          [ -n "${ANNOUNCE_PORT:-}" ] && echo "sentinel announce-port $ANNOUNCE_PORT"
        fi
        echo "sentinel monitor mymaster $(master_address) ${SENTINEL_QUORUM:-2}"
        if [ -n "${REDIS_PASSWORD:-}" ]; then echo "sentinel auth-pass mymaster $REDIS_PASSWORD"; fi
        echo "sentinel down-after-milliseconds mymaster ${SENTINEL_DOWN_AFTER_MS:-5000}"
        echo "sentinel failover-timeout mymaster ${SENTINEL_FAILOVER_TIMEOUT_MS:-10000}"
        echo "sentinel parallel-syncs mymaster 1"
      } >>"$conf.tmp"
      mv "$conf.tmp" "$conf"
    fi
    exec /usr/local/bin/redis-swift "$conf" --sentinel "$@" ;;
  *)
    exec "$@" ;;
esac
