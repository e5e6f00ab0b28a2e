/// One node of a stream: a listpack laid out byte for byte as Redis 7.0's `t_stream.c` lays it out, keyed by its
/// master ID (the ID of the first entry ever added to it).
///
/// Layout: the master entry `count deleted num-fields field... 0`, then per entry
/// `flags ms-diff seq-diff [num-fields field value ...| value ...] lp-count`. Flag 1 marks a deleted entry,
/// flag 2 an entry whose fields are the master's (only values are stored). Keeping Redis's bytes makes node
/// fullness (`stream-node-max-bytes`), approximate trimming, RDB nodes and DUMP payloads equal to Redis's.
public struct StreamNode {
    public var master: StreamID
    public var lp: [UInt8]

    public init(master: StreamID, lp: [UInt8]) {
        self.master = master
        self.lp = lp
    }

    static let flagDeleted: Int64 = 1
    static let flagSameFields: Int64 = 2

    /// A position of one entry inside the node.
    public struct EntryRef {
        public var id: StreamID
        public var flags: Int64
        /// Offset of the flags element.
        public var at: Int
        /// Offset of the first element after the seq-diff (num-fields or the first value).
        public var body: Int
        public var isDeleted: Bool { flags & StreamNode.flagDeleted != 0 }
    }

    // MARK: Listpack primitives

    /// Decodes the element at `i`: an integer, or a string's byte range; and the offset of the next element.
    @inline(__always)
    static func read(_ lp: [UInt8], _ i: Int) -> (int: Int64?, str: Range<Int>, next: Int) {
        let b = lp[i]
        var int: Int64? = nil
        var str = 0..<0
        var len: Int
        if b & 0x80 == 0 {
            int = Int64(b); len = 1
        } else if b & 0xC0 == 0x80 {
            let n = Int(b & 0x3F); str = (i + 1)..<(i + 1 + n); len = 1 + n
        } else if b & 0xE0 == 0xC0 {
            let u = UInt16(b & 0x1F) << 8 | UInt16(lp[i + 1])
            int = Int64(Int16(bitPattern: u << 3) >> 3); len = 2
        } else if b & 0xF0 == 0xE0 {
            let n = Int(b & 0x0F) << 8 | Int(lp[i + 1]); str = (i + 2)..<(i + 2 + n); len = 2 + n
        } else {
            func le(_ w: Int) -> UInt64 {
                var v: UInt64 = 0
                for k in 0..<w { v |= UInt64(lp[i + 1 + k]) << (8 * k) }
                return v
            }
            switch b {
            case 0xF0:
                let n = Int(le(4)); str = (i + 5)..<(i + 5 + n); len = 5 + n
            case 0xF1: int = Int64(Int16(truncatingIfNeeded: le(2))); len = 3
            case 0xF2: int = Int64(Int32(bitPattern: UInt32(le(3)) << 8) >> 8); len = 4
            case 0xF3: int = Int64(Int32(truncatingIfNeeded: le(4))); len = 5
            default: int = Int64(bitPattern: le(8)); len = 9
            }
        }
        return (int, str, i + len + Listpack.backlenSize(len))
    }

    /// The element at `i` as an integer (strings are parsed; 0 when not a number).
    @inline(__always)
    static func int(_ lp: [UInt8], _ i: Int) -> (Int64, next: Int) {
        let e = read(lp, i)
        if let v = e.int { return (v, e.next) }
        return (Numbers.parseInt64(RBytes(bytes: lp[e.str])) ?? 0, e.next)
    }

    /// The element at `i` as bytes (integers as decimal text).
    @inline(__always)
    static func bytes(_ lp: [UInt8], _ i: Int) -> (RBytes, next: Int) {
        let e = read(lp, i)
        if let v = e.int { return (Numbers.format(v), e.next) }
        return (lp.withUnsafeBytes { RBytes(UnsafeRawBufferPointer(rebasing: $0[e.str])) }, e.next)
    }

    /// An empty listpack (header and terminator).
    static func emptyListpack() -> [UInt8] { [7, 0, 0, 0, 0, 0, 0xFF] }

    /// Rewrites the total-bytes header.
    static func setTotal(_ lp: inout [UInt8]) {
        let t = UInt32(truncatingIfNeeded: lp.count)
        for k in 0..<4 { lp[k] = UInt8(truncatingIfNeeded: t >> (8 * k)) }
    }

    /// Appends an integer element (encoding + backlen) at the end of `lp`, whose terminator the caller removed.
    @inline(__always)
    static func pushInt(_ v: Int64, _ lp: inout [UInt8]) {
        let start = lp.count
        Listpack.encodeInt(v, into: &lp)
        Listpack.appendBacklen(lp.count - start, into: &lp)
    }

    /// Appends a string element — as an integer when it is one, as Redis's `lpAppend` stores it — at the end of
    /// `lp`, whose terminator the caller removed.
    @inline(__always)
    static func pushBytes(_ s: RBytes, _ lp: inout [UInt8]) {
        let start = lp.count
        s.withUnsafeBytes { p in
            if p.count <= 20, let v = Numbers.parseInt64(p) {
                Listpack.encodeInt(v, into: &lp)
            } else {
                Listpack.encodeString(p, into: &lp)
            }
        }
        Listpack.appendBacklen(lp.count - start, into: &lp)
    }

    /// Restores the terminator after `added` elements were pushed, and updates the total-bytes and element-count
    /// headers (the count saturates at 65535, "unknown", as in Redis).
    @inline(__always)
    static func finishAppend(_ lp: inout [UInt8], added: Int) {
        lp.append(0xFF)
        setTotal(&lp)
        let n = Int(lp[4]) | Int(lp[5]) << 8
        if n != 65535 {
            let m = min(n + added, 65535)
            lp[4] = UInt8(m & 0xFF)
            lp[5] = UInt8(m >> 8)
        }
    }

    static func encodeInt(_ v: Int64) -> [UInt8] {
        var e: [UInt8] = []
        Listpack.encodeInt(v, into: &e)
        Listpack.appendBacklen(e.count, into: &e)
        return e
    }

    /// Replaces the integer element at `i` (Redis's `lpReplaceInteger`); returns the size change.
    @discardableResult
    static func replaceInt(_ lp: inout [UInt8], at i: Int, _ v: Int64) -> Int {
        // A 7-bit integer replacing a 7-bit integer (counters, flags): one byte, backlen unchanged.
        if v >= 0 && v <= 127 && lp[i] & 0x80 == 0 {
            lp[i] = UInt8(v)
            return 0
        }
        let old = read(lp, i).next
        let new = encodeInt(v)
        lp.replaceSubrange(i..<old, with: new)
        setTotal(&lp)
        return new.count - (old - i)
    }

    // MARK: Node structure

    /// Live entries (master entry's first field).
    public var liveCount: Int64 { Self.int(lp, 6).0 }

    /// Entries marked deleted.
    public var deletedCount: Int64 { Self.int(lp, Self.read(lp, 6).next).0 }

    /// The master fields and the offset of the first entry.
    func masterFields() -> (fields: [RBytes], entriesAt: Int) {
        var p = Self.read(lp, 6).next          // skip count
        p = Self.read(lp, p).next              // skip deleted
        let (n, afterN) = Self.int(lp, p)
        p = afterN
        var fields: [RBytes] = []
        fields.reserveCapacity(Int(n))
        for _ in 0..<n {
            let (f, next) = Self.bytes(lp, p)
            fields.append(f)
            p = next
        }
        return (fields, Self.read(lp, p).next)  // skip the 0 terminator
    }

    /// Offset of the first entry (after the master entry).
    func entriesStart() -> (masterFieldCount: Int64, at: Int) {
        var p = Self.read(lp, 6).next
        p = Self.read(lp, p).next
        let (n, afterN) = Self.int(lp, p)
        p = afterN
        for _ in 0..<n { p = Self.read(lp, p).next }
        return (n, Self.read(lp, p).next)
    }

    /// Every entry of the node (deleted ones included), in ID order.
    public func entries() -> [EntryRef] {
        var out: [EntryRef] = []
        forEachEntry { out.append($0); return true }
        return out
    }

    /// Visits the entries in order until `body` returns false.
    public func forEachEntry(_ body: (EntryRef) -> Bool) {
        let (masterCount, start) = entriesStart()
        var p = start
        while lp[p] != 0xFF {
            let at = p
            let (flags, a) = Self.int(lp, p)
            let (msd, b) = Self.int(lp, a)
            let (seqd, c) = Self.int(lp, b)
            let id = StreamID(ms: master.ms &+ UInt64(bitPattern: msd), seq: master.seq &+ UInt64(bitPattern: seqd))
            p = c
            var skip: Int64
            if flags & Self.flagSameFields != 0 {
                skip = masterCount
            } else {
                let (n, d) = Self.int(lp, p)
                p = d
                skip = n * 2
            }
            while skip > 0 { p = Self.read(lp, p).next; skip -= 1 }
            p = Self.read(lp, p).next  // lp-count
            if !body(EntryRef(id: id, flags: flags, at: at, body: c)) { return }
        }
    }

    /// The master entry's field names (what SAMEFIELDS entries use), for callers reading many entries of a node.
    public var masterFieldNames: [RBytes] { masterFields().fields }

    /// The field/value pairs of an entry; `master` may pass the node's `masterFieldNames` already read.
    public func fields(of e: EntryRef, master knownMaster: [RBytes]? = nil) -> [(RBytes, RBytes)] {
        var out: [(RBytes, RBytes)] = []
        var p = e.body
        if e.flags & Self.flagSameFields != 0 {
            let master = knownMaster ?? masterFields().fields
            out.reserveCapacity(master.count)
            for f in master {
                let (v, next) = Self.bytes(lp, p)
                out.append((f, v))
                p = next
            }
        } else {
            let (n, d) = Self.int(lp, p)
            p = d
            out.reserveCapacity(Int(n))
            for _ in 0..<n {
                let (f, a) = Self.bytes(lp, p)
                let (v, b) = Self.bytes(lp, a)
                out.append((f, v))
                p = b
            }
        }
        return out
    }

    /// The last entry's ID, deleted or not (Redis's `lpGetEdgeStreamID(lp, 0, ...)`).
    func lastEntryID() -> StreamID {
        var last = master
        forEachEntry { last = $0.id; return true }
        return last
    }

    /// Marks the entry at `e` deleted and updates the counters; false when it was the last live entry (the
    /// caller removes the node then).
    mutating func markDeleted(_ e: EntryRef) -> Bool {
        let live = liveCount
        if live == 1 { return false }
        Self.replaceInt(&lp, at: e.at, e.flags | Self.flagDeleted)
        Self.replaceInt(&lp, at: 6, live - 1)
        let delAt = Self.read(lp, 6).next
        Self.replaceInt(&lp, at: delAt, Self.int(lp, delAt).0 + 1)
        return true
    }

    /// A new node holding one entry (Redis creates the master entry from its fields).
    static func make(id: StreamID, fields: ArraySlice<RBytes>) -> StreamNode {
        var lp = emptyListpack()
        let n = fields.count / 2
        lp.removeLast()
        pushInt(1, &lp)
        pushInt(0, &lp)
        pushInt(Int64(n), &lp)
        var i = fields.startIndex
        while i < fields.endIndex {
            pushBytes(fields[i], &lp)
            i += 2
        }
        pushInt(0, &lp)
        finishAppend(&lp, added: n + 4)
        var node = StreamNode(master: id, lp: lp)
        node.appendEntry(id: id, fields: fields, sameFields: true)
        return node
    }

    /// Appends an entry's elements (the caller has bumped the live count when the node already existed), in place.
    mutating func appendEntry(id: StreamID, fields: ArraySlice<RBytes>, sameFields: Bool) {
        let n = Int64(fields.count / 2)
        lp.removeLast()
        Self.pushInt(sameFields ? Self.flagSameFields : 0, &lp)
        Self.pushInt(Int64(bitPattern: id.ms &- master.ms), &lp)
        Self.pushInt(Int64(bitPattern: id.seq &- master.seq), &lp)
        if !sameFields { Self.pushInt(n, &lp) }
        var i = fields.startIndex
        while i < fields.endIndex {
            if !sameFields { Self.pushBytes(fields[i], &lp) }
            Self.pushBytes(fields[i + 1], &lp)
            i += 2
        }
        let lpCount = sameFields ? n + 3 : n * 2 + 4
        Self.pushInt(lpCount, &lp)
        Self.finishAppend(&lp, added: Int(lpCount) + 1)
    }

    /// Adds one entry to this existing node: bumps the live count and compares the fields with the master's.
    mutating func add(id: StreamID, fields: ArraySlice<RBytes>) {
        Self.replaceInt(&lp, at: 6, liveCount + 1)
        appendEntry(id: id, fields: fields, sameFields: masterFieldsEqual(fields))
    }

    /// Whether the master entry's field names are the field names of `fields` (field, value, ...), in order,
    /// compared in place in the listpack.
    func masterFieldsEqual(_ fields: ArraySlice<RBytes>) -> Bool {
        var p = Self.read(lp, 6).next          // skip count
        p = Self.read(lp, p).next              // skip deleted
        let (n, afterN) = Self.int(lp, p)
        guard n == Int64(fields.count / 2) else { return false }
        p = afterN
        var i = fields.startIndex
        while i < fields.endIndex {
            let e = Self.read(lp, p)
            let same: Bool = fields[i].withUnsafeBytes { f in
                if let v = e.int {
                    // Stored as an integer: only its canonical decimal text was stored that way.
                    return f.count <= 20 && Numbers.parseInt64(f) == v
                }
                guard f.count == e.str.count else { return false }
                return lp.withUnsafeBytes { l in f.elementsEqual(UnsafeRawBufferPointer(rebasing: l[e.str])) }
            }
            if !same { return false }
            p = e.next
            i += 2
        }
        return true
    }
}
