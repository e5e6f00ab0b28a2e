import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// Users from the config file (`user` lines) or an ACL file (`aclfile`), ACL SAVE and ACL LOAD.
extension ACLCommands {
    /// Wires the ACL state to the server at start: ACL LOG's client-info, then the users of the config file's
    /// `user` lines or of `aclfile`. Returns an error message that must stop the start-up, or nil.
    public static func install(on server: Server) -> String? {
        server.acl.describeClient = { c in
            var fds = SocketDescriptors()
            return ClientCommands.describe(c, current: c, fds: &fds)
        }
        let sec = server.config.security
        for (from, to) in sec.renames where !server.commands.rename(from, to: to) {
            return "No such command in rename-command: '\(from)'"
        }
        if !sec.userLines.isEmpty && !sec.aclfile.isEmpty {
            return "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
        }
        if !sec.aclfile.isEmpty {
            return loadFile(server)
        }
        var seen: Set<String> = []
        for line in sec.userLines {
            let name = line[0]
            if !seen.insert(name).inserted {
                return "Error in user declaration '\(name)': Duplicate user found. A user can only be defined once in config files"
            }
            let (rules, unmatched) = ACLRules.mergeSelectorArguments(line.dropFirst().map { RBytes($0) })
            if let unmatched { return "Error in user declaration '\(name)': Unmatched parenthesis in acl selector starting at '\(unmatched.string)'." }
            // Redis resets a user that already exists (`default`); a new user starts as ACL SETUSER's do.
            let reset: [[UInt8]] = server.acl.users[name] != nil ? [Array("reset".utf8)] : []
            if let failure = server.acl.setUser(name, rules: reset + rules) {
                return "Error in user declaration '\(name)': \(failure.error.message)"
            }
        }
        return nil
    }

    /// Parses the ACL file and replaces the users with its users; nil on success, else the errors (nothing
    /// changes then).
    static func loadFile(_ server: Server) -> String? {
        let path = server.config.security.aclfile
        guard let text = readFile(path) else {
            return "Error loading ACLs, opening file '\(path)': \(String(cString: strerror(errno)))"
        }
        var errors = ""
        var states: [String: ACLUserState] = [:]
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = trim(raw)
            if line.isEmpty { continue }
            let parts = line.split(separator: " ").map { RBytes(String($0)) }
            guard parts[0] == "user", parts.count >= 2 else {
                errors += "\(path):\(lineNumber) should start with user keyword. "
                continue
            }
            let name = parts[1].string
            if states[name] != nil {
                errors += "\(path):\(lineNumber): Duplicate user '\(name)' found. "
                continue
            }
            let (rules, unmatched) = ACLRules.mergeSelectorArguments(Array(parts[2...]))
            if let unmatched {
                errors += "\(path):\(lineNumber): Unmatched parenthesis in acl selector starting at '\(unmatched.string)'. "
                continue
            }
            var state = ACLUserState()
            state.root = ACLRules.newSelector(allChannelsByDefault: server.acl.allChannelsByDefault)
            var failed = false
            for r in rules {
                do throws(ACLRuleError) {
                    try ACLRules.apply(r, to: &state, table: server.commands, allChannelsByDefault: server.acl.allChannelsByDefault)
                } catch {
                    errors += "\(path):\(lineNumber): \(error.message). "
                    failed = true
                    break
                }
            }
            if !failed { states[name] = state }
        }
        if !errors.isEmpty { return String(errors.dropLast()) }
        if states["default"] == nil {
            var s = ACLUserState()
            s.enabled = true
            s.nopass = true
            for r in ["~*", "&*", "+@all"] {
                try? ACLRules.apply(Array(r.utf8), to: &s, table: server.commands, allChannelsByDefault: true)
            }
            states["default"] = s
        }
        server.acl.replaceAll(states)
        return nil
    }

    static func trim(_ s: Substring) -> Substring {
        var t = s
        while let f = t.first, f == " " || f == "\t" || f == "\r" { t.removeFirst() }
        while let l = t.last, l == " " || l == "\t" || l == "\r" { t.removeLast() }
        return t
    }

    static func readFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// ACL LOAD
    static func load(_ c: Client) {
        guard !c.server.config.security.aclfile.isEmpty else {
            c.error(noFileError)
            return
        }
        if let err = loadFile(c.server) {
            c.error("ERR \(err)")
            return
        }
        c.reply.ok()
    }

    /// ACL SAVE: every user as a line of the ACL file, written to a temporary file renamed over it.
    static func save(_ c: Client) {
        let path = c.server.config.security.aclfile
        guard !path.isEmpty else {
            c.error(noFileError)
            return
        }
        let text = describeAll(c.server).joined(separator: "\n") + "\n"
        let tmp = path + ".tmp-\(getpid())"
        guard let f = fopen(tmp, "w") else {
            c.error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
            return
        }
        let bytes = Array(text.utf8)
        let ok = fwrite(bytes, 1, bytes.count, f) == bytes.count && fflush(f) == 0 && fsync(fileno(f)) == 0
        fclose(f)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            c.error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
            return
        }
        c.reply.ok()
    }
}
