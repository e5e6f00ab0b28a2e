import Commands
import Kernel
import Testing

/// Small collections at rest in the keyspace as their packed block, without their object (issue 18).
@Suite("Small collections at rest")
struct PackedAtRestTests {
    /// What the entry of `key` in database 0 holds, without hydrating it.
    func stored(_ h: Harness, _ key: String) -> Value? {
        let table = h.server.databases[0].table
        return table.find(RBytes(key)).map { table.value(at: $0).value }
    }

    func isPacked(_ v: Value?, _ kind: PackedValue.Kind) -> Bool {
        if case .packed(let p)? = v { return p.kind == kind }
        return false
    }

    func isObject(_ v: Value?) -> Bool {
        if case .object? = v { return true }
        return false
    }

    @Test("a listpack hash, a listpack sorted set and an intset rest as packed blocks after the command")
    func compactEncodingsRestPacked() {
        let h = Harness()
        h.run("HSET", "h", "f1", "v1", "f2", "v2")
        h.run("ZADD", "z", "1", "a", "2", "b")
        h.run("SADD", "s", "1", "2", "3")
        #expect(isPacked(stored(h, "h"), .hash))
        #expect(isPacked(stored(h, "z"), .zset))
        #expect(isPacked(stored(h, "s"), .intset))
    }

    @Test("the large encodings and other types stay objects")
    func largeEncodingsStayObjects() {
        let h = Harness()
        h.run("SADD", "s", "not-an-integer")
        h.run("RPUSH", "l", "a")
        h.run("CONFIG", "SET", "hash-max-listpack-entries", "1")
        h.run("HSET", "h", "f1", "v1", "f2", "v2")
        #expect(isObject(stored(h, "s")))
        #expect(isObject(stored(h, "l")))
        #expect(isObject(stored(h, "h")))
        #expect(h.run("OBJECT", "ENCODING", "h") == "$9\r\nhashtable\r\n")
    }

    @Test("reading and writing a packed value sees and keeps every element")
    func roundTripsThroughCommands() {
        let h = Harness()
        for i in 0..<20 { h.run("SADD", "s", "\(i * 1000)") }
        for i in 0..<20 { h.run("HSET", "h", "f\(i)", "v\(i)") }
        #expect(h.run("SCARD", "s") == ":20\r\n")
        #expect(h.run("SISMEMBER", "s", "19000") == ":1\r\n")
        #expect(h.run("HGET", "h", "f7") == "$2\r\nv7\r\n")
        #expect(h.run("HLEN", "h") == ":20\r\n")
        #expect(h.run("OBJECT", "ENCODING", "s") == "$6\r\nintset\r\n")
        #expect(isPacked(stored(h, "s"), .intset))
        #expect(isPacked(stored(h, "h"), .hash))
    }

    @Test("a value someone still holds is not put back at rest, and keeps its content")
    func heldObjectIsLeftAlone() {
        let h = Harness()
        h.run("HSET", "h", "f", "v")
        let held = h.server.lock.withLock { h.server.databases[0].get(RBytes("h")) }
        h.run("PING")
        #expect(isObject(stored(h, "h")))
        guard case .object(let o)? = held, let hash = o as? HashObject else {
            Issue.record("expected the hash object")
            return
        }
        #expect(hash.get(RBytes("f")) == RBytes("v"))
    }

    @Test("COPY, RENAME, overwrite and delete of packed values")
    func keyspaceOperations() {
        let h = Harness()
        h.run("HSET", "h", "f", "v")
        h.run("COPY", "h", "h2")
        h.run("HSET", "h2", "g", "w")
        #expect(h.run("HLEN", "h") == ":1\r\n")
        #expect(h.run("HLEN", "h2") == ":2\r\n")
        h.run("RENAME", "h2", "h3")
        #expect(h.run("HGET", "h3", "g") == "$1\r\nw\r\n")
        #expect(isPacked(stored(h, "h3"), .hash))
        h.run("SET", "h", "string now")
        #expect(h.run("GET", "h") == "$10\r\nstring now\r\n")
        h.run("DEL", "h3")
        #expect(h.run("EXISTS", "h3") == ":0\r\n")
        h.run("ZADD", "z", "1", "a")
        h.run("FLUSHALL")
        #expect(h.run("DBSIZE") == ":0\r\n")
    }

    @Test("a copy of the key table gets its own blocks")
    func tableCopyDuplicatesBlocks() {
        let h = Harness()
        h.run("HSET", "h", "f", "v")
        var copy = h.server.databases[0].table
        h.run("HSET", "h", "f", "changed")
        copy.insertNew(RBytes("other"), Entry(.string(RBytes("x")), lru: 0))
        guard let slot = copy.find(RBytes("h")) else {
            Issue.record("the copy lost the key")
            return
        }
        let seen = copy.value(at: slot).value.withObject { ($0 as? HashObject)?.get(RBytes("f")) }
        #expect(seen == RBytes("v"))
        #expect(h.run("HGET", "h", "f") == "$7\r\nchanged\r\n")
    }
}
