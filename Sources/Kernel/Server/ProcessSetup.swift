#if canImport(Glibc)
import Glibc
#endif
import CMallocInfo

/// What redis-server does to its own process at start and exit: daemonizing, the pid file, the ASCII logo,
/// the OOM score. Called from main before the server's threads exist (daemonize) or around start and shutdown.
public enum ProcessSetup {
    /// Allocator settings made before anything else runs (see `cmallocinfo_disable_fastbins`; issue 18's memory
    /// per small collection).
    public static func tuneAllocator() {
        cmallocinfo_disable_fastbins()
    }

    /// `daemonize yes`: forks, the parent exits 0, the child leads a new session with stdin/stdout/stderr on
    /// /dev/null (so a log without a `logfile` goes nowhere, as in Redis). Call before any thread is started.
    public static func daemonize() {
        let pid = fork()
        if pid < 0 {
            fputs("Can't fork: \(String(cString: strerror(errno)))\n", stderr)
            exit(1)
        }
        if pid > 0 { exit(0) }
        setsid()
        let fd = open("/dev/null", O_RDWR, 0)
        if fd >= 0 {
            dup2(fd, STDIN_FILENO)
            dup2(fd, STDOUT_FILENO)
            dup2(fd, STDERR_FILENO)
            if fd > STDERR_FILENO { close(fd) }
        }
    }

    /// Redis's default pid file when daemonized without a `pidfile`.
    public static let defaultPidFile = "/var/run/redis.pid"

    /// Writes this process's pid to `path` (Redis logs a warning and carries on when it cannot).
    public static func writePidFile(_ path: String, log: Logger) {
        guard let f = fopen(path, "w") else {
            log.warning("Failed to write PID file: \(String(cString: strerror(errno)))")
            return
        }
        fputs("\(getpid())\n", f)
        fclose(f)
    }

    /// The ASCII logo Redis prints at start with `always-show-logo yes` (or on a terminal).
    public static func logo(version: String, mode: String, port: Int, pid: Int32) -> String {
        let lines = [
            "                _._                                                  ",
            "           _.-``__ ''-._                                             ",
            "      _.-``    `.  `_.  ''-._           Redis \(version) (00000000/0) 64 bit",
            "  .-`` .-```.  ```\\/    _.,_ ''-._                                  ",
            " (    '      ,       .-`  | `,    )     Running in \(mode) mode",
            " |`-._`-...-` __...-.``-._|'` _.-'|     Port: \(port)",
            " |    `-._   `._    /     _.-'    |     PID: \(pid)",
            "  `-._    `-._  `-./  _.-'    _.-'                                   ",
            " |`-._`-._    `-.__.-'    _.-'_.-'|                                  ",
            " |    `-._`-._        _.-'_.-'    |           https://redis.io       ",
            "  `-._    `-._`-.__.-'_.-'    _.-'                                   ",
            " |`-._`-._    `-.__.-'    _.-'_.-'|                                  ",
            " |    `-._`-._        _.-'_.-'    |                                  ",
            "  `-._    `-._`-.__.-'_.-'    _.-'                                   ",
            "      `-._    `-.__.-'    _.-'                                       ",
            "          `-._        _.-'                                           ",
            "              `-.__.-'                                               ",
        ]
        return lines.joined(separator: "\n") + "\n\n"
    }

    /// Applies `oom-score-adj` for a master (index 0) or replica (1): writes /proc/self/oom_score_adj relative to
    /// the score the process started with (`yes`/`relative`) or as given (`absolute`), or restores the initial
    /// one (`no`). Returns an error text when the kernel refuses.
    @discardableResult
    public static func applyOOMScore(_ config: Config, replica: Bool) -> String? {
        if initialOOMScore == nil { initialOOMScore = readOOMScore() }
        guard let base = initialOOMScore else { return nil }
        let value: Int
        switch config.oomScoreAdj {
        case "no": value = base
        case "absolute": value = config.oomScoreAdjValues[replica ? 1 : 0]
        default: value = max(-1000, min(1000, base + config.oomScoreAdjValues[replica ? 1 : 0]))
        }
        guard let f = fopen("/proc/self/oom_score_adj", "w") else { return String(cString: strerror(errno)) }
        fputs("\(value)\n", f)
        let failed = fflush(f) != 0
        let reason = failed ? String(cString: strerror(errno)) : nil
        fclose(f)
        return reason
    }

    nonisolated(unsafe) static var initialOOMScore: Int?

    static func readOOMScore() -> Int? {
        guard let f = fopen("/proc/self/oom_score_adj", "r") else { return nil }
        defer { fclose(f) }
        var buf = [CChar](repeating: 0, count: 32)
        guard fgets(&buf, 32, f) != nil else { return nil }
        return Int(String(cString: buf).trimmingCharacters(in: " \n"))
    }
}
