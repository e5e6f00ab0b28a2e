/// A set value (Redis's `OBJ_SET`): distinct binary-safe members.
///
/// Two encodings, as in Redis 7.0 (which has no set listpack):
/// - `intset`: sorted integers at the narrowest width that fits (`PackedInts`, Redis's intset layout), used
///   while every member is the canonical decimal form of an integer and there are at most
///   `set-max-intset-entries` of them. Iteration is ascending numeric order, the
///   order Redis replies intset members in.
/// - `hashtable`: a `KeyTable` of members, whose reverse-binary `scan` keeps SSCAN cursors valid while it grows.
///
/// The object converts up (intset → hashtable) and never back. Callers pass the threshold in.
public final class SetObject: RedisObject {
    /// The members while intset-encoded, ascending; once converted, its block is a `TableBox` of the table (the
    /// object's only stored word).
    var ints = PackedInts()

    typealias Box = TableBox<KeyTable<Void>>

    /// The members once hashtable-encoded (a copy of the boxed value: mutate through `tablePointer`).
    @usableFromInline var table: KeyTable<Void>? { isIntset ? nil : tablePointer.pointee }

    /// The boxed table (hashtable encoding only).
    var tablePointer: UnsafeMutablePointer<KeyTable<Void>> { Box.pointer(ints.block!) }

    public override init() {}

    /// An intset over `block` (a `PackedValue`'s), which it now owns.
    init(adopting block: UnsafeMutableRawPointer) {
        super.init()
        ints.block = block
    }

    /// Takes `block` as its content (an emptied object from the pool).
    func adopt(_ block: UnsafeMutableRawPointer) { ints.block = block }

    public override func detachPacked() -> PackedValue? {
        guard isIntset, let b = ints.block else { return nil }
        ints.block = nil
        return PackedValue(block: b, kind: .intset)
    }

    deinit {
        if isIntset { ints.release() } else { Box.destroy(ints.block!) }
    }

    public override var typeName: String { "set" }
    public override var encodingName: String { isIntset ? "intset" : "hashtable" }

    public override func copy() -> RedisObject {
        let s = SetObject()
        if let table { s.ints.block = Box.make(table) } else { s.ints = ints.copy() }
        return s
    }

    /// Whether the compact (intset) encoding is in use.
    public var isIntset: Bool { !Box.isBox(ints.block) }

    /// Number of members.
    public var count: Int { isIntset ? ints.count : tablePointer.pointee.count }

    /// Position of `v` in `ints`, or where it would be inserted.
    @inline(__always)
    func intsetPosition(_ v: Int64) -> (index: Int, found: Bool) {
        ints.position(of: v)
    }

    /// Whether `member` is in the set.
    public func contains(_ member: RBytes) -> Bool {
        if let table { return table.find(member) != nil }
        guard let v = Numbers.parseInt64(member) else { return false }
        return intsetPosition(v).found
    }

    /// Switches to the hashtable encoding (no-op if already there).
    public func convertToTable() {
        guard isIntset else { return }
        var t = KeyTable<Void>()
        t.reserve(ints.count)
        for v in ints { t.insertNew(Numbers.format(v), ()) }
        ints.removeAll()
        ints.block = Box.make(t)
    }

    /// Adds `member`; true if it was not there. An intset converts when given a non-integer member, or once it
    /// holds more than `maxIntsetEntries` members (Redis's `setTypeAdd`).
    @discardableResult
    public func add(_ member: RBytes, maxIntsetEntries: Int) -> Bool {
        if isIntset {
            if let v = Numbers.parseInt64(member) {
                let (i, found) = intsetPosition(v)
                if found { return false }
                ints.insert(v, at: i)
                // Redis caps the intset at 2^30 entries whatever the setting; ours converts one short of that, so
                // the count fits `PackedInts`' 30-bit header field.
                if ints.count > min(maxIntsetEntries, (1 << 30) - 2) { convertToTable() }
                return true
            }
            convertToTable()
        }
        let t = tablePointer
        if t.pointee.find(member) != nil { return false }
        t.pointee.insertNew(member, ())
        return true
    }

    /// Removes `member`; true if it was there.
    @discardableResult
    public func remove(_ member: RBytes) -> Bool {
        if !isIntset { return tablePointer.pointee.remove(member) != nil }
        guard let v = Numbers.parseInt64(member) else { return false }
        let (i, found) = intsetPosition(v)
        if found { ints.remove(at: i) }
        return found
    }

    /// Calls `body` for every member, in storage order (ascending for an intset).
    public func forEach(_ body: (RBytes) -> Void) {
        if let table {
            table.forEachSlot { body(table.key(at: $0)) }
        } else {
            for v in ints { body(Numbers.format(v)) }
        }
    }

    /// Every member, in storage order.
    public var members: [RBytes] {
        var out: [RBytes] = []
        out.reserveCapacity(count)
        forEach { out.append($0) }
        return out
    }

    /// A uniformly random member. The set must not be empty.
    public func randomMember() -> RBytes {
        if let table, let slot = table.randomSlot() { return table.key(at: slot) }
        return Numbers.format(ints[FastRandom.int(in: 0..<ints.count)])
    }

    /// Removes and returns a uniformly random member. The set must not be empty.
    public func popRandom() -> RBytes {
        if !isIntset, let slot = tablePointer.pointee.randomSlot() {
            let m = tablePointer.pointee.key(at: slot)
            tablePointer.pointee.remove(m)
            return m
        }
        return Numbers.format(ints.remove(at: FastRandom.int(in: 0..<ints.count)))
    }

    /// `n` distinct random members (`0 < n < count`), in random order.
    public func randomDistinctMembers(_ n: Int) -> [RBytes] {
        if let table { return RandomPick.distinctSlots(n, of: table).map { table.key(at: $0) } }
        var rng = FastRandom()
        if n * 3 > ints.count { return ints.shuffled(using: &rng).prefix(n).map { Numbers.format($0) } }
        var seen = Set<Int>(minimumCapacity: n)
        var out: [RBytes] = []
        out.reserveCapacity(n)
        while out.count < n {
            let i = FastRandom.int(in: 0..<ints.count)
            if seen.insert(i).inserted { out.append(Numbers.format(ints[i])) }
        }
        return out
    }

    /// Visits the members of the hashtable bucket(s) named by `cursor` and returns the next cursor (0 when done).
    /// An intset has no buckets: it visits everything and returns 0, as Redis does.
    public func scan(cursor: UInt64, _ visit: (RBytes) -> Void) -> UInt64 {
        guard let table else {
            for v in ints { visit(Numbers.format(v)) }
            return 0
        }
        return table.scan(cursor: cursor) { visit(table.key(at: $0)) }
    }
}
