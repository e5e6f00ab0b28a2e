import Kernel

/// A module declaration turned into the kernel's command family: the one door (`CommandTable.register`) that
/// built-ins use too, so a module command gets the dispatcher's arity, auth, ACL, MULTI, OOM, read-only-replica
/// and script checks like any other.
public struct ModuleFamily: CommandModule {
    /// The module's name, used as the family id.
    public let family: String
    /// The module's commands as command-table rows.
    public let commands: [CommandSpec]
    /// The declaration it was made from.
    public let definition: ModuleDefinition
    /// The module's name: its commands' COMMAND DOCS group is `module`.
    public var moduleName: String? { family }

    /// Converts the declaration, refusing unknown flags or categories and a bad module name.
    public init(_ definition: ModuleDefinition) throws(RegistrationError) {
        let name = definition.name
        guard !name.isEmpty, name.utf8.allSatisfy({ b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        }) else {
            throw RegistrationError("module name '\(name)' must be letters, digits, '-' or '_'")
        }
        self.family = name
        self.definition = definition
        var typeNames: Set<String> = []
        for t in definition.types {
            guard t.isValid else { throw RegistrationError(t.invalidReason) }
            guard typeNames.insert(t.name).inserted else {
                throw RegistrationError("data type '\(t.name)' is declared twice")
            }
        }
        var specs: [CommandSpec] = []
        for c in definition.commands { specs.append(try ModuleFamily.spec(c, parent: nil)) }
        self.commands = specs
    }

    /// Redis module flag words and the command flags they set (`random` and `no-cluster` set none).
    static let flagWords: [String: CommandFlags] = [
        "write": .write, "readonly": .readonly, "admin": .admin, "deny-oom": .denyoom, "deny-script": .noscript,
        "allow-loading": .loading, "pubsub": .pubsub, "random": [], "allow-stale": .stale,
        "no-monitor": .skipMonitor, "no-slowlog": .skipSlowlog, "fast": .fast, "no-auth": .noAuth,
        "may-replicate": .mayReplicate, "no-mandatory-keys": .noMandatoryKeys, "blocking": .blocking,
        "allow-busy": .allowBusy, "no-multi": .noMulti, "no-cluster": [],
    ]

    static func spec(_ c: ModuleCommand, parent: String?) throws(RegistrationError) -> CommandSpec {
        let full = parent.map { "\($0)|\(c.name)" } ?? c.name
        var flags: CommandFlags = []
        for word in c.flags.split(separator: " ") {
            guard let f = flagWords[word.lowercased()] else {
                throw RegistrationError("command '\(full)': invalid flag '\(word)'")
            }
            flags.formUnion(f)
        }
        var categories: ACLCategories = []
        for word in c.categories.split(separator: " ") {
            let w = word.lowercased().hasPrefix("@") ? String(word.lowercased().dropFirst()) : word.lowercased()
            guard let cat = ACLCategories.names.first(where: { $0.1 == w })?.0 else {
                throw RegistrationError("command '\(full)': invalid ACL category '\(word)'")
            }
            categories.formUnion(cat)
        }
        var subs: [CommandSpec] = []
        for s in c.subcommands { subs.append(try spec(s, parent: c.name)) }
        return CommandSpec(c.name, arity: c.arity, flags: flags,
                           keys: KeyPositions(first: c.firstKey, last: c.lastKey, step: c.keyStep),
                           categories: categories, summary: c.summary, since: c.since, complexity: c.complexity,
                           subcommands: subs, handler: c.handler.map(ModuleFamily.wrap))
    }

    /// The kernel handler around a module handler: thrown errors become error replies.
    static func wrap(_ h: @escaping ModuleHandler) -> CommandHandler {
        return { c in ModuleContext.run(h, c) }
    }
}
