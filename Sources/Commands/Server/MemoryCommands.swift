import CMallocInfo
import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// MEMORY USAGE/STATS/DOCTOR/MALLOC-STATS/PURGE/HELP (Redis's object.c memory introspection), over the kernel's
/// `MemoryUsage` sizes (Redis 7.0's accounting of the same data) and glibc's allocator figures.
public struct MemoryCommands: CommandModule {
    /// Created once at start, with the other modules: the allocator's figure then is the startup baseline.
    public init() {
        if MemoryCommands.startupUsed == 0 { MemoryCommands.startupUsed = ProcessMetrics.usedMemory }
    }
    public let family = "server"

    public var commands: [CommandSpec] {
        [
            CommandSpec("memory", arity: -2, summary: "A container for memory diagnostics commands.", since: "4.0.0",
                        complexity: "Depends on subcommand.", subcommands: [
                CommandSpec("usage", arity: -3, flags: [.readonly], keys: KeyPositions(first: 2, last: 2, step: 1),
                            summary: "Estimates the memory usage of a key.", since: "4.0.0",
                            complexity: "O(N) where N is the number of samples.", handler: Self.usage),
                CommandSpec("stats", arity: 2, summary: "Returns details about memory usage.", since: "4.0.0",
                            complexity: "O(1)", handler: Self.stats),
                CommandSpec("doctor", arity: 2, summary: "Outputs a memory problems report.", since: "4.0.0",
                            complexity: "O(1)", handler: Self.doctor),
                CommandSpec("malloc-stats", arity: 2, summary: "Returns the allocator statistics.", since: "4.0.0",
                            complexity: "Depends on how much memory is allocated, could be slow",
                            handler: Self.mallocStats),
                CommandSpec("purge", arity: 2, summary: "Asks the allocator to release memory.", since: "4.0.0",
                            complexity: "Depends on how much memory is allocated, could be slow", handler: Self.purge),
                CommandSpec("help", arity: 2, flags: [.loading, .stale],
                            summary: "Outputs helpful text about memory commands.", since: "4.0.0",
                            complexity: "O(1)", handler: Self.help),
            ]),
        ]
    }

    /// MEMORY USAGE key [SAMPLES count]
    static func usage(_ c: Client) {
        var samples = 5
        if c.argv.count == 5 && c.argv[3].equalsIgnoringCase("SAMPLES") {
            guard let n = Numbers.parseInt64(c.argv[4]) else {
                c.error(Errors.notInteger)
                return
            }
            samples = n == 0 ? 0 : Int(clamping: max(1, n))
        } else if c.argv.count != 3 {
            c.error(Errors.syntax)
            return
        }
        guard let slot = c.db.slot(c.argv[2], touch: false) else {
            c.reply.null()
            return
        }
        let cfg = c.server.config
        let settings = MemoryUsage.Settings(listFill: cfg.listMaxListpackSize,
                                            streamNodeMaxBytes: Int(clamping: cfg.streamNodeMaxBytes),
                                            streamNodeMaxEntries: Int(clamping: cfg.streamNodeMaxEntries))
        c.reply.integer(MemoryUsage.keyBytes(c.argv[2])
                        + MemoryUsage.valueBytes(c.db.entry(at: slot), samples: samples, settings: settings))
    }

    /// The figures MEMORY STATS and DOCTOR share.
    struct Figures {
        var used: Int64
        var rss: Int64
        var peak: Int64
        var startup: Int64
        var clients: Int64
        var overheadByDb: [(Int, Int64, Int64)]
        var overhead: Int64
        var keys: Int

        init(_ s: Server) {
            used = ProcessMetrics.usedMemory
            rss = ProcessMetrics.residentMemory
            MemoryCommands.peakUsed = max(MemoryCommands.peakUsed, used)
            peak = MemoryCommands.peakUsed
            startup = min(used, MemoryCommands.startupUsed)
            var clientBytes: Int64 = 0
            for c in s.clients.values {
                clientBytes += Int64(c.reply.buffer.capacity + c.queryBufferLength + c.argv.reduce(0) { $0 + $1.count })
            }
            clients = clientBytes
            overheadByDb = []
            keys = 0
            var dbOverhead: Int64 = 0
            for db in s.databases where db.count > 0 {
                let main = Int64(db.count) * Int64(MemoryUsage.keyBytes(RBytes()))
                let expires = Int64(db.expires.count) * 32
                overheadByDb.append((db.id, main, expires))
                dbOverhead += main + expires
                keys += db.count
            }
            overhead = startup + clients + dbOverhead
        }
    }

    /// Used memory when the first MEMORY command ran, as the startup baseline, and the highest figure seen.
    static var startupUsed: Int64 = 0
    static var peakUsed: Int64 = 0

    /// MEMORY STATS: Redis 7.0's fields, in its order.
    static func stats(_ c: Client) {
        let f = Figures(c.server)
        let dataset = max(0, f.used - f.overhead)
        let net = max(1, f.used - f.startup)
        var items: [(String, Any)] = [
            ("peak.allocated", f.peak), ("total.allocated", f.used), ("startup.allocated", f.startup),
            ("replication.backlog", Int64(0)), ("clients.slaves", Int64(0)), ("clients.normal", f.clients),
            ("cluster.links", Int64(0)), ("aof.buffer", Int64(0)), ("lua.caches", Int64(0)),
            ("functions.caches", Int64(0)),
        ]
        for (id, main, expires) in f.overheadByDb {
            items.append(("db.\(id)", [("overhead.hashtable.main", main), ("overhead.hashtable.expires", expires),
                                        ("overhead.hashtable.slot-to-keys", Int64(0))]))
        }
        let frag = f.used > 0 ? Double(f.rss) / Double(f.used) : 0
        items += [
            ("overhead.total", f.overhead), ("keys.count", Int64(f.keys)),
            ("keys.bytes-per-key", Int64(f.keys == 0 ? 0 : (f.used - f.startup) / Int64(f.keys))),
            ("dataset.bytes", dataset), ("dataset.percentage", Double(dataset) * 100 / Double(net)),
            ("peak.percentage", f.peak > 0 ? Double(f.used) * 100 / Double(f.peak) : 0),
            // glibc has no active/resident split: allocated, active and resident are in-use bytes and RSS.
            ("allocator.allocated", f.used), ("allocator.active", f.used), ("allocator.resident", f.rss),
            ("allocator-fragmentation.ratio", 1.0), ("allocator-fragmentation.bytes", Int64(0)),
            ("allocator-rss.ratio", frag), ("allocator-rss.bytes", f.rss - f.used),
            ("rss-overhead.ratio", 1.0), ("rss-overhead.bytes", Int64(0)),
            ("fragmentation", frag), ("fragmentation.bytes", f.rss - f.used),
        ]
        c.reply.mapHeader(items.count)
        for (name, value) in items {
            c.reply.bulk(name)
            write(c, value)
        }
    }

    private static func write(_ c: Client, _ value: Any) {
        switch value {
        case let n as Int64: c.reply.integer(n)
        case let d as Double: c.reply.double(d)
        case let m as [(String, Int64)]:
            c.reply.mapHeader(m.count)
            for (k, v) in m {
                c.reply.bulk(k)
                c.reply.integer(v)
            }
        default: c.reply.null()
        }
    }

    /// MEMORY DOCTOR: Redis's report texts for an empty instance, a healthy one, and the issues it detects.
    static func doctor(_ c: Client) {
        let f = Figures(c.server)
        // Redis's "empty" test is 5 MB allocated in all; its own baseline is about 1 MB, ours is the startup
        // figure, so the test is made on what was allocated since.
        if f.used - f.startup < 4 * 1024 * 1024 {
            c.reply.verbatim("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n")
            return
        }
        var issues: [String] = []
        if f.peak > 0 && Double(f.peak) / Double(max(1, f.used)) > 1.5 {
            issues.append(" * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n")
        }
        if f.rss > 0 && Double(f.rss) / Double(max(1, f.used)) > 1.4 && f.rss - f.used > 10 * 1024 * 1024 {
            issues.append(" * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n")
        }
        if issues.isEmpty {
            c.reply.verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")
            return
        }
        c.reply.verbatim("Sam, I detected a few issues in this Redis instance memory implants:\n\n" + issues.joined()
                         + "I'm here to keep you safe, Sam. I want to help you.\n")
    }

    /// MEMORY MALLOC-STATS: glibc has no report Redis would print (Redis's text for a non-jemalloc build).
    static func mallocStats(_ c: Client) {
        c.reply.bulk("Stats not supported for the current allocator")
    }

    /// MEMORY PURGE: gives free heap pages back to the system (glibc `malloc_trim`).
    static func purge(_ c: Client) {
        _ = malloc_trim(0)
        c.reply.ok()
    }

    /// MEMORY HELP
    static func help(_ c: Client) {
        HelpReply.send(c, command: "memory", entries: [
            ("doctor", ["DOCTOR", "    Return memory problems reports."]),
            ("malloc-stats", ["MALLOC-STATS", "    Return internal statistics report from the memory allocator."]),
            ("purge", ["PURGE", "    Attempt to purge dirty pages for reclamation by the allocator."]),
            ("stats", ["STATS", "    Return information about the memory usage of the server."]),
            ("usage", ["USAGE <key> [SAMPLES <count>]",
                       "    Return memory in bytes used by <key> and its value. Nested values are",
                       "    sampled up to <count> times (default: 5, 0 means sample all)."]),
        ])
    }
}
