import CLuaBridge
import Kernel

/// Script flags, from a `#!lua flags=...` shebang (EVAL) or `redis.register_function`'s `flags` (FUNCTION).
struct ScriptFlags: OptionSet {
    let rawValue: Int
    static let noWrites = ScriptFlags(rawValue: 1)
    static let allowOOM = ScriptFlags(rawValue: 2)
    static let allowStale = ScriptFlags(rawValue: 4)
    static let noCluster = ScriptFlags(rawValue: 8)
    static let allowCrossSlot = ScriptFlags(rawValue: 16)
    /// No shebang: Redis 7.0's backwards-compatible EVAL mode.
    static let compat = ScriptFlags(rawValue: 32)

    /// Flag names as shebangs and register_function spell them.
    static let names: [(String, ScriptFlags)] = [
        ("no-writes", .noWrites), ("allow-oom", .allowOOM), ("allow-stale", .allowStale),
        ("no-cluster", .noCluster), ("allow-cross-slot-keys", .allowCrossSlot),
    ]
}

/// What error messages call a run: the script's SHA1 (lower-cased when shown) or the function's name. Kept as
/// given and turned into text only when a message needs it.
enum RunName {
    case sha(RBytes)
    case function(String)

    var text: String {
        switch self {
        case .sha(let b): return b.lowercased().string
        case .function(let n): return n
        }
    }
}

/// One script or function execution: the caller, the fake client its `redis.call`s run on, what it may do.
///
/// Each `LuaVM` owns one, reused by every run (runs on one VM never nest: scripts cannot call EVAL or FCALL),
/// so starting a script allocates nothing here.
final class ScriptRun {
    /// The client that sent EVAL/FCALL (the last one, between runs).
    private(set) var caller: Client {
        didSet { callerRef = Unmanaged.passUnretained(caller) }
    }
    /// `caller`, unretained: nested calls borrow it (`withCaller`) instead of retaining and releasing it.
    private var callerRef: Unmanaged<Client>
    let fake: Client
    var policy = NestedCallPolicy()
    private(set) var startNs: Int64 = 0
    /// The sha (EVAL) or function name (FCALL), for error messages.
    private(set) var runName = RunName.function("")
    private(set) var isEval = true

    /// The run's name as error messages and logs show it.
    var name: String { runName.text }

    init(fake: Client) {
        self.caller = fake
        self.callerRef = Unmanaged.passUnretained(fake)
        self.fake = fake
    }

    /// Calls `body` with the caller, borrowed (`caller` keeps it alive).
    @inline(__always)
    func withCaller<T>(_ body: (Client) -> T) -> T { callerRef._withUnsafeGuaranteedRef(body) }

    /// Starts a new run.
    func begin(caller: Client, policy: NestedCallPolicy, name: RunName, isEval: Bool) {
        self.caller = caller
        self.policy = policy
        self.runName = name
        self.isEval = isEval
        self.startNs = Clock.monotonicNanoseconds()
    }

    /// Ends the run: lets go of the caller's SHA argument, so the next request's parse can overwrite that buffer
    /// in place instead of allocating a new one (`RBytes.assign`).
    func end() {
        runName = .function("")
    }
}

extension LuaVM {
    /// Checks a script's flags against the server state before it runs (Redis's scriptPrepareForRun); returns the
    /// policy for its nested calls, or nil after replying the refusal to `c`.
    func prepare(_ c: Client, flags: ScriptFlags, readOnlyCommand: Bool) -> NestedCallPolicy? {
        var policy = NestedCallPolicy()
        let obeyed = c.linkKind == .master
        let replica = server.replication.role == .replica
        let stale = replica && !server.replication.masterLinkUp && !server.config.replicaServeStaleData
        policy.oomAtStart = server.isOverMaxmemory
        if flags.contains(.compat) {
            if stale && !obeyed {
                c.error("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.")
                return nil
            }
            policy.allowWrites = !readOnlyCommand
            return policy
        }
        if !flags.contains(.allowOOM) && !flags.contains(.noWrites) && policy.oomAtStart && !obeyed {
            // A script that may write is a denyoom command for the dispatcher (Redis's evalGetCommandFlags).
            c.error("OOM command not allowed when used memory > 'maxmemory'.")
            return nil
        }
        if stale && !obeyed && !flags.contains(.allowStale) {
            c.error("MASTERDOWN Link with MASTER is down, replica-serve-stale-data is set to 'no' and 'allow-stale' flag is not set on the script.")
            return nil
        }
        if !flags.contains(.noWrites) {
            if replica && server.config.replicaReadOnly && !obeyed {
                c.error("READONLY Can not run script with write flag on readonly replica")
                return nil
            }
            if readOnlyCommand {
                c.error("ERR Can not execute a script with write flag using *_ro command.")
                return nil
            }
        }
        policy.allowWrites = !flags.contains(.noWrites) && !readOnlyCommand
        policy.allowOOM = flags.contains(.allowOOM)
        policy.allowStale = flags.contains(.allowStale)
        return policy
    }

    /// Runs the function behind `ref` for `c` with KEYS and ARGV (EVAL) or the same two tables as arguments
    /// (FCALL), and writes its result or error as `c`'s reply.
    func execute(ref: Int32, for c: Client, fake: Client, keys: ArraySlice<RBytes>, args: ArraySlice<RBytes>,
                 policy: NestedCallPolicy, name: RunName, isEval: Bool) {
        let L = self.L
        let base = lua_gettop(L)
        defer { lua_settop(L, base) }
        fake.db = c.db
        fake.resp = 2
        fake.aclUser = c.aclUser
        fake.inExec = true
        fake.reply.buffer.clear()
        rb_set_memory_limit(L, Int(clamping: server.config.luaMemoryLimit))
        let run = runSlot(fake: fake)
        run.begin(caller: c, policy: policy, name: name, isEval: isEval)
        push(ref: ref)
        if isEval {
            // EVAL's KEYS and ARGV globals: the tables of the previous run, refilled (see rb_eval_args_table).
            rb_eval_args_table(L, 0, Int32(clamping: keys.count))
            fillArray(keys)
            rb_eval_args_table(L, 1, Int32(clamping: args.count))
            fillArray(args)
            rb_pop(L, 2)
        } else {
            // A function may keep its arguments (in an upvalue of its library): fresh tables for each call.
            lua_createtable(L, Int32(clamping: keys.count), 0)
            fillArray(keys)
            lua_createtable(L, Int32(clamping: args.count), 0)
            fillArray(args)
        }
        setActiveRun(run)
        server.busyScript.begin(isEval ? .eval : .function, fromMaster: c.linkKind == .master)
        let savedMask = server.propagationMask
        let status = debugger != nil ? rb_run_debug(L, 0) : rb_run(L, isEval ? 0 : 2)
        server.propagationMask = savedMask
        server.busyScript.end()
        run.end()
        setActiveRun(nil)
        if status == LUA_OK {
            LuaConvert.writeReply(self, to: c, scriptResp: fake.resp)
        } else {
            writeRunError(c, name: name.text)
            lua_settop(L, base)
            rb_gc_collect(L)
        }
        // The effects of the script's writes were propagated by its nested calls; the script itself is not one.
        c.propagateInstead([])
        server.accountBusyReplies()
    }

    /// Sets `items` as elements 1...n of the table on top of the stack (which stays there).
    private func fillArray(_ items: ArraySlice<RBytes>) {
        var i: lua_Integer = 1
        for item in items {
            item.withUnsafeBytes { pushBytes($0) }
            lua_rawseti(L, -2, i)
            i += 1
        }
    }

    /// The VM's reusable run record for `fake`.
    private func runSlot(fake: Client) -> ScriptRun {
        if let r = runRecord, r.fake === fake { return r }
        let r = ScriptRun(fake: fake)
        runRecord = r
        return r
    }

    /// The reply for a failed run: `<err> script: <name>, on <source>:<line>.` from the error table.
    private func writeRunError(_ c: Client, name: String) {
        let L = self.L
        guard lua_type(L, -1) == LUA_TTABLE else {
            let msg = string(at: -1) ?? "execution failure"
            c.error("ERR Error running script \(name), \(msg.prefix(100))")
            return
        }
        _ = rawField("err")
        let err = string(at: -1) ?? "ERR unknown error"
        rb_pop(L, 1)
        _ = rawField("source")
        let source = lua_type(L, -1) == LUA_TSTRING ? string(at: -1) : nil
        rb_pop(L, 1)
        _ = rawField("line")
        let line = lua_type(L, -1) == LUA_TNUMBER ? string(at: -1) : nil
        rb_pop(L, 1)
        _ = rawField("ignore_error_stats_update")
        let ignore = lua_toboolean(L, -1) != 0
        rb_pop(L, 1)
        var message = err
        if let source, let line { message += " script: \(name), on \(source):\(line)." }
        LuaConvert.writeError(c, message, countStats: !ignore)
    }
}
