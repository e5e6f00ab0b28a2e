import Kernel

/// CLIENT ID/SETNAME/GETNAME/INFO/LIST/KILL/REPLY/NO-EVICT/HELP: the connection family's client administration.
///
/// TRACKING, CACHING, GETREDIR and TRACKINGINFO are in ClientCommands+Tracking.swift.
public struct ClientCommands: CommandModule {
    public init() {}
    public let family = "connection"

    public var commands: [CommandSpec] {
        let plain: CommandFlags = [.noscript, .loading, .stale]
        let admin: CommandFlags = [.admin, .noscript, .loading, .stale]
        return [
            CommandSpec(
                "client", arity: -2, summary: "A container for client connection commands.", since: "2.4.0",
                complexity: "Depends on subcommand.",
                subcommands: [
                    CommandSpec("id", arity: 2, flags: plain, categories: [.connection],
                                summary: "Returns the unique client ID of the connection.", since: "5.0.0",
                                complexity: "O(1)", handler: Self.id),
                    CommandSpec("setname", arity: 3, flags: plain, categories: [.connection],
                                summary: "Sets the connection name.", since: "2.6.9", complexity: "O(1)",
                                handler: Self.setName),
                    CommandSpec("getname", arity: 2, flags: plain, categories: [.connection],
                                summary: "Returns the name of the connection.", since: "2.6.9", complexity: "O(1)",
                                handler: Self.getName),
                    CommandSpec("info", arity: 2, flags: plain, categories: [.connection],
                                summary: "Returns information about the connection.", since: "6.2.0",
                                complexity: "O(1)", handler: Self.info),
                    CommandSpec("list", arity: -2, flags: admin, categories: [.connection],
                                summary: "Lists open connections.", since: "2.4.0",
                                complexity: "O(N) where N is the number of client connections", handler: Self.list),
                    CommandSpec("kill", arity: -3, flags: admin, categories: [.connection],
                                summary: "Terminates open connections.", since: "2.4.0",
                                complexity: "O(N) where N is the number of client connections", handler: Self.kill),
                    CommandSpec("reply", arity: 3, flags: plain, categories: [.connection],
                                summary: "Instructs the server whether to reply to commands.", since: "3.2.0",
                                complexity: "O(1)", handler: Self.reply),
                    CommandSpec("no-evict", arity: 3, flags: admin, categories: [.connection],
                                summary: "Sets the client eviction mode of the connection.", since: "7.0.0",
                                complexity: "O(1)", handler: Self.noEvict),
                    CommandSpec("unblock", arity: -3, flags: admin, categories: [.connection],
                                summary: "Unblocks a client blocked by a blocking command from a different connection.",
                                since: "5.0.0", complexity: "O(log N) where N is the number of client connections",
                                handler: Self.unblock),
                    CommandSpec("pause", arity: -3, flags: admin, categories: [.connection],
                                summary: "Suspends commands processing.", since: "3.0.0", complexity: "O(1)",
                                handler: Self.pause),
                    CommandSpec("unpause", arity: 2, flags: admin, categories: [.connection],
                                summary: "Resumes processing commands from paused clients.", since: "6.2.0",
                                complexity: "O(N) Where N is the number of paused clients", handler: Self.unpause),
                    CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: [.connection],
                                summary: "Returns helpful text about the different subcommands.", since: "5.0.0",
                                complexity: "O(1)", handler: Self.help),
                ] + TrackingCommands.specs),
        ]
    }

    static let helpEntries: [HelpReply.Entry] = [
        ("caching", ["CACHING (YES|NO)",
                     "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes."]),
        ("getredir", ["GETREDIR",
                      "    Return the client ID we are redirecting to when tracking is enabled."]),
        ("getname", ["GETNAME",
                     "    Return the name of the current connection."]),
        ("id", ["ID",
                "    Return the ID of the current connection."]),
        ("info", ["INFO",
                  "    Return information about the current client connection."]),
        ("kill", ["KILL <ip:port>",
                  "    Kill connection made from <ip:port>.",
                  "KILL <option> <value> [<option> <value> [...]]",
                  "    Kill connections. Options are:",
                  "    * ADDR (<ip:port>|<unixsocket>:0)",
                  "      Kill connections made from the specified address",
                  "    * LADDR (<ip:port>|<unixsocket>:0)",
                  "      Kill connections made to specified local address",
                  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                  "      Kill connections by type.",
                  "    * USER <username>",
                  "      Kill connections authenticated by <username>.",
                  "    * SKIPME (YES|NO)",
                  "      Skip killing current connection (default: yes)."]),
        ("list", ["LIST [options ...]",
                  "    Return information about client connections. Options:",
                  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                  "      Return clients of specified type."]),
        ("unpause", ["UNPAUSE",
                     "    Stop the current client pause, resuming traffic."]),
        ("pause", ["PAUSE <timeout> [WRITE|ALL]",
                   "    Suspend all, or just write, clients for <timeout> milliseconds."]),
        ("reply", ["REPLY (ON|OFF|SKIP)",
                   "    Control the replies sent to the current connection."]),
        ("setname", ["SETNAME <name>",
                     "    Assign the name <name> to the current connection."]),
        ("unblock", ["UNBLOCK <clientid> [TIMEOUT|ERROR]",
                     "    Unblock the specified blocked client."]),
        ("tracking", ["TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
                      "         [OPTIN] [OPTOUT] [NOLOOP]",
                      "    Control server assisted client side caching."]),
        ("trackinginfo", ["TRACKINGINFO",
                          "    Report tracking status for the current connection."]),
        ("no-evict", ["NO-EVICT (ON|OFF)",
                      "    Protect current client connection from eviction."]),
    ]

    /// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
    static func unblock(_ c: Client) {
        guard let id = Numbers.parseInt64(c.argv[2]) else {
            c.error(Errors.notInteger)
            return
        }
        var asError = false
        if c.argv.count == 4 {
            if c.argv[3].equalsIgnoringCase("ERROR") {
                asError = true
            } else if !c.argv[3].equalsIgnoringCase("TIMEOUT") {
                c.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
                return
            }
        } else if c.argv.count > 4 {
            c.error(Errors.syntax)
            return
        }
        guard let target = c.server.clients[UInt64(bitPattern: id)], target.isBlocked else {
            c.reply.integer(0)
            return
        }
        c.server.unblockWithReply(target, error: asError ? "UNBLOCKED client unblocked via CLIENT UNBLOCK" : nil)
        c.reply.integer(1)
    }

    /// CLIENT ID
    static func id(_ c: Client) {
        c.reply.integer(Int64(truncatingIfNeeded: c.id))
    }

    /// CLIENT SETNAME connection-name
    static func setName(_ c: Client) {
        let name = c.argv[2]
        guard validClientName(name) else {
            c.error("ERR Client names cannot contain spaces, newlines or special characters.")
            return
        }
        c.name = name.isEmpty ? nil : name
        c.reply.ok()
    }

    /// CLIENT GETNAME
    static func getName(_ c: Client) {
        if let name = c.name { c.reply.bulk(name) } else { c.reply.null() }
    }

    /// CLIENT INFO
    static func info(_ c: Client) {
        var fds = SocketDescriptors()
        c.reply.verbatim(describe(c, current: c, fds: &fds) + "\n")
    }

    /// CLIENT LIST [TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]
    static func list(_ c: Client) {
        var selected = c.server.clients.values.sorted { $0.id < $1.id }
        if c.argv.count == 4 && c.argv[2].equalsIgnoringCase("TYPE") {
            guard let type = ClientType(c.argv[3]) else {
                c.error("ERR Unknown client type '\(c.argv[3].string)'")
                return
            }
            selected = selected.filter { ClientType.of($0) == type }
        } else if c.argv.count >= 4 && c.argv[2].equalsIgnoringCase("ID") {
            var ids = Set<UInt64>()
            for arg in c.argv.dropFirst(3) {
                guard let n = Numbers.parseInt64(arg) else {
                    c.error("ERR Invalid client ID")
                    return
                }
                ids.insert(UInt64(bitPattern: n))
            }
            selected = selected.filter { ids.contains($0.id) }
        } else if c.argv.count != 2 {
            c.error(Errors.syntax)
            return
        }
        var fds = SocketDescriptors()
        var text = ""
        for client in selected { text += describe(client, current: c, fds: &fds) + "\n" }
        c.reply.verbatim(text)
    }

    /// CLIENT KILL ip:port
    /// CLIENT KILL [ID client-id] [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [USER username] [ADDR ip:port]
    ///             [LADDR ip:port] [SKIPME yes/no]
    static func kill(_ c: Client) {
        var id: UInt64?, type: ClientType?, user: String?, addr: String?, laddr: String?
        var skipMe = true
        let oldForm = c.argv.count == 3
        if oldForm {
            addr = c.argv[2].string
            skipMe = false
        } else {
            var i = 2
            while i < c.argv.count {
                guard i + 1 < c.argv.count else {
                    c.error(Errors.syntax)
                    return
                }
                let option = c.argv[i], value = c.argv[i + 1]
                if option.equalsIgnoringCase("ID") {
                    guard let n = Numbers.parseInt64(value), n > 0 else {
                        c.error("ERR client-id should be greater than 0")
                        return
                    }
                    id = UInt64(n)
                } else if option.equalsIgnoringCase("TYPE") {
                    guard let t = ClientType(value) else {
                        c.error("ERR Unknown client type '\(value.string)'")
                        return
                    }
                    type = t
                } else if option.equalsIgnoringCase("ADDR") {
                    addr = value.string
                } else if option.equalsIgnoringCase("LADDR") {
                    laddr = value.string
                } else if option.equalsIgnoringCase("USER") {
                    let name = value.string
                    // Until the ACL family lands, `default` is the only user (plus any a client is logged in as).
                    guard name == "default" || c.server.clients.values.contains(where: { $0.user == name }) else {
                        c.error("ERR No such user '\(name)'")
                        return
                    }
                    user = name
                } else if option.equalsIgnoringCase("SKIPME") {
                    if value.equalsIgnoringCase("YES") {
                        skipMe = true
                    } else if value.equalsIgnoringCase("NO") {
                        skipMe = false
                    } else {
                        c.error(Errors.syntax)
                        return
                    }
                } else {
                    c.error(Errors.syntax)
                    return
                }
                i += 2
            }
        }
        var killed = 0
        var killSelf = false
        for client in c.server.clients.values.sorted(by: { $0.id < $1.id }) {
            if let addr, client.address != addr { continue }
            if let laddr, client.localAddress != laddr { continue }
            if let type, ClientType.of(client) != type { continue }
            if let id, client.id != id { continue }
            if let user, client.user != user { continue }
            if client === c {
                if skipMe { continue }
                killSelf = true
            } else {
                client.disconnect()
            }
            killed += 1
        }
        if oldForm {
            if killed == 0 {
                c.error("ERR No such client")
                return
            }
            c.reply.ok()
        } else {
            c.reply.integer(killed)
        }
        // The reply to this command is still sent, then the connection closes.
        if killSelf { c.close() }
    }

    /// CLIENT REPLY ON|OFF|SKIP
    ///
    /// The dispatcher applies the mode after the handler: OFF and SKIP suppress their own (empty) reply, SKIP
    /// also the next command's, and ON replies OK even when a SKIP was pending (Redis clears the flags first).
    static func reply(_ c: Client) {
        let mode = c.argv[2]
        if mode.equalsIgnoringCase("ON") {
            c.replyMode = .on
            c.reply.ok()
        } else if mode.equalsIgnoringCase("OFF") {
            c.replyMode = .off
        } else if mode.equalsIgnoringCase("SKIP") {
            if c.replyMode != .off { c.replyMode = .skipNext }
        } else {
            c.error(Errors.syntax)
        }
    }

    /// CLIENT PAUSE timeout [WRITE | ALL]
    static func pause(_ c: Client) {
        guard c.argv.count <= 4 else {
            c.error("ERR unknown subcommand or wrong number of arguments for '\(Errors.truncated(c.argv[1], 128))'. Try CLIENT HELP.")
            return
        }
        guard let timeout = Numbers.parseInt64(c.argv[2]) else {
            c.error("ERR timeout is not an integer or out of range")
            return
        }
        guard timeout >= 0 else {
            c.error("ERR timeout is negative")
            return
        }
        var all = true
        if c.argv.count == 4 {
            if c.argv[3].equalsIgnoringCase("WRITE") {
                all = false
            } else if !c.argv[3].equalsIgnoringCase("ALL") {
                c.error("ERR CLIENT PAUSE mode must be WRITE or ALL")
                return
            }
        }
        let (end, overflow) = Clock.unixMilliseconds().addingReportingOverflow(timeout)
        c.server.pauseClients(until: overflow ? Int64.max : end, all: all)
        c.reply.ok()
    }

    /// CLIENT UNPAUSE
    static func unpause(_ c: Client) {
        c.server.unpauseClients()
        c.reply.ok()
    }

    /// CLIENT NO-EVICT ON|OFF
    static func noEvict(_ c: Client) {
        if c.argv[2].equalsIgnoringCase("ON") {
            c.noEvict = true
        } else if c.argv[2].equalsIgnoringCase("OFF") {
            c.noEvict = false
        } else {
            c.error(Errors.syntax)
            return
        }
        c.reply.ok()
    }

    /// CLIENT HELP
    static func help(_ c: Client) {
        HelpReply.send(c, command: "client", entries: helpEntries)
    }
}
