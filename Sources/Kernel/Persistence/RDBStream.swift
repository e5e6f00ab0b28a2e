/// Streams in RDB files and DUMP payloads: type 19 (`RDB_TYPE_STREAM_LISTPACKS_2`, what Redis 7.0 writes) and
/// type 15 (`RDB_TYPE_STREAM_LISTPACKS`, Redis 5/6) on load.
///
/// Layout (`rdbSaveObject`): node count, then per node its 16-byte big-endian master ID and its listpack (both
/// as strings); length; last ID (ms, seq); [19: first ID, max deleted ID, entries added]; group count, then per
/// group its name, last ID, [19: entries read, -1 as 2^64-1], the group PEL (count, then 16-byte ID, 8-byte LE
/// delivery time, delivery count), and the consumers (count, then name, 8-byte LE seen time, and the consumer's
/// PEL as bare 16-byte IDs).
extension RDBEncoder {
    mutating func writeStream(_ s: StreamObject) {
        writeLength(UInt64(s.nodes.count))
        for node in s.nodes {
            writeString(node.master.keyBytes)
            writeString(node.lp)
        }
        writeLength(UInt64(s.length))
        writeLength(s.lastID.ms)
        writeLength(s.lastID.seq)
        writeLength(s.firstID.ms)
        writeLength(s.firstID.seq)
        writeLength(s.maxDeletedID.ms)
        writeLength(s.maxDeletedID.seq)
        writeLength(s.entriesAdded)
        let groups = s.sortedGroups
        writeLength(UInt64(groups.count))
        for (name, g) in groups {
            writeString(name)
            writeLength(g.lastID.ms)
            writeLength(g.lastID.seq)
            writeLength(UInt64(bitPattern: g.entriesRead))
            writeLength(UInt64(g.pelOrder.count))
            for id in g.pelOrder.ids {
                writeRaw(id.keyBytes)
                let nack = g.pel[id]!
                appendLE(UInt64(bitPattern: nack.deliveryTime), width: 8)
                writeLength(nack.deliveryCount)
            }
            let consumers = g.sortedConsumers
            writeLength(UInt64(consumers.count))
            for c in consumers {
                writeString(c.name)
                appendLE(UInt64(bitPattern: c.seenTime), width: 8)
                writeLength(UInt64(c.pel.count))
                for id in c.pel.ids { writeRaw(id.keyBytes) }
            }
        }
    }
}

extension RDBValueReader {
    /// A stream of type 15 or 19, checked as Redis's loader checks it (node keys of 16 bytes, non-empty
    /// listpacks, every consumer PEL entry present in its group PEL).
    static func readStream(type: UInt8, from r: inout RDBReader) throws -> Value {
        let v2 = type == RDBFormat.ValueType.streamListpacks2
        let s = StreamObject()
        let nodeCount = try r.count()
        for _ in 0..<nodeCount {
            let key = try r.string()
            guard let master = StreamID(keyBytes: key) else { throw r.error("Stream node key entry is not the size of a stream ID") }
            let (lp, at) = try blobString(&r)
            let items = try lp.withUnsafeBytes { try Listpack.decode($0, base: at) }
            guard !items.isEmpty else { throw RDBError(offset: at, "Empty listpack inside stream") }
            if let last = s.nodes.last, last.master >= master { throw RDBError(offset: at, "stream node keys out of order") }
            let node = StreamNode(master: master, lp: lp)
            try validate(node, at: at)
            s.nodes.append(node)
        }
        s.length = try r.count()
        s.lastID = StreamID(ms: try r.length(), seq: try r.length())
        if v2 {
            s.firstID = StreamID(ms: try r.length(), seq: try r.length())
            s.maxDeletedID = StreamID(ms: try r.length(), seq: try r.length())
            s.entriesAdded = try r.length()
        } else {
            s.entriesAdded = UInt64(s.length)
            s.firstID = s.length > 0 ? s.edgeID(first: true, skipTombstones: true) : .zero
        }
        let groupCount = try r.count()
        for _ in 0..<groupCount {
            let name = RBytes(try r.string())
            let lastID = StreamID(ms: try r.length(), seq: try r.length())
            let entriesRead = v2 ? Int64(bitPattern: try r.length()) : s.estimateDistance(to: lastID)
            let g = StreamGroup(lastID: lastID, entriesRead: entriesRead)
            guard s.groups[name] == nil else { throw r.error("Duplicated consumer group name") }
            s.groups[name] = g
            let pelCount = try r.count()
            var orphan: [StreamID: (Int64, UInt64)] = [:]
            for _ in 0..<pelCount {
                guard let id = StreamID(keyBytes: try r.take(16)) else { throw r.error("bad PEL id") }
                let time = Int64(bitPattern: try r.uintLE(8))
                let count = try r.length()
                guard orphan[id] == nil else { throw r.error("Duplicated global PEL entry loading stream consumer group") }
                orphan[id] = (time, count)
                g.pelOrder.insert(id)
            }
            let consumerCount = try r.count()
            for _ in 0..<consumerCount {
                let cname = RBytes(try r.string())
                let seen = Int64(bitPattern: try r.uintLE(8))
                guard let consumer = g.createConsumer(cname, now: seen) else { throw r.error("Duplicated consumer name") }
                let n = try r.count()
                for _ in 0..<n {
                    guard let id = StreamID(keyBytes: try r.take(16)) else { throw r.error("bad PEL id") }
                    guard let (time, count) = orphan.removeValue(forKey: id) else {
                        throw r.error("Consumer entry not found in group global PEL")
                    }
                    g.pel[id] = StreamNACK(deliveryTime: time, deliveryCount: count, consumer: consumer)
                    consumer.pel.insert(id)
                }
            }
            // Redis refuses a PEL entry no consumer owns (deep sanitization); be as strict.
            guard orphan.isEmpty else { throw r.error("Stream PEL entry without a consumer") }
        }
        return .object(s)
    }

    /// Walks a node's entries to make sure the listpack has the stream layout (so iteration cannot trap).
    static func validate(_ node: StreamNode, at: Int) throws {
        let items = try node.lp.withUnsafeBytes { try Listpack.decode($0) }
        func int(_ i: Int) throws -> Int64 {
            guard i < items.count, case .int(let v) = items[i] else { throw RDBError(offset: at, "bad stream listpack") }
            return v
        }
        guard items.count >= 4 else { throw RDBError(offset: at, "bad stream listpack") }
        let live = try int(0), deleted = try int(1), masterFields = try int(2)
        guard masterFields >= 0, live >= 0, deleted >= 0 else { throw RDBError(offset: at, "bad stream listpack") }
        var i = 3 + Int(masterFields)
        guard try int(i) == 0 else { throw RDBError(offset: at, "bad stream master entry") }
        i += 1
        var seen: Int64 = 0
        while i < items.count {
            let flags = try int(i)
            _ = try int(i + 1)
            _ = try int(i + 2)
            var n: Int
            if flags & 2 != 0 {
                n = Int(masterFields)
                i += 3
            } else {
                let f = try int(i + 3)
                guard f >= 0 else { throw RDBError(offset: at, "bad stream entry") }
                n = Int(f) * 2
                i += 4
            }
            i += n
            _ = try int(i)
            i += 1
            seen += 1
        }
        guard i == items.count, seen == live + deleted else { throw RDBError(offset: at, "bad stream entry count") }
    }
}

extension StreamObject: DigestibleObject {
    public var digestTypeCode: DatasetDigest.TypeCode { .stream }

    /// Redis 7.0's stream digest: per live entry, mix `<ms>.<seq>`, then each field and value.
    public func mixDigest(into d: inout SHA1.Digest) {
        forEach(from: .zero, to: .max) { id, node, e in
            d.mix(RBytes("\(id.ms).\(id.seq)"))
            for (f, v) in node.fields(of: e) {
                d.mix(f)
                d.mix(v)
            }
            return true
        }
    }
}
