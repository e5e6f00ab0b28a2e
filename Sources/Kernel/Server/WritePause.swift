/// Writes held back while a FAILOVER waits for its replica to catch up (Redis 7.0's `PAUSE_DURING_FAILOVER`
/// with the client-write action set): a command that may change data, from any client but the master link, is
/// parked as a blocked client whose later input stays buffered, and is dispatched again, in order, when the
/// pause ends (by then the server may be a replica and answer READONLY, as Redis does). Active expiry and the
/// replication target's PINGs also stop, so the stream offset stays put.
extension Server {
    /// Whether the dispatcher parks `cmd` for `c` now (Redis's is_may_replicate_command under a write pause).
    func pausesWrite(_ c: Client, _ cmd: Command) -> Bool {
        guard replication.writesPaused, c.linkKind != .master else { return false }
        if cmd.flags.contains(.write) { return true }
        if cmd.fullName == "exec", let queued = c.multi?.queued {
            return queued.contains { $0.command.flags.contains(.write) }
        }
        return false
    }

    /// Parks `c`'s current command until `resumePausedWrites`.
    func postpone(_ c: Client, _ cmd: Command) {
        blockSequence += 1
        let state = BlockState(id: blockSequence, keys: [], db: c.db, deadline: 0, timeoutReply: .null,
                               argv: c.argv, command: cmd, wakeOnDeletion: false)
        c.blockState = state
        addBlocked(c, state)
        replication.postponed.append(c)
    }

    /// Starts holding writes (FAILOVER).
    public func pauseWrites() {
        replication.writesPaused = true
        pauseActive = true
    }

    /// Ends the pause: every parked command is dispatched again in the order it arrived (clients gone since
    /// are skipped), then each connection goes on with its buffered input.
    public func resumePausedWrites() {
        replication.writesPaused = false
        pauseActive = clientPause != nil
        if clientPause == nil { resumePostponed() }
    }

    /// Dispatches the parked commands again (a pause that still applies parks them again).
    func resumePostponed() {
        let parked = replication.postponed
        replication.postponed = []
        for c in parked {
            guard let s = c.blockState, s.keys.isEmpty else { continue }
            unblock(c)
            c.db = s.db
            c.argv = s.argv
            execute(c)
            c.scheduleResume()
        }
    }
}
