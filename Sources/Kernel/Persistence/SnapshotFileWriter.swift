import Atomics
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Writes an RDB image to a file off the data owner's thread: chunks are queued by the owner, written by a
/// serial queue that also computes the CRC64 trailer; `finish` appends the checksum, fsyncs, closes and renames
/// the temporary file over the target, so a torn write never replaces the last good file (as Redis does).
public final class SnapshotFileWriter {
    let queue = DispatchQueue(label: "redis-swift.snapshot-writer")
    let fd: Int32
    let tempPath: String
    let finalPath: String
    let checksum: Bool
    var crc: UInt64 = 0
    /// Bytes queued and not yet written.
    let queued = ManagedAtomic<Int>(0)
    let failedFlag = ManagedAtomic<Bool>(false)
    /// The first error, for the log.
    public private(set) var errorMessage = ""
    /// Bytes written so far (on completion: the file size).
    public private(set) var bytesWritten = 0

    /// Opens `tempPath` for writing; throws a message when it cannot.
    public init(tempPath: String, finalPath: String, checksum: Bool) throws(SnapshotWriteError) {
        let fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SnapshotWriteError(message: "Failed opening the temp RDB file \(tempPath) (in server root dir \(SnapshotFileWriter.currentDirectory())) for saving: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.tempPath = tempPath
        self.finalPath = finalPath
        self.checksum = checksum
    }

    /// Whether a write failed (the owner stops encoding).
    public var failed: Bool { failedFlag.load(ordering: .relaxed) }
    /// Bytes handed over and not yet written.
    public var queuedBytes: Int { queued.load(ordering: .relaxed) }

    /// Queues a chunk.
    public func write(_ chunk: [UInt8]) {
        queued.wrappingIncrement(by: chunk.count, ordering: .relaxed)
        queue.async { [self] in
            defer { queued.wrappingDecrement(by: chunk.count, ordering: .relaxed) }
            if failed { return }
            chunk.withUnsafeBytes { raw in
                if checksum { crc = CRC64.update(crc, raw) }
                writeAll(raw)
            }
        }
    }

    /// Appends the checksum, fsyncs, closes and renames; `done(ok)` runs on the writer's queue.
    public func finish(_ done: @escaping (Bool) -> Void) {
        queue.async { [self] in
            if !failed {
                var trailer = crc.littleEndian
                withUnsafeBytes(of: &trailer) { writeAll($0) }
            }
            if !failed && fsync(fd) != 0 { fail("fsync: \(String(cString: strerror(errno)))") }
            close(fd)
            if !failed && rename(tempPath, finalPath) != 0 { fail("rename: \(String(cString: strerror(errno)))") }
            if failed { unlink(tempPath) }
            done(!failed)
        }
    }

    /// Gives up: removes the temporary file now (as Redis's rdbRemoveTempFile, so the next snapshot may reuse
    /// the name at once without a late unlink deleting its file) and closes it once queued writes are done.
    public func abandon() {
        failedFlag.store(true, ordering: .relaxed)
        unlink(tempPath)
        queue.async { [self] in close(fd) }
    }

    private func writeAll(_ raw: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                fail("Write error saving DB on disk: \(String(cString: strerror(errno)))")
                return
            }
            offset += n
        }
        bytesWritten += raw.count
    }

    private func fail(_ message: String) {
        if errorMessage.isEmpty { errorMessage = message }
        failedFlag.store(true, ordering: .relaxed)
    }

    static func currentDirectory() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        return getcwd(&buf, buf.count) != nil ? String(cString: buf) : "?"
    }
}

/// Why a snapshot file could not be created.
public struct SnapshotWriteError: Error {
    public let message: String
}
