/// A sorted set: unique members, each with a score, ordered by score and then by member bytes.
///
/// Two encodings, as in Redis 7.0:
/// - `listpack`: sorted parallel arrays of members and scores, for small sets (at most `zset-max-listpack-entries`
///   members of at most `zset-max-listpack-value` bytes). Lookups by member are linear, as in Redis. Like a real
///   listpack, it stores an integral score as an integer, so `-0` reads back as `0`.
/// - `skiplist`: a member → score hash table plus an order-statistic tree (`ZSetTree`) for O(log n) ranks.
///
/// A set converts from listpack to skiplist when an insertion would exceed a limit, and never back, except that
/// commands building a new set (ZUNIONSTORE, ...) may create it compact (`compactIfFits`).
public final class SortedSetObject: RedisObject {
    /// Listpack encoding: members in order.
    private var lpMembers: [RBytes] = []
    /// Listpack encoding: the scores of `lpMembers`.
    private var lpScores: [Double] = []
    /// Skiplist encoding: member → score.
    private var dict = KeyTable<Double>()
    /// Skiplist encoding: the order.
    private var tree = ZSetTree()
    /// Which encoding is in use.
    public private(set) var isListpack: Bool

    /// An empty set in the listpack encoding, or the skiplist one if `skiplist`.
    public init(skiplist: Bool = false) {
        isListpack = !skiplist
    }

    public override var typeName: String { "zset" }
    public override var encodingName: String { isListpack ? "listpack" : "skiplist" }

    public override func copy() -> RedisObject {
        let o = SortedSetObject(skiplist: !isListpack)
        o.lpMembers = lpMembers
        o.lpScores = lpScores
        o.dict = dict
        o.tree = tree.deepCopy()
        return o
    }

    /// Number of members.
    public var count: Int { isListpack ? lpMembers.count : tree.count }

    /// The score a listpack stores for `score` (integral values are stored as integers, which have no `-0`).
    @inline(__always)
    static func listpackValue(_ score: Double) -> Double { score == 0 ? 0 : score }

    // MARK: - Lookup

    /// The score of `member`, or nil if it is not in the set.
    public func score(of member: RBytes) -> Double? {
        if isListpack {
            guard let i = lpMembers.firstIndex(of: member) else { return nil }
            return lpScores[i]
        }
        return dict[member]
    }

    /// The 0-based rank of `member` in ascending order, or nil if it is not in the set.
    public func rank(of member: RBytes) -> Int? {
        if isListpack { return lpMembers.firstIndex(of: member) }
        guard let s = dict[member] else { return nil }
        return tree.rank(of: member, score: s)
    }

    /// The member and score at a 0-based rank (which must be below `count`).
    public func element(at rank: Int) -> (member: RBytes, score: Double) {
        if isListpack { return (lpMembers[rank], lpScores[rank]) }
        return tree.element(at: rank)
    }

    /// Calls `body` for the members whose ranks are in `range` (clamped to the set), ascending or descending.
    public func forEach(in range: Range<Int>, reverse: Bool = false, _ body: (RBytes, Double) -> Void) {
        guard isListpack else {
            tree.forEach(in: range, reverse: reverse, body)
            return
        }
        let lo = max(0, range.lowerBound), hi = min(lpMembers.count, range.upperBound)
        guard lo < hi else { return }
        if reverse {
            var i = hi - 1
            while i >= lo {
                body(lpMembers[i], lpScores[i])
                i -= 1
            }
        } else {
            for i in lo..<hi { body(lpMembers[i], lpScores[i]) }
        }
    }

    /// How many members satisfy `isBefore`, a predicate that holds for a prefix of the set's order: the rank of
    /// the first member for which it fails (see `ZSetTree.countPrefix`).
    public func countPrefix(where isBefore: (RBytes, Double) -> Bool) -> Int {
        guard isListpack else { return tree.countPrefix(where: isBefore) }
        var lo = 0, hi = lpMembers.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if isBefore(lpMembers[mid], lpScores[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// A uniformly chosen member (the set must not be empty).
    public func randomElement() -> (member: RBytes, score: Double) {
        if isListpack {
            let i = Int.random(in: 0..<lpMembers.count)
            return (lpMembers[i], lpScores[i])
        }
        let slot = dict.randomSlot()!
        return (dict.key(at: slot), dict.value(at: slot))
    }

    /// One step of a ZSCAN over a skiplist-encoded set (Redis's reverse-binary cursor over the hash table):
    /// visits the members of the bucket(s) named by `cursor` and returns the next cursor, 0 when done.
    /// A listpack-encoded set is visited whole and returns 0.
    public func scan(cursor: UInt64, _ visit: (RBytes, Double) -> Void) -> UInt64 {
        if isListpack {
            for i in lpMembers.indices { visit(lpMembers[i], lpScores[i]) }
            return 0
        }
        return dict.scan(cursor: cursor) { slot in visit(dict.key(at: slot), dict.value(at: slot)) }
    }

    // MARK: - Mutation

    /// Adds a member that is not in the set. A listpack-encoded set first converts to skiplist if it would
    /// exceed `maxListpackEntries` members or `member` is longer than `maxListpackValue` bytes.
    public func insert(_ member: RBytes, score: Double, maxListpackEntries: Int, maxListpackValue: Int) {
        if isListpack {
            if lpMembers.count + 1 > maxListpackEntries || member.count > maxListpackValue {
                convertToSkiplist()
            } else {
                let s = Self.listpackValue(score)
                let i = listpackInsertionPoint(member, s)
                lpMembers.insert(member, at: i)
                lpScores.insert(s, at: i)
                return
            }
        }
        dict.insertNew(member, score)
        tree.insert(member, score: score)
    }

    /// Changes the score of a member that is in the set with score `old`.
    public func updateScore(_ member: RBytes, from old: Double, to new: Double) {
        if isListpack {
            guard let i = lpMembers.firstIndex(of: member) else { return }
            lpMembers.remove(at: i)
            lpScores.remove(at: i)
            let s = Self.listpackValue(new)
            let j = listpackInsertionPoint(member, s)
            lpMembers.insert(member, at: j)
            lpScores.insert(s, at: j)
            return
        }
        tree.remove(member, score: old)
        tree.insert(member, score: new)
        dict.upsert(member, new)
    }

    /// Removes a member; false if it was not in the set.
    @discardableResult
    public func remove(_ member: RBytes) -> Bool {
        if isListpack {
            guard let i = lpMembers.firstIndex(of: member) else { return false }
            lpMembers.remove(at: i)
            lpScores.remove(at: i)
            return true
        }
        guard let s = dict.remove(member) else { return false }
        tree.remove(member, score: s)
        return true
    }

    /// Removes the members whose ranks are in `range` (clamped to the set); returns how many were removed.
    @discardableResult
    public func removeRange(_ range: Range<Int>) -> Int {
        let lo = max(0, range.lowerBound), hi = min(count, range.upperBound)
        guard lo < hi else { return 0 }
        if isListpack {
            lpMembers.removeSubrange(lo..<hi)
            lpScores.removeSubrange(lo..<hi)
            return hi - lo
        }
        var doomed: [(RBytes, Double)] = []
        doomed.reserveCapacity(hi - lo)
        tree.forEach(in: lo..<hi) { doomed.append(($0, $1)) }
        for (m, s) in doomed {
            dict.remove(m)
            tree.remove(m, score: s)
        }
        return hi - lo
    }

    /// Where `(score, member)` goes in the listpack arrays.
    private func listpackInsertionPoint(_ member: RBytes, _ score: Double) -> Int {
        var lo = 0, hi = lpMembers.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ZSetTree.less(lpScores[mid], lpMembers[mid], score, member) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    // MARK: - Encoding changes

    /// Converts a listpack-encoded set to the skiplist encoding.
    public func convertToSkiplist() {
        guard isListpack else { return }
        dict.reserve(lpMembers.count)
        for i in lpMembers.indices {
            dict.insertNew(lpMembers[i], lpScores[i])
            tree.insert(lpMembers[i], score: lpScores[i])
        }
        lpMembers = []
        lpScores = []
        isListpack = false
    }

    /// Converts a skiplist-encoded set to the listpack encoding if it has at most `maxEntries` members, none
    /// longer than `maxValue` bytes (Redis's `zsetConvertToListpackIfNeeded`, used by the store commands).
    public func compactIfFits(maxEntries: Int, maxValue: Int) {
        guard !isListpack, tree.count <= maxEntries else { return }
        var fits = true
        tree.forEach(in: 0..<tree.count) { m, _ in if m.count > maxValue { fits = false } }
        guard fits else { return }
        var members: [RBytes] = [], scores: [Double] = []
        members.reserveCapacity(tree.count)
        scores.reserveCapacity(tree.count)
        tree.forEach(in: 0..<tree.count) { m, s in
            members.append(m)
            scores.append(Self.listpackValue(s))
        }
        lpMembers = members
        lpScores = scores
        dict = KeyTable()
        tree = ZSetTree()
        isListpack = true
    }
}
