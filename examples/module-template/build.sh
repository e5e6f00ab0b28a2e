#!/bin/sh
# Builds the module into a shared library the server loads with `MODULE LOAD` or `loadmodule`.
#
#   REDIS_SWIFT=/path/to/redis-swift ./build.sh            # -> .build/libhello.so
#
# The module is compiled against the interfaces of a built redis-swift (its `.build/release/Modules`), with no
# kernel code linked in: at load time it uses the server's own copy (the server exports its symbols). So build
# it with the same toolchain and against the same redis-swift version as the server that loads it; a module
# built against another module API version is refused at load with a clear log line.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
REDIS_SWIFT=${REDIS_SWIFT:-$(cd "$here/../.." && pwd)}
CONFIGURATION=${CONFIGURATION:-release}
# REDIS_SWIFT_PRODUCTS: another build's products (a sanitizer build's .build-asan/debug, say).
host=${REDIS_SWIFT_PRODUCTS:-"$REDIS_SWIFT/.build/$CONFIGURATION"}
[ -f "$host/Modules/RedisModule.swiftmodule" ] || {
    echo "No module interfaces in $host/Modules: build redis-swift first (make build)" >&2; exit 1; }
# The C modules the kernel's interfaces mention (SwiftNIO's, Atomics', the kernel's own).
maps=""
for m in "$host"/*.build/module.modulemap "$REDIS_SWIFT"/.build/checkouts/*/Sources/*/include/module.modulemap \
         "$REDIS_SWIFT"/Sources/*/module.modulemap; do
    [ -f "$m" ] && maps="$maps -Xcc -fmodule-map-file=$m"
done
name=${MODULE_NAME:-hello}
swift_module=${SWIFT_MODULE:-HelloModule}
sources=${SOURCES:-$here/Sources/HelloModule/*.swift}
mkdir -p "$here/.build"
# shellcheck disable=SC2086
swiftc -O -parse-as-library -emit-library -module-name "$swift_module" \
    -I "$host/Modules" $maps \
    $sources -o "$here/.build/lib$name.so"
echo "$here/.build/lib$name.so"
