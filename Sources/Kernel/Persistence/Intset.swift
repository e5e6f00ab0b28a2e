/// Redis's intset (`intset.c`), the RDB encoding of small integer sets (type 11): encoding width (u32 LE:
/// 2, 4 or 8), count (u32 LE), then the integers ascending, little endian, all of that width.
public enum Intset {
    /// Encodes ascending distinct integers with the smallest width that holds them all.
    public static func encode(_ sorted: [Int64]) -> [UInt8] {
        var width = 2
        for v in sorted {
            if v < Int64(Int32.min) || v > Int64(Int32.max) { width = 8; break }
            if v < Int64(Int16.min) || v > Int64(Int16.max) { width = 4 }
        }
        var out = [UInt8]()
        out.reserveCapacity(8 + width * sorted.count)
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: width >> (8 * k))) }
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: sorted.count >> (8 * k))) }
        for v in sorted {
            let u = UInt64(bitPattern: v)
            for k in 0..<width { out.append(UInt8(truncatingIfNeeded: u >> (8 * k))) }
        }
        return out
    }

    /// Decodes an intset, checking the width, the size, and that members ascend strictly.
    public static func decode(_ bytes: UnsafeRawBufferPointer, base: Int = 0) throws -> [Int64] {
        var r = RDBReader(bytes, base: base)
        let width = Int(try r.uintLE(4))
        guard width == 2 || width == 4 || width == 8 else { throw RDBError(offset: base, "bad intset encoding \(width)") }
        let n = try r.uintLE(4)
        guard n * UInt64(width) == UInt64(r.remaining) else {
            throw RDBError(offset: base + 4, "intset of \(n) × \(width) bytes does not match its size \(bytes.count)")
        }
        var out = [Int64]()
        out.reserveCapacity(Int(n))
        for _ in 0..<Int(n) {
            let u = try r.uintLE(width)
            let shift = UInt64(64 - 8 * width)
            let v = Int64(bitPattern: u << shift) >> Int64(shift)
            if let last = out.last, v <= last { throw r.error("intset members not ascending") }
            out.append(v)
        }
        return out
    }
}
