#if canImport(Glibc)
import Glibc
#endif
import CMallocInfo

/// A small collection at rest in the keyspace without its Swift object: the packed block of a listpack hash, a
/// listpack sorted set or an intset, held by the keyspace entry itself (issue 18).
///
/// Why: a Swift object costs a 32-byte malloc chunk (16-byte header, one stored word) per key, against Redis's
/// 16-byte `robj`; for a 10-field hash that was the difference between 1.11× and under 1.0× Redis's memory. So
/// a compact collection lives in two forms:
/// - **at rest** (`Value.packed`): the entry holds the block and owns it. Only the keyspace sees this form:
///   `Database` hands out values through `get`, `value(at:)`, `entry(at:)` and `takeValue(at:)`, which first
///   *hydrate* the entry (wrap the block in its object again, `Value.object`), so commands only ever see objects.
///   Readers that walk the table without those calls (snapshots, AOF rewrite, digest, eviction, MEMORY) read the
///   block through a borrowed object (`withObject`).
/// - **in use** (`Value.object`): hydrated entries are noted (`Server.notePackable`); after each command, and
///   whenever enough are noted, each noted entry whose object is in a compact encoding and referenced by nothing
///   but the entry is *dehydrated* back (`Database.dehydrate(at:)`). An object someone still holds is left as it
///   is, so dehydrating is always safe and never changes what a command sees; it only decides the memory at rest.
///
/// Ownership: the block belongs to exactly one keyspace entry. The keyspace frees it when the entry is deleted or
/// overwritten (`Database.releaseValue`), and the key table frees the blocks of its entries when it is
/// destroyed (FLUSHALL, a replaced dataset, a table a snapshot or lazy free held) and duplicates them when it is
/// copied. A `PackedValue` copy held outside the keyspace is a borrowed view, valid until the entry changes.
public struct PackedValue {
    /// Which collection the block is the compact encoding of.
    public enum Kind: UInt8 {
        case hash, zset, intset
    }

    /// The block (owned by the entry): in the `PackedBlock` layout, or without its header words (*bare*) when
    /// `header` is not 0.
    let block: UnsafeMutableRawPointer
    /// A bare block's header words (never 0: a collection at rest is not empty), else 0. At rest a small intset
    /// drops its 4-byte header into the entry, which has room for it: 10 integers of 4 bytes then take a 48-byte
    /// malloc chunk instead of 64. It costs a copy (a malloc and a free) each way, so it is kept to intsets, where
    /// it decides whether a small set is above or below Redis's size; a listpack's 8 header bytes gained less in
    /// `bench/memory.py` than the two allocations per command cost.
    let header: UInt64
    public let kind: Kind

    init(block: UnsafeMutableRawPointer, kind: Kind, header: UInt64 = 0) {
        self.block = block
        self.kind = kind
        self.header = header
    }

    /// Blocks with at most this many payload bytes are kept bare at rest (moving a larger one at every command
    /// would cost more than its header saves).
    static let bareLimit = 256

    /// Header bytes of the block layout of `kind` (`PackedInts`: one word; `PackedEntries`: two).
    var headerBytes: Int { kind == .intset ? PackedInts.header : PackedBlock.headerBytes }

    /// Payload bytes described by the header words `h`.
    func payloadBytes(header h: UInt64) -> Int {
        let word0 = UInt32(truncatingIfNeeded: h)
        if kind == .intset { return Int(word0 & PackedInts.countMask) * PackedInts.width(word: word0) }
        return Int(word0)
    }

    /// The header words of a block in the full layout.
    var loadedHeader: UInt64 {
        kind == .intset ? UInt64(block.load(as: UInt32.self)) : block.load(as: UInt64.self)
    }

    /// The value at rest: a small block without its header (the old block is freed); others unchanged.
    func strippingHeader() -> PackedValue {
        guard header == 0, kind == .intset else { return self }
        let h = loadedHeader
        let n = payloadBytes(header: h)
        guard h != 0, n <= Self.bareLimit else { return self }
        guard let b = malloc(Swift.max(n, 1)) else { fatalError("out of memory") }
        b.copyMemory(from: block + headerBytes, byteCount: n)
        free(block)
        return PackedValue(block: b, kind: kind, header: h)
    }

    /// A new block in the full layout with the content of this bare one (which is left as it is).
    private func fullCopy() -> UnsafeMutableRawPointer {
        let hb = headerBytes
        let n = payloadBytes(header: header)
        let b = PackedBlock.allocate(capacity: n, header: hb)
        if hb == 4 { b.storeBytes(of: UInt32(truncatingIfNeeded: header), as: UInt32.self) } else {
            b.storeBytes(of: header, as: UInt64.self)
        }
        (b + hb).copyMemory(from: block, byteCount: n)
        return b
    }

    /// The value with its block in the full layout (a bare block is replaced and freed).
    func withHeader() -> PackedValue {
        guard header != 0 else { return self }
        let b = fullCopy()
        free(block)
        return PackedValue(block: b, kind: kind)
    }

    /// A new object owning the block (the caller stores it in the entry in place of this value).
    func hydrate() -> RedisObject {
        switch kind {
        case .hash: return HashObject(adopting: block)
        case .zset: return SortedSetObject(adopting: block)
        case .intset: return SetObject(adopting: block)
        }
    }

    /// An object owning the block (in the full layout), taken from `pool` when it has one of the kind.
    func hydrate(from pool: inout PackedObjectPool) -> RedisObject {
        if header != 0 { return withHeader().hydrate(from: &pool) }
        switch kind {
        case .hash:
            guard let o = pool.hashes.popLast() else { return HashObject(adopting: block) }
            o.adopt(block)
            return o
        case .zset:
            guard let o = pool.zsets.popLast() else { return SortedSetObject(adopting: block) }
            o.adopt(block)
            return o
        case .intset:
            guard let o = pool.sets.popLast() else { return SetObject(adopting: block) }
            o.adopt(block)
            return o
        }
    }

    /// Calls `body` with an object that borrows the block (or a full copy of a bare one), for reading only (it
    /// must not be mutated or kept).
    public func withObject<R>(_ body: (RedisObject) throws -> R) rethrows -> R {
        if header != 0 {
            let o = PackedValue(block: fullCopy(), kind: kind).hydrate()
            return try body(o)  // the object owns the copy and frees it
        }
        let o = hydrate()
        defer { _ = o.detachPacked() }
        return try body(o)
    }

    /// Where the block is (DEBUG OBJECT's `Value at:`).
    public var address: UnsafeMutableRawPointer { block }

    /// Bytes the allocator reserved for the block.
    var allocatedBytes: Int { malloc_usable_size(block) }

    /// Frees the block (the entry that owned it is gone).
    func release() { free(block) }

    /// A copy of the block, for a copied table.
    public func duplicate() -> PackedValue {
        let n = malloc_usable_size(block)
        guard let b = malloc(n) else { fatalError("out of memory") }
        b.copyMemory(from: block, byteCount: n)
        return PackedValue(block: b, kind: kind, header: header)
    }

    /// The name TYPE replies with.
    var typeName: String {
        switch kind {
        case .hash: return "hash"
        case .zset: return "zset"
        case .intset: return "set"
        }
    }

    /// The name OBJECT ENCODING replies with.
    var encodingName: String { kind == .intset ? "intset" : "listpack" }
}

/// Emptied collection objects kept for the next hydration, so that putting a small collection at rest after a
/// command and waking it for the next costs no allocation (a few of each kind: one command touches few keys).
struct PackedObjectPool {
    var hashes: [HashObject] = []
    var sets: [SetObject] = []
    var zsets: [SortedSetObject] = []
    static let limit = 16

    /// Keeps `o` (emptied by `detachPacked`, referenced by nothing else) if there is room.
    mutating func keep(_ o: RedisObject, kind: PackedValue.Kind) {
        switch kind {
        case .hash: if hashes.count < Self.limit { hashes.append(unsafeDowncast(o, to: HashObject.self)) }
        case .zset: if zsets.count < Self.limit { zsets.append(unsafeDowncast(o, to: SortedSetObject.self)) }
        case .intset: if sets.count < Self.limit { sets.append(unsafeDowncast(o, to: SetObject.self)) }
        }
    }
}

extension Value {
    /// Frees what the keyspace owns in a value it let go of (the block of a packed collection; nothing otherwise).
    @inline(__always)
    func releaseOwned() {
        if case .packed(let p) = self { p.release() }
    }

    /// The value as an object for reading: `body` gets the object itself, or one borrowing a packed block.
    public func withObject<R>(_ body: (RedisObject?) throws -> R) rethrows -> R {
        switch self {
        case .string: return try body(nil)
        case .object(let o): return try body(o)
        case .packed(let p): return try p.withObject(body)
        }
    }
}

extension Database {
    /// Wraps the packed block at `slot` in its object (the entry then holds `.object`) and notes the slot for
    /// dehydrating after the command; returns the entry's value.
    @inline(never)
    func hydrate(at slot: Int) -> Value {
        // A table shared with a copy (a walk holding `db.table`) is copied first: the block read below must be
        // this table's own.
        table.makeUnique()
        guard case .packed(let p) = table.values[slot]!.value else { return table.values[slot]!.value }
        let v = Value.object(p.hydrate(from: &server.packedPool))
        table.values[slot]!.value = v
        server.notePackable(db: id, slot: slot)
        return v
    }

    /// Puts the object at `slot` back at rest as its packed block if it is in a compact encoding and nothing but
    /// the entry references it; otherwise leaves it. Any used slot may be given (a noted slot may since hold
    /// another key: the rule is the same for it).
    func dehydrate(at slot: Int) {
        guard slot < table.slotCount, table.isUsed(slot),
              case .object(var o) = table.values[slot]!.value else { return }
        table.makeUnique()
        // The entry lets go of its reference, so `o` is the only one unless someone else holds the object.
        table.values[slot]!.value = .string(RBytes())
        if isKnownUniquelyReferenced(&o), let p = o.detachPacked() {
            table.values[slot]!.value = .packed(p.strippingHeader())
            server.packedPool.keep(o, kind: p.kind)
        } else {
            table.values[slot]!.value = .object(o)
        }
    }
}

extension Database {
    /// Frees what the entry at `slot` owns before it is overwritten (on this table's own copy of the block).
    @inline(__always)
    func releaseOwnedValue(at slot: Int) {
        if case .packed = table.values[slot]!.value {
            table.makeUnique()
            table.values[slot]!.value.releaseOwned()
        }
    }

    /// The TYPE name of the value at `slot`, without waking a packed value.
    public func typeName(at slot: Int) -> String { table.values[slot]!.value.typeName }
}

extension Server {
    /// Notes an entry that holds (or may hold) a compact collection as an object, to be put back at rest after the
    /// command (`dehydrateNoted`). Past a bound the noted entries are dehydrated at once (a load, or one command
    /// touching many keys, keeps the list short).
    @inline(__always)
    func notePackable(db: Int, slot: Int) {
        packableNoted.append(UInt64(UInt32(truncatingIfNeeded: db)) << 32 | UInt64(UInt32(truncatingIfNeeded: slot)))
        if packableNoted.count >= 256 { dehydrateNoted() }
    }

    /// Dehydrates every noted entry (after each command, and from the cron as a safety net).
    @inline(never)
    public func dehydrateNoted() {
        // (Dehydrating notes nothing, so the list does not change while it is walked.)
        for i in packableNoted.indices {
            let n = packableNoted[i]
            let db = Int(n >> 32)
            guard db < databases.count else { continue }
            databases[db].dehydrate(at: Int(n & 0xFFFF_FFFF))
        }
        packableNoted.removeAll(keepingCapacity: true)
    }
}

extension KeyTableStorage {
    /// The values as keyspace entries, when this is a keyspace table (nil for every other table).
    @inline(__always)
    var entryValues: UnsafeMutablePointer<Entry?>? {
        guard Value.self == Entry.self else { return nil }
        return UnsafeMutableRawPointer(values).assumingMemoryBound(to: Entry?.self)
    }

    /// Frees the packed blocks of a keyspace table's entries (the table is being destroyed).
    func releasePackedEntries() {
        guard let e = entryValues else { return }
        for i in 0..<used { e[i]?.value.releaseOwned() }
    }

    /// Gives a copied keyspace table its own packed blocks (a bitwise copy would share them).
    func duplicatePackedEntries() {
        guard let e = entryValues else { return }
        for i in 0..<used {
            if case .packed(let p)? = e[i]?.value { e[i]!.value = .packed(p.duplicate()) }
        }
    }
}
