/// Value payloads in the encodings Redis 7.0 writes for each in-memory encoding.
extension RDBEncoder {
    /// Whether the value has an RDB form here (strings, lists, hashes, sets, sorted sets, streams, module data
    /// types). Writers should skip (and report) values it refuses.
    public static func supports(_ value: Value) -> Bool {
        switch value {
        case .string, .packed: return true
        case .object(let o): return o is ListObject || o is HashObject || o is SetObject || o is SortedSetObject
            || o is StreamObject || o is CustomObject
        }
    }

    /// The RDB type byte for a value's current encoding.
    static func typeByte(_ value: Value) -> UInt8 {
        switch value {
        case .string: return RDBFormat.ValueType.string
        case .packed(let p): return p.withObject { typeByte(.object($0)) }
        case .object(let o):
            switch o {
            case is ListObject: return RDBFormat.ValueType.listQuicklist2
            case let h as HashObject: return h.isListpack ? RDBFormat.ValueType.hashListpack : RDBFormat.ValueType.hash
            case let s as SetObject: return s.isIntset ? RDBFormat.ValueType.setIntset : RDBFormat.ValueType.set
            case let z as SortedSetObject: return z.isListpack ? RDBFormat.ValueType.zsetListpack : RDBFormat.ValueType.zset2
            case is StreamObject: return RDBFormat.ValueType.streamListpacks2
            case is CustomObject: return RDBFormat.ValueType.module2
            default: return RDBFormat.ValueType.string  // unreachable for supported values; see writeValuePayload
            }
        }
    }

    /// The payload after the type byte.
    mutating func writeValuePayload(_ value: Value) {
        switch value {
        case .packed(let p):
            p.withObject { writeValuePayload(.object($0)) }
        case .string(let s):
            writeString(s)
        case .object(let o):
            switch o {
            case let l as ListObject: writeList(l)
            case let h as HashObject: writeHash(h)
            case let s as SetObject: writeSet(s)
            case let z as SortedSetObject: writeZSet(z)
            case let st as StreamObject: writeStream(st)
            case let c as CustomObject: writeCustom(c)
            default: writeString([UInt8]())  // no RDB form for other object kinds yet
            }
        }
    }

    /// MODULE_2: the module id, the values the type saves (each after its opcode), then the module EOF opcode.
    /// The type writes straight into this encoder's buffer (no copy of the chunk built so far).
    mutating func writeCustom(_ c: CustomObject) {
        writeLength(c.type.id)
        var io = CustomValueWriter(encoder: RDBEncoder(compression: compression, thresholds: thresholds))
        swap(&io.encoder.buffer, &buffer)
        c.value.save(to: &io)
        swap(&io.encoder.buffer, &buffer)
        writeLength(CustomValueWriter.Opcode.eof)
    }

    /// QUICKLIST_2: node count, then per node the container kind (2 = packed) and the listpack as a string.
    /// Nodes are filled as Redis fills them when pushing to the tail (`_quicklistNodeAllowInsert`).
    mutating func writeList(_ list: ListObject) {
        var nodes: [[UInt8]] = []
        var current = Listpack.Builder()
        for element in list {
            if current.count > 0 && !Self.nodeAllowsInsert(current, elementSize: element.count,
                                                           fill: thresholds.listMaxListpackSize) {
                nodes.append(current.finish())
                current = Listpack.Builder()
            }
            current.append(element)
        }
        if current.count > 0 { nodes.append(current.finish()) }
        writeLength(UInt64(nodes.count))
        for node in nodes {
            writeLength(RDBFormat.quicklistNodePacked)
            writeString(node)
        }
    }

    /// Redis 7.0.15's rule for whether a quicklist node takes one more element of `elementSize` bytes
    /// (`_quicklistNodeAllowInsert`: the listpack's size plus the element plus an 8-byte estimate must stay
    /// within the size class of a negative fill; a positive fill caps the count, within the 8 KB safety limit).
    static func nodeAllowsInsert(_ node: Listpack.Builder, elementSize sz: Int, fill: Int) -> Bool {
        let newSize = node.totalBytes + sz + 8
        if fill < 0 {
            let levels = [4096, 8192, 16384, 32768, 65536]
            return newSize <= levels[min(-fill - 1, levels.count - 1)]
        }
        return newSize <= 8192 && node.count + 1 <= max(fill, 1)
    }

    /// HASH_LISTPACK (field, value, ...) or HASH (count, then field/value strings).
    mutating func writeHash(_ h: HashObject) {
        if h.isListpack {
            var lp = Listpack.Builder()
            h.forEach { f, v in
                lp.append(f)
                lp.append(v)
            }
            writeString(lp.finish())
        } else {
            writeLength(UInt64(h.count))
            h.forEach { f, v in
                writeString(f)
                writeString(v)
            }
        }
    }

    /// SET_INTSET (the intset as a string) or SET (count, then members).
    mutating func writeSet(_ s: SetObject) {
        if s.isIntset {
            writeString(Intset.encode(Array(s.ints)))
        } else {
            writeLength(UInt64(s.count))
            s.forEach { writeString($0) }
        }
    }

    /// ZSET_LISTPACK (member, score-as-d2string, ... ascending) or ZSET_2 (count, then member and binary
    /// double, written from the highest score down as Redis does, so loading inserts at the head).
    mutating func writeZSet(_ z: SortedSetObject) {
        if z.isListpack {
            var lp = Listpack.Builder()
            z.forEach(in: 0..<z.count) { m, s in
                lp.append(m)
                lp.append(Numbers.formatDoubleCompact(s))
            }
            writeString(lp.finish())
        } else {
            writeLength(UInt64(z.count))
            z.forEach(in: 0..<z.count, reverse: true) { m, s in
                writeString(m)
                appendLE(s.bitPattern, width: 8)
            }
        }
    }
}
