/// Reads one value payload of any type Redis 7.0 loads and builds our objects through their normal APIs, so
/// the thresholds pick the in-memory encoding as Redis's `rdbLoadObject` does.
public enum RDBValueReader {
    /// The value of type `type` at the reader's position, or nil for an empty collection (Redis skips those
    /// keys when loading a file and refuses them in RESTORE).
    public static func read(type: UInt8, from r: inout RDBReader, thresholds t: EncodingThresholds) throws -> Value? {
        typealias T = RDBFormat.ValueType
        switch type {
        case T.string:
            return .string(RBytes(try r.string()))
        case T.list:
            let n = try r.count()
            let list = ListObject()
            for _ in 0..<n { list.pushBack(RBytes(try r.string())) }
            list.trimTail()
            return n == 0 ? nil : .object(list)
        case T.set:
            let n = try r.count()
            let set = SetObject()
            if n > t.setMaxIntsetEntries { set.convertToTable() }
            for _ in 0..<n {
                let at = r.offset
                guard set.add(RBytes(try r.string()), maxIntsetEntries: t.setMaxIntsetEntries) else {
                    throw RDBError(offset: r.base + at, "duplicate set member")
                }
            }
            return n == 0 ? nil : .object(set)
        case T.zset, T.zset2:
            let n = try r.count()
            let z = SortedSetObject(skiplist: true)
            for _ in 0..<n {
                let at = r.offset
                let member = RBytes(try r.string())
                let score = type == T.zset ? try r.stringDouble() : try r.binaryDouble()
                if score.isNaN { throw RDBError(offset: r.base + at, "sorted set member with a NaN score") }
                if z.score(of: member) != nil { throw RDBError(offset: r.base + at, "duplicate sorted set member") }
                z.insert(member, score: score, maxListpackEntries: 0, maxListpackValue: 0)
            }
            z.compactIfFits(maxEntries: t.zsetMaxListpackEntries, maxValue: t.zsetMaxListpackValue)
            return n == 0 ? nil : .object(z)
        case T.hash:
            let n = try r.count(minItemSize: 2)
            let h = HashObject()
            if n > t.hashMaxListpackEntries { h.convertToTable() }
            for _ in 0..<n {
                let at = r.offset
                let f = RBytes(try r.string()), v = RBytes(try r.string())
                guard h.set(f, v, maxEntries: t.hashMaxListpackEntries, maxValue: t.hashMaxListpackValue) else {
                    throw RDBError(offset: r.base + at, "duplicate hash field")
                }
            }
            return n == 0 ? nil : .object(h)
        case T.hashZipmap:
            let (blob, at) = try blobString(&r)
            let pairs = try blob.withUnsafeBytes { try Zipmap.decode($0, base: at) }
            return try hash(pairs.map { (RBytes($0.field), RBytes($0.value)) }, at: at,
                            maxEntries: t.hashMaxListpackEntries, maxValue: t.hashMaxListpackValue)
        case T.listZiplist:
            let (blob, at) = try blobString(&r)
            let items = try blob.withUnsafeBytes { try Ziplist.decode($0, base: at) }
            return items.isEmpty ? nil : .object(ListObject(items.map { RBytes($0.bytes) }))
        case T.setIntset:
            let (blob, at) = try blobString(&r)
            let ints = try blob.withUnsafeBytes { try Intset.decode($0, base: at) }
            let set = SetObject()
            if ints.count > t.setMaxIntsetEntries { set.convertToTable() }
            for v in ints { set.add(Numbers.format(v), maxIntsetEntries: t.setMaxIntsetEntries) }
            return ints.isEmpty ? nil : .object(set)
        case T.zsetZiplist, T.zsetListpack:
            let (blob, at) = try blobString(&r)
            let items = try blob.withUnsafeBytes {
                type == T.zsetListpack ? try Listpack.decode($0, base: at) : try Ziplist.decode($0, base: at)
            }
            return try zset(items, at: at, thresholds: t)
        case T.hashZiplist, T.hashListpack:
            let (blob, at) = try blobString(&r)
            let items = try blob.withUnsafeBytes {
                type == T.hashListpack ? try Listpack.decode($0, base: at) : try Ziplist.decode($0, base: at)
            }
            guard items.count % 2 == 0 else { throw RDBError(offset: at, "hash listpack with an odd entry count") }
            var pairs: [(RBytes, RBytes)] = []
            pairs.reserveCapacity(items.count / 2)
            for i in stride(from: 0, to: items.count, by: 2) { pairs.append((RBytes(items[i].bytes), RBytes(items[i + 1].bytes))) }
            // Redis 7.0 keeps a loaded listpack as is and converts only when it has too many entries.
            return try hash(pairs, at: at, maxEntries: t.hashMaxListpackEntries, maxValue: Int.max)
        case T.listQuicklist, T.listQuicklist2:
            let nodes = try r.count()
            let list = ListObject()
            for _ in 0..<nodes {
                var container = RDBFormat.quicklistNodePacked
                if type == T.listQuicklist2 {
                    container = try r.length()
                    guard container == RDBFormat.quicklistNodePlain || container == RDBFormat.quicklistNodePacked else {
                        throw r.error("bad quicklist node container \(container)")
                    }
                }
                let (blob, at) = try blobString(&r)
                if container == RDBFormat.quicklistNodePlain {
                    list.pushBack(RBytes(blob))
                    continue
                }
                let items = try blob.withUnsafeBytes {
                    type == T.listQuicklist2 ? try Listpack.decode($0, base: at) : try Ziplist.decode($0, base: at)
                }
                list.pushBack(contentsOf: items.map { RBytes($0.bytes) }[...])
            }
            list.trimTail()
            return list.isEmpty ? nil : .object(list)
        case T.streamListpacks, T.streamListpacks2:
            return try readStream(type: type, from: &r)
        case T.modulePreGA:
            throw r.error("Pre-release module format not supported")
        case T.module2:
            return try readCustom(from: &r)
        default:
            throw r.error("unknown value type \(type)")
        }
    }

    /// A module data type's value (Redis's rdbLoadObject for RDB_TYPE_MODULE_2, with its error texts).
    static func readCustom(from r: inout RDBReader) throws -> Value {
        let id = try r.length()
        guard let type = CustomTypeRegistry.lookup(id: id) else {
            throw r.error("The RDB file contains module data I can't load: no matching module type '\(CustomValueType.name(ofID: id))'")
        }
        var io = CustomValueReader(reader: r)
        let value: CustomValue
        do {
            value = try type.load(&io, Int(id & 1023))
        } catch {
            throw r.error("The RDB file contains module data for the module type '\(type.name)', that the responsible module is not able to load. Check for modules log above for additional clues.")
        }
        r = io.reader
        guard try r.length() == CustomValueWriter.Opcode.eof else {
            throw r.error("The RDB file contains module data for the module '\(type.name)' that is not terminated by the proper module value EOF marker")
        }
        return .object(CustomObject(type, value))
    }

    /// A string holding an encoded blob (ziplist, listpack, intset, zipmap), and its offset in the input.
    static func blobString(_ r: inout RDBReader) throws -> ([UInt8], Int) {
        let start = r.base + r.offset
        let blob = try r.string()
        // For a plain string the blob starts after its length; the error offsets stay within a few bytes.
        return (blob, start)
    }

    /// A hash from pairs, rejecting duplicates; nil when empty.
    static func hash(_ pairs: [(RBytes, RBytes)], at: Int, maxEntries: Int, maxValue: Int) throws -> Value? {
        guard !pairs.isEmpty else { return nil }
        let h = HashObject()
        // Convert first when it will not stay a listpack, so loading stays linear.
        if pairs.count > maxEntries { h.convertToTable() }
        for (f, v) in pairs {
            guard h.set(f, v, maxEntries: Int.max, maxValue: maxValue) else { throw RDBError(offset: at, "duplicate hash field") }
        }
        if h.count > maxEntries { h.convertToTable() }
        return .object(h)
    }

    /// A sorted set from listpack/ziplist entries (member, score, ...); nil when empty.
    static func zset(_ items: [Listpack.Element], at: Int, thresholds t: EncodingThresholds) throws -> Value? {
        guard items.count % 2 == 0 else { throw RDBError(offset: at, "sorted set listpack with an odd entry count") }
        guard !items.isEmpty else { return nil }
        // Straight to the skiplist when it will not stay a listpack, so loading stays O(n log n).
        let z = SortedSetObject(skiplist: items.count / 2 > t.zsetMaxListpackEntries)
        for i in stride(from: 0, to: items.count, by: 2) {
            let member = RBytes(items[i].bytes)
            let score: Double
            switch items[i + 1] {
            case .int(let v): score = Double(v)
            case .string(let s):
                guard let d = Numbers.parseDouble(RBytes(s)), !d.isNaN else {
                    throw RDBError(offset: at, "bad sorted set score")
                }
                score = d
            }
            if z.score(of: member) != nil { throw RDBError(offset: at, "duplicate sorted set member") }
            z.insert(member, score: score, maxListpackEntries: Int.max, maxListpackValue: Int.max)
        }
        if z.count > t.zsetMaxListpackEntries { z.convertToSkiplist() }
        return .object(z)
    }
}
