import Testing
@testable import Kernel

@Suite("RBytes")
struct RBytesTests {
    @Test("short and long strings keep their bytes", arguments: [0, 1, 8, 9, 15, 16, 17, 19, 20, 21, 22, 23, 24, 100])
    func roundTrip(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        let b = RBytes(bytes)
        #expect(b.count == length)
        #expect(b.array == bytes)
    }

    @Test("RBytes (16 bytes inline) stays small enough for a keyspace entry of 24 bytes")
    func layout() {
        #expect(RBytes.inlineCapacity == 16)
        #expect(MemoryLayout<RBytes>.size <= 20)
    }

    @Test("every byte reads back by subscript, across the inline words and the heap form")
    func subscriptEveryByte() {
        for length in 0...30 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: 0xF1 &- $0 &* 13) }
            let b = RBytes(bytes)
            for i in 0..<length { #expect(b[i] == bytes[i], "length \(length) byte \(i)") }
            #expect(RBytes(b.array) == b)
            #expect(b.slice(0..<length) == b)
        }
    }

    @Test("strings of 17–22 bytes that differ in one byte past the 16th are different keys")
    func tailBytesCount() {
        for length in 17...22 {
            let base = Array(repeating: UInt8(ascii: "k"), count: length)
            for i in 16..<length {
                var other = base
                other[i] = UInt8(ascii: "K")
                #expect(RBytes(base) != RBytes(other))
                #expect(KeyHash.hash(RBytes(base)) != KeyHash.hash(RBytes(other)))
                #expect((RBytes(base) < RBytes(other)) == base.lexicographicallyPrecedes(other))
            }
            // A trailing zero byte makes a longer, different string.
            #expect(RBytes(base) != RBytes(base + [0]))
        }
    }

    @Test("equal bytes are equal and hash alike whatever their origin")
    func equalityIsByContent() {
        let a = RBytes("hello world, long enough")
        let b = RBytes(Array("hello world, long enough".utf8))
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(RBytes("a") != RBytes("a\0"))
    }

    @Test("ordering is memcmp order, shorter prefix first")
    func ordering() {
        #expect(RBytes("a") < RBytes("b"))
        #expect(RBytes("a") < RBytes("aa"))
        #expect(RBytes([0xff]) > RBytes("z"))
    }

    @Test("lowercasing folds only ASCII letters", arguments: ["SET", "GeT", "CLIENT-KILL_x", "ABCDEFGHIJKLMNOP", "ÀB@[`{", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                                               "COUNTER:__RAND_INT__", "ABCDEFGHIJKLMNOPQRSTUV", "abcdefghijklmnopqrs[@Z"])
    func lowercasing(s: String) {
        let expected = Array(s.utf8).map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        #expect(RBytes(s).lowercased().array == expected)
    }

    @Test("assign copies the bytes in, and never changes another holder of a shared long string")
    func assignKeepsValueSemantics() {
        let long1 = Array("counter:000000000001".utf8), long2 = Array("counter:000000000002".utf8)
        var a = RBytes(long1)
        let kept = a  // shares a's storage, as a key a command stored
        long2.withUnsafeBytes { a.assign($0) }
        #expect(a.array == long2)
        #expect(kept.array == long1)
        // Unshared, same length: overwritten in place; other lengths and short strings: canonical new values.
        long1.withUnsafeBytes { a.assign($0) }
        #expect(a == RBytes(long1))
        for text in ["short", "", "a longer argument than before, 40+ bytes", "sixteen-bytes-16"] {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { a.assign($0) }
            #expect(a == RBytes(bytes) && a.array == bytes, "\(text)")
        }
        #expect(kept.array == long1)
    }

    @Test("option names compare case-insensitively")
    func optionNames() {
        #expect(RBytes("ex").equalsIgnoringCase("EX"))
        #expect(!RBytes("exx").equalsIgnoringCase("EX"))
    }
}

@Suite("FastRandom")
struct FastRandomTests {
    @Test("draws cover a small range evenly (100,000 draws into 10 buckets, each within ±10% of 10,000)")
    func evenSpread() {
        var buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 { buckets[FastRandom.int(in: 0..<10)] += 1 }
        for b in buckets { #expect(b > 9_000 && b < 11_000, "\(buckets)") }
    }

    @Test("unit draws stay in [0, 1) and are not constant")
    func unitRange() {
        var seen = Set<Double>()
        for _ in 0..<1000 {
            let u = FastRandom.unit()
            #expect(u >= 0 && u < 1)
            seen.insert(u)
        }
        #expect(seen.count > 990)
    }
}
