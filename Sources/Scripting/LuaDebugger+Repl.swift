import CLuaBridge
import Kernel

/// The debugger's hook and command loop (Redis's luaLdbLineHook and ldbRepl), run inside the Lua hook.
extension LuaDebugger {
    /// Called by the line/count hook on a line of the user's script; returns -1 after pushing an error to raise.
    func hook(_ vm: LuaVM) -> Int32 {
        let L = vm.L
        currentLine = Int(rb_ldb_line(L))
        let bp = breakpoints.contains(currentLine) || luaBreakpoint
        var stop = step || bp
        var timeout = false
        if rb_ldb_event(L) == LUA_HOOKCOUNT && !stop {
            let elapsedMs = (Clock.monotonicNanoseconds() - resumedNs) / 1_000_000
            let threshold = vm.server.config.busyReplyThreshold
            let limit = threshold > 0 ? Int64(threshold) : 5000
            guard elapsedMs >= limit else { return 0 }
            timeout = true
            stop = true
        }
        guard stop else { return 0 }
        let reason = bp ? (luaBreakpoint ? "redis.breakpoint() called" : "break point")
            : timeout ? "timeout reached, infinite loop?" : "step over"
        step = false
        luaBreakpoint = false
        log("* Stopped at \(currentLine), stop reason = \(reason)")
        logSourceLine(currentLine)
        sendLogs()
        switch repl(vm) {
        case .resume:
            break
        case .disconnected:
            if timeout {
                vm.pushError("timeout during Lua debugging with client closing connection")
                return -1
            }
        case .raise:
            return -1
        }
        resumedNs = Clock.monotonicNanoseconds()
        return 0
    }

    enum ReplOutcome {
        case resume
        case disconnected
        /// An error table is on the stack.
        case raise
    }

    /// Serves debugger commands until one resumes the script.
    func repl(_ vm: LuaVM) -> ReplOutcome {
        while true {
            let argv: [[UInt8]]
            switch readCommand() {
            case .command(let a): argv = a
            case .disconnected:
                // The script goes on without the client.
                step = false
                breakpoints.removeAll()
                return .disconnected
            case .failure(let m):
                vm.pushError(m)
                return .raise
            }
            let name = String(decoding: argv[0], as: UTF8.self).lowercased()
            let args = argv.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            switch name {
            case "h", "help":
                for l in LuaDebugger.help { log(l) }
                sendLogs()
            case "s", "step", "n", "next":
                step = true
                return .resume
            case "c", "continue":
                return .resume
            case "t", "trace":
                trace(vm)
                sendLogs()
            case "m", "maxlen":
                if args.count == 1 {
                    var v = Int(cAtoi(argv[1]))
                    maxlenHintSent = true
                    if v != 0 && v <= 60 { v = 60 }
                    maxlen = v
                }
                if maxlen > 0 { log("<value> replies are truncated at \(maxlen) bytes.") }
                else { log("<value> replies are unlimited.") }
                sendLogs()
            case "b", "break":
                breakCommand(Array(argv.dropFirst()))
                sendLogs()
            case "e", "eval":
                eval(vm, argv)
                sendLogs()
            case "a", "abort":
                vm.pushError("script aborted for user request")
                return .raise
            case "r" where argv.count > 1, "redis" where argv.count > 1:
                redis(vm, Array(argv.dropFirst()))
                sendLogs()
            case "p", "print":
                if argv.count == 2 { print(vm, argv[1]) } else { printAll(vm) }
                sendLogs()
            case "l", "list":
                var around = currentLine
                var ctx = 5
                if argv.count > 1 {
                    let n = Int(cAtoi(argv[1]))
                    if n > 0 { around = n }
                }
                if argv.count > 2 { ctx = Int(cAtoi(argv[2])) }
                list(around: around, context: ctx)
                sendLogs()
            case "w", "whole":
                list(around: 1, context: 1_000_000)
                sendLogs()
            default:
                log("<error> Unknown Redis Lua debugger command or wrong number of arguments.")
                sendLogs()
            }
        }
    }

    /// C's atoi.
    func cAtoi(_ b: [UInt8]) -> Int32 {
        var i = 0
        while i < b.count && (b[i] == 32 || (b[i] >= 9 && b[i] <= 13)) { i += 1 }
        var neg = false
        if i < b.count && (b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+")) {
            neg = b[i] == UInt8(ascii: "-")
            i += 1
        }
        var v: Int64 = 0
        while i < b.count, b[i] >= 48, b[i] <= 57 {
            v = v &* 10 &+ Int64(b[i] - 48)
            i += 1
        }
        return Int32(truncatingIfNeeded: neg ? -v : v)
    }

    static let help = [
        "Redis Lua debugger help:",
        "[h]elp               Show this help.",
        "[s]tep               Run current line and stop again.",
        "[n]ext               Alias for step.",
        "[c]ontinue           Run till next breakpoint.",
        "[l]ist               List source code around current line.",
        "[l]ist [line]        List source code around [line].",
        "                     line = 0 means: current position.",
        "[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
        "                     to show before/after [line].",
        "[w]hole              List all source code. Alias for 'list 1 1000000'.",
        "[p]rint              Show all the local variables.",
        "[p]rint <var>        Show the value of the specified variable.",
        "                     Can also show global vars KEYS and ARGV.",
        "[b]reak              Show all breakpoints.",
        "[b]reak <line>       Add a breakpoint to the specified line.",
        "[b]reak -<line>      Remove breakpoint from the specified line.",
        "[b]reak 0            Remove all breakpoints.",
        "[t]race              Show a backtrace.",
        "[e]val <code>        Execute some Lua code (in a different callframe).",
        "[r]edis <cmd>        Execute a Redis command.",
        "[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
        "                     Specifying zero as <len> means unlimited.",
        "[a]bort              Stop the execution of the script. In sync",
        "                     mode dataset changes will be retained.",
        "",
        "Debugger functions you can call from Lua scripts:",
        "redis.debug()        Produce logs in the debugger console.",
        "redis.breakpoint()   Stop execution like if there was a breakpoint in the",
        "                     next line of code.",
    ]

    // MARK: - Commands

    func breakCommand(_ args: [[UInt8]]) {
        if args.isEmpty {
            if breakpoints.isEmpty {
                log("No breakpoints set. Use 'b <line>' to add one.")
            } else {
                log("\(breakpoints.count) breakpoints set:")
                for b in breakpoints { logSourceLine(b) }
            }
            return
        }
        for arg in args {
            guard let line = Numbers.parseInt64(RBytes(arg)) else {
                log("Invalid argument:'" + String(decoding: arg, as: UTF8.self) + "'")
                continue
            }
            if line == 0 {
                breakpoints.removeAll()
                log("All breakpoints removed.")
            } else if line > 0 {
                if breakpoints.count == LuaDebugger.maxBreakpoints {
                    log("Too many breakpoints set.")
                } else if line <= Int64(lines.count) && !breakpoints.contains(Int(line)) {
                    breakpoints.append(Int(line))
                    list(around: Int(line), context: 1)
                } else {
                    log("Wrong line number.")
                }
            } else if let i = breakpoints.firstIndex(of: Int(-line)) {
                breakpoints.remove(at: i)
                log("Breakpoint removed.")
            } else {
                log("No breakpoint in the specified line.")
            }
        }
    }

    func trace(_ vm: LuaVM) {
        var level: Int32 = 0
        var line: Int32 = 0
        var user: Int32 = 0
        var name: UnsafePointer<CChar>?
        while rb_ldb_frame(vm.L, level, &line, &user, &name) != 0 {
            if user != 0 {
                let fn = name.map { String(cString: $0) } ?? "top level"
                log("\(level == 0 ? "In" : "From") \(fn):")
                logSourceLine(Int(line))
            }
            level += 1
        }
        if level == 0 { log("<error> Can't retrieve Lua stack.") }
    }

    func print(_ vm: LuaVM, _ varname: [UInt8]) {
        let L = vm.L
        var level: Int32 = 0
        var line: Int32 = 0
        var user: Int32 = 0
        var fname: UnsafePointer<CChar>?
        while rb_ldb_frame(L, level, &line, &user, &fname) != 0 {
            var i: Int32 = 1
            while let name = rb_ldb_local(L, level, i) {
                i += 1
                if Array(String(cString: name).utf8) == varname {
                    logWithMaxLen(Array("<value> ".utf8) + value(vm, at: -1))
                    rb_pop(L, 1)
                    return
                }
                rb_pop(L, 1)
            }
            level += 1
        }
        let text = String(decoding: varname, as: UTF8.self)
        if text == "ARGV" || text == "KEYS" {
            rb_ldb_global(L, text)
            logWithMaxLen(Array("<value> ".utf8) + value(vm, at: -1))
            rb_pop(L, 1)
        } else {
            log("No such variable.")
        }
    }

    func printAll(_ vm: LuaVM) {
        let L = vm.L
        var vars = 0
        var i: Int32 = 1
        while let cname = rb_ldb_local(L, 0, i) {
            i += 1
            let name = String(cString: cname)
            // Lua 5.4 names its internal slots "(temporary)", "(for state)", ...; 5.1's "(*temporary)".
            if !name.hasPrefix("(") {
                logWithMaxLen(Array("<value> \(name) = ".utf8) + value(vm, at: -1))
                vars += 1
            }
            rb_pop(L, 1)
        }
        if vars == 0 { log("No local variables in the current context.") }
    }

    func eval(_ vm: LuaVM, _ argv: [[UInt8]]) {
        let L = vm.L
        var code: [UInt8] = []
        for (i, a) in argv.dropFirst().enumerated() {
            if i > 0 { code.append(32) }
            code.append(contentsOf: a)
        }
        let st = code.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { rb_ldb_eval(L, $0.baseAddress, $0.count) }
        }
        if st != 0 {
            log(Array("<error> ".utf8) + (vm.bytes(at: -1) ?? []))
            rb_pop(L, 1)
            return
        }
        logWithMaxLen(Array("<retval> ".utf8) + value(vm, at: -1))
        rb_pop(L, 1)
    }

    func redis(_ vm: LuaVM, _ args: [[UInt8]]) {
        let L = vm.L
        guard lua_checkstack(L, Int32(args.count + 1)) != 0 else {
            logWithMaxLen(Array("<reply> ".utf8) + LuaDebugger.human(Array("max lua stack reached".utf8)))
            return
        }
        for a in args { a.withUnsafeBytes { vm.pushBytes($0) } }
        step = true
        rb_ldb_redis(L, Int32(args.count))
        step = false
    }

    // MARK: - Logging from redis.call, redis.debug, errors

    /// `<redis> cmd args...` (at most ten arguments shown).
    func logCommand(_ argv: [RBytes]) {
        var line = Array("<redis>".utf8)
        for (j, a) in argv.enumerated() {
            if j == 10 {
                line += Array(" ... (\(argv.count - j - 1) more)".utf8)
                break
            }
            line.append(32)
            line += a.array
        }
        log(line)
    }

    /// `<reply> ...`: a RESP reply in the debugger's human form, after `<error> -CODE ...` for an error reply.
    func logReply(_ raw: UnsafeRawBufferPointer, isError: Bool) {
        if isError {
            var end = 0
            while end < raw.count && raw[end] != 13 { end += 1 }
            log(Array("<error> ".utf8) + Array(raw[0..<end]))
        }
        logWithMaxLen(Array("<reply> ".utf8) + LuaDebugger.human(Array(raw)))
    }
}
