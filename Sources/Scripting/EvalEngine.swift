import CLuaBridge
import Kernel

/// The EVAL side of scripting for one server: the Lua state, the script cache by SHA1, the fake client.
final class EvalEngine {
    /// A cached script: its body, compiled function and shebang flags.
    struct Cached {
        let body: [UInt8]
        let ref: Int32
        let flags: ScriptFlags
    }

    let vm: LuaVM
    let fake: Client
    /// Scripts by lower-case hex SHA1.
    private(set) var scripts: [RBytes: Cached] = [:]
    /// Bytes of the cached bodies (INFO used_memory_scripts_eval).
    private(set) var bodyBytes = 0

    init(server: Server) {
        vm = LuaVM(server: server, kind: 0)
        fake = server.addClient(channel: nil)
    }

    /// The engine of `server`, created on first use (call with the data lock held).
    static func of(_ server: Server) -> EvalEngine {
        if let e = server.attachments["scripting.eval"] as? EvalEngine { return e }
        let e = EvalEngine(server: server)
        server.attachments["scripting.eval"] = e
        return e
    }

    /// Looks a script up by its SHA1 (any case).
    func script(sha: RBytes) -> Cached? { scripts[sha] ?? scripts[sha.lowercased()] }

    /// Parses the shebang, compiles and caches `body`; returns its SHA1, or replies the error to `c` and returns nil.
    func load(_ body: RBytes, replyingTo c: Client) -> (sha: RBytes, script: Cached)? {
        let sha = RBytes(SHA1.hash(body).hexBytes)
        if let s = scripts[sha] { return (sha, s) }
        var code = body.array
        let flags: ScriptFlags
        switch Shebang.parse(code) {
        case .failure(let e):
            c.error(e.message)
            return nil
        case .success(let parsed):
            flags = parsed.flags
            // The shebang line is blanked out, keeping its newline so that line numbers stay right.
            if parsed.length > 0 { for i in 0..<parsed.length { code[i] = UInt8(ascii: " ") } }
        }
        switch vm.compile(code, chunkname: "@user_script") {
        case .failure(let e):
            c.error("ERR Error compiling script (new function): \(e.message)")
            return nil
        case .success(let ref):
            let s = Cached(body: body.array, ref: ref, flags: flags)
            scripts[sha] = s
            bodyBytes += body.count
            return (sha, s)
        }
    }

    /// SCRIPT FLUSH: a new Lua state without any script.
    func flush() {
        scripts.removeAll()
        bodyBytes = 0
        vm.reset()
    }
}

/// `#!lua flags=...` (Redis 7.0's evalExtractShebangFlags).
enum Shebang {
    /// The parsed first line: its length (0 without a shebang) and flags.
    struct Parsed {
        let length: Int
        let flags: ScriptFlags
    }

    /// A shebang error, replied as is.
    struct Failure: Error {
        let message: String
    }

    static func parse(_ body: [UInt8]) -> Result<Parsed, Failure> {
        guard body.count >= 2 && body[0] == UInt8(ascii: "#") && body[1] == UInt8(ascii: "!") else {
            return .success(Parsed(length: 0, flags: .compat))
        }
        guard let end = body.firstIndex(of: 10) else { return .failure(Failure(message: "ERR Invalid script shebang")) }
        let line = String(decoding: body[0..<end], as: UTF8.self)
        let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        guard let engine = parts.first else { return .failure(Failure(message: "ERR Invalid engine in script shebang")) }
        guard engine == "#!lua" else {
            return .failure(Failure(message: "ERR Unexpected engine in script shebang: \(engine)"))
        }
        var flags: ScriptFlags = []
        for part in parts.dropFirst() {
            guard part.hasPrefix("flags=") else {
                return .failure(Failure(message: "ERR Unknown lua shebang option: \(part)"))
            }
            let list = part.dropFirst(6)
            if list.isEmpty { continue }
            for name in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard let f = ScriptFlags.names.first(where: { $0.0 == name })?.1 else {
                    return .failure(Failure(message: "ERR Unexpected flag in script shebang: \(name)"))
                }
                flags.insert(f)
            }
        }
        return .success(Parsed(length: end, flags: flags))
    }
}
