import Commands
import Kernel
import NIOCore
import Scripting
import Testing

/// A server with the built-in and scripting families and an internal client, recording propagated effects.
final class ScriptHarness {
    let server: Server
    let client: Client
    var effects: [[String]] = []

    init() {
        server = Server(config: Config(), modules: BuiltinModules.all + [EvalCommands(), FunctionCommands()],
                        log: Logger(minimum: nil))
        client = server.addClient()
        server.addPropagationSink { [unowned self] _, argv in self.effects.append(argv.map(\.string)) }
    }

    /// Runs one command and returns its raw reply.
    @discardableResult
    func run(_ args: String...) -> String {
        client.argv = args.map { RBytes($0) }
        let start = client.reply.buffer.writerIndex
        server.lock.withLock { server.execute(client) }
        return client.reply.buffer.getString(at: start, length: client.reply.buffer.writerIndex - start) ?? ""
    }
}

@Suite("EVAL in process")
struct EvalTests {
    @Test("integers, strings and arrays convert to RESP")
    func conversions() {
        let h = ScriptHarness()
        #expect(h.run("EVAL", "return 7", "0") == ":7\r\n")
        #expect(h.run("EVAL", "return 'x'", "0") == "$1\r\nx\r\n")
        #expect(h.run("EVAL", "return {1, 'a', {2}}", "0") == "*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n")
        #expect(h.run("EVAL", "return 3.99", "0") == ":3\r\n")
    }

    @Test("redis.call reaches the keyspace and a script's writes propagate wrapped in MULTI/EXEC")
    func nestedWrites() {
        let h = ScriptHarness()
        #expect(h.run("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incr', 'n')", "1", "k", "v") == ":1\r\n")
        #expect(h.run("GET", "k") == "$1\r\nv\r\n")
        #expect(h.effects == [["MULTI"], ["set", "k", "v"], ["incr", "n"], ["EXEC"]])
    }

    @Test("globals are read-only and missing ones cannot be read")
    func sandbox() {
        let h = ScriptHarness()
        #expect(h.run("EVAL", "x = 1", "0").hasPrefix("-ERR user_script:1: Attempt to modify a readonly table"))
        #expect(h.run("EVAL", "return y", "0").hasPrefix("-ERR user_script:1: Script attempted to access nonexistent global variable 'y'"))
        #expect(h.run("EVAL", "return 1", "0") == ":1\r\n")
    }
}

@Suite("RESP reader")
struct RESPReaderTests {
    @Test("nested RESP3 values decode")
    func nested() {
        let bytes = Array("*3\r\n:5\r\n%1\r\n+a\r\n,1.5\r\n_\r\n".utf8)
        let v = bytes.withUnsafeBytes { raw -> RESPValue? in
            var r = RESPReader(raw)
            return r.read()
        }
        guard case .array(let items)? = v, items.count == 3, case .integer(5) = items[0], case .map(let m) = items[1],
              m.count == 1, case .null = items[2] else {
            Issue.record("unexpected \(String(describing: v))")
            return
        }
    }

    @Test("truncated input yields nil")
    func truncated() {
        let bytes = Array("*2\r\n:1\r\n".utf8)
        let v = bytes.withUnsafeBytes { raw -> RESPValue? in
            var r = RESPReader(raw)
            return r.read()
        }
        #expect(v == nil)
    }
}

@Suite("EVALSHA cache keys, reused KEYS/ARGV, SCRIPT DEBUG in process")
struct EvalFloorTests {
    @Test("EVALSHA finds a script by its SHA1 in either case; 40 non-hex bytes are NOSCRIPT")
    func shaCase() {
        let h = ScriptHarness()
        let reply = h.run("SCRIPT", "LOAD", "return 'hi'")
        let sha = String(reply.split(separator: "\r\n")[1])
        #expect(h.run("EVALSHA", sha, "0") == "$2\r\nhi\r\n")
        #expect(h.run("EVALSHA", sha.uppercased(), "0") == "$2\r\nhi\r\n")
        #expect(h.run("EVALSHA", String(repeating: "g", count: 40), "0").hasPrefix("-NOSCRIPT"))
        #expect(h.run("SCRIPT", "EXISTS", sha.uppercased(), String(repeating: "0", count: 40)) == "*2\r\n:1\r\n:0\r\n")
    }

    @Test("KEYS and ARGV hold exactly this run's values after runs with more, fewer or changed elements")
    func argsTables() {
        let h = ScriptHarness()
        let probe = "return {#KEYS, #ARGV, KEYS[1] or 'none', ARGV[3] or 'none'}"
        #expect(h.run("EVAL", probe, "2", "a", "b", "x", "y", "z") == "*4\r\n:2\r\n:3\r\n$1\r\na\r\n$1\r\nz\r\n")
        #expect(h.run("EVAL", probe, "0") == "*4\r\n:0\r\n:0\r\n$4\r\nnone\r\n$4\r\nnone\r\n")
        _ = h.run("EVAL", "KEYS[7] = 'junk'; ARGV.x = 1; return 1", "1", "k")
        #expect(h.run("EVAL", "local n = 0 for _ in pairs(KEYS) do n = n + 1 end return n", "1", "k") == ":1\r\n")
        #expect(h.run("EVAL", "return ARGV.x == nil", "0") == ":1\r\n")
    }

    @Test("a client without a socket cannot start a debugging session; SCRIPT DEBUG YES is refused")
    func debugWithoutSocket() {
        let h = ScriptHarness()
        h.client.reply.buffer.clear()
        #expect(h.run("SCRIPT", "DEBUG", "SYNC") == "+OK\r\n")
        h.client.reply.buffer.clear()
        #expect(h.run("EVAL", "return 1", "0") == "-ERR The Lua debugger is only available to TCP connections\r\n")
        #expect(h.run("EVALSHA", String(repeating: "a", count: 40), "0")
            == "-ERR Please use EVAL instead of EVALSHA for debugging\r\n")
        h.client.reply.buffer.clear()
        #expect(h.run("SCRIPT", "DEBUG", "YES").hasPrefix("-ERR SCRIPT DEBUG YES"))
        #expect(h.run("EVAL", "return 1", "0").hasPrefix("-ERR SCRIPT DEBUG YES"))
        h.client.reply.buffer.clear()
        #expect(h.run("SCRIPT", "DEBUG", "NO") == "+OK\r\n")
        #expect(h.run("EVAL", "return redis.breakpoint()", "0") == "$-1\r\n")
    }
}
