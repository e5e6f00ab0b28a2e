import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// The client classes CLIENT LIST/KILL filter on.
enum ClientType {
    case normal, master, replica, pubsub

    /// Parses `normal`, `master`, `replica` / `slave`, `pubsub` (any case).
    init?(_ name: RBytes) {
        switch name.string.lowercased() {
        case "normal": self = .normal
        case "master": self = .master
        case "replica", "slave": self = .replica
        case "pubsub": self = .pubsub
        default: return nil
        }
    }

    /// The class of a connection: its replication link kind, else pubsub when subscribed, else normal.
    static func of(_ client: Client) -> ClientType {
        switch client.linkKind {
        case .replica: return .replica
        case .master: return .master
        case .normal: return client.isPubSubClient ? .pubsub : .normal
        }
    }
}

extension ClientCommands {
    /// One CLIENT LIST / CLIENT INFO line (without the newline), with Redis 7.0's fields in Redis's order.
    ///
    /// Fields the kernel has no state for are reported as their idle values, which is what they are here:
    /// `oll` 0 (replies are sent per read batch), `omem` the output not yet on the socket (reply buffer plus the
    /// connection's queued writes, as counted for output limits). Of the buffers, only what the client object
    /// holds is known: `qbuf` is the unparsed input of the current read batch, `qbuf-free` is 0 (the free space of
    /// the loop's read buffer is not the client's), `argv-mem` the bytes of the retained argument vector, `rbs` the
    /// capacity of the reply buffer, `rbp` and `obl` the bytes currently in it (no peak is tracked), and `tot-mem`
    /// the sum of those plus the queued output (`Client.memoryUsage`). `events` is always `r`: every connection is
    /// read, and pending writes are the connection's.
    static func describe(_ client: Client, current: Client, fds: inout SocketDescriptors) -> String {
        let now = current.server.commandTime
        let argvMem = client.argv.reduce(0) { $0 + $1.count }
        let replyCapacity = client.reply.buffer.capacity
        let replyUsed = client.reply.buffer.readableBytes
        // Redis's letters, in Redis's order.
        var flags = ""
        if client.isMonitor { flags += "O" }
        if client.linkKind == .replica { flags += "S" }
        if client.linkKind == .master { flags += "M" }
        if client.isPubSubClient { flags += "P" }
        if client.inMulti { flags += "x" }
        if client.isBlocked { flags += "b" }
        if let t = client.tracking {
            flags += "t"
            if t.brokenRedirect { flags += "R" }
            if t.bcast { flags += "B" }
        }
        if client.isWatchDirty { flags += "d" }
        if client.closeAfterReply { flags += "c" }
        if client.isUnixSocket { flags += "U" }
        if client.noEvict { flags += "e" }
        if flags.isEmpty { flags = "N" }
        let fd = fds.descriptor(of: client)
        let fields: [String] = [
            "id=\(client.id)",
            "addr=\(client.address)",
            "laddr=\(client.localAddress)",
            "fd=\(fd)",
            "name=\(client.name?.string ?? "")",
            "age=\(max(0, now - client.createdAt) / 1000)",
            "idle=\(max(0, now - client.lastInteraction) / 1000)",
            "flags=\(flags)",
            "db=\(client.db.id)",
            "sub=\(client.subscriptions(.channel).count)",
            "psub=\(client.subscriptions(.pattern).count)",
            "ssub=\(client.subscriptions(.shard).count)",
            "multi=\(client.multi.map { $0.queued.count } ?? -1)",
            "qbuf=\(client.queryBufferLength)",
            "qbuf-free=0",
            "argv-mem=\(argvMem)",
            "multi-mem=0",
            "rbs=\(replyCapacity)",
            "rbp=\(replyUsed)",
            "obl=\(replyUsed)",
            "oll=0",
            "omem=\(client.pendingOutputBytes)",
            "tot-mem=\(client.memoryUsage)",
            "events=r",
            // The client running CLIENT LIST/INFO shows that command (Redis sets lastcmd before running it).
            "cmd=\(client === current ? (client.command?.fullName ?? "NULL") : client.lastCommandName)",
            "user=\(client.user)",
            "redir=\(client.tracking.map { Int64(bitPattern: $0.redirect) == 0 ? -1 : Int64(bitPattern: $0.redirect) } ?? -1)",
            "resp=\(client.resp)",
        ]
        return fields.joined(separator: " ")
    }
}

/// Finds the file descriptor of a client's socket.
///
/// The client does not hold its connection's descriptor, so this asks the kernel: it lists `/proc/self/fd` once and
/// matches each socket's own and peer address (`getsockname`/`getpeername`) against the client's. A client whose
/// socket cannot be found (no `/proc`, or an internal client without a connection) reports `-1`, as Redis does
/// for connection-less clients.
struct SocketDescriptors {
    private var byAddresses: [String: Int32]?

    mutating func descriptor(of client: Client) -> Int32 {
        guard client.isConnection else { return -1 }
        if byAddresses == nil { byAddresses = Self.scan() }
        return byAddresses?["\(client.localAddress) \(client.address)"] ?? -1
    }

    /// "local peer" → descriptor, for every connected socket of the process.
    private static func scan() -> [String: Int32] {
        var out: [String: Int32] = [:]
        guard let dir = opendir("/proc/self/fd") else { return out }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { p in
                String(decoding: p.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let fd = Int32(name), let local = address(fd, peer: false), let peer = address(fd, peer: true) else {
                continue
            }
            out["\(local) \(peer)"] = fd
        }
        return out
    }

    /// `ip:port` (`[ip]:port` for IPv6) of a socket's own or peer end, formatted like the client's addresses.
    private static func address(_ fd: Int32, peer: Bool) -> String? {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)
            }
        }
        guard rc == 0 else { return nil }
        // inet_ntop, as `EpollLoop.describe` formats the client's addresses; IPv6 in brackets.
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            var sin = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            guard inet_ntop(AF_INET, &sin.sin_addr, &text, socklen_t(text.count)) != nil else { return nil }
            return "\(cString(text)):\(UInt16(bigEndian: sin.sin_port))"
        case AF_INET6:
            var sin6 = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            guard inet_ntop(AF_INET6, &sin6.sin6_addr, &text, socklen_t(text.count)) != nil else { return nil }
            return "[\(cString(text))]:\(UInt16(bigEndian: sin6.sin6_port))"
        default:
            return nil
        }
    }

    private static func cString(_ chars: [CChar]) -> String {
        String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
