import Commands
import Kernel
import NIOCore
import Testing

/// A server with the built-in families and an internal client, recording every propagated effect.
final class Harness {
    let server: Server
    let client: Client
    var effects: [[String]] = []

    init() {
        server = Server(config: Config(), modules: BuiltinModules.all, log: Logger(minimum: nil))
        client = server.addClient()
        server.addPropagationSink { [unowned self] db, argv in
            self.effects.append(["db\(db)"] + argv.map(\.string))
        }
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

@Suite("Propagation of effects")
struct PropagationTests {
    @Test("a plain write propagates as sent")
    func plainWrite() {
        let h = Harness()
        h.run("SET", "k", "v")
        #expect(h.effects == [["db0", "SET", "k", "v"]])
    }

    @Test("reads propagate nothing")
    func readsAreSilent() {
        let h = Harness()
        h.run("GET", "k")
        h.run("EXISTS", "k")
        #expect(h.effects.isEmpty)
    }

    @Test("SET with a relative expiry propagates an absolute PXAT")
    func setExBecomesPxat() {
        let h = Harness()
        h.run("SET", "k", "v", "EX", "100")
        #expect(h.effects.count == 1)
        #expect(Array(h.effects[0].prefix(5)) == ["db0", "SET", "k", "v", "PXAT"])
        let at = Int64(h.effects[0][5])!
        #expect(abs(at - (Clock.unixMilliseconds() + 100_000)) < 5_000)
    }

    @Test("EXPIRE propagates as PEXPIREAT")
    func expireBecomesPexpireat() {
        let h = Harness()
        h.run("SET", "k", "v")
        h.run("EXPIRE", "k", "50")
        #expect(h.effects.last?[1] == "PEXPIREAT")
    }

    @Test("INCRBYFLOAT propagates its result with KEEPTTL")
    func incrbyfloatBecomesSet() {
        let h = Harness()
        h.run("INCRBYFLOAT", "f", "1.5")
        #expect(h.effects == [["db0", "SET", "f", "1.5", "KEEPTTL"]])
    }

    @Test("a failed command propagates nothing")
    func failuresAreSilent() {
        let h = Harness()
        h.run("SET", "k", "notanumber")
        h.effects.removeAll()
        #expect(h.run("INCR", "k").hasPrefix("-ERR"))
        #expect(h.effects.isEmpty)
    }

    @Test("a transaction propagates its effects wrapped in MULTI/EXEC")
    func transactionsAreWrapped() {
        let h = Harness()
        h.run("MULTI")
        h.run("SET", "a", "1")
        h.run("INCR", "a")
        h.run("GET", "a")
        #expect(h.run("EXEC") == "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n")
        #expect(h.effects.map { $0[1] } == ["MULTI", "SET", "INCR", "EXEC"])
    }

    @Test("an expired key found on access propagates DEL")
    func lazyExpiryPropagatesDel() async throws {
        let h = Harness()
        h.run("SET", "k", "v", "PX", "1")
        h.effects.removeAll()
        try await Task.sleep(for: .milliseconds(10))
        #expect(h.run("GET", "k") == "$-1\r\n")
        #expect(h.effects == [["db0", "DEL", "k"]])
    }

    @Test("SELECT changes the database effects are recorded against")
    func selectChangesEffectDb() {
        let h = Harness()
        h.run("SELECT", "3")
        h.run("SET", "k", "v")
        #expect(h.effects == [["db3", "SET", "k", "v"]])
    }
}
