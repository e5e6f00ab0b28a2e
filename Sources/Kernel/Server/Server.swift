import Atomics
import CMallocInfo
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The data owner: databases, clients, the command table and the dispatcher.
///
/// Exactly one thread at a time works on it, the one holding `lock` (DESIGN §3, design (a)): each I/O loop
/// takes the lock once per read batch, parses and executes every complete command of that batch, and releases
/// it before flushing the replies. With one I/O loop the lock is never contended.
public final class Server {
    public let config: Config
    public let commands: CommandTable
    public private(set) var databases: [Database] = []
    /// Connected clients by id.
    public internal(set) var clients: [UInt64: Client] = [:]
    public var stats = ServerStats()
    public let log: Logger
    /// The one data lock.
    public let lock = DataLock()
    /// The running script, as the I/O loops see it without the lock (never deaf).
    public let busyScript = BusyScript()
    /// State other targets keep per server (the scripting engine), by name.
    public var attachments: [String: AnyObject] = [:]
    /// Extra INFO fields by section name, from other targets (scripting's memory fields).
    public var infoProviders: [String: [(Server) -> [(String, String)]]] = [:]
    /// Module-generated INFO sections (set by the module host): each section's title (`<module>_<name>`) and
    /// fields, for every section when `requested` is nil, else those named or whose module is named (Redis's
    /// modulesCollectInfo / RedisModule_InfoAddSection).
    public var moduleInfoSections: ((_ requested: Set<String>?) -> [(title: String, fields: [(String, String)])])?
    /// Where nested effects may go (a script's redis.set_repl narrows it while it runs).
    public var propagationMask: PropagationTarget = .all
    public let runId: String
    /// `standalone`, or `sentinel` when the process runs as a Sentinel (INFO's redis_mode, HELLO's mode).
    public var mode = "standalone"
    public let startTime: Int64
    /// Unix ms, fixed for the duration of one command (Redis's command time snapshot).
    public internal(set) var commandTime: Int64
    /// Seconds clock for LRU stamps.
    public internal(set) var lruClock: UInt32 = 0
    /// Set while the current command must not touch the LRU clock.
    public internal(set) var noTouch = false
    /// Incremented by every change to the dataset (Redis's `server.dirty`).
    public var dirty: Int64 = 0
    /// The next client id. Atomic: the accept thread takes the id of each connection it accepts, so ids follow
    /// the order of `accept` even when connections are activated on different I/O loops (as Redis numbers them).
    let nextClientId = ManagedAtomic<UInt64>(1)
    var blockedOnKey: [BlockKey: [Client]] = [:]
    var readyKeys: [BlockKey] = []
    var readyKeySet: Set<BlockKey> = []
    var blockSequence: UInt64 = 0
    var blockedCount = 0
    var watchers: [BlockKey: [Client]] = [:]
    var _keyspaceEventFlags: KeyspaceEventClass = []
    /// Client-side caching (CLIENT TRACKING) state.
    public let tracking = TrackingRegistry()
    /// Pub/sub subscriptions.
    public let pubsub = PubSubRegistry()
    /// SLOWLOG entries.
    public let slowlog = SlowLog()
    /// LATENCY events (`latency-monitor-threshold`).
    public let latency = LatencyMonitor()
    /// Clients in MONITOR mode: the dispatcher feeds them only when this is not empty.
    public internal(set) var monitors: [Client] = []
    /// DEBUG's switches (PAUSE-CRON, SET-SKIP-CHECKSUM-VALIDATION, QUICKLIST-PACKED-THRESHOLD).
    public var debugFlags = DebugFlags()
    /// CLIENT PAUSE's state, when a pause is on (see ClientPause.swift).
    public internal(set) var clientPause: ClientPauseState?
    /// Whether any pause (CLIENT PAUSE, a failover's write pause) is on: the dispatcher's one check.
    var pauseActive = false
    /// Set while a read-only command runs: its key lookups count as keyspace hits/misses (Redis's lookupKeyRead).
    public internal(set) var countsKeyspaceLookups = false
    /// The client whose command is running (its own replies need no separate flush).
    public internal(set) unowned(unsafe) var currentClient: Client?
    /// Receivers of effects (replication, AOF, ...), each with the targets it consumes.
    var propagationSinks: [(consumes: PropagationTarget, sink: (Int, [RBytes]) -> Void)] = []
    /// The union of what the registered sinks consume: an effect for no one is dropped at once.
    var propagationTargets: PropagationTarget = []
    var pendingEffects: [(db: Int, argv: [RBytes], target: PropagationTarget)] = []
    /// Memory of the evictable clients as last refreshed (`maxmemory-clients`, ClientMemory.swift).
    var clientsMemory = 0
    var callDepth = 0
    /// Keyspace entries holding a compact collection as an object, to put back at rest (`notePackable`): database
    /// id in the high 32 bits, slot in the low 32.
    var packableNoted: [UInt64] = []
    /// Emptied compact-collection objects reused by hydration (`PackedObjectPool`).
    var packedPool = PackedObjectPool()
    /// End time (µs) of the previous command of the current read batch, or 0.
    var clockAnchor: Int64 = 0
    /// End time (µs) of the previous nested call of the running top-level command (its start before the first).
    var nestedAnchor: Int64 = 0
    var inBatch = false
    /// Start time (µs) of the current read batch's first command, or 0.
    var batchStartedAt: Int64 = 0
    /// How long one connection's read batch may hold the data lock before the rest of its pipeline yields to the
    /// other connections of its I/O loop (µs): a pipeline of slow commands (DEBUG POPULATE, big DEL/SUNIONSTORE...)
    /// then delays a PING by about one command, not the whole pipeline. Checked from the clock reads the commands
    /// make anyway.
    public static let batchSliceMicroseconds: Int64 = 1000

    /// Whether the current read batch has held the data lock for its time slice (`batchSliceMicroseconds`).
    @inline(__always)
    public var batchSliceUsed: Bool { clockAnchor &- batchStartedAt >= Server.batchSliceMicroseconds }
    /// Allocator in-use bytes at the last refresh (INFO's used_memory reads it fresh).
    public internal(set) var usedMemory: Int64 = 0
    var usedMemoryCheckedAt: Int64 = 0
    /// Whether the eviction before the current command left memory over the limit (scripts read it).
    var preCommandOOM = false
    /// The eviction pool and cursor (Eviction.swift).
    let evictionState = EvictionState()
    /// The lazy-free thread and its counters (LazyFree.swift).
    public let lazyFreer = LazyFreer()
    /// Called after a key is modified (WATCH, tracking, blocked clients hook here).
    var keyModifiedHooks: [(Database, RBytes) -> Void] = []
    var keyspaceEventListeners: [(KeyspaceEventClass, StaticString, RBytes, Int) -> Void] = []
    /// Set to stop; the listener closes and the process exits.
    public let shuttingDown = ManagedAtomic<Bool>(false)
    /// Called by SHUTDOWN to stop the process (set by the executable); runs with the data lock held.
    public var onShutdown: (() -> Void)?
    /// Whether DEBUG SET-ACTIVE-EXPIRE left the active cycle on.
    public var activeExpireEnabled: Bool { config.activeExpireEnabled }
    /// Current database the active expiry cycle continues from.
    var expireCursorDb = 0
    /// The cron frequency in use: `hz`, raised by `dynamic-hz` while many clients are connected (INFO's `hz`).
    public internal(set) var hz = 10
    /// The snapshot being taken, if any (see `Snapshot`).
    public internal(set) var snapshot: Snapshot?
    /// The parity new keyspace entries are stamped with; flipped when a snapshot starts.
    var snapshotParity: UInt32 = 0
    /// Set between the end of a snapshot's walk and the end of its file.
    var snapshotFinishing = false
    var snapshotEndedHooks: [() -> Void] = []
    var shutdownHooks: [() -> Void] = []
    /// Function libraries read from an RDB file, kept as their code and written back by snapshots until the
    /// scripting family owns them.
    public var functionLibraries: [[UInt8]] = []
    /// The event loop background work (snapshot slices) runs on; set by the listener.
    public var backgroundLoop: EventLoop?
    /// The replication ID (INFO's master_replid): a new random one at start, and on DEBUG CHANGE-REPL-ID.
    public var replicationId = Server.randomHexId()
    /// Replication offsets, role and secondary ID (kept by the `Replication` target).
    public let replication = ReplicationState()
    var clientRemovedHooks: [(Client) -> Void] = []
    /// RDB persistence state (SAVE, BGSAVE, save points).
    public private(set) lazy var rdb = RDBPersistence(server: self)
    /// `rdb.lastBgsaveOK` negated, kept here so that each write command's MISCONF check reads a flag, not the
    /// lazily created `rdb` (a retain and a release per command; issue 18).
    var lastBgsaveFailed = false
    /// Users, permissions and the ACL log.
    public private(set) lazy var acl = ACLRegistry(server: self)
    /// Set while a file is being replayed at start (maxmemory does not refuse the replayed writes, as in Redis;
    /// clients get `-LOADING` for commands without the `loading` flag).
    public var loading = false
    /// Whether a command giving a key an expire time already in the past deletes it now (Redis's
    /// checkAlreadyExpired): not while loading a file, and never on a replica, which keeps the key until its
    /// master's DEL (the master may not have expired it yet).
    public var deletesKeysOnPastExpiry: Bool { !loading && replication.role != .replica }
    /// Progress of the load at start, for INFO.
    public var loadingProgress = LoadingProgress()
    /// The append-only file (disabled unless `appendonly yes`).
    public private(set) var aof: AOF!

    public init(config: Config, modules: [CommandModule], log: Logger) {
        self.config = config
        self.log = log
        self.commands = CommandTable()
        let now = Clock.unixMilliseconds()
        self.commandTime = now
        self.startTime = now
        var rid = ""
        for _ in 0..<40 { rid.append("0123456789abcdef".randomElement()!) }
        self.runId = rid
        self.lruClock = UInt32(truncatingIfNeeded: now / 1000) & 0x00FF_FFFF
        for m in modules where !config.disabledFamilies.contains(m.family) {
            do throws(RegistrationError) {
                try commands.register(m)
            } catch {
                fatalError("family '\(m.family)' cannot be registered: \(error.message)")
            }
        }
        _ = acl
        databases = (0..<config.databases).map { Database(id: $0, server: self) }
        _keyspaceEventFlags = KeyspaceEventClass.parse(config.notifyKeyspaceEvents) ?? []
        hz = config.hz
        config.onChange = { [unowned self] name in self.configChanged(name) }
        config.applyOOMScore = { [unowned self] in
            guard let problem = ProcessSetup.applyOOMScore(self.config, replica: self.replication.role == .replica) else { return true }
            self.log.warning("Unable to write /proc/self/oom_score_adj: \(problem)")
            return false
        }
        config.onNotifyChange = { [unowned self] in
            self._keyspaceEventFlags = KeyspaceEventClass.parse(self.config.notifyKeyspaceEvents) ?? []
        }
        aof = AOF(server: self)
    }

    /// 40 random hex digits (run ids, replication ids).
    public static func randomHexId() -> String {
        var id = ""
        for _ in 0..<40 { id.append("0123456789abcdef".randomElement()!) }
        return id
    }

    // MARK: - Dispatch

    /// The table row `c.argv[0]` names (a command with subcommands is not resolved further), unretained: the
    /// command table and the client's last lookup own it. Nil for an unknown name.
    @inline(__always)
    func lookupCommand(_ c: Client) -> Unmanaged<Command>? {
        // Clients mostly repeat the same command (pipelines, benchmarks, scripts): compare the name before
        // hashing it.
        if let ref = c.repeatedCommand() { return ref }
        guard let looked = commands.lookup(c.argv[0]) else { return nil }
        c.rememberLookup(looked)
        return Unmanaged.passUnretained(looked)
    }

    /// Runs `client.argv` as a command: lookup, arity, auth, then the handler. Call with the lock held.
    public func execute(_ c: Client) {
        c.lastInteraction = commandTime
        guard var ref = lookupCommand(c) else {
            // Byte for byte, as Redis's %.128s (client bytes need not be UTF-8).
            var args: [UInt8] = []
            var i = 1
            while i < c.argv.count && args.count < 128 {
                args += [39] + Errors.truncatedBytes(c.argv[i], 128 - args.count) + [39, 32]
                i += 1
            }
            c.error(bytes: Array("ERR unknown command '".utf8) + Errors.truncatedBytes(c.argv[0], 128)
                    + Array("', with args beginning with: ".utf8) + args)
            c.multi?.aborted = true
            return
        }
        if ref._withUnsafeGuaranteedRef({ $0.hasSubcommands }) {
            let found = ref.takeUnretainedValue()
            if c.argv.count >= 2, let sub = found.subcommands[c.argv[1].lowercased()] {
                ref = Unmanaged.passUnretained(sub)
            } else if found.spec.handler == nil {
                if c.argv.count < 2 {
                    found.rejectedCalls += 1
                    c.error(Errors.arity(found.fullName))
                } else {
                    c.error(Errors.unknownSubcommand(c.argv[1], c.argv[0].string))
                }
                c.multi?.aborted = true
                return
            }
        }
        // Borrowed for the whole command: the table owns its rows, and only MODULE UNLOAD (itself a built-in
        // command) removes any.
        ref._withUnsafeGuaranteedRef { execute(c, $0) }
    }

    /// `execute` once the command (or subcommand) is resolved: the checks, then `call`.
    private func execute(_ c: Client, _ cmd: Command) {
        // Redis sets the client's current/last command as soon as it is looked up (CLIENT LIST `cmd=`, ACL LOG).
        c.noteCommand(cmd)
        guard cmd.acceptsArgumentCount(c.argv.count) else {
            reject(c, cmd, Errors.arity(cmd.fullName))
            return
        }
        if cmd.flags.contains(.protected), let refusal = protectedRefusal(c, cmd) {
            reject(c, cmd, refusal)
            return
        }
        if !c.authenticated && !cmd.flags.contains(.noAuth) && acl.authRequired {
            reject(c, cmd, Errors.noAuth)
            return
        }
        if let denial = aclDenial(c, cmd, c.argv) {
            c.command = cmd  // Redis's c->cmd: the entry's client-info shows the denied command
            logACLDenial(c, cmd, c.argv, denial, context: c.multi != nil ? .multi : .toplevel)
            reject(c, cmd, Server.noPermMessage(denial.0, cmd))
            return
        }
        if loading && c.isConnection && !cmd.flags.contains(.loading) {
            reject(c, cmd, "LOADING Redis is loading the dataset in memory")
            return
        }
        if replication.role == .replica && c.linkKind != .master {
            if config.replicaReadOnly && cmd.flags.contains(.write) {
                reject(c, cmd, "READONLY You can't write against a read only replica.")
                return
            }
            if !replication.masterLinkUp && !config.replicaServeStaleData && !cmd.flags.contains(.stale) {
                reject(c, cmd, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
                return
            }
        }
        // The master's stream is obeyed even past maxmemory (Redis: the master decides what to evict). Keys are
        // evicted before any command (Kernel/Keyspace/Eviction.swift); when that fails, commands that may grow
        // memory are refused, and so is queueing any command in MULTI (Redis 7.0).
        preCommandOOM = false
        if config.maxmemory > 0 && !loading && c.linkKind != .master {
            preCommandOOM = performEvictions() == .fail
            if preCommandOOM && (cmd.flags.contains(.denyoom)
                                 || (c.multi != nil && !Server.oomExemptInMulti.contains(cmd.fullName))) {
                reject(c, cmd, "OOM command not allowed when used memory > 'maxmemory'.")
                return
            }
        }
        if cmd.refusedOnPersistenceError && lastBgsaveFailed && rdb.deniesWrites {
            reject(c, cmd, RDBPersistence.misconfError)
            return
        }
        if aof.enabled && !aof.lastWriteOK && cmd.flags.contains(.write) {
            reject(c, cmd, "MISCONF Errors writing to the AOF file: \(aof.lastWriteError)")
            return
        }
        if cmd.flags.contains(.write) && replication.lacksGoodReplicas(config) {
            reject(c, cmd, "NOREPLICAS Not enough good replicas to write.")
            return
        }
        if c.inSubscriberContext && !Server.subscriberContextCommands.contains(cmd.fullName) {
            c.error("ERR Can't execute '\(cmd.fullName)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
            return
        }
        if refusedWhileBusy(cmd) {
            reject(c, cmd, busyScript.busyError)
            return
        }
        if pauseActive && pausesCommand(c, cmd) {
            postpone(c, cmd)
            return
        }
        if c.multi != nil && !Server.transactionControl.contains(cmd.fullName) {
            if cmd.flags.contains(.noMulti) {
                c.error("ERR Command not allowed inside a transaction")
                c.multi?.aborted = true
                return
            }
            c.multi?.queued.append((cmd, c.argv))
            c.noteCommand(cmd)
            c.reply.status("QUEUED")
            return
        }
        call(c, cmd)
        // The command's effects leave before those of the clients it wakes: Redis 7.0 streams the push and each
        // woken pop as separate commands, not one MULTI/EXEC.
        if !pendingEffects.isEmpty { flushEffects() }
        if !readyKeys.isEmpty { serveClientsBlockedOnReadyKeys() }
    }

    /// Re-reads the allocator's in-use bytes (glibc `mallinfo2`).
    public func refreshUsedMemory() {
        usedMemory = Int64(clamping: cmallocinfo_used_bytes())
        usedMemoryCheckedAt = commandTime
    }

    /// Refuses a command before it runs (Redis's rejectCommand): counts it, dooms an open transaction, and for
    /// EXEC itself discards the transaction with EXECABORT.
    func reject(_ c: Client, _ cmd: Command, _ message: String) {
        cmd.rejectedCalls += 1
        if cmd.fullName == "exec" {
            c.discardMulti()
            let reason = message.hasPrefix("ERR ") ? String(message.dropFirst(4)) : message
            c.error("EXECABORT Transaction discarded because of: \(reason)")
            return
        }
        c.error(message)
        c.multi?.aborted = true
    }

    /// Commands a RESP2 client in subscriber mode may run.
    static let subscriberContextCommands: Set<String> = ["subscribe", "unsubscribe", "psubscribe", "punsubscribe",
                                                          "ssubscribe", "sunsubscribe", "ping", "quit", "reset"]

    /// Commands a client in MULTI may still send when out of memory.
    static let oomExemptInMulti: Set<String> = ["exec", "discard", "quit", "reset"]

    /// Commands that run immediately even inside MULTI.
    static let transactionControl: Set<String> = ["exec", "discard", "multi", "watch", "quit", "reset"]

    /// Calls a resolved command's handler (or `handler` in its place: a blocked module client's callback) and
    /// accounts for it.
    public func call(_ c: Client, _ cmd: Command, handler: CommandHandler? = nil) {
        // Compared first: a pipeline repeats the command, and a class reference stored again is a retain and a
        // release for nothing.
        if c.command !== cmd { c.command = cmd }
        // Kept unowned too: a strong copy would be a retain and a release per command.
        unowned(unsafe) let previousClient = currentClient
        currentClient = c
        defer { currentClient = previousClient }
        c.commandFailed = false
        if c.effectsOverride != nil { c.effectsOverride = nil }
        callDepth += 1
        defer { callDepth -= 1 }
        let dirtyBefore = dirty
        // One wall-clock read serves as the command time snapshot and the start of the duration, as in Redis.
        // Nested calls (EXEC's commands, scripts) share their caller's snapshot, as in Redis. Within a read batch
        // the previous command's end time is this one's start: one clock read per command instead of two.
        // Nested calls (a script's redis.call, EXEC's commands) read the clock once, at their end: each starts
        // where the previous one of the same top-level command ended (the first where that command started), so
        // a nested call's duration includes the caller's own work since the previous call.
        let start: Int64
        if callDepth > 1 {
            start = nestedAnchor
        } else {
            if clockAnchor != 0 {
                start = clockAnchor
            } else {
                start = Clock.unixMicroseconds()
                batchStartedAt = start
            }
            nestedAnchor = start
        }
        if callDepth == 1 {
            commandTime = start / 1000
            // As Redis's processCommand: the running command is already `cmd=` in its own CLIENT INFO/LIST line.
            c.noteCommand(cmd)
        }
        let replyMark = c.reply.buffer.writerIndex
        if snapshot != nil && cmd.flags.contains(.write) { snapshotBeforeWrite(c, cmd) }
        // Scripts (the `skip_monitor` commands) are shown before the calls they make, as in Redis.
        if !monitors.isEmpty && cmd.flags.contains(.skipMonitor) && !cmd.flags.contains(.admin) && !loading {
            feedMonitors(c, cmd)
        }
        let countedBefore = countsKeyspaceLookups
        countsKeyspaceLookups = cmd.flags.contains(.readonly)
        if let handler { handler(c) } else { cmd.spec.handler!(c) }
        countsKeyspaceLookups = countedBefore
        if !packableNoted.isEmpty { dehydrateNoted() }
        if let effects = c.effectsOverride {
            for e in effects { propagate(db: c.db.id, e) }
        } else if dirty != dirtyBefore && !propagationTargets.isEmpty {
            propagate(db: c.db.id, c.argv)
        }
        let end = Clock.unixMicroseconds()
        let elapsed = max(0, end - start)
        if callDepth == 1 {
            if inBatch { clockAnchor = end }
        } else {
            nestedAnchor = end
        }
        cmd.calls += 1
        cmd.microseconds += elapsed
        if c.commandFailed { cmd.failedCalls += 1 }
        if config.latencyTracking { cmd.recordLatency(elapsed) }
        if (config.slowlogLogSlowerThan >= 0 && elapsed >= config.slowlogLogSlowerThan)
            || config.latencyMonitorThreshold > 0 {
            commandObserved(c, cmd, elapsed)
        }
        if !monitors.isEmpty && !cmd.flags.contains(.skipMonitor) && !cmd.flags.contains(.admin) && !loading
            && c.rerunDeadline == nil {
            feedMonitors(c, cmd)
        }
        stats.totalCommands += 1
        c.noteCommand(cmd)
        if c.tracking != nil {
            if cmd.flags.contains(.readonly) { trackingRememberKeys(c, cmd) }
            if callDepth == 1 {
                if cmd.fullName != "client|caching" { c.tracking?.caching = nil }
            }
        }
        if callDepth == 1 && !c.pendingInvalidations.isEmpty { flushPendingInvalidations(c) }
        switch c.replyMode {
        case .on: break
        case .off: c.dropReplies(from: replyMark)
        case .skip:
            c.dropReplies(from: replyMark)
            c.replyMode = .on
        case .skipNext:
            c.replyMode = .skip
        }
    }

    // MARK: - Read batches

    /// Marks the start of a connection's read batch: consecutive commands may share clock reads until
    /// `afterBatch`.
    public func beginBatch() {
        inBatch = true
        clockAnchor = 0
    }

    /// Work done once per read batch (Redis's beforeSleep): BCAST invalidations.
    public func afterBatch() {
        clockAnchor = 0
        inBatch = false
        if tracking.broadcastPending { trackingBroadcast() }
        if tracking.readers.count > config.trackingTableMaxKeys && config.trackingTableMaxKeys > 0 { trackingLimitKeys() }
        // appendfsync always: written and fsynced before any reply of this batch leaves (the lock is still held,
        // so replies to other clients woken by the batch, flushed under the lock, cannot overtake it either).
        if aof.enabled { aof.flush() }
    }

    /// The current time in Unix ms for a command that needs "now" (XADD's `*`): the command time snapshot for a
    /// top-level command (read when it started, no clock read), a fresh reading inside a script or transaction
    /// (as Redis 7.0's `mstime()`: the snapshot is frozen for the whole script there).
    public var nowMilliseconds: Int64 { callDepth > 1 ? Clock.unixMilliseconds() : commandTime }

    // MARK: - Time

    /// Refreshes the time snapshots (the cron does this; commands refresh `commandTime`).
    func updateClocks() {
        commandTime = Clock.unixMilliseconds()
        lruClock = UInt32(truncatingIfNeeded: commandTime / 1000) & 0x00FF_FFFF
    }

    /// Seconds since the server started.
    public var uptimeSeconds: Int64 { (Clock.unixMilliseconds() - startTime) / 1000 }

    /// Asks the process to stop (after SHUTDOWN or a signal). May be called with the data lock held: `onShutdown`
    /// must not take the lock synchronously.
    public func requestShutdown() {
        shuttingDown.store(true, ordering: .relaxed)
        aof.shutdown()
        onShutdown?()
    }
}
