/// MEMORY USAGE's figures for our own structures: the heap blocks a key and its value hold (array buffers by
/// their capacity, out-of-line byte strings, class instances), rounded to the allocator's 16-byte granularity,
/// plus the key's share of the keyspace table. Collections are measured element by element up to `samples`
/// elements and extrapolated beyond, as Redis's `objectComputeSize` does (`samples` 0 = every element).
public enum MemoryUsage {
    /// glibc malloc's block for a request of `n` bytes: 8 bytes of header, 16-byte alignment, 32 at least.
    @inline(__always)
    static func block(_ n: Int) -> Int { n <= 0 ? 0 : max(32, (n + 8 + 15) & ~15) }

    /// Swift's array storage: a 32-byte header then the elements, for the allocated capacity.
    static func arrayBytes<T>(_ a: [T]) -> Int {
        a.capacity == 0 ? 0 : block(32 + a.capacity * MemoryLayout<T>.stride)
    }

    /// Heap bytes of a byte string (short ones live inline, in the 16-byte value itself).
    @inline(__always)
    static func heapBytes(_ b: RBytes) -> Int { b.count <= RBytes.inlineCapacity ? 0 : block(32 + b.count) }

    /// A class instance: 16 bytes of object header plus its stored fields.
    static func instance(_ fields: Int) -> Int { block(16 + fields) }

    /// The key's cost in a keyspace table: its bytes, its slot (key, entry, hash, chain link) and its bucket.
    public static func keyBytes(_ key: RBytes) -> Int {
        heapBytes(key) + MemoryLayout<RBytes>.stride + MemoryLayout<Entry?>.stride + 4 + 4 + 4
    }

    /// Bytes of a value (excluding the key), sampling at most `samples` elements of a collection (0 = all).
    public static func valueBytes(_ v: Value, samples: Int) -> Int {
        switch v {
        case .string(let s): return heapBytes(s)
        case .object(let o):
            if let h = o as? HashObject { return hash(h, samples) }
            if let s = o as? SetObject { return set(s, samples) }
            if let z = o as? SortedSetObject { return zset(z, samples) }
            if let l = o as? ListObject { return list(l, samples) }
            if let x = o as? StreamObject { return stream(x, samples) }
            return instance(16)
        }
    }

    /// Average of `body` over the first `samples` of `n` elements, times `n`.
    static func extrapolate(_ n: Int, _ samples: Int, _ body: (Int) -> Int) -> Int {
        guard n > 0 else { return 0 }
        let k = samples <= 0 ? n : min(n, samples)
        var sum = 0
        for i in 0..<k { sum += body(i) }
        return k == n ? sum : Int(Double(sum) / Double(k) * Double(n))
    }

    static func table<V>(_ t: KeyTable<V>, _ samples: Int, _ valueBytes: (V) -> Int) -> Int {
        let slots = t.allocatedBytes == 0 ? 0 : block(t.allocatedBytes)
        var seen = 0
        var sum = 0
        let k = samples <= 0 ? Int.max : samples
        for i in 0..<t.slotCount where seen < k {
            guard let v = t.values[i] else { continue }
            sum += heapBytes(t.key(at: i)) + valueBytes(v)
            seen += 1
        }
        let elements = seen == 0 ? 0 : (seen == t.count ? sum : Int(Double(sum) / Double(seen) * Double(t.count)))
        return instance(64) + slots + elements
    }

    static func hash(_ h: HashObject, _ samples: Int) -> Int {
        if let t = h.table { return instance(32) + table(t, samples) { heapBytes($0) } }
        let pairs = h.pairs
        return instance(32) + arrayBytes(pairs) + extrapolate(pairs.count, samples) { i in
            heapBytes(pairs[i].field) + heapBytes(pairs[i].value)
        }
    }

    static func set(_ s: SetObject, _ samples: Int) -> Int {
        if let t = s.table { return instance(32) + table(t, samples) { _ in 0 } }
        return instance(32) + arrayBytes(s.ints)
    }

    static func zset(_ z: SortedSetObject, _ samples: Int) -> Int {
        let n = z.count
        let members = extrapolate(n, samples) { i in heapBytes(z.element(at: i).member) }
        if z.isListpack {
            // Two parallel arrays: members and scores.
            let cap = max(n, 1)
            return instance(96) + block(32 + cap * MemoryLayout<RBytes>.stride) + block(32 + cap * 8) + members
        }
        // The member → score table (slot: key, value, hash, link, bucket) and the B-tree's leaves (member and
        // score per element, nodes about 3/4 full).
        let tableBytes = n * (MemoryLayout<RBytes>.stride + MemoryLayout<Double?>.stride + 12) * 4 / 3
        let treeBytes = n * (MemoryLayout<RBytes>.stride + 8) * 4 / 3 + block(64) * (n / 48 + 1)
        return instance(96) + tableBytes + treeBytes + members
    }

    static func list(_ l: ListObject, _ samples: Int) -> Int {
        let n = l.count
        var cap = 8
        while cap < n { cap <<= 1 }
        return instance(40) + block(32 + cap * MemoryLayout<RBytes>.stride) + extrapolate(n, samples) { i in
            heapBytes(l[i])
        }
    }

    static func stream(_ x: StreamObject, _ samples: Int) -> Int {
        var total = instance(128) + arrayBytes(x.nodes)
        for node in x.nodes { total += arrayBytes(node.lp) }
        for (name, g) in x.groups {
            total += heapBytes(name) + instance(64) + g.pel.count * 64 + g.consumers.count * 96
        }
        return total
    }
}
