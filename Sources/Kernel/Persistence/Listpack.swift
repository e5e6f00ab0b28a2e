/// Redis's listpack format (`listpack.c`), the compact encoding in RDB types 16, 17, 18 (and streams).
///
/// Layout: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), entries, 0xFF. Each entry is an
/// encoding byte (+ data) followed by its "backlen", the entry's size in 7-bit groups read backwards.
/// Strings that are canonical integers are stored as integers, as Redis does.
public enum Listpack {
    /// One decoded element: a string, or an integer stored in integer form.
    public enum Element: Equatable {
        case string([UInt8])
        case int(Int64)

        /// The element as bytes (integers as decimal text), as Redis returns them.
        public var bytes: [UInt8] {
            switch self {
            case .string(let s): return s
            case .int(let v): return Array(String(v).utf8)
            }
        }
    }

    /// Builds a listpack incrementally.
    public struct Builder {
        /// The entries so far (header and terminator are added by `finish`).
        public private(set) var body: [UInt8] = []
        /// Number of entries.
        public private(set) var count = 0

        /// An empty builder.
        public init() {}

        /// Size the finished listpack would have.
        public var totalBytes: Int { 6 + body.count + 1 }

        /// Appends an element, integer-encoded when it is a canonical integer.
        public mutating func append(_ element: UnsafeRawBufferPointer) {
            let start = body.count
            if element.count <= 20, let v = Numbers.parseInt64(element) {
                Listpack.encodeInt(v, into: &body)
            } else {
                Listpack.encodeString(element, into: &body)
            }
            Listpack.appendBacklen(body.count - start, into: &body)
            count += 1
        }

        /// Appends an element.
        public mutating func append(_ element: RBytes) {
            element.withUnsafeBytes { append($0) }
        }

        /// Appends an integer element.
        public mutating func append(int v: Int64) {
            let start = body.count
            Listpack.encodeInt(v, into: &body)
            Listpack.appendBacklen(body.count - start, into: &body)
            count += 1
        }

        /// The complete listpack bytes.
        public func finish() -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(totalBytes)
            let total = UInt32(truncatingIfNeeded: totalBytes)
            for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: total >> (8 * k))) }
            let n = count < 65535 ? UInt16(count) : 65535
            out.append(UInt8(n & 0xFF))
            out.append(UInt8(n >> 8))
            out.append(contentsOf: body)
            out.append(0xFF)
            return out
        }
    }

    /// Encodes an integer entry (without backlen) with the smallest of Redis's integer encodings.
    static func encodeInt(_ v: Int64, into out: inout [UInt8]) {
        if v >= 0 && v <= 127 {
            out.append(UInt8(v))
        } else if v >= -4096 && v <= 4095 {
            let u = UInt16(bitPattern: Int16(v)) & 0x1FFF
            out.append(0xC0 | UInt8(u >> 8))
            out.append(UInt8(u & 0xFF))
        } else {
            let (tag, width): (UInt8, Int)
            if v >= -32768 && v <= 32767 { (tag, width) = (0xF1, 2) }
            else if v >= -8_388_608 && v <= 8_388_607 { (tag, width) = (0xF2, 3) }
            else if v >= Int64(Int32.min) && v <= Int64(Int32.max) { (tag, width) = (0xF3, 4) }
            else { (tag, width) = (0xF4, 8) }
            out.append(tag)
            let u = UInt64(bitPattern: v)
            for k in 0..<width { out.append(UInt8(truncatingIfNeeded: u >> (8 * k))) }
        }
    }

    /// Encodes a string entry (without backlen).
    static func encodeString(_ s: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let n = s.count
        if n < 64 {
            out.append(0x80 | UInt8(n))
        } else if n < 4096 {
            out.append(0xE0 | UInt8(n >> 8))
            out.append(UInt8(n & 0xFF))
        } else {
            out.append(0xF0)
            for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: n >> (8 * k))) }
        }
        out.append(contentsOf: s)
    }

    /// Number of bytes the backlen of an entry of `size` bytes takes.
    static func backlenSize(_ size: Int) -> Int {
        if size <= 127 { return 1 }
        if size < 16383 { return 2 }
        if size < 2_097_151 { return 3 }
        if size < 268_435_455 { return 4 }
        return 5
    }

    /// Appends the backlen of an entry of `size` bytes (most significant group first; every byte but the
    /// first has its high bit set, so it reads right to left).
    static func appendBacklen(_ size: Int, into out: inout [UInt8]) {
        let n = backlenSize(size)
        for k in stride(from: n - 1, through: 0, by: -1) {
            let group = UInt8((size >> (7 * k)) & 127)
            out.append(k == n - 1 ? group : group | 128)
        }
    }

    /// Decodes a whole listpack, checking its header, every entry's bounds and backlen, and the terminator.
    /// `base` is added to offsets in errors.
    public static func decode(_ lp: UnsafeRawBufferPointer, base: Int = 0) throws -> [Element] {
        var r = RDBReader(lp, base: base)
        let total = try r.uintLE(4)
        guard total == UInt64(lp.count) else { throw RDBError(offset: base, "listpack header size \(total) != \(lp.count)") }
        let declared = Int(try r.uintLE(2))
        var out: [Element] = []
        while true {
            let start = r.offset
            let b = try r.u8()
            if b == 0xFF { break }
            let element: Element
            if b & 0x80 == 0 {
                element = .int(Int64(b))
            } else if b & 0xC0 == 0x80 {
                element = .string(try r.take(Int(b & 0x3F)))
            } else if b & 0xE0 == 0xC0 {
                let u = UInt16(b & 0x1F) << 8 | UInt16(try r.u8())
                element = .int(Int64(Int16(bitPattern: u << 3) >> 3))
            } else if b & 0xF0 == 0xE0 {
                let n = Int(b & 0x0F) << 8 | Int(try r.u8())
                element = .string(try r.take(n))
            } else {
                switch b {
                case 0xF0:
                    let n = try r.uintLE(4)
                    guard n <= UInt64(r.remaining) else { throw r.error("listpack string length \(n) past the end") }
                    element = .string(try r.take(Int(n)))
                case 0xF1: element = .int(Int64(Int16(truncatingIfNeeded: try r.uintLE(2))))
                case 0xF2:
                    let u = UInt32(try r.uintLE(3)) << 8
                    element = .int(Int64(Int32(bitPattern: u) >> 8))
                case 0xF3: element = .int(Int64(Int32(truncatingIfNeeded: try r.uintLE(4))))
                case 0xF4: element = .int(Int64(bitPattern: try r.uintLE(8)))
                default:
                    r.offset = start
                    throw r.error("bad listpack entry encoding 0x\(String(b, radix: 16))")
                }
            }
            let size = r.offset - start
            let blStart = r.offset
            let bl = backlenSize(size)
            try r.skip(bl)
            var back = 0
            for k in 0..<bl { back = back << 7 | Int(lp[blStart + k] & 127) }
            guard back == size else { throw RDBError(offset: base + blStart, "listpack backlen \(back) != entry size \(size)") }
            out.append(element)
        }
        guard r.remaining == 0 else { throw r.error("bytes after the listpack terminator") }
        if declared != 65535 && declared != out.count {
            throw RDBError(offset: base + 4, "listpack declares \(declared) entries, holds \(out.count)")
        }
        return out
    }
}
