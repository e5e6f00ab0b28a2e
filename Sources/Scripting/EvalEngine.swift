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
    /// Scripts by SHA1.
    private(set) var scripts: [ScriptKey: Cached] = [:]
    /// The script `script(sha:)` found last, under the SHA1 text it was asked for (cleared by `flush`).
    private var lastHit: (sha: RBytes, script: Cached)?
    /// Bytes of the cached bodies (INFO used_memory_scripts_eval).
    private(set) var bodyBytes = 0
    /// SCRIPT DEBUG settings by client id.
    var debugModes: [UInt64: DebugMode] = [:]

    init(server: Server) {
        vm = LuaVM(server: server, kind: 0)
        fake = server.addClient()
    }

    /// The engine of `server`, created on first use (call with the data lock held).
    static func of(_ server: Server) -> EvalEngine {
        if let e = server.attachments["scripting.eval"] as? EvalEngine { return e }
        let e = EvalEngine(server: server)
        server.attachments["scripting.eval"] = e
        return e
    }

    /// Looks a script up by its hex SHA1 (any case).
    func script(sha: RBytes) -> Cached? {
        // EVALSHA mostly repeats one script: the last hit, compared as the argument's bytes, skips the hex parse
        // and the dictionary lookup.
        if let last = lastHit, last.sha == sha { return last.script }
        guard let key = ScriptKey(hex: sha), let found = scripts[key] else { return nil }
        lastHit = (sha, found)
        return found
    }

    /// Parses the shebang, compiles and caches `body`; returns its SHA1, or replies the error to `c` and returns nil.
    func load(_ body: RBytes, replyingTo c: Client) -> (sha: RBytes, script: Cached)? {
        let digest = SHA1.hash(body)
        let sha = RBytes(digest.hexBytes)
        let key = ScriptKey(digest)
        if let s = scripts[key] { return (sha, s) }
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
            scripts[key] = s
            bodyBytes += body.count
            return (sha, s)
        }
    }

    /// SCRIPT FLUSH: a new Lua state without any script.
    func flush() {
        scripts.removeAll()
        lastHit = nil
        bodyBytes = 0
        vm.reset()
    }
}

/// A script's SHA1 as the cache's key: twenty bytes, hashed by their first eight (a SHA1 is uniformly spread), so
/// an EVALSHA costs a 40-digit hex parse and a one-word hash instead of hashing 40 bytes.
struct ScriptKey: Hashable {
    let digest: SHA1.Digest

    init(_ digest: SHA1.Digest) { self.digest = digest }

    /// Parses 40 hex digits of either case; nil for anything else.
    init?(hex: RBytes) {
        guard hex.count == 40 else { return nil }
        let parsed = hex.withUnsafeBytes { p -> SHA1.Digest? in
            var words: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0)
            for w in 0..<5 {
                var v: UInt32 = 0
                for i in 0..<8 {
                    let c = p[w * 8 + i]
                    let d: UInt8
                    switch c {
                    case 48...57: d = c &- 48
                    case 97...102: d = c &- 87
                    case 65...70: d = c &- 55
                    default: return nil
                    }
                    v = v << 4 | UInt32(d)
                }
                switch w {
                case 0: words.0 = v
                case 1: words.1 = v
                case 2: words.2 = v
                case 3: words.3 = v
                default: words.4 = v
                }
            }
            return SHA1.Digest(words.0, words.1, words.2, words.3, words.4)
        }
        guard let parsed else { return nil }
        digest = parsed
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(digest.h0) << 32 | UInt64(digest.h1))
    }

    static func == (a: ScriptKey, b: ScriptKey) -> Bool { a.digest == b.digest }
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
