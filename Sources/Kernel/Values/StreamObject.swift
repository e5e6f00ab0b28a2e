/// A stream value (Redis's `OBJ_STREAM`): entries in ID order stored in `StreamNode`s (Redis's listpack nodes),
/// kept in a sorted array keyed by master ID — binary search to a range start (O(log n)), append to the last node
/// (O(1)) — plus the stream metadata of Redis 7.0 and the consumer groups.
public final class StreamObject: RedisObject {
    /// Nodes ordered by master ID.
    public var nodes: [StreamNode] = []
    /// Live entries.
    public var length: Int = 0
    public var lastID = StreamID.zero
    /// First live entry's ID as Redis records it (`recorded-first-entry-id`).
    public var firstID = StreamID.zero
    public var maxDeletedID = StreamID.zero
    public var entriesAdded: UInt64 = 0
    public var groups: [RBytes: StreamGroup] = [:]

    public override init() {}

    public override var typeName: String { "stream" }
    public override var encodingName: String { "stream" }

    public override func copy() -> RedisObject {
        let s = StreamObject()
        s.nodes = nodes
        s.length = length
        s.lastID = lastID
        s.firstID = firstID
        s.maxDeletedID = maxDeletedID
        s.entriesAdded = entriesAdded
        for (name, g) in groups { s.groups[name] = g.copy() }
        return s
    }

    /// Groups in Redis's radix-tree (byte) order.
    public var sortedGroups: [(name: RBytes, group: StreamGroup)] {
        groups.map { ($0.key, $0.value) }.sorted { RBytes.compare($0.name, $1.name) < 0 }
    }

    // MARK: Appending

    /// Appends an entry with `fields` (field, value, ...) at `id`, which the caller checked is past `lastID`.
    /// A node takes the entry unless it reached `maxBytes` (counting the new fields' lengths) or `maxEntries`
    /// (live plus deleted), as Redis's `streamAppendItem` decides.
    public func append(id: StreamID, fields: ArraySlice<RBytes>, maxBytes: Int, maxEntries: Int) {
        var useLast = !nodes.isEmpty
        if useLast {
            var total = 0
            for f in fields { total += f.count }
            let limit = (maxBytes == 0 || maxBytes > 1 << 30) ? 1 << 30 : maxBytes
            let node = nodes[nodes.count - 1]
            if node.lp.count + total >= limit {
                useLast = false
            } else if maxEntries > 0 && node.liveCount + node.deletedCount >= Int64(maxEntries) {
                useLast = false
            }
        }
        if useLast {
            nodes[nodes.count - 1].add(id: id, fields: fields)
        } else {
            // The node being left is full: give back the spare capacity its growth left (up to half of it).
            if let last = nodes.indices.last { nodes[last].lp = Self.exactCopy(nodes[last].lp) }
            nodes.append(StreamNode.make(id: id, fields: fields))
        }
        length += 1
        entriesAdded += 1
        lastID = id
        if length == 1 { firstID = id }
    }

    /// `bytes` in an array whose capacity is its count.
    static func exactCopy(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.capacity > bytes.count else { return bytes }
        return [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
            bytes.withUnsafeBufferPointer { source in
                if let from = source.baseAddress, let to = buffer.baseAddress { to.initialize(from: from, count: source.count) }
            }
            initialized = bytes.count
        }
    }

    // MARK: Lookup and iteration

    /// Index of the last node whose master ID is <= `id`, or -1.
    public func nodeIndex(containing id: StreamID) -> Int {
        var lo = 0, hi = nodes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if nodes[mid].master <= id { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }

    /// The live entry with `id`: its node index and position.
    public func find(_ id: StreamID) -> (node: Int, entry: StreamNode.EntryRef)? {
        let n = nodeIndex(containing: id)
        guard n >= 0 else { return nil }
        var found: StreamNode.EntryRef?
        nodes[n].forEachEntry { e in
            if e.id == id { found = e; return false }
            return e.id < id
        }
        guard let e = found, !e.isDeleted else { return nil }
        return (n, e)
    }

    /// Whether a live entry has `id`.
    public func contains(_ id: StreamID) -> Bool { find(id) != nil }

    /// The field/value pairs of the live entry `id`.
    public func fields(of id: StreamID) -> [(RBytes, RBytes)]? {
        guard let (n, e) = find(id) else { return nil }
        return nodes[n].fields(of: e)
    }

    /// Visits entries with `start <= id <= end` (deleted ones only when `tombstones`), ascending or descending,
    /// until `body` returns false.
    public func forEach(from start: StreamID, to end: StreamID, reverse: Bool = false, tombstones: Bool = false,
                        _ body: (StreamID, StreamNode, StreamNode.EntryRef) -> Bool) {
        guard start <= end, !nodes.isEmpty else { return }
        if !reverse {
            var n = max(0, nodeIndex(containing: start))
            var go = true
            while go && n < nodes.count {
                let node = nodes[n]
                if node.master > end { return }
                node.forEachEntry { e in
                    if e.id < start { return true }
                    if e.id > end { go = false; return false }
                    if e.isDeleted && !tombstones { return true }
                    go = body(e.id, node, e)
                    return go
                }
                n += 1
            }
        } else {
            var n = nodeIndex(containing: end)
            while n >= 0 {
                let node = nodes[n]
                for e in node.entries().reversed() {
                    if e.id > end { continue }
                    if e.id < start { return }
                    if e.isDeleted && !tombstones { continue }
                    if !body(e.id, node, e) { return }
                }
                n -= 1
            }
        }
    }

    /// Redis's `streamGetEdgeID`: the first or last entry's ID (tombstones counted unless skipped); when there is
    /// none, `StreamID.max` for the first and 0-0 for the last.
    public func edgeID(first: Bool, skipTombstones: Bool) -> StreamID {
        var found: StreamID?
        forEach(from: .zero, to: .max, reverse: !first, tombstones: !skipTombstones) { id, _, _ in
            found = id
            return false
        }
        return found ?? (first ? .max : .zero)
    }

    // MARK: Removal

    /// Deletes the live entry `id` (Redis's `streamDeleteItem`); false when there is none.
    @discardableResult
    public func delete(_ id: StreamID) -> Bool {
        guard let (n, e) = find(id) else { return false }
        if !nodes[n].markDeleted(e) { nodes.remove(at: n) }
        length -= 1
        return true
    }

    /// How a trim is bounded.
    public enum TrimStrategy {
        case maxlen(Int64)
        case minid(StreamID)
    }

    /// Redis 7.0's `streamTrim`: removes whole nodes from the head while they are entirely past the threshold,
    /// then (unless `approx`) marks entries of the next node deleted. `limit` (0 = none) caps the entries removed
    /// with whole nodes. Returns the number of entries removed.
    public func trim(_ strategy: TrimStrategy, approx: Bool, limit: Int64) -> Int64 {
        var deleted: Int64 = 0
        while !nodes.isEmpty {
            if case .maxlen(let maxlen) = strategy, Int64(length) <= maxlen { break }
            var node = nodes[0]
            let entries = node.liveCount
            if limit != 0 && deleted + entries > limit { break }
            let removeNode: Bool
            switch strategy {
            case .maxlen(let maxlen): removeNode = Int64(length) - entries >= maxlen
            case .minid(let minid): removeNode = node.lastEntryID() < minid
            }
            if removeNode {
                nodes.removeFirst()
                length -= Int(entries)
                deleted += entries
                continue
            }
            if approx { break }
            var fromNode: Int64 = 0
            var refs: [StreamNode.EntryRef] = []
            node.forEachEntry { e in
                let stop: Bool
                switch strategy {
                case .maxlen(let maxlen): stop = Int64(length) - fromNode <= maxlen
                case .minid(let minid): stop = e.id >= minid
                }
                if stop { return false }
                if !e.isDeleted {
                    refs.append(e)
                    fromNode += 1
                }
                return true
            }
            // Rewrite flags from the back so earlier offsets stay valid.
            for e in refs.reversed() {
                StreamNode.replaceInt(&node.lp, at: e.at, e.flags | StreamNode.flagDeleted)
            }
            length -= Int(fromNode)
            deleted += fromNode
            StreamNode.replaceInt(&node.lp, at: 6, entries - fromNode)
            let delAt = StreamNode.read(node.lp, 6).next
            StreamNode.replaceInt(&node.lp, at: delAt, StreamNode.int(node.lp, delAt).0 + fromNode)
            nodes[0] = node
            break
        }
        if deleted > 0 { firstID = length > 0 ? edgeID(first: true, skipTombstones: true) : .zero }
        return deleted
    }

    // MARK: Consumer-group arithmetic (Redis 7.0)

    /// `streamRangeHasTombstones`: whether an XDEL tombstone may lie in `[start, end]`.
    public func rangeHasTombstones(from start: StreamID?, to end: StreamID? = nil) -> Bool {
        if length == 0 || maxDeletedID.isZero { return false }
        if firstID > maxDeletedID { return false }
        let s = start ?? .zero, e = end ?? .max
        return s <= maxDeletedID && maxDeletedID <= e
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: the logical counter of `id`, or -1 when unknown.
    public func estimateDistance(to id: StreamID) -> Int64 {
        if entriesAdded == 0 { return 0 }
        if length == 0 && id <= lastID { return Int64(bitPattern: entriesAdded) }
        if id == lastID { return Int64(bitPattern: entriesAdded) }
        if id > lastID { return -1 }
        if maxDeletedID.isZero || maxDeletedID < firstID {
            if id < firstID { return Int64(bitPattern: entriesAdded) - Int64(length) }
            if id == firstID { return Int64(bitPattern: entriesAdded) - Int64(length) + 1 }
        }
        return -1
    }

    /// A group's lag as XINFO reports it, nil when it cannot be known.
    public func lag(of g: StreamGroup) -> Int64? {
        if entriesAdded == 0 { return 0 }
        if g.entriesRead != -1 && !rangeHasTombstones(from: g.lastID) {
            return Int64(bitPattern: entriesAdded) - g.entriesRead
        }
        let read = estimateDistance(to: g.lastID)
        return read == -1 ? nil : Int64(bitPattern: entriesAdded) - read
    }

    // MARK: Radix-tree shape

    /// The number of nodes Redis's radix tree would have for these node keys (`radix-tree-nodes`): a head, one
    /// node per branching point and per key, and one compressed node per edge longer than one byte below a
    /// branching point.
    public var radixTreeNodes: Int {
        if nodes.isEmpty { return 1 }
        let keys = nodes.map { $0.master.keyBytes }
        func lcp(_ a: [UInt8], _ b: [UInt8]) -> Int {
            var i = 0
            while i < 16 && a[i] == b[i] { i += 1 }
            return i
        }
        // Nodes of the subtree for keys[lo..<hi] sharing `depth` bytes; returns (count, depth of its top node).
        func count(_ lo: Int, _ hi: Int) -> (Int, Int) {
            if hi - lo == 1 { return (1, 16) }
            let d = lcp(keys[lo], keys[hi - 1])
            var total = 1
            var i = lo
            while i < hi {
                var j = i + 1
                while j < hi && keys[j][d] == keys[i][d] { j += 1 }
                let (c, childDepth) = count(i, j)
                total += c + (childDepth - d >= 2 ? 1 : 0)
                i = j
            }
            return (total, d)
        }
        let (c, top) = count(0, keys.count)
        return c + (top > 0 ? 1 : 0)
    }
}
