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
        /// True for directives a config file line may give several arguments (`client-output-buffer-limit normal
        /// 0 0 0`), joined with spaces; every other directive takes exactly one argument there, as in Redis.
        public var variadic = false
        /// Hidden directives (Redis's HIDDEN_CONFIG, and ours that Redis lacks) answer CONFIG GET by exact name
        /// only, never a glob, so `CONFIG GET *` lists the same names as redis-server.
        public var hidden = false
        /// How CONFIG REWRITE writes the value (Redis: strings quoted, memory values in units).
        public var format = ValueFormat.plain
        /// Module configs only (Config+Modules.swift): the module that registered it, the value CONFIG REWRITE
        /// compares with, Redis's PROTECTED / DENY_LOADING / SENSITIVE flags, and the module's apply step.
        public var module: ModuleConfigInfo?
    }

    /// How a directive's value is written in a config file by CONFIG REWRITE.
    public enum ValueFormat {
        /// As CONFIG GET shows it (numbers, yes/no, enum names, several arguments).
        case plain
        /// One argument, always double-quoted with escapes (Redis's `sdscatrepr`).
        case quoted
        /// Bytes, written as `Ngb`, `Nmb` or `Nkb` when an exact multiple.
        case memory
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
    /// `enable-module-command`: whether MODULE LOAD/LOADEX/UNLOAD run (no, yes, local).
    public var enableModuleCommand = "no"
    /// `loadmodule path [args]` lines: the modules loaded at start, each as its path and arguments.
    public var loadModules: [[String]] = []
    /// `enable-protected-configs`: whether CONFIG SET may change the `protectedDirectives` (no, yes, local).
    public var enableProtectedConfigs = "no"
    /// Directives Redis 7.0 marks PROTECTED_CONFIG: CONFIG SET refuses them unless `enable-protected-configs` allows.
    public static let protectedDirectives: Set<String> = ["dir", "dbfilename"]
    // Security and limits
    public var requirepass = ""
    public var protoMaxBulkLen: Int64 = 512 * 1024 * 1024
    public var clientQueryBufferLimit: Int64 = 1024 * 1024 * 1024
    /// `maxmemory-clients`: bytes all clients together may use before the largest are evicted; a negative value
    /// is a percentage of `maxmemory` (`10%` is -10); 0 turns client eviction off.
    public var maxmemoryClients: Int64 = 0
    /// `tracking-table-max-keys`: keys the tracking table remembers before random ones are invalidated (0 = no limit).
    public var trackingTableMaxKeys: Int = 1_000_000
    public var maxmemory: Int64 = 0
    /// maxmemory-policy, maxmemory-samples, lfu-* and friends (Config+Eviction.swift).
    public let eviction = EvictionSettings()
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
    // Lazy freeing (Kernel/Keyspace/LazyFree.swift)
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
    /// `latency-monitor-threshold` (ms; 0 = off), `latency-tracking`, `latency-tracking-info-percentiles`: see
    /// Config+Observability.swift.
    public var latencyMonitorThreshold: Int64 = 0
    public var latencyTracking = true
    public var latencyTrackingInfoPercentiles: [Double] = [50, 99, 99.9]
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
    /// `replica-lazy-flush`: a full sync frees the old dataset in the background. `repl-disable-tcp-nodelay`:
    /// accepted for compatibility, no effect (replication sockets always use TCP_NODELAY).
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
    // Process (Config+Process.swift applies them at start)
    public var alwaysShowLogo = false
    public var unixsocket = ""
    /// Permissions of the Unix socket file (octal in the config, 0 = leave the umask's).
    public var unixsocketperm = 0
    public var syslogEnabled = false
    public var syslogIdent = "redis"
    public var syslogFacility = "local0"
    /// `dynamic-hz`: the cron runs faster (up to 500 Hz) as clients grow, as in Redis.
    public var dynamicHz = true
    /// `active-expire-effort` 1..10: more keys sampled and more time spent per active expiry cycle.
    public var activeExpireEffort = 1
    /// `shutdown-on-sigint` / `shutdown-on-sigterm` flags: `default` or any of save, nosave, now, force.
    public var shutdownOnSigint = "default"
    public var shutdownOnSigterm = "default"
    /// `oom-score-adj` (no, yes, relative, absolute) and its values for a master, a replica and a child.
    public var oomScoreAdj = "no"
    public var oomScoreAdjValues = [0, 200, 800]
    /// The configs modules registered (`<module>.<name>`), in registration order, and their index by name.
    public internal(set) var moduleDirectives: [Directive] = []
    var moduleDirectiveIndex: [String: Int] = [:]
    /// `<module>.<name> value` lines of the config file / command line waiting for their module (Redis's
    /// module_configs_queue): applied when it loads; any left once every `loadmodule` ran aborts the start.
    public var moduleConfigQueue: [(name: String, value: String)] = []
    /// The `loadmodule` lines CONFIG REWRITE writes for the modules loaded from libraries (set by the module host).
    public var moduleLoadLines: (() -> [String])?
    /// Directives accepted, stored and reported as Redis does but with no effect here (docs/CONFIG.md lists
    /// them and why), by canonical name; the text is the value CONFIG GET shows.
    public var stored: [String: String] = [:]

    /// `activerehashing`: whether the cron spends 1 ms per tick on a running key-table resize.
    public var activeRehashing: Bool { stored["activerehashing"].flatMap { Bool($0) } ?? true }
    /// Set once the server runs: CONFIG SET (not the config file) may then refuse what the system cannot do.
    public var running = false
    /// Writes the OOM score for the current settings (set by the server); false when the kernel refuses.
    public var applyOOMScore: (() -> Bool)?

    public init() {}

    /// Called when `notify-keyspace-events` changes, so the server re-reads the flags.
    public var onNotifyChange: (() -> Void)?

    /// Called after a successful CONFIG SET, so the server can apply live changes (hz, timeouts, ...).
    public var onChange: ((String) -> Void)?

    /// Listens again on `bind` at `port` after CONFIG SET changed them (set by the listener); false when an
    /// address cannot be bound, and CONFIG SET then restores the previous values and listens on them again.
    public var rebind: ((Config) -> Bool)?

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

    /// Finds a server directive by exact (case-insensitive) name (module configs: `lookup`).
    public static func directive(named name: String) -> Directive? {
        byName[name.lowercased()].map { directives[$0] }
    }

    /// Index of `directives` by name and alias.
    static let byName: [String: Int] = {
        var index: [String: Int] = [:]
        for (i, d) in directives.enumerated() {
            for n in [d.name] + d.aliases { index[n] = i }
        }
        return index
    }()

    /// Parses Redis memory units: `1gb`, `100mb`, `10k`, `512` (digits only, then an optional unit; nil when
    /// malformed or past Int64).
    public static func parseMemory(_ s: String) -> Int64? {
        guard let v = parseMemoryUnsigned(s), v <= UInt64(Int64.max) else { return nil }
        return Int64(v)
    }

    /// Redis's `memtoull`: decimal digits then an optional unit (b, k, kb, m, mb, g, gb, any case); an empty
    /// number reads as 0, a sign or any other byte makes it no memory value. Too many digits saturate and the
    /// product wraps, as in C.
    public static func parseMemoryUnsigned(_ s: String) -> UInt64? {
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
        let unit = String(decoding: bytes[i...], as: UTF8.self).lowercased()
        let mul: UInt64
        switch unit {
        case "", "b": mul = 1
        case "k": mul = 1000
        case "kb": mul = 1024
        case "m": mul = 1_000_000
        case "mb": mul = 1 << 20
        case "g": mul = 1_000_000_000
        case "gb": mul = 1 << 30
        default: return nil
        }
        if i == 0 { return 0 }
        // strtoull saturates at ULLONG_MAX; the unit then multiplies with wrap-around, as in C.
        let n = UInt64(String(decoding: bytes[..<i], as: UTF8.self)) ?? UInt64.max
        return n &* mul
    }

    /// Applies one directive (from a file line, the command line or CONFIG SET).
    public func set(_ name: String, _ values: [String], atStartup: Bool) throws(ConfigError) {
        guard let d = lookup(name) else { throw ConfigError("Bad directive or wrong number of arguments") }
        if !atStartup && !d.mutable { throw ConfigError("can't set immutable config") }
        if atStartup && values.count != 1 && !d.variadic && !d.multiArg { throw ConfigError("wrong number of arguments") }
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
