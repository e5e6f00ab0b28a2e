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
            client = server.addClient(channel: context.channel, allocator: context.channel.allocator)
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
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing, let c = client else { return }
        var input = unwrapInboundIn(data)
        let inBytes = input.readableBytes
        if var p = pending {
            p.writeBuffer(&input)
            input = p
            pending = nil
        }
        var failure: RequestParser.Failure?
        server.lock.withLock {
            server.stats.netInputBytes += Int64(inBytes)
            c.queryBufferLength = input.readableBytes
            while !c.closeAfterReply {
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
            server.stats.netOutputBytes += Int64(c.reply.buffer.readableBytes)
            if case .protocolError(let m) = failure {
                c.error("ERR Protocol error: \(m)")
                server.log.verbose("Protocol error (\(m)) from client: id=\(c.id) addr=\(c.address)")
            }
        }
        if input.readableBytes > 0 && failure == nil {
            input.discardReadBytes()
            pending = input
        }
        flushReply(context: context, flush: false)
        if failure != nil || c.closeAfterReply {
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

    private func flushReply(context: ChannelHandlerContext, flush: Bool) {
        let c = client!
        guard c.reply.buffer.readableBytes > 0 else { return }
        let out = c.reply.buffer
        c.reply.buffer = context.channel.allocator.buffer(capacity: 256)
        context.write(wrapOutboundOut(out), promise: nil)
        wroteSinceFlush = true
        if flush { context.flush() }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
