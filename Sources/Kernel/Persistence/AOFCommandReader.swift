/// Decodes the commands of an AOF file: RESP multibulk arrays (`*N\r\n$len\r\narg\r\n...`) and the `#...\r\n`
/// annotation lines Redis 7.0 writes (`#TS:<unix seconds>` with `aof-timestamp-enabled`), which are skipped.
///
/// It works on a window of bytes and never reads past it: a command cut short by the end of the window is
/// `.incomplete` (the caller reads more, or at the end of the file treats it as a truncated tail).
public enum AOFCommandReader {
    /// What starts at a given offset.
    public enum Step: Equatable {
        /// A whole command and the offset just after it.
        case command([RBytes], end: Int)
        /// An annotation line (skipped) and the offset just after it.
        case annotation(end: Int)
        /// The window ends inside a command.
        case incomplete
    }

    /// Bytes that are not an AOF command, with the offset (within the window) where reading failed.
    public struct FormatError: Error, Equatable {
        public let message: String
        public let offset: Int
    }

    /// Largest argument accepted (Redis's `proto-max-bulk-len` ceiling).
    public static let maxBulkLength = 512 * 1024 * 1024
    /// Largest argument count accepted.
    public static let maxArgc = 1 << 30

    /// Decodes what starts at `start` in `bytes`.
    public static func next(_ bytes: [UInt8], from start: Int) throws(FormatError) -> Step {
        guard start < bytes.count else { return .incomplete }
        if bytes[start] == 0x23 {  // '#'
            guard let nl = findNewline(bytes, from: start) else { return .incomplete }
            return .annotation(end: nl + 1)
        }
        guard bytes[start] == 0x2A else {  // '*'
            throw FormatError(message: "Bad file format reading the append only file", offset: start)
        }
        guard let (argc, afterArgc) = try readNumber(bytes, from: start + 1) else { return .incomplete }
        guard argc >= 1 && argc <= maxArgc else {
            throw FormatError(message: "Bad file format reading the append only file", offset: start)
        }
        var argv: [RBytes] = []
        argv.reserveCapacity(min(argc, 1024))
        var pos = afterArgc
        for _ in 0..<argc {
            guard pos < bytes.count else { return .incomplete }
            guard bytes[pos] == 0x24 else {  // '$'
                throw FormatError(message: "Bad file format reading the append only file", offset: pos)
            }
            guard let (len, afterLen) = try readNumber(bytes, from: pos + 1) else { return .incomplete }
            guard len >= 0 && len <= maxBulkLength else {
                throw FormatError(message: "Bad file format reading the append only file", offset: pos)
            }
            guard afterLen + len + 2 <= bytes.count else { return .incomplete }
            guard bytes[afterLen + len] == 0x0D && bytes[afterLen + len + 1] == 0x0A else {
                throw FormatError(message: "Bad file format reading the append only file", offset: afterLen + len)
            }
            argv.append(bytes.withUnsafeBytes { RBytes(UnsafeRawBufferPointer(rebasing: $0[afterLen..<(afterLen + len)])) })
            pos = afterLen + len + 2
        }
        return .command(argv, end: pos)
    }

    /// Reads a decimal number ended by `\r\n`; nil when the window ends first.
    static func readNumber(_ bytes: [UInt8], from start: Int) throws(FormatError) -> (Int, Int)? {
        var i = start
        var negative = false
        if i < bytes.count && bytes[i] == 0x2D { negative = true; i += 1 }
        var n = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            digits += 1
            if digits > 18 { throw FormatError(message: "Bad file format reading the append only file", offset: start) }
            n = n * 10 + Int(bytes[i] - 0x30)
            i += 1
        }
        if i >= bytes.count { return nil }
        guard digits > 0, bytes[i] == 0x0D else { throw FormatError(message: "Bad file format reading the append only file", offset: i) }
        if i + 1 >= bytes.count { return nil }
        guard bytes[i + 1] == 0x0A else { throw FormatError(message: "Bad file format reading the append only file", offset: i + 1) }
        return (negative ? -n : n, i + 2)
    }

    static func findNewline(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            if bytes[i] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    /// Encodes one command as RESP, the form the AOF stores.
    public static func encode(_ argv: [RBytes], into out: inout [UInt8]) {
        appendHeader(0x2A, argv.count, &out)
        for a in argv {
            appendHeader(0x24, a.count, &out)
            a.withUnsafeBytes { out.append(contentsOf: $0) }
            out.append(0x0D)
            out.append(0x0A)
        }
    }

    static func appendHeader(_ prefix: UInt8, _ n: Int, _ out: inout [UInt8]) {
        out.append(prefix)
        if n == 0 {
            out.append(0x30)
        } else {
            var v = n
            var tmp: [UInt8] = []
            tmp.reserveCapacity(20)
            while v > 0 { tmp.append(UInt8(v % 10) + 0x30); v /= 10 }
            out.append(contentsOf: tmp.reversed())
        }
        out.append(0x0D)
        out.append(0x0A)
    }
}
