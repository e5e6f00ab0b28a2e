import Testing
@testable import Kernel

@Suite("ListObject")
struct ListObjectTests {
    private func contents(_ l: ListObject) -> [String] { l.map { $0.string } }

    @Test("pushes and pops at both ends keep order across ring wrap-around")
    func endsWrapAround() {
        let l = ListObject()
        for i in 0..<5 { l.pushBack(RBytes("b\(i)")) }
        for i in 0..<5 { l.pushFront(RBytes("f\(i)")) }
        #expect(contents(l) == ["f4", "f3", "f2", "f1", "f0", "b0", "b1", "b2", "b3", "b4"])
        #expect(l.popFront()?.string == "f4")
        #expect(l.popBack()?.string == "b4")
        #expect(l.first?.string == "f3")
        #expect(l.last?.string == "b3")
        #expect(l[3].string == "f0")
        #expect(l.count == 8)
    }

    @Test("popping an empty list returns nil")
    func popEmpty() {
        let l = ListObject()
        #expect(l.popFront() == nil)
        #expect(l.popBack() == nil)
        #expect(l.isEmpty)
    }

    @Test("insert, remove, trims and removeAll match an array model under random operations")
    func randomAgainstModel() {
        var rng = SystemRandomNumberGenerator()
        let l = ListObject()
        var model: [RBytes] = []
        for step in 0..<20_000 {
            let e = RBytes("e\(Int.random(in: 0..<7, using: &rng))")
            switch Int.random(in: 0..<10, using: &rng) {
            case 0, 1:
                l.pushBack(e); model.append(e)
            case 2, 3:
                l.pushFront(e); model.insert(e, at: 0)
            case 4:
                #expect(l.popFront() == model.first)
                if !model.isEmpty { model.removeFirst() }
            case 5:
                #expect(l.popBack() == model.last)
                if !model.isEmpty { model.removeLast() }
            case 6:
                let i = Int.random(in: 0...model.count, using: &rng)
                l.insert(e, at: i); model.insert(e, at: i)
            case 7:
                if !model.isEmpty {
                    let i = Int.random(in: 0..<model.count, using: &rng)
                    l.remove(at: i); model.remove(at: i)
                }
            case 8:
                let n = Int.random(in: 0...3, using: &rng)
                if Bool.random(using: &rng) {
                    l.removeFirst(n); model.removeFirst(min(n, model.count))
                } else {
                    l.removeLast(n); model.removeLast(min(n, model.count))
                }
            default:
                let limit = UInt64.random(in: 0...2, using: &rng)
                let fromTail = Bool.random(using: &rng)
                var removed = 0
                var kept: [RBytes] = []
                let order = fromTail ? Array(model.reversed()) : model
                for x in order {
                    if x == e && (limit == 0 || removed < Int(limit)) { removed += 1 } else { kept.append(x) }
                }
                model = fromTail ? kept.reversed() : kept
                #expect(l.removeAll(equalTo: e, limit: limit, fromTail: fromTail) == removed)
            }
            if step % 97 == 0 || l.count != model.count {
                #expect(Array(l) == model)
            }
        }
        #expect(Array(l) == model)
    }

    @Test("multi-element pushes at either end give the order of one push after another, across node boundaries")
    func batchPushesMatchSinglePushes() {
        var rng = SystemRandomNumberGenerator()
        let batched = ListObject(), single = ListObject()
        for _ in 0..<400 {
            let n = Int.random(in: 1...120, using: &rng)
            let elements = (0..<n).map { _ -> RBytes in
                // Mostly short elements, a few long enough to fill or overflow a node on their own.
                let length = Int.random(in: 0..<50, using: &rng) == 0 ? Int.random(in: 4_000...9_000, using: &rng)
                    : Int.random(in: 0...20, using: &rng)
                return RBytes(String(repeating: "x", count: length) + "\(Int.random(in: 0..<1000, using: &rng))")
            }
            if Bool.random(using: &rng) {
                batched.pushBack(contentsOf: elements[...])
                for e in elements { single.pushBack(e) }
            } else {
                batched.pushFront(contentsOf: elements[...])
                for e in elements { single.pushFront(e) }
            }
            #expect(batched.count == single.count)
        }
        #expect(Array(batched) == Array(single))
        #expect(batched.nodeCount == single.nodeCount, "the same node fill rule")
        for i in stride(from: 0, to: batched.count, by: 37) { #expect(batched[i] == single[i]) }
    }

    @Test("copy is deep")
    func deepCopy() {
        let l = ListObject([RBytes("a"), RBytes("b")])
        let c = l.copy() as! ListObject
        c.pushBack(RBytes("c"))
        c[0] = RBytes("z")
        #expect(contents(l) == ["a", "b"])
        #expect(contents(c) == ["z", "b", "c"])
        #expect(l.encodingName == "quicklist")
        #expect(l.typeName == "list")
    }
}
