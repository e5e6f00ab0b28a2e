import Glibc

// Adding to, merging and counting HLL sketches (Redis's hllSparseSet, hllMerge, hllCount).

extension HLLSketch {
    /// Adds one element: 1 if a register changed, 0 if not, -1 if the HLL is corrupt. `maxSparse` is
    /// `hll-sparse-max-bytes`.
    static func add(_ s: inout [UInt8], _ element: UnsafeRawBufferPointer, maxSparse: Int64) -> Int {
        let (index, count) = patternLength(element)
        switch s[4] {
        case dense: return denseSet(&s, index, count) ? 1 : 0
        case sparse: return sparseSet(&s, index, count, maxSparse: maxSparse)
        default: return -1
        }
    }

    /// Raises register `index` of a sparse HLL to `count`, splitting the opcode that covers it and merging equal
    /// neighbouring VALs, exactly as Redis edits the string. Promotes to dense when `count` exceeds what a VAL
    /// holds or the string would grow past `maxSparse`. Returns 1 (changed), 0 (no change) or -1 (corrupt).
    static func sparseSet(_ s: inout [UInt8], _ index: Int, _ count: UInt8, maxSparse: Int64) -> Int {
        if Int(count) > sparseValMax { return promote(&s, index, count) }
        // Step 1: find the opcode covering `index`.
        var end = s.count
        var p = headerSize, first = 0, span = 0
        var prev: Int? = nil
        var found = false
        s.withUnsafeBytes { sp in
            while p < end {
                var oplen = 1
                let b = sp[p]
                if isZero(b) { span = zeroLen(b) }
                else if isVal(b) { span = valLen(b) }
                else { span = xzeroLen(sp, p); oplen = 2 }
                if index <= first + span - 1 { found = true; break }
                prev = p
                p += oplen
                first += span
            }
        }
        if !found || span == 0 || p >= end { return -1 }
        let op = s[p]
        let isZ = isZero(op), isX = isXZero(op), isV = isVal(op)
        let runlen = isZ ? zeroLen(op) : (isV ? valLen(op) : span)
        var changed = false
        // Step 2: the trivial in-place cases.
        if isV {
            let old = valValue(op)
            if old >= Int(count) { return 0 }
            if runlen == 1 {
                s[p] = valOp(Int(count), 1)
                changed = true
            }
        }
        if !changed && isZ && runlen == 1 {
            s[p] = valOp(Int(count), 1)
            changed = true
        }
        if !changed {
            // The general case: split the opcode into up to three (at most 5 bytes: XZERO VAL XZERO).
            var seq: [UInt8] = []
            seq.reserveCapacity(5)
            let last = first + span - 1
            if isZ || isX {
                if index != first { appendZeros(&seq, index - first) }
                seq.append(valOp(Int(count), 1))
                if index != last { appendZeros(&seq, last - index) }
            } else {
                let cur = valValue(op)
                if index != first { seq.append(valOp(cur, index - first)) }
                seq.append(valOp(Int(count), 1))
                if index != last { seq.append(valOp(cur, last - index)) }
            }
            // Step 3: substitute the sequence, unless the string would outgrow the sparse limit.
            let oldLen = isX ? 2 : 1
            let delta = seq.count - oldLen
            if delta > 0 && Int64(s.count + delta) > maxSparse { return promote(&s, index, count) }
            s.replaceSubrange(p..<(p + oldLen), with: seq)
            end += delta
        }
        // Step 4: merge adjacent VALs of equal value, scanning up to 5 opcodes from the previous one.
        var i = prev ?? headerSize
        var scan = 5
        while i < end && scan > 0 {
            scan -= 1
            let b = s[i]
            if isXZero(b) { i += 2; continue }
            if isZero(b) { i += 1; continue }
            if i + 1 < end && isVal(s[i + 1]) {
                let v1 = valValue(b), v2 = valValue(s[i + 1])
                if v1 == v2 {
                    let len = valLen(b) + valLen(s[i + 1])
                    if len <= sparseValMaxLen {
                        s[i + 1] = valOp(v1, len)
                        s.remove(at: i)
                        end -= 1
                        continue
                    }
                }
            }
            i += 1
        }
        invalidateCache(&s)
        return 1
    }

    /// Sparse → dense, then the register update (which always changes it).
    static func promote(_ s: inout [UInt8], _ index: Int, _ count: UInt8) -> Int {
        guard sparseToDense(&s) else { return -1 }
        _ = denseSet(&s, index, count)
        return 1
    }

    /// `max[i] = MAX(max[i], register i)` over a validated HLL; false if it is a corrupt sparse one.
    static func merge(into max: inout [UInt8], _ s: UnsafeRawBufferPointer) -> Bool {
        if s[4] == dense {
            for i in 0..<registers {
                let v = denseGet(s, headerSize, i)
                if v > max[i] { max[i] = v }
            }
            return true
        }
        var i = 0, p = headerSize
        while p < s.count {
            let b = s[p]
            if isZero(b) {
                i += zeroLen(b); p += 1
            } else if isXZero(b) {
                i += xzeroLen(s, p); p += 2
            } else {
                let run = valLen(b), v = UInt8(valValue(b))
                if run + i > registers { return false }
                for _ in 0..<run {
                    if v > max[i] { max[i] = v }
                    i += 1
                }
                p += 1
            }
        }
        return i == registers
    }

    // MARK: Counting

    /// The register-value histogram of a validated HLL; nil for a corrupt sparse one.
    static func histogram(_ s: UnsafeRawBufferPointer) -> [Int]? {
        var h = [Int](repeating: 0, count: 64)
        if s[4] == dense {
            for i in 0..<registers { h[Int(denseGet(s, headerSize, i))] += 1 }
            return h
        }
        var idx = 0, p = headerSize
        while p < s.count {
            let b = s[p]
            if isZero(b) {
                let run = zeroLen(b)
                idx += run; h[0] += run; p += 1
            } else if isXZero(b) {
                let run = xzeroLen(s, p)
                idx += run; h[0] += run; p += 2
            } else {
                let run = valLen(b)
                idx += run; h[valValue(b)] += run; p += 1
            }
        }
        return idx == registers ? h : nil
    }

    /// The histogram of plain one-byte registers (PFCOUNT over several keys).
    static func histogram(rawRegisters r: [UInt8]) -> [Int] {
        var h = [Int](repeating: 0, count: 64)
        for v in r { h[Int(v & 63)] += 1 }
        return h
    }

    static func sigma(_ x0: Double) -> Double {
        if x0 == 1 { return .infinity }
        var x = x0, y = 1.0, z = x0, zPrime = 0.0
        repeat {
            x *= x
            zPrime = z
            z += x * y
            y += y
        } while zPrime != z
        return z
    }

    static func tau(_ x0: Double) -> Double {
        if x0 == 0 || x0 == 1 { return 0 }
        var x = x0, y = 1.0, z = 1 - x0, zPrime = 0.0
        repeat {
            x = x.squareRoot()
            zPrime = z
            y *= 0.5
            z -= pow(1 - x, 2) * y
        } while zPrime != z
        return z / 3
    }

    /// Ertl's improved estimator over a register histogram, rounded as Redis's llroundl.
    static func estimate(_ h: [Int]) -> UInt64 {
        let m = Double(registers)
        var z = m * tau((m - Double(h[q + 1])) / m)
        for j in stride(from: q, through: 1, by: -1) {
            z += Double(h[j])
            z *= 0.5
        }
        z += m * sigma(Double(h[0]) / m)
        let alphaInf = 0.721347520444481703680
        let e = (alphaInf * m * m / z).rounded()
        // Registers above 51 exist only in hand-made strings; they can make z zero. C's llroundl then yields
        // LLONG_MIN, which Redis prints as an unsigned 2^63.
        guard e.isFinite, e >= -9.2e18, e < 9.2e18 else { return 1 << 63 }
        return UInt64(bitPattern: Int64(e))
    }
}
