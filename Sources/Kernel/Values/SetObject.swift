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
    /// The members while intset-encoded, ascending (empty once converted). Its storage is never written in
    /// place, so a copy shares it safely.
    var ints = PackedInts()
    /// The members once hashtable-encoded.
    @usableFromInline var table: KeyTable<Void>?

    public override init() {}

    public override var typeName: String { "set" }
    public override var encodingName: String { table == nil ? "intset" : "hashtable" }

    public override func copy() -> RedisObject {
        let s = SetObject()
        s.ints = ints
        s.table = table
        return s
    }

    /// Whether the compact (intset) encoding is in use.
    public var isIntset: Bool { table == nil }

    /// Number of members.
    public var count: Int { table?.count ?? ints.count }

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
        guard table == nil else { return }
        var t = KeyTable<Void>()
        t.reserve(ints.count)
        for v in ints { t.insertNew(Numbers.format(v), ()) }
        ints.removeAll()
        table = t
    }

    /// Adds `member`; true if it was not there. An intset converts when given a non-integer member, or once it
    /// holds more than `maxIntsetEntries` members (Redis's `setTypeAdd`).
    @discardableResult
    public func add(_ member: RBytes, maxIntsetEntries: Int) -> Bool {
        if table == nil {
            if let v = Numbers.parseInt64(member) {
                let (i, found) = intsetPosition(v)
                if found { return false }
                ints.insert(v, at: i)
                // Redis caps the intset at 2^30 entries whatever the setting.
                if ints.count > min(maxIntsetEntries, 1 << 30) { convertToTable() }
                return true
            }
            convertToTable()
        }
        if table!.find(member) != nil { return false }
        table!.insertNew(member, ())
        return true
    }

    /// Removes `member`; true if it was there.
    @discardableResult
    public func remove(_ member: RBytes) -> Bool {
        if table != nil { return table!.remove(member) != nil }
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
        if table != nil, let slot = table!.randomSlot() {
            let m = table!.key(at: slot)
            table!.remove(m)
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
