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

extension KeyspaceEventClass {
    /// `K`: publish to `__keyspace@<db>__:<key>`.
    public static let keyspaceChannel = KeyspaceEventClass(rawValue: 1 << 12)
    /// `E`: publish to `__keyevent@<db>__:<event>`.
    public static let keyeventChannel = KeyspaceEventClass(rawValue: 1 << 13)
    /// `A`: every class but key-miss and new-key.
    public static let all: KeyspaceEventClass = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module]

    static let letters: [(Character, KeyspaceEventClass)] = [
        ("g", .generic), ("$", .string), ("l", .list), ("s", .set), ("h", .hash), ("z", .zset), ("x", .expired),
        ("e", .evicted), ("t", .stream), ("d", .module),
    ]

    /// Parses `notify-keyspace-events` letters; nil on an unknown letter.
    public static func parse(_ s: String) -> KeyspaceEventClass? {
        var flags: KeyspaceEventClass = []
        for ch in s {
            switch ch {
            case "A": flags.formUnion(.all)
            case "K": flags.insert(.keyspaceChannel)
            case "E": flags.insert(.keyeventChannel)
            case "m": flags.insert(.keyMiss)
            case "n": flags.insert(.newKey)
            default:
                guard let (_, f) = letters.first(where: { $0.0 == ch }) else { return nil }
                flags.insert(f)
            }
        }
        return flags
    }

    /// The canonical letters, as CONFIG GET prints them.
    public var letters: String {
        var out = ""
        if isSuperset(of: .all) {
            out = "A"
        } else {
            for (ch, f) in KeyspaceEventClass.letters where contains(f) { out.append(ch) }
            // Redis prints `n` only here, so "An" reads back as "A".
            if contains(.newKey) { out.append("n") }
        }
        if contains(.keyspaceChannel) { out.append("K") }
        if contains(.keyeventChannel) { out.append("E") }
        if contains(.keyMiss) { out.append("m") }
        return out
    }
}
