/// One key read from an RDB file.
public struct RDBKey {
    /// The database (last SELECTDB before the key).
    public var db: Int
    /// The key name.
    public var key: RBytes
    /// The value, in the encoding the load thresholds chose.
    public var value: Value
    /// Absolute expiry in Unix milliseconds (EXPIRETIME seconds are converted).
    public var expireAt: Int64?
    /// Seconds idle when saved (IDLE opcode, written under LRU policies).
    public var idleSeconds: Int64?
    /// LFU counter when saved (FREQ opcode, written under LFU policies).
    public var freq: UInt8?

    /// A key with all its attributes.
    public init(db: Int, key: RBytes, value: Value, expireAt: Int64?, idleSeconds: Int64?, freq: UInt8?) {
        self.db = db
        self.key = key
        self.value = value
        self.expireAt = expireAt
        self.idleSeconds = idleSeconds
        self.freq = freq
    }
}

/// Events a file walk reports, for tools that describe a file as they go (`--check-rdb`).
public enum RDBEvent {
    /// An AUX field was read; `end` is the offset after it.
    case aux(key: String, value: [UInt8], end: Int)
    /// SELECTDB was read.
    case selectDB(Int, end: Int)
    /// The checksum trailer matched (`verified`), or was 0 (saved with rdbchecksum off: not checked).
    case checksum(verified: Bool, end: Int)
    /// A key's value of RDB type `type` is about to be read; `at` is the offset of the value.
    case value(key: RBytes, type: UInt8, at: Int)
    /// What the walker is about to do, in redis-check-rdb's words (`start`, `read-type`, `read-expire`,
    /// `read-aux`, `read-module-aux`, `read-functions`, `read-key`, `check-sum`).
    case doing(String)
    /// A value type byte was read (its key comes next).
    case keyType(UInt8)
}

/// Whole-file RDB parsing (Redis's `rdbLoadRio`).
public enum RDBFile {
    /// Parses a whole RDB image (any version 1...10 that Redis 7.0 loads): aux fields to onAux, every key to onKey
    /// in file order, function libraries to onFunction; verifies the CRC64 trailer when it is not 0
    /// (rdbchecksum). Empty collections are skipped, as Redis skips them. Returns the key count.
    public static func parse(_ bytes: UnsafeRawBufferPointer, thresholds: EncodingThresholds,
                             onAux: (String, [UInt8]) throws -> Void,
                             onKey: (RDBKey) throws -> Void,
                             onFunction: ([UInt8]) throws -> Void) throws -> Int {
        try walk(bytes, thresholds: thresholds, onEvent: { event in
            if case .aux(let k, let v, _) = event { try onAux(k, v) }
        }, onKey: onKey, onFunction: onFunction)
    }

    /// `parse` with every structural event reported (used by the checker). With `checkMode`, module aux data
    /// and module values are skipped over (as `redis-check-rdb` does) instead of being errors; a skipped module
    /// value is reported to `onKey` as an empty string.
    public static func walk(_ bytes: UnsafeRawBufferPointer, thresholds: EncodingThresholds, checkMode: Bool = false,
                            onEvent: (RDBEvent) throws -> Void,
                            onKey: (RDBKey) throws -> Void,
                            onFunction: ([UInt8]) throws -> Void) throws -> Int {
        typealias Op = RDBFormat.Opcode
        var r = RDBReader(bytes)
        try onEvent(.doing("start"))
        let magic = try r.take(5)
        guard magic == Array("REDIS".utf8) else { throw RDBError(offset: 0, "Wrong signature trying to load DB from file") }
        let digits = try r.take(4)
        guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }), let version = Int(String(decoding: digits, as: UTF8.self)),
              version >= 1, version <= Int(RDBFormat.version) else {
            throw RDBError(offset: 5, "Can't handle RDB format version \(String(decoding: digits, as: UTF8.self))")
        }
        var db = 0
        var keys = 0
        var expireAt: Int64?
        var idle: Int64?
        var freq: UInt8?
        while true {
            let opAt = r.offset
            try onEvent(.doing("read-type"))
            let type = try r.u8()
            switch type {
            case Op.expireTime:
                try onEvent(.doing("read-expire"))
                expireAt = Int64(Int32(bitPattern: UInt32(try r.uintLE(4)))) * 1000
                continue
            case Op.expireTimeMs:
                try onEvent(.doing("read-expire"))
                expireAt = Int64(bitPattern: try r.uintLE(8))
                continue
            case Op.idle:
                idle = Int64(clamping: try r.length())
                continue
            case Op.freq:
                freq = try r.u8()
                continue
            case Op.selectDB:
                let n = try r.length()
                guard n < UInt64(Int32.max) else { throw RDBError(offset: opAt, "SELECTDB \(n) out of range") }
                db = Int(n)
                try onEvent(.selectDB(db, end: r.offset))
                continue
            case Op.resizeDB:
                _ = try r.length()
                _ = try r.length()
                continue
            case Op.aux:
                try onEvent(.doing("read-aux"))
                let key = try r.string()
                let value = try r.string()
                try onEvent(.aux(key: String(decoding: key, as: UTF8.self), value: value, end: r.offset))
                continue
            case Op.moduleAux:
                guard checkMode else { throw RDBError(offset: opAt, "module aux data is not supported") }
                try onEvent(.doing("read-module-aux"))
                _ = try r.length()  // module id
                let whenOpcode = try r.length()
                _ = try r.length()  // when
                guard whenOpcode == ModuleValue.uint else { throw r.error("bad when_opcode in module aux data") }
                try ModuleValue.skip(&r)
                continue
            case Op.function2:
                try onEvent(.doing("read-functions"))
                try onFunction(try r.string())
                continue
            case Op.functionPreGA:
                throw RDBError(offset: opAt, "Pre-release function format not supported")
            case Op.eof:
                if version >= 5 {
                    try onEvent(.doing("check-sum"))
                    let end = r.offset
                    let stored = try r.uintLE(8)
                    if stored == 0 {
                        try onEvent(.checksum(verified: false, end: r.offset))
                        return keys
                    }
                    do {
                        let computed = CRC64.update(0, UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
                        guard computed == stored else {
                            throw RDBError(offset: r.offset, "Wrong RDB checksum expected: (\(hex(stored))) got: (\(hex(computed)))")
                        }
                    }
                    try onEvent(.checksum(verified: true, end: r.offset))
                }
                return keys
            default:
                try onEvent(.keyType(type))
                try onEvent(.doing("read-key"))
                let key = RBytes(try r.string())
                try onEvent(.value(key: key, type: type, at: r.offset))
                if checkMode && type == RDBFormat.ValueType.module2 {
                    _ = try r.length()  // module id
                    try ModuleValue.skip(&r)
                    try onKey(RDBKey(db: db, key: key, value: .string(RBytes()), expireAt: expireAt, idleSeconds: idle, freq: freq))
                    keys += 1
                    expireAt = nil; idle = nil; freq = nil
                    continue
                }
                guard let value = try RDBValueReader.read(type: type, from: &r, thresholds: thresholds) else {
                    expireAt = nil; idle = nil; freq = nil
                    continue
                }
                try onKey(RDBKey(db: db, key: key, value: value, expireAt: expireAt, idleSeconds: idle, freq: freq))
                keys += 1
                expireAt = nil; idle = nil; freq = nil
            }
        }
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

/// The self-describing serialisation modules use inside RDB (`RDB_MODULE_OPCODE_*`), which lets a reader that
/// does not know the module skip its data.
enum ModuleValue {
    static let eof: UInt64 = 0, sint: UInt64 = 1, uint: UInt64 = 2, float: UInt64 = 3, double: UInt64 = 4, string: UInt64 = 5

    /// Skips typed values up to and including the module EOF opcode.
    static func skip(_ r: inout RDBReader) throws {
        while true {
            let op = try r.length()
            switch op {
            case eof: return
            case sint, uint: _ = try r.length()
            case float: try r.skip(4)
            case double: try r.skip(8)
            case string: _ = try r.string()
            default: throw r.error("unknown module opcode \(op)")
            }
        }
    }
}
