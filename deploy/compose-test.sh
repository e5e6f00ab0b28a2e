#!/usr/bin/env bash
# `make compose-test`: runs deploy/docker-compose.yml for real with podman + podman-compose and checks the container
# half of the walkthrough (Tests/deploy/test_compose.py). Steps:
#   1. deploy/podman-setup.sh (installs podman, podman-compose, runc, mmdebstrap; makes the local base image)
#   2. the runtime image around the host-built binary: deploy/.prebuilt/{bin/redis-swift, lib/<Swift runtime .so>}
#      then `podman build --target runtime-prebuilt` (no toolchain image, no registry, no network)
#   3. pytest Tests/deploy/test_compose.py (one `podman-compose up -d`, the checks, one `down`)
# --if-possible (used by `make test`): when podman cannot run here (not root and no sudo, no apt, no kernel
# support), print why and exit 0 instead of failing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${REDIS_SWIFT_BIN:-$ROOT/.build/release/redis-swift}
IMAGE=${REDIS_SWIFT_IMAGE:-localhost/redis-swift:latest}
PYTHON=${PYTHON:-python3}
if_possible=0; [[ ${1:-} == --if-possible ]] && if_possible=1

skip() { echo "compose-test SKIPPED: $*" >&2; exit 0; }
if ((if_possible)); then
  [[ $(id -u) == 0 ]] || sudo -n true 2>/dev/null || skip "rootful podman needs root or passwordless sudo"
  command -v apt-get >/dev/null || command -v podman >/dev/null || skip "no podman and no apt-get to install it"
  log=$(mktemp)
  if ! bash "$ROOT/deploy/podman-setup.sh" >"$log" 2>&1; then
    tail -5 "$log" >&2; rm -f "$log"; skip "podman cannot run containers on this machine (deploy/podman-setup.sh failed)"
  fi
  rm -f "$log"
else
  bash "$ROOT/deploy/podman-setup.sh" >/dev/null
fi
SUDO=""; [[ $(id -u) == 0 ]] || SUDO="sudo -E"

[[ -x $BIN ]] || { echo "compose-test: no binary at $BIN (make build)" >&2; exit 1; }
pre="$ROOT/deploy/.prebuilt"
rm -rf "$pre"; mkdir -p "$pre/bin" "$pre/lib"
cp "$BIN" "$pre/bin/redis-swift"
# The Swift runtime libraries (the toolchain's, not Debian's): everything ldd resolves outside the system dirs.
ldd "$BIN" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r lib; do
  case "$lib" in /lib/*|/usr/lib/*|/lib64/*) ;; *) cp -L "$lib" "$pre/lib/" ;; esac
done
$SUDO podman build -q --format docker --target runtime-prebuilt --build-arg RUNTIME_IMAGE=localhost/redis-swift-base:bookworm \
  -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" >/dev/null
echo "compose-test: image $IMAGE built around $BIN"
cd "$ROOT"
$SUDO env REDIS_SWIFT_IMAGE="$IMAGE" "$PYTHON" -m pytest -q -p no:cacheprovider Tests/deploy/test_compose.py
