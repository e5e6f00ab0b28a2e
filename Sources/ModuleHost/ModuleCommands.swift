import Kernel
import RedisModule

/// MODULE HELP / LIST / LOAD / LOADEX / UNLOAD (Redis 7.0), gated by `enable-module-command` for the commands
/// that change the server.
public struct ModuleCommands: CommandModule {
    /// The loaded modules this family manages.
    public let host: ModuleHost

    /// The family over `host`.
    public init(host: ModuleHost) { self.host = host }

    public let family = "server"

    public var commands: [CommandSpec] {
        let admin: CommandFlags = [.admin, .noscript, .noAsyncLoading]
        // LOAD, LOADEX and UNLOAD are protected (`enable-module-command`, checked by the dispatcher); LIST is not.
        let protected: CommandFlags = admin.union(.protected)
        return [
            CommandSpec("module", arity: -2, summary: "A container for module commands.", since: "4.0.0",
                        complexity: "Depends on subcommand.", subcommands: [
                CommandSpec("help", arity: 2, flags: [.loading, .stale], summary: "Returns helpful text about the different subcommands.",
                            since: "5.0.0", complexity: "O(1)", handler: help),
                CommandSpec("list", arity: 2, flags: [.admin, .noscript], summary: "Returns all loaded modules.", since: "4.0.0",
                            complexity: "O(N) where N is the number of loaded modules.", handler: list),
                CommandSpec("load", arity: -3, flags: protected, summary: "Loads a module.", since: "4.0.0",
                            complexity: "O(1)", handler: load),
                CommandSpec("loadex", arity: -3, flags: protected, summary: "Loads a module using extended parameters.",
                            since: "7.0.0", complexity: "O(1)", handler: loadex),
                CommandSpec("unload", arity: 3, flags: protected, summary: "Unloads a module.", since: "4.0.0",
                            complexity: "O(1)", handler: unload),
            ]),
        ]
    }

    func help(_ c: Client) {
        let lines = [
            "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LIST", "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]", "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>", "    Unload a module.",
            "HELP", "    Prints this help.",
        ]
        c.reply.arrayHeader(lines.count)
        for l in lines { c.reply.status(l) }
    }

    func list(_ c: Client) {
        let modules = host.listed
        c.reply.arrayHeader(modules.count)
        for m in modules {
            c.reply.mapHeader(4)
            c.reply.bulk("name")
            c.reply.bulk(m.name)
            c.reply.bulk("ver")
            c.reply.integer(m.version)
            c.reply.bulk("path")
            c.reply.bulk(m.path)
            c.reply.bulk("args")
            c.reply.arrayHeader(m.arguments.count)
            for a in m.arguments { c.reply.bulk(a) }
        }
    }

    func run(_ c: Client, path: String, arguments: [String], configs: [(String, String)]) {
        do throws(ModuleHost.LoadError) {
            try host.load(path: path, arguments: arguments, configs: configs, server: c.server)
            c.server.log.notice("Module '\(host.loaded.last?.name ?? "")' loaded from \(path)")
            c.reply.ok()
        } catch {
            c.server.log.warning(error.cause)
            c.error("ERR Error loading the extension. Please check the server logs.")
        }
    }

    func load(_ c: Client) {
        run(c, path: c.argv[2].string, arguments: c.argv.dropFirst(3).map(\.string), configs: [])
    }

    /// MODULE LOADEX path [CONFIG name value ...] [ARGS arg ...]: a malformed list is logged and answered with
    /// the generic load error, as Redis's parseLoadexArguments.
    func loadex(_ c: Client) {
        var configs: [(String, String)] = []
        var arguments: [String] = []
        var i = 3
        while i < c.argv.count {
            if c.argv[i].equalsIgnoringCase("CONFIG") {
                guard i + 2 < c.argv.count else {
                    return refuse(c, "CONFIG specified without name value pair")
                }
                configs.append((c.argv[i + 1].string, c.argv[i + 2].string))
                i += 3
            } else if c.argv[i].equalsIgnoringCase("ARGS") {
                arguments = c.argv[(i + 1)...].map(\.string)
                break
            } else {
                return refuse(c, "Syntax Error from arguments to loadex around \(c.argv[i].string).")
            }
        }
        run(c, path: c.argv[2].string, arguments: arguments, configs: configs)
    }

    func refuse(_ c: Client, _ why: String) {
        c.server.log.warning(why)
        c.error("ERR Error loading the extension. Please check the server logs.")
    }

    func unload(_ c: Client) {
        let name = c.argv[2].string
        if let problem = host.unload(name: name, server: c.server) {
            c.error("ERR Error unloading module: \(problem)")
            return
        }
        c.server.log.notice("Module \(name) unloaded")
        c.reply.ok()
    }
}
