/// What a key holds: a string, or one of the collection objects.
public enum Value {
    case string(RBytes)
    case object(RedisObject)

    /// The name TYPE replies with.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .object(let o): return o.typeName
        }
    }

    /// The name OBJECT ENCODING replies with.
    public var encodingName: String {
        switch self {
        case .string(let s):
            if s.count <= 20 && Numbers.isCanonicalInt(s) { return "int" }
            return s.count <= 44 ? "embstr" : "raw"
        case .object(let o): return o.encodingName
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
}

/// A keyspace slot's content: the value plus the access clock OBJECT IDLETIME and eviction read.
public struct Entry {
    public var value: Value
    /// Seconds (mod 2^32) of the last access, Redis's LRU clock.
    public var lru: UInt32

    @inlinable
    public init(_ value: Value, lru: UInt32) {
        self.value = value
        self.lru = lru
    }
}
