#!/usr/bin/env bash
# Runs the integration suite as two pytest processes side by side (`make integration-test` calls this).
#
# The high-availability files (Sentinel, replication, the walkthrough and the local cluster) spend most of their time
# waiting: down-after-milliseconds, failover timeouts, lag windows, processes starting. The differential files spend
# theirs computing. Run one after the other they take ~20 minutes on 2 cores; side by side the waits overlap the work.
# Every test still polls with generous deadlines, so a loaded machine makes them slower, not flaky.
#
#   INTEGRATION_JOBS=1 bash Tests/integration/run.sh     # one process, the whole suite in order
#   bash Tests/integration/run.sh -k sentinel            # extra arguments go to both pytest processes
set -uo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

if [ "${INTEGRATION_JOBS:-2}" = 1 ]; then
    exec "$PYTHON" -m pytest -q "$@" .
fi

# The walkthrough and the local cluster use the reference topology's fixed ports: they stay in the same process.
# The partition test (network namespaces, ~3 minutes of lag windows) balances the other half.
ha_files=()
for f in test_sentinel*.py test_walkthrough.py test_local_cluster.py test_replication*.py test_replica_*.py; do
    [ "$f" = test_sentinel_partition.py ] || ha_files+=("$f")
done
ignores=()
for f in "${ha_files[@]}"; do ignores+=("--ignore=$f"); done

ha_log=$(mktemp /tmp/redis-swift-it-ha.XXXXXX)
"$PYTHON" -m pytest -q "$@" "${ha_files[@]}" >"$ha_log" 2>&1 &
ha_pid=$!
trap 'kill -INT $ha_pid 2>/dev/null; wait $ha_pid 2>/dev/null; rm -f "$ha_log"' EXIT
trap 'exit 130' INT TERM

echo "== integration: differential and single-server tests (high-availability tests run alongside: $ha_log)"
"$PYTHON" -m pytest -q "$@" "${ignores[@]}" .
rest_rc=$?

wait $ha_pid
ha_rc=$?
echo
echo "== integration: high-availability tests (${ha_files[*]})"
cat "$ha_log"
echo "== integration: differential tests exit $rest_rc, high-availability tests exit $ha_rc"
# pytest exits 5 when a selection (-k) matched nothing in one half: not a failure of the suite.
[ $rest_rc = 5 ] && rest_rc=0
[ $ha_rc = 5 ] && ha_rc=0
[ $rest_rc = 0 ] && [ $ha_rc = 0 ]
