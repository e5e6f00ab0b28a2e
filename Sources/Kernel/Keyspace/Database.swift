/// One of the numbered databases (SELECT n): the key table, the expiry table, and the keyspace rules every
/// command shares (lazy expiry on access, LRU clock touch, TTL bookkeeping).
///
/// Storage never writes RESP: it returns values and flags; commands format replies.
public final class Database {
    public let id: Int
    /// The owner, told about expired keys so the effect (`DEL`) is propagated. A strong `let`, borrowed by
    /// readers: an `unowned(unsafe)` one is copied into a strong reference (a retain and a release) at each read
    /// (issue 18). The server keeps its databases for its whole life, so the cycle is never meant to break.
    let server: Server
    public internal(set) var table = KeyTable<Entry>()
    /// Absolute expiry in Unix milliseconds, only for keys that have one.
    public internal(set) var expires = KeyTable<Int64>()

    init(id: Int, server: Server) {
        self.id = id
        self.server = server
    }

    /// Number of keys (expired-but-not-yet-reclaimed ones included, as DBSIZE counts them in Redis).
    public var count: Int { table.count }

    // MARK: - Lookup

    /// The slot of a live key, expiring it first if its time has passed. Touches the LRU clock.
    public func slot(_ key: RBytes, touch: Bool = true) -> Int? {
        guard let s = table.findInPlace(key) else {
            if server.countsKeyspaceLookups { server.stats.keyspaceMisses += 1 }
            return nil
        }
        if expires.count > 0 && expireIfNeeded(key) {
            if server.countsKeyspaceLookups { server.stats.keyspaceMisses += 1 }
            return nil
        }
        if touch && !server.noTouch { server.touch(&table.values[s]!) }
        if server.countsKeyspaceLookups { server.stats.keyspaceHits += 1 }
        return s
    }

    /// The value of a live key.
    public func get(_ key: RBytes) -> Value? {
        guard let s = slot(key) else { return nil }
        if case .packed = table.values[s]!.value { return hydrate(at: s) }
        return table.values[s]!.value
    }

    /// Whether a live key exists (no LRU touch, like EXISTS).
    public func exists(_ key: RBytes) -> Bool { slot(key, touch: false) != nil }

    /// The value at a slot returned by `slot(_:)`.
    public func value(at slot: Int) -> Value {
        if case .packed = table.values[slot]!.value { return hydrate(at: slot) }
        return table.values[slot]!.value
    }

    /// Replaces the value at a slot (TTL unchanged).
    public func replaceValue(at slot: Int, with value: Value) {
        if server.snapshot != nil { willChange(slot: slot) }
        releaseOwnedValue(at: slot)
        table.values[slot]!.replace(with: value)
        if case .object = value { server.notePackable(db: id, slot: slot) }
    }

    /// Moves the value out of a slot so it can be mutated in place without a copy; put it back with
    /// `replaceValue(at:with:)` before any other keyspace call.
    public func takeValue(at slot: Int) -> Value {
        if server.snapshot != nil { willChange(slot: slot) }
        if case .packed = table.values[slot]!.value { _ = hydrate(at: slot) }
        let v = table.values[slot]!.value
        table.values[slot]!.value = .string(RBytes())
        return v
    }

    // MARK: - Writes

    /// Sets `key` to `value` (Redis's `setKey`): replaces any old value and, unless `keepTTL`, clears its TTL.
    /// `fromImage`: a key read from an RDB image (no `new` event, no blocked-client signal, as dbAddRDBLoad).
    public func set(_ key: RBytes, _ value: Value, keepTTL: Bool = false, fromImage: Bool = false) {
        // An expired key is reclaimed (and its DEL queued) before the write, as Redis's setKey → lookupKeyWrite.
        if expires.count > 0 { _ = expireIfNeeded(key) }
        let (slot, hash) = table.findWithHashInPlace(key)
        if let s = slot {
            if server.snapshot != nil { willChange(slot: s) }
            if server.blockedCount > 0 { streamMayBeGone(key, table.values[s]!.value) }
            if server.config.lazyfreeLazyServerDel { overwriteLazily(slot: s) }
            releaseOwnedValue(at: s)
            table.values[s] = newEntry(value)
            if !keepTTL && expires.count > 0 { expires.remove(key) }
            if case .object = value { server.notePackable(db: id, slot: s) }
        } else {
            let s = table.insertNew(key, newEntry(value), hash: hash)
            if !fromImage { keyAdded(key) }
            if case .object = value { server.notePackable(db: id, slot: s) }
        }
    }

    /// Adds a key known to be absent.
    public func add(_ key: RBytes, _ value: Value) {
        let s = table.insertNew(key, newEntry(value))
        keyAdded(key)
        if case .object = value { server.notePackable(db: id, slot: s) }
    }

    /// Redis 7.0's dbAdd side effects: clients blocked on the key are signalled (RENAME, MOVE, COPY, SMOVE... into
    /// a new key wake them), and the `new` keyspace event is emitted (not while loading a file).
    @inline(__always)
    func keyAdded(_ key: RBytes) {
        if server.blockedCount > 0 { server.signalKeyAsReady(self, key) }
        if server.keyspaceEventFlags.contains(.newKey) && !server.loading {
            server.notify(.newKey, "new", key, db: id)
        }
    }

    /// A new entry, stamped with the LRU clock and the current snapshot parity (so a running snapshot skips it).
    @inline(__always)
    func newEntry(_ value: Value) -> Entry {
        var e = Entry(value, lru: server.accessStamp)
        e.parity = server.snapshotParity
        return e
    }

    /// A running snapshot must see the entry at `slot` as it is before it changes.
    @inline(__always)
    func willChange(slot: Int) {
        if let snapshot = server.snapshot, table.values[slot]!.parity != server.snapshotParity {
            snapshot.preserve(self, slot: slot)
        }
    }

    /// `willChange` for a key, if it exists (write commands call it through the dispatcher before mutating in
    /// place).
    public func willChange(key: RBytes) {
        guard server.snapshot != nil, let s = table.find(key) else { return }
        willChange(slot: s)
    }

    /// Deletes a key (Redis's dbDelete: freed lazily under lazyfree-lazy-server-del); true if it existed.
    @discardableResult
    public func delete(_ key: RBytes) -> Bool {
        server.config.lazyfreeLazyServerDel ? server.deleteKey(self, key, lazy: true) : deleteNow(key)
    }

    /// Deletes a key, freeing its value now (Redis's dbSyncDelete); true if it existed.
    @discardableResult
    public func deleteNow(_ key: RBytes) -> Bool {
        if server.snapshot != nil { willChange(key: key) }
        guard let old = table.remove(key) else { return false }
        if expires.count > 0 { expires.remove(key) }
        if server.blockedCount > 0 { streamMayBeGone(key, old.value) }
        old.value.releaseOwned()
        return true
    }

    /// Redis 7.0's `signalDeletedKeyAsReady`: a stream that is deleted or overwritten wakes the clients blocked on
    /// it, so XREADGROUP waiters get their error.
    func streamMayBeGone(_ key: RBytes, _ old: Value) {
        if case .object(let o) = old, o.typeName == "stream" { server.signalKeyAsReady(self, key) }
    }

    /// Removes every key; returns how many there were.
    @discardableResult
    public func flush() -> Int {
        let n = table.count
        if server.blockedCount > 0 {
            for k in server.blockedOnKey.keys where k.db == id {
                if let v = table[k.key]?.value { streamMayBeGone(k.key, v) }
            }
        }
        server.snapshot?.detach(self)
        table.removeAll()
        expires.removeAll()
        return n
    }

    /// Swaps contents with another database (SWAPDB).
    public func swapContents(with other: Database) {
        server.snapshot?.swap(id, other.id)
        swap(&table, &other.table)
        swap(&expires, &other.expires)
    }

    // MARK: - Expiry

    /// The absolute expiry (Unix ms) of a key, or nil if it has none.
    public func expireTime(_ key: RBytes) -> Int64? { expires[key] }

    /// Sets an absolute expiry on an existing key.
    public func setExpire(_ key: RBytes, at ms: Int64) {
        if server.snapshot != nil { willChange(key: key) }
        expires.upsert(key, ms)
    }

    /// Clears a key's expiry; true if it had one.
    @discardableResult
    public func persist(_ key: RBytes) -> Bool {
        if server.snapshot != nil { willChange(key: key) }
        return expires.remove(key) != nil
    }

    /// Deletes `key` if its expiry has passed; true if it was deleted (or is logically gone).
    ///
    /// On a replica (Redis's expireIfNeeded with a masterhost) an expired key is only hidden: other clients see
    /// it missing, the master's link still sees it, and nothing is deleted or propagated until the master's own
    /// `DEL` arrives, so the replica's dataset never diverges from the master's.
    func expireIfNeeded(_ key: RBytes) -> Bool {
        guard let when = expires[key] else { return false }
        if when > server.commandTime { return false }
        if server.replication.role == .replica {
            return server.currentClient?.linkKind != .master
        }
        // Under a pause the dataset stays constant: the key reads as gone but is deleted after the pause.
        if server.pauseActive && server.datasetPaused { return true }
        server.keyExpired(self, key)
        return true
    }

    /// Removes an expired key and returns it to the server for propagation.
    func reclaimExpired(_ key: RBytes) {
        if server.snapshot != nil { willChange(key: key) }
        if let old = table.remove(key) {
            if server.blockedCount > 0 { streamMayBeGone(key, old.value) }
            old.value.releaseOwned()
        }
        expires.remove(key)
    }

    /// A random live key, or nil when the database is empty.
    public func randomKey() -> RBytes? {
        // Bounded retries: if every sampled key is expired, reclaim them as we go.
        var tries = 0
        while let s = table.randomSlot() {
            let key = table.key(at: s)
            if let when = expires[key], when <= server.commandTime {
                tries += 1
                // A replica hides expired keys but never deletes them itself (see `expireIfNeeded`).
                if server.replication.role == .replica {
                    if tries > 100 { return key }
                    continue
                }
                server.keyExpired(self, key)
                if tries > 100 && table.count > 0 { return table.key(at: table.randomSlot()!) }
                continue
            }
            return key
        }
        return nil
    }

    /// One step of the active expiry cycle (Redis's adaptive sampling): samples up to `samples` keys with a TTL
    /// and reclaims the expired ones. Returns (sampled, expired).
    func sampleExpired(samples: Int, now: Int64) -> (Int, Int) {
        var sampled = 0, expired: [RBytes] = []
        for _ in 0..<samples {
            guard let s = expires.randomSlot() else { break }
            sampled += 1
            if expires.value(at: s) <= now { expired.append(expires.key(at: s)) }
        }
        for key in expired where expires[key].map({ $0 <= now }) == true {
            server.keyExpired(self, key)
        }
        return (sampled, expired.count)
    }
}

extension Database {
    /// Edits the string at `slot` in place (Redis's dbUnshareStringValue, then the edit) and marks it `raw`, with
    /// one access to the entry; nil if the value there is not a string. `body` must not touch the keyspace.
    public func editString<R>(at slot: Int, _ body: (inout [UInt8]) -> R) -> R? {
        if server.snapshot != nil { willChange(slot: slot) }
        return table.values[slot]!.editString(body)
    }

    /// Marks the string at `slot` as grown in place (OBJECT ENCODING then says `raw`, as Redis does).
    public func markRawString(at slot: Int) {
        table.values[slot]!.isRawString = true
    }

    /// Marks the string at `slot` as stored without integer encoding (OBJECT ENCODING then says `embstr`/`raw`).
    public func markNotIntEncoded(at slot: Int) {
        table.values[slot]!.isNotIntEncoded = true
    }

    /// Sets the LRU clock (seconds, mod 2^24) of the entry at `slot` (RESTORE ... IDLETIME, loading a file).
    /// Ignored under an LFU policy, as Redis's objectSetLRUOrLFU.
    public func setLRU(at slot: Int, _ clock: UInt32) {
        if server.config.eviction.lfu { return }
        table.values[slot]!.lru = clock
    }

    /// Sets the LFU counter of the entry at `slot` (RESTORE ... FREQ, loading a file); ignored unless the
    /// policy is an LFU one.
    public func setLFU(at slot: Int, _ counter: UInt8) {
        guard server.config.eviction.lfu else { return }
        table.values[slot]!.setLFU(counter: counter, nowMinutes: Entry.lfuMinutes(server.commandTime))
    }

    /// The full entry (value, LRU clock, flags) at a slot.
    public func entry(at slot: Int) -> Entry {
        if case .packed = table.values[slot]!.value { _ = hydrate(at: slot) }
        return table.values[slot]!
    }
}

/// The outcome of reading a key that must hold one type (Redis's lookupKey + checkType).
public enum TypedLookup<T> {
    case missing
    case found(T)
    case wrongType
}

extension Client {
    /// Reads `key` in the selected database as a `T` (a collection object).
    public func lookup<T: RedisObject>(_ key: RBytes, as type: T.Type) -> TypedLookup<T> {
        guard let v = db.get(key) else { return .missing }
        guard case .object(let o) = v, let typed = o as? T else { return .wrongType }
        return .found(typed)
    }

    /// Reads `key` in the selected database as a string.
    public func lookupString(_ key: RBytes) -> TypedLookup<RBytes> {
        guard let v = db.get(key) else { return .missing }
        guard case .string(let s) = v else { return .wrongType }
        return .found(s)
    }

    /// The `T` at `key`, or nil after replying: `ifMissing` runs when the key is absent, WRONGTYPE is replied when
    /// it holds another type. The common opening of a collection command, in one line.
    public func existing<T: RedisObject>(_ key: RBytes, as type: T.Type, ifMissing: (Client) -> Void) -> T? {
        switch lookup(key, as: type) {
        case .missing:
            ifMissing(self)
            return nil
        case .wrongType:
            error(Errors.wrongType)
            return nil
        case .found(let o):
            return o
        }
    }
}
