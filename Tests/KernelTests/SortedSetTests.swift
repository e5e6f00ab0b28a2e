import Testing
@testable import Kernel

/// A naive model: a sorted array of (score, member).
private struct Model {
    var entries: [(member: RBytes, score: Double)] = []

    static func less(_ a: (member: RBytes, score: Double), _ b: (member: RBytes, score: Double)) -> Bool {
        a.score != b.score ? a.score < b.score : a.member < b.member
    }

    mutating func insert(_ m: RBytes, _ s: Double) {
        let i = entries.firstIndex { !Self.less($0, (m, s)) } ?? entries.count
        entries.insert((m, s), at: i)
    }

    mutating func remove(_ m: RBytes) -> Double? {
        guard let i = entries.firstIndex(where: { $0.member == m }) else { return nil }
        return entries.remove(at: i).score
    }

    func score(_ m: RBytes) -> Double? { entries.first { $0.member == m }?.score }
}

/// Checks the B+tree's structure: sorted entries, correct subtree counts, separators bounding their children,
/// all leaves at one depth. Returns the entries in order.
private func validate(_ tree: ZSetTree) -> [(RBytes, Double)] {
    var out: [(RBytes, Double)] = []
    var leafDepths = Set<Int>()
    func walk(_ n: ZSetTreeNode, depth: Int, lower: (Double, RBytes)?, upper: (Double, RBytes)?) -> Int {
        if n.isLeaf {
            leafDepths.insert(depth)
            #expect(n.members.count == n.scores.count)
            #expect(n.members.count <= ZSetTree.leafCapacity)
            for i in n.members.indices {
                if let lower { #expect(!ZSetTree.less(n.scores[i], n.members[i], lower.0, lower.1)) }
                if let upper { #expect(ZSetTree.less(n.scores[i], n.members[i], upper.0, upper.1)) }
                out.append((n.members[i], n.scores[i]))
            }
            return n.members.count
        }
        #expect(n.children.count == n.sizes.count)
        #expect(n.members.count == n.children.count - 1)
        #expect(n.children.count <= ZSetTree.innerCapacity)
        var total = 0
        for (i, child) in n.children.enumerated() {
            let lo = i == 0 ? lower : (n.scores[i - 1], n.members[i - 1])
            let hi = i == n.children.count - 1 ? upper : (n.scores[i], n.members[i])
            let size = walk(child, depth: depth + 1, lower: lo, upper: hi)
            #expect(size == n.sizes[i])
            total += size
        }
        return total
    }
    let n = walk(tree.root, depth: 0, lower: nil, upper: nil)
    #expect(n == tree.count)
    #expect(leafDepths.count <= 1)
    for i in out.indices.dropFirst() {
        #expect(ZSetTree.less(out[i - 1].1, out[i - 1].0, out[i].1, out[i].0))
    }
    return out
}

private func sameEntries(_ a: [(RBytes, Double)], _ b: [(member: RBytes, score: Double)]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.member && $0.1 == $1.score }
}

/// A small deterministic generator (SplitMix64), so failures replay.
private struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("ZSetTree")
struct ZSetTreeTests {
    @Test("ascending inserts: ranks, access by rank and full order")
    func ascending() {
        var t = ZSetTree()
        for i in 0..<10_000 { t.insert(RBytes("m\(i)"), score: Double(i)) }
        #expect(t.count == 10_000)
        for i in stride(from: 0, to: 10_000, by: 97) {
            #expect(t.rank(of: RBytes("m\(i)"), score: Double(i)) == i)
            #expect(t.element(at: i).member == RBytes("m\(i)"))
        }
        #expect(t.rank(of: "m5", score: 6) == nil)
        #expect(validate(t).count == 10_000)
    }

    @Test("descending inserts keep the tree valid")
    func descending() {
        var t = ZSetTree()
        for i in (0..<5000).reversed() { t.insert(RBytes("m\(i)"), score: Double(i)) }
        let all = validate(t)
        #expect(all.first?.1 == 0 && all.last?.1 == 4999)
    }

    @Test("equal scores order by member bytes")
    func equalScores() {
        var t = ZSetTree()
        for m in ["b", "a", "c", "", "ab", "\u{0}"] { t.insert(RBytes(m), score: 1) }
        t.insert("z", score: 0)
        let order = validate(t).map { $0.0.string }
        #expect(order == ["z", "", "\u{0}", "a", "ab", "b", "c"])
        #expect(t.rank(of: "ab", score: 1) == 4)
    }

    @Test("forEach visits a rank range in both directions")
    func rangeVisit() {
        var t = ZSetTree()
        for i in 0..<3000 { t.insert(RBytes("m\(i)"), score: Double(i % 100)) }
        let all = validate(t)
        for (lo, hi) in [(0, 3000), (5, 6), (100, 2500), (2990, 3000), (10, 10), (-5, 20), (2995, 4000)] {
            var forward: [RBytes] = []
            t.forEach(in: lo..<max(lo, hi)) { m, _ in forward.append(m) }
            let expected = all[max(0, lo)..<min(3000, max(lo, hi))].map { $0.0 }
            #expect(forward == Array(expected))
            var backward: [RBytes] = []
            t.forEach(in: lo..<max(lo, hi), reverse: true) { m, _ in backward.append(m) }
            #expect(backward == Array(expected.reversed()))
        }
    }

    @Test("countPrefix finds score and member bounds")
    func countPrefix() {
        var t = ZSetTree()
        for i in 0..<2000 { t.insert(RBytes("m\(i)"), score: Double(i / 10)) }
        #expect(t.countPrefix { _, s in s < 50 } == 500)
        #expect(t.countPrefix { _, s in s <= 50 } == 510)
        #expect(t.countPrefix { _, s in s < -1 } == 0)
        #expect(t.countPrefix { _, s in s < 1e9 } == 2000)
        var u = ZSetTree()
        for c in "abcdefghij" { u.insert(RBytes(String(c)), score: 0) }
        #expect(u.countPrefix { m, _ in m < RBytes("e") } == 4)
    }

    @Test("deleting everything in random order empties the tree")
    func deleteAll() {
        var rng = SeededRandom(state: 42)
        var t = ZSetTree()
        var items = (0..<4000).map { (RBytes("k\($0)"), Double($0 % 37)) }
        for (m, s) in items { t.insert(m, score: s) }
        items.shuffle(using: &rng)
        for (n, (m, s)) in items.enumerated() {
            let removed = t.remove(m, score: s)
            #expect(removed)
            if n % 500 == 0 { _ = validate(t) }
        }
        #expect(t.count == 0)
        #expect(t.root.isLeaf)
        let again = t.remove("k1", score: 1)
        #expect(!again)
    }

    @Test("removing by rank (first, last, anywhere) returns the entry at that rank and keeps the tree valid")
    func removeAtRank() {
        var rng = SeededRandom(state: 7)
        var t = ZSetTree()
        var model = Model()
        for i in 0..<5000 {
            let m = RBytes("member:\(i)"), s = Double(Int.random(in: 0..<300, using: &rng))
            t.insert(m, score: s)
            model.insert(m, s)
        }
        var n = 0
        while model.entries.count > 0 {
            let r: Int
            switch n % 3 {
            case 0: r = 0
            case 1: r = model.entries.count - 1
            default: r = Int.random(in: 0..<model.entries.count, using: &rng)
            }
            let expected = model.entries.remove(at: r)
            let got = t.remove(atRank: r)
            #expect(got.member == expected.member && got.score == expected.score)
            #expect(t.count == model.entries.count)
            if n % 700 == 0 { #expect(sameEntries(validate(t), model.entries)) }
            n += 1
        }
        #expect(t.root.isLeaf)
    }

    @Test("random inserts, deletes and queries agree with a sorted array", arguments: [1, 2, 3, 4])
    func randomAgainstModel(seed: UInt64) {
        var rng = SeededRandom(state: seed)
        var t = ZSetTree()
        var model = Model()
        for step in 0..<20_000 {
            let m = RBytes("m\(Int.random(in: 0..<600, using: &rng))")
            let op = Int.random(in: 0..<10, using: &rng)
            if op < 5 {
                let s = Double(Int.random(in: -20...20, using: &rng)) / 2
                if let old = model.score(m) {
                    _ = model.remove(m)
                    let removed = t.remove(m, score: old)
                    #expect(removed)
                }
                model.insert(m, s)
                t.insert(m, score: s)
            } else if op < 8 {
                if let old = model.remove(m) {
                    let removed = t.remove(m, score: old)
                    #expect(removed)
                }
            } else if let s = model.score(m) {
                let r = model.entries.firstIndex { $0.member == m }
                #expect(t.rank(of: m, score: s) == r)
            } else if model.entries.count > 0 {
                let r = Int.random(in: 0..<model.entries.count, using: &rng)
                let e = t.element(at: r)
                #expect(e.member == model.entries[r].member && e.score == model.entries[r].score)
            }
            #expect(t.count == model.entries.count)
            if step % 2000 == 0 { #expect(sameEntries(validate(t), model.entries)) }
        }
        #expect(sameEntries(validate(t), model.entries))
        let copy = t.deepCopy()
        _ = t.remove(model.entries[0].member, score: model.entries[0].score)
        #expect(copy.count == model.entries.count)
        #expect(sameEntries(validate(copy), model.entries))
    }
}

@Suite("SortedSetObject")
struct SortedSetObjectTests {
    private func fill(_ z: SortedSetObject, _ n: Int, maxEntries: Int = 128) {
        for i in 0..<n {
            z.insert(RBytes("m\(i)"), score: Double(n - i), maxListpackEntries: maxEntries, maxListpackValue: 64)
        }
    }

    @Test("a listpack converts to a skiplist past the entry limit and keeps its order")
    func conversionByCount() {
        let z = SortedSetObject()
        fill(z, 128)
        #expect(z.encodingName == "listpack")
        z.insert("extra", score: 0, maxListpackEntries: 128, maxListpackValue: 64)
        #expect(z.encodingName == "skiplist")
        #expect(z.count == 129)
        #expect(z.element(at: 0).member == "extra")
        #expect(z.rank(of: "m0") == 128)
        #expect(z.score(of: "m127") == 1)
    }

    @Test("a long member converts a listpack")
    func conversionByLength() {
        let z = SortedSetObject()
        z.insert(RBytes(String(repeating: "x", count: 65)), score: 1, maxListpackEntries: 128, maxListpackValue: 64)
        #expect(z.encodingName == "skiplist")
    }

    @Test("a listpack stores -0 as 0, a skiplist keeps it")
    func negativeZero() {
        let lp = SortedSetObject()
        lp.insert("a", score: -0.0, maxListpackEntries: 128, maxListpackValue: 64)
        #expect(lp.score(of: "a")?.sign == .plus)
        let sl = SortedSetObject(skiplist: true)
        sl.insert("a", score: -0.0, maxListpackEntries: 128, maxListpackValue: 64)
        #expect(sl.score(of: "a")?.sign == .minus)
    }

    @Test("update, remove and removeRange behave the same in both encodings")
    func bothEncodings() {
        for skiplist in [false, true] {
            let z = SortedSetObject(skiplist: skiplist)
            fill(z, 50)
            z.updateScore("m0", from: 50, to: -1)
            #expect(z.rank(of: "m0") == 0)
            #expect(z.remove("m1"))
            #expect(!z.remove("m1"))
            #expect(z.removeRange(0..<10) == 10)
            #expect(z.count == 39)
            #expect(z.element(at: 0).score == 10)
            var seen: [Double] = []
            z.forEach(in: 0..<3, reverse: true) { _, s in seen.append(s) }
            #expect(seen == [12, 11, 10])
            #expect(z.countPrefix { _, s in s < 20 } == 10)
            let copy = z.copy() as! SortedSetObject
            z.removeRange(0..<z.count)
            #expect(z.count == 0 && copy.count == 39)
        }
    }

    @Test("find returns the score and a position that updateScore uses, in both encodings")
    func findAndUpdateAtPosition() {
        for skiplist in [false, true] {
            let z = SortedSetObject(skiplist: skiplist)
            fill(z, 40)
            #expect(z.find("absent") == nil)
            let member = z.element(at: 5).member
            guard let (score, position) = z.find(member) else {
                Issue.record("member not found")
                continue
            }
            #expect(score == z.score(of: member))
            z.updateScore(member, at: position, from: score, to: 1000)
            #expect(z.score(of: member) == 1000)
            #expect(z.rank(of: member) == 39)
            #expect(z.count == 40)
            #expect(z.isListpack == !skiplist)
        }
    }

    @Test("a skiplist scan visits every member exactly once")
    func scan() {
        let z = SortedSetObject(skiplist: true)
        fill(z, 1000)
        var seen = Set<RBytes>()
        var cursor: UInt64 = 0
        repeat {
            cursor = z.scan(cursor: cursor) { m, _ in
                let fresh = seen.insert(m).inserted
                #expect(fresh)
            }
        } while cursor != 0
        #expect(seen.count == 1000)
    }
}
