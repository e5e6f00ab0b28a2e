import Kernel

// PFDEBUG and PFSELFTEST: Redis's internal testing commands for the HLL representation.

extension HyperLogLogCommands {
    /// PFDEBUG GETREG | DECODE | ENCODING | TODENSE key
    static func pfdebug(_ c: Client) {
        let sub = c.argv[1], key = c.argv[2]
        let slot: Int
        switch lookup(c, key) {
        case .replied: return
        case .missing:
            c.error("ERR The specified key does not exist")
            return
        case .found(let s, _): slot = s
        }
        // Redis unshares the value before looking at the subcommand, so even an unknown one leaves it raw.
        let encoding = edit(c, slot: slot) { $0[4] }
        if sub.equalsIgnoringCase("GETREG") {
            if encoding == HLLSketch.sparse {
                guard edit(c, slot: slot, { HLLSketch.sparseToDense(&$0) }) else {
                    c.error(HLLSketch.invalidError)
                    return
                }
                // The encoding change is propagated (Redis forces it with dirty++).
                c.server.dirty += 1
            }
            guard case .string(let s) = c.db.value(at: slot) else { return }
            c.reply.arrayHeader(HLLSketch.registers)
            s.withUnsafeBytes { p in
                for i in 0..<HLLSketch.registers {
                    c.reply.integer(Int(HLLSketch.denseGet(p, HLLSketch.headerSize, i)))
                }
            }
        } else if sub.equalsIgnoringCase("DECODE") {
            guard encoding == HLLSketch.sparse else {
                c.error("ERR HLL encoding is not sparse")
                return
            }
            guard case .string(let s) = c.db.value(at: slot) else { return }
            c.reply.bulk(RBytes(s.withUnsafeBytes { decode($0) }))
        } else if sub.equalsIgnoringCase("ENCODING") {
            c.reply.status(encoding == HLLSketch.dense ? "dense" : "sparse")
        } else if sub.equalsIgnoringCase("TODENSE") {
            var converted = false
            if encoding == HLLSketch.sparse {
                guard edit(c, slot: slot, { HLLSketch.sparseToDense(&$0) }) else {
                    c.error(HLLSketch.invalidError)
                    return
                }
                converted = true
                c.server.dirty += 1
            }
            c.reply.integer(converted ? 1 : 0)
        } else {
            c.error("ERR Unknown PFDEBUG subcommand '\(Errors.truncated(sub, Int.max))'")
        }
    }

    /// The sparse opcodes as text: `z:<len>`, `Z:<len>`, `v:<value>,<len>`, space-separated.
    static func decode(_ s: UnsafeRawBufferPointer) -> String {
        var parts: [String] = []
        var p = HLLSketch.headerSize
        while p < s.count {
            let b = s[p]
            if HLLSketch.isZero(b) {
                parts.append("z:\(HLLSketch.zeroLen(b))")
                p += 1
            } else if HLLSketch.isXZero(b) {
                parts.append("Z:\(HLLSketch.xzeroLen(s, p))")
                p += 2
            } else {
                parts.append("v:\(HLLSketch.valValue(b)),\(HLLSketch.valLen(b))")
                p += 1
            }
        }
        return parts.joined(separator: " ")
    }

    /// PFSELFTEST: the register accessors keep values without touching neighbours, and dense and sparse sketches
    /// fed the same 10 million elements agree and stay within the expected error.
    static func pfselftest(_ c: Client) {
        if let failure = selfTest(maxSparse: c.server.config.hllSparseMaxBytes) {
            c.error(failure)
        } else {
            c.reply.ok()
        }
    }

    /// Runs the self test; nil on success, else the error text.
    static func selfTest(maxSparse: Int64, elements: Int = 10_000_000) -> String? {
        // One seed from the system, then a cheap generator (the system one costs a syscall per call).
        var rng = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
        var dense = [UInt8](repeating: 0, count: HLLSketch.denseSize)
        var bytes = [UInt8](repeating: 0, count: HLLSketch.registers)
        // Test 1: register access.
        for _ in 0..<1000 {
            for i in 0..<HLLSketch.registers {
                let r = UInt8(truncatingIfNeeded: rng.next()) & HLLSketch.registerMax
                bytes[i] = r
                HLLSketch.denseSetRaw(&dense, HLLSketch.headerSize, i, r)
            }
            let mismatch = dense.withUnsafeBytes { p -> String? in
                for i in 0..<HLLSketch.registers {
                    let v = HLLSketch.denseGet(p, HLLSketch.headerSize, i)
                    if v != bytes[i] { return "TESTFAILED Register \(i) should be \(bytes[i]) but is \(v)" }
                }
                return nil
            }
            if let mismatch { return mismatch }
        }
        // Test 2: approximation error, dense and sparse side by side.
        for i in HLLSketch.headerSize..<dense.count { dense[i] = 0 }
        dense[4] = HLLSketch.dense
        var sparse = HLLSketch.empty()
        let relErr = 1.04 / Double(HLLSketch.registers).squareRoot()
        var checkpoint = 1
        let seed = rng.next()
        func count(_ s: [UInt8]) -> UInt64 { s.withUnsafeBytes { HLLSketch.histogram($0).map(HLLSketch.estimate) ?? 0 } }
        for j in 1...elements {
            var ele = (UInt64(j) ^ seed).littleEndian
            let (index, n) = withUnsafeBytes(of: &ele) { HLLSketch.patternLength($0) }
            _ = HLLSketch.denseSet(&dense, index, n)
            if sparse[4] == HLLSketch.dense {
                _ = HLLSketch.denseSet(&sparse, index, n)
            } else {
                _ = HLLSketch.sparseSet(&sparse, index, n, maxSparse: maxSparse)
            }
            guard j == checkpoint else { continue }
            if Int64(j) < maxSparse / 2 && sparse[4] != HLLSketch.sparse { return "TESTFAILED sparse encoding not used" }
            let dc = count(dense)
            if dc != count(sparse) { return "TESTFAILED dense/sparse disagree" }
            var maxErr = UInt64((relErr * 6 * Double(checkpoint)).rounded(.up))
            if j == 10 { maxErr = 1 }
            let absErr = abs(Int64(checkpoint) - Int64(bitPattern: dc))
            if absErr > Int64(maxErr) { return "TESTFAILED Too big error. card:\(checkpoint) abserr:\(absErr)" }
            checkpoint *= 10
        }
        return nil
    }
}

/// A small, fast pseudo-random generator (SplitMix64) for PFSELFTEST's register values.
struct SplitMix64: RandomNumberGenerator {
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
