import Kernel

// MARK: - Reads

extension ListCommands {
    /// LLEN key
    static func llen(_ c: Client) {
        switch c.lookupList(c.argv[1]) {
        case .missing: c.reply.integer(0)
        case .wrongType: c.error(Errors.wrongType)
        case .found(let list): c.reply.integer(list.count)
        }
    }

    /// LINDEX key index
    static func lindex(_ c: Client) {
        guard let list = c.existing(c.argv[1], as: ListObject.self, ifMissing: { $0.reply.null() }) else { return }
        guard let index = parseIndex(c, c.argv[2]) else { return }
        if let i = resolve(index, in: list) {
            c.reply.bulk(list[i])
        } else {
            c.reply.null()
        }
    }

    /// LRANGE key start stop
    static func lrange(_ c: Client) {
        guard let start = parseIndex(c, c.argv[2]), let stop = parseIndex(c, c.argv[3]) else { return }
        switch c.lookupList(c.argv[1]) {
        case .missing:
            c.reply.arrayHeader(0)
        case .wrongType:
            c.error(Errors.wrongType)
        case .found(let list):
            guard let range = clamp(start, stop, count: list.count) else {
                c.reply.arrayHeader(0)
                return
            }
            c.reply.arrayHeader(range.count)
            list.forEach(in: range.lowerBound..<(range.upperBound + 1)) { c.reply.bulk($0) }
        }
    }

    /// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
    static func lpos(_ c: Client) {
        let argv = c.argv
        let element = argv[2]
        var rank: Int64 = 1, count: Int64 = -1, maxlen: Int64 = 0
        var j = 3
        while j < argv.count {
            let more = j + 1 < argv.count
            if argv[j].isOption("RANK") && more {
                j += 1
                guard let r = parseIndex(c, argv[j]) else { return }
                if r == 0 {
                    c.error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
                    return
                }
                rank = r
            } else if argv[j].isOption("COUNT") && more {
                j += 1
                guard let n = parseCount(c, argv[j], min: 0, message: "COUNT can't be negative") else { return }
                count = n
            } else if argv[j].isOption("MAXLEN") && more {
                j += 1
                guard let n = parseCount(c, argv[j], min: 0, message: "MAXLEN can't be negative") else { return }
                maxlen = n
            } else {
                c.error(Errors.syntax)
                return
            }
            j += 1
        }
        // A negative rank searches from the tail. Redis negates it in a C long, so RANK of the minimum value
        // stays negative (and matches from the first hit on): the wrapping arithmetic below keeps that.
        var fromTail = false
        if rank < 0 {
            rank = 0 &- rank
            fromTail = true
        }
        guard let list = c.existing(argv[1], as: ListObject.self, ifMissing: { client in
            if count != -1 { client.reply.arrayHeader(0) } else { client.reply.null() }
        }) else { return }
        let length = list.count
        var matches: Int64 = 0, matchIndex = -1
        var found: [Int] = []
        var index = 0
        while index < length && (maxlen == 0 || Int64(index) < maxlen) {
            let position = fromTail ? length - index - 1 : index
            if list[position] == element {
                matches += 1
                matchIndex = position
                if matches >= rank {
                    if count == -1 { break }
                    found.append(position)
                    if count != 0 && (matches &- rank &+ 1) >= count { break }
                }
            }
            index += 1
            matchIndex = -1
        }
        if count != -1 {
            c.reply.arrayHeader(found.count)
            for p in found { c.reply.integer(p) }
        } else if matchIndex != -1 {
            c.reply.integer(matchIndex)
        } else {
            c.reply.null()
        }
    }

    /// The element position for a possibly negative (from the tail) index, or nil when out of range.
    static func resolve(_ index: Int64, in list: ListObject) -> Int? {
        let n = Int64(list.count)
        let i = index < 0 ? n + index : index
        return i >= 0 && i < n ? Int(i) : nil
    }

    /// The positions `start ... stop` select in a list of `count` (Redis's LRANGE/LTRIM rules: negative
    /// indexes count from the tail, out-of-range ends are clamped), or nil for an empty selection.
    static func clamp(_ start: Int64, _ stop: Int64, count: Int) -> ClosedRange<Int>? {
        let n = Int64(count)
        var s = start < 0 ? n + start : start
        var e = stop < 0 ? n + stop : stop
        if s < 0 { s = 0 }
        if s > e || s >= n { return nil }
        if e >= n { e = n - 1 }
        return Int(s)...Int(e)
    }
}

// MARK: - Edits

extension ListCommands {
    /// LSET key index element
    static func lset(_ c: Client) {
        let key = c.argv[1]
        guard let list = c.existing(key, as: ListObject.self, ifMissing: { $0.error(Errors.noSuchKey) }) else { return }
        guard let index = parseIndex(c, c.argv[2]) else { return }
        guard let i = resolve(index, in: list) else {
            c.error("ERR index out of range")
            return
        }
        list[i] = c.argv[3]
        c.reply.ok()
        c.server.keyModified(c.db, key)
        c.server.notify(.list, "lset", key, db: c.db.id)
    }

    /// LTRIM key start stop
    static func ltrim(_ c: Client) {
        guard let start = parseIndex(c, c.argv[2]), let stop = parseIndex(c, c.argv[3]) else { return }
        let key = c.argv[1]
        guard let list = c.existing(key, as: ListObject.self, ifMissing: { $0.reply.ok() }) else { return }
        let length = list.count
        var left = length, right = 0
        if let keep = clamp(start, stop, count: length) {
            left = keep.lowerBound
            right = length - keep.upperBound - 1
        }
        list.removeFirst(left)
        list.removeLast(right)
        c.server.notify(.list, "ltrim", key, db: c.db.id)
        if list.isEmpty {
            c.db.delete(key)
            c.server.notify(.generic, "del", key, db: c.db.id)
        }
        c.server.keyModified(c.db, key, changes: Int64(left + right))
        c.reply.ok()
    }

    /// LREM key count element
    static func lrem(_ c: Client) {
        guard let count = parseIndex(c, c.argv[2]) else { return }
        let key = c.argv[1]
        guard let list = c.existing(key, as: ListObject.self, ifMissing: { $0.reply.integer(0) }) else { return }
        // Redis negates the count in a C long: the minimum value stays negative and never matches the number
        // removed, so it removes every occurrence (from the tail); its magnitude as a limit does the same here.
        let removed = list.removeAll(equalTo: c.argv[3], limit: count.magnitude, fromTail: count < 0)
        if removed > 0 { c.server.notify(.list, "lrem", key, db: c.db.id) }
        if list.isEmpty {
            c.db.delete(key)
            c.server.notify(.generic, "del", key, db: c.db.id)
        }
        if removed > 0 { c.server.keyModified(c.db, key, changes: Int64(removed)) }
        c.reply.integer(removed)
    }

    /// LINSERT key BEFORE|AFTER pivot element
    static func linsert(_ c: Client) {
        let after: Bool
        if c.argv[2].isOption("AFTER") {
            after = true
        } else if c.argv[2].isOption("BEFORE") {
            after = false
        } else {
            c.error(Errors.syntax)
            return
        }
        let key = c.argv[1]
        guard let list = c.existing(key, as: ListObject.self, ifMissing: { $0.reply.integer(0) }) else { return }
        guard let pivot = list.firstIndex(of: c.argv[3]) else {
            c.reply.integer(-1)
            return
        }
        list.insert(c.argv[4], at: after ? pivot + 1 : pivot)
        c.server.keyModified(c.db, key)
        c.server.notify(.list, "linsert", key, db: c.db.id)
        c.server.signalKeyAsReady(c.db, key)
        c.reply.integer(list.count)
    }
}
