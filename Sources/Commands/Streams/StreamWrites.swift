import Kernel

/// The trimming options of XADD and XTRIM (Redis's `streamAddTrimArgs`).
struct StreamTrimArgs {
    var strategy: StreamObject.TrimStrategy?
    /// Index of the threshold argument (the `~`/`=` is just before it when given).
    var thresholdIndex = 0
    var approx = false
    var limit: Int64 = 0
    var noMkStream = false
    /// XADD: the ID argument's index, the explicit ID, and whether its sequence was given.
    var idIndex = 0
    var id: StreamID?
    var seqGiven = true
}

extension StreamCommands {
    /// Redis 7.0's `streamParseAddOrTrimArgsOrReply`: options from argument 2 until the ID (XADD) or the end
    /// (XTRIM). nil after replying an error.
    static func parseTrimArgs(_ c: Client, xadd: Bool) -> StreamTrimArgs? {
        var a = StreamTrimArgs()
        let argv = c.argv
        var limitGiven = false
        var i = 2
        while i < argv.count {
            let more = argv.count - 1 - i
            let opt = argv[i]
            if xadd && opt.count == 1 && opt[0] == UInt8(ascii: "*") {
                break
            } else if (opt.equalsIgnoringCase("MAXLEN") || opt.equalsIgnoringCase("MINID")) && more > 0 {
                if a.strategy != nil {
                    c.error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
                    return nil
                }
                let maxlen = opt.equalsIgnoringCase("MAXLEN")
                a.approx = false
                let next = argv[i + 1]
                if more >= 2 && next == "~" {
                    a.approx = true
                    i += 1
                } else if more >= 2 && next == "=" {
                    i += 1
                }
                if maxlen {
                    guard let n = integer(c, argv[i + 1]) else { return nil }
                    if n < 0 {
                        c.error("ERR The MAXLEN argument must be >= 0.")
                        return nil
                    }
                    a.strategy = .maxlen(n)
                } else {
                    guard let id = parseID(c, argv[i + 1], strict: true) else { return nil }
                    a.strategy = .minid(id)
                }
                i += 1
                a.thresholdIndex = i
            } else if opt.equalsIgnoringCase("LIMIT") && more > 0 {
                guard let n = integer(c, argv[i + 1]) else { return nil }
                if n < 0 {
                    c.error("ERR The LIMIT argument must be >= 0.")
                    return nil
                }
                a.limit = n
                limitGiven = true
                i += 1
            } else if xadd && opt.equalsIgnoringCase("NOMKSTREAM") {
                a.noMkStream = true
            } else if xadd {
                guard let p = StreamID.parse(opt, strict: true, allowAutoSeq: true) else {
                    c.error(invalidID)
                    return nil
                }
                a.id = p.id
                a.seqGiven = p.seqGiven
                break
            } else {
                c.error(Errors.syntax)
                return nil
            }
            i += 1
        }
        a.idIndex = i
        if a.limit != 0 && a.strategy == nil {
            c.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
            return nil
        }
        if !xadd && a.strategy == nil {
            c.error("ERR syntax error, XTRIM must be called with a trimming strategy")
            return nil
        }
        if mustObey(c) {
            a.limit = 0
        } else if limitGiven {
            if !a.approx {
                c.error("ERR syntax error, LIMIT cannot be used without the special ~ option")
                return nil
            }
        } else if a.approx {
            let perNode = c.server.config.streamNodeMaxEntries
            let (l, o) = perNode.multipliedReportingOverflow(by: 100)
            a.limit = (o || l <= 0 || l > 10000) ? 10000 : l
        } else {
            a.limit = 0
        }
        return a
    }

    /// Trims and, for `~`, rewrites the effect's `~` to `=` and the threshold to what it achieved (the length, or
    /// the first entry's ID) so replicas and the AOF trim exactly as much. Returns the entries removed.
    static func applyTrim(_ c: Client, _ s: StreamObject, _ a: StreamTrimArgs, effect: inout [RBytes]) -> Int64 {
        guard let strategy = a.strategy else { return 0 }
        let removed = s.trim(strategy, approx: a.approx, limit: a.limit)
        if a.approx {
            effect[a.thresholdIndex - 1] = "="
            switch strategy {
            case .maxlen: effect[a.thresholdIndex] = Numbers.format(Int64(s.length))
            case .minid: effect[a.thresholdIndex] = s.edgeID(first: true, skipTombstones: false).bytes
            }
        }
        return removed
    }

    /// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
    static func xadd(_ c: Client) {
        guard let a = parseTrimArgs(c, xadd: true) else { return }
        let fieldPos = a.idIndex + 1
        let n = c.argv.count - fieldPos
        if n < 2 || n % 2 == 1 {
            c.error(Errors.arity("xadd"))
            return
        }
        if let id = a.id, a.seqGiven, id.isZero {
            c.error("ERR The ID specified in XADD must be greater than 0-0")
            return
        }
        let key = c.argv[1]
        let s: StreamObject
        switch c.lookup(key, as: StreamObject.self) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let found):
            s = found
        case .missing:
            if a.noMkStream {
                c.reply.null()
                return
            }
            s = StreamObject()
            c.db.add(key, .object(s))
        }
        if s.lastID == .max {
            c.error("ERR The stream has exhausted the last possible ID, unable to add more items")
            return
        }
        var id: StreamID
        if let given = a.id {
            if a.seqGiven {
                id = given
            } else if s.lastID.ms == given.ms {
                guard s.lastID.seq != .max else {
                    c.error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
                    return
                }
                id = StreamID(ms: given.ms, seq: s.lastID.seq + 1)
            } else {
                id = given
            }
        } else {
            let now = UInt64(max(0, c.server.nowMilliseconds))
            if now > s.lastID.ms {
                id = StreamID(ms: now, seq: 0)
            } else {
                id = s.lastID.incremented ?? .zero
            }
        }
        if id <= s.lastID {
            c.error("ERR The ID specified in XADD is equal or smaller than the target stream top item")
            return
        }
        let limits = nodeLimits(c)
        s.append(id: id, fields: c.argv[fieldPos...], maxBytes: limits.bytes, maxEntries: limits.entries)
        c.reply.bulk(id)
        c.server.keyModified(c.db, key)
        c.server.notify(.stream, "xadd", key, db: c.db.id)
        // The effect (the generated ID and exact trim threshold in place of `*` and `~`) is built only when a
        // replica or the AOF will receive it.
        if c.server.hasEffectConsumers {
            var effect = c.argv
            if a.strategy != nil {
                if applyTrim(c, s, a, effect: &effect) > 0 { c.server.notify(.stream, "xtrim", key, db: c.db.id) }
            }
            if a.id == nil || !a.seqGiven { effect[a.idIndex] = id.bytes }
            if effect != c.argv { c.propagateInstead([effect]) }
        } else if let strategy = a.strategy, s.trim(strategy, approx: a.approx, limit: a.limit) > 0 {
            c.server.notify(.stream, "xtrim", key, db: c.db.id)
        }
        c.server.signalKeyAsReady(c.db, key)
    }

    /// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
    static func xtrim(_ c: Client) {
        guard let a = parseTrimArgs(c, xadd: false) else { return }
        let key = c.argv[1]
        guard let s = existingStream(c, key, missing: { $0.reply.integer(0) }) else { return }
        var effect = c.argv
        let removed = applyTrim(c, s, a, effect: &effect)
        if removed > 0 {
            c.server.notify(.stream, "xtrim", key, db: c.db.id)
            if effect != c.argv { c.propagateInstead([effect]) }
            c.server.keyModified(c.db, key, changes: removed)
        }
        c.reply.integer(removed)
    }

    /// XDEL key id [id ...]
    static func xdel(_ c: Client) {
        let key = c.argv[1]
        guard let s = existingStream(c, key, missing: { $0.reply.integer(0) }) else { return }
        var ids: [StreamID] = []
        ids.reserveCapacity(c.argv.count - 2)
        for arg in c.argv[2...] {
            guard let id = parseID(c, arg, strict: true) else { return }
            ids.append(id)
        }
        var deleted = 0
        var firstDeleted = false
        for id in ids where s.delete(id) {
            if id == s.firstID { firstDeleted = true }
            if id > s.maxDeletedID { s.maxDeletedID = id }
            deleted += 1
        }
        if deleted > 0 {
            if s.length == 0 {
                s.firstID = .zero
            } else if firstDeleted {
                s.firstID = s.edgeID(first: true, skipTombstones: true)
            }
            c.server.keyModified(c.db, key, changes: Int64(deleted))
            c.server.notify(.stream, "xdel", key, db: c.db.id)
        }
        c.reply.integer(deleted)
    }

    /// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
    static func xsetid(_ c: Client) {
        guard let id = parseID(c, c.argv[2], strict: true) else { return }
        var entriesAdded: Int64 = -1
        var maxDeleted = StreamID.zero
        var i = 3
        while i < c.argv.count {
            let more = c.argv.count - 1 - i
            let opt = c.argv[i]
            if opt.equalsIgnoringCase("ENTRIESADDED") && more > 0 {
                guard let n = integer(c, c.argv[i + 1]) else { return }
                if n < 0 {
                    c.error("ERR entries_added must be positive")
                    return
                }
                entriesAdded = n
                i += 2
            } else if opt.equalsIgnoringCase("MAXDELETEDID") && more > 0 {
                guard let m = parseID(c, c.argv[i + 1], strict: true) else { return }
                if id < m {
                    c.error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
                    return
                }
                maxDeleted = m
                i += 2
            } else {
                c.error(Errors.syntax)
                return
            }
        }
        let key = c.argv[1]
        guard let s = existingStream(c, key, missing: { $0.error(Errors.noSuchKey) }) else { return }
        if s.length > 0 {
            if id < s.edgeID(first: false, skipTombstones: true) {
                c.error("ERR The ID specified in XSETID is smaller than the target stream top item")
                return
            }
            if entriesAdded != -1 && Int64(s.length) > entriesAdded {
                c.error("ERR The entries_added specified in XSETID is smaller than the target stream length")
                return
            }
        }
        if id < s.maxDeletedID {
            c.error("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id")
            return
        }
        s.lastID = id
        if entriesAdded != -1 { s.entriesAdded = UInt64(entriesAdded) }
        if !maxDeleted.isZero { s.maxDeletedID = maxDeleted }
        c.server.keyModified(c.db, key)
        c.server.notify(.stream, "xsetid", key, db: c.db.id)
        c.reply.ok()
    }
}
