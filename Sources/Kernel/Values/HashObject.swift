/// A hash value (Redis's `OBJ_HASH`): field → value, both binary-safe.
///
/// Two encodings, as in Redis 7.0:
/// - `listpack`: fields and values alternating in one `PackedPairs` buffer, in insertion order (an update keeps the
///   field's place), so HGETALL, HSCAN and HRANDFIELD list fields in the same order Redis does. Lookups are
///   linear, which is fine at the sizes `hash-max-listpack-entries` allows.
/// - `hashtable`: a `KeyTable`, whose reverse-binary `scan` keeps HSCAN cursors valid while the table grows.
///
/// The object converts up (listpack → hashtable) when a threshold is exceeded and never back. It knows nothing
/// of the configuration: callers pass the thresholds in.
public final class HashObject: RedisObject {
    /// A field and its value.
    public typealias Pair = (field: RBytes, value: RBytes)

    /// Fields and values, alternating, while listpack-encoded; once converted, its block is a `TableBox` of the
    /// table (the object's only stored word).
    @usableFromInline var packed = PackedPairs()

    typealias Box = TableBox<KeyTable<RBytes>>

    /// The table once hashtable-encoded (a copy of the boxed value: mutate through `tablePointer`).
    @usableFromInline var table: KeyTable<RBytes>? { isListpack ? nil : tablePointer.pointee }

    /// The boxed table (hashtable encoding only).
    var tablePointer: UnsafeMutablePointer<KeyTable<RBytes>> { Box.pointer(packed.block!) }

    public override init() {}

    /// A listpack hash over `block` (a `PackedValue`'s), which it now owns.
    init(adopting block: UnsafeMutableRawPointer) {
        super.init()
        packed.block = block
    }

    /// Takes `block` as its content (an emptied object from the pool).
    func adopt(_ block: UnsafeMutableRawPointer) { packed.block = block }

    public override func detachPacked() -> PackedValue? {
        guard isListpack, let b = packed.block else { return nil }
        packed.block = nil
        return PackedValue(block: b, kind: .hash)
    }

    deinit {
        if isListpack { packed.release() } else { Box.destroy(packed.block!) }
    }

    public override var typeName: String { "hash" }
    public override var encodingName: String { isListpack ? "listpack" : "hashtable" }

    public override func copy() -> RedisObject {
        let h = HashObject()
        if let table { h.packed.block = Box.make(table) } else { h.packed = packed.copy() }
        return h
    }

    /// Whether the compact (listpack) encoding is in use.
    public var isListpack: Bool { !Box.isBox(packed.block) }

    /// Number of fields.
    public var count: Int { isListpack ? packed.count / 2 : tablePointer.pointee.count }

    /// Offset of `field`'s entry in the listpack (its value is the next entry).
    @inline(__always)
    func listpackOffset(_ field: RBytes) -> Int? {
        packed.firstOffset(of: field, stride: 2)
    }


    /// The value of `field`, if present.
    public func get(_ field: RBytes) -> RBytes? {
        if let table { return table[field] }
        return listpackOffset(field).map { packed.string(at: packed.offset(after: $0)) }
    }

    /// Whether `field` is present.
    public func contains(_ field: RBytes) -> Bool {
        if let table { return table.find(field) != nil }
        return listpackOffset(field) != nil
    }

    /// Switches to the hashtable encoding (no-op if already there).
    public func convertToTable() {
        guard isListpack else { return }
        var t = KeyTable<RBytes>()
        t.reserve(count)
        forEach { t.insertNew($0, $1) }
        packed.removeAll()
        packed.block = Box.make(t)
    }

    /// Sets `field` to `value`; true if the field is new. A listpack hash converts first if either string is
    /// longer than `maxValue`, and afterwards if it holds more than `maxEntries` fields (Redis's `hashTypeSet`).
    @discardableResult
    public func set(_ field: RBytes, _ value: RBytes, maxEntries: Int, maxValue: Int) -> Bool {
        if isListpack && (field.count > maxValue || value.count > maxValue) { convertToTable() }
        if !isListpack {
            let t = tablePointer
            if let slot = t.pointee.find(field) {
                t.pointee.setValue(value, at: slot)
                return false
            }
            t.pointee.insertNew(field, value)
            return true
        }
        var created = false
        if let o = listpackOffset(field) {
            packed.replace(at: packed.offset(after: o), with: value)
        } else {
            packed.append(field)
            packed.append(value)
            created = true
        }
        // Checked after an update too, so a threshold lowered by CONFIG SET applies at the next write.
        if count > maxEntries { convertToTable() }
        return created
    }

    /// Removes `field`; true if it was present.
    @discardableResult
    public func remove(_ field: RBytes) -> Bool {
        if !isListpack { return tablePointer.pointee.remove(field) != nil }
        guard let o = listpackOffset(field) else { return false }
        packed.remove(at: o, entries: 2)
        return true
    }

    /// Calls `body` for every pair, in storage order (insertion order for listpack).
    public func forEach(_ body: (RBytes, RBytes) -> Void) {
        if let table {
            table.forEachSlot { body(table.key(at: $0), table.value(at: $0)) }
        } else {
            forEachPacked(body)
        }
    }

    private func forEachPacked(_ body: (RBytes, RBytes) -> Void) {
        var o = packed.startOffset
        let end = packed.endOffset
        while o < end {
            let v = packed.offset(after: o)
            let next = packed.offset(after: v)
            body(packed.string(at: o), packed.string(at: v))
            o = next
        }
    }

    /// The pair at listpack position `index` (0 ..< count).
    private func packedPair(_ index: Int) -> Pair {
        var o = packed.startOffset
        for _ in 0..<(2 * index) { o = packed.offset(after: o) }
        return (packed.string(at: o), packed.string(at: packed.offset(after: o)))
    }

    /// A uniformly random pair. The hash must not be empty.
    public func randomPair() -> Pair {
        if let table, let slot = table.randomSlot() { return (table.key(at: slot), table.value(at: slot)) }
        return packedPair(FastRandom.int(in: 0..<count))
    }

    /// `n` distinct random pairs, `0 < n < count`. A listpack hash returns them in storage order, as Redis's
    /// `lpRandomPairsUnique` does; a hashtable in no particular order.
    public func randomDistinctPairs(_ n: Int) -> [Pair] {
        guard let table else {
            // Selection sampling (Knuth's algorithm S): each position kept with probability needed/left.
            var out: [Pair] = []
            out.reserveCapacity(n)
            var needed = n
            var i = 0
            let total = count
            forEachPacked { f, v in
                if needed > 0 && FastRandom.int(in: 0..<(total - i)) < needed {
                    out.append((f, v))
                    needed -= 1
                }
                i += 1
            }
            return out
        }
        return RandomPick.distinctSlots(n, of: table).map { (table.key(at: $0), table.value(at: $0)) }
    }

    /// Visits the pairs of the hashtable bucket(s) named by `cursor` and returns the next cursor (0 when done).
    /// A listpack hash has no buckets: it visits everything and returns 0, as Redis does.
    public func scan(cursor: UInt64, _ visit: (RBytes, RBytes) -> Void) -> UInt64 {
        guard let table else {
            forEachPacked(visit)
            return 0
        }
        return table.scan(cursor: cursor) { visit(table.key(at: $0), table.value(at: $0)) }
    }
}
