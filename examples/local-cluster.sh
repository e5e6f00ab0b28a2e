#!/usr/bin/env bash
# The reference topology on one machine, no containers: 1 master + 2 replicas + 3 Sentinels on loopback, with the
# ports and password of deploy/docker-compose.yml. `make cluster` runs `up`, `make cluster-down` runs `down`.
#
#   examples/local-cluster.sh up          start all six in the background; returns when all six answer
#   examples/local-cluster.sh down        stop exactly the processes `up` started (SIGTERM, final save), wait for them
#   examples/local-cluster.sh status      name, port, pid, role (data servers) / master address (Sentinels)
#   examples/local-cluster.sh failover    SENTINEL FAILOVER mymaster; waits until a replica is the new master
#   examples/local-cluster.sh stop NAME   stop one instance (e.g. the master: Sentinel fails over)
#   examples/local-cluster.sh start NAME  start it again (an old master rejoins as a replica)
#   examples/local-cluster.sh logs [NAME] [tail options, e.g. -f]
#   examples/local-cluster.sh master      the name of the current master (as Sentinel redis-sentinel-1 says)
#   examples/local-cluster.sh wait-master waits until the running Sentinels agree on a master that answers
#
# Names: redis-master (10007), redis-replica-1 (10008), redis-replica-2 (10009), redis-sentinel-1..3 (26379..26381).
# Everything lives under $CLUSTER_DIR (default .cluster/ in the repository): <name>/{redis.conf|sentinel.conf,
# <name>.log, <name>.pid, dump.rdb}. `up` starts from an empty folder (the previous one is moved to .cluster.prev).
# The server binary is $REDIS_SWIFT_BIN (default .build/release/redis-swift, built by `make build`).
# CLUSTER_SERVER_BIN=redis-server CLUSTER_SENTINEL_BIN=redis-sentinel run the same topology with Redis's own
# binaries (the walkthrough test does, to check that the document is Redis's behaviour).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${REDIS_SWIFT_BIN:-$ROOT/.build/release/redis-swift}
[[ $BIN == */* ]] && BIN=$(realpath -m "$BIN")     # the instances start in their own folders
DIR=$(realpath -m "${CLUSTER_DIR:-$ROOT/.cluster}")
PASSWORD=${REDIS_PASSWORD:-redis_password}
HOST=127.0.0.1
DEADLINE=${CLUSTER_DEADLINE:-60}   # seconds to wait for anything

DATA=(redis-master redis-replica-1 redis-replica-2)
SENTINELS=(redis-sentinel-1 redis-sentinel-2 redis-sentinel-3)
# replica-priority (lower is promoted first): failovers are deterministic, so the walkthrough can name the new master.
declare -A PRIORITY=([redis-master]=100 [redis-replica-1]=50 [redis-replica-2]=75)
declare -A PORT=([redis-master]=10007 [redis-replica-1]=10008 [redis-replica-2]=10009
                 [redis-sentinel-1]=26379 [redis-sentinel-2]=26380 [redis-sentinel-3]=26381)
ALL=("${DATA[@]}" "${SENTINELS[@]}")

die() { echo "local-cluster: $*" >&2; exit 1; }
cli() { local port=$1; shift; redis-cli -h "$HOST" -p "$port" -a "$PASSWORD" --no-auth-warning --raw "$@"; }
is_sentinel() { [[ $1 == redis-sentinel-* ]]; }
known() { [[ -n ${PORT[$1]:-} ]] || die "unknown instance '$1' (one of: ${ALL[*]})"; }

# The pid `up`/`start` recorded, if that process is still the one started (a reused pid is not): each instance runs
# in its own folder (started there, and its `dir`), which /proc shows whatever the server does to its title.
live_pid() {
  local f="$DIR/$1/$1.pid" pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$DIR/$1" ]] && echo "$pid"
}

answers() { [[ $(cli "${PORT[$1]}" PING 2>/dev/null) == PONG ]]; }

wait_until() {  # wait_until "what" command...
  local what=$1; shift
  local end=$((SECONDS + DEADLINE))
  until "$@"; do
    ((SECONDS < end)) || die "timed out after ${DEADLINE}s waiting for $what"
    sleep 0.2
  done
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

write_config() {
  local name=$1 port=${PORT[$1]} d="$DIR/$1"
  mkdir -p "$d"
  if is_sentinel "$name"; then
    cat >"$d/sentinel.conf" <<EOF
port $port
bind $HOST
dir "$d"
logfile "$d/$name.log"
requirepass "$PASSWORD"
sentinel monitor mymaster $HOST ${PORT[redis-master]} 2
sentinel auth-pass mymaster $PASSWORD
sentinel down-after-milliseconds mymaster 5000
sentinel failover-timeout mymaster 10000
sentinel parallel-syncs mymaster 1
EOF
  else
    cat >"$d/redis.conf" <<EOF
port $port
bind $HOST
protected-mode yes
dir "$d"
logfile "$d/$name.log"
requirepass "$PASSWORD"
masterauth "$PASSWORD"
save 3600 1 300 100 60 10000
appendonly no
replica-priority ${PRIORITY[$name]}
EOF
    [[ $name == redis-master ]] || echo "replicaof $HOST ${PORT[redis-master]}" >>"$d/redis.conf"
  fi
}

start_one() {
  local name=$1 d="$DIR/$1"
  [[ -z $(live_pid "$name") ]] || { echo "$name is already running"; return 0; }
  port_busy "${PORT[$name]}" && die "port ${PORT[$name]} ($name) is in use by another process"
  (
    cd "$d"
    if is_sentinel "$name" && [[ -n ${CLUSTER_SENTINEL_BIN:-} ]]; then
      setsid "$CLUSTER_SENTINEL_BIN" "$d/sentinel.conf" </dev/null >>"$d/$name.out" 2>&1 &
    elif is_sentinel "$name"; then
      setsid "$BIN" "$d/sentinel.conf" --sentinel </dev/null >>"$d/$name.out" 2>&1 &
    else
      setsid "${CLUSTER_SERVER_BIN:-$BIN}" "$d/redis.conf" </dev/null >>"$d/$name.out" 2>&1 &
    fi
    echo $! >"$d/$name.pid"
  )
}

stop_one() {
  local name=$1 pid
  pid=$(live_pid "$name") || { echo "$name is not running"; return 0; }
  kill -TERM "$pid"
  local end=$((SECONDS + DEADLINE))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= end)); then echo "$name did not stop in ${DEADLINE}s: SIGKILL" >&2; kill -KILL "$pid"; fi
    sleep 0.1
  done
  rm -f "$DIR/$name/$name.pid"
  echo "stopped $name"
}

replicas_online() { [[ $(cli "${PORT[redis-master]}" INFO replication | grep -c 'state=online') -ge 2 ]]; }
sentinels_agree() {
  local s
  for s in "${SENTINELS[@]}"; do
    cli "${PORT[$s]}" SENTINEL master mymaster | tr '\n' ' ' | grep -q 'num-other-sentinels 2 .*num-slaves 2\|num-slaves 2 .*num-other-sentinels 2' || return 1
  done
}

cmd_up() {
  [[ -n ${CLUSTER_SERVER_BIN:-} && -n ${CLUSTER_SENTINEL_BIN:-} ]] || [[ -x $BIN ]] ||
    die "no server binary at $BIN (run 'make build' or set REDIS_SWIFT_BIN)"
  command -v redis-cli >/dev/null || die "redis-cli is missing (apt-get install redis-tools)"
  local running=0 n
  for n in "${ALL[@]}"; do [[ -n $(live_pid "$n" 2>/dev/null) ]] && running=1; done
  ((running == 0)) || die "a cluster is already running from $DIR (examples/local-cluster.sh down first)"
  for n in "${ALL[@]}"; do port_busy "${PORT[$n]}" && die "port ${PORT[$n]} ($n) is in use by another process"; done
  if [[ -d $DIR ]]; then rm -rf "$DIR.prev"; mv "$DIR" "$DIR.prev"; fi
  for n in "${ALL[@]}"; do write_config "$n"; done
  for n in "${DATA[@]}"; do start_one "$n"; done
  for n in "${DATA[@]}"; do wait_until "$n on port ${PORT[$n]}" answers "$n"; done
  wait_until "both replicas online" replicas_online
  for n in "${SENTINELS[@]}"; do start_one "$n"; done
  for n in "${SENTINELS[@]}"; do wait_until "$n on port ${PORT[$n]}" answers "$n"; done
  wait_until "the Sentinels to discover the replicas and each other" sentinels_agree
  echo "cluster up in $DIR: master $HOST:10007, replicas 10008 10009, Sentinels 26379-26381 (password $PASSWORD)"
}

cmd_down() {
  local n
  for n in "${SENTINELS[@]}" "${DATA[@]}"; do stop_one "$n"; done
}

cmd_status() {
  local n pid info
  printf '%-17s %-6s %-26s %s\n' NAME PORT STATE PID
  for n in "${ALL[@]}"; do
    pid=$(live_pid "$n" 2>/dev/null) || pid=-
    if [[ $pid == - ]]; then info=stopped
    elif is_sentinel "$n"; then info="master $(cli "${PORT[$n]}" SENTINEL get-master-addr-by-name mymaster 2>&1 | paste -sd: -)"
    else info=$(cli "${PORT[$n]}" ROLE 2>&1 | head -1)
    fi
    printf '%-17s %-6s %-26s %s\n' "$n" "${PORT[$n]}" "$info" "$pid"
  done
}

master_port() { cli "${PORT[redis-sentinel-1]}" SENTINEL get-master-addr-by-name mymaster | sed -n 2p; }

cmd_failover() {
  local old new
  old=$(master_port)
  local reply; reply=$(cli "${PORT[redis-sentinel-1]}" SENTINEL failover mymaster)
  [[ $reply == OK ]] || die "SENTINEL FAILOVER: $reply"
  switched() { new=$(master_port) && [[ -n $new && $new != "$old" ]] && [[ $(cli "$new" ROLE | head -1) == master ]]; }
  wait_until "a new master" switched
  # The other replicas are reconfigured by the Sentinels, and the old master, still running, is turned into a
  # replica too (after its role has been stable for a few seconds, as redis-sentinel does): wait for all of them.
  local n running=0
  for n in "${DATA[@]}"; do [[ -n $(live_pid "$n") ]] && running=$((running + 1)); done
  followers() { (($(cli "$new" INFO replication | grep -c 'state=online') >= running - 1)); }
  wait_until "every running data server to replicate from the new master" followers
  echo "new master: $HOST:$new (was $HOST:$old)"
}

name_of_port() { local n; for n in "${DATA[@]}"; do [[ ${PORT[$n]} == "$1" ]] && echo "$n"; done; }

# Waits until the Sentinels agree on a master that answers as one; prints it.
cmd_wait_master() {
  local port
  agreed() {
    local s p
    port=$(master_port 2>/dev/null) && [[ -n $port ]] || return 1
    for s in "${SENTINELS[@]}"; do
      [[ -z $(live_pid "$s") ]] && continue
      p=$(cli "${PORT[$s]}" SENTINEL get-master-addr-by-name mymaster 2>/dev/null | sed -n 2p)
      [[ $p == "$port" ]] || return 1
    done
    [[ $(cli "$port" ROLE 2>/dev/null | head -1) == master ]]
  }
  wait_until "the Sentinels to agree on a master" agreed
  echo "master: $HOST:$port ($(name_of_port "$port"))"
}

cmd_logs() {
  local names=("${ALL[@]}")
  if [[ $# -gt 0 && $1 != -* ]]; then known "$1"; names=("$1"); shift; fi
  local files=() n
  for n in "${names[@]}"; do files+=("$DIR/$n/$n.log"); done
  tail -n 50 "$@" "${files[@]}"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  failover) cmd_failover ;;
  stop) [[ $# -eq 2 ]] || die "usage: $0 stop NAME"; known "$2"; stop_one "$2" ;;
  start) [[ $# -eq 2 ]] || die "usage: $0 start NAME"; known "$2"; start_one "$2"; wait_until "$2" answers "$2"
         echo "started $2" ;;
  logs) shift; cmd_logs "$@" ;;
  master) name_of_port "$(master_port)" ;;
  wait-master) cmd_wait_master ;;
  *) sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
