import NIOCore

/// Incremental decoder of client requests: RESP multibulk (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) and inline
/// commands (`GET k\n`, as telnet sends them), with Redis's limits and protocol error texts.
///
/// It keeps its position between reads, so a large command arriving in many packets is scanned once.
public struct RequestParser {
    /// Why a request could not be decoded; the connection is closed after the reply.
    public enum Failure: Error, Equatable {
        case protocolError(String)
        /// The query buffer passed `client-query-buffer-limit`: closed without a reply, as Redis does.
        case queryBufferLimit
    }

    /// The error line for a failure, byte for byte: messages are ASCII except the raw client byte of
    /// "expected '$', got 'X'", carried as a Latin-1 scalar.
    public static func errorLine(_ message: String) -> [UInt8] {
        Array("ERR Protocol error: ".utf8) + message.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
    }

    public enum Result: Equatable {
        case command
        case needMoreData
    }

    /// Largest inline request, and largest `*`/`$` header line (Redis's PROTO_INLINE_MAX_SIZE).
    public static let inlineMaxSize = 64 * 1024

    public var maxBulkLength: Int = 512 * 1024 * 1024
    public var maxQueryBuffer: Int = 1024 * 1024 * 1024
    /// Unauthenticated clients get tighter limits, as in Redis.
    public var authenticated = true

    private var remainingArgs = 0
    private var inMultibulk = false
    /// Whether a multibulk command is partly decoded: its first arguments are in the vector, which must be kept.
    public var isInsideCommand: Bool { inMultibulk }

    public init() {}

    /// Decodes the next complete command from `buffer` into `argv` (cleared first), consuming its bytes.
    public mutating func parse(_ buffer: inout ByteBuffer, into argv: inout [RBytes]) throws(Failure) -> Result {
        while true {
            guard buffer.readableBytes > 0 else { return .needMoreData }
            if !inMultibulk {
                let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)!
                // The fast path overwrites the previous command's arguments in place; everything else starts from
                // an empty vector.
                if first == UInt8(ascii: "*") && parseWhole(&buffer, into: &argv) { return .command }
                if !argv.isEmpty { argv.removeAll(keepingCapacity: true) }
                if first == UInt8(ascii: "*") {
                    guard let line = try headerLine(&buffer, tooBig: "too big mbulk count string") else {
                        return .needMoreData
                    }
                    guard let n = line, n <= Int(Int32.max) else {
                        throw .protocolError("invalid multibulk length")
                    }
                    if !authenticated && n > 10 {
                        throw .protocolError("unauthenticated multibulk length")
                    }
                    if n <= 0 { continue }
                    remainingArgs = n
                    inMultibulk = true
                    argv.reserveCapacity(min(n, 1024))
                } else {
                    let r = try parseInline(&buffer, into: &argv)
                    if r == .command && argv.isEmpty { continue }
                    return r
                }
            }
            while remainingArgs > 0 {
                guard buffer.readableBytes > 0 else { return .needMoreData }
                let start = buffer.readerIndex
                let first = buffer.getInteger(at: start, as: UInt8.self)!
                if first != UInt8(ascii: "$") {
                    // Only complain once the header line is there, as Redis does.
                    // (the whole line: "\r\n").
                    guard let cr = buffer.withUnsafeReadableBytes({ Self.lineEnd($0, from: 0, UInt8(ascii: "\r")) }) else {
                        if buffer.readableBytes > Self.inlineMaxSize { throw .protocolError("too big bulk count string") }
                        return .needMoreData
                    }
                    if cr + 2 > buffer.readableBytes { return .needMoreData }
                    throw .protocolError("expected '$', got '\(Character(Unicode.Scalar(first)))'")
                }
                guard let line = try headerLine(&buffer, tooBig: "too big bulk count string") else {
                    return .needMoreData
                }
                guard let len = line, len >= 0, len <= maxBulkLength else {
                    throw .protocolError("invalid bulk length")
                }
                if !authenticated && len > 16384 {
                    throw .protocolError("unauthenticated bulk length")
                }
                guard buffer.readableBytes >= len + 2 else {
                    // Rewind to the header: it is re-read cheaply when the rest arrives.
                    buffer.moveReaderIndex(to: start)
                    if buffer.readableBytes > maxQueryBuffer { throw .queryBufferLimit }
                    return .needMoreData
                }
                let arg = buffer.withUnsafeReadableBytes { RBytes(UnsafeRawBufferPointer(rebasing: $0[0..<len])) }
                buffer.moveReaderIndex(forwardBy: len + 2)
                argv.append(arg)
                remainingArgs -= 1
            }
            inMultibulk = false
            return .command
        }
    }

    /// The common case in one pass over the bytes: a whole multibulk command already in the buffer, its count and
    /// lengths plain decimals (no sign, no leading zero) within the limits. Anything else — incomplete, malformed,
    /// over a limit, an empty multibulk — returns false having consumed nothing (`argv` then holds garbage the
    /// caller clears), and the general path below decodes it (and words its errors) as before.
    ///
    /// `argv` may still hold the previous command's arguments (an epoll-served connection releases them once per
    /// read batch): they are overwritten in place (`RBytes.assign`), so a long argument of the same length as the
    /// previous command's reuses its storage, and the vector is cut to this command's count.
    @inline(__always)
    private func parseWhole(_ buffer: inout ByteBuffer, into argv: inout [RBytes]) -> Bool {
        let maxBulk = authenticated ? maxBulkLength : Swift.min(maxBulkLength, 16384)
        let maxArgs = authenticated ? Int(Int32.max) : 10
        let consumed = buffer.withUnsafeReadableBytes { p -> Int in
            guard let (n, afterCount) = Self.decimalLine(p, from: 1), n > 0, n <= maxArgs else { return 0 }
            let previous = argv.count
            if previous == 0 { argv.reserveCapacity(Swift.min(n, 1024)) }
            var i = afterCount
            for k in 0..<n {
                guard i < p.count, p[i] == UInt8(ascii: "$"), let (len, body) = Self.decimalLine(p, from: i + 1),
                      len <= maxBulk, p.count - body >= len + 2 else {
                    return 0
                }
                let arg = UnsafeRawBufferPointer(rebasing: p[body..<(body + len)])
                if k < previous { argv[k].assign(arg) } else { argv.append(RBytes(arg)) }
                i = body + len + 2  // the two bytes after the argument are skipped unread, as Redis does
            }
            if previous > n { argv.removeLast(previous - n) }
            return i
        }
        guard consumed > 0 else { return false }
        buffer.moveReaderIndex(forwardBy: consumed)
        return true
    }

    /// A plain decimal (1–18 digits, no leading zero unless it is "0") at `from`, followed by CRLF: its value and
    /// the index after the LF; nil for anything else.
    @inline(__always)
    static func decimalLine(_ p: UnsafeRawBufferPointer, from: Int) -> (Int, Int)? {
        var i = from
        var v = 0
        let n = p.count
        while i < n {
            let d = p[i] &- UInt8(ascii: "0")
            if d > 9 { break }
            v = v &* 10 &+ Int(d)
            i += 1
        }
        let digits = i - from
        guard digits > 0 && digits <= 18, digits == 1 || p[from] != UInt8(ascii: "0"),
              n - i >= 2, p[i] == 13, p[i + 1] == 10 else { return nil }
        return (v, i + 2)
    }

    /// The index of the first `terminator` at or after `from`, or nil if there is none before a NUL byte or the
    /// end: Redis finds line ends with `strchr` on its query buffer, which stops at NUL, so a header or inline
    /// line with a NUL byte before its end waits for more data (until the 64 KiB "too big" limit).
    static func lineEnd(_ p: UnsafeRawBufferPointer, from: Int, _ terminator: UInt8) -> Int? {
        var i = from
        let n = p.count
        while i < n {
            let c = p[i]
            if c == terminator { return i }
            if c == 0 { return nil }
            i += 1
        }
        return nil
    }

    /// Reads a `*N\r\n` or `$N\r\n` line. Returns nil if incomplete, `.some(nil)` if the number is invalid.
    private func headerLine(_ buffer: inout ByteBuffer, tooBig: String) throws(Failure) -> Int?? {
        let found: (Int, Int64?)? = buffer.withUnsafeReadableBytes { p in
            guard let i = Self.lineEnd(p, from: 1, UInt8(ascii: "\r")) else { return nil }
            return (i, Numbers.parseInt64(UnsafeRawBufferPointer(rebasing: p[1..<i])))
        }
        guard let (cr, value) = found else {
            if buffer.readableBytes > Self.inlineMaxSize { throw .protocolError(tooBig) }
            return nil
        }
        // Need the "\n" after "\r" too.
        guard buffer.readableBytes >= cr + 2 else { return nil }
        buffer.moveReaderIndex(forwardBy: cr + 2)
        guard let v = value else { return .some(nil) }
        return .some(Int(v))
    }

    private func parseInline(_ buffer: inout ByteBuffer, into argv: inout [RBytes]) throws(Failure) -> Result {
        guard let lineLen = buffer.withUnsafeReadableBytes({ Self.lineEnd($0, from: 0, UInt8(ascii: "\n")) }) else {
            if buffer.readableBytes > Self.inlineMaxSize { throw .protocolError("too big inline request") }
            return .needMoreData
        }
        // No length check once the newline is there: Redis refuses only a buffer of more than 64 KiB without one.
        let parsed: [RBytes]? = buffer.withUnsafeReadableBytes { p in
            var end = lineLen
            if end > 0 && p[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: p[0..<end])
            // The common line (`PING`, `SET k v`) has no quotes: its words go straight into argv.
            if InlineSplitter.splitUnquoted(line, into: &argv) { return [] }
            return InlineSplitter.split(line)
        }
        buffer.moveReaderIndex(forwardBy: lineLen + 1)
        guard let args = parsed else { throw .protocolError("unbalanced quotes in request") }
        if !args.isEmpty { argv.append(contentsOf: args) }
        return .command
    }
}

/// Splits an inline command line into arguments like Redis's `sdssplitargs`: spaces separate, `"..."` with
/// `\n \r \t \b \a \\ \" \xHH` escapes, `'...'` with `\'`. Returns nil on unbalanced quotes.
public enum InlineSplitter {
    /// The words of a line without quote characters, appended to `argv` with no intermediate arrays; false (and
    /// `argv` untouched) if the line has a quote, which `split` handles. The same words as `split`: a word starts
    /// after any run of space, \t, \n, \r, \v or \f and ends at space, \t, \n or \r (the line holds no NUL).
    public static func splitUnquoted(_ p: UnsafeRawBufferPointer, into argv: inout [RBytes]) -> Bool {
        let n = p.count
        for c in p where c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { return false }
        var i = 0
        while true {
            while i < n, case let c = p[i], c == 32 || (c >= 9 && c <= 13) { i += 1 }
            if i >= n { return true }
            let start = i
            while i < n, case let c = p[i], c != 32 && c != 9 && c != 10 && c != 13 { i += 1 }
            argv.append(RBytes(UnsafeRawBufferPointer(rebasing: p[start..<i])))
        }
    }

    public static func split(_ p: UnsafeRawBufferPointer) -> [RBytes]? {
        var out: [RBytes] = []
        var i = 0
        let n = p.count
        func isSpace(_ c: UInt8) -> Bool { c == 32 || c == 10 || c == 13 || c == 9 || c == 11 || c == 12 }
        func hexValue(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        while true {
            while i < n && isSpace(p[i]) { i += 1 }
            if i >= n { return out }
            var current: [UInt8] = []
            var inDouble = false, inSingle = false
            var done = false
            while !done {
                if inDouble {
                    if i >= n { return nil }
                    let c = p[i]
                    if c == UInt8(ascii: "\\") && i + 3 < n && p[i + 1] == UInt8(ascii: "x"),
                       let h = hexValue(p[i + 2]), let l = hexValue(p[i + 3]) {
                        current.append(h * 16 + l)
                        i += 3
                    } else if c == UInt8(ascii: "\\") && i + 1 < n {
                        i += 1
                        switch p[i] {
                        case UInt8(ascii: "n"): current.append(10)
                        case UInt8(ascii: "r"): current.append(13)
                        case UInt8(ascii: "t"): current.append(9)
                        case UInt8(ascii: "b"): current.append(8)
                        case UInt8(ascii: "a"): current.append(7)
                        default: current.append(p[i])
                        }
                    } else if c == UInt8(ascii: "\"") {
                        // A closing quote must be followed by a space or the end.
                        if i + 1 < n && !isSpace(p[i + 1]) { return nil }
                        done = true
                    } else {
                        current.append(c)
                    }
                } else if inSingle {
                    if i >= n { return nil }
                    let c = p[i]
                    if c == UInt8(ascii: "\\") && i + 1 < n && p[i + 1] == UInt8(ascii: "'") {
                        i += 1
                        current.append(UInt8(ascii: "'"))
                    } else if c == UInt8(ascii: "'") {
                        if i + 1 < n && !isSpace(p[i + 1]) { return nil }
                        done = true
                    } else {
                        current.append(c)
                    }
                } else {
                    if i >= n { done = true; break }
                    let c = p[i]
                    switch c {
                    case 32, 10, 13, 9, 0:
                        done = true
                    case UInt8(ascii: "\""):
                        inDouble = true
                    case UInt8(ascii: "'"):
                        inSingle = true
                    default:
                        current.append(c)
                    }
                }
                if i < n { i += 1 }
            }
            out.append(RBytes(current))
        }
    }
}
