# redis-swift container image (see docs/DEPLOYMENT.md).
#
#   docker build -t redis-swift .                      build stage (Swift toolchain image) + slim Debian runtime
#   docker build --target runtime-prebuilt -t redis-swift \
#     --build-arg RUNTIME_IMAGE=localhost/redis-swift-base:bookworm .
#                                                      runtime around a binary built on the host: put the binary and
#                                                      the Swift runtime libraries it needs in deploy/.prebuilt/
#                                                      (deploy/compose-test.sh does that; see `make compose-test`)
#
# The base images are build arguments so the runtime stage can come from a locally made Debian image.
ARG BUILD_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------------- build stage
FROM ${BUILD_IMAGE} AS build
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        pkg-config liblua5.4-dev lua-cjson-dev lua-bitop-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Plugins Plugins
COPY Sources Sources
# The Swift runtime is linked statically, so the runtime stage needs no toolchain libraries.
RUN swift build -c release -Xswiftc -enforce-exclusivity=unchecked --static-swift-stdlib \
    && mkdir -p /out/bin && cp .build/release/redis-swift /out/bin/

# ------------------------------------------------------------------------------------------------- runtime base
FROM ${RUNTIME_IMAGE} AS runtime-base
# liblua5.4 + cjson + bitop: the scripting engine; redis-tools: redis-cli (walkthrough, healthcheck) and
# redis-check-rdb/-aof; curl + jq: the Kubernetes client-reconfig-script. Installed only when missing, so a base
# image that already has them (deploy/podman-setup.sh makes one) builds without network.
ARG RUNTIME_PACKAGES="liblua5.4-0 lua-cjson lua-bitop redis-tools curl jq ca-certificates"
RUN missing=""; for p in $RUNTIME_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done; \
    if [ -n "$missing" ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends $missing && rm -rf /var/lib/apt/lists/*; fi; \
    # user redis, uid/gid 999 (the Kubernetes manifests' runAsUser/fsGroup), also when redis-tools made one already
    if getent group redis >/dev/null; then groupmod --gid 999 redis; else groupadd --system --gid 999 redis; fi; \
    if getent passwd redis >/dev/null; then usermod --uid 999 --gid 999 --home /data redis; \
    else useradd --system --uid 999 --gid 999 --home-dir /data --shell /usr/sbin/nologin redis; fi; \
    mkdir -p /data /etc/redis-swift && chown redis:redis /data
COPY deploy/docker-entrypoint.sh deploy/healthcheck.sh /usr/local/bin/
COPY deploy/config/redis.conf deploy/config/sentinel.conf /etc/redis-swift/
RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh /usr/local/bin/healthcheck.sh && chmod 0644 /etc/redis-swift/*
WORKDIR /data
VOLUME /data
EXPOSE 6379 26379
# REDIS_PORT tells the healthcheck which port this container serves (26379 for a Sentinel).
ENV REDIS_PORT=6379
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["/usr/local/bin/healthcheck.sh"]
# SIGTERM: the server saves (if `save` points are configured) and exits; give it time before SIGKILL.
STOPSIGNAL SIGTERM
USER redis
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["redis-server", "/etc/redis-swift/redis.conf"]

# ------------------------------------------------------------------- runtime around a binary built on the host
FROM runtime-base AS runtime-prebuilt
USER root
# deploy/.prebuilt/bin/redis-swift and deploy/.prebuilt/lib/*.so (the Swift runtime libraries from `ldd`).
COPY deploy/.prebuilt/ /usr/local/
RUN ldconfig && ln -sf redis-swift /usr/local/bin/redis-sentinel && /usr/local/bin/redis-swift --version
USER redis

# ---------------------------------------------------------------------------- runtime (default target, last)
FROM runtime-base AS runtime
USER root
COPY --from=build /out/ /usr/local/
RUN ln -sf redis-swift /usr/local/bin/redis-sentinel && /usr/local/bin/redis-swift --version
USER redis
