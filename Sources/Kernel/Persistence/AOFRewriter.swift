#if canImport(Glibc)
import Glibc
#endif

/// Writes an AOF-format base file: the dataset as commands that recreate it (Redis's rewriteAppendOnlyFileRio):
/// per database a SELECT, per key SET / RPUSH / SADD / ZADD / HMSET with at most 64 items per command
/// (`AOF_REWRITE_ITEMS_PER_CMD`) or, for a stream, Redis's XADD per entry + XSETID + XGROUP CREATE + XCLAIM /
/// XGROUP CREATECONSUMER, a module data type's own commands (its `rewrite` callback), then PEXPIREAT for keys with a TTL. Keys already expired are left out.
///
/// Today it runs synchronously with the data lock held (a point-in-time view for free); the fork-free snapshot
/// engine replaces the call in `AOF.rewrite` with an RDB-preamble base written in slices.
public enum AOFRewriter {
    /// Items per command, as Redis.
    public static let itemsPerCommand = 64
    /// Bytes buffered before a write(2).
    static let chunkSize = 1 << 20

    /// Writes the base to `path` (created or truncated), fsynced. Call with the data lock held.
    public static func writeBase(server: Server, to path: String) throws(AOFFiles.IOError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd < 0 { throw AOFFiles.IOError("Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): \(path)") }
        var out: [UInt8] = []
        out.reserveCapacity(chunkSize + 65536)
        var failed = false
        func drain(_ force: Bool) {
            guard !failed, force || out.count >= chunkSize else { return }
            if !out.isEmpty && !out.withUnsafeBytes({ AOFFiles.writeAll(fd, $0) }) { failed = true }
            out.removeAll(keepingCapacity: true)
        }
        if server.config.aofTimestampEnabled {
            out.append(contentsOf: Array("#TS:\(Clock.unixMilliseconds() / 1000)\r\n".utf8))
        }
        // Function libraries first, as Redis's rewriteFunctions: FUNCTION LOAD with each library's code.
        for code in server.functionLibraries {
            AOFCommandReader.encode(["FUNCTION", "LOAD", RBytes(code)], into: &out)
        }
        let now = Clock.unixMilliseconds()
        for db in server.databases where db.count > 0 {
            AOFCommandReader.encode(["SELECT", Numbers.format(Int64(db.id))], into: &out)
            db.table.forEachSlot { slot in
                let key = db.table.key(at: slot)
                let expireAt = db.expires[key]
                if let at = expireAt, at < now { return }
                emit(key: key, value: db.table.value(at: slot).value, into: &out)
                if let at = expireAt {
                    AOFCommandReader.encode(["PEXPIREAT", key, Numbers.format(at)], into: &out)
                }
                drain(false)
            }
        }
        drain(true)
        let synced = !failed && fsync(fd) == 0
        close(fd)
        if !synced {
            let e = AOFFiles.IOError("Write error writing append only file on disk")
            unlink(path)
            throw e
        }
    }

    /// Builds commands of at most `itemsPerCommand` items (`RPUSH key a b ...`).
    struct Batch {
        var argv: [RBytes]
        var n = 0
        init(_ command: RBytes, _ key: RBytes) { argv = [command, key] }

        mutating func add(_ parts: RBytes..., into out: inout [UInt8]) {
            argv.append(contentsOf: parts)
            n += 1
            if n == AOFRewriter.itemsPerCommand { finish(into: &out) }
        }

        mutating func finish(into out: inout [UInt8]) {
            guard n > 0 else { return }
            AOFCommandReader.encode(argv, into: &out)
            argv.removeSubrange(2...)
            n = 0
        }
    }

    /// The commands recreating one key.
    static func emit(key: RBytes, value: Value, into out: inout [UInt8]) {
        switch value {
        case .packed(let p):
            p.withObject { emit(key: key, value: .object($0), into: &out) }
        case .string(let s):
            AOFCommandReader.encode(["SET", key, s], into: &out)
        case .object(let o):
            switch o {
            case let list as ListObject:
                var b = Batch("RPUSH", key)
                for e in list { b.add(e, into: &out) }
                b.finish(into: &out)
            case let set as SetObject:
                var b = Batch("SADD", key)
                set.forEach { b.add($0, into: &out) }
                b.finish(into: &out)
            case let zset as SortedSetObject:
                var b = Batch("ZADD", key)
                zset.forEach(in: 0..<zset.count) { m, s in b.add(Numbers.formatDouble(s), m, into: &out) }
                b.finish(into: &out)
            case let hash as HashObject:
                var b = Batch("HMSET", key)
                hash.forEach { f, v in b.add(f, v, into: &out) }
                b.finish(into: &out)
            case let stream as StreamObject:
                emitStream(key: key, stream, into: &out)
            case let custom as CustomObject:
                // The type's own commands (RedisModule_EmitAOF), written straight into `out`.
                var aof = CustomValueRewriter()
                swap(&aof.out, &out)
                custom.value.rewrite(key: key, into: &aof)
                swap(&aof.out, &out)
            default:
                break
            }
        }
    }
}

extension AOFRewriter {
    /// Redis 7.0's `rewriteStreamObject`: an XADD per entry (an empty stream is made with `XADD key MAXLEN 0 0-1 x
    /// y`), XSETID with the last ID, entries added and max deleted ID, then per group XGROUP CREATE ... ENTRIESREAD,
    /// and per consumer an XCLAIM ... FORCE per pending entry or XGROUP CREATECONSUMER when it has none.
    static func emitStream(key: RBytes, _ s: StreamObject, into out: inout [UInt8]) {
        if s.length > 0 {
            s.forEach(from: .zero, to: .max) { id, node, e in
                var argv: [RBytes] = ["XADD", key, id.bytes]
                for (f, v) in node.fields(of: e) {
                    argv.append(f)
                    argv.append(v)
                }
                AOFCommandReader.encode(argv, into: &out)
                return true
            }
        } else {
            AOFCommandReader.encode(["XADD", key, "MAXLEN", "0", "0-1", "x", "y"], into: &out)
        }
        AOFCommandReader.encode(["XSETID", key, s.lastID.bytes, "ENTRIESADDED",
                                 Numbers.format(Int64(bitPattern: s.entriesAdded)), "MAXDELETEDID",
                                 s.maxDeletedID.bytes], into: &out)
        for (name, g) in s.sortedGroups {
            AOFCommandReader.encode(["XGROUP", "CREATE", key, name, g.lastID.bytes, "ENTRIESREAD",
                                     Numbers.format(g.entriesRead)], into: &out)
            for consumer in g.sortedConsumers {
                if consumer.pel.isEmpty {
                    AOFCommandReader.encode(["XGROUP", "CREATECONSUMER", key, name, consumer.name], into: &out)
                    continue
                }
                for id in consumer.pel.ids {
                    let nack = g.pel[id]!
                    AOFCommandReader.encode(["XCLAIM", key, name, consumer.name, "0", id.bytes, "TIME",
                                             Numbers.format(nack.deliveryTime), "RETRYCOUNT",
                                             Numbers.format(Int64(bitPattern: nack.deliveryCount)), "JUSTID",
                                             "FORCE"], into: &out)
                }
            }
        }
    }
}
