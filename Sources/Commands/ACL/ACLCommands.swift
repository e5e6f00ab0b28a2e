import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// ACL and its subcommands: users and their permissions (the check itself lives in the kernel's dispatcher).
public struct ACLCommands: CommandModule {
    public init() {}
    public let family = "server"

    public var commands: [CommandSpec] {
        let admin: CommandFlags = [.admin, .noscript, .loading, .stale]
        let plain: CommandFlags = [.noscript, .loading, .stale]
        return [
            CommandSpec("acl", arity: -2, summary: "A container for Access List Control commands.", since: "6.0.0",
                        complexity: "Depends on subcommand.", subcommands: [
                CommandSpec("cat", arity: -2, flags: plain, summary: "Lists the ACL categories, or the commands inside a category.",
                            since: "6.0.0", complexity: "O(1) since the categories and commands are a fixed set.", handler: ACLCommands.cat),
                CommandSpec("deluser", arity: -3, flags: admin, summary: "Deletes ACL users, and terminates their connections.",
                            since: "6.0.0", complexity: "O(1) amortized time considering the typical user.", handler: ACLCommands.deluser),
                CommandSpec("dryrun", arity: -4, flags: admin, summary: "Simulates the execution of a command by a user, without executing the command.",
                            since: "7.0.0", complexity: "O(1).", handler: ACLCommands.dryrun),
                CommandSpec("genpass", arity: -2, flags: plain, summary: "Generates a pseudorandom, secure password that can be used to identify ACL users.",
                            since: "6.0.0", complexity: "O(1)", handler: ACLCommands.genpass),
                CommandSpec("getuser", arity: 3, flags: admin, summary: "Lists the ACL rules of a user.",
                            since: "6.0.0", complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.", handler: ACLCommands.getuser),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], summary: "Returns helpful text about the different subcommands.",
                            since: "6.0.0", complexity: "O(1)", handler: ACLCommands.help),
                CommandSpec("list", arity: 2, flags: admin, summary: "Dumps the effective rules in ACL file format.",
                            since: "6.0.0", complexity: "O(N). Where N is the number of configured users.", handler: ACLCommands.list),
                CommandSpec("load", arity: 2, flags: admin, summary: "Reloads the rules from the configured ACL file.",
                            since: "6.0.0", complexity: "O(N). Where N is the number of configured users.", handler: ACLCommands.load),
                CommandSpec("log", arity: -2, flags: admin, summary: "Lists recent security events generated due to commands that were denied by ACL rules.",
                            since: "6.0.0", complexity: "O(N) with N being the number of entries shown.", handler: ACLCommands.log),
                CommandSpec("save", arity: 2, flags: admin, summary: "Saves the effective ACL rules in the configured ACL file.",
                            since: "6.0.0", complexity: "O(N). Where N is the number of configured users.", handler: ACLCommands.save),
                CommandSpec("setuser", arity: -3, flags: admin, summary: "Creates and modifies an ACL user and its rules.",
                            since: "6.0.0", complexity: "O(N). Where N is the number of rules provided.", handler: ACLCommands.setuser),
                CommandSpec("users", arity: 2, flags: admin, summary: "Lists all ACL users.",
                            since: "6.0.0", complexity: "O(N). Where N is the number of configured users.", handler: ACLCommands.users),
                CommandSpec("whoami", arity: 2, flags: plain, summary: "Returns the authenticated username of the current connection.",
                            since: "6.0.0", complexity: "O(1)", handler: ACLCommands.whoami),
            ]),
        ]
    }

    static let noFileError = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

    // MARK: - Users

    /// ACL SETUSER username [rule ...]
    static func setuser(_ c: Client) {
        let name = c.argv[2]
        if name.withUnsafeBytes({ $0.contains(UInt8(ascii: " ")) || $0.contains(0) }) {
            c.error("ERR Usernames can't contain spaces or null characters")
            return
        }
        let (rules, unmatched) = ACLRules.mergeSelectorArguments(Array(c.argv[3...]))
        if let unmatched {
            c.error("ERR Unmatched parenthesis in acl selector starting at '\(unmatched.string)'.")
            return
        }
        if let failure = c.server.acl.setUser(name.string, rules: rules) {
            c.error("ERR Error in ACL SETUSER modifier '\(String(decoding: failure.rule, as: UTF8.self))': \(failure.error.message)")
            return
        }
        c.reply.ok()
    }

    /// ACL GETUSER username
    static func getuser(_ c: Client) {
        guard let u = c.server.acl.users[c.argv[2].string] else {
            c.reply.null()
            return
        }
        let s = u.state
        let table = c.server.commands
        c.reply.mapHeader(6)
        c.reply.bulk("flags")
        var flags = [s.enabled ? "on" : "off"]
        if s.nopass { flags.append("nopass") }
        if let sp = s.sanitizePayload { flags.append(sp ? "sanitize-payload" : "skip-sanitize-payload") }
        c.reply.setHeader(flags.count)
        for f in flags { c.reply.bulk(f) }
        c.reply.bulk("passwords")
        c.reply.arrayHeader(s.passwords.count)
        for p in s.passwords { c.reply.bulk(SHA256.hexString(p)) }
        replySelector(c, s.root, table)
        c.reply.bulk("selectors")
        c.reply.arrayHeader(s.selectors.count)
        for sel in s.selectors {
            c.reply.mapHeader(3)
            replySelector(c, sel, table)
        }
    }

    static func replySelector(_ c: Client, _ s: ACLSelector, _ table: CommandTable) {
        c.reply.bulk("commands")
        c.reply.bulk(ACLRules.describeCommands(s, table: table))
        c.reply.bulk("keys")
        c.reply.bulk(ACLRules.describeKeys(s))
        c.reply.bulk("channels")
        c.reply.bulk(ACLRules.describeChannels(s))
    }

    /// ACL DELUSER username [username ...]
    static func deluser(_ c: Client) {
        var deleted = 0
        for name in c.argv[2...] {
            if name == "default" {
                c.error("ERR The 'default' user cannot be removed")
                return
            }
        }
        for name in c.argv[2...] where c.server.acl.deleteUser(name.string) { deleted += 1 }
        c.reply.integer(deleted)
    }

    /// ACL LIST
    static func list(_ c: Client) {
        let lines = describeAll(c.server)
        c.reply.arrayHeader(lines.count)
        for l in lines { c.reply.bulk(l) }
    }

    /// Every user as an ACL file line, sorted by name.
    static func describeAll(_ server: Server) -> [String] {
        server.acl.sortedUsers.map { "user \($0.name) " + ACLRules.describe($0.state, table: server.commands) }
    }

    /// ACL USERS
    static func users(_ c: Client) {
        let all = c.server.acl.sortedUsers
        c.reply.arrayHeader(all.count)
        for u in all { c.reply.bulk(u.name) }
    }

    /// ACL WHOAMI
    static func whoami(_ c: Client) { c.reply.bulk(c.user) }

    // MARK: - Categories, passwords, dry runs

    /// ACL CAT [category]
    static func cat(_ c: Client) {
        if c.argv.count > 3 {
            c.error(Errors.arity("acl|cat"))
            return
        }
        if c.argv.count == 2 {
            c.reply.arrayHeader(ACLCategories.names.count)
            for (_, name) in ACLCategories.names { c.reply.bulk(name) }
            return
        }
        let wanted = c.argv[2].lowercased().string
        guard let cat = ACLCategories.names.first(where: { $0.1 == wanted })?.0 else {
            c.error("ERR Unknown category '\(c.argv[2].string)'")
            return
        }
        let names = c.server.commands.byId.filter { $0.categories.contains(cat) }.map(\.fullName)
        c.reply.arrayHeader(names.count)
        for n in names { c.reply.bulk(n) }
    }

    /// ACL GENPASS [bits]
    static func genpass(_ c: Client) {
        if c.argv.count > 3 {
            c.error(Errors.arity("acl|genpass"))
            return
        }
        var bits = 256
        if c.argv.count == 3 {
            guard let n = Numbers.parseInt64(c.argv[2]) else {
                c.error("ERR value is not an integer or out of range")
                return
            }
            guard n > 0, n <= 4096 else {
                c.error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
                return
            }
            bits = Int(n)
        }
        let chars = (bits + 3) / 4
        var bytes = [UInt8](repeating: 0, count: (chars + 1) / 2)
        fillRandom(&bytes)
        c.reply.bulk(String(SHA256.hexString(bytes).prefix(chars)))
    }

    /// Cryptographically random bytes (the kernel's getrandom).
    static func fillRandom(_ bytes: inout [UInt8]) {
        var g = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &g) }
    }

    /// ACL DRYRUN username command [arg ...]
    static func dryrun(_ c: Client) {
        guard let u = c.server.acl.users[c.argv[2].string] else {
            c.error("ERR User '\(c.argv[2].string)' not found")
            return
        }
        let argv = Array(c.argv[3...])
        guard var cmd = c.server.commands.lookup(argv[0]) else {
            c.error("ERR Command '\(argv[0].string)' not found")
            return
        }
        if !cmd.subcommands.isEmpty, argv.count >= 2, let sub = cmd.subcommands[argv[1].lowercased()] { cmd = sub }
        guard cmd.acceptsArgumentCount(argv.count) else {
            c.error("ERR wrong number of arguments for '\(cmd.fullName)' command")
            return
        }
        guard let d = u.check(cmd, argv) else {
            c.reply.ok()
            return
        }
        switch d.0 {
        case .command: c.reply.bulk("This user has no permissions to run the '\(cmd.fullName)' command")
        case .key: c.reply.bulk("This user has no permissions to access the '\(argv[d.1].string)' key")
        case .channel: c.reply.bulk("This user has no permissions to access the '\(argv[d.1].string)' channel")
        case .auth: c.reply.bulk("This user has no permissions to run the '\(cmd.fullName)' command")
        }
    }

    // MARK: - Log

    /// ACL LOG [count | RESET]
    static func log(_ c: Client) {
        if c.argv.count > 3 {
            c.error(Errors.arity("acl|log"))
            return
        }
        var count = 10
        if c.argv.count == 3 {
            if c.argv[2].equalsIgnoringCase("RESET") {
                c.server.acl.resetLog()
                c.reply.ok()
                return
            }
            guard let n = Numbers.parseInt64(c.argv[2]) else {
                c.error(Errors.notInteger)
                return
            }
            count = Int(clamping: max(0, n))
        }
        let entries = c.server.acl.log.prefix(count)
        let now = Clock.unixMilliseconds()
        c.reply.arrayHeader(entries.count)
        for e in entries {
            c.reply.mapHeader(7)
            c.reply.bulk("count")
            c.reply.integer(e.count)
            c.reply.bulk("reason")
            c.reply.bulk(e.reason.logReason)
            c.reply.bulk("context")
            c.reply.bulk(e.context.rawValue)
            c.reply.bulk("object")
            c.reply.bulk(e.object)
            c.reply.bulk("username")
            c.reply.bulk(e.username)
            c.reply.bulk("age-seconds")
            c.reply.double(Double(now - e.time) / 1000)
            c.reply.bulk("client-info")
            c.reply.bulk(e.clientInfo)
        }
    }

    // MARK: - Help

    /// ACL HELP
    static func help(_ c: Client) {
        HelpReply.send(c, command: "acl", entries: helpEntries)
    }

    static let helpEntries: [HelpReply.Entry] = [
        ("cat", ["CAT [<category>]",
                 "    List all commands that belong to <category>, or all command categories",
                 "    when no category is specified."]),
        ("deluser", ["DELUSER <username> [<username> ...]", "    Delete a list of users."]),
        ("dryrun", ["DRYRUN <username> <command> [<arg> ...]",
                    "    Returns whether the user can execute the given command without executing the command."]),
        ("getuser", ["GETUSER <username>", "    Get the user's details."]),
        ("genpass", ["GENPASS [<bits>]",
                     "    Generate a secure 256-bit user password. The optional `bits` argument can",
                     "    be used to specify a different size."]),
        ("list", ["LIST", "    Show users details in config file format."]),
        ("load", ["LOAD", "    Reload users from the ACL file."]),
        ("log", ["LOG [<count> | RESET]", "    Show the ACL log entries."]),
        ("save", ["SAVE", "    Save the current config to the ACL file."]),
        ("setuser", ["SETUSER <username> <attribute> [<attribute> ...]",
                     "    Create or modify a user with the specified attributes."]),
        ("users", ["USERS", "    List all the registered usernames."]),
        ("whoami", ["WHOAMI", "    Return the current connection username."]),
    ]
}
