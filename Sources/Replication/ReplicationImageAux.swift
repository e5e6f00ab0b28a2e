/// Reads the `repl-stream-db` aux field from the header of an RDB image sent by a master: the database its
/// stream has selected when the image was taken. A proxied stream (a chained replica's) does not select it
/// again, so the replica's master client must start there.
enum ReplicationImageAux {
    /// The aux fields sit before the first database; they are looked for in this many leading bytes.
    static let headerWindow = 4096

    /// `repl-stream-db` as an integer, or nil when the image does not carry it (or carries it malformed).
    static func streamDb(in image: [UInt8]) -> Int? {
        let name = Array("repl-stream-db".utf8)
        // RDB_OPCODE_AUX (0xFA), then the name as a string with a 6-bit length.
        let pattern = [0xFA, UInt8(name.count)] + name
        let window = min(image.count, headerWindow)
        guard window >= pattern.count else { return nil }
        var i = 0
        while i + pattern.count <= window {
            if image[i] == 0xFA && Array(image[i..<(i + pattern.count)]) == pattern {
                return integer(image, at: i + pattern.count)
            }
            i += 1
        }
        return nil
    }

    /// An RDB string-encoded integer at `at` (int8/16/32 forms, or a short decimal string).
    private static func integer(_ b: [UInt8], at: Int) -> Int? {
        guard at < b.count else { return nil }
        let tag = b[at]
        func le(_ n: Int) -> Int? {
            guard at + n < b.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<n { v |= UInt32(b[at + 1 + k]) << (8 * UInt32(k)) }
            switch n {
            case 1: return Int(Int8(truncatingIfNeeded: v))
            case 2: return Int(Int16(truncatingIfNeeded: v))
            default: return Int(Int32(bitPattern: v))
            }
        }
        switch tag {
        case 0xC0: return le(1)
        case 0xC1: return le(2)
        case 0xC2: return le(4)
        default:
            guard tag < 0x40 else { return nil }
            let len = Int(tag)
            guard len > 0, at + len < b.count else { return nil }
            return Int(String(decoding: b[(at + 1)...(at + len)], as: UTF8.self))
        }
    }
}
