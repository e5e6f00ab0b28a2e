import Kernel

/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT LOAD / EXISTS / FLUSH / KILL / HELP.
public struct EvalCommands: CommandModule {
    public init() {}
    public let family = "scripting"

    public var commands: [CommandSpec] {
        let s: ACLCategories = [.scripting]
        let evalFlags: CommandFlags = [.noscript, .stale, .skipMonitor, .noMandatoryKeys, .mayReplicate]
        let roFlags: CommandFlags = [.readonly, .noscript, .stale, .skipMonitor, .noMandatoryKeys]
        // The engine, found once per registration instead of by name for every EVAL.
        let slot = EngineSlot()
        return [
            CommandSpec("eval", arity: -3, flags: evalFlags, 
                        categories: s, summary: "Execute a Lua script server side", since: "2.6.0",
                        complexity: "Depends on the script that is executed.", keyFinder: EvalCommands.keys,
                        handler: { evalGeneric($0, bySha: false, readOnly: false, slot: slot) }),
            CommandSpec("evalsha", arity: -3, flags: evalFlags, 
                        categories: s, summary: "Execute a Lua script server side", since: "2.6.0",
                        complexity: "Depends on the script that is executed.", keyFinder: EvalCommands.keys,
                        handler: { evalGeneric($0, bySha: true, readOnly: false, slot: slot) }),
            CommandSpec("eval_ro", arity: -3, flags: roFlags, 
                        categories: s, summary: "Execute a read-only Lua script server side", since: "7.0.0",
                        complexity: "Depends on the script that is executed.", keyFinder: EvalCommands.keys,
                        handler: { evalGeneric($0, bySha: false, readOnly: true, slot: slot) }),
            CommandSpec("evalsha_ro", arity: -3, flags: roFlags, 
                        categories: s, summary: "Execute a read-only Lua script server side",
                        since: "7.0.0", complexity: "Depends on the script that is executed.",
                        keyFinder: EvalCommands.keys, handler: { evalGeneric($0, bySha: true, readOnly: true, slot: slot) }),
            CommandSpec("script", arity: -2, categories: s, summary: "A container for Lua scripts management commands",
                        since: "2.6.0", complexity: "Depends on subcommand.", subcommands: [
                CommandSpec("debug", arity: 3, flags: [.noscript], categories: s,
                            summary: "Set the debug mode for executed scripts.", since: "3.2.0",
                            complexity: "O(1)", handler: scriptDebug),
                CommandSpec("exists", arity: -3, flags: [.noscript], categories: s,
                            summary: "Check existence of scripts in the script cache.",
                            since: "2.6.0", complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
                            handler: scriptExists),
                CommandSpec("flush", arity: -2, flags: [.noscript], categories: s,
                            summary: "Remove all the scripts from the script cache.", since: "2.6.0",
                            complexity: "O(N) with N being the number of scripts in cache", handler: scriptFlush),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: s,
                            summary: "Show helpful text about the different subcommands", since: "5.0.0",
                            complexity: "O(1)", handler: scriptHelp),
                CommandSpec("kill", arity: 2, flags: [.noscript, .allowBusy], categories: s,
                            summary: "Kill the script currently in execution.", since: "2.6.0",
                            complexity: "O(1)", handler: scriptKill),
                CommandSpec("load", arity: 3, flags: [.noscript, .stale], categories: s,
                            summary: "Load the specified Lua script into the script cache.", since: "2.6.0",
                            complexity: "O(N) with N being the length in bytes of the script body.",
                            handler: scriptLoad),
            ]),
        ]
    }

    /// EVAL/FCALL keys: `numkeys` at argument 2, the keys after it.
    static let keys = KeyFinders.numkeys(at: 2)

    /// Sets up scripting on a started server: INFO fields, and the function libraries read from its RDB file.
    public static func install(on server: Server) {
        server.lock.withLock {
            _ = EvalEngine.of(server)
            _ = FunctionEngine.of(server)
            server.addInfoFields(section: "memory") { s in ScriptingMemory.fields(s) }
        }
    }
}

/// Reads EVAL/FCALL's numkeys (argument 2) against the argument count; nil after replying the error.
func parseNumkeys(_ c: Client) -> Int? {
    guard let n = Numbers.parseInt64(c.argv[2]) else {
        c.error("ERR value is not an integer or out of range")
        return nil
    }
    if n > Int64(c.argv.count - 3) {
        c.error("ERR Number of keys can't be greater than number of args")
        return nil
    }
    if n < 0 {
        c.error("ERR Number of keys can't be negative")
        return nil
    }
    return Int(n)
}

/// The EVAL engine of the server the EVAL commands were registered on, kept by their handlers.
final class EngineSlot {
    private var engine: EvalEngine?

    /// The engine of `server` (cached; looked up again if a handler ever serves another server).
    func of(_ server: Server) -> EvalEngine {
        if let e = engine, e.vm.server === server { return e }
        let e = EvalEngine.of(server)
        engine = e
        return e
    }
}

/// EVAL script numkeys [key ...] [arg ...] (and EVALSHA, EVAL_RO, EVALSHA_RO)
func evalGeneric(_ c: Client, bySha: Bool, readOnly: Bool, slot: EngineSlot) {
    let engine = slot.of(c.server)
    if !engine.debugModes.isEmpty, let mode = engine.debugModes[c.id] {
        evalDebugging(c, mode: mode, bySha: bySha, engine: engine) {
            evalRun(c, bySha: bySha, readOnly: readOnly, engine: engine)
        }
        return
    }
    evalRun(c, bySha: bySha, readOnly: readOnly, engine: engine)
}

/// EVAL's work once the debugger is set up or not needed.
func evalRun(_ c: Client, bySha: Bool, readOnly: Bool, engine: EvalEngine) {
    c.propagateInstead([])
    guard let numkeys = parseNumkeys(c) else { return }
    let sha: RBytes
    let script: EvalEngine.Cached
    if bySha {
        guard let s = engine.script(sha: c.argv[1]) else {
            c.error("NOSCRIPT No matching script. Please use EVAL.")
            return
        }
        sha = c.argv[1]
        script = s
    } else {
        guard let loaded = engine.load(c.argv[1], replyingTo: c) else { return }
        (sha, script) = loaded
    }
    guard let policy = engine.vm.prepare(c, flags: script.flags, readOnlyCommand: readOnly) else { return }
    let keys = c.argv[3..<(3 + numkeys)]
    let args = c.argv[(3 + numkeys)...]
    engine.vm.execute(ref: script.ref, for: c, fake: engine.fake, keys: keys, args: args, policy: policy,
                      name: RunName.sha(sha), isEval: true)
}

/// SCRIPT EXISTS sha1 [sha1 ...]
func scriptExists(_ c: Client) {
    let engine = EvalEngine.of(c.server)
    c.reply.arrayHeader(c.argv.count - 2)
    for sha in c.argv.dropFirst(2) { c.reply.integer(engine.script(sha: sha) != nil ? 1 : 0) }
}

/// SCRIPT FLUSH [ASYNC|SYNC]
func scriptFlush(_ c: Client) {
    if c.argv.count > 3 || (c.argv.count == 3 && !c.argv[2].equalsIgnoringCase("sync")
        && !c.argv[2].equalsIgnoringCase("async")) {
        c.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
        return
    }
    EvalEngine.of(c.server).flush()
    c.reply.ok()
}

/// SCRIPT KILL (while a script runs, the I/O loops answer it without the lock; here nothing runs)
func scriptKill(_ c: Client) {
    let line = c.server.busyScript.kill(eval: true)
    if line.hasPrefix("-") { c.error(String(line.dropFirst())) } else { c.reply.ok() }
}

/// SCRIPT LOAD script
func scriptLoad(_ c: Client) {
    guard let (sha, _) = EvalEngine.of(c.server).load(c.argv[2], replyingTo: c) else { return }
    c.reply.bulk(sha)
}

/// SCRIPT HELP
func scriptHelp(_ c: Client) {
    let lines = [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ]
    c.reply.arrayHeader(lines.count)
    for l in lines { c.reply.status(l) }
}

/// INFO memory's scripting fields.
enum ScriptingMemory {
    static func fields(_ s: Server) -> [(String, String)] {
        let eval = EvalEngine.of(s)
        let fn = FunctionEngine.of(s)
        let vmEval = eval.vm.memoryUsed
        let vmFunctions = fn.vm.memoryUsed
        let scriptsEval = eval.bodyBytes
        let functions = fn.codeBytes
        return [
            ("used_memory_lua", String(vmEval)),
            ("used_memory_vm_eval", String(vmEval)),
            ("used_memory_lua_human", human(vmEval)),
            ("used_memory_scripts_eval", String(scriptsEval)),
            ("number_of_cached_scripts", String(eval.scripts.count)),
            ("number_of_functions", String(fn.functionCount)),
            ("number_of_libraries", String(fn.libraries.count)),
            ("used_memory_vm_functions", String(vmFunctions)),
            ("used_memory_vm_total", String(vmEval + vmFunctions)),
            ("used_memory_vm_total_human", human(vmEval + vmFunctions)),
            ("used_memory_functions", String(functions)),
            ("used_memory_scripts", String(scriptsEval + functions)),
            ("used_memory_scripts_human", human(scriptsEval + functions)),
        ]
    }

    /// Redis's bytesToHuman.
    static func human(_ n: Int) -> String {
        let d = Double(n)
        if n < 1024 { return "\(n)B" }
        if d < 1024 * 1024 { return fixed2(d / 1024) + "K" }
        if d < 1024 * 1024 * 1024 { return fixed2(d / (1024 * 1024)) + "M" }
        return fixed2(d / (1024 * 1024 * 1024)) + "G"
    }

    /// `%.2f`, as bytesToHuman prints (through libc, not `Double.description`, whose float printer is not
    /// otherwise paged in: the first INFO no longer faults 128 KB of libswiftCore's code into the RSS).
    private static func fixed2(_ d: Double) -> String {
        String(decoding: Numbers.cFormat("%.2f", d), as: UTF8.self)
    }
}
