#if canImport(Glibc)
import Glibc
#endif

/// A fork-free, point-in-time snapshot of every database, serialised as an RDB image in bounded slices while
/// clients keep writing (BGSAVE, AOF rewrite bases, and later a replica's full sync).
///
/// How the dataset "as of the start" is kept without copying it (DESIGN §4, docs/ARCHITECTURE.md):
/// - **Parity.** Every keyspace entry carries a parity bit. Starting a snapshot flips the server's parity, so
///   every existing entry becomes *pending* (its bit differs) in O(1); entries created afterwards are stamped
///   with the new parity and are never written.
/// - **Walk.** Slices walk each table's slots in order (compaction, which renumbers slots, is suspended), write
///   pending entries and stamp them. Each slice runs under the data lock for about `sliceBudget`, then yields.
/// - **Preserve before change.** The keyspace calls `preserve` before a pending entry is replaced, deleted,
///   expired, given a new TTL or mutated in place (write commands, from their key positions): the entry is
///   written as it was, then stamped, so the change happens after the snapshot saw it.
/// - **Flush and swap.** FLUSHDB/FLUSHALL hand the old tables to the snapshot (`detach`), SWAPDB swaps the
///   walk states: no entry is copied.
/// - **I/O off the owner.** Encoded chunks go to a `SnapshotFileWriter` thread, which computes the CRC64, writes,
///   fsyncs and renames.
public final class Snapshot {
    /// The walk state of one database's table.
    struct TableWalk {
        /// The database id the entries belonged to when the snapshot started (SWAPDB moves walks around).
        var originalDb: Int
        /// Next slot to visit.
        var cursor = 0
        /// Slots at or past this index were created after the start.
        var end: Int
        /// The table a FLUSH replaced, still to be walked, with its expiry table.
        var detached: (table: KeyTable<Entry>, expires: KeyTable<Int64>)?
        var finished = false
    }

    unowned(unsafe) let server: Server
    var encoder: RDBEncoder
    let writer: any SnapshotSink
    var walks: [TableWalk]
    /// Index of the database the walk is in.
    var walkIndex = 0
    /// The database id of the last SELECTDB written.
    var selectedDb = -1
    /// Keys written so far (INFO's current_save_keys_processed).
    public private(set) var keysWritten = 0
    /// Keys in the dataset when the snapshot started (current_save_keys_total).
    public let keysTotal: Int
    /// Unix ms when the snapshot started.
    public let startedAt: Int64
    /// Set when the output failed: the walk finishes (to restore every entry's parity) without encoding.
    var discarding = false
    var warnedUnsupported = false
    /// What the snapshot is for.
    public let purpose: Purpose
    /// The replication position written as `repl-*` aux fields (an RDB for a replica's full sync).
    var replicationAux: ReplicationAux?
    /// Called once, with the data lock held, when the file is complete (true) or failed (false).
    var completion: ((Bool) -> Void)?
    /// Roughly how long one slice may hold the data lock (0.25 ms: a PING waits at most about this long).
    static let sliceBudgetNanoseconds: Int64 = 250_000
    /// Chunks handed to the writer at this size.
    static let chunkBytes = 256 * 1024
    /// The owner stops producing while the writer has this much queued.
    static let maxQueuedBytes = 64 << 20

    /// Why a snapshot is taken.
    public enum Purpose { case rdb, aofBase }

    init(server: Server, writer: any SnapshotSink, purpose: Purpose, compression: Bool) {
        self.server = server
        self.writer = writer
        self.purpose = purpose
        self.encoder = RDBEncoder(compression: compression, thresholds: EncodingThresholds(server.config))
        self.walks = server.databases.map { TableWalk(originalDb: $0.id, end: $0.table.slotCount) }
        self.keysTotal = server.databases.reduce(0) { $0 + $1.count }
        self.startedAt = Clock.unixMilliseconds()
    }

    /// Writes the header and aux fields Redis 7.0 writes (rdbSaveInfoAuxFields).
    func writeHeader() {
        encoder.writeHeader()
        encoder.writeAux("redis-ver", ServerInfo.redisVersion)
        encoder.writeAux("redis-bits", int: Int64(MemoryLayout<Int>.size * 8))
        encoder.writeAux("ctime", int: startedAt / 1000)
        encoder.writeAux("used-mem", int: server.usedMemory)
        if let aux = replicationAux {
            encoder.writeAux("repl-stream-db", int: Int64(aux.streamDb))
            encoder.writeAux("repl-id", aux.replid)
            encoder.writeAux("repl-offset", int: aux.offset)
        }
        encoder.writeAux("aof-base", int: purpose == .aofBase ? 1 : 0)
        for code in server.functionLibraries { encoder.writeFunction(code) }
    }

    // MARK: - Walking

    /// Runs one slice: walks until the time budget is spent. Returns true when the whole dataset was written.
    func runSlice(budgetNanoseconds: Int64 = Snapshot.sliceBudgetNanoseconds) -> Bool {
        let start = Clock.monotonicNanoseconds()
        var visited = 0
        // With `rdb-key-save-delay` every key is slow: check the clock after each one so a slice stays short.
        let mask = server.config.rdbKeySaveDelay != 0 ? 0 : 63
        while walkIndex < walks.count {
            if walkTable(walkIndex, until: { visited += 1; return visited & mask == 0 && Clock.monotonicNanoseconds() - start > budgetNanoseconds }) {
                walkIndex += 1
            } else {
                break
            }
            if encoder.count >= Snapshot.chunkBytes { flushChunk() }
        }
        flushChunk()
        return walkIndex >= walks.count
    }

    /// Walks one database's table; returns true when it is done, false when `shouldYield` asked to stop.
    private func walkTable(_ index: Int, until shouldYield: () -> Bool) -> Bool {
        if walks[index].finished { return true }
        let db = server.databases[index]
        let parity = server.snapshotParity
        if walks[index].detached != nil {
            let (table, expires) = walks[index].detached!
            while walks[index].cursor < walks[index].end {
                let slot = walks[index].cursor
                walks[index].cursor += 1
                if table.isUsed(slot) {
                    let entry = table.value(at: slot)
                    if entry.parity != parity {
                        let key = table.key(at: slot)
                        write(key, entry, expireAt: expires.count > 0 ? expires[key] : nil, db: walks[index].originalDb)
                    }
                }
                if shouldYield() { return false }
            }
        } else {
            while walks[index].cursor < walks[index].end {
                let slot = walks[index].cursor
                walks[index].cursor += 1
                if db.table.isUsed(slot) && db.table.values[slot]!.parity != parity {
                    preserve(db, slot: slot)
                }
                if shouldYield() { return false }
            }
        }
        walks[index].finished = true
        walks[index].detached = nil
        return true
    }

    /// Writes a pending live entry as it is now and stamps it, so later changes are not seen by the snapshot.
    func preserve(_ db: Database, slot: Int) {
        let key = db.table.key(at: slot)
        let entry = db.table.values[slot]!
        write(key, entry, expireAt: db.expires.count > 0 ? db.expires[key] : nil, db: walks[db.id].originalDb)
        db.table.values[slot]!.parity = server.snapshotParity
    }

    private func write(_ key: RBytes, _ entry: Entry, expireAt: Int64?, db: Int) {
        keysWritten += 1
        if discarding { return }
        if server.config.rdbKeySaveDelay != 0 { Snapshot.debugDelay(server.config.rdbKeySaveDelay) }
        if db != selectedDb {
            encoder.writeSelectDB(db)
            selectedDb = db
        }
        guard RDBEncoder.supports(entry.value) else {
            // A value type without an RDB form (a plugin's object): left out, said once per snapshot.
            if !warnedUnsupported {
                server.log.warning("Skipping values of type '\(entry.value.typeName)': no RDB serialisation for them")
                warnedUnsupported = true
            }
            return
        }
        // Redis 7.0's rdbSaveKeyValuePair: the idle seconds under an LRU policy (RDB_OPCODE_IDLE), the decayed
        // LFU counter under an LFU policy (RDB_OPCODE_FREQ).
        let eviction = server.config.eviction
        var idle: Int64?
        var freq: UInt8?
        switch eviction.policy {
        case .allkeysLRU, .volatileLRU:
            idle = entry.lruIdleMilliseconds(clock: server.lruClock) / 1000
        case .allkeysLFU, .volatileLFU:
            freq = UInt8(clamping: entry.lfuDecayedCounter(nowMinutes: Entry.lfuMinutes(Clock.unixMilliseconds()),
                                                           decayTime: eviction.lfuDecayTime))
        default:
            break
        }
        encoder.writeKey(key, entry.value, expireAt: expireAt, idleSeconds: idle, freq: freq)
        if encoder.count >= Snapshot.chunkBytes { flushChunk() }
    }

    private func flushChunk() {
        if discarding || encoder.count == 0 { return }
        writer.write(encoder.takeBytes())
        if writer.failed { discarding = true }
    }

    // MARK: - Keyspace events

    /// FLUSHDB/FLUSHALL is about to empty `db`: the snapshot keeps the old tables to finish walking them.
    func detach(_ db: Database) {
        guard !walks[db.id].finished, walks[db.id].detached == nil else {
            if walks[db.id].detached != nil { return }
            return
        }
        walks[db.id].detached = (db.table, db.expires)
    }

    /// SWAPDB swapped the contents of two databases: their walks travel with their tables.
    func swap(_ a: Int, _ b: Int) {
        let originalA = walks[a], originalB = walks[b]
        walks[a] = originalB
        walks[b] = originalA
        // The walk index only moves forward: a swapped-in table that still has work is picked up again.
        if walkIndex > min(a, b) && (!walks[a].finished || !walks[b].finished) { walkIndex = min(a, b) }
    }

    /// Ends the image: EOF, then the writer appends the checksum, fsyncs and renames.
    func finish(_ done: @escaping (Bool) -> Void) {
        if !discarding { encoder.writeEOF() }
        flushChunk()
        writer.finish(done)
    }

    /// Redis's debugDelay: sleeps `amount` µs; a negative amount -N sleeps 1 µs once every N calls on average
    /// (shorter average delays than a sleep allows).
    static func debugDelay(_ amount: Int) {
        var usec = amount
        if usec < 0 { usec = Int.random(in: 0..<(-usec)) == 0 ? 1 : 0 }
        if usec > 0 { usleep(UInt32(clamping: usec)) }
    }

    /// Whether the writer has too much queued to accept another slice now.
    var writerIsBacklogged: Bool { writer.queuedBytes > Snapshot.maxQueuedBytes }
}
