import Atomics
import Dispatch
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Binds the configured addresses, runs the I/O loops and the periodic server cron, and stops on request.
///
/// Connections are accepted by a thread of their own (not an I/O loop), which places each one on an I/O loop
/// (`EpollLoop`) — or, while a script holds the data, on the spare loop, so that a new redis-cli can always send
/// SCRIPT KILL (never deaf, DESIGN §3).
public final class Listener {
    public let server: Server
    /// NIO loops for timers (one per I/O loop: its connections' timers), the cron and background work.
    let group: MultiThreadedEventLoopGroup
    /// The timers of the spare loop: a NIO loop of its own, so that they never wait behind another loop's work.
    let spareTimers = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var listenFds: [CInt] = []
    /// The listening Unix-domain socket (`unixsocket`), if any; its connections skip the TCP options.
    var unixFd: CInt?
    private let stopped = ManagedAtomic<Bool>(false)
    /// Asks the accept thread to return (CONFIG SET bind/port re-binds, then starts a new one).
    private let acceptorPaused = ManagedAtomic<Bool>(false)
    private let acceptorDone = DispatchSemaphore(value: 0)
    /// Signalled by an accept thread that returned because `acceptorPaused` was set.
    private let acceptorPausedAck = DispatchSemaphore(value: 0)
    /// Wakes the accept thread out of `poll` (read end polled, write end written).
    private var wakePipe: [CInt] = [-1, -1]
    /// The port actually bound (useful with `port 0`).
    public private(set) var boundPort: Int?

    /// The client I/O loops (`EpollLoop`, one per `io-threads`; issue 18).
    let epollLoops: [EpollLoop]
    /// Serves connections accepted while a script runs (never a loop a script occupies).
    let spareEpoll: EpollLoop
    private var nextEpoll = 0

    public init(server: Server) {
        self.server = server
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, server.config.ioThreads))
        let n = max(1, server.config.ioThreads)
        let group = self.group
        epollLoops = (0..<n).map { EpollLoop(server: server, name: "io-\($0)", timers: group.next()) }
        spareEpoll = EpollLoop(server: server, name: "io-spare", timers: spareTimers.next())
        let loops = epollLoops + [spareEpoll]
        server.busyScript.takeAcceptedOnCurrentLoop = {
            for loop in loops where loop.inLoop {
                loop.takeAccepted(dataLockHeld: true)
                loop.sendHeldReplies()
            }
        }
    }

    /// Binds every `bind` address on `port`. Throws if none could be bound.
    public func start() throws {
        let cfg = server.config
        server.backgroundLoop = group.next()
        listenFds = try Listener.bindAll(cfg.bind, port: cfg.port, backlog: cfg.tcpBacklog, log: server.log)
        boundPort = Listener.localPort(listenFds[0])
        if !cfg.unixsocket.isEmpty {
            do {
                unixFd = try Listener.listenUnix(path: cfg.unixsocket, permissions: cfg.unixsocketperm, backlog: cfg.tcpBacklog)
            } catch {
                for fd in listenFds { close(fd) }
                listenFds = []
                throw ListenError(message: "Failed opening Unix socket: \(error)")
            }
        }
        _ = pipe(&wakePipe)
        for fd in wakePipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        startAcceptor()
        server.config.rebind = { [unowned self] cfg in self.rebind(cfg.bind, port: cfg.port, backlog: cfg.tcpBacklog) }
        scheduleCron()
        if StallWatch.enabled {
            let stopped = self.stopped
            for (i, loop) in group.makeIterator().enumerated() {
                StallWatch.watch(loop, name: "I/O loop \(i)", log: server.log) { stopped.load(ordering: .relaxed) }
            }
        }
    }

    /// Listens on `addresses` (Redis's `bind` list: `*`, `::*`, a leading `-` for optional ones) at `port`;
    /// throws Redis's abort line when a required one fails (each failure logged as Redis's warning).
    private static func bindAll(_ addresses: [String], port: Int, backlog: Int, log: Logger) throws -> [CInt] {
        var fds: [CInt] = []
        var failed = false
        for addr in addresses {
            // A leading '-' marks an optional address (Redis: "-::*").
            let optional = addr.hasPrefix("-")
            let given = optional ? String(addr.dropFirst()) : addr
            var host = given
            if host == "*" { host = "0.0.0.0" }
            if host == "::*" { host = "::" }
            do {
                fds.append(try Listener.listen(host: host, port: port, backlog: backlog))
            } catch {
                if !optional {
                    // Redis 7.0's listenToPort warning, then initServer's abort line (thrown).
                    log.warning("Warning: Could not create server TCP listening socket \(given):\(port): \(error)")
                    failed = true
                }
            }
        }
        if fds.isEmpty || failed {
            for fd in fds { close(fd) }
            throw ListenError(message: "Failed listening on port \(port) (TCP), aborting.")
        }
        return fds
    }

    /// Starts the accept thread on the current listening sockets.
    private func startAcceptor() {
        let fds = listenFds + (unixFd.map { [$0] } ?? [])
        acceptorPaused.store(false, ordering: .relaxed)
        DispatchQueue(label: "redis-swift.acceptor").async { [self] in
            acceptLoop(fds)
            if acceptorPaused.load(ordering: .relaxed) && !stopped.load(ordering: .relaxed) {
                acceptorPausedAck.signal()
            } else {
                acceptorDone.signal()
            }
        }
    }

    /// CONFIG SET bind/port: stops accepting, closes the TCP listening sockets and listens on `addresses` at `port`
    /// (Redis's changeBindAddr); false, with nothing listening on TCP, when an address cannot be bound — the caller
    /// then re-binds the previous values. Connections already open are kept; the Unix socket is untouched.
    func rebind(_ addresses: [String], port: Int, backlog: Int) -> Bool {
        acceptorPaused.store(true, ordering: .relaxed)
        var byte: UInt8 = 1
        _ = write(wakePipe[1], &byte, 1)
        while acceptorPausedAck.wait(timeout: .now() + .milliseconds(500)) == .timedOut {
            if stopped.load(ordering: .relaxed) { return false }
        }
        for fd in listenFds { close(fd) }
        listenFds = []
        defer { startAcceptor() }
        do {
            listenFds = try Listener.bindAll(addresses, port: port, backlog: backlog, log: server.log)
        } catch {
            server.log.warning("Failed to bind")
            return false
        }
        boundPort = Listener.localPort(listenFds[0])
        return true
    }

    private static func listen(host: String, port: Int, backlog: Int) throws -> CInt {
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw ListenError(message: resolverError(host))
        }
        let family: CInt
        switch address {
        case .v6: family = AF_INET6
        default: family = AF_INET
        }
        let fd = socket(family, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenError(message: String(cString: strerror(errno))) }
        var one: CInt = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<CInt>.size))
        if family == AF_INET6 { setsockopt(fd, CInt(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<CInt>.size)) }
        let bound = address.withSockAddr { sa, len in bind(fd, sa, socklen_t(len)) }
        guard bound == 0, Glibc.listen(fd, CInt(clamping: backlog)) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ListenError(message: message)
        }
        return fd
    }

    /// Binds `path` as Redis does: an old socket file is removed first, and `permissions` (when not 0) applied.
    private static func listenUnix(path: String, permissions: Int, backlog: Int) throws -> CInt {
        var addr = sockaddr_un()
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw ListenError(message: "File name too long") }
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        unlink(path)
        let fd = socket(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenError(message: String(cString: strerror(errno))) }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, CInt(clamping: backlog)) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ListenError(message: message)
        }
        if permissions != 0 { chmod(path, mode_t(permissions)) }
        return fd
    }

    /// The resolver's text for a host it cannot resolve (`Name or service not known`), as Redis's anetTcpServer
    /// reports it.
    private static func resolverError(_ host: String) -> String {
        var hints = addrinfo()
        hints.ai_socktype = CInt(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        if let result { freeaddrinfo(result) }
        return rc == 0 ? "Cannot assign requested address" : String(cString: gai_strerror(rc))
    }

    /// Whether TCP addresses are being listened on.
    public var listensOnTCP: Bool { !listenFds.isEmpty }

    private static func localPort(_ fd: CInt) -> Int? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard ok == 0 else { return nil }
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    /// Waits for connections on every listening socket and hands each to a loop.
    private func acceptLoop(_ fds: [CInt]) {
        var polls = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        polls.append(pollfd(fd: wakePipe[0], events: Int16(POLLIN), revents: 0))
        while !stopped.load(ordering: .relaxed) && !acceptorPaused.load(ordering: .relaxed) {
            let n = poll(&polls, nfds_t(polls.count), 200)
            if n <= 0 { continue }
            if polls[polls.count - 1].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 16)
                _ = read(wakePipe[0], &drain, drain.count)
                polls[polls.count - 1].revents = 0
                continue
            }
            for i in polls.indices.dropLast() where polls[i].revents != 0 {
                polls[i].revents = 0
                let client = accept(polls[i].fd, nil, nil)
                if client >= 0 {
                    _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                    adopt(client, unix: polls[i].fd == unixFd)
                }
            }
        }
    }

    /// Redis's anetEnableTcpNoDelay and anetKeepAlive (first probe after `tcp-keepalive` seconds, then every third
    /// of it, 3 probes), with setsockopt on the accepted socket. (Once set through NIO's channel options, they
    /// reached the kernel in release builds as SO_DEBUG instead of SO_KEEPALIVE (strace), which needs
    /// CAP_NET_ADMIN, so a server run as a non-root user closed every connection right after accepting it.)
    private static func tune(_ fd: CInt, keepalive: Int) {
        func set(_ level: CInt, _ name: CInt, _ value: CInt) {
            var v = value
            _ = setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<CInt>.size))
        }
        set(CInt(IPPROTO_TCP), TCP_NODELAY, 1)
        guard keepalive > 0 else { return }
        set(SOL_SOCKET, SO_KEEPALIVE, 1)
        set(CInt(IPPROTO_TCP), TCP_KEEPIDLE, CInt(min(keepalive, Int(Int32.max))))
        set(CInt(IPPROTO_TCP), TCP_KEEPINTVL, CInt(min(max(1, keepalive / 3), Int(Int32.max))))
        set(CInt(IPPROTO_TCP), TCP_KEEPCNT, 3)
    }

    private func adopt(_ fd: CInt, unix: Bool) {
        let cfg = server.config
        let server = self.server
        let clientId = server.takeClientId()
        if !unix { Listener.tune(fd, keepalive: cfg.tcpKeepalive) }
        if server.busyScript.running != .none { return spareEpoll.adopt(fd, unix: unix, clientId: clientId) }
        nextEpoll = (nextEpoll + 1) % epollLoops.count
        epollLoops[nextEpoll].adopt(fd, unix: unix, clientId: clientId)
    }

    struct ListenError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Runs the cron `hz` times a second, re-reading the frequency after each run (CONFIG SET hz and
    /// dynamic-hz take effect at the next tick).
    private func scheduleCron() {
        let loop = group.next()
        func tick() {
            guard !stopped.load(ordering: .relaxed) else { return }
            // A script holding the data postpones the cron (its loop must stay free to answer -BUSY).
            if server.lockDataUnlessScriptRuns() {
                server.cron()
                server.lock.unlock()
            }
            loop.scheduleTask(in: .microseconds(Int64(1_000_000 / max(1, server.hz)))) { tick() }
        }
        loop.scheduleTask(in: .microseconds(Int64(1_000_000 / max(1, server.hz)))) { tick() }
    }

    /// Closes the listening sockets and every connection, then stops the loops.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        // Under the lock: a connection closing meanwhile clears `socketClose` under it, and `disconnect` sets
        // `closeAfterReply`, which a batch on an I/O loop reads under it (both data races under TSan).
        server.lock.withLock {
            for c in Array(server.clients.values) { c.disconnect() }
        }
    }

    /// Blocks until the listener is stopped.
    public func wait() {
        acceptorDone.wait()
        for fd in listenFds { close(fd) }
        if let fd = unixFd { close(fd) }
        try? group.syncShutdownGracefully()
        try? spareTimers.syncShutdownGracefully()
    }
}

