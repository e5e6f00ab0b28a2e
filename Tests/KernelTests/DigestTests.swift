import Testing
@testable import Kernel

/// SHA-1 against FIPS 180 vectors, and Redis 7.0's per-value digest against values read from redis-server 7.0.15
/// (`DEBUG DIGEST-VALUE` on the same data).
@Suite struct SHA1Tests {
    @Test func emptyMessage() {
        #expect(SHA1.hash([UInt8]()).hex == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test func abc() {
        #expect(SHA1.hash(Array("abc".utf8)).hex == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func twoBlockMessage() {
        let m = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA1.hash(m).hex == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    @Test func millionAs() {
        #expect(SHA1.hash([UInt8](repeating: 0x61, count: 1_000_000)).hex == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func streamingInUnevenChunksEqualsOneShot() {
        let m = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for chunk in [1, 3, 63, 64, 65, 200] {
            var h = SHA1()
            var i = 0
            while i < m.count {
                h.update(Array(m[i..<min(i + chunk, m.count)]))
                i += chunk
            }
            #expect(h.finalize() == SHA1.hash(m), "chunk \(chunk)")
        }
    }

    @Test func inlineRBytesHashLikeTheirArray() {
        for s in ["", "a", "0123456789abcdef", "0123456789abcdefg"] {
            #expect(SHA1.hash(RBytes(s)) == SHA1.hash(Array(s.utf8)))
        }
    }

    @Test func bytesAreBigEndianWords() {
        let d = SHA1.Digest(0x0102_0304, 0, 0, 0, 0xA0B0_C0D0)
        #expect(Array(d.bytes.prefix(4)) == [1, 2, 3, 4])
        #expect(Array(d.bytes.suffix(4)) == [0xA0, 0xB0, 0xC0, 0xD0])
        d.withBytes { #expect(Array($0) == d.bytes) }
    }
}

@Suite struct DigestTests {
    func list(_ items: [String]) -> Value { .object(ListObject(items.map { RBytes($0) })) }

    func set(_ items: [String], maxIntset: Int = 512) -> Value {
        let s = SetObject()
        for i in items { _ = s.add(RBytes(i), maxIntsetEntries: maxIntset) }
        return .object(s)
    }

    func hash(_ pairs: [(String, String)], maxEntries: Int = 128) -> Value {
        let h = HashObject()
        for (f, v) in pairs { _ = h.set(RBytes(f), RBytes(v), maxEntries: maxEntries, maxValue: 64) }
        return .object(h)
    }

    func zset(_ pairs: [(String, Double)], skiplist: Bool = false) -> Value {
        let z = SortedSetObject(skiplist: skiplist)
        for (m, s) in pairs { z.insert(RBytes(m), score: s, maxListpackEntries: 128, maxListpackValue: 64) }
        return .object(z)
    }

    @Test func mixIsSha1OfXorWithSha1() {
        var d = SHA1.Digest.zero
        d.mix(RBytes("f"))
        #expect(d.hex == "241e241b694b4f0b740cf5b9775afd9a511e1cec")
        d.mix(RBytes("v"))
        #expect(d.hex == "c1f76333ded8478a96d7bb7587bcc345f670d85c")
    }

    @Test func stringMatchesRedis() {
        #expect(DatasetDigest.of(value: .string("hello")).hex == "36b23a1456b2dce2c3ed252c456761301dba8060")
    }

    @Test func expireMarkerMatchesRedis() {
        #expect(DatasetDigest.of(value: .string("12345"), hasExpire: true).hex == "074a6e8892a0b0b4fcf085794cb69322c36c9d00")
    }

    @Test func listMatchesRedis() {
        #expect(DatasetDigest.of(value: list(["a", "1", "b"])).hex == "d5f44352f6226abea9252dad248ef5de0d964396")
    }

    @Test func hashtableSetMatchesRedis() {
        #expect(DatasetDigest.of(value: set(["x", "2"])).hex == "7904f640014061fb37c6855115964bd3eaaed924")
    }

    @Test func intsetMatchesRedis() {
        #expect(DatasetDigest.of(value: set(["1", "2", "-3"])).hex == "836878cc027f259476c1f062e588720a8848c1d0")
    }

    @Test func setDigestIgnoresEncodingAndOrder() {
        let a = DatasetDigest.of(value: set(["1", "2", "-3"]))
        #expect(DatasetDigest.of(value: set(["-3", "2", "1"], maxIntset: 0)) == a)
    }

    @Test func hashMatchesRedis() {
        #expect(DatasetDigest.of(value: hash([("f", "v")])).hex == "90c76e9e9f4c62d642a34fc97c7dad503b51f906")
        #expect(DatasetDigest.of(value: hash([("f", "v"), ("g", "1")])).hex == "6679ee22f89ed8001eeb5309d0900265ea56c03a")
    }

    @Test func hashDigestIgnoresEncodingAndOrder() {
        let a = DatasetDigest.of(value: hash([("f", "v"), ("g", "1")]))
        #expect(DatasetDigest.of(value: hash([("g", "1"), ("f", "v")], maxEntries: 0)) == a)
    }

    @Test func zsetMatchesRedisWithPercent17gScores() {
        let pairs: [(String, Double)] = [("a", 1.1), ("b", 3), ("c", .infinity), ("d", -2.5e-300), ("e", 1e20)]
        #expect(DatasetDigest.of(value: zset(pairs)).hex == "9ed48eba26cd0d0ada8c95f64821cb11ba9299be")
        #expect(DatasetDigest.of(value: zset(pairs, skiplist: true)).hex == "9ed48eba26cd0d0ada8c95f64821cb11ba9299be")
    }

    @Test func oneChangedElementChangesTheDigest() {
        #expect(DatasetDigest.of(value: list(["a", "1", "b"])) != DatasetDigest.of(value: list(["a", "1", "c"])))
    }
}

