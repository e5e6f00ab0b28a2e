import NIOCore

/// The NIO handler of one client connection: accumulates bytes, and per read takes the data lock once to parse
/// and execute every complete command, then writes the batch's replies with one flush per read burst.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
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
    private var wroteSinceFlush = false
    private var awaitingActivation = false
    private var retryScheduled = false
    private var context: ChannelHandlerContext?

    init(server: Server, fd: CInt = -1) {
        self.server = server
        self.fd = fd
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
            client = server.addClient(channel: context.channel, allocator: context.channel.allocator)
            let loop = context.eventLoop
            client.resumeHook = { [weak self] in
                loop.execute { self?.resume(context: context) }
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
        if server.lock.tryLock() { return true }
        if server.busyScript.running != .none { return false }
        server.lock.lock()
        return true
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
            server.lock.unlock()
            c.resumeHook = nil
        } else {
            loop.scheduleTask(in: .milliseconds(5)) { [self] in forget(c, loop: loop) }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, client != nil || awaitingActivation else { return }
        var input = unwrapInboundIn(data)
        let inBytes = input.readableBytes
        if var p = pending {
            p.writeBuffer(&input)
            input = p
            pending = nil
        }
        process(context: context, input: &input, newBytes: inBytes)
    }

    /// Continues after the client was unblocked from another context: writes its reply and runs the commands
    /// that arrived while it was blocked.
    private func resume(context: ChannelHandlerContext) {
        guard !closing, client != nil || awaitingActivation else { return }
        if let c = client {
            guard acquireData() else {
                retrySoon(context: context)
                return
            }
            c.resumeScheduled = false
            server.lock.unlock()
        }
        var input = pending ?? context.channel.allocator.buffer(capacity: 0)
        pending = nil
        process(context: context, input: &input, newBytes: 0)
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
        var heldForSync = false
        executing = true
        defer { executing = false }
        if authenticatedWhileBusy {
            c.authenticated = true
            authenticatedWhileBusy = false
        }
        do {
            server.beginBatch()
            server.stats.netInputBytes += Int64(newBytes)
            server.stats.totalReadsProcessed += 1
            c.queryBufferLength = input.readableBytes
            while !c.closeAfterReply && !c.isBlocked {
                do throws(RequestParser.Failure) {
                    guard try parser.parse(&input, into: &c.argv) == .command else { break }
                } catch {
                    failure = error
                    break
                }
                server.execute(c)
                parser.authenticated = c.authenticated
            }
            c.queryBufferLength = input.readableBytes
            if case .protocolError(let m) = failure {
                c.error(bytes: RequestParser.errorLine(m))
                server.log.verbose("Protocol error (\(m)) from client: id=\(c.id) addr=\(c.address)")
            }
            server.afterBatch()
            output = takeOutput(c, allocator: context.channel.allocator)
            if server.aof.replyMustWaitForSync(c) {
                // appendfsync always: the replies leave after the group fsync that covers this batch.
                let held = output
                output = nil
                heldForSync = true
                let closeAfter = failure != nil || c.closeAfterReply
                if closeAfter { closing = true }
                server.aof.sendAfterSync(c, loop: context.eventLoop) { [self] in
                    if let held { self.write(held, for: c, context: context) }
                    self.wroteSinceFlush = false
                    context.flush()
                    if closeAfter { context.close(promise: nil) }
                }
            }
        }
        server.lock.unlock()
        if input.readableBytes > 0 && failure == nil {
            if input.readableBytes > parser.maxQueryBuffer {
                // Redis closes such clients without a reply.
                failure = .queryBufferLimit
                server.log.warning("Closing client that reached max query buffer length (qbuf initial bytes: \(input.readableBytes))")
            } else {
                input.discardReadBytes()
                pending = input
            }
        }
        if let output { write(output, for: c, context: context) }
        var overLimit = false
        if case .queryBufferLimit = failure { overLimit = true }
        // Held replies close the connection themselves once sent (a query buffer overflow closes at once).
        if (failure != nil || c.closeAfterReply) && (!heldForSync || overLimit) {
            closing = true
            context.flush()
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if wroteSinceFlush {
            wroteSinceFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    /// Takes the client's pending replies (call with the data lock held: other loops may deliver into it).
    func takeOutput(_ c: Client, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard c.reply.buffer.readableBytes > 0 else { return nil }
        let out = c.reply.buffer
        c.reply.buffer = allocator.buffer(capacity: 256)
        server.stats.netOutputBytes += Int64(out.readableBytes)
        server.stats.totalWritesProcessed += 1
        return out
    }

    /// Hands replies to NIO; the flush happens once per read burst.
    func write(_ out: ByteBuffer, for c: Client, context: ChannelHandlerContext) {
        let size = out.readableBytes
        if c.isPubSubClient || c.linkKind == .replica || size > 65536 {
            // Track what NIO still holds, for output buffer limits.
            c.unflushedBytes.wrappingIncrement(by: size, ordering: .relaxed)
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenComplete { _ in c.unflushedBytes.wrappingDecrement(by: size, ordering: .relaxed) }
            context.write(wrapOutboundOut(out), promise: promise)
        } else {
            context.write(wrapOutboundOut(out), promise: nil)
        }
        wroteSinceFlush = true
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
