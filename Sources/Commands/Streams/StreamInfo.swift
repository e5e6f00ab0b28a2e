import Kernel

extension StreamCommands {
    /// The stream XINFO STREAM/GROUPS/CONSUMERS reads (`ERR no such key` when missing).
    static func infoStream(_ c: Client) -> StreamObject? {
        existingStream(c, c.argv[2], missing: { $0.error(Errors.noSuchKey) })
    }

    /// A group's `entries-read` and `lag` (null when unknown).
    static func replyReadAndLag(_ c: Client, _ s: StreamObject, _ g: StreamGroup) {
        c.reply.bulk("entries-read")
        if g.entriesRead != -1 { c.reply.integer(g.entriesRead) } else { c.reply.null() }
        c.reply.bulk("lag")
        if let lag = s.lag(of: g) { c.reply.integer(lag) } else { c.reply.null() }
    }

    /// XINFO STREAM key [FULL [COUNT count]]
    static func xinfoStream(_ c: Client) {
        guard let s = infoStream(c) else { return }
        let opts = c.argv.count - 3
        var full = false
        var count: Int64 = 10
        if opts > 0 {
            guard opts == 1 || opts == 3, c.argv[3].equalsIgnoringCase("FULL") else {
                subcommandSyntaxError(c)
                return
            }
            full = true
            if opts == 3 {
                guard c.argv[4].equalsIgnoringCase("COUNT") else {
                    subcommandSyntaxError(c)
                    return
                }
                guard let n = integer(c, c.argv[5]) else { return }
                count = n < 0 ? 10 : n
            }
        }
        c.reply.mapHeader(full ? 9 : 10)
        c.reply.bulk("length")
        c.reply.integer(s.length)
        c.reply.bulk("radix-tree-keys")
        c.reply.integer(s.nodes.count)
        c.reply.bulk("radix-tree-nodes")
        c.reply.integer(s.radixTreeNodes)
        c.reply.bulk("last-generated-id")
        c.reply.bulk(s.lastID.bytes)
        c.reply.bulk("max-deleted-entry-id")
        c.reply.bulk(s.maxDeletedID.bytes)
        c.reply.bulk("entries-added")
        c.reply.integer(Int64(bitPattern: s.entriesAdded))
        c.reply.bulk("recorded-first-entry-id")
        c.reply.bulk(s.firstID.bytes)
        if !full {
            c.reply.bulk("groups")
            c.reply.integer(s.groups.count)
            for (label, reverse) in [("first-entry", false), ("last-entry", true)] {
                c.reply.bulk(label)
                var emitted = false
                s.forEach(from: .zero, to: .max, reverse: reverse) { id, node, e in
                    replyEntry(c, id, node, e)
                    emitted = true
                    return false
                }
                if !emitted { c.reply.null() }
            }
            return
        }
        c.reply.bulk("entries")
        replyRange(c, s, from: .zero, to: .max, count: Int(count), reverse: false)
        c.reply.bulk("groups")
        let groups = s.sortedGroups
        c.reply.arrayHeader(groups.count)
        for (name, g) in groups {
            c.reply.mapHeader(7)
            c.reply.bulk("name")
            c.reply.bulk(name)
            c.reply.bulk("last-delivered-id")
            c.reply.bulk(g.lastID.bytes)
            replyReadAndLag(c, s, g)
            c.reply.bulk("pel-count")
            c.reply.integer(g.pelOrder.count)
            c.reply.bulk("pending")
            let pel = count == 0 ? g.pelOrder.ids[...] : g.pelOrder.ids.prefix(Int(count))
            c.reply.arrayHeader(pel.count)
            for id in pel {
                let nack = g.pel[id]!
                c.reply.arrayHeader(4)
                c.reply.bulk(id.bytes)
                c.reply.bulk(nack.consumer.name)
                c.reply.integer(nack.deliveryTime)
                c.reply.integer(Int64(bitPattern: nack.deliveryCount))
            }
            c.reply.bulk("consumers")
            let consumers = g.sortedConsumers
            c.reply.arrayHeader(consumers.count)
            for consumer in consumers {
                c.reply.mapHeader(4)
                c.reply.bulk("name")
                c.reply.bulk(consumer.name)
                c.reply.bulk("seen-time")
                c.reply.integer(consumer.seenTime)
                c.reply.bulk("pel-count")
                c.reply.integer(consumer.pel.count)
                c.reply.bulk("pending")
                let cpel = count == 0 ? consumer.pel.ids[...] : consumer.pel.ids.prefix(Int(count))
                c.reply.arrayHeader(cpel.count)
                for id in cpel {
                    let nack = g.pel[id]!
                    c.reply.arrayHeader(3)
                    c.reply.bulk(id.bytes)
                    c.reply.integer(nack.deliveryTime)
                    c.reply.integer(Int64(bitPattern: nack.deliveryCount))
                }
            }
        }
    }

    /// XINFO GROUPS key
    static func xinfoGroups(_ c: Client) {
        guard let s = infoStream(c) else { return }
        let groups = s.sortedGroups
        c.reply.arrayHeader(groups.count)
        for (name, g) in groups {
            c.reply.mapHeader(6)
            c.reply.bulk("name")
            c.reply.bulk(name)
            c.reply.bulk("consumers")
            c.reply.integer(g.consumers.count)
            c.reply.bulk("pending")
            c.reply.integer(g.pelOrder.count)
            c.reply.bulk("last-delivered-id")
            c.reply.bulk(g.lastID.bytes)
            replyReadAndLag(c, s, g)
        }
    }

    /// XINFO CONSUMERS key group
    static func xinfoConsumers(_ c: Client) {
        guard let s = infoStream(c) else { return }
        guard let g = s.groups[c.argv[3]] else {
            c.error("NOGROUP No such consumer group '\(c.argv[3].string)' for key name '\(c.argv[2].string)'")
            return
        }
        let now = Clock.unixMilliseconds()
        let consumers = g.sortedConsumers
        c.reply.arrayHeader(consumers.count)
        for consumer in consumers {
            c.reply.mapHeader(3)
            c.reply.bulk("name")
            c.reply.bulk(consumer.name)
            c.reply.bulk("pending")
            c.reply.integer(consumer.pel.count)
            c.reply.bulk("idle")
            c.reply.integer(max(0, now - consumer.seenTime))
        }
    }

    /// XINFO HELP
    static func xinfoHelp(_ c: Client) {
        replyHelp(c, "XINFO", [
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ])
    }
}
