import Testing
@testable import Kernel

@Suite("Listpack")
struct ListpackTests {
    func build(_ items: [String]) -> [UInt8] {
        var b = Listpack.Builder()
        for s in items { b.append(RBytes(s)) }
        return b.finish()
    }

    @Test("writes Redis's exact bytes for a 6-bit string and a 7-bit integer")
    func exactSmall() {
        #expect(build(["a", "1"]) == [0x0C, 0, 0, 0, 2, 0, 0x81, 0x61, 0x02, 0x01, 0x01, 0xFF])
    }

    @Test("stores integer-looking strings with the smallest integer encoding")
    func integerEncodings() throws {
        let cases: [(String, UInt8)] = [("127", 0x7F), ("128", 0xC0), ("-4096", 0xD0), ("4096", 0xF1),
                                        ("-32769", 0xF2), ("8388608", 0xF3), ("2147483648", 0xF4)]
        for (s, tag) in cases {
            let lp = build([s])
            #expect(lp[6] == tag, "\(s)")
            #expect(try lp.withUnsafeBytes { try Listpack.decode($0) } == [.int(Int64(s)!)], "\(s)")
        }
    }

    @Test("keeps non-canonical numbers as strings")
    func nonCanonical() throws {
        for s in ["007", "-0", "+1", " 1", "1.5", "99999999999999999999"] {
            let lp = build([s])
            #expect(try lp.withUnsafeBytes { try Listpack.decode($0) } == [.string(utf8(s))], "\(s)")
        }
    }

    @Test("round-trips 6-bit, 12-bit and 32-bit string lengths with multi-byte backlens")
    func stringLengths() throws {
        let items = [String(repeating: "x", count: 63), String(repeating: "y", count: 64),
                     String(repeating: "z", count: 4095), String(repeating: "w", count: 4096),
                     String(repeating: "v", count: 20000), ""]
        let lp = build(items)
        #expect(try lp.withUnsafeBytes { try Listpack.decode($0) }.map { $0.bytes } == items.map(utf8))
    }

    @Test("decode refuses a wrong header size, a bad backlen and a missing terminator")
    func corrupt() {
        var lp = build(["a", "b"])
        lp[0] = 0x0E
        #expect(throws: RDBError.self) { try lp.withUnsafeBytes { try Listpack.decode($0) } }
        lp = build(["a"])
        lp[8] = 0x03
        #expect(throws: RDBError.self) { try lp.withUnsafeBytes { try Listpack.decode($0) } }
        lp = build(["a"])
        lp[lp.count - 1] = 0x01
        #expect(throws: RDBError.self) { try lp.withUnsafeBytes { try Listpack.decode($0) } }
    }

    @Test("decode refuses a string length past the end")
    func stringPastEnd() {
        let lp: [UInt8] = [0x0B, 0, 0, 0, 1, 0, 0x85, 0x61, 0x02, 0xFF, 0xFF]
        #expect(throws: RDBError.self) { try lp.withUnsafeBytes { try Listpack.decode($0) } }
    }
}

@Suite("Ziplist")
struct ZiplistTests {
    /// A ziplist from raw entry bodies (encoding + data), with prevlens and header filled in.
    func ziplist(_ bodies: [[UInt8]]) -> [UInt8] {
        var entries: [UInt8] = []
        var prev = 0
        var tail = 10
        for body in bodies {
            tail = 10 + entries.count
            let prevlen: [UInt8] = prev < 254 ? [UInt8(prev)] : [0xFE, UInt8(prev & 0xFF), UInt8(prev >> 8 & 0xFF), 0, 0]
            entries += prevlen + body
            prev = prevlen.count + body.count
        }
        let total = 10 + entries.count + 1
        return [UInt8(total & 0xFF), UInt8(total >> 8), 0, 0, UInt8(tail & 0xFF), UInt8(tail >> 8), 0, 0,
                UInt8(bodies.count), 0] + entries + [0xFF]
    }

    @Test("decodes every string and integer encoding")
    func encodings() throws {
        let long = [UInt8](repeating: 0x6C, count: 300)
        let zl = ziplist([
            [0x02, 0x61, 0x62],                      // 6-bit string "ab"
            [0x41, 0x2C] + long,                      // 14-bit string, 300 bytes (prevlen of next > 254)
            [0x80, 0, 0, 0, 1, 0x7A],                 // 32-bit string "z"
            [0xF1], [0xFD],                           // immediates 0 and 12
            [0xFE, 0x80],                             // int8 -128
            [0xC0, 0x2C, 0x01],                       // int16 300
            [0xF0, 0xFF, 0xFF, 0x7F],                 // int24 8388607
            [0xD0, 0x00, 0x00, 0x00, 0x80],           // int32 min
            [0xE0, 1, 0, 0, 0, 0, 0, 0, 0],           // int64 1
        ])
        let items = try zl.withUnsafeBytes { try Ziplist.decode($0) }
        #expect(items == [.string(utf8("ab")), .string(long), .string(utf8("z")), .int(0), .int(12), .int(-128),
                          .int(300), .int(8_388_607), .int(Int64(Int32.min)), .int(1)])
    }

    @Test("refuses a broken prevlen chain")
    func badPrevlen() {
        var zl = ziplist([[0x01, 0x61], [0x01, 0x62]])
        zl[13] = 9
        #expect(throws: RDBError.self) { try zl.withUnsafeBytes { try Ziplist.decode($0) } }
    }

    @Test("refuses an entry running past the end")
    func truncated() {
        let zl = ziplist([[0x09, 0x61]])
        #expect(throws: RDBError.self) { try zl.withUnsafeBytes { try Ziplist.decode($0) } }
    }
}
