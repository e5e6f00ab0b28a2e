import Kernel

/// What a module command handler sees: its arguments, the selected database's keys, the reply, effects
/// (replication/AOF), keyspace events and the server clock. Nothing here runs another command or skips a
/// check: module commands are only called by the dispatcher (or a script's checked nested call).
public struct ModuleContext {
    @usableFromInline let client: Client

    init(_ client: Client) { self.client = client }

    // MARK: Arguments

    /// The arguments, the command name first.
    @inlinable public var arguments: [RBytes] { client.argv }
    /// How many arguments, the command name included.
    @inlinable public var argumentCount: Int { client.argv.count }
    /// Argument `i` (0 is the command name).
    @inlinable public func argument(_ i: Int) -> RBytes { client.argv[i] }
    /// Argument `i` as a 64-bit integer, or `ModuleError.notInteger`.
    @inlinable public func integer(_ i: Int) throws(ModuleError) -> Int64 {
        guard let v = Numbers.parseInt64(client.argv[i]) else { throw ModuleError.notInteger }
        return v
    }

    /// Argument `i` as a double (`RedisModule_StringToDouble`: no spaces, no NaN), or `ModuleError.notFloat`.
    public func double(_ i: Int) throws(ModuleError) -> Double {
        guard let v = Numbers.parseDouble(client.argv[i]), !v.isNaN else { throw ModuleError.notFloat }
        return v
    }

    // MARK: Keyspace (the client's selected database)

    /// The string at `key`, nil when missing; `ModuleError.wrongType` when the key holds another type.
    public func string(_ key: RBytes) throws(ModuleError) -> RBytes? {
        guard let v = client.db.get(key) else { return nil }
        guard case .string(let s) = v else { throw ModuleError.wrongType }
        return s
    }

    /// Stores a string at `key`, replacing any value; its expire time goes unless `keepTTL`.
    public func setString(_ key: RBytes, _ value: RBytes, keepTTL: Bool = false) {
        client.db.set(key, .string(value), keepTTL: keepTTL)
    }

    /// The value of the data type `type` at `key`, nil when missing; `ModuleError.wrongType` when the key holds
    /// another type. Mutate it in place in a write command (the dispatcher already preserved the key for a
    /// running snapshot), then `signalModified`.
    public func value(_ key: RBytes, of type: ModuleDataType) throws(ModuleError) -> ModuleValue? {
        guard let v = client.db.get(key) else { return nil }
        guard case .object(let o) = v, let c = o as? CustomObject, c.type.name == type.name else {
            throw ModuleError.wrongType
        }
        return c.value
    }

    /// Stores `value` of the data type `type` at `key`, replacing any value; its expire time goes unless
    /// `keepTTL`.
    public func setValue(_ key: RBytes, _ value: ModuleValue, of type: ModuleDataType, keepTTL: Bool = false) {
        client.db.set(key, .object(CustomObject(type, value)), keepTTL: keepTTL)
    }

    /// Whether `key` exists.
    public func exists(_ key: RBytes) -> Bool { client.db.exists(key) }

    /// The type name TYPE replies with for `key` (`none` when missing).
    public func typeName(_ key: RBytes) -> String { client.db.get(key)?.typeName ?? "none" }

    /// Deletes `key`; false when it did not exist.
    @discardableResult
    public func delete(_ key: RBytes) -> Bool { client.db.delete(key) }

    /// Sets `key`'s expire time (Unix milliseconds); false when the key does not exist.
    @discardableResult
    public func expire(_ key: RBytes, atMilliseconds at: Int64) -> Bool {
        guard client.db.exists(key) else { return false }
        client.db.setExpire(key, at: at)
        return true
    }

    /// Removes `key`'s expire time; false when it had none.
    @discardableResult
    public func persist(_ key: RBytes) -> Bool { client.db.persist(key) }

    /// Milliseconds to live as PTTL: -2 when the key is missing, -1 when it has no expire time.
    public func ttlMilliseconds(_ key: RBytes) -> Int64 {
        guard client.db.exists(key) else { return -2 }
        guard let at = client.db.expireTime(key) else { return -1 }
        return max(0, at - client.server.commandTime)
    }

    /// The index of the selected database.
    public var database: Int { client.db.id }

    // MARK: Effects

    /// Marks `key` changed (Redis's signalModifiedKey + dirty): WATCH, client-side caching and the change
    /// counters see it. Also decides propagation: a command that changed nothing propagates nothing.
    public func signalModified(_ key: RBytes, changes: Int64 = 1) {
        client.server.keyModified(client.db, key, changes: changes)
    }

    /// Publishes a keyspace event for `key` (`notify-keyspace-events`), of the class `kind`.
    public func notify(_ kind: ModuleEventClass, _ event: StaticString, _ key: RBytes) {
        client.server.notify(kind.kernel, event, key, db: client.db.id)
    }

    /// Replicates these commands (to replicas and the AOF) instead of the command itself, wrapped in
    /// MULTI/EXEC when more than one (RedisModule_Replicate). Use absolute times (`PXAT`) so replicas agree.
    public func replicate(_ effects: [[RBytes]]) { client.propagateInstead(effects) }

    /// Replicates the command as it was called (the default for a command that signalled a change).
    public func replicateVerbatim() { client.propagateInstead([client.argv]) }

    // MARK: Reply

    /// The reply writer.
    @inlinable public var reply: ModuleReply { ModuleReply(client: client) }

    // MARK: Server

    /// The time of this command in Unix milliseconds (fixed for the command, as Redis's cached command time).
    public var milliseconds: Int64 { client.server.commandTime }

    /// The RESP version the client speaks (2 or 3).
    public var protocolVersion: Int { client.resp }

    /// The user the client is authenticated as.
    public var userName: String { client.user }

    /// Writes a line to the server log at `level`.
    public func log(_ level: ModuleLogLevel, _ message: String) {
        client.server.log.log(level.kernel, message)
    }
}

/// The reply vocabulary of a module command (RESP2 and RESP3 as the client negotiated).
public struct ModuleReply {
    @usableFromInline let client: Client
    @usableFromInline init(client: Client) { self.client = client }

    /// `+OK`.
    @inlinable public func ok() { client.reply.ok() }
    /// A simple string.
    @inlinable public func status(_ s: String) { client.reply.status(s) }
    /// An integer.
    @inlinable public func integer(_ v: Int64) { client.reply.integer(v) }
    /// A bulk string.
    @inlinable public func bulk(_ b: RBytes) { client.reply.bulk(b) }
    /// A bulk string from text.
    @inlinable public func bulk(_ s: String) { client.reply.bulk(s) }
    /// Null (RESP2 null bulk string).
    @inlinable public func null() { client.reply.null() }
    /// A null array (RESP2 `*-1`, RESP3 null), BLPOP's timeout reply.
    public func nullArray() { client.reply.nullArray() }
    /// A double (RESP3 double, RESP2 bulk string).
    @inlinable public func double(_ d: Double) { client.reply.double(d) }
    /// An array of `count` elements: write them next.
    @inlinable public func array(_ count: Int) { client.reply.arrayHeader(count) }
    /// A map of `count` pairs (RESP2: an array of 2×count): write key, value, ... next.
    @inlinable public func map(_ count: Int) { client.reply.mapHeader(count) }
    /// An error reply, counted in the error stats; `message` starts with its code (`ERR ...`).
    public func error(_ message: String) { client.error(ModuleError(message).message) }
}

/// Keyspace event classes (`notify-keyspace-events` letters).
public enum ModuleEventClass {
    /// `g`: generic commands (DEL, EXPIRE, ...).
    case generic
    /// `$`: string commands.
    case string
    /// `d`: module types' events.
    case module

    var kernel: KeyspaceEventClass {
        switch self {
        case .generic: return .generic
        case .string: return .string
        case .module: return .module
        }
    }
}

/// Log levels (`loglevel`).
public enum ModuleLogLevel {
    /// Shown at `loglevel debug`.
    case debug
    /// Shown at `verbose` and below.
    case verbose
    /// Shown at `notice` and below.
    case notice
    /// Always shown.
    case warning

    var kernel: Logger.Level {
        switch self {
        case .debug: return .debug
        case .verbose: return .verbose
        case .notice: return .notice
        case .warning: return .warning
        }
    }
}
