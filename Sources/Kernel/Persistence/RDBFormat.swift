/// RDB format constants (Redis 7.0, `rdb.h`).
public enum RDBFormat {
    /// The version Redis 7.0 writes.
    public static let version: UInt16 = 10

    /// Value type bytes (`RDB_TYPE_*`), named after the encodings they hold.
    public enum ValueType {
        public static let string: UInt8 = 0
        public static let list: UInt8 = 1
        public static let set: UInt8 = 2
        public static let zset: UInt8 = 3
        public static let hash: UInt8 = 4
        public static let zset2: UInt8 = 5
        public static let modulePreGA: UInt8 = 6
        public static let module2: UInt8 = 7
        public static let hashZipmap: UInt8 = 9
        public static let listZiplist: UInt8 = 10
        public static let setIntset: UInt8 = 11
        public static let zsetZiplist: UInt8 = 12
        public static let hashZiplist: UInt8 = 13
        public static let listQuicklist: UInt8 = 14
        public static let streamListpacks: UInt8 = 15
        public static let hashListpack: UInt8 = 16
        public static let zsetListpack: UInt8 = 17
        public static let listQuicklist2: UInt8 = 18
        public static let streamListpacks2: UInt8 = 19
    }

    /// Opcodes (`RDB_OPCODE_*`: bytes that are not value types where a type is expected).
    public enum Opcode {
        public static let function2: UInt8 = 245
        public static let functionPreGA: UInt8 = 246
        public static let moduleAux: UInt8 = 247
        public static let idle: UInt8 = 248
        public static let freq: UInt8 = 249
        public static let aux: UInt8 = 250
        public static let resizeDB: UInt8 = 251
        public static let expireTimeMs: UInt8 = 252
        public static let expireTime: UInt8 = 253
        public static let selectDB: UInt8 = 254
        public static let eof: UInt8 = 255
    }

    /// Quicklist v2 node container kinds.
    static let quicklistNodePlain: UInt64 = 1
    static let quicklistNodePacked: UInt64 = 2
}
