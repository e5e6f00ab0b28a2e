import Kernel

// MARK: - Cursor parsing

extension KeysCommands {
    /// Parses a SCAN cursor the way Redis does (`strtoul` base 10): an optional sign, decimal digits, no leading
    /// space, nothing after (up to a NUL byte, where C stops reading), no overflow. A negative number wraps modulo
    /// 2^64 and the empty string is cursor 0, as with `strtoul`.
    static func parseCursor(_ arg: RBytes) -> UInt64? {
        arg.withUnsafeBytes { p -> UInt64? in
            var end = p.count
            if let nul = p.firstIndex(of: 0) { end = nul }
            if end == 0 { return 0 }
            let first = p[0]
            if first == 32 || (first >= 9 && first <= 13) { return nil }
            var i = 0
            var negative = false
            if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                negative = first == UInt8(ascii: "-")
                i = 1
            }
            guard i < end else { return nil }
            var v: UInt64 = 0
            while i < end {
                let d = p[i] &- 48
                guard d <= 9 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(d))
                guard !o1 && !o2 else { return nil }
                v = a
                i += 1
            }
            return negative ? 0 &- v : v
        }
    }

    /// Case-insensitive (ASCII) equality of a TYPE argument and a type name.
    static func typeMatches(_ arg: RBytes, _ name: String) -> Bool {
        arg.lowercased() == RBytes(name)
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
        guard var cursor = parseCursor(c.argv[1]) else {
            c.error("ERR invalid cursor")
            return
        }
        var count: Int64 = 10
        var pattern: RBytes?
        var typeName: RBytes?
        var i = 2
        while i < c.argv.count {
            let hasValue = i + 1 < c.argv.count
            let arg = c.argv[i]
            if arg.equalsIgnoringCase("COUNT") && hasValue {
                guard let n = Numbers.parseInt64(c.argv[i + 1]) else {
                    c.error(Errors.notInteger)
                    return
                }
                guard n >= 1 else {
                    c.error(Errors.syntax)
                    return
                }
                count = n
            } else if arg.equalsIgnoringCase("MATCH") && hasValue {
                let p = c.argv[i + 1]
                pattern = p == "*" ? nil : p
            } else if arg.equalsIgnoringCase("TYPE") && hasValue {
                typeName = c.argv[i + 1]
            } else {
                c.error(Errors.syntax)
                return
            }
            i += 2
        }

        // Gather about COUNT keys, visiting at most 10*COUNT buckets (Redis's bound on one call's work).
        let table = c.db.table
        var gathered: [RBytes] = []
        let (limit, overflow) = count.multipliedReportingOverflow(by: 10)
        var iterationsLeft = overflow ? Int64.max : limit
        while true {
            cursor = table.scan(cursor: cursor) { gathered.append(table.key(at: $0)) }
            if cursor == 0 || iterationsLeft == 0 || gathered.count >= count { break }
            iterationsLeft -= 1
        }

        var keys: [RBytes] = []
        keys.reserveCapacity(gathered.count)
        for key in gathered {
            if let pattern, !Glob.matches(pattern, key) { continue }
            if let typeName {
                // The lookup reclaims an expired key, which then has type "none".
                let name = c.db.slot(key, touch: false).map { c.db.value(at: $0).typeName } ?? "none"
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
