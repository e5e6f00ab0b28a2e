import Testing
@testable import Kernel

@Suite("KeyTable")
struct KeyTableTests {
    @Test("a slot's hash, link and key share 32 bytes, two slots to a cache line; memory per slot is unchanged")
    func slotLayout() {
        #expect(MemoryLayout<KeyTableSlot>.stride == 32)
        var t = KeyTable<Int>()
        t.reserve(100)
        // The slab: 32 bytes of hash + link + key and the value cell per slot, as with four parallel arrays.
        #expect(t.allocatedBytes == 100 * (4 + 4 + MemoryLayout<RBytes>.stride + MemoryLayout<Int?>.stride)
                + t.bucketCount * 4)
    }

    @Test("inserted keys are found, removed keys are not")
    func insertFindRemove() {
        var t = KeyTable<Int>()
        for i in 0..<1000 { t.upsert(RBytes("key:\(i)"), i) }
        #expect(t.count == 1000)
        #expect(t[RBytes("key:500")] == 500)
        for i in stride(from: 0, to: 1000, by: 2) { #expect(t.remove(RBytes("key:\(i)")) == i) }
        #expect(t.count == 500)
        #expect(t[RBytes("key:2")] == nil)
        #expect(t[RBytes("key:3")] == 3)
    }

    @Test("a full scan returns every key exactly once when the table does not change")
    func scanCoversEverything() {
        var t = KeyTable<Int>()
        for i in 0..<5000 { t.upsert(RBytes("k\(i)"), i) }
        var seen: [RBytes: Int] = [:]
        var cursor: UInt64 = 0
        repeat {
            cursor = t.scan(cursor: cursor) { seen[t.key(at: $0), default: 0] += 1 }
        } while cursor != 0
        #expect(seen.count == 5000)
        #expect(seen.values.allSatisfy { $0 == 1 })
    }

    @Test("keys present for the whole scan are returned even while the table grows and shrinks")
    func scanSurvivesResizing() {
        var t = KeyTable<Int>()
        for i in 0..<300 { t.upsert(RBytes("stable\(i)"), i) }
        var seen = Set<RBytes>()
        var cursor: UInt64 = 0
        var step = 0
        repeat {
            cursor = t.scan(cursor: cursor) { seen.insert(t.key(at: $0)) }
            step += 1
            // Grow a lot early on, then shrink.
            if step < 20 { for j in 0..<200 { t.upsert(RBytes("grow\(step)-\(j)"), j) } }
            if step == 40 { for s in 1..<20 { for j in 0..<200 { t.remove(RBytes("grow\(s)-\(j)")) } } }
        } while cursor != 0
        for i in 0..<300 { #expect(seen.contains(RBytes("stable\(i)"))) }
    }

    @Test("random slots are always occupied")
    func randomSlots() {
        var t = KeyTable<Int>()
        for i in 0..<100 { t.upsert(RBytes("k\(i)"), i) }
        for i in 0..<95 { t.remove(RBytes("k\(i)")) }
        for _ in 0..<100 {
            let s = t.randomSlot()!
            #expect(t.isUsed(s))
        }
        t.removeAll()
        #expect(t.randomSlot() == nil)
    }
}
