import Kernel

/// The replication command family: SYNC, PSYNC, REPLCONF, WAIT and ROLE.
public struct ReplicationCommands: CommandModule {
    public let family = "replication"

    /// Creates the family (registered by the executable next to the built-in families).
    public init() {}

    public var commands: [CommandSpec] {
        [
            CommandSpec("sync", arity: 1, flags: [.admin, .noscript, .noMulti, .noAsyncLoading],
                        summary: "An internal command used in replication.", since: "1.0.0", complexity: "",
                        handler: Self.sync),
            CommandSpec("psync", arity: -3, flags: [.admin, .noscript, .noMulti, .noAsyncLoading],
                        summary: "An internal command used in replication.", since: "2.8.0", complexity: "",
                        handler: Self.psync),
            CommandSpec("replconf", arity: -1, flags: [.admin, .noscript, .loading, .stale, .allowBusy],
                        summary: "An internal command for configuring the replication stream.", since: "3.0.0",
                        complexity: "O(1)", handler: Self.replconf),
            CommandSpec("wait", arity: 3, flags: [.noscript], categories: [.connection],
                        summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
                        since: "3.0.0", complexity: "O(1)", handler: Self.wait),
            CommandSpec("replicaof", arity: 3, flags: [.admin, .noscript, .stale, .noAsyncLoading],
                        summary: "Configures a server as replica of another, or promotes it to a master.", since: "5.0.0",
                        complexity: "O(1)", handler: Self.replicaof),
            CommandSpec("slaveof", arity: 3, flags: [.admin, .noscript, .stale, .noAsyncLoading],
                        summary: "Sets a Redis server as a replica of another, or promotes it to being a master.", since: "1.0.0",
                        complexity: "O(1)", handler: Self.replicaof),
            CommandSpec("failover", arity: -1, flags: [.admin, .noscript, .stale], categories: [.dangerous],
                        summary: "Starts a coordinated failover from a server to one of its replicas.", since: "6.2.0",
                        complexity: "O(1)", handler: Self.failover),
            CommandSpec("role", arity: 1, flags: [.noscript, .loading, .stale, .fast, .sentinel], categories: [.admin, .dangerous],
                        summary: "Returns the replication role.", since: "2.8.12", complexity: "O(1)", handler: Self.role),
        ]
    }

    /// Starts following `replicaof` from the configuration (call once the listener runs).
    public static func startFromConfig(_ server: Server) {
        let parts = server.config.replicaof.split(separator: " ")
        guard parts.count == 2, let port = Int(parts[1]) else { return }
        server.lock.withLock {
            let master = ReplicationMaster.of(server)
            // The RDB loaded at start names the master history it holds: continue it (Redis's
            // replicationCacheMasterUsingMyself after loading an RDB with replication info).
            let restored = server.replication.restoredAtStart
            if let aux = restored {
                server.replicationId = aux.replid
                server.replication.masterOffset = aux.offset
                server.replication.restoredAtStart = nil
                server.log.notice("Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.")
            }
            master.becomeReplica(of: String(parts[0]), port: port)
            if let aux = restored { master.masterLink?.selectStreamDb(aux.streamDb) }
        }
    }

    /// REPLICAOF host port | NO ONE (and SLAVEOF)
    static func replicaof(_ c: Client) {
        let s = c.server
        if failingOver(s) {
            c.error("ERR REPLICAOF not allowed while failing over.")
            return
        }
        if c.argv[1].lowercased() == "no" && c.argv[2].lowercased() == "one" {
            if s.replication.role == .replica {
                ReplicationMaster.of(s).becomeMaster()
                s.log.notice("MASTER MODE enabled (user request from 'id=\(c.id) addr=\(c.address)')")
            }
            c.reply.ok()
            return
        }
        guard let port = Numbers.parseInt64(c.argv[2]), (0...65535).contains(port) else {
            c.error("ERR Invalid master port")
            return
        }
        let host = c.argv[1].string
        let m = ReplicationMaster.of(s)
        if s.replication.role == .replica, let link = m.masterLink, link.host == host, link.port == Int(port) {
            s.log.notice("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
            c.reply.status("OK Already connected to specified master")
            return
        }
        m.becomeReplica(of: host, port: Int(port))
        s.log.notice("REPLICAOF \(host):\(port) enabled (user request from 'id=\(c.id) addr=\(c.address)')")
        c.reply.ok()
    }

    /// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]
    static func failover(_ c: Client) {
        ReplicationMaster.of(c.server).failoverCommand(c)
    }

    /// Whether a FAILOVER is under way on `s`.
    static func failingOver(_ s: Server) -> Bool {
        guard let m = ReplicationMaster.existing(s) else { return false }
        return m.failover.phase != .none
    }

    /// SYNC: the pre-PSYNC full synchronisation (no `+FULLRESYNC` line).
    static func sync(_ c: Client) {
        guard c.linkKind != .replica else { return }
        if failingOver(c.server) {
            c.error("NOMASTERLINK Can't SYNC while failing over")
            return
        }
        guard c.server.replication.role == .master || c.server.replication.masterLinkUp else {
            c.error("NOMASTERLINK Can't SYNC while not connected with my master")
            return
        }
        ReplicationMaster.of(c.server).attach(c, request: nil)
    }

    /// PSYNC replid offset
    static func psync(_ c: Client) {
        guard c.linkKind != .replica else { return }
        if c.argv.count > 3 && c.argv[3].lowercased() == "failover" && c.server.replication.role == .replica {
            guard ReplicationMaster.of(c.server).acceptFailoverRequest(c) else { return }
        }
        if failingOver(c.server) {
            c.error("NOMASTERLINK Can't SYNC while failing over")
            return
        }
        guard c.server.replication.role == .master || c.server.replication.masterLinkUp else {
            c.error("NOMASTERLINK Can't SYNC while not connected with my master")
            return
        }
        guard let offset = Numbers.parseInt64(c.argv[2]) else {
            c.error("ERR value is not an integer or out of range")
            return
        }
        ReplicationMaster.of(c.server).attach(c, request: (c.argv[1].string, offset))
    }

    /// REPLCONF <option> <value> [<option> <value> ...]
    static func replconf(_ c: Client) {
        guard c.argv.count % 2 == 1 else {
            c.error("ERR syntax error")
            return
        }
        let m = ReplicationMaster.of(c.server)
        var info = m.handshakeInfo[c.id] ?? (port: 0, ip: nil, eof: false, psync2: false)
        var i = 1
        while i < c.argv.count {
            let option = c.argv[i].string.lowercased()
            let value = c.argv[i + 1]
            switch option {
            case "listening-port":
                guard let port = Numbers.parseInt64(value) else {
                    c.error("ERR value is not an integer or out of range")
                    return
                }
                info.port = Int(clamping: port)
            case "ip-address":
                info.ip = value.string
            case "capa":
                switch value.string.lowercased() {
                case "eof": info.eof = true
                case "psync2": info.psync2 = true
                default: break
                }
            case "ack":
                // Replicas get no reply to ACK (Redis never replies to them on the stream).
                if let offset = Numbers.parseInt64(value) { m.acknowledged(c, offset: offset) }
                return
            case "getack":
                // Only meaningful on a replica's master link (answered by the replica side).
                return
            case "rdb-only", "rdb-filter-only":
                break
            default:
                c.error("ERR Unrecognized REPLCONF option: \(c.argv[i].string)")
                return
            }
            i += 2
        }
        m.handshakeInfo[c.id] = info
        c.reply.ok()
    }

    /// WAIT numreplicas timeout
    static func wait(_ c: Client) {
        let s = c.server
        if s.replication.role == .replica {
            c.error("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
            return
        }
        guard let wanted = Numbers.parseInt64(c.argv[1]) else {
            c.error("ERR value is not an integer or out of range")
            return
        }
        guard let timeout = Numbers.parseInt64(c.argv[2]) else {
            c.error("ERR timeout is not an integer or out of range")
            return
        }
        if timeout < 0 {
            c.error("ERR timeout is negative")
            return
        }
        guard let m = ReplicationMaster.existing(s) else {
            c.reply.integer(0)
            return
        }
        let offset = s.replication.masterOffset
        let acked = m.replicasAcknowledging(offset)
        if acked >= wanted || !c.canBlock {
            c.reply.integer(acked)
            return
        }
        m.park(c, offset: offset, count: Int(clamping: wanted), timeoutMs: timeout)
    }

    /// ROLE
    static func role(_ c: Client) {
        let s = c.server
        if s.replication.role == .replica, let link = ReplicationMaster.existing(s)?.masterLink {
            c.reply.arrayHeader(5)
            c.reply.bulk("slave")
            c.reply.bulk(link.host)
            c.reply.integer(link.port)
            c.reply.bulk(s.replication.masterLinkUp ? "connected" : (link.syncing ? "sync" : "connecting"))
            c.reply.integer(s.replication.masterOffset)
            return
        }
        c.reply.arrayHeader(3)
        c.reply.bulk("master")
        c.reply.integer(s.replication.masterOffset)
        let replicas = ReplicationMaster.existing(s)?.replicas.filter { $0.state == .online } ?? []
        c.reply.arrayHeader(replicas.count)
        for r in replicas {
            c.reply.arrayHeader(3)
            c.reply.bulk(r.ip)
            c.reply.bulk(String(r.listeningPort))
            c.reply.bulk(String(r.ackOffset))
        }
    }
}
