import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A connection a busy script's thread may serve itself (never deaf, DESIGN §3).
///
/// A script runs on the I/O loop of the client that sent it, so that loop cannot read its other connections
/// until the script ends. Redis serves them from the script's hook (processEventsWhileBlocked); so do we: past
/// `busy-reply-threshold` the hook polls the sockets of the connections of its own loop and answers what
/// arrived — `-BUSY` to most commands, the `allow-busy` ones (SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE,
/// MULTI, WATCH, AUTH, HELLO, ...) run as in Redis. This is safe because the hook runs on that loop's thread
/// (the loop is not reading these sockets meanwhile, and their connections' state belongs to this thread) and
/// holds the data lock (the clients' state may be touched). Connections of other loops answer for themselves.
final class BusyPeer {
    /// Whether the calling thread is the connection's loop: only a hook running there may serve it.
    let onOwnLoop: () -> Bool
    /// The connection's socket.
    let fd: CInt
    /// Reads what arrived on the socket and answers it (a no-op for the connection running the script).
    let serve: () -> Void
    /// The connection's client.
    let clientId: UInt64

    init(onOwnLoop: @escaping () -> Bool, fd: CInt, clientId: UInt64, serve: @escaping () -> Void) {
        self.onOwnLoop = onOwnLoop
        self.fd = fd
        self.clientId = clientId
        self.serve = serve
    }
}

extension Server {
    /// Takes the data lock, waiting while other commands hold it, but not for a script: false (without the lock)
    /// as soon as one runs, so that the caller answers `-BUSY` or retries instead of going deaf. A script that
    /// begins while this waits is seen within a millisecond.
    public func lockDataUnlessScriptRuns() -> Bool {
        lock.lock(unless: { busyScript.running != .none })
    }

    /// Runs `body` with the data lock unless a script runs (then not at all): for repeated timers of a NIO loop
    /// (replication cron, ACKs, failover), whose next tick comes anyway. Returns whether `body` ran.
    @discardableResult
    public func withDataUnlessScriptRuns(_ body: () -> Void) -> Bool {
        guard lockDataUnlessScriptRuns() else { return false }
        body()
        lock.unlock()
        return true
    }

    /// Runs `body` with the data lock on `loop` (call on that loop's thread): at once unless a script runs, else
    /// again `retry` later, until none does. A NIO loop — the background loop (snapshot slices, replication links,
    /// the RDB sender) also runs the epoll connections' timers (their retries while a script starts, their
    /// blocking timeouts) — must never wait in `lock()` for a script's whole run: those clients would go deaf.
    public func withDataWhenNoScript(on loop: EventLoop, retry: TimeAmount = .milliseconds(2),
                                     _ body: @escaping () -> Void) {
        if lockDataUnlessScriptRuns() {
            body()
            lock.unlock()
            return
        }
        loop.scheduleTask(in: retry) { [self] in withDataWhenNoScript(on: loop, retry: retry, body) }
    }

    /// The socket of `c`'s connection when the calling thread is that connection's I/O loop (with the data lock
    /// held), else nil: the Lua debugger talks to its client directly while the script holds the loop.
    public func socketOnCurrentLoop(of c: Client) -> CInt? {
        for p in busyScript.peers.values where p.clientId == c.id && p.onOwnLoop() { return p.fd }
        return nil
    }

    /// Serves the connections of the calling thread's I/O loop while the script it runs is past
    /// `busy-reply-threshold` (called by the script's hook, holding the data lock). Polls at most once a
    /// millisecond, with one `poll` for all the loop's sockets; free when the script is not busy.
    public func serveBusyPeers() {
        guard busyScript.isBusy, !busyScript.servingPeer else { return }
        let now = Clock.monotonicNanoseconds()
        guard now - busyScript.lastPeerPoll >= 1_000_000 else { return }
        busyScript.lastPeerPoll = now
        busyScript.takeAcceptedOnCurrentLoop?()
        var peers: [BusyPeer] = []
        var fds: [pollfd] = []
        for p in busyScript.peers.values where p.onOwnLoop() {
            peers.append(p)
            fds.append(pollfd(fd: p.fd, events: Int16(POLLIN), revents: 0))
        }
        guard !fds.isEmpty, poll(&fds, nfds_t(fds.count), 0) > 0 else { return }
        for i in fds.indices where fds[i].revents != 0 { peers[i].serve() }
    }

    /// Runs `c.argv` for a connection served by a busy script's hook (Redis's processCommand while a script is
    /// timed out): `allow-busy` commands run, everything else is refused with `-BUSY` by the dispatcher, and
    /// SHUTDOWN NOSAVE ends the process. The script's pending effects and ready keys are set aside meanwhile,
    /// so that the served command cannot flush them in the middle of the script.
    func executeWhileBusy(_ c: Client) {
        if c.argv[0].equalsIgnoringCase("shutdown") && c.authenticated
            && c.argv.dropFirst().contains(where: { $0.equalsIgnoringCase("nosave") }) {
            shutdownWhileBusy()
        }
        let effects = pendingEffects
        let ready = readyKeys
        let readySet = readyKeySet
        pendingEffects.removeAll()
        readyKeys.removeAll()
        busyScript.servingPeer = true
        execute(c)
        busyScript.servingPeer = false
        pendingEffects = effects
        readyKeys = ready
        readyKeySet = readySet
    }

    /// Whether the dispatcher must refuse `cmd` with `-BUSY`: a peer of a busy script sent it and Redis does not
    /// run it while busy (SHUTDOWN without NOSAVE replies `-BUSY` too).
    @inline(__always)
    func refusedWhileBusy(_ cmd: Command) -> Bool {
        busyScript.servingPeer && (!cmd.flags.contains(.allowBusy) || cmd.fullName == "shutdown")
    }
}
