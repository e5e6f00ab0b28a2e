import Kernel

/// The stream family (Redis 7.0's `t_stream.c`): XADD/XTRIM/XDEL/XSETID, XRANGE/XREVRANGE/XLEN, XREAD and
/// XREADGROUP (blocking), consumer groups (XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM) and XINFO, over
/// `StreamObject`.
public struct StreamCommands: CommandModule {
    public init() {}
    public let family = "stream"

    public var commands: [CommandSpec] {
        let st: ACLCategories = [.stream]
        let key2 = KeyPositions(first: 2, last: 2, step: 1)
        return [
            CommandSpec("xadd", arity: -5, flags: [.write, .denyoom, .fast], keys: .single, categories: st,
                        summary: "Appends a new entry to a stream", since: "5.0.0",
                        complexity: "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
                        handler: Self.xadd),
            CommandSpec("xtrim", arity: -4, flags: [.write], keys: .single, categories: st,
                        summary: "Trims the stream to (approximately if '~' is passed) a certain size", since: "5.0.0",
                        complexity: "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.",
                        handler: Self.xtrim),
            CommandSpec("xdel", arity: -3, flags: [.write, .fast], keys: .single, categories: st,
                        summary: "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", since: "5.0.0",
                        complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
                        handler: Self.xdel),
            CommandSpec("xsetid", arity: -3, flags: [.write, .denyoom, .fast], keys: .single, categories: st,
                        summary: "An internal command for replicating stream values", since: "5.0.0",
                        complexity: "O(1)", handler: Self.xsetid),
            CommandSpec("xlen", arity: 2, flags: [.readonly, .fast], keys: .single, categories: st,
                        summary: "Return the number of entries in a stream", since: "5.0.0", complexity: "O(1)",
                        handler: Self.xlen),
            CommandSpec("xrange", arity: -4, flags: [.readonly], keys: .single, categories: st,
                        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval", since: "5.0.0",
                        complexity: "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
                        handler: Self.xrange),
            CommandSpec("xrevrange", arity: -4, flags: [.readonly], keys: .single, categories: st,
                        summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
                        since: "5.0.0",
                        complexity: "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
                        handler: Self.xrevrange),
            CommandSpec("xread", arity: -4, flags: [.readonly, .blocking], categories: st,
                        summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
                        since: "5.0.0",
                        complexity: "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
                        keyFinder: Self.streamsKeys, handler: Self.xread),
            CommandSpec("xreadgroup", arity: -7, flags: [.write, .blocking], categories: st,
                        summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
                        since: "5.0.0",
                        complexity: "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
                        keyFinder: Self.streamsKeys, handler: Self.xreadgroup),
            CommandSpec("xack", arity: -4, flags: [.write, .fast], keys: .single, categories: st,
                        summary: "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
                        since: "5.0.0", complexity: "O(1) for each message ID processed.", handler: Self.xack),
            CommandSpec("xpending", arity: -3, flags: [.readonly], keys: .single, categories: st,
                        summary: "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
                        since: "5.0.0",
                        complexity: "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
                        handler: Self.xpending),
            CommandSpec("xclaim", arity: -6, flags: [.write, .fast], keys: .single, categories: st,
                        summary: "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
                        since: "5.0.0", complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
                        handler: Self.xclaim),
            CommandSpec("xautoclaim", arity: -6, flags: [.write, .fast], keys: .single, categories: st,
                        summary: "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
                        since: "6.2.0", complexity: "O(1) if COUNT is small.", handler: Self.xautoclaim),
            CommandSpec(
                "xgroup", arity: -2, summary: "A container for consumer groups commands", since: "5.0.0",
                complexity: "Depends on subcommand.",
                subcommands: [
                    CommandSpec("create", arity: -5, flags: [.write, .denyoom], keys: key2, categories: st,
                                summary: "Create a consumer group.", since: "5.0.0", complexity: "O(1)",
                                handler: Self.xgroupCreate),
                    CommandSpec("setid", arity: -5, flags: [.write], keys: key2, categories: st,
                                summary: "Set a consumer group to an arbitrary last delivered ID value.", since: "5.0.0",
                                complexity: "O(1)", handler: Self.xgroupSetID),
                    CommandSpec("destroy", arity: 4, flags: [.write], keys: key2, categories: st,
                                summary: "Destroy a consumer group.", since: "5.0.0",
                                complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
                                handler: Self.xgroupDestroy),
                    CommandSpec("createconsumer", arity: 5, flags: [.write, .denyoom], keys: key2, categories: st,
                                summary: "Create a consumer in a consumer group.", since: "6.2.0", complexity: "O(1)",
                                handler: Self.xgroupCreateConsumer),
                    CommandSpec("delconsumer", arity: 5, flags: [.write], keys: key2, categories: st,
                                summary: "Delete a consumer from a consumer group.", since: "5.0.0", complexity: "O(1)",
                                handler: Self.xgroupDelConsumer),
                    CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: st,
                                summary: "Show helpful text about the different subcommands", since: "5.0.0",
                                complexity: "O(1)", handler: Self.xgroupHelp),
                ]),
            CommandSpec(
                "xinfo", arity: -2, summary: "A container for stream introspection commands", since: "5.0.0",
                complexity: "Depends on subcommand.",
                subcommands: [
                    CommandSpec("stream", arity: -3, flags: [.readonly], keys: key2, categories: st,
                                summary: "Get information about a stream", since: "5.0.0", complexity: "O(1)",
                                handler: Self.xinfoStream),
                    CommandSpec("groups", arity: 3, flags: [.readonly], keys: key2, categories: st,
                                summary: "List the consumer groups of a stream", since: "5.0.0",
                                complexity: "O(1)", handler: Self.xinfoGroups),
                    CommandSpec("consumers", arity: 4, flags: [.readonly], keys: key2, categories: st,
                                summary: "List the consumers in a consumer group", since: "5.0.0",
                                complexity: "O(1)", handler: Self.xinfoConsumers),
                    CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: st,
                                summary: "Show helpful text about the different subcommands", since: "5.0.0",
                                complexity: "O(1)", handler: Self.xinfoHelp),
                ]),
        ]
    }

    /// Keys of XREAD/XREADGROUP: the first half of the arguments after `STREAMS` (Redis's `xreadGetKeys`).
    static func streamsKeys(_ argv: [RBytes]) -> [Int] {
        for i in 1..<argv.count where argv[i].equalsIgnoringCase("STREAMS") {
            let rest = argv.count - i - 1
            guard rest > 0, rest % 2 == 0 else { return [] }
            return Array((i + 1)...(i + rest / 2))
        }
        return []
    }
}

// MARK: - Shared helpers

extension StreamCommands {
    static let invalidID = "ERR Invalid stream ID specified as stream command argument"

    /// Parses an ID argument (Redis's `streamParseIDOrReply` / `streamParseStrictIDOrReply`), replying the error.
    static func parseID(_ c: Client, _ arg: RBytes, missingSeq: UInt64 = 0, strict: Bool = false) -> StreamID? {
        guard let p = StreamID.parse(arg, missingSeq: missingSeq, strict: strict) else {
            c.error(invalidID)
            return nil
        }
        return p.id
    }

    /// The stream at `key` for a command that treats a missing key with `missing`; nil after replying.
    static func existingStream(_ c: Client, _ key: RBytes, missing: (Client) -> Void) -> StreamObject? {
        c.existing(key, as: StreamObject.self, ifMissing: missing)
    }

    /// `[id, [field, value, ...]]`. `master` caches the master field names of the node last seen, so a range
    /// over one node reads them once.
    static func replyEntry(_ c: Client, _ id: StreamID, _ node: StreamNode, _ e: StreamNode.EntryRef,
                           master: inout (StreamID, [RBytes])?) {
        var names: [RBytes]? = nil
        if e.flags & 2 != 0 {
            if let m = master, m.0 == node.master {
                names = m.1
            } else {
                names = node.masterFieldNames
                master = (node.master, names!)
            }
        }
        c.reply.arrayHeader(2)
        c.reply.bulk(id.bytes)
        let fields = node.fields(of: e, master: names)
        c.reply.arrayHeader(fields.count * 2)
        for (f, v) in fields {
            c.reply.bulk(f)
            c.reply.bulk(v)
        }
    }

    /// `[id, [field, value, ...]]`.
    static func replyEntry(_ c: Client, _ id: StreamID, _ node: StreamNode, _ e: StreamNode.EntryRef) {
        c.reply.arrayHeader(2)
        c.reply.bulk(id.bytes)
        let fields = node.fields(of: e)
        c.reply.arrayHeader(fields.count * 2)
        for (f, v) in fields {
            c.reply.bulk(f)
            c.reply.bulk(v)
        }
    }

    /// Parses an integer argument with Redis's "not an integer" error.
    static func integer(_ c: Client, _ arg: RBytes) -> Int64? {
        guard let v = Numbers.parseInt64(arg) else {
            c.error(Errors.notInteger)
            return nil
        }
        return v
    }

    /// Whether the client replays a master's or the AOF's commands (Redis's `mustObeyClient`).
    static func mustObey(_ c: Client) -> Bool { c.linkKind == .master || !c.isConnection }

    /// A stream's node limits from the configuration.
    static func nodeLimits(_ c: Client) -> (bytes: Int, entries: Int) {
        let cfg = c.server.config
        return (Int(clamping: cfg.streamNodeMaxBytes), Int(clamping: cfg.streamNodeMaxEntries))
    }

    /// Replies a list of help lines as Redis's `addReplyHelp` does (the header line, the lines, then HELP).
    static func replyHelp(_ c: Client, _ name: String, _ lines: [String]) {
        let all = ["\(name) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"] + lines
            + ["HELP", "    Prints this help."]
        c.reply.arrayHeader(all.count)
        for l in all { c.reply.status(l) }
    }

    /// Redis's `addReplySubcommandSyntaxError`.
    static func subcommandSyntaxError(_ c: Client) {
        c.error("ERR unknown subcommand or wrong number of arguments for '\(Errors.truncated(c.argv[1], 128))'. Try \(c.argv[0].string.uppercased()) HELP.")
    }
}
