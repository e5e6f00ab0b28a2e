import Testing
@testable import Kernel

@Suite("StreamObject")
struct StreamObjectTests {
    private func id(_ ms: UInt64, _ seq: UInt64 = 0) -> StreamID { StreamID(ms: ms, seq: seq) }

    private func add(_ s: StreamObject, _ ms: UInt64, _ fields: [RBytes] = ["f", "v"], maxEntries: Int = 100) {
        s.append(id: id(ms), fields: fields[...], maxBytes: 4096, maxEntries: maxEntries)
    }

    private func ids(_ s: StreamObject, reverse: Bool = false) -> [UInt64] {
        var out: [UInt64] = []
        s.forEach(from: .zero, to: .max, reverse: reverse) { i, _, _ in out.append(i.ms); return true }
        return out
    }

    @Test("IDs parse as Redis's streamGenericParseIDOrReply does")
    func parseIDs() {
        #expect(StreamID.parse("5")?.id == id(5, 0))
        #expect(StreamID.parse("5", missingSeq: .max)?.id == id(5, .max))
        #expect(StreamID.parse("5-3")?.id == id(5, 3))
        #expect(StreamID.parse("-")?.id == .zero)
        #expect(StreamID.parse("+")?.id == .max)
        #expect(StreamID.parse("-", strict: true) == nil)
        #expect(StreamID.parse("5-*") == nil)
        #expect(StreamID.parse("5-*", allowAutoSeq: true)?.seqGiven == false)
        #expect(StreamID.parse("x") == nil)
        #expect(StreamID.parse("-1") == nil)
        #expect(StreamID.parse("18446744073709551616") == nil)
        #expect(StreamID.parse("18446744073709551615-18446744073709551615")?.id == .max)
    }

    @Test("nodes split at stream-node-max-entries and ranges cross them both ways")
    func nodesAndRanges() {
        let s = StreamObject()
        for ms in 1...10 { add(s, UInt64(ms), maxEntries: 3) }
        #expect(s.nodes.count == 4)
        #expect(s.length == 10)
        #expect(ids(s) == Array(1...10))
        #expect(ids(s, reverse: true) == Array((1...10).reversed()))
        var mid: [UInt64] = []
        s.forEach(from: id(4), to: id(7)) { i, _, _ in mid.append(i.ms); return true }
        #expect(mid == [4, 5, 6, 7])
    }

    @Test("entries keep their fields, with and without the master's field names")
    func fields() {
        let s = StreamObject()
        add(s, 1, ["a", "1", "b", "x"])
        add(s, 2, ["a", "-5", "b", ""])
        add(s, 3, ["c", "9223372036854775807"])
        #expect(s.fields(of: id(2))!.map { [$0.0.string, $0.1.string] } == [["a", "-5"], ["b", ""]])
        #expect(s.fields(of: id(3))!.map { [$0.0.string, $0.1.string] } == [["c", "9223372036854775807"]])
    }

    @Test("deleting the last live entry of a node removes the node; tombstones are skipped")
    func deletes() {
        let s = StreamObject()
        for ms in 1...4 { add(s, UInt64(ms), maxEntries: 2) }
        #expect(s.delete(id(1)))
        #expect(!s.delete(id(1)))
        #expect(s.nodes.count == 2)
        #expect(s.delete(id(2)))
        #expect(s.nodes.count == 1)
        #expect(ids(s) == [3, 4])
        #expect(s.length == 2)
    }

    @Test("approximate trimming removes whole nodes only; exact trimming marks entries")
    func trims() {
        let s = StreamObject()
        for ms in 1...10 { add(s, UInt64(ms), maxEntries: 4) }
        #expect(s.trim(.maxlen(7), approx: true, limit: 0) == 0)
        #expect(s.trim(.maxlen(5), approx: true, limit: 0) == 4)
        #expect(s.length == 6)
        #expect(s.trim(.maxlen(5), approx: false, limit: 0) == 1)
        #expect(ids(s) == [6, 7, 8, 9, 10])
        #expect(s.trim(.minid(id(9)), approx: false, limit: 0) == 3)
        #expect(s.firstID == id(9))
    }

    @Test("radix-tree node counts of simple shapes")
    func radixNodes() {
        let s = StreamObject()
        #expect(s.radixTreeNodes == 1)
        add(s, 1)
        #expect(s.radixTreeNodes == 2)
    }

    @Test("an RDB payload of a stream with groups reads back equal")
    func rdbRoundTrip() throws {
        let s = StreamObject()
        for ms in 1...5 { add(s, UInt64(ms), maxEntries: 2) }
        _ = s.delete(id(3))
        s.maxDeletedID = id(3)
        let g = StreamGroup(lastID: id(4), entriesRead: 4)
        s.groups["g"] = g
        let c = g.createConsumer("alice", now: 1000)!
        g.addPending(id(2), to: c, time: 1234, count: 2)
        let payload = DumpPayload.make(.object(s), compression: false)
        guard case .object(let o) = try DumpPayload.parse(payload, thresholds: .defaults), let t = o as? StreamObject
        else { Issue.record("not a stream"); return }
        #expect(ids(t) == ids(s))
        #expect(t.nodes.map { $0.lp } == s.nodes.map { $0.lp })
        #expect(t.maxDeletedID == id(3) && t.entriesAdded == 5 && t.lastID == id(5))
        let tg = t.groups["g"]!
        #expect(tg.lastID == id(4) && tg.entriesRead == 4)
        #expect(tg.pel[id(2)]?.deliveryTime == 1234 && tg.pel[id(2)]?.deliveryCount == 2)
        #expect(tg.consumers["alice"]?.pel.ids == [id(2)])
    }

    @Test("a type-15 stream (Redis 5/6) loads with the metadata 7.0 derives")
    func loadsType15() throws {
        let src = StreamObject()
        for ms in 1...3 { add(src, UInt64(ms)) }
        var e = RDBEncoder(compression: false)
        e.buffer.append(RDBFormat.ValueType.streamListpacks)
        e.writeLength(UInt64(src.nodes.count))
        for node in src.nodes {
            e.writeString(node.master.keyBytes)
            e.writeString(node.lp)
        }
        e.writeLength(3)
        e.writeLength(3)
        e.writeLength(0)
        e.writeLength(1)          // one group, without ENTRIESREAD in this version
        e.writeString(RBytes("g"))
        e.writeLength(2)
        e.writeLength(0)
        e.writeLength(1)          // group PEL
        e.writeRaw(id(2).keyBytes)
        e.appendLE(77, width: 8)
        e.writeLength(1)
        e.writeLength(1)          // one consumer owning it
        e.writeString(RBytes("c"))
        e.appendLE(5, width: 8)
        e.writeLength(1)
        e.writeRaw(id(2).keyBytes)
        let bytes = e.takeBytes()
        let value = try bytes.withUnsafeBytes { p -> Value? in
            var r = RDBReader(p)
            let type = try r.u8()
            return try RDBValueReader.read(type: type, from: &r, thresholds: .defaults)
        }
        guard case .object(let o)? = value, let s = o as? StreamObject else { Issue.record("not a stream"); return }
        #expect(ids(s) == [1, 2, 3])
        #expect(s.entriesAdded == 3 && s.firstID == id(1) && s.maxDeletedID == .zero)
        let g = s.groups["g"]!
        #expect(g.entriesRead == -1)  // past the first entry, unknowable without a counter (as Redis estimates)
        #expect(g.pel[id(2)]?.consumer.name == "c" && g.pel[id(2)]?.deliveryTime == 77)
    }
}
