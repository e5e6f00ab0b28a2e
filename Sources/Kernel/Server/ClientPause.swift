/// CLIENT PAUSE (Redis 7.0's PAUSE_BY_CLIENT_COMMAND): until `end` (unix ms), commands of normal clients are
/// parked like the failover's write pause — every command in ALL mode, those that may write or replicate in
/// WRITE mode — and the dataset is kept constant: no active expiry, and keys whose time passed read as missing
/// without being deleted. A second pause keeps the later end and the stricter mode, as Redis's pauseClients.
public struct ClientPauseState {
    /// Unix milliseconds when the pause ends.
    public var end: Int64
    /// ALL (every command) rather than WRITE.
    public var all: Bool
}

extension Server {
    /// Starts or extends a client pause.
    public func pauseClients(until end: Int64, all: Bool) {
        if var p = clientPause {
            p.end = max(p.end, end)
            p.all = p.all || all
            clientPause = p
        } else {
            clientPause = ClientPauseState(end: end, all: all)
        }
        pauseActive = true
    }

    /// CLIENT UNPAUSE (or the pause's end): parked commands run again unless a failover still holds writes.
    public func unpauseClients() {
        guard clientPause != nil else { return }
        clientPause = nil
        pauseActive = replication.writesPaused
        if !replication.writesPaused { resumePostponed() }
    }

    /// Whether a pause holds the dataset constant now. An elapsed client pause no longer counts; the cron ends
    /// it and dispatches the parked commands (never from inside a key lookup).
    var datasetPaused: Bool {
        if replication.writesPaused { return true }
        guard let p = clientPause else { return false }
        return commandTime < p.end
    }

    /// Whether the dispatcher parks `cmd` for `c` under the current pauses (Redis's blockPostponeClient rule).
    func pausesCommand(_ c: Client, _ cmd: Command) -> Bool {
        if replication.writesPaused && pausesWrite(c, cmd) { return true }
        guard let p = clientPause, c.linkKind == .normal else { return false }
        if commandTime >= p.end { return false }
        if p.all { return true }
        let mask: CommandFlags = [.write, .mayReplicate]
        if !cmd.flags.isDisjoint(with: mask) { return true }
        if cmd.fullName == "exec", let queued = c.multi?.queued {
            return queued.contains { !$0.command.flags.isDisjoint(with: mask) }
        }
        return false
    }
}
