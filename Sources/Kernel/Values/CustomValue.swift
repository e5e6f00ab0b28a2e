import NIOConcurrencyHelpers

/// A value of a module's own data type (Redis's module data types, `RedisModule_CreateDataType`): the object
/// a key holds, with the callbacks the kernel needs to copy, measure, digest, save and rewrite it.
///
/// The kernel wraps it in a `CustomObject` (TYPE replies the type's 9-character name, OBJECT ENCODING `raw`).
/// Mutations happen in the module's write command handlers: the dispatcher preserves the key for a running
/// snapshot before the handler runs (from the command's key positions), as for built-in types.
public protocol CustomValue: AnyObject {
    /// A deep copy (COPY): a change to either never shows in the other.
    func duplicate() -> CustomValue
    /// Bytes the value takes (MEMORY USAGE; Redis's `mem_usage` callback).
    var memoryUsage: Int { get }
    /// Writes the value with the writer's typed calls (Redis's `rdb_save`): RDB files, DUMP, replicas' sync.
    func save(to io: inout CustomValueWriter)
    /// Emits the commands that recreate the value at `key` (Redis's `aof_rewrite`), for an AOF rewrite without
    /// an RDB preamble.
    func rewrite(key: RBytes, into aof: inout CustomValueRewriter)
    /// Adds the value's content to a digest (Redis's `digest` callback): DEBUG DIGEST and DIGEST-VALUE.
    func digest(into d: inout CustomValueDigest)
}

/// A module data type: its 9-character name, its encoding version (0...1023) and its load callback.
///
/// In RDB files a value of the type is `RDB_TYPE_MODULE_2` (7), then the 64-bit module id (the name in the
/// 6-bit charset `A-Z a-z 0-9 - _`, 54 bits, then the 10-bit encoding version), then the opcode-tagged values
/// the type saved, then `RDB_MODULE_OPCODE_EOF` (0) — Redis 7.0's layout.
public final class CustomValueType: @unchecked Sendable {
    /// The name TYPE replies with (exactly 9 characters of `A-Za-z0-9-_`).
    public let name: String
    /// The encoding version written with each value (0...1023); loading passes the stored one to `load`.
    public let encodingVersion: Int
    /// The module id: the packed name and the encoding version (0 when the name or version is invalid).
    public let id: UInt64
    /// Whether the name is 9 characters of Redis's charset and the version within 0...1023 (registration
    /// refuses an invalid type).
    public var isValid: Bool { CustomValueType.encodeID(name: name, encodingVersion: encodingVersion) != nil }
    /// Reads a value written by `CustomValue.save` (any encoding version up to the current one); throwing
    /// refuses the payload (RESTORE: `Bad data format`; an RDB file: Redis's load error).
    public let load: (inout CustomValueReader, Int) throws -> CustomValue

    /// A type named `name` (9 characters of `A-Za-z0-9-_`) writing `encodingVersion` (0...1023); registration
    /// checks both (`isValid`).
    public init(name: String, encodingVersion: Int,
                load: @escaping (inout CustomValueReader, Int) throws -> CustomValue) {
        self.name = name
        self.encodingVersion = encodingVersion
        self.id = CustomValueType.encodeID(name: name, encodingVersion: encodingVersion) ?? 0
        self.load = load
    }

    /// The registration error for an invalid type.
    public var invalidReason: String {
        "data type '\(name)': the name must be 9 characters of A-Z a-z 0-9 - _ and the encoding version within 0...1023"
    }

    /// Redis's `ModuleTypeNameCharSet`.
    static let charset: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Redis's `moduleTypeEncodeId`: nil for a bad name or version.
    public static func encodeID(name: String, encodingVersion: Int) -> UInt64? {
        let bytes = Array(name.utf8)
        guard bytes.count == 9, (0...1023).contains(encodingVersion) else { return nil }
        var id: UInt64 = 0
        for b in bytes {
            guard let p = charset.firstIndex(of: b) else { return nil }
            id = id << 6 | UInt64(p)
        }
        return id << 10 | UInt64(encodingVersion)
    }

    /// Redis's `moduleTypeNameByID`: the 9-character name packed in a module id.
    public static func name(ofID id: UInt64) -> String {
        var out = [UInt8](repeating: 0, count: 9)
        var v = id >> 10
        for i in stride(from: 8, through: 0, by: -1) {
            out[i] = charset[Int(v & 63)]
            v >>= 6
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The data types of the modules loaded in this process, by name (RDB loading and RESTORE find a type from a
/// module id here). A module host registers its modules' types and answers for conflicts per server; the last
/// registration of a name wins here.
public enum CustomTypeRegistry {
    private static let types = NIOLockedValueBox<[String: CustomValueType]>([:])

    /// Makes `type` loadable.
    public static func register(_ type: CustomValueType) {
        types.withLockedValue { $0[type.name] = type }
    }

    /// Forgets the type named `name`.
    public static func unregister(_ name: String) {
        _ = types.withLockedValue { $0.removeValue(forKey: name) }
    }

    /// The type whose name is packed in `id` (the encoding version is not compared, as Redis's
    /// `moduleTypeLookupModuleByID`).
    public static func lookup(id: UInt64) -> CustomValueType? {
        let name = CustomValueType.name(ofID: id)
        return types.withLockedValue { $0[name] }
    }
}

/// A key's value of a module data type.
public final class CustomObject: RedisObject, DigestibleObject {
    /// The value's type.
    public let type: CustomValueType
    /// The module's value.
    public let value: CustomValue

    /// Wraps a module value.
    public init(_ type: CustomValueType, _ value: CustomValue) {
        self.type = type
        self.value = value
    }

    public override var typeName: String { type.name }
    /// Module values are `raw`, as Redis's OBJ_ENCODING_RAW for module objects.
    public override var encodingName: String { "raw" }
    /// A deep copy through the type's `duplicate`.
    public override func copy() -> RedisObject { CustomObject(type, value.duplicate()) }

    public var digestTypeCode: DatasetDigest.TypeCode { .module }
    /// Redis's module digest: the callback's sequences, then the 20-byte accumulator xored into `d`.
    public func mixDigest(into d: inout SHA1.Digest) {
        var md = CustomValueDigest()
        value.digest(into: &md)
        d.xor(digest: md.x)
    }
}

/// What `CustomValue.save` writes with (Redis's `RedisModule_Save*` over a `RedisModuleIO`): each value is
/// preceded by its opcode, as module serialisation version 2.
public struct CustomValueWriter {
    var encoder: RDBEncoder

    /// Module value opcodes (`RDB_MODULE_OPCODE_*`).
    public enum Opcode {
        public static let eof: UInt64 = 0
        public static let signed: UInt64 = 1
        public static let unsigned: UInt64 = 2
        public static let float: UInt64 = 3
        public static let double: UInt64 = 4
        public static let string: UInt64 = 5
    }

    /// `RedisModule_SaveUnsigned`.
    public mutating func saveUnsigned(_ v: UInt64) {
        encoder.writeLength(Opcode.unsigned)
        encoder.writeLength(v)
    }

    /// `RedisModule_SaveSigned`.
    public mutating func saveSigned(_ v: Int64) {
        encoder.writeLength(Opcode.signed)
        encoder.writeLength(UInt64(bitPattern: v))
    }

    /// `RedisModule_SaveDouble` (8 bytes, little-endian binary).
    public mutating func saveDouble(_ v: Double) {
        encoder.writeLength(Opcode.double)
        encoder.appendLE(v.bitPattern, width: 8)
    }

    /// `RedisModule_SaveFloat` (4 bytes, little-endian binary).
    public mutating func saveFloat(_ v: Float) {
        encoder.writeLength(Opcode.float)
        encoder.appendLE(UInt64(v.bitPattern), width: 4)
    }

    /// `RedisModule_SaveStringBuffer`.
    public mutating func saveString(_ bytes: [UInt8]) {
        encoder.writeLength(Opcode.string)
        encoder.writeString(bytes)
    }
}

/// What a type's `load` reads with (Redis's `RedisModule_Load*`): each read checks the opcode, and a wrong
/// opcode or a short input throws, so a corrupt payload is refused instead of misread.
public struct CustomValueReader {
    var reader: RDBReader

    mutating func expect(_ opcode: UInt64, _ what: String) throws {
        let at = reader.offset
        let op = try reader.length()
        guard op == opcode else {
            reader.offset = at
            throw reader.error("module value: expected \(what), found opcode \(op)")
        }
    }

    /// `RedisModule_LoadUnsigned`.
    public mutating func loadUnsigned() throws -> UInt64 {
        try expect(CustomValueWriter.Opcode.unsigned, "an unsigned")
        return try reader.length()
    }

    /// `RedisModule_LoadSigned`.
    public mutating func loadSigned() throws -> Int64 {
        try expect(CustomValueWriter.Opcode.signed, "a signed")
        return Int64(bitPattern: try reader.length())
    }

    /// `RedisModule_LoadDouble`.
    public mutating func loadDouble() throws -> Double {
        try expect(CustomValueWriter.Opcode.double, "a double")
        return Double(bitPattern: try reader.uintLE(8))
    }

    /// `RedisModule_LoadFloat`.
    public mutating func loadFloat() throws -> Float {
        try expect(CustomValueWriter.Opcode.float, "a float")
        return Float(bitPattern: UInt32(truncatingIfNeeded: try reader.uintLE(4)))
    }

    /// `RedisModule_LoadStringBuffer`.
    public mutating func loadString() throws -> [UInt8] {
        try expect(CustomValueWriter.Opcode.string, "a string")
        return try reader.string()
    }
}

/// What `CustomValue.rewrite` emits commands with (Redis's `RedisModule_EmitAOF`).
public struct CustomValueRewriter {
    var out: [UInt8] = []

    /// Appends one command (name first) to the rewritten AOF.
    public mutating func emit(_ argv: [RBytes]) { AOFCommandReader.encode(argv, into: &out) }
}

/// What `CustomValue.digest` adds to (Redis's `RedisModuleDigest`): elements are mixed into the current
/// sequence (order matters), `endSequence` folds the sequence into the value's accumulator (order of sequences
/// does not matter), as `RedisModule_DigestAddStringBuffer` / `DigestAddLongLong` / `DigestEndSequence`.
public struct CustomValueDigest {
    var o = SHA1.Digest.zero
    var x = SHA1.Digest.zero

    /// Mixes bytes into the current sequence.
    public mutating func add(_ bytes: RBytes) { o.mix(bytes) }
    /// Mixes bytes into the current sequence.
    public mutating func add(_ bytes: [UInt8]) { o.mix(bytes) }
    /// Mixes an integer (as its decimal text) into the current sequence.
    public mutating func add(_ v: Int64) { o.mix(Numbers.format(v)) }
    /// Ends the sequence: xors it into the accumulator and starts a new one.
    public mutating func endSequence() {
        x.xor(digest: o)
        o = .zero
    }
}
