import Testing

/// The bulk strings of a flat RESP reply (`*2\r\n$1\r\na\r\n$1\r\nb\r\n` → ["a", "b"]).
private func bulks(_ reply: String) -> [String] {
    let lines = reply.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
    var out: [String] = []
    var i = 0
    while i < lines.count {
        if lines[i].hasPrefix("$") && lines[i] != "$-1" && i + 1 < lines.count {
            out.append(lines[i + 1])
            i += 2
        } else {
            i += 1
        }
    }
    return out
}

@Suite("Propagation of hash and set effects")
struct HashSetPropagationTests {
    @Test("HINCRBYFLOAT propagates the resulting value as HSET")
    func hincrbyfloatBecomesHset() {
        let h = Harness()
        h.run("HINCRBYFLOAT", "h", "f", "1.5")
        h.run("HINCRBYFLOAT", "h", "f", "0.25")
        #expect(h.effects == [["db0", "HSET", "h", "f", "1.5"], ["db0", "HSET", "h", "f", "1.75"]])
        h.effects.removeAll()
        h.run("HINCRBYFLOAT", "h", "f", "inf")
        h.run("HSET", "h", "s", "x")
        h.run("HINCRBYFLOAT", "h", "s", "1")
        #expect(h.effects == [["db0", "HSET", "h", "s", "x"]])
    }

    @Test("writes that change nothing propagate nothing")
    func noOpWritesAreSilent() {
        let h = Harness()
        h.run("SADD", "s", "1")
        h.run("HSET", "h", "a", "1")
        h.effects.removeAll()
        h.run("SADD", "s", "1")
        h.run("SREM", "s", "9")
        h.run("HDEL", "h", "zz")
        h.run("HSETNX", "h", "a", "2")
        h.run("SMOVE", "s", "s", "1")
        h.run("SMOVE", "missing", "s", "1")
        h.run("SINTERSTORE", "dst", "s", "missing")
        h.run("SPOP", "s", "0")
        h.run("SPOP", "missing")
        h.run("SRANDMEMBER", "s", "-3")
        h.run("HRANDFIELD", "h", "-3", "WITHVALUES")
        #expect(h.effects.isEmpty)
    }

    @Test("SPOP without a count propagates SREM of the popped member")
    func spopBecomesSrem() {
        let h = Harness()
        h.run("SADD", "s", "a", "b", "c")
        h.effects.removeAll()
        let popped = bulks(h.run("SPOP", "s"))
        #expect(popped.count == 1)
        #expect(h.effects == [["db0", "SREM", "s"] + popped])
    }

    @Test("SPOP with a count propagates one SREM per member, wrapped in MULTI/EXEC", arguments: [2, 8])
    func spopCountBecomesSrems(count: Int) {
        let h = Harness()
        h.run("SADD", "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
        h.effects.removeAll()
        let popped = bulks(h.run("SPOP", "s", String(count)))
        #expect(popped.count == count)
        #expect(h.effects == [["db0", "MULTI"]] + popped.map { ["db0", "SREM", "s", $0] } + [["db0", "EXEC"]])
    }

    @Test("SPOP of the whole set propagates DEL")
    func spopAllBecomesDel() {
        let h = Harness()
        h.run("SADD", "s", "a", "b")
        h.effects.removeAll()
        h.run("SPOP", "s", "5")
        #expect(h.effects == [["db0", "DEL", "s"]])
    }

    @Test("store commands propagate as sent, also when they delete the destination")
    func storesPropagateAsSent() {
        let h = Harness()
        h.run("SADD", "a", "1")
        h.run("SET", "dst", "x")
        h.effects.removeAll()
        h.run("SINTERSTORE", "dst", "a", "missing")
        h.run("SUNIONSTORE", "dst", "a")
        #expect(h.effects == [["db0", "SINTERSTORE", "dst", "a", "missing"], ["db0", "SUNIONSTORE", "dst", "a"]])
    }
}
