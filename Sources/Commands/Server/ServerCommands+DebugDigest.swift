import Kernel

/// DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis 7.0's dataset digest (`DatasetDigest`), so two servers holding the
/// same data (ours and redis-server, a reloaded RDB, a replica) can be compared by 40 hex digits.
extension ServerCommands {
    /// DEBUG DIGEST — a status reply with the digest of every database (40 zeros when all are empty).
    static func debugDigest(_ c: Client) {
        c.reply.status(DatasetDigest.of(databases: c.server.databases).hex)
    }

    /// DEBUG DIGEST-VALUE [key ...] — one status reply per key with its value's digest (40 zeros for a missing
    /// key). Like Redis, it reads the table directly: no lazy expiry, no LRU touch, logically expired keys count.
    static func debugDigestValue(_ c: Client) {
        let keys = c.argv.dropFirst(2)
        c.reply.arrayHeader(keys.count)
        for key in keys {
            c.reply.status(DatasetDigest.of(key: key, in: c.db).hex)
        }
    }
}
