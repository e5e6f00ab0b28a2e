/// A registered command: its spec plus the counters INFO commandstats reports.
public final class Command {
    public let spec: CommandSpec
    /// Family id of the module that registered it (COMMAND DOCS `group`).
    public let family: String
    /// The module that declared it (a module command's COMMAND DOCS group is `module`); nil for built-ins.
    public let module: String?
    /// `get`, or `config|get` for subcommands.
    public let fullName: String
    public let parent: Command?
    /// Subcommands by lower-case name.
    public private(set) var subcommands: [RBytes: Command] = [:]
    /// Whether `subcommands` is not empty: the dispatcher asks once per command, and a read of the dictionary
    /// itself is a retain and a release (issue 18).
    public let hasSubcommands: Bool

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
    /// Index in the table's `byId` (the bit of this command in an ACL selector).
    public internal(set) var id = 0
    /// Set when its module is unloaded: a client's cached lookup of it is then stale (the dispatcher looks the
    /// name up again, so an unloaded command cannot run through a cache).
    public internal(set) var unregistered = false
    /// Whether a failed background save (`stop-writes-on-bgsave-error`) refuses it with MISCONF: the writes, and
    /// PING (as in Redis). Computed once: the dispatcher asks for every command.
    public let refusedOnPersistenceError: Bool
    /// ACL categories: Redis 7.0's for the commands it defines, else those the spec declares and implies.
    public let categories: ACLCategories
    /// Key specs: the spec's own, else Redis 7.0's (generated), else derived from the legacy key positions.
    public let keySpecs: [KeySpec]
    /// Channel arguments the ACL checks (pub/sub), if any.
    public let channels: ChannelSpec?
    /// Redis 7.0's command tips (`nondeterministic_output`, `request_policy:…`) for its commands; none for others.
    public var tips: [String] { KeySpecTable.tips[fullName] ?? [] }

    init(spec: CommandSpec, family: String, parent: Command?, module: String? = nil) {
        self.spec = spec
        self.family = family
        self.module = module
        self.parent = parent
        let fullName = parent.map { "\($0.spec.name)|\(spec.name)" } ?? spec.name
        self.fullName = fullName
        self.refusedOnPersistenceError = spec.flags.contains(.write) || fullName == "ping"
        let row = KeySpecTable.rows[fullName]
        self.categories = row?.categories ?? spec.allCategories
        self.keySpecs = spec.keySpecs ?? row?.specs ?? Command.legacySpecs(spec)
        self.channels = spec.channels ?? ChannelSpec.builtin[fullName]
        self.hasSubcommands = !spec.subcommands.isEmpty
        for sub in spec.subcommands {
            subcommands[RBytes(sub.name)] = Command(spec: sub, family: family, parent: self, module: module)
        }
    }

    /// A range spec for a plugin command that declares only first/last/step (read or write by its flags).
    static func legacySpecs(_ spec: CommandSpec) -> [KeySpec] {
        let k = spec.keys
        guard k.first > 0 else { return [] }
        let flags: KeySpecFlags = spec.flags.contains(.write) ? [.rw, .access, .update] : [.ro, .access]
        return [KeySpec(flags: flags, begin: .index(k.first),
                        find: .range(lastKey: k.last >= 0 ? k.last - k.first : k.last, step: k.step, limit: 0))]
    }

    @inlinable public var flags: CommandFlags { spec.flags }

    /// Whether argc satisfies the arity.
    @inlinable
    public func acceptsArgumentCount(_ argc: Int) -> Bool {
        let a = spec.arity
        return a > 0 ? argc == a : argc >= -a
    }

    /// Whether every key spec can be followed from the arguments alone (no unknown or incomplete spec).
    public lazy var specsComplete: Bool = !keySpecs.isEmpty && keySpecs.allSatisfy { s in
        if s.flags.contains(.incomplete) { return false }
        if case .unknown = s.begin { return false }
        if case .unknown = s.find { return false }
        return true
    }

    /// The keys of `argv` with the flags of the spec that found each (Redis's getKeysFromCommandWithSpecs):
    /// the key specs when they are complete, else the command's key finder (flags from the spec that covers the
    /// index, or read-write when none does), else whatever the specs can follow.
    public func keyReferences(_ argv: [RBytes]) -> [KeyReference] {
        let varFlags = keySpecs.contains { $0.flags.contains(.variableFlags) }
        if specsComplete && !varFlags, let refs = KeySpec.keys(keySpecs, argv) { return refs }
        if varFlags, let resolve = KeySpecTable.variableFlags[fullName], var refs = KeySpec.keys(keySpecs, argv) {
            for i in refs.indices { refs[i].flags = resolve(argv) }
            return refs
        }
        if let f = spec.keyFinder {
            // A `numkeys` command whose count the specs could not use: Redis's genericGetKeys, keys without flags.
            if keySpecs.contains(where: { if case .keynum = $0.find { return true } else { return false } }) {
                return f(argv).filter { $0 > 0 && $0 < argv.count }.map { KeyReference(index: $0, flags: []) }
            }
            let partial = KeySpec.keys(keySpecs, argv, partial: true) ?? []
            // A key the complete specs do not find is the last incomplete or unknown spec's (SORT's STORE
            // destination: OW update; MIGRATE's KEYS: RW access delete), as Redis's getkeys procs flag them.
            var fallback: KeySpecFlags = [.rw, .access, .update]
            if let s = keySpecs.last(where: { spec in
                if spec.flags.contains(.incomplete) { return true }
                if case .unknown = spec.begin { return true }
                if case .unknown = spec.find { return true }
                return false
            }) {
                fallback = s.flags.subtracting(.incomplete)
            }
            return f(argv).filter { $0 > 0 && $0 < argv.count }.map { i in
                partial.first { $0.index == i } ?? KeyReference(index: i, flags: fallback)
            }
        }
        return KeySpec.keys(keySpecs, argv, partial: true) ?? []
    }

    /// Argument indexes of the keys in `argv`.
    public func keyIndexes(_ argv: [RBytes]) -> [Int] {
        if specsComplete, let refs = KeySpec.keys(keySpecs, argv) { return refs.map(\.index) }
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
