/// The keyspace's hash function: a seeded multiply-fold hash (the construction of wyhash) over an `RBytes`.
///
/// Swift's `Hasher` (SipHash-1-3 with a per-process seed) costs an init, three `combine`s and a finalize per
/// key lookup — about 4% of an INCR inside a script. This one mixes the two inline words of a short key with two
/// 64×64→128-bit multiplications, and longer keys 16 bytes per multiplication. Like Redis's seeded SipHash it is
/// keyed by a random per-process seed, so colliding key sets cannot be computed offline.
public enum KeyHash {
    /// The per-process random seed.
    @usableFromInline
    static let seed: UInt64 = UInt64.random(in: 1...UInt64.max)

    // wyhash's default secret words (odd constants with balanced bits).
    @usableFromInline static let k0: UInt64 = 0xa076_1d64_78bd_642f
    @usableFromInline static let k1: UInt64 = 0xe703_7ed1_a0b4_28db

    /// The multiply-fold step: the high and low halves of the 128-bit product, xored.
    @inline(__always) @usableFromInline
    static func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    /// The 64-bit hash of `key`'s bytes (canonical representation: equal bytes, equal hash).
    @inlinable
    public static func hash(_ key: RBytes) -> UInt64 {
        let s = seed ^ k0
        switch key.storage {
        case let .inline(w0, w1, n):
            // The inline words are the bytes loaded little-endian, zero-padded: the same words for the same bytes.
            return mum(k1 ^ UInt64(n), mum(w0 ^ k1, w1 ^ s))
        case .heap(let a):
            return a.withUnsafeBytes { p -> UInt64 in
                let n = p.count
                var h = s
                var i = 0
                while n - i > 16 {
                    h = mum(p.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ k1,
                            p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self) ^ h)
                    i += 16
                }
                // The last 16 bytes (overlapping the previous block when n is not a multiple of 16; n > 16 here).
                let a0 = p.loadUnaligned(fromByteOffset: n - 16, as: UInt64.self)
                let a1 = p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
                return mum(k1 ^ UInt64(n), mum(a0 ^ k1, a1 ^ h))
            }
        }
    }
}
