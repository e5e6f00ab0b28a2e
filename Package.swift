// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "redis-swift",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "redis-swift", targets: ["redis-swift"]),
        .library(name: "Kernel", targets: ["Kernel"]),
        .library(name: "Commands", targets: ["Commands"]),
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
            ]
        ),
        .target(
            name: "Commands",
            dependencies: ["Kernel"]
        ),
        .executableTarget(
            name: "redis-swift",
            dependencies: ["Kernel", "Commands"]
        ),
        .testTarget(
            name: "KernelTests",
            dependencies: ["Kernel"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
