import Dispatch
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Starting, driving and ending the one snapshot that may run at a time (see `Snapshot`).
extension Server {
    /// Whether a snapshot is being taken or its file is still being completed.
    public var snapshotBusy: Bool { snapshot != nil || snapshotFinishing }

    /// Starts a snapshot written to `tempPath` and renamed to `finalPath` when complete. With a `completion`
    /// the walk runs in slices on the background loop and `completion(ok)` is called with the lock held;
    /// without one the caller drives it (SAVE). Returns nil (after logging) when the file cannot be created.
    /// Call with the lock held.
    @discardableResult
    public func beginSnapshot(purpose: Snapshot.Purpose, finalPath: String, tempPath: String,
                              replication: ReplicationAux? = nil,
                              completion: ((Bool) -> Void)? = nil) -> Snapshot? {
        precondition(!snapshotBusy, "one snapshot at a time")
        let writer: SnapshotFileWriter
        do {
            let incremental = purpose == .rdb ? config.rdbSaveIncrementalFsync : config.aofRewriteIncrementalFsync
            writer = try SnapshotFileWriter(tempPath: tempPath, finalPath: finalPath, checksum: config.rdbchecksum,
                                            autosyncBytes: incremental ? 4 << 20 : 0)
        } catch {
            log.warning(error.message)
            return nil
        }
        return beginSnapshot(purpose: purpose, sink: writer, replication: replication, completion: completion)
    }

    /// Starts a snapshot written to `sink` (a diskless full sync streams it to replica sockets). Same contract
    /// as the file form. Call with the lock held.
    @discardableResult
    public func beginSnapshot(purpose: Snapshot.Purpose, sink writer: any SnapshotSink,
                              replication: ReplicationAux? = nil,
                              completion: ((Bool) -> Void)? = nil) -> Snapshot? {
        precondition(!snapshotBusy, "one snapshot at a time")
        refreshUsedMemory()
        let job = Snapshot(server: self, writer: writer, purpose: purpose, compression: config.rdbcompression)
        job.completion = completion
        // Every RDB carries the replication position when there is one (SAVE, BGSAVE, save points, shutdown),
        // so a restarted replica can continue; an AOF base never does.
        job.replicationAux = replication ?? (purpose == .rdb ? self.replication.saveInfo?() : nil)
        job.writeHeader()
        // Flip the parity: every existing entry is now pending for this snapshot, in O(1).
        snapshotParity ^= Entry.parityFlag
        for db in databases { db.table.compactionSuspended = true }
        snapshot = job
        if completion != nil { scheduleSnapshotSlice(job, delayMs: 0) }
        return job
    }

    /// Finishes a snapshot the caller drove to the end (SAVE): waits for the file. Call with the lock held.
    func endSnapshotSync(_ job: Snapshot) -> Bool {
        endWalk()
        let done = DispatchSemaphore(value: 0)
        var result = false
        job.finish { ok in
            result = ok
            done.signal()
        }
        done.wait()
        return result
    }

    /// The walk is over: every entry carries the current parity again; compaction resumes.
    private func endWalk() {
        snapshot = nil
        for db in databases {
            db.table.compactionSuspended = false
            db.table.compactIfSparse()
        }
    }

    private func scheduleSnapshotSlice(_ job: Snapshot, delayMs: Int64) {
        guard let loop = backgroundLoop else {
            // No event loop (unit tests): finish at once.
            while !job.runSlice(budgetNanoseconds: Int64.max) {}
            completeSnapshot(job)
            return
        }
        let task = { [unowned self] in
            // A script holding the data postpones the slice without holding the loop (see `withDataWhenNoScript`).
            self.withDataWhenNoScript(on: loop) { [unowned self] in self.runSnapshotSlice(job) }
        }
        // Never `execute`: NIO drains tasks queued by tasks before polling sockets again, so back-to-back slices
        // would starve every client. A short timer lets the loop serve I/O between slices.
        loop.scheduleTask(in: delayMs == 0 ? .microseconds(50) : .milliseconds(delayMs), task)
    }

    /// One slice of a background snapshot (with the lock held).
    private func runSnapshotSlice(_ job: Snapshot) {
        guard snapshot === job else { return }
        if job.writerIsBacklogged {
            scheduleSnapshotSlice(job, delayMs: 1)
            return
        }
        if job.runSlice() {
            completeSnapshot(job)
        } else {
            scheduleSnapshotSlice(job, delayMs: 0)
        }
    }

    private func completeSnapshot(_ job: Snapshot) {
        endWalk()
        snapshotFinishing = true
        job.finish { [unowned self] ok in
            self.lock.withLock {
                self.snapshotFinishing = false
                if !ok { self.log.warning(job.writer.errorMessage) }
                job.completion?(ok)
            }
        }
    }

    /// Stops a running snapshot without a file (shutdown): the walk still completes, without encoding, so every
    /// entry's parity is current again.
    func abandonSnapshot(_ job: Snapshot) {
        job.discarding = true
        while !job.runSlice(budgetNanoseconds: Int64.max) {}
        endWalk()
        rdb.bgsaveStartedAt = 0
    }

    /// Before a write command runs while a snapshot is being taken: the snapshot sees its keys as they were.
    func snapshotBeforeWrite(_ c: Client, _ cmd: Command) {
        for i in cmd.keyIndexes(c.argv) where i < c.argv.count {
            c.db.willChange(key: c.argv[i])
        }
    }

    /// Registers work to run when a snapshot ends (e.g. an AOF rewrite asked for while a BGSAVE ran).
    public func addSnapshotEndedHook(_ hook: @escaping () -> Void) {
        snapshotEndedHooks.append(hook)
    }
}
