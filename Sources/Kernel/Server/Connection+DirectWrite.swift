import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Replies sent straight to the socket (issue 18): at one command per read, handing each reply to NIO (a
/// buffer allocated per batch, a pending-write entry, a flush through the pipeline) cost more CPU than the
/// command itself. When NIO holds nothing for the connection, the batch's replies leave with one `send(2)` from
/// the connection's own loop; only what the socket does not take is handed to NIO (counted in the client's
/// unsent output until written, so output limits, back-pressure and CLIENT LIST `omem` see it). The emptied
/// buffer becomes the client's next reply buffer.
extension ConnectionHandler {
    /// Largest reply buffer kept for reuse once sent; a larger one (a big reply) is freed.
    static let reusedReplyBufferLimit = OutputThresholds.checkFloor

    /// Sends a batch's replies: directly when the socket is ours to write (TCP, open, NIO holding no earlier
    /// bytes for it), else through NIO as before.
    func send(_ out: inout ByteBuffer, for c: Client, context: ChannelHandlerContext) {
        guard fd >= 0, nioWritesOutstanding == 0, !closing, context.channel.isActive else {
            write(out, for: c, context: context)
            return
        }
        let fd = self.fd
        let sent = out.withUnsafeReadableBytes { p -> Int in
            while true {
                let n = Glibc.send(fd, p.baseAddress, p.count, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT))
                if n < 0 && errno == EINTR { continue }
                return n
            }
        }
        if sent == out.readableBytes {
            if spareReplyBuffer == nil && out.capacity <= Self.reusedReplyBufferLimit {
                out.clear()
                spareReplyBuffer = out
            }
            return
        }
        // The socket is full (or failing: NIO then reports the error and closes the channel as before).
        if sent > 0 { out.moveReaderIndex(forwardBy: sent) }
        write(out, for: c, context: context, blocked: true)
    }

    /// Hands bytes that are not a client's replies (answers given while a script is busy) to NIO, noted as
    /// outstanding so that no direct write overtakes them.
    func writeUncounted(_ out: ByteBuffer, context: ChannelHandlerContext) {
        wroteSinceFlush = true
        guard fd >= 0 else {
            context.write(wrapOutboundOut(out), promise: nil)
            return
        }
        nioWritesOutstanding += 1
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { [self] _ in nioWritesOutstanding -= 1 }
        context.write(wrapOutboundOut(out), promise: promise)
    }
}
