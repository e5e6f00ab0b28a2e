import Kernel

// SPOP, SRANDMEMBER, SSCAN.

extension SetCommands {
    /// SPOP key [count]
    static func spop(_ c: Client) {
        if c.argv.count == 3 {
            spopWithCount(c)
            return
        }
        guard c.argv.count == 2 else {
            c.error(Errors.syntax)
            return
        }
        let key = c.argv[1]
        guard let set = existingSet(c, key, missing: { c.reply.null() }) else { return }
        let member = set.popRandom()
        c.server.notify(.set, "spop", key, db: c.db.id)
        c.propagateInstead([["SREM", key, member]])
        c.reply.bulk(member)
        if set.count == 0 { deleteEmptied(c, key) }
        c.server.keyModified(c.db, key)
    }

    /// SPOP key count: the effect is one SREM per popped member, or a DEL when the whole set goes.
    private static func spopWithCount(_ c: Client) {
        guard let n = Numbers.parseInt64(c.argv[2]), n >= 0 else {
            c.error("ERR value is out of range, must be positive")
            return
        }
        let key = c.argv[1]
        guard let set = existingSet(c, key, missing: { c.reply.setHeader(0) }) else { return }
        if n == 0 {
            c.reply.setHeader(0)
            return
        }
        let size = set.count
        c.server.notify(.set, "spop", key, db: c.db.id)
        if n >= size {
            // Redis replies through a union of the one set, so a set of small integers comes out sorted.
            replyMembers(c, union([set], c))
            deleteEmptied(c, key)
            c.propagateInstead([["DEL", key]])
            c.server.keyModified(c.db, key)
            return
        }
        let count = Int(n)
        let remaining = size - count
        var effects: [[RBytes]] = []
        effects.reserveCapacity(count)
        c.reply.setHeader(count)
        if remaining * 5 > count {
            for _ in 0..<count {
                let member = set.popRandom()
                c.reply.bulk(member)
                effects.append(["SREM", key, member])
            }
        } else {
            // Most of the set goes: like Redis, move the members that stay into a fresh set (whose encoding
            // follows from them alone), reply what is left in the old one, and store the fresh set (TTL kept).
            let rest = SetObject()
            for member in set.randomDistinctMembers(remaining) {
                insert(c, rest, member)
                set.remove(member)
            }
            set.forEach { member in
                c.reply.bulk(member)
                effects.append(["SREM", key, member])
            }
            if let slot = c.db.slot(key, touch: false) { c.db.replaceValue(at: slot, with: .object(rest)) }
        }
        c.propagateInstead(effects)
        c.server.keyModified(c.db, key)
    }

    /// SRANDMEMBER key [count]
    static func srandmember(_ c: Client) {
        if c.argv.count == 3 {
            srandmemberWithCount(c)
            return
        }
        guard c.argv.count == 2 else {
            c.error(Errors.syntax)
            return
        }
        guard let set = existingSet(c, c.argv[1], missing: { c.reply.null() }) else { return }
        c.reply.bulk(set.randomMember())
    }

    /// SRANDMEMBER key count: distinct members for a positive count, with repeats for a negative one.
    private static func srandmemberWithCount(_ c: Client) {
        guard let n = HashCommands.parseRandomCount(c, c.argv[2]) else { return }
        guard let set = existingSet(c, c.argv[1], missing: { c.reply.arrayHeader(0) }) else { return }
        let count = n.magnitude
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        // Negative count (or 1): sampled with replacement.
        if n < 0 || count == 1 {
            c.reply.arrayHeader(Int(count))
            for _ in 0..<count { c.reply.bulk(set.randomMember()) }
            return
        }
        if count >= UInt64(set.count) {
            c.reply.arrayHeader(set.count)
            set.forEach { c.reply.bulk($0) }
            return
        }
        let picked = set.randomDistinctMembers(Int(count))
        c.reply.arrayHeader(picked.count)
        for member in picked { c.reply.bulk(member) }
    }

    /// SSCAN key cursor [MATCH pattern] [COUNT count]
    static func sscan(_ c: Client) {
        guard let cursor = ScanOptions.parseCursor(c.argv[2]) else {
            c.error("ERR invalid cursor")
            return
        }
        guard let set = existingSet(c, c.argv[1], missing: { HashCommands.emptyScan(c) }) else { return }
        guard let options = ScanOptions.parse(c, from: 3) else { return }
        var found: [RBytes] = []
        let next = options.drive(from: cursor, gathered: { found.count }) { cur in
            set.scan(cursor: cur) { found.append($0) }
        }
        let kept = found.filter(options.matches)
        c.reply.arrayHeader(2)
        c.reply.bulk(String(next))
        c.reply.arrayHeader(kept.count)
        for member in kept { c.reply.bulk(member) }
    }
}
