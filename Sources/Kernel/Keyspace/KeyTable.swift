/// The keyspace's hash table: keys to values, with Redis's guarantees that a Swift `Dictionary` cannot give.
///
/// - `scan(cursor:)` uses Redis's reverse-binary cursor over power-of-two bucket arrays, so every key present for
///   the whole iteration is returned at least once even if the table grows or shrinks between calls.
/// - `randomSlot()` samples in O(1) expected time (RANDOMKEY, eviction, the active expiry cycle).
///
/// Entries live in a slab of parallel arrays (key, value, chain link, hash) addressed by slot number; buckets
/// hold the head slot of their chain. Small keys are stored inline by `RBytes`, so an entry costs no heap
/// allocation of its own.
public struct KeyTable<Value> {
    @usableFromInline var buckets: [Int32] = []
    @usableFromInline var keys: [RBytes] = []
    @usableFromInline var values: [Value?] = []
    @usableFromInline var links: [Int32] = []
    @usableFromInline var hashes: [UInt32] = []
    @usableFromInline var freeHead: Int32 = -1
    /// Number of entries.
    public private(set) var count = 0
    /// While set, slots are never renumbered (no compaction on shrink): a running snapshot walks the slots.
    public var compactionSuspended = false

    public init() {}

    /// Number of slots, used or free: slot numbers are below this.
    @inlinable public var slotCount: Int { keys.count }

    @inlinable
    static func hashOf(_ key: RBytes) -> UInt32 {
        let h = key.hashValue
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// The slot holding `key`, if any.
    @inlinable
    public func find(_ key: RBytes) -> Int? {
        if count == 0 { return nil }
        let h = Self.hashOf(key)
        var s = buckets[Int(h & UInt32(buckets.count - 1))]
        while s >= 0 {
            let i = Int(s)
            if hashes[i] == h && keys[i] == key { return i }
            s = links[i]
        }
        return nil
    }

    @inlinable public func key(at slot: Int) -> RBytes { keys[slot] }
    @inlinable public func value(at slot: Int) -> Value { values[slot]! }
    @inlinable public func isUsed(_ slot: Int) -> Bool { values[slot] != nil }

    /// Replaces the value in an occupied slot.
    @inlinable
    public mutating func setValue(_ value: Value, at slot: Int) { values[slot] = value }

    /// Moves the value out of an occupied slot (so it can be mutated without a copy-on-write copy); put it back
    /// with `setValue(_:at:)`.
    @inlinable
    public mutating func takeValue(at slot: Int) -> Value {
        let v = values[slot]!
        values[slot] = nil
        return v
    }

    @inlinable
    public subscript(key: RBytes) -> Value? {
        get { find(key).map { values[$0]! } }
        set {
            if let v = newValue { upsert(key, v) } else { _ = remove(key) }
        }
    }

    /// Inserts or replaces; returns the slot.
    @discardableResult
    @inlinable
    public mutating func upsert(_ key: RBytes, _ value: Value) -> Int {
        if let s = find(key) {
            values[s] = value
            return s
        }
        return insertNew(key, value)
    }

    /// Inserts a key known to be absent; returns the slot.
    @discardableResult
    public mutating func insertNew(_ key: RBytes, _ value: Value) -> Int {
        insertNew(key, value, hash: Self.hashOf(key))
    }

    /// The slot of `key` (or nil) plus its hash, so an insert after a failed lookup hashes once.
    @inlinable
    public func findWithHash(_ key: RBytes) -> (slot: Int?, hash: UInt32) {
        let h = Self.hashOf(key)
        if count == 0 { return (nil, h) }
        var s = buckets[Int(h & UInt32(buckets.count - 1))]
        while s >= 0 {
            let i = Int(s)
            if hashes[i] == h && keys[i] == key { return (i, h) }
            s = links[i]
        }
        return (nil, h)
    }

    /// Inserts a key known to be absent, with its precomputed hash.
    @discardableResult
    public mutating func insertNew(_ key: RBytes, _ value: Value, hash h: UInt32) -> Int {
        if count + 1 > buckets.count { resize(to: Swift.max(4, buckets.count * 2)) }
        let slot: Int
        if freeHead >= 0 {
            slot = Int(freeHead)
            freeHead = links[slot]
            keys[slot] = key
            values[slot] = value
            hashes[slot] = h
        } else {
            slot = keys.count
            keys.append(key)
            values.append(value)
            hashes.append(h)
            links.append(-1)
        }
        let b = Int(h & UInt32(buckets.count - 1))
        links[slot] = buckets[b]
        buckets[b] = Int32(slot)
        count += 1
        return slot
    }

    /// Removes `key`; returns its value if it was present.
    @discardableResult
    public mutating func remove(_ key: RBytes) -> Value? {
        if count == 0 { return nil }
        let h = Self.hashOf(key)
        let b = Int(h & UInt32(buckets.count - 1))
        var prev: Int32 = -1
        var s = buckets[b]
        while s >= 0 {
            let i = Int(s)
            if hashes[i] == h && keys[i] == key {
                if prev < 0 { buckets[b] = links[i] } else { links[Int(prev)] = links[i] }
                let v = values[i]
                release(slot: i)
                return v
            }
            prev = s
            s = links[i]
        }
        return nil
    }

    private mutating func release(slot i: Int) {
        values[i] = nil
        keys[i] = RBytes()
        links[i] = freeHead
        freeHead = Int32(i)
        count -= 1
        if buckets.count > 64 && count * 8 < buckets.count && !compactionSuspended { compact() }
    }

    /// Removes every entry.
    public mutating func removeAll() { self = KeyTable() }

    /// Compacts now if the table became sparse while compaction was suspended.
    public mutating func compactIfSparse() {
        if buckets.count > 64 && count * 8 < buckets.count && !compactionSuspended { compact() }
    }

    private mutating func resize(to n: Int) {
        buckets = [Int32](repeating: -1, count: n)
        let mask = UInt32(n - 1)
        for i in 0..<keys.count where values[i] != nil {
            let b = Int(hashes[i] & mask)
            links[i] = buckets[b]
            buckets[b] = Int32(i)
        }
    }

    /// Rebuilds the slab without free slots and shrinks the bucket array.
    private mutating func compact() {
        var t = KeyTable()
        t.reserve(count)
        for i in 0..<keys.count where values[i] != nil { t.insertNew(keys[i], values[i]!) }
        self = t
    }

    /// Makes room for `n` entries without resizing.
    public mutating func reserve(_ n: Int) {
        keys.reserveCapacity(n)
        values.reserveCapacity(n)
        links.reserveCapacity(n)
        hashes.reserveCapacity(n)
        var size = Swift.max(4, buckets.count)
        while size < n { size *= 2 }
        if size != buckets.count { resize(to: size) }
    }

    /// A random occupied slot, or nil when empty.
    public func randomSlot() -> Int? {
        if count == 0 { return nil }
        let n = keys.count
        // The slab is kept at least 1/8 full by `compact`, so this terminates quickly on average.
        while true {
            let i = Int.random(in: 0..<n)
            if values[i] != nil { return i }
        }
    }

    /// Visits the entries of the bucket(s) named by `cursor` and returns the next cursor (0 when done).
    public func scan(cursor: UInt64, _ visit: (Int) -> Void) -> UInt64 {
        if count == 0 { return 0 }
        let mask = UInt64(buckets.count - 1)
        var s = buckets[Int(cursor & mask)]
        while s >= 0 {
            visit(Int(s))
            s = links[Int(s)]
        }
        // Reverse-binary increment of the masked cursor.
        var v = cursor | ~mask
        v = v.bitSwapped
        v &+= 1
        v = v.bitSwapped
        return v
    }

    /// Calls `body` for each occupied slot.
    @inlinable
    public func forEachSlot(_ body: (Int) throws -> Void) rethrows {
        for i in 0..<keys.count where values[i] != nil { try body(i) }
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
