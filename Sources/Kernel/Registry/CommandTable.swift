/// Why a module's commands were refused at registration (duplicate name, bad arity, flags or key positions).
public struct RegistrationError: Error, CustomStringConvertible, Sendable {
    /// The reason, naming the command (`command 'get' is already registered`).
    public let message: String
    /// A registration error with its reason.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The command table the dispatcher reads: built at start from the enabled modules; modules loaded at run time
/// add to it and remove their commands when unloaded. Built-ins and modules enter through the same door.
public final class CommandTable {
    public private(set) var commands: [RBytes: Command] = [:]
    /// Families that were registered, in order.
    public private(set) var families: [String] = []
    /// Every command and subcommand by `id` (an unregistered command's slot stays, so ids never move).
    private var slots: [Command?] = []

    public init() {}

    /// Every registered command and subcommand, in id order.
    public var byId: [Command] { slots.compactMap { $0 } }

    /// Adds every command of `module` after checking all of them (nothing is added when one is refused): a name
    /// already registered or repeated, an empty or malformed name, arity 0, `write` with `readonly`, key
    /// positions that do not describe keys (first < 0, step < 1 with keys, last between 0 and first), a command
    /// with neither handler nor subcommands.
    @discardableResult
    public func register(_ module: CommandModule) throws(RegistrationError) -> [Command] {
        let specs = module.commands
        var seen = Set<String>()
        for spec in specs {
            try CommandTable.validate(spec, parent: nil)
            if commands[RBytes(spec.name)] != nil || seen.contains(spec.name) {
                throw RegistrationError("command '\(spec.name)' is already registered")
            }
            seen.insert(spec.name)
        }
        if !families.contains(module.family) { families.append(module.family) }
        var added: [Command] = []
        for spec in specs {
            let cmd = Command(spec: spec, family: module.family, parent: nil, module: module.moduleName)
            commands[RBytes(spec.name)] = cmd
            cmd.id = slots.count
            slots.append(cmd)
            added.append(cmd)
            for sub in cmd.sortedSubcommands {
                sub.id = slots.count
                slots.append(sub)
                added.append(sub)
            }
        }
        return added
    }

    /// Checks one command's metadata (and its subcommands').
    static func validate(_ spec: CommandSpec, parent: String?) throws(RegistrationError) {
        let full = parent.map { "\($0)|\(spec.name)" } ?? spec.name
        let bad: (String) -> RegistrationError = { RegistrationError("command '\(full)': \($0)") }
        if spec.name.isEmpty { throw RegistrationError("a command name is empty") }
        if spec.name != spec.name.lowercased() { throw bad("names are registered in lower case") }
        if spec.name.utf8.contains(where: { $0 <= 32 || $0 == UInt8(ascii: "|") || $0 >= 127 }) {
            throw bad("a name has no spaces, control characters or '|'")
        }
        if spec.arity == 0 { throw bad("arity 0 (use N for exactly N arguments, -N for at least N)") }
        if spec.flags.contains(.write) && spec.flags.contains(.readonly) {
            throw bad("flags 'write' and 'readonly' exclude each other")
        }
        let k = spec.keys
        if k.first < 0 { throw bad("the first key index is negative") }
        if k.first > 0 {
            if k.step < 1 { throw bad("the key step must be at least 1") }
            if k.last >= 0 && k.last < k.first { throw bad("the last key index is before the first") }
            if spec.arity > 0 && k.first >= spec.arity { throw bad("the first key index is past the arity") }
        } else if k.last != 0 || k.step != 0 {
            throw bad("key positions without a first key")
        }
        if spec.handler == nil && spec.subcommands.isEmpty { throw bad("no handler and no subcommands") }
        var subs = Set<String>()
        for sub in spec.subcommands {
            if parent != nil { throw bad("subcommands cannot have subcommands") }
            try validate(sub, parent: spec.name)
            if !subs.insert(sub.name).inserted { throw bad("subcommand '\(sub.name)' is declared twice") }
        }
    }

    /// Removes every command of `family` (MODULE UNLOAD): they stop answering at once, also through a client's
    /// cached lookup. Returns the removed commands and subcommands.
    @discardableResult
    public func unregister(family: String) -> [Command] {
        var removed: [Command] = []
        for (name, cmd) in commands where cmd.family == family {
            commands[name] = nil
            removed.append(cmd)
            removed.append(contentsOf: cmd.subcommands.values)
        }
        for cmd in removed {
            cmd.unregistered = true
            slots[cmd.id] = nil
        }
        families.removeAll { $0 == family }
        return removed
    }

    /// `rename-command`: the command answers to `newName` only, or to nothing when `newName` is empty.
    /// False when `name` is not a registered command (or `newName` is taken).
    public func rename(_ name: String, to newName: String) -> Bool {
        let old = RBytes(name.lowercased())
        guard let cmd = commands[old] else { return false }
        let new = RBytes(newName.lowercased())
        if !newName.isEmpty && commands[new] != nil && new != old { return false }
        commands[old] = nil
        if !newName.isEmpty { commands[new] = cmd }
        return true
    }

    /// Looks a command or `container|subcommand` up by full name (any case).
    public func lookup(fullName: String) -> Command? {
        let parts = fullName.lowercased().split(separator: "|", maxSplits: 1)
        guard let first = parts.first, let cmd = commands[RBytes(String(first))] else { return nil }
        if parts.count == 1 { return cmd }
        return cmd.subcommands[RBytes(String(parts[1]))]
    }

    /// Looks a command up by its (any-case) name.
    public func lookup(_ name: RBytes) -> Command? {
        commands[name.lowercased()]
    }

    /// Every command, sorted by name.
    public var all: [Command] { commands.values.sorted { $0.spec.name < $1.spec.name } }
}
