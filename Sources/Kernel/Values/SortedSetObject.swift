/// A sorted set: unique members, each with a score, ordered by score and then by member bytes.
///
/// Two encodings, as in Redis 7.0:
/// - `listpack`: members and scores alternating in one `PackedPairs` buffer, in order, for small sets (at most
///   `zset-max-listpack-entries` members of at most `zset-max-listpack-value` bytes). Lookups are linear, as in
///   Redis. Like a real listpack, it stores an integral score as an integer, so `-0` reads back as `0`.
/// - `skiplist`: a member → score hash table plus an order-statistic tree (`ZSetTree`) for O(log n) ranks.
///
/// A set converts from listpack to skiplist when an insertion would exceed a limit, and never back, except that
/// commands building a new set (ZUNIONSTORE, ...) may create it compact (`compactIfFits`).
public final class SortedSetObject: RedisObject {
    /// Listpack encoding: member, score, member, score, ... in order. Skiplist encoding: its block is a
    /// `TableBox` of the `Skiplist` (the object's only stored word).
    private var packed = PackedPairs()

    /// The skiplist encoding's two structures.
    struct Skiplist {
        /// Member → score.
        var dict = KeyTable<Double>()
        /// The order.
        var tree = ZSetTree()
    }

    typealias Box = TableBox<Skiplist>

    /// The boxed skiplist encoding (skiplist encoding only).
    private var skiplist: UnsafeMutablePointer<Skiplist> { Box.pointer(packed.block!) }

    /// Skiplist encoding: member → score (mutated in place in the box).
    private var dict: KeyTable<Double> {
        get { skiplist.pointee.dict }
        _modify { yield &skiplist.pointee.dict }
    }

    /// Skiplist encoding: the order (nil while listpack-encoded; a copy sharing the nodes, for reading).
    private var tree: ZSetTree? { isListpack ? nil : skiplist.pointee.tree }

    /// An empty set in the listpack encoding, or the skiplist one if `skiplist`.
    public init(skiplist: Bool = false) {
        if skiplist { packed.block = Box.make(Skiplist()) }
    }

    /// A listpack sorted set over `block` (a `PackedValue`'s), which it now owns.
    init(adopting block: UnsafeMutableRawPointer) {
        super.init()
        packed.block = block
    }

    /// Takes `block` as its content (an emptied object from the pool).
    func adopt(_ block: UnsafeMutableRawPointer) { packed.block = block }

    public override func detachPacked() -> PackedValue? {
        guard isListpack, let b = packed.block else { return nil }
        packed.block = nil
        return PackedValue(block: b, kind: .zset)
    }

    deinit {
        if isListpack { packed.release() } else { Box.destroy(packed.block!) }
    }

    /// Which encoding is in use.
    public var isListpack: Bool { !Box.isBox(packed.block) }

    public override var typeName: String { "zset" }
    public override var encodingName: String { isListpack ? "listpack" : "skiplist" }

    public override func copy() -> RedisObject {
        let o = SortedSetObject()
        if isListpack {
            o.packed = packed.copy()
        } else {
            o.packed.block = Box.make(Skiplist(dict: dict, tree: skiplist.pointee.tree.deepCopy()))
        }
        return o
    }

    /// Number of members.
    public var count: Int { isListpack ? packed.count / 2 : skiplist.pointee.tree.count }

    /// The score a listpack stores for `score` (integral values are stored as integers, which have no `-0`).
    @inline(__always)
    static func listpackValue(_ score: Double) -> Double { score == 0 ? 0 : score }

    // MARK: - Listpack walking

    /// Offset of the pair at `rank` (or `endOffset` when `rank == count`).
    private func packedOffset(ofRank rank: Int) -> Int {
        var o = packed.startOffset
        for _ in 0..<(2 * rank) { o = packed.offset(after: o) }
        return o
    }

    /// Offset and rank of `member`'s pair, if present.
    private func packedFind(_ member: RBytes) -> (offset: Int, rank: Int)? {
        var o = packed.startOffset, rank = 0
        let end = packed.endOffset
        while o < end {
            if packed.entry(at: o, equals: member) { return (o, rank) }
            o = packed.offset(after: packed.offset(after: o))
            rank += 1
        }
        return nil
    }

    /// The pair at offset `o`, and the offset of the next pair.
    @inline(__always)
    private func packedPair(at o: Int) -> (member: RBytes, score: Double, next: Int) {
        let scoreOffset = packed.offset(after: o)
        return (packed.string(at: o), packed.number(at: scoreOffset), packed.offset(after: scoreOffset))
    }

    /// Where `(score, member)` goes in the listpack.
    private func packedInsertionPoint(_ member: RBytes, _ score: Double) -> Int {
        var o = packed.startOffset
        let end = packed.endOffset
        while o < end {
            let scoreOffset = packed.offset(after: o)
            let s = packed.number(at: scoreOffset)
            if s > score || (s == score && RBytes.compare(packed.string(at: o), member) >= 0) { return o }
            o = packed.offset(after: scoreOffset)
        }
        return o
    }

    private func packedInsert(_ member: RBytes, _ score: Double) {
        let s = Self.listpackValue(score)
        let o = packedInsertionPoint(member, s)
        packed.insert(member, at: o)
        packed.insert(number: s, at: packed.offset(after: o))
    }

    // MARK: - Lookup

    /// The score of `member`, or nil if it is not in the set.
    public func score(of member: RBytes) -> Double? {
        guard !isListpack else {
            return packed.firstOffset(of: member, stride: 2).map { packed.number(at: packed.offset(after: $0)) }
        }
        return dict[member]
    }

    /// Where a member is, from `find(_:)`: its pair's offset (listpack) or its hash table slot (skiplist). Valid
    /// until the set changes.
    public struct MemberPosition {
        let index: Int
    }

    /// The score of `member` and where it is (for `updateScore(_:at:from:to:)`), or nil if it is not in the set:
    /// ZADD's update finds the member once.
    public func find(_ member: RBytes) -> (score: Double, position: MemberPosition)? {
        guard !isListpack else {
            guard let o = packed.firstOffset(of: member, stride: 2) else { return nil }
            return (packed.number(at: packed.offset(after: o)), MemberPosition(index: o))
        }
        let d = skiplist
        guard let slot = d.pointee.dict.find(member) else { return nil }
        return (d.pointee.dict.value(at: slot), MemberPosition(index: slot))
    }

    /// The 0-based rank of `member` in ascending order, or nil if it is not in the set.
    public func rank(of member: RBytes) -> Int? {
        guard let tree else { return packedFind(member)?.rank }
        guard let s = dict[member] else { return nil }
        return tree.rank(of: member, score: s)
    }

    /// The member and score at a 0-based rank (which must be below `count`).
    public func element(at rank: Int) -> (member: RBytes, score: Double) {
        guard let tree else {
            let p = packedPair(at: packedOffset(ofRank: rank))
            return (p.member, p.score)
        }
        return tree.element(at: rank)
    }

    /// Calls `body` for the members whose ranks are in `range` (clamped to the set), ascending or descending.
    public func forEach(in range: Range<Int>, reverse: Bool = false, _ body: (RBytes, Double) -> Void) {
        if let tree {
            tree.forEach(in: range, reverse: reverse, body)
            return
        }
        let lo = max(0, range.lowerBound), hi = min(count, range.upperBound)
        guard lo < hi else { return }
        var o = packedOffset(ofRank: lo)
        if reverse {
            var offsets: [Int] = []
            offsets.reserveCapacity(hi - lo)
            for _ in lo..<hi {
                offsets.append(o)
                o = packed.offset(after: packed.offset(after: o))
            }
            for o in offsets.reversed() {
                let p = packedPair(at: o)
                body(p.member, p.score)
            }
        } else {
            for _ in lo..<hi {
                let p = packedPair(at: o)
                body(p.member, p.score)
                o = p.next
            }
        }
    }

    /// How many members satisfy `isBefore`, a predicate that holds for a prefix of the set's order: the rank of
    /// the first member for which it fails (see `ZSetTree.countPrefix`).
    public func countPrefix(where isBefore: (RBytes, Double) -> Bool) -> Int {
        if let tree { return tree.countPrefix(where: isBefore) }
        var o = packed.startOffset, n = 0
        let end = packed.endOffset
        while o < end {
            let p = packedPair(at: o)
            if !isBefore(p.member, p.score) { break }
            n += 1
            o = p.next
        }
        return n
    }

    /// A uniformly chosen member (the set must not be empty).
    public func randomElement() -> (member: RBytes, score: Double) {
        if isListpack { return element(at: FastRandom.int(in: 0..<count)) }
        let slot = dict.randomSlot()!
        return (dict.key(at: slot), dict.value(at: slot))
    }

    /// One step of a ZSCAN over a skiplist-encoded set (Redis's reverse-binary cursor over the hash table):
    /// visits the members of the bucket(s) named by `cursor` and returns the next cursor, 0 when done.
    /// A listpack-encoded set is visited whole and returns 0.
    public func scan(cursor: UInt64, _ visit: (RBytes, Double) -> Void) -> UInt64 {
        if isListpack {
            forEach(in: 0..<count, visit)
            return 0
        }
        return dict.scan(cursor: cursor) { slot in visit(dict.key(at: slot), dict.value(at: slot)) }
    }

    // MARK: - Mutation

    /// Adds a member that is not in the set. A listpack-encoded set first converts to skiplist if it would
    /// exceed `maxListpackEntries` members or `member` is longer than `maxListpackValue` bytes.
    public func insert(_ member: RBytes, score: Double, maxListpackEntries: Int, maxListpackValue: Int) {
        if isListpack {
            if count + 1 > maxListpackEntries || member.count > maxListpackValue {
                convertToSkiplist()
            } else {
                packedInsert(member, score)
                return
            }
        }
        dict.insertNew(member, score)
        skiplist.pointee.tree.insert(member, score: score)
    }

    /// Changes the score of a member that is in the set with score `old`.
    public func updateScore(_ member: RBytes, from old: Double, to new: Double) {
        guard let found = find(member) else { return }
        updateScore(member, at: found.position, from: old, to: new)
    }

    /// Changes the score of a member that `find(_:)` found at `position` with score `old` (no change since).
    public func updateScore(_ member: RBytes, at position: MemberPosition, from old: Double, to new: Double) {
        if isListpack {
            packed.remove(at: position.index, entries: 2)
            packedInsert(member, new)
            return
        }
        let d = skiplist
        d.pointee.tree.remove(member, score: old)
        d.pointee.tree.insert(member, score: new)
        d.pointee.dict.setValue(new, at: position.index)
    }

    /// Removes a member; false if it was not in the set.
    @discardableResult
    public func remove(_ member: RBytes) -> Bool {
        if isListpack {
            guard let o = packed.firstOffset(of: member, stride: 2) else { return false }
            packed.remove(at: o, entries: 2)
            return true
        }
        guard let s = dict.remove(member) else { return false }
        skiplist.pointee.tree.remove(member, score: s)
        return true
    }

    /// Removes the members whose ranks are in `range` (clamped to the set); returns how many were removed.
    @discardableResult
    public func removeRange(_ range: Range<Int>) -> Int {
        let lo = max(0, range.lowerBound), hi = min(count, range.upperBound)
        guard lo < hi else { return 0 }
        if isListpack {
            packed.remove(at: packedOffset(ofRank: lo), entries: 2 * (hi - lo))
            return hi - lo
        }
        if hi - lo == 1 {
            // ZPOPMIN/ZPOPMAX's single pop: no list of the doomed members.
            let d = skiplist
            let m = d.pointee.tree.remove(atRank: lo).member
            d.pointee.dict.remove(m)
            return 1
        }
        var doomed: [(RBytes, Double)] = []
        doomed.reserveCapacity(hi - lo)
        skiplist.pointee.tree.forEach(in: lo..<hi) { doomed.append(($0, $1)) }
        for (m, s) in doomed {
            dict.remove(m)
            skiplist.pointee.tree.remove(m, score: s)
        }
        return hi - lo
    }

    // MARK: - Encoding changes

    /// Converts a listpack-encoded set to the skiplist encoding.
    public func convertToSkiplist() {
        guard isListpack else { return }
        var sk = Skiplist()
        sk.dict.reserve(count)
        forEach(in: 0..<count) { m, s in
            sk.dict.insertNew(m, s)
            sk.tree.insert(m, score: s)
        }
        packed.removeAll()
        packed.block = Box.make(sk)
    }

    /// Converts a skiplist-encoded set to the listpack encoding if it has at most `maxEntries` members, none
    /// longer than `maxValue` bytes (Redis's `zsetConvertToListpackIfNeeded`, used by the store commands).
    public func compactIfFits(maxEntries: Int, maxValue: Int) {
        guard let tree, tree.count <= maxEntries else { return }
        var fits = true
        tree.forEach(in: 0..<tree.count) { m, _ in if m.count > maxValue { fits = false } }
        guard fits else { return }
        var p = PackedPairs()
        tree.forEach(in: 0..<tree.count) { m, s in
            p.append(m)
            p.append(number: Self.listpackValue(s))
        }
        Box.destroy(packed.block!)
        packed = p
    }
}
