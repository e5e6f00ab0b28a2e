// swift-tools-version:5.9
// A redis-swift module built with `swift build`: the product is a shared library the server loads with
// `MODULE LOAD` (or `loadmodule`).
//
//   REDIS_SWIFT=/path/to/redis-swift swift build -c release     # -> .build/release/libhello.so
//
// The module is compiled against the module interfaces of a built redis-swift (`$REDIS_SWIFT/.build/<config>/
// Modules`) and links none of its code: at load time the server's own copy of the kernel is used (the server
// exports its symbols). A plain `.package(path:)` dependency would link a second copy of the kernel into the
// library, which breaks type identity at run time (docs/MODULES.md). Build with the same toolchain and against
// the same redis-swift version as the server that loads it.
import Foundation
import PackageDescription

let env = ProcessInfo.processInfo.environment
let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let redisSwift = env["REDIS_SWIFT"] ?? URL(fileURLWithPath: packageDir + "/../..").standardized.path
let configuration = env["REDIS_SWIFT_CONFIGURATION"] ?? "release"
let host = "\(redisSwift)/.build/\(configuration)"

/// The C module maps the kernel's interfaces refer to (SwiftNIO's, Atomics', the kernel's own C targets).
func moduleMapFlags() -> [String] {
    let fm = FileManager.default
    var maps: [String] = []
    func scan(_ dir: String, depth: Int) {
        guard depth >= 0, let items = try? fm.contentsOfDirectory(atPath: dir) else { return }
        for item in items {
            let path = dir + "/" + item
            if item == "module.modulemap" { maps.append(path) }
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue, item != "Modules" { scan(path, depth: depth - 1) }
        }
    }
    for item in (try? fm.contentsOfDirectory(atPath: host)) ?? [] where item.hasSuffix(".build") {
        let map = "\(host)/\(item)/module.modulemap"
        if fm.fileExists(atPath: map) { maps.append(map) }
    }
    scan("\(redisSwift)/.build/checkouts", depth: 4)
    scan("\(redisSwift)/Sources", depth: 2)
    return maps.flatMap { ["-Xcc", "-fmodule-map-file=\($0)"] }
}

let package = Package(
    name: "hello",
    products: [.library(name: "hello", type: .dynamic, targets: ["HelloModule"])],
    targets: [
        .target(
            name: "HelloModule",
            path: "Sources/HelloModule",
            swiftSettings: [.unsafeFlags(["-I", "\(host)/Modules"] + moduleMapFlags())]
        ),
    ]
)
