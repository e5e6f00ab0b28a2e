#if canImport(Glibc)
import Glibc
#endif

/// The server's configuration: every `redis.conf` directive this server understands, with Redis's names,
/// defaults and value syntax. CONFIG GET/SET, the config file and `--directive value` all go through here.
public final class Config {
    /// One directive: how to read and write it.
    public struct Directive {
        public let name: String
        public let aliases: [String]
        /// False for directives that can only be set at start (CONFIG SET refuses them).
        public let mutable: Bool
        public let get: (Config) -> String
        /// Throws a message (without the `ERR` prefix) on bad values.
        public let set: (Config, [String]) throws(ConfigError) -> Void
        /// True for directives whose value is a space-separated list written as several arguments in a config
        /// file (`bind`, `save`): CONFIG REWRITE writes them unquoted, one argument per item, as Redis reads them.
        public var multiArg = false
    }

    public struct ConfigError: Error {
        public let message: String
        public init(_ message: String) { self.message = message }
    }

    // Network
    public var bind: [String] = ["*", "-::*"]
    public var port = 6379
    public var protectedMode = true
    public var maxclients = 10000
    public var timeout = 0
    public var tcpKeepalive = 300
    public var tcpBacklog = 511
    // General
    public var databases = 16
    public var loglevel = "notice"
    public var logfile = ""
    public var pidfile = ""
    public var daemonize = false
    public var hz = 10
    public var ioThreads = 1
    public var enableDebugCommand = "no"
    /// `enable-protected-configs`: whether CONFIG SET may change the `protectedDirectives` (no, yes, local).
    public var enableProtectedConfigs = "no"
    /// Directives Redis 7.0 marks PROTECTED_CONFIG: CONFIG SET refuses them unless `enable-protected-configs` allows.
    public static let protectedDirectives: Set<String> = ["dir", "dbfilename"]
    // Security and limits
    public var requirepass = ""
    public var protoMaxBulkLen: Int64 = 512 * 1024 * 1024
    public var clientQueryBufferLimit: Int64 = 1024 * 1024 * 1024
    public var maxmemory: Int64 = 0
    public var maxmemoryPolicy = "noeviction"
    /// Milliseconds a script runs before other clients get `-BUSY` (`busy-reply-threshold`, alias `lua-time-limit`).
    public var busyReplyThreshold = 5000
    /// Bytes the Lua VM may allocate (ours; 0 = no limit): past it allocations fail and the script errors cleanly.
    public var luaMemoryLimit: Int64 = 0
    // Persistence
    /// `save` points as configured ("3600 1 300 100 60 10000" is Redis 7.0's default without a config file).
    public var save = "3600 1 300 100 60 10000"
    public var rdbcompression = true
    public var rdbchecksum = true
    public var stopWritesOnBgsaveError = true
    public var rdbSaveIncrementalFsync = true
    /// Set once a config file or the command line gave a `save` line: further lines add points (as Redis).
    var saveGivenAtStartup = false
    public var sanitizeDumpPayload = "no"
    /// Test aid (as Redis): a delay per key written by a snapshot, in µs (negative -N: 1 µs every N keys).
    public var rdbKeySaveDelay = 0
    /// Test aid (as Redis): a delay per key loaded at start, in µs (negative -N: 1 µs every N keys).
    public var keyLoadDelay = 0
    public var appendonly = false
    public var dir = ""
    public var dbfilename = "dump.rdb"
    public var appendfilename = "appendonly.aof"
    // AOF (Kernel/Persistence/AOF*.swift)
    public var appenddirname = "appendonlydir"
    public var appendfsync = "everysec"
    public var noAppendfsyncOnRewrite = false
    public var autoAofRewritePercentage = 100
    public var autoAofRewriteMinSize: Int64 = 64 * 1024 * 1024
    public var aofLoadTruncated = true
    public var aofUseRdbPreamble = true
    public var aofTimestampEnabled = false
    public var aofRewriteIncrementalFsync = true
    /// Called by `CONFIG SET appendonly` (not at start-up) to turn the AOF on or off; throws to refuse.
    public var onAppendonlyChange: ((Bool) throws(ConfigError) -> Void)?
    // Lazy freeing (accepted for compatibility: all frees are immediate)
    public var lazyfreeLazyUserDel = false
    public var lazyfreeLazyUserFlush = false
    public var lazyfreeLazyExpire = false
    public var lazyfreeLazyEviction = false
    public var lazyfreeLazyServerDel = false
    // Compact encodings of small collections (Redis's thresholds)
    /// 512: redis-server's built-in default (the sample redis.conf says 128, but no config file means 512).
    public var hashMaxListpackEntries = 512
    public var hashMaxListpackValue = 64
    public var setMaxIntsetEntries = 512
    public var zsetMaxListpackEntries = 128
    public var zsetMaxListpackValue = 64
    /// A sparse HyperLogLog growing past this many bytes (header included) becomes dense.
    public var hllSparseMaxBytes: Int64 = 3000
    public var listMaxListpackSize = -2
    public var listCompressDepth = 0
    /// Stream nodes: a node takes no more entries once its listpack plus the new fields reach this many bytes
    /// (0 = no limit but Redis's 1 GB), or once it holds this many entries (live and deleted; 0 = no limit).
    public var streamNodeMaxBytes: Int64 = 4096
    public var streamNodeMaxEntries: Int64 = 100
    // Output buffer limits (normal and pubsub classes; replica joins with replication)
    public var outputLimitNormal = OutputBufferLimit(hard: 0, soft: 0, softSeconds: 0)
    public var outputLimitReplica = OutputBufferLimit(hard: 256 << 20, soft: 64 << 20, softSeconds: 60)
    public var outputLimitPubSub = OutputBufferLimit(hard: 32 << 20, soft: 8 << 20, softSeconds: 60)
    /// `notify-keyspace-events` as configured (flag letters).
    public var notifyKeyspaceEvents = ""
    // Observability
    public var slowlogLogSlowerThan: Int64 = 10000
    public var slowlogMaxLen: Int64 = 128
    public var activeExpireEnabled = true
    // Replication
    public var replBacklogSize: Int64 = 1 << 20
    public var replBacklogTtl = 3600
    public var replPingReplicaPeriod = 10
    public var replTimeout = 60
    public var replicaReadOnly = true
    public var replicaServeStaleData = true
    public var replicaPriority = 100
    public var replicaAnnounced = true
    /// `replica-announce-ip` / `replica-announce-port`: what a replica tells its master in REPLCONF ("" / 0: its own).
    public var replicaAnnounceIp = ""
    /// `replica-lazy-flush` and `repl-disable-tcp-nodelay`: accepted for compatibility, no effect (flushes are
    /// immediate; replication sockets always use TCP_NODELAY).
    public var replicaLazyFlush = false
    public var replDisableTcpNodelay = false
    public var replicaAnnouncePort = 0
    public var masterauth = ""
    public var masteruser = ""
    /// `replicaof host port` from the config file or the command line ("" when none).
    public var replicaof = ""
    public var replDisklessSync = true
    public var replDisklessSyncDelay = 5
    /// `repl-diskless-sync-max-replicas`: start a diskless sync at once when this many replicas wait (0: no).
    public var replDisklessSyncMaxReplicas = 0
    /// `repl-diskless-load`: `disabled` (the image is saved to the RDB file, then loaded), `on-empty-db`,
    /// `swapdb` (loaded from memory without touching the file).
    public var replDisklessLoad = "disabled"
    public var minReplicasToWrite = 0
    public var minReplicasMaxLag = 10
    /// Command families that are not registered (hardened deployments).
    public var disabledFamilies: [String] = []
    /// ACL and hardening settings (Config+Security.swift).
    public let security = SecurityConfig()
    /// Path of the config file the server started with, if any.
    public var configFile = ""

    public init() {}

    /// Called when `notify-keyspace-events` changes, so the server re-reads the flags.
    public var onNotifyChange: (() -> Void)?

    /// Called after a successful CONFIG SET, so the server can apply live changes (hz, timeouts, ...).
    public var onChange: ((String) -> Void)?

    // MARK: - Directive table

    public static let directives: [Directive] = {
        var d: [Directive] = []
        func str(_ name: String, _ kp: ReferenceWritableKeyPath<Config, String>,
                 valid: [String]? = nil, mutable: Bool = true) {
            d.append(Directive(name: name, aliases: [], mutable: mutable, get: { $0[keyPath: kp] }, set: { c, v throws(ConfigError) in
                let s = v.joined(separator: " ")
                if let valid, !valid.contains(s.lowercased()) { throw ConfigError("argument(s) must be one of the following: \(valid.joined(separator: ", "))") }
                c[keyPath: kp] = valid == nil ? s : s.lowercased()
            }))
        }
        func bool(_ name: String, _ kp: ReferenceWritableKeyPath<Config, Bool>, mutable: Bool = true, aliases: [String] = []) {
            d.append(Directive(name: name, aliases: aliases, mutable: mutable, get: { $0[keyPath: kp] ? "yes" : "no" }, set: { c, v throws(ConfigError) in
                switch v.joined(separator: " ").lowercased() {
                case "yes": c[keyPath: kp] = true
                case "no": c[keyPath: kp] = false
                default: throw ConfigError("argument must be 'yes' or 'no'")
                }
            }))
        }
        func int(_ name: String, _ kp: ReferenceWritableKeyPath<Config, Int>, _ range: ClosedRange<Int>, mutable: Bool = true,
                 aliases: [String] = []) {
            d.append(Directive(name: name, aliases: aliases, mutable: mutable, get: { String($0[keyPath: kp]) }, set: { c, v throws(ConfigError) in
                guard v.count == 1, let n = Int(v[0]) else { throw ConfigError("argument couldn't be parsed into an integer") }
                guard range.contains(n) else { throw ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive") }
                c[keyPath: kp] = n
            }))
        }
        func mem(_ name: String, _ kp: ReferenceWritableKeyPath<Config, Int64>, _ range: ClosedRange<Int64>, mutable: Bool = true) {
            d.append(Directive(name: name, aliases: [], mutable: mutable, get: { String($0[keyPath: kp]) }, set: { c, v throws(ConfigError) in
                // Redis parses memory values as unsigned: a negative one is not a memory value at all, and an empty
                // one reads as 0 (memtoull).
                guard v.count == 1, let n = v[0].isEmpty ? 0 : parseMemory(v[0]), n >= 0 else {
                    throw ConfigError("argument must be a memory value")
                }
                guard range.contains(n) else { throw ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive") }
                c[keyPath: kp] = n
            }))
        }
        func int64(_ name: String, _ kp: ReferenceWritableKeyPath<Config, Int64>, _ range: ClosedRange<Int64>) {
            d.append(Directive(name: name, aliases: [], mutable: true, get: { String($0[keyPath: kp]) }, set: { c, v throws(ConfigError) in
                guard v.count == 1, let n = Int64(v[0]) else { throw ConfigError("argument couldn't be parsed into an integer") }
                guard range.contains(n) else { throw ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive") }
                c[keyPath: kp] = n
            }))
        }
        d.append(Directive(name: "bind", aliases: [], mutable: false, get: { $0.bind.joined(separator: " ") }, set: { c, v throws(ConfigError) in
            let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
            guard !parts.isEmpty else { throw ConfigError("Too many bind addresses specified.") }
            c.bind = parts
        }, multiArg: true))
        int("port", \.port, 0...65535, mutable: false)
        bool("protected-mode", \.protectedMode)
        int("maxclients", \.maxclients, 1...Int(Int32.max))
        int("timeout", \.timeout, 0...Int(Int32.max))
        int("tcp-keepalive", \.tcpKeepalive, 0...Int(Int32.max))
        int("tcp-backlog", \.tcpBacklog, 0...Int(Int32.max), mutable: false)
        int("databases", \.databases, 1...Int(Int32.max), mutable: false)
        str("loglevel", \.loglevel, valid: ["debug", "verbose", "notice", "warning", "nothing"])
        str("logfile", \.logfile, mutable: false)
        str("pidfile", \.pidfile, mutable: false)
        bool("daemonize", \.daemonize, mutable: false)
        int("hz", \.hz, 0...Int(Int32.max))
        int("io-threads", \.ioThreads, 1...128, mutable: false)
        str("enable-debug-command", \.enableDebugCommand, valid: ["no", "yes", "local"], mutable: false)
        str("enable-protected-configs", \.enableProtectedConfigs, valid: ["no", "yes", "local"], mutable: false)
        mem("proto-max-bulk-len", \.protoMaxBulkLen, 1024 * 1024...Int64.max)
        mem("client-query-buffer-limit", \.clientQueryBufferLimit, 1024 * 1024...Int64.max)
        mem("maxmemory", \.maxmemory, 0...Int64.max)
        str("maxmemory-policy", \.maxmemoryPolicy, valid: ["noeviction"])
        int("busy-reply-threshold", \.busyReplyThreshold, 0...Int(Int64.max), aliases: ["lua-time-limit"])
        mem("lua-memory-limit", \.luaMemoryLimit, 0...Int64.max)
        d.append(Directive(name: "save", aliases: [], mutable: true, get: { $0.save }, set: { c, v throws(ConfigError) in
            let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
            if parts.count % 2 != 0 || parts.contains(where: { Int($0) == nil }) {
                if !(parts.isEmpty) { throw ConfigError("Invalid save parameters") }
            }
            c.save = parts.joined(separator: " ")
        }, multiArg: true))
        // AOF
        d.append(Directive(name: "appendonly", aliases: [], mutable: true, get: { $0.appendonly ? "yes" : "no" }, set: { c, v throws(ConfigError) in
            let on: Bool
            switch v.joined(separator: " ").lowercased() {
            case "yes": on = true
            case "no": on = false
            default: throw ConfigError("argument must be 'yes' or 'no'")
            }
            if on != c.appendonly, let hook = c.onAppendonlyChange { try hook(on) }
            c.appendonly = on
        }))
        str("appendfsync", \.appendfsync, valid: ["everysec", "always", "no"])
        bool("no-appendfsync-on-rewrite", \.noAppendfsyncOnRewrite)
        int("auto-aof-rewrite-percentage", \.autoAofRewritePercentage, 0...Int(Int32.max))
        mem("auto-aof-rewrite-min-size", \.autoAofRewriteMinSize, 0...Int64.max)
        bool("aof-load-truncated", \.aofLoadTruncated)
        bool("aof-use-rdb-preamble", \.aofUseRdbPreamble)
        bool("aof-timestamp-enabled", \.aofTimestampEnabled)
        bool("aof-rewrite-incremental-fsync", \.aofRewriteIncrementalFsync)
        d.append(Directive(name: "appenddirname", aliases: [], mutable: false, get: { $0.appenddirname }, set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ")
            if s.contains("/") || s == "." || s == ".." { throw ConfigError("appenddirname can't be a path, just a dirname") }
            c.appenddirname = s
        }))
        d.append(Directive(name: "appendfilename", aliases: [], mutable: false, get: { $0.appendfilename }, set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ")
            if s.contains("/") { throw ConfigError("appendfilename can't be a path, just a filename") }
            c.appendfilename = s
        }))
        d.append(Directive(name: "dir", aliases: [], mutable: true, get: { _ in Config.workingDirectory() }, set: { c, v throws(ConfigError) in
            let path = v.joined(separator: " ")
            guard chdir(path) == 0 else { throw ConfigError(String(cString: strerror(errno))) }
            c.dir = path
        }))
        d.append(Directive(name: "dbfilename", aliases: [], mutable: true, get: { $0.dbfilename }, set: { c, v throws(ConfigError) in
            let name = v.joined(separator: " ")
            guard !name.contains("/") else { throw ConfigError("dbfilename can't be a path, just a filename") }
            c.dbfilename = name
        }))
        bool("rdbcompression", \.rdbcompression)
        d.append(Directive(name: "repl-backlog-size", aliases: [], mutable: true, get: { String($0.replBacklogSize) }, set: { c, v throws(ConfigError) in
            guard v.count == 1, let n = parseMemory(v[0]) else { throw ConfigError("argument must be a memory value") }
            guard n >= 1 else { throw ConfigError("argument must be between 1 and \(Int64.max) inclusive") }
            // Redis 7.0 raises a smaller value to its 16 KB minimum (resizeReplicationBacklog).
            c.replBacklogSize = max(n, 16384)
        }))
        int("repl-backlog-ttl", \.replBacklogTtl, 0...Int(Int32.max))
        int("repl-ping-replica-period", \.replPingReplicaPeriod, 1...Int(Int32.max), aliases: ["repl-ping-slave-period"])
        int("repl-timeout", \.replTimeout, 1...Int(Int32.max))
        bool("replica-read-only", \.replicaReadOnly, aliases: ["slave-read-only"])
        bool("replica-serve-stale-data", \.replicaServeStaleData, aliases: ["slave-serve-stale-data"])
        int("replica-priority", \.replicaPriority, 0...Int(Int32.max), aliases: ["slave-priority"])
        bool("replica-announced", \.replicaAnnounced)
        d.append(Directive(name: "replica-announce-ip", aliases: ["slave-announce-ip"], mutable: true, get: { $0.replicaAnnounceIp }, set: { c, v throws(ConfigError) in
            c.replicaAnnounceIp = v.joined(separator: " ")
        }))
        int("replica-announce-port", \.replicaAnnouncePort, 0...65535, aliases: ["slave-announce-port"])
        bool("replica-lazy-flush", \.replicaLazyFlush, aliases: ["slave-lazy-flush"])
        bool("repl-disable-tcp-nodelay", \.replDisableTcpNodelay)
        str("masterauth", \.masterauth)
        str("masteruser", \.masteruser)
        d.append(Directive(name: "replicaof", aliases: ["slaveof"], mutable: false, get: { $0.replicaof }, set: { c, v throws(ConfigError) in
            let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
            guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
                throw ConfigError("wrong number of arguments")
            }
            c.replicaof = parts.joined(separator: " ")
        }, multiArg: true))
        bool("repl-diskless-sync", \.replDisklessSync)
        int("repl-diskless-sync-delay", \.replDisklessSyncDelay, 0...Int(Int32.max))
        int("repl-diskless-sync-max-replicas", \.replDisklessSyncMaxReplicas, 0...Int(Int32.max))
        str("repl-diskless-load", \.replDisklessLoad, valid: ["disabled", "on-empty-db", "swapdb"])
        int("min-replicas-to-write", \.minReplicasToWrite, 0...Int(Int32.max), aliases: ["min-slaves-to-write"])
        int("min-replicas-max-lag", \.minReplicasMaxLag, 0...Int(Int32.max), aliases: ["min-slaves-max-lag"])
        bool("rdbchecksum", \.rdbchecksum)
        bool("stop-writes-on-bgsave-error", \.stopWritesOnBgsaveError)
        bool("rdb-save-incremental-fsync", \.rdbSaveIncrementalFsync)
        int("rdb-key-save-delay", \.rdbKeySaveDelay, Int(Int32.min)...Int(Int32.max))
        int("key-load-delay", \.keyLoadDelay, Int(Int32.min)...Int(Int32.max))
        str("sanitize-dump-payload", \.sanitizeDumpPayload, valid: ["no", "yes", "clients"])
        bool("lazyfree-lazy-user-del", \.lazyfreeLazyUserDel)
        bool("lazyfree-lazy-user-flush", \.lazyfreeLazyUserFlush)
        bool("lazyfree-lazy-expire", \.lazyfreeLazyExpire)
        bool("lazyfree-lazy-eviction", \.lazyfreeLazyEviction)
        bool("lazyfree-lazy-server-del", \.lazyfreeLazyServerDel)
        int("hash-max-listpack-entries", \.hashMaxListpackEntries, 0...Int(Int32.max), aliases: ["hash-max-ziplist-entries"])
        int("hash-max-listpack-value", \.hashMaxListpackValue, 0...Int(Int32.max), aliases: ["hash-max-ziplist-value"])
        int("set-max-intset-entries", \.setMaxIntsetEntries, 0...Int(Int32.max))
        int("zset-max-listpack-entries", \.zsetMaxListpackEntries, 0...Int(Int32.max), aliases: ["zset-max-ziplist-entries"])
        int("zset-max-listpack-value", \.zsetMaxListpackValue, 0...Int(Int32.max), aliases: ["zset-max-ziplist-value"])
        int("list-max-listpack-size", \.listMaxListpackSize, Int(Int32.min)...Int(Int32.max), aliases: ["list-max-ziplist-size"])
        int("list-compress-depth", \.listCompressDepth, 0...Int(Int32.max))
        mem("stream-node-max-bytes", \.streamNodeMaxBytes, 0...Int64.max)
        int64("stream-node-max-entries", \.streamNodeMaxEntries, 0...Int64.max)
        mem("hll-sparse-max-bytes", \.hllSparseMaxBytes, 0...Int64.max)
        int64("slowlog-log-slower-than", \.slowlogLogSlowerThan, -1...Int64.max)
        int64("slowlog-max-len", \.slowlogMaxLen, 0...Int64(Int32.max))
        d.append(Directive(name: "client-output-buffer-limit", aliases: [], mutable: true, get: { c in
            func f(_ n: String, _ l: OutputBufferLimit) -> String { "\(n) \(l.hard) \(l.soft) \(l.softSeconds)" }
            return [f("normal", c.outputLimitNormal), f("slave", c.outputLimitReplica), f("pubsub", c.outputLimitPubSub)].joined(separator: " ")
        }, set: { c, v throws(ConfigError) in
            let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
            guard !parts.isEmpty, parts.count % 4 == 0 else { throw ConfigError("Wrong number of arguments in buffer limit configuration.") }
            var updates: [(String, OutputBufferLimit)] = []
            for i in stride(from: 0, to: parts.count, by: 4) {
                let cls = parts[i].lowercased()
                guard ["normal", "slave", "replica", "pubsub"].contains(cls) else { throw ConfigError("Invalid client class specified in buffer limit configuration.") }
                guard let h = parseMemory(parts[i + 1]), let s = parseMemory(parts[i + 2]), let secs = Int64(parts[i + 3]), h >= 0, s >= 0, secs >= 0 else {
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
        }))
        d.append(Directive(name: "notify-keyspace-events", aliases: [], mutable: true, get: { $0.notifyKeyspaceEvents }, set: { c, v throws(ConfigError) in
            guard let flags = KeyspaceEventClass.parse(v.joined()) else { throw ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.") }
            c.notifyKeyspaceEvents = flags.letters
            c.onNotifyChange?()
        }))
        d.append(contentsOf: Config.securityDirectives())
        // Repeatable: every line (or --disable-command-family) adds to the list.
        d.append(Directive(name: "disable-command-family", aliases: ["disable-module-families"], mutable: false, get: { $0.disabledFamilies.joined(separator: " ") }, set: { c, v throws(ConfigError) in
            for name in v.flatMap({ $0.split(separator: " ").map { String($0).lowercased() } })
            where !c.disabledFamilies.contains(name) {
                c.disabledFamilies.append(name)
            }
        }, multiArg: true))
        return d
    }()

    /// The absolute working directory (CONFIG GET dir).
    public static func workingDirectory() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        return getcwd(&buf, buf.count) != nil ? String(cString: buf) : ""
    }

    /// The parsed `save <seconds> <changes>` points.
    public var savePoints: [(seconds: Int64, changes: Int64)] {
        let parts = save.split(separator: " ").compactMap { Int64($0) }
        return stride(from: 0, to: parts.count - 1, by: 2).map { (parts[$0], parts[$0 + 1]) }
    }

    /// Finds a directive by exact (case-insensitive) name.
    public static func directive(named name: String) -> Directive? {
        let n = name.lowercased()
        return directives.first { $0.name == n || $0.aliases.contains(n) }
    }

    /// Parses Redis memory units: `1gb`, `100mb`, `10k`, `512`.
    public static func parseMemory(_ s: String) -> Int64? {
        let lower = s.lowercased()
        let units: [(String, Int64)] = [("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1_000_000_000),
                                        ("m", 1_000_000), ("k", 1000), ("b", 1)]
        for (suffix, mul) in units where lower.hasSuffix(suffix) {
            guard let n = Int64(lower.dropLast(suffix.count)) else { return nil }
            let (r, o) = n.multipliedReportingOverflow(by: mul)
            return o ? nil : r
        }
        return Int64(lower)
    }

    /// Applies one directive (from a file line, the command line or CONFIG SET).
    public func set(_ name: String, _ values: [String], atStartup: Bool) throws(ConfigError) {
        guard let d = Config.directive(named: name) else { throw ConfigError("Bad directive or wrong number of arguments") }
        if !atStartup && !d.mutable { throw ConfigError("can't set immutable config") }
        if d.name == "save" && atStartup {
            // In a config file, the first `save` line replaces the default points and later lines add to them.
            let previous = saveGivenAtStartup ? save : ""
            try d.set(self, values)
            saveGivenAtStartup = true
            if !previous.isEmpty && !save.isEmpty { save = previous + " " + save }
            return
        }
        try d.set(self, values)
        if !atStartup { onChange?(d.name) }
    }
}
