/// A stream entry ID (`<ms>-<seq>`, two unsigned 64-bit halves), ordered as Redis compares them.
public struct StreamID: Comparable, Hashable, Sendable {
    public var ms: UInt64
    public var seq: UInt64

    @inlinable
    public init(ms: UInt64, seq: UInt64) {
        self.ms = ms
        self.seq = seq
    }

    public static let zero = StreamID(ms: 0, seq: 0)
    public static let max = StreamID(ms: .max, seq: .max)

    @inlinable
    public static func < (a: StreamID, b: StreamID) -> Bool {
        a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq
    }

    public var isZero: Bool { ms == 0 && seq == 0 }

    /// The next ID (Redis's `streamIncrID`), nil past the last possible one.
    public var incremented: StreamID? {
        if seq == .max {
            if ms == .max { return nil }
            return StreamID(ms: ms + 1, seq: 0)
        }
        return StreamID(ms: ms, seq: seq + 1)
    }

    /// The previous ID (Redis's `streamDecrID`), nil before 0-0.
    public var decremented: StreamID? {
        if seq == 0 {
            if ms == 0 { return nil }
            return StreamID(ms: ms - 1, seq: .max)
        }
        return StreamID(ms: ms, seq: seq - 1)
    }

    /// `<ms>-<seq>` as bytes (built on the stack; IDs longer than 16 bytes take a heap allocation in RBytes).
    public var bytes: RBytes {
        withText { RBytes($0) }
    }

    /// Calls `body` with `<ms>-<seq>` written in a stack buffer (valid only inside `body`): no allocation.
    @inlinable
    public func withText<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 41) { buf in
            var n = Self.writeDecimal(ms, into: buf, at: 0)
            buf[n] = UInt8(ascii: "-")
            n = Self.writeDecimal(seq, into: buf, at: n + 1)
            return body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buf)[0..<n]))
        }
    }

    /// `<ms>-<seq>` as a String.
    public var text: String { "\(ms)-\(seq)" }

    /// Writes `v` in decimal at `start`; returns the offset after the last digit.
    @inline(__always) @usableFromInline
    static func writeDecimal(_ v: UInt64, into buf: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var digits = 1
        var x = v
        while x >= 10 { x /= 10; digits += 1 }
        var p = start + digits - 1
        x = v
        repeat {
            buf[p] = UInt8(ascii: "0") + UInt8(x % 10)
            x /= 10
            p -= 1
        } while x > 0
        return start + digits
    }

    /// The 16-byte big-endian form Redis keys its radix tree with.
    public var keyBytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for k in 0..<8 {
            out[k] = UInt8(truncatingIfNeeded: ms >> (56 - 8 * k))
            out[8 + k] = UInt8(truncatingIfNeeded: seq >> (56 - 8 * k))
        }
        return out
    }

    /// Decodes the 16-byte big-endian form.
    public init?(keyBytes b: [UInt8]) {
        guard b.count == 16 else { return nil }
        var ms: UInt64 = 0, seq: UInt64 = 0
        for k in 0..<8 {
            ms = ms << 8 | UInt64(b[k])
            seq = seq << 8 | UInt64(b[8 + k])
        }
        self.init(ms: ms, seq: seq)
    }

    /// Redis's `string2ull`: a canonical signed integer that is not negative, else `strtoull` rules (leading
    /// spaces, an optional sign — a minus wraps — at least one digit, nothing after, no overflow).
    public static func parseUnsigned(_ p: ArraySlice<UInt8>) -> UInt64? {
        if let v = Numbers.parseInt64(RBytes(bytes: p)) { return v < 0 ? nil : UInt64(v) }
        var i = p.startIndex
        while i < p.endIndex, [9, 10, 11, 12, 13, 32].contains(p[i]) { i += 1 }
        var negative = false
        if i < p.endIndex, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
            negative = p[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < p.endIndex else { return nil }
        var v: UInt64 = 0
        while i < p.endIndex {
            let d = p[i]
            guard d >= 48 && d <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(d - 48))
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        return negative ? 0 &- v : v
    }

    /// What parsing a stream ID argument gave: the ID, and whether the sequence was given (`<ms>-*` leaves it
    /// to XADD).
    public struct Parsed {
        public var id: StreamID
        public var seqGiven: Bool
    }

    /// Redis's `streamGenericParseIDOrReply` without the reply: `-`/`+` (refused when `strict`), `<ms>` (the
    /// sequence is `missingSeq`), `<ms>-<seq>`, and `<ms>-*` when `allowAutoSeq`. nil when invalid.
    public static func parse(_ arg: RBytes, missingSeq: UInt64 = 0, strict: Bool = false,
                             allowAutoSeq: Bool = false) -> Parsed? {
        if arg.count > 127 { return nil }
        var buf = arg.array
        // The C code works on a NUL-terminated copy.
        if let nul = buf.firstIndex(of: 0) { buf.removeSubrange(nul...) }
        if buf.count == 1 && (buf[0] == UInt8(ascii: "-") || buf[0] == UInt8(ascii: "+")) {
            if strict { return nil }
            return Parsed(id: buf[0] == UInt8(ascii: "-") ? .zero : .max, seqGiven: true)
        }
        let dash = buf.firstIndex(of: UInt8(ascii: "-"))
        guard let ms = parseUnsigned(buf[..<(dash ?? buf.endIndex)]) else { return nil }
        guard let dash else { return Parsed(id: StreamID(ms: ms, seq: missingSeq), seqGiven: true) }
        let rest = buf[(dash + 1)...]
        if allowAutoSeq && rest.count == 1 && rest.first == UInt8(ascii: "*") {
            return Parsed(id: StreamID(ms: ms, seq: 0), seqGiven: false)
        }
        guard let seq = parseUnsigned(rest) else { return nil }
        return Parsed(id: StreamID(ms: ms, seq: seq), seqGiven: true)
    }
}
