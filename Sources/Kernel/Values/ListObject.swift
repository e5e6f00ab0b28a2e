/// A list value, stored as Redis stores it (a quicklist): a sequence of nodes, each a `PackedList` of up to
/// `nodeBytes` bytes of elements. Pushes and pops at both ends touch one node; access by index walks the nodes
/// from the nearer end and then the entries of one node, as in Redis.
///
/// Sequential access by index (`list[i]` for i, i+1, ... or i, i-1, ...) is O(1) per step: the position of the
/// last access is remembered until the next change, so loops over indexes cost what an iterator would.
///
/// Redis 7.0 reports every list's encoding as `quicklist`. Indexes are 0-based from the head; callers resolve
/// negative (from the tail) indexes themselves and pass valid ones.
public final class ListObject: RedisObject {
    /// The nodes, head first; none is empty. Freed by `deinit`.
    private var nodes = ListNodes()
    /// Number of elements.
    public private(set) var count = 0

    /// The byte size a node grows to before a new node starts (Redis's default `list-max-listpack-size -2`).
    static let nodeBytes = 8192

    /// Bytes of entries a node takes before a new node starts: its block (8-byte header and the entries) plus
    /// glibc's 8-byte chunk header then fill one 8,192-byte chunk exactly, as a full Redis listpack fills
    /// jemalloc's 8 KiB size class (entries up to 8,185 bytes there, 8,176 here).
    static let nodeFill = nodeBytes - chunkOverhead

    /// Bytes a node's malloc chunk holds besides its entries: the block's header and glibc's chunk header.
    static let chunkOverhead = PackedBlock.headerBytes + 8

    /// The last position looked up by index: element `index` is entry `offset` of node `node`, whose first
    /// element has index `nodeStart`.
    private final class Cursor {
        var index = -1
        var node = 0
        var nodeStart = 0
        var offset = 0

        func set(index: Int, node: Int, nodeStart: Int, offset: Int) {
            self.index = index
            self.node = node
            self.nodeStart = nodeStart
            self.offset = offset
        }
    }

    /// Allocated at the first access by index (most lists are only pushed and popped).
    private var cursorStorage: Cursor?

    private var cursor: Cursor {
        if let c = cursorStorage { return c }
        let c = Cursor()
        cursorStorage = c
        return c
    }

    /// An empty list.
    public override init() {
        super.init()
    }

    /// A list holding `elements` in order, head first.
    public init<S: Sequence>(_ elements: S) where S.Element == RBytes {
        super.init()
        for e in elements { pushBack(e) }
    }

    deinit {
        nodes.releaseAll()
    }

    public override var typeName: String { "list" }
    public override var encodingName: String { "quicklist" }

    public override func copy() -> RedisObject {
        let l = ListObject()
        l.nodes = nodes.copyAll()
        l.count = count
        return l
    }

    public var isEmpty: Bool { count == 0 }

    /// Bytes of the node table (not the nodes): a one-node list's is one 32-byte malloc chunk.
    var nodeTableBytes: Int { nodes.allocatedBytes }

    /// Number of nodes.
    var nodeCount: Int { nodes.count }

    /// Bytes of entries in node `i` (for memory tests).
    func nodeUsedBytes(_ i: Int) -> Int { nodes[i].endOffset }

    /// Bytes node `i`'s block occupies, header included (`malloc_usable_size`; for memory tests).
    func nodeAllocatedBytes(_ i: Int) -> Int { nodes[i].allocatedBytes }

    /// The element at `index` (0 ..< count).
    public subscript(index: Int) -> RBytes {
        get {
            seek(index)
            return nodes[cursor.node].string(at: cursor.offset)
        }
        set {
            seek(index)
            let (n, o) = (cursor.node, cursor.offset)
            invalidate()
            nodes[n].replace(at: o, with: newValue)
            if nodes[n].endOffset > 2 * ListObject.nodeBytes && nodes[n].count > 1 { split(n) }
        }
    }

    /// The first element, if any.
    public var first: RBytes? { count > 0 ? nodes[0].string(at: 0) : nil }

    /// The last element, if any.
    public var last: RBytes? {
        guard count > 0 else { return nil }
        return nodes[nodes.count - 1].string(at: nodes[nodes.count - 1].lastOffset)
    }

    // MARK: - Ends

    /// Adds `element` before the first one.
    public func pushFront(_ element: RBytes) {
        invalidate()
        let size = PackedList.stringEntrySize(element.count)
        if nodes.isEmpty || !fits(nodes[0], adding: size) {
            nodes.insert(PackedList(), at: 0)
            sealNode(1)
        }
        grow(0, by: size)
        nodes[0].insert(element, at: 0)
        count += 1
    }

    /// Adds `element` after the last one.
    public func pushBack(_ element: RBytes) {
        invalidate()
        let size = PackedList.stringEntrySize(element.count)
        if nodes.isEmpty || !fits(nodes[nodes.count - 1], adding: size) {
            sealNode(nodes.count - 1)
            nodes.append(PackedList())
        }
        grow(nodes.count - 1, by: size)
        nodes[nodes.count - 1].append(element)
        count += 1
    }

    /// Adds `elements` after the last one, in order (RPUSH of several elements). The run that goes into one node
    /// is measured first and the node grown once for it (`reserve(_:toHold:adding:)`).
    public func pushBack(contentsOf elements: ArraySlice<RBytes>) {
        if elements.count == 1 { return pushBack(elements[elements.startIndex]) }
        var i = elements.startIndex
        while i != elements.endIndex {
            invalidate()
            if nodes.isEmpty || !fits(nodes[nodes.count - 1], adding: PackedList.stringEntrySize(elements[i].count)) {
                sealNode(nodes.count - 1)
                nodes.append(PackedList())
            }
            let t = nodes.count - 1
            let (end, bytes) = run(of: elements, from: i, into: nodes[t])
            reserve(t, toHold: nodes[t].endOffset + bytes, adding: bytes)
            while i != end {
                nodes[t].append(elements[i])
                count += 1
                i += 1
            }
        }
    }

    /// Adds `elements` before the first one, one after another (LPUSH of several elements: the last ends up
    /// first), growing the head node once for each run that goes into it.
    public func pushFront(contentsOf elements: ArraySlice<RBytes>) {
        if elements.count == 1 { return pushFront(elements[elements.startIndex]) }
        var i = elements.startIndex
        while i != elements.endIndex {
            invalidate()
            if nodes.isEmpty || !fits(nodes[0], adding: PackedList.stringEntrySize(elements[i].count)) {
                nodes.insert(PackedList(), at: 0)
                sealNode(1)
            }
            let (end, bytes) = run(of: elements, from: i, into: nodes[0])
            reserve(0, toHold: nodes[0].endOffset + bytes, adding: bytes)
            while i != end {
                nodes[0].insert(elements[i], at: 0)
                count += 1
                i += 1
            }
        }
    }

    /// Gives back the spare capacity of the tail node (after a load, where no push follows soon).
    public func trimTail() {
        sealNode(nodes.count - 1)
    }

    /// Removes and returns the first element.
    @discardableResult
    public func popFront() -> RBytes? {
        guard let element = first else { return nil }
        removeFirst(1)
        return element
    }

    /// Removes and returns the last element.
    @discardableResult
    public func popBack() -> RBytes? {
        guard let element = last else { return nil }
        removeLast(1)
        return element
    }

    /// Removes the first `n` elements (all of them when `n >= count`).
    public func removeFirst(_ n: Int) {
        var n = Swift.min(Swift.max(n, 0), count)
        guard n > 0 else { return }
        invalidate()
        count -= n
        var whole = 0
        while whole < nodes.count && nodes[whole].count <= n {
            n -= nodes[whole].count
            whole += 1
        }
        if whole > 0 {
            for i in 0..<whole { nodes[i].release() }
            nodes.removeSubrange(0..<whole)
        }
        if n > 0 { nodes[0].remove(at: 0, entries: n) }
    }

    /// Removes the last `n` elements (all of them when `n >= count`).
    public func removeLast(_ n: Int) {
        var n = Swift.min(Swift.max(n, 0), count)
        guard n > 0 else { return }
        invalidate()
        count -= n
        while let tail = nodes.last, tail.count <= n {
            n -= tail.count
            nodes[nodes.count - 1].release()
            nodes.removeLast()
        }
        if n > 0 {
            let t = nodes.count - 1
            var o = nodes[t].endOffset
            for _ in 0..<n { o = nodes[t].offset(before: o) }
            nodes[t].remove(at: o, entries: n)
        }
    }

    // MARK: - Middle

    /// Inserts `element` so that it ends up at `index` (0 ... count).
    public func insert(_ element: RBytes, at index: Int) {
        if index == 0 { return pushFront(element) }
        if index == count { return pushBack(element) }
        seek(index)
        let (n, o) = (cursor.node, cursor.offset)
        invalidate()
        grow(n, by: PackedList.stringEntrySize(element.count))
        nodes[n].insert(element, at: o)
        count += 1
        if nodes[n].endOffset > 2 * ListObject.nodeBytes { split(n) }
    }

    /// Removes the element at `index` (0 ..< count).
    public func remove(at index: Int) {
        seek(index)
        let (n, o) = (cursor.node, cursor.offset)
        invalidate()
        nodes[n].remove(at: o)
        count -= 1
        if nodes[n].isEmpty { nodes.remove(at: n) }
    }

    /// Removes elements equal to `element`, at most `limit` of them (0 = all), scanning from the tail when
    /// `fromTail`. Returns how many were removed.
    public func removeAll(equalTo element: RBytes, limit: UInt64, fromTail: Bool) -> Int {
        var removed: UInt64 = 0
        var n = fromTail ? nodes.count - 1 : 0
        while n >= 0 && n < nodes.count && (limit == 0 || removed < limit) {
            // Offsets of the matches in this node, in scan order.
            var matches: [Int] = []
            var o = 0
            let end = nodes[n].endOffset
            while o < end {
                if nodes[n].entry(at: o, equals: element) { matches.append(o) }
                o = nodes[n].offset(after: o)
            }
            if fromTail { matches.reverse() }
            if limit != 0 { matches = Array(matches.prefix(Int(Swift.min(limit - removed, UInt64(Int.max))))) }
            // Remove back to front so earlier offsets stay valid.
            for o in matches.sorted(by: >) { nodes[n].remove(at: o) }
            removed += UInt64(matches.count)
            if nodes[n].isEmpty {
                nodes.remove(at: n)
                if !fromTail { n -= 1 }
            }
            n += fromTail ? -1 : 1
        }
        if removed > 0 {
            invalidate()
            count -= Int(removed)
        }
        return Int(removed)
    }

    /// The index of the first element equal to `element`.
    public func firstIndex(of element: RBytes) -> Int? {
        var base = 0
        for n in nodes.indices {
            let node = nodes[n]
            if let o = node.firstOffset(of: element) {
                var i = 0, p = 0
                while p < o {
                    p = node.offset(after: p)
                    i += 1
                }
                return base + i
            }
            base += node.count
        }
        return nil
    }

    /// Calls `body` with the elements whose indexes are in `range` (clamped to the list), head to tail.
    public func forEach(in range: Range<Int>, _ body: (RBytes) -> Void) {
        let lo = Swift.max(0, range.lowerBound), hi = Swift.min(count, range.upperBound)
        guard lo < hi else { return }
        seek(lo)
        var n = cursor.node, o = cursor.offset, left = hi - lo
        while left > 0 {
            let end = nodes[n].endOffset
            while o < end && left > 0 {
                body(nodes[n].string(at: o))
                o = nodes[n].offset(after: o)
                left -= 1
            }
            n += 1
            o = 0
        }
    }

    // MARK: - Nodes

    /// Whether `node` can take an entry of `size` bytes without passing the node fill (an empty node always can).
    @inline(__always)
    private func fits(_ node: PackedList, adding size: Int) -> Bool {
        node.isEmpty || (node.endOffset + size <= ListObject.nodeFill && node.count < 65535)
    }

    /// How many of `elements` from `start` join `node` (at least one: the caller made sure the first fits), as
    /// the index past the last of them and the bytes they add.
    private func run(of elements: ArraySlice<RBytes>, from start: Int, into node: PackedList) -> (end: Int, bytes: Int) {
        var used = node.endOffset, entries = node.count, bytes = 0
        var j = start
        repeat {
            let size = PackedList.stringEntrySize(elements[j].count)
            if entries > 0 && !(used + size <= ListObject.nodeFill && entries < 65535) { break }
            used += size
            bytes += size
            entries += 1
            j += 1
        } while j != elements.endIndex
        return (j, bytes)
    }

    /// Makes room in node `n` for `size` more bytes (one element), through the capacity classes.
    @inline(__always)
    private func grow(_ n: Int, by size: Int) {
        let needed = nodes[n].endOffset + size
        if nodes[n].capacity < needed { nodes[n].reserveExactly(ListObject.capacityClass(needed)) }
    }

    /// Makes room in node `n` for `needed` bytes in all, `added` of them new (a run of elements pushed together).
    /// A run that brings at least an eighth of the node's bytes gets exactly the room it needs (to glibc's 16
    /// bytes), so a list loaded by multi-element pushes keeps no spare capacity in its tail node and each copy of
    /// the node is paid for by at least an eighth of its bytes being new; a smaller run grows the node through the
    /// capacity classes, as single pushes do.
    @inline(__always)
    private func reserve(_ n: Int, toHold needed: Int, adding added: Int) {
        guard nodes[n].capacity < needed else { return }
        nodes[n].reserveExactly(added * 8 >= needed ? needed : ListObject.capacityClass(needed))
    }

    /// The capacity a node needing `needed` bytes grows to: the block (8-byte header and the capacity) plus glibc's
    /// 8-byte chunk header fill a whole malloc chunk from a grid like jemalloc's size classes (16-byte steps up to
    /// 256 bytes, then four classes per power of two: 320, 384, 448, 512, 640, ... 8,192), capped at the node
    /// fill. Growing by classes bounds both the copies (a realloc only when a class is passed) and the spare
    /// room (under a quarter, as Redis's listpacks get from jemalloc); a full node's chunk is 8,192 bytes.
    static func capacityClass(_ needed: Int) -> Int {
        let overhead = chunkOverhead
        if needed >= nodeFill { return needed }
        let chunk = needed + overhead
        if chunk <= 256 { return (chunk + 15) & ~15 - overhead }
        let step = 1 << (Int.bitWidth - (chunk - 1).leadingZeroBitCount - 3)   // a quarter of the power of two below
        return Swift.min((chunk + step - 1) & ~(step - 1) - overhead, nodeFill)
    }

    /// Gives back the spare capacity of a node no longer at the growing end.
    private func sealNode(_ n: Int) {
        guard n >= 0 && n < nodes.count else { return }
        nodes[n].trimCapacity()
    }

    /// Splits an oversized node (grown by inserts in the middle) in two.
    private func split(_ n: Int) {
        let half = nodes[n].count / 2
        let cut = offset(ofEntry: half, in: n)
        var tail = PackedList()
        var o = cut
        let end = nodes[n].endOffset
        while o < end {
            tail.append(nodes[n].string(at: o))
            o = nodes[n].offset(after: o)
        }
        nodes[n].remove(at: cut, entries: nodes[n].count - half)
        nodes[n].trimCapacity()
        nodes.insert(tail, at: n + 1)
    }

    /// Byte offset of entry `i` of node `n`.
    private func offset(ofEntry i: Int, in n: Int) -> Int {
        var o = 0
        for _ in 0..<i { o = nodes[n].offset(after: o) }
        return o
    }

    private func invalidate() { cursorStorage?.index = -1 }

    /// Points `cursor` at element `index`, stepping from the last position when it is adjacent.
    private func seek(_ index: Int) {
        let c = cursor
        if c.index >= 0 {
            if index == c.index { return }
            if index == c.index + 1 {
                let next = nodes[c.node].offset(after: c.offset)
                if next < nodes[c.node].endOffset {
                    c.index = index
                    c.offset = next
                } else {
                    c.set(index: index, node: c.node + 1, nodeStart: index, offset: 0)
                }
                return
            }
            if index == c.index - 1 {
                if index >= c.nodeStart {
                    c.index = index
                    c.offset = nodes[c.node].offset(before: c.offset)
                } else {
                    let n = c.node - 1
                    c.set(index: index, node: n, nodeStart: index - nodes[n].count + 1, offset: nodes[n].lastOffset)
                }
                return
            }
        }
        // Walk the nodes from the nearer end, then the entries of one node from its nearer end.
        var n: Int, start: Int
        if index < count / 2 {
            n = 0
            start = 0
            while start + nodes[n].count <= index {
                start += nodes[n].count
                n += 1
            }
        } else {
            n = nodes.count - 1
            start = count - nodes[n].count
            while start > index {
                n -= 1
                start -= nodes[n].count
            }
        }
        let i = index - start
        var o: Int
        if i > nodes[n].count / 2 {
            o = nodes[n].endOffset
            for _ in i..<nodes[n].count { o = nodes[n].offset(before: o) }
        } else {
            o = offset(ofEntry: i, in: n)
        }
        c.set(index: index, node: n, nodeStart: start, offset: o)
    }
}

extension ListObject: Sequence {
    /// Iterates the elements from head to tail.
    public struct Iterator: IteratorProtocol {
        let list: ListObject
        var node = 0
        var offset = 0

        public mutating func next() -> RBytes? {
            let nodes = list.nodes
            while node < nodes.count {
                if offset < nodes[node].endOffset {
                    let e = nodes[node].string(at: offset)
                    offset = nodes[node].offset(after: offset)
                    return e
                }
                node += 1
                offset = 0
            }
            return nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(list: self) }

    public var underestimatedCount: Int { count }
}
