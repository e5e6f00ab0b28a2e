import Kernel

extension StreamCommands {
    /// The stream and group a claim works on, or nil after replying Redis's errors.
    static func claimTarget(_ c: Client) -> (StreamObject, StreamGroup)? {
        var found: (StreamObject, StreamGroup)?
        switch c.lookup(c.argv[1], as: StreamObject.self) {
        case .wrongType:
            c.error(Errors.wrongType)
            return nil
        case .found(let s):
            if let g = s.groups[c.argv[2]] { found = (s, g) }
        case .missing: break
        }
        guard let found else {
            c.error("NOGROUP No such key '\(c.argv[1].string)' or consumer group '\(c.argv[2].string)'")
            return nil
        }
        return found
    }

    /// An integer argument with a custom error (`ERR <message>`).
    static func integer(_ c: Client, _ arg: RBytes, error message: String) -> Int64? {
        guard let v = Numbers.parseInt64(arg) else {
            c.error("ERR " + message)
            return nil
        }
        return v
    }

    /// The claiming consumer, looked up once and created (with its event) on first use.
    static func claimer(_ c: Client, _ g: StreamGroup, _ cached: inout StreamConsumer?) -> StreamConsumer {
        if let cached { return cached }
        let consumer = lookupOrCreateConsumer(c, g, c.argv[3], key: c.argv[1])
        cached = consumer
        return consumer
    }

    /// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
    /// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
    static func xclaim(_ c: Client) {
        guard let (s, g) = claimTarget(c) else { return }
        guard var minIdle = integer(c, c.argv[4], error: "Invalid min-idle-time argument for XCLAIM") else { return }
        minIdle = max(0, minIdle)
        var j = 5
        var ids: [StreamID] = []
        while j < c.argv.count, let p = StreamID.parse(c.argv[j], strict: true) {
            ids.append(p.id)
            j += 1
        }
        let now = c.server.commandTime
        var force = false, justID = false
        var retryCount: Int64 = -1
        var deliveryTime: Int64 = -1
        var lastID = StreamID.zero
        while j < c.argv.count {
            let more = c.argv.count - 1 - j
            let opt = c.argv[j]
            if opt.equalsIgnoringCase("FORCE") {
                force = true
            } else if opt.equalsIgnoringCase("JUSTID") {
                justID = true
            } else if opt.equalsIgnoringCase("IDLE") && more > 0 {
                j += 1
                guard let v = integer(c, c.argv[j], error: "Invalid IDLE option argument for XCLAIM") else { return }
                deliveryTime = now &- v
            } else if opt.equalsIgnoringCase("TIME") && more > 0 {
                j += 1
                guard let v = integer(c, c.argv[j], error: "Invalid TIME option argument for XCLAIM") else { return }
                deliveryTime = v
            } else if opt.equalsIgnoringCase("RETRYCOUNT") && more > 0 {
                j += 1
                guard let v = integer(c, c.argv[j], error: "Invalid RETRYCOUNT option argument for XCLAIM") else { return }
                retryCount = v
            } else if opt.equalsIgnoringCase("LASTID") && more > 0 {
                j += 1
                guard let v = parseID(c, c.argv[j], strict: true) else { return }
                lastID = v
            } else {
                c.error("ERR Unrecognized XCLAIM option '\(Errors.truncated(opt, Int.max))'")
                return
            }
            j += 1
        }
        var effects: [[RBytes]] = []
        defer { c.propagateInstead(effects) }
        var propagateLastID = false
        if lastID > g.lastID {
            g.lastID = lastID
            propagateLastID = true
        }
        if deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now { deliveryTime = now }
        var consumer: StreamConsumer?
        let d = c.reply.deferLength()
        var n = 0
        for (k, id) in ids.enumerated() {
            let idArg = c.argv[5 + k]
            var nack = g.pel[id]
            guard let (node, e) = s.find(id) else {
                if let nack {
                    effects.append(claimEffect(key: c.argv[1], group: c.argv[2], g, idArg: idArg, nack: nack))
                    propagateLastID = false
                    c.server.dirty += 1
                    g.removePending(id)
                }
                continue
            }
            var fresh = false
            if force && nack == nil {
                fresh = true
                nack = StreamNACK(deliveryTime: now, deliveryCount: 1, consumer: claimer(c, g, &consumer))
            }
            guard let nack else { continue }
            if !fresh && minIdle != 0 && now - nack.deliveryTime < minIdle { continue }
            let target = claimer(c, g, &consumer)
            if fresh {
                g.pel[id] = nack
                g.pelOrder.insert(id)
                target.pel.insert(id)
            } else {
                g.transfer(id, nack, to: target)
            }
            nack.deliveryTime = deliveryTime
            if retryCount >= 0 {
                nack.deliveryCount = UInt64(bitPattern: retryCount)
            } else if !justID {
                nack.deliveryCount &+= 1
            }
            if justID {
                c.reply.bulk(id.bytes)
            } else {
                replyEntry(c, id, s.nodes[node], e)
            }
            n += 1
            effects.append(claimEffect(key: c.argv[1], group: c.argv[2], g, idArg: idArg, nack: nack))
            propagateLastID = false
            c.server.dirty += 1
        }
        if propagateLastID {
            effects.append(setIDEffect(key: c.argv[1], group: c.argv[2], g))
            c.server.dirty += 1
        }
        c.reply.setArrayLength(d, n)
    }

    /// XCLAIM's effect with the ID as the client wrote it.
    static func claimEffect(key: RBytes, group: RBytes, _ g: StreamGroup, idArg: RBytes, nack: StreamNACK) -> [RBytes] {
        var e = claimEffect(key: key, group: group, g, id: .zero, nack: nack)
        e[5] = idArg
        return e
    }

    /// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
    static func xautoclaim(_ c: Client) {
        guard var minIdle = integer(c, c.argv[4], error: "Invalid min-idle-time argument for XAUTOCLAIM") else { return }
        minIdle = max(0, minIdle)
        guard let start = intervalID(c, c.argv[5], isEnd: false) else { return }
        var count: Int64 = 100
        var justID = false
        var j = 6
        while j < c.argv.count {
            let more = c.argv.count - 1 - j
            if c.argv[j].equalsIgnoringCase("COUNT") && more > 0 {
                let maxCount = Int64.max / 16
                guard let v = Numbers.parseInt64(c.argv[j + 1]), v >= 1 && v <= maxCount else {
                    c.error("ERR COUNT must be > 0")
                    return
                }
                count = v
                j += 1
            } else if c.argv[j].equalsIgnoringCase("JUSTID") {
                justID = true
            } else {
                c.error(Errors.syntax)
                return
            }
            j += 1
        }
        guard let (s, g) = claimTarget(c) else { return }
        var effects: [[RBytes]] = []
        defer { c.propagateInstead(effects) }
        var attempts = count * 10
        let now = c.server.commandTime
        var consumer: StreamConsumer?
        var deleted: [StreamID] = []
        var n = 0
        c.reply.arrayHeader(3)
        // The cursor comes first in the reply but is known last: the entries are moved after it at the end.
        let bodyStart = c.reply.buffer.writerIndex
        var last: StreamID?
        var exhausted = false
        while attempts > 0 && count > 0 {
            attempts -= 1
            let i = last == nil ? g.pelOrder.lowerBound(start) : upperBound(g.pelOrder, last!)
            guard i < g.pelOrder.count else {
                exhausted = true
                break
            }
            let id = g.pelOrder.ids[i]
            last = id
            let nack = g.pel[id]!
            guard let (node, e) = s.find(id) else {
                effects.append(claimEffect(key: c.argv[1], group: c.argv[2], g, id: id, nack: nack))
                c.server.dirty += 1
                g.removePending(id)
                deleted.append(id)
                count -= 1
                continue
            }
            if minIdle != 0 && now - nack.deliveryTime < minIdle { continue }
            let target = claimer(c, g, &consumer)
            g.transfer(id, nack, to: target)
            nack.deliveryTime = now
            if !justID { nack.deliveryCount &+= 1 }
            if justID {
                c.reply.bulk(id.bytes)
            } else {
                replyEntry(c, id, s.nodes[node], e)
            }
            n += 1
            count -= 1
            effects.append(claimEffect(key: c.argv[1], group: c.argv[2], g, id: id, nack: nack))
            c.server.dirty += 1
        }
        let body = c.reply.buffer.getBytes(at: bodyStart, length: c.reply.buffer.writerIndex - bodyStart) ?? []
        c.reply.buffer.moveWriterIndex(to: bodyStart)
        var cursor = StreamID.zero
        if !exhausted {
            let i = last == nil ? g.pelOrder.lowerBound(start) : upperBound(g.pelOrder, last!)
            if i < g.pelOrder.count { cursor = g.pelOrder.ids[i] }
        }
        c.reply.bulk(cursor.bytes)
        c.reply.arrayHeader(n)
        c.reply.raw(body)
        c.reply.arrayHeader(deleted.count)
        for id in deleted { c.reply.bulk(id.bytes) }
    }

    /// Index of the first ID > `id`.
    static func upperBound(_ list: StreamIDList, _ id: StreamID) -> Int {
        guard let next = id.incremented else { return list.count }
        return list.lowerBound(next)
    }
}
