/// MEMORY USAGE's figures, in Redis 7.0's accounting (objectComputeSize): what the key and its value would take in
/// Redis's encodings — the object header, sds strings, listpacks, intsets, quicklist nodes, dict tables, skiplist
/// nodes, stream radix trees — each allocation rounded up to jemalloc's size class as `zmalloc_size` reports it.
/// Collections are measured element by element up to `samples` elements (quicklist and stream: nodes) and
/// extrapolated beyond, as Redis does (`samples` 0 = all). The figures are Redis's, so tools that compare keys by
/// size (`redis-cli --memkeys`, dashboards) read the same numbers from both servers; the real heap use of our own
/// structures is what INFO `used_memory` reports (docs/OBSERVABILITY.md).
public enum MemoryUsage {
    // Sizes of Redis 7.0's structures on 64-bit Linux.
    static let robj = 16, dictEntry = 24, dictHeader = 56, quicklist = 40, quicklistNode = 40
    static let zsetHeader = 16, zskiplist = 32, stream = 80, streamCG = 40, streamConsumer = 24, streamNACK = 24

    /// The configuration the figures depend on: how quicklist nodes and stream nodes are filled.
    public struct Settings: Sendable {
        /// `list-max-listpack-size`.
        public var listFill: Int
        /// `stream-node-max-bytes` and `stream-node-max-entries` (0 = no limit).
        public var streamNodeMaxBytes: Int
        public var streamNodeMaxEntries: Int

        public init(listFill: Int = -2, streamNodeMaxBytes: Int = 4096, streamNodeMaxEntries: Int = 100) {
            self.listFill = listFill
            self.streamNodeMaxBytes = streamNodeMaxBytes
            self.streamNodeMaxEntries = streamNodeMaxEntries
        }
    }

    /// jemalloc's size class for a request of `n` bytes (x86-64, 16-byte quantum): 8, 16, 32, 48, ... 128, then
    /// four classes per doubling (160, 192, 224, 256, 320, ...).
    @inline(__always)
    public static func sizeClass(_ n: Int) -> Int {
        if n <= 0 { return 0 }
        if n <= 8 { return 8 }
        if n <= 128 { return (n + 15) & ~15 }
        let k = Int.bitWidth - 1 - (n - 1).leadingZeroBitCount  // 2^k < n <= 2^(k+1)
        let spacing = 1 << (k - 2)
        return (n + spacing - 1) & ~(spacing - 1)
    }

    /// `sdsZmallocSize` of an exact-size sds of `len` bytes (sdsdup/sdsnewlen: the smallest header that fits).
    @inline(__always)
    static func sds(_ len: Int) -> Int {
        let header = len < 32 ? 1 : len < 256 ? 3 : len < 65536 ? 5 : 9
        return sizeClass(header + len + 1)
    }

    /// A dict's own allocation and its bucket array (`dictSlots`: the power of two the table grew to).
    static func dict(_ n: Int) -> Int {
        guard n > 0 else { return dictHeader }
        var slots = 4
        while slots < n { slots <<= 1 }
        return dictHeader + 8 * slots
    }

    // MARK: - Listpack

    /// Bytes of a listpack entry holding an integer (encoding, data, back-length).
    @inline(__always)
    static func lpIntEntry(_ v: Int64) -> Int {
        switch v {
        case 0...127: return 2
        case -4096...4095: return 3
        case Int64(Int16.min)...Int64(Int16.max): return 4
        case -8_388_608...8_388_607: return 5
        case Int64(Int32.min)...Int64(Int32.max): return 6
        default: return 10
        }
    }

    /// Bytes of a listpack entry holding `b` (stored as an integer when it reads as one, as lpAppend does).
    @inline(__always)
    static func lpEntry(_ b: RBytes) -> Int {
        if b.count <= 20, let v = Numbers.parseInt64(b) { return lpIntEntry(v) }
        let l = b.count
        let body = l < 64 ? 1 + l : l < 4096 ? 2 + l : 5 + l
        return body + lpBacklen(body)
    }

    @inline(__always)
    static func lpBacklen(_ l: Int) -> Int {
        l <= 127 ? 1 : l < 16383 ? 2 : l < 2_097_151 ? 3 : l < 268_435_455 ? 4 : 5
    }

    /// A sorted set's score in a listpack: an integer when it is one, else its decimal text.
    static func lpScore(_ d: Double) -> Int {
        if d == d.rounded(), abs(d) < 9.0e15 { return lpIntEntry(Int64(d)) }
        let l = "\(d)".utf8.count
        return 1 + l + 1
    }

    /// A listpack's allocation: 6 bytes of header, the entries, the end byte.
    @inline(__always)
    static func listpack(_ entryBytes: Int) -> Int { sizeClass(6 + entryBytes + 1) }

    // MARK: - Keys and values

    /// The key's cost: its sds plus the keyspace dict entry.
    public static func keyBytes(_ key: RBytes) -> Int { sds(key.count) + dictEntry }

    /// Bytes of a key's value (excluding the key), sampling at most `samples` elements of a collection (0 = all).
    public static func valueBytes(_ e: Entry, samples: Int, settings: Settings = Settings()) -> Int {
        switch e.value {
        case .packed(let p):
            return p.withObject { valueBytes(Entry(.object($0), lru: 0), samples: samples, settings: settings) }
        case .string(let s):
            switch e.encodingName {
            case "int": return robj
            case "embstr": return sizeClass(robj + 3 + s.count + 1)
            default:
                // A string grown in place (APPEND, SETRANGE) has sds's greedy spare room.
                let len = e.isRawString ? (s.count < 1 << 20 ? s.count * 2 : s.count + (1 << 20)) : s.count
                return robj + sds(len)
            }
        case .object(let o):
            if let h = o as? HashObject { return robj + hash(h, samples) }
            if let s = o as? SetObject { return robj + set(s, samples) }
            if let z = o as? SortedSetObject { return robj + zset(z, samples) }
            if let l = o as? ListObject { return robj + list(l, samples, fill: settings.listFill) }
            if let x = o as? StreamObject { return robj + streamBytes(x, samples, settings) }
            // A module type: what its mem_usage callback says, as Redis's objectComputeSize for OBJ_MODULE.
            if let c = o as? CustomObject { return c.value.memoryUsage }
            return robj
        }
    }

    /// Average of `body` over the first `samples` of `n` elements, times `n` (Redis's sampled estimate).
    static func extrapolate(_ n: Int, _ samples: Int, _ body: (Int) -> Int) -> Int {
        guard n > 0 else { return 0 }
        let k = samples <= 0 ? n : min(n, samples)
        var sum = 0
        for i in 0..<k { sum += body(i) }
        return k == n ? sum : Int(Double(sum) / Double(k) * Double(n))
    }

    /// Sampled sum over the live slots of a table.
    static func sampled<V>(_ t: KeyTable<V>, _ samples: Int, _ body: (RBytes, V) -> Int) -> Int {
        let k = samples <= 0 ? Int.max : samples
        var seen = 0, sum = 0
        for i in 0..<t.slotCount where seen < k {
            guard let v = t.values[i] else { continue }
            sum += body(t.key(at: i), v)
            seen += 1
        }
        if seen == 0 { return 0 }
        return seen == t.count ? sum : Int(Double(sum) / Double(seen) * Double(t.count))
    }

    static func hash(_ h: HashObject, _ samples: Int) -> Int {
        if let t = h.table {
            return dict(t.count) + sampled(t, samples) { f, v in sds(f.count) + sds(v.count) + dictEntry }
        }
        var bytes = 0
        h.forEach { f, v in bytes += lpEntry(f) + lpEntry(v) }
        return listpack(bytes)
    }

    static func set(_ s: SetObject, _ samples: Int) -> Int {
        if let t = s.table { return dict(t.count) + sampled(t, samples) { m, _ in dictEntry + sds(m.count) } }
        var width = 2
        for v in s.ints {
            if v < Int64(Int32.min) || v > Int64(Int32.max) {
                width = 8
                break
            }
            if v < Int64(Int16.min) || v > Int64(Int16.max) { width = 4 }
        }
        return sizeClass(8 + s.ints.count * width)
    }

    /// Expected `zmalloc_size` of a skiplist node (24 bytes plus 16 per level; a level is added with p = 1/4).
    static let skiplistNode: Int = {
        var expected = 0.0, p = 0.75
        for level in 1...32 {
            expected += p * Double(sizeClass(24 + 16 * level))
            p *= 0.25
        }
        return Int(expected.rounded())
    }()

    static func zset(_ z: SortedSetObject, _ samples: Int) -> Int {
        let n = z.count
        if z.isListpack {
            var bytes = 0
            for i in 0..<n {
                let e = z.element(at: i)
                bytes += lpEntry(e.member) + lpScore(e.score)
            }
            return listpack(bytes)
        }
        let header = sizeClass(24 + 32 * 16)
        return zsetHeader + zskiplist + dict(n) + header + extrapolate(n, samples) { i in
            sds(z.element(at: i).member.count) + dictEntry + skiplistNode
        }
    }

    /// A quicklist: nodes filled as Redis 7.0 fills them (a node takes an element while its listpack plus the
    /// element plus 8 stays within the size limit of a negative `fill`, or while it has fewer than `fill`
    /// elements), each a 40-byte node plus its listpack; the first `samples` nodes averaged over all nodes. The
    /// nodes are counted by filling them all for lists up to `exactNodeCountLimit` elements, and estimated from the
    /// sampled nodes' density beyond.
    static func list(_ l: ListObject, _ samples: Int, fill: Int) -> Int {
        let n = l.count
        guard n > 0 else { return quicklist }
        let sizeLimit = fill < 0 ? 4096 << min(4, -fill - 1) : 8192
        let wantNodes = samples <= 0 ? Int.max : samples
        var nodes = 0, sampledNodes = 0, sampledBytes = 0, sampledElements = 0
        var nodeBytes = 7, nodeCount = 0
        func close() {
            nodes += 1
            if sampledNodes < wantNodes {
                sampledNodes += 1
                sampledBytes += quicklistNode + sizeClass(nodeBytes)
                sampledElements += nodeCount
            }
            nodeBytes = 7
            nodeCount = 0
        }
        var i = 0
        while i < n {
            if sampledNodes == wantNodes && n > exactNodeCountLimit { break }
            let e = l[i]
            if nodeCount > 0 && !(nodeBytes + e.count + 8 <= sizeLimit && (fill < 0 || nodeCount < fill)) { close() }
            nodeBytes += lpEntry(e)
            nodeCount += 1
            i += 1
        }
        if i == n && nodeCount > 0 { close() }
        let totalNodes = i == n ? nodes : Int((Double(n) * Double(sampledNodes) / Double(sampledElements)).rounded(.up))
        return quicklist + Int(Double(sampledBytes) / Double(sampledNodes) * Double(totalNodes))
    }

    /// Lists longer than this have their quicklist node count estimated rather than counted.
    static let exactNodeCountLimit = 100_000

    /// Redis's streamRadixTreeMemoryUsage: 16 bytes per element, 4 + 240 per node (nodes estimated as a
    /// 128-bit-key radix tree of `elements` keys has them: 2 for one key, 2n + 2 beyond).
    static func radix(_ elements: Int) -> Int {
        let nodes = elements == 0 ? 1 : elements == 1 ? 2 : 2 * elements + 2
        return elements * 16 + nodes * (4 + 240)
    }

    static func streamBytes(_ x: StreamObject, _ samples: Int, _ settings: Settings) -> Int {
        var total = stream + radix(x.nodes.count)
        let last = x.nodes.count - 1
        // A node's listpack; the open (last, not yet full) node keeps XADD's preallocation (4096 bytes, or
        // stream-node-max-bytes when smaller) until the next XADD finds it full, shrinks it and opens a new node —
        // a full last node is still preallocated.
        func node(_ i: Int) -> Int {
            let size = sizeClass(x.nodes[i].lp.count)
            guard i == last else { return size }
            let maxBytes = settings.streamNodeMaxBytes > 0 ? settings.streamNodeMaxBytes : Int.max
            return max(size, sizeClass(min(4096, maxBytes)))
        }
        let k = samples <= 0 ? x.nodes.count : min(samples, x.nodes.count)
        var lp = 0
        for i in 0..<k { lp += node(i) }
        if x.nodes.count <= k {
            total += lp
        } else if k > 0 {
            total += lp / k * last + node(last)
        }
        for (_, g) in x.groups {
            total += streamCG + radix(g.pel.count) + streamNACK * g.pel.count
            for (name, consumer) in g.consumers {
                total += streamConsumer + name.count + radix(consumer.pel.count)
            }
        }
        return total
    }
}
