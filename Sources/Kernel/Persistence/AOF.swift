import Atomics
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// The append-only file as Redis 7.0 keeps it (multi-part: a base file, incr files and a manifest inside
/// `appenddirname`): receives every effect, writes it to the current incr file per `appendfsync`, rewrites the
/// base (BGREWRITEAOF, auto rewrite) and exposes the state INFO persistence prints.
///
/// Every method runs with the server's data lock held. fsync for `everysec` runs on a background queue.
public final class AOF {
    /// `appendfsync` policies.
    public enum FsyncPolicy: String, Sendable { case always, everysec, no }

    unowned(unsafe) let server: Server
    /// Whether effects are being appended (Redis's `aof_state == AOF_ON`).
    public internal(set) var enabled = false
    /// The manifest as last persisted.
    public internal(set) var manifest = AOFManifest()
    /// Descriptor of the incr file being appended to, or -1.
    var fd: Int32 = -1
    /// Effects not yet written (Redis's `aof_buf`).
    var buffer: [UInt8] = []
    /// Database the file's last SELECT chose (-1: none yet in this file).
    var selectedDb = -1
    var lastTimestamp: Int64 = 0
    var lastFsyncMs: Int64 = 0
    var flushPostponedStart: Int64 = 0
    /// `currentSize` at the last fsync started: nothing to sync while they are equal.
    var syncedSize: Int64 = 0
    /// fsyncs queued or running on the background queue (INFO `aof_pending_bio_fsync`).
    let pendingFsyncs = ManagedAtomic<Int>(0)
    let fsyncQueue = DispatchQueue(label: "redis-swift.aof-fsync")
    var sinkRegistered = false
    /// Replies held for the next group fsync (`appendfsync always`), in the order they were taken.
    var syncWaiters: [SyncWaiter] = []
    var groupSyncScheduled = false

    // INFO persistence
    public internal(set) var currentSize: Int64 = 0
    public internal(set) var baseSize: Int64 = 0
    public internal(set) var rewrites = 0
    public internal(set) var rewriteConsecutiveFailures = 0
    public internal(set) var lastRewriteTimeSec: Int64 = -1
    public internal(set) var lastBgrewriteOK = true
    public internal(set) var lastWriteOK = true
    /// The system's reason for the last failed write (for the MISCONF error).
    public internal(set) var lastWriteError = ""
    public internal(set) var delayedFsync = 0
    public internal(set) var rewriteInProgress = false
    /// BGREWRITEAOF asked while a rewrite could not start yet.
    public internal(set) var rewriteScheduled = false
    /// Unix ms when the running background rewrite started, or 0 (`aof_current_rewrite_time_sec`).
    public internal(set) var rewriteStartedAt: Int64 = 0

    /// Creates the (disabled) AOF of `server`.
    public init(server: Server) {
        self.server = server
    }

    var config: Config { server.config }
    var log: Logger { server.log }
    /// Path of `appenddirname` (inside `dir`).
    public var directory: String { AOFFiles.join(config.dir, config.appenddirname) }
    /// Path of the manifest.
    public var manifestPath: String { AOFFiles.join(directory, config.appendfilename + ".manifest") }
    /// Bytes waiting in the buffer (INFO `aof_buffer_length`).
    public var bufferLength: Int { buffer.count }
    /// Background fsyncs in flight.
    public var pendingBackgroundFsyncs: Int { pendingFsyncs.load(ordering: .relaxed) }
    var policy: FsyncPolicy { FsyncPolicy(rawValue: config.appendfsync) ?? .everysec }

    // MARK: - Feeding effects

    /// Appends one effect to the buffer in RESP, preceded by SELECT when the database changes and a `#TS:`
    /// annotation when `aof-timestamp-enabled` and the second changed (Redis's feedAppendOnlyFile).
    public func feed(db: Int, _ argv: [RBytes]) {
        guard enabled else { return }
        if config.aofTimestampEnabled {
            let now = Clock.unixMilliseconds() / 1000
            if now > lastTimestamp {
                buffer.append(contentsOf: Array("#TS:\(now)\r\n".utf8))
                lastTimestamp = now
            }
        }
        if db != selectedDb {
            AOFCommandReader.encode(["SELECT", Numbers.format(Int64(db))], into: &buffer)
            selectedDb = db
        }
        AOFCommandReader.encode(argv, into: &buffer)
    }

    // MARK: - Writing and fsync

    /// Writes the buffer to the incr file and fsyncs per policy (Redis's flushAppendOnlyFile). Called at the end
    /// of every read batch (before any reply of the batch can reach a socket), and from the cron.
    public func flush(force: Bool = false) {
        guard enabled, fd >= 0 else { return }
        let now = Clock.unixMilliseconds()
        if !buffer.isEmpty {
            if policy == .everysec && !force && pendingFsyncs.load(ordering: .acquiring) > 0 {
                // An fsync is still running: postpone the write up to two seconds, as Redis does.
                if flushPostponedStart == 0 { flushPostponedStart = now; return }
                if now - flushPostponedStart < 2000 { return }
                delayedFsync += 1
                log.notice("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.")
            }
            flushPostponedStart = 0
            let offset = lseek(fd, 0, SEEK_END)
            let written = buffer.withUnsafeBytes { AOFFiles.writeCounting(fd, $0) }
            if written != buffer.count {
                let reason = String(cString: strerror(errno))
                if policy == .always {
                    log.warning("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...")
                    exit(1)
                }
                // Never leave half a command in the file: cut the partial write, or keep only what is missing.
                if written > 0 {
                    if offset >= 0 && ftruncate(fd, offset) == 0 {
                        _ = lseek(fd, 0, SEEK_END)
                    } else {
                        currentSize += Int64(written)
                        buffer.removeFirst(written)
                    }
                }
                if lastWriteOK { log.warning("Error writing to the AOF file: \(reason)") }
                lastWriteOK = false
                lastWriteError = reason
                return
            }
            if !lastWriteOK { log.warning("AOF write error looks solved, Redis can write again.") }
            lastWriteOK = true
            currentSize += Int64(buffer.count)
            if buffer.capacity > 4 << 20 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
        }
        if config.noAppendfsyncOnRewrite && (rewriteInProgress || server.snapshotBusy) { return }
        guard currentSize != syncedSize else { return }
        switch policy {
        case .always:
            // The fsync is shared by the batches of one loop turn (AOF+GroupCommit); replies wait for it.
            break
        case .everysec:
            if now - lastFsyncMs >= 1000 && pendingFsyncs.load(ordering: .acquiring) == 0 {
                syncedSize = currentSize
                backgroundFsync(fd)
                lastFsyncMs = now
            }
        case .no:
            break
        }
    }

    /// Queues an fsync of `fd` on the background queue (never on the data owner's thread).
    func backgroundFsync(_ fd: Int32) {
        pendingFsyncs.wrappingIncrement(ordering: .acquiringAndReleasing)
        fsyncQueue.async { [pendingFsyncs] in
            _ = fdatasync(fd)
            pendingFsyncs.wrappingDecrement(ordering: .acquiringAndReleasing)
        }
    }

    /// Closes a descriptor after the background fsyncs queued before it (Redis closes old files in bio too).
    func closeInBackground(_ fd: Int32, sync: Bool) {
        pendingFsyncs.wrappingIncrement(ordering: .acquiringAndReleasing)
        fsyncQueue.async { [pendingFsyncs] in
            if sync { _ = fsync(fd) }
            close(fd)
            pendingFsyncs.wrappingDecrement(ordering: .acquiringAndReleasing)
        }
    }

    /// The cron's part: write what is pending (everysec and no write from the cron too), start an automatic
    /// rewrite past `auto-aof-rewrite-percentage`/`-min-size`, run a scheduled rewrite.
    public func cron() {
        if rewriteScheduled && !rewriteInProgress && !server.snapshotBusy {
            rewriteScheduled = false
            _ = enabled ? rewrite() : rewriteInBackground()
            return
        }
        guard enabled else { return }
        flush()
        if policy == .always && currentSize != syncedSize && syncWaiters.isEmpty, fd >= 0 {
            // Effects of the cron itself (expired keys) with no reply waiting for them.
            _ = fdatasync(fd)
            syncedSize = currentSize
        }
        let pct = config.autoAofRewritePercentage
        if pct > 0 && currentSize > config.autoAofRewriteMinSize && !rewriteInProgress && !server.snapshotBusy {
            let base = max(baseSize, 1)
            let growth = (currentSize * 100 / base) - 100
            if growth >= Int64(pct) {
                log.notice("Starting automatic rewriting of AOF on \(growth)% growth")
                _ = rewrite()
            }
        }
    }

    // MARK: - Manifest and files

    /// Writes the manifest atomically (temp file, fsync, rename).
    func persistManifest(_ m: AOFManifest) throws(AOFFiles.IOError) {
        let temp = AOFFiles.join(directory, "temp-" + config.appendfilename + ".manifest")
        try AOFFiles.writeAtomically(m.serialized(), to: manifestPath, tempPath: temp)
        manifest = m
    }

    /// Opens a new incr file (next sequence number), lists it in the manifest and appends to it from now on;
    /// the previous file is fsynced and closed in the background.
    func openNewIncr(reason: String) throws(AOFFiles.IOError) {
        var m = manifest
        let seq = m.currentIncrSeq + 1
        let name = AOFManifest.incrName(config.appendfilename, seq: seq)
        let newFd = try AOFFiles.openAppend(AOFFiles.join(directory, name))
        m.incrs.append(.init(name: name, seq: seq, type: .incr))
        m.currentIncrSeq = seq
        do {
            try persistManifest(m)
        } catch {
            close(newFd)
            throw error
        }
        if fd >= 0 {
            // Under `always`, held replies may cover the old file's tail: sync it before switching.
            if policy == .always { _ = fdatasync(fd) }
            closeInBackground(fd, sync: policy == .everysec)
        }
        fd = newFd
        selectedDb = -1
        lastTimestamp = 0
        log.notice("Creating AOF incr file \(name) \(reason)")
    }

    /// Recomputes `aof_current_size` from the files the manifest lists.
    func refreshSizes() {
        var total: Int64 = 0
        for e in manifest.loadOrder { total += AOFFiles.size(AOFFiles.join(directory, e.name)) }
        currentSize = total
    }

    /// Deletes history files and drops them from the manifest (Redis's aofDelHistoryFiles).
    func deleteHistoryFiles() {
        guard !manifest.history.isEmpty else { return }
        var m = manifest
        for e in m.history {
            log.notice("Removing the history file \(e.name) in the background")
            unlink(AOFFiles.join(directory, e.name))
        }
        m.history.removeAll()
        try? persistManifest(m)
    }

    /// Registers the effects sink once (propagation is free while no sink exists).
    func registerSink() {
        guard !sinkRegistered else { return }
        sinkRegistered = true
        server.addPropagationSink(consumes: .aof) { [unowned self] db, argv in self.feed(db: db, argv) }
    }

    // MARK: - Turning on and off

    /// CONFIG SET appendonly yes: writes a base of the current dataset (through a rewrite) and starts appending.
    public func startAtRuntime() throws(AOFFiles.IOError) {
        guard !enabled else { return }
        try AOFFiles.makeDirectory(directory)
        if AOFFiles.exists(manifestPath) {
            if let bytes = try? AOFFiles.readSmall(manifestPath), let m = try? AOFManifest.parse(bytes) { manifest = m }
        }
        registerSink()
        enabled = true
        // Synchronous: the AOF must not be on before its first base exists (Redis waits for that rewrite too).
        if !rewrite(synchronous: true) {
            enabled = false
            if fd >= 0 { close(fd); fd = -1 }
            throw AOFFiles.IOError(message: "Unable to turn on AOF. Check server logs.")
        }
    }

    /// CONFIG SET appendonly no: writes and fsyncs what is pending, then stops appending.
    public func stop() {
        guard enabled else { return }
        flush(force: true)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
            fd = -1
        }
        enabled = false
        buffer.removeAll()
        selectedDb = -1
    }

    /// At shutdown: write and fsync everything pending.
    public func shutdown() {
        guard enabled, fd >= 0 else { return }
        flush(force: true)
        log.notice("Calling fsync() on the AOF file.")
        _ = fsync(fd)
    }

    // MARK: - Rewrite

    /// Rewrites the AOF as Redis 7.0 does: a new incr file at once (nothing written from now on is lost), a new
    /// base holding the dataset as of this instant (temp file, fsync, rename), then the manifest switch, with
    /// the old base and incr files marked history and deleted. Returns whether it succeeded.
    @discardableResult
    public func rewrite(atStart: Bool = false, synchronous: Bool = false) -> Bool {
        guard enabled else { return false }
        if !atStart && !synchronous && config.aofUseRdbPreamble { return rewriteInBackground() }
        let started = Clock.unixMilliseconds()
        rewriteInProgress = true
        defer { rewriteInProgress = false }
        let fresh = atStart
        flush(force: true)
        do {
            try AOFFiles.makeDirectory(directory)
            try openNewIncr(reason: fresh ? "on server start" : "on background rewrite")
            let temp = AOFFiles.join(config.dir, "temp-rewriteaof-bg-\(getpid()).aof")
            if fresh {
                log.notice("Creating AOF base file \(AOFManifest.baseName(config.appendfilename, seq: manifest.currentBaseSeq + 1, rdb: false)) on server start")
            }
            // The base is an RDB image when `aof-use-rdb-preamble yes` (written by the snapshot engine, here in one
            // go), else commands that recreate the dataset.
            let rdbBase = config.aofUseRdbPreamble && !server.snapshotBusy
            if rdbBase {
                guard server.writeSnapshotSync(purpose: .aofBase, finalPath: temp, tempPath: temp + ".part") else {
                    throw AOFFiles.IOError("Can't write the AOF base file")
                }
            } else {
                try AOFRewriter.writeBase(server: server, to: temp)
            }
            if !fresh { log.notice("Successfully created the temporary AOF base file \(temp.split(separator: "/").last.map(String.init) ?? temp)") }
            try installBase(tempPath: temp, rdb: rdbBase, quiet: fresh)
        } catch {
            log.warning("Background AOF rewrite terminated with error: \(error)")
            lastBgrewriteOK = false
            rewriteConsecutiveFailures += 1
            return false
        }
        if fresh { return true }  // the first base is not a background rewrite: INFO does not count it
        lastBgrewriteOK = true
        rewriteConsecutiveFailures = 0
        rewrites += 1
        lastRewriteTimeSec = (Clock.unixMilliseconds() - started) / 1000
        log.notice("Background AOF rewrite finished successfully")
        return true
    }

    /// The fork-free rewrite (`aof-use-rdb-preamble yes`): a new incr file at once, then the base is an RDB
    /// snapshot of this instant written in slices while clients keep writing (`Snapshot`); when it is complete
    /// the manifest switches to it. While another snapshot runs (BGSAVE), the rewrite is scheduled instead.
    /// Runs a rewrite as soon as no snapshot is running (BGREWRITEAOF during a BGSAVE).
    public func scheduleRewrite() { rewriteScheduled = true }

    public func rewriteInBackground() -> Bool {
        if server.snapshotBusy {
            rewriteScheduled = true
            return true
        }
        let started = Clock.unixMilliseconds()
        flush(force: true)
        let temp = AOFFiles.join(config.dir, "temp-rewriteaof-bg-\(getpid()).aof")
        do {
            try AOFFiles.makeDirectory(directory)
            // With the AOF off (BGREWRITEAOF under appendonly no) Redis 7.0 still writes a base and a manifest
            // listing only it; there is no incr file to switch to.
            if enabled { try openNewIncr(reason: "on background rewrite") }
        } catch {
            log.warning("Background AOF rewrite terminated with error: \(error)")
            lastBgrewriteOK = false
            rewriteConsecutiveFailures += 1
            return false
        }
        rewriteInProgress = true
        rewriteStartedAt = started
        let job = server.beginSnapshot(purpose: .aofBase, finalPath: temp, tempPath: temp + ".part") { [unowned self] ok in
            guard ok else {
                finishRewrite(succeeded: false, started: started)
                return
            }
            log.notice("Successfully created the temporary AOF base file \(temp.split(separator: "/").last.map(String.init) ?? temp)")
            installBaseOffTheOwner(tempPath: temp) { [unowned self] succeeded in
                finishRewrite(succeeded: succeeded, started: started)
            }
        }
        guard job != nil else {
            rewriteInProgress = false
            rewriteStartedAt = 0
            lastBgrewriteOK = false
            rewriteConsecutiveFailures += 1
            return false
        }
        log.notice("Background append only file rewriting started")
        return true
    }

    /// The end of a background rewrite (lock held): counters, log lines, and work that waited for it.
    func finishRewrite(succeeded: Bool, started: Int64) {
        rewriteInProgress = false
        rewriteStartedAt = 0
        lastBgrewriteOK = succeeded
        if succeeded {
            rewriteConsecutiveFailures = 0
            rewrites += 1
            lastRewriteTimeSec = (Clock.unixMilliseconds() - started) / 1000
            log.notice("Background AOF rewrite finished successfully")
        } else {
            rewriteConsecutiveFailures += 1
            log.warning("Background AOF rewrite failed")
        }
        // A BGSAVE SCHEDULE'd while this rewrite ran starts now (Redis's serverCron does the same).
        server.startScheduledWork()
    }

    /// `installBase` with the file system work (rename, fsyncs, the manifest, deleting history files) on a
    /// background thread, so the data owner never waits for the disk; the new manifest is adopted under the lock
    /// afterwards and `done(ok)` runs with the lock held. Nothing else changes the manifest meanwhile: a rewrite
    /// is still in progress. Call with the lock held.
    func installBaseOffTheOwner(tempPath: String, done: @escaping (Bool) -> Void) {
        var m = manifest
        if !enabled, AOFFiles.exists(manifestPath), let bytes = try? AOFFiles.readSmall(manifestPath),
           let onDisk = try? AOFManifest.parse(bytes) {
            m = onDisk
        }
        let seq = m.currentBaseSeq + 1
        let name = AOFManifest.baseName(config.appendfilename, seq: seq, rdb: true)
        let dir = directory
        let target = AOFFiles.join(dir, name)
        if var old = m.base {
            old.type = .history
            m.history.append(old)
        }
        while m.incrs.count > (enabled ? 1 : 0) {
            var e = m.incrs.removeFirst()
            e.type = .history
            m.history.append(e)
        }
        m.base = .init(name: name, seq: seq, type: .base)
        m.currentBaseSeq = seq
        let withHistory = m
        m.history.removeAll()
        let final = m
        let manifestPath = self.manifestPath
        let manifestTemp = AOFFiles.join(dir, "temp-" + config.appendfilename + ".manifest")
        let server = self.server
        DispatchQueue.global().async { [self] in
            var failure: String?
            if rename(tempPath, target) != 0 {
                failure = "Can't rename the temp AOF base file \(tempPath) into \(name)"
                unlink(tempPath)
            } else {
                AOFFiles.fsyncDirectory(of: target)
                do {
                    try AOFFiles.writeAtomically(withHistory.serialized(), to: manifestPath, tempPath: manifestTemp)
                    for e in withHistory.history { unlink(AOFFiles.join(dir, e.name)) }
                    try AOFFiles.writeAtomically(final.serialized(), to: manifestPath, tempPath: manifestTemp)
                } catch {
                    failure = "\(error)"
                }
            }
            let baseBytes = AOFFiles.size(target)
            server.lock.withLock {
                if let failure {
                    log.warning("Background AOF rewrite terminated with error: \(failure)")
                    done(false)
                    return
                }
                log.notice("Successfully renamed the temporary AOF base file \(tempPath.split(separator: "/").last.map(String.init) ?? tempPath) into \(name)")
                for e in withHistory.history { log.notice("Removing the history file \(e.name) in the background") }
                manifest = final
                baseSize = baseBytes
                refreshSizes()
                done(true)
            }
        }
    }

    /// Moves a finished base file into the directory and switches the manifest to it: the previous base and
    /// every incr file but the newest become history and are deleted. The seam for an asynchronous snapshot:
    /// call it (lock held) with the snapshot's temp file after `openNewIncr`.
    public func installBase(tempPath: String, rdb: Bool, quiet: Bool = false) throws(AOFFiles.IOError) {
        var m = manifest
        if !enabled, AOFFiles.exists(manifestPath), let bytes = try? AOFFiles.readSmall(manifestPath),
           let onDisk = try? AOFManifest.parse(bytes) {
            m = onDisk
        }
        let seq = m.currentBaseSeq + 1
        let name = AOFManifest.baseName(config.appendfilename, seq: seq, rdb: rdb)
        let target = AOFFiles.join(directory, name)
        if rename(tempPath, target) != 0 {
            let e = AOFFiles.IOError("Can't rename the temp AOF base file \(tempPath) into \(name)")
            unlink(tempPath)
            throw e
        }
        AOFFiles.fsyncDirectory(of: target)
        if !quiet { log.notice("Successfully renamed the temporary AOF base file \(tempPath.split(separator: "/").last.map(String.init) ?? tempPath) into \(name)") }
        if var old = m.base {
            old.type = .history
            m.history.append(old)
        }
        while m.incrs.count > (enabled ? 1 : 0) {
            var e = m.incrs.removeFirst()
            e.type = .history
            m.history.append(e)
        }
        m.base = .init(name: name, seq: seq, type: .base)
        m.currentBaseSeq = seq
        try persistManifest(m)
        deleteHistoryFiles()
        baseSize = AOFFiles.size(target)
        refreshSizes()
    }
}
