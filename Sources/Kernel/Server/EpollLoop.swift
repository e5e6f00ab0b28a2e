import Dispatch
import NIOCore
import CMallocInfo

#if canImport(Glibc)
import Glibc
#endif

/// PROTOTYPE (issue 18 measurement): one thread running `epoll_wait` (level-triggered) over client sockets,
/// reading into a reusable per-connection buffer, executing under the data lock and replying with `send(2)`.
/// Cross-thread work (a blocked client woken, a pub/sub message) reaches the loop through `execute` and a pipe.
final class EpollLoop: @unchecked Sendable {
    let server: Server
    let epfd: CInt
    private let wakeFd: CInt
    /// Connections by fd (loop thread only).
    private var byFd: [EpollConnection?] = []
    private let taskLock = DataLock()
    private var tasks: [() -> Void] = []
    private var running: [() -> Void] = []

    init(server: Server, index: Int) {
        self.server = server
        epfd = epoll_create1(CInt(EPOLL_CLOEXEC))
        wakeFd = eventfd(0, CInt(EFD_CLOEXEC | EFD_NONBLOCK))
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.u64 = UInt64(UInt32(bitPattern: wakeFd))
        _ = epoll_ctl(epfd, CInt(EPOLL_CTL_ADD), wakeFd, &ev)
        DispatchQueue(label: "redis-swift.epoll.\(index)").async { [self] in run() }
    }

    /// Runs `task` on the loop thread (from any thread).
    func execute(_ task: @escaping () -> Void) {
        taskLock.lock()
        let first = tasks.isEmpty
        tasks.append(task)
        taskLock.unlock()
        if first {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFd, &one, 8)
        }
    }

    /// Takes an accepted socket (from the accept thread).
    func adopt(_ fd: CInt) {
        execute { [self] in
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            let conn = EpollConnection(loop: self, fd: fd)
            server.lock.lock()
            conn.attach()
            server.lock.unlock()
            if Int(fd) >= byFd.count { byFd += Array(repeating: nil, count: Int(fd) + 64 - byFd.count) }
            byFd[Int(fd)] = conn
            setInterest(fd, output: false, add: true)
        }
    }

    func setInterest(_ fd: CInt, output: Bool, add: Bool = false) {
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue | (output ? EPOLLOUT.rawValue : 0)
        ev.data.u64 = UInt64(UInt32(bitPattern: fd))
        _ = epoll_ctl(epfd, CInt(add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD), fd, &ev)
    }

    func forget(_ fd: CInt) {
        _ = epoll_ctl(epfd, CInt(EPOLL_CTL_DEL), fd, nil)
        byFd[Int(fd)] = nil
        Glibc.close(fd)
    }

    private func run() {
        let capacity = 128
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            let n = epoll_wait(epfd, events, CInt(capacity), -1)
            if n < 0 { continue }
            for i in 0..<Int(n) {
                let fd = CInt(truncatingIfNeeded: events[i].data.u64)
                let mask = events[i].events
                if fd == wakeFd {
                    var count: UInt64 = 0
                    _ = Glibc.read(wakeFd, &count, 8)
                    runTasks()
                    continue
                }
                guard Int(fd) < byFd.count, let conn = byFd[Int(fd)] else { continue }
                if mask & EPOLLOUT.rawValue != 0 { conn.writable() }
                if mask & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 { conn.readable() }
            }
        }
    }

    private func runTasks() {
        taskLock.lock()
        swap(&tasks, &running)
        taskLock.unlock()
        for t in running { t() }
        running.removeAll(keepingCapacity: true)
    }
}

/// PROTOTYPE: one client socket served by an `EpollLoop`.
final class EpollConnection {
    unowned let loop: EpollLoop
    let server: Server
    let fd: CInt
    var client: Client!
    var parser = RequestParser()
    var input = ByteBufferAllocator().buffer(capacity: 16 * 1024)
    var spare: ByteBuffer?
    var pendingOut: ByteBuffer?
    var closed = false

    init(loop: EpollLoop, fd: CInt) {
        self.loop = loop
        self.server = loop.server
        self.fd = fd
    }

    /// Registers the client (data lock held).
    func attach() {
        client = server.addSocketClient()
        parser.maxBulkLength = Int(clamping: server.config.protoMaxBulkLen)
        parser.maxQueryBuffer = Int(clamping: server.config.clientQueryBufferLimit)
        parser.authenticated = client.authenticated
        let loop = self.loop
        client.resumeHook = { [self] in loop.execute { self.resume() } }
    }

    func readable() {
        guard !closed else { return }
        input.reserveCapacity(minimumWritableBytes: 16 * 1024)
        let fd = self.fd
        let n = input.withUnsafeMutableWritableBytes { p in Glibc.recv(fd, p.baseAddress, p.count, CInt(MSG_DONTWAIT)) }
        if n > 0 {
            input.moveWriterIndex(forwardBy: n)
            process(newBytes: n)
        } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
            close()
        }
    }

    func resume() {
        guard !closed else { return }
        server.lock.lock()
        client.resumeScheduled = false
        server.lock.unlock()
        process(newBytes: 0)
    }

    private func process(newBytes: Int) {
        let c = client!
        var failure = false
        server.lock.lock()
        server.beginBatch()
        server.stats.netInputBytes += Int64(newBytes)
        server.stats.totalReadsProcessed += 1
        while !c.closeAfterReply && !c.isBlocked {
            do throws(RequestParser.Failure) {
                guard try parser.parse(&input, into: &c.argv) == .command else { break }
            } catch {
                failure = true
                break
            }
            server.execute(c)
            parser.authenticated = c.authenticated
            if !c.isBlocked { c.releaseArgv() }
        }
        c.queryBufferLength = input.readableBytes
        server.afterBatch()
        var out: ByteBuffer?
        if c.reply.buffer.readableBytes > 0 {
            out = c.reply.buffer
            if let s = spare {
                spare = nil
                c.reply.buffer = s
            } else {
                c.reply.buffer = ByteBufferAllocator().buffer(capacity: 256)
            }
            server.stats.netOutputBytes += Int64(out!.readableBytes)
            server.stats.totalWritesProcessed += 1
        }
        let closeAfter = failure || c.closeAfterReply
        server.lock.unlock()
        if input.readableBytes == 0 {
            input.clear()
        } else if input.readerIndex > 8 * 1024 {
            input.discardReadBytes()
        }
        if var o = out {
            out = nil
            send(&o)
        }
        if closeAfter { close() }
    }

    private func send(_ out: inout ByteBuffer) {
        if pendingOut != nil {
            pendingOut!.writeBuffer(&out)
            return
        }
        let fd = self.fd
        let sent = out.withUnsafeReadableBytes { p -> Int in
            Glibc.send(fd, p.baseAddress, p.count, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT))
        }
        if sent == out.readableBytes {
            if spare == nil && out.capacity <= OutputThresholds.checkFloor {
                out.clear()
                spare = out
            }
            return
        }
        if sent > 0 { out.moveReaderIndex(forwardBy: sent) }
        pendingOut = out
        loop.setInterest(fd, output: true)
    }

    func writable() {
        guard !closed, var o = pendingOut else { return }
        pendingOut = nil
        let fd = self.fd
        let sent = o.withUnsafeReadableBytes { p -> Int in
            Glibc.send(fd, p.baseAddress, p.count, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT))
        }
        if sent > 0 { o.moveReaderIndex(forwardBy: sent) }
        if o.readableBytes > 0 {
            pendingOut = o
        } else {
            loop.setInterest(fd, output: false)
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        server.lock.lock()
        server.removeClient(client)
        client.resumeHook = nil
        server.lock.unlock()
        loop.forget(fd)
    }
}
