import Kernel

/// PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET: the connection family.
public struct ConnectionCommands: CommandModule {
    public init() {}
    public let family = "connection"

    public var commands: [CommandSpec] {
        [
            CommandSpec("ping", arity: -1, flags: [.fast, .sentinel], categories: [.connection],
                        summary: "Returns the server's liveliness response.", handler: ping),
            CommandSpec("echo", arity: 2, flags: [.loading, .stale, .fast], categories: [.connection],
                        summary: "Returns the given string.", handler: echo),
            CommandSpec("quit", arity: -1, flags: [.allowBusy, .noAuth, .fast, .noscript, .loading, .stale],
                        categories: [.connection], summary: "Closes the connection.", handler: quit),
            CommandSpec("select", arity: 2, flags: [.loading, .stale, .fast], categories: [.connection],
                        summary: "Changes the selected database.", since: "1.0.0", handler: select),
            CommandSpec("hello", arity: -1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .sentinel, .allowBusy],
                        categories: [.connection], summary: "Handshakes with the Redis server.", since: "6.0.0",
                        handler: hello),
            CommandSpec("auth", arity: -2, flags: [.noscript, .loading, .stale, .fast, .noAuth, .sentinel, .allowBusy],
                        categories: [.connection], summary: "Authenticates the connection.", handler: auth),
            CommandSpec("reset", arity: 1, flags: [.noscript, .loading, .stale, .fast, .noAuth, .allowBusy],
                        categories: [.connection], summary: "Resets the connection.", since: "6.2.0", handler: reset),
        ]
    }
}

/// PING [message]
func ping(_ c: Client) {
    if c.argv.count > 2 {
        c.error(Errors.arity("ping"))
    } else if c.inSubscriberContext {
        // RESP2 subscribers get PING's answer in the message shape.
        c.reply.arrayHeader(2)
        c.reply.bulk("pong")
        c.reply.bulk(c.argv.count == 2 ? c.argv[1] : RBytes())
    } else if c.argv.count == 2 {
        c.reply.bulk(c.argv[1])
    } else {
        c.reply.status("PONG")
    }
}

/// ECHO message
func echo(_ c: Client) { c.reply.bulk(c.argv[1]) }

/// QUIT
func quit(_ c: Client) {
    c.reply.ok()
    c.close()
}

/// SELECT index
func select(_ c: Client) {
    guard let n = Numbers.parseInt64(c.argv[1]), let i = Int(exactly: n) else {
        c.error(Errors.notInteger)
        return
    }
    guard c.select(i) else {
        c.error(Errors.dbIndexOutOfRange)
        return
    }
    c.reply.ok()
}

/// Authenticates `c` as `user` (the ACL compares SHA-256 digests of the password bytes in constant time; a
/// failure goes to ACL LOG).
func checkCredentials(_ c: Client, user: RBytes, password: RBytes) -> Bool {
    c.server.acl.authenticate(c, username: user, password: password)
}

/// AUTH [username] password
func auth(_ c: Client) {
    if c.argv.count > 3 {
        c.error(Errors.syntax)
        return
    }
    let user: RBytes = c.argv.count == 3 ? c.argv[1] : "default"
    let password = c.argv[c.argv.count - 1]
    if c.argv.count == 2 && c.server.acl.defaultUser.state.nopass {
        c.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
        return
    }
    if checkCredentials(c, user: user, password: password) {
        c.reply.ok()
    } else {
        c.error(Errors.wrongPass)
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
func hello(_ c: Client) {
    var version = c.resp
    var i = 1
    if c.argv.count >= 2 {
        guard let v = Numbers.parseInt64(c.argv[1]) else {
            c.error("ERR Protocol version is not an integer or out of range")
            return
        }
        guard v == 2 || v == 3 else {
            c.error("NOPROTO unsupported protocol version")
            return
        }
        version = Int(v)
        i = 2
    }
    var name: RBytes?
    while i < c.argv.count {
        let more = c.argv.count - i - 1
        if c.argv[i].equalsIgnoringCase("AUTH") && more >= 2 {
            let user = c.argv[i + 1], pass = c.argv[i + 2]
            guard checkCredentials(c, user: user, password: pass) else {
                c.error(Errors.wrongPass)
                return
            }
            i += 3
        } else if c.argv[i].equalsIgnoringCase("SETNAME") && more >= 1 {
            guard validClientName(c.argv[i + 1]) else {
                c.error("ERR Client names cannot contain spaces, newlines or special characters.")
                return
            }
            name = c.argv[i + 1]
            i += 2
        } else {
            c.error("ERR Syntax error in HELLO option '\(c.argv[i].string)'")
            return
        }
    }
    if !c.authenticated && c.server.acl.authRequired {
        c.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
        return
    }
    if let name { c.name = name.isEmpty ? nil : name }
    c.resp = version
    // A Sentinel's HELLO has no role field (Redis 7.0).
    let sentinel = c.server.mode == "sentinel"
    c.reply.mapHeader(sentinel ? 6 : 7)
    c.reply.bulk("server")
    c.reply.bulk("redis")
    c.reply.bulk("version")
    c.reply.bulk(ServerInfo.redisVersion)
    c.reply.bulk("proto")
    c.reply.integer(version)
    c.reply.bulk("id")
    c.reply.integer(Int64(c.id))
    c.reply.bulk("mode")
    c.reply.bulk(c.server.mode)
    if !sentinel {
        c.reply.bulk("role")
        c.reply.bulk("master")
    }
    c.reply.bulk("modules")
    c.reply.arrayHeader(0)
}

/// Client names: printable ASCII without spaces.
func validClientName(_ name: RBytes) -> Bool {
    name.withUnsafeBytes { p in p.allSatisfy { $0 > 32 && $0 < 127 } }
}

/// RESET
func reset(_ c: Client) {
    c.resetState()
    c.reply.status("RESET")
}
