import Kernel
import NIOCore
import NIOPosix

/// A reply read from a monitored instance (RESP2; RESP3 types are folded into these).
enum RespValue {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8]?)
    case array([RespValue]?)

    /// The value as text (status, bulk or integer).
    var text: String? {
        switch self {
        case .status(let s): return s
        case .bulk(let b?): return String(decoding: b, as: UTF8.self)
        case .integer(let i): return String(i)
        default: return nil
        }
    }

    var isError: Bool { if case .error = self { return true } else { return false } }
}

/// Incremental RESP reply decoder with bounded nesting and lengths.
struct RespReplyParser {
    private var input: [UInt8] = []
    private var start = 0
    /// Largest bulk we accept from an instance (INFO replies are a few KB).
    static let maxBulk = 64 << 20

    struct Malformed: Error {}

    mutating func append(_ buffer: ByteBuffer) {
        if start > 0 && start == input.count {
            input.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 {
            input.removeFirst(start)
            start = 0
        }
        buffer.withUnsafeReadableBytes { input.append(contentsOf: $0) }
    }

    /// The next complete reply, nil if more bytes are needed.
    mutating func next() throws -> RespValue? {
        var pos = start
        guard let v = try parse(&pos, depth: 0) else { return nil }
        start = pos
        return v
    }

    private func line(_ pos: inout Int) -> String? {
        var i = pos
        while i + 1 < input.count {
            if input[i] == 13 && input[i + 1] == 10 {
                let s = String(decoding: input[pos..<i], as: UTF8.self)
                pos = i + 2
                return s
            }
            i += 1
        }
        return nil
    }

    private func parse(_ pos: inout Int, depth: Int) throws -> RespValue? {
        guard depth < 16 else { throw Malformed() }
        guard pos < input.count else { return nil }
        let type = input[pos]
        var p = pos + 1
        guard let l = line(&p) else { return nil }
        switch type {
        case UInt8(ascii: "+"): pos = p; return .status(l)
        case UInt8(ascii: "-"), UInt8(ascii: "!"): pos = p; return .error(l)
        case UInt8(ascii: ":"):
            guard let n = Int64(l) else { throw Malformed() }
            pos = p
            return .integer(n)
        case UInt8(ascii: "_"): pos = p; return .bulk(nil)
        case UInt8(ascii: "#"): pos = p; return .integer(l == "t" ? 1 : 0)
        case UInt8(ascii: ","), UInt8(ascii: "("): pos = p; return .bulk(Array(l.utf8))
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            guard let n = Int(l), n <= Self.maxBulk else { throw Malformed() }
            if n < 0 { pos = p; return .bulk(nil) }
            guard input.count >= p + n + 2 else { return nil }
            var bytes = Array(input[p..<(p + n)])
            if type == UInt8(ascii: "="), bytes.count >= 4 { bytes.removeFirst(4) }
            pos = p + n + 2
            return .bulk(bytes)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"):
            guard var n = Int(l), n <= 1 << 20 else { throw Malformed() }
            if n < 0 { pos = p; return .array(nil) }
            if type == UInt8(ascii: "%") { n *= 2 }
            var items: [RespValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                guard let v = try parse(&p, depth: depth + 1) else { return nil }
                items.append(v)
            }
            pos = p
            return .array(items)
        default:
            throw Malformed()
        }
    }
}

/// One outbound connection of a Sentinel to an instance (Redis's `instanceLink` cc or pc): commands are sent as
/// RESP arrays, replies are matched to callbacks in order; on a pub/sub connection `message` pushes go to
/// `onMessage`. Every callback runs with the data lock held.
final class InstanceConnection {
    unowned(unsafe) let sentinel: Sentinel
    private(set) var channel: Channel?
    /// Set once connected; false again after the close.
    private(set) var connected = false
    private(set) var closed = false
    private var callbacks: [((RespValue) -> Void)?] = []
    private var parser = RespReplyParser()
    /// Receives `message` pushes (channel, payload) on a pub/sub connection.
    var onMessage: ((String, [UInt8]) -> Void)?
    /// Called once when the connection is lost or fails to open.
    var onClose: (() -> Void)?
    /// Called once when the connection is established.
    var onOpen: (() -> Void)?
    /// Commands sent whose replies have not arrived (link-pending-commands).
    var pending: Int { callbacks.count }
    /// Our address on this connection (hello messages announce it).
    var localIP: String? { channel?.localAddress?.ipAddress }

    init(sentinel: Sentinel) {
        self.sentinel = sentinel
    }

    /// Starts connecting; `onOpen` or `onClose` follows with the lock held.
    func open(host: String, port: Int) {
        let bootstrap = ClientBootstrap(group: sentinel.loop)
            // TCP_NODELAY is ClientBootstrap's default. A second option entry for it reached the kernel as SO_DEBUG in
            // release builds (strace), which a non-root process may not set: every connection failed in containers.
            .connectTimeout(.milliseconds(Int64(max(1000, sentinel.connectTimeoutMs))))
            .channelInitializer { [self] ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(InstanceConnectionHandler(connection: self))
                }
            }
        bootstrap.connect(host: host, port: port).whenComplete { [self] result in
            // whenComplete may run inline on the loop while nobody holds the lock: hop to be safe.
            sentinel.loop.execute {
                self.sentinel.server.lock.withLock {
                    switch result {
                    case .success(let ch):
                        if self.closed {
                            ch.close(promise: nil)
                            return
                        }
                        self.channel = ch
                        self.connected = true
                        self.onOpen?()
                    case .failure:
                        self.lost()
                    }
                }
            }
        }
    }

    /// Sends one command; `reply` (if any) receives its reply.
    func send(_ args: [String], reply: ((RespValue) -> Void)? = nil) {
        guard let channel, connected, !closed else { return }
        var buf = channel.allocator.buffer(capacity: 64)
        buf.writeString("*\(args.count)\r\n")
        for a in args {
            buf.writeString("$\(a.utf8.count)\r\n")
            buf.writeString(a)
            buf.writeString("\r\n")
        }
        callbacks.append(reply)
        channel.writeAndFlush(buf, promise: nil)
    }

    /// Closes without calling `onClose`.
    func close() {
        guard !closed else { return }
        closed = true
        connected = false
        callbacks.removeAll()
        channel?.close(promise: nil)
        dropHandlers()
    }

    /// The peer closed or an error happened (lock held).
    func lost() {
        guard !closed else { return }
        closed = true
        connected = false
        callbacks.removeAll()
        channel?.close(promise: nil)
        let notify = onClose
        dropHandlers()
        notify?()
    }

    /// The handlers capture this connection: dropping them breaks the cycle once it is closed.
    private func dropHandlers() {
        onOpen = nil
        onClose = nil
        onMessage = nil
    }

    /// Bytes arrived (lock held).
    func received(_ buffer: ByteBuffer) {
        guard !closed else { return }
        parser.append(buffer)
        do {
            while !closed, let v = try parser.next() {
                if case .array(let items?) = v, items.count == 3, onMessage != nil,
                   items[0].text == "message", let ch = items[1].text, case .bulk(let payload?) = items[2] {
                    onMessage?(ch, payload)
                    continue
                }
                if callbacks.isEmpty { continue }
                let cb = callbacks.removeFirst()
                cb?(v)
            }
        } catch {
            lost()
        }
    }
}

/// NIO glue for `InstanceConnection`. Close notifications hop through the loop's queue, so a close that our own
/// code causes while holding the lock never re-enters it.
final class InstanceConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let connection: InstanceConnection

    init(connection: InstanceConnection) { self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        connection.sentinel.server.lock.withLock { connection.received(bytes) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let conn = connection
        context.eventLoop.execute {
            conn.sentinel.server.lock.withLock { conn.lost() }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
