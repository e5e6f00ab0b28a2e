import Kernel
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A disk-based full sync's transfer to one replica (Redis's sendBulkToSlave): `$<size>\r\n` and then the RDB
/// file in chunks read from an open descriptor, each handed over only while the replica's unsent output is small,
/// so a large file never sits whole in memory and a slow replica sets the pace. The file is opened once, so a
/// later save that replaces it does not change what this replica receives. Runs with the data lock held.
final class ReplicaFileSender {
    /// Bytes read and handed to the replica per step.
    static let chunkBytes = 1 << 20
    /// The next chunk waits while this much output is still unsent.
    static let maxQueuedBytes = 4 << 20

    private let link: ReplicaLink
    private let fd: Int32
    private let size: Int
    private var offset = 0
    private let loop: EventLoop
    private unowned(unsafe) let server: Server
    /// Whether the replica is still attached (one that left ends the transfer).
    private let attached: (ReplicaLink) -> Bool
    /// Called once, with the lock held: true when the whole file was handed over.
    private let done: (ReplicaLink, Bool) -> Void
    private var buffer: [UInt8]

    /// Opens `path` for `link`; nil when it cannot be opened (`why` is logged by the caller).
    init?(path: String, link: ReplicaLink, loop: EventLoop, server: Server, attached: @escaping (ReplicaLink) -> Bool,
          done: @escaping (ReplicaLink, Bool) -> Void) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            close(fd)
            return nil
        }
        size = Int(st.st_size)
        self.link = link
        self.loop = loop
        self.server = server
        self.attached = attached
        self.done = done
        buffer = [UInt8](repeating: 0, count: Self.chunkBytes)
    }

    /// Sends the header and the first chunk; the rest follows on the loop.
    func start() {
        link.client.deliverRaw(Array("$\(size)\r\n".utf8), enforceLimit: false)
        step()
    }

    /// One chunk, or a later retry while the replica's output is backed up. Call with the lock held.
    private func step() {
        guard attached(link) else { return finish(false) }
        if link.client.pendingOutputBytes > Self.maxQueuedBytes { return again(afterMs: 5) }
        if offset >= size { return finish(true) }
        let want = min(Self.chunkBytes, size - offset)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, want, off_t(offset)) }
        if n < 0 && errno == EINTR { return again(afterMs: 0) }
        guard n > 0 else { return finish(false) }
        link.client.deliverRaw(Array(buffer[0..<n]), enforceLimit: false)
        offset += n
        again(afterMs: 0)
    }

    private func again(afterMs ms: Int64) {
        let next = { [self] in server.withDataWhenNoScript(on: loop) { [self] in step() } }
        if ms == 0 { loop.execute(next) } else { loop.scheduleTask(in: .milliseconds(ms), next) }
    }

    private func finish(_ ok: Bool) {
        close(fd)
        done(link, ok)
    }
}
