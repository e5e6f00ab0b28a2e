import Kernel

extension StreamCommands {
    /// XLEN key
    static func xlen(_ c: Client) {
        guard let s = existingStream(c, c.argv[1], missing: { $0.reply.integer(0) }) else { return }
        c.reply.integer(s.length)
    }

    /// XRANGE key start end [COUNT count]
    static func xrange(_ c: Client) { rangeGeneric(c, reverse: false) }

    /// XREVRANGE key end start [COUNT count]
    static func xrevrange(_ c: Client) { rangeGeneric(c, reverse: true) }

    /// Parses an interval bound: `(` makes it exclusive (strict ID rules then); `-`/`+` and `<ms>` otherwise.
    static func intervalBound(_ c: Client, _ arg: RBytes, missingSeq: UInt64) -> (StreamID, exclusive: Bool)? {
        if arg.count > 1 && arg[0] == UInt8(ascii: "(") {
            guard let id = parseID(c, arg.slice(1..<arg.count), missingSeq: missingSeq, strict: true) else { return nil }
            return (id, true)
        }
        guard let id = parseID(c, arg, missingSeq: missingSeq) else { return nil }
        return (id, false)
    }

    /// An interval bound as XRANGE, XPENDING and XAUTOCLAIM take it: an exclusive start is moved to the next ID
    /// and an exclusive end to the previous one, with Redis's errors when there is none.
    static func intervalID(_ c: Client, _ arg: RBytes, isEnd: Bool) -> StreamID? {
        guard let (id, exclusive) = intervalBound(c, arg, missingSeq: isEnd ? .max : 0) else { return nil }
        guard exclusive else { return id }
        guard let moved = isEnd ? id.decremented : id.incremented else {
            c.error(isEnd ? "ERR invalid end ID for the interval" : "ERR invalid start ID for the interval")
            return nil
        }
        return moved
    }

    static func rangeGeneric(_ c: Client, reverse: Bool) {
        let startArg = reverse ? c.argv[3] : c.argv[2]
        let endArg = reverse ? c.argv[2] : c.argv[3]
        guard let start = intervalID(c, startArg, isEnd: false),
              let end = intervalID(c, endArg, isEnd: true) else { return }
        var count: Int64 = -1
        var j = 4
        while j < c.argv.count {
            if c.argv[j].equalsIgnoringCase("COUNT") && j + 1 < c.argv.count {
                guard let n = integer(c, c.argv[j + 1]) else { return }
                count = max(0, n)
                j += 2
            } else {
                c.error(Errors.syntax)
                return
            }
        }
        guard let s = existingStream(c, c.argv[1], missing: { $0.reply.arrayHeader(0) }) else { return }
        if count == 0 {
            c.reply.nullArray()
            return
        }
        replyRange(c, s, from: start, to: end, count: count < 0 ? 0 : Int(count), reverse: reverse)
    }

    /// An array of entries in `[start, end]`, at most `count` (0 = all).
    static func replyRange(_ c: Client, _ s: StreamObject, from start: StreamID, to end: StreamID, count: Int,
                           reverse: Bool) {
        let d = c.reply.deferLength()
        var n = 0
        var master: (StreamID, [RBytes])?
        s.forEach(from: start, to: end, reverse: reverse) { id, node, e in
            replyEntry(c, id, node, e, master: &master)
            n += 1
            return count == 0 || n < count
        }
        c.reply.setArrayLength(d, n)
    }

    /// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
    static func xread(_ c: Client) { readGeneric(c, group: false) }

    /// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
    static func xreadgroup(_ c: Client) { readGeneric(c, group: true) }

    /// The parsed options of XREAD/XREADGROUP.
    struct ReadArgs {
        var deadline: Int64?
        var count: Int64 = 0
        var streamsArg = 0
        var streamsCount = 0
        var group: RBytes?
        var consumer: RBytes?
        var noack = false
    }

    static func parseReadArgs(_ c: Client, group isGroup: Bool) -> ReadArgs? {
        var a = ReadArgs()
        let argv = c.argv
        var i = 1
        while i < argv.count {
            let more = argv.count - i - 1
            let o = argv[i]
            if o.equalsIgnoringCase("BLOCK") && more > 0 {
                i += 1
                guard let d = c.parseBlockTimeoutMilliseconds(argv[i]) else { return nil }
                a.deadline = d
            } else if o.equalsIgnoringCase("COUNT") && more > 0 {
                i += 1
                guard let n = integer(c, argv[i]) else { return nil }
                a.count = max(0, n)
            } else if o.equalsIgnoringCase("STREAMS") && more > 0 {
                a.streamsArg = i + 1
                let n = argv.count - a.streamsArg
                if n % 2 != 0 {
                    // Redis 7.0 words it the same way for XREADGROUP.
                    c.error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
                    return nil
                }
                a.streamsCount = n / 2
                break
            } else if o.equalsIgnoringCase("GROUP") && more >= 2 {
                if !isGroup {
                    c.error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
                    return nil
                }
                a.group = argv[i + 1]
                a.consumer = argv[i + 2]
                i += 2
            } else if o.equalsIgnoringCase("NOACK") {
                if !isGroup {
                    c.error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
                    return nil
                }
                a.noack = true
            } else {
                c.error(Errors.syntax)
                return nil
            }
            i += 1
        }
        if a.streamsArg == 0 {
            c.error(Errors.syntax)
            return nil
        }
        if isGroup && a.group == nil {
            c.error("ERR Missing GROUP option for XREADGROUP")
            return nil
        }
        return a
    }

    static func readGeneric(_ c: Client, group isGroup: Bool) {
        guard let a = parseReadArgs(c, group: isGroup) else { return }
        var effects: [[RBytes]] = []
        defer { c.propagateInstead(effects) }
        if let woken = c.wokenByKey {
            serveWoken(c, a, key: woken, effects: &effects)
            return
        }
        let keys = Array(c.argv[a.streamsArg..<(a.streamsArg + a.streamsCount)])
        var ids: [StreamID] = []
        var groups: [StreamGroup] = []
        var resolved = c.argv
        for (k, key) in keys.enumerated() {
            let idArg = c.argv[a.streamsArg + a.streamsCount + k]
            var stream: StreamObject?
            switch c.lookup(key, as: StreamObject.self) {
            case .wrongType:
                c.error(Errors.wrongType)
                return
            case .found(let s): stream = s
            case .missing: break
            }
            if let groupName = a.group {
                guard let s = stream, let g = s.groups[groupName] else {
                    c.error("NOGROUP No such key '\(key.string)' or consumer group '\(groupName.string)' in XREADGROUP with GROUP option")
                    return
                }
                groups.append(g)
            }
            if idArg == "$" {
                if isGroup {
                    c.error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
                    return
                }
                let id = stream?.lastID ?? .zero
                ids.append(id)
                resolved[a.streamsArg + a.streamsCount + k] = id.bytes
                continue
            } else if idArg == ">" {
                if !isGroup {
                    c.error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
                    return
                }
                ids.append(.max)
                continue
            }
            guard let id = parseID(c, idArg, strict: true) else { return }
            ids.append(id)
        }
        var served = 0
        let d = c.reply.deferLength()
        for (k, key) in keys.enumerated() {
            guard case .found(let s) = c.lookup(key, as: StreamObject.self) else { continue }
            var gt = ids[k]
            var serve = false, history = false
            var consumer: StreamConsumer?
            var created = false
            if isGroup {
                let g = groups[k]
                if gt != .max {
                    serve = true
                    history = true
                } else if s.length > 0 {
                    if s.edgeID(first: false, skipTombstones: true) > g.lastID {
                        serve = true
                        gt = g.lastID
                    }
                }
                created = g.consumers[a.consumer!] == nil
                consumer = lookupOrCreateConsumer(c, g, a.consumer!, key: key)
            } else if s.length > 0 {
                serve = s.edgeID(first: false, skipTombstones: true) > gt
            }
            guard serve else { continue }
            served += 1
            if c.resp == 2 { c.reply.arrayHeader(2) }
            c.reply.bulk(key)
            let start = gt.incremented ?? .max
            if history {
                replyFromConsumerPEL(c, s, groups[k], consumer!, from: start, count: Int(a.count))
            } else if isGroup {
                replyGroupRange(c, s, groups[k], consumer!, groupName: a.group!, key: key, from: start,
                                count: Int(a.count), noack: a.noack, createdConsumer: created, effects: &effects)
            } else {
                replyRange(c, s, from: start, to: .max, count: Int(a.count), reverse: false)
            }
            if isGroup { c.server.dirty += 1 }
        }
        if served > 0 {
            if c.resp == 2 { c.reply.setArrayLength(d, served) } else { c.reply.setMapLength(d, served) }
            return
        }
        if let deadline = a.deadline {
            if !c.canBlock {
                c.reply.nullArray()
                return
            }
            var unique: [RBytes] = []
            for key in keys where !unique.contains(key) { unique.append(key) }
            c.block(onKeys: unique, deadline: deadline, timeoutReply: .nullArray, resolvedArgv: resolved,
                    wakeOnDeletion: isGroup)
            return
        }
        c.reply.nullArray()
    }

    /// A waiter woken on `key`: served from that key alone (COUNT, or 1000 when none was given), or blocked again
    /// when there is nothing past its ID; XREADGROUP waiters get Redis's errors when the key or group went away.
    static func serveWoken(_ c: Client, _ a: ReadArgs, key: RBytes, effects: inout [[RBytes]]) {
        let keys = c.argv[a.streamsArg..<(a.streamsArg + a.streamsCount)]
        guard let k = keys.firstIndex(of: key) else { return }
        let idArg = c.argv[k + a.streamsCount]
        func blockAgain() {
            var unique: [RBytes] = []
            for key in keys where !unique.contains(key) { unique.append(key) }
            c.block(onKeys: unique, deadline: a.deadline ?? 0, timeoutReply: .nullArray, wakeOnDeletion: a.group != nil)
        }
        guard case .found(let s) = c.lookup(key, as: StreamObject.self) else {
            if a.group != nil {
                c.error("UNBLOCKED the stream key no longer exists")
            } else {
                blockAgain()
            }
            return
        }
        var gt: StreamID
        var group: StreamGroup?
        if let groupName = a.group {
            guard let g = s.groups[groupName] else {
                c.error("NOGROUP the consumer group this client was blocked on no longer exists")
                return
            }
            group = g
            gt = g.lastID
        } else {
            gt = StreamID.parse(idArg)?.id ?? .max
        }
        guard s.lastID > gt else {
            blockAgain()
            return
        }
        let count = a.count == 0 ? 1000 : Int(a.count)
        if c.resp == 2 {
            c.reply.arrayHeader(1)
            c.reply.arrayHeader(2)
        } else {
            c.reply.mapHeader(1)
        }
        c.reply.bulk(key)
        let start = gt.incremented ?? .max
        if let g = group {
            let created = g.consumers[a.consumer!] == nil
            let consumer = lookupOrCreateConsumer(c, g, a.consumer!, key: key)
            replyGroupRange(c, s, g, consumer, groupName: a.group!, key: key, from: start, count: count,
                            noack: a.noack, createdConsumer: created, effects: &effects)
        } else {
            replyRange(c, s, from: start, to: .max, count: count, reverse: false)
        }
    }

    /// The named consumer, created (with its keyspace event) when missing; its seen time is refreshed.
    static func lookupOrCreateConsumer(_ c: Client, _ g: StreamGroup, _ name: RBytes, key: RBytes) -> StreamConsumer {
        let now = c.server.commandTime
        if let existing = g.consumers[name] {
            existing.seenTime = now
            return existing
        }
        let created = g.createConsumer(name, now: now)!
        c.server.dirty += 1
        c.server.notify(.stream, "xgroup-createconsumer", key, db: c.db.id)
        return created
    }

    /// Serves new entries to a group consumer (Redis's `streamReplyWithRange` with a group): advances the group's
    /// last ID and read counter, records pending entries (unless NOACK) and queues their XCLAIM effects, and an
    /// XGROUP SETID effect for NOACK reads (preceded by XGROUP CREATECONSUMER when this read created the consumer,
    /// as nothing else would create it on a replica).
    static func replyGroupRange(_ c: Client, _ s: StreamObject, _ g: StreamGroup, _ consumer: StreamConsumer,
                                groupName: RBytes, key: RBytes, from start: StreamID, count: Int, noack: Bool,
                                createdConsumer: Bool, effects: inout [[RBytes]]) {
        let d = c.reply.deferLength()
        var n = 0
        var propagateLastID = false
        let now = c.server.commandTime
        var master: (StreamID, [RBytes])?
        s.forEach(from: start, to: .max) { id, node, e in
            if id > g.lastID {
                if g.entriesRead != -1 && !s.rangeHasTombstones(from: id) {
                    g.entriesRead += 1
                } else if s.entriesAdded > 0 {
                    g.entriesRead = s.estimateDistance(to: id)
                }
                g.lastID = id
                if noack { propagateLastID = true }
            }
            replyEntry(c, id, node, e, master: &master)
            if !noack {
                g.addPending(id, to: consumer, time: now, count: 1)
                effects.append(claimEffect(key: key, group: groupName, g, id: id, nack: g.pel[id]!))
            }
            n += 1
            return count == 0 || n < count
        }
        c.reply.setArrayLength(d, n)
        if propagateLastID {
            if createdConsumer { effects.append(["XGROUP", "CREATECONSUMER", key, groupName, consumer.name]) }
            effects.append(setIDEffect(key: key, group: groupName, g))
        }
    }

    /// History: the consumer's own pending entries from `start` (a deleted entry is `[id, nil]`); each delivered
    /// one gets a new delivery time and count.
    static func replyFromConsumerPEL(_ c: Client, _ s: StreamObject, _ g: StreamGroup, _ consumer: StreamConsumer,
                                     from start: StreamID, count: Int) {
        let ids = consumer.pel.ids
        var i = consumer.pel.lowerBound(start)
        let d = c.reply.deferLength()
        var n = 0
        while i < ids.count && (count == 0 || n < count) {
            let id = ids[i]
            if let (node, e) = s.find(id) {
                replyEntry(c, id, s.nodes[node], e)
                if let nack = g.pel[id] {
                    nack.deliveryTime = c.server.commandTime
                    nack.deliveryCount += 1
                }
            } else {
                c.reply.arrayHeader(2)
                c.reply.bulk(id.bytes)
                c.reply.nullArray()
            }
            n += 1
            i += 1
        }
        c.reply.setArrayLength(d, n)
    }

    /// `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID last` (Redis's
    /// `streamPropagateXCLAIM`).
    static func claimEffect(key: RBytes, group: RBytes, _ g: StreamGroup, id: StreamID, nack: StreamNACK) -> [RBytes] {
        ["XCLAIM", key, group, nack.consumer.name, "0", id.bytes, "TIME", Numbers.format(nack.deliveryTime),
         "RETRYCOUNT", Numbers.format(Int64(bitPattern: nack.deliveryCount)), "FORCE", "JUSTID", "LASTID",
         g.lastID.bytes]
    }

    /// `XGROUP SETID key group last ENTRIESREAD n` (Redis's `streamPropagateGroupID`).
    static func setIDEffect(key: RBytes, group: RBytes, _ g: StreamGroup) -> [RBytes] {
        ["XGROUP", "SETID", key, group, g.lastID.bytes, "ENTRIESREAD", Numbers.format(g.entriesRead)]
    }
}
