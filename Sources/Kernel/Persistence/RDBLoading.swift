#if canImport(Glibc)
import Glibc
#endif

/// Loading an RDB image into the databases: at start (`dbfilename` in `dir`), by DEBUG RELOAD, and for an AOF's
/// RDB base. Keys are inserted as the codec decodes them; keys whose TTL has passed are skipped, as a master does.
extension Server {
    /// Outcome of reading a whole file into memory.
    public enum FileReadResult {
        case missing
        case failed(String)
        case read([UInt8])
    }

    /// Reads a whole file; `missing` when it does not exist.
    public static func readWholeFile(_ path: String) -> FileReadResult {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return errno == ENOENT ? .missing : .failed(String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .failed(String(cString: strerror(errno))) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return .failed(n == 0 ? "Short read" : String(cString: strerror(errno))) }
            offset += n
        }
        return .read(bytes)
    }

    /// Loads an RDB image into the (empty or not) databases. Throws the codec's error, or on a key that already
    /// exists unless `replaceExisting` (DEBUG RELOAD MERGE); keys already loaded stay (callers that must not
    /// half-load flush on error). Returns (loaded, expired) key counts. Call with the
    /// lock held.
    @discardableResult
    public func loadRDBImage(_ bytes: [UInt8], logAux: Bool, replaceExisting: Bool = false,
                             yieldingLock: Bool = false) throws -> (loaded: Int64, expired: Int64, end: Int) {
        var loaded: Int64 = 0, expired: Int64 = 0
        var end = bytes.count
        let keepExpired = replication.role == .replica || (loading && !config.replicaof.isEmpty)
        let now = Clock.unixMilliseconds()
        let thresholds = EncodingThresholds(config)
        var createdAt: Int64?
        var auxStreamDb: Int?, auxReplid: String?, auxOffset: Int64?
        // Function libraries are part of the dataset an image replaces (a merge keeps them).
        if !replaceExisting { functionLibraries = [] }
        try bytes.withUnsafeBytes { raw in
            _ = try RDBFile.walk(raw, thresholds: thresholds, onEvent: { [self] event in
                if case .checksum(_, let e) = event { end = e }
                if case .value(_, _, let at) = event {
                    loadingProgress.loadedBytes = Int64(at)
                    if yieldingLock && (loaded + expired) & 1023 == 0 { yieldLockWhileLoading() }
                }
                guard logAux, case .aux(let key, let value, _) = event else { return }
                let text = String(decoding: value, as: UTF8.self)
                switch key {
                case "redis-ver": log.notice("Loading RDB produced by version \(text)")
                case "ctime":
                    if let t = Int64(text) {
                        createdAt = t
                        log.notice("RDB age \(max(0, now / 1000 - t)) seconds")
                    }
                case "used-mem":
                    if let m = Double(text) {
                        log.notice("RDB memory usage when created \(String(decoding: Numbers.cFormat("%.2f", m / 1024 / 1024), as: UTF8.self)) Mb")
                    }
                case "repl-stream-db": auxStreamDb = Int(text)
                case "repl-id": auxReplid = text
                case "repl-offset": auxOffset = Int64(text)
                default: break
                }
            }, onKey: { [self] k in
                guard k.db >= 0 && k.db < databases.count else {
                    throw RDBError(offset: 0, "FATAL: Data file was created with a Redis server configured to handle more than \(databases.count) databases. Exiting")
                }
                if config.keyLoadDelay != 0 { Snapshot.debugDelay(config.keyLoadDelay) }
                // A master drops keys already expired; a replica (also one configured with `replicaof`, loading its
                // file at start before the link exists) keeps them until its master's DEL (Redis's iAmMaster()
                // check in rdbLoad).
                if let when = k.expireAt, when <= now, !keepExpired {
                    expired += 1
                    return
                }
                let db = databases[k.db]
                if !replaceExisting && db.table.find(k.key) != nil {
                    throw RDBError(offset: 0, "Duplicate key '\(k.key.string)' found in RDB file")
                }
                db.set(k.key, k.value, fromImage: true)
                if let when = k.expireAt { db.setExpire(k.key, at: when) }
                if let idle = k.idleSeconds, let slot = db.table.find(k.key) {
                    db.setLRU(at: slot, lruClock &- UInt32(truncatingIfNeeded: max(0, idle)))
                }
                if let freq = k.freq, let slot = db.table.find(k.key) { db.setLFU(at: slot, freq) }
                loaded += 1
            }, onFunction: { [self] code in
                functionLibraries.append(code)
            })
        }
        _ = createdAt
        if logAux {
            // Redis's rsi validity: an ID, an offset, and a stream database other than -1.
            if let db = auxStreamDb, db >= 0, let id = auxReplid, id.utf8.count == 40, let off = auxOffset, off >= 0 {
                rdb.lastLoadReplicationAux = ReplicationAux(streamDb: db, replid: id, offset: off)
            } else {
                rdb.lastLoadReplicationAux = nil
            }
        }
        return (loaded, expired, end)
    }

    /// Marks the start of a load at start-up: clients get `-LOADING` until it ends, INFO reports progress.
    public func beginLoading(totalBytes: Int64) {
        loading = true
        loadingProgress = LoadingProgress(startTime: Clock.unixMilliseconds() / 1000, totalBytes: totalBytes,
                                          loadedBytes: 0, startedAt: Clock.monotonicNanoseconds())
    }

    /// Lets clients in during a long load at start (they get `-LOADING`, INFO and the like answer): the loader,
    /// which holds the data lock, releases it briefly. Never from inside a command.
    public func yieldLockWhileLoading() {
        lock.unlock()
        sched_yield()
        lock.lock()
        updateClocks()
    }

    /// Loads `dbfilename` at start, logging as Redis does. Returns false on a fatal error (after logging).
    public func loadRDBAtStartup() -> Bool {
        let path = rdb.filePath
        switch Server.readWholeFile(path) {
        case .missing:
            return true
        case .failed(let why):
            log.warning("Fatal error loading the DB: \(why). Exiting.")
            return false
        case .read(let bytes):
            let start = Clock.monotonicNanoseconds()
            beginLoading(totalBytes: Int64(bytes.count))
            defer { loading = false }
            do {
                let (loaded, expired, _) = try loadRDBImage(bytes, logAux: true, yieldingLock: true)
                rdb.lastLoadKeysLoaded = loaded
                // A server configured as a replica continues its master's history from the file's position.
                if !config.replicaof.isEmpty { replication.restoredAtStart = rdb.lastLoadReplicationAux }
                rdb.lastLoadKeysExpired = expired
                log.notice("Done loading RDB, keys loaded: \(loaded), keys expired: \(expired).")
                let seconds = Double(Clock.monotonicNanoseconds() - start) / 1e9
                log.notice("DB loaded from disk: \(String(decoding: Numbers.cFormat("%.3f", seconds), as: UTF8.self)) seconds")
                // The loaded dataset is what is on disk.
                rdb.dirtyAtLastSave = dirty
                return true
            } catch {
                log.warning("Fatal error loading the DB (\(path)): \(error). Exiting.")
                return false
            }
        }
    }
}
