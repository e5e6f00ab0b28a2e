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

    /// Compresses `input`; nil if the result would be longer than `limit` bytes (Redis then stores the string
    /// uncompressed) or the input is empty.
    public static func compress(_ input: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
        let n = input.count
        guard n > 0, limit > 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(min(limit, n + n / 32 + 1))
        let hashBits = 14
        var table = [Int](repeating: -1, count: 1 << hashBits)
        var literalStart = 0  // first byte of the pending literal run
        var i = 0

        func flushLiterals(_ end: Int) {
            var s = literalStart
            while s < end {
                let run = min(maxLiteral, end - s)
                out.append(UInt8(run - 1))
                for k in s..<(s + run) { out.append(input[k]) }
                s += run
            }
        }

        while i + 2 < n {
            let h = ((Int(input[i]) << 16 | Int(input[i + 1]) << 8 | Int(input[i + 2])) &* 2_654_435_761)
                >> (32 - hashBits) & ((1 << hashBits) - 1)
            let ref = table[h]
            table[h] = i
            if ref >= 0, i - ref <= maxOffset, input[ref] == input[i], input[ref + 1] == input[i + 1],
               input[ref + 2] == input[i + 2] {
                var len = 3
                let maxLen = min(maxMatch, n - i)
                while len < maxLen && input[ref + len] == input[i + len] { len += 1 }
                flushLiterals(i)
                let off = i - ref - 1
                let l = len - 2
                if l < 7 {
                    out.append(UInt8(l << 5 | off >> 8))
                } else {
                    out.append(UInt8(7 << 5 | off >> 8))
                    out.append(UInt8(l - 7))
                }
                out.append(UInt8(off & 0xFF))
                i += len
                literalStart = i
            } else {
                i += 1
            }
            if out.count > limit { return nil }
        }
        literalStart = min(literalStart, n)
        flushLiterals(n)
        return out.count <= limit ? out : nil
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
