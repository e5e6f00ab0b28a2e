/// What a key holds: a string, or one of the collection objects.
public enum Value {
    case string(RBytes)
    case object(RedisObject)
    /// A compact collection at rest, without its object: only keyspace entries hold this case (`PackedValue`);
    /// `Database`'s accessors hand it out as `.object`.
    case packed(PackedValue)

    /// The name TYPE replies with.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .object(let o): return o.typeName
        case .packed(let p): return p.typeName
        }
    }

    /// The name OBJECT ENCODING replies with.
    public var encodingName: String {
        switch self {
        case .string(let s):
            if s.count <= 20 && Numbers.isCanonicalInt(s) { return "int" }
            return s.count <= 44 ? "embstr" : "raw"
        case .object(let o): return o.encodingName
        case .packed(let p): return p.encodingName
        }
    }
}

/// A collection value (list, hash, set, sorted set, stream, or a module's own type).
///
/// Families subclass it; the kernel only needs the names for TYPE / OBJECT ENCODING and SCAN's TYPE filter.
open class RedisObject {
    public init() {}
    /// The name TYPE replies with (`list`, `hash`, ...).
    open var typeName: String { "none" }
    /// The name OBJECT ENCODING replies with.
    open var encodingName: String { "raw" }
    /// A deep copy, for COPY.
    open func copy() -> RedisObject { self }
    /// If the object is in a compact encoding (listpack hash or sorted set, intset), gives its block away for the
    /// keyspace to keep without the object (`PackedValue`), leaving the object empty; nil otherwise.
    open func detachPacked() -> PackedValue? { nil }
}

/// A keyspace slot's content: the value plus the access clock OBJECT IDLETIME and eviction read.
///
/// The clock and the flags share one word (Redis keeps a 24-bit LRU clock too), so an entry stays 24 bytes.
public struct Entry {
    public var value: Value
    @usableFromInline var bits: UInt32

    static let clockMask: UInt32 = 0x00FF_FFFF
    static let rawFlag: UInt32 = 1 << 31
    static let noIntFlag: UInt32 = 1 << 30
    /// The snapshot parity bit (see `Snapshot`): an entry whose bit differs from the server's current parity has
    /// not been written by the running snapshot yet.
    static let parityFlag: UInt32 = 1 << 29

    @inlinable
    public init(_ value: Value, lru: UInt32) {
        self.value = value
        self.bits = lru & 0x00FF_FFFF
    }

    /// Seconds clock (mod 2^24) of the last access.
    public var lru: UInt32 {
        get { bits & Entry.clockMask }
        set { bits = (bits & ~Entry.clockMask) | (newValue & Entry.clockMask) }
    }

    /// Whether a string was grown in place (APPEND, SETRANGE), which Redis reports as the `raw` encoding.
    public var isRawString: Bool {
        get { bits & Entry.rawFlag != 0 }
        set { bits = newValue ? bits | Entry.rawFlag : bits & ~Entry.rawFlag }
    }

    /// Sets a new value with the string encoding flags cleared (one write of the entry: `Database.replaceValue`).
    mutating func replace(with newValue: Value) {
        value = newValue
        bits &= ~(Entry.rawFlag | Entry.noIntFlag)
    }

    /// Edits a string value in place as bytes (no copy when the entry holds the only reference) and marks it
    /// grown in place (`raw`); nil if the value is not a string.
    mutating func editString<R>(_ body: (inout [UInt8]) -> R) -> R? {
        guard case .string(var s) = value else { return nil }
        value = .string(RBytes())  // the entry lets go of the bytes: `s` holds the only reference
        let r = s.modify(body)
        value = .string(s)
        bits = (bits | Entry.rawFlag) & ~Entry.noIntFlag
        return r
    }

    /// Whether a string was stored without Redis's integer encoding attempt (INCRBYFLOAT results).
    public var isNotIntEncoded: Bool {
        get { bits & Entry.noIntFlag != 0 }
        set { bits = newValue ? bits | Entry.noIntFlag : bits & ~Entry.noIntFlag }
    }

    /// The name OBJECT ENCODING replies with.
    public var encodingName: String {
        if case .string(let s) = value {
            if isRawString { return "raw" }
            if isNotIntEncoded { return s.count <= 44 ? "embstr" : "raw" }
        }
        return value.encodingName
    }

    /// The snapshot parity the entry was last stamped with (0 or `parityFlag`).
    public var parity: UInt32 {
        get { bits & Entry.parityFlag }
        set { bits = (bits & ~Entry.parityFlag) | (newValue & Entry.parityFlag) }
    }

    /// Seconds since the last access, given the current clock.
    public func idleSeconds(now: UInt32) -> Int64 {
        Int64((now &- lru) & Entry.clockMask)
    }
}
