import RedisModule

/// The `MBbloom--` data type: RedisBloom's type name and its RDB layout of encoding version 4 (chain: items,
/// links, options, expansion; per link: capacity, error rate, hashes, bits per entry, bits, n2, the bit array,
/// items), and the BF.SCANDUMP / BF.LOADCHUNK encoding its AOF rewrite uses.
enum BloomType {
    /// RedisBloom's encoding version with the expansion field.
    static let encodingVersion = 4
    /// The data type, registered by `BloomModule`.
    static let type = ModuleDataType(name: "MBbloom--", encodingVersion: encodingVersion, load: load)
    /// Links a loaded filter may have (RedisBloom asserts fewer than 1000).
    static let maxLinks: UInt64 = 1000
    /// Probes per item a loaded link may ask for (an error rate of 1e-300 needs 997).
    static let maxHashes: UInt64 = 1024

    struct Corrupt: Error {}

    /// RDB load: refuses other encodings and any inconsistent field, so a corrupt payload never misreads.
    static func load(_ io: inout ModuleValueReader, _ encver: Int) throws -> ModuleValue {
        guard encver == encodingVersion else { throw Corrupt() }
        let count = try io.loadUnsigned()
        let n = try io.loadUnsigned()
        let options = try io.loadUnsigned()
        let expansion = try io.loadUnsigned()
        guard n >= 1, n < maxLinks else { throw Corrupt() }
        var links: [BloomLink] = []
        var total: UInt64 = 0
        for _ in 0..<n {
            let capacity = try io.loadUnsigned()
            let error = try io.loadDouble()
            let hashes = try io.loadUnsigned()
            let bpe = try io.loadDouble()
            let bits = try io.loadUnsigned()
            let n2 = try io.loadUnsigned()
            let data = try io.loadString()
            let items = try io.loadUnsigned()
            guard let link = checkedLink(capacity: capacity, error: error, hashes: hashes, bpe: bpe, bits: bits,
                                         n2: n2, data: data, items: items) else { throw Corrupt() }
            links.append(link)
            total &+= items
        }
        return try chain(links, count: count, total: total, options: options, expansion: expansion)
    }

    /// A link from saved fields, nil when they do not agree with each other.
    static func checkedLink(capacity: UInt64, error: Double, hashes: UInt64, bpe: Double, bits: UInt64, n2: UInt64,
                            data: [UInt8], items: UInt64) -> BloomLink? {
        guard capacity > 0, error > 0, error < 1, hashes >= 1, hashes <= maxHashes, bpe.isFinite, bpe > 0,
              n2 == 0, bits > 0, bits == UInt64(data.count) * 8 else { return nil }
        return BloomLink(capacity: capacity, errorRate: error, hashes: hashes, bitsPerEntry: bpe, bits: bits,
                         data: data, count: items)
    }

    /// The chain from its links and header fields, or `Corrupt`.
    static func chain(_ links: [BloomLink], count: UInt64, total: UInt64, options: UInt64,
                      expansion: UInt64) throws -> ScalableBloom {
        let nonScaling = options & ScalableBloom.optionNoScaling != 0
        guard count == total, nonScaling || expansion >= 1 else { throw Corrupt() }
        return ScalableBloom(links: links, count: count, expansion: max(expansion, 1), nonScaling: nonScaling)
    }

    // MARK: SCANDUMP / LOADCHUNK encoding

    /// Bytes per SCANDUMP chunk at most (RedisBloom's MAX_SCANDUMP_SIZE).
    static let maxChunk = 16 * 1024 * 1024

    /// The header chunk (iterator 1): the chain fields then each link's fields, 64-bit little-endian.
    static func header(_ f: ScalableBloom) -> [UInt8] {
        var out: [UInt8] = []
        func put(_ v: UInt64) { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
        put(f.count)
        put(UInt64(f.links.count))
        put(f.options)
        put(f.expansion)
        for l in f.links {
            put(l.capacity)
            put(l.errorRate.bitPattern)
            put(l.hashes)
            put(l.bitsPerEntry.bitPattern)
            put(l.bits)
            put(l.count)
        }
        return out
    }

    /// A filter with zeroed bit arrays from a header chunk, nil when the header is malformed.
    static func fromHeader(_ h: RBytes) -> ScalableBloom? {
        let bytes = h.array
        var at = 0
        func get() -> UInt64? {
            guard at + 8 <= bytes.count else { return nil }
            var v: UInt64 = 0
            for k in 0..<8 { v |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            at += 8
            return v
        }
        guard let count = get(), let n = get(), let options = get(), let expansion = get(), n >= 1, n < maxLinks,
              bytes.count == 32 + Int(n) * 48 else { return nil }
        var links: [BloomLink] = []
        var total: UInt64 = 0
        var allocated: UInt64 = 0
        for _ in 0..<n {
            guard let capacity = get(), let error = get(), let hashes = get(), let bpe = get(), let bits = get(),
                  let items = get(), bits % 8 == 0, bits > 0, bits / 8 <= BloomLink.maxBytes else { return nil }
            // A header only declares sizes: bound what it makes us allocate (one link's maximum, in all).
            allocated += bits / 8
            guard allocated <= BloomLink.maxBytes else { return nil }
            guard let link = checkedLink(capacity: capacity, error: Double(bitPattern: error), hashes: hashes,
                                         bpe: Double(bitPattern: bpe), bits: bits, n2: 0,
                                         data: [UInt8](repeating: 0, count: Int(bits / 8)), items: items)
            else { return nil }
            links.append(link)
            total &+= items
        }
        return try? chain(links, count: count, total: total, options: options, expansion: expansion)
    }

    /// The chunk starting at byte `start` of the links' concatenated bit arrays (within one link), nil past the
    /// end.
    static func chunk(_ f: ScalableBloom, from start: Int) -> [UInt8]? {
        var base = 0
        for l in f.links {
            if start < base + l.data.count {
                let from = start - base
                let to = min(l.data.count, from + maxChunk)
                return Array(l.data[from..<to])
            }
            base += l.data.count
        }
        return nil
    }

    /// Writes `data` at byte `start` of the concatenated bit arrays; false when it does not fit.
    static func write(_ f: ScalableBloom, _ data: [UInt8], at start: Int) -> Bool {
        let total = f.links.reduce(0) { $0 + $1.data.count }
        guard start >= 0, start + data.count <= total else { return false }
        var base = 0, i = 0
        for l in f.links {
            while i < data.count && start + i < base + l.data.count {
                if start + i >= base { l.data[start + i - base] = data[i] }
                i += 1
            }
            base += l.data.count
        }
        return true
    }
}

extension ScalableBloom {
    /// RDB save, RedisBloom's encoding version 4 layout.
    func save(to io: inout ModuleValueWriter) {
        io.saveUnsigned(count)
        io.saveUnsigned(UInt64(links.count))
        io.saveUnsigned(options)
        io.saveUnsigned(expansion)
        for l in links {
            io.saveUnsigned(l.capacity)
            io.saveDouble(l.errorRate)
            io.saveUnsigned(l.hashes)
            io.saveDouble(l.bitsPerEntry)
            io.saveUnsigned(l.bits)
            io.saveUnsigned(0)  // n2: bits are not rounded to a power of two
            io.saveString(l.data)
            io.saveUnsigned(l.count)
        }
    }

    /// AOF rewrite as RedisBloom's: BF.LOADCHUNK with the header, then one per chunk of the bit arrays.
    func rewrite(key: RBytes, into aof: inout ModuleValueRewriter) {
        aof.emit(["BF.LOADCHUNK", key, "1", RBytes(BloomType.header(self))])
        var start = 0
        while let c = BloomType.chunk(self, from: start) {
            start += c.count
            aof.emit(["BF.LOADCHUNK", key, RBytes(String(start + 1)), RBytes(c)])
        }
    }

    /// DEBUG DIGEST: one sequence for the chain's settings, one per link (its sizing, items and bits).
    func digest(into d: inout ModuleValueDigest) {
        d.add(Int64(bitPattern: count))
        d.add(Int64(bitPattern: expansion))
        d.add(Int64(bitPattern: options))
        d.endSequence()
        for l in links {
            d.add(Int64(bitPattern: l.capacity))
            d.add(Int64(bitPattern: l.errorRate.bitPattern))
            d.add(Int64(bitPattern: l.count))
            d.add(l.data)
            d.endSequence()
        }
    }
}
