import CLuaBridge
import Kernel

/// The FUNCTION side of scripting for one server: libraries (`#!lua name=lib`) and their functions, in a Lua
/// state of their own. The libraries' code is kept in `server.functionLibraries`, which snapshots write to RDB
/// files (opcode FUNCTION2) and loading fills; the engine recompiles whenever that list changes under it.
final class FunctionEngine {
    /// A registered function.
    struct Function {
        let name: String
        let ref: Int32
        let flags: ScriptFlags
        let description: String?
    }

    /// A library: its code and functions.
    struct Library {
        let name: String
        let code: [UInt8]
        var functions: [Function]
    }

    let vm: LuaVM
    let fake: Client
    unowned(unsafe) let server: Server
    /// Libraries by name, in load order.
    private(set) var libraries: [Library] = []
    /// Functions by name → library index.
    private var functionIndex: [String: (lib: Int, fn: Int)] = [:]
    /// The code list the engine last compiled (compared with the server's by buffer identity first).
    private var compiledCodes: [[UInt8]] = []
    /// Functions collected by redis.register_function while a library loads.
    private var pending: [Function]?

    init(server: Server) {
        self.server = server
        vm = LuaVM(server: server, kind: 1)
        fake = server.addClient()
        vm.registrar = { [unowned self] L in self.register(L) }
    }

    /// The engine of `server`, created on first use (call with the data lock held).
    static func of(_ server: Server) -> FunctionEngine {
        if let e = server.attachments["scripting.function"] as? FunctionEngine {
            e.syncWithServer()
            return e
        }
        let e = FunctionEngine(server: server)
        server.attachments["scripting.function"] = e
        e.syncWithServer()
        return e
    }

    /// Functions across all libraries.
    var functionCount: Int { functionIndex.count }
    /// Bytes of library code.
    var codeBytes: Int { libraries.reduce(0) { $0 + $1.code.count } }

    /// Looks a function up by name.
    func function(_ name: String) -> Function? {
        guard let at = functionIndex[name] else { return nil }
        return libraries[at.lib].functions[at.fn]
    }

    /// Recompiles every library if the server's list changed (RDB load, full sync, DEBUG RELOAD).
    private func syncWithServer() {
        if server.functionLibraries == compiledCodes { return }
        let codes = server.functionLibraries
        removeAll()
        for code in codes {
            if case .failure(let e) = load(code, replace: true) {
                server.log.warning("Failed loading library from RDB: \(e.message)")
            }
        }
        // A reload appends to the list: keep one copy of each library (as loaded) for the next snapshot.
        publish()
    }

    private func removeAll() {
        for lib in libraries { for f in lib.functions { vm.release(f.ref) } }
        libraries.removeAll()
        functionIndex.removeAll()
    }

    private func publish() {
        server.functionLibraries = libraries.map(\.code)
        compiledCodes = server.functionLibraries
        functionIndex.removeAll()
        for (li, lib) in libraries.enumerated() {
            for (fi, f) in lib.functions.enumerated() { functionIndex[f.name] = (li, fi) }
        }
    }

    /// A FUNCTION error, replied as is.
    struct Failure: Error {
        let message: String
    }

    /// FUNCTION LOAD's work: parses the metadata, runs the library body to collect its functions, and installs
    /// the library. Returns its name.
    func load(_ code: [UInt8], replace: Bool) -> Result<String, Failure> {
        let end: Int
        let name: String
        switch FunctionEngine.metadata(code) {
        case .failure(let e): return .failure(e)
        case .success(let m): (name, end) = m
        }
        let existing = libraries.firstIndex { $0.name == name }
        if existing != nil && !replace { return .failure(Failure(message: "ERR Library '\(name)' already exists")) }
        var body = code
        for i in 0..<end { body[i] = UInt8(ascii: " ") }
        let ref: Int32
        switch vm.compile(body, chunkname: "@user_function") {
        case .failure(let e): return .failure(Failure(message: "ERR Error compiling function: \(e.message)"))
        case .success(let r): ref = r
        }
        pending = []
        let L = vm.L
        let base = lua_gettop(L)
        vm.push(ref: ref)
        vm.release(ref)
        rb_set_memory_limit(L, Int(clamping: server.config.luaMemoryLimit))
        vm.loadDeadlineNs = Clock.monotonicNanoseconds() + 500_000_000
        let status = rb_run(L, 0)
        vm.loadDeadlineNs = nil
        let collected = pending ?? []
        pending = nil
        if status != LUA_OK {
            var message = "unknown error"
            if lua_type(L, -1) == LUA_TTABLE {
                _ = vm.rawField("err")
                message = vm.string(at: -1) ?? message
                rb_pop(L, 1)
            } else if let s = vm.string(at: -1) {
                message = s
            }
            lua_settop(L, base)
            for f in collected { vm.release(f.ref) }
            rb_gc_collect(L)
            return .failure(Failure(message: "ERR Error registering functions: \(message)"))
        }
        lua_settop(L, base)
        if collected.isEmpty { return .failure(Failure(message: "ERR No functions registered")) }
        for f in collected {
            if let at = functionIndex[f.name], libraries[at.lib].name != name {
                for g in collected { vm.release(g.ref) }
                return .failure(Failure(message: "ERR Function \(f.name) already exists"))
            }
        }
        let lib = Library(name: name, code: code, functions: collected)
        if let i = existing {
            for f in libraries[i].functions { vm.release(f.ref) }
            libraries[i] = lib
        } else {
            libraries.append(lib)
        }
        publish()
        return .success(name)
    }

    /// The `#!lua name=lib` first line: the library name and the line's length.
    static func metadata(_ code: [UInt8]) -> Result<(String, Int), Failure> {
        guard code.count >= 2, code[0] == UInt8(ascii: "#"), code[1] == UInt8(ascii: "!") else {
            return .failure(Failure(message: "ERR Missing library metadata"))
        }
        let end = code.firstIndex(of: 10) ?? code.count
        let line = String(decoding: code[2..<end], as: UTF8.self)
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        let invalid = Failure(message: "ERR Invalid library metadata")
        guard let engine = parts.first, engine == "lua" else { return .failure(invalid) }
        var name: String?
        for p in parts.dropFirst() {
            guard p.hasPrefix("name=") else { return .failure(invalid) }
            name = String(p.dropFirst(5))
        }
        guard let name, FunctionEngine.validName(name) else { return .failure(invalid) }
        return .success((name, end))
    }

    /// FUNCTION RESTORE's work: all or nothing. Returns the error, or nil.
    func restore(_ codes: [[UInt8]], flush: Bool, replace: Bool) -> String? {
        let old = libraries.map(\.code)
        var target: [[UInt8]] = flush ? [] : old
        var names: [String] = flush ? [] : libraries.map(\.name)
        for code in codes {
            guard case .success(let (name, _)) = FunctionEngine.metadata(code) else { return "ERR Invalid library metadata" }
            if let i = names.firstIndex(of: name) {
                if !replace { return "ERR Library \(name) already exists" }
                target[i] = code
            } else {
                target.append(code)
                names.append(name)
            }
        }
        removeAll()
        for code in target {
            if case .failure(let e) = load(code, replace: false) {
                removeAll()
                for code in old { _ = load(code, replace: false) }
                publish()
                return e.message
            }
        }
        publish()
        return nil
    }

    /// FUNCTION DELETE's work.
    func delete(_ name: String) -> Bool {
        guard let i = libraries.firstIndex(where: { $0.name == name }) else { return false }
        for f in libraries[i].functions { vm.release(f.ref) }
        libraries.remove(at: i)
        publish()
        return true
    }

    /// FUNCTION FLUSH: no libraries, a fresh Lua state.
    func flush() {
        libraries.removeAll()
        vm.reset()
        publish()
    }

    static func validName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 }
    }

    // MARK: - redis.register_function

    private func register(_ L: OpaquePointer) -> Int32 {
        guard pending != nil else {
            return vm.raise("redis.register_function can only be called on FUNCTION LOAD command")
        }
        let argc = lua_gettop(L)
        var name: String?
        var flags: ScriptFlags = []
        var description: String?
        if argc == 1 {
            guard lua_type(L, 1) == LUA_TTABLE else { return vm.raise("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).") }
            // Named arguments: function_name, callback, flags, description.
            lua_pushnil(L)
            while lua_next(L, 1) != 0 {
                guard lua_type(L, -2) == LUA_TSTRING, let key = vm.string(at: -2) else {
                    return vm.raise("named argument key given to redis.register_function is not a string")
                }
                switch key {
                case "function_name":
                    guard lua_type(L, -1) == LUA_TSTRING else { return vm.raise("function_name argument given to redis.register_function must be a string") }
                    name = vm.string(at: -1)
                case "description":
                    guard lua_type(L, -1) == LUA_TSTRING else { return vm.raise("description argument given to redis.register_function must be a string") }
                    description = vm.string(at: -1)
                case "callback":
                    guard lua_type(L, -1) == LUA_TFUNCTION else { return vm.raise("callback argument given to redis.register_function must be a function") }
                    lua_pushvalue(L, -1)
                    lua_setfield(L, rb_registryindex(), "rb_pending_callback")
                case "flags":
                    guard lua_type(L, -1) == LUA_TTABLE else { return vm.raise("flags argument to redis.register_function must be a table representing function flags") }
                    var i: lua_Integer = 1
                    while lua_rawgeti(L, -1, i) != LUA_TNIL {
                        guard lua_type(L, -1) == LUA_TSTRING, let f = vm.string(at: -1),
                              let flag = ScriptFlags.names.first(where: { $0.0 == f })?.1 else {
                            return vm.raise("unknown flag given")
                        }
                        flags.insert(flag)
                        rb_pop(L, 1)
                        i += 1
                    }
                    rb_pop(L, 1)
                default:
                    return vm.raise("unknown argument given to redis.register_function")
                }
                rb_pop(L, 1)
            }
            guard name != nil else { return vm.raise("redis.register_function must get a function name argument") }
            guard lua_getfield(L, rb_registryindex(), "rb_pending_callback") == LUA_TFUNCTION else {
                rb_pop(L, 1)
                return vm.raise("redis.register_function must get a callback argument")
            }
            lua_pushnil(L)
            lua_setfield(L, rb_registryindex(), "rb_pending_callback")
        } else {
            guard argc == 2 else { return vm.raise("wrong number of arguments to redis.register_function") }
            guard lua_type(L, 1) == LUA_TSTRING else { return vm.raise("first argument to redis.register_function must be a string") }
            guard lua_type(L, 2) == LUA_TFUNCTION else { return vm.raise("second argument to redis.register_function must be a function") }
            name = vm.string(at: 1)
            lua_pushvalue(L, 2)
        }
        let fname = name ?? ""
        guard FunctionEngine.validName(fname) else {
            rb_pop(L, 1)
            return vm.raise("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
        }
        if pending!.contains(where: { $0.name == fname }) {
            rb_pop(L, 1)
            return vm.raise("Function already exists in the library")
        }
        let ref = luaL_ref(L, rb_registryindex())
        pending!.append(Function(name: fname, ref: ref, flags: flags, description: description))
        return 0
    }
}
