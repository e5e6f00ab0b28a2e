#if canImport(Glibc)
import Glibc
#endif

/// `repl-diskless-load disabled` (and `on-empty-db` with data present): like Redis, the image received from the
/// master is stored as the RDB file (a temporary file renamed over it) before it is loaded.
enum ReplicationImageFile {
    /// Writes `image` to `path` through `path.tmp-<pid>` and a rename; the error text on failure.
    static func save(_ image: [UInt8], to path: String) -> String? {
        let temp = "\(path).tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "Opening the temp file needed for MASTER <-> REPLICA synchronization: \(String(cString: strerror(errno)))" }
        var written = 0
        let ok = image.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return fsync(fd) == 0
        }
        let error = ok ? nil : String(cString: strerror(errno))
        close(fd)
        if let error {
            unlink(temp)
            return "Write error writing the RDB received from the master: \(error)"
        }
        guard rename(temp, path) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(temp)
            return "Failed trying to rename the temp DB into \(path) in MASTER <-> REPLICA synchronization: \(e)"
        }
        return nil
    }
}
