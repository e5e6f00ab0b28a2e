import Testing
@testable import Kernel

/// The integer formatting (two digits per division) and the keyspace hash of the `hotcmds` branch.
@Suite("Hot-path numbers and key hash")
struct HotPathNumbersTests {
    /// Every power of ten and its neighbours (where the digit count changes), both signs, and the extremes.
    static var edges: [Int64] {
        var out: [Int64] = [0, 1, -1, 9, -9, 10, -10, 99, 100, 101, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        var p: Int64 = 1
        for _ in 0..<18 {
            p *= 10
            out += [p - 1, p, p + 1, -(p - 1), -p, -(p + 1)]
        }
        return out
    }

    @Test("integers format exactly as Swift's decimal description at every digit-count edge")
    func formatEdges() {
        for v in Self.edges {
            #expect(Numbers.format(v).string == String(v), "\(v)")
            #expect(Numbers.format(v) == RBytes(String(v)), "canonical RBytes for \(v)")
        }
    }

    @Test("seeded random integers format like String(v)")
    func formatRandom() {
        var g = SeededRNG(seed: 0x5EED_1234)
        for _ in 0..<20_000 {
            // A random magnitude (number of significant bits), so short and long numbers are both common.
            let bits = Int.random(in: 0...63, using: &g)
            var v = Int64(bitPattern: g.next() >> UInt64(63 - bits))
            if Bool.random(using: &g) { v = 0 &- v }
            #expect(Numbers.format(v) == RBytes(String(v)), "\(v)")
        }
    }

    @Test("writeDecimal returns the length it wrote")
    func writeDecimalLength() {
        for v in Self.edges {
            let text = withUnsafeTemporaryAllocation(byteCount: 24, alignment: 8) { p -> String in
                let n = Numbers.writeDecimal(v, into: p)
                return String(decoding: UnsafeRawBufferPointer(rebasing: p[0..<n]), as: UTF8.self)
            }
            #expect(text == String(v))
        }
    }

    @Test("equal bytes hash equally however the RBytes was built (every length up to 40, inline and heap)")
    func keyHashIsOfTheBytes() {
        var g = SeededRNG(seed: 77)
        for n in 0...40 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &g) }
            let a = RBytes(bytes)
            let b = RBytes(bytes: bytes.map { $0 })  // built another way: the same canonical form
            #expect(KeyHash.hash(a) == KeyHash.hash(b))
        }
    }

    @Test("the key hash separates lengths, trailing zero bytes and single-bit changes")
    func keyHashSeparates() {
        var seen = Set<UInt64>()
        // Zero-padded inline words: "", "\0", "\0\0", ... must not collide; nor must heap keys differing by length.
        for n in 0...40 { seen.insert(KeyHash.hash(RBytes([UInt8](repeating: 0, count: n)))) }
        #expect(seen.count == 41)
        for n in [1, 8, 15, 16, 17, 31, 32, 33] {
            let base = [UInt8](repeating: 0x61, count: n)
            var hashes = Set([KeyHash.hash(RBytes(base))])
            for i in 0..<n {
                for bit in 0..<8 {
                    var b = base
                    b[i] ^= UInt8(1 << bit)
                    hashes.insert(KeyHash.hash(RBytes(b)))
                }
            }
            #expect(hashes.count == 1 + 8 * n, "length \(n)")
        }
    }

    @Test("the key hash spreads benchmark-style keys over the low bits the table uses")
    func keyHashSpreads() {
        // key:000000000000 ... key:000000065535 into 4096 buckets by the low 12 bits of the 32-bit fold.
        var buckets = [Int](repeating: 0, count: 4096)
        for i in 0..<65_536 {
            let key = RBytes("key:" + String(repeating: "0", count: 12 - String(i).count) + String(i))
            buckets[Int(KeyTable<Int>.hashOf(key) & 4095)] += 1
        }
        // 16 per bucket on average; a uniform hash keeps the fullest bucket far below 64.
        #expect(buckets.max()! < 64)
        #expect(buckets.filter { $0 == 0 }.count < 16)
    }
}
