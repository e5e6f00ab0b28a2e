/// A registered command: its spec plus the counters INFO commandstats reports.
public final class Command {
    public let spec: CommandSpec
    /// Family id of the module that registered it (COMMAND DOCS `group`).
    public let family: String
    /// `get`, or `config|get` for subcommands.
    public let fullName: String
    public let parent: Command?
    /// Subcommands by lower-case name.
    public private(set) var subcommands: [RBytes: Command] = [:]

    public var calls: Int64 = 0
    public var microseconds: Int64 = 0
    public var rejectedCalls: Int64 = 0
    public var failedCalls: Int64 = 0
    /// Durations of the calls (`latency-tracking`), allocated at the first call.
    public var latencyHistogram: LatencyHistogram?

    /// Adds one call's duration to the latency histogram.
    @inline(__always)
    public func recordLatency(_ microseconds: Int64) {
        if latencyHistogram == nil { latencyHistogram = LatencyHistogram() }
        latencyHistogram!.record(microseconds: microseconds)
    }

    init(spec: CommandSpec, family: String, parent: Command?) {
        self.spec = spec
        self.family = family
        self.parent = parent
        self.fullName = parent.map { "\($0.spec.name)|\(spec.name)" } ?? spec.name
        for sub in spec.subcommands {
            subcommands[RBytes(sub.name)] = Command(spec: sub, family: family, parent: self)
        }
    }

    @inlinable public var flags: CommandFlags { spec.flags }

    /// Whether argc satisfies the arity.
    @inlinable
    public func acceptsArgumentCount(_ argc: Int) -> Bool {
        let a = spec.arity
        return a > 0 ? argc == a : argc >= -a
    }

    /// Argument indexes of the keys in `argv`.
    public func keyIndexes(_ argv: [RBytes]) -> [Int] {
        if let f = spec.keyFinder { return f(argv) }
        let k = spec.keys
        if k.first == 0 { return [] }
        let last = k.last < 0 ? argv.count + k.last : k.last
        guard k.first <= last, last < argv.count else { return k.first < argv.count ? [k.first] : [] }
        return Array(stride(from: k.first, through: last, by: max(1, k.step)))
    }

    /// The type a blocking command waits for (`list`, `zset`, `stream`), from its ACL categories.
    public var blockingType: String? {
        let c = spec.categories
        if c.contains(.list) { return "list" }
        if c.contains(.sortedset) { return "zset" }
        if c.contains(.stream) { return "stream" }
        return nil
    }

    /// The sorted list of subcommands.
    public var sortedSubcommands: [Command] { subcommands.values.sorted { $0.spec.name < $1.spec.name } }
}

/// The command table the dispatcher reads: built at start from the enabled modules.
public final class CommandTable {
    public private(set) var commands: [RBytes: Command] = [:]
    /// Families that were registered, in order.
    public private(set) var families: [String] = []

    public init() {}

    /// Adds every command of `module`. A name registered twice is a programming error.
    public func register(_ module: CommandModule) {
        families.append(module.family)
        for spec in module.commands {
            let key = RBytes(spec.name)
            precondition(commands[key] == nil, "command \(spec.name) registered twice")
            commands[key] = Command(spec: spec, family: module.family, parent: nil)
        }
    }

    /// Looks a command up by its (any-case) name.
    public func lookup(_ name: RBytes) -> Command? {
        commands[name.lowercased()]
    }

    /// Every command, sorted by name.
    public var all: [Command] { commands.values.sorted { $0.spec.name < $1.spec.name } }
}
