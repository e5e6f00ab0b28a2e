import CMallocInfo
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Redis's number parsing and formatting rules (`string2ll`, `string2ld`, `ld2string`, `%.17g`), in one place so
/// every command accepts and prints numbers exactly as Redis does.
public enum Numbers {
    /// Strict 64-bit integer parse: optional `-`, no `+`, no spaces, no leading zeros, no overflow.
    @inlinable
    public static func parseInt64(_ p: UnsafeRawBufferPointer) -> Int64? {
        let n = p.count
        if n == 0 || n > 20 { return nil }
        if n == 1 {
            let d = p[0] &- 48
            return d < 10 ? Int64(d) : nil
        }
        var i = 0
        var negative = false
        if p[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
        }
        // First digit must be 1-9.
        let first = p[i] &- 48
        if first == 0 || first > 9 { return nil }
        var v = UInt64(first)
        i += 1
        while i < n {
            let d = p[i] &- 48
            if d > 9 { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        if negative {
            if v > UInt64(Int64.max) + 1 { return nil }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        return v > UInt64(Int64.max) ? nil : Int64(v)
    }

    @inlinable
    public static func parseInt64(_ b: RBytes) -> Int64? {
        b.withUnsafeBytes { parseInt64($0) }
    }

    /// Whether `b` is the canonical decimal form of a 64-bit integer (what `OBJECT ENCODING` calls `int`).
    public static func isCanonicalInt(_ b: RBytes) -> Bool { parseInt64(b) != nil }

    /// Parses a double as Redis's `string2d` does (`strtod`, no leading space, no trailing bytes, no NaN).
    public static func parseDouble(_ b: RBytes) -> Double? {
        let n = b.count
        if n == 0 || n > 5000 { return nil }
        // Integers (the common score) convert exactly as strtod would round them, without a C string.
        if let i = parseInt64(b) { return Double(i) }
        return b.withUnsafeBytes { p -> Double? in
            if isSpace(p[0]) { return nil }
            if p.firstIndex(of: 0) != nil { return nil }
            // A NUL-terminated copy on the stack for strtod.
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { bp -> Double? in
                UnsafeMutableRawPointer(bp.baseAddress!).copyMemory(from: p.baseAddress!, byteCount: n)
                bp[n] = 0
                var end: UnsafeMutablePointer<CChar>? = nil
                errno = 0
                let v = strtod(bp.baseAddress!, &end)
                guard let e = end, e == bp.baseAddress! + n else { return nil }
                if v.isNaN { return nil }
                if errno == ERANGE && (v.isInfinite || v == 0) { return nil }
                return v
            }
        }
    }

    #if arch(x86_64) || arch(i386)
    /// The `long double` Redis uses for INCRBYFLOAT and HINCRBYFLOAT.
    public typealias LongDouble = Float80
    #else
    public typealias LongDouble = Double
    #endif

    /// Parses a long double as Redis's `string2ld` does.
    public static func parseLongDouble(_ b: RBytes) -> LongDouble? {
        let n = b.count
        if n == 0 || n >= 5 * 1024 { return nil }
        return b.withUnsafeBytes { p -> LongDouble? in
            if isSpace(p[0]) { return nil }
            var buf = [CChar](repeating: 0, count: n + 1)
            for i in 0..<n {
                if p[i] == 0 { return nil }
                buf[i] = CChar(bitPattern: p[i])
            }
            return buf.withUnsafeBufferPointer { bp -> LongDouble? in
                var end: UnsafeMutablePointer<CChar>? = nil
                errno = 0
                #if arch(x86_64) || arch(i386)
                let v = strtold(bp.baseAddress!, &end)
                #else
                let v = strtod(bp.baseAddress!, &end)
                #endif
                guard let e = end, e == UnsafeMutablePointer(mutating: bp.baseAddress! + n) else { return nil }
                if v.isNaN { return nil }
                if errno == ERANGE && (v.isInfinite || v == 0) { return nil }
                return v
            }
        }
    }

    @inline(__always) @usableFromInline
    static func isSpace(_ c: UInt8) -> Bool { c == 32 || (c >= 9 && c <= 13) }

    /// Decimal form of an integer. Up to 16 characters (every value above -10^15) it is assembled straight into
    /// RBytes's inline words, without a byte-by-byte copy.
    @inlinable
    public static func format(_ v: Int64) -> RBytes {
        withUnsafeTemporaryAllocation(byteCount: 24, alignment: 8) { p in
            p.storeBytes(of: 0, toByteOffset: 0, as: UInt64.self)
            p.storeBytes(of: 0, toByteOffset: 8, as: UInt64.self)
            let n = writeDecimal(v, into: p)
            if n <= 16 {
                return RBytes(storage: .inline(UInt64(littleEndian: p.load(fromByteOffset: 0, as: UInt64.self)),
                                               UInt64(littleEndian: p.load(fromByteOffset: 8, as: UInt64.self)),
                                               UInt8(n)))
            }
            return RBytes(UnsafeRawBufferPointer(rebasing: p[0..<n]))
        }
    }

    /// "00" "01" ... "99": two digits per division, as Redis's `ull2string`.
    @inlinable
    static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }

    /// The number of decimal digits of `u`.
    @inlinable
    static func digitCount(_ u: UInt64) -> Int {
        var n = 1
        var x = u
        while x >= 10_000 { x /= 10_000; n += 4 }
        if x >= 1000 { return n + 3 }
        if x >= 100 { return n + 2 }
        if x >= 10 { return n + 1 }
        return n
    }

    /// Writes the decimal form of `v` at the start of `p` (which must hold 20 bytes) and returns its length.
    @inlinable
    public static func writeDecimal(_ v: Int64, into p: UnsafeMutableRawBufferPointer) -> Int {
        if v >= 0 && v < 10 {
            p[0] = UInt8(48 + v)
            return 1
        }
        let negative = v < 0
        let u = negative ? UInt64(bitPattern: 0 &- v) : UInt64(v)  // Int64.min: 2^63 as the bit pattern
        let sign = negative ? 1 : 0
        let n = sign + digitCount(u)
        let out = p.baseAddress!
        if negative { out.storeBytes(of: UInt8(ascii: "-"), as: UInt8.self) }
        let pairs = UnsafeRawPointer(digitPairs.utf8Start)
        var x = u
        var i = n
        while x >= 100 {
            let r = Int(x % 100)
            x /= 100
            i -= 2
            out.advanced(by: i).copyMemory(from: pairs.advanced(by: 2 * r), byteCount: 2)
        }
        if x >= 10 {
            out.advanced(by: i - 2).copyMemory(from: pairs.advanced(by: 2 * Int(x)), byteCount: 2)
        } else {
            out.advanced(by: i - 1).storeBytes(of: UInt8(48 + x), as: UInt8.self)
        }
        return n
    }

    /// `printf`-style formatting into bytes.
    public static func cFormat(_ format: String, _ args: CVarArg...) -> [UInt8] {
        var buf = [CChar](repeating: 0, count: 5 * 1024 + 64)
        let n = withVaList(args) { va in
            buf.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress!, $0.count, format, va) }
        }
        return buf[0..<Int(max(0, min(Int(n), buf.count - 1)))].map { UInt8(bitPattern: $0) }
    }

    /// Redis's human long-double form (`ld2string` with `LD_STR_HUMAN`): `%.17Lf` without trailing zeros.
    public static func formatHuman(_ v: LongDouble) -> RBytes {
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        #if arch(x86_64) || arch(i386)
        var out = cFormat("%.17Lf", v)
        #else
        var out = cFormat("%.17f", v)
        #endif
        if out.contains(UInt8(ascii: ".")) {
            while out.last == UInt8(ascii: "0") { out.removeLast() }
            if out.last == UInt8(ascii: ".") { out.removeLast() }
        }
        if out == [UInt8(ascii: "-"), UInt8(ascii: "0")] { out = [UInt8(ascii: "0")] }
        return RBytes(out)
    }

    /// `%.17g`, the form Redis 7.0 replies doubles with (`inf`/`-inf` for infinities).
    public static func formatDouble(_ v: Double) -> RBytes {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { p in
            RBytes(UnsafeRawBufferPointer(rebasing: p[0..<writeDouble(v, into: p)]))
        }
    }

    /// Writes `formatDouble(v)` at the start of `p` (which must hold 32 bytes) and returns its length. An integral
    /// value below 10^17 in magnitude is what `%.17g` prints as its plain decimal digits (exponent < precision,
    /// no fraction to keep), written without `snprintf`; anything else goes through the C library.
    public static func writeDouble(_ v: Double, into p: UnsafeMutableRawBufferPointer) -> Int {
        if v.magnitude < 1e17 && v == v.rounded(.towardZero) {
            if v == 0 && v.sign == .minus {
                p[0] = UInt8(ascii: "-")
                p[1] = UInt8(ascii: "0")
                return 2
            }
            return writeDecimal(Int64(v), into: p)
        }
        if v.isInfinite {
            let text: StaticString = v > 0 ? "inf" : "-inf"
            p.copyMemory(from: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
            return text.utf8CodeUnitCount
        }
        if v.isNaN {
            p.copyBytes(from: "nan".utf8)
            return 3
        }
        return Int(cmallocinfo_format_g17(p.baseAddress!.assumingMemoryBound(to: CChar.self), 32, v))
    }

    /// Redis's `d2string`: integers print without a fraction, the rest as `%.17g`.
    public static func formatDoubleCompact(_ v: Double) -> RBytes {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        if v > -4503599627370495 && v < 4503599627370496 && v == v.rounded(.towardZero) {
            return format(Int64(v))
        }
        return RBytes(cFormat("%.17g", v))
    }
}
