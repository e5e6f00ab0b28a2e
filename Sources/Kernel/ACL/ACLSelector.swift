/// A key pattern of a selector (`~p` read-write, `%R~p` read, `%W~p` write).
public struct ACLKeyPattern: Equatable, Sendable {
    public var pattern: RBytes
    public var read: Bool
    public var write: Bool

    /// The rule that recreates it (`~p`, `%R~p`, `%W~p`).
    public var rule: String {
        let prefix = read && write ? "~" : read ? "%R~" : "%W~"
        return prefix + pattern.string
    }
}

/// One set of permissions (Redis 7.0's aclSelector): commands, key patterns, channel patterns. A user has a
/// root selector and any number of extra `(...)` selectors; a command runs when one selector allows it.
public struct ACLSelector: Sendable {
    /// One bit per command id (`CommandTable.byId`).
    var bits: [UInt64] = []
    /// `+@all` was applied (and no `-@all` since): commands registered later are allowed too; ACL LIST starts
    /// its command rules with `+@all`.
    public internal(set) var futureCommands = false
    /// Every command allowed (Redis's SELECTOR_FLAG_ALLCOMMANDS): set by `+@all`, cleared by any removal.
    public internal(set) var allCommands = false
    /// Allowed first arguments of commands without subcommands (`+select|0`), lower-cased, by command id.
    public internal(set) var firstArgs: [Int: [RBytes]] = [:]
    public internal(set) var patterns: [ACLKeyPattern] = []
    public internal(set) var allKeys = false
    public internal(set) var channels: [RBytes] = []
    public internal(set) var allChannels = false

    public init() {}

    @inline(__always)
    public func allows(_ id: Int) -> Bool {
        let w = id >> 6
        return w < bits.count && bits[w] & (1 << UInt64(id & 63)) != 0
    }

    mutating func set(_ id: Int, _ on: Bool) {
        let w = id >> 6
        if w >= bits.count { bits.append(contentsOf: repeatElement(0, count: w + 1 - bits.count)) }
        if on { bits[w] |= 1 << UInt64(id & 63) } else { bits[w] &= ~(1 << UInt64(id & 63)) }
    }

    /// Sets a command's bit and those of its subcommands (a container allows or denies all of them).
    mutating func change(_ cmd: Command, _ on: Bool) {
        set(cmd.id, on)
        firstArgs[cmd.id] = nil
        for sub in cmd.subcommands.values { set(sub.id, on) }
        if !on { allCommands = false }
    }

    // MARK: - Checks

    /// Whether `key`, used with the given key-spec flags, matches a pattern with the needed permissions.
    public func allowsKey(_ key: RBytes, _ flags: KeySpecFlags) -> Bool {
        if allKeys { return true }
        let needRead = flags.contains(.access)
        let needWrite = !flags.isDisjoint(with: [.insert, .delete, .update])
        for p in patterns where (!needRead || p.read) && (!needWrite || p.write) {
            if Glob.matches(p.pattern, key) { return true }
        }
        return false
    }

    /// Whether a channel (or, for PSUBSCRIBE, a pattern: literally equal) is allowed.
    public func allowsChannel(_ channel: RBytes, isPattern: Bool) -> Bool {
        if allChannels { return true }
        for p in channels {
            if isPattern ? p == channel : Glob.matches(p, channel) { return true }
        }
        return false
    }

    /// Redis's ACLSelectorCheckCmd: nil when allowed, else the denial and the argument index at fault.
    func check(_ cmd: Command, _ argv: [RBytes], keys: inout [KeyReference]?) -> (ACLDenial, Int)? {
        if !allCommands && !cmd.flags.contains(.noAuth) && !allows(cmd.id) {
            let idx = cmd.parent == nil ? 1 : 2
            guard idx < argv.count, let allowed = firstArgs[cmd.id], allowed.contains(argv[idx].lowercased()) else {
                return (.command, 0)
            }
        }
        if !allKeys && !cmd.keySpecs.isEmpty {
            if keys == nil { keys = cmd.keyReferences(argv) }
            // Arguments a spec marks `not_key` (the shard channel of SPUBLISH/SSUBSCRIBE) are checked as channels.
            for k in keys! where !k.flags.contains(.notKey) && !allowsKey(argv[k.index], k.flags) {
                return (.key, k.index)
            }
        }
        if !allChannels, let ch = cmd.channels {
            var i = ch.first
            while i < argv.count {
                if !allowsChannel(argv[i], isPattern: ch.pattern) { return (.channel, i) }
                if !ch.all { break }
                i += 1
            }
        }
        return nil
    }
}

/// Why the ACL refused something (Redis's ACL_DENIED_*; the order matters when picking the error to report).
public enum ACLDenial: Int, Sendable {
    case command = 1, key = 2, auth = 3, channel = 4

    /// The reason ACL LOG shows.
    public var logReason: String {
        switch self {
        case .command: return "command"
        case .key: return "key"
        case .auth: return "auth"
        case .channel: return "channel"
        }
    }
}
