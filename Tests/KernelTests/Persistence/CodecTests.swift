import Testing
@testable import Kernel

/// Builds a byte array from a string's UTF-8.
func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

@Suite("CRC64")
struct CRC64Tests {
    @Test("matches Redis's test vector for 123456789")
    func redisVector() {
        #expect(CRC64.checksum(utf8("123456789")) == 0xe9c6_d914_c4b8_d9ca)
    }

    @Test("is incremental: two chunks give the checksum of the whole")
    func incremental() {
        let a = utf8("12345"), b = utf8("6789")
        let mid = a.withUnsafeBytes { CRC64.update(0, $0) }
        #expect(b.withUnsafeBytes { CRC64.update(mid, $0) } == CRC64.checksum(a + b))
    }
}

@Suite("LZF")
struct LZFTests {
    func roundTrip(_ input: [UInt8]) throws -> [UInt8]? {
        guard let packed = input.withUnsafeBytes({ LZF.compress($0, limit: input.count + 64) }) else { return nil }
        return try packed.withUnsafeBytes { try LZF.decompress($0, length: input.count) }
    }

    @Test("compresses repetitive input and decompresses it back")
    func repetitive() throws {
        let input = [UInt8](repeating: 0x61, count: 1000) + utf8("tail") + Array(repeating: utf8("abc"), count: 300).flatMap { $0 }
        let packed = try #require(input.withUnsafeBytes { LZF.compress($0, limit: input.count - 4) })
        #expect(packed.count < input.count / 10)
        #expect(try roundTrip(input) == input)
    }

    @Test("matches liblzf's output for a run (reference taken from redis-server's DUMP)")
    func liblzfRun() {
        // DUMP of SET k (r * 100) on redis-server 7.0: C3 09 40 64 then these 9 bytes.
        let input = [UInt8](repeating: 0x72, count: 100)
        let packed = input.withUnsafeBytes { LZF.compress($0, limit: 96) }
        #expect(packed?.count == 9)
        #expect(packed?.prefix(3) == [0x01, 0x72, 0x72])
    }

    @Test("gives up when the output would exceed the limit")
    func incompressible() {
        let input = (0..<256).map { UInt8($0) }
        #expect(input.withUnsafeBytes { LZF.compress($0, limit: 252) } == nil)
    }

    @Test("round-trips pseudo-random data with repeats at many distances")
    func pseudoRandom() throws {
        var x: UInt32 = 12345
        var input: [UInt8] = []
        for i in 0..<20000 {
            x = x &* 1_103_515_245 &+ 12345
            input.append(i % 7 == 0 ? UInt8(x >> 24) : UInt8(i % 13))
        }
        #expect(try roundTrip(input) == input)
    }

    @Test("decompression refuses output longer than declared")
    func boundedOutput() {
        let packed: [UInt8] = [0x02, 0x61, 0x62, 0x63]
        #expect(throws: RDBError.self) { try packed.withUnsafeBytes { try LZF.decompress($0, length: 2) } }
    }

    @Test("decompression refuses a back reference before the start")
    func badReference() {
        let packed: [UInt8] = [0x00, 0x61, 0x20, 0x05]
        #expect(throws: RDBError.self) { try packed.withUnsafeBytes { try LZF.decompress($0, length: 4) } }
    }

    @Test("decompression refuses truncated input")
    func truncated() {
        let packed: [UInt8] = [0x05, 0x61]
        #expect(throws: RDBError.self) { try packed.withUnsafeBytes { try LZF.decompress($0, length: 6) } }
    }
}

@Suite("Intset")
struct IntsetTests {
    @Test("uses 16-bit entries when every member fits")
    func width16() throws {
        let bytes = Intset.encode([-3, 1, 300])
        #expect(bytes == [2, 0, 0, 0, 3, 0, 0, 0, 0xFD, 0xFF, 1, 0, 0x2C, 0x01])
        #expect(try bytes.withUnsafeBytes { try Intset.decode($0) } == [-3, 1, 300])
    }

    @Test("widens to 32 and 64 bits for large members")
    func wider() throws {
        #expect(Intset.encode([1, 70000]).prefix(4) == [4, 0, 0, 0])
        let big: [Int64] = [Int64.min, 0, 1 << 40]
        let bytes = Intset.encode(big)
        #expect(bytes.prefix(4) == [8, 0, 0, 0])
        #expect(try bytes.withUnsafeBytes { try Intset.decode($0) } == big)
    }

    @Test("decode refuses unsorted members and a size that does not match")
    func corrupt() {
        let unsorted: [UInt8] = [2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0]
        #expect(throws: RDBError.self) { try unsorted.withUnsafeBytes { try Intset.decode($0) } }
        let short: [UInt8] = [2, 0, 0, 0, 9, 0, 0, 0, 5, 0]
        #expect(throws: RDBError.self) { try short.withUnsafeBytes { try Intset.decode($0) } }
        let badWidth: [UInt8] = [3, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: RDBError.self) { try badWidth.withUnsafeBytes { try Intset.decode($0) } }
    }
}

@Suite("Zipmap")
struct ZipmapTests {
    @Test("decodes pairs and skips each value's free bytes")
    func pairs() throws {
        let zm: [UInt8] = [2, 1, 0x61, 2, 1, 0x78, 0x79, 0x00, 2, 0x62, 0x63, 0, 0, 0xFF]
        let pairs = try zm.withUnsafeBytes { try Zipmap.decode($0) }
        #expect(pairs.map { $0.field } == [utf8("a"), utf8("bc")])
        #expect(pairs.map { $0.value } == [utf8("xy"), []])
    }

    @Test("refuses a key without a value")
    func truncated() {
        let zm: [UInt8] = [1, 1, 0x61, 0xFF]
        #expect(throws: RDBError.self) { try zm.withUnsafeBytes { try Zipmap.decode($0) } }
    }
}
