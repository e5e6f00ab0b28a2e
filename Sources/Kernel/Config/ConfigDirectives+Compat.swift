extension Config {
    /// Directives Redis 7.0 has for features that do not exist here (TLS, cluster, active defragmentation, CPU
    /// affinity, process titles, ...): accepted with Redis's validation, stored in `stored` and reported by
    /// CONFIG GET and CONFIG REWRITE as Redis does, with no effect. docs/CONFIG.md lists each and why.
    static func addCompat(_ t: inout DirectiveTable) {
        let llMax = DirectiveTable.llMax, intMax = DirectiveTable.intMax
        func bool(_ name: String, _ initial: Bool, aliases: [String] = [], mutable: Bool = true) {
            t.bool(name, .stored(name, initial), aliases: aliases, mutable: mutable)
        }
        func int(_ name: String, _ initial: Int, _ range: ClosedRange<Int64>, aliases: [String] = [], mutable: Bool = true,
                 hidden: Bool = false) {
            t.int(name, .stored(name, initial), range, aliases: aliases, mutable: mutable, hidden: hidden)
        }
        func string(_ name: String, _ initial: String = "", mutable: Bool = true) {
            t.string(name, .stored(name, initial), mutable: mutable)
        }
        func enumeration(_ name: String, _ valid: [String], mutable: Bool = true) {
            t.enumeration(name, .stored(name, valid[0]), valid, mutable: mutable)
        }
        // Active defragmentation (jemalloc only in Redis; Swift uses glibc malloc here).
        // Redis built without its own jemalloc refuses to turn it on (Debian's redis-server does too).
        t.add("activedefrag", get: { _ in "no" }, set: { _, v throws(ConfigError) in
            if try DirectiveTable.parseBool(v.joined(separator: " ")) {
                throw ConfigError("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution")
            }
        })
        int("active-defrag-cycle-min", 1, 1...99)
        int("active-defrag-cycle-max", 25, 1...99)
        t.memory("active-defrag-ignore-bytes", .stored("active-defrag-ignore-bytes", Int64(100 << 20)), 1...llMax)
        int("active-defrag-max-scan-fields", 1000, 1...llMax)
        int("active-defrag-threshold-lower", 10, 0...1000)
        int("active-defrag-threshold-upper", 100, 0...1000)
        bool("jemalloc-bg-thread", true)
        // Hash tables: read by the cron (`activeRehashing`), which rehashes 1 ms per tick when it is on.
        bool("activerehashing", true)
        // Process environment.
        bool("disable-thp", true, mutable: false)
        bool("set-proc-title", true, mutable: false)
        t.add("proc-title-template", format: .quoted, get: { $0.stored["proc-title-template"] ?? "{title} {listen-addr} {server-mode}" },
              set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ")
            guard Config.validProcTitleTemplate(s, config: c) else { throw ConfigError("template format is invalid or contains unknown variables") }
            c.stored["proc-title-template"] = s
        })
        bool("crash-log-enabled", true)
        bool("crash-memcheck-enabled", true)
        t.enumeration("supervised", .stored("supervised", "no"), ["upstart", "systemd", "auto", "no"], mutable: false)
        for name in ["server_cpulist", "bio_cpulist", "aof_rewrite_cpulist", "bgsave_cpulist"] { string(name, mutable: false) }
        int("socket-mark-id", 0, 0...Int64(UInt32.max), mutable: false)
        bool("io-threads-do-reads", false, mutable: false)
        string("ignore-warnings")
        // Persistence and replication details that do not arise here.
        bool("aof-disable-auto-gc", false)
        bool("rdb-del-sync-files", false)
        bool("replica-ignore-disk-write-errors", false)
        bool("replica-ignore-maxmemory", true, aliases: ["slave-ignore-maxmemory"])
        enumeration("propagation-error-behavior", ["ignore", "panic", "panic-on-replicas"])
        string("bind-source-addr")
        int("shutdown-timeout", 10, 0...intMax)
        int("loading-process-events-interval-bytes", 2 << 20, 1024...intMax, hidden: true)
        // Cluster mode is not built: `cluster-enabled yes` is refused (the server would otherwise run standalone
        // where the operator asked for a cluster node); the other cluster directives are stored for CONFIG GET and
        // REWRITE and take effect only in cluster mode, as in Redis.
        t.add("cluster-enabled", mutable: false, get: { _ in "no" }, set: { _, v throws(ConfigError) in
            guard try !DirectiveTable.parseBool(v.joined(separator: " ")) else {
                throw ConfigError("cluster mode is not supported by this server (cluster-enabled must be no)")
            }
        })
        string("cluster-config-file", "nodes.conf", mutable: false)
        int("cluster-port", 0, 0...65535, mutable: false)
        int("cluster-node-timeout", 15000, 0...llMax)
        int("cluster-migration-barrier", 1, 0...intMax)
        int("cluster-replica-validity-factor", 10, 0...intMax, aliases: ["cluster-slave-validity-factor"])
        bool("cluster-replica-no-failover", false, aliases: ["cluster-slave-no-failover"])
        bool("cluster-require-full-coverage", true)
        bool("cluster-allow-reads-when-down", false)
        bool("cluster-allow-pubsubshard-when-down", true)
        bool("cluster-allow-replica-migration", true)
        string("cluster-announce-ip")
        t.add("cluster-announce-hostname", format: .quoted, get: { $0.stored["cluster-announce-hostname"] ?? "" },
              set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ")
            guard s.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) || $0 == 45 || $0 == 46 }) else {
                throw ConfigError("Hostnames may only contain alphanumeric characters, hyphens or dots")
            }
            c.stored["cluster-announce-hostname"] = s
        })
        int("cluster-announce-port", 0, 0...65535)
        int("cluster-announce-bus-port", 0, 0...65535)
        int("cluster-announce-tls-port", 0, 0...65535)
        enumeration("cluster-preferred-endpoint-type", ["ip", "hostname", "unknown-endpoint"])
        t.unsignedMemory("cluster-link-sendbuf-limit", .stored("cluster-link-sendbuf-limit", UInt64(0)))
        // TLS (not built here): the files and options are stored; a TLS port cannot be opened.
        t.add("tls-port", get: { $0.stored["tls-port"] ?? "0" }, set: { c, v throws(ConfigError) in
            let n = try DirectiveTable.parseInteger(v.joined(separator: " "), 0...65535)
            guard n == 0 else { throw ConfigError("Unable to update TLS configuration. Check server logs.") }
            c.stored["tls-port"] = "0"
        })
        for name in ["tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file", "tls-client-key-file",
                     "tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir",
                     "tls-protocols", "tls-ciphers", "tls-ciphersuites"] { string(name) }
        t.enumeration("tls-auth-clients", .stored("tls-auth-clients", "yes"), ["no", "yes", "optional"])
        // Turning TLS on for replication or the cluster bus makes Redis configure TLS, which fails without
        // certificates (and here always): refused as Redis refuses it.
        for name in ["tls-replication", "tls-cluster"] {
            t.add(name, get: { _ in "no" }, set: { _, v throws(ConfigError) in
                if try DirectiveTable.parseBool(v.joined(separator: " ")) {
                    throw ConfigError("Unable to update TLS configuration. Check server logs.")
                }
            })
        }
        bool("tls-prefer-server-ciphers", false)
        bool("tls-session-caching", true)
        int("tls-session-cache-size", 20480, 0...intMax)
        int("tls-session-cache-timeout", 300, 0...intMax)
    }

    /// Redis's check of `proc-title-template`: the template expands (`{{`/`}}` escape braces, `{name}` must be a
    /// known variable, an opened brace must close) and the expansion, with an empty title, is not blank.
    static func validProcTitleTemplate(_ s: String, config c: Config) -> Bool {
        let chars = Array(s)
        var out = ""
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            if ch == "{" && i + 1 < chars.count && chars[i + 1] == "{" || ch == "}" && i + 1 < chars.count && chars[i + 1] == "}" {
                out.append(ch)
                i += 2
                continue
            }
            guard ch == "{" else {
                out.append(ch)
                i += 1
                continue
            }
            guard let close = chars[(i + 1)...].firstIndex(of: "}") else { return false }
            switch String(chars[(i + 1)..<close]) {
            case "title", "server-mode": break
            case "listen-addr", "port", "tls-port": out += String(c.port)
            case "unixsocket": out += c.unixsocket
            case "config-file": out += c.configFile
            default: return false
            }
            i = close + 1
        }
        return !out.trimmingCharacters(in: " ").isEmpty
    }
}
