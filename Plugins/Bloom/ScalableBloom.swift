import RedisModule

#if canImport(Glibc)
import Glibc
#endif

/// MurmurHash64A (Austin Appleby's 64-bit hash for 64-bit platforms), the hash RedisBloom's filters use.
enum Murmur64A {
    static let m: UInt64 = 0xc6a4_a793_5bd1_e995
    static let r: UInt64 = 47

    /// The hash of `bytes` with `seed`.
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        let n = bytes.count
        var h = seed ^ (UInt64(n) &* m)
        var i = 0
        while i + 8 <= n {
            var k = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            k = k &* m
            k ^= k >> r
            k = k &* m
            h ^= k
            h = h &* m
            i += 8
        }
        let tail = n & 7
        if tail > 0 {
            for j in stride(from: tail - 1, through: 0, by: -1) { h ^= UInt64(bytes[i + j]) << (8 * UInt64(j)) }
            h = h &* m
        }
        h ^= h >> r
        h = h &* m
        h ^= h >> r
        return h
    }
}

/// The two 64-bit hashes of an item; probe `i` of a filter is bit `(a + i·b) mod bits` (double hashing).
struct BloomHash {
    let a: UInt64
    let b: UInt64

    init(_ item: RBytes) {
        (a, b) = item.withUnsafeBytes { p in
            let a = Murmur64A.hash(p, seed: Murmur64A.m)
            return (a, Murmur64A.hash(p, seed: a))
        }
    }
}

/// One fixed-size Bloom filter of a chain (RedisBloom's `SBLink` with its `struct bloom`).
final class BloomLink {
    /// The number of items it was sized for.
    let capacity: UInt64
    /// Its target false-positive rate.
    let errorRate: Double
    /// Probes per item: ⌈ln 2 · bits-per-entry⌉.
    let hashes: UInt64
    /// Bits per entry: −ln(error) / ln²2.
    let bitsPerEntry: Double
    /// Bits in the filter (a multiple of 64).
    let bits: UInt64
    /// The bit array.
    var data: [UInt8]
    /// Items added to this link.
    var count: UInt64

    /// The largest filter one link may allocate (4 GiB of bits array): bigger requests fail to create.
    static let maxBytes: UInt64 = 1 << 32

    /// A link sized for `capacity` items at `errorRate`; nil when it would be empty or too large.
    init?(capacity: UInt64, errorRate: Double) {
        guard capacity > 0, errorRate > 0, errorRate < 1 else { return nil }
        let bpe = -(log(errorRate) / (0.480453013918201))  // ln(2)^2
        let wanted = Double(capacity) * bpe
        guard wanted.isFinite, wanted < Double(BloomLink.maxBytes) * 8 else { return nil }
        let rawBits = UInt64(wanted)
        let bytes = rawBits % 64 == 0 ? rawBits / 8 : (rawBits / 64 + 1) * 8
        guard bytes > 0, bytes <= BloomLink.maxBytes else { return nil }
        self.capacity = capacity
        self.errorRate = errorRate
        self.bitsPerEntry = bpe
        self.hashes = UInt64((0.693147180559945 * bpe).rounded(.up))
        self.bits = bytes * 8
        self.data = [UInt8](repeating: 0, count: Int(bytes))
        self.count = 0
    }

    /// A link as saved (all fields checked against each other by the caller's loader).
    init(capacity: UInt64, errorRate: Double, hashes: UInt64, bitsPerEntry: Double, bits: UInt64, data: [UInt8],
         count: UInt64) {
        self.capacity = capacity
        self.errorRate = errorRate
        self.hashes = hashes
        self.bitsPerEntry = bitsPerEntry
        self.bits = bits
        self.data = data
        self.count = count
    }

    /// A deep copy.
    func copy() -> BloomLink {
        BloomLink(capacity: capacity, errorRate: errorRate, hashes: hashes, bitsPerEntry: bitsPerEntry, bits: bits,
                  data: data, count: count)
    }

    /// Whether every probe bit of `h` is set.
    func contains(_ h: BloomHash) -> Bool {
        var x = h.a % bits
        let step = h.b % bits
        for _ in 0..<hashes {
            if data[Int(x >> 3)] & (1 << UInt8(x & 7)) == 0 { return false }
            x = (x &+ step) % bits
        }
        return true
    }

    /// Sets the probe bits of `h`; false when they all were set already.
    func insert(_ h: BloomHash) -> Bool {
        var x = h.a % bits
        let step = h.b % bits
        var changed = false
        for _ in 0..<hashes {
            let i = Int(x >> 3), bit: UInt8 = 1 << UInt8(x & 7)
            if data[i] & bit == 0 {
                data[i] |= bit
                changed = true
            }
            x = (x &+ step) % bits
        }
        return changed
    }
}

/// A scalable Bloom filter (RedisBloom's `SBChain`): links of growing capacity and tightening error rate. An
/// item is present when any link has it; new items go to the last link, and a full last link gets a successor
/// `expansion` times larger with half the error rate — unless the filter is non-scaling, which is then full.
final class ScalableBloom: ModuleValue {
    /// The links, oldest first (never empty).
    var links: [BloomLink]
    /// Items added to all links.
    var count: UInt64
    /// Capacity growth factor of each new link.
    let expansion: UInt64
    /// Whether the filter refuses to grow.
    let nonScaling: Bool

    /// Each new link's error rate is its predecessor's times this (RedisBloom's ERROR_TIGHTENING_RATIO).
    static let tightening = 0.5
    /// RedisBloom's option bits as saved: NOROUND 1, FORCE64 4, NO_SCALING 8.
    static let optionNoRound: UInt64 = 1, optionForce64: UInt64 = 4, optionNoScaling: UInt64 = 8

    init(links: [BloomLink], count: UInt64, expansion: UInt64, nonScaling: Bool) {
        self.links = links
        self.count = count
        self.expansion = expansion
        self.nonScaling = nonScaling
    }

    /// A new filter, or nil when its first link cannot be allocated.
    convenience init?(capacity: UInt64, errorRate: Double, expansion: UInt64, nonScaling: Bool) {
        guard let first = BloomLink(capacity: capacity, errorRate: errorRate) else { return nil }
        self.init(links: [first], count: 0, expansion: expansion, nonScaling: nonScaling)
    }

    /// What adding one item did.
    enum AddResult { case added, present, full, cannotGrow }

    /// Whether `item` may be present (no false negatives).
    func contains(_ item: RBytes) -> Bool {
        let h = BloomHash(item)
        for link in links.reversed() where link.contains(h) { return true }
        return false
    }

    /// Adds `item` (RedisBloom's SBChain_Add).
    func add(_ item: RBytes) -> AddResult {
        let h = BloomHash(item)
        for link in links.reversed() where link.contains(h) { return .present }
        var last = links[links.count - 1]
        if last.count >= last.capacity {
            if nonScaling { return .full }
            let (next, overflow) = last.capacity.multipliedReportingOverflow(by: expansion)
            guard !overflow, let link = BloomLink(capacity: next, errorRate: last.errorRate * ScalableBloom.tightening)
            else { return .cannotGrow }
            links.append(link)
            last = link
        }
        guard last.insert(h) else { return .present }
        last.count += 1
        count += 1
        return .added
    }

    /// The summed capacity of the links (BF.INFO Capacity).
    var capacity: UInt64 { links.reduce(0) { $0 + $1.capacity } }

    /// RedisBloom's accounting (BF.INFO Size, MEMORY USAGE): the chain header (32 bytes), a 64-byte link record
    /// per link, and the bit arrays.
    var memoryUsage: Int { 32 + links.reduce(0) { $0 + 64 + $1.data.count } }

    func duplicate() -> ModuleValue {
        ScalableBloom(links: links.map { $0.copy() }, count: count, expansion: expansion, nonScaling: nonScaling)
    }

    var options: UInt64 {
        ScalableBloom.optionNoRound | ScalableBloom.optionForce64 | (nonScaling ? ScalableBloom.optionNoScaling : 0)
    }
}
