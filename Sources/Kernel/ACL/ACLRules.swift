/// The ACL SETUSER rule grammar (Redis 7.0): user rules (`on`, `>pass`, `(selector)`, `reset`, ...) and
/// selector rules (`~pattern`, `%R~`, `&channel`, `+cmd`, `-@category`, ...), and ACL LIST's description.
public enum ACLRules {
    /// Applies one user rule to `u`. `table` resolves commands and categories; `allChannelsByDefault` is
    /// `acl-pubsub-default allchannels`.
    public static func apply(_ rule: [UInt8], to u: inout ACLUserState, table: CommandTable,
                             allChannelsByDefault: Bool) throws(ACLRuleError) {
        let text = String(decoding: rule, as: UTF8.self)
        switch text.lowercased() {
        case "on": u.enabled = true; return
        case "off": u.enabled = false; return
        case "skip-sanitize-payload": u.sanitizePayload = false; return
        case "sanitize-payload": u.sanitizePayload = true; return
        case "nopass":
            u.nopass = true
            u.passwords = []
            return
        case "resetpass":
            u.nopass = false
            u.passwords = []
            return
        case "clearselectors":
            u.selectors = []
            return
        case "reset":
            u.nopass = false
            u.passwords = []
            u.enabled = false
            u.sanitizePayload = true
            u.selectors = []
            u.root = newSelector(allChannelsByDefault: allChannelsByDefault)
            return
        default: break
        }
        guard let first = rule.first else { throw .syntax }
        switch first {
        case UInt8(ascii: ">"), UInt8(ascii: "#"):
            let digest: [UInt8]
            if first == UInt8(ascii: ">") {
                digest = SHA256.hash(Array(rule.dropFirst()))
            } else {
                guard let d = parseHash(rule.dropFirst()) else { throw .badHash }
                digest = d
            }
            if !u.passwords.contains(digest) { u.passwords.append(digest) }
            u.nopass = false
        case UInt8(ascii: "<"), UInt8(ascii: "!"):
            let digest: [UInt8]
            if first == UInt8(ascii: "<") {
                digest = SHA256.hash(Array(rule.dropFirst()))
            } else {
                guard let d = parseHash(rule.dropFirst()) else { throw .badHash }
                digest = d
            }
            guard let i = u.passwords.firstIndex(of: digest) else { throw .noSuchPassword }
            u.passwords.remove(at: i)
        case UInt8(ascii: "(") where rule.last == UInt8(ascii: ")"):
            var s = newSelector(allChannelsByDefault: allChannelsByDefault)
            for part in rule.dropFirst().dropLast().split(separator: UInt8(ascii: " ")) {
                try applySelector(Array(part), to: &s, table: table)
            }
            u.selectors.append(s)
        default:
            try applySelector(rule, to: &u.root, table: table)
        }
    }

    /// A selector as a new user's root or a new `(...)` starts: no commands, keys or channels (all channels
    /// with `acl-pubsub-default allchannels`).
    public static func newSelector(allChannelsByDefault: Bool) -> ACLSelector {
        var s = ACLSelector()
        s.allChannels = allChannelsByDefault
        return s
    }

    static func parseHash(_ hex: ArraySlice<UInt8>) -> [UInt8]? {
        guard hex.count == 64 else { return nil }
        var out: [UInt8] = []
        var hi: UInt8 = 0
        for (i, ch) in hex.enumerated() {
            let v: UInt8
            switch ch {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = ch - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = ch - UInt8(ascii: "a") + 10
            default: return nil
            }
            if i % 2 == 0 { hi = v } else { out.append(hi << 4 | v) }
        }
        return out
    }

    /// Applies one selector rule (keys, channels, commands).
    public static func applySelector(_ rule: [UInt8], to s: inout ACLSelector, table: CommandTable) throws(ACLRuleError) {
        let text = String(decoding: rule, as: UTF8.self)
        switch text.lowercased() {
        case "allkeys":
            s.allKeys = true
            s.patterns = []
            return
        case "resetkeys":
            s.allKeys = false
            s.patterns = []
            return
        case "allchannels":
            s.allChannels = true
            s.channels = []
            return
        case "resetchannels":
            s.allChannels = false
            s.channels = []
            return
        case "allcommands", "+@all":
            for cmd in table.byId { s.set(cmd.id, true) }
            s.firstArgs = [:]
            s.allCommands = true
            s.futureCommands = true
            return
        case "nocommands", "-@all":
            s.bits = []
            s.firstArgs = [:]
            s.allCommands = false
            s.futureCommands = false
            return
        default: break
        }
        guard let first = rule.first else { throw .syntax }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "%"):
            if s.allKeys { throw .keysAfterAll }
            var read = true, write = true
            var start = 1
            if first == UInt8(ascii: "%") {
                read = false
                write = false
                var i = 1
                while i < rule.count && rule[i] != UInt8(ascii: "~") {
                    switch rule[i] {
                    case UInt8(ascii: "R"): read = true
                    case UInt8(ascii: "W"): write = true
                    default: throw .syntax
                    }
                    i += 1
                }
                guard i < rule.count, read || write else { throw .syntax }
                start = i + 1
            }
            let pattern = RBytes(Array(rule[start...]))
            if read && write && pattern == "*" {
                s.allKeys = true
                s.patterns = []
            } else if let i = s.patterns.firstIndex(where: { $0.pattern == pattern }) {
                s.patterns[i].read = s.patterns[i].read || read
                s.patterns[i].write = s.patterns[i].write || write
            } else {
                s.patterns.append(ACLKeyPattern(pattern: pattern, read: read, write: write))
            }
        case UInt8(ascii: "&"):
            if s.allChannels { throw .channelsAfterAll }
            let pattern = RBytes(Array(rule.dropFirst()))
            if pattern == "*" {
                s.allChannels = true
                s.channels = []
            } else if !s.channels.contains(pattern) {
                s.channels.append(pattern)
            }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let on = first == UInt8(ascii: "+")
            let name = String(text.dropFirst()).lowercased()
            if name.hasPrefix("@") {
                guard let cat = ACLCategories.names.first(where: { $0.1 == name.dropFirst() })?.0 else {
                    throw .unknownCommand
                }
                // Redis's ACLSetSelectorCommandBitsForCategory: a container in the category brings all its
                // subcommands along.
                for cmd in table.byId where cmd.categories.contains(cat) { s.change(cmd, on) }
                return
            }
            try applyCommand(name, on: on, to: &s, table: table)
        default:
            throw .syntax
        }
    }

    static func applyCommand(_ name: String, on: Bool, to s: inout ACLSelector, table: CommandTable) throws(ACLRuleError) {
        let parts = name.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        guard let cmd = table.commands[RBytes(String(parts[0]))] else { throw .unknownCommand }
        if parts.count == 1 {
            s.change(cmd, on)
            return
        }
        let rest = parts[1]
        if !cmd.subcommands.isEmpty {
            let subParts = rest.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            guard let sub = cmd.subcommands[RBytes(String(subParts[0]))] else { throw .unknownCommand }
            if subParts.count > 1 { throw .firstArgOfSubcommand }
            s.set(sub.id, on)
            if !on { s.allCommands = false }
            return
        }
        // A first argument of a command without subcommands (`+select|0`): allow-only.
        guard on, !rest.isEmpty, !rest.contains("|") else { throw .unknownCommand }
        if s.allows(cmd.id) { return }
        let arg = RBytes(String(rest))
        if !(s.firstArgs[cmd.id]?.contains(arg) ?? false) { s.firstArgs[cmd.id, default: []].append(arg) }
    }

    // MARK: - Selector arguments

    /// Joins arguments into rules: `(` up to the argument ending in `)` form one selector rule (Redis's
    /// ACLMergeSelectorArguments). Returns the unterminated argument on error.
    public static func mergeSelectorArguments(_ args: [RBytes]) -> ([[UInt8]], unmatched: RBytes?) {
        var out: [[UInt8]] = []
        var open: [UInt8]?
        var openArg: RBytes?
        for a in args {
            let bytes = a.withUnsafeBytes { Array($0) }
            if var cur = open {
                cur.append(UInt8(ascii: " "))
                cur.append(contentsOf: bytes)
                if bytes.last == UInt8(ascii: ")") {
                    out.append(cur)
                    open = nil
                } else {
                    open = cur
                }
            } else if bytes.first == UInt8(ascii: "(") && bytes.last != UInt8(ascii: ")") {
                open = bytes
                openArg = a
            } else {
                out.append(bytes)
            }
        }
        if open != nil { return (out, openArg) }
        return (out, nil)
    }

    // MARK: - Description

    /// ACL LIST's rules of a user (after `user <name> `).
    public static func describe(_ u: ACLUserState, table: CommandTable) -> String {
        var parts: [String] = [u.enabled ? "on" : "off"]
        if u.nopass { parts.append("nopass") }
        if let sp = u.sanitizePayload { parts.append(sp ? "sanitize-payload" : "skip-sanitize-payload") }
        for p in u.passwords { parts.append("#" + SHA256.hexString(p)) }
        parts.append(describe(u.root, table: table))
        for s in u.selectors { parts.append("(" + describe(s, table: table) + ")") }
        return parts.joined(separator: " ")
    }

    /// Keys, channels and command rules of one selector.
    public static func describe(_ s: ACLSelector, table: CommandTable) -> String {
        var parts: [String] = []
        let keys = describeKeys(s)
        if !keys.isEmpty { parts.append(keys) }
        if s.allChannels {
            parts.append("&*")
        } else {
            parts.append("resetchannels")
            let ch = describeChannels(s)
            if !ch.isEmpty { parts.append(ch) }
        }
        parts.append(describeCommands(s, table: table))
        return parts.joined(separator: " ")
    }

    /// `~*`, or the key patterns.
    public static func describeKeys(_ s: ACLSelector) -> String {
        s.allKeys ? "~*" : s.patterns.map(\.rule).joined(separator: " ")
    }

    /// `&*`, or the channel patterns.
    public static func describeChannels(_ s: ACLSelector) -> String {
        s.allChannels ? "&*" : s.channels.map { "&" + $0.string }.joined(separator: " ")
    }

    /// The command rules as Redis 7.0 derives them from the command bitmap (ACLDescribeSelectorCommandRules):
    /// `+@all` or `-@all`, then categories picked greedily (each round the category agreeing with the remaining
    /// difference most: fewest commands it would get wrong, then most it gets right), then the single commands
    /// that still differ, each followed by its subcommands, then the allowed first arguments.
    public static func describeCommands(_ s: ACLSelector, table: CommandTable) -> String {
        var parts: [String] = []
        var fake = ACLSelector()
        let additive = !s.futureCommands
        if additive {
            parts.append("-@all")
        } else {
            parts.append("+@all")
            for cmd in table.byId { fake.set(cmd.id, true) }
        }
        // `remaining` starts as the user's bitmap; a chosen category is flipped there so that later rounds only
        // count what is still to be described.
        var remaining = ACLSelector()
        remaining.bits = s.bits
        let categories = ACLCategories.names
        var members: [[Command]] = categories.map { entry in table.byId.filter { $0.categories.contains(entry.0) } }
        var applied = [Bool](repeating: false, count: categories.count)
        while true {
            var best = -1, minDiff = Int.max, maxSame = 0
            for j in categories.indices where !applied[j] {
                var on = 0, off = 0
                for cmd in members[j] {
                    if remaining.allows(cmd.id) { on += 1 } else { off += 1 }
                }
                let diff = additive ? off : on, same = additive ? on : off
                if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
                    (best, minDiff, maxSame) = (j, diff, same)
                }
            }
            if best < 0 { break }
            parts.append((additive ? "+@" : "-@") + categories[best].1)
            for cmd in members[best] {
                fake.change(cmd, additive)
                remaining.change(cmd, !additive)
            }
            applied[best] = true
            members[best] = []
        }
        func single(_ cmd: Command) {
            let allowed = s.allows(cmd.id)
            if allowed != fake.allows(cmd.id) {
                parts.append((allowed ? "+" : "-") + cmd.fullName)
                fake.change(cmd, allowed)
            }
            for sub in cmd.sortedSubcommands { single(sub) }
            if !allowed, let args = s.firstArgs[cmd.id] {
                for a in args { parts.append("+\(cmd.fullName)|\(a.string)") }
            }
        }
        for cmd in table.byId where cmd.parent == nil { single(cmd) }
        return parts.joined(separator: " ")
    }
}
