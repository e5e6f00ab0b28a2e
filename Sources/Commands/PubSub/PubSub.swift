import Kernel

/// Publish/subscribe: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB introspection.
public struct PubSubCommands: CommandModule {
    public init() {}
    public let family = "pubsub"

    public var commands: [CommandSpec] {
        let mode: CommandFlags = [.pubsub, .noscript, .loading, .stale]
        return [
            CommandSpec("subscribe", arity: -2, flags: mode, summary: "Listens for messages published to channels.",
                        since: "2.0.0", complexity: "O(N) where N is the number of channels to subscribe to.",
                        handler: { c in subscribe(c, .channel) }),
            CommandSpec("unsubscribe", arity: -1, flags: mode, summary: "Stops listening to messages posted to channels.",
                        since: "2.0.0", complexity: "O(N) where N is the number of channels to unsubscribe.",
                        handler: { c in unsubscribe(c, .channel) }),
            CommandSpec("psubscribe", arity: -2, flags: mode, summary: "Listens for messages published to channels that match one or more patterns.",
                        since: "2.0.0", complexity: "O(N) where N is the number of patterns to subscribe to.",
                        handler: { c in subscribe(c, .pattern) }),
            CommandSpec("punsubscribe", arity: -1, flags: mode, summary: "Stops listening to messages published to channels that match one or more patterns.",
                        since: "2.0.0", complexity: "O(N) where N is the number of patterns to unsubscribe.",
                        handler: { c in unsubscribe(c, .pattern) }),
            CommandSpec("ssubscribe", arity: -2, flags: mode, keys: .all, summary: "Listens for messages published to shard channels.",
                        since: "7.0.0", complexity: "O(N) where N is the number of shard channels to subscribe to.",
                        handler: { c in subscribe(c, .shard) }),
            CommandSpec("sunsubscribe", arity: -1, flags: mode, keys: .all, summary: "Stops listening to messages posted to shard channels.",
                        since: "7.0.0", complexity: "O(N) where N is the number of shard channels to unsubscribe.",
                        handler: { c in unsubscribe(c, .shard) }),
            CommandSpec("publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate],
                        summary: "Posts a message to a channel.", since: "2.0.0",
                        complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
                        handler: publish),
            CommandSpec("spublish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate], keys: .single,
                        summary: "Post a message to a shard channel", since: "7.0.0",
                        complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
                        handler: spublish),
            CommandSpec("pubsub", arity: -2, summary: "A container for Pub/Sub commands.", since: "2.8.0",
                        complexity: "Depends on subcommand.", subcommands: [
                            CommandSpec("channels", arity: -2, flags: [.pubsub, .loading, .stale],
                                        summary: "Returns the active channels.", since: "2.8.0",
                                        complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
                                        handler: { c in activeChannels(c, shard: false) }),
                            CommandSpec("numsub", arity: -2, flags: [.pubsub, .loading, .stale],
                                        summary: "Returns a count of subscribers to channels.", since: "2.8.0",
                                        complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
                                        handler: { c in numsub(c, shard: false) }),
                            CommandSpec("numpat", arity: 2, flags: [.pubsub, .loading, .stale],
                                        summary: "Returns a count of unique pattern subscriptions.", since: "2.8.0",
                                        complexity: "O(1)", handler: numpat),
                            CommandSpec("shardchannels", arity: -2, flags: [.pubsub, .loading, .stale],
                                        summary: "Returns the active shard channels.", since: "7.0.0",
                                        complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
                                        handler: { c in activeChannels(c, shard: true) }),
                            CommandSpec("shardnumsub", arity: -2, flags: [.pubsub, .loading, .stale],
                                        summary: "Returns the count of subscribers of shard channels.", since: "7.0.0",
                                        complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
                                        handler: { c in numsub(c, shard: true) }),
                            CommandSpec("help", arity: 2, flags: [.loading, .stale], summary: "Returns helpful text about the different subcommands.",
                                        since: "6.2.0", complexity: "O(1)", handler: pubsubHelp),
                        ]),
        ]
    }
}

/// SUBSCRIBE channel [channel ...] (and PSUBSCRIBE, SSUBSCRIBE)
func subscribe(_ c: Client, _ kind: SubscriptionKind) {
    for name in c.argv.dropFirst() { c.subscribe(name, kind) }
}

/// UNSUBSCRIBE [channel [channel ...]] (and PUNSUBSCRIBE, SUNSUBSCRIBE)
func unsubscribe(_ c: Client, _ kind: SubscriptionKind) {
    if c.argv.count == 1 {
        c.unsubscribeAll(kind, notify: true)
    } else {
        for name in c.argv.dropFirst() { c.unsubscribe(name, kind) }
    }
}

/// PUBLISH channel message
/// Changes no key, yet Redis 7.0 streams it to replicas (not to the AOF), so their subscribers hear it too.
func publish(_ c: Client) {
    c.reply.integer(c.server.publish(c.argv[1], c.argv[2]))
    c.server.propagate(db: c.db.id, c.argv, target: .replicas)
}

/// SPUBLISH shardchannel message
/// Streamed to replicas like PUBLISH (no cluster bus here).
func spublish(_ c: Client) {
    c.reply.integer(c.server.publish(c.argv[1], c.argv[2], shard: true))
    c.server.propagate(db: c.db.id, c.argv, target: .replicas)
}

/// PUBSUB CHANNELS [pattern] / PUBSUB SHARDCHANNELS [pattern]
func activeChannels(_ c: Client, shard: Bool) {
    if c.argv.count > 3 {
        c.error("ERR unknown subcommand or wrong number of arguments for '\(Errors.truncated(c.argv[1], 128))'. Try PUBSUB HELP.")
        return
    }
    let pattern = c.argv.count == 3 ? c.argv[2] : nil
    let table = shard ? c.server.pubsub.shardChannels : c.server.pubsub.channels
    let names = table.keys.filter { pattern == nil || Glob.matches(pattern!, $0) }
    c.reply.arrayHeader(names.count)
    for n in names { c.reply.bulk(n) }
}

/// PUBSUB NUMSUB [channel ...] / PUBSUB SHARDNUMSUB [shardchannel ...]
func numsub(_ c: Client, shard: Bool) {
    let table = shard ? c.server.pubsub.shardChannels : c.server.pubsub.channels
    let names = c.argv.dropFirst(2)
    // A flat array of name, count pairs (also in RESP3, as Redis 7.0 replies).
    c.reply.arrayHeader(names.count * 2)
    for n in names {
        c.reply.bulk(n)
        c.reply.integer(table[n]?.count ?? 0)
    }
}

/// PUBSUB NUMPAT
func numpat(_ c: Client) {
    c.reply.integer(c.server.pubsub.patterns.count)
}

/// PUBSUB HELP
func pubsubHelp(_ c: Client) {
    let lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    Return the currently active channels matching a <pattern> (default: '*').",
        "NUMPAT",
        "    Return number of subscriptions to patterns.",
        "NUMSUB [<channel> ...]",
        "    Return the number of subscribers for the specified channels, excluding",
        "    pattern subscriptions(default: no channels).",
        "SHARDCHANNELS [<pattern>]",
        "    Return the currently active shard level channels matching a <pattern> (default: '*').",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    Return the number of subscribers for the specified shard level channel(s)",
        "HELP",
        "    Prints this help.",
    ]
    c.reply.arrayHeader(lines.count)
    for l in lines { c.reply.status(l) }
}
