import Kernel

/// MULTI, EXEC, DISCARD, WATCH, UNWATCH. Queueing itself is the dispatcher's (it sees every command).
public struct TransactionCommands: CommandModule {
    public init() {}
    public let family = "transactions"

    public var commands: [CommandSpec] {
        let t: ACLCategories = [.transaction]
        return [
            CommandSpec("multi", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy], categories: t,
                        summary: "Starts a transaction.", since: "1.2.0", complexity: "O(1)", handler: multi),
            CommandSpec("exec", arity: 1, flags: [.noscript, .loading, .stale, .skipSlowlog], categories: t,
                        summary: "Executes all commands in a transaction.", since: "1.2.0",
                        complexity: "Depends on commands in the transaction", handler: exec),
            CommandSpec("discard", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy], categories: t,
                        summary: "Discards a transaction.", since: "2.0.0", complexity: "O(N), when N is the number of queued commands",
                        handler: discard),
            CommandSpec("watch", arity: -2, flags: [.noscript, .loading, .stale, .fast, .allowBusy], keys: .all,
                        categories: t, summary: "Monitors changes to keys to determine the execution of a transaction.",
                        since: "2.2.0", complexity: "O(1) for every key.", handler: watch),
            CommandSpec("unwatch", arity: 1, flags: [.noscript, .loading, .stale, .fast, .allowBusy], categories: t,
                        summary: "Forgets about watched keys of a transaction.", since: "2.2.0", complexity: "O(1)",
                        handler: unwatch),
        ]
    }
}

/// MULTI
func multi(_ c: Client) {
    if c.inMulti {
        c.error("ERR MULTI calls can not be nested")
        return
    }
    c.beginMulti()
    c.reply.ok()
}

/// EXEC
func exec(_ c: Client) {
    guard let state = c.multi else {
        c.error("ERR EXEC without MULTI")
        return
    }
    if state.aborted {
        c.discardMulti()
        c.error("EXECABORT Transaction discarded because of previous errors.")
        return
    }
    if c.watchedKeysChanged {
        c.discardMulti()
        c.reply.nullArray()
        return
    }
    c.discardMulti()
    c.reply.arrayHeader(state.queued.count)
    c.runQueuedCommands(state.queued)
    // EXEC itself is not an effect: the queued commands' effects are, wrapped in MULTI/EXEC by the kernel.
    c.propagateInstead([])
}

/// DISCARD
func discard(_ c: Client) {
    guard c.inMulti else {
        c.error("ERR DISCARD without MULTI")
        return
    }
    c.discardMulti()
    c.reply.ok()
}

/// WATCH key [key ...]
func watch(_ c: Client) {
    if c.inMulti {
        c.error("ERR WATCH inside MULTI is not allowed")
        return
    }
    for key in c.argv.dropFirst() { c.watch(key) }
    c.reply.ok()
}

/// UNWATCH
func unwatch(_ c: Client) {
    c.unwatchAll()
    c.reply.ok()
}
