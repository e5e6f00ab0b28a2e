/// Redis's legacy ziplist (`ziplist.c`, RDB types 10, 12, 13 and quicklist v1 nodes), decode only.
///
/// Layout: total bytes (u32 LE), tail offset (u32 LE), count (u16 LE, 65535 = unknown), entries, 0xFF.
/// Each entry: prevlen (1 byte, or 0xFE + u32 LE), an encoding (strings 6/14/32-bit length, integers
/// int8/16/24/32/64 or an immediate 0...12), then the data.
public enum Ziplist {
    /// Decodes a whole ziplist, checking header, bounds, prevlen chain and terminator.
    public static func decode(_ zl: UnsafeRawBufferPointer, base: Int = 0) throws -> [Listpack.Element] {
        var r = RDBReader(zl, base: base)
        let total = try r.uintLE(4)
        guard total == UInt64(zl.count) else { throw RDBError(offset: base, "ziplist header size \(total) != \(zl.count)") }
        let tail = try r.uintLE(4)
        let declared = Int(try r.uintLE(2))
        var out: [Listpack.Element] = []
        var previousSize = 0
        var lastStart = 10
        while true {
            let start = r.offset
            let first = try r.u8()
            if first == 0xFF { break }
            let prevlen: Int
            if first == 0xFE {
                prevlen = Int(try r.uintLE(4))
            } else {
                prevlen = Int(first)
            }
            guard prevlen == previousSize else { throw RDBError(offset: base + start, "ziplist prevlen \(prevlen) != \(previousSize)") }
            let encStart = r.offset
            let enc = try r.u8()
            let element: Listpack.Element
            switch enc >> 6 {
            case 0: element = .string(try r.take(Int(enc & 0x3F)))
            case 1: element = .string(try r.take(Int(enc & 0x3F) << 8 | Int(try r.u8())))
            case 2:
                guard enc == 0x80 else { r.offset = encStart; throw r.error("bad ziplist string encoding") }
                let n = try r.uintBE(4)
                guard n <= UInt64(r.remaining) else { throw r.error("ziplist string length \(n) past the end") }
                element = .string(try r.take(Int(n)))
            default:
                switch enc {
                case 0xC0: element = .int(Int64(Int16(truncatingIfNeeded: try r.uintLE(2))))
                case 0xD0: element = .int(Int64(Int32(truncatingIfNeeded: try r.uintLE(4))))
                case 0xE0: element = .int(Int64(bitPattern: try r.uintLE(8)))
                case 0xF0:
                    let u = UInt32(try r.uintLE(3)) << 8
                    element = .int(Int64(Int32(bitPattern: u) >> 8))
                case 0xFE: element = .int(Int64(Int8(bitPattern: try r.u8())))
                case 0xF1...0xFD: element = .int(Int64(enc & 0x0F) - 1)
                default: r.offset = encStart; throw r.error("bad ziplist entry encoding 0x\(String(enc, radix: 16))")
                }
            }
            previousSize = r.offset - start
            lastStart = start
            out.append(element)
        }
        guard r.remaining == 0 else { throw r.error("bytes after the ziplist terminator") }
        if !out.isEmpty && tail != UInt64(lastStart) { throw RDBError(offset: base + 4, "ziplist tail offset \(tail) != \(lastStart)") }
        if declared != 65535 && declared != out.count {
            throw RDBError(offset: base + 8, "ziplist declares \(declared) entries, holds \(out.count)")
        }
        return out
    }
}
