// swift-tools-version:6.0
import PackageDescription

/// Dynamic exclusivity checks cost ~12% of CPU on the command path (measured with perf); the data owner is
/// single-threaded under one lock, so release builds turn them off — from the command line
/// (`-Xswiftc -enforce-exclusivity=unchecked`, as the Makefile builds), not with `unsafeFlags` here, which would
/// stop other packages from depending on this one by version.
let fast: [SwiftSetting] = []

let package = Package(
    name: "redis-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "redis-swift", targets: ["redis-swift"]),
        .library(name: "Kernel", targets: ["Kernel"]),
        .library(name: "Commands", targets: ["Commands"]),
        .library(name: "Replication", targets: ["Replication"]),
        .library(name: "Scripting", targets: ["Scripting"]),
        .library(name: "Sentinel", targets: ["Sentinel"]),
        .library(name: "RedisModule", targets: ["RedisModule"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
    ],
    targets: [
        .target(
            name: "Kernel",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                "CMallocInfo",
            ],
            swiftSettings: fast
        ),
        // glibc's mallinfo2() for INFO's used_memory (malloc.h is not in Swift's Glibc module).
        .systemLibrary(
            name: "CMallocInfo",
            path: "Sources/CMallocInfo"
        ),
        .target(
            name: "Commands",
            dependencies: ["Kernel", "CMallocInfo"],
            swiftSettings: fast
        ),
        // Replication (issue 12): PSYNC2 master side; registers its commands as a module.
        .target(
            name: "Replication",
            dependencies: [
                "Kernel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: fast
        ),
        // Sentinel (issue 13): monitoring, failure detection and failover of Redis masters; its own command table.
        .target(
            name: "Sentinel",
            dependencies: [
                "Kernel",
                "Commands",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: fast
        ),
        // The module API (issue 10): what custom command modules, compiled in or loaded at run time, build on.
        .target(
            name: "RedisModule",
            dependencies: ["Kernel"],
            swiftSettings: fast
        ),
        // Example custom modules, compiled in (see Plugins/README.md). An explicit path: Plugins/ is also
        // SwiftPM's default folder for package plugins.
        // MODULE LOAD/LOADEX/LIST/UNLOAD and `loadmodule`: shared libraries built against RedisModule's interface.
        .target(
            name: "ModuleHost",
            dependencies: ["Kernel", "RedisModule"],
            swiftSettings: fast
        ),
        .target(
            name: "BloomPlugin",
            dependencies: ["Kernel", "RedisModule"],
            path: "Plugins/Bloom",
            exclude: ["README.md"],
            swiftSettings: fast
        ),
        .target(
            name: "QueuePlugin",
            dependencies: ["Kernel", "RedisModule"],
            path: "Plugins/Queue",
            swiftSettings: fast
        ),
        .target(
            name: "ThrottlePlugin",
            dependencies: ["Kernel", "RedisModule"],
            path: "Plugins/Throttle",
            swiftSettings: fast
        ),
        // Lua 5.4 as Debian ships it, with the cjson and bit libraries (issue 8).
        .systemLibrary(
            name: "CLua",
            path: "Sources/CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev", "lua-cjson-dev", "lua-bitop-dev"])]
        ),
        // Every Lua API call that may raise (longjmp) lives in this C target, never in Swift frames.
        .target(
            name: "CLuaBridge",
            dependencies: ["CLua"],
            path: "Sources/CLuaBridge",
            linkerSettings: [.linkedLibrary("lua5.4-cjson"), .linkedLibrary("lua5.4-bitop"), .linkedLibrary("lua5.4")]
        ),
        // EVAL/EVALSHA/SCRIPT and FUNCTION/FCALL: the Lua VM, its sandbox and the redis.* API.
        .target(
            name: "Scripting",
            dependencies: ["Kernel", "CLuaBridge"],
            swiftSettings: fast
        ),
        .executableTarget(
            name: "redis-swift",
            dependencies: ["Kernel", "Commands", "Replication", "Scripting", "Sentinel", "RedisModule", "ModuleHost",
                           "ThrottlePlugin", "BloomPlugin", "QueuePlugin"],
            // One copy of the kernel in the process: a module loaded at run time resolves the kernel's and the
            // module API's symbols from the executable (DESIGN §10), so the executable exports them.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
        .testTarget(
            name: "KernelTests",
            dependencies: ["Kernel"]
        ),
        .testTarget(
            name: "ReplicationTests",
            dependencies: ["Kernel", "Replication"]
        ),
        .testTarget(
            name: "ScriptingTests",
            dependencies: ["Kernel", "Commands", "Scripting"]
        ),
        .testTarget(
            name: "SentinelTests",
            dependencies: ["Sentinel", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "RedisModuleTests",
            dependencies: ["Kernel", "RedisModule"]
        ),
        .testTarget(
            name: "CommandsTests",
            dependencies: ["Kernel", "Commands"]
        ),
        // Counts the heap allocations of a thread (wraps malloc); linked into the test executable only.
        .target(
            name: "CMallocCounter",
            path: "Sources/CMallocCounter"
        ),
        .testTarget(
            name: "AllocationTests",
            dependencies: ["Kernel", "Commands", "Scripting", "CMallocCounter",
                           .product(name: "NIOCore", package: "swift-nio")]
        ),
    ],
    swiftLanguageModes: [.v5]
)
