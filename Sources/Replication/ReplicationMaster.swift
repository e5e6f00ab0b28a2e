import Kernel
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

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
    /// When the last replica left (Unix ms), for `repl-backlog-ttl`.
    private var noReplicasSince = Clock.unixMilliseconds()
    private var cronTicks = 0
    private var waiters = WaitQueue()
    private var getAckPending = false
    /// FAILOVER's progress (`ReplicationMaster+Failover`).
    var failover = FailoverState()
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
        server.replication.saveInfo = { [unowned m] in m.saveInfo() }
        server.addClientRemovedHook { [unowned m] c in m.clientRemoved(c) }
        return m
    }

    /// The master of `server` if replication was ever used.
    static func existing(_ server: Server) -> ReplicationMaster? { server.replication.owner as? ReplicationMaster }

    /// The replication position an RDB written now carries (Redis's rdbPopulateSaveInfo): a master's once it has
    /// a backlog; a replica's while it follows (or has followed) a master's history.
    func saveInfo() -> ReplicationAux? {
        if state.role == .master {
            guard backlog != nil else { return nil }
            return ReplicationAux(streamDb: max(0, encoder.selectedDb), replid: server.replicationId, offset: state.masterOffset)
        }
        guard state.hasMasterHistory else { return nil }
        return ReplicationAux(streamDb: masterLink?.streamDb ?? 0, replid: server.replicationId, offset: state.masterOffset)
    }

    // MARK: - The stream

    /// Registers the effects sink, the once-a-second cron and the good-replica count, once.
    private func activate() {
        guard cronTask == nil, let loop = server.backgroundLoop else { return }
        server.addPropagationSink(consumes: .replicas) { [unowned self] db, argv in self.feed(db: db, argv) }
        server.replication.goodReplicas = { [unowned self] in self.goodReplicaCount() }
        cronTask = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [unowned self] _ in
            self.server.withDataUnlessScriptRuns { self.cron() }
        }
    }

    /// Creates the backlog and starts receiving effects, with new replication IDs, as Redis does when its first
    /// replica attaches to a master.
    private func createBacklog() {
        activate()
        guard backlog == nil else { return }
        server.replicationId = Server.randomHexId()
        state.replid2 = String(repeating: "0", count: 40)
        state.secondOffset = -1
        backlog = ReplicationBacklog(capacity: Int(clamping: server.config.replBacklogSize), masterOffset: state.masterOffset)
        server.log.notice("Replication backlog created, my new replication IDs are '\(server.replicationId)' and '\(state.replid2)'")
    }

    /// On a replica: a new, empty backlog continuing the master's stream after `offset` (full sync), or the
    /// current one when it already ends there (partial resync). Chained replicas PSYNC against it.
    func continueBacklog(at offset: Int64) {
        activate()
        if let backlog, backlog.endOffset == offset { return }
        backlog = ReplicationBacklog(capacity: Int(clamping: server.config.replBacklogSize), masterOffset: offset)
    }

    /// Follows `CONFIG SET repl-backlog-size` (checked wherever the backlog is used).
    func followBacklogSize() {
        let wanted = Int(clamping: server.config.replBacklogSize)
        if let b = backlog, b.capacity != wanted {
            backlog?.resize(wanted)
            server.log.notice("Replication backlog resized to \(wanted) bytes")
        }
    }

    /// The effects sink: one effect into the stream. A replica's stream is its master's (`proxy`).
    func feed(db: Int?, _ argv: [RBytes]) {
        guard backlog != nil, state.role == .master else { return }
        let bytes = encoder.encode(db: db, argv)
        state.masterOffset += Int64(bytes.count)
        feedBytes(bytes)
    }

    /// On a replica: bytes of the master's stream just applied (the replica side already counted them into the
    /// offset), forwarded unchanged to our backlog and our own replicas (Redis 7.0 proxies the stream).
    func proxy(_ bytes: [UInt8]) {
        guard backlog != nil else { return }
        feedBytes(bytes)
    }

    /// Appends stream bytes: the backlog, online replicas, and the pending buffers of replicas whose snapshot
    /// is running.
    private func feedBytes(_ bytes: [UInt8]) {
        followBacklogSize()
        backlog?.append(bytes)
        for r in replicas {
            switch r.state {
            case .online where !r.streamStartsOnAck: r.client.deliverRaw(bytes, enforceLimit: true)
            case .online, .waitBgsaveEnd, .sendBulk: keepPending(bytes, for: r)
            case .waitBgsaveStart: break
            }
        }
    }

    // MARK: - SYNC / PSYNC

    /// PSYNC replid offset (or SYNC when `request` is nil): a partial resync when the backlog holds the
    /// replica's offset under one of our IDs, else a full one.
    func attach(_ c: Client, request: (replid: String, offset: Int64)?) {
        guard c.isConnection else { return }
        if let request, tryPartial(c, replid: request.replid, offset: request.offset) {
            server.stats.syncPartialOK += 1
            return
        }
        server.stats.syncFull += 1
        if let request, request.replid != "?" {
            server.stats.syncPartialErr += 1
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
        if state.role == .master { createBacklog() } else { continueBacklog(at: state.masterOffset) }
        startFullSyncIfPossible()
    }

    private func tryPartial(_ c: Client, replid: String, offset: Int64) -> Bool {
        followBacklogSize()
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
        // A master's stream selects again after the image; a replica's image names the database its master's
        // stream has selected, since the proxied stream will not select it again.
        var streamDb = 0
        if state.role == .master { encoder.selectedDb = -1 } else { streamDb = masterLink?.streamDb ?? 0 }
        let offset = state.masterOffset
        let aux = ReplicationAux(streamDb: streamDb, replid: server.replicationId, offset: offset)
        let diskless = server.config.replDisklessSync && waiting.allSatisfy { $0.capaEOF }
        if diskless && !disklessDelayOver(waiting) { return }
        server.log.notice("Starting BGSAVE for SYNC with target: \(diskless ? "replicas sockets" : "disk")")
        syncSnapshotRunning = true
        for r in waiting {
            r.state = .waitBgsaveEnd
            r.pending = []
            if r.usesPsync {
                r.client.deliverRaw(Array("+FULLRESYNC \(server.replicationId) \(offset)\r\n".utf8), enforceLimit: false)
            }
        }
        if diskless {
            startDisklessSync(waiting, aux: aux)
            return
        }
        if let error = server.startBackgroundSave(replication: aux, then: { [unowned self] ok in self.snapshotDone(ok) }) {
            server.log.warning("BGSAVE for replication failed: \(error)")
            syncSnapshotRunning = false
            for r in waiting { r.client.disconnect() }
        }
    }

    /// `repl-diskless-sync-delay`: more replicas may arrive and share the transfer, unless
    /// `repl-diskless-sync-max-replicas` of them already wait.
    private func disklessDelayOver(_ waiting: [ReplicaLink]) -> Bool {
        let maxReplicas = server.config.replDisklessSyncMaxReplicas
        if maxReplicas > 0 && waiting.count >= maxReplicas { return true }
        let delayMs = Int64(server.config.replDisklessSyncDelay) * 1000
        let oldest = waiting.map(\.waitingSince).min() ?? 0
        return Clock.unixMilliseconds() - oldest >= delayMs
    }

    /// Streams the snapshot to the waiting replicas' sockets (no file), then their pending stream.
    private func startDisklessSync(_ waiting: [ReplicaLink], aux: ReplicationAux) {
        guard let loop = server.backgroundLoop else { return }
        for r in waiting { r.receivesSocketImage = true }
        let sink = ReplicaSocketSink(links: waiting, checksum: server.config.rdbchecksum, loop: loop) { [unowned self] link in
            self.replicas.contains { $0 === link }
        }
        let job = server.beginSnapshot(purpose: .rdb, sink: sink, replication: aux) { [unowned self] ok in
            self.server.rdb.noteSocketSnapshot(running: false)
            self.disklessDone(sink.links, ok: ok)
        }
        if job != nil { server.rdb.noteSocketSnapshot(running: true) }
        if job == nil {
            syncSnapshotRunning = false
            for r in waiting { r.client.disconnect() }
        }
    }

    /// The streamed image is complete: its replicas get what happened since and are online.
    private func disklessDone(_ links: [ReplicaLink], ok: Bool) {
        syncSnapshotRunning = false
        for r in links where replicas.contains(where: { $0 === r }) {
            guard ok else {
                r.client.disconnect()
                continue
            }
            r.state = .online
            r.streamStartsOnAck = true
            r.ackTime = server.commandTime
            server.log.notice("Streamed RDB transfer with replica \(r.client.address) succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming")
            server.log.notice("Synchronization with replica \(r.client.address) succeeded")
        }
        if !ok { server.log.warning("Diskless rdb transfer failed") }
        startFullSyncIfPossible()
    }

    /// The image is on disk: each waiting replica gets `$<len>\r\n<image>` read from the file in paced chunks
    /// (`ReplicaFileSender`), and then what happened since.
    private func snapshotDone(_ ok: Bool) {
        syncSnapshotRunning = false
        let ready = replicas.filter { $0.state == .waitBgsaveEnd }
        guard ok, let loop = server.backgroundLoop else {
            server.log.warning("SYNC failed. BGSAVE child returned an error")
            for r in ready { r.client.disconnect() }
            startFullSyncIfPossible()
            return
        }
        for r in ready {
            let sender = ReplicaFileSender(path: server.rdb.filePath, link: r, loop: loop, server: server,
                                           attached: { [unowned self] l in self.replicas.contains { $0 === l } },
                                           done: { [unowned self] link, sent in self.fileSent(link, ok: sent) })
            guard let sender else {
                server.log.warning("SYNC failed. Can't open/stat DB after BGSAVE: \(String(cString: strerror(errno)))")
                r.client.disconnect()
                continue
            }
            r.state = .sendBulk
            sender.start()
        }
        startFullSyncIfPossible()
    }

    /// A replica received the whole file: it gets the stream kept meanwhile and is online.
    private func fileSent(_ r: ReplicaLink, ok: Bool) {
        guard replicas.contains(where: { $0 === r }) else { return }
        guard ok else {
            server.log.warning("Read error sending DB to replica: \(String(cString: strerror(errno)))")
            r.client.disconnect()
            return
        }
        if !r.pending.isEmpty { r.client.deliverRaw(r.pending, enforceLimit: false) }
        r.pending = []
        r.state = .online
        r.ackTime = server.commandTime
        server.log.notice("Synchronization with replica \(r.client.address) succeeded")
    }

    /// Keeps stream bytes for a replica that cannot receive them yet, within its output-buffer hard limit.
    private func keepPending(_ bytes: [UInt8], for r: ReplicaLink) {
        r.pending.append(contentsOf: bytes)
        let hard = server.config.outputLimitReplica.hard
        if hard > 0 && Int64(r.pending.count) > hard {
            server.log.warning("Client id=\(r.client.id) addr=\(r.client.address) scheduled to be closed ASAP for overcoming of output buffer limits.")
            r.client.disconnect()
        }
    }

    // MARK: - Acknowledgements, WAIT

    /// REPLCONF ACK from a replica.
    func acknowledged(_ c: Client, offset: Int64) {
        guard let link = replicas.first(where: { $0.client === c }) else { return }
        if offset > link.ackOffset { link.ackOffset = offset }
        link.ackTime = server.commandTime
        if link.streamStartsOnAck {
            link.streamStartsOnAck = false
            if !link.pending.isEmpty { link.client.deliverRaw(link.pending, enforceLimit: false) }
            link.pending = []
        }
        serveWaiters()
        if failover.phase == .waitForSync { updateFailover() }
    }

    /// Replicas online whose last ACK is at most `min-replicas-max-lag` seconds old.
    func goodReplicaCount() -> Int {
        let maxLag = Int64(server.config.minReplicasMaxLag)
        return replicas.reduce(0) { $0 + ($1.state == .online && lag($1) <= maxLag ? 1 : 0) }
    }

    /// Drops every replica (they reconnect and learn a new replication ID, partially when they can).
    func disconnectReplicas() {
        for r in replicas { r.client.disconnect() }
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
        if timeoutMs > 0, let loop = c.eventLoop {
            loop.scheduleTask(in: .milliseconds(timeoutMs)) { [unowned self] in
                self.server.withDataWhenNoScript(on: loop) { [unowned self] in
                    guard let w = self.waiters.remove(ticket: ticket) else { return }
                    let n = self.replicasAcknowledging(w.offset)
                    self.server.unblock(w.client) { $0.reply.integer(n) }
                }
            }
        }
        if !getAckPending, let loop = c.eventLoop {
            // Once per loop turn, after the current batch (Redis sends it in beforeSleep).
            getAckPending = true
            loop.execute { [unowned self] in
                self.server.withDataWhenNoScript(on: loop) { [unowned self] in
                    self.getAckPending = false
                    if self.failover.phase == .none { self.feed(db: nil, ["REPLCONF", "GETACK", "*"]) }
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
        disconnectReplicas()
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
        // The backlog holds our old master's stream and goes on: a replica of the old master (or the old master
        // itself) continues with `+CONTINUE` through `replid2`. Our replicas reconnect to learn the new ID.
        disconnectReplicas()
        noReplicasSince = Clock.unixMilliseconds()
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
        // No PING while a failover holds writes: the replicas must be able to catch up with a still offset.
        if cronTicks % period == 0 && !replicas.isEmpty && failover.phase == .none { feed(db: nil, ["PING"]) }
        // A newline keeps the link of a replica waiting for its image alive; never once the image is being sent
        // (a file in `send_bulk`, or a socket transfer), where it would land inside the RDB bytes.
        for r in replicas where r.state == .waitBgsaveStart || (r.state == .waitBgsaveEnd && !r.receivesSocketImage) {
            r.client.deliverRaw([0x0A], enforceLimit: false)
        }
        let timeoutMs = Int64(server.config.replTimeout) * 1000
        for r in replicas where r.state == .online && now - r.ackTime > timeoutMs {
            server.log.warning("Disconnecting timedout replica (streaming sync): \(r.client.address)")
            r.client.disconnect()
        }
        followBacklogSize()
        let ttl = Int64(server.config.replBacklogTtl)
        if replicas.isEmpty, ttl > 0, backlog != nil, state.role == .master, (now - noReplicasSince) / 1000 > ttl {
            // Redis's replicationCron: a new history, the backlog freed.
            server.replicationId = Server.randomHexId()
            state.replid2 = String(repeating: "0", count: 40)
            state.secondOffset = -1
            backlog = nil
            server.log.notice("Replication backlog freed after \(ttl) seconds without connected replicas.")
        }
        startFullSyncIfPossible()
    }

    private func clientRemoved(_ c: Client) {
        handshakeInfo[c.id] = nil
        waiters.forget(c)
        guard let i = replicas.firstIndex(where: { $0.client === c }) else { return }
        let r = replicas.remove(at: i)
        if replicas.isEmpty { noReplicasSince = Clock.unixMilliseconds() }
        server.log.notice("Connection with replica \(r.ip):\(r.listeningPort) lost.")
    }

    /// INFO's `master_failover_state`.
    var failoverStateName: String { failover.name }

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
