import Kernel

// SADD, SREM, SISMEMBER, SMISMEMBER, SCARD, SMOVE.

extension SetCommands {
    /// SADD key member [member ...]
    static func sadd(_ c: Client) {
        let key = c.argv[1]
        // Read once: each read of a class's reference property is a retain and a release (issue 18).
        let db = c.db
        let set: SetObject
        switch lookup(c, key) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let s):
            set = s
        case .missing:
            set = SetObject()
            db.add(key, .object(set))
        }
        var added = 0
        let maxIntsetEntries = c.server.config.setMaxIntsetEntries
        for member in c.argv[2...] where set.add(member, maxIntsetEntries: maxIntsetEntries) { added += 1 }
        c.reply.integer(added)
        guard added > 0 else { return }
        c.server.keyModified(db, key, changes: Int64(added))
        c.server.notify(.set, "sadd", key, db: db.id)
    }

    /// SREM key member [member ...]
    static func srem(_ c: Client) {
        let key = c.argv[1]
        guard let set = existingSet(c, key, missing: { c.reply.integer(0) }) else { return }
        var removed = 0
        for member in c.argv[2...] where set.remove(member) {
            removed += 1
            if set.count == 0 { break }
        }
        c.reply.integer(removed)
        guard removed > 0 else { return }
        c.server.keyModified(c.db, key, changes: Int64(removed))
        c.server.notify(.set, "srem", key, db: c.db.id)
        if set.count == 0 { deleteEmptied(c, key) }
    }

    /// SISMEMBER key member
    static func sismember(_ c: Client) {
        guard let set = existingSet(c, c.argv[1], missing: { c.reply.integer(0) }) else { return }
        c.reply.integer(set.contains(c.argv[2]) ? 1 : 0)
    }

    /// SMISMEMBER key member [member ...]
    static func smismember(_ c: Client) {
        let set: SetObject?
        switch lookup(c, c.argv[1]) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .missing:
            set = nil
        case .found(let s):
            set = s
        }
        c.reply.arrayHeader(c.argv.count - 2)
        for member in c.argv[2...] {
            c.reply.integer(set?.contains(member) == true ? 1 : 0)
        }
    }

    /// SCARD key
    static func scard(_ c: Client) {
        guard let set = existingSet(c, c.argv[1], missing: { c.reply.integer(0) }) else { return }
        c.reply.integer(set.count)
    }

    /// SMOVE source destination member
    static func smove(_ c: Client) {
        let source = c.argv[1], destination = c.argv[2], member = c.argv[3]
        let src = lookup(c, source), dst = lookup(c, destination)
        guard case .found(let from) = src else {
            if case .wrongType = src { c.error(Errors.wrongType) } else { c.reply.integer(0) }
            return
        }
        if case .wrongType = dst {
            c.error(Errors.wrongType)
            return
        }
        var to: SetObject?
        if case .found(let s) = dst { to = s }
        if let to, to === from {
            c.reply.integer(from.contains(member) ? 1 : 0)
            return
        }
        guard from.remove(member) else {
            c.reply.integer(0)
            return
        }
        c.server.notify(.set, "srem", source, db: c.db.id)
        if from.count == 0 { deleteEmptied(c, source) }
        let target: SetObject
        if let to {
            target = to
        } else {
            target = SetObject()
            c.db.add(destination, .object(target))
        }
        c.server.keyModified(c.db, source)
        if insert(c, target, member) {
            c.server.keyModified(c.db, destination)
            c.server.notify(.set, "sadd", destination, db: c.db.id)
        }
        c.reply.integer(1)
    }
}
