/// Where a denied command was running (ACL LOG's `context`).
public enum ACLContext: String, Sendable {
    case toplevel, multi, lua, module
}

/// One ACL LOG entry; similar denials within a minute are merged into it (`count`).
public struct ACLLogEntry: Sendable {
    public var count: Int
    public var reason: ACLDenial
    public var context: ACLContext
    public var object: String
    public var username: String
    /// Unix ms of the latest occurrence.
    public var time: Int64
    public var clientInfo: String
}

/// The users, the default user, and the ACL log: the server's one access-control state.
public final class ACLRegistry {
    /// Users by name.
    public private(set) var users: [String: ACLUser] = [:]
    /// The `default` user (unauthenticated connections run as it; `requirepass` is its password).
    public let defaultUser: ACLUser
    /// Newest first, at most `acllog-max-len`.
    public private(set) var log: [ACLLogEntry] = []
    unowned let server: Server
    /// Formats a client as CLIENT LIST does (set by the server family, for ACL LOG's client-info).
    public var describeClient: (Client) -> String = { "id=\($0.id) user=\($0.user)" }

    init(server: Server) {
        self.server = server
        var s = ACLUserState()
        s.enabled = true
        s.nopass = true
        s.root.allKeys = true
        s.root.allChannels = true
        for cmd in server.commands.byId { s.root.set(cmd.id, true) }
        s.root.allCommands = true
        s.root.futureCommands = true
        defaultUser = ACLUser(name: "default", state: s)
        users["default"] = defaultUser
        setDefaultPassword(server.config.requirepass)
        server.config.security.onRequirepassChange = { [unowned self] in self.setDefaultPassword($0) }
    }

    /// Whether new users and selectors start with all channels (`acl-pubsub-default allchannels`).
    public var allChannelsByDefault: Bool { server.config.security.aclPubsubDefault == "allchannels" }

    /// `requirepass`: the default user's only password (empty: nopass), as Redis's ACLUpdateDefaultUserPassword.
    public func setDefaultPassword(_ password: String) {
        var s = defaultUser.state
        s.passwords = []
        if password.isEmpty {
            s.nopass = true
        } else {
            s.nopass = false
            s.passwords = [SHA256.hash(Array(password.utf8))]
        }
        defaultUser.update(s)
    }

    /// Whether connections must authenticate before running commands (the default user has a password or is off).
    public var authRequired: Bool { !defaultUser.state.nopass || !defaultUser.state.enabled }

    /// Users sorted by name.
    public var sortedUsers: [ACLUser] { users.values.sorted { $0.name < $1.name } }

    /// Applies rules to the user `name` (created when missing) all at once: nothing changes when a rule fails.
    /// Returns the failing rule and its error.
    @discardableResult
    public func setUser(_ name: String, rules: [[UInt8]]) -> (rule: [UInt8], error: ACLRuleError)? {
        let existing = users[name]
        var state = existing?.state ?? {
            var s = ACLUserState()
            s.root = ACLRules.newSelector(allChannelsByDefault: allChannelsByDefault)
            return s
        }()
        for r in rules {
            do throws(ACLRuleError) {
                try ACLRules.apply(r, to: &state, table: server.commands, allChannelsByDefault: allChannelsByDefault)
            } catch {
                return (r, error)
            }
        }
        if let existing {
            existing.update(state)
            disconnectSubscribersLosingAccess(existing)
        } else {
            users[name] = ACLUser(name: name, state: state)
        }
        return nil
    }

    /// Deletes a user (never `default`); its connections are closed. Returns whether it existed.
    public func deleteUser(_ name: String) -> Bool {
        guard name != "default", let u = users.removeValue(forKey: name) else { return false }
        disconnectClients(of: u)
        return true
    }

    /// Replaces every user but `default`'s identity with `newUsers` (ACL LOAD); clients of users that changed or
    /// disappeared are disconnected.
    public func replaceAll(_ newUsers: [String: ACLUserState]) {
        let old = users
        users = ["default": defaultUser]
        defaultUser.update(newUsers["default"] ?? defaultUser.state)
        for (name, state) in newUsers where name != "default" { users[name] = ACLUser(name: name, state: state) }
        for (name, u) in old where name != "default" { disconnectClients(of: u) }
    }

    /// Closes the connections authenticated as `u` (they fall back to the default user, unauthenticated).
    func disconnectClients(of u: ACLUser) {
        for c in server.clients.values where c.aclUser === u {
            c.aclUser = defaultUser
            c.authenticated = false
            if c === server.currentClient { c.close() } else { c.disconnect() }
        }
    }

    /// Redis 7.0 closes the connections of `u` subscribed to a channel or pattern its rules no longer allow.
    func disconnectSubscribersLosingAccess(_ u: ACLUser) {
        let s = u.state.root
        if s.allChannels && u.state.selectors.isEmpty { return }
        func allowed(_ ch: RBytes, pattern: Bool) -> Bool {
            ([u.state.root] + u.state.selectors).contains { $0.allowsChannel(ch, isPattern: pattern) }
        }
        for c in server.clients.values where c.aclUser === u {
            let lost = c.subscribedChannels.contains { !allowed($0, pattern: false) }
                || c.subscribedShardChannels.contains { !allowed($0, pattern: false) }
                || c.subscribedPatterns.contains { !allowed($0, pattern: true) }
            if lost {
                if c === server.currentClient { c.close() } else { c.disconnect() }
            }
        }
    }

    /// Authenticates `c` as `username` with `password`: true on success; a failure is logged (reason auth).
    public func authenticate(_ c: Client, username: RBytes, password: RBytes) -> Bool {
        if let u = users[username.string], u.checkPassword(password) {
            c.aclUser = u
            c.authenticated = true
            return true
        }
        // The object is the command's name as the client spelled it (`AUTH`, `hello`), as Redis 7.0 logs it.
        addLog(c, .auth, context: c.multi != nil || c.inExec ? .multi : .toplevel, object: c.argv.first?.string ?? "",
               username: username.string)
        return false
    }

    // MARK: - Log

    /// Records a denial, merging it into a similar entry of the last minute among the 10 newest.
    public func addLog(_ c: Client, _ reason: ACLDenial, context: ACLContext, object: String, username: String) {
        let now = Clock.unixMilliseconds()
        let info = describeClient(c)
        for i in 0..<min(10, log.count) {
            let e = log[i]
            if e.reason == reason && e.context == context && e.object == object && e.username == username
                && now - e.time < 60_000 {
                var merged = e
                merged.count += 1
                merged.time = now
                merged.clientInfo = info
                log.remove(at: i)
                log.insert(merged, at: 0)
                return
            }
        }
        log.insert(ACLLogEntry(count: 1, reason: reason, context: context, object: object, username: username,
                               time: now, clientInfo: info), at: 0)
        trimLog()
    }

    /// Keeps at most `acllog-max-len` entries.
    public func trimLog() {
        let max = server.config.security.acllogMaxLen
        if log.count > max { log.removeLast(log.count - max) }
    }

    /// ACL LOG RESET.
    public func resetLog() { log.removeAll() }
}

extension Server {
    /// The one permission check, shared by client commands, EXEC and nested calls: nil when `c`'s user may run
    /// `cmd` with `argv`. Internal clients (no user) and the master's link are never checked.
    @inline(__always)
    public func aclDenial(_ c: Client, _ cmd: Command, _ argv: [RBytes]) -> (ACLDenial, Int)? {
        guard let u = c.aclUser, !u.unrestricted, c.linkKind != .master else { return nil }
        return u.check(cmd, argv)
    }

    /// Logs a denial of `cmd` for `c` (the object is the command, key or channel at fault).
    public func logACLDenial(_ c: Client, _ cmd: Command, _ argv: [RBytes], _ d: (ACLDenial, Int), context: ACLContext) {
        let object = d.0 == .command ? cmd.fullName : (d.1 < argv.count ? argv[d.1].string : "")
        acl.addLog(c, d.0, context: context, object: object, username: c.user)
    }

    /// The NOPERM error of a denied top-level command (Redis 7.0's texts).
    static func noPermMessage(_ d: ACLDenial, _ cmd: Command) -> String {
        switch d {
        case .command: return "NOPERM this user has no permissions to run the '\(cmd.fullName)' command"
        case .key: return "NOPERM this user has no permissions to access one of the keys used as arguments"
        case .channel: return "NOPERM this user has no permissions to access one of the channels used as arguments"
        case .auth: return "NOPERM no permission"
        }
    }

    /// The error EXEC gives for a queued command the ACL no longer allows.
    static func execNoPermMessage(_ d: ACLDenial) -> String {
        let reason: String
        switch d {
        case .command: reason = "no permission to execute the command or subcommand"
        case .key: reason = "no permission to touch the specified keys"
        case .channel: reason = "no permission to access one of the channels used as arguments"
        case .auth: reason = "no permission"
        }
        return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: \(reason)"
    }

    /// The error `redis.call` raises for a denied command.
    static func scriptNoPermMessage(_ d: ACLDenial) -> String {
        switch d {
        case .command: return "ERR The user executing the script can't run this command or subcommand"
        case .key: return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments"
        case .channel: return "ERR The user executing the script can't publish to the channel mentioned in the command"
        case .auth: return "ERR The user executing the script is lacking the permissions for the command"
        }
    }
}
