import Kernel

/// COMMAND and its subcommands: everything they report is read from the command table (`c.server.commands`),
/// the same rows the dispatcher enforces.
extension ServerCommands {
    static var commandSpec: CommandSpec {
        let flags: CommandFlags = [.loading, .stale]
        return CommandSpec(
            "command", arity: -1, flags: flags, categories: [.connection],
            summary: "Returns detailed information about all commands.", since: "2.8.13",
            complexity: "O(N) where N is the total number of Redis commands",
            subcommands: [
                CommandSpec("count", arity: 2, flags: flags, categories: [.connection],
                            summary: "Returns a count of commands.", since: "2.8.13", complexity: "O(1)",
                            handler: commandCount),
                CommandSpec("docs", arity: -2, flags: flags, categories: [.connection],
                            summary: "Returns documentary information about one, multiple or all commands.",
                            since: "7.0.0", complexity: "O(N) where N is the number of commands to look up",
                            handler: commandDocs),
                CommandSpec("getkeys", arity: -4, flags: flags, categories: [.connection],
                            summary: "Extracts the key names from an arbitrary command.", since: "2.8.13",
                            complexity: "O(N) where N is the number of arguments to the command",
                            handler: commandGetKeys),
                CommandSpec("getkeysandflags", arity: -4, flags: flags, categories: [.connection],
                            summary: "Extracts the key names and access flags for an arbitrary command.", since: "7.0.0",
                            complexity: "O(N) where N is the number of arguments to the command",
                            handler: commandGetKeysAndFlags),
                CommandSpec("help", arity: 2, flags: flags, categories: [.connection],
                            summary: "Returns helpful text about the different subcommands.", since: "5.0.0",
                            complexity: "O(1)", handler: commandHelp),
                CommandSpec("info", arity: -2, flags: flags, categories: [.connection],
                            summary: "Returns information about one, multiple or all commands.", since: "2.8.13",
                            complexity: "O(N) where N is the number of commands to look up", handler: commandInfo),
                CommandSpec("list", arity: -2, flags: flags, categories: [.connection],
                            summary: "Returns a list of command names.", since: "7.0.0",
                            complexity: "O(N) where N is the total number of Redis commands", handler: commandList),
            ],
            handler: command)
    }

    static let commandHelpEntries: [HelpReply.Entry] = [
        ("", ["(no subcommand)",
              "    Return details about all Redis commands."]),
        ("count", ["COUNT",
                   "    Return the total number of commands in this Redis server."]),
        ("list", ["LIST",
                  "    Return a list of all commands in this Redis server."]),
        ("info", ["INFO [<command-name> ...]",
                  "    Return details about multiple Redis commands.",
                  "    If no command names are given, documentation details for all",
                  "    commands are returned."]),
        ("docs", ["DOCS [<command-name> ...]",
                  "    Return documentation details about multiple Redis commands.",
                  "    If no command names are given, documentation details for all",
                  "    commands are returned."]),
        ("getkeys", ["GETKEYS <full-command>",
                     "    Return the keys from a full Redis command."]),
        ("getkeysandflags", ["GETKEYSANDFLAGS <full-command>",
                             "    Return the keys and the access flags from a full Redis command."]),
    ]

    // MARK: - Lookup

    /// A command by its full name: `get`, or `config|get` for a subcommand (any case).
    static func lookupFullName(_ c: Client, _ name: RBytes) -> Command? {
        let parts = name.array.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        guard let top = c.server.commands.lookup(RBytes(Array(parts[0]))) else { return nil }
        switch parts.count {
        case 1: return top
        case 2: return top.subcommands[RBytes(Array(parts[1])).lowercased()]
        default: return nil
        }
    }

    /// The command an argument vector runs (`config get x` → `config|get`), as the dispatcher resolves it.
    static func lookupArgv(_ c: Client, _ argv: ArraySlice<RBytes>) -> Command? {
        guard let first = argv.first, let top = c.server.commands.lookup(first) else { return nil }
        if top.subcommands.isEmpty || argv.count == 1 { return top }
        return top.subcommands[argv[argv.startIndex + 1].lowercased()]
    }

    // MARK: - COMMAND INFO reply

    /// Flags as COMMAND INFO prints them: Redis hides `may_replicate`, `sentinel` and `only_sentinel`, and
    /// inserts `movablekeys` before `allow_busy` for commands whose keys need a key finder or whose key specs are
    /// not all index + range (Redis's populateCommandMovableKeys: SORT_RO's BY/GET spec is `unknown`).
    static func visibleFlags(_ cmd: Command) -> [String] {
        let hidden: CommandFlags = [.mayReplicate, .sentinel, .onlySentinel]
        let movable = cmd.spec.keyFinder != nil || cmd.keySpecs.contains { spec in
            guard case .index = spec.begin, case .range = spec.find else { return true }
            return false
        }
        var out: [String] = []
        for (flag, name) in CommandFlags.names {
            if flag == .allowBusy && movable { out.append("movablekeys") }
            if cmd.flags.contains(flag) && !hidden.contains(flag) { out.append(name) }
        }
        return out
    }

    /// Redis's 10-element command description.
    static func replyCommandInfo(_ c: Client, _ cmd: Command) {
        let spec = cmd.spec
        c.reply.arrayHeader(10)
        c.reply.bulk(cmd.fullName)
        c.reply.integer(spec.arity)
        let flags = visibleFlags(cmd)
        c.reply.setHeader(flags.count)
        for f in flags { c.reply.status(f) }
        c.reply.integer(spec.keys.first)
        c.reply.integer(spec.keys.last)
        c.reply.integer(spec.keys.step)
        let categories = cmd.categories
        let names = ACLCategories.names.filter { categories.contains($0.0) }
        c.reply.setHeader(names.count)
        for (_, name) in names { c.reply.status("@\(name)") }
        let tips = cmd.tips
        c.reply.setHeader(tips.count)
        for tip in tips { c.reply.bulk(tip) }
        replyKeySpecs(c, cmd)
        let subs = cmd.sortedSubcommands
        if subs.isEmpty {
            c.reply.setHeader(0)
        } else {
            c.reply.arrayHeader(subs.count)
            for sub in subs { replyCommandInfo(c, sub) }
        }
    }

    /// The command's key specs (Redis 7.0's for its commands, see KeySpecTable) as COMMAND INFO prints them.
    static func replyKeySpecs(_ c: Client, _ cmd: Command) {
        c.reply.setHeader(cmd.keySpecs.count)
        for ks in cmd.keySpecs {
            c.reply.mapHeader(ks.notes.isEmpty ? 3 : 4)
            if !ks.notes.isEmpty {
                c.reply.bulk("notes")
                c.reply.bulk(ks.notes)
            }
            c.reply.bulk("flags")
            let names = ks.flags.names
            c.reply.setHeader(names.count)
            for n in names { c.reply.status(n) }
            c.reply.bulk("begin_search")
            c.reply.mapHeader(2)
            c.reply.bulk("type")
            switch ks.begin {
            case .index(let i):
                c.reply.bulk("index")
                c.reply.bulk("spec")
                c.reply.mapHeader(1)
                c.reply.bulk("index")
                c.reply.integer(i)
            case .keyword(let word, let from):
                c.reply.bulk("keyword")
                c.reply.bulk("spec")
                c.reply.mapHeader(2)
                c.reply.bulk("keyword")
                c.reply.bulk(word)
                c.reply.bulk("startfrom")
                c.reply.integer(from)
            case .unknown:
                c.reply.bulk("unknown")
                c.reply.bulk("spec")
                c.reply.mapHeader(0)
            }
            c.reply.bulk("find_keys")
            c.reply.mapHeader(2)
            c.reply.bulk("type")
            switch ks.find {
            case .range(let last, let step, let limit):
                c.reply.bulk("range")
                c.reply.bulk("spec")
                c.reply.mapHeader(3)
                c.reply.bulk("lastkey")
                c.reply.integer(last)
                c.reply.bulk("keystep")
                c.reply.integer(step)
                c.reply.bulk("limit")
                c.reply.integer(limit)
            case .keynum(let idx, let first, let step):
                c.reply.bulk("keynum")
                c.reply.bulk("spec")
                c.reply.mapHeader(3)
                c.reply.bulk("keynumidx")
                c.reply.integer(idx)
                c.reply.bulk("firstkey")
                c.reply.integer(first)
                c.reply.bulk("keystep")
                c.reply.integer(step)
            case .unknown:
                c.reply.bulk("unknown")
                c.reply.bulk("spec")
                c.reply.mapHeader(0)
            }
        }
    }

    /// The COMMAND DOCS map of one command and its subcommands' docs: Redis 7.0's recorded fields for its own
    /// commands (generated data, see ArgumentDocs), else summary, since, group, complexity and module from the spec.
    static func replyCommandDocs(_ c: Client, _ cmd: Command) {
        let spec = cmd.spec
        let subs = cmd.sortedSubcommands
        if cmd.module == nil, let recorded = ArgumentDocs.fields(cmd.fullName) {
            c.reply.mapHeader(recorded.count + (subs.isEmpty ? 0 : 1))
            for (key, value) in recorded {
                ArgumentDocs.write(key, to: &c.reply)
                ArgumentDocs.write(value, to: &c.reply)
            }
            replySubcommandDocs(c, subs)
            return
        }
        var fields: [(String, String)] = []
        if !spec.summary.isEmpty { fields.append(("summary", spec.summary)) }
        if !spec.since.isEmpty { fields.append(("since", spec.since)) }
        fields.append(("group", cmd.module == nil ? cmd.family : "module"))
        if !spec.complexity.isEmpty { fields.append(("complexity", spec.complexity)) }
        if let module = cmd.module { fields.append(("module", module)) }
        c.reply.mapHeader(fields.count + (subs.isEmpty ? 0 : 1))
        for (k, v) in fields {
            c.reply.bulk(k)
            c.reply.bulk(v)
        }
        replySubcommandDocs(c, subs)
    }

    /// The `subcommands` field of COMMAND DOCS, when there are any.
    static func replySubcommandDocs(_ c: Client, _ subs: [Command]) {
        guard !subs.isEmpty else { return }
        c.reply.bulk("subcommands")
        c.reply.mapHeader(subs.count)
        for sub in subs {
            c.reply.bulk(sub.fullName)
            replyCommandDocs(c, sub)
        }
    }

    // MARK: - Handlers

    /// COMMAND
    static func command(_ c: Client) {
        // The dispatcher runs the container itself for `COMMAND <unknown>`.
        if c.argv.count > 1 {
            c.error(Errors.unknownSubcommand(c.argv[1], "command"))
            return
        }
        replyAllCommandInfo(c)
    }

    /// The COMMAND INFO of every command.
    static func replyAllCommandInfo(_ c: Client) {
        let all = c.server.commands.all
        c.reply.arrayHeader(all.count)
        for cmd in all { replyCommandInfo(c, cmd) }
    }

    /// COMMAND COUNT
    static func commandCount(_ c: Client) {
        c.reply.integer(c.server.commands.commands.count)
    }

    /// COMMAND INFO [command-name [command-name ...]]
    static func commandInfo(_ c: Client) {
        if c.argv.count == 2 {
            replyAllCommandInfo(c)
            return
        }
        c.reply.arrayHeader(c.argv.count - 2)
        for name in c.argv.dropFirst(2) {
            if let cmd = lookupFullName(c, name) {
                replyCommandInfo(c, cmd)
            } else {
                c.reply.null()
            }
        }
    }

    /// COMMAND DOCS [command-name [command-name ...]]
    static func commandDocs(_ c: Client) {
        if c.argv.count == 2 {
            let all = c.server.commands.all
            c.reply.mapHeader(all.count)
            for cmd in all {
                c.reply.bulk(cmd.fullName)
                replyCommandDocs(c, cmd)
            }
            return
        }
        let found = c.argv.dropFirst(2).compactMap { lookupFullName(c, $0) }
        c.reply.mapHeader(found.count)
        for cmd in found {
            c.reply.bulk(cmd.fullName)
            replyCommandDocs(c, cmd)
        }
    }

    /// COMMAND LIST [FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]
    static func commandList(_ c: Client) {
        var filter: (Command) -> Bool = { _ in true }
        if c.argv.count == 5 && c.argv[2].equalsIgnoringCase("FILTERBY") {
            let value = c.argv[4]
            if c.argv[3].equalsIgnoringCase("MODULE") {
                let name = value.string
                filter = { cmd in cmd.module == name }
            } else if c.argv[3].equalsIgnoringCase("ACLCAT") {
                let wanted = value.string.lowercased()
                let category = ACLCategories.names.first { $0.1 == wanted }?.0
                filter = { cmd in category.map { cmd.categories.contains($0) } ?? false }
            } else if c.argv[3].equalsIgnoringCase("PATTERN") {
                filter = { cmd in Glob.matches(value, RBytes(cmd.fullName), ignoringCase: true) }
            } else {
                c.error(Errors.syntax)
                return
            }
        } else if c.argv.count != 2 {
            c.error(Errors.syntax)
            return
        }
        var names: [String] = []
        for cmd in c.server.commands.all {
            if filter(cmd) { names.append(cmd.fullName) }
            for sub in cmd.sortedSubcommands where filter(sub) { names.append(sub.fullName) }
        }
        c.reply.arrayHeader(names.count)
        for n in names { c.reply.bulk(n) }
    }

    /// COMMAND GETKEYS command [arg [arg ...]]
    static func commandGetKeys(_ c: Client) { getKeys(c, withFlags: false) }

    /// COMMAND GETKEYSANDFLAGS command [arg [arg ...]]
    static func commandGetKeysAndFlags(_ c: Client) { getKeys(c, withFlags: true) }

    /// The keys (with their key-spec flags) the command would touch, found as the ACL finds them.
    static func getKeys(_ c: Client, withFlags: Bool) {
        let args = c.argv[2...]
        guard let cmd = lookupArgv(c, args) else {
            c.error("ERR Invalid command specified")
            return
        }
        guard !cmd.keySpecs.isEmpty || cmd.spec.keyFinder != nil else {
            c.error("ERR The command has no key arguments")
            return
        }
        guard cmd.acceptsArgumentCount(args.count) else {
            c.error("ERR Invalid number of arguments specified for command")
            return
        }
        let argv = Array(args)
        let keys = cmd.keyReferences(argv).filter { $0.index > 0 && $0.index < argv.count }
        if keys.isEmpty && !cmd.flags.contains(.noMandatoryKeys) {
            c.error("ERR Invalid arguments specified for command")
            return
        }
        c.reply.arrayHeader(keys.count)
        for k in keys {
            if withFlags {
                c.reply.arrayHeader(2)
                c.reply.bulk(argv[k.index])
                let names = k.flags.names
                c.reply.setHeader(names.count)
                for n in names { c.reply.status(n) }
            } else {
                c.reply.bulk(argv[k.index])
            }
        }
    }

    /// COMMAND HELP
    static func commandHelp(_ c: Client) {
        HelpReply.send(c, command: "command", entries: commandHelpEntries)
    }
}
