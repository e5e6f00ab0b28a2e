#if canImport(Glibc)
import Glibc
#endif

/// The file-system operations the AOF needs, as small throwing wrappers over POSIX calls (errno in the message).
public enum AOFFiles {
    /// A failed file operation: what was attempted and the system's reason.
    public struct IOError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
        init(_ what: String) { message = "\(what): \(String(cString: strerror(errno)))" }
        init(message: String) { self.message = message }
    }

    /// `dir/name`, or `name` when `dir` is empty.
    public static func join(_ dir: String, _ name: String) -> String { dir.isEmpty ? name : dir + "/" + name }

    /// Whether a path exists.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Size in bytes, or 0 when the file is missing.
    public static func size(_ path: String) -> Int64 {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : 0
    }

    /// Creates a directory if it does not exist.
    public static func makeDirectory(_ path: String) throws(IOError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw IOError("Can't create the append-only directory \(path)") }
    }

    /// Reads a whole (small) file such as a manifest; refuses files larger than `limit`.
    public static func readSmall(_ path: String, limit: Int = 16 << 20) throws(IOError) -> [UInt8] {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw IOError("Can't open \(path)") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n < 0 { if errno == EINTR { continue }; throw IOError("Can't read \(path)") }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw IOError(message: "\(path) is larger than \(limit) bytes") }
        }
        return out
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        writeCounting(fd, bytes) == bytes.count
    }

    /// Writes `bytes` to `fd` until done or an error (errno set); returns how many bytes were written.
    public static func writeCounting(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return done
            }
            if n == 0 { errno = ENOSPC; return done }
            done += n
        }
        return done
    }

    /// Writes `bytes` to `path` through a temp file in the same directory: write, fsync, rename, fsync the
    /// directory, so a crash leaves either the old or the new file, never a torn one.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, tempPath: String) throws(IOError) {
        let fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw IOError("Can't open \(tempPath)") }
        let ok = bytes.withUnsafeBytes { bytes.isEmpty ? true : writeAll(fd, $0) }
        if !ok || fsync(fd) != 0 {
            let e = IOError("Can't write \(tempPath)")
            close(fd)
            unlink(tempPath)
            throw e
        }
        close(fd)
        if rename(tempPath, path) != 0 {
            let e = IOError("Can't rename \(tempPath) to \(path)")
            unlink(tempPath)
            throw e
        }
        fsyncDirectory(of: path)
    }

    /// fsyncs the directory holding `path`, making a rename durable.
    public static func fsyncDirectory(of path: String) {
        let dir: String
        if let slash = path.lastIndex(of: "/") { dir = slash == path.startIndex ? "/" : String(path[..<slash]) } else { dir = "." }
        let fd = open(dir, O_RDONLY)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }

    /// Opens a file for appending (created if missing).
    public static func openAppend(_ path: String) throws(IOError) -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        if fd < 0 { throw IOError("Can't open the append-only file \(path)") }
        return fd
    }
}
