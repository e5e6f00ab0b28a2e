/// What a command handler does: reads `client.argv`, works on `client.db`, writes its reply with `client.reply`.
/// Built-ins, `redis.call` from scripts and plugins all share this one signature.
public typealias CommandHandler = (Client) -> Void

/// Command flags, with Redis's names (`COMMAND INFO` prints them).
public struct CommandFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let write = CommandFlags(rawValue: 1 << 0)
    public static let readonly = CommandFlags(rawValue: 1 << 1)
    public static let denyoom = CommandFlags(rawValue: 1 << 2)
    public static let admin = CommandFlags(rawValue: 1 << 3)
    public static let pubsub = CommandFlags(rawValue: 1 << 4)
    public static let noscript = CommandFlags(rawValue: 1 << 5)
    public static let blocking = CommandFlags(rawValue: 1 << 6)
    public static let loading = CommandFlags(rawValue: 1 << 7)
    public static let stale = CommandFlags(rawValue: 1 << 8)
    public static let skipMonitor = CommandFlags(rawValue: 1 << 9)
    public static let skipSlowlog = CommandFlags(rawValue: 1 << 10)
    public static let fast = CommandFlags(rawValue: 1 << 11)
    public static let noAuth = CommandFlags(rawValue: 1 << 12)
    public static let mayReplicate = CommandFlags(rawValue: 1 << 13)
    public static let noMandatoryKeys = CommandFlags(rawValue: 1 << 14)
    public static let noMulti = CommandFlags(rawValue: 1 << 15)
    public static let allowBusy = CommandFlags(rawValue: 1 << 16)
    public static let noAsyncLoading = CommandFlags(rawValue: 1 << 17)
    public static let sentinel = CommandFlags(rawValue: 1 << 18)
    public static let onlySentinel = CommandFlags(rawValue: 1 << 19)
    /// Redis's CMD_PROTECTED (DEBUG, MODULE LOAD/LOADEX/UNLOAD): refused before authentication and ACL unless
    /// `enable-debug-command` / `enable-module-command` allows the connection. COMMAND INFO does not print it.
    public static let protected = CommandFlags(rawValue: 1 << 20)
    /// Redis's CMD_ASKING (RESTORE-ASKING): accepted on an importing slot in cluster mode.
    public static let asking = CommandFlags(rawValue: 1 << 21)

    /// (flag, name) in the order Redis's COMMAND INFO prints them (it hides may_replicate, sentinel and
    /// only_sentinel, and prints movablekeys just before allow_busy).
    public static let names: [(CommandFlags, String)] = [
        (.write, "write"), (.readonly, "readonly"), (.denyoom, "denyoom"), (.admin, "admin"), (.pubsub, "pubsub"),
        (.noscript, "noscript"), (.blocking, "blocking"), (.loading, "loading"), (.stale, "stale"),
        (.skipMonitor, "skip_monitor"), (.skipSlowlog, "skip_slowlog"), (.asking, "asking"), (.fast, "fast"), (.noAuth, "no_auth"),
        (.mayReplicate, "may_replicate"), (.sentinel, "sentinel"), (.onlySentinel, "only_sentinel"),
        (.noMandatoryKeys, "no_mandatory_keys"), (.noAsyncLoading, "no_async_loading"), (.noMulti, "no_multi"),
        (.allowBusy, "allow_busy"),
    ]
}

/// ACL categories (`@read`, `@string`, ...). Some are derived from flags, as Redis does.
public struct ACLCategories: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let keyspace = ACLCategories(rawValue: 1 << 0)
    public static let read = ACLCategories(rawValue: 1 << 1)
    public static let write = ACLCategories(rawValue: 1 << 2)
    public static let set = ACLCategories(rawValue: 1 << 3)
    public static let sortedset = ACLCategories(rawValue: 1 << 4)
    public static let list = ACLCategories(rawValue: 1 << 5)
    public static let hash = ACLCategories(rawValue: 1 << 6)
    public static let string = ACLCategories(rawValue: 1 << 7)
    public static let bitmap = ACLCategories(rawValue: 1 << 8)
    public static let hyperloglog = ACLCategories(rawValue: 1 << 9)
    public static let geo = ACLCategories(rawValue: 1 << 10)
    public static let stream = ACLCategories(rawValue: 1 << 11)
    public static let pubsub = ACLCategories(rawValue: 1 << 12)
    public static let admin = ACLCategories(rawValue: 1 << 13)
    public static let fast = ACLCategories(rawValue: 1 << 14)
    public static let slow = ACLCategories(rawValue: 1 << 15)
    public static let blocking = ACLCategories(rawValue: 1 << 16)
    public static let dangerous = ACLCategories(rawValue: 1 << 17)
    public static let connection = ACLCategories(rawValue: 1 << 18)
    public static let transaction = ACLCategories(rawValue: 1 << 19)
    public static let scripting = ACLCategories(rawValue: 1 << 20)

    public static let names: [(ACLCategories, String)] = [
        (.keyspace, "keyspace"), (.read, "read"), (.write, "write"), (.set, "set"), (.sortedset, "sortedset"),
        (.list, "list"), (.hash, "hash"), (.string, "string"), (.bitmap, "bitmap"), (.hyperloglog, "hyperloglog"),
        (.geo, "geo"), (.stream, "stream"), (.pubsub, "pubsub"), (.admin, "admin"), (.fast, "fast"),
        (.slow, "slow"), (.blocking, "blocking"), (.dangerous, "dangerous"), (.connection, "connection"),
        (.transaction, "transaction"), (.scripting, "scripting"),
    ]
}

/// Where a command's keys are in its arguments (Redis's legacy first/last/step triple).
public struct KeyPositions: Sendable {
    /// Index of the first key (0 = no keys).
    public var first: Int
    /// Index of the last key; negative counts from the end (-1 = last argument).
    public var last: Int
    public var step: Int

    public init(first: Int, last: Int, step: Int) {
        self.first = first
        self.last = last
        self.step = step
    }

    public static let none = KeyPositions(first: 0, last: 0, step: 0)
    /// The single key at argument 1.
    public static let single = KeyPositions(first: 1, last: 1, step: 1)
    /// Every argument from 1 on is a key.
    public static let all = KeyPositions(first: 1, last: -1, step: 1)
}

/// One command's row in the command table: everything the dispatcher enforces and COMMAND reports.
public struct CommandSpec {
    /// Lower-case name (`get`, or the subcommand's own name such as `getname`).
    public var name: String
    /// Redis arity: N = exactly N arguments including the name, -N = at least N.
    public var arity: Int
    public var flags: CommandFlags
    public var keys: KeyPositions
    /// Categories beyond those derived from flags (write → @write, fast → @fast, ...).
    public var categories: ACLCategories
    public var summary: String
    public var since: String
    public var complexity: String
    /// Custom key extraction for commands whose keys move (`movablekeys`), returning argument indexes.
    public var keyFinder: (([RBytes]) -> [Int])?
    /// Key specs with read/write flags; nil takes Redis 7.0's (generated) for its commands, or derives them.
    public var keySpecs: [KeySpec]?
    /// Channel arguments (pub/sub) for the ACL check; nil takes Redis 7.0's for its commands.
    public var channels: ChannelSpec?
    public var subcommands: [CommandSpec]
    /// nil for a container command that only dispatches to subcommands.
    public var handler: CommandHandler?

    public init(_ name: String, arity: Int, flags: CommandFlags = [], keys: KeyPositions = .none,
                categories: ACLCategories = [], summary: String = "", since: String = "1.0.0",
                complexity: String = "", keyFinder: (([RBytes]) -> [Int])? = nil,
                keySpecs: [KeySpec]? = nil, channels: ChannelSpec? = nil,
                subcommands: [CommandSpec] = [], handler: CommandHandler? = nil) {
        self.keySpecs = keySpecs
        self.channels = channels
        self.name = name
        self.arity = arity
        self.flags = flags
        self.keys = keys
        self.categories = categories
        self.summary = summary
        self.since = since
        self.complexity = complexity
        self.keyFinder = keyFinder
        self.subcommands = subcommands
        self.handler = handler
    }

    /// Categories including those Redis derives from the flags.
    public var allCategories: ACLCategories {
        var c = categories
        if flags.contains(.write) { c.insert(.write) }
        if flags.contains(.readonly) && !categories.contains(.scripting) { c.insert(.read) }
        if flags.contains(.admin) { c.formUnion([.admin, .dangerous]) }
        if flags.contains(.pubsub) { c.insert(.pubsub) }
        if flags.contains(.fast) { c.insert(.fast) }
        if flags.contains(.blocking) { c.insert(.blocking) }
        if !c.contains(.fast) { c.insert(.slow) }
        return c
    }
}

/// A family of commands (strings, keys, ...), or a user's plugin: the unit that is registered or disabled.
public protocol CommandModule {
    /// Family id used by `disable-command-family` and COMMAND DOCS's group (`string`, `generic`, ...).
    var family: String { get }
    /// The family's commands.
    var commands: [CommandSpec] { get }
    /// The module that declares the family (COMMAND DOCS `module`, COMMAND LIST FILTERBY MODULE); nil for the
    /// built-in families.
    var moduleName: String? { get }
}

extension CommandModule {
    /// Built-in families belong to no module.
    public var moduleName: String? { nil }
}
