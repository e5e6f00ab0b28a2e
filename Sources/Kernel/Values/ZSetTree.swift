/// The ordered index of a large sorted set: an order-statistic B+tree of `(score, member)` entries, ordered by
/// score and then by member bytes (memcmp), as Redis orders its skiplist.
///
/// Leaves hold up to `leafCapacity` entries in sorted parallel arrays; inner nodes hold their children, each
/// child's element count, and separators (`members[i]`/`scores[i]` is a lower bound of child `i + 1`, and every
/// entry of child `i` is below it). Insert, delete, rank and access by rank are O(log n); visiting a run of k
/// consecutive ranks is O(log n + k).
///
/// The tree owns its nodes: copying the struct shares them, so use `deepCopy()` for an independent copy.
public struct ZSetTree {
    static let leafCapacity = 64
    static let innerCapacity = 64
    /// A node below this many entries (children, for inner nodes) is merged with or refilled from a sibling.
    static let leafMinimum = 16
    static let innerMinimum = 16

    var root = ZSetTreeNode(leaf: true)
    /// Number of entries.
    public private(set) var count = 0

    public init() {}

    /// The sorted-set order: by score, then by member bytes.
    @inline(__always)
    static func less(_ s1: Double, _ m1: RBytes, _ s2: Double, _ m2: RBytes) -> Bool {
        if s1 < s2 { return true }
        if s1 > s2 { return false }
        return RBytes.compare(m1, m2) < 0
    }

    /// An independent copy (nodes are classes, shared by a plain struct copy).
    public func deepCopy() -> ZSetTree {
        var t = ZSetTree()
        t.root = root.deepCopy()
        t.count = count
        return t
    }

    // MARK: - Queries

    /// The 0-based rank of an entry, or nil if `(score, member)` is not in the tree.
    public func rank(of member: RBytes, score: Double) -> Int? {
        var node = root
        var rank = 0
        while !node.isLeaf {
            let ci = node.upperBound(score, member)
            for j in 0..<ci { rank += node.sizes[j] }
            node = node.children[ci]
        }
        let i = node.lowerBound(score, member)
        guard i < node.members.count, node.scores[i] == score, node.members[i] == member else { return nil }
        return rank + i
    }

    /// The entry at a 0-based rank (which must be below `count`).
    public func element(at rank: Int) -> (member: RBytes, score: Double) {
        precondition(rank >= 0 && rank < count, "rank out of range")
        var node = root
        var r = rank
        while !node.isLeaf {
            var ci = 0
            while r >= node.sizes[ci] {
                r -= node.sizes[ci]
                ci += 1
            }
            node = node.children[ci]
        }
        return (node.members[r], node.scores[r])
    }

    /// How many entries satisfy `isBefore`, a predicate that holds for a prefix of the order (true, then false):
    /// the rank of the first entry for which it fails. Separators are tested too, so the predicate must be
    /// monotone over the whole `(score, member)` order, not only over the stored entries.
    public func countPrefix(where isBefore: (RBytes, Double) -> Bool) -> Int {
        var node = root
        var rank = 0
        while !node.isLeaf {
            let j = node.prefixLength(isBefore)
            for k in 0..<j { rank += node.sizes[k] }
            node = node.children[j]
        }
        return rank + node.prefixLength(isBefore)
    }

    /// Calls `body` for the entries whose ranks are in `range`, in ascending order or, if `reverse`, descending.
    public func forEach(in range: Range<Int>, reverse: Bool = false, _ body: (RBytes, Double) -> Void) {
        let lo = max(0, range.lowerBound), hi = min(count, range.upperBound)
        guard lo < hi else { return }
        Self.visit(root, lo, hi, reverse, body)
    }

    private static func visit(_ node: ZSetTreeNode, _ lo: Int, _ hi: Int, _ reverse: Bool,
                              _ body: (RBytes, Double) -> Void) {
        if node.isLeaf {
            if reverse {
                var i = hi - 1
                while i >= lo {
                    body(node.members[i], node.scores[i])
                    i -= 1
                }
            } else {
                for i in lo..<hi { body(node.members[i], node.scores[i]) }
            }
            return
        }
        if reverse {
            var end = 0
            for s in node.sizes { end += s }
            var ci = node.children.count - 1
            while ci >= 0 {
                let start = end - node.sizes[ci]
                if start < hi && end > lo {
                    visit(node.children[ci], max(lo, start) - start, min(hi, end) - start, true, body)
                }
                if start <= lo { break }
                end = start
                ci -= 1
            }
        } else {
            var start = 0
            for ci in 0..<node.children.count {
                let end = start + node.sizes[ci]
                if end > lo && start < hi {
                    visit(node.children[ci], max(lo, start) - start, min(hi, end) - start, false, body)
                }
                if end >= hi { break }
                start = end
            }
        }
    }

    // MARK: - Insertion

    /// What a node that overflowed hands its parent: the new right sibling and its lower bound.
    struct Split {
        let score: Double
        let member: RBytes
        let right: ZSetTreeNode
    }

    /// Inserts an entry that is not in the tree yet.
    public mutating func insert(_ member: RBytes, score: Double) {
        if let split = Self.insert(member, score, into: root, leftEdge: true, rightEdge: true) {
            let newRoot = ZSetTreeNode(leaf: false)
            newRoot.children = [root, split.right]
            newRoot.sizes = [root.elementCount, split.right.elementCount]
            newRoot.scores = [split.score]
            newRoot.members = [split.member]
            root = newRoot
        }
        count += 1
    }

    /// Where to split a node of `n` items that just received one at `i`. Appending at the right edge of the tree
    /// (or prepending at its left edge) leaves the old node full, so ascending or descending loads pack nodes
    /// completely instead of half.
    @inline(__always)
    static func splitPoint(_ n: Int, insertedAt i: Int, leftEdge: Bool, rightEdge: Bool) -> Int {
        if rightEdge && i == n - 1 { return n - 1 }
        if leftEdge && i == 0 { return 1 }
        return n / 2
    }

    private static func insert(_ m: RBytes, _ s: Double, into node: ZSetTreeNode,
                               leftEdge: Bool, rightEdge: Bool) -> Split? {
        if node.isLeaf {
            let i = node.lowerBound(s, m)
            node.members.insert(m, at: i)
            node.scores.insert(s, at: i)
            let n = node.members.count
            guard n > leafCapacity else { return nil }
            return node.splitLeaf(at: splitPoint(n, insertedAt: i, leftEdge: leftEdge, rightEdge: rightEdge))
        }
        let ci = node.upperBound(s, m)
        node.sizes[ci] += 1
        let last = node.children.count - 1
        guard let split = insert(m, s, into: node.children[ci], leftEdge: leftEdge && ci == 0,
                                 rightEdge: rightEdge && ci == last) else { return nil }
        let moved = split.right.elementCount
        node.sizes[ci] -= moved
        node.children.insert(split.right, at: ci + 1)
        node.sizes.insert(moved, at: ci + 1)
        node.scores.insert(split.score, at: ci)
        node.members.insert(split.member, at: ci)
        let n = node.children.count
        guard n > innerCapacity else { return nil }
        return node.splitInner(at: splitPoint(n, insertedAt: ci + 1, leftEdge: leftEdge, rightEdge: rightEdge))
    }

    // MARK: - Deletion

    /// Removes an entry; false if `(score, member)` was not in the tree.
    @discardableResult
    public mutating func remove(_ member: RBytes, score: Double) -> Bool {
        guard Self.remove(member, score, from: root) else { return false }
        count -= 1
        if !root.isLeaf && root.children.count == 1 { root = root.children[0] }
        return true
    }

    private static func remove(_ m: RBytes, _ s: Double, from node: ZSetTreeNode) -> Bool {
        if node.isLeaf {
            let i = node.lowerBound(s, m)
            guard i < node.members.count, node.scores[i] == s, node.members[i] == m else { return false }
            node.members.remove(at: i)
            node.scores.remove(at: i)
            return true
        }
        let ci = node.upperBound(s, m)
        guard remove(m, s, from: node.children[ci]) else { return false }
        node.sizes[ci] -= 1
        let child = node.children[ci]
        let underflow = child.isLeaf ? child.members.count < leafMinimum : child.children.count < innerMinimum
        if underflow && node.children.count > 1 {
            rebalance(node, left: ci > 0 ? ci - 1 : ci)
        }
        return true
    }

    /// Removes and returns the entry at a 0-based rank (which must be below `count`): one descent by the
    /// children's sizes, no comparisons (ZPOPMIN/ZPOPMAX).
    public mutating func remove(atRank rank: Int) -> (member: RBytes, score: Double) {
        precondition(rank >= 0 && rank < count, "rank out of range")
        let e = Self.remove(atRank: rank, from: root)
        count -= 1
        if !root.isLeaf && root.children.count == 1 { root = root.children[0] }
        return e
    }

    private static func remove(atRank rank: Int, from node: ZSetTreeNode) -> (member: RBytes, score: Double) {
        if node.isLeaf { return (node.members.remove(at: rank), node.scores.remove(at: rank)) }
        var r = rank, ci = 0
        while r >= node.sizes[ci] {
            r -= node.sizes[ci]
            ci += 1
        }
        let child = node.children[ci]
        let e = remove(atRank: r, from: child)
        node.sizes[ci] -= 1
        let underflow = child.isLeaf ? child.members.count < leafMinimum : child.children.count < innerMinimum
        if underflow && node.children.count > 1 {
            rebalance(node, left: ci > 0 ? ci - 1 : ci)
        }
        return e
    }

    /// Merges children `left` and `left + 1` of `parent` if they fit in one node, else shares their items evenly.
    private static func rebalance(_ parent: ZSetTreeNode, left l: Int) {
        let a = parent.children[l], b = parent.children[l + 1]
        if a.isLeaf {
            a.members.append(contentsOf: b.members)
            a.scores.append(contentsOf: b.scores)
            let n = a.members.count
            if n <= leafCapacity {
                parent.removeChild(at: l + 1)
                parent.sizes[l] = n
                return
            }
            let k = n / 2
            b.members = ZSetTreeNode.leafArray(a.members[k...])
            b.scores = ZSetTreeNode.leafArray(a.scores[k...])
            a.members = ZSetTreeNode.leafArray(a.members[..<k])
            a.scores = ZSetTreeNode.leafArray(a.scores[..<k])
            parent.members[l] = b.members[0]
            parent.scores[l] = b.scores[0]
            parent.sizes[l] = k
            parent.sizes[l + 1] = n - k
            return
        }
        // Inner nodes: the parent's separator goes between a's last child and b's first.
        a.members.append(parent.members[l])
        a.scores.append(parent.scores[l])
        a.members.append(contentsOf: b.members)
        a.scores.append(contentsOf: b.scores)
        a.children.append(contentsOf: b.children)
        a.sizes.append(contentsOf: b.sizes)
        let total = parent.sizes[l] + parent.sizes[l + 1]
        let n = a.children.count
        if n <= innerCapacity {
            parent.removeChild(at: l + 1)
            parent.sizes[l] = total
            return
        }
        let k = n / 2
        b.children = Array(a.children[k...])
        b.sizes = Array(a.sizes[k...])
        b.members = Array(a.members[k...])
        b.scores = Array(a.scores[k...])
        parent.members[l] = a.members[k - 1]
        parent.scores[l] = a.scores[k - 1]
        a.children.removeSubrange(k...)
        a.sizes.removeSubrange(k...)
        a.members.removeSubrange((k - 1)...)
        a.scores.removeSubrange((k - 1)...)
        let right = b.sizes.reduce(0, +)
        parent.sizes[l] = total - right
        parent.sizes[l + 1] = right
    }
}

/// A node of `ZSetTree`.
final class ZSetTreeNode {
    /// Leaf: the entries' members, sorted. Inner: separators (`members[i]` bounds child `i + 1` from below).
    var members: [RBytes] = []
    /// Scores matching `members`.
    var scores: [Double] = []
    /// Inner nodes only.
    var children: [ZSetTreeNode] = []
    /// Inner nodes only: the number of entries under each child.
    var sizes: [Int] = []
    let isLeaf: Bool

    init(leaf: Bool) { isLeaf = leaf }

    /// Entries under this node.
    var elementCount: Int { isLeaf ? members.count : sizes.reduce(0, +) }

    /// The first position whose key is not below `(s, m)`.
    @inline(__always)
    func lowerBound(_ s: Double, _ m: RBytes) -> Int {
        var lo = 0, hi = scores.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ZSetTree.less(scores[mid], members[mid], s, m) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The first position whose key is above `(s, m)`; for an inner node, the child that holds `(s, m)`.
    @inline(__always)
    func upperBound(_ s: Double, _ m: RBytes) -> Int {
        var lo = 0, hi = scores.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ZSetTree.less(s, m, scores[mid], members[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The number of leading keys satisfying a prefix predicate.
    @inline(__always)
    func prefixLength(_ isBefore: (RBytes, Double) -> Bool) -> Int {
        var lo = 0, hi = scores.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if isBefore(members[mid], scores[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// A leaf's array holding `items`, with room for a full leaf plus the insertion that splits it, so a leaf
    /// never reallocates (growing by doubling would leave split leaves with twice the memory they need).
    static func leafArray<T>(_ items: ArraySlice<T>) -> [T] {
        var a: [T] = []
        a.reserveCapacity(ZSetTree.leafCapacity + 1)
        a.append(contentsOf: items)
        return a
    }

    /// Moves entries `k...` of a leaf to a new right sibling.
    func splitLeaf(at k: Int) -> ZSetTree.Split {
        let right = ZSetTreeNode(leaf: true)
        right.members = Self.leafArray(members[k...])
        right.scores = Self.leafArray(scores[k...])
        members = Self.leafArray(members[..<k])
        scores = Self.leafArray(scores[..<k])
        return ZSetTree.Split(score: right.scores[0], member: right.members[0], right: right)
    }

    /// Moves children `k...` of an inner node to a new right sibling; separator `k - 1` goes up.
    func splitInner(at k: Int) -> ZSetTree.Split {
        let right = ZSetTreeNode(leaf: false)
        right.children = Array(children[k...])
        right.sizes = Array(sizes[k...])
        right.members = Array(members[k...])
        right.scores = Array(scores[k...])
        let split = ZSetTree.Split(score: scores[k - 1], member: members[k - 1], right: right)
        children.removeSubrange(k...)
        sizes.removeSubrange(k...)
        members.removeSubrange((k - 1)...)
        scores.removeSubrange((k - 1)...)
        return split
    }

    /// Removes child `i` (i >= 1) and the separator in front of it.
    func removeChild(at i: Int) {
        children.remove(at: i)
        sizes.remove(at: i)
        members.remove(at: i - 1)
        scores.remove(at: i - 1)
    }

    /// A copy of this node and everything under it.
    func deepCopy() -> ZSetTreeNode {
        let n = ZSetTreeNode(leaf: isLeaf)
        n.members = members
        n.scores = scores
        n.sizes = sizes
        n.children = children.map { $0.deepCopy() }
        return n
    }
}
