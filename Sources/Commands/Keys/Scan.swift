import Kernel

extension KeysCommands {
    /// Case-insensitive (ASCII) equality of a TYPE argument and a type name.
    static func typeMatches(_ arg: RBytes, _ name: String) -> Bool {
        arg.lowercased() == RBytes(name).lowercased()  // module types have upper-case letters (MBbloom--)
    }
}

// MARK: - Handlers

extension KeysCommands {
    /// KEYS pattern
    static func keys(_ c: Client) {
        let pattern = c.argv[1]
        let all = pattern == "*"
        let db = c.db
        let table = db.table
        let checkExpiry = db.expires.count > 0
        let now = c.server.commandTime
        var found: [RBytes] = []
        table.forEachSlot { slot in
            let key = table.key(at: slot)
            if !all && !Glob.matches(pattern, key) { return }
            // Expired keys are skipped, not reclaimed (KEYS never deletes).
            if checkExpiry, let when = db.expireTime(key), when <= now { return }
            found.append(key)
        }
        c.reply.arrayHeader(found.count)
        for key in found { c.reply.bulk(key) }
    }

    /// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
    static func scan(_ c: Client) {
        guard var cursor = ScanOptions.parseCursor(c.argv[1]) else {
            c.error("ERR invalid cursor")
            return
        }
        guard let options = ScanOptions.parse(c, from: 2, allowType: true) else { return }
        let pattern = options.pattern, typeName = options.type

        // Gather about COUNT keys, visiting at most 10*COUNT buckets (Redis's bound on one call's work).
        let table = c.db.table
        var gathered: [RBytes] = []
        cursor = options.drive(from: cursor, gathered: { gathered.count }) { cur in
            table.scan(cursor: cur) { gathered.append(table.key(at: $0)) }
        }

        var keys: [RBytes] = []
        keys.reserveCapacity(gathered.count)
        for key in gathered {
            if let pattern, !Glob.matches(pattern, key) { continue }
            if let typeName {
                // The lookup reclaims an expired key, which then has type "none".
                let name = c.db.slot(key, touch: false).map { c.db.typeName(at: $0) } ?? "none"
                if !typeMatches(typeName, name) { continue }
            }
            if c.db.expireTime(key) != nil && !c.db.exists(key) { continue }
            keys.append(key)
        }
        c.reply.arrayHeader(2)
        c.reply.bulk(String(cursor))
        c.reply.arrayHeader(keys.count)
        for key in keys { c.reply.bulk(key) }
    }
}
