import Kernel

/// INFO fields Redis 7.0 prints that describe state this server has (or has as a constant: no fork, no active
/// defragmentation, no I/O threads), kept apart from the section lists in ServerCommands+Info.swift.
extension InfoSection {
    static func serverExtras(_ c: Client) -> [(String, String)] {
        [("redis_build_id", "0"), ("atomicvar_api", "c11-builtin"), ("gcc_version", "0.0.0"),
         ("io_threads_active", "0")]
    }

    static func clientsExtras(_ c: Client) -> [(String, String)] {
        var maxIn = 0, maxOut = 0
        for client in c.server.clients.values {
            maxIn = max(maxIn, client.queryBufferLength)
            maxOut = max(maxOut, client.reply.buffer.readableBytes)
        }
        return [("client_recent_max_input_buffer", String(maxIn)), ("client_recent_max_output_buffer", String(maxOut))]
    }

    static func clientsTail(_ c: Client) -> [(String, String)] {
        [("clients_in_timeout_table", String(c.server.clientsWithBlockingTimeout))]
    }

    /// used_memory_peak ... allocator_resident (after used_memory_rss_human).
    static func memoryHead(_ c: Client) -> [(String, String)] {
        let f = MemoryCommands.Figures(c.server)
        let dataset = max(0, f.used - f.overhead)
        let net = max(1, f.used - f.startup)
        return [
            ("used_memory_peak", String(f.peak)),
            ("used_memory_peak_human", ProcessMetrics.human(f.peak)),
            ("used_memory_peak_perc", ProcessMetrics.fixed2(f.peak > 0 ? Double(f.used) * 100 / Double(f.peak) : 0) + "%"),
            ("used_memory_overhead", String(f.overhead)),
            ("used_memory_startup", String(f.startup)),
            ("used_memory_dataset", String(dataset)),
            ("used_memory_dataset_perc", ProcessMetrics.fixed2(Double(dataset) * 100 / Double(net)) + "%"),
            // glibc has no active/resident split: allocated and active are the in-use bytes, resident the RSS.
            ("allocator_allocated", String(f.used)),
            ("allocator_active", String(f.used)),
            ("allocator_resident", String(f.rss)),
        ]
    }

    /// allocator_frag_ratio ... rss_overhead_bytes (before mem_fragmentation_ratio).
    static func memoryAllocator(_ c: Client) -> [(String, String)] {
        let used = ProcessMetrics.usedMemory, rss = ProcessMetrics.residentMemory
        return [
            ("allocator_frag_ratio", "1.00"), ("allocator_frag_bytes", "0"),
            ("allocator_rss_ratio", ProcessMetrics.fixed2(used > 0 ? Double(rss) / Double(used) : 0)),
            ("allocator_rss_bytes", String(rss - used)),
            ("rss_overhead_ratio", "1.00"), ("rss_overhead_bytes", "0"),
        ]
    }

    /// mem_not_counted_for_evict ... mem_aof_buffer (before mem_allocator).
    static func memoryBuffers(_ c: Client) -> [(String, String)] {
        let f = MemoryCommands.Figures(c.server)
        return [
            ("mem_not_counted_for_evict", "0"), ("mem_replication_backlog", "0"),
            ("mem_total_replication_buffers", "0"), ("mem_clients_slaves", "0"),
            ("mem_clients_normal", String(f.clients)), ("mem_cluster_links", "0"), ("mem_aof_buffer", "0"),
        ]
    }

    static func memoryDefrag(_ c: Client) -> [(String, String)] { [("active_defrag_running", "0")] }

    /// instantaneous_*_kbps and total_net_repl_* (after total_net_output_bytes).
    static func statsNet(_ c: Client) -> [(String, String)] {
        let k = c.server.stats.instantaneousKbps
        return [
            ("total_net_repl_input_bytes", "0"), ("total_net_repl_output_bytes", "0"),
            ("instantaneous_input_kbps", ProcessMetrics.fixed2(k.input)),
            ("instantaneous_output_kbps", ProcessMetrics.fixed2(k.output)),
            ("instantaneous_input_repl_kbps", "0.00"), ("instantaneous_output_repl_kbps", "0.00"),
        ]
    }

    /// expired_stale_perc ... expire_cycle_cpu_milliseconds (after expired_keys).
    static func statsExpire(_ c: Client) -> [(String, String)] {
        let st = c.server.stats
        return [
            ("expired_stale_perc", ProcessMetrics.fixed2(st.expiredStalePercent * 100)),
            ("expired_time_cap_reached_count", String(st.expiredTimeCapReached)),
            ("expire_cycle_cpu_milliseconds", String(st.expireCycleMicroseconds / 1000)),
        ]
    }

    /// Client eviction (`maxmemory-clients`) and the key eviction time figures (the latter not tracked here).
    static func statsEviction(_ c: Client) -> [(String, String)] {
        [("evicted_clients", String(c.server.stats.evictedClients)), ("total_eviction_exceeded_time", "0"),
         ("current_eviction_exceeded_time", "0")]
    }

    /// pubsub_channels ... reply_buffer_expands (after keyspace_misses; total_error_replies is in the middle).
    static func statsTailBeforeErrors(_ c: Client) -> [(String, String)] {
        let s = c.server
        let t = s.tracking
        return [
            ("pubsub_channels", String(s.pubsub.channels.count)),
            ("pubsub_patterns", String(s.pubsub.patterns.count)),
            ("pubsubshard_channels", String(s.pubsub.shardChannels.count)),
            ("latest_fork_usec", "0"), ("total_forks", "0"), ("migrate_cached_sockets", "0"),
            ("slave_expires_tracked_keys", "0"),
            ("active_defrag_hits", "0"), ("active_defrag_misses", "0"), ("active_defrag_key_hits", "0"),
            ("active_defrag_key_misses", "0"), ("total_active_defrag_time", "0"), ("current_active_defrag_time", "0"),
            ("tracking_total_keys", String(t.totalKeys)), ("tracking_total_items", String(t.totalItems)),
            ("tracking_total_prefixes", String(t.totalPrefixes)),
            ("unexpected_error_replies", "0"),
        ]
    }

    static func statsTailAfterErrors(_ c: Client) -> [(String, String)] {
        let st = c.server.stats
        return [
            ("dump_payload_sanitizations", "0"),
            ("total_reads_processed", String(st.totalReadsProcessed)),
            ("total_writes_processed", String(st.totalWritesProcessed)),
            ("io_threaded_reads_processed", "0"), ("io_threaded_writes_processed", "0"),
            ("reply_buffer_shrinks", "0"), ("reply_buffer_expands", "0"),
            // Redis 7.2's disconnection counters (docs/RELIABILITY.md): no 7.0 field reports them.
            ("client_query_buffer_limit_disconnections", String(st.queryLimitDisconnections)),
            ("client_output_buffer_limit_disconnections", String(st.outputLimitDisconnections)),
        ]
    }
}
