@testable import Commands
import Testing

/// The HLL representation's pieces that redis-server cannot be driven into from outside.
@Suite struct HLLSketchTests {
    @Test func emptySketchIsOneXZeroCoveringEveryRegister() {
        let s = HLLSketch.empty()
        #expect(s.count == 18)
        #expect(Array(s[0..<5]) == [0x48, 0x59, 0x4C, 0x4C, 1])
        #expect(s[16] == 0x7F && s[17] == 0xFF)
        #expect(s.withUnsafeBytes { HLLSketch.histogram($0) }?[0] == HLLSketch.registers)
    }

    @Test func sparseRegisterAboveValRangePromotesToDense() {
        var s = HLLSketch.empty()
        #expect(HLLSketch.sparseSet(&s, 5, 3, maxSparse: 3000) == 1)
        #expect(s[4] == HLLSketch.sparse)
        #expect(HLLSketch.sparseSet(&s, 100, 40, maxSparse: 3000) == 1)
        #expect(s[4] == HLLSketch.dense)
        #expect(s.count == HLLSketch.denseSize)
        s.withUnsafeBytes { p in
            #expect(HLLSketch.denseGet(p, HLLSketch.headerSize, 5) == 3)
            #expect(HLLSketch.denseGet(p, HLLSketch.headerSize, 100) == 40)
            #expect(HLLSketch.denseGet(p, HLLSketch.headerSize, 101) == 0)
        }
    }

    @Test func sparseSplitAndMergeOfAdjacentValues() {
        var s = HLLSketch.empty()
        for reg in [10, 12, 11, 13] { #expect(HLLSketch.sparseSet(&s, reg, 2, maxSparse: 3000) == 1) }
        // Z:10 v:2,4 Z:16370 after the four equal neighbours merge into one VAL.
        let decoded = s.withUnsafeBytes { HyperLogLogCommands.decode($0) }
        #expect(decoded == "z:10 v:2,4 Z:16370")
        #expect(HLLSketch.sparseSet(&s, 11, 1, maxSparse: 3000) == 0)
    }

    @Test func denseRegistersDoNotDisturbNeighbours() {
        var d = [UInt8](repeating: 0, count: HLLSketch.denseSize)
        for reg in 0..<HLLSketch.registers { HLLSketch.denseSetRaw(&d, HLLSketch.headerSize, reg, UInt8(reg % 64)) }
        d.withUnsafeBytes { p in
            for reg in 0..<HLLSketch.registers {
                #expect(HLLSketch.denseGet(p, HLLSketch.headerSize, reg) == UInt8(reg % 64))
            }
        }
    }

    @Test func corruptSparseIsReportedNotTrusted() {
        var s = HLLSketch.empty()
        s.removeLast()  // a truncated XZERO
        #expect(s.withUnsafeBytes { HLLSketch.histogram($0) } == nil)
        #expect(!HLLSketch.sparseToDense(&s))
        #expect(HLLSketch.sparseSet(&s, 20000, 1, maxSparse: 3000) == -1)
    }

    @Test func selfTestPassesOnASmallRun() {
        #expect(HyperLogLogCommands.selfTest(maxSparse: 3000, elements: 100_000) == nil)
    }
}
