import Testing
@testable import Kernel

/// A seeded generator (SplitMix64) so a failing run can be replayed.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("KeyTable incremental rehashing")
struct KeyTableRehashTests {
    /// Checks the table against the model: count, every model key found with its value, no extra slot.
    func expectMatches(_ t: KeyTable<Int>, _ model: [RBytes: Int]) {
        #expect(t.count == model.count)
        var seen = 0
        t.forEachSlot { slot in
            seen += 1
            #expect(model[t.key(at: slot)] == t.value(at: slot))
        }
        #expect(seen == model.count)
        for (k, v) in model { #expect(t[k] == v) }
    }

    @Test("random inserts, updates, removes and rehash steps match a Dictionary across many resizes", arguments: [1, 2, 3, 42])
    func randomAgainstModel(seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        var t = KeyTable<Int>()
        var model: [RBytes: Int] = [:]
        var rehashingSeen = 0
        var resizes = 0
        var lastBuckets = 0
        for phase in 0..<6 {
            // Alternate growing and shrinking phases so the table resizes both ways many times.
            let growing = phase % 2 == 0
            let keySpace = growing ? 40_000 : 40_000
            for _ in 0..<30_000 {
                let k = RBytes("k\(Int.random(in: 0..<keySpace, using: &rng))")
                let op = Int.random(in: 0..<100, using: &rng)
                if op < (growing ? 70 : 20) {
                    let v = Int.random(in: 0..<1_000_000, using: &rng)
                    t.upsert(k, v)
                    model[k] = v
                } else if op < 98 {
                    #expect(t.remove(k) == model.removeValue(forKey: k))
                } else {
                    t.rehashStep(buckets: Int.random(in: 1..<8, using: &rng))
                }
                if t.isRehashing { rehashingSeen += 1 }
                if t.bucketCount != lastBuckets { resizes += 1; lastBuckets = t.bucketCount }
                if Int.random(in: 0..<5000, using: &rng) == 0 { expectMatches(t, model) }
            }
            expectMatches(t, model)
        }
        #expect(resizes > 10)
        #expect(rehashingSeen > 1000)
    }

    @Test("growth is incremental: the insert that starts a resize of a large table does not finish it")
    func growthIsIncremental() {
        var t = KeyTable<Int>()
        var i = 0
        while !t.isRehashing || t.count < 60_000 { t.upsert(RBytes("g\(i)"), i); i += 1 }
        let target = t.bucketCount
        #expect(t.isRehashing)
        // The rehash completes with further single steps (one bucket chain at a time), and lookups work throughout.
        var steps = 0
        while t.rehashStep(buckets: 1) { steps += 1; if steps % 997 == 0 { #expect(t[RBytes("g\(steps % i)")] == steps % i) } }
        #expect(steps > 1000)
        #expect(t.bucketCount == target)
        for j in 0..<i { #expect(t[RBytes("g\(j)")] == j) }
    }

    @Test("shrinking is incremental and keeps every remaining key")
    func shrinkIsIncremental() {
        var t = KeyTable<Int>()
        for i in 0..<100_000 { t.upsert(RBytes("s\(i)"), i) }
        while t.rehashStep(buckets: 64) {}
        let big = t.bucketCount
        var i = 0
        while !t.isRehashing { t.remove(RBytes("s\(i)")); i += 1 }
        #expect(t.bucketCount < big)
        #expect(t.rehash(forNanoseconds: 1_000_000_000) == false)
        #expect(!t.isRehashing)
        #expect(t.count == 100_000 - i)
        for j in i..<100_000 { #expect(t[RBytes("s\(j)")] == j) }
    }

    @Test("a scan returns every key present for its whole duration while the table grows and shrinks mid-rehash", arguments: [7, 8, 9])
    func scanAcrossIncrementalResizes(seed: UInt64) {
        var rng = SeededRNG(seed: seed)
        var t = KeyTable<Int>()
        for i in 0..<2000 { t.upsert(RBytes("stable\(i)"), i) }
        var transient: [RBytes] = []
        var seen = Set<RBytes>()
        var cursor: UInt64 = 0
        var calls = 0
        var scannedWhileRehashing = 0
        repeat {
            if t.isRehashing { scannedWhileRehashing += 1 }
            cursor = t.scan(cursor: cursor) { seen.insert(t.key(at: $0)) }
            calls += 1
            // Grow for a while (several doublings, each left half done), then delete down to force shrinks.
            if calls < 400 {
                for _ in 0..<Int.random(in: 0..<120, using: &rng) {
                    let k = RBytes("t\(Int.random(in: 0..<1_000_000, using: &rng))")
                    t.upsert(k, 0)
                    transient.append(k)
                }
            } else if !transient.isEmpty {
                for _ in 0..<Int.random(in: 0..<400, using: &rng) where !transient.isEmpty {
                    t.remove(transient.removeLast())
                }
            }
        } while cursor != 0 && calls < 1_000_000
        #expect(cursor == 0)
        #expect(scannedWhileRehashing > 0)
        for i in 0..<2000 { #expect(seen.contains(RBytes("stable\(i)"))) }
    }

    @Test("random slots are occupied and every key can be drawn during a rehash")
    func randomDuringRehash() {
        var t = KeyTable<Int>()
        var i = 0
        while !t.isRehashing || t.count < 200 { t.upsert(RBytes("r\(i)"), i); i += 1 }
        #expect(t.isRehashing)
        var drawn = Set<Int>()
        for _ in 0..<50_000 {
            let s = t.randomSlot()!
            #expect(t.isUsed(s))
            drawn.insert(t.value(at: s))
        }
        #expect(drawn.count == t.count)
        // A large sparse slab (most slots freed, too big to compact) samples through the buckets and still
        // reaches every key.
        while t.count < 20_000 { t.upsert(RBytes("r\(i)"), i); i += 1 }
        for j in 0..<(i - 20) { t.remove(RBytes("r\(j)")) }
        #expect(t.slotCount >= 20_000)
        drawn.removeAll()
        for _ in 0..<20_000 {
            let s = t.randomSlot()!
            #expect(t.isUsed(s))
            drawn.insert(t.value(at: s))
        }
        #expect(drawn.count == 20)
    }

    @Test("a copy is independent of the original, also mid-rehash")
    func copyOnWrite() {
        var a = KeyTable<Int>()
        var i = 0
        while !a.isRehashing || a.count < 1000 { a.upsert(RBytes("c\(i)"), i); i += 1 }
        var b = a
        b.upsert(RBytes("c0"), -1)
        b.remove(RBytes("c1"))
        b.values[b.find(RBytes("c2"))!]! = -2
        while b.rehashStep(buckets: 100) {}
        #expect(a[RBytes("c0")] == 0)
        #expect(a[RBytes("c1")] == 1)
        #expect(a[RBytes("c2")] == 2)
        #expect(a.isRehashing)
        #expect(b[RBytes("c0")] == -1)
        #expect(b[RBytes("c1")] == nil)
        #expect(b[RBytes("c2")] == -2)
        #expect(a.count == i && b.count == i - 1)
    }
}
