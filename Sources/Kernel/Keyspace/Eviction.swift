import Atomics

/// `maxmemory` eviction (Redis's `evict.c`): before each command, while the allocator's in-use bytes exceed the
/// limit, keys chosen by `maxmemory-policy` are deleted.
///
/// LRU, LFU and TTL policies use Redis's approximation: each round samples `maxmemory-samples` keys per
/// database into a pool of the 16 best candidates seen so far (kept across rounds), and evicts the best one that
/// still exists. Random policies pick a random key, rotating over the databases.
///
/// The in-use figure comes from glibc (`mallinfo2`), which is too costly to read after every deletion; a pass
/// subtracts an estimate of each victim's size and the figure is re-read at most every 10 ms and by the cron.
/// See docs/EVICTION.md.
public final class EvictionState {
    /// Redis's `EVPOOL_SIZE`.
    static let poolSize = 16
    /// Candidates, best (highest score) last.
    var pool: [(score: UInt64, key: RBytes, db: Int)] = []
    /// Next database the random policies take a key from.
    var nextDb = 0

    init() { pool.reserveCapacity(EvictionState.poolSize + 1) }
}

/// The outcome of an eviction pass (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
public enum EvictionResult {
    /// Under the limit (or nothing to do).
    case ok
    /// Still over the limit, but the pass stopped on its time limit; commands are not refused.
    case running
    /// Over the limit and nothing (more) could be evicted: denyoom commands are refused.
    case fail
}

extension Server {
    /// Redis's `performEvictions`.
    public func performEvictions() -> EvictionResult {
        // A replica leaves eviction to its master (replica-ignore-maxmemory yes).
        if replication.role == .replica { return .ok }
        if commandTime - usedMemoryCheckedAt >= 10 { refreshUsedMemory() }
        let limit = config.maxmemory
        let used = usedMemory - reusableSlotBytes()
        if used <= limit { return .ok }
        let policy = config.eviction.policy
        if policy == .noeviction { return .fail }
        let toFree = used - limit
        var freedHeap: Int64 = 0, freedSlots: Int64 = 0
        var keysFreed = 0
        var remeasure = false
        let timeLimitNs = evictionTimeLimitNs
        let start = Clock.monotonicNanoseconds()
        var result = EvictionResult.ok
        while freedHeap + freedSlots < toFree {
            guard let victim = selectVictim(policy) else {
                result = .fail
                break
            }
            let (db, key) = victim
            let (heap, slots, exact) = estimatedSize(db, key)
            if !exact { remeasure = true }
            evictKey(db, key)
            freedHeap += heap
            freedSlots += max(1, slots)  // always progress, even on an inconsistent entry
            keysFreed += 1
            if keysFreed % 16 == 0 && Clock.monotonicNanoseconds() - start > timeLimitNs {
                result = .running
                break
            }
        }
        // Freed slots are counted by `reusableSlotBytes` from now on; freed heap blocks until the next reading.
        usedMemory -= freedHeap
        // (Not under lazy eviction: the worker may not have freed them yet.)
        if remeasure && !config.lazyfreeLazyEviction { refreshUsedMemory() }
        // Nothing evictable, but large values are still being freed in the background: not out of memory yet
        // (Redis waits for the lazy-free thread the same way).
        if result == .fail && lazyFreer.pending.load(ordering: .relaxed) > 0 { return .running }
        if result == .fail && keysFreed > 0 && usedMemory - reusableSlotBytes() <= limit { return .ok }
        return result
    }

    /// Whether memory is over `maxmemory` (for `noeviction` and the OOM checks), with the same accounting.
    func overMaxmemory() -> Bool {
        if commandTime - usedMemoryCheckedAt >= 10 { refreshUsedMemory() }
        return usedMemory - reusableSlotBytes() > config.maxmemory
    }

    /// Bytes of the key tables' free slots: a deleted key's slot stays allocated (the slab shrinks only when
    /// sparse) and the next new key reuses it, so it counts as free memory for the limit.
    func reusableSlotBytes() -> Int64 {
        var free: Int64 = 0
        for db in databases {
            free += Int64(db.table.slotCount - db.table.count) * Server.entrySlotBytes
            free += Int64(db.expires.slotCount - db.expires.count) * Server.expireSlotBytes
        }
        return free
    }

    static let entrySlotBytes = Int64(MemoryLayout<RBytes>.stride + MemoryLayout<Entry?>.stride + 8)
    static let expireSlotBytes = Int64(MemoryLayout<RBytes>.stride + MemoryLayout<Int64?>.stride + 8)

    /// The malloc'ed bytes (header and rounding included) of a string stored out of line.
    static func heapBytes(_ b: RBytes) -> Int64 {
        b.count > RBytes.inlineCapacity ? Int64((b.count + 32 + 8 + 15) & ~15) : 0
    }

    /// Redis's `evictionTimeLimitUs`: 50 µs × 1.15^tenacity (500 µs at the default 10), unlimited at 100.
    var evictionTimeLimitNs: Int64 {
        let t = config.eviction.tenacity
        if t >= 100 { return Int64.max }
        var us = 50.0
        for _ in 0..<t { us *= 1.15 }
        return Int64(us * 1000)
    }

    /// An estimate of the bytes freed by deleting `key`: heap blocks, table slots, and whether the heap figure
    /// is a good one (strings) or a rough one (collections: ~40 bytes per element; re-read after the pass).
    func estimatedSize(_ db: Database, _ key: RBytes) -> (heap: Int64, slots: Int64, exact: Bool) {
        guard let slot = db.table.find(key) else { return (0, 0, true) }
        var heap = Server.heapBytes(key)
        var slots = Server.entrySlotBytes
        if db.expires.find(key) != nil {
            heap += Server.heapBytes(key)
            slots += Server.expireSlotBytes
        }
        switch db.table.value(at: slot).value {
        case .string(let s):
            return (heap + Server.heapBytes(s), slots, true)
        case .object:
            // About 40 bytes per element or node: refined by re-reading the allocator after the pass.
            return (heap + 64 + 40 * Int64(LazyFreer.freeEffort(db.table.value(at: slot).value)), slots, false)
        case .packed(let p):
            return (heap + Int64(p.allocatedBytes), slots, false)
        }
    }

    /// Deletes an evicted key with Redis's side effects: `evicted_keys`, WATCH/tracking, the `evicted` keyspace
    /// event, and a DEL (UNLINK under lazyfree-lazy-eviction) to replicas and the AOF, each its own effect.
    func evictKey(_ db: Database, _ key: RBytes) {
        let lazy = config.lazyfreeLazyEviction
        deleteKey(db, key, lazy: lazy)
        stats.evictedKeys += 1
        keyModified(db, key, changes: 0)
        notify(.evicted, "evicted", key, db: db.id)
        propagate(db: db.id, [lazy ? "UNLINK" : "DEL", key])
        if callDepth == 0 && !pendingEffects.isEmpty { flushEffects() }
    }

    /// The next key to evict, or nil when no key qualifies.
    func selectVictim(_ policy: EvictionPolicy) -> (Database, RBytes)? {
        switch policy {
        case .noeviction:
            return nil
        case .allkeysRandom, .volatileRandom:
            let n = databases.count
            for _ in 0..<n {
                let db = databases[evictionState.nextDb % n]
                evictionState.nextDb = (evictionState.nextDb + 1) % n
                if policy == .allkeysRandom {
                    if let s = db.table.randomSlot() { return (db, db.table.key(at: s)) }
                } else if let s = db.expires.randomSlot() {
                    return (db, db.expires.key(at: s))
                }
            }
            return nil
        default:
            // Bounded: each round either finds a key or refills the pool from a fresh sample.
            for _ in 0..<64 {
                var total = 0
                for db in databases {
                    let size = policy.volatileOnly ? db.expires.count : db.table.count
                    if size > 0 { populatePool(db, policy) }
                    total += size
                }
                if total == 0 { return nil }
                while let best = evictionState.pool.popLast() {
                    let db = databases[best.db]
                    let alive = policy.volatileOnly ? db.expires.find(best.key) != nil : db.table.find(best.key) != nil
                    if alive { return (db, best.key) }
                }
            }
            return nil
        }
    }

    /// Redis's `evictionPoolPopulate`: samples keys of `db` and keeps the best-scoring ones in the pool.
    func populatePool(_ db: Database, _ policy: EvictionPolicy) {
        // Like dictGetSomeKeys, never more samples than the table has keys.
        let samples = min(config.eviction.samples, policy.volatileOnly ? db.expires.count : db.table.count)
        let ev = config.eviction
        let minutes = Entry.lfuMinutes(commandTime)
        for _ in 0..<samples {
            let key: RBytes
            let score: UInt64
            if policy.volatileOnly {
                guard let s = db.expires.randomSlot() else { return }
                key = db.expires.key(at: s)
                if policy == .volatileTTL {
                    score = UInt64.max - UInt64(max(0, db.expires.value(at: s)))
                    insertCandidate(score, key, db.id)
                    continue
                }
            } else {
                guard let s = db.table.randomSlot() else { return }
                key = db.table.key(at: s)
            }
            guard let slot = db.table.find(key) else { continue }
            let entry = db.table.value(at: slot)
            if policy.isLFU {
                score = 255 - UInt64(entry.lfuDecayedCounter(nowMinutes: minutes, decayTime: ev.lfuDecayTime))
            } else {
                score = UInt64(entry.lruIdleMilliseconds(clock: lruClock))
            }
            insertCandidate(score, key, db.id)
        }
    }

    /// Inserts into the sorted pool (ascending score): when full, a candidate worse than all is dropped, else
    /// the worst one makes room.
    func insertCandidate(_ score: UInt64, _ key: RBytes, _ db: Int) {
        var pool = evictionState.pool
        evictionState.pool = []
        defer { evictionState.pool = pool }
        if pool.contains(where: { $0.db == db && $0.key == key }) { return }
        var k = 0
        while k < pool.count && pool[k].score < score { k += 1 }
        if pool.count < EvictionState.poolSize {
            pool.insert((score: score, key: key, db: db), at: k)
        } else if k > 0 {
            pool.removeFirst()
            pool.insert((score: score, key: key, db: db), at: k - 1)
        }
    }
}
