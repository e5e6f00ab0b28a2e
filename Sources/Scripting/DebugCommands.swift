import Kernel

/// SCRIPT DEBUG YES|SYNC|NO
func scriptDebug(_ c: Client) {
    let engine = EvalEngine.of(c.server)
    // Redis refuses it while replies are pending (inside EXEC, or pipelined behind unanswered commands): the
    // session's log must be the next thing the client reads.
    if c.reply.buffer.readableBytes > 0 {
        c.error("ERR SCRIPT DEBUG must be called outside a pipeline")
        return
    }
    // Settings of clients that are gone are dropped here (a session's client is closed when it ends).
    if engine.debugModes.count > 64 {
        engine.debugModes = engine.debugModes.filter { c.server.clients[$0.key] != nil }
    }
    let mode = c.argv[2]
    if mode.equalsIgnoringCase("no") {
        engine.debugModes[c.id] = nil
        c.reply.ok()
    } else if mode.equalsIgnoringCase("sync") {
        engine.debugModes[c.id] = .sync
        c.reply.ok()
    } else if mode.equalsIgnoringCase("yes") {
        engine.debugModes[c.id] = .forkRefused
        c.error(forkedDebuggingRefused)
    } else {
        c.error("ERR Use SCRIPT DEBUG YES/SYNC/NO")
    }
}

/// Why SCRIPT DEBUG YES (and the client's EVALs after it) are refused.
let forkedDebuggingRefused = "ERR SCRIPT DEBUG YES (a forked session whose changes are rolled back) is not supported: this server cannot fork its dataset. Use SCRIPT DEBUG SYNC (redis-cli --ldb-sync-mode): changes are kept"

/// Runs `body` (the EVAL) as a debugging session for `c` (Redis's evalGenericCommandWithDebugging): the debugger
/// talks to the client over its socket while the script runs, `<endsession>` ends the log, and the client is
/// closed after the EVAL's reply.
func evalDebugging(_ c: Client, mode: DebugMode, bySha: Bool, engine: EvalEngine, body: () -> Void) {
    if bySha {
        if c.argv[1].count != 40 {
            c.error("NOSCRIPT No matching script. Please use EVAL.")
        } else {
            c.error("ERR Please use EVAL instead of EVALSHA for debugging")
        }
        return
    }
    if mode == .forkRefused {
        c.error(forkedDebuggingRefused)
        return
    }
    guard let fd = c.server.socketOnCurrentLoop(of: c) else {
        c.error("ERR The Lua debugger is only available to TCP connections")
        return
    }
    let debugger = LuaDebugger(fd: fd, body: c.argv[1])
    // Replies queued before the EVAL go out first: the debugger writes to the socket directly.
    if c.reply.buffer.readableBytes > 0 {
        debugger.write(c.reply.buffer.withUnsafeReadableBytes { Array($0) })
        c.reply.buffer.clear()
    }
    c.server.log.warning("Redis synchronous debugging eval session started")
    engine.vm.debugger = debugger
    body()
    engine.vm.debugger = nil
    debugger.log("<endsession>")
    debugger.sendLogs()
    c.server.log.warning("Redis synchronous debugging eval session ended")
    engine.debugModes[c.id] = nil
    c.closeAfterReply = true
}
