import Testing
@testable import Kernel

@Suite("RDB file")
struct RDBFileTests {
    /// Parses an image, collecting everything.
    func parse(_ image: [UInt8], _ t: EncodingThresholds = .defaults) throws
        -> (aux: [String: String], keys: [RDBKey], functions: [[UInt8]]) {
        var aux: [String: String] = [:], keys: [RDBKey] = [], functions: [[UInt8]] = []
        let n = try image.withUnsafeBytes {
            try RDBFile.parse($0, thresholds: t, onAux: { aux[$0] = String(decoding: $1, as: UTF8.self) },
                              onKey: { keys.append($0) }, onFunction: { functions.append($0) })
        }
        #expect(n == keys.count)
        return (aux, keys, functions)
    }

    /// A version-10 image with a correct checksum from what `body` writes after the header.
    func image(_ body: (inout RDBEncoder) -> Void) -> [UInt8] {
        var e = RDBEncoder(compression: true)
        e.writeHeader()
        body(&e)
        e.writeEOF()
        var bytes = e.takeBytes()
        let crc = CRC64.checksum(bytes)
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return bytes
    }

    func contents(_ v: Value) -> [String] {
        switch v {
        case .string(let s): return [s.string]
        case .object(let o):
            if let l = o as? ListObject { return l.map { $0.string } }
            if let s = o as? SetObject { return s.members.map { $0.string }.sorted() }
            if let h = o as? HashObject {
                var out: [String] = []
                h.forEach { out.append("\($0.string)=\($1.string)") }
                return out.sorted()
            }
            if let z = o as? SortedSetObject {
                var out: [String] = []
                z.forEach(in: 0..<z.count) { out.append("\($0.string):\($1)") }
                return out
            }
            return []
        case .packed(let p):
            return p.withObject { contents(.object($0)) }
        }
    }

    @Test("reads back aux fields, databases, expiry, idle and freq, and functions it wrote")
    func roundTrip() throws {
        let list = ListObject((0..<3000).map { RBytes("e\($0)") })
        let bytes = image { e in
            e.writeAux("redis-ver", "7.0.15")
            e.writeAux("ctime", int: 1_700_000_000)
            e.writeFunction(utf8("#!lua name=x\n"))
            e.writeSelectDB(0)
            e.writeResizeDB(keys: 2, expires: 1)
            e.writeKey("s", .string("hello"), expireAt: 4_102_444_800_000, idleSeconds: nil, freq: nil)
            e.writeKey("l", .object(list), expireAt: nil, idleSeconds: 42, freq: nil)
            e.writeSelectDB(5)
            e.writeKey("n", .string("-12"), expireAt: nil, idleSeconds: nil, freq: 7)
        }
        let (aux, keys, functions) = try parse(bytes)
        #expect(aux == ["redis-ver": "7.0.15", "ctime": "1700000000"])
        #expect(functions == [utf8("#!lua name=x\n")])
        #expect(keys.map { $0.key.string } == ["s", "l", "n"])
        #expect(keys.map { $0.db } == [0, 0, 5])
        #expect(keys[0].expireAt == 4_102_444_800_000)
        #expect(keys[1].idleSeconds == 42 && keys[1].expireAt == nil)
        #expect(keys[2].freq == 7)
        #expect(contents(keys[1].value) == (0..<3000).map { "e\($0)" })
        #expect(contents(keys[2].value) == ["-12"])
    }

    @Test("loads collections with the encodings the thresholds decide")
    func thresholds() throws {
        let h = HashObject()
        for i in 0..<10 { h.set(RBytes("f\(i)"), "v", maxEntries: 512, maxValue: 64) }
        let s = SetObject()
        for i in 0..<10 { s.add(RBytes("\(i)"), maxIntsetEntries: 512) }
        let z = SortedSetObject()
        for i in 0..<10 { z.insert(RBytes("m\(i)"), score: Double(i), maxListpackEntries: 128, maxListpackValue: 64) }
        let bytes = image { e in
            e.writeKey("h", .object(h), expireAt: nil, idleSeconds: nil, freq: nil)
            e.writeKey("s", .object(s), expireAt: nil, idleSeconds: nil, freq: nil)
            e.writeKey("z", .object(z), expireAt: nil, idleSeconds: nil, freq: nil)
        }
        let small = EncodingThresholds(hashMaxListpackEntries: 5, setMaxIntsetEntries: 5, zsetMaxListpackEntries: 5)
        let keys = try parse(bytes, small).keys
        #expect(keys.map { $0.value.encodingName } == ["hashtable", "hashtable", "skiplist"])
        #expect(try parse(bytes).keys.map { $0.value.encodingName } == ["listpack", "intset", "listpack"])
        #expect(contents(keys[2].value) == contents(.object(z)))
    }

    @Test("reads a version-4 image with legacy encodings and no checksum")
    func legacy() throws {
        // ziplist list ["a", 5], zipmap hash {a: xy}, EXPIRETIME in seconds.
        let zl: [UInt8] = [16, 0, 0, 0, 13, 0, 0, 0, 2, 0, 0x00, 0x01, 0x61, 0x03, 0xF6, 0xFF]
        let zm: [UInt8] = [1, 1, 0x61, 2, 0, 0x78, 0x79, 0xFF]
        var bytes = utf8("REDIS0004") + [0xFE, 0x00]
        bytes += [0xFD, 0x00, 0xE1, 0xF5, 0x05] + [10, 1, 0x6C, UInt8(zl.count)] + zl
        bytes += [9, 1, 0x68, UInt8(zm.count)] + zm
        bytes += [0xFF]
        let keys = try parse(bytes).keys
        #expect(keys.count == 2)
        let expected: Int64 = 100_000_000_000
        #expect(keys[0].expireAt == expected)
        #expect(contents(keys[0].value) == ["a", "5"])
        #expect(contents(keys[1].value) == ["a=xy"])
    }

    @Test("a wrong checksum is an error naming the offset; a zero checksum is not checked")
    func checksum() throws {
        var bytes = image { e in e.writeKey("k", .string("v"), expireAt: nil, idleSeconds: nil, freq: nil) }
        var bad = bytes
        bad[bad.count - 1] ^= 1
        #expect(throws: RDBError.self) { try parse(bad) }
        for i in (bytes.count - 8)..<bytes.count { bytes[i] = 0 }
        #expect(try parse(bytes).keys.count == 1)
    }

    @Test("a truncated image is an error at the end of the input, at every cut")
    func truncated() throws {
        let bytes = image { e in
            e.writeAux("a", "b")
            e.writeKey("k", .object(ListObject(["x", "y"])), expireAt: 5, idleSeconds: nil, freq: nil)
        }
        for cut in 0..<(bytes.count - 8) {
            do {
                _ = try parse(Array(bytes[0..<cut]))
                Issue.record("cut \(cut) parsed")
            } catch let e as RDBError {
                #expect(e.offset <= cut)
            }
        }
    }

    @Test("a module value of a type no module exports, and the pre-GA module type, are refused with Redis's text")
    func unsupported() {
        for (type, text, offset) in [(UInt8(7), "The RDB file contains module data I can't load: no matching module type 'AAAAAAAAA'", 13),
                                     (UInt8(6), "Pre-release module format not supported", 12)] {
            let bytes = utf8("REDIS0010") + [type, 1, 0x6B, 0, 0xFF]
            do {
                _ = try parse(bytes)
                Issue.record("type \(type) parsed")
            } catch let e as RDBError {
                #expect(e.message == text)
                #expect(e.offset == offset)
            } catch { Issue.record("\(error)") }
        }
    }

    @Test("module aux data and module values are errors when loading and skipped in check mode")
    func moduleData() throws {
        let moduleData: [UInt8] = [0x02, 0x07, 0x05, 0x01, 0x61, 0x03, 1, 2, 3, 4, 0x04, 1, 2, 3, 4, 5, 6, 7, 8, 0x00]
        let bytes = utf8("REDIS0010") + [247, 0x05, 0x02, 0x02] + moduleData + [7, 1, 0x6B, 0x09] + moduleData
            + [0, 1, 0x73, 1, 0x76, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0]
        #expect(throws: RDBError.self) { try parse(bytes) }
        var keys: [String] = []
        let n = try bytes.withUnsafeBytes {
            try RDBFile.walk($0, thresholds: .defaults, checkMode: true, onEvent: { _ in },
                             onKey: { keys.append($0.key.string) }, onFunction: { _ in })
        }
        #expect(n == 2 && keys == ["k", "s"])
    }

    @Test("refuses a bad magic, a future version, and a length larger than the input")
    func badInput() {
        #expect(throws: RDBError.self) { try parse(utf8("REDIX0010") + [0xFF]) }
        #expect(throws: RDBError.self) { try parse(utf8("REDIS0011") + [0xFF]) }
        // A list claiming 2^32 elements in a tiny input.
        #expect(throws: RDBError.self) { try parse(utf8("REDIS0010") + [1, 1, 0x6B, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
        // A string claiming a 64-bit length.
        #expect(throws: RDBError.self) { try parse(utf8("REDIS0010") + [0, 0x81, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
    }
}

@Suite("DUMP payload")
struct DumpPayloadTests {
    @Test("round-trips a value and verifies its trailer")
    func roundTrip() throws {
        let z = SortedSetObject()
        z.insert("a", score: -.infinity, maxListpackEntries: 128, maxListpackValue: 64)
        z.insert("b", score: 2.5, maxListpackEntries: 128, maxListpackValue: 64)
        let payload = DumpPayload.make(.object(z), compression: true)
        #expect(payload[payload.count - 10] == 10 && payload[payload.count - 9] == 0)
        let v = try DumpPayload.parse(payload, thresholds: .defaults)
        guard case .object(let o) = v, let back = o as? SortedSetObject else { Issue.record("not a zset"); return }
        #expect(back.score(of: "a") == -.infinity && back.score(of: "b") == 2.5)
    }

    @Test("writes a small integer string as Redis does")
    func exactString() {
        let payload = DumpPayload.make(.string("1"), compression: true)
        #expect(Array(payload.prefix(5)) == [0x00, 0xC0, 0x01, 0x0A, 0x00])
    }

    @Test("a flipped byte or a newer version fails the trailer check")
    func trailer() {
        var p = DumpPayload.make(.string("hello"), compression: true)
        p[1] ^= 1
        #expect(!DumpPayload.verify(p))
        var q = DumpPayload.make(.string("hello"), compression: true)
        q[q.count - 10] = 11
        #expect(!DumpPayload.verify(q))
        #expect(!DumpPayload.verify([1, 2, 3]))
    }
}

@Suite("Corrupt payloads")
struct CorruptPayloadTests {
    /// Payloads of every kind we write.
    func samples() -> [[UInt8]] {
        let list = ListObject((0..<50).map { RBytes("item-\($0)-" + String(repeating: "x", count: $0 * 3)) })
        let h = HashObject(), ht = HashObject()
        for i in 0..<20 { h.set(RBytes("f\(i)"), RBytes("\(i * 1000)"), maxEntries: 512, maxValue: 64) }
        for i in 0..<20 { ht.set(RBytes("f\(i)"), RBytes(String(repeating: "v", count: 70)), maxEntries: 512, maxValue: 64) }
        let s = SetObject(), st = SetObject()
        for i in 0..<30 { s.add(RBytes("\(i * 7919)"), maxIntsetEntries: 512) }
        for i in 0..<30 { st.add(RBytes("m\(i)"), maxIntsetEntries: 512) }
        let z = SortedSetObject(), zs = SortedSetObject(skiplist: true)
        for i in 0..<20 {
            z.insert(RBytes("m\(i)"), score: Double(i) / 3, maxListpackEntries: 128, maxListpackValue: 64)
            zs.insert(RBytes("m\(i)"), score: Double(i) / 3, maxListpackEntries: 0, maxListpackValue: 0)
        }
        let values: [Value] = [.string(RBytes(String(repeating: "abc", count: 100))), .string("123"), .object(list),
                               .object(h), .object(ht), .object(s), .object(st), .object(z), .object(zs)]
        return values.map { DumpPayload.make($0, compression: true) }
    }

    /// Re-seals a mutated payload so the trailer verifies and the body parser is exercised.
    func reseal(_ p: [UInt8]) -> [UInt8] {
        var body = Array(p.dropLast(8))
        let crc = CRC64.checksum(body)
        for k in 0..<8 { body.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return body
    }

    @Test("random byte changes, truncations and extensions never crash the parser")
    func mutations() {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        func rand(_ n: Int) -> Int {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return Int(x % UInt64(max(1, n)))
        }
        var parsed = 0, refused = 0
        for sample in samples() {
            for _ in 0..<300 {
                var p = sample
                switch rand(3) {
                case 0:
                    for _ in 0...rand(3) { p[rand(p.count - 10)] = UInt8(rand(256)) }
                case 1:
                    let cut = rand(p.count - 10)
                    p = Array(p[0..<cut]) + Array(p[(p.count - 10)...])
                default:
                    let at = rand(p.count - 10)
                    p.insert(contentsOf: (0..<rand(8)).map { _ in UInt8(rand(256)) }, at: at)
                }
                do {
                    _ = try DumpPayload.parse(reseal(p), thresholds: .defaults)
                    parsed += 1
                } catch {
                    refused += 1
                }
            }
        }
        #expect(parsed + refused == 2700)
        #expect(refused > 0)
    }
}
