import Foundation
import Testing
@testable import Kernel

/// Files our encoder writes pass the real `redis-check-rdb` (which loads every value with deep sanitisation).
@Suite("RDB interop with redis-check-rdb")
struct RDBInteropTests {
    /// Path of the reference tool, or nil when it is not installed.
    static let tool: String? = ["/usr/local/bin/redis-check-rdb", "/usr/bin/redis-check-rdb"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A full image with every type in every encoding we write.
    func image() -> [UInt8] {
        var e = RDBEncoder(compression: true)
        e.writeHeader()
        e.writeAux("redis-ver", "7.0.15")
        e.writeAux("redis-bits", int: 64)
        e.writeAux("ctime", int: 1_700_000_000)
        e.writeAux("used-mem", int: 1_000_000)
        e.writeAux("aof-base", int: 0)
        e.writeFunction(utf8("#!lua name=lib\nredis.register_function('f', function() return 1 end)"))
        e.writeSelectDB(0)
        e.writeResizeDB(keys: 12, expires: 1)
        let list = ListObject((0..<5000).map { RBytes("element-\($0)") })
        let bigList = ListObject((0..<20).map { RBytes(String(repeating: "b", count: 3000 + $0)) })
        let h = HashObject(), ht = HashObject()
        for i in 0..<10 { h.set(RBytes("f\(i)"), RBytes("\(i)"), maxEntries: 512, maxValue: 64) }
        for i in 0..<600 { ht.set(RBytes("f\(i)"), RBytes("v\(i)"), maxEntries: 512, maxValue: 64) }
        let s = SetObject(), st = SetObject()
        for i in 0..<100 { s.add(RBytes("\(i * 100_000)"), maxIntsetEntries: 512) }
        for i in 0..<100 { st.add(RBytes("m\(i)"), maxIntsetEntries: 512) }
        let z = SortedSetObject(), zs = SortedSetObject(skiplist: true)
        for (i, score) in [-Double.infinity, -1.5, 0, 1, 2.25, 1e300, .infinity].enumerated() {
            z.insert(RBytes("m\(i)"), score: score, maxListpackEntries: 128, maxListpackValue: 64)
        }
        for i in 0..<300 { zs.insert(RBytes("m\(i)"), score: Double(i) * 0.7, maxListpackEntries: 0, maxListpackValue: 0) }
        let keys: [(String, Value)] = [("str", .string("hello")), ("int", .string("-123456")),
                                       ("long", .string(RBytes(String(repeating: "xyz", count: 500)))),
                                       ("list", .object(list)), ("biglist", .object(bigList)), ("h", .object(h)),
                                       ("ht", .object(ht)), ("s", .object(s)), ("st", .object(st)), ("z", .object(z)),
                                       ("zs", .object(zs))]
        for (k, v) in keys { e.writeKey(RBytes(k), v, expireAt: nil, idleSeconds: 5, freq: nil) }
        e.writeSelectDB(3)
        e.writeKey("ttl", .string("v"), expireAt: 4_102_444_800_000, idleSeconds: nil, freq: nil)
        e.writeEOF()
        var bytes = e.takeBytes()
        let crc = CRC64.checksum(bytes)
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return bytes
    }

    @Test("redis-check-rdb accepts a file with every type and encoding we write", .enabled(if: tool != nil),
          .timeLimit(.minutes(1)))
    func realToolAccepts() throws {
        let path = NSTemporaryDirectory() + "rdb-interop-\(getpid()).rdb"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(image()).write(to: URL(fileURLWithPath: path))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.tool!)
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("12 keys read"), "\(text)")
        #expect(text.contains("Checksum OK"))
    }

    @Test("our checker reports the same file as the real tool would")
    func ourCheckerAccepts() {
        let (lines, status) = RDBCheck.report(image(), path: "x.rdb", nowMs: 0)
        #expect(status == 0)
        #expect(lines.contains("[info] 12 keys read"))
        #expect(lines.contains("[offset 0] Checking RDB file x.rdb"))
    }
}
