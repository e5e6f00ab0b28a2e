import Atomics
import CMallocInfo
import Dispatch
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// An I/O loop of our own for client sockets (issue 18): one thread in `epoll_wait` (level-triggered) over its
/// connections (`EpollConnection`). A read goes into the connection's reusable buffer, is parsed and executed
/// under the data lock, and the replies leave with `send(2)`; no channel pipeline, no per-read buffer, no
/// promise. Work from other threads (a blocked client woken, a pub/sub message, CLIENT KILL) reaches the loop
/// through `execute`: a queue and an eventfd. Timers (blocking timeouts, back-pressure rechecks, retries while a
/// script holds the data) run on `timers`, a NIO loop, and hop here with `execute`.
final class EpollLoop: @unchecked Sendable {
    let server: Server
    /// The NIO loop this loop's connections use for their timers.
    let timers: EventLoop
    let epfd: CInt
    private let wakeFd: CInt
    /// Connections by socket (loop thread only).
    private var byFd: [EpollConnection?] = []
    private let taskLock = DataLock()
    private var tasks: [() -> Void] = []
    private var running: [() -> Void] = []
    /// Tasks that run once the loop has polled its sockets again (loop thread only): the rest of a pipeline
    /// whose batch used its time slice waits there, so the loop's other connections are read first.
    private var afterPoll: [() -> Void] = []
    private var afterPollRunning: [() -> Void] = []
    /// Set while the loop serves the events of one `epoll_wait` (loop thread only): replies of the batches run
    /// meanwhile are held (`EpollConnection.held`) and sent together at the end of the turn.
    private(set) var dispatching = false
    /// Whether replies are held until the end of the turn: unless `REDIS_SWIFT_SEND_PER_BATCH` is set (an internal
    /// switch for measuring: each batch's replies then leave at once, as before).
    let holdsRepliesPerTurn = getenv("REDIS_SWIFT_SEND_PER_BATCH") == nil
    /// Connections holding replies until the end of the turn (loop thread only).
    private var holding: [EpollConnection] = []
    private var holdingSent: [EpollConnection] = []
    /// The loop's thread (`pthread_self` once it runs, 0 before): atomic, since any thread asks `inLoop`.
    private let thread = ManagedAtomic<UInt>(0)
    /// The buffer reads go into (lent to the connection being read; kept by it only when a command is incomplete),
    /// so that an idle connection holds no query buffer.
    var readBuffer: ByteBuffer? = ByteBufferAllocator().buffer(capacity: EpollLoop.readSize)
    /// Bytes asked of the socket per read (Redis's PROTO_IOBUF_LEN).
    static let readSize = 16 * 1024
    /// The query buffer of a connection with no unparsed input: shared, so it holds no storage of its own.
    static let noInput = ByteBufferAllocator().buffer(capacity: 0)

    init(server: Server, name: String, timers: EventLoop) {
        self.server = server
        self.timers = timers
        epfd = epoll_create1(CInt(EPOLL_CLOEXEC))
        wakeFd = eventfd(0, CInt(EFD_CLOEXEC | EFD_NONBLOCK))
        var ev = epoll_event()
        ev.events = EPOLLIN.rawValue
        ev.data.u64 = UInt64(UInt32(bitPattern: wakeFd))
        _ = epoll_ctl(epfd, CInt(EPOLL_CTL_ADD), wakeFd, &ev)
        DispatchQueue(label: "redis-swift.\(name)").async { [self] in run() }
    }

    /// Whether the calling thread is this loop's.
    var inLoop: Bool {
        let t = thread.load(ordering: .acquiring)
        return t != 0 && pthread_equal(pthread_self(), pthread_t(t)) != 0
    }

    /// Runs `task` on the loop thread, after the current event (callable from any thread, any lock held).
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

    /// Runs `task` on the loop thread `delay` from now: the timer is one of `timers`, whose task hops here.
    func schedule(in delay: TimeAmount, _ task: @escaping () -> Void) {
        timers.scheduleTask(in: delay) { [self] in execute(task) }
    }

    /// Runs `task` on the loop thread after the next poll of the sockets and their events (call on the loop).
    func executeAfterNextPoll(_ task: @escaping () -> Void) {
        afterPoll.append(task)
    }

    /// Sockets accepted for this loop and not yet taken (guarded by `taskLock`).
    private var accepted: [(fd: CInt, unix: Bool, clientId: UInt64)] = []

    /// Takes an accepted socket (from the accept thread) with the client id taken at accept.
    func adopt(_ fd: CInt, unix: Bool, clientId: UInt64) {
        taskLock.lock()
        accepted.append((fd, unix, clientId))
        taskLock.unlock()
        execute { [self] in takeAccepted(dataLockHeld: false) }
    }

    /// Starts serving the sockets accepted for this loop (on the loop thread). A busy script's hook calls it with
    /// the data lock held (`dataLockHeld`): a socket accepted just before the script began, for the script's own
    /// loop, is registered at once, so that the hook answers it (`-BUSY`, SCRIPT KILL) instead of leaving it
    /// unread until the script ends.
    func takeAccepted(dataLockHeld: Bool) {
        taskLock.lock()
        let sockets = accepted
        accepted.removeAll()
        taskLock.unlock()
        for (fd, unix, clientId) in sockets {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            let conn = EpollConnection(loop: self, fd: fd, unix: unix, clientId: clientId)
            if Int(fd) >= byFd.count { byFd += Array(repeating: nil, count: Int(fd) + 64 - byFd.count) }
            byFd[Int(fd)] = conn
            var ev = epoll_event()
            ev.events = EPOLLIN.rawValue
            ev.data.u64 = UInt64(UInt32(bitPattern: fd))
            _ = epoll_ctl(epfd, CInt(EPOLL_CTL_ADD), fd, &ev)
            if dataLockHeld { conn.startWhileBusy() } else { conn.start() }
        }
    }

    /// Sets what `fd` is watched for (errors and hang-ups are always reported).
    func watch(_ fd: CInt, read: Bool, write: Bool) {
        var ev = epoll_event()
        ev.events = (read ? EPOLLIN.rawValue : 0) | (write ? EPOLLOUT.rawValue : 0)
        ev.data.u64 = UInt64(UInt32(bitPattern: fd))
        _ = epoll_ctl(epfd, CInt(EPOLL_CTL_MOD), fd, &ev)
    }

    /// Stops watching `fd` and closes it.
    func forget(_ fd: CInt) {
        _ = epoll_ctl(epfd, CInt(EPOLL_CTL_DEL), fd, nil)
        byFd[Int(fd)] = nil
        Glibc.close(fd)
    }

    private func run() {
        thread.store(UInt(pthread_self()), ordering: .releasing)
        let capacity = 128
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            let n = epoll_wait(epfd, events, CInt(capacity), afterPoll.isEmpty ? -1 : 0)
            defer { runAfterPoll() }
            if n < 0 { continue }
            dispatching = holdsRepliesPerTurn
            defer {
                dispatching = false
                sendHeldReplies()
            }
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
                if mask & (EPOLLOUT.rawValue | EPOLLERR.rawValue) != 0 { conn.writable() }
                if mask & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                    // A hang-up is reported even while the socket is not read (level-triggered: it would repeat).
                    if conn.watchingReadState { conn.readable() } else if mask & EPOLLIN.rawValue == 0 { conn.close() }
                }
            }
        }
    }

    /// Registers a connection whose batch's replies wait for the end of the turn (`dispatching`).
    func holdsReplies(of conn: EpollConnection) {
        holding.append(conn)
    }

    /// Sends the replies held during the turn, in the order their batches ran (loop thread). Also called by a
    /// busy script's hook on this loop: replies of batches that ran before the script are not held while it runs
    /// past its threshold.
    func sendHeldReplies() {
        guard !holding.isEmpty else { return }
        swap(&holding, &holdingSent)
        for conn in holdingSent { conn.sendHeld() }
        // Not `removeAll(keepingCapacity:)`: its generic `replaceSubrange` costs more than the releases.
        while !holdingSent.isEmpty { holdingSent.removeLast() }
    }

    private func runAfterPoll() {
        guard !afterPoll.isEmpty else { return }
        swap(&afterPoll, &afterPollRunning)
        for t in afterPollRunning { t() }
        afterPollRunning.removeAll(keepingCapacity: true)
    }

    private func runTasks() {
        taskLock.lock()
        swap(&tasks, &running)
        taskLock.unlock()
        for t in running { t() }
        running.removeAll(keepingCapacity: true)
    }
}

extension EpollLoop {
    /// `ip:port` of either end of `fd` (Redis's format, `[v6]:port`) and whether the peer is on loopback.
    static func describe(_ fd: CInt, peer: Bool) -> (String, loopback: Bool) {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer ? getpeername(fd, $0, &len) : getsockname(fd, $0, &len) }
        }
        guard ok == 0 else { return ("", true) }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        if Int32(storage.ss_family) == AF_INET6 {
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a -> (String, loopback: Bool) in
                    var addr = a.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                    let ip = String(cString: text)
                    let port = UInt16(bigEndian: a.pointee.sin6_port)
                    return ("[\(ip)]:\(port)", ip == "::1" || ip.hasPrefix("::ffff:127."))
                }
            }
        }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a -> (String, loopback: Bool) in
                var addr = a.pointee.sin_addr
                inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                let ip = String(cString: text)
                return ("\(ip):\(UInt16(bigEndian: a.pointee.sin_port))", ip.hasPrefix("127."))
            }
        }
    }
}
