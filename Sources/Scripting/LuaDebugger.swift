import CLuaBridge
import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// A client's `SCRIPT DEBUG` setting.
enum DebugMode {
    /// `SCRIPT DEBUG SYNC`: its next EVAL runs under the debugger, blocking the server, changes kept.
    case sync
    /// `SCRIPT DEBUG YES`: Redis forks a child for the session (changes rolled back); we cannot fork the dataset,
    /// so the client's EVALs are refused until `SCRIPT DEBUG NO` rather than run with their changes kept.
    case forkRefused
}

/// One debugging session (Redis's LDB, `redis-cli --ldb-sync-mode`): the script's source lines, breakpoints,
/// stepping state and the log lines not yet sent.
///
/// The session runs on the caller's I/O loop while the script holds the data lock: the debugger talks to the
/// client over its socket directly (the loop cannot read it meanwhile), one multi-bulk of `+<...>` log lines per
/// stop, and reads the client's commands (RESP arrays) from the socket until one resumes the script. Nothing
/// else is served meanwhile (as Redis, whose synchronous session blocks the whole server).
final class LuaDebugger {
    static let defaultMaxLen = 256
    static let maxBreakpoints = 64
    /// Nesting at which a value dump stops (Redis's LDB_MAX_VALUES_DEPTH: LUA_MINSTACK - 2).
    static let maxValueDepth = 18
    /// Most bytes of unparsed client input kept (Redis: 1 MB, then the script fails).
    static let maxInput = 1 << 20

    let fd: CInt
    /// The script's source lines (trailing newlines of the body removed first).
    let lines: [[UInt8]]
    var step = true
    /// Set by redis.breakpoint(): stop at the next line.
    var luaBreakpoint = false
    var breakpoints: [Int] = []
    var maxlen = LuaDebugger.defaultMaxLen
    var maxlenHintSent = false
    var logs: [[UInt8]] = []
    var currentLine = -1
    /// Client input not yet parsed.
    var input: [UInt8] = []
    /// When the script last resumed (the count hook stops a script that runs past the busy threshold).
    var resumedNs: Int64

    init(fd: CInt, body: RBytes) {
        self.fd = fd
        var src = body.array
        while let last = src.last, last == 10 || last == 13 { src.removeLast() }
        lines = src.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
        resumedNs = Clock.monotonicNanoseconds()
    }

    // MARK: - Log lines

    /// Most log lines kept between two stops (a script calling redis.debug in an endless loop under `continue`
    /// would otherwise grow them without bound); later ones are dropped.
    static let maxLogLines = 100_000

    func log(_ line: String) { log(Array(line.utf8)) }
    func log(_ line: [UInt8]) {
        if logs.count < LuaDebugger.maxLogLines { logs.append(line) }
    }

    /// A log line trimmed to `maxlen` (a hint follows the first trimmed one).
    func logWithMaxLen(_ line: [UInt8]) {
        var entry = line
        var trimmed = false
        if maxlen > 0 && entry.count > maxlen {
            entry.removeLast(entry.count - maxlen)
            entry += Array(" ...".utf8)
            trimmed = true
        }
        log(entry)
        if trimmed && !maxlenHintSent {
            maxlenHintSent = true
            log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.")
        }
    }

    func sourceLine(_ n: Int) -> [UInt8] {
        guard n >= 1 && n <= lines.count else { return Array("<out of range source code line>".utf8) }
        return lines[n - 1]
    }

    /// `-> 3   code`, `  #3   code` (breakpoint), `->#3   code`, `   3   code`.
    func logSourceLine(_ n: Int) {
        let current = n == currentLine
        let bp = breakpoints.contains(n)
        let prefix = current && bp ? "->#" : current ? "-> " : bp ? "  #" : "   "
        var number = String(n)
        if number.count < 3 { number += String(repeating: " ", count: 3 - number.count) }
        log(Array((prefix + number + " ").utf8) + sourceLine(n))
    }

    func list(around: Int, context: Int) {
        guard !lines.isEmpty else { return }
        for j in 1...lines.count where around == 0 || abs(around - j) <= context { logSourceLine(j) }
    }

    /// Sends the pending log lines as one multi-bulk of status lines (CR and LF become spaces).
    func sendLogs() {
        var out = Array("*\(logs.count)\r\n".utf8)
        for l in logs {
            out.append(UInt8(ascii: "+"))
            out.append(contentsOf: l.map { $0 == 13 || $0 == 10 ? UInt8(ascii: " ") : $0 })
            out.append(contentsOf: [13, 10])
        }
        logs.removeAll()
        write(out)
    }

    /// Writes to the socket, waiting up to 5 s for room each time it is full (Redis's send timeout); a broken
    /// connection is noticed by the next read.
    func write(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { p in send(fd, p.baseAddress! + off, bytes.count - off, CInt(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if n > 0 {
                off += n
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                if poll(&pfd, 1, 5000) > 0 { continue }
            }
            return
        }
    }

    // MARK: - Client input

    /// The outcome of reading one debugger command.
    enum Read {
        case command([[UInt8]])
        case disconnected
        case failure(String)
    }

    /// Reads one command (a RESP array of bulk strings, parsed as forgivingly as Redis's ldbReplParseCommand).
    func readCommand() -> Read {
        while true {
            switch parseCommand() {
            case .some(.success(let argv)): return .command(argv)
            case .some(.failure): return .failure("protocol error")
            case .none: break
            }
            var buf = [UInt8](repeating: 0, count: 1024)
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pfd, 1, -1)
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 1024, CInt(MSG_DONTWAIT)) }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { continue }
            if n <= 0 { return .disconnected }
            input.append(contentsOf: buf[0..<n])
            if input.count > LuaDebugger.maxInput {
                input.removeAll()
                return .failure("max client buffer reached")
            }
        }
    }

    private struct ProtocolError: Error {}

    /// nil: more input needed.
    private func parseCommand() -> Result<[[UInt8]], ProtocolError>? {
        guard !input.isEmpty else { return nil }
        let b = input
        guard var p = b.firstIndex(of: UInt8(ascii: "*")) else { return .failure(ProtocolError()) }
        func lineEnd(_ from: Int) -> Int? {
            var i = from
            while i + 1 < b.count {
                if b[i] == 13 && b[i + 1] == 10 { return i }
                i += 1
            }
            return nil
        }
        func atoi(_ r: Range<Int>) -> Int {
            var i = r.lowerBound
            var neg = false
            if i < r.upperBound && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) {
                neg = b[i] == UInt8(ascii: "-")
                i += 1
            }
            var v = 0
            while i < r.upperBound, b[i] >= 48, b[i] <= 57, v < 1 << 40 {
                v = v * 10 + Int(b[i] - 48)
                i += 1
            }
            return neg ? -v : v
        }
        guard let e = lineEnd(p) else { return nil }
        let argc = atoi((p + 1)..<e)
        guard argc > 0 && argc <= 1024 else { return .failure(ProtocolError()) }
        p = e + 2
        var argv: [[UInt8]] = []
        while argv.count < argc {
            if p >= b.count { return nil }
            guard b[p] == UInt8(ascii: "$") else { return .failure(ProtocolError()) }
            guard let le = lineEnd(p) else { return nil }
            let len = atoi((p + 1)..<le)
            guard len > 0 && len <= 1024 else { return .failure(ProtocolError()) }
            p = le + 2
            if p + len + 2 > b.count { return nil }
            argv.append(Array(b[p..<(p + len)]))
            p += len
            guard b[p] == 13 && b[p + 1] == 10 else { return .failure(ProtocolError()) }
            p += 2
        }
        input.removeAll()
        return .success(argv)
    }
}
