import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One client socket served by an `EpollLoop` (issue 18): the data lock taken once per read, every complete
/// command of the read executed, the replies sent with one `send(2)` — no channel pipeline. Only the loop's thread touches it (a busy script's hook runs on that thread too).
///
/// Output the socket does not take waits in `queue` (counted in the client's `unflushedBytes`, so output limits,
/// back-pressure and CLIENT LIST `omem` see it) and is sent when epoll reports the socket writable. Past the
/// client's back-pressure threshold the pipeline stops and the socket is not read (`paused`) until the queue is
/// sent; while paused the soft output limit is re-checked every second (Redis checks it as it appends).
final class EpollConnection {
    /// The loop that owns this connection. Strong `let`s, so a method reading them borrows them: an
    /// `unowned(unsafe)` reference is copied into a strong one (a retain and a release) at each access. The loop
    /// lets the connection go when it closes, so there is no lasting cycle.
    let loop: EpollLoop
    /// The server.
    let server: Server
    let fd: CInt
    let unix: Bool
    var client: Client?
    var parser = RequestParser()
    /// The query buffer: reads append to it, parsing consumes it. Empty, it is `EpollLoop.noInput` (no storage):
    /// a read then goes into the loop's buffer, which the connection keeps only for an incomplete command.
    var input = EpollLoop.noInput
    /// The previous batch's reply buffer, emptied once sent: the client's next one.
    var spare: ByteBuffer?
    /// Output the socket has not taken yet, oldest first (counted in the client's `unflushedBytes`).
    var queue: [ByteBuffer] = []
    /// The replies of this loop turn's batch, sent at the end of the turn (`EpollLoop.sendHeldReplies`), or by
    /// the next `enqueue`, before anything else.
    var held: ByteBuffer?
    var closed = false
    /// The connection closes once `queue` is sent (QUIT, protocol error, a rejected connection).
    var closeWhenSent = false
    /// The pipeline waits for the output to drain; the socket is not read meanwhile.
    var paused = false
    /// Set while this connection executes commands: a busy script's hook skips it.
    var executing = false
    var authenticatedWhileBusy = false
    var awaitingActivation = false
    /// Bytes read and not yet counted in the stats (read while a script held the data).
    var pendingNewBytes = 0
    /// The answer to a connection refused at registration (maxclients, protected mode).
    private var rejection: String?
    private var retryScheduled = false
    var recheckPending = false
    /// What epoll watches the socket for now (`updateWatch` changes it only when needed).
    var watchingReadState = true
    var watchingWriteState = false

    /// The client id taken when the socket was accepted (ids follow accept order across loops, as Redis's).
    let clientId: UInt64
    /// Whether the rest of a pipeline that used its time slice is scheduled.
    private var sliceResumeScheduled = false

    init(loop: EpollLoop, fd: CInt, unix: Bool, clientId: UInt64) {
        self.loop = loop
        self.server = loop.server
        self.fd = fd
        self.unix = unix
        self.clientId = clientId
    }

    /// Registers the connection (on the loop), later if a script holds the data (it is answered -BUSY meanwhile).
    func start() {
        if acquireData() {
            activate()
            server.lock.unlock()
            sendRejection()
        } else {
            awaitingActivation = true
        }
    }

    /// Registers the connection from a busy script's hook on this loop (data lock held by the hook): it becomes
    /// one of the peers the hook serves.
    func startWhileBusy() {
        activate()
        sendRejection()
    }

    /// Answers and closes a connection `activate` refused (after the data lock is released: closing takes it).
    private func sendRejection() {
        guard let text = rejection else { return }
        rejection = nil
        var b = ByteBufferAllocator().buffer(capacity: text.utf8.count)
        b.writeString(text)
        enqueue(&b)
        closeAfterSending()
    }

    /// Registers the client (data lock held); a refused connection gets `rejection` (see `sendRejection`).
    private func activate() {
        awaitingActivation = false
        let remote = unix ? (server.config.unixsocket + ":0", loopback: true) : EpollLoop.describe(fd, peer: true)
        if server.clients.count >= server.config.maxclients {
            server.stats.rejectedConnections += 1
            rejection = "-ERR max number of clients reached\r\n"
        } else if server.config.protectedMode && server.acl.defaultUser.state.nopass && !remote.loopback {
            server.stats.rejectedConnections += 1
            rejection = Server.protectedModeError
        } else {
            let local = unix ? remote.0 : EpollLoop.describe(fd, peer: false).0
            let c = server.addSocketClient(address: remote.0, local: local, unix: unix, timers: loop.timers,
                                           id: clientId)
            client = c
            let loop = self.loop
            // Strong references (cut in `forget`): a weak one would give the connection a side table.
            c.resumeHook = { [self] in loop.execute { self.resume() } }
            c.socketClose = { [self] in loop.execute { self.close() } }
            parser.maxBulkLength = Int(clamping: server.config.protoMaxBulkLen)
            parser.maxQueryBuffer = Int(clamping: server.config.clientQueryBufferLimit)
            if authenticatedWhileBusy { c.authenticated = true }
            parser.authenticated = c.authenticated
            server.busyScript.peers[ObjectIdentifier(self)] = BusyPeer(onOwnLoop: { [loop] in loop.inLoop }, fd: fd,
                                                                       clientId: c.id) { [self] in serveWhileScriptBusy() }
        }
    }

    /// Takes the data lock: waits for it unless a script holds it, in which case it returns false at once (the
    /// caller answers -BUSY or retries shortly) — so no loop other than the script's ever waits on a script.
    private func acquireData() -> Bool {
        server.lockDataUnlessScriptRuns()
    }

    /// Runs `resume` again shortly (a script holds the data, not yet past its busy threshold).
    private func retrySoon() {
        guard !retryScheduled else { return }
        retryScheduled = true
        loop.schedule(in: .milliseconds(2)) { [self] in
            retryScheduled = false
            resume()
        }
    }

    /// The socket has bytes (or hung up): one read into the query buffer, then the batch.
    func readable() {
        guard !closed, !paused, !closeWhenSent else { return }
        if input.readableBytes == 0, let lent = loop.readBuffer {
            loop.readBuffer = nil
            input = lent
        }
        input.reserveCapacity(minimumWritableBytes: EpollLoop.readSize)
        let fd = self.fd
        let n = input.withUnsafeMutableWritableBytes { p in Glibc.recv(fd, p.baseAddress, p.count, CInt(MSG_DONTWAIT)) }
        if n > 0 {
            input.moveWriterIndex(forwardBy: n)
            pendingNewBytes += n
            process()
        } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
            close()
        } else if input.readableBytes == 0 {
            releaseInput()
        }
    }

    /// Continues after work from elsewhere: replies delivered by other clients, a woken blocked command, the end
    /// of a pause; runs the commands that wait in the query buffer.
    func resume() {
        guard !closed, client != nil || awaitingActivation else { return }
        if let c = client {
            if acquireData() {
                c.resumeScheduled = false
                server.lock.unlock()
            } else {
                retrySoon()
                // A script past its threshold: what waits is answered now (-BUSY, SCRIPT KILL, ...).
                guard server.busyScript.isBusy else { return }
            }
        }
        process()
    }

    /// Parses the next complete command of the query buffer into the client's arguments: false at the end of
    /// what arrived, or on malformed input (`failure` says which).
    @inline(__always)
    func parseNext(into c: Client, failure: inout RequestParser.Failure?) -> Bool {
        do throws(RequestParser.Failure) {
            return try parser.parse(&input, into: &c.argv) == .command
        } catch {
            failure = error
            return false
        }
    }

    /// Parses and executes every complete command of the query buffer under the data lock, then sends the replies.
    private func process() {
        guard !paused, !closeWhenSent else { return }
        guard acquireData() else {
            if server.busyScript.isBusy { answerWhileBusy() } else { retrySoon() }
            return
        }
        if awaitingActivation {
            activate()
            guard client != nil else {
                server.lock.unlock()
                sendRejection()
                return
            }
        }
        let c = client!
        var failure: RequestParser.Failure?
        var chunks: [ByteBuffer] = []
        var heldForSync = false
        var overOutputLimit = false
        var stoppedForOutput = false
        var stoppedForTime = false
        var stall = StallWatch.Slowest()
        let batchStart = stall.mark
        var batchCount = 0
        executing = true
        if authenticatedWhileBusy {
            c.authenticated = true
            authenticatedWhileBusy = false
        }
        server.beginBatch()
        server.stats.netInputBytes += Int64(pendingNewBytes)
        pendingNewBytes = 0
        server.stats.totalReadsProcessed += 1
        c.queryBufferLength = input.readableBytes
        let threshold = server.backPressureThreshold(for: c)
        while !c.closeAfterReply && !c.isBlocked && parseNext(into: c, failure: &failure) {
            server.execute(c)
            if StallWatch.enabled {
                batchCount += 1
                stall.lap(c.lastCommandName)
            }
            parser.authenticated = c.authenticated
            // The batch's time slice is used: the rest of the pipeline waits for the loop's other connections.
            if server.batchSliceUsed {
                stoppedForTime = true
                break
            }
            let used = c.pendingOutputBytes
            if used > OutputThresholds.checkFloor {
                if server.outputLimitExceeded(c) {
                    overOutputLimit = true
                    break
                }
                if used >= threshold {
                    stoppedForOutput = true
                    break
                }
                if c.reply.buffer.readableBytes >= OutputThresholds.chunk, let out = takeOutput(c) {
                    // A long batch's output leaves in chunks, not one buffer doubling its way up.
                    c.unflushedBytes.wrappingAdd(out.readableBytes, ordering: .relaxed)
                    chunks.append(out)
                }
            }
        }
        executing = false
        // Released once per batch (the parser overwrote each command's arguments with the next one's in place),
        // unless they are the first arguments of a command not wholly read yet.
        if !c.isBlocked && !parser.isInsideCommand { c.releaseArgv() }
        c.queryBufferLength = input.readableBytes
        if !overOutputLimit && !c.closedForOutputLimit && c.pendingOutputBytes > OutputThresholds.checkFloor
            && server.outputLimitExceeded(c) {
            overOutputLimit = true
        }
        if overOutputLimit || c.closedForOutputLimit {
            overOutputLimit = true
            server.closeForOutputLimit(c)
        }
        if server.config.maxmemoryClients != 0 && !overOutputLimit { server.updateClientMemory(c) }
        if case .protocolError(let m) = failure {
            c.error(bytes: RequestParser.errorLine(m))
            server.log.verbose("Protocol error (\(m)) from client: id=\(c.id) addr=\(c.address)")
        }
        server.afterBatch()
        var output = takeOutput(c)
        let closeAfter = failure != nil || c.closeAfterReply
        if server.aof.replyMustWaitForSync(c) {
            // appendfsync always: the replies leave after the group fsync that covers this batch.
            heldForSync = true
            let held = output
            let heldChunks = chunks
            output = nil
            chunks = []
            if closeAfter { closeWhenSent = true }
            server.aof.sendAfterSync(c, loop: loop) { [self] in
                for var chunk in heldChunks { enqueue(&chunk, counted: true) }
                if var out = held { enqueue(&out) }
                if closeAfter { closeAfterSending() }
            }
        }
        StallWatch.check(batchStart, server.log, "a batch of \(batchCount) commands held the data lock (\(stall.summary))")
        server.lock.unlock()
        if overOutputLimit {
            // Redis frees such a client without writing what it holds.
            for chunk in chunks { c.unflushedBytes.wrappingSubtract(chunk.readableBytes, ordering: .relaxed) }
            close()
            return
        }
        if input.readableBytes == 0 {
            releaseInput()
        } else if failure == nil && input.readableBytes > parser.maxQueryBuffer {
            // Redis closes such clients without a reply.
            server.log.warning("Closing client that reached max query buffer length (qbuf initial bytes: \(input.readableBytes))")
            countQueryLimitDisconnection()
            close()
            return
        } else if input.readerIndex >= 16 * 1024 {
            input.discardReadBytes()
        }
        if input.capacity > 1 << 20 && input.readableBytes < input.capacity / 4 {
            // Leftover of a large read: do not keep its whole buffer alive.
            var small = ByteBufferAllocator().buffer(capacity: max(16 * 1024, input.readableBytes))
            small.writeBuffer(&input)
            input = small
        }
        for var chunk in chunks { enqueue(&chunk, counted: true) }
        chunks = []
        if var out = output {
            output = nil  // `out` holds the only reference: once sent, it becomes the next reply buffer
            if loop.dispatching && !closeAfter && !stoppedForOutput && queue.isEmpty && held == nil {
                // Sent once the loop has served its other ready sockets (Redis writes replies in beforeSleep):
                // the peer is then woken once for the replies of a whole turn, not once per reply.
                held = out
                loop.holdsReplies(of: self)
            } else {
                enqueue(&out)
            }
        }
        if closeAfter && !heldForSync {
            closeAfterSending()
            return
        }
        if stoppedForTime && !stoppedForOutput && !closed && !sliceResumeScheduled {
            sliceResumeScheduled = true
            loop.executeAfterNextPoll { [self] in
                sliceResumeScheduled = false
                resume()
            }
        }
        if stoppedForOutput && !closed {
            // Back-pressure: go on at once (through the loop) if the socket took everything, else pause.
            if queue.isEmpty {
                loop.execute { [self] in resume() }
            } else {
                pause()
            }
        }
    }

    /// Drops an empty query buffer: back to the loop when it is the loop's read buffer size, else freed.
    func releaseInput() {
        if loop.readBuffer == nil && input.capacity == EpollLoop.readSize {
            input.clear()
            loop.readBuffer = input
        }
        input = EpollLoop.noInput
    }

    private func countQueryLimitDisconnection() {
        guard acquireData() else { return }
        server.stats.queryLimitDisconnections += 1
        server.lock.unlock()
    }

    /// Takes the client's pending replies, swapping in the spare buffer (data lock held).
    func takeOutput(_ c: Client) -> ByteBuffer? {
        guard c.reply.buffer.readableBytes > 0 else { return nil }
        let out = c.reply.buffer
        if let s = spare {
            spare = nil
            c.reply.buffer = s
        } else {
            c.reply.buffer = ByteBufferAllocator().buffer(capacity: 256)
        }
        server.stats.netOutputBytes += Int64(out.readableBytes)
        server.stats.totalWritesProcessed += 1
        return out
    }
}
