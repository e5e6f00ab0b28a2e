/// The classes of keyspace events, with the letters `notify-keyspace-events` uses for them.
public struct KeyspaceEventClass: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `g`: DEL, EXPIRE, RENAME, ... (type-independent commands).
    public static let generic = KeyspaceEventClass(rawValue: 1 << 0)
    /// `$`
    public static let string = KeyspaceEventClass(rawValue: 1 << 1)
    /// `l`
    public static let list = KeyspaceEventClass(rawValue: 1 << 2)
    /// `s`
    public static let set = KeyspaceEventClass(rawValue: 1 << 3)
    /// `h`
    public static let hash = KeyspaceEventClass(rawValue: 1 << 4)
    /// `z`
    public static let zset = KeyspaceEventClass(rawValue: 1 << 5)
    /// `x`
    public static let expired = KeyspaceEventClass(rawValue: 1 << 6)
    /// `e`
    public static let evicted = KeyspaceEventClass(rawValue: 1 << 7)
    /// `t`
    public static let stream = KeyspaceEventClass(rawValue: 1 << 8)
    /// `m`
    public static let keyMiss = KeyspaceEventClass(rawValue: 1 << 9)
    /// `d`
    public static let module = KeyspaceEventClass(rawValue: 1 << 10)
    /// `n`
    public static let newKey = KeyspaceEventClass(rawValue: 1 << 11)
}
