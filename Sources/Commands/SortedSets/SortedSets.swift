import Kernel

/// The sorted-set family (Redis's `t_zset.c`): ZADD and friends, the range commands, pops (blocking too),
/// random members, set algebra (ZUNION/ZINTER/ZDIFF and their STORE forms, ZINTERCARD) and ZSCAN.
public struct SortedSetCommands: CommandModule {
    public init() {}
    public let family = "sorted-set"

    public var commands: [CommandSpec] {
        let z: ACLCategories = [.sortedset]
        let storeKeys = KeyPositions(first: 1, last: 2, step: 1)
        let rangeComplexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N))."
        let removeComplexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation."
        let popComplexity = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."
        let mpopComplexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped."
        let unionComplexity = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."
        let interComplexity = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."
        let diffComplexity = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."
        let blockingPopComplexity = "O(log(N)) with N being the number of elements in the sorted set."
        return [
            CommandSpec("zadd", arity: -4, flags: [.write, .denyoom, .fast], keys: .single, categories: z,
                        summary: "Add one or more members to a sorted set, or update its score if it already exists",
                        since: "1.2.0",
                        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
                        handler: Self.zadd),
            CommandSpec("zincrby", arity: 4, flags: [.write, .denyoom, .fast], keys: .single, categories: z,
                        summary: "Increment the score of a member in a sorted set", since: "1.2.0",
                        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
                        handler: Self.zincrby),
            CommandSpec("zrem", arity: -3, flags: [.write, .fast], keys: .single, categories: z,
                        summary: "Remove one or more members from a sorted set", since: "1.2.0",
                        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
                        handler: Self.zrem),
            CommandSpec("zcard", arity: 2, flags: [.readonly, .fast], keys: .single, categories: z,
                        summary: "Get the number of members in a sorted set", since: "1.2.0", complexity: "O(1)",
                        handler: Self.zcard),
            CommandSpec("zcount", arity: 4, flags: [.readonly, .fast], keys: .single, categories: z,
                        summary: "Count the members in a sorted set with scores within the given values",
                        since: "2.0.0",
                        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                        handler: Self.zcount),
            CommandSpec("zlexcount", arity: 4, flags: [.readonly, .fast], keys: .single, categories: z,
                        summary: "Count the number of members in a sorted set between a given lexicographical range",
                        since: "2.8.9",
                        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
                        handler: Self.zlexcount),
            CommandSpec("zscore", arity: 3, flags: [.readonly, .fast], keys: .single, categories: z,
                        summary: "Get the score associated with the given member in a sorted set", since: "1.2.0",
                        complexity: "O(1)", handler: Self.zscore),
            CommandSpec("zmscore", arity: -3, flags: [.readonly, .fast], keys: .single, categories: z,
                        summary: "Get the score associated with the given members in a sorted set", since: "6.2.0",
                        complexity: "O(N) where N is the number of members being requested.", handler: Self.zmscore),
            CommandSpec("zrank", arity: 3, flags: [.readonly, .fast], keys: .single, categories: z,
                        summary: "Determine the index of a member in a sorted set", since: "2.0.0",
                        complexity: "O(log(N))", handler: Self.zrank),
            CommandSpec("zrevrank", arity: 3, flags: [.readonly, .fast], keys: .single, categories: z,
                        summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
                        since: "2.0.0", complexity: "O(log(N))", handler: Self.zrevrank),
            CommandSpec("zrange", arity: -4, flags: [.readonly], keys: .single, categories: z,
                        summary: "Return a range of members in a sorted set", since: "1.2.0",
                        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
                        handler: Self.zrange),
            CommandSpec("zrangestore", arity: -5, flags: [.write, .denyoom], keys: storeKeys, categories: z,
                        summary: "Store a range of members from sorted set into another key", since: "6.2.0",
                        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
                        handler: Self.zrangestore),
            CommandSpec("zrangebyscore", arity: -4, flags: [.readonly], keys: .single, categories: z,
                        summary: "Return a range of members in a sorted set, by score", since: "1.0.5",
                        complexity: rangeComplexity, handler: Self.zrangebyscore),
            CommandSpec("zrevrangebyscore", arity: -4, flags: [.readonly], keys: .single, categories: z,
                        summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
                        since: "2.2.0", complexity: rangeComplexity, handler: Self.zrevrangebyscore),
            CommandSpec("zrangebylex", arity: -4, flags: [.readonly], keys: .single, categories: z,
                        summary: "Return a range of members in a sorted set, by lexicographical range",
                        since: "2.8.9", complexity: rangeComplexity, handler: Self.zrangebylex),
            CommandSpec("zrevrangebylex", arity: -4, flags: [.readonly], keys: .single, categories: z,
                        summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
                        since: "2.8.9", complexity: rangeComplexity, handler: Self.zrevrangebylex),
            CommandSpec("zrevrange", arity: -4, flags: [.readonly], keys: .single, categories: z,
                        summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
                        since: "1.2.0",
                        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
                        handler: Self.zrevrange),
            CommandSpec("zremrangebyrank", arity: 4, flags: [.write], keys: .single, categories: z,
                        summary: "Remove all members in a sorted set within the given indexes", since: "2.0.0",
                        complexity: removeComplexity, handler: Self.zremrangebyrank),
            CommandSpec("zremrangebyscore", arity: 4, flags: [.write], keys: .single, categories: z,
                        summary: "Remove all members in a sorted set within the given scores", since: "1.2.0",
                        complexity: removeComplexity, handler: Self.zremrangebyscore),
            CommandSpec("zremrangebylex", arity: 4, flags: [.write], keys: .single, categories: z,
                        summary: "Remove all members in a sorted set between the given lexicographical range",
                        since: "2.8.9", complexity: removeComplexity, handler: Self.zremrangebylex),
            CommandSpec("zpopmin", arity: -2, flags: [.write, .fast], keys: .single, categories: z,
                        summary: "Remove and return members with the lowest scores in a sorted set", since: "5.0.0",
                        complexity: popComplexity, handler: Self.zpopmin),
            CommandSpec("zpopmax", arity: -2, flags: [.write, .fast], keys: .single, categories: z,
                        summary: "Remove and return members with the highest scores in a sorted set", since: "5.0.0",
                        complexity: popComplexity, handler: Self.zpopmax),
            CommandSpec("zmpop", arity: -4, flags: [.write], keys: .none, categories: z,
                        summary: "Remove and return members with scores in a sorted set", since: "7.0.0",
                        complexity: mpopComplexity, keyFinder: KeyFinders.numkeys(at: 1),
                        handler: Self.zmpop),
            CommandSpec("bzpopmin", arity: -3, flags: [.write, .noscript, .blocking, .fast],
                        keys: KeyPositions(first: 1, last: -2, step: 1), categories: z,
                        summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
                        since: "5.0.0", complexity: blockingPopComplexity, handler: Self.bzpopmin),
            CommandSpec("bzpopmax", arity: -3, flags: [.write, .noscript, .blocking, .fast],
                        keys: KeyPositions(first: 1, last: -2, step: 1), categories: z,
                        summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
                        since: "5.0.0", complexity: blockingPopComplexity, handler: Self.bzpopmax),
            CommandSpec("bzmpop", arity: -5, flags: [.write, .blocking], keys: .none, categories: z,
                        summary: "Remove and return members with scores in a sorted set or block until one is available",
                        since: "7.0.0", complexity: mpopComplexity, keyFinder: KeyFinders.numkeys(at: 2),
                        handler: Self.bzmpop),
            CommandSpec("zrandmember", arity: -2, flags: [.readonly], keys: .single, categories: z,
                        summary: "Get one or multiple random elements from a sorted set", since: "6.2.0",
                        complexity: "O(N) where N is the number of elements returned", handler: Self.zrandmember),
            CommandSpec("zunion", arity: -3, flags: [.readonly], keys: .none, categories: z,
                        summary: "Add multiple sorted sets", since: "6.2.0", complexity: unionComplexity,
                        keyFinder: KeyFinders.numkeys(at: 1), handler: Self.zunion),
            CommandSpec("zinter", arity: -3, flags: [.readonly], keys: .none, categories: z,
                        summary: "Intersect multiple sorted sets", since: "6.2.0", complexity: interComplexity,
                        keyFinder: KeyFinders.numkeys(at: 1), handler: Self.zinter),
            CommandSpec("zdiff", arity: -3, flags: [.readonly], keys: .none, categories: z,
                        summary: "Subtract multiple sorted sets", since: "6.2.0", complexity: diffComplexity,
                        keyFinder: KeyFinders.numkeys(at: 1), handler: Self.zdiff),
            CommandSpec("zunionstore", arity: -4, flags: [.write, .denyoom], keys: .single, categories: z,
                        summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
                        since: "2.0.0", complexity: unionComplexity,
                        keyFinder: KeyFinders.numkeys(at: 2, storeKey: 1), handler: Self.zunionstore),
            CommandSpec("zinterstore", arity: -4, flags: [.write, .denyoom], keys: .single, categories: z,
                        summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
                        since: "2.0.0", complexity: interComplexity,
                        keyFinder: KeyFinders.numkeys(at: 2, storeKey: 1), handler: Self.zinterstore),
            CommandSpec("zdiffstore", arity: -4, flags: [.write, .denyoom], keys: .single, categories: z,
                        summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
                        since: "6.2.0", complexity: diffComplexity,
                        keyFinder: KeyFinders.numkeys(at: 2, storeKey: 1), handler: Self.zdiffstore),
            CommandSpec("zintercard", arity: -3, flags: [.readonly], keys: .none, categories: z,
                        summary: "Intersect multiple sorted sets and return the cardinality of the result",
                        since: "7.0.0",
                        complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
                        keyFinder: KeyFinders.numkeys(at: 1), handler: Self.zintercard),
            CommandSpec("zscan", arity: -3, flags: [.readonly], keys: .single, categories: z,
                        summary: "Incrementally iterate sorted sets elements and associated scores", since: "2.8.0",
                        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
                        handler: Self.zscan),
        ]
    }
}

// MARK: - Lookup and storage

extension SortedSetCommands {
    /// Reads `key` as a sorted set (Redis's lookupKey + checkType).
    static func lookup(_ c: Client, _ key: RBytes) -> TypedLookup<SortedSetObject> {
        c.lookup(key, as: SortedSetObject.self)
    }

    /// The sorted set at `key`, or nil after replying: `missingReply` when absent, WRONGTYPE for other types.
    static func existingSet(_ c: Client, _ key: RBytes, missingReply: (Client) -> Void) -> SortedSetObject? {
        c.existing(key, as: SortedSetObject.self, ifMissing: missingReply)
    }

    /// Adds a member to `z` with the configured listpack limits.
    static func insert(_ c: Client, _ z: SortedSetObject, _ member: RBytes, _ score: Double) {
        let config = c.server.config
        z.insert(member, score: score, maxListpackEntries: config.zsetMaxListpackEntries,
                 maxListpackValue: config.zsetMaxListpackValue)
    }

    /// Deletes `key` after a command emptied its set, with the `del` event Redis sends after the command's own.
    static func deleteEmptied(_ c: Client, _ key: RBytes) {
        c.db.delete(key)
        c.server.notify(.generic, "del", key, db: c.db.id)
    }

    /// Stores the result of ZRANGESTORE/ZUNIONSTORE/...: a non-empty set replaces `key` (TTL cleared) and
    /// sends `event`; an empty result deletes `key`. Replies with the result's size.
    static func storeResult(_ c: Client, _ key: RBytes, _ z: SortedSetObject, event: StaticString) {
        if z.count > 0 {
            c.db.set(key, .object(z))
            c.server.keyModified(c.db, key)
            c.server.signalKeyAsReady(c.db, key)
            c.server.notify(.zset, event, key, db: c.db.id)
            c.reply.integer(z.count)
            return
        }
        c.reply.integer(0)
        if c.db.delete(key) {
            c.server.keyModified(c.db, key)
            c.server.notify(.generic, "del", key, db: c.db.id)
        }
    }

    // MARK: - Replies

    /// The array header for `n` members, with or without scores: RESP2 flattens `member score` pairs, RESP3
    /// nests each pair in its own array (see `emit`).
    static func elementsHeader(_ c: Client, _ n: Int, withScores: Bool) {
        c.reply.arrayHeader(withScores && c.resp == 2 ? n * 2 : n)
    }

    /// One member of a reply started with `elementsHeader`.
    static func emit(_ c: Client, _ member: RBytes, _ score: Double, withScores: Bool) {
        if withScores && c.resp > 2 { c.reply.arrayHeader(2) }
        c.reply.bulk(member)
        if withScores { c.reply.double(score) }
    }

    /// The text of a score as a listpack holds it (ZSCAN of a small set): integers within ±2^62 as integers,
    /// other values as `%.17g` (Redis's `double2ll` / `d2string`).
    static func listpackScoreText(_ s: Double) -> RBytes {
        if s >= -0x1p62 && s <= 0x1p62, s == s.rounded(.towardZero) {
            return Numbers.format(Int64(s))
        }
        return Numbers.formatDoubleCompact(s)
    }

    // MARK: - Argument parsing

    /// Redis's `getLongFromObjectOrReply`: a strict 64-bit integer, or nil after replying `message`.
    static func longArgument(_ c: Client, _ arg: RBytes, message: String = Errors.notInteger) -> Int? {
        guard let v = Numbers.parseInt64(arg) else {
            c.error(message)
            return nil
        }
        return Int(v)
    }

    /// Redis's `getRangeLongFromObjectOrReply` with a custom message for every failure.
    static func rangeArgument(_ c: Client, _ arg: RBytes, _ range: ClosedRange<Int>, message: String) -> Int? {
        guard let v = Numbers.parseInt64(arg), range.contains(Int(v)) else {
            c.error(message)
            return nil
        }
        return Int(v)
    }
}
