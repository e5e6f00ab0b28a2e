import NIOCore

/// What a blocked client receives when its timeout passes.
public enum TimeoutReply: Sendable {
    /// `$-1` / `_` (BLMOVE, BRPOPLPUSH).
    case null
    /// `*-1` / `_` (BLPOP, BZPOPMIN, BLMPOP, ...).
    case nullArray
}

/// The state of a client waiting in a blocking command.
struct BlockState {
    let id: UInt64
    let keys: [RBytes]
    let db: Database
    /// Absolute Unix ms, or 0 for "forever".
    let deadline: Int64
    let timeoutReply: TimeoutReply
    /// The command to run again when woken: the client's argv, or the resolved form the command stored when it
    /// blocked (XREAD's `$` replaced by the last ID at block time).
    let argv: [RBytes]
    let command: Command
    /// Whether deleting or overwriting a key wakes this waiter too (XREADGROUP answers with an error then).
    let wakeOnDeletion: Bool
    /// A module's callbacks (RM_BlockClientOnKeys): asked instead of running the command again.
    var callbacks: BlockCallbacks? = nil
}

/// The callbacks of a client a module blocked on keys (Redis's RM_BlockClientOnKeys reply and timeout
/// callbacks). The client is not run again when a key is ready: `ready` is asked, with the client's original
/// argv, database and command in place and `Client.wokenByKey` naming the key. Both run as a call of the
/// blocked command (its stats, slowlog, and propagation: effects it set with `propagateInstead`, else its argv
/// when it changed data).
public struct BlockCallbacks {
    /// A key the client waits on exists and was signalled ready: reply and return true to end the wait, or
    /// return false (writing nothing) to keep waiting in the same place of the key's queue.
    public let ready: (Client) -> Bool
    /// The deadline passed (or CLIENT UNBLOCK ... TIMEOUT): write the timeout reply.
    public let timeout: (Client) -> Void

    /// Callbacks for `Client.block(onKeys:deadline:callbacks:)`.
    public init(ready: @escaping (Client) -> Bool, timeout: @escaping (Client) -> Void) {
        self.ready = ready
        self.timeout = timeout
    }
}

/// A key in a given database, for the blocked-clients index.
struct BlockKey: Hashable {
    let db: Int
    let key: RBytes
}

extension Client {
    /// Whether the current command may block: not inside MULTI/EXEC, a script, or an internal client. When it
    /// may not, blocking commands behave as their non-blocking form.
    public var canBlock: Bool { !inExec && isConnection }

    /// Whether the client waits in a blocking command.
    public var isBlocked: Bool { blockState != nil }

    /// Parses a blocking timeout (float seconds, 0 = forever) into an absolute deadline in ms (0 = forever);
    /// replies Redis's error and returns nil on bad input.
    public func parseBlockTimeout(_ arg: RBytes) -> Int64? {
        // A command re-run for a woken waiter keeps its original deadline.
        if let deadline = rerunDeadline { return deadline }
        guard let seconds = Numbers.parseLongDouble(arg) else {
            error("ERR timeout is not a float or out of range")
            return nil
        }
        // Redis rounds up to whole ms; a value too large for a long long wraps negative in its C cast, so
        // Redis 7.0 calls it negative too.
        let ms = (seconds * 1000).rounded(.up)
        if ms < 0 || ms >= Numbers.LongDouble(Int64.max) {
            error("ERR timeout is negative")
            return nil
        }
        let t = Int64(ms)
        if t == 0 { return 0 }
        if t > Int64.max - server.commandTime {
            error("ERR timeout is out of range")
            return nil
        }
        return t + server.commandTime
    }

    /// Parses a blocking timeout given in integer milliseconds (XREAD/XREADGROUP BLOCK; 0 = forever) into an
    /// absolute deadline in ms (0 = forever); replies Redis's error and returns nil on bad input.
    public func parseBlockTimeoutMilliseconds(_ arg: RBytes) -> Int64? {
        if let deadline = rerunDeadline { return deadline }
        guard let t = Numbers.parseInt64(arg) else {
            error("ERR timeout is not an integer or out of range")
            return nil
        }
        if t < 0 {
            error("ERR timeout is negative")
            return nil
        }
        if t == 0 { return 0 }
        if t > Int64.max - server.commandTime {
            error("ERR timeout is out of range")
            return nil
        }
        return t + server.commandTime
    }

    /// The keys a blocking command should try, in order: the key that woke the client first (Redis serves a
    /// waiter from the key that became ready), then the others as given.
    public func blockingKeyOrder<C: Collection>(_ keys: C) -> [RBytes] where C.Element == RBytes {
        guard let first = wokenByKey, keys.contains(first) else { return Array(keys) }
        return [first] + keys.filter { $0 != first }
    }

    /// Blocks the client on `keys` (in its selected database) until one is signalled ready — then the same
    /// command is run again for it — or until `deadline` (absolute ms; 0 = forever), when it gets `timeoutReply`.
    /// The command returns without replying. `resolvedArgv` replaces the argv run at wake-up (a command stores
    /// what its arguments meant when it blocked, e.g. `$` → an ID); `wakeOnDeletion` also wakes the client when
    /// one of the keys is deleted or overwritten (the command then replies its error).
    public func block(onKeys keys: [RBytes], deadline: Int64, timeoutReply: TimeoutReply,
                      resolvedArgv: [RBytes]? = nil, wakeOnDeletion: Bool = false) {
        block(keys, deadline, timeoutReply, resolvedArgv, wakeOnDeletion, nil)
    }

    /// Blocks the client on `keys` (in its selected database) with a module's callbacks instead of a re-run:
    /// when one of the keys exists and is signalled ready, `callbacks.ready` decides whether the client is
    /// served; at `deadline` (absolute ms; 0 = forever) or on CLIENT UNBLOCK ... TIMEOUT, `callbacks.timeout`
    /// replies. Waiters of a key are asked in the order they blocked. The command returns without replying.
    public func block(onKeys keys: [RBytes], deadline: Int64, callbacks: BlockCallbacks) {
        block(keys, deadline, .null, nil, false, callbacks)
    }

    private func block(_ keys: [RBytes], _ deadline: Int64, _ timeoutReply: TimeoutReply, _ resolvedArgv: [RBytes]?,
                       _ wakeOnDeletion: Bool, _ callbacks: BlockCallbacks?) {
        guard let command else { return }
        server.blockSequence += 1
        var state = BlockState(id: server.blockSequence, keys: keys, db: db, deadline: deadline,
                               timeoutReply: timeoutReply, argv: resolvedArgv ?? argv, command: command,
                               wakeOnDeletion: wakeOnDeletion)
        state.callbacks = callbacks
        blockState = state
        server.addBlocked(self, state)
        if deadline > 0, let loop = eventLoop {
            let delay = max(0, deadline - server.commandTime)
            let server = self.server
            let id = state.id
            loop.scheduleTask(in: .milliseconds(delay)) { [weak self] in
                guard let self else { return }
                server.lock.withLock {
                    guard let s = self.blockState, s.id == id else { return }
                    server.unblockWithReply(self, error: nil)
                }
            }
        }
    }
}

extension Server {
    func addBlocked(_ c: Client, _ s: BlockState) {
        blockedCount += 1
        for key in s.keys {
            blockedOnKey[BlockKey(db: s.db.id, key: key), default: []].append(c)
        }
    }

    /// Takes a client out of the waiting lists (served, timed out, unblocked or disconnected).
    public func unblock(_ c: Client) {
        guard let s = c.blockState else { return }
        c.blockState = nil
        blockedCount -= 1
        for key in s.keys {
            let k = BlockKey(db: s.db.id, key: key)
            guard var list = blockedOnKey[k] else { continue }
            list.removeAll { $0 === c }
            blockedOnKey[k] = list.isEmpty ? nil : list
        }
    }

    /// Ends a client's wait early with its timeout reply, or with `error` (CLIENT UNBLOCK, timeouts), then lets
    /// its connection go on with buffered input.
    public func unblockWithReply(_ c: Client, error: String?) {
        guard let s = c.blockState else { return }
        if error == nil, let callbacks = s.callbacks {
            // Still blocked while the callback runs, so it cannot block again.
            runBlockedCallback(c, s, key: nil) { c in
                callbacks.timeout(c)
                return true
            }
            unblock(c)
            if callDepth == 0 {
                if !pendingEffects.isEmpty { flushEffects() }
                if !readyKeys.isEmpty { serveClientsBlockedOnReadyKeys() }
            }
        } else if let error {
            unblock(c)
            c.error(error)
        } else {
            unblock(c)
            switch s.timeoutReply {
            case .null: c.reply.null()
            case .nullArray: c.reply.nullArray()
            }
        }
        c.scheduleResume()
    }

    /// Ends a client's wait with a reply its command writes itself (WAIT's count), then lets its connection go
    /// on with buffered input.
    public func unblock(_ c: Client, replying write: (Client) -> Void) {
        guard c.blockState != nil else { return }
        unblock(c)
        write(c)
        c.scheduleResume()
    }

    /// Runs a module's blocked-client callback as a call of the blocked command: its argv, database and command
    /// in place, `wokenByKey` = `key`, accounted and propagated like the command; returns what `body` returned.
    @discardableResult
    func runBlockedCallback(_ c: Client, _ s: BlockState, key: RBytes?, _ body: @escaping (Client) -> Bool) -> Bool {
        let savedDb = c.db
        c.db = s.db
        c.argv = s.argv
        c.rerunDeadline = s.deadline
        c.wokenByKey = key
        var result = false
        call(c, s.command, handler: { c in result = body(c) })
        c.rerunDeadline = nil
        c.wokenByKey = nil
        if c.db === s.db { c.db = savedDb }
        return result
    }

    /// How many clients wait in a command of the family `family` (MODULE UNLOAD refuses a module with blocked
    /// clients, as Redis).
    public func blockedClients(family: String) -> Int {
        guard blockedCount > 0 else { return 0 }
        return clients.values.reduce(0) { n, c in
            c.blockState?.command.family == family ? n + 1 : n
        }
    }

    /// Number of clients waiting in blocking commands (INFO's `blocked_clients`).
    public var blockedClients: Int { blockedCount }

    /// Marks `key` as having new elements, so clients blocked on it are served after the current command.
    public func signalKeyAsReady(_ db: Database, _ key: RBytes) {
        let k = BlockKey(db: db.id, key: key)
        guard blockedOnKey[k] != nil, !readyKeySet.contains(k) else { return }
        readyKeySet.insert(k)
        readyKeys.append(k)
    }

    /// After SWAPDB: keys clients block on that exist in the data swapped in are ready (Redis 7.0's
    /// scanDatabaseForReadyKeys on both databases).
    public func databasesSwapped(_ a: Database, _ b: Database) {
        guard blockedCount > 0 else { return }
        for k in blockedOnKey.keys where k.db == a.id || k.db == b.id {
            let db = databases[k.db]
            if db.table.find(k.key) != nil { signalKeyAsReady(db, k.key) }
        }
    }

    /// Serves clients blocked on keys that became ready, in FIFO order per key, by running their command again.
    /// Called after each top-level command (never inside MULTI/EXEC or a script, so those wake waiters only
    /// once they complete).
    func serveClientsBlockedOnReadyKeys() {
        while !readyKeys.isEmpty {
            let batch = readyKeys
            readyKeys.removeAll()
            readyKeySet.removeAll()
            for k in batch {
                guard let waiters = blockedOnKey[k] else { continue }
                let db = databases[k.db]
                for c in waiters {
                    guard let s = c.blockState else { continue }
                    if let callbacks = s.callbacks {
                        // A module's waiter is asked whatever the key's type, once the key exists (Redis 7.0's
                        // serveClientsBlockedOnKeyByModule); it stays in its place when its callback declines.
                        guard db.table.find(k.key) != nil else { continue }
                        let served = runBlockedCallback(c, s, key: k.key, callbacks.ready)
                        if !pendingEffects.isEmpty { flushEffects() }
                        if served {
                            unblock(c)
                            c.releaseArgv()
                            c.scheduleResume()
                        }
                        continue
                    }
                    // Once the key is gone (an earlier waiter emptied it), the rest keep waiting in order — except
                    // waiters that asked to hear about deletion (XREADGROUP replies an error then).
                    let value = db.get(k.key)
                    if value == nil && !s.wakeOnDeletion { continue }
                    // Like Redis, a key that now holds another type does not wake list or sorted-set waiters.
                    if let value, let expected = s.command.blockingType, value.typeName != expected,
                       !s.wakeOnDeletion { continue }
                    unblock(c)
                    let savedDb = c.db
                    c.db = s.db
                    c.argv = s.argv
                    c.rerunDeadline = s.deadline
                    c.wokenByKey = k.key
                    call(c, s.command)
                    c.rerunDeadline = nil
                    c.wokenByKey = nil
                    if !pendingEffects.isEmpty { flushEffects() }
                    if !c.isBlocked && c.db === s.db { c.db = savedDb }
                    if !c.isBlocked { c.releaseArgv() }
                    c.scheduleResume()
                }
            }
        }
    }
}
