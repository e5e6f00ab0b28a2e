/// Redis's legacy zipmap (RDB type 9, hashes before 2.6), decode only.
///
/// Layout: count (1 byte, 254+ = unknown), then per pair: key length, key, value length, a "free" byte,
/// value, `free` unused bytes; 0xFF ends it. Lengths are 1 byte below 254, else 254 + u32 (little endian).
public enum Zipmap {
    /// Decodes the pairs, in order.
    public static func decode(_ zm: UnsafeRawBufferPointer, base: Int = 0) throws -> [(field: [UInt8], value: [UInt8])] {
        var r = RDBReader(zm, base: base)
        _ = try r.u8()
        var out: [(field: [UInt8], value: [UInt8])] = []
        func length(_ r: inout RDBReader) throws -> Int? {
            let b = try r.u8()
            if b == 0xFF { return nil }
            if b < 254 { return Int(b) }
            if b == 254 { return Int(try r.uintLE(4)) }
            throw r.error("bad zipmap length")
        }
        while true {
            guard let klen = try length(&r) else { break }
            let key = try r.take(klen)
            guard let vlen = try length(&r) else { throw r.error("zipmap key without value") }
            let free = Int(try r.u8())
            let value = try r.take(vlen)
            try r.skip(free)
            out.append((key, value))
        }
        guard r.remaining == 0 else { throw r.error("bytes after the zipmap terminator") }
        return out
    }
}
