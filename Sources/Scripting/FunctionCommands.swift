import Kernel

/// FUNCTION LOAD / DELETE / FLUSH / LIST / DUMP / RESTORE / STATS / KILL / HELP, FCALL and FCALL_RO.
public struct FunctionCommands: CommandModule {
    public init() {}
    public let family = "scripting"

    public var commands: [CommandSpec] {
        let s: ACLCategories = [.scripting]
        let fcallFlags: CommandFlags = [.noscript, .stale, .skipMonitor, .noMandatoryKeys, .mayReplicate]
        let roFlags: CommandFlags = [.readonly, .noscript, .stale, .skipMonitor, .noMandatoryKeys]
        return [
            CommandSpec("fcall", arity: -3, flags: fcallFlags, categories: s, summary: "Invoke a function",
                        since: "7.0.0", complexity: "Depends on the function that is executed.",
                        keyFinder: EvalCommands.keys, handler: { fcall($0, readOnly: false) }),
            CommandSpec("fcall_ro", arity: -3, flags: roFlags, categories: s, summary: "Invoke a read-only function",
                        since: "7.0.0", complexity: "Depends on the function that is executed.",
                        keyFinder: EvalCommands.keys, handler: { fcall($0, readOnly: true) }),
            CommandSpec("function", arity: -2, categories: s, summary: "A container for function commands",
                        since: "7.0.0", complexity: "Depends on subcommand.", subcommands: [
                CommandSpec("delete", arity: 3, flags: [.noscript, .write], categories: s,
                            summary: "Delete a function by name", since: "7.0.0", complexity: "O(1)",
                            handler: functionDelete),
                CommandSpec("dump", arity: 2, flags: [.noscript], categories: s,
                            summary: "Dump all functions into a serialized binary payload", since: "7.0.0",
                            complexity: "O(N) where N is the number of functions", handler: functionDump),
                CommandSpec("flush", arity: -2, flags: [.noscript, .write], categories: s,
                            summary: "Deleting all functions", since: "7.0.0",
                            complexity: "O(N) where N is the number of functions deleted", handler: functionFlush),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: s,
                            summary: "Show helpful text about the different subcommands", since: "7.0.0",
                            complexity: "O(1)", handler: functionHelp),
                CommandSpec("kill", arity: 2, flags: [.noscript, .allowBusy], categories: s,
                            summary: "Kill the function currently in execution.", since: "7.0.0", complexity: "O(1)",
                            handler: functionKill),
                CommandSpec("list", arity: -2, flags: [.noscript], categories: s,
                            summary: "List information about all the functions", since: "7.0.0",
                            complexity: "O(N) where N is the number of functions", handler: functionList),
                CommandSpec("load", arity: -3, flags: [.noscript, .write, .denyoom], categories: s,
                            summary: "Create a function with the given arguments (name, code, description)", since: "7.0.0",
                            complexity: "O(1) (considering compilation time is redundant)", handler: functionLoad),
                CommandSpec("restore", arity: -3, flags: [.noscript, .write, .denyoom], categories: s,
                            summary: "Restore all the functions on the given payload", since: "7.0.0",
                            complexity: "O(N) where N is the number of functions on the payload",
                            handler: functionRestore),
                CommandSpec("stats", arity: 2, flags: [.noscript, .allowBusy], categories: s,
                            summary: "Return information about the function currently running (name, description, duration)", since: "7.0.0",
                            complexity: "O(1)", handler: functionStats),
            ]),
        ]
    }
}

/// FCALL function numkeys [key ...] [arg ...] (and FCALL_RO)
func fcall(_ c: Client, readOnly: Bool) {
    c.propagateInstead([])
    let engine = FunctionEngine.of(c.server)
    guard let f = engine.function(c.argv[1].string) else {
        c.error("ERR Function not found")
        return
    }
    guard let numkeys = parseNumkeys(c) else { return }
    guard let policy = engine.vm.prepare(c, flags: f.flags, readOnlyCommand: readOnly) else { return }
    engine.vm.execute(ref: f.ref, for: c, fake: engine.fake, keys: c.argv[3..<(3 + numkeys)],
                      args: c.argv[(3 + numkeys)...], policy: policy, name: RunName.function(f.name), isEval: false)
}

/// FUNCTION LOAD [REPLACE] function-code
func functionLoad(_ c: Client) {
    var replace = false
    var i = 2
    while i < c.argv.count - 1 {
        guard c.argv[i].equalsIgnoringCase("replace") else {
            c.error("ERR Unknown option given: \(c.argv[i].string)")
            return
        }
        replace = true
        i += 1
    }
    switch FunctionEngine.of(c.server).load(c.argv[c.argv.count - 1].array, replace: replace) {
    case .failure(let e): c.error(e.message)
    case .success(let name):
        c.server.dirty += 1
        c.reply.bulk(name)
    }
}

/// FUNCTION DELETE library-name
func functionDelete(_ c: Client) {
    guard FunctionEngine.of(c.server).delete(c.argv[2].string) else {
        c.error("ERR Library not found")
        return
    }
    c.server.dirty += 1
    c.reply.ok()
}

/// FUNCTION FLUSH [ASYNC|SYNC]
func functionFlush(_ c: Client) {
    if c.argv.count > 3 || (c.argv.count == 3 && !c.argv[2].equalsIgnoringCase("sync")
        && !c.argv[2].equalsIgnoringCase("async")) {
        c.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
        return
    }
    FunctionEngine.of(c.server).flush()
    c.server.dirty += 1
    c.reply.ok()
}

/// FUNCTION KILL (while a function runs, the I/O loops answer it without the lock; here nothing runs)
func functionKill(_ c: Client) {
    let line = c.server.busyScript.kill(eval: false)
    if line.hasPrefix("-") { c.error(String(line.dropFirst())) } else { c.reply.ok() }
}

/// FUNCTION STATS (allowed while a function is busy: it then shows the running function; refused while an EVAL
/// script is busy, as in Redis)
func functionStats(_ c: Client) {
    let engine = FunctionEngine.of(c.server)
    if c.server.busyScript.running == .eval {
        c.error(c.server.busyScript.busyError)
        return
    }
    c.reply.mapHeader(2)
    c.reply.bulk("running_script")
    if let run = engine.vm.run {
        c.reply.mapHeader(3)
        c.reply.bulk("name")
        c.reply.bulk(run.name)
        c.reply.bulk("command")
        c.reply.arrayHeader(run.caller.argv.count)
        for a in run.caller.argv { c.reply.bulk(a) }
        c.reply.bulk("duration_ms")
        c.reply.integer((Clock.monotonicNanoseconds() - run.startNs) / 1_000_000)
    } else {
        c.reply.null()
    }
    c.reply.bulk("engines")
    c.reply.mapHeader(1)
    c.reply.bulk("LUA")
    c.reply.mapHeader(2)
    c.reply.bulk("libraries_count")
    c.reply.integer(engine.libraries.count)
    c.reply.bulk("functions_count")
    c.reply.integer(engine.functionCount)
}

/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
func functionList(_ c: Client) {
    var withCode = false
    var pattern: RBytes?
    var i = 2
    while i < c.argv.count {
        if c.argv[i].equalsIgnoringCase("withcode") {
            if withCode {
                c.error("ERR Unknown argument withcode")
                return
            }
            withCode = true
        } else if c.argv[i].equalsIgnoringCase("libraryname") {
            guard i + 1 < c.argv.count else {
                c.error("ERR library name argument was not given")
                return
            }
            if pattern != nil {
                c.error("ERR library name can be given only once")
                return
            }
            i += 1
            pattern = c.argv[i]
        } else {
            c.error("ERR Unknown argument \(c.argv[i].string)")
            return
        }
        i += 1
    }
    let libs = FunctionEngine.of(c.server).libraries.filter { lib in
        pattern.map { Glob.matches($0, RBytes(lib.name), ignoringCase: true) } ?? true
    }
    c.reply.arrayHeader(libs.count)
    for lib in libs {
        c.reply.mapHeader(withCode ? 4 : 3)
        c.reply.bulk("library_name")
        c.reply.bulk(lib.name)
        c.reply.bulk("engine")
        c.reply.bulk("LUA")
        c.reply.bulk("functions")
        c.reply.arrayHeader(lib.functions.count)
        for f in lib.functions {
            c.reply.mapHeader(3)
            c.reply.bulk("name")
            c.reply.bulk(f.name)
            c.reply.bulk("description")
            if let d = f.description { c.reply.bulk(d) } else { c.reply.null() }
            c.reply.bulk("flags")
            let names = ScriptFlags.names.filter { f.flags.contains($0.1) }
            c.reply.setHeader(names.count)
            for n in names { c.reply.status(n.0) }
        }
        if withCode {
            c.reply.bulk("library_code")
            c.reply.bulk(RBytes(lib.code))
        }
    }
}

/// FUNCTION DUMP: every library as opcode FUNCTION2 + its code, then the RDB version and CRC64 (Redis's format).
func functionDump(_ c: Client) {
    var e = RDBEncoder(compression: c.server.config.rdbcompression)
    for lib in FunctionEngine.of(c.server).libraries { e.writeFunction(lib.code) }
    var out = e.takeBytes()
    out.append(UInt8(RDBFormat.version & 0xFF))
    out.append(UInt8(RDBFormat.version >> 8))
    let crc = CRC64.checksum(out)
    for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
    c.reply.bulk(RBytes(out))
}

/// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
func functionRestore(_ c: Client) {
    enum Policy { case flush, append, replace }
    var policy = Policy.append
    if c.argv.count > 4 {
        c.error("ERR wrong number of arguments for 'function|restore' command")
        return
    }
    if c.argv.count == 4 {
        let p = c.argv[3]
        if p.equalsIgnoringCase("flush") { policy = .flush }
        else if p.equalsIgnoringCase("append") { policy = .append }
        else if p.equalsIgnoringCase("replace") { policy = .replace }
        else {
            c.error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
            return
        }
    }
    let payload = c.argv[2].array
    guard DumpPayload.verify(payload) else {
        c.error("ERR DUMP payload version or checksum are wrong")
        return
    }
    var codes: [[UInt8]] = []
    let parsed: Bool = payload.withUnsafeBytes { all in
        var r = RDBReader(UnsafeRawBufferPointer(rebasing: all[0..<(all.count - 10)]))
        do {
            while r.offset < all.count - 10 {
                guard try r.u8() == RDBFormat.Opcode.function2 else { return false }
                codes.append(try r.string())
            }
            return true
        } catch {
            return false
        }
    }
    guard parsed else {
        c.error("ERR given type is not a function")
        return
    }
    let engine = FunctionEngine.of(c.server)
    if let message = engine.restore(codes, flush: policy == .flush, replace: policy == .replace) {
        c.error(message)
        return
    }
    c.server.dirty += 1
    c.reply.ok()
}

/// FUNCTION HELP
func functionHelp(_ c: Client) {
    let lines = [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ]
    c.reply.arrayHeader(lines.count)
    for l in lines { c.reply.status(l) }
}
