import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// CONFIG GET/SET/RESETSTAT/REWRITE/HELP, over the kernel's directive table (`Config.directives`).
public struct ConfigCommands: CommandModule {
    public init() {}
    public let family = "server"

    public var commands: [CommandSpec] {
        let admin: CommandFlags = [.admin, .noscript, .loading, .stale]
        return [
            CommandSpec(
                "config", arity: -2, summary: "A container for server configuration commands.", since: "2.0.0",
                complexity: "Depends on subcommand.",
                subcommands: [
                    CommandSpec("get", arity: -3, flags: admin,
                                summary: "Returns the effective values of configuration parameters.", since: "2.0.0",
                                complexity: "O(N) when N is the number of configuration parameters provided",
                                handler: Self.get),
                    CommandSpec("set", arity: -4, flags: admin,
                                summary: "Sets configuration parameters in-flight.", since: "2.0.0",
                                complexity: "O(N) when N is the number of configuration parameters provided",
                                handler: Self.set),
                    CommandSpec("resetstat", arity: 2, flags: admin, summary: "Resets the server's statistics.",
                                since: "2.0.0", complexity: "O(1)", handler: Self.resetStat),
                    CommandSpec("rewrite", arity: 2, flags: admin,
                                summary: "Persists the effective configuration to file.", since: "2.8.0",
                                complexity: "O(1)", handler: Self.rewrite),
                    CommandSpec("help", arity: 2, flags: [.loading, .stale],
                                summary: "Returns helpful text about the different subcommands.", since: "5.0.0",
                                complexity: "O(1)", handler: Self.help),
                ]),
        ]
    }

    static let helpEntries: [HelpReply.Entry] = [
        ("get", ["GET <pattern>",
                 "    Return parameters matching the glob-like <pattern> and their values."]),
        ("set", ["SET <directive> <value>",
                 "    Set the configuration <directive> to <value>."]),
        ("resetstat", ["RESETSTAT",
                       "    Reset statistics reported by the INFO command."]),
        ("rewrite", ["REWRITE",
                     "    Rewrite the configuration file."]),
    ]

    /// CONFIG GET parameter [parameter ...]
    ///
    /// A parameter without glob characters is looked up directly and echoed as given; a pattern matches
    /// directive names and aliases case-insensitively (each name once, an alias beside its directive, as Redis
    /// 7.0 lists them); hidden directives answer only by exact name.
    static func get(_ c: Client) {
        var matches: [(String, Config.Directive)] = []
        var listed = Set<String>()
        for pattern in c.argv.dropFirst(2) {
            let isGlob = pattern.array.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
            if !isGlob {
                let given = pattern.string
                guard !listed.contains(given.lowercased()), let d = c.server.config.lookup(given) else { continue }
                listed.insert(given.lowercased())
                matches.append((given, d))
                continue
            }
            for d in c.server.config.allDirectives where !d.hidden {
                for name in [d.name] + d.aliases where !listed.contains(name) {
                    if Glob.matches(pattern, RBytes(name), ignoringCase: true) {
                        listed.insert(name)
                        matches.append((name, d))
                    }
                }
            }
        }
        c.reply.mapHeader(matches.count)
        for (name, d) in matches {
            c.reply.bulk(name)
            c.reply.bulk(d.get(c.server.config))
        }
    }

    /// Whether `enable-protected-configs` lets this connection change a protected directive (`local`: loopback or
    /// internal clients), as Redis's allowProtectedAction.
    static func protectedConfigAllowed(_ c: Client) -> Bool {
        switch c.server.config.enableProtectedConfigs {
        case "yes": return true
        case "local":
            guard c.isConnection else { return true }
            return c.address.hasPrefix("127.0.0.1:") || c.address.hasPrefix("[::1]:")
        default: return false
        }
    }

    /// CONFIG SET parameter value [parameter value ...]
    ///
    /// All or nothing: every name is checked first, then the values are applied in order, and if one is
    /// refused the ones already applied get their old values back.
    static func set(_ c: Client) {
        guard c.argv.count % 2 == 0 else {
            c.error(Errors.syntax)
            return
        }
        var changes: [(Config.Directive, String, String)] = []
        for i in stride(from: 2, to: c.argv.count, by: 2) {
            let given = c.argv[i].string
            guard let d = c.server.config.lookup(given) else {
                c.error("ERR Unknown option or number of arguments for CONFIG SET - '\(given)'")
                return
            }
            let problem: String?
            if !d.mutable {
                problem = "can't set immutable config"
            } else if (Config.protectedDirectives.contains(d.name) || d.module?.protected == true)
                        && !protectedConfigAllowed(c) {
                problem = "can't set protected config"
            } else if d.module?.denyLoading == true && c.server.loading {
                problem = "loading flag is set"
            } else if changes.contains(where: { $0.0.name == d.name }) {
                problem = "duplicate parameter"
            } else {
                problem = nil
            }
            if let problem {
                c.error("ERR CONFIG SET failed (possibly related to argument '\(given)') - \(problem)")
                return
            }
            changes.append((d, c.argv[i + 1].string, given))
        }
        let config = c.server.config
        let previous = changes.map { $0.0.get(config) }
        for (i, (d, value, given)) in changes.enumerated() {
            do {
                try d.set(config, [value])
            } catch {
                for j in stride(from: i - 1, through: 0, by: -1) {
                    try? changes[j].0.set(config, [previous[j]])
                }
                c.error("ERR CONFIG SET failed (possibly related to argument '\(given)') - \(error.message)")
                return
            }
        }
        // Listening addresses are applied at once (Redis's changeBindAddr / changeListenPort): when the new ones
        // cannot be bound, every change of this CONFIG SET is undone and the previous addresses listened on again.
        if let listening = changes.first(where: { ["bind", "port"].contains($0.0.name) }),
           let rebind = config.rebind,
           zip(changes, previous).contains(where: { ["bind", "port"].contains($0.0.0.name) && $0.0.0.get(config) != $0.1 }),
           !rebind(config) {
            for j in stride(from: changes.count - 1, through: 0, by: -1) {
                try? changes[j].0.set(config, [previous[j]])
            }
            _ = rebind(config)
            let why = listening.0.name == "bind" ? "Failed to bind to specified addresses." : "Unable to listen on this port. Check server logs."
            c.error("ERR CONFIG SET failed (possibly related to argument '\(listening.2)') - \(why)")
            return
        }
        // Modules' apply steps, once every value is set (Redis's moduleConfigApplyConfig): a refusal restores
        // every previous value and names the config as the module registered it.
        for (d, _, _) in changes {
            guard let apply = d.module?.apply else { continue }
            do {
                try apply()
            } catch {
                for j in stride(from: changes.count - 1, through: 0, by: -1) {
                    try? changes[j].0.set(config, [previous[j]])
                }
                c.error("ERR CONFIG SET failed (possibly related to argument '\(d.module?.shortName ?? d.name)') - \(error.message)")
                return
            }
        }
        for (d, _, _) in changes { config.onChange?(d.name) }
        c.reply.ok()
    }

    /// CONFIG RESETSTAT
    static func resetStat(_ c: Client) {
        c.server.stats.reset()
        c.server.lazyFreer.resetStats()
        func reset(_ cmd: Command) {
            cmd.calls = 0
            cmd.microseconds = 0
            cmd.failedCalls = 0
            cmd.rejectedCalls = 0
            cmd.latencyHistogram = nil
            for sub in cmd.subcommands.values { reset(sub) }
        }
        for cmd in c.server.commands.commands.values { reset(cmd) }
        c.reply.ok()
    }

    /// CONFIG REWRITE
    static func rewrite(_ c: Client) {
        let path = c.server.config.configFile
        guard !path.isEmpty else {
            c.error("ERR The server is running without a config file")
            return
        }
        do {
            // Redis 7.0 writes the users as `user` lines unless they live in an aclfile (then the lines go).
            let acl = c.server.acl
            let users = c.server.config.security.aclfile.isEmpty
                ? acl.sortedUsers.map { "user \($0.name) " + ACLRules.describe($0.state, table: c.server.commands) }
                : []
            try ConfigRewriter.rewrite(c.server.config, path: path, users: users,
                                       modules: c.server.config.moduleLoadLines?() ?? [])
            c.server.log.notice("CONFIG REWRITE executed with success.")
            c.reply.ok()
        } catch {
            c.server.log.warning("CONFIG REWRITE failed: \(error.message)")
            c.error("ERR Rewriting config file: \(error.message)")
        }
    }

    /// CONFIG HELP
    static func help(_ c: Client) {
        HelpReply.send(c, command: "config", entries: helpEntries)
    }
}
