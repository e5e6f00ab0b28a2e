import XCTest
@testable import Kernel

/// The compact encodings of small collections (`PackedList`, `PackedInts`) behave like plain arrays.
final class PackedEncodingTests: XCTestCase {
    private struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    private func randomBytes(_ rng: inout Rng) -> RBytes {
        // Lengths around each tag boundary: 0, 127/128, 16383/16384.
        let lengths = [0, 1, 5, 16, 17, 126, 127, 128, 300, 16381, 16382, 16383, 16384, 20000]
        let n = lengths[rng.below(lengths.count)]
        return RBytes((0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }

    private enum Item: Equatable {
        case bytes(RBytes)
        case number(Double)
    }

    private func contents<L>(_ p: PackedEntries<L>) -> [Item] {
        var out: [Item] = []
        var o = p.startOffset
        while o < p.endOffset {
            if p.isNumber(at: o) {
                out.append(.number(p.number(at: o)))
            } else {
                out.append(.bytes(p.string(at: o)))
            }
            o = p.offset(after: o)
        }
        return out
    }

    private func offset<L>(_ p: PackedEntries<L>, of index: Int) -> Int {
        var o = p.startOffset
        for _ in 0..<index { o = p.offset(after: o) }
        return o
    }

    func testPackedListMatchesAnArrayUnderRandomEdits() {
        randomEdits(PackedList.self)
    }

    func testPackedPairsMatchAnArrayUnderRandomEdits() {
        randomEdits(PackedPairs.self)
    }

    private func randomEdits<L>(_: PackedEntries<L>.Type) {
        for seed in 1...20 {
            var rng = Rng(state: UInt64(seed))
            var p = PackedEntries<L>()
            var model: [Item] = []
            for _ in 0..<300 {
                let index = rng.below(model.count + 1)
                switch rng.below(6) {
                case 0, 1:
                    let b = randomBytes(&rng)
                    p.insert(b, at: offset(p, of: index))
                    model.insert(.bytes(b), at: index)
                case 2:
                    let numbers: [Double] = [0, 1, -1, 127, -128, 32767, 1_099_511_627_776, -4_503_599_627_370_496, 0.5, -2.25,
                                             .infinity, -.infinity, 1e300, 9.007_199_254_740_993e15]
                    let d = numbers[rng.below(numbers.count)]
                    p.insert(number: d, at: offset(p, of: index))
                    model.insert(.number(d), at: index)
                case 3 where !model.isEmpty:
                    let i = rng.below(model.count)
                    let b = randomBytes(&rng)
                    p.replace(at: offset(p, of: i), with: b)
                    model[i] = .bytes(b)
                case 4 where !model.isEmpty:
                    let i = rng.below(model.count)
                    let n = 1 + rng.below(min(3, model.count - i))
                    p.remove(at: offset(p, of: i), entries: n)
                    model.removeSubrange(i..<(i + n))
                default:
                    let b = randomBytes(&rng)
                    p.append(b)
                    model.append(.bytes(b))
                }
                XCTAssertEqual(p.count, model.count, "seed \(seed)")
            }
            XCTAssertEqual(contents(p), model, "seed \(seed)")
            var c = p.copy()
            XCTAssertEqual(contents(c), model, "seed \(seed)")
            c.release()
            XCTAssertEqual(contents(p), model, "a copy's buffer is its own")
            XCTAssertLessThanOrEqual(p.endOffset, p.capacity)
            if L.backLinked {
                // Walking backwards from the end visits the same offsets as walking forwards.
                var forward: [Int] = []
                p.forEachOffset { forward.append($0) }
                var backward: [Int] = []
                var o = p.endOffset
                while o > p.startOffset {
                    o = p.offset(before: o)
                    backward.append(o)
                }
                XCTAssertEqual(backward.reversed(), forward, "seed \(seed)")
            }
            p.release()
        }
    }

    func testPackedListFindsStringsAtTheGivenStride() {
        var p = PackedList()
        for s in ["a", "x", "b", "a", "c", "b"] { p.append(RBytes(s)) }
        // As field/value pairs: a→x, b→a, c→b; "a" as a field is at entry 0, "b" at entry 2.
        XCTAssertEqual(p.firstOffset(of: RBytes("b"), stride: 2), offset(p, of: 2))
        XCTAssertNil(p.firstOffset(of: RBytes("x"), stride: 2))
        XCTAssertEqual(p.firstOffset(of: RBytes("x")), offset(p, of: 1))
        XCTAssertTrue(p.entry(at: offset(p, of: 4), equals: RBytes("c")))
    }

    func testPackedListStoresSmallIntegersInFewBytes() {
        var p = PackedList()
        p.append(number: 3)
        XCTAssertEqual(p.endOffset, 3, "tag, one byte, back-length")
        p.append(number: 0.5)
        XCTAssertEqual(p.endOffset, 3 + 10)
        XCTAssertEqual(p.number(at: 0), 3)
        XCTAssertEqual(p.number(at: 3), 0.5)
    }

    func testPackedPairsHaveNoBackLengths() {
        var p = PackedPairs()
        p.append(number: 3)
        XCTAssertEqual(p.endOffset, 2, "tag and one byte")
        p.append(number: 0.5)
        XCTAssertEqual(p.endOffset, 2 + 9)
        p.append(RBytes("abc"))
        XCTAssertEqual(p.endOffset, 2 + 9 + 4)
        XCTAssertEqual(p.number(at: 2), 0.5)
        XCTAssertEqual(p.string(at: 11), RBytes("abc"))
        XCTAssertEqual(p.firstOffset(of: RBytes("abc")), 11)
        p.release()
    }

    func testPackedIntsStaySortedAndWidenWhenNeeded() {
        var rng = Rng(state: 7)
        var p = PackedInts()
        var model: [Int64] = []
        for step in 0..<2000 {
            let magnitudes: [Int64] = [100, 40_000, 3_000_000_000, Int64.max]
            let m = magnitudes[min(step / 500, 3)]
            let v = Int64(bitPattern: rng.next()) % m
            let (i, found) = p.position(of: v)
            if rng.below(4) == 0, !model.isEmpty {
                let j = rng.below(model.count)
                XCTAssertEqual(p.remove(at: j), model.remove(at: j))
            } else if !found {
                p.insert(v, at: i)
                model.insert(v, at: i)
            }
            XCTAssertEqual(p.count, model.count)
        }
        XCTAssertEqual(Array(p), model)
        XCTAssertEqual(model, model.sorted())
        XCTAssertEqual(p.width, 8)
        p.release()
    }

    func testPackedIntsUseTheNarrowestWidth() {
        var p = PackedInts()
        p.insert(5, at: 0)
        XCTAssertEqual(p.width, 2)
        p.insert(70_000, at: 1)
        XCTAssertEqual(p.width, 4)
        XCTAssertEqual(Array(p), [5, 70_000])
        var copied = p.copy()
        p.remove(at: 0)
        XCTAssertEqual(Array(copied), [5, 70_000], "a copy is not changed by the original's edits")
        XCTAssertEqual(Array(p), [70_000])
        p.insert(-5_000_000_000, at: 0)
        XCTAssertEqual(p.width, 8)
        XCTAssertEqual(Array(p), [-5_000_000_000, 70_000])
        XCTAssertEqual(Array(copied), [5, 70_000])
        p.release()
        copied.release()
    }

    func testPackedIntsWidenInPlaceAroundTheInsertionPoint() {
        // Widening rewrites every element back to front; the new value may land anywhere among them.
        for index in 0...6 {
            var p = PackedInts()
            var model: [Int64] = []
            for v in stride(from: Int64(-30), through: 30, by: 10) {
                p.insert(v, at: p.count)
                model.append(v)
            }
            let big: Int64 = index < 3 ? -100_000 - Int64(index) : 100_000 + Int64(index)
            let at = big < 0 ? 0 : model.count
            p.insert(big, at: at)
            model.insert(big, at: at)
            XCTAssertEqual(p.width, 4)
            XCTAssertEqual(Array(p), model)
            p.release()
        }
    }
}
