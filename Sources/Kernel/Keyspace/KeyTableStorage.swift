#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One slot's hash, chain link and key, side by side: 32 bytes, two to a cache line, so a chain step reads the
/// hash, the key and the next link from one line (with four parallel arrays it touched three).
@usableFromInline
struct KeyTableSlot {
    @usableFromInline var hash: UInt32
    /// The next slot of the chain (or of the free list), + 1; 0 ends it.
    @usableFromInline var link: Int32
    @usableFromInline var key: RBytes

    @inlinable
    init(hash: UInt32, link: Int32, key: RBytes) {
        self.hash = hash
        self.link = link
        self.key = key
    }
}

/// The storage of a `KeyTable`: the entry slab (two C arrays grown with `realloc`: `slots` holding each slot's
/// hash, chain link and key, and `values`) and one bucket array, or two while a resize moves chains from `b0` to
/// `b1` one bucket at a time.
///
/// Chains are linked through the slots' `link`; heads and links hold slot + 1 (0 ends a chain), so a fresh `calloc`ed
/// bucket array is empty without being written. During a rehash an entry whose `b0` index is below `rehashIdx`
/// is in `b1`, every other one in `b0` (inserts follow the same rule), so a lookup walks exactly one chain.
/// Free slots form a list through `link` too. The stored types must be bitwise movable (every Swift type on
/// Linux is), since `realloc` moves them.
@usableFromInline
final class KeyTableStorage<Value> {
    @usableFromInline var slots: UnsafeMutablePointer<KeyTableSlot>
    @usableFromInline var values: UnsafeMutablePointer<Value?>
    /// Initialized slots (used or free).
    @usableFromInline var used = 0
    @usableFromInline var count = 0
    @usableFromInline var b0: UnsafeMutablePointer<Int32>?
    @usableFromInline var n0 = 0
    @usableFromInline var b1: UnsafeMutablePointer<Int32>?
    @usableFromInline var n1 = 0
    // The small fields last, where they share two words (an instance is 101 bytes, a 112-byte malloc chunk:
    // every hashtable-encoded hash, set and sorted set has one). Slots and buckets are numbered in 32 bits anyway
    // (chain links are `Int32`).
    @usableFromInline var capacity32: Int32 = 0
    @usableFromInline var rehashIdx32: Int32 = -1
    /// Head of the free-slot list (slot + 1; 0 when empty).
    @usableFromInline var freeHead: Int32 = 0
    var compactionSuspended = false

    /// Slots allocated in the slab.
    @inlinable var capacity: Int {
        get { Int(capacity32) }
        set { capacity32 = Int32(newValue) }
    }

    /// The next `b0` bucket to move, or -1 when no rehash runs.
    @inlinable var rehashIdx: Int {
        get { Int(rehashIdx32) }
        set { rehashIdx32 = Int32(truncatingIfNeeded: newValue) }
    }

    /// The bucket-selecting hash of `key` (the 64-bit `KeyHash` folded to 32 bits).
    @inlinable
    static func hashOf(_ key: RBytes) -> UInt32 {
        let h = KeyHash.hash(key)
        return UInt32(truncatingIfNeeded: h ^ (h >> 32))
    }

    /// Slabs up to this many slots are compacted (renumbered) when sparse; larger ones keep free slots.
    static var compactLimit: Int { 8192 }

    @usableFromInline
    init() {
        slots = Self.raw(0)
        values = Self.raw(0)
    }

    deinit {
        // Free slots hold nil and an empty (inline) key: nothing to release there.
        if count > 0 {
            if Value.self == Entry.self { releasePackedEntries() }
            for i in 0..<used where values[i] != nil {
                (slots + i).deinitialize(count: 1)
                (values + i).deinitialize(count: 1)
            }
        }
        free(slots); free(values)
        free(b0); free(b1)
    }

    static func raw<T>(_ n: Int) -> UnsafeMutablePointer<T> {
        malloc(Swift.max(1, n * MemoryLayout<T>.stride))!.bindMemory(to: T.self, capacity: Swift.max(n, 1))
    }

    static func grow<T>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> UnsafeMutablePointer<T> {
        guard let q = realloc(p, n * MemoryLayout<T>.stride) else { fatalError("out of memory") }
        return q.bindMemory(to: T.self, capacity: n)
    }

    /// Bucket arrays from this many bytes up are freed on a background thread when a resize ends: releasing a
    /// large touched block is an `munmap` whose page freeing took ~2–4 ms for 32–64 MB (measured with the stall
    /// log, docs/RELIABILITY.md "Pauses"), a pause at the insert or delete that finished the rehash.
    static var backgroundFreeBytes: Int { 1 << 20 }

    /// Frees a bucket array no longer referenced (the old one after a resize).
    static func releaseBuckets(_ p: UnsafeMutablePointer<Int32>, _ n: Int) {
        if n * MemoryLayout<Int32>.stride < backgroundFreeBytes {
            free(p)
        } else {
            LargeBlockRelease.free(UnsafeMutableRawPointer(p))
        }
    }

    static func buckets(_ n: Int) -> UnsafeMutablePointer<Int32> {
        guard let p = calloc(n, MemoryLayout<Int32>.stride) else { fatalError("out of memory") }
        return p.bindMemory(to: Int32.self, capacity: n)
    }

    /// A deep copy (copy-on-write of a shared table).
    @usableFromInline
    func copy() -> KeyTableStorage {
        let c = KeyTableStorage()
        c.setCapacity(capacity)
        c.slots.initialize(from: slots, count: used)
        c.values.initialize(from: values, count: used)
        c.used = used
        c.count = count
        c.freeHead = freeHead
        if let b0 {
            c.b0 = Self.buckets(n0)
            c.b0!.update(from: b0, count: n0)
        }
        c.n0 = n0
        if let b1 {
            c.b1 = Self.buckets(n1)
            c.b1!.update(from: b1, count: n1)
        }
        c.n1 = n1
        c.rehashIdx = rehashIdx
        c.compactionSuspended = compactionSuspended
        if Value.self == Entry.self { c.duplicatePackedEntries() }
        return c
    }

    func setCapacity(_ n: Int) {
        slots = Self.grow(slots, n)
        values = Self.grow(values, n)
        capacity = n
    }

    /// Where the chain head for hash `h` lives.
    @inlinable
    func headPointer(_ h: UInt32) -> UnsafeMutablePointer<Int32> {
        let i0 = Int(h & UInt32(truncatingIfNeeded: n0 &- 1))
        if i0 < rehashIdx { return b1! + Int(h & UInt32(truncatingIfNeeded: n1 &- 1)) }
        return b0! + i0
    }

    @inlinable
    func find(_ key: RBytes, hash h: UInt32) -> Int? {
        var e = headPointer(h).pointee
        while e != 0 {
            let i = Int(e &- 1)
            let p = slots + i
            if p.pointee.hash == h && p.pointee.key == key { return i }
            e = p.pointee.link
        }
        return nil
    }

    func insert(_ key: RBytes, _ value: Value, hash h: UInt32) -> Int {
        if rehashIdx >= 0 {
            rehashStep(1)
            // Never reached with one step per insert (growth finishes before the next one is due); a bound anyway.
            if count >= 4 * Swift.max(n0, n1) { while rehashStep(1 << 20) {} }
        }
        if rehashIdx < 0 && count + 1 > n0 {
            if n0 == 0 {
                b0 = Self.buckets(4)
                n0 = 4
            } else {
                startRehash(to: n0 * 2)
            }
        }
        let slot: Int
        if freeHead != 0 {
            slot = Int(freeHead - 1)
            freeHead = slots[slot].link
            let head = headPointer(h)
            slots[slot] = KeyTableSlot(hash: h, link: head.pointee, key: key)
            head.pointee = Int32(slot + 1)
            values[slot] = value
        } else {
            if used == capacity { setCapacity(Self.grownCapacity(capacity)) }
            slot = used
            let head = headPointer(h)
            (slots + slot).initialize(to: KeyTableSlot(hash: h, link: head.pointee, key: key))
            head.pointee = Int32(slot + 1)
            (values + slot).initialize(to: value)
            used += 1
        }
        count += 1
        return slot
    }

    func remove(_ key: RBytes, hash h: UInt32) -> Value? {
        if rehashIdx >= 0 { rehashStep(1) }
        let head = headPointer(h)
        var prev: UnsafeMutablePointer<KeyTableSlot>? = nil
        var e = head.pointee
        while e != 0 {
            let i = Int(e &- 1)
            let q = slots + i
            if q.pointee.hash == h && q.pointee.key == key {
                if let prev { prev.pointee.link = q.pointee.link } else { head.pointee = q.pointee.link }
                let v = values[i]
                values[i] = nil
                q.pointee.key = RBytes()
                q.pointee.link = freeHead
                freeHead = Int32(i + 1)
                count -= 1
                // Redis's htNeedsResize: shrink below 1/8 full (Redis: 10%) to the smallest power of two >= count.
                if rehashIdx < 0 && n0 > 64 && count * 8 < n0 { startRehash(to: Self.sizeFor(count)) }
                return v
            }
            prev = q
            e = q.pointee.link
        }
        return nil
    }

    /// The slab's next capacity: powers of two and, below 64 slots, the midpoints between them (4, 6, 8, 12, 16,
    /// 24, 32, 48, 64, 128, ...), so a 10-member set holds 12 slots, not 16: the slab is most of a small
    /// collection's memory.
    static func grownCapacity(_ capacity: Int) -> Int {
        if capacity < 4 { return 4 }
        if capacity >= 64 { return capacity * 2 }
        return capacity & (capacity - 1) == 0 ? capacity + capacity / 2 : 1 << (Int.bitWidth - capacity.leadingZeroBitCount)
    }

    static func sizeFor(_ n: Int) -> Int {
        var size = 4
        while size < n { size *= 2 }
        return size
    }

    func startRehash(to n: Int) {
        b1 = Self.buckets(n)
        n1 = n
        rehashIdx = 0
    }

    /// Moves up to `n` non-empty chains (visiting at most 10·n empty buckets, as Redis); false when done.
    @discardableResult
    func rehashStep(_ n: Int) -> Bool {
        guard rehashIdx >= 0 else { return false }
        var emptyVisits = n * 10
        var moved = 0
        let m1 = UInt32(truncatingIfNeeded: n1 - 1)
        let b0 = self.b0!, b1 = self.b1!
        while moved < n && rehashIdx < n0 {
            var e = b0[rehashIdx]
            if e == 0 {
                rehashIdx += 1
                emptyVisits -= 1
                if emptyVisits == 0 { break }
                continue
            }
            while e != 0 {
                let i = Int(e - 1)
                let next = slots[i].link
                let b = Int(slots[i].hash & m1)
                slots[i].link = b1[b]
                b1[b] = e
                e = next
            }
            b0[rehashIdx] = 0
            rehashIdx += 1
            moved += 1
        }
        if rehashIdx >= n0 {
            Self.releaseBuckets(b0, n0)
            self.b0 = b1
            n0 = n1
            self.b1 = nil
            n1 = 0
            rehashIdx = -1
            return false
        }
        return true
    }

    func reserve(_ n: Int) {
        if capacity < n { setCapacity(n) }
        if n0 == 0 {
            let size = Self.sizeFor(n)
            b0 = Self.buckets(size)
            n0 = size
        } else if n > Swift.max(n0, n1) {
            while rehashStep(1 << 20) {}
            startRehash(to: Self.sizeFor(n))
            while rehashStep(1 << 20) {}
        }
    }

    func randomSlot() -> Int {
        // A dense slab: uniform sampling of slots.
        if count * 4 >= used {
            while true {
                let i = FastRandom.int(in: 0..<used)
                if values[i] != nil { return i }
            }
        }
        // A sparse slab (free slots kept after mass deletion): Redis's dictGetRandomKey over the buckets (both
        // arrays during a rehash, skipping the moved part of the old one), then a uniform pick in the chain.
        var head: Int32 = 0
        while head == 0 {
            if rehashIdx >= 0 {
                let r = rehashIdx + FastRandom.int(in: 0..<(n0 - rehashIdx + n1))
                head = r < n0 ? b0![r] : b1![r - n0]
            } else {
                head = b0![FastRandom.int(in: 0..<n0)]
            }
        }
        var len = 0
        var e = head
        while e != 0 { len += 1; e = slots[Int(e - 1)].link }
        e = head
        for _ in 0..<FastRandom.int(in: 0..<len) { e = slots[Int(e - 1)].link }
        return Int(e - 1)
    }

    func visitChain(_ head: Int32, _ visit: (Int) -> Void) {
        var e = head
        while e != 0 {
            let i = Int(e - 1)
            e = slots[i].link
            visit(i)
        }
    }

    /// Redis's `dictScan`: the bucket `cursor` names in the smaller array, then every bucket of the larger
    /// array that expands it; the reverse-binary increment makes the guarantee hold across resizes.
    func scan(cursor: UInt64, _ visit: (Int) -> Void) -> UInt64 {
        var v = cursor
        if rehashIdx < 0 {
            let m0 = UInt64(n0 - 1)
            visitChain(b0![Int(v & m0)], visit)
            v |= ~m0
            v = v.bitSwapped
            v &+= 1
            return v.bitSwapped
        }
        // The smaller and the larger array; moved buckets of b0 are empty.
        let (small, ns, large, nl) = n0 <= n1 ? (b0!, n0, b1!, n1) : (b1!, n1, b0!, n0)
        let m0 = UInt64(ns - 1), m1 = UInt64(nl - 1)
        visitChain(small[Int(v & m0)], visit)
        repeat {
            visitChain(large[Int(v & m1)], visit)
            v |= ~m1
            v = v.bitSwapped
            v &+= 1
            v = v.bitSwapped
        } while v & (m0 ^ m1) != 0
        return v
    }

    @inlinable
    func forEachSlot(_ body: (Int) throws -> Void) rethrows {
        for i in 0..<used where values[i] != nil { try body(i) }
    }

    var allocatedBytes: Int {
        capacity * (MemoryLayout<KeyTableSlot>.stride + MemoryLayout<Value?>.stride) + (n0 + n1) * 4
    }
}
