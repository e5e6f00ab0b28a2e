import Kernel

extension StreamCommands {
    /// What XGROUP's shared prelude found (Redis's `xgroupCommand` before its dispatch).
    struct GroupTarget {
        var stream: StreamObject?
        var group: StreamGroup?
        var mkstream = false
        var entriesRead: Int64 = -1
    }

    /// Parses CREATE/SETID options, looks the key and group up and replies the shared errors; nil after replying.
    static func groupPrelude(_ c: Client, options: Bool, create: Bool, needsGroup: Bool) -> GroupTarget? {
        var t = GroupTarget()
        if options {
            var i = 5
            while i < c.argv.count {
                if create && c.argv[i].equalsIgnoringCase("MKSTREAM") {
                    t.mkstream = true
                    i += 1
                } else if c.argv[i].equalsIgnoringCase("ENTRIESREAD") && i + 1 < c.argv.count {
                    guard let n = integer(c, c.argv[i + 1]) else { return nil }
                    if n < 0 && n != -1 {
                        c.error("ERR value for ENTRIESREAD must be positive or -1")
                        return nil
                    }
                    t.entriesRead = n
                    i += 2
                } else {
                    subcommandSyntaxError(c)
                    return nil
                }
            }
        }
        switch c.lookup(c.argv[2], as: StreamObject.self) {
        case .wrongType:
            c.error(Errors.wrongType)
            return nil
        case .found(let s): t.stream = s
        case .missing: break
        }
        if !t.mkstream {
            guard let s = t.stream else {
                c.error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
                return nil
            }
            t.group = s.groups[c.argv[3]]
            if t.group == nil && needsGroup {
                c.error("NOGROUP No such consumer group '\(c.argv[3].string)' for key name '\(c.argv[2].string)'")
                return nil
            }
        }
        return t
    }

    /// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
    static func xgroupCreate(_ c: Client) {
        guard var t = groupPrelude(c, options: true, create: true, needsGroup: false) else { return }
        guard c.argv.count <= 8 else {
            subcommandSyntaxError(c)
            return
        }
        let key = c.argv[2], name = c.argv[3]
        let id: StreamID
        if c.argv[4] == "$" {
            id = t.stream?.lastID ?? .zero
        } else {
            guard let parsed = parseID(c, c.argv[4], strict: true) else { return }
            id = parsed
        }
        if t.stream == nil {
            let s = StreamObject()
            c.db.add(key, .object(s))
            c.server.keyModified(c.db, key, changes: 0)
            t.stream = s
        }
        let s = t.stream!
        if s.groups[name] != nil {
            c.error("BUSYGROUP Consumer Group name already exists")
            return
        }
        s.groups[name] = StreamGroup(lastID: id, entriesRead: t.entriesRead)
        c.reply.ok()
        c.server.dirty += 1
        c.server.notify(.stream, "xgroup-create", key, db: c.db.id)
    }

    /// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
    static func xgroupSetID(_ c: Client) {
        guard let t = groupPrelude(c, options: true, create: false, needsGroup: true) else { return }
        guard c.argv.count == 5 || c.argv.count == 7 else {
            subcommandSyntaxError(c)
            return
        }
        let id: StreamID
        if c.argv[4] == "$" {
            id = t.stream!.lastID
        } else {
            guard let parsed = parseID(c, c.argv[4]) else { return }
            id = parsed
        }
        let g = t.group!
        g.lastID = id
        g.entriesRead = t.entriesRead
        c.reply.ok()
        c.server.dirty += 1
        c.server.notify(.stream, "xgroup-setid", c.argv[2], db: c.db.id)
    }

    /// XGROUP DESTROY key group
    static func xgroupDestroy(_ c: Client) {
        guard let t = groupPrelude(c, options: false, create: false, needsGroup: false) else { return }
        guard t.group != nil else {
            c.reply.integer(0)
            return
        }
        let key = c.argv[2]
        t.stream!.groups[c.argv[3]] = nil
        c.reply.integer(1)
        c.server.dirty += 1
        c.server.notify(.stream, "xgroup-destroy", key, db: c.db.id)
        // XREADGROUP waiters on this group get -NOGROUP.
        c.server.signalKeyAsReady(c.db, key)
    }

    /// XGROUP CREATECONSUMER key group consumer
    static func xgroupCreateConsumer(_ c: Client) {
        guard let t = groupPrelude(c, options: false, create: false, needsGroup: true) else { return }
        let key = c.argv[2]
        guard t.group!.createConsumer(c.argv[4], now: c.server.commandTime) != nil else {
            c.reply.integer(0)
            return
        }
        c.reply.integer(1)
        c.server.dirty += 1
        c.server.notify(.stream, "xgroup-createconsumer", key, db: c.db.id)
    }

    /// XGROUP DELCONSUMER key group consumer
    static func xgroupDelConsumer(_ c: Client) {
        guard let t = groupPrelude(c, options: false, create: false, needsGroup: true) else { return }
        let key = c.argv[2]
        guard let consumer = t.group!.consumers[c.argv[4]] else {
            c.reply.integer(0)
            return
        }
        let pending = t.group!.deleteConsumer(consumer)
        c.server.dirty += 1
        c.server.notify(.stream, "xgroup-delconsumer", key, db: c.db.id)
        c.reply.integer(pending)
    }

    /// XGROUP HELP
    static func xgroupHelp(_ c: Client) {
        replyHelp(c, "XGROUP", [
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ])
    }

    /// XACK key group id [id ...]
    static func xack(_ c: Client) {
        var group: StreamGroup?
        switch c.lookup(c.argv[1], as: StreamObject.self) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let s): group = s.groups[c.argv[2]]
        case .missing: break
        }
        guard let g = group else {
            c.reply.integer(0)
            return
        }
        var ids: [StreamID] = []
        for arg in c.argv[3...] {
            guard let id = parseID(c, arg, strict: true) else { return }
            ids.append(id)
        }
        var acked = 0
        for id in ids where g.removePending(id) { acked += 1 }
        c.server.dirty += Int64(acked)
        c.reply.integer(acked)
    }

    /// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
    static func xpending(_ c: Client) {
        let argc = c.argv.count
        if argc != 3 && (argc < 6 || argc > 9) {
            c.error(Errors.syntax)
            return
        }
        var start = StreamID.zero, end = StreamID.max
        var count: Int64 = 0, minIdle: Int64 = 0
        var consumerName: RBytes?
        if argc >= 6 {
            var idx = 3
            if c.argv[3].equalsIgnoringCase("IDLE") {
                guard let n = integer(c, c.argv[4]) else { return }
                minIdle = n
                if argc < 8 {
                    c.error(Errors.syntax)
                    return
                }
                idx += 2
            }
            guard let n = integer(c, c.argv[idx + 2]) else { return }
            count = max(0, n)
            guard let s0 = intervalID(c, c.argv[idx], isEnd: false),
                  let e0 = intervalID(c, c.argv[idx + 1], isEnd: true) else { return }
            start = s0
            end = e0
            if idx + 3 < argc { consumerName = c.argv[idx + 3] }
        }
        var group: StreamGroup?
        switch c.lookup(c.argv[1], as: StreamObject.self) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let s): group = s.groups[c.argv[2]]
        case .missing: break
        }
        guard let g = group else {
            c.error("NOGROUP No such key '\(c.argv[1].string)' or consumer group '\(c.argv[2].string)'")
            return
        }
        if argc == 3 {
            c.reply.arrayHeader(4)
            c.reply.integer(g.pelOrder.count)
            guard let first = g.pelOrder.ids.first, let last = g.pelOrder.ids.last else {
                c.reply.null()
                c.reply.null()
                c.reply.nullArray()
                return
            }
            c.reply.bulk(first.bytes)
            c.reply.bulk(last.bytes)
            let owners = g.sortedConsumers.filter { !$0.pel.isEmpty }
            c.reply.arrayHeader(owners.count)
            for o in owners {
                c.reply.arrayHeader(2)
                c.reply.bulk(o.name)
                c.reply.bulk(Int64(o.pel.count))
            }
            return
        }
        var list = g.pelOrder
        if let name = consumerName {
            guard let consumer = g.consumers[name] else {
                c.reply.arrayHeader(0)
                return
            }
            list = consumer.pel
        }
        let now = c.server.commandTime
        let d = c.reply.deferLength()
        var n = 0
        var i = list.lowerBound(start)
        while count > 0 && i < list.count && list.ids[i] <= end {
            let id = list.ids[i]
            i += 1
            let nack = g.pel[id]!
            if minIdle != 0 && now - nack.deliveryTime < minIdle { continue }
            n += 1
            count -= 1
            c.reply.arrayHeader(4)
            c.reply.bulk(id.bytes)
            c.reply.bulk(nack.consumer.name)
            c.reply.integer(max(0, now - nack.deliveryTime))
            c.reply.integer(Int64(bitPattern: nack.deliveryCount))
        }
        c.reply.setArrayLength(d, n)
    }
}
