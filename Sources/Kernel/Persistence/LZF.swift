/// LZF, the compression Redis uses for long strings in RDB files (`lzf_c.c` / `lzf_d.c` format).
///
/// A compressed stream is a sequence of chunks, each starting with a control byte `ctrl`:
/// - `ctrl < 32`: a literal run of `ctrl + 1` bytes follows;
/// - otherwise a back reference: length `ctrl >> 5` (7 means "add the next byte"), plus 2; offset
///   `((ctrl & 0x1f) << 8) + next byte + 1` bytes back in the output.
public enum LZF {
    static let maxLiteral = 32
    static let maxOffset = 1 << 13
    static let maxMatch = (1 << 8) + (1 << 3)  // 264: 7 + 255 + 2

    /// Compresses `input` exactly as liblzf 3.6 does in Redis's build (HLOG 16, VERY_FAST), so payloads are
    /// byte-identical to Redis's; nil if the result would not fit in `limit` bytes (Redis then stores the
    /// string uncompressed) or the input is empty.
    public static func compress(_ input: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
        let inLen = input.count
        guard inLen > 0, limit > 0 else { return nil }
        let hsize = 1 << 16
        // Slot value 0 means "no reference": liblzf never accepts a reference to the first byte.
        var table = [Int32](repeating: 0, count: hsize)
        var out = [UInt8](repeating: 0, count: limit + 8)
        let outEnd = limit
        @inline(__always) func idx(_ h: UInt32) -> Int { Int(((h >> 8) &- h &* 5) & 0xFFFF) }
        @inline(__always) func first(_ p: Int) -> UInt32 { UInt32(input[p]) << 8 | UInt32(input[p + 1]) }
        @inline(__always) func next(_ v: UInt32, _ p: Int) -> UInt32 { v << 8 | UInt32(input[p + 2]) }

        var ip = 0, op = 1, lit = 0
        var hval = inLen >= 2 ? first(0) : 0
        while ip + 2 < inLen {
            hval = next(hval, ip)
            let slot = idx(hval)
            let ref = Int(table[slot])
            table[slot] = Int32(ip)
            let off = ip - ref - 1
            if ref > 0, off >= 0, off < maxOffset, input[ref + 2] == input[ip + 2],
               input[ref] == input[ip], input[ref + 1] == input[ip + 1] {
                var len = 2
                let maxlen = min(inLen - ip - len, maxMatch)
                if op + 3 + 1 >= outEnd && op - (lit == 0 ? 1 : 0) + 3 + 1 >= outEnd { return nil }
                out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)
                op -= lit == 0 ? 1 : 0
                repeat { len += 1 } while len < maxlen && input[ref + len] == input[ip + len]
                len -= 2
                ip += 1
                if len < 7 {
                    out[op] = UInt8(truncatingIfNeeded: (off >> 8) + (len << 5)); op += 1
                } else {
                    out[op] = UInt8(truncatingIfNeeded: (off >> 8) + (7 << 5)); op += 1
                    out[op] = UInt8(truncatingIfNeeded: len - 7); op += 1
                }
                out[op] = UInt8(truncatingIfNeeded: off); op += 1
                lit = 0; op += 1
                ip += len + 1
                if ip >= inLen - 2 { break }
                ip -= 2
                hval = first(ip)
                hval = next(hval, ip)
                table[idx(hval)] = Int32(ip)
                ip += 1
                hval = next(hval, ip)
                table[idx(hval)] = Int32(ip)
                ip += 1
            } else {
                if op >= outEnd { return nil }
                lit += 1; out[op] = input[ip]; op += 1; ip += 1
                if lit == maxLiteral {
                    out[op - lit - 1] = UInt8(lit - 1)
                    lit = 0; op += 1
                }
            }
        }
        if op + 3 > outEnd { return nil }
        while ip < inLen {
            lit += 1; out[op] = input[ip]; op += 1; ip += 1
            if lit == maxLiteral {
                out[op - lit - 1] = UInt8(lit - 1)
                lit = 0; op += 1
            }
        }
        out[op - lit - 1] = UInt8(truncatingIfNeeded: lit - 1)
        op -= lit == 0 ? 1 : 0
        return Array(out[0..<op])
    }

    /// Decompresses `input` into exactly `length` bytes; throws (with the input offset) if the data is corrupt
    /// or does not produce exactly `length` bytes. `base` is added to offsets in errors.
    public static func decompress(_ input: UnsafeRawBufferPointer, length: Int, base: Int = 0) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(length)
        var i = 0
        while i < input.count {
            let ctrl = Int(input[i])
            i += 1
            if ctrl < 32 {
                let run = ctrl + 1
                guard i + run <= input.count else { throw RDBError(offset: base + i, "LZF literal run past the input") }
                guard out.count + run <= length else { throw RDBError(offset: base + i, "LZF output longer than declared") }
                out.append(contentsOf: input[i..<(i + run)])
                i += run
            } else {
                var len = ctrl >> 5
                if len == 7 {
                    guard i < input.count else { throw RDBError(offset: base + i, "LZF truncated back reference") }
                    len += Int(input[i])
                    i += 1
                }
                len += 2
                guard i < input.count else { throw RDBError(offset: base + i, "LZF truncated back reference") }
                let back = ((ctrl & 0x1F) << 8) + Int(input[i]) + 1
                i += 1
                guard back <= out.count else { throw RDBError(offset: base + i, "LZF back reference before the start") }
                guard out.count + len <= length else { throw RDBError(offset: base + i, "LZF output longer than declared") }
                let from = out.count - back
                for k in 0..<len { out.append(out[from + k]) }
            }
        }
        guard out.count == length else { throw RDBError(offset: base + i, "LZF output shorter than declared") }
        return out
    }
}
