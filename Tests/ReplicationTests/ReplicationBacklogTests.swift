import Kernel
import Testing
@testable import Replication

@Suite("Replication backlog")
struct ReplicationBacklogTests {
    @Test("an empty backlog starts at the master offset plus one and holds nothing")
    func emptyBacklog() {
        let b = ReplicationBacklog(capacity: 16, masterOffset: 100)
        #expect(b.firstByteOffset == 101)
        #expect(b.histlen == 0)
        #expect(b.bytes(from: 101) == [])
        #expect(b.bytes(from: 100) == nil)
    }

    @Test("bytes appended are returned from any offset the backlog holds")
    func readsFromOffset() {
        var b = ReplicationBacklog(capacity: 16, masterOffset: 0)
        b.append(Array("hello world".utf8))
        #expect(b.endOffset == 11)
        #expect(b.bytes(from: 1) == Array("hello world".utf8))
        #expect(b.bytes(from: 7) == Array("world".utf8))
        #expect(b.bytes(from: 12) == [])
        #expect(b.bytes(from: 13) == nil)
    }

    @Test("past its capacity the backlog keeps the newest bytes and moves its first offset")
    func wrapsAround() {
        var b = ReplicationBacklog(capacity: 8, masterOffset: 0)
        b.append(Array("abcdef".utf8))
        b.append(Array("ghijk".utf8))
        #expect(b.histlen == 8)
        #expect(b.firstByteOffset == 4)
        #expect(b.bytes(from: 4) == Array("defghijk".utf8))
        #expect(b.bytes(from: 3) == nil)
        b.append(Array("0123456789".utf8))
        #expect(b.bytes(from: b.firstByteOffset) == Array("23456789".utf8))
        #expect(b.endOffset == 21)
    }

    @Test("many small appends across the wrap point read back in order")
    func smallAppendsWrap() {
        var b = ReplicationBacklog(capacity: 10, masterOffset: 5)
        var all: [UInt8] = []
        for i in 0..<37 {
            let chunk = [UInt8](repeating: UInt8(i), count: i % 4 + 1)
            b.append(chunk)
            all += chunk
        }
        #expect(b.bytes(from: b.firstByteOffset) == Array(all.suffix(10)))
        #expect(b.endOffset == 5 + Int64(all.count))
    }

    @Test("resizing keeps the newest bytes that fit")
    func resizeKeepsNewest() {
        var b = ReplicationBacklog(capacity: 8, masterOffset: 0)
        b.append(Array("abcdefgh".utf8))
        b.resize(4)
        #expect(b.bytes(from: b.firstByteOffset) == Array("efgh".utf8))
        #expect(b.firstByteOffset == 5)
        #expect(b.endOffset == 8)
    }
}

@Suite("Replication stream encoding")
struct ReplicationStreamTests {
    @Test("the first command selects its database, later ones in the same database do not")
    func selectsOnce() {
        var e = ReplicationStreamEncoder()
        let first = e.encode(db: 0, ["SET", "k", "v"])
        #expect(first == Array("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".utf8))
        #expect(e.encode(db: 0, ["DEL", "k"]) == Array("*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n".utf8))
    }

    @Test("a change of database emits SELECT before the command")
    func selectsOnChange() {
        var e = ReplicationStreamEncoder()
        _ = e.encode(db: 0, ["SET", "k", "v"])
        #expect(e.encode(db: 3, ["DEL", "k"]) == Array("*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n".utf8))
    }

    @Test("commands outside a database (PING) never select")
    func pingDoesNotSelect() {
        var e = ReplicationStreamEncoder()
        #expect(e.encode(db: nil, ["PING"]) == Array("*1\r\n$4\r\nPING\r\n".utf8))
        #expect(e.selectedDb == -1)
    }
}
