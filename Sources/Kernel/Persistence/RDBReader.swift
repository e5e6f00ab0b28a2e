/// A bounds-checked cursor over RDB bytes: fixed-width integers, RDB length encodings, and RDB strings (plain,
/// integer-encoded, LZF). Every read past the end, and every length larger than what remains, throws an
/// `RDBError` with the offset instead of allocating.
public struct RDBReader {
    /// The input (not owned: valid for the reader's lifetime).
    public let bytes: UnsafeRawBufferPointer
    /// Offset of the next byte to read.
    public var offset: Int
    /// Added to offsets in errors (for payloads embedded in a larger input).
    public let base: Int

    /// A reader at the start of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer, base: Int = 0) {
        self.bytes = bytes
        self.offset = 0
        self.base = base
    }

    /// The text of a read past the end (Redis's wording).
    public static let eofMessage = "Unexpected EOF reading RDB file"

    /// Bytes left.
    public var remaining: Int { bytes.count - offset }

    /// An error at the current position.
    public func error(_ message: String) -> RDBError { RDBError(offset: base + offset, message) }

    /// Throws unless `n` more bytes are available.
    @inline(__always)
    func need(_ n: Int) throws {
        guard n >= 0, n <= remaining else { throw error(RDBReader.eofMessage) }
    }

    /// One byte.
    public mutating func u8() throws -> UInt8 {
        try need(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// An unsigned little-endian integer of `width` bytes.
    public mutating func uintLE(_ width: Int) throws -> UInt64 {
        try need(width)
        var v: UInt64 = 0
        for k in 0..<width { v |= UInt64(bytes[offset + k]) << (8 * k) }
        offset += width
        return v
    }

    /// An unsigned big-endian integer of `width` bytes.
    public mutating func uintBE(_ width: Int) throws -> UInt64 {
        try need(width)
        var v: UInt64 = 0
        for k in 0..<width { v = v << 8 | UInt64(bytes[offset + k]) }
        offset += width
        return v
    }

    /// `n` raw bytes.
    public mutating func take(_ n: Int) throws -> [UInt8] {
        try need(n)
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    /// Skips `n` bytes.
    public mutating func skip(_ n: Int) throws {
        try need(n)
        offset += n
    }

    /// An RDB length: (value, isEncoded). When `isEncoded`, value is the special string encoding (0 int8,
    /// 1 int16, 2 int32, 3 LZF).
    public mutating func lengthOrEncoding() throws -> (UInt64, Bool) {
        let first = try u8()
        switch first >> 6 {
        case 0: return (UInt64(first & 0x3F), false)
        case 1: return (UInt64(first & 0x3F) << 8 | UInt64(try u8()), false)
        case 2:
            if first == 0x80 { return (try uintBE(4), false) }
            if first == 0x81 { return (try uintBE(8), false) }
            offset -= 1
            throw error("unknown length encoding \(first)")
        default: return (UInt64(first & 0x3F), true)
        }
    }

    /// A plain RDB length (no special encoding allowed).
    public mutating func length() throws -> UInt64 {
        let start = offset
        let (v, enc) = try lengthOrEncoding()
        if enc { offset = start; throw error("unexpected string encoding where a length was expected") }
        return v
    }

    /// A length that counts items still to read. It is never used to size an allocation: the items are read one
    /// by one, each bounds-checked, so a count larger than the input fails with Redis's own "Unexpected EOF" where
    /// the input ends (as redis-check-rdb reports a truncated file), not with an early, different error.
    public mutating func count(minItemSize: Int = 1) throws -> Int {
        Int(clamping: try length())
    }

    /// An RDB string: plain, int8/16/32 (returned as decimal text) or LZF-compressed.
    public mutating func string() throws -> [UInt8] {
        let start = offset
        let (v, enc) = try lengthOrEncoding()
        if !enc {
            guard v <= UInt64(remaining) else { throw error(RDBReader.eofMessage) }
            return try take(Int(v))
        }
        switch v {
        case 0: return Array(String(Int8(truncatingIfNeeded: try uintLE(1))).utf8)
        case 1: return Array(String(Int16(truncatingIfNeeded: try uintLE(2))).utf8)
        case 2: return Array(String(Int32(truncatingIfNeeded: try uintLE(4))).utf8)
        case 3:
            let clen = try length()
            let len = try length()
            guard clen <= UInt64(remaining) else { throw error("LZF compressed length \(clen) exceeds the remaining input") }
            // LZF expands at most ~ (maxMatch / 2) per input byte; a larger claim is corrupt.
            guard len <= clen * 132 + 32, len < 1 << 40 else { throw error("LZF declared length \(len) is implausible") }
            let here = offset
            let out = try LZF.decompress(UnsafeRawBufferPointer(rebasing: bytes[here..<(here + Int(clen))]),
                                         length: Int(len), base: base + here)
            offset += Int(clen)
            return out
        default:
            offset = start
            throw error("unknown string encoding \(v)")
        }
    }

    /// A binary double (ZSET_2 scores): 8 bytes little endian.
    public mutating func binaryDouble() throws -> Double {
        Double(bitPattern: try uintLE(8))
    }

    /// An old-style string double (ZSET scores in type 3): 253 nan, 254 +inf, 255 -inf, else that many
    /// ASCII bytes.
    public mutating func stringDouble() throws -> Double {
        let len = try u8()
        switch len {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            let text = try take(Int(len))
            guard let d = Double(String(decoding: text, as: UTF8.self)) else {
                offset -= Int(len)
                throw error("bad string double")
            }
            return d
        }
    }
}
