import Atomics
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
    /// Whether lines also go to syslog (`syslog-enabled yes`; `enableSyslog` opens it).
    private var syslogOn = false
    /// The level below which messages are dropped (-1: everything is), read by every thread that logs and changed
    /// by CONFIG SET loglevel: an atomic (a plain property was a data race under ThreadSanitizer).
    private let minimumLevel: ManagedAtomic<Int>

    /// Messages below this level are dropped; nil silences everything.
    public var minimum: Level? {
        get { Level(rawValue: minimumLevel.load(ordering: .relaxed)) }
        set { minimumLevel.store(newValue?.rawValue ?? -1, ordering: .relaxed) }
    }
    /// `M` for a master, `S` for a replica, `X` for a sentinel, `C` for a child.
    public var role: Character = "M"

    /// Logs to stdout when `path` is empty.
    public init(path: String = "", minimum: Level? = .notice) {
        minimumLevel = ManagedAtomic(minimum?.rawValue ?? -1)
        if !path.isEmpty { file = fopen(path, "a") }
    }

    /// Whether the log file given at init could be opened (false: lines go to stdout).
    public var fileOpened: Bool { file != nil }

    /// Sends every line also to syslog as `ident[pid]` with `facility` (`user`, `local0`...`local7`), as Redis's
    /// `syslog-enabled`.
    public func enableSyslog(ident: String, facility: String) {
        let codes: [String: Int32] = ["user": LOG_USER, "local0": LOG_LOCAL0, "local1": LOG_LOCAL1, "local2": LOG_LOCAL2,
                                      "local3": LOG_LOCAL3, "local4": LOG_LOCAL4, "local5": LOG_LOCAL5,
                                      "local6": LOG_LOCAL6, "local7": LOG_LOCAL7]
        // openlog keeps the pointer: the ident string must outlive the process's logging.
        let kept = strdup(ident)
        openlog(kept, LOG_PID | LOG_NDELAY | LOG_NOWAIT, codes[facility] ?? LOG_LOCAL0)
        lock.withLock { syslogOn = true }
    }

    /// Changes the level at run time (CONFIG SET loglevel).
    public func setLevel(name: String) {
        minimum = Level(name: name)
    }

    /// Writes `text` as is, without the pid/time prefix (Redis's LL_RAW: the ASCII logo), at notice level.
    public func raw(_ text: String) {
        guard let min = minimum, Level.notice >= min else { return }
        lock.withLock {
            let out = file ?? stdout
            fputs(text, out)
            fflush(out)
        }
    }

    public func log(_ level: Level, _ message: @autoclosure () -> String) {
        guard let min = minimum, level >= min else { return }
        let text = message()
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = time_t(tv.tv_sec)
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        strftime(&buf, 64, "%d %b %Y %H:%M:%S", &tmv)
        let stamp = String(cString: buf) + String(format3: Int(tv.tv_usec) / 1000)
        let line = "\(getpid()):\(role) \(stamp) \(level.mark) \(text)\n"
        lock.withLock {
            let out = file ?? stdout
            fputs(line, out)
            fflush(out)
            if syslogOn { Logger.syslogLine(level, text) }
        }
    }

    private static func syslogLine(_ level: Level, _ message: String) {
        let priority: Int32
        switch level {
        case .debug: priority = LOG_DEBUG
        case .verbose: priority = LOG_INFO
        case .notice: priority = LOG_NOTICE
        case .warning: priority = LOG_WARNING
        }
        message.withCString { text in
            withVaList([text]) { vsyslog(priority, "%s", $0) }
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
