/// CRC-64/Jones as Redis computes it for RDB files and DUMP payloads: reflected, polynomial 0xad93d23594c935a9,
/// initial value 0, no final xor (`crc64(0, "123456789") == 0xe9c6d914c4b8d9ca`). Incremental: feed chunks to
/// `update` in order.
public enum CRC64 {
    /// The byte-at-a-time table for the reflected polynomial.
    static let table: [UInt64] = {
        let reflectedPoly: UInt64 = 0x95AC_9329_AC4B_C9B5
        var t = [UInt64](repeating: 0, count: 256)
        for i in 0..<256 {
            var crc = UInt64(i)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ reflectedPoly : crc >> 1
            }
            t[i] = crc
        }
        return t
    }()

    /// Continues `crc` over `bytes`.
    public static func update(_ crc: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for b in bytes {
                c = t[Int(UInt8(truncatingIfNeeded: c) ^ b)] ^ (c >> 8)
            }
        }
        return c
    }

    /// The checksum of a whole byte array.
    public static func checksum(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}
