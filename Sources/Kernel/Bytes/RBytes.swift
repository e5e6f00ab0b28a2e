/// A binary-safe byte string: Redis's `sds`. Keys, values and command arguments are all `RBytes`.
///
/// Strings of up to 22 bytes live inline (no heap allocation), longer ones in a shared, copy-on-write array.
/// The representation is canonical (a given byte sequence has exactly one form), so equality and hashing
/// can work on the representation directly.
///
/// The inline form is two words (bytes 0–15), a 4-byte and a 2-byte tail (bytes 16–21) and the length: 23 bytes
/// of payload plus the enum's tag byte, the same 24-byte stride as 16 bytes inline had (a third full word would
/// make it 32). redis-benchmark's keys (`key:__rand_int__`, `counter:__rand_int__`, `element:...`: 16–20 bytes)
/// and every decimal integer fit.
public struct RBytes: Hashable, Sendable {
    @usableFromInline
    enum Storage: Sendable {
        /// Bytes 0–7, 8–15, 16–19 and 20–21 little-endian, zero-padded; then the length.
        case inline(UInt64, UInt64, UInt32, UInt16, UInt8)
        case heap([UInt8])
    }

    @usableFromInline var storage: Storage

    /// The largest byte count kept inline.
    public static let inlineCapacity = 22

    @inlinable
    public init() { storage = .inline(0, 0, 0, 0, 0) }

    /// Copies the given bytes.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        if n <= 22 {
            // Assembled with loads and shifts: Swift 6.3's -O dead-store elimination mishandles typed tuples
            // accessed through raw pointers (see withUnsafeBytes), so no tuple is ever reinterpreted here.
            var w0: UInt64 = 0, w1: UInt64 = 0, tail: UInt64 = 0
            if n >= 8 {
                w0 = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
            } else {
                for i in 0..<n { w0 |= UInt64(bytes[i]) << (UInt64(i) &* 8) }
            }
            if n >= 16 {
                w1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                for i in 16..<n { tail |= UInt64(bytes[i]) << (UInt64(i - 16) &* 8) }
            } else if n > 8 {
                for i in 8..<n { w1 |= UInt64(bytes[i]) << (UInt64(i - 8) &* 8) }
            }
            storage = .inline(w0, w1, UInt32(truncatingIfNeeded: tail), UInt16(truncatingIfNeeded: tail >> 32),
                              UInt8(n))
        } else {
            storage = .heap(Array(bytes.bindMemory(to: UInt8.self)))
        }
    }

    /// Takes the given array (no copy for long strings).
    @inlinable
    public init(_ array: [UInt8]) {
        if array.count <= 22 {
            self = array.withUnsafeBytes { RBytes($0) }
        } else {
            storage = .heap(array)
        }
    }

    @inlinable
    public init<S: Sequence>(bytes: S) where S.Element == UInt8 {
        self.init(Array(bytes))
    }

    /// UTF-8 bytes of `string`.
    @inlinable
    public init(_ string: String) {
        var s = string
        self = s.withUTF8 { RBytes(UnsafeRawBufferPointer($0)) }
    }

    @inlinable
    public var count: Int {
        switch storage {
        case .inline(_, _, _, _, let n): return Int(n)
        case .heap(let a): return a.count
        }
    }

    @inlinable
    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with the bytes; the pointer is valid only inside `body`.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case let .inline(w0, w1, t0, t1, n):
            // Raw temporary memory, not a pointer to a local tuple: Swift 6.3.1's -O dead-store elimination
            // deletes the tuple's stores when it is read back through a raw pointer (a compiler bug, fixed
            // upstream after 6.3.1), which made inline strings read as garbage in release builds.
            return try withUnsafeTemporaryAllocation(byteCount: 24, alignment: 8) { buf in
                buf.storeBytes(of: w0.littleEndian, toByteOffset: 0, as: UInt64.self)
                buf.storeBytes(of: w1.littleEndian, toByteOffset: 8, as: UInt64.self)
                buf.storeBytes(of: t0.littleEndian, toByteOffset: 16, as: UInt32.self)
                buf.storeBytes(of: t1.littleEndian, toByteOffset: 20, as: UInt16.self)
                return try body(UnsafeRawBufferPointer(start: buf.baseAddress, count: Int(n)))
            }
        case .heap(let a):
            return try a.withUnsafeBytes(body)
        }
    }

    /// The bytes as an array.
    @inlinable
    public var array: [UInt8] {
        switch storage {
        case .heap(let a): return a
        case .inline: return withUnsafeBytes { Array($0) }
        }
    }

    @inlinable
    public subscript(i: Int) -> UInt8 {
        switch storage {
        case let .inline(w0, w1, t0, t1, _):
            if i >= 16 { return UInt8(truncatingIfNeeded: Self.tail(t0, t1) >> (UInt64(truncatingIfNeeded: i - 16) &* 8)) }
            let w = i < 8 ? w0 : w1
            return UInt8(truncatingIfNeeded: w >> (UInt64(truncatingIfNeeded: i & 7) &* 8))
        case .heap(let a):
            return a[i]
        }
    }

    /// Edits the bytes in place as an array: a heap string is handed over without a copy when this value holds
    /// the only reference (SETBIT, BITFIELD and PFADD on large strings), an inline one is copied out. The result
    /// is stored back in canonical form.
    @inlinable
    public mutating func modify<R>(_ body: (inout [UInt8]) throws -> R) rethrows -> R {
        var a: [UInt8]
        switch storage {
        case .heap(let h):
            a = h
            storage = .inline(0, 0, 0, 0, 0)
        case .inline:
            a = array
        }
        defer { self = RBytes(a) }
        return try body(&a)
    }

    /// A copy of `range` of the bytes.
    @inlinable
    public func slice(_ range: Range<Int>) -> RBytes {
        withUnsafeBytes { RBytes(UnsafeRawBufferPointer(rebasing: $0[range])) }
    }

    /// The bytes decoded as UTF-8 (invalid sequences repaired); for names, options and logs.
    public var string: String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    @inlinable
    public static func == (lhs: RBytes, rhs: RBytes) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.inline(a0, a1, a2, a3, an), .inline(b0, b1, b2, b3, bn)):
            return a0 == b0 && a1 == b1 && a2 == b2 && a3 == b3 && an == bn
        case let (.heap(a), .heap(b)):
            return a == b
        default:
            return false
        }
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        switch storage {
        case let .inline(w0, w1, t0, t1, n):
            hasher.combine(w0)
            hasher.combine(w1)
            hasher.combine(Self.tail(t0, t1))
            hasher.combine(n)
        case .heap(let a):
            a.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// Case-insensitive comparison with an ASCII literal (command and option names).
    @inlinable
    public func equalsIgnoringCase(_ ascii: StaticString) -> Bool {
        let n = ascii.utf8CodeUnitCount
        guard n == count else { return false }
        let lit = ascii.utf8Start
        return withUnsafeBytes { p in
            for i in 0..<n {
                var c = p[i]
                if c >= 65 && c <= 90 { c |= 0x20 }
                var l = lit[i]
                if l >= 65 && l <= 90 { l |= 0x20 }
                if c != l { return false }
            }
            return true
        }
    }

    /// Lowercased copy (ASCII only), used for command lookup. Inline strings are folded without allocating.
    public func lowercased() -> RBytes {
        switch storage {
        case let .inline(w0, w1, t0, t1, n):
            return RBytes(storage: .inline(Self.lowerWord(w0), Self.lowerWord(w1),
                                           UInt32(truncatingIfNeeded: Self.lowerWord(UInt64(t0))),
                                           UInt16(truncatingIfNeeded: Self.lowerWord(UInt64(t1))), n))
        case .heap(var a):
            for i in a.indices where a[i] >= 65 && a[i] <= 90 { a[i] |= 0x20 }
            return RBytes(storage: .heap(a))
        }
    }

    @usableFromInline
    init(storage: Storage) { self.storage = storage }

    /// The inline tail (bytes 16–21) as one little-endian word, zero above byte 21.
    @inline(__always) @usableFromInline
    static func tail(_ t0: UInt32, _ t1: UInt16) -> UInt64 { UInt64(t0) | UInt64(t1) << 32 }

    /// An inline string from the first `n` (≤ 22) bytes of `p`, which holds 24 readable bytes, zero from `n` on.
    @inlinable
    static func inline(from p: UnsafeRawBufferPointer, count n: Int) -> RBytes {
        RBytes(storage: .inline(UInt64(littleEndian: p.load(fromByteOffset: 0, as: UInt64.self)),
                                UInt64(littleEndian: p.load(fromByteOffset: 8, as: UInt64.self)),
                                UInt32(littleEndian: p.load(fromByteOffset: 16, as: UInt32.self)),
                                UInt16(littleEndian: p.load(fromByteOffset: 20, as: UInt16.self)), UInt8(n)))
    }

    /// Sets bit 5 of every byte in 'A'...'Z' (SWAR: eight bytes at once). Padding bytes are zero and stay zero.
    @inline(__always) @usableFromInline
    static func lowerWord(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let lowBits = w & ~high
        // Per byte: >= 'A' (65) and <= 'Z' (90), computed on the low 7 bits, then excluding bytes >= 0x80.
        let geA = (lowBits &+ ones &* (128 - 65)) & high
        let gtZ = (lowBits &+ ones &* (127 - 90)) & high
        let upper = geA & ~gtZ & ~w & high
        return w | (upper >> 2)
    }
}

extension RBytes: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}

extension RBytes: Comparable {
    /// Binary (memcmp) order, as Redis compares strings.
    public static func < (lhs: RBytes, rhs: RBytes) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// memcmp-style three-way comparison.
    public static func compare(_ lhs: RBytes, _ rhs: RBytes) -> Int {
        lhs.withUnsafeBytes { a in
            rhs.withUnsafeBytes { b in
                let n = min(a.count, b.count)
                if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
                    let r = memcmp(pa, pb, n)
                    if r != 0 { return Int(r) }
                }
                return a.count - b.count
            }
        }
    }
}

extension RBytes: CustomStringConvertible {
    public var description: String { string }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
