import Kernel
import NIOCore
import NIOPosix

/// The replica side of replication: the connection to our master, the handshake (PING, AUTH, REPLCONF, PSYNC),
/// reading the RDB image (`$<len>` or diskless `$EOF:<mark>`), loading it, and applying the stream through the
/// dispatcher with an internal client flagged as the master, acknowledging offsets (`REPLCONF ACK`).
/// Every method that touches server state runs with the data lock held.
final class MasterLink {
    /// Handshake and transfer states (Redis's REPL_STATE_*).
    enum Phase: Equatable {
        case connecting, waitPong, waitAuth, waitPort, waitIP, waitCapa, waitPsync
        case waitBulkHeader, readBulk(remaining: Int), readEOFBulk(mark: [UInt8])
        case streaming
    }

    unowned(unsafe) let server: Server
    let host: String
    let port: Int
    private(set) var phase: Phase = .connecting
    var channel: Channel?
    /// Bytes received and not yet consumed.
    private var input: [UInt8] = []
    private var consumed = 0
    private var image: [UInt8] = []
    /// The master's replication ID and offset announced by `+FULLRESYNC`.
    private var fullSyncId = ""
    private var fullSyncOffset: Int64 = 0
    /// Bytes of the stream read from the master (`slave_read_repl_offset`).
    private(set) var readOffset: Int64 = 0
    /// When the master last sent something (Unix ms).
    private(set) var lastIO: Int64 = 0
    private(set) var linkUp = false
    /// Unix ms when the link went down (or was created).
    private var downSince = Clock.unixMilliseconds()
    private var stopped = false
    private var ackTask: RepeatedTask?
    /// The internal client the master's commands run as.
    private let masterClient: Client

    init(server: Server, host: String, port: Int) {
        self.server = server
        self.host = host
        self.port = port
        masterClient = server.addClient()
        masterClient.linkKind = .master
        masterClient.authenticated = true
    }

    /// The database the master's stream has selected (a chained replica's image names it: `repl-stream-db`).
    var streamDb: Int { masterClient.db.id }

    /// Starts the master's stream in database `id` (the stream database of a history continued from disk).
    func selectStreamDb(_ id: Int) {
        if server.databases.indices.contains(id) { masterClient.db = server.databases[id] }
    }

    /// Our own replication state: its backlog and replicas receive the stream we apply.
    private var master: ReplicationMaster { ReplicationMaster.of(server) }

    /// Whether an image is being received (`master_sync_in_progress`).
    var syncing: Bool {
        switch phase {
        case .waitBulkHeader, .readBulk, .readEOFBulk: return true
        default: return false
        }
    }

    /// Seconds since the link went down (`master_link_down_since_seconds`).
    var downSinceSeconds: Int64 { max(0, (Clock.unixMilliseconds() - downSince) / 1000) }

    // MARK: - Connection

    /// Connects (again after a drop, one second later).
    func connect() {
        guard !stopped, let loop = server.backgroundLoop else { return }
        phase = .connecting
        server.log.notice("Connecting to MASTER \(host):\(port)")
        ClientBootstrap(group: loop)
            // TCP_NODELAY is ClientBootstrap's default. A second option entry for it reached the kernel as SO_DEBUG in
            // release builds (strace), which a non-root process may not set: every connection failed in containers.
            .channelInitializer { [self] ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(MasterLinkHandler(link: self)) }
            }
            .connect(host: host, port: port)
            .whenComplete { [self] result in
                self.server.withDataWhenNoScript(on: loop) { [self] in
                    switch result {
                    case .success(let ch):
                        guard !self.stopped else { self.closeLater(ch); return }
                        self.channel = ch
                        self.server.log.notice("MASTER <-> REPLICA sync started")
                        self.phase = .waitPong
                        self.send(["PING"])
                    case .failure(let e):
                        self.server.log.warning("Error condition on socket for SYNC: \(e)")
                        self.retryLater()
                    }
                }
            }
    }

    private func retryLater() {
        guard !stopped, let loop = server.backgroundLoop else { return }
        loop.scheduleTask(in: .seconds(1)) { [weak self] in
            guard let self else { return }
            self.server.withDataWhenNoScript(on: loop) { [self] in if !self.stopped && self.channel == nil { self.connect() } }
        }
    }

    /// The connection closed.
    func disconnected() {
        channel = nil
        if linkUp { server.log.notice("Connection with master lost.") }
        downSince = Clock.unixMilliseconds()
        linkUp = false
        server.replication.masterLinkUp = false
        ackTask?.cancel()
        ackTask = nil
        input = []
        consumed = 0
        retryLater()
    }

    /// REPLICAOF NO ONE / another master: closes the link for good.
    func stop() {
        stopped = true
        ackTask?.cancel()
        closeLater(channel)
        channel = nil
        linkUp = false
        server.replication.masterLinkUp = false
    }

    /// Closes a channel after the current task: closing synchronously with the data lock held would re-enter
    /// the lock from `channelInactive` on the same loop.
    private func closeLater(_ ch: Channel?) {
        guard let ch else { return }
        ch.eventLoop.execute { ch.close(promise: nil) }
    }

    private func send(_ argv: [RBytes]) {
        guard let channel else { return }
        var bytes: [UInt8] = []
        AOFCommandReader.encode(argv, into: &bytes)
        var buf = channel.allocator.buffer(capacity: bytes.count)
        buf.writeBytes(bytes)
        channel.writeAndFlush(buf, promise: nil)
    }

    // MARK: - Input

    /// Bytes from the master (with the lock held).
    func received(_ bytes: ByteBuffer) {
        lastIO = Clock.unixMilliseconds()
        input.append(contentsOf: bytes.readableBytesView)
        while advance() {}
        if consumed > 0 && consumed * 2 >= input.count {
            input.removeFirst(consumed)
            consumed = 0
        }
    }

    /// One line (without CRLF) if complete.
    private func takeLine() -> String? {
        guard let nl = input[consumed...].firstIndex(of: 0x0A) else { return nil }
        var end = nl
        if end > consumed && input[end - 1] == 0x0D { end -= 1 }
        let line = String(decoding: input[consumed..<end], as: UTF8.self)
        consumed = nl + 1
        return line
    }

    /// Does one step; false when more input is needed.
    private func advance() -> Bool {
        switch phase {
        case .connecting: return false
        case .waitPong:
            guard let line = takeLine() else { return false }
            if line.hasPrefix("-") && !line.hasPrefix("-NOAUTH") && !line.hasPrefix("-NOPERM") && !line.hasPrefix("-ERR operation not permitted") {
                return fail("Error reply to PING from master: '\(line)'")
            }
            if !server.config.masterauth.isEmpty {
                phase = .waitAuth
                send(server.config.masteruser.isEmpty ? ["AUTH", RBytes(server.config.masterauth)]
                     : ["AUTH", RBytes(server.config.masteruser), RBytes(server.config.masterauth)])
            } else {
                sendPort()
            }
            return true
        case .waitAuth:
            guard let line = takeLine() else { return false }
            if line.hasPrefix("-") { return fail("Unable to AUTH to MASTER: \(line)") }
            sendPort()
            return true
        case .waitPort:
            guard takeLine() != nil else { return false }
            if !server.config.replicaAnnounceIp.isEmpty {
                phase = .waitIP
                send(["REPLCONF", "ip-address", RBytes(server.config.replicaAnnounceIp)])
                return true
            }
            sendCapa()
            return true
        case .waitIP:
            guard let line = takeLine() else { return false }
            if line.hasPrefix("-") {
                server.log.notice("(Non critical) Master does not understand REPLCONF ip-address: \(line)")
            }
            sendCapa()
            return true
        case .waitCapa:
            guard takeLine() != nil else { return false }
            phase = .waitPsync
            let state = server.replication
            if state.hasMasterHistory {
                server.log.notice("Trying a partial resynchronization (request \(server.replicationId):\(state.masterOffset + 1)).")
                if master.failover.phase == .inProgress {
                    // FAILOVER: the target promotes itself on this request.
                    send(["PSYNC", RBytes(server.replicationId), Numbers.format(state.masterOffset + 1), "FAILOVER"])
                } else {
                    send(["PSYNC", RBytes(server.replicationId), Numbers.format(state.masterOffset + 1)])
                }
            } else {
                server.log.notice("Partial resynchronization not possible (no cached master)")
                send(["PSYNC", "?", "-1"])
            }
            return true
        case .waitPsync:
            guard let line = takeLine() else { return false }
            if line.isEmpty { return true }
            let parts = line.split(separator: " ").map(String.init)
            if parts.first == "+FULLRESYNC", parts.count == 3, let off = Int64(parts[2]) {
                fullSyncId = parts[1]
                fullSyncOffset = off
                server.log.notice("Full resync from master: \(fullSyncId):\(fullSyncOffset)")
                master.failoverHandshakeEnded(ok: true)
                phase = .waitBulkHeader
                return true
            }
            if parts.first == "+CONTINUE" {
                let state = server.replication
                if parts.count == 2 && parts[1] != server.replicationId {
                    state.replid2 = server.replicationId
                    state.secondOffset = state.masterOffset + 1
                    server.replicationId = parts[1]
                    // Our replicas must learn the new ID: they reconnect (and continue, through replid2).
                    master.disconnectReplicas()
                }
                master.continueBacklog(at: state.masterOffset)
                server.log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
                server.log.notice("Successful partial resynchronization with master.")
                readOffset = state.masterOffset
                master.failoverHandshakeEnded(ok: true)
                goOnline()
                return true
            }
            if master.failover.phase == .inProgress {
                server.log.warning("Unexpected reply to PSYNC from master: \(line)")
                master.failoverHandshakeEnded(ok: false)
                return false
            }
            return fail("Unexpected reply to PSYNC from master: \(line)")
        case .waitBulkHeader:
            guard let line = takeLine() else { return false }
            if line.isEmpty { return true } // keepalive newline while the master prepares the image
            guard line.hasPrefix("$") else { return fail("Bad protocol from MASTER, the first byte is not '$' (we received '\(line)'), are you sure the host and port are right?") }
            if line.hasPrefix("$EOF:") {
                let mark = Array(line.utf8.dropFirst(5))
                guard mark.count == 40 else { return fail("Bad EOF mark from MASTER") }
                server.log.notice("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk")
                phase = .readEOFBulk(mark: mark)
            } else {
                guard let len = Int(line.dropFirst()), len >= 0, len <= Int(Int32.max) * 4 else { return fail("Bad bulk length from MASTER: \(line)") }
                server.log.notice("MASTER <-> REPLICA sync: receiving \(len) bytes from master to disk")
                phase = .readBulk(remaining: len)
            }
            image = []
            return true
        case .readBulk(let remaining):
            let available = input.count - consumed
            guard available > 0 || remaining == 0 else { return false }
            let take = min(available, remaining)
            image.append(contentsOf: input[consumed..<(consumed + take)])
            consumed += take
            if remaining - take > 0 {
                phase = .readBulk(remaining: remaining - take)
                return false
            }
            return loadImage()
        case .readEOFBulk(let mark):
            let available = input.count - consumed
            guard available > 0 else { return false }
            let searchFrom = max(0, image.count - 39)
            image.append(contentsOf: input[consumed...])
            consumed = input.count
            // A master waits for our first ACK before streaming (Redis does), but the mark is looked for
            // anywhere in the new bytes: whatever follows it is the stream.
            guard let at = Self.find(mark, in: image, from: searchFrom) else { return false }
            let after = image.count - (at + 40)
            consumed -= after
            image.removeSubrange(at...)
            return loadImage()
        case .streaming:
            return applyNextCommand()
        }
    }

    private func sendPort() {
        phase = .waitPort
        let port = server.config.replicaAnnouncePort != 0 ? server.config.replicaAnnouncePort : server.config.port
        send(["REPLCONF", "listening-port", Numbers.format(Int64(port))])
    }

    private func sendCapa() {
        phase = .waitCapa
        send(["REPLCONF", "capa", "eof", "capa", "psync2"])
    }

    private func fail(_ message: String) -> Bool {
        server.log.warning(message)
        closeLater(channel)
        phase = .connecting
        return false
    }

    /// The first index at or after `from` where `needle` starts in `haystack`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count, let first = needle.first else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The image is complete: flush, load, and take the master's replication ID and offset.
    private func loadImage() -> Bool {
        // Our replicas follow another history now: they must sync again (Redis's disconnectSlaves).
        master.disconnectReplicas()
        let mode = server.config.replDisklessLoad
        let keys = server.databases.reduce(0) { $0 + $1.count }
        if mode == "disabled" || (mode == "on-empty-db" && keys > 0) {
            if let error = ReplicationImageFile.save(image, to: server.rdb.filePath) {
                image = []
                return fail(error)
            }
        }
        // `swapdb`: the old dataset is kept aside and comes back if the image cannot be loaded.
        let backup = mode == "swapdb" ? server.setDatasetAside() : nil
        if backup == nil {
            server.log.notice("MASTER <-> REPLICA sync: Flushing old data")
            // replica-lazy-flush: the old dataset is freed on the lazy-free thread.
            for db in server.databases {
                if server.config.replicaLazyFlush { db.flushLazily() } else { db.flush() }
            }
        }
        server.log.notice("MASTER <-> REPLICA sync: Loading DB in memory")
        do {
            server.loading = true
            defer { server.loading = false }
            try server.loadRDBImage(image, logAux: true)
        } catch {
            if let backup {
                server.restoreDataset(backup)
                server.log.warning("MASTER <-> REPLICA sync: Discarding the half-loaded data and restoring the previous dataset")
            } else {
                for db in server.databases { db.flush() }
            }
            image = []
            let source = mode == "disabled" || (mode == "on-empty-db" && keys > 0) ? "disk" : "socket"
            return fail("Failed trying to load the MASTER synchronization DB from \(source), check server logs.")
        }
        let streamDb = ReplicationImageAux.streamDb(in: image) ?? 0
        image = []
        let state = server.replication
        server.replicationId = fullSyncId
        state.masterOffset = fullSyncOffset
        state.replid2 = String(repeating: "0", count: 40)
        state.secondOffset = -1
        state.hasMasterHistory = true
        readOffset = fullSyncOffset
        masterClient.db = server.databases.indices.contains(streamDb) ? server.databases[streamDb] : server.databases[0]
        master.continueBacklog(at: fullSyncOffset)
        server.log.notice("MASTER <-> REPLICA sync: Finished with success")
        goOnline()
        return true
    }

    private func goOnline() {
        phase = .streaming
        linkUp = true
        server.replication.masterLinkUp = true
        server.replication.hasMasterHistory = true
        sendAck()
        if ackTask == nil, let loop = channel?.eventLoop {
            ackTask = loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] _ in
                guard let self else { return }
                self.server.withDataUnlessScriptRuns { if self.linkUp { self.sendAck() } }
            }
        }
    }

    private func sendAck() {
        send(["REPLCONF", "ACK", Numbers.format(server.replication.masterOffset)])
    }

    /// Runs the next whole command of the stream, counting its bytes into the offset.
    private func applyNextCommand() -> Bool {
        guard consumed < input.count else { return false }
        let step: AOFCommandReader.Step
        do {
            step = try AOFCommandReader.next(input, from: consumed)
        } catch {
            return fail("Protocol error from MASTER at stream byte \(readOffset): \(error.message)")
        }
        switch step {
        case .incomplete: return false
        case .annotation(let stop):
            consumed = stop
            return true
        case .command(let argv, let stop):
            let start = consumed
            let end = stop - consumed
            consumed = stop
            readOffset += Int64(end)
            let name = argv[0].lowercased()
            if name == "replconf", argv.count >= 2, argv[1].lowercased() == "getack" {
                server.replication.masterOffset += Int64(end)
                master.proxy(Array(input[start..<stop]))
                sendAck()
                return true
            }
            masterClient.argv = argv
            server.execute(masterClient)
            masterClient.reply.buffer.clear()
            server.replication.masterOffset += Int64(end)
            // Byte for byte to our own backlog and replicas, after applying (Redis 7.0's proxying).
            master.proxy(Array(input[start..<stop]))
            return true
        }
    }
}

/// NIO glue: hands the master's bytes to the link under the data lock. While a script holds the data (a
/// read-only one on this replica) the bytes wait here, in order, and the channel stops reading (TCP holds the
/// master back): the loop is not held for the script's run, since it also runs the client connections' timers.
final class MasterLinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    /// Strong: a link dropped by REPLICAOF lives until its channel is gone.
    let link: MasterLink
    /// Bytes read while a script held the data, oldest first (loop thread only).
    private var held: [ByteBuffer] = []
    /// The channel closed while bytes were held: the link learns it after them.
    private var inactiveHeld = false
    private var drainScheduled = false

    init(link: MasterLink) { self.link = link }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if held.isEmpty && link.server.lockDataUnlessScriptRuns() {
            link.received(bytes)
            link.server.lock.unlock()
            return
        }
        held.append(bytes)
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        scheduleDrain(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if held.isEmpty && link.server.lockDataUnlessScriptRuns() {
            if link.channel === context.channel { link.disconnected() }
            link.server.lock.unlock()
        } else {
            inactiveHeld = true
            scheduleDrain(context.channel)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func scheduleDrain(_ channel: Channel) {
        guard !drainScheduled else { return }
        drainScheduled = true
        channel.eventLoop.scheduleTask(in: .milliseconds(2)) { [self] in
            drainScheduled = false
            drain(channel)
        }
    }

    /// Applies the held bytes (and the held close) once no script runs.
    private func drain(_ channel: Channel) {
        guard !held.isEmpty || inactiveHeld else { return }
        guard link.server.lockDataUnlessScriptRuns() else { return scheduleDrain(channel) }
        let bytes = held
        held = []
        for b in bytes { link.received(b) }
        if inactiveHeld {
            inactiveHeld = false
            if link.channel === channel { link.disconnected() }
        }
        link.server.lock.unlock()
        if channel.isActive { channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in } }
    }
}
