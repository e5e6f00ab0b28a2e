import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// `appendfsync always` with group commit, as Redis gets it from beforeSleep: a read batch's effects are written
/// at once (`flush`), but its replies wait for one `fdatasync` shared by every batch of the same event-loop turn.
/// A reply is held while anything written so far is not yet synced, or while an earlier reply of the same client
/// still waits (so a client's replies keep their order), which also holds back replies to other clients woken
/// by a batch (pub/sub, blocked pops, invalidations): they all leave through the connection's `process`.
extension AOF {
    /// A reply held until the file is synced.
    struct SyncWaiter {
        let loop: EpollLoop
        let client: Client
        let send: () -> Void
    }

    /// Whether a reply taken now must wait for an fsync. Call with the lock held.
    public func replyMustWaitForSync(_ c: Client) -> Bool {
        // An earlier reply still held keeps this one behind it, whatever the policy became since.
        if c.repliesAwaitingSync > 0 { return true }
        guard enabled && policy == .always else { return false }
        return currentSize != syncedSize
    }

    /// Holds `send` until the next group fsync, which is scheduled on `loop` if none is pending. Lock held.
    func sendAfterSync(_ c: Client, loop: EpollLoop, _ send: @escaping () -> Void) {
        c.repliesAwaitingSync += 1
        syncWaiters.append(SyncWaiter(loop: loop, client: c, send: send))
        guard !groupSyncScheduled else { return }
        groupSyncScheduled = true
        // Runs after the other connections' reads of this loop turn: their batches share the fsync.
        loop.execute { [unowned(unsafe) self] in self.runGroupSync(on: loop) }
    }

    /// The group fsync on `loop`, then the held replies. A script that took the data meanwhile postpones it
    /// (retried every 2 ms) rather than holding the loop, whose other clients must get -BUSY (never deaf).
    private func runGroupSync(on loop: EpollLoop) {
        guard server.lockDataUnlessScriptRuns() else {
            loop.schedule(in: .milliseconds(2)) { [unowned(unsafe) self] in self.runGroupSync(on: loop) }
            return
        }
        let ready = groupSync()
        server.lock.unlock()
        for w in ready {
            if w.loop.inLoop {
                w.send()
            } else {
                w.loop.execute { w.send() }
            }
        }
    }

    /// Writes what is pending, fsyncs once, and hands back every held reply. Lock held.
    func groupSync() -> [SyncWaiter] {
        groupSyncScheduled = false
        if enabled && fd >= 0 {
            flush(force: true)
            if currentSize != syncedSize {
                if fdatasync(fd) != 0 {
                    log.warning("Can't persist AOF for fsync error when the AOF fsync policy is 'always': \(String(cString: strerror(errno))). Exiting...")
                    exit(1)
                }
                syncedSize = currentSize
                lastFsyncMs = Clock.unixMilliseconds()
            }
        }
        let ready = syncWaiters
        syncWaiters.removeAll()
        for w in ready { w.client.repliesAwaitingSync -= 1 }
        return ready
    }
}
