import CLuaBridge
import Kernel

/// One sandboxed Lua 5.4 state (the EVAL state or the FUNCTION state) and the run in progress on it.
///
/// Lua reaches Swift through `LuaVM.entry` only: C wrappers (CLuaBridge) call it with an operation code and raise
/// any error it reports once it has returned, so no `lua_error` ever unwinds a Swift frame.
final class LuaVM {
    /// The Lua state; replaced by `reset` (SCRIPT FLUSH, FUNCTION FLUSH).
    private(set) var L: OpaquePointer
    let kind: Int32
    /// The server (a strong `let`, borrowed by readers; see `Database.server`).
    let server: Server
    /// The script running now, if any: the run record, unretained (`runRecord` owns it), so that each
    /// `redis.call` borrows it instead of retaining and releasing it.
    private(set) var activeRun: Unmanaged<ScriptRun>?
    /// The script running now, if any.
    var run: ScriptRun? { activeRun?.takeUnretainedValue() }
    /// The run record every run of this VM reuses.
    var runRecord: ScriptRun?
    /// The debugging session of the run in progress (SCRIPT DEBUG SYNC), if any.
    var debugger: LuaDebugger?
    /// While a library body runs (FUNCTION LOAD): when it must have finished.
    var loadDeadlineNs: Int64?
    /// Receives `redis.register_function` calls while a library loads (FUNCTION state only).
    var registrar: ((OpaquePointer) -> Int32)?

    /// The C entry point every `redis.*` native function goes through.
    static let entry: rb_native_fn = { L, op in
        guard let L, let owner = rb_owner(L) else { return 0 }
        // Borrowed: the VM owns the Lua state, so it outlives every call from it (no retain/release per call).
        return Unmanaged<LuaVM>.fromOpaque(owner)._withUnsafeGuaranteedRef { $0.native(L, op) }
    }

    init(server: Server, kind: Int32) {
        self.server = server
        self.kind = kind
        self.L = OpaquePointer(bitPattern: 1)!
        self.L = LuaVM.open(self, kind: kind)
    }

    private static func open(_ vm: LuaVM, kind: Int32) -> OpaquePointer {
        let owner = Unmanaged.passUnretained(vm).toOpaque()
        guard let L = rb_open(LuaVM.entry, owner, ServerInfo.redisVersion, Int64(ScriptingInfo.versionNumber), kind) else {
            fatalError("Failed creating the lua VM.")
        }
        return L
    }

    deinit { rb_close(L) }

    /// Drops every compiled script and global state: a fresh sandbox.
    func reset() {
        rb_close(L)
        L = LuaVM.open(self, kind: kind)
    }

    /// Bytes the VM has allocated.
    var memoryUsed: Int { rb_memory_used(L) }

    /// Compiles `code` under `chunkname`; returns a registry reference, or the compiler's message.
    func compile(_ code: [UInt8], chunkname: String) -> Result<Int32, CompileError> {
        let status = code.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { rb_compile(L, $0.baseAddress, $0.count, chunkname) }
        }
        if status != 0 {
            let message = string(at: -1) ?? "unknown error"
            rb_pop(L, 1)
            return .failure(CompileError(message: message))
        }
        return .success(luaL_ref(L, rb_registryindex()))
    }

    /// A compile failure's message.
    struct CompileError: Error {
        let message: String
    }

    /// Forgets a compiled function.
    func release(_ ref: Int32) { luaL_unref(L, rb_registryindex(), ref) }

    /// Pushes the function behind `ref`.
    func push(ref: Int32) { lua_rawgeti(L, rb_registryindex(), lua_Integer(ref)) }

    /// The string (or number, as text) at `index`, without Lua errors.
    func string(at index: Int32) -> String? {
        guard let b = bytes(at: index) else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    /// The bytes of the string at `index` (numbers are converted, as lua_tolstring does).
    func bytes(at index: Int32) -> [UInt8]? {
        let t = lua_type(L, index)
        guard t == LUA_TSTRING || t == LUA_TNUMBER else { return nil }
        var len = 0
        guard let p = rb_tolstring(L, index, &len) else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// Pushes `t[name]` for the table on top, without metamethods (a hostile table cannot raise here).
    func rawField(_ name: String) -> Int32 {
        pushString(name)
        return lua_rawget(L, -2)
    }

    /// Pushes a Lua string from bytes.
    func pushBytes(_ b: UnsafeRawBufferPointer) {
        _ = lua_pushlstring(L, b.baseAddress?.assumingMemoryBound(to: CChar.self), b.count)
    }

    /// Pushes a Lua string.
    func pushString(_ s: String) {
        var s = s
        s.withUTF8 { p in _ = lua_pushlstring(L, UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: CChar.self), p.count) }
    }

    /// Pushes Redis's error table for `message`: `-CODE text` keeps its code, plain text gets `ERR`.
    func pushError(_ message: String, ignoreStats: Bool = false) {
        // While stepping, the debugger shows the errors Redis commands give the script.
        // While stepping, the debugger shows the errors the script gets (errors of nested calls: see redisCall).
        if let d = debugger, d.step, !message.hasPrefix("-") { d.log("<error> " + message) }
        var m = message
        m.withUTF8 { p in
            rb_push_error_table(L, UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: CChar.self), p.count,
                                ignoreStats ? 1 : 0)
        }
    }

    /// Pushes the error table for a message without a code (`ERR` is added) and reports a raise.
    func raise(_ message: String) -> Int32 {
        var m = message
        m.withUTF8 { p in
            rb_push_error_table(L, UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: CChar.self), p.count, 0)
        }
        return -1
    }

    // MARK: - Native operations

    private func native(_ L: OpaquePointer, _ op: Int32) -> Int32 {
        switch Int(op) {
        case Int(RB_OP_HOOK): return hook()
        case Int(RB_OP_REGISTER): return registrar?(L) ?? raise("redis.register_function can only be called on FUNCTION LOAD command")
        case Int(RB_OP_SHA1HEX): return sha1hex(L)
        case Int(RB_OP_LOG): return log(L)
        case Int(RB_OP_LDB_HOOK): return debugger?.hook(self) ?? 0
        case Int(RB_OP_LDB_BREAKPOINT):
            debugger?.luaBreakpoint = true
            lua_pushboolean(L, debugger != nil ? 1 : 0)
            return 1
        case Int(RB_OP_LDB_DEBUG):
            if let d = debugger {
                var line = Array("<debug> line \(d.currentLine): ".utf8)
                let argc = lua_gettop(L)
                if argc > 0 {
                    for i in 1...argc {
                        line += d.value(self, at: i)
                        if i != argc { line += [44, 32] }
                    }
                }
                d.log(line)
            }
            return 0
        default: break
        }
        guard let activeRun else {
            return raise("redis.call/pcall can only be called inside a script invocation")
        }
        return activeRun._withUnsafeGuaranteedRef { run in
            switch Int(op) {
            case Int(RB_OP_CALL): return redisCall(L, run, raising: true)
            case Int(RB_OP_PCALL): return redisCall(L, run, raising: false)
            case Int(RB_OP_SHA1HEX): return sha1hex(L)
            case Int(RB_OP_LOG): return log(L)
            case Int(RB_OP_SETRESP): return setresp(L, run)
            case Int(RB_OP_SETREPL): return setRepl(L, run)
            case Int(RB_OP_ACL_CHECK): return aclCheck(L)
            default: return 0
            }
        }
    }

    /// Marks `run` (the run record) as the run in progress, or none.
    func setActiveRun(_ run: ScriptRun?) {
        activeRun = run.map { Unmanaged.passUnretained($0) }
    }

    /// The count hook: past `busy-reply-threshold` the run becomes busy (others get -BUSY, and the connections of
    /// this loop are served from here); a kill request ends it.
    private func hook() -> Int32 {
        guard let run else {
            // A library body (FUNCTION LOAD) gets 500 ms, as in Redis.
            if let deadline = loadDeadlineNs, Clock.monotonicNanoseconds() > deadline { return 2 }
            return 0
        }
        let busy = server.busyScript
        if !busy.isBusy {
            let elapsedMs = (Clock.monotonicNanoseconds() - run.startNs) / 1_000_000
            if elapsedMs >= Int64(server.config.busyReplyThreshold) {
                busy.markBusy()
                server.log.warning("Slow script detected: still in execution after \(elapsedMs) milliseconds. You can try killing the script using the \(run.isEval ? "SCRIPT KILL" : "FUNCTION KILL") command. Script name is: \(run.name).")
            }
        }
        // Past the threshold the other connections of this loop are served from here (never deaf).
        if busy.isBusy { server.serveBusyPeers() }
        return busy.killRequested ? 1 : 0
    }

    private func sha1hex(_ L: OpaquePointer) -> Int32 {
        guard lua_gettop(L) == 1 else { return raise("wrong number of arguments") }
        let b = bytes(at: 1) ?? []
        pushString(SHA1.hash(b).hex)
        return 1
    }

    private func log(_ L: OpaquePointer) -> Int32 {
        let argc = lua_gettop(L)
        guard argc >= 2 else { return raise("redis.log() requires two arguments or more.") }
        guard lua_type(L, 1) == LUA_TNUMBER else { return raise("First argument must be a number (log level).") }
        let level = lua_tointegerx(L, 1, nil)
        guard (0...3).contains(level) else { return raise("Invalid debug level.") }
        var parts: [String] = []
        for i in 2...argc { if let s = string(at: i) { parts.append(s) } }
        let text = parts.joined(separator: " ")
        switch level {
        case 0, 1: server.log.verbose(text)
        case 2: server.log.notice(text)
        default: server.log.warning(text)
        }
        return 0
    }

    private func setresp(_ L: OpaquePointer, _ run: ScriptRun) -> Int32 {
        guard lua_gettop(L) == 1 else { return raise("redis.setresp() requires one argument.") }
        let v = lua_tointegerx(L, -1, nil)
        guard v == 2 || v == 3 else { return raise("RESP version must be 2 or 3.") }
        run.fake.resp = Int(v)
        return 0
    }

    private func setRepl(_ L: OpaquePointer, _ run: ScriptRun) -> Int32 {
        guard lua_gettop(L) == 1 else { return raise("redis.set_repl() requires one argument.") }
        let v = lua_tointegerx(L, -1, nil)
        guard (0...3).contains(v) else {
            return raise("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
        }
        var t: PropagationTarget = []
        if v & 1 != 0 { t.insert(.aof) }
        if v & 2 != 0 { t.insert(.replicas) }
        server.propagationMask = t
        return 0
    }

    private func aclCheck(_ L: OpaquePointer) -> Int32 {
        guard lua_gettop(L) >= 1, let name = bytes(at: 1) else {
            return raise("Please specify at least one argument for this redis lib call")
        }
        guard server.commands.lookup(RBytes(name)) != nil else {
            return raise("Invalid command passed to redis.acl_check_cmd()")
        }
        lua_pushboolean(L, 1)
        return 1
    }

    /// redis.call / redis.pcall: arguments to argv, the nested dispatch, the reply back to Lua.
    private func redisCall(_ L: OpaquePointer, _ run: ScriptRun, raising: Bool) -> Int32 {
        let argc = lua_gettop(L)
        if argc == 0 {
            pushError("Please specify at least one argument for this redis lib call")
            return raising ? -1 : 1
        }
        // The fake client's argv array is reused from call to call: elements are overwritten in place (no
        // allocation for its storage, no separate pass releasing the previous call's arguments).
        let fake = run.fake
        let previous = fake.argv.count
        let count = Int(argc)
        if previous > count { fake.argv.removeLast(previous - count) }
        for i in 1...argc {
            let t = lua_type(L, i)
            let arg: RBytes
            if t == LUA_TSTRING {
                var len = 0
                let p = rb_tolstring(L, i, &len)
                let bytes = UnsafeRawBufferPointer(start: p, count: len)
                let j = Int(i) - 1
                // Over the previous call's argument in place: a long key repeated by a loop costs no allocation.
                if j < fake.argv.count {
                    fake.argv[j].assign(bytes)
                    continue
                }
                arg = RBytes(bytes)
            } else if t == LUA_TNUMBER {
                if lua_isinteger(L, i) != 0 {
                    arg = Numbers.format(Int64(lua_tointegerx(L, i, nil)))
                } else {
                    arg = LuaVM.formatNumber(lua_tonumberx(L, i, nil))
                }
            } else {
                pushError("Lua redis lib command arguments must be strings or integers")
                return raising ? -1 : 1
            }
            let j = Int(i) - 1
            if j < fake.argv.count { fake.argv[j] = arg } else { fake.argv.append(arg) }
        }
        fake.reply.buffer.clear()
        if let d = debugger, d.step { d.logCommand(fake.argv) }
        // An integer reply comes back as a number, not as RESP to decode (the debugger logs replies as RESP).
        fake.reply.capturesInteger = debugger == nil
        let rejection = run.withCaller { server.nestedCall(fake, caller: $0, policy: &run.policy) }
        fake.reply.capturesInteger = false
        if let n = fake.reply.capturedInteger {
            fake.reply.capturedInteger = nil
            if fake.reply.buffer.writerIndex == 0 {
                lua_pushinteger(L, lua_Integer(n))
                return 1
            }
            // Anything written after the integer: put it back in front of the rest and decode the whole reply.
            var rest = fake.reply.buffer
            fake.reply.buffer.clear()
            fake.reply.integer(n)
            fake.reply.buffer.writeBuffer(&rest)
        }
        if let rejection {
            if let d = debugger, d.step {
                d.log("<error> " + (rejection.hasPrefix("ERR ") ? String(rejection.dropFirst(4)) : "-" + rejection))
            }
            pushError("-" + rejection, ignoreStats: true)
            return raising ? -1 : 1
        }
        let isError = LuaConvert.pushReply(self, fake)
        if let d = debugger, d.step { fake.reply.buffer.withUnsafeReadableBytes { d.logReply($0, isError: isError) } }
        fake.reply.buffer.clear()
        if isError && raising { return -1 }
        return 1
    }

    /// A float argument as Redis 7.0 writes it (`%.17g`).
    static func formatNumber(_ d: Double) -> RBytes { Numbers.formatDouble(d) }
}

/// Scripting constants.
enum ScriptingInfo {
    /// REDIS_VERSION_NUM: 0x00MMmmpp of the Redis version we answer as.
    static var versionNumber: Int {
        let parts = ServerInfo.redisVersion.split(separator: ".").compactMap { Int($0) }
        guard parts.count == 3 else { return 0 }
        return parts[0] << 16 | parts[1] << 8 | parts[2]
    }
}
