#if canImport(Glibc)
import Glibc
#endif

extension Config {
    /// Every directive, in the order CONFIG REWRITE appends them: the core ones here, the process and logging
    /// ones (ConfigDirectives+Process.swift) and those accepted with no effect (ConfigDirectives+Compat.swift).
    public static let directives: [Directive] = {
        var t = DirectiveTable()
        addNetworkAndGeneral(&t)
        addPersistence(&t)
        addReplication(&t)
        addEncodingsAndLimits(&t)
        addProcess(&t)
        addCompat(&t)
        return t.all + Config.observabilityDirectives + Config.evictionDirectives() + Config.securityDirectives()
    }()

    static func addNetworkAndGeneral(_ t: inout DirectiveTable) {
        let llMax = DirectiveTable.llMax, intMax = DirectiveTable.intMax
        t.add("bind", multiArg: true, get: { $0.bind.joined(separator: " ") }, set: { c, v throws(ConfigError) in
            let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
            guard !parts.isEmpty else { throw ConfigError("Too many bind addresses specified.") }
            c.bind = parts
        })
        t.int("port", .at(\.port), 0...65535)
        t.bool("protected-mode", .at(\.protectedMode))
        // Past the open-files limit: raised as Redis does; at run time a shortfall refuses the value, at start it
        // lowers maxclients (main logs it).
        t.add("maxclients", get: { String($0.maxclients) }, set: { c, v throws(ConfigError) in
            let n = Int(try DirectiveTable.parseInteger(v.joined(separator: " "), 1...Int64(UInt32.max)))
            if c.running, n > c.maxclients, let limit = Config.raiseOpenFilesLimit(forClients: n) {
                throw ConfigError("The operating system is not able to handle the specified number of clients, try with \(limit - 32)")
            }
            c.maxclients = n
        })
        t.int("timeout", .at(\.timeout), 0...intMax)
        t.int("tcp-keepalive", .at(\.tcpKeepalive), 0...intMax)
        t.int("tcp-backlog", .at(\.tcpBacklog), 0...intMax, mutable: false)
        t.int("databases", .at(\.databases), 1...intMax, mutable: false)
        t.enumeration("loglevel", .at(\.loglevel), ["debug", "verbose", "notice", "warning"])
        // Redis clamps hz into 1...500 (CONFIG GET shows the clamped value).
        t.int("hz", ConfigSlot(get: { $0.hz }, set: { $0.hz = min(500, max(1, $1)) }), 0...intMax)
        t.int("io-threads", .at(\.ioThreads), 1...128, mutable: false)
        t.enumeration("enable-debug-command", .at(\.enableDebugCommand), ["no", "yes", "local"], mutable: false)
        t.enumeration("enable-protected-configs", .at(\.enableProtectedConfigs), ["no", "yes", "local"], mutable: false)
        t.enumeration("enable-module-command", .at(\.enableModuleCommand), ["no", "yes", "local"], mutable: false)
        // `loadmodule /path/lib.so [args]`: repeatable, config file and command line only (as Redis).
        t.add("loadmodule", mutable: false, hidden: true, multiArg: true, get: { _ in "" }, set: { c, v throws(ConfigError) in
            let words = v.flatMap { $0.split(separator: " ").map(String.init) }
            guard !words.isEmpty else { throw ConfigError("wrong number of arguments") }
            c.loadModules.append(words)
        })
        t.memory("proto-max-bulk-len", .at(\.protoMaxBulkLen), 1024 * 1024...llMax)
        t.memory("client-query-buffer-limit", .at(\.clientQueryBufferLimit), 1024 * 1024...llMax)
        t.int("tracking-table-max-keys", .at(\.trackingTableMaxKeys), 0...llMax)
        // A memory value or a percentage of maxmemory (Redis's PERCENT_CONFIG: stored negative).
        t.add("maxmemory-clients", format: .memory, get: { c in
            c.maxmemoryClients < 0 ? "\(-c.maxmemoryClients)%" : String(c.maxmemoryClients)
        }, set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ")
            if s.hasSuffix("%") {
                guard let n = Int64(s.dropLast()), n >= 0 else {
                    throw ConfigError("argument must be a memory or percent value")
                }
                guard n <= 100 else { throw ConfigError("percentage argument must be less or equal to 100") }
                c.maxmemoryClients = -n
                return
            }
            guard let u = Config.parseMemoryUnsigned(s) else {
                throw ConfigError("argument must be a memory or percent value")
            }
            // Redis casts the unsigned value to long long: past LLONG_MAX it reads as a (negative) percentage, so
            // 99999999999999999999 (saturated to ULLONG_MAX, i.e. -1) becomes 1%.
            let signed = Int64(bitPattern: u)
            guard signed >= -100 else { throw ConfigError("percentage argument must be less or equal to 100") }
            c.maxmemoryClients = signed
        })
        // Unsigned in Redis: a value past Int64 is kept for CONFIG GET, the limit itself saturates.
        t.unsignedMemory("maxmemory", ConfigSlot(get: { c in
            c.maxmemory == Int64.max ? c.stored["maxmemory"].flatMap { UInt64($0) } ?? UInt64(Int64.max) : UInt64(c.maxmemory)
        }, set: { c, v in
            c.maxmemory = Int64(clamping: v)
            c.stored["maxmemory"] = v > UInt64(Int64.max) ? String(v) : nil
        }))
        t.int("busy-reply-threshold", .at(\.busyReplyThreshold), 0...llMax, aliases: ["lua-time-limit"])
        t.add("lua-memory-limit", hidden: true, format: .memory, get: { String($0.luaMemoryLimit) }, set: { c, v throws(ConfigError) in
            c.luaMemoryLimit = try DirectiveTable.parseMemory(v.joined(separator: " "), 0...llMax)
        })
        t.add("notify-keyspace-events", format: .quoted, get: { $0.notifyKeyspaceEvents }, set: { c, v throws(ConfigError) in
            guard let flags = KeyspaceEventClass.parse(v.joined()) else { throw ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.") }
            c.notifyKeyspaceEvents = flags.letters
            c.onNotifyChange?()
        })
        t.int64("slowlog-log-slower-than", .at(\.slowlogLogSlowerThan), -1...llMax)
        t.int64("slowlog-max-len", .at(\.slowlogMaxLen), 0...llMax)
        // Ours (hardened deployments): repeatable, every line or --disable-command-family adds to the list.
        t.add("disable-command-family", aliases: ["disable-module-families"], mutable: false, hidden: true,
              multiArg: true, get: { $0.disabledFamilies.joined(separator: " ") }, set: { c, v throws(ConfigError) in
            for name in v.flatMap({ $0.split(separator: " ").map { String($0).lowercased() } })
            where !c.disabledFamilies.contains(name) {
                c.disabledFamilies.append(name)
            }
        })
    }

    static func addPersistence(_ t: inout DirectiveTable) {
        let llMax = DirectiveTable.llMax, intMax = DirectiveTable.intMax
        t.add("save", multiArg: true, get: { $0.save }, set: { c, v throws(ConfigError) in
            let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
            if parts.count % 2 != 0 || parts.contains(where: { Int($0) == nil }) {
                if !(parts.isEmpty) { throw ConfigError("Invalid save parameters") }
            }
            c.save = parts.joined(separator: " ")
        })
        t.add("appendonly", get: { $0.appendonly ? "yes" : "no" }, set: { c, v throws(ConfigError) in
            let on = try DirectiveTable.parseBool(v.joined(separator: " "))
            if on != c.appendonly, let hook = c.onAppendonlyChange { try hook(on) }
            c.appendonly = on
        })
        t.enumeration("appendfsync", .at(\.appendfsync), ["everysec", "always", "no"])
        t.bool("no-appendfsync-on-rewrite", .at(\.noAppendfsyncOnRewrite))
        t.int("auto-aof-rewrite-percentage", .at(\.autoAofRewritePercentage), 0...intMax)
        t.memory("auto-aof-rewrite-min-size", .at(\.autoAofRewriteMinSize), 0...llMax)
        t.bool("aof-load-truncated", .at(\.aofLoadTruncated))
        t.bool("aof-use-rdb-preamble", .at(\.aofUseRdbPreamble))
        t.bool("aof-timestamp-enabled", .at(\.aofTimestampEnabled))
        t.bool("aof-rewrite-incremental-fsync", .at(\.aofRewriteIncrementalFsync))
        t.add("appenddirname", mutable: false, format: .quoted, get: { $0.appenddirname }, set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ")
            if s.contains("/") || s == "." || s == ".." { throw ConfigError("appenddirname can't be a path, just a dirname") }
            c.appenddirname = s
        })
        t.add("appendfilename", mutable: false, format: .quoted, get: { $0.appendfilename }, set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ")
            if s.contains("/") { throw ConfigError("appendfilename can't be a path, just a filename") }
            c.appendfilename = s
        })
        t.add("dir", format: .quoted, get: { _ in Config.workingDirectory() }, set: { c, v throws(ConfigError) in
            let path = v.joined(separator: " ")
            guard chdir(path) == 0 else { throw ConfigError(String(cString: strerror(errno))) }
            c.dir = path
        })
        t.add("dbfilename", format: .quoted, get: { $0.dbfilename }, set: { c, v throws(ConfigError) in
            let name = v.joined(separator: " ")
            guard !name.contains("/") else { throw ConfigError("dbfilename can't be a path, just a filename") }
            c.dbfilename = name
        })
        t.bool("rdbcompression", .at(\.rdbcompression))
        t.bool("rdbchecksum", .at(\.rdbchecksum), mutable: false)
        t.bool("stop-writes-on-bgsave-error", .at(\.stopWritesOnBgsaveError))
        t.bool("rdb-save-incremental-fsync", .at(\.rdbSaveIncrementalFsync))
        t.int("rdb-key-save-delay", .at(\.rdbKeySaveDelay), Int64(Int32.min)...intMax, hidden: true)
        t.int("key-load-delay", .at(\.keyLoadDelay), Int64(Int32.min)...intMax, hidden: true)
        t.enumeration("sanitize-dump-payload", .at(\.sanitizeDumpPayload), ["no", "yes", "clients"])
        t.bool("lazyfree-lazy-user-del", .at(\.lazyfreeLazyUserDel))
        t.bool("lazyfree-lazy-user-flush", .at(\.lazyfreeLazyUserFlush))
        t.bool("lazyfree-lazy-expire", .at(\.lazyfreeLazyExpire))
        t.bool("lazyfree-lazy-eviction", .at(\.lazyfreeLazyEviction))
        t.bool("lazyfree-lazy-server-del", .at(\.lazyfreeLazyServerDel))
    }

    static func addReplication(_ t: inout DirectiveTable) {
        let llMax = DirectiveTable.llMax, intMax = DirectiveTable.intMax
        t.add("repl-backlog-size", format: .memory, get: { String($0.replBacklogSize) }, set: { c, v throws(ConfigError) in
            let n = try DirectiveTable.parseMemory(v.joined(separator: " "), 1...llMax)
            // Redis 7.0 raises a smaller value to its 16 KB minimum (resizeReplicationBacklog).
            c.replBacklogSize = max(n, 16384)
        })
        t.int("repl-backlog-ttl", .at(\.replBacklogTtl), 0...llMax)
        t.int("repl-ping-replica-period", .at(\.replPingReplicaPeriod), 1...intMax, aliases: ["repl-ping-slave-period"])
        t.int("repl-timeout", .at(\.replTimeout), 1...intMax)
        t.bool("replica-read-only", .at(\.replicaReadOnly), aliases: ["slave-read-only"])
        t.bool("replica-serve-stale-data", .at(\.replicaServeStaleData), aliases: ["slave-serve-stale-data"])
        t.int("replica-priority", .at(\.replicaPriority), 0...intMax, aliases: ["slave-priority"])
        t.bool("replica-announced", .at(\.replicaAnnounced))
        t.string("replica-announce-ip", .at(\.replicaAnnounceIp), aliases: ["slave-announce-ip"])
        t.int("replica-announce-port", .at(\.replicaAnnouncePort), 0...65535, aliases: ["slave-announce-port"])
        t.bool("replica-lazy-flush", .at(\.replicaLazyFlush), aliases: ["slave-lazy-flush"])
        t.bool("repl-disable-tcp-nodelay", .at(\.replDisableTcpNodelay))
        t.string("masterauth", .at(\.masterauth))
        t.string("masteruser", .at(\.masteruser))
        t.add("replicaof", aliases: ["slaveof"], mutable: false, multiArg: true, get: { $0.replicaof }, set: { c, v throws(ConfigError) in
            let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
            guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
                throw ConfigError("wrong number of arguments")
            }
            c.replicaof = parts.joined(separator: " ")
        })
        t.bool("repl-diskless-sync", .at(\.replDisklessSync))
        t.int("repl-diskless-sync-delay", .at(\.replDisklessSyncDelay), 0...intMax)
        t.int("repl-diskless-sync-max-replicas", .at(\.replDisklessSyncMaxReplicas), 0...intMax)
        t.enumeration("repl-diskless-load", .at(\.replDisklessLoad), ["disabled", "on-empty-db", "swapdb"])
        t.int("min-replicas-to-write", .at(\.minReplicasToWrite), 0...intMax, aliases: ["min-slaves-to-write"])
        t.int("min-replicas-max-lag", .at(\.minReplicasMaxLag), 0...intMax, aliases: ["min-slaves-max-lag"])
        t.add("client-output-buffer-limit", variadic: true, get: { c in
            func f(_ n: String, _ l: OutputBufferLimit) -> String { "\(n) \(l.hard) \(l.soft) \(l.softSeconds)" }
            return [f("normal", c.outputLimitNormal), f("slave", c.outputLimitReplica), f("pubsub", c.outputLimitPubSub)].joined(separator: " ")
        }, set: { c, v throws(ConfigError) in
            // Split on every single space as Redis's sdssplitlen does ("" alone: no change; " " is two empty tokens).
            let joined = v.joined(separator: " ")
            if joined.isEmpty && !v.isEmpty { return }
            let parts = joined.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard !parts.isEmpty, parts.count % 4 == 0 else { throw ConfigError("Wrong number of arguments in buffer limit configuration.") }
            var updates: [(String, OutputBufferLimit)] = []
            for i in stride(from: 0, to: parts.count, by: 4) {
                let cls = parts[i].lowercased()
                guard ["normal", "slave", "replica", "pubsub"].contains(cls) else { throw ConfigError("Invalid client class specified in buffer limit configuration.") }
                guard let h = Config.parseMemory(parts[i + 1]), let s = Config.parseMemory(parts[i + 2]), let secs = Int64(parts[i + 3]), secs >= 0 else {
                    throw ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
                }
                updates.append((cls, OutputBufferLimit(hard: h, soft: s, softSeconds: secs)))
            }
            for (cls, l) in updates {
                switch cls {
                case "normal": c.outputLimitNormal = l
                case "pubsub": c.outputLimitPubSub = l
                default: c.outputLimitReplica = l
                }
            }
        })
    }

    static func addEncodingsAndLimits(_ t: inout DirectiveTable) {
        let llMax = DirectiveTable.llMax, intMax = DirectiveTable.intMax
        t.int("hash-max-listpack-entries", .at(\.hashMaxListpackEntries), 0...llMax, aliases: ["hash-max-ziplist-entries"])
        t.memory("hash-max-listpack-value", intSlot(\.hashMaxListpackValue), 0...llMax, aliases: ["hash-max-ziplist-value"])
        t.int("set-max-intset-entries", .at(\.setMaxIntsetEntries), 0...llMax)
        t.int("zset-max-listpack-entries", .at(\.zsetMaxListpackEntries), 0...llMax, aliases: ["zset-max-ziplist-entries"])
        t.memory("zset-max-listpack-value", intSlot(\.zsetMaxListpackValue), 0...llMax, aliases: ["zset-max-ziplist-value"])
        t.int("list-max-listpack-size", .at(\.listMaxListpackSize), Int64(Int32.min)...intMax, aliases: ["list-max-ziplist-size"])
        t.int("list-compress-depth", .at(\.listCompressDepth), 0...intMax)
        t.memory("stream-node-max-bytes", .at(\.streamNodeMaxBytes), 0...llMax)
        t.int64("stream-node-max-entries", .at(\.streamNodeMaxEntries), 0...llMax)
        t.memory("hll-sparse-max-bytes", .at(\.hllSparseMaxBytes), 0...llMax)
    }

    /// An Int property seen as the Int64 a memory directive parses.
    static func intSlot(_ kp: ReferenceWritableKeyPath<Config, Int>) -> ConfigSlot<Int64> {
        ConfigSlot(get: { Int64($0[keyPath: kp]) }, set: { $0[keyPath: kp] = Int($1) })
    }
}
