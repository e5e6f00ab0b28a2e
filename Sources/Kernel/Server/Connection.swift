import NIOCore

/// The NIO handler of one client connection: accumulates bytes, and per read takes the data lock once to parse
/// and execute every complete command, then writes the batch's replies with one flush per read burst.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: Server
    private var client: Client!
    private var parser = RequestParser()
    private var pending: ByteBuffer?
    private var closing = false
    private var wroteSinceFlush = false

    init(server: Server) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        let rejection: String? = server.lock.withLock {
            if server.clients.count >= server.config.maxclients {
                server.stats.rejectedConnections += 1
                return "-ERR max number of clients reached\r\n"
            }
            if server.config.protectedMode && server.config.requirepass.isEmpty,
               let remote = context.channel.remoteAddress, !Self.isLoopback(remote) {
                server.stats.rejectedConnections += 1
                return Self.protectedModeError
            }
            client = server.addClient(channel: context.channel, allocator: context.channel.allocator)
            let loop = context.eventLoop
            client.resumeHook = { [weak self] in
                loop.execute { self?.resume(context: context) }
            }
            parser.maxBulkLength = Int(clamping: server.config.protoMaxBulkLen)
            parser.maxQueryBuffer = Int(clamping: server.config.clientQueryBufferLimit)
            parser.authenticated = client.authenticated
            return nil
        }
        if let text = rejection {
            closing = true
            var b = context.channel.allocator.buffer(capacity: text.utf8.count)
            b.writeString(text)
            context.writeAndFlush(wrapOutboundOut(b)).whenComplete { _ in context.close(promise: nil) }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let c = client {
            server.lock.withLock { server.removeClient(c) }
            c.resumeHook = nil
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, client != nil else { return }
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
        guard !closing, let c = client else { return }
        server.lock.withLock { c.resumeScheduled = false }
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
        let c = client!
        var failure: RequestParser.Failure?
        var output: ByteBuffer?
        var heldForSync = false
        server.lock.withLock {
            server.beginBatch()
            server.stats.netInputBytes += Int64(newBytes)
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
                c.error("ERR Protocol error: \(m)")
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
    private func takeOutput(_ c: Client, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard c.reply.buffer.readableBytes > 0 else { return nil }
        let out = c.reply.buffer
        c.reply.buffer = allocator.buffer(capacity: 256)
        server.stats.netOutputBytes += Int64(out.readableBytes)
        return out
    }

    /// Hands replies to NIO; the flush happens once per read burst.
    private func write(_ out: ByteBuffer, for c: Client, context: ChannelHandlerContext) {
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
