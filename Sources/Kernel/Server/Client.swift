import Atomics
import Synchronization
import NIOCore

/// One connection's state: what it selected, negotiated and is executing, and the reply being written.
///
/// All fields are read and written only while holding the server's data lock, except `unflushedBytes` (atomic,
/// updated from the connection's loop).
public final class Client {
    /// CLIENT REPLY modes.
    public enum ReplyMode { case on, off, skip, skipNext }

    public let id: UInt64
    /// The server. A strong `let`, so handlers reading `c.server` borrow it instead of retaining and releasing it
    /// at each access (what an `unowned(unsafe)` reference costs); the server drops a client when it disconnects.
    public let server: Server
    /// The command being executed: name first, then its arguments.
    public var argv: [RBytes] = []
    /// The command table row of the command being executed.
    public internal(set) var command: Command?
    /// The reply being written; flushed once per read batch.
    public var reply: ReplyWriter
    /// The selected database.
    public var db: Database
    public var name: RBytes?
    /// The ACL user it runs as (`default` until AUTH/HELLO); nil for internal clients, which nothing restricts.
    public var aclUser: ACLUser?
    /// The name of its user (CLIENT LIST's `user=`).
    public var user: String { aclUser?.name ?? "default" }
    public var authenticated: Bool
    public var replyMode: ReplyMode = .on
    public var noEvict = false
    /// Set by MONITOR (CLIENT LIST flag `O`).
    public internal(set) var isMonitor = false
    /// Set by commands that end the connection (QUIT, protocol errors, CLIENT KILL of itself).
    public var closeAfterReply = false
    public let createdAt: Int64
    public var lastInteraction: Int64
    /// The last command looked up or run, for CLIENT LIST's `cmd=`; nil before the first. A reference, not the
    /// name: setting it to the same command again is one pointer comparison (it is set up to three times per
    /// command), where a `String` assignment retains and releases.
    public internal(set) var lastCommand: Command?
    /// Full name of the last command run (`client|list`), for CLIENT LIST's `cmd=`.
    public var lastCommandName: String { lastCommand?.fullName ?? "NULL" }

    /// Records `cmd` as the client's last command (CLIENT LIST's `cmd=`).
    @inline(__always)
    func noteCommand(_ cmd: Command) {
        if lastCommand !== cmd { lastCommand = cmd }
    }
    public let address: String
    public let localAddress: String
    /// Whether the last command replied with an error (for failed_calls).
    var commandFailed = false
    /// Bytes in the query buffer not yet parsed (for CLIENT LIST's `qbuf=`).
    public var queryBufferLength = 0
    var subscribedChannels: [RBytes] = []
    var subscribedPatterns: [RBytes] = []
    var subscribedShardChannels: [RBytes] = []
    /// Replies taken from the reply buffer and not yet written to the socket (updated from the connection's loop).
    public let unflushedBytes = Atomic<Int>(0)
    /// When the client went over its soft output limit (ms), or 0.
    var softLimitSince: Int64 = 0
    /// Its share of `Server.clientsMemory` as last refreshed (`maxmemory-clients`).
    var accountedMemory = 0
    /// Set once the client is scheduled to be closed for its output buffer limits.
    public internal(set) var closedForOutputLimit = false
    /// Whether a resume of the connection is already scheduled.
    var resumeScheduled = false
    /// CLIENT TRACKING state, when on.
    public internal(set) var tracking: TrackingState?
    /// Keys this client modified while tracking them: invalidated after its reply.
    var pendingInvalidations: [RBytes] = []
    /// Push messages written during the client's own command while its replies are off (see `pushing`).
    var keptPushes: [Range<Int>] = []
    /// The open transaction, between MULTI and EXEC/DISCARD.
    public internal(set) var multi: MultiState?
    var watched: [WatchedKey] = []
    /// Set when a watched key was modified (Redis's CLIENT_DIRTY_CAS).
    var dirtyCAS = false
    /// The last command name this client sent and its table row (saves a hash lookup per command). Two
    /// fields, not an optional tuple: reading the tuple copied it whole (retains) before the name was compared.
    var lastLookupName = RBytes()
    var lastLookupCommand: Command? {
        didSet { lastLookupRef = lastLookupCommand.map { Unmanaged.passUnretained($0) } }
    }
    /// `lastLookupCommand`, unretained: the dispatcher borrows the row instead of retaining and releasing it.
    private var lastLookupRef: Unmanaged<Command>?

    /// The command `argv[0]` names when it is the one this client looked up last (pipelines, benchmarks and
    /// scripts repeat their command), else nil. Unretained: `lastLookupCommand` and the table own it.
    @inline(__always)
    func repeatedCommand() -> Unmanaged<Command>? {
        guard let ref = lastLookupRef, lastLookupName == argv[0],
              !ref._withUnsafeGuaranteedRef({ $0.unregistered }) else { return nil }
        return ref
    }

    /// Remembers the table row of `argv[0]` for `repeatedCommand`.
    @inline(__always)
    func rememberLookup(_ command: Command) {
        lastLookupName = argv[0]
        lastLookupCommand = command
    }
    /// Set while EXEC or a script runs this client's commands (blocking commands then do not block).
    public var inExec = false
    /// The original deadline while a woken blocking command runs again.
    var rerunDeadline: Int64?
    /// The key whose readiness woke this client, while its blocking command runs again.
    public internal(set) var wokenByKey: RBytes?
    /// Set while the client waits in a blocking command.
    var blockState: BlockState?
    /// Set by the connection: resumes processing (writes pending replies, parses buffered commands) on the
    /// connection's event loop. Called without the data lock held, or from inside it: it only schedules work.
    var resumeHook: (() -> Void)?
    /// Replies of this client held until the AOF is fsynced (`appendfsync always`).
    var repliesAwaitingSync = 0
    /// Effects to propagate instead of the command itself (set by commands with a deterministic rewrite).
    var effectsOverride: [[RBytes]]?
    /// Whether this connection is a replica attached to us or our master's link (CLIENT LIST's flags, output
    /// limit class).
    public var linkKind: ReplicationLinkKind = .normal

    /// Set by the connection's `EpollLoop`: closes it from any thread.
    var socketClose: (() -> Void)?
    /// Whether this client is a connection (a socket served by an `EpollLoop`), not an internal client.
    public let isConnection: Bool
    /// A NIO loop for this connection's timers (blocking timeouts, WAIT), given by its `EpollLoop` (the timer's
    /// work takes the data lock and wakes the connection's own loop); nil for internal clients.
    public let eventLoop: EventLoop?
    /// Whether the connection came through the Unix socket (CLIENT LIST flag `U`).
    public let isUnixSocket: Bool

    /// `socket`: the connection's ends (Redis's `ip:port`, or `/path/redis.sock:0` at both ends of a Unix-socket
    /// client), and its loop's timers; nil for an internal client.
    init(id: UInt64, server: Server, socket: (address: String, local: String, unix: Bool, timers: EventLoop)? = nil) {
        self.id = id
        self.isConnection = socket != nil
        self.eventLoop = socket?.timers
        self.server = server
        self.reply = ReplyWriter(buffer: ByteBufferAllocator().buffer(capacity: 256))
        self.db = server.databases[0]
        self.authenticated = !server.acl.authRequired
        self.aclUser = socket == nil ? nil : server.acl.defaultUser
        self.createdAt = server.commandTime
        self.lastInteraction = server.commandTime
        self.address = socket?.address ?? ""
        self.localAddress = socket?.local ?? ""
        self.isUnixSocket = socket?.unix ?? false
    }

    /// The RESP version negotiated with HELLO.
    public var resp: Int {
        get { reply.resp }
        set { reply.resp = newValue }
    }

    /// Replies with an error (`message` starts with its code: `ERR ...`) and counts it in the error stats.
    public func error(_ message: String) {
        commandFailed = true
        server.countError(message)
        reply.error(message)
    }

    /// An error reply given as raw bytes (client-supplied names and arguments, not necessarily UTF-8).
    public func error(bytes message: [UInt8]) {
        commandFailed = true
        server.stats.countError(String(decoding: message.prefix { $0 != 32 }, as: UTF8.self))
        reply.error(bytes: message)
    }

    /// Selects database `index`; false if out of range.
    public func select(_ index: Int) -> Bool {
        guard index >= 0 && index < server.databases.count else { return false }
        db = server.databases[index]
        return true
    }

    /// Propagates `effects` instead of the command's own argv (Redis's `rewriteClientCommandVector` /
    /// `alsoPropagate`): `EXPIRE` → `PEXPIREAT`, `INCRBYFLOAT` → `SET ... KEEPTTL`, ... An empty list
    /// propagates nothing.
    public func propagateInstead(_ effects: [[RBytes]]) {
        effectsOverride = effects
    }

    /// Drops the executed commands' arguments so that an idle client keeps none alive (Redis's
    /// `freeClientArgv`); the vector's storage is kept unless a huge command grew it. An epoll-served connection
    /// calls it once per read batch, not per command: within a batch the parser overwrites the previous
    /// command's arguments in place (`RBytes.assign`), so an argument of more than 16 bytes that no command kept
    /// (INCR's key, PFADD's element, EVALSHA's SHA1) reuses its storage instead of one allocation per command.
    func releaseArgv() {
        if argv.capacity > 1024 {
            argv = []
        } else {
            // One element at a time: `removeAll(keepingCapacity:)` goes through the generic `replaceSubrange`,
            // a measurable share of a `-P 1` request (issue 18).
            while !argv.isEmpty { argv.removeLast() }
        }
    }

    /// Asks the connection to close after pending replies are written.
    public func close() { closeAfterReply = true }

    /// Closes another client's connection: none of its pending input runs, and the socket is closed on its
    /// loop after the current task. Safe with the data lock held (closing synchronously would re-enter the lock
    /// when the caller runs on the same loop).
    public func disconnect() {
        closeAfterReply = true
        socketClose?()
    }
}

extension Client {
    /// Returns the connection to its initial state (RESET): RESP2, db 0, no name, default user, replies on.
    public func resetState() {
        discardMulti()
        disableTracking()
        if isMonitor { server.removeMonitor(self) }
        unsubscribeAll(.channel, notify: false)
        unsubscribeAll(.pattern, notify: false)
        unsubscribeAll(.shard, notify: false)
        resp = 2
        db = server.databases[0]
        name = nil
        replyMode = .on
        noEvict = false
        if aclUser != nil { aclUser = server.acl.defaultUser }
        authenticated = !server.acl.authRequired
    }
}

extension Client {
    /// Sets CLIENT CACHING yes/no for the next command.
    public func setTrackingCaching(_ yes: Bool) { tracking?.caching = yes }
}
