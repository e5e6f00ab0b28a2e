import Commands
import Foundation
@testable import Kernel
import Testing

/// Drives a snapshot by hand, in tiny slices, with commands run between slices; then reads the file back.
final class SnapshotHarness {
    let h = Harness()
    let path: String
    var job: Snapshot?

    init() {
        path = NSTemporaryDirectory() + "snapshot-test-\(UUID().uuidString).rdb"
    }

    deinit { unlink(path) }

    /// Starts a snapshot and walks `slices` slices of at least 64 keys each.
    func begin(slices: Int = 1) {
        h.server.lock.withLock {
            job = h.server.beginSnapshot(purpose: .rdb, finalPath: path, tempPath: path + ".tmp")
            for _ in 0..<slices { _ = job!.runSlice(budgetNanoseconds: 0) }
        }
    }

    /// Walks to the end and writes the file.
    func finish() -> Bool {
        h.server.lock.withLock {
            while !job!.runSlice(budgetNanoseconds: Int64.max) {}
            return h.server.endSnapshotSync(job!)
        }
    }

    /// Every key in the file: "db:key" → (value description, expireAt).
    func contents() throws -> [String: (String, Int64?)] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var out: [String: (String, Int64?)] = [:]
        _ = try [UInt8](data).withUnsafeBytes { raw in
            try RDBFile.parse(raw, thresholds: EncodingThresholds(h.server.config), onAux: { _, _ in },
                              onKey: { k in out["\(k.db):\(k.key.string)"] = (Self.describe(k.value), k.expireAt) },
                              onFunction: { _ in })
        }
        return out
    }

    static func describe(_ v: Value) -> String {
        switch v {
        case .string(let s): return s.string
        case .object(let o):
            if let l = o as? ListObject { return "list:" + (0..<l.count).map { l[$0].string }.joined(separator: ",") }
            if let s = o as? SetObject { return "set:" + s.members.map(\.string).sorted().joined(separator: ",") }
            if let hash = o as? HashObject {
                var pairs: [String] = []
                hash.forEach { f, v in pairs.append("\(f.string)=\(v.string)") }
                return "hash:" + pairs.sorted().joined(separator: ",")
            }
            if let z = o as? SortedSetObject {
                var items: [String] = []
                z.forEach(in: 0..<z.count) { m, s in items.append("\(m.string)@\(s)") }
                return "zset:" + items.joined(separator: ",")
            }
            return "?"
        case .packed(let p):
            return p.withObject { describe(.object($0)) }
        }
    }

    func fill(_ n: Int, prefix: String = "key") {
        for i in 0..<n { h.run("SET", "\(prefix):\(i)", "v\(i)") }
    }
}

@Suite("Fork-free snapshots")
struct SnapshotTests {
    @Test("a key overwritten after the snapshot started is saved with its old value")
    func overwrittenKeyKeepsOldValue() throws {
        let s = SnapshotHarness()
        s.fill(1000)
        s.begin()
        s.h.run("SET", "key:999", "new")
        s.h.run("SET", "key:0", "new")
        #expect(s.finish())
        let c = try s.contents()
        #expect(c.count == 1000)
        #expect(c["0:key:999"]?.0 == "v999")
        #expect(c["0:key:0"]?.0 == "v0")
        #expect(s.h.run("GET", "key:999") == "$3\r\nnew\r\n")
    }

    @Test("keys created after the start are not saved, deleted ones are")
    func createdAndDeletedKeys() throws {
        let s = SnapshotHarness()
        s.fill(500)
        s.begin()
        s.h.run("DEL", "key:400", "key:1")
        s.h.run("SET", "born", "later")
        s.h.run("UNLINK", "key:300")
        #expect(s.finish())
        let c = try s.contents()
        #expect(c.count == 500)
        #expect(c["0:born"] == nil)
        #expect(c["0:key:400"]?.0 == "v400")
        #expect(c["0:key:300"]?.0 == "v300")
    }

    @Test("collections mutated in place are saved as they were")
    func collectionsMutatedInPlace() throws {
        let s = SnapshotHarness()
        s.fill(300)
        s.h.run("RPUSH", "l", "a", "b")
        s.h.run("SADD", "s", "x", "y")
        s.h.run("HSET", "h", "f", "1")
        s.h.run("ZADD", "z", "1", "m")
        s.begin()
        s.h.run("RPUSH", "l", "c")
        s.h.run("LPOP", "l")
        s.h.run("SADD", "s", "z")
        s.h.run("HSET", "h", "f", "2", "g", "3")
        s.h.run("ZINCRBY", "z", "5", "m")
        #expect(s.finish())
        let c = try s.contents()
        #expect(c["0:l"]?.0 == "list:a,b")
        #expect(c["0:s"]?.0 == "set:x,y")
        #expect(c["0:h"]?.0 == "hash:f=1")
        #expect(c["0:z"]?.0 == "zset:m@1.0")
    }

    @Test("TTL changes after the start do not reach the snapshot")
    func ttlChanges() throws {
        let s = SnapshotHarness()
        s.fill(300)
        s.h.run("SET", "a", "1", "PX", "100000000")
        s.h.run("SET", "b", "1")
        s.begin()
        s.h.run("PERSIST", "a")
        s.h.run("EXPIRE", "b", "1000")
        #expect(s.finish())
        let c = try s.contents()
        #expect(c["0:a"]?.1 != nil)
        #expect(c["0:b"]?.1 == nil)
    }

    @Test("FLUSHALL and SWAPDB during a snapshot leave it as it was")
    func flushAndSwap() throws {
        let s = SnapshotHarness()
        s.fill(400)
        s.h.run("SELECT", "3")
        s.h.run("SET", "in3", "x")
        s.h.run("SELECT", "0")
        s.begin()
        s.h.run("SWAPDB", "0", "3")
        s.h.run("FLUSHALL")
        s.h.run("SET", "after", "1")
        #expect(s.finish())
        let c = try s.contents()
        #expect(c.count == 401)
        #expect(c["3:in3"]?.0 == "x")
        #expect(c["0:key:5"]?.0 == "v5")
        #expect(c["0:after"] == nil)
    }

    @Test("the next snapshot after one sees the whole dataset again")
    func consecutiveSnapshots() throws {
        let s = SnapshotHarness()
        s.fill(300)
        s.begin(slices: 2)
        s.h.run("SET", "key:7", "changed")
        s.h.run("SET", "extra", "1")
        #expect(s.finish())
        s.begin()
        #expect(s.finish())
        let c = try s.contents()
        #expect(c.count == 301)
        #expect(c["0:key:7"]?.0 == "changed")
        #expect(c["0:extra"]?.0 == "1")
    }

    @Test("an abandoned snapshot leaves every entry ready for the next one")
    func abandonedSnapshot() throws {
        let s = SnapshotHarness()
        s.fill(300)
        s.begin()
        s.h.server.lock.withLock {
            s.job!.writer.abandon()
            s.h.server.abandonSnapshot(s.job!)
        }
        s.h.run("SET", "key:1", "changed")
        s.begin()
        #expect(s.finish())
        let c = try s.contents()
        #expect(c.count == 300)
        #expect(c["0:key:1"]?.0 == "changed")
    }
}
