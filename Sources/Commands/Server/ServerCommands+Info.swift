import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// One INFO section: its name (as INFO's arguments spell it), its `# Title`, whether plain `INFO` shows it, and
/// its `field:value` lines.
struct InfoSection {
    let name: String
    let title: String
    let isDefault: Bool
    let fields: (Client) -> [(String, String)]

    /// Every section, in the order Redis prints them. Only fields whose values this server really has are listed.
    static let all: [InfoSection] = [
        InfoSection(name: "server", title: "Server", isDefault: true, fields: server),
        InfoSection(name: "clients", title: "Clients", isDefault: true, fields: clients),
        InfoSection(name: "memory", title: "Memory", isDefault: true, fields: memory),
        InfoSection(name: "persistence", title: "Persistence", isDefault: true, fields: persistence),
        InfoSection(name: "stats", title: "Stats", isDefault: true, fields: stats),
        InfoSection(name: "replication", title: "Replication", isDefault: true, fields: replication),
        InfoSection(name: "cpu", title: "CPU", isDefault: true, fields: cpu),
        // `module:name=...` per loaded library (the module host's provider).
        InfoSection(name: "modules", title: "Modules", isDefault: true, fields: { c in c.server.infoFields(section: "modules") }),
        InfoSection(name: "commandstats", title: "Commandstats", isDefault: false, fields: commandstats),
        InfoSection(name: "errorstats", title: "Errorstats", isDefault: true, fields: errorstats),
        InfoSection(name: "latencystats", title: "Latencystats", isDefault: false, fields: latencystats),
        InfoSection(name: "cluster", title: "Cluster", isDefault: true, fields: { _ in [("cluster_enabled", "0")] }),
        InfoSection(name: "keyspace", title: "Keyspace", isDefault: true, fields: keyspace),
    ]

    // MARK: - Sections

    static func server(_ c: Client) -> [(String, String)] {
        let s = c.server
        let uptime = s.uptimeSeconds
        #if os(Linux)
        let multiplexing = "epoll"
        #else
        let multiplexing = "kqueue"
        #endif
        return [
            ("redis_version", ServerInfo.redisVersion),
            ("redis_git_sha1", "00000000"),
            ("redis_git_dirty", "0"),
            ("redis_mode", s.mode),
            ("os", ProcessMetrics.operatingSystem),
            ("arch_bits", String(MemoryLayout<Int>.size * 8)),
            ("monotonic_clock", "POSIX clock_gettime"),
            ("multiplexing_api", multiplexing),
            ("process_id", String(getpid())),
            ("process_supervised", "no"),
            ("run_id", s.runId),
            ("tcp_port", String(s.config.port)),
            ("server_time_usec", String(Clock.unixMicroseconds())),
            ("uptime_in_seconds", String(uptime)),
            ("uptime_in_days", String(uptime / 86400)),
            // The rate the cron runs at (dynamic-hz raises it with many clients) and the configured one.
            ("hz", String(s.hz)),
            ("configured_hz", String(s.config.hz)),
            ("lru_clock", String(s.lruClock & 0x00FF_FFFF)),
            ("executable", ProcessMetrics.executablePath),
            ("config_file", ProcessMetrics.absolutePath(s.config.configFile)),
        ] + serverExtras(c)
    }

    static func clients(_ c: Client) -> [(String, String)] {
        [
            ("connected_clients", String(c.server.clients.count)),
            ("cluster_connections", "0"),
        ] + clientsExtras(c) + [
            ("maxclients", String(c.server.config.maxclients)),
            ("blocked_clients", String(c.server.blockedClients)),
            ("tracking_clients", String(c.server.trackingClientCount)),
        ] + clientsTail(c)
    }

    static func memory(_ c: Client) -> [(String, String)] {
        let used = ProcessMetrics.usedMemory
        let rss = ProcessMetrics.residentMemory
        let system = ProcessMetrics.totalSystemMemory
        let cfg = c.server.config
        return [
            ("used_memory", String(used)),
            ("used_memory_human", ProcessMetrics.human(used)),
            ("used_memory_rss", String(rss)),
            ("used_memory_rss_human", ProcessMetrics.human(rss)),
        ] + memoryHead(c) + [
            ("total_system_memory", String(system)),
            ("total_system_memory_human", ProcessMetrics.human(system)),
        ] + c.server.infoFields(section: "memory") + [
            ("maxmemory", String(cfg.maxmemory)),
            ("maxmemory_human", ProcessMetrics.human(cfg.maxmemory)),
            ("maxmemory_policy", cfg.maxmemoryPolicy),
        ] + memoryAllocator(c) + [
            ("mem_fragmentation_ratio", ProcessMetrics.fixed2(used > 0 ? Double(rss) / Double(used) : 0)),
            ("mem_fragmentation_bytes", String(rss - used)),
        ] + memoryBuffers(c) + [
            ("mem_allocator", "libc"),
        ] + memoryDefrag(c) + [
            ("lazyfree_pending_objects", String(c.server.lazyFreer.pending.load(ordering: .relaxed))),
            ("lazyfreed_objects", String(c.server.lazyFreer.freed.load(ordering: .relaxed))),
        ]
    }

    /// RDB and AOF state (`RDBPersistence`, `AOF`), in Redis 7.0's field order.
    static func persistence(_ c: Client) -> [(String, String)] {
        let s = c.server
        let rdb = s.rdb
        let now = Clock.unixMilliseconds()
        let snapshot = s.snapshot
        // No fork: the copy-on-write fields Redis reports for its child are 0 here (nothing is copied).
        return [
            ("loading", s.loading ? "1" : "0"),
            ("async_loading", "0"),
        ] + loadingFields(s) + [
            ("current_cow_peak", "0"),
            ("current_cow_size", "0"),
            ("current_cow_size_age", "0"),
            ("current_fork_perc", snapshot.map { ProcessMetrics.fixed2($0.keysTotal == 0 ? 0 : Double($0.keysWritten) * 100 / Double($0.keysTotal)) } ?? "0.00"),
            ("current_save_keys_processed", String(snapshot?.keysWritten ?? 0)),
            ("current_save_keys_total", String(snapshot?.keysTotal ?? 0)),
            ("rdb_changes_since_last_save", String(rdb.changesSinceLastSave)),
            ("rdb_bgsave_in_progress", rdb.bgsaveInProgress ? "1" : "0"),
            ("rdb_last_save_time", String(rdb.lastSaveTime)),
            ("rdb_last_bgsave_status", rdb.lastBgsaveOK ? "ok" : "err"),
            ("rdb_last_bgsave_time_sec", String(rdb.lastBgsaveSeconds)),
            ("rdb_current_bgsave_time_sec", rdb.bgsaveInProgress ? String((now - rdb.bgsaveStartedAt) / 1000) : "-1"),
            ("rdb_saves", String(rdb.saves)),
            ("rdb_last_cow_size", "0"),
            ("rdb_last_load_keys_expired", String(rdb.lastLoadKeysExpired)),
            ("rdb_last_load_keys_loaded", String(rdb.lastLoadKeysLoaded)),
        ] + aofFields(s.aof) + [
            ("module_fork_in_progress", "0"),
            ("module_fork_last_cow_size", "0"),
        ] + aofEnabledFields(s.aof)
    }

    /// The loading_* fields Redis prints while a load is in progress.
    static func loadingFields(_ s: Server) -> [(String, String)] {
        guard s.loading else { return [] }
        let p = s.loadingProgress
        return [
            ("loading_start_time", String(p.startTime)),
            ("loading_total_bytes", String(p.totalBytes)),
            ("loading_rdb_used_mem", "0"),
            ("loading_loaded_bytes", String(p.loadedBytes)),
            ("loading_loaded_perc", ProcessMetrics.fixed2(p.percent)),
            ("loading_eta_seconds", String(p.etaSeconds)),
        ]
    }

    /// INFO persistence's aof_* fields, in Redis 7.0's order.
    static func aofFields(_ aof: AOF) -> [(String, String)] {
        [
            ("aof_enabled", aof.enabled ? "1" : "0"),
            ("aof_rewrite_in_progress", aof.rewriteInProgress ? "1" : "0"),
            ("aof_rewrite_scheduled", aof.rewriteScheduled ? "1" : "0"),
            ("aof_last_rewrite_time_sec", String(aof.lastRewriteTimeSec)),
            ("aof_current_rewrite_time_sec", aof.rewriteStartedAt != 0 ? String((Clock.unixMilliseconds() - aof.rewriteStartedAt) / 1000) : "-1"),
            ("aof_last_bgrewrite_status", aof.lastBgrewriteOK ? "ok" : "err"),
            ("aof_rewrites", String(aof.rewrites)),
            ("aof_rewrites_consecutive_failures", String(aof.rewriteConsecutiveFailures)),
            ("aof_last_write_status", aof.lastWriteOK ? "ok" : "err"),
            ("aof_last_cow_size", "0"),
        ]
    }

    /// The aof_* fields Redis prints only while the AOF is on (after module_fork_*).
    static func aofEnabledFields(_ aof: AOF) -> [(String, String)] {
        guard aof.enabled else { return [] }
        return [
            ("aof_current_size", String(aof.currentSize)),
            ("aof_base_size", String(aof.baseSize)),
            ("aof_pending_rewrite", aof.rewriteScheduled ? "1" : "0"),
            ("aof_buffer_length", String(aof.bufferLength)),
            ("aof_pending_bio_fsync", String(aof.pendingBackgroundFsyncs)),
            ("aof_delayed_fsync", String(aof.delayedFsync)),
        ]
    }

    static func stats(_ c: Client) -> [(String, String)] {
        let st = c.server.stats
        return [
            ("total_connections_received", String(st.totalConnections)),
            ("total_commands_processed", String(st.totalCommands)),
            ("instantaneous_ops_per_sec", String(st.instantaneousOps)),
            ("total_net_input_bytes", String(st.netInputBytes)),
            ("total_net_output_bytes", String(st.netOutputBytes)),
        ] + statsNet(c) + [
            ("rejected_connections", String(st.rejectedConnections)),
            ("sync_full", String(st.syncFull)),
            ("sync_partial_ok", String(st.syncPartialOK)),
            ("sync_partial_err", String(st.syncPartialErr)),
            ("expired_keys", String(st.expiredKeys)),
        ] + statsExpire(c) + [
            ("evicted_keys", String(st.evictedKeys)),
        ] + statsEviction(c) + [
            ("keyspace_hits", String(st.keyspaceHits)),
            ("keyspace_misses", String(st.keyspaceMisses)),
        ] + statsTailBeforeErrors(c) + [
            ("total_error_replies", String(st.totalErrorReplies)),
        ] + statsTailAfterErrors(c)
    }

    /// The replication target's fields once it is active; before that, a master without replicas and without a
    /// backlog.
    static func replication(_ c: Client) -> [(String, String)] {
        let s = c.server
        if let fields = s.replication.infoFields { return fields(s) }
        var goodReplicas: [(String, String)] = []
        if s.config.minReplicasToWrite > 0 && s.config.minReplicasMaxLag > 0 { goodReplicas = [("min_slaves_good_slaves", "0")] }
        return [
            ("role", "master"),
            ("connected_slaves", "0"),
        ] + goodReplicas + [
            ("master_failover_state", "no-failover"),
            ("master_replid", s.replicationId),
            ("master_replid2", s.replication.replid2),
            ("master_repl_offset", String(s.replication.masterOffset)),
            ("second_repl_offset", String(s.replication.secondOffset)),
            ("repl_backlog_active", "0"),
            ("repl_backlog_size", String(s.config.replBacklogSize)),
            ("repl_backlog_first_byte_offset", "0"),
            ("repl_backlog_histlen", "0"),
        ]
    }

    /// `*_main_thread` is the thread running this INFO: the I/O loop holding the data lock, which is the one
    /// thread executing commands when `io-threads` is 1.
    static func cpu(_ c: Client) -> [(String, String)] {
        let me = ProcessMetrics.cpuTime(0)        // RUSAGE_SELF
        let children = ProcessMetrics.cpuTime(-1) // RUSAGE_CHILDREN
        let thread = ProcessMetrics.cpuTime(1)    // RUSAGE_THREAD
        return [
            ("used_cpu_sys", me.0),
            ("used_cpu_user", me.1),
            ("used_cpu_sys_children", children.0),
            ("used_cpu_user_children", children.1),
            ("used_cpu_sys_main_thread", thread.0),
            ("used_cpu_user_main_thread", thread.1),
        ]
    }

    /// Every command and subcommand that was called, failed or rejected, from the command table's counters.
    static func commandstats(_ c: Client) -> [(String, String)] {
        var out: [(String, String)] = []
        func add(_ cmd: Command) {
            if cmd.calls > 0 || cmd.failedCalls > 0 || cmd.rejectedCalls > 0 {
                let perCall = cmd.calls > 0 ? Double(cmd.microseconds) / Double(cmd.calls) : 0
                out.append(("cmdstat_\(cmd.fullName)",
                            "calls=\(cmd.calls),usec=\(cmd.microseconds),usec_per_call=\(ProcessMetrics.fixed2(perCall)),"
                                + "rejected_calls=\(cmd.rejectedCalls),failed_calls=\(cmd.failedCalls)"))
            }
            for sub in cmd.sortedSubcommands { add(sub) }
        }
        for cmd in c.server.commands.all { add(cmd) }
        return out
    }

    static func errorstats(_ c: Client) -> [(String, String)] {
        c.server.stats.errorCodes.sorted { RBytes($0.key) < RBytes($1.key) }.map { ("errorstat_\($0.key)", "count=\($0.value)") }
    }

    static func keyspace(_ c: Client) -> [(String, String)] {
        c.server.databases.filter { $0.count > 0 }.map { db in
            ("db\(db.id)", "keys=\(db.count),expires=\(db.expires.count),avg_ttl=\(averageTTL(db, now: c.server.commandTime))")
        }
    }

    /// Mean remaining time to live (ms) of the keys with an expiry: exact for up to 128 such keys, otherwise
    /// estimated from 128 random ones (Redis's figure is an estimate from its expiry sampling, too).
    static func averageTTL(_ db: Database, now: Int64) -> Int64 {
        let table = db.expires
        var sum = 0.0, n = 0.0
        func sample(_ slot: Int) {
            let ttl = table.value(at: slot) &- now
            if ttl > 0 {
                sum += Double(ttl)
                n += 1
            }
        }
        if table.count <= 128 {
            table.forEachSlot(sample)
        } else {
            for _ in 0..<128 {
                if let s = table.randomSlot() { sample(s) }
            }
        }
        guard n > 0 else { return 0 }
        let mean = sum / n
        return mean < 9.2e18 ? Int64(mean) : Int64.max
    }
}

/// INFO sections for other server modes: Sentinel's INFO reuses server, clients, stats and cpu.
public enum InfoSections {
    /// The title and fields of the section named `name`, or nil.
    public static func fields(_ name: String, _ c: Client) -> (title: String, fields: [(String, String)])? {
        guard let s = InfoSection.all.first(where: { $0.name == name }) else { return nil }
        return (s.title, s.fields(c))
    }
}

// MARK: - INFO

extension ServerCommands {
    /// INFO [section [section ...]]
    static func info(_ c: Client) {
        var wanted = Set<String>()
        if c.argv.count == 1 {
            wanted = Set(InfoSection.all.filter(\.isDefault).map(\.name))
        }
        // Module-generated sections: all of them with `everything` or `modules` (not `all`, not `default`), else
        // those named by an argument that is no server section (a module's name or `<module>_<section>`).
        var allModuleSections = false
        var otherNames = Set<String>()
        for arg in c.argv.dropFirst() {
            switch arg.string.lowercased() {
            case "everything":
                wanted.formUnion(InfoSection.all.map(\.name))
                allModuleSections = true
            case "all": wanted.formUnion(InfoSection.all.map(\.name))
            case "default": wanted.formUnion(InfoSection.all.filter(\.isDefault).map(\.name))
            case "modules":
                wanted.insert("modules")
                allModuleSections = true
            case let name:
                wanted.insert(name)
                if !InfoSection.all.contains(where: { $0.name == name }) { otherNames.insert(name) }
            }
        }
        var text = ""
        for section in InfoSection.all where wanted.contains(section.name) {
            if !text.isEmpty { text += "\r\n" }
            text += "# \(section.title)\r\n"
            for (key, value) in section.fields(c) { text += "\(key):\(value)\r\n" }
        }
        if let sections = c.server.moduleInfoSections, allModuleSections || !otherNames.isEmpty {
            for section in sections(allModuleSections ? nil : otherNames) {
                if !text.isEmpty { text += "\r\n" }
                text += "# \(section.title)\r\n"
                for (key, value) in section.fields { text += "\(key):\(value)\r\n" }
            }
        }
        c.reply.verbatim(text)
    }
}
