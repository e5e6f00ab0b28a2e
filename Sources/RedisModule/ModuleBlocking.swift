import Kernel

/// A blocked client's ready callback (Redis's RM_BlockClientOnKeys reply callback): runs when a key the client
/// waits on exists and was signalled ready (`ModuleContext.readyKey` names it). Reply and return true to end
/// the wait; return false, replying nothing, to keep waiting (in the same place of the key's queue). A thrown
/// error is the client's error reply and ends the wait.
public typealias ModuleReadyHandler = (ModuleContext) throws -> Bool

/// Blocking a client on keys (Redis's `RedisModule_BlockClientOnKeys`, `RedisModule_GetBlockedClientReadyKey`,
/// `RedisModule_SignalKeyAsReady`), on the server's one blocking mechanism (the one BLPOP, BZPOPMIN and XREAD
/// use): FIFO per key, timeouts, CLIENT UNBLOCK, `blocked_clients`, CLIENT LIST's `b` flag.
extension ModuleContext {
    /// Whether this call may block the client: false inside MULTI/EXEC, a script, for the master link or the
    /// AOF loader, and inside a ready or timeout callback (Redis's `REDISMODULE_CTX_FLAGS_DENY_BLOCKING`).
    /// Where it is false, `blockOnKeys` runs its timeout callback at once.
    public var canBlock: Bool { client.canBlock && !client.isBlocked }

    /// Inside a ready callback, the key whose readiness woke the client; nil elsewhere.
    public var readyKey: RBytes? { client.wokenByKey }

    /// Blocks the calling client on `keys` (in its selected database) until a ready callback serves it or
    /// `timeoutMilliseconds` pass (0 = forever). The handler then returns without replying.
    ///
    /// - `onReady` runs when one of the keys exists and was signalled ready: by a built-in write that creates
    ///   the key or adds to a list, sorted set or stream, or by `signalReady` (a module's own type). It runs as
    ///   a call of the blocked command: same arguments (`arguments`, `argument(i)`), database and effects rules
    ///   — use `replicate([...])` to propagate what it wrote as effects.
    /// - `onTimeout` writes the reply when the time is up or on `CLIENT UNBLOCK id [TIMEOUT]` (`CLIENT UNBLOCK id
    ///   ERROR` replies `-UNBLOCKED ...` without it).
    ///
    /// Where the client cannot block (`canBlock` is false: MULTI/EXEC, scripts, replication), `onTimeout` runs
    /// now instead, as a blocking built-in answers at once there. Clients waiting on a key are asked in the
    /// order they blocked. Throws `ModuleError` for a negative timeout, and inside a ready callback (Redis's
    /// "Blocking module command called from a Reply callback context").
    public func blockOnKeys(_ keys: [RBytes], timeoutMilliseconds: Int64, onReady: @escaping ModuleReadyHandler,
                            onTimeout: @escaping ModuleHandler) throws(ModuleError) {
        guard timeoutMilliseconds >= 0 else { throw ModuleError("ERR timeout is negative") }
        guard !client.isBlocked else {
            throw ModuleError("ERR Blocking module command called from a Reply callback context")
        }
        guard client.canBlock else {
            ModuleContext.run(onTimeout, client)
            return
        }
        let deadline = timeoutMilliseconds == 0
            ? 0 : timeoutMilliseconds &+ client.server.commandTime
        guard deadline >= 0 else { throw ModuleError("ERR timeout is out of range") }
        client.block(onKeys: keys, deadline: deadline, callbacks: BlockCallbacks(
            ready: { c in
                do {
                    return try onReady(ModuleContext(c))
                } catch let e as ModuleError {
                    c.error(e.message)
                } catch {
                    c.error("ERR \(error)")
                }
                return true
            },
            timeout: { c in ModuleContext.run(onTimeout, c) }))
    }

    /// Marks `key` (in the selected database) ready, so clients blocked on it get their ready callback after
    /// the current command (Redis's `RedisModule_SignalKeyAsReady`): call it when a module type's value gains
    /// what a waiter may take. Free when nobody waits on the key.
    public func signalReady(_ key: RBytes) {
        client.server.signalKeyAsReady(client.db, key)
    }

    /// Runs a handler, its thrown errors as error replies (as the dispatcher's wrapper).
    static func run(_ handler: ModuleHandler, _ c: Client) {
        do {
            try handler(ModuleContext(c))
        } catch let e as ModuleError {
            c.error(e.message)
        } catch {
            c.error("ERR \(error)")
        }
    }
}
