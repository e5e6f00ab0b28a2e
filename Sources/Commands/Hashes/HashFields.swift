import Kernel

// HSET, HMSET, HSETNX, HGET, HMGET, HGETALL, HKEYS, HVALS, HDEL, HEXISTS, HLEN, HSTRLEN.

extension HashCommands {
    /// The shared body of HSET and HMSET: sets every pair, replying with `done(created)`.
    private static func setPairs(_ c: Client, name: String, done: (Int) -> Void) {
        guard c.argv.count % 2 == 0 else {
            c.error(Errors.arity(name))
            return
        }
        let key = c.argv[1]
        guard let hash = hashForWriting(c, key) else { return }
        var created = 0
        for i in stride(from: 2, to: c.argv.count, by: 2) where store(c, hash, c.argv[i], c.argv[i + 1]) {
            created += 1
        }
        done(created)
        c.server.keyModified(c.db, key, changes: Int64((c.argv.count - 2) / 2))
        c.server.notify(.hash, "hset", key, db: c.db.id)
    }

    /// HSET key field value [field value ...]
    static func hset(_ c: Client) {
        setPairs(c, name: "hset") { c.reply.integer($0) }
    }

    /// HMSET key field value [field value ...]
    static func hmset(_ c: Client) {
        setPairs(c, name: "hmset") { _ in c.reply.ok() }
    }

    /// HSETNX key field value
    static func hsetnx(_ c: Client) {
        let key = c.argv[1]
        guard let hash = hashForWriting(c, key) else { return }
        if hash.contains(c.argv[2]) {
            c.reply.integer(0)
            return
        }
        store(c, hash, c.argv[2], c.argv[3])
        c.reply.integer(1)
        c.server.keyModified(c.db, key)
        c.server.notify(.hash, "hset", key, db: c.db.id)
    }

    /// HGET key field
    static func hget(_ c: Client) {
        guard let hash = existingHash(c, c.argv[1], missing: { c.reply.null() }) else { return }
        if let v = hash.get(c.argv[2]) { c.reply.bulk(v) } else { c.reply.null() }
    }

    /// HMGET key field [field ...]
    static func hmget(_ c: Client) {
        let fields = c.argv.count - 2
        let hash: HashObject?
        if let value = c.db.get(c.argv[1]) {
            guard case .object(let o) = value, let h = o as? HashObject else {
                c.error(Errors.wrongType)
                return
            }
            hash = h
        } else {
            hash = nil
        }
        c.reply.arrayHeader(fields)
        for i in 2..<c.argv.count {
            if let v = hash?.get(c.argv[i]) { c.reply.bulk(v) } else { c.reply.null() }
        }
    }

    /// HGETALL key
    static func hgetall(_ c: Client) {
        guard let hash = existingHash(c, c.argv[1], missing: { c.reply.mapHeader(0) }) else { return }
        c.reply.mapHeader(hash.count)
        hash.forEach { field, value in
            c.reply.bulk(field)
            c.reply.bulk(value)
        }
    }

    /// HKEYS key
    static func hkeys(_ c: Client) {
        guard let hash = existingHash(c, c.argv[1], missing: { c.reply.arrayHeader(0) }) else { return }
        c.reply.arrayHeader(hash.count)
        hash.forEach { field, _ in c.reply.bulk(field) }
    }

    /// HVALS key
    static func hvals(_ c: Client) {
        guard let hash = existingHash(c, c.argv[1], missing: { c.reply.arrayHeader(0) }) else { return }
        c.reply.arrayHeader(hash.count)
        hash.forEach { _, value in c.reply.bulk(value) }
    }

    /// HDEL key field [field ...]
    static func hdel(_ c: Client) {
        let key = c.argv[1]
        guard let hash = existingHash(c, key, missing: { c.reply.integer(0) }) else { return }
        var deleted = 0
        for field in c.argv[2...] where hash.remove(field) {
            deleted += 1
            if hash.count == 0 { break }
        }
        c.reply.integer(deleted)
        guard deleted > 0 else { return }
        let emptied = hash.count == 0
        if emptied { c.db.delete(key) }
        c.server.keyModified(c.db, key, changes: Int64(deleted))
        c.server.notify(.hash, "hdel", key, db: c.db.id)
        if emptied { c.server.notify(.generic, "del", key, db: c.db.id) }
    }

    /// HEXISTS key field
    static func hexists(_ c: Client) {
        guard let hash = existingHash(c, c.argv[1], missing: { c.reply.integer(0) }) else { return }
        c.reply.integer(hash.contains(c.argv[2]) ? 1 : 0)
    }

    /// HLEN key
    static func hlen(_ c: Client) {
        guard let hash = existingHash(c, c.argv[1], missing: { c.reply.integer(0) }) else { return }
        c.reply.integer(hash.count)
    }

    /// HSTRLEN key field
    static func hstrlen(_ c: Client) {
        guard let hash = existingHash(c, c.argv[1], missing: { c.reply.integer(0) }) else { return }
        c.reply.integer(hash.get(c.argv[2])?.count ?? 0)
    }
}
