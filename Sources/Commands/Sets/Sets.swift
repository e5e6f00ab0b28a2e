import Kernel

/// The set family (Redis's `t_set.c`): membership, random pops and picks, the algebra commands
/// (SINTER/SUNION/SDIFF and their STORE forms, SINTERCARD) and SSCAN, over `SetObject`.
public struct SetCommands: CommandModule {
    public init() {}
    public let family = "set"

    public var commands: [CommandSpec] {
        let s: ACLCategories = [.set]
        let r: CommandFlags = [.readonly, .fast]
        let interComplexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."
        let unionComplexity = "O(N) where N is the total number of elements in all given sets."
        let scanComplexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."
        return [
            CommandSpec("sadd", arity: -3, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Add one or more members to a set",
                        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
                        handler: Self.sadd),
            CommandSpec("srem", arity: -3, flags: [.write, .fast], keys: .single, categories: s,
                        summary: "Remove one or more members from a set",
                        complexity: "O(N) where N is the number of members to be removed.", handler: Self.srem),
            CommandSpec("sismember", arity: 3, flags: r, keys: .single, categories: s,
                        summary: "Determine if a given value is a member of a set", complexity: "O(1)",
                        handler: Self.sismember),
            CommandSpec("smismember", arity: -3, flags: r, keys: .single, categories: s,
                        summary: "Returns the membership associated with the given elements for a set",
                        since: "6.2.0", complexity: "O(N) where N is the number of elements being checked for membership",
                        handler: Self.smismember),
            CommandSpec("smembers", arity: 2, flags: [.readonly], keys: .single, categories: s,
                        summary: "Get all the members in a set", complexity: "O(N) where N is the set cardinality.",
                        handler: Self.sinter),
            CommandSpec("scard", arity: 2, flags: r, keys: .single, categories: s,
                        summary: "Get the number of members in a set", complexity: "O(1)", handler: Self.scard),
            CommandSpec("spop", arity: -2, flags: [.write, .fast], keys: .single, categories: s,
                        summary: "Remove and return one or multiple random members from a set",
                        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
                        handler: Self.spop),
            CommandSpec("srandmember", arity: -2, flags: [.readonly], keys: .single, categories: s,
                        summary: "Get one or multiple random members from a set",
                        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
                        handler: Self.srandmember),
            CommandSpec("smove", arity: 4, flags: [.write, .fast], keys: KeyPositions(first: 1, last: 2, step: 1),
                        categories: s, summary: "Move a member from one set to another", complexity: "O(1)",
                        handler: Self.smove),
            CommandSpec("sinter", arity: -2, flags: [.readonly], keys: .all, categories: s,
                        summary: "Intersect multiple sets", complexity: interComplexity, handler: Self.sinter),
            CommandSpec("sintercard", arity: -3, flags: [.readonly], categories: s,
                        summary: "Intersect multiple sets and return the cardinality of the result", since: "7.0.0",
                        complexity: interComplexity, keyFinder: KeyFinders.numkeys(at: 1), handler: Self.sintercard),
            CommandSpec("sinterstore", arity: -3, flags: [.write, .denyoom], keys: .all, categories: s,
                        summary: "Intersect multiple sets and store the resulting set in a key",
                        complexity: interComplexity, handler: Self.sinterstore),
            CommandSpec("sunion", arity: -2, flags: [.readonly], keys: .all, categories: s,
                        summary: "Add multiple sets", complexity: unionComplexity, handler: Self.sunion),
            CommandSpec("sunionstore", arity: -3, flags: [.write, .denyoom], keys: .all, categories: s,
                        summary: "Add multiple sets and store the resulting set in a key",
                        complexity: unionComplexity, handler: Self.sunionstore),
            CommandSpec("sdiff", arity: -2, flags: [.readonly], keys: .all, categories: s,
                        summary: "Subtract multiple sets", complexity: unionComplexity, handler: Self.sdiff),
            CommandSpec("sdiffstore", arity: -3, flags: [.write, .denyoom], keys: .all, categories: s,
                        summary: "Subtract multiple sets and store the resulting set in a key",
                        complexity: unionComplexity, handler: Self.sdiffstore),
            CommandSpec("sscan", arity: -3, flags: [.readonly], keys: .single, categories: s,
                        summary: "Incrementally iterate Set elements", since: "2.8.0", complexity: scanComplexity,
                        handler: Self.sscan),
        ]
    }
}

// MARK: - Set lookup

extension SetCommands {
    /// Looks up `key` as a set without replying.
    static func lookup(_ c: Client, _ key: RBytes) -> TypedLookup<SetObject> {
        c.lookup(key, as: SetObject.self)
    }

    /// The set at `key` for reading (Redis's `lookupKeyReadOrReply` + `checkType`): nil when the key is absent
    /// (after `missing` replied) or holds another type (after replying WRONGTYPE).
    static func existingSet(_ c: Client, _ key: RBytes, missing: () -> Void) -> SetObject? {
        switch lookup(c, key) {
        case .missing:
            missing()
            return nil
        case .wrongType:
            c.error(Errors.wrongType)
            return nil
        case .found(let set):
            return set
        }
    }

    /// Adds one member with the configured intset threshold; true if it was not there.
    @discardableResult
    static func insert(_ c: Client, _ set: SetObject, _ member: RBytes) -> Bool {
        set.add(member, maxIntsetEntries: c.server.config.setMaxIntsetEntries)
    }

    /// Deletes `key` after a command emptied its set, with the "del" event after the command's own.
    static func deleteEmptied(_ c: Client, _ key: RBytes) {
        c.db.delete(key)
        c.server.notify(.generic, "del", key, db: c.db.id)
    }

    /// Replies a set's members as a set reply, in storage order.
    static func replyMembers(_ c: Client, _ set: SetObject) {
        c.reply.setHeader(set.count)
        set.forEach { c.reply.bulk($0) }
    }
}
