#!/usr/bin/env bash
# Prepares this (Debian 12) machine to run deploy/docker-compose.yml with podman, for `make compose-test`.
# Idempotent; about a minute the first time. Needs root (rootful podman).
#   - podman + podman-compose + runc (crun fails on cgroup-hybrid VMs) + mmdebstrap
#   - /etc/containers/containers.conf: runc, cgroupfs, file events, default ulimits under the machine's hard limits
#   - localhost/redis-swift-base:bookworm, a minimal Debian image made from the host's apt sources (no registry
#     needed) that already carries the runtime packages the Dockerfile's runtime stage installs (RUNTIME_PACKAGES),
#     so `podman build` needs no network
# Exit status 0: podman runs containers here. Anything else: it cannot (the caller skips the compose test).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# Keep in sync with the Dockerfile's runtime stage.
RUNTIME_PACKAGES="liblua5.4-0,lua-cjson,lua-bitop,redis-tools,curl,jq"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

if ! { command -v podman && command -v podman-compose && command -v runc && command -v mmdebstrap; } >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq podman podman-compose runc mmdebstrap >/dev/null
fi

conf=/etc/containers/containers.conf
if ! grep -q 'redis-swift deploy/podman-setup.sh' "$conf" 2>/dev/null; then
  n=$(ulimit -Hn); [ "$n" = unlimited ] && n=16384; [ "$n" -gt 16384 ] && n=16384
  p=$(ulimit -Hu); [ "$p" = unlimited ] && p=16384; [ "$p" -gt 16384 ] && p=16384
  $SUDO mkdir -p /etc/containers
  $SUDO tee "$conf" >/dev/null <<CONF
# written by redis-swift deploy/podman-setup.sh
[containers]
default_ulimits = ["nofile=$n:$n", "nproc=$p:$p"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi

if ! $SUDO podman image exists localhost/redis-swift-base:bookworm; then
  sources=/etc/apt/sources.list.d/debian.sources
  [ -f "$sources" ] || sources=/etc/apt/sources.list
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  $SUDO mmdebstrap --variant=minbase --include="ca-certificates,$RUNTIME_PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    bookworm "$tmp/rootfs.tar" "$sources" </dev/null >/dev/null
  $SUDO podman import "$tmp/rootfs.tar" localhost/redis-swift-base:bookworm >/dev/null
fi
$SUDO podman run --rm localhost/redis-swift-base:bookworm redis-cli --version
