import Synchronization

/// What the I/O loops may know about a running script without the data lock (never deaf, DESIGN §3): whether
/// one runs, whether it is past `busy-reply-threshold`, whether it wrote, and the kill request its hook polls.
///
/// The script's thread holds the data lock for the whole run; a loop whose try-lock fails reads these atomics to
/// answer `-BUSY`, `SCRIPT KILL`, `FUNCTION KILL` and `SHUTDOWN NOSAVE` itself.
public final class BusyScript: @unchecked Sendable {
    /// What runs: none, an EVAL script, or a FUNCTION.
    public enum Kind: Int { case none = 0, eval = 1, function = 2 }

    // The standard library's atomics: swift-atomics' `ManagedAtomic` computed its address through a getter that
    // was not inlined (0.4% of an EVALSHA's CPU in `begin`).
    let runningKind = Atomic<Int>(0)
    let pastThreshold = Atomic<Bool>(false)
    let wroteFlag = Atomic<Bool>(false)
    let killFlag = Atomic<Bool>(false)
    let fromMaster = Atomic<Bool>(false)
    /// Requests received while busy that could not reach the error stats (added to them when the script ends).
    let busyErrors = Atomic<Int>(0)

    /// Connections a busy script's hook may serve, by connection (guarded by the data lock; see `BusyPeer`).
    var peers: [ObjectIdentifier: BusyPeer] = [:]
    /// When the hook last polled the peers (ns, monotonic; guarded by the data lock).
    var lastPeerPoll: Int64 = 0
    /// Set while the hook runs a peer's command: the dispatcher then refuses what Redis refuses while busy.
    var servingPeer = false
    /// Registers the sockets accepted for the calling thread's I/O loop that it has not taken yet, and sends the
    /// replies that loop holds until the end of its turn (set by the listener; called by the hook with the data
    /// lock held, so that new sockets become peers it serves and earlier replies do not wait for the script).
    var takeAcceptedOnCurrentLoop: (() -> Void)?

    init() {}

    /// Marks the start of a run (called with the data lock held).
    public func begin(_ kind: Kind, fromMaster master: Bool) {
        killFlag.store(false, ordering: .relaxed)
        wroteFlag.store(false, ordering: .relaxed)
        pastThreshold.store(false, ordering: .relaxed)
        fromMaster.store(master, ordering: .relaxed)
        runningKind.store(kind.rawValue, ordering: .releasing)
    }

    /// Marks the end of a run.
    public func end() {
        runningKind.store(0, ordering: .releasing)
        pastThreshold.store(false, ordering: .relaxed)
        killFlag.store(false, ordering: .relaxed)
    }

    /// What runs now.
    public var running: Kind { Kind(rawValue: runningKind.load(ordering: .acquiring)) ?? .none }
    /// Whether the run is past `busy-reply-threshold` (others then get `-BUSY`).
    public var isBusy: Bool { pastThreshold.load(ordering: .acquiring) }
    /// Set by the script's hook once past the threshold.
    public func markBusy() { pastThreshold.store(true, ordering: .releasing) }
    /// Set by the script when it runs its first write (it can no longer be killed).
    public func markWrote() { wroteFlag.store(true, ordering: .relaxed) }
    /// Whether SCRIPT KILL / FUNCTION KILL asked the run to stop (polled by the hook).
    public var killRequested: Bool { killFlag.load(ordering: .relaxed) }

    /// `-BUSY` for the kind that runs.
    public var busyError: String {
        running == .function
            ? "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
            : "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    }

    /// SCRIPT KILL (`eval` true) or FUNCTION KILL: the reply line (without CRLF), as Redis's scriptKill.
    public func kill(eval: Bool) -> String {
        let kind = running
        if kind == .none { return "-NOTBUSY No scripts in execution right now." }
        if fromMaster.load(ordering: .relaxed) {
            return "-UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed."
        }
        if wroteFlag.load(ordering: .relaxed) {
            return "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
        }
        if eval && kind != .eval {
            return "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        }
        if !eval && kind != .function {
            return "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        }
        killFlag.store(true, ordering: .releasing)
        return "+OK"
    }

    /// Counts a `-BUSY` reply given without the lock.
    func countBusyReply() { busyErrors.wrappingAdd(1, ordering: .relaxed) }
    /// Takes the `-BUSY` replies counted since the last call.
    public func takeBusyReplies() -> Int {
        // A plain load first: the locked exchange is only paid when there is something to take.
        busyErrors.load(ordering: .relaxed) == 0 ? 0 : busyErrors.exchange(0, ordering: .relaxed)
    }
}
