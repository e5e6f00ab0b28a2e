import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Binds the configured addresses, runs the I/O loops and the periodic server cron, and stops on request.
public final class Listener {
    public let server: Server
    let group: MultiThreadedEventLoopGroup
    var channels: [Channel] = []

    public init(server: Server) {
        self.server = server
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, server.config.ioThreads))
    }

    /// Binds every `bind` address on `port`. Throws if none could be bound.
    public func start() throws {
        let cfg = server.config
        let server = self.server
        server.backgroundLoop = group.next()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Int32(cfg.tcpBacklog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: cfg.tcpKeepalive > 0 ? 1 : 0)
            // Like Redis's anetKeepAlive: first probe after `tcp-keepalive` seconds, then every third of it, 3 probes.
            .childChannelOption(ChannelOptions.Types.SocketOption(level: Int(IPPROTO_TCP), name: TCP_KEEPIDLE),
                                value: SocketOptionValue(max(1, cfg.tcpKeepalive)))
            .childChannelOption(ChannelOptions.Types.SocketOption(level: Int(IPPROTO_TCP), name: TCP_KEEPINTVL),
                                value: SocketOptionValue(max(1, cfg.tcpKeepalive / 3)))
            .childChannelOption(ChannelOptions.Types.SocketOption(level: Int(IPPROTO_TCP), name: TCP_KEEPCNT), value: 3)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(server: server))
                }
            }
        var errors: [String] = []
        for addr in cfg.bind {
            // A leading '-' marks an optional address (Redis: "-::*").
            let optional = addr.hasPrefix("-")
            var host = optional ? String(addr.dropFirst()) : addr
            if host == "*" { host = "0.0.0.0" }
            if host == "::*" { host = "::" }
            do {
                let ch = try bootstrap.bind(host: host, port: cfg.port).wait()
                channels.append(ch)
            } catch {
                if !optional { errors.append("\(host):\(cfg.port): \(error)") }
            }
        }
        if channels.isEmpty || !errors.isEmpty {
            for ch in channels { try? ch.close().wait() }
            throw ListenError(message: "Failed listening on \(errors.joined(separator: ", "))")
        }
        scheduleCron()
    }

    struct ListenError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// The port actually bound (useful with `port 0`).
    public var boundPort: Int? { channels.first?.localAddress?.port }

    private func scheduleCron() {
        let loop = group.next()
        let hz = max(1, min(500, server.config.hz))
        loop.scheduleRepeatedTask(initialDelay: .milliseconds(Int64(1000 / hz)), delay: .milliseconds(Int64(1000 / hz))) { [server] _ in
            server.lock.withLock { server.cron() }
        }
    }

    /// Closes the listening sockets and every connection, then stops the loops.
    public func stop() {
        for ch in channels { ch.close(promise: nil) }
        let clients = server.lock.withLock { Array(server.clients.values) }
        for c in clients { c.channel?.close(promise: nil) }
    }

    /// Blocks until the listening channels close.
    public func wait() {
        for ch in channels { try? ch.closeFuture.wait() }
        try? group.syncShutdownGracefully()
    }
}
