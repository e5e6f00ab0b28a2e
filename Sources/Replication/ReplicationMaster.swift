import Kernel
import NIOCore

/// The master side of replication: attached replicas, the backlog, the stream of effects, full and partial
/// resynchronisation, pings, acknowledgements and WAIT. Created on the first SYNC/PSYNC (until then no effect
/// sink is registered and nothing runs per command). Every method runs with the data lock held.
final class ReplicationMaster {
    unowned(unsafe) let server: Server
    var state: ReplicationState { server.replication }
    /// Created with the first replica (Redis creates it then and keeps it).
    private(set) var backlog: ReplicationBacklog?
    var encoder = ReplicationStreamEncoder()
    private(set) var replicas: [ReplicaLink] = []
    /// Set while the snapshot for a full sync runs.
    private var syncSnapshotRunning = false
    private var cronTask: RepeatedTask?
    private var cronTicks = 0
    private var waiters = WaitQueue()
    private var getAckPending = false
    /// Our link to our master while we are a replica.
    var masterLink: MasterLink?

    private init(server: Server) {
        self.server = server
    }

    /// The master state of `server`, created (with its hooks) on first use.
    static func of(_ server: Server) -> ReplicationMaster {
        if let m = server.replication.owner as? ReplicationMaster { return m }
        let m = ReplicationMaster(server: server)
        server.replication.owner = m
        server.replication.infoFields = { [unowned m] s in
            s.replication.role == .replica ? ReplicationInfo.replicaFields(s, master: m) : ReplicationInfo.fields(s, master: m)
        }
        server.addClientRemovedHook { [unowned m] c in m.clientRemoved(c) }
        return m
    }

    /// The master of `server` if replication was ever used.
    static func existing(_ server: Server) -> ReplicationMaster? { server.replication.owner as? ReplicationMaster }

    // MARK: - The stream

    /// Creates the backlog and starts receiving effects, with new replication IDs, as Redis does when its first
    /// replica attaches.
    private func createBacklog(loop: EventLoop) {
        guard backlog == nil else { return }
        server.replicationId = Server.randomHexId()
        state.replid2 = String(repeating: "0", count: 40)
        state.secondOffset = -1
        backlog = ReplicationBacklog(capacity: Int(clamping: server.config.replBacklogSize), masterOffset: state.masterOffset)
        server.log.notice("Replication backlog created, my new replication IDs are '\(server.replicationId)' and '\(state.replid2)'")
        server.addPropagationSink(consumes: .replicas) { [unowned self] db, argv in self.feed(db: db, argv) }
        cronTask = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [unowned self] _ in
            self.server.lock.withLock { self.cron() }
        }
    }

    /// The effects sink: one effect into the stream.
    func feed(db: Int?, _ argv: [RBytes]) {
        // A replica's offset is its master's stream (chained replicas are not supported yet).
        guard backlog != nil, state.role == .master else { return }
        feedBytes(encoder.encode(db: db, argv))
    }

    /// Appends stream bytes: the backlog, the master offset, online replicas, and the pending buffers of
    /// replicas whose snapshot is running.
    private func feedBytes(_ bytes: [UInt8]) {
        backlog?.append(bytes)
        state.masterOffset += Int64(bytes.count)
        for r in replicas {
            switch r.state {
            case .online: r.client.deliverRaw(bytes, enforceLimit: true)
            case .waitBgsaveEnd:
                r.pending.append(contentsOf: bytes)
                if Int64(r.pending.count) > server.config.outputLimitReplica.hard && server.config.outputLimitReplica.hard > 0 {
                    server.log.warning("Client id=\(r.client.id) addr=\(r.client.address) scheduled to be closed ASAP for overcoming of output buffer limits.")
                    r.client.disconnect()
                }
            case .waitBgsaveStart: break
            }
        }
    }

    // MARK: - SYNC / PSYNC

    /// PSYNC replid offset (or SYNC when `request` is nil): a partial resync when the backlog holds the
    /// replica's offset under one of our IDs, else a full one.
    func attach(_ c: Client, request: (replid: String, offset: Int64)?) {
        guard let loop = c.channel?.eventLoop else { return }
        if let request, tryPartial(c, replid: request.replid, offset: request.offset) { return }
        if let request, request.replid != "?" {
            if request.replid != server.replicationId && request.replid != state.replid2 {
                server.log.notice("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '\(request.replid)', my replication IDs are '\(server.replicationId)' and '\(state.replid2)')")
            } else {
                server.log.notice("Unable to partial resync with replica \(c.address) for lack of backlog (Replica request was: \(request.offset)).")
            }
        }
        server.log.notice("Replica \(c.address) asks for synchronization")
        c.linkKind = .replica
        let link = ReplicaLink(client: c, state: .waitBgsaveStart, usesPsync: request != nil, now: server.commandTime)
        replicas.append(link)
        applyCapabilities(to: link, from: c)
        createBacklog(loop: loop)
        startFullSyncIfPossible()
    }

    private func tryPartial(_ c: Client, replid: String, offset: Int64) -> Bool {
        guard let backlog else { return false }
        let idOK = replid == server.replicationId || (replid == state.replid2 && offset <= state.secondOffset)
        guard idOK, let missed = backlog.bytes(from: offset) else { return false }
        c.linkKind = .replica
        let link = ReplicaLink(client: c, state: .online, usesPsync: true, now: server.commandTime)
        link.ackOffset = offset - 1
        applyCapabilities(to: link, from: c)
        replicas.append(link)
        let reply = link.capaPsync2 ? "+CONTINUE \(server.replicationId)\r\n" : "+CONTINUE\r\n"
        c.reply.raw(Array(reply.utf8))
        if !missed.isEmpty { c.reply.raw(missed) }
        server.log.notice("Partial resynchronization request from \(c.address) accepted. Sending \(missed.count) bytes of backlog starting from offset \(offset).")
        return true
    }

    /// REPLCONF values sent before PSYNC, kept per client until the link exists.
    var handshakeInfo: [UInt64: (port: Int, ip: String?, eof: Bool, psync2: Bool)] = [:]

    private func applyCapabilities(to link: ReplicaLink, from c: Client) {
        guard let info = handshakeInfo.removeValue(forKey: c.id) else { return }
        link.listeningPort = info.port
        link.announcedIP = info.ip
        link.capaEOF = info.eof
        link.capaPsync2 = info.psync2
    }

    /// Starts the snapshot for the replicas waiting for one, unless another snapshot runs (then the cron and
    /// the snapshot-ended hook try again).
    private func startFullSyncIfPossible() {
        let waiting = replicas.filter { $0.state == .waitBgsaveStart }
        guard !waiting.isEmpty, !syncSnapshotRunning, !server.snapshotBusy else { return }
        // The stream selects again after the image, whatever the replica's state was.
        encoder.selectedDb = -1
        let offset = state.masterOffset
        let aux = ReplicationAux(streamDb: 0, replid: server.replicationId, offset: offset)
        server.log.notice("Starting BGSAVE for SYNC with target: disk")
        syncSnapshotRunning = true
        for r in waiting {
            r.state = .waitBgsaveEnd
            r.pending = []
            if r.usesPsync {
                r.client.deliverRaw(Array("+FULLRESYNC \(server.replicationId) \(offset)\r\n".utf8), enforceLimit: false)
            }
        }
        if let error = server.startBackgroundSave(replication: aux, then: { [unowned self] ok in self.snapshotDone(ok) }) {
            server.log.warning("BGSAVE for replication failed: \(error)")
            syncSnapshotRunning = false
            for r in waiting { r.client.disconnect() }
        }
    }

    /// The image is on disk: each waiting replica gets `$<len>\r\n<image>` and then what happened since.
    private func snapshotDone(_ ok: Bool) {
        syncSnapshotRunning = false
        let ready = replicas.filter { $0.state == .waitBgsaveEnd }
        guard ok, let image = Self.readFile(server.rdb.filePath) else {
            server.log.warning("SYNC failed. BGSAVE child returned an error")
            for r in ready { r.client.disconnect() }
            startFullSyncIfPossible()
            return
        }
        for r in ready {
            var out = Array("$\(image.count)\r\n".utf8)
            out.append(contentsOf: image)
            r.client.deliverRaw(out, enforceLimit: false)
            if !r.pending.isEmpty { r.client.deliverRaw(r.pending, enforceLimit: false) }
            r.pending = []
            r.state = .online
            r.ackTime = server.commandTime
            server.log.notice("Synchronization with replica \(r.client.address) succeeded")
        }
        startFullSyncIfPossible()
    }

    /// Reads the image just written (the kernel's whole-file reader). Nil when it cannot be read.
    static func readFile(_ path: String) -> [UInt8]? {
        if case .read(let bytes) = Server.readWholeFile(path) { return bytes }
        return nil
    }

    // MARK: - Acknowledgements, WAIT

    /// REPLCONF ACK from a replica.
    func acknowledged(_ c: Client, offset: Int64) {
        guard let link = replicas.first(where: { $0.client === c }) else { return }
        if offset > link.ackOffset { link.ackOffset = offset }
        link.ackTime = server.commandTime
        serveWaiters()
    }

    /// Replicas (online) that acknowledged `offset` or more.
    func replicasAcknowledging(_ offset: Int64) -> Int {
        replicas.reduce(0) { $0 + ($1.state == .online && $1.ackOffset >= offset ? 1 : 0) }
    }

    /// WAIT that could not be answered at once: parks `c` until `count` replicas acknowledge `offset` or the
    /// timeout passes, and asks the replicas for an ACK.
    func park(_ c: Client, offset: Int64, count: Int, timeoutMs: Int64) {
        c.block(onKeys: [], deadline: 0, timeoutReply: .null)
        let ticket = waiters.add(c, offset: offset, count: count)
        if timeoutMs > 0, let loop = c.channel?.eventLoop {
            loop.scheduleTask(in: .milliseconds(timeoutMs)) { [unowned self] in
                self.server.lock.withLock {
                    guard let w = self.waiters.remove(ticket: ticket) else { return }
                    let n = self.replicasAcknowledging(w.offset)
                    self.server.unblock(w.client) { $0.reply.integer(n) }
                }
            }
        }
        if !getAckPending, let loop = c.channel?.eventLoop {
            // Once per loop turn, after the current batch (Redis sends it in beforeSleep).
            getAckPending = true
            loop.execute { [unowned self] in
                self.server.lock.withLock {
                    self.getAckPending = false
                    self.feed(db: nil, ["REPLCONF", "GETACK", "*"])
                }
            }
        }
    }

    private func serveWaiters() {
        for w in waiters.drain(where: { replicasAcknowledging($0.offset) >= $0.count }) {
            let n = replicasAcknowledging(w.offset)
            server.unblock(w.client) { $0.reply.integer(n) }
        }
    }

    // MARK: - Becoming a replica, or a master again

    /// REPLICAOF host port: drops our replicas and connects to the master, offering our own history for a
    /// partial resync (Redis's replicationCacheMasterUsingMyself).
    func becomeReplica(of host: String, port: Int) {
        masterLink?.stop()
        for r in replicas { r.client.disconnect() }
        if state.role == .master { state.hasMasterHistory = true }
        state.role = .replica
        state.masterLinkUp = false
        let link = MasterLink(server: server, host: host, port: port)
        masterLink = link
        link.connect()
    }

    /// REPLICAOF NO ONE: keeps the data, starts a new history whose previous ID stays valid for PSYNC.
    func becomeMaster() {
        guard state.role == .replica else { return }
        masterLink?.stop()
        masterLink = nil
        state.role = .master
        state.masterLinkUp = false
        state.replid2 = server.replicationId
        state.secondOffset = state.masterOffset + 1
        server.replicationId = Server.randomHexId()
        if backlog != nil {
            // The backlog restarts at the current offset (its old bytes were our master's stream, not fed here).
            backlog = ReplicationBacklog(capacity: Int(clamping: server.config.replBacklogSize), masterOffset: state.masterOffset)
        }
        encoder.selectedDb = -1
        server.log.notice("Setting secondary replication ID to \(state.replid2), valid up to offset: \(state.secondOffset). New replication ID is \(server.replicationId)")
    }

    // MARK: - Periodic work and disconnects

    /// Once a second (Redis's replicationCron): PING every `repl-ping-replica-period`, newlines to replicas
    /// waiting for their image, timeouts, and syncs that waited for another snapshot.
    private func cron() {
        cronTicks += 1
        let now = Clock.unixMilliseconds()
        let period = max(1, server.config.replPingReplicaPeriod)
        if cronTicks % period == 0 && !replicas.isEmpty { feed(db: nil, ["PING"]) }
        for r in replicas where r.state != .online {
            r.client.deliverRaw([0x0A], enforceLimit: false)
        }
        let timeoutMs = Int64(server.config.replTimeout) * 1000
        for r in replicas where r.state == .online && now - r.ackTime > timeoutMs {
            server.log.warning("Disconnecting timedout replica (streaming sync): \(r.client.address)")
            r.client.disconnect()
        }
        startFullSyncIfPossible()
    }

    private func clientRemoved(_ c: Client) {
        handshakeInfo[c.id] = nil
        waiters.forget(c)
        guard let i = replicas.firstIndex(where: { $0.client === c }) else { return }
        let r = replicas.remove(at: i)
        server.log.notice("Connection with replica \(r.ip):\(r.listeningPort) lost.")
    }

    /// Lag in seconds since the replica's last ACK.
    func lag(_ r: ReplicaLink) -> Int64 { max(0, (server.commandTime - r.ackTime) / 1000) }
}

/// Clients parked in WAIT, each with the offset it waits for and the replica count it wants.
struct WaitQueue {
    struct Waiter {
        let ticket: UInt64
        let client: Client
        let offset: Int64
        let count: Int
    }
    private var list: [Waiter] = []
    private var nextTicket: UInt64 = 0

    /// Adds a waiter; returns its ticket.
    mutating func add(_ c: Client, offset: Int64, count: Int) -> UInt64 {
        nextTicket += 1
        list.append(Waiter(ticket: nextTicket, client: c, offset: offset, count: count))
        return nextTicket
    }

    /// Removes and returns the waiter with `ticket`, if it still waits.
    mutating func remove(ticket: UInt64) -> Waiter? {
        guard let i = list.firstIndex(where: { $0.ticket == ticket }) else { return nil }
        return list.remove(at: i)
    }

    /// Removes and returns the waiters matching `done`.
    mutating func drain(where done: (Waiter) -> Bool) -> [Waiter] {
        let served = list.filter(done)
        if !served.isEmpty { list.removeAll(where: done) }
        return served
    }

    /// Drops a disconnected client.
    mutating func forget(_ c: Client) { list.removeAll { $0.client === c } }
}
