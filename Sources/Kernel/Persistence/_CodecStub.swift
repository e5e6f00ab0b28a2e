// TEMPORARY stand-in for the RDB codec (branch `codec`), so the snapshot engine builds and can be tested with
// strings before the codec lands. Deleted at the merge.

public struct RDBEncoder {
    var bytes: [UInt8] = []
    let compression: Bool
    public init(compression: Bool) { self.compression = compression }
    public var count: Int { bytes.count }
    public mutating func takeBytes() -> [UInt8] { defer { bytes = [] }; return bytes }
    public mutating func writeHeader() { bytes += Array("REDIS0010".utf8) }
    mutating func len(_ n: Int) {
        if n < 64 { bytes.append(UInt8(n)) } else if n < 16384 { bytes += [UInt8(0x40 | (n >> 8)), UInt8(n & 0xFF)] } else {
            bytes.append(0x80); bytes += withUnsafeBytes(of: UInt32(n).bigEndian, Array.init)
        }
    }
    mutating func str(_ b: [UInt8]) { len(b.count); bytes += b }
    public mutating func writeAux(_ key: String, _ value: String) { bytes.append(0xFA); str(Array(key.utf8)); str(Array(value.utf8)) }
    public mutating func writeAux(_ key: String, int value: Int64) { writeAux(key, String(value)) }
    public mutating func writeSelectDB(_ db: Int) { bytes.append(0xFE); len(db) }
    public mutating func writeResizeDB(keys: Int, expires: Int) { bytes.append(0xFB); len(keys); len(expires) }
    public mutating func writeKey(_ key: RBytes, _ value: Value, expireAt: Int64?, idleSeconds: Int64?, freq: UInt8?) {
        guard case .string(let s) = value else { return }
        if let e = expireAt { bytes.append(0xFC); bytes += withUnsafeBytes(of: e.littleEndian, Array.init) }
        bytes.append(0)
        str(key.withUnsafeBytes { Array($0) })
        str(s.withUnsafeBytes { Array($0) })
    }
    public mutating func writeFunction(_ code: [UInt8]) { bytes.append(245); str(code) }
    public mutating func writeEOF() { bytes.append(0xFF) }
}

public enum CRC64 {
    static let table: [UInt64] = (0..<256).map { i -> UInt64 in
        var c = UInt64(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x95AC_9329_AC4B_C9B5 : c >> 1 }
        return c
    }
    public static func update(_ crc: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int(UInt8(truncatingIfNeeded: c) ^ b)] ^ (c >> 8) }
        }
        return c
    }
}

public struct RDBError: Error, CustomStringConvertible {
    public let offset: Int
    public let message: String
    public var description: String { "\(message) (at offset \(offset))" }
}

public struct RDBKey {
    public var db: Int
    public var key: RBytes
    public var value: Value
    public var expireAt: Int64?
    public var idleSeconds: Int64?
    public var freq: UInt8?
}

public struct EncodingThresholds { public init(_ config: Config) {} }

public enum RDBFile {
    public static func parse(_ bytes: UnsafeRawBufferPointer, thresholds: EncodingThresholds,
                             onAux: (String, [UInt8]) throws -> Void, onKey: (RDBKey) throws -> Void,
                             onFunction: ([UInt8]) throws -> Void) throws -> Int {
        throw RDBError(offset: 0, message: "RDB loading is not in this build yet")
    }
}
