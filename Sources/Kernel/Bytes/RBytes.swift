/// A binary-safe byte string: Redis's `sds`. Keys, values and command arguments are all `RBytes`.
///
/// Strings of up to 16 bytes live inline (no heap allocation), longer ones in a shared, copy-on-write array.
/// The representation is canonical (a given byte sequence has exactly one form), so equality and hashing
/// can work on the representation directly.
public struct RBytes: Hashable, Sendable {
    @usableFromInline
    enum Storage: Sendable {
        case inline(UInt64, UInt64, UInt8)
        case heap([UInt8])
    }

    @usableFromInline var storage: Storage

    /// The largest byte count kept inline.
    public static let inlineCapacity = 16

    @inlinable
    public init() { storage = .inline(0, 0, 0) }

    /// Copies the given bytes.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        if n <= 16 {
            // Assembled with loads and shifts: Swift 6.3's -O dead-store elimination mishandles typed tuples
            // accessed through raw pointers (see withUnsafeBytes), so no tuple is ever reinterpreted here.
            var w0: UInt64 = 0, w1: UInt64 = 0
            if n >= 8 {
                w0 = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
            } else {
                for i in 0..<n { w0 |= UInt64(bytes[i]) << (UInt64(i) &* 8) }
            }
            if n == 16 {
                w1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            } else if n > 8 {
                for i in 8..<n { w1 |= UInt64(bytes[i]) << (UInt64(i - 8) &* 8) }
            }
            storage = .inline(w0, w1, UInt8(n))
        } else {
            storage = .heap(Array(bytes.bindMemory(to: UInt8.self)))
        }
    }

    /// Takes the given array (no copy for long strings).
    @inlinable
    public init(_ array: [UInt8]) {
        if array.count <= 16 {
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
        case .inline(_, _, let n): return Int(n)
        case .heap(let a): return a.count
        }
    }

    @inlinable
    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with the bytes; the pointer is valid only inside `body`.
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case let .inline(w0, w1, n):
            // Raw temporary memory, not a pointer to a local tuple: Swift 6.3.1's -O dead-store elimination
            // deletes the tuple's stores when it is read back through a raw pointer (a compiler bug, fixed
            // upstream after 6.3.1), which made inline strings read as garbage in release builds.
            return try withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { buf in
                buf.storeBytes(of: w0.littleEndian, toByteOffset: 0, as: UInt64.self)
                buf.storeBytes(of: w1.littleEndian, toByteOffset: 8, as: UInt64.self)
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
        case let .inline(w0, w1, _):
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
            storage = .inline(0, 0, 0)
        case .inline:
            a = array
        }
        defer { self = RBytes(a) }
        return try body(&a)
    }

    /// Replaces the bytes with a copy of `bytes`. A heap string of the same length is overwritten in place —
    /// without an allocation when this value holds its only reference (the parser refilling the argument vector:
    /// redis-benchmark's 20-byte keys, a 40-byte SHA1), copied first when it is shared (an argument a command
    /// kept), exactly as a mutation of any shared value. Anything else is a new value, as `RBytes(bytes)`.
    @inlinable
    public mutating func assign(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        if n > 16, case .heap(var a) = storage, a.count == n {
            storage = .inline(0, 0, 0)  // `a` is then the only reference if this value was
            a.withUnsafeMutableBytes { $0.copyMemory(from: bytes) }
            storage = .heap(a)
        } else {
            self = RBytes(bytes)
        }
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
        case let (.inline(a0, a1, an), .inline(b0, b1, bn)):
            return a0 == b0 && a1 == b1 && an == bn
        case let (.heap(a), .heap(b)):
            return a == b
        default:
            return false
        }
    }

    @inlinable
    public func hash(into hasher: inout Hasher) {
        switch storage {
        case let .inline(w0, w1, n):
            hasher.combine(w0)
            hasher.combine(w1)
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
        case let .inline(w0, w1, n):
            return RBytes(storage: .inline(Self.lowerWord(w0), Self.lowerWord(w1), n))
        case .heap(var a):
            for i in a.indices where a[i] >= 65 && a[i] <= 90 { a[i] |= 0x20 }
            return RBytes(storage: .heap(a))
        }
    }

    @usableFromInline
    init(storage: Storage) { self.storage = storage }

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
