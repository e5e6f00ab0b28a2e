/// What a nested caller (a script's `redis.call`) allows, and what it did so far.
public struct NestedCallPolicy {
    /// False for EVAL_RO / FCALL_RO and `no-writes` scripts.
    public var allowWrites = true
    /// The script's `allow-oom` flag (or a script without a shebang whose caller passed the OOM check).
    public var allowOOM = false
    /// The script's `allow-stale` flag.
    public var allowStale = false
    /// Whether memory was over `maxmemory` when the script started (Redis's `server.script_oom`).
    public var oomAtStart = false
    /// Set by the first write command that runs.
    public var wrote = false

    /// A policy allowing everything.
    public init() {}
}

extension Server {
    /// Runs `c.argv` as a command nested in another one (Redis's scriptCall): the same table, arity, `noscript`,
    /// read-only, stale and OOM checks as the dispatcher in their script wording, then `call` — but none of the
    /// after-command work of a top-level command (effects are flushed, woken clients served, once, by the
    /// top-level command that contains this one). Returns nil when the command ran (its reply, possibly an
    /// error, is in `c.reply`), or the rejection (`ERR ...`), already counted in the error stats.
    public func nestedCall(_ c: Client, caller: Client, policy: inout NestedCallPolicy) -> String? {
        guard var ref = lookupCommand(c) else { return rejectNested(nil, "ERR Unknown Redis command called from script") }
        if c.argv.count >= 2 && ref._withUnsafeGuaranteedRef({ $0.hasSubcommands }) {
            let found = ref.takeUnretainedValue()
            if let sub = found.subcommands[c.argv[1].lowercased()] {
                ref = Unmanaged.passUnretained(sub)
            } else if found.spec.handler == nil {
                return rejectNested(nil, "ERR Unknown Redis command called from script")
            }
        }
        // Borrowed for the whole call: a script cannot unregister commands (MODULE UNLOAD is `noscript`).
        return ref._withUnsafeGuaranteedRef { nestedCall(c, $0, caller: caller, policy: &policy) }
    }

    /// `nestedCall` once the command is resolved.
    private func nestedCall(_ c: Client, _ cmd: Command, caller: Client, policy: inout NestedCallPolicy) -> String? {
        guard cmd.acceptsArgumentCount(c.argv.count) else {
            return rejectNested(cmd, "ERR Wrong number of args calling Redis command from script")
        }
        if cmd.flags.contains(.noscript) {
            return rejectNested(cmd, "ERR This Redis command is not allowed from script")
        }
        // The script runs with its caller's user (`c` carries it): the same check as the dispatcher's.
        if let denial = aclDenial(c, cmd, c.argv) {
            // The entry's client-info is the caller's, running EVAL/FCALL (as Redis logs the original client).
            logACLDenial(caller, cmd, c.argv, denial, context: .lua)
            return rejectNested(cmd, Server.scriptNoPermMessage(denial.0))
        }
        let obeyed = caller.linkKind == .master
        if replication.role == .replica && !obeyed && !replication.masterLinkUp && !config.replicaServeStaleData
            && !policy.allowStale && !cmd.flags.contains(.stale) {
            return rejectNested(cmd, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
        }
        if cmd.flags.contains(.write) {
            if !policy.allowWrites {
                return rejectNested(cmd, "ERR Write commands are not allowed from read-only scripts.")
            }
            if replication.role == .replica && config.replicaReadOnly && !obeyed {
                return rejectNested(cmd, "READONLY You can't write against a read only replica.")
            }
            if lastBgsaveFailed && rdb.deniesWrites && !obeyed {
                return rejectNested(cmd, RDBPersistence.misconfError)
            }
        }
        if config.maxmemory > 0 && !obeyed && !policy.allowOOM && !policy.wrote && policy.oomAtStart
            && cmd.flags.contains(.denyoom) {
            return rejectNested(cmd, "OOM command not allowed when used memory > 'maxmemory'.")
        }
        if cmd.flags.contains(.write) && !policy.wrote {
            // Once per run: the flag (an atomic other loops read for SCRIPT KILL) is reset by the run's start.
            policy.wrote = true
            busyScript.markWrote()
        }
        call(c, cmd)
        return nil
    }

    private func rejectNested(_ cmd: Command?, _ message: String) -> String {
        cmd?.rejectedCalls += 1
        countError(message)
        return message
    }

    /// Whether used memory is over `maxmemory` now (a script without `allow-oom` checks this once at its start).
    public var isOverMaxmemory: Bool { config.maxmemory > 0 && preCommandOOM }

    /// Folds `-BUSY` replies answered without the lock into the error stats (call with the lock held).
    public func accountBusyReplies() {
        let n = busyScript.takeBusyReplies()
        guard n > 0 else { return }
        for _ in 0..<n { countError("BUSY") }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension Server {
    /// SHUTDOWN NOSAVE received while a script holds the data: the process ends at once (nothing is saved; the
    /// script's unfinished effects were never propagated), as Redis does from inside a busy script.
    public func shutdownWhileBusy() -> Never {
        log.warning("User requested shutdown...")
        log.notice("Redis is now ready to exit, bye bye...")
        _exit(0)
    }
}

extension Server {
    /// Adds fields to an INFO section (`memory`, ...), computed when INFO runs.
    public func addInfoFields(section: String, _ provider: @escaping (Server) -> [(String, String)]) {
        infoProviders[section, default: []].append(provider)
    }

    /// The fields other targets add to `section`.
    public func infoFields(section: String) -> [(String, String)] {
        guard let list = infoProviders[section] else { return [] }
        return list.flatMap { $0(self) }
    }
}
