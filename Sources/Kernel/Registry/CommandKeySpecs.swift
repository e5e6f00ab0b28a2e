/// Flags of one key spec (Redis 7.0's CMD_KEY_*): how a command uses the keys the spec finds.
public struct KeySpecFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ro = KeySpecFlags(rawValue: 1 << 0)
    public static let rw = KeySpecFlags(rawValue: 1 << 1)
    public static let ow = KeySpecFlags(rawValue: 1 << 2)
    public static let rm = KeySpecFlags(rawValue: 1 << 3)
    public static let access = KeySpecFlags(rawValue: 1 << 4)
    public static let update = KeySpecFlags(rawValue: 1 << 5)
    public static let insert = KeySpecFlags(rawValue: 1 << 6)
    public static let delete = KeySpecFlags(rawValue: 1 << 7)
    public static let notKey = KeySpecFlags(rawValue: 1 << 8)
    public static let incomplete = KeySpecFlags(rawValue: 1 << 9)
    public static let variableFlags = KeySpecFlags(rawValue: 1 << 10)

    /// (flag, name) in the order COMMAND INFO prints them.
    public static let names: [(KeySpecFlags, String)] = [
        (.ro, "RO"), (.rw, "RW"), (.ow, "OW"), (.rm, "RM"), (.access, "access"), (.update, "update"),
        (.insert, "insert"), (.delete, "delete"), (.notKey, "not_key"), (.incomplete, "incomplete"),
        (.variableFlags, "variable_flags"),
    ]

    /// Parses a comma-separated list of names; nil on an unknown name.
    public init?(names list: Substring) {
        var f: KeySpecFlags = []
        for part in list.split(separator: ",") {
            guard let hit = KeySpecFlags.names.first(where: { $0.1 == part }) else { return nil }
            f.insert(hit.0)
        }
        self = f
    }

    /// Names in print order.
    public var names: [String] { KeySpecFlags.names.filter { contains($0.0) }.map(\.1) }
}

/// One key spec (Redis 7.0): where the search for keys begins and how the keys are found from there.
public struct KeySpec: Sendable {
    /// Where the search begins.
    public enum BeginSearch: Sendable {
        /// At a fixed argument index.
        case index(Int)
        /// After the first `keyword` met scanning from `startFrom` (negative: backwards from the end).
        case keyword(String, startFrom: Int)
        case unknown
    }

    /// How keys are found from the begin point.
    public enum FindKeys: Sendable {
        /// Keys up to `lastKey` (relative; negative counts from the end), every `step`; `limit` divides the rest.
        case range(lastKey: Int, step: Int, limit: Int)
        /// The number of keys is at `keyNumIndex` (relative), the first key at `firstKey` (relative).
        case keynum(keyNumIndex: Int, firstKey: Int, step: Int)
        case unknown
    }

    public var flags: KeySpecFlags
    public var begin: BeginSearch
    public var find: FindKeys
    public var notes: String

    public init(flags: KeySpecFlags, begin: BeginSearch, find: FindKeys, notes: String = "") {
        self.flags = flags
        self.begin = begin
        self.find = find
        self.notes = notes
    }

    /// Parses the generated encoding `flags/begin/find/notes` (see scripts/gen_key_specs.py).
    init?(encoded: Substring) {
        let parts = encoded.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, let flags = KeySpecFlags(names: parts[0]) else { return nil }
        self.flags = flags
        self.notes = String(parts[3])
        let b = parts[1]
        switch b.first {
        case "i": guard let i = Int(b.dropFirst()) else { return nil }
            begin = .index(i)
        case "k":
            let kw = b.dropFirst().split(separator: ":", maxSplits: 1)
            guard kw.count == 2, let from = Int(kw[0]) else { return nil }
            begin = .keyword(String(kw[1]), startFrom: from)
        default: begin = .unknown
        }
        let f = parts[2]
        let nums = f.dropFirst().split(separator: ",").compactMap { Int($0) }
        switch f.first {
        case "r": guard nums.count == 3 else { return nil }
            find = .range(lastKey: nums[0], step: nums[1], limit: nums[2])
        case "n": guard nums.count == 3 else { return nil }
            find = .keynum(keyNumIndex: nums[0], firstKey: nums[1], step: nums[2])
        default: find = .unknown
        }
    }
}

/// A key found in a command's arguments, with the flags of the spec that found it.
public struct KeyReference: Sendable {
    public var index: Int
    public var flags: KeySpecFlags
    public init(index: Int, flags: KeySpecFlags) {
        self.index = index
        self.flags = flags
    }
}

extension KeySpec {
    /// Runs the specs over `argv` (Redis's getKeysUsingKeySpecs). Returns nil when a spec cannot be followed
    /// (unknown, incomplete, out of range) and `partial` is false; with `partial` such specs are skipped.
    public static func keys(_ specs: [KeySpec], _ argv: [RBytes], partial: Bool = false) -> [KeyReference]? {
        var out: [KeyReference] = []
        let argc = argv.count
        for spec in specs {
            var first = 0
            switch spec.begin {
            case .index(let i): first = i
            case .keyword(let word, let startFrom):
                let start = startFrom > 0 ? startFrom : argc + startFrom
                let end = startFrom > 0 ? argc - 1 : 1
                var i = start
                while i != end {
                    if i >= argc || i < 1 { break }
                    if argv[i].lowercased() == RBytes(word.lowercased()) {
                        first = i + 1
                        break
                    }
                    i += start <= end ? 1 : -1
                }
                if first == 0 { continue }
            case .unknown:
                if partial { continue }
                return nil
            }
            var last = 0, step = 1
            var valid = true
            switch spec.find {
            case .range(let lastKey, let s, let limit):
                step = s
                if lastKey >= 0 {
                    last = first + lastKey
                } else if limit == 0 {
                    last = argc + lastKey
                } else {
                    last = first + ((argc - first) / limit + lastKey)
                }
            case .keynum(let idx, let firstKey, let s):
                step = s
                if first + idx >= argc {
                    valid = false
                } else if let n = Numbers.parseInt64(argv[first + idx]), n >= 0, n <= Int64(argc) {
                    first += firstKey
                    last = first + Int(n) - 1
                } else {
                    valid = false
                }
            case .unknown:
                valid = false
            }
            // Out of bounds is invalid; so is numkeys 0 (last < first), as in Redis 7.0's getKeysUsingKeySpecs:
            // the command's key finder then decides (genericGetKeys: no keys at all).
            if valid && (last >= argc || last < first || first >= argc) {
                valid = false
            }
            if valid && spec.flags.contains(.incomplete) && !partial {
                valid = false
            }
            guard valid else {
                if partial { continue }
                return nil
            }
            var i = first
            while i <= last {
                if i < argc { out.append(KeyReference(index: i, flags: spec.flags)) }
                i += max(1, step)
            }
        }
        return out
    }
}

/// Key specs and ACL categories of the commands Redis 7.0 defines, keyed by full name (generated data).
public enum KeySpecTable {
    /// Parsed rows: full name → (categories, key specs).
    public static let rows: [String: (categories: ACLCategories, specs: [KeySpec])] = {
        var out: [String: (categories: ACLCategories, specs: [KeySpec])] = [:]
        for line in generated {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 2 else { continue }
            var cats: ACLCategories = []
            for c in fields[1].split(separator: ",") {
                if let hit = ACLCategories.names.first(where: { $0.1 == c }) { cats.insert(hit.0) }
            }
            let specs = fields.dropFirst(2).compactMap { KeySpec(encoded: $0) }
            out[String(fields[0])] = (categories: cats, specs: specs)
        }
        return out
    }()
}

extension KeySpecTable {
    /// The actual key flags of Redis 7.0's commands whose key spec says `variable_flags` (its setGetKeys and
    /// bitfieldGetKeys): SET writes only (OW) unless GET reads the old value; BITFIELD only reads with GETs only.
    public static let variableFlags: [String: ([RBytes]) -> KeySpecFlags] = [
        "set": { argv in
            argv.dropFirst(3).contains { $0.equalsIgnoringCase("get") } ? [.rw, .access, .update] : [.ow, .update]
        },
        "bitfield": { argv in
            var i = 2
            while i < argv.count {
                let rem = argv.count - i - 1
                if argv[i].equalsIgnoringCase("get") && rem >= 2 {
                    i += 3
                } else if argv[i].equalsIgnoringCase("overflow") && rem >= 1 {
                    i += 2
                } else {
                    return [.rw, .access, .update]
                }
            }
            return [.ro, .access]
        },
    ]
}

/// How a command uses channel arguments (pub/sub), for the ACL channel check.
public struct ChannelSpec: Sendable {
    /// First channel argument; channels run to the end when `all`, else only this one.
    public var first: Int
    public var all: Bool
    /// Whether the arguments are patterns (PSUBSCRIBE): ACL then requires a literal pattern match.
    public var pattern: Bool

    public init(first: Int, all: Bool, pattern: Bool = false) {
        self.first = first
        self.all = all
        self.pattern = pattern
    }

    /// The channels Redis 7.0's ACL checks (publish and subscribe; unsubscribing is never denied).
    public static let builtin: [String: ChannelSpec] = [
        "publish": ChannelSpec(first: 1, all: false), "spublish": ChannelSpec(first: 1, all: false),
        "subscribe": ChannelSpec(first: 1, all: true), "ssubscribe": ChannelSpec(first: 1, all: true),
        "psubscribe": ChannelSpec(first: 1, all: true, pattern: true),
    ]
}
