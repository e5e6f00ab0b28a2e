import Kernel

/// The hash family (Redis's `t_hash.c`): HSET and friends, counters, HRANDFIELD and HSCAN, over `HashObject`.
public struct HashCommands: CommandModule {
    public init() {}
    public let family = "hash"

    public var commands: [CommandSpec] {
        let h: ACLCategories = [.hash]
        let w: CommandFlags = [.write, .denyoom, .fast]
        let r: CommandFlags = [.readonly, .fast]
        let all = "O(N) where N is the size of the hash."
        let scanComplexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.."
        return [
            CommandSpec("hset", arity: -4, flags: w, keys: .single, categories: h,
                        summary: "Set the string value of a hash field", since: "2.0.0",
                        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
                        handler: Self.hset),
            CommandSpec("hsetnx", arity: 4, flags: w, keys: .single, categories: h,
                        summary: "Set the value of a hash field, only if the field does not exist", since: "2.0.0",
                        complexity: "O(1)", handler: Self.hsetnx),
            CommandSpec("hget", arity: 3, flags: r, keys: .single, categories: h,
                        summary: "Get the value of a hash field", since: "2.0.0", complexity: "O(1)",
                        handler: Self.hget),
            CommandSpec("hmget", arity: -3, flags: r, keys: .single, categories: h,
                        summary: "Get the values of all the given hash fields", since: "2.0.0",
                        complexity: "O(N) where N is the number of fields being requested.", handler: Self.hmget),
            CommandSpec("hmset", arity: -4, flags: w, keys: .single, categories: h,
                        summary: "Set multiple hash fields to multiple values", since: "2.0.0",
                        complexity: "O(N) where N is the number of fields being set.", handler: Self.hmset),
            CommandSpec("hgetall", arity: 2, flags: [.readonly], keys: .single, categories: h,
                        summary: "Get all the fields and values in a hash", since: "2.0.0", complexity: all,
                        handler: Self.hgetall),
            CommandSpec("hdel", arity: -3, flags: [.write, .fast], keys: .single, categories: h,
                        summary: "Delete one or more hash fields", since: "2.0.0",
                        complexity: "O(N) where N is the number of fields to be removed.", handler: Self.hdel),
            CommandSpec("hexists", arity: 3, flags: r, keys: .single, categories: h,
                        summary: "Determine if a hash field exists", since: "2.0.0", complexity: "O(1)",
                        handler: Self.hexists),
            CommandSpec("hlen", arity: 2, flags: r, keys: .single, categories: h,
                        summary: "Get the number of fields in a hash", since: "2.0.0", complexity: "O(1)",
                        handler: Self.hlen),
            CommandSpec("hstrlen", arity: 3, flags: r, keys: .single, categories: h,
                        summary: "Get the length of the value of a hash field", since: "3.2.0", complexity: "O(1)",
                        handler: Self.hstrlen),
            CommandSpec("hkeys", arity: 2, flags: [.readonly], keys: .single, categories: h,
                        summary: "Get all the fields in a hash", since: "2.0.0", complexity: all,
                        handler: Self.hkeys),
            CommandSpec("hvals", arity: 2, flags: [.readonly], keys: .single, categories: h,
                        summary: "Get all the values in a hash", since: "2.0.0", complexity: all,
                        handler: Self.hvals),
            CommandSpec("hincrby", arity: 4, flags: w, keys: .single, categories: h,
                        summary: "Increment the integer value of a hash field by the given number", since: "2.0.0",
                        complexity: "O(1)", handler: Self.hincrby),
            CommandSpec("hincrbyfloat", arity: 4, flags: w, keys: .single, categories: h,
                        summary: "Increment the float value of a hash field by the given amount", since: "2.6.0",
                        complexity: "O(1)", handler: Self.hincrbyfloat),
            CommandSpec("hrandfield", arity: -2, flags: [.readonly], keys: .single, categories: h,
                        summary: "Get one or multiple random fields from a hash", since: "6.2.0",
                        complexity: "O(N) where N is the number of fields returned", handler: Self.hrandfield),
            CommandSpec("hscan", arity: -3, flags: [.readonly], keys: .single, categories: h,
                        summary: "Incrementally iterate hash fields and associated values", since: "2.8.0",
                        complexity: scanComplexity, handler: Self.hscan),
        ]
    }
}

// MARK: - Hash lookup

extension HashCommands {
    /// The hash at `key` for reading (Redis's `lookupKeyReadOrReply` + `checkType`): nil when the key is absent
    /// (after `missing` replied) or holds another type (after replying WRONGTYPE).
    static func existingHash(_ c: Client, _ key: RBytes, missing: () -> Void) -> HashObject? {
        guard let value = c.db.get(key) else {
            missing()
            return nil
        }
        guard case .object(let o) = value, let hash = o as? HashObject else {
            c.error(Errors.wrongType)
            return nil
        }
        return hash
    }

    /// The hash at `key` for writing, created empty and added to the keyspace if absent (Redis's
    /// `hashTypeLookupWriteOrCreate`); nil after replying WRONGTYPE. Callers must leave no empty hash behind.
    static func hashForWriting(_ c: Client, _ key: RBytes) -> HashObject? {
        guard let value = c.db.get(key) else {
            let hash = HashObject()
            c.db.add(key, .object(hash))
            return hash
        }
        guard case .object(let o) = value, let hash = o as? HashObject else {
            c.error(Errors.wrongType)
            return nil
        }
        return hash
    }

    /// Sets one field with the configured listpack thresholds; true if the field is new.
    @discardableResult
    static func store(_ c: Client, _ hash: HashObject, _ field: RBytes, _ value: RBytes) -> Bool {
        let config = c.server.config
        return hash.set(field, value, maxEntries: config.hashMaxListpackEntries,
                        maxValue: config.hashMaxListpackValue)
    }
}
