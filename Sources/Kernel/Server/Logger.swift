import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Redis-style log lines: `pid:M 25 Nov 2026 06:54:36.123 * Ready to accept connections`.
public final class Logger: @unchecked Sendable {
    public enum Level: Int, Comparable {
        case debug = 0, verbose, notice, warning

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        var mark: Character {
            switch self {
            case .debug: return "."
            case .verbose: return "-"
            case .notice: return "*"
            case .warning: return "#"
            }
        }

        public init?(name: String) {
            switch name {
            case "debug": self = .debug
            case "verbose": self = .verbose
            case "notice": self = .notice
            case "warning": self = .warning
            case "nothing": return nil
            default: self = .notice
            }
        }
    }

    private let lock = NIOLock()
    private var file: UnsafeMutablePointer<FILE>?
    /// Messages below this level are dropped; nil silences everything.
    public var minimum: Level?
    /// `M` for a master, `S` for a replica, `X` for a sentinel, `C` for a child.
    public var role: Character = "M"

    /// Logs to stdout when `path` is empty.
    public init(path: String = "", minimum: Level? = .notice) {
        self.minimum = minimum
        if !path.isEmpty { file = fopen(path, "a") }
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String) {
        guard let min = minimum, level >= min else { return }
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = time_t(tv.tv_sec)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        strftime(&buf, 64, "%d %b %Y %H:%M:%S", &tmv)
        let stamp = String(cString: buf) + String(format3: Int(tv.tv_usec) / 1000)
        let line = "\(getpid()):\(role) \(stamp) \(level.mark) \(message())\n"
        lock.withLock {
            let out = file ?? stdout
            fputs(line, out)
            fflush(out)
        }
    }

    public func notice(_ m: @autoclosure () -> String) { log(.notice, m()) }
    public func warning(_ m: @autoclosure () -> String) { log(.warning, m()) }
    public func verbose(_ m: @autoclosure () -> String) { log(.verbose, m()) }
}

extension String {
    /// `.mmm` millisecond suffix.
    init(format3 ms: Int) {
        let digits = String(ms)
        self = "." + String(repeating: "0", count: Swift.max(0, 3 - digits.count)) + digits
    }
}
