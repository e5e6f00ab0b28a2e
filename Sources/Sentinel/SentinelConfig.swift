import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// `sentinel ...` directives of sentinel.conf (Redis's sentinelHandleConfiguration) and the rewrite of the file
/// after every state change (Redis's rewriteConfigSentinelOption + flushSentinelConfig).
extension Sentinel {
    struct ConfigError: Error { let message: String }

    /// Applies one `sentinel <option> ...` line (arguments after `sentinel`).
    func applyDirective(_ a: [String]) throws(ConfigError) {
        guard let opt = a.first?.lowercased() else { throw ConfigError(message: "Unrecognized sentinel configuration statement.") }
        func master(_ i: Int) throws(ConfigError) -> SentinelInstance {
            guard a.count > i, let m = self.master(named: a[i]) else { throw ConfigError(message: "No such master with specified name.") }
            return m
        }
        func positive(_ s: String) throws(ConfigError) -> Int64 {
            guard let v = Int64(s), v > 0 else { throw ConfigError(message: "negative or zero time parameter.") }
            return v
        }
        let t = now
        switch (opt, a.count) {
        case ("monitor", 5):
            guard let q = Int(a[4]), q > 0 else { throw ConfigError(message: "Quorum must be 1 or greater.") }
            if let e = monitorError(a[1], a[2], a[3]) { throw ConfigError(message: e) }
            let m = SentinelInstance(flags: .master, name: a[1], addr: InstanceAddress(host: a[2], port: Int(a[3])!),
                                     master: nil, now: t)
            m.quorum = q
            m.downAfterPeriod = defaultDownAfter
            masters.append(m)
        case ("down-after-milliseconds", 3):
            let m = try master(1)
            m.downAfterPeriod = try positive(a[2])
            for s in m.slaves + m.sentinels { s.downAfterPeriod = m.downAfterPeriod }
        case ("failover-timeout", 3):
            try master(1).failoverTimeout = try positive(a[2])
        case ("parallel-syncs", 3):
            try master(1).parallelSyncs = Int(a[2]) ?? 1
        case ("notification-script", 3):
            let m = try master(1)
            guard access(a[2], X_OK) == 0 else { throw ConfigError(message: "Notification script seems non existing or non executable.") }
            m.notificationScript = a[2]
        case ("client-reconfig-script", 3):
            let m = try master(1)
            guard access(a[2], X_OK) == 0 else { throw ConfigError(message: "Client reconfiguration script seems non existing or non executable.") }
            m.clientReconfigScript = a[2]
        case ("auth-pass", 3):
            try master(1).authPass = a[2]
        case ("auth-user", 3):
            try master(1).authUser = a[2]
        case ("current-epoch", 2):
            let e = UInt64(a[1]) ?? 0
            if e > currentEpoch { currentEpoch = e }
        case ("myid", 2):
            guard a[1].utf8.count == 40 else { throw ConfigError(message: "Malformed Sentinel id in myid option.") }
            myid = a[1]
        case ("config-epoch", 3):
            let m = try master(1)
            m.configEpoch = UInt64(a[2]) ?? 0
            if m.configEpoch > currentEpoch { currentEpoch = m.configEpoch }
        case ("leader-epoch", 3):
            try master(1).leaderEpoch = UInt64(a[2]) ?? 0
        case ("known-slave", 4), ("known-replica", 4):
            let m = try master(1)
            guard let port = Int(a[3]), (1...65535).contains(port) else { throw ConfigError(message: "Invalid port number") }
            let addr = InstanceAddress(host: a[2], port: port)
            if lookupSlave(m, addr) == nil {
                m.slaves.append(SentinelInstance(flags: .slave, name: announcedAddrAndPort(addr), addr: addr, master: m, now: t))
            }
        case ("known-sentinel", 4), ("known-sentinel", 5):
            let m = try master(1)
            guard let port = Int(a[3]), (1...65535).contains(port) else { throw ConfigError(message: "Invalid port number") }
            let addr = InstanceAddress(host: a[2], port: port)
            let s = SentinelInstance(flags: .sentinel, name: a.count == 5 ? a[4] : announcedAddrAndPort(addr), addr: addr, master: m, now: t)
            if a.count == 5 { s.runid = a[4] }
            m.sentinels.append(s)
        case ("rename-command", 4):
            try master(1).renamedCommands[a[2].lowercased()] = a[3]
        case ("announce-ip", 2):
            announceIP = a[1]
        case ("announce-port", 2):
            announcePort = Int(a[1]) ?? 0
        case ("deny-scripts-reconfig", 2):
            guard let b = yesno(a[1]) else { throw ConfigError(message: "Please specify yes or no for the deny-scripts-reconfig options.") }
            denyScriptsReconfig = b
        case ("sentinel-user", 2):
            sentinelUser = a[1].isEmpty ? nil : a[1]
        case ("sentinel-pass", 2):
            sentinelPass = a[1].isEmpty ? nil : a[1]
        case ("resolve-hostnames", 2):
            guard let b = yesno(a[1]) else { throw ConfigError(message: "Please specify yes or no for the resolve-hostnames option.") }
            resolveHostnames = b
        case ("announce-hostnames", 2):
            guard let b = yesno(a[1]) else { throw ConfigError(message: "Please specify yes or no for the announce-hostnames option.") }
            announceHostnames = b
        case ("master-reboot-down-after-period", 3):
            let m = try master(1)
            guard let v = Int64(a[2]), v >= 0 else { throw ConfigError(message: "negative time parameter.") }
            m.masterRebootDownAfterPeriod = v
        default:
            throw ConfigError(message: "Unrecognized sentinel configuration statement.")
        }
    }

    func yesno(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "yes": return true
        case "no": return false
        default: return nil
        }
    }

    /// Why `monitor name host port` cannot be added, or nil.
    func monitorError(_ name: String, _ host: String, _ port: String) -> String? {
        guard let p = Int(port), (1...65535).contains(p) else { return "Invalid port number" }
        if master(named: name) != nil { return "Duplicated master name." }
        if !Self.isIPAddress(host) && !(resolveHostnames && Self.resolves(host)) {
            return "Invalid IP address or hostname specified"
        }
        return nil
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    static func resolves(_ host: String) -> Bool { resolve(host) != nil }

    /// `host` itself when it is an IP address, else the first address it resolves to (any family, stream
    /// sockets, as Redis's anetResolve), or nil.
    static func resolve(_ host: String) -> String? {
        if isIPAddress(host) { return host }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &res) == 0, let first = res else { return nil }
        defer { freeaddrinfo(res) }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard let sa = first.pointee.ai_addr else { return nil }
        let ok: UnsafePointer<CChar>?
        if first.pointee.ai_family == AF_INET6 {
            ok = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                var a = p.pointee.sin6_addr
                return inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count))
            }
        } else {
            ok = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                var a = p.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count))
            }
        }
        guard ok != nil else { return nil }
        return String(cString: buf)
    }

    /// What replies, events, hellos and the config file show for an address (Redis's announceSentinelAddr).
    func announced(_ a: InstanceAddress) -> String { announceHostnames ? a.host : a.ip }

    /// `announced:port` (Redis's announceSentinelAddrAndPort), the name of a replica entry.
    func announcedAddrAndPort(_ a: InstanceAddress) -> String { InstanceAddress.format(announced(a), a.port) }

    /// Whether a host name or IP reported by an instance (a replica's `master_host`) is `a` (Redis's
    /// sentinelAddrEqualsHostname: resolved, names only with `resolve-hostnames yes`, compared by IP).
    func address(_ a: InstanceAddress, is host: String?, port: Int) -> Bool {
        guard let host, port == a.port else { return false }
        guard Self.isIPAddress(host) || resolveHostnames, let ip = Self.resolve(host) else { return false }
        return ip.lowercased() == a.ip.lowercased()
    }

    // MARK: - Rewrite

    /// The `sentinel ...` lines describing the current state, in Redis's order, keyed by option.
    func stateLines() -> [(key: String, line: String)] {
        var out: [(String, String)] = []
        func add(_ key: String, _ line: String) { out.append(("sentinel " + key, "sentinel " + line)) }
        add("myid", "myid \(myid)")
        if !denyScriptsReconfig { add("deny-scripts-reconfig", "deny-scripts-reconfig no") }
        if resolveHostnames { add("resolve-hostnames", "resolve-hostnames yes") }
        if announceHostnames { add("announce-hostnames", "announce-hostnames yes") }
        for m in masters {
            let a = currentMasterAddress(m)
            let name = quoteIfNeeded(m.name)
            add("monitor", "monitor \(name) \(announced(a)) \(a.port) \(m.quorum)")
            if m.downAfterPeriod != 30_000 { add("down-after-milliseconds", "down-after-milliseconds \(name) \(m.downAfterPeriod)") }
            if m.failoverTimeout != 180_000 { add("failover-timeout", "failover-timeout \(name) \(m.failoverTimeout)") }
            if m.parallelSyncs != 1 { add("parallel-syncs", "parallel-syncs \(name) \(m.parallelSyncs)") }
            if let s = m.notificationScript { add("notification-script", "notification-script \(name) \(quoteIfNeeded(s))") }
            if let s = m.clientReconfigScript { add("client-reconfig-script", "client-reconfig-script \(name) \(quoteIfNeeded(s))") }
            if let p = m.authPass { add("auth-pass", "auth-pass \(name) \(quoteIfNeeded(p))") }
            if let u = m.authUser { add("auth-user", "auth-user \(name) \(quoteIfNeeded(u))") }
            if m.masterRebootDownAfterPeriod != 0 {
                add("master-reboot-down-after-period", "master-reboot-down-after-period \(name) \(m.masterRebootDownAfterPeriod)")
            }
            add("config-epoch", "config-epoch \(name) \(m.configEpoch)")
            add("leader-epoch", "leader-epoch \(name) \(m.leaderEpoch)")
            for (from, to) in m.renamedCommands.sorted(by: { $0.key < $1.key }) {
                add("rename-command", "rename-command \(name) \(from) \(to)")
            }
            for s in m.slaves {
                // The promoted replica is written as the master once the failover is over; skip it as a replica.
                if s.addr == a { continue }
                add("known-replica", "known-replica \(name) \(announced(s.addr)) \(s.addr.port)")
            }
            if a != m.addr { add("known-replica", "known-replica \(name) \(announced(m.addr)) \(m.addr.port)") }
            for s in m.sentinels where s.runid != nil {
                add("known-sentinel", "known-sentinel \(name) \(announced(s.addr)) \(s.addr.port) \(s.runid!)")
            }
        }
        add("current-epoch", "current-epoch \(currentEpoch)")
        if !announceIP.isEmpty { add("announce-ip", "announce-ip \(quoteIfNeeded(announceIP))") }
        if announcePort != 0 { add("announce-port", "announce-port \(announcePort)") }
        if let u = sentinelUser { add("sentinel-user", "sentinel-user \(quoteIfNeeded(u))") }
        if let p = sentinelPass { add("sentinel-pass", "sentinel-pass \(quoteIfNeeded(p))") }
        return out
    }

    private func quoteIfNeeded(_ s: String) -> String {
        if !s.isEmpty && s.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\"" && $0 != "'" && $0 != "\\" }) { return s }
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.append(c)
            }
        }
        return out + "\""
    }

    /// The sentinel key of a file line (`sentinel monitor`), or nil for other directives.
    static func sentinelKey(_ line: String) -> String? {
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count >= 2, parts[0].lowercased() == "sentinel" else { return nil }
        var sub = parts[1].lowercased()
        if sub == "known-slave" { sub = "known-replica" }
        return "sentinel " + sub
    }

    static let rewriteMarker = "# Generated by CONFIG REWRITE"

    /// The new file: each `sentinel <option>` line of the old file is replaced in place by the next state line of
    /// that option (or dropped), and the remaining state lines are appended after the CONFIG REWRITE marker.
    func rewrittenConfig() -> String {
        var remaining: [String: [String]] = [:]
        var order: [String] = []
        for (k, l) in stateLines() {
            if remaining[k] == nil { order.append(k) }
            remaining[k, default: []].append(l)
        }
        var out: [String] = []
        for line in configLines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let key = Self.sentinelKey(trimmed) {
                if var list = remaining[key], !list.isEmpty {
                    out.append(list.removeFirst())
                    remaining[key] = list
                }
                continue
            }
            out.append(line)
        }
        while let last = out.last, last.trimmingCharacters(in: .whitespaces).isEmpty { out.removeLast() }
        var appended: [String] = []
        for k in order { appended += remaining[k] ?? [] }
        if !appended.isEmpty {
            if !out.contains(Self.rewriteMarker) {
                out.append("")
                out.append(Self.rewriteMarker)
            }
            out += appended
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Rewrites the configuration file (Redis's sentinelFlushConfig); false with a log line on failure.
    @discardableResult
    func flushConfig() -> Bool {
        let text = rewrittenConfig()
        let tmp = configPath + ".tmp-\(getpid())"
        guard let f = fopen(tmp, "w") else {
            server.log.warning("WARNING: Sentinel was not able to save the new configuration on disk!!!: \(String(cString: strerror(errno)))")
            return false
        }
        let bytes = Array(text.utf8)
        let ok = fwrite(bytes, 1, bytes.count, f) == bytes.count && fflush(f) == 0 && fsync(fileno(f)) == 0
        fclose(f)
        guard ok, rename(tmp, configPath) == 0 else {
            unlink(tmp)
            server.log.warning("WARNING: Sentinel was not able to save the new configuration on disk!!!: \(String(cString: strerror(errno)))")
            return false
        }
        configLines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if configLines.last == "" { configLines.removeLast() }
        server?.log.notice("Sentinel new configuration saved on disk")
        return true
    }
}

extension String {
    enum TrimSet { case whitespaces }
    func trimmingCharacters(in _: TrimSet) -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
