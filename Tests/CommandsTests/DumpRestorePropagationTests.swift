import Commands
import Kernel
import Testing

/// RESTORE's effects as Redis 7.0 writes them to its AOF (checked against redis-server 7.0.15).
@Suite("Propagation of RESTORE")
struct DumpRestorePropagationTests {
    /// Runs a command whose arguments may be binary.
    @discardableResult
    func run(_ h: Harness, _ args: [RBytes]) -> String {
        h.client.argv = args
        let start = h.client.reply.buffer.writerIndex
        h.server.lock.withLock { h.server.execute(h.client) }
        return h.client.reply.buffer.getString(at: start, length: h.client.reply.buffer.writerIndex - start) ?? ""
    }

    let payload = RBytes(DumpPayload.make(.string("v"), compression: true))

    @Test("a relative TTL propagates as an absolute one with ABSTTL appended after the options")
    func relativeTTLBecomesAbsolute() {
        let h = Harness()
        #expect(run(h, ["RESTORE", "a", "100000", payload, "IDLETIME", "5"]) == "+OK\r\n")
        #expect(h.effects.count == 1)
        let e = h.effects[0]
        #expect(e.count == 8 && e[1] == "RESTORE" && e[5] == "IDLETIME" && e[6] == "5" && e[7] == "ABSTTL")
        let at = Int64(e[3])!
        #expect(abs(at - (Clock.unixMilliseconds() + 100_000)) < 5_000)
    }

    @Test("no TTL, or an absolute one, propagates as sent")
    func asSent() {
        let h = Harness()
        run(h, ["RESTORE", "b", "0", payload])
        run(h, ["RESTORE", "c", "99999999999999", payload, "ABSTTL"])
        #expect(h.effects.count == 2)
        #expect(h.effects[0].count == 5 && h.effects[0][2] == "b" && h.effects[0][3] == "0")
        #expect(h.effects[1].count == 6 && h.effects[1][3] == "99999999999999" && h.effects[1][5] == "ABSTTL")
    }

    @Test("an already expired ABSTTL with REPLACE propagates DEL of the old key; without an old key, nothing")
    func expired() {
        let h = Harness()
        run(h, ["SET", "c", "x"])
        h.effects.removeAll()
        #expect(run(h, ["RESTORE", "c", "1", payload, "ABSTTL", "REPLACE"]) == "+OK\r\n")
        #expect(run(h, ["RESTORE", "d", "1", payload, "ABSTTL"]) == "+OK\r\n")
        #expect(h.effects == [["db0", "DEL", "c"]])
    }
}
