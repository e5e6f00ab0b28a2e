import XCTest
@testable import Kernel

/// What a small collection costs on the heap, and that the one-word objects (`TableBox`) keep their contents
/// through conversion and copies.
final class CompactValueTests: XCTestCase {
    /// Bytes malloc reserved for an object (on Linux a Swift instance is one malloc block at its address).
    private func heapBytes(_ o: AnyObject) -> Int {
        PackedBlock.allocatedBytes(UnsafeMutableRawPointer(Unmanaged.passUnretained(o).toOpaque()))
    }

    private func fields(_ h: HashObject) -> [String: String] {
        var out: [String: String] = [:]
        h.forEach { out[$0.string] = $1.string }
        return out
    }

    func testSmallHashIsAOneWordObjectAndOneExactBlock() {
        let h = HashObject()
        for j in 0..<10 { h.set(RBytes("f\(j)"), RBytes("v\(12340 + j)"), maxEntries: 128, maxValue: 64) }
        XCTAssertEqual(heapBytes(h), 24, "16-byte object header and one word")
        // Ten 3-byte and ten 7-byte entries (no back-lengths) plus the 8-byte header, rounded to malloc's 16.
        XCTAssertEqual(h.packed.endOffset, 100)
        XCTAssertLessThanOrEqual(h.packed.allocatedBytes, 8 + 100 + 16)
    }

    func testSmallSetAndSortedSetAreOneWordObjects() {
        let s = SetObject()
        for j in 0..<10 { s.add(RBytes("\(j)"), maxIntsetEntries: 512) }
        XCTAssertEqual(heapBytes(s), 24)
        XCTAssertLessThanOrEqual(s.ints.allocatedBytes, 24, "4-byte header and ten 2-byte integers")
        let z = SortedSetObject()
        for j in 0..<10 { z.insert(RBytes("m:\(j)"), score: Double(j), maxListpackEntries: 128, maxListpackValue: 64) }
        XCTAssertEqual(heapBytes(z), 24)
    }

    func testHashKeepsItsFieldsThroughConversionAndCopies() {
        let h = HashObject()
        var model: [String: String] = [:]
        for j in 0..<20 {
            h.set(RBytes("f\(j)"), RBytes("v\(j)"), maxEntries: 10, maxValue: 64)
            model["f\(j)"] = "v\(j)"
        }
        XCTAssertFalse(h.isListpack)
        XCTAssertEqual(h.encodingName, "hashtable")
        XCTAssertEqual(h.count, 20)
        XCTAssertEqual(fields(h), model)
        let c = h.copy() as! HashObject
        XCTAssertTrue(h.remove(RBytes("f3")))
        h.set(RBytes("f4"), RBytes("changed"), maxEntries: 10, maxValue: 64)
        XCTAssertEqual(fields(c), model, "the copy has its own table")
        XCTAssertEqual(h.count, 19)
        XCTAssertEqual(h.get(RBytes("f4")), RBytes("changed"))
        let small = HashObject()
        small.set(RBytes("a"), RBytes("1"), maxEntries: 10, maxValue: 64)
        let smallCopy = small.copy() as! HashObject
        small.set(RBytes("a"), RBytes("2"), maxEntries: 10, maxValue: 64)
        XCTAssertEqual(smallCopy.get(RBytes("a")), RBytes("1"))
        XCTAssertTrue(smallCopy.isListpack)
    }

    func testSetKeepsItsMembersThroughConversionAndCopies() {
        let s = SetObject()
        for j in 0..<5 { s.add(RBytes("\(j)"), maxIntsetEntries: 512) }
        let intsetCopy = s.copy() as! SetObject
        s.add(RBytes("x"), maxIntsetEntries: 512)
        XCTAssertEqual(s.encodingName, "hashtable")
        XCTAssertEqual(s.count, 6)
        XCTAssertEqual(Set(s.members), Set(["0", "1", "2", "3", "4", "x"].map { RBytes($0) }))
        XCTAssertEqual(intsetCopy.encodingName, "intset")
        XCTAssertEqual(intsetCopy.members, ["0", "1", "2", "3", "4"].map { RBytes($0) })
        let tableCopy = s.copy() as! SetObject
        XCTAssertTrue(s.remove(RBytes("x")))
        XCTAssertEqual(s.popRandom().count, 1)
        XCTAssertEqual(s.count, 4)
        XCTAssertEqual(tableCopy.count, 6)
        XCTAssertTrue(tableCopy.contains(RBytes("x")))
    }

    func testSortedSetKeepsItsOrderThroughConversionCompactionAndCopies() {
        let z = SortedSetObject()
        for j in 0..<6 { z.insert(RBytes("m\(j)"), score: Double(6 - j), maxListpackEntries: 4, maxListpackValue: 64) }
        XCTAssertEqual(z.encodingName, "skiplist")
        let c = z.copy() as! SortedSetObject
        XCTAssertTrue(z.remove(RBytes("m0")))
        z.updateScore(RBytes("m1"), from: 5, to: -1)
        XCTAssertEqual(z.element(at: 0).member, RBytes("m1"))
        XCTAssertEqual(c.count, 6)
        XCTAssertEqual(c.element(at: 0).member, RBytes("m5"))
        XCTAssertEqual(c.rank(of: RBytes("m0")), 5)
        z.compactIfFits(maxEntries: 8, maxValue: 64)
        XCTAssertEqual(z.encodingName, "listpack")
        var order: [RBytes] = []
        z.forEach(in: 0..<z.count) { m, _ in order.append(m) }
        XCTAssertEqual(order, ["m1", "m5", "m4", "m3", "m2"].map { RBytes($0) })
        XCTAssertEqual(z.score(of: RBytes("m1")), -1)
        let skip = SortedSetObject(skiplist: true)
        skip.insert(RBytes("a"), score: 1, maxListpackEntries: 128, maxListpackValue: 64)
        XCTAssertEqual(skip.encodingName, "skiplist")
        XCTAssertEqual(skip.count, 1)
    }

    func testKeyTableStorageFitsA112ByteChunkAndCopiesKeepTheirHashes() {
        // Every hashtable-encoded hash, set and sorted set has one: 101 bytes of instance, 104 usable in glibc's
        // 112-byte chunk (it was 117 bytes, a 128-byte chunk).
        let storage = KeyTableStorage<Void>()
        XCTAssertLessThanOrEqual(heapBytes(storage), 104)
        var t = KeyTable<Void>()
        for j in 0..<10 { t.insertNew(RBytes("m:\(j)"), ()) }
        for j in 0..<10 { t.upsert(RBytes("m:\(j)"), ()) }
        XCTAssertEqual(t.count, 10, "every key found again through its stored hash")
        let st = t.s!
        for slot in 0..<st.used {
            XCTAssertEqual(st.slots[slot].hash, KeyTable<Void>.hashOf(st.slots[slot].key))
        }
        var copy = t
        copy.insertNew(RBytes("fresh"), ())
        XCTAssertEqual(copy.count, 11)
        for j in 0..<10 { XCTAssertNotNil(copy.find(RBytes("m:\(j)")), "the copied slab carries the hashes") }
        let perSlot = MemoryLayout<KeyTableSlot>.stride + MemoryLayout<Void?>.stride
        XCTAssertEqual(t.allocatedBytes, t.s!.capacity * perSlot + (t.s!.n0 + t.s!.n1) * 4)
    }

    func testSmallListIsOneNodeInAOneChunkNodeTable() {
        let l = ListObject()
        for j in 0..<10 { l.pushBack(RBytes("item:\(j)")) }
        XCTAssertEqual(l.nodeCount, 1)
        XCTAssertLessThanOrEqual(l.nodeTableBytes, 24, "8-byte count and one node handle, a 32-byte malloc chunk")
    }

    func testFullListNodeIsOneEightKiBMallocChunk() {
        let l = ListObject()
        for j in 0..<1000 { l.pushBack(RBytes("item:\(j)")) }
        XCTAssertEqual(l.nodeCount, 2)
        XCTAssertLessThanOrEqual(l.nodeUsedBytes(0), ListObject.nodeFill)
        XCTAssertEqual(l.nodeAllocatedBytes(0), 8192 - 8, "malloc_usable_size of an 8,192-byte glibc chunk")
    }

    func testMultiElementPushesLeaveNoSpareRoomInTheTailNode() {
        // bench/memory.py's 1000-item list: ten RPUSHes of 100 elements.
        let l = ListObject()
        for start in stride(from: 0, to: 1000, by: 100) {
            l.pushBack(contentsOf: (start..<(start + 100)).map { RBytes("item:\($0)") }[...])
        }
        XCTAssertEqual(l.nodeCount, 2)
        XCTAssertEqual(l.nodeAllocatedBytes(0), 8192 - 8)
        let tail = l.nodeCount - 1
        // The block is an 8-byte header and the entries; glibc rounds the chunk to 16 bytes.
        XCTAssertLessThan(l.nodeAllocatedBytes(tail) - 8 - l.nodeUsedBytes(tail), 16)
    }

    func testListNodeCapacityClassesFillWholeChunks() {
        var previous = 0
        for needed in 1...ListObject.nodeFill {
            let c = ListObject.capacityClass(needed)
            XCTAssertGreaterThanOrEqual(c, needed)
            XCTAssertLessThanOrEqual(c, ListObject.nodeFill)
            XCTAssertEqual((c + ListObject.chunkOverhead) % 16, 0, "a whole glibc chunk")
            XCTAssertLessThanOrEqual(c + ListObject.chunkOverhead, Swift.max(256, (needed + ListObject.chunkOverhead) * 5 / 4 + 16),
                                     "at most a quarter spare")
            XCTAssertGreaterThanOrEqual(c, previous)
            previous = c
        }
        XCTAssertEqual(ListObject.capacityClass(ListObject.nodeFill - 100), ListObject.nodeFill)
        XCTAssertEqual(ListObject.capacityClass(1700) + ListObject.chunkOverhead, 1792)
    }

    func testLongListKeepsItsOrderAsItsNodeTableGrowsAndShrinks() {
        let l = ListObject()
        var model: [RBytes] = []
        for j in 0..<30_000 {
            let e = RBytes("element:\(j)")
            if j % 3 == 0 { l.pushFront(e); model.insert(e, at: 0) } else { l.pushBack(e); model.append(e) }
        }
        XCTAssertGreaterThan(l.nodeCount, 40)
        l.insert(RBytes("middle"), at: 15_000)
        model.insert(RBytes("middle"), at: 15_000)
        let c = l.copy() as! ListObject
        l.removeFirst(14_000); model.removeFirst(14_000)
        l.removeLast(15_990); model.removeLast(15_990)
        XCTAssertEqual(l.count, model.count)
        XCTAssertEqual(Array(l), model)
        XCTAssertLessThanOrEqual(l.nodeCount, 2)
        XCTAssertLessThanOrEqual(l.nodeTableBytes, 8 + 8 * 8, "the table shrank with the list")
        XCTAssertEqual(c.count, 30_001, "the copy has its own nodes")
        XCTAssertEqual(c[15_000], RBytes("middle"))
        while l.popBack() != nil {}
        XCTAssertEqual(l.nodeCount, 0)
        XCTAssertTrue(l.isEmpty)
    }

    func testSmallKeyTableSlabsGrowByHalfPowersOfTwo() {
        var c = 0
        var seen: [Int] = []
        for _ in 0..<11 {
            c = KeyTableStorage<Void>.grownCapacity(c)
            seen.append(c)
        }
        XCTAssertEqual(seen, [4, 6, 8, 12, 16, 24, 32, 48, 64, 128, 256])
    }
}
