import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// RDB persistence state and policy: SAVE/BGSAVE bookkeeping, `save` points, `stop-writes-on-bgsave-error`, and
/// what `INFO persistence` reports. The snapshot mechanics are in `Snapshot`; this is the RDB file's side.
public final class RDBPersistence {
    unowned(unsafe) let server: Server
    /// Unix seconds of the last successful save (LASTSAVE). Starts at the server's start, as in Redis.
    public internal(set) var lastSaveTime: Int64
    /// `server.dirty` when the last successful save started.
    public internal(set) var dirtyAtLastSave: Int64 = 0
    /// Whether the last background save succeeded (`rdb_last_bgsave_status`).
    public internal(set) var lastBgsaveOK = true {
        didSet { server.lastBgsaveFailed = !lastBgsaveOK }
    }
    /// Seconds the last background save took, or -1.
    public internal(set) var lastBgsaveSeconds: Int64 = -1
    /// Successful saves since start (`rdb_saves`).
    public internal(set) var saves: Int64 = 0
    /// Set by BGSAVE SCHEDULE while another snapshot runs.
    public internal(set) var bgsaveScheduled = false
    /// Unix ms of the last background save attempt (failed saves are retried after 5 s, as in Redis).
    var lastBgsaveTry: Int64 = 0
    /// `server.dirty` when the running background save started.
    var dirtyAtBgsaveStart: Int64 = 0
    /// Unix ms when the running background save started, or 0.
    public internal(set) var bgsaveStartedAt: Int64 = 0
    /// Keys loaded and keys skipped as expired by the last load.
    public internal(set) var lastLoadKeysLoaded: Int64 = 0
    /// The `repl-*` aux fields of the last RDB image loaded with its aux fields read, when valid.
    public internal(set) var lastLoadReplicationAux: ReplicationAux?
    public internal(set) var lastLoadKeysExpired: Int64 = 0

    init(server: Server) {
        self.server = server
        self.lastSaveTime = server.startTime / 1000
    }

    /// A diskless full sync streams an RDB snapshot to replica sockets: like Redis's socket-target RDB child, it
    /// counts as a background save in progress (INFO, BGSAVE's refusal) without touching the file's bookkeeping.
    public func noteSocketSnapshot(running: Bool) {
        let now = Clock.unixMilliseconds()
        if !running && bgsaveStartedAt != 0 { lastBgsaveSeconds = (now - bgsaveStartedAt) / 1000 }
        bgsaveStartedAt = running ? now : 0
    }

    /// Records the key counts of a load (INFO's rdb_last_load_keys_*).
    func noteLoaded(_ loaded: Int64, expired: Int64) {
        lastLoadKeysLoaded = loaded
        lastLoadKeysExpired = expired
    }

    /// Changes since the last successful save (`rdb_changes_since_last_save`).
    public var changesSinceLastSave: Int64 { server.dirty - dirtyAtLastSave }

    /// Whether a background RDB save is running.
    public var bgsaveInProgress: Bool { bgsaveStartedAt != 0 }

    /// Whether write commands are refused with MISCONF (Redis's writeCommandsDeniedByDiskError for RDB).
    public var deniesWrites: Bool {
        !lastBgsaveOK && server.config.stopWritesOnBgsaveError && !server.config.savePoints.isEmpty
    }

    /// The RDB file's path, relative to the working directory (`dir`).
    public var filePath: String { server.config.dbfilename }

    /// The MISCONF error text Redis sends when the last background save failed.
    public static let misconfError = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
}

// MARK: - Saving

extension Server {
    /// SAVE: writes the RDB file synchronously (the server answers nobody meanwhile, as in Redis). Call with the
    /// lock held. Returns true on success.
    public func saveSync() -> Bool {
        let dirtyAtStart = dirty
        let ok = writeSnapshotSync(purpose: .rdb, finalPath: rdb.filePath, tempPath: "temp-\(getpid()).rdb")
        if ok {
            log.notice("DB saved on disk")
            rdb.dirtyAtLastSave = dirtyAtStart
            rdb.lastSaveTime = Clock.unixMilliseconds() / 1000
            rdb.saves += 1
            rdb.lastBgsaveOK = true
        } else {
            log.warning("Failed saving the DB")
        }
        return ok
    }

    /// Writes a whole snapshot now, without yielding (SAVE, a first AOF base). Call with the lock held and no
    /// snapshot running.
    public func writeSnapshotSync(purpose: Snapshot.Purpose, finalPath: String, tempPath: String) -> Bool {
        guard let job = beginSnapshot(purpose: purpose, finalPath: finalPath, tempPath: tempPath) else { return false }
        while !job.runSlice(budgetNanoseconds: Int64.max) {}
        let ok = endSnapshotSync(job)
        if !ok { log.warning(job.writer.errorMessage) }
        return ok
    }

    /// BGSAVE: starts a fork-free background save. Returns nil when started, or the error message. A save for a
    /// replica's full sync passes its `replication` position (written as aux fields) and `then`, called with the
    /// lock held once the file is complete (true) or failed (false).
    public func startBackgroundSave(replication: ReplicationAux? = nil, then: ((Bool) -> Void)? = nil) -> String? {
        if rdb.bgsaveInProgress { return "ERR Background save already in progress" }
        if snapshotBusy { return "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible." }
        rdb.lastBgsaveTry = Clock.unixMilliseconds()
        rdb.dirtyAtBgsaveStart = dirty
        let started = Clock.unixMilliseconds()
        guard beginSnapshot(purpose: .rdb, finalPath: rdb.filePath, tempPath: "temp-bg-\(getpid()).rdb",
                            replication: replication, completion: { [unowned self] ok in
            rdb.lastBgsaveSeconds = (Clock.unixMilliseconds() - started) / 1000
            rdb.bgsaveStartedAt = 0
            rdb.lastBgsaveOK = ok
            if ok {
                log.notice("Background saving terminated with success")
                rdb.dirtyAtLastSave = rdb.dirtyAtBgsaveStart
                rdb.lastSaveTime = Clock.unixMilliseconds() / 1000
                rdb.saves += 1
            } else {
                log.warning("Background saving error")
            }
            then?(ok)
            startScheduledWork()
        }) != nil else {
            // Redis's child fails the same way after the fork: the command still reports a start.
            rdb.lastBgsaveOK = false
            log.warning("Background saving error")
            then?(false)
            return nil
        }
        rdb.bgsaveStartedAt = started
        log.notice("Background saving started")
        return nil
    }

    /// Runs work that waited for the running snapshot to end (BGSAVE SCHEDULE, a rewrite asked for meanwhile).
    func startScheduledWork() {
        if rdb.bgsaveScheduled && !snapshotBusy {
            rdb.bgsaveScheduled = false
            _ = startBackgroundSave()
        }
        for hook in snapshotEndedHooks { hook() }
    }

    /// Asks for a background save as soon as the running snapshot ends (BGSAVE SCHEDULE).
    public func scheduleBackgroundSave() { rdb.bgsaveScheduled = true }

    /// The `save <seconds> <changes>` points, checked by the cron (Redis's serverCron): starts a background
    /// save when one is due; after a failure, retries no sooner than 5 seconds later.
    func checkSavePoints() {
        guard !snapshotBusy, !config.savePoints.isEmpty else { return }
        let now = Clock.unixMilliseconds()
        let changes = rdb.changesSinceLastSave
        for point in config.savePoints {
            let due = changes >= point.changes && now / 1000 - rdb.lastSaveTime > point.seconds
            let mayRetry = rdb.lastBgsaveOK || now - rdb.lastBgsaveTry > 5000
            if due && mayRetry {
                log.notice("\(point.changes) changes in \(point.seconds) seconds. Saving...")
                _ = startBackgroundSave()
                return
            }
        }
    }
}

// MARK: - Shutdown

extension Server {
    /// What Redis's prepareForShutdown does before exiting: stops a running snapshot and, when asked, saves the
    /// final RDB snapshot. Returns false (after logging) when the save failed and `force` is not set: the server
    /// then keeps running. Call with the lock held.
    public func prepareForShutdown(save: Bool, force: Bool) -> Bool {
        if let job = snapshot {
            log.warning("There is a child saving an .rdb. Killing it!")
            job.writer.abandon()
            abandonSnapshot(job)
        }
        for hook in shutdownHooks { hook() }
        guard save else { return true }
        log.notice("Saving the final RDB snapshot before exiting.")
        if saveSync() { return true }
        if force {
            log.warning("Error trying to save the DB, exiting anyway (FORCE).")
            return true
        }
        log.warning("Error trying to save the DB, can't exit.")
        log.warning("Errors trying to shut down the server. Check the logs for more information.")
        return false
    }

    /// Registers work done before exiting (the AOF flushes and fsyncs here).
    public func addShutdownHook(_ hook: @escaping () -> Void) { shutdownHooks.append(hook) }
}
