import Glibc

/// Redis's HyperLogLog string representation, byte for byte (`hyperloglog.c`), over a `[UInt8]` holding the whole
/// string value:
///
/// - a 16-byte header: `HYLL`, the encoding (0 dense, 1 sparse), 3 unused bytes, the cached cardinality as 8
///   little-endian bytes whose last byte's MSB marks the cache invalid;
/// - dense: 16384 6-bit registers packed little-endian-first into 12288 bytes;
/// - sparse: run-length opcodes ZERO `00xxxxxx` (1...64 zero registers), XZERO `01xxxxxx yyyyyyyy` (1...16384),
///   VAL `1vvvvvxx` (1...4 registers of value 1...32).
///
/// Elements hash with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the position of the
/// first set bit above them (1-based, at most 51) is its candidate value. Counts use Ertl's improved estimator.
enum HLLSketch {
    static let p = 14
    static let q = 64 - p
    static let registers = 1 << p
    static let registerMax: UInt8 = 63
    static let headerSize = 16
    static let denseSize = headerSize + (registers * 6 + 7) / 8
    static let dense: UInt8 = 0
    static let sparse: UInt8 = 1
    static let sparseValMax = 32
    static let sparseValMaxLen = 4
    static let sparseZeroMaxLen = 64
    static let sparseXZeroMaxLen = 16384
    static let invalidError = "INVALIDOBJ Corrupted HLL object detected"
    static let notHLLError = "WRONGTYPE Key is not a valid HyperLogLog string value."

    // MARK: Hashing

    /// MurmurHash2, 64-bit version (endian-neutral, as Redis's copy).
    static func murmur64A(_ key: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let m: UInt64 = 0xc6a4_a793_5bd1_e995
        let r: UInt64 = 47
        let len = key.count
        var h = seed ^ (UInt64(len) &* m)
        var i = 0
        while i + 8 <= len {
            var k = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            k &*= m
            k ^= k >> r
            k &*= m
            h ^= k
            h &*= m
            i += 8
        }
        let rest = len & 7
        if rest > 0 {
            for j in stride(from: rest - 1, through: 0, by: -1) { h ^= UInt64(key[i + j]) << UInt64(8 * j) }
            h &*= m
        }
        h ^= h >> r
        h &*= m
        h ^= h >> r
        return h
    }

    /// The register an element maps to and the length of its `000...1` pattern (Redis's hllPatLen).
    static func patternLength(_ element: UnsafeRawBufferPointer) -> (index: Int, count: UInt8) {
        var hash = murmur64A(element, seed: 0xadc8_3b19)
        let index = Int(hash & UInt64(registers - 1))
        hash >>= UInt64(p)
        hash |= 1 << UInt64(q)
        return (index, UInt8(hash.trailingZeroBitCount + 1))
    }

    // MARK: Header

    /// A new, empty HLL: sparse, one XZERO opcode covering every register.
    static func empty() -> [UInt8] {
        var s = [UInt8](repeating: 0, count: headerSize + 2)
        s[0] = UInt8(ascii: "H"); s[1] = UInt8(ascii: "Y"); s[2] = UInt8(ascii: "L"); s[3] = UInt8(ascii: "L")
        s[4] = sparse
        setXZero(&s, headerSize, registers)
        return s
    }

    /// Redis's isHLLObjectOrReply checks on a string: header, magic, known encoding, exact dense length.
    static func isValid(_ s: UnsafeRawBufferPointer) -> Bool {
        guard s.count >= headerSize, s[0] == UInt8(ascii: "H"), s[1] == UInt8(ascii: "Y"),
              s[2] == UInt8(ascii: "L"), s[3] == UInt8(ascii: "L"), s[4] <= sparse else { return false }
        return s[4] != dense || s.count == denseSize
    }

    static func invalidateCache(_ s: inout [UInt8]) { s[15] |= 0x80 }

    /// The cached cardinality, or nil when the cache is invalid.
    static func cachedCount(_ s: UnsafeRawBufferPointer) -> UInt64? {
        guard s[15] & 0x80 == 0 else { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(s[8 + i]) << UInt64(8 * i) }
        return v
    }

    static func storeCachedCount(_ s: inout [UInt8], _ v: UInt64) {
        for i in 0..<8 { s[8 + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) }
    }

    // MARK: Dense registers

    @inline(__always)
    static func denseGet(_ s: UnsafeRawBufferPointer, _ base: Int, _ reg: Int) -> UInt8 {
        let byte = base + reg * 6 / 8, fb = (reg * 6) & 7
        let b0 = UInt16(s[byte])
        let b1: UInt16 = byte + 1 < s.count ? UInt16(s[byte + 1]) : 0
        return UInt8(truncatingIfNeeded: ((b0 >> fb) | (b1 << (8 - fb))) & 63)
    }

    @inline(__always)
    static func denseSetRaw(_ s: inout [UInt8], _ base: Int, _ reg: Int, _ value: UInt8) {
        let byte = base + reg * 6 / 8, fb = (reg * 6) & 7
        let v = UInt16(value)
        s[byte] = UInt8(truncatingIfNeeded: (UInt16(s[byte]) & ~(63 << fb)) | (v << fb))
        if byte + 1 < s.count {
            let hi = UInt16(s[byte + 1]) & ~(63 >> (8 - fb))
            s[byte + 1] = UInt8(truncatingIfNeeded: hi | (v >> (8 - fb)))
        }
    }

    /// Raises a dense register to `count`; true if it changed.
    static func denseSet(_ s: inout [UInt8], _ reg: Int, _ count: UInt8) -> Bool {
        let old = s.withUnsafeBytes { denseGet($0, headerSize, reg) }
        guard count > old else { return false }
        denseSetRaw(&s, headerSize, reg, count)
        return true
    }

    // MARK: Sparse opcodes

    @inline(__always) static func isZero(_ b: UInt8) -> Bool { b & 0xC0 == 0 }
    @inline(__always) static func isXZero(_ b: UInt8) -> Bool { b & 0xC0 == 0x40 }
    @inline(__always) static func isVal(_ b: UInt8) -> Bool { b & 0x80 != 0 }
    @inline(__always) static func zeroLen(_ b: UInt8) -> Int { Int(b & 0x3F) + 1 }
    @inline(__always) static func valValue(_ b: UInt8) -> Int { Int((b >> 2) & 0x1F) + 1 }
    @inline(__always) static func valLen(_ b: UInt8) -> Int { Int(b & 3) + 1 }
    @inline(__always) static func valOp(_ value: Int, _ len: Int) -> UInt8 { UInt8((value - 1) << 2 | (len - 1)) | 0x80 }

    /// XZERO's length; a truncated opcode reads its missing byte as 0 (Redis reads the sds terminator).
    @inline(__always)
    static func xzeroLen(_ s: UnsafeRawBufferPointer, _ i: Int) -> Int {
        let lo = i + 1 < s.count ? Int(s[i + 1]) : 0
        return ((Int(s[i] & 0x3F) << 8) | lo) + 1
    }

    static func setXZero(_ s: inout [UInt8], _ i: Int, _ len: Int) {
        s[i] = UInt8((len - 1) >> 8) | 0x40
        s[i + 1] = UInt8((len - 1) & 0xFF)
    }

    /// Appends the opcode(s) for a run of `len` zero registers: ZERO up to 64, XZERO beyond.
    static func appendZeros(_ seq: inout [UInt8], _ len: Int) {
        if len > sparseZeroMaxLen {
            seq.append(UInt8((len - 1) >> 8) | 0x40)
            seq.append(UInt8((len - 1) & 0xFF))
        } else {
            seq.append(UInt8(len - 1))
        }
    }

    /// Converts a sparse HLL to dense in place (header copied, cache kept); false if the sparse data is corrupt.
    static func sparseToDense(_ s: inout [UInt8]) -> Bool {
        if s[4] == dense { return true }
        var d = [UInt8](repeating: 0, count: denseSize)
        for i in 0..<headerSize { d[i] = s[i] }
        d[4] = dense
        var idx = 0
        let ok = s.withUnsafeBytes { sp -> Bool in
            var i = headerSize
            while i < sp.count {
                let b = sp[i]
                if isZero(b) {
                    idx += zeroLen(b); i += 1
                } else if isXZero(b) {
                    idx += xzeroLen(sp, i); i += 2
                } else {
                    let run = valLen(b), v = UInt8(valValue(b))
                    if run + idx > registers { return false }
                    for _ in 0..<run {
                        denseSetRaw(&d, headerSize, idx, v)
                        idx += 1
                    }
                    i += 1
                }
            }
            return idx == registers
        }
        guard ok else { return false }
        s = d
        return true
    }
}
