#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The keyspace's hash table: keys to values, with Redis's guarantees that a Swift `Dictionary` cannot give.
///
/// - No stop-the-world resize: like Redis's dict, a resize (growth at load 1, shrink below 1/8) keeps two
///   bucket arrays and moves one bucket chain per insert/delete (`rehashStep`), plus whatever the server's cron
///   gives it (`rehash(forNanoseconds:)`, Redis's `activerehashing`). The entry slab grows with `realloc`, which
///   the C library does with `mremap` for large blocks (no copy), and new bucket arrays come from `calloc`
///   (zero pages on demand), so no operation touches every entry.
/// - `scan(cursor:)` uses Redis's reverse-binary cursor over power-of-two bucket arrays (both of them during a
///   rehash, as Redis's `dictScan`), so every key present for the whole iteration is returned at least once even
///   if the table grows or shrinks between calls.
/// - `randomSlot()` samples in O(1) expected time (RANDOMKEY, eviction, the active expiry cycle, SPOP).
///
/// Entries live in a slab of two parallel arrays (hash, chain link and key side by side; value) addressed by slot
/// number; buckets hold the head slot of their chain. Slot numbers never change during a rehash. Small keys are
/// stored inline by `RBytes`, so an entry costs no heap allocation of its own. Copies share storage until one is
/// mutated.
public struct KeyTable<Value> {
    @usableFromInline var s: KeyTableStorage<Value>?

    public init() {}

    /// Number of entries.
    @inlinable public var count: Int { s?.count ?? 0 }

    /// Number of slots, used or free: slot numbers are below this.
    @inlinable public var slotCount: Int { s?.used ?? 0 }

    /// Whether a resize is in progress (two bucket arrays).
    public var isRehashing: Bool { (s?.rehashIdx ?? -1) >= 0 }

    /// Number of buckets (of the table being rehashed into, during a rehash).
    public var bucketCount: Int {
        guard let s else { return 0 }
        return s.rehashIdx >= 0 ? s.n1 : s.n0
    }

    /// While set, slots are never renumbered (no compaction on shrink): a running snapshot walks the slots.
    public var compactionSuspended: Bool {
        get { s?.compactionSuspended ?? false }
        set {
            if s == nil { s = KeyTableStorage() }
            makeUnique()
            s!.compactionSuspended = newValue
        }
    }

    @inlinable
    static func hashOf(_ key: RBytes) -> UInt32 { KeyTableStorage<Value>.hashOf(key) }

    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&s) { s = s!.copy() }
    }

    /// The slot holding `key`, if any.
    @inlinable
    public func find(_ key: RBytes) -> Int? {
        guard let s, s.count != 0 else { return nil }
        return s.find(key, hash: Self.hashOf(key))
    }

    /// `find` for a table held in a class's stored property: the mutating (inout) access borrows the storage,
    /// where a read of the property retains it around the lookup and releases it after (issue 18). Changes
    /// nothing.
    @inlinable
    public mutating func findInPlace(_ key: RBytes) -> Int? {
        // `s!` in place, not `guard let s`: binding the storage to a local is a copy (a retain and a release).
        guard s != nil, s!.count != 0 else { return nil }
        return s!.find(key, hash: Self.hashOf(key))
    }

    /// The slot of `key` (or nil) plus its hash, so an insert after a failed lookup hashes once.
    @inlinable
    public func findWithHash(_ key: RBytes) -> (slot: Int?, hash: UInt32) {
        let h = Self.hashOf(key)
        guard let s, s.count != 0 else { return (nil, h) }
        return (s.find(key, hash: h), h)
    }

    /// `findWithHash` borrowing the storage in place (see `findInPlace`). Changes nothing.
    @inlinable
    public mutating func findWithHashInPlace(_ key: RBytes) -> (slot: Int?, hash: UInt32) {
        let h = Self.hashOf(key)
        guard s != nil, s!.count != 0 else { return (nil, h) }
        return (s!.find(key, hash: h), h)
    }

    @inlinable public func key(at slot: Int) -> RBytes { s!.slots[slot].key }
    @inlinable public func value(at slot: Int) -> Value { s!.values[slot]! }
    @inlinable public func isUsed(_ slot: Int) -> Bool { s!.values[slot] != nil }

    /// The value cells by slot (nil for a free slot); writes go in place.
    @inlinable
    public var values: SlotValues<Value> {
        get { SlotValues(base: s?.values) }
        _modify {
            makeUnique()
            var v = SlotValues(base: s?.values)
            yield &v
        }
    }

    /// Replaces the value in an occupied slot.
    @inlinable
    public mutating func setValue(_ value: Value, at slot: Int) {
        makeUnique()
        s!.values[slot] = value
    }

    /// Moves the value out of an occupied slot (so it can be mutated without a copy-on-write copy); put it back
    /// with `setValue(_:at:)`.
    @inlinable
    public mutating func takeValue(at slot: Int) -> Value {
        makeUnique()
        let v = s!.values[slot]!
        s!.values[slot] = nil
        return v
    }

    @inlinable
    public subscript(key: RBytes) -> Value? {
        get { find(key).map { s!.values[$0]! } }
        set {
            if let v = newValue { upsert(key, v) } else { _ = remove(key) }
        }
    }

    /// Inserts or replaces; returns the slot.
    @discardableResult
    @inlinable
    public mutating func upsert(_ key: RBytes, _ value: Value) -> Int {
        let (slot, h) = findWithHash(key)
        if let slot {
            makeUnique()
            s!.values[slot] = value
            return slot
        }
        return insertNew(key, value, hash: h)
    }

    /// Inserts a key known to be absent; returns the slot.
    @discardableResult
    public mutating func insertNew(_ key: RBytes, _ value: Value) -> Int {
        insertNew(key, value, hash: Self.hashOf(key))
    }

    /// Inserts a key known to be absent, with its precomputed hash.
    @discardableResult
    public mutating func insertNew(_ key: RBytes, _ value: Value, hash h: UInt32) -> Int {
        if s == nil { s = KeyTableStorage() } else { makeUnique() }
        return s!.insert(key, value, hash: h)
    }

    /// Removes `key`; returns its value if it was present.
    @discardableResult
    public mutating func remove(_ key: RBytes) -> Value? {
        guard s != nil, s!.count != 0 else { return nil }
        makeUnique()
        let v = s!.remove(key, hash: Self.hashOf(key))
        if v != nil { compactIfSparse() }
        return v
    }

    /// Removes every entry.
    public mutating func removeAll() { s = nil }

    /// Renumbers the slots without holes if the slab became sparse (small slabs only: the cost is bounded by
    /// `KeyTableStorage.compactLimit` entries; larger slabs keep their free slots for reuse), unless a snapshot
    /// walks the slots.
    public mutating func compactIfSparse() {
        guard let st = s, !st.compactionSuspended, st.used > 64, st.count * 8 < st.used,
              st.used <= KeyTableStorage<Value>.compactLimit else { return }
        var t = KeyTable()
        t.reserve(st.count)
        st.forEachSlot { t.insertNew(st.slots[$0].key, st.values[$0]!, hash: st.slots[$0].hash) }
        s = t.s
    }

    /// Makes room for `n` entries (slab and buckets); may finish a running rehash.
    public mutating func reserve(_ n: Int) {
        if s == nil { s = KeyTableStorage() } else { makeUnique() }
        s!.reserve(n)
    }

    /// Moves up to `buckets` non-empty bucket chains to the new bucket array; false when no rehash is running
    /// any more.
    @discardableResult
    public mutating func rehashStep(buckets: Int = 1) -> Bool {
        guard s != nil, s!.rehashIdx >= 0 else { return false }
        makeUnique()
        return s!.rehashStep(buckets)
    }

    /// Rehashes in steps of 100 buckets until done or `nanoseconds` have passed (Redis's `dictRehashMilliseconds`);
    /// returns whether work remains.
    @discardableResult
    public mutating func rehash(forNanoseconds budget: Int64) -> Bool {
        guard s != nil, s!.rehashIdx >= 0 else { return false }
        makeUnique()
        let start = Clock.monotonicNanoseconds()
        while s!.rehashStep(100) {
            if Clock.monotonicNanoseconds() &- start > budget { return true }
        }
        return false
    }

    /// A random occupied slot, or nil when empty.
    public func randomSlot() -> Int? {
        guard let s, s.count > 0 else { return nil }
        return s.randomSlot()
    }

    /// Visits the entries of the bucket(s) named by `cursor` and returns the next cursor (0 when done).
    public func scan(cursor: UInt64, _ visit: (Int) -> Void) -> UInt64 {
        guard let s, s.count > 0 else { return 0 }
        return s.scan(cursor: cursor, visit)
    }

    /// Calls `body` for each occupied slot.
    @inlinable
    public func forEachSlot(_ body: (Int) throws -> Void) rethrows {
        guard let s else { return }
        try s.forEachSlot(body)
    }

    /// Heap bytes of the slab and bucket arrays (MEMORY USAGE, INFO memory estimates).
    public var allocatedBytes: Int { s?.allocatedBytes ?? 0 }
}

/// The value cells of a `KeyTable` by slot, written in place.
public struct SlotValues<Value> {
    @usableFromInline let base: UnsafeMutablePointer<Value?>?

    @inlinable init(base: UnsafeMutablePointer<Value?>?) { self.base = base }

    @inlinable
    public subscript(slot: Int) -> Value? {
        unsafeAddress { UnsafePointer(base! + slot) }
        mutating unsafeMutableAddress { base! + slot }
    }
}

extension UInt64 {
    @usableFromInline
    var bitSwapped: UInt64 {
        var v = self
        v = ((v >> 1) & 0x5555_5555_5555_5555) | ((v & 0x5555_5555_5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333_3333_3333) | ((v & 0x3333_3333_3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((v & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        return v.byteSwapped
    }
}
