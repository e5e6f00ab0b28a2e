import NIOCore

/// The NIO handler of one client connection: accumulates bytes, and per read takes the data lock once to parse
/// and execute every complete command, then writes the batch's replies with one flush per read burst.
///
/// Back-pressure (docs/RELIABILITY.md): once a client's unsent output passes its threshold the rest of its
/// pipeline waits, and while NIO reports the channel unwritable no more is read from the socket (`read` is held
/// back) — a client that pipelines without reading costs at most the threshold plus one command's reply.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let server: Server
    var client: Client!
    var parser = RequestParser()
    var pending: ByteBuffer?
    var closing = false
    /// The socket (from the accept thread), or -1: a busy script's hook reads it directly (see `BusyPeer`).
    let fd: CInt
    /// Set while this connection executes commands (holding the data lock): a busy script's hook skips it.
    var executing = false
    /// Set by an AUTH answered before the connection could be registered (a script held the data).
    var authenticatedWhileBusy = false
    var wroteSinceFlush = false
    private var awaitingActivation = false
    private var retryScheduled = false
    /// Whether the rest of a pipeline that used its time slice is scheduled (`resumeAfterOtherConnections`).
    private var sliceResumeScheduled = false
    private var context: ChannelHandlerContext?
    /// Set while the client's unsent output waits for NIO to drain it: no command is parsed, no read issued.
    private var outputPaused = false
    /// Input bytes read while paused, counted in the stats when processed.
    private var pendingNewBytes = 0
    /// Whether the once-a-second check of a paused client is scheduled.
    private var recheckScheduled = false
    /// A `read` NIO asked for while paused, issued on resume.
    private var readHeld = false
    /// Writes handed to NIO and not yet completed (counted only for sockets written directly, `fd >= 0`): while
    /// none is outstanding a reply goes straight to the socket (see Connection+DirectWrite.swift).
    var nioWritesOutstanding = 0
    /// The reply buffer of the previous batch, emptied once its bytes were sent: the client's next reply buffer
    /// (two buffers take turns, so a request allocates none).
    var spareReplyBuffer: ByteBuffer?

    /// The client id taken when the connection was accepted (ids follow the order of accepts).
    let clientId: UInt64?

    init(server: Server, fd: CInt = -1, clientId: UInt64? = nil) {
        self.server = server
        self.fd = fd
        self.clientId = clientId
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        // A connection accepted while a script holds the data is activated later (it is answered -BUSY meanwhile).
        if acquireData() {
            activate(context: context)
            server.lock.unlock()
        } else {
            awaitingActivation = true
        }
        context.fireChannelActive()
    }

    /// Registers the client (call with the data lock held); a rejected connection is answered and closed.
    private func activate(context: ChannelHandlerContext) {
        awaitingActivation = false
        var rejection: String?
        if server.clients.count >= server.config.maxclients {
            server.stats.rejectedConnections += 1
            rejection = "-ERR max number of clients reached\r\n"
        } else if server.config.protectedMode && server.acl.defaultUser.state.nopass,
                  let remote = context.channel.remoteAddress, !Self.isLoopback(remote) {
            server.stats.rejectedConnections += 1
            rejection = Self.protectedModeError
        } else {
            client = server.addClient(channel: context.channel, allocator: context.channel.allocator, id: clientId)
            let loop = context.eventLoop
            // Strong references to the handler (a weak one gives it a side table, which makes every retain and
            // release of it, several per request in NIO's pipeline, take the slow path); the cycle
            // handler → client → hook → handler is cut in `forget` when the connection closes.
            client.resumeHook = { [self] in
                loop.execute { self.resume(context: context) }
            }
            parser.maxBulkLength = Int(clamping: server.config.protoMaxBulkLen)
            parser.maxQueryBuffer = Int(clamping: server.config.clientQueryBufferLimit)
            if authenticatedWhileBusy { client.authenticated = true }
            parser.authenticated = client.authenticated
            registerBusyPeer(context: context)
        }
        if let text = rejection {
            closing = true
            var b = context.channel.allocator.buffer(capacity: text.utf8.count)
            b.writeString(text)
            context.writeAndFlush(wrapOutboundOut(b)).whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Takes the data lock: waits for it unless a script holds it, in which case it returns false at once (the
    /// caller answers -BUSY or retries shortly) — so no loop other than the script's ever waits on a script.
    private func acquireData() -> Bool {
        server.lockDataUnlessScriptRuns()
    }

    /// Runs `resume` again shortly (the data is held by a script that is not yet past its busy threshold).
    private func retrySoon(context: ChannelHandlerContext) {
        guard !retryScheduled else { return }
        retryScheduled = true
        context.eventLoop.scheduleTask(in: .milliseconds(2)) { [self] in
            retryScheduled = false
            resume(context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if outputPaused {
            readHeld = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable && outputPaused { unpause(context: context) }
        context.fireChannelWritabilityChanged()
    }

    /// Ends a back-pressure pause: runs the buffered pipeline and reads the socket again.
    private func unpause(context: ChannelHandlerContext) {
        outputPaused = false
        resume(context: context)
        if readHeld && !outputPaused && !closing {
            readHeld = false
            context.read()
        }
    }

    /// Pauses the pipeline until NIO drains the output; while paused, the soft output limit is re-checked every
    /// second (Redis would keep appending and check it then).
    private func pause(context: ChannelHandlerContext) {
        outputPaused = true
        if !recheckScheduled {
            recheckScheduled = true
            context.eventLoop.scheduleTask(in: .seconds(1)) { [self] in recheckWhilePaused(context: context) }
        }
    }

    private func recheckWhilePaused(context: ChannelHandlerContext) {
        recheckScheduled = false
        guard outputPaused, !closing, let c = client else { return }
        if context.channel.isWritable {
            unpause(context: context)
            return
        }
        guard acquireData() else {
            pause(context: context)
            return
        }
        let over = server.outputLimitExceeded(c)
        if over { server.closeForOutputLimit(c) }
        // The kernel took some of the output since the pause: below the threshold again, the pipeline goes on (as
        // Redis, which keeps appending, a client that never reads then reaches its limit instead of idling under it).
        let drained = !over && c.pendingOutputBytes < server.backPressureThreshold(for: c)
        server.lock.unlock()
        if over {
            closing = true
            context.close(promise: nil)
        } else if drained {
            unpause(context: context)
        } else {
            pause(context: context)
        }
    }

    /// Counts a client closed for its query buffer (`client_query_buffer_limit_disconnections`).
    private func countQueryLimitDisconnection() {
        guard acquireData() else { return }
        server.stats.queryLimitDisconnections += 1
        server.lock.unlock()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        if let c = client { forget(c, loop: context.eventLoop) }
        context.fireChannelInactive()
    }

    /// Unregisters a closed connection's client, later if a script holds the data.
    private func forget(_ c: Client, loop: EventLoop) {
        if acquireData() {
            server.removeClient(c)
            server.busyScript.peers[ObjectIdentifier(self)] = nil
            c.resumeHook = nil  // under the lock: other threads read it under the lock (waking blocked clients)
            server.lock.unlock()
        } else {
            loop.scheduleTask(in: .milliseconds(5)) { [self] in forget(c, loop: loop) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, client != nil || awaitingActivation else { return }
        var input = unwrapInboundIn(data)
        let inBytes = input.readableBytes
        if var p = pending {
            // Drop the stored reference first: appending to a shared buffer would copy it whole on every read.
            pending = nil
            p.writeBuffer(&input)
            input = p
        }
        if outputPaused {
            // Reads already under way when the pause began: kept for later (NIO issues no new read meanwhile).
            pendingNewBytes += inBytes
            if input.readableBytes > parser.maxQueryBuffer {
                server.log.warning("Closing client that reached max query buffer length (qbuf initial bytes: \(input.readableBytes))")
                countQueryLimitDisconnection()
                closing = true
                context.close(promise: nil)
                return
            }
            pending = input
            return
        }
        process(context: context, input: &input, newBytes: inBytes)
    }

    /// Continues after the client was unblocked from another context: writes its reply and runs the commands
    /// that arrived while it was blocked.
    private func resume(context: ChannelHandlerContext) {
        guard !closing, client != nil || awaitingActivation else { return }
        if let c = client {
            if acquireData() {
                c.resumeScheduled = false
                server.lock.unlock()
            } else if server.busyScript.isBusy {
                // A script past its threshold holds the data: what waits is answered now (-BUSY, SCRIPT KILL, ...)
                // by `process`, and the resume is tried again for the output it was scheduled for. (Retrying only
                // would leave a client of another I/O loop unanswered for the script's whole run.)
                retrySoon(context: context)
            } else {
                retrySoon(context: context)
                return
            }
        }
        var input = pending ?? context.channel.allocator.buffer(capacity: 0)
        pending = nil
        let newBytes = pendingNewBytes
        pendingNewBytes = 0
        process(context: context, input: &input, newBytes: newBytes)
        if wroteSinceFlush {
            wroteSinceFlush = false
            context.flush()
        }
    }

    /// Parses and executes every complete command in `input` under the data lock, then queues the replies.
    private func process(context: ChannelHandlerContext, input: inout ByteBuffer, newBytes: Int) {
        guard acquireData() else {
            if server.busyScript.isBusy {
                answerWhileBusy(context: context, input: &input)
            } else {
                input.discardReadBytes()
                pending = input
                retrySoon(context: context)
            }
            return
        }
        if awaitingActivation {
            activate(context: context)
            guard client != nil else {
                server.lock.unlock()
                return
            }
        }
        let c = client!
        var failure: RequestParser.Failure?
        var output: ByteBuffer?
        // Replies moved out of the reply buffer during a long batch (counted as unflushed until written), so
        // that a batch's output is a list of chunks rather than one buffer that doubles its way up.
        var chunks: [ByteBuffer] = []
        var heldForSync = false
        var overOutputLimit = false
        var stoppedForOutput = false
        var stoppedForTime = false
        executing = true
        defer { executing = false }
        if authenticatedWhileBusy {
            c.authenticated = true
            authenticatedWhileBusy = false
        }
        var stall = StallWatch.Slowest()
        let batchStart = stall.mark
        var batchCount = 0
        do {
            server.beginBatch()
            server.stats.netInputBytes += Int64(newBytes)
            server.stats.totalReadsProcessed += 1
            c.queryBufferLength = input.readableBytes
            let threshold = server.backPressureThreshold(for: c)
            while !c.closeAfterReply && !c.isBlocked && !outputPaused {
                do throws(RequestParser.Failure) {
                    guard try parser.parse(&input, into: &c.argv) == .command else { break }
                } catch {
                    failure = error
                    break
                }
                server.execute(c)
                if StallWatch.enabled {
                    batchCount += 1
                    stall.lap(c.lastCommandName)
                }
                parser.authenticated = c.authenticated
                // An idle client keeps no argument alive (a blocked one needs its command to run again; the parser
                // refills `argv` only for the next command, so an unfinished one is never in it here).
                if !c.isBlocked { c.releaseArgv() }
                // The batch's time slice is used: the rest of the pipeline waits for the loop's other connections.
                if server.batchSliceUsed {
                    stoppedForTime = true
                    break
                }
                // One add and one compare per command; limits are looked at past Redis's static buffer size.
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
                    if c.reply.buffer.readableBytes >= OutputThresholds.chunk,
                       let out = takeOutput(c, allocator: context.channel.allocator) {
                        c.unflushedBytes.wrappingIncrement(by: out.readableBytes, ordering: .relaxed)
                        chunks.append(out)
                    }
                }
            }
            c.queryBufferLength = input.readableBytes
            // Output delivered by others, or a woken command's reply, is checked here too.
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
            output = takeOutput(c, allocator: context.channel.allocator)
            if server.aof.replyMustWaitForSync(c) {
                // appendfsync always: the replies leave after the group fsync that covers this batch.
                let held = output
                let heldChunks = chunks
                output = nil
                chunks = []
                heldForSync = true
                let closeAfter = failure != nil || c.closeAfterReply
                if closeAfter { closing = true }
                server.aof.sendAfterSync(c, loop: .nio(context.eventLoop)) { [self] in
                    for chunk in heldChunks { self.write(chunk, for: c, context: context, counted: true) }
                    if let held { self.write(held, for: c, context: context) }
                    self.wroteSinceFlush = false
                    context.flush()
                    if closeAfter { context.close(promise: nil) }
                }
            }
        }
        StallWatch.check(batchStart, server.log, "a batch of \(batchCount) commands held the data lock (\(stall.summary))")
        // Read under the lock: a command of another I/O loop may set it (CLIENT KILL, ACL SETUSER disconnecting).
        let closeAfterReply = c.closeAfterReply
        server.lock.unlock()
        if overOutputLimit {
            // Redis frees such a client without writing what it holds.
            for chunk in chunks { c.unflushedBytes.wrappingDecrement(by: chunk.readableBytes, ordering: .relaxed) }
            chunks = []
            closing = true
            pending = nil
            context.close(promise: nil)
            return
        }
        if input.readableBytes > 0 && failure == nil {
            if input.readableBytes > parser.maxQueryBuffer {
                // Redis closes such clients without a reply.
                failure = .queryBufferLimit
                server.log.warning("Closing client that reached max query buffer length (qbuf initial bytes: \(input.readableBytes))")
                countQueryLimitDisconnection()
            } else if input.capacity > 1 << 20 && input.readableBytes < input.capacity / 4 {
                // Leftover of a large read: do not keep its whole buffer alive.
                var small = context.channel.allocator.buffer(capacity: input.readableBytes)
                small.writeBuffer(&input)
                pending = small
            } else {
                input.discardReadBytes()
                pending = input
            }
        }
        for chunk in chunks { write(chunk, for: c, context: context, counted: true) }
        if var out = output {
            output = nil  // `out` holds the only reference: once sent, it is reused as the next reply buffer
            send(&out, for: c, context: context)
        }
        var overLimit = false
        if case .queryBufferLimit = failure { overLimit = true }
        // Held replies close the connection themselves once sent (a query buffer overflow closes at once).
        if (failure != nil || closeAfterReply) && (!heldForSync || overLimit) {
            closing = true
            context.flush()
            context.close(promise: nil)
            return
        }
        if stoppedForTime && !stoppedForOutput && !closing && !outputPaused {
            wroteSinceFlush = false
            context.flush()
            resumeAfterOtherConnections(context: context)
        }
        if stoppedForOutput && !closing {
            // Back-pressure: hand what is queued to the socket; go on with the pipeline when NIO drained it
            // (now, through the loop, if the socket took it all), else pause reading and parsing.
            wroteSinceFlush = false
            context.flush()
            if context.channel.isWritable {
                context.eventLoop.execute { [self] in resume(context: context) }
            } else {
                pause(context: context)
            }
        }
    }

    /// Runs the rest of a pipeline whose batch used its time slice, once the loop has polled its sockets: a task
    /// due now would run before the next poll (NIO runs every ready task first), so it is due a little later.
    private func resumeAfterOtherConnections(context: ChannelHandlerContext) {
        guard !sliceResumeScheduled else { return }
        sliceResumeScheduled = true
        context.eventLoop.scheduleTask(in: .microseconds(20)) { [self] in
            sliceResumeScheduled = false
            resume(context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if wroteSinceFlush {
            wroteSinceFlush = false
            context.flush()
        }
        // Not passed on: this is the pipeline's last handler, and NIO's tail discards the event.
    }

    /// Takes the client's pending replies (call with the data lock held: other loops may deliver into it).
    func takeOutput(_ c: Client, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard c.reply.buffer.readableBytes > 0 else { return nil }
        let out = c.reply.buffer
        if let spare = spareReplyBuffer {
            spareReplyBuffer = nil
            c.reply.buffer = spare
        } else {
            c.reply.buffer = allocator.buffer(capacity: 256)
        }
        server.stats.netOutputBytes += Int64(out.readableBytes)
        server.stats.totalWritesProcessed += 1
        return out
    }

    /// Hands replies to NIO; the flush happens once per read burst.
    /// `counted`: the bytes are already in `unflushedBytes` (a chunk taken during the batch).
    /// `blocked`: the socket just refused part of it (the rest is counted until written, as a large write).
    func write(_ out: ByteBuffer, for c: Client, context: ChannelHandlerContext, counted: Bool = false,
               blocked: Bool = false) {
        let size = out.readableBytes
        wroteSinceFlush = true
        // Large writes and writes NIO cannot pass on at once are counted until written (output limits,
        // CLIENT LIST omem); small writes to a writable channel leave at the flush (at most the watermark).
        let track = !counted && (blocked || size > OutputThresholds.checkFloor || !context.channel.isWritable
                                 || c.isPubSubClient || c.linkKind == .replica)
        if track { c.unflushedBytes.wrappingIncrement(by: size, ordering: .relaxed) }
        guard counted || track || fd >= 0 else {
            context.write(wrapOutboundOut(out), promise: nil)
            return
        }
        // A socket written directly counts what NIO holds for it: a direct write must not overtake it.
        let direct = fd >= 0
        if direct { nioWritesOutstanding += 1 }
        let uncount = counted || track
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { [self] _ in
            if uncount { c.unflushedBytes.wrappingDecrement(by: size, ordering: .relaxed) }
            if direct { nioWritesOutstanding -= 1 }
        }
        context.write(wrapOutboundOut(out), promise: promise)
    }

    static func isLoopback(_ a: SocketAddress) -> Bool {
        guard let ip = a.ipAddress else { return true }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }

    static let protectedModeError = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
