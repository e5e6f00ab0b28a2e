/// `redis-check-rdb`: walks an RDB image and reports it in the shape of Redis 7.0's tool (`redis-check-rdb.c`):
/// `[offset N] ...` progress lines, `\o/ RDB looks OK! \o/` or the `--- RDB ERROR DETECTED ---` block, and the
/// `[info]` counters.
public enum RDBCheck {
    /// The report lines and the exit status (0 OK, 1 error) for `bytes` read from `path`; `nowMs` decides
    /// which keys count as already expired.
    public static func report(_ bytes: [UInt8], path: String, nowMs: Int64) -> (lines: [String], status: Int32) {
        var lines = ["[offset 0] Checking RDB file \(path)"]
        var keys = 0, expires = 0, expired = 0
        var currentKey: RBytes?
        // Like redis-check-rdb, the type shows as 0 until the first key is complete.
        var currentType: UInt8? = 0
        var doing = "read-type"
        var lastEnd = 0
        do {
            _ = try bytes.withUnsafeBytes { p in
                try RDBFile.walk(p, thresholds: .defaults, checkMode: true, onEvent: { event in
                    switch event {
                    case .aux(let k, let v, let end):
                        lines.append("[offset \(end)] AUX FIELD \(k) = '\(String(decoding: v, as: UTF8.self))'")
                        lastEnd = end
                    case .selectDB(let db, let end):
                        lines.append("[offset \(end)] Selecting DB ID \(db)")
                        lastEnd = end
                    case .checksum(let verified, let end):
                        lines.append(verified ? "[offset \(end)] Checksum OK"
                                     : "[offset \(end)] RDB file was saved with checksum disabled: no check performed.")
                        lastEnd = end
                    case .value(let key, let type, _):
                        currentKey = key
                        currentType = type
                        keys += 1
                        doing = "read-object-value"
                    case .doing(let what):
                        doing = what
                    case .keyType(let type):
                        currentType = type
                    }
                }, onKey: { k in
                    if let at = k.expireAt {
                        expires += 1
                        if at < nowMs { expired += 1 }
                    }
                    currentKey = nil
                    currentType = nil
                    doing = "read-type"
                }, onFunction: { _ in })
            }
            lines.append("[offset \(lastEnd)] \\o/ RDB looks OK! \\o/")
            lines += info(keys, expires, expired)
            return (lines, 0)
        } catch let e as RDBError {
            lines.append("--- RDB ERROR DETECTED ---")
            if e.message.hasPrefix("Wrong RDB checksum") {
                lines.append("[offset \(e.offset)] RDB CRC error")
            } else {
                lines.append("[offset \(e.offset)] \(e.message)")
            }
            lines.append("[additional info] While doing: \(doing)")
            if let currentKey { lines.append("[additional info] Reading key '\(currentKey.string)'") }
            if let currentType { lines.append("[additional info] Reading type \(currentType) (\(typeName(currentType)))") }
            lines += info(keys, expires, expired)
            return (lines, 1)
        } catch {
            lines.append("--- RDB ERROR DETECTED ---")
            lines.append("[offset 0] \(error)")
            lines += info(keys, expires, expired)
            return (lines, 1)
        }
    }

    static func info(_ keys: Int, _ expires: Int, _ expired: Int) -> [String] {
        ["[info] \(keys) keys read", "[info] \(expires) expires", "[info] \(expired) already expired"]
    }

    /// The names redis-check-rdb gives RDB types.
    static func typeName(_ t: UInt8) -> String {
        let names = ["string", "list-linked", "set-hashtable", "zset-v1", "hash-hashtable", "zset-v2",
                     "module-pre-release", "module-value", "", "hash-zipmap", "list-ziplist", "set-intset",
                     "zset-ziplist", "hash-ziplist", "quicklist", "stream", "hash-listpack", "zset-listpack",
                     "quicklist-v2", "stream-v2"]
        return Int(t) < names.count ? names[Int(t)] : "unknown"
    }
}
