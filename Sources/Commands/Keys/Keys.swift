import Kernel

/// The generic keyspace family (Redis's `db.c`, `expire.c` and `object.c` commands): DEL, EXISTS, TYPE, RENAME,
/// COPY, MOVE, the EXPIRE/TTL commands, KEYS, SCAN, OBJECT, and the whole-database commands (DBSIZE, FLUSHDB,
/// FLUSHALL, SWAPDB).
public struct KeysCommands: CommandModule {
    public init() {}
    public let family = "generic"

    public var commands: [CommandSpec] {
        let keyspace: ACLCategories = [.keyspace]
        let two = KeyPositions(first: 1, last: 2, step: 1)
        let second = KeyPositions(first: 2, last: 2, step: 1)
        return [
            CommandSpec("del", arity: -2, flags: [.write], keys: .all, categories: keyspace,
                        summary: "Delete a key", since: "1.0.0",
                        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
                        handler: Self.del),
            CommandSpec("unlink", arity: -2, flags: [.write, .fast], keys: .all, categories: keyspace,
                        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
                        since: "4.0.0",
                        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
                        handler: Self.del),
            CommandSpec("exists", arity: -2, flags: [.readonly, .fast], keys: .all, categories: keyspace,
                        summary: "Determine if a key exists", since: "1.0.0",
                        complexity: "O(N) where N is the number of keys to check.", handler: Self.exists),
            CommandSpec("type", arity: 2, flags: [.readonly, .fast], keys: .single, categories: keyspace,
                        summary: "Determine the type stored at key", since: "1.0.0", complexity: "O(1)",
                        handler: Self.type),
            CommandSpec("touch", arity: -2, flags: [.readonly, .fast], keys: .all, categories: keyspace,
                        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
                        since: "3.2.1", complexity: "O(N) where N is the number of keys that will be touched.",
                        handler: Self.touch),
            CommandSpec("rename", arity: 3, flags: [.write], keys: two, categories: keyspace,
                        summary: "Rename a key", since: "1.0.0", complexity: "O(1)", handler: Self.rename),
            CommandSpec("renamenx", arity: 3, flags: [.write, .fast], keys: two, categories: keyspace,
                        summary: "Rename a key, only if the new key does not exist", since: "1.0.0",
                        complexity: "O(1)", handler: Self.renamenx),
            CommandSpec("copy", arity: -3, flags: [.write, .denyoom], keys: two, categories: keyspace,
                        summary: "Copy a key", since: "6.2.0",
                        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
                        handler: Self.copy),
            CommandSpec("move", arity: 3, flags: [.write, .fast], keys: .single, categories: keyspace,
                        summary: "Move a key to another database", since: "1.0.0", complexity: "O(1)",
                        handler: Self.move),
            CommandSpec("randomkey", arity: 1, flags: [.readonly], categories: keyspace,
                        summary: "Return a random key from the keyspace", since: "1.0.0", complexity: "O(1)",
                        handler: Self.randomkey),
            CommandSpec("dbsize", arity: 1, flags: [.readonly, .fast], categories: keyspace,
                        summary: "Return the number of keys in the selected database", since: "1.0.0",
                        complexity: "O(1)", handler: Self.dbsize),
            CommandSpec("flushdb", arity: -1, flags: [.write], categories: [.keyspace, .dangerous],
                        summary: "Remove all keys from the current database", since: "1.0.0",
                        complexity: "O(N) where N is the number of keys in the selected database",
                        handler: Self.flushdb),
            CommandSpec("flushall", arity: -1, flags: [.write], categories: [.keyspace, .dangerous],
                        summary: "Remove all keys from all databases", since: "1.0.0",
                        complexity: "O(N) where N is the total number of keys in all databases",
                        handler: Self.flushall),
            CommandSpec("swapdb", arity: 3, flags: [.write, .fast], categories: [.keyspace, .dangerous],
                        summary: "Swaps two Redis databases", since: "4.0.0",
                        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
                        handler: Self.swapdb),
            CommandSpec("expire", arity: -3, flags: [.write, .fast], keys: .single, categories: keyspace,
                        summary: "Set a key's time to live in seconds", since: "1.0.0", complexity: "O(1)",
                        handler: Self.expire),
            CommandSpec("pexpire", arity: -3, flags: [.write, .fast], keys: .single, categories: keyspace,
                        summary: "Set a key's time to live in milliseconds", since: "2.6.0", complexity: "O(1)",
                        handler: Self.pexpire),
            CommandSpec("expireat", arity: -3, flags: [.write, .fast], keys: .single, categories: keyspace,
                        summary: "Set the expiration for a key as a UNIX timestamp", since: "1.2.0",
                        complexity: "O(1)", handler: Self.expireat),
            CommandSpec("pexpireat", arity: -3, flags: [.write, .fast], keys: .single, categories: keyspace,
                        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
                        since: "2.6.0", complexity: "O(1)", handler: Self.pexpireat),
            CommandSpec("ttl", arity: 2, flags: [.readonly, .fast], keys: .single, categories: keyspace,
                        summary: "Get the time to live for a key in seconds", since: "1.0.0", complexity: "O(1)",
                        handler: Self.ttl),
            CommandSpec("pttl", arity: 2, flags: [.readonly, .fast], keys: .single, categories: keyspace,
                        summary: "Get the time to live for a key in milliseconds", since: "2.6.0",
                        complexity: "O(1)", handler: Self.pttl),
            CommandSpec("expiretime", arity: 2, flags: [.readonly, .fast], keys: .single, categories: keyspace,
                        summary: "Get the expiration Unix timestamp for a key", since: "7.0.0", complexity: "O(1)",
                        handler: Self.expiretime),
            CommandSpec("pexpiretime", arity: 2, flags: [.readonly, .fast], keys: .single, categories: keyspace,
                        summary: "Get the expiration Unix timestamp for a key in milliseconds", since: "7.0.0",
                        complexity: "O(1)", handler: Self.pexpiretime),
            CommandSpec("persist", arity: 2, flags: [.write, .fast], keys: .single, categories: keyspace,
                        summary: "Remove the expiration from a key", since: "2.2.0", complexity: "O(1)",
                        handler: Self.persist),
            CommandSpec("keys", arity: 2, flags: [.readonly], categories: [.keyspace, .dangerous],
                        summary: "Find all keys matching the given pattern", since: "1.0.0",
                        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
                        handler: Self.keys),
            CommandSpec("scan", arity: -2, flags: [.readonly], categories: keyspace,
                        summary: "Incrementally iterate the keys space", since: "2.8.0",
                        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
                        handler: Self.scan),
            CommandSpec("object", arity: -2, summary: "A container for object introspection commands",
                        since: "2.2.3", complexity: "Depends on subcommand.", subcommands: [
                CommandSpec("encoding", arity: 3, flags: [.readonly], keys: second, categories: keyspace,
                            summary: "Inspect the internal encoding of a Redis object", since: "2.2.3",
                            complexity: "O(1)", handler: Self.objectEncoding),
                CommandSpec("freq", arity: 3, flags: [.readonly], keys: second, categories: keyspace,
                            summary: "Get the logarithmic access frequency counter of a Redis object",
                            since: "4.0.0", complexity: "O(1)", handler: Self.objectFreq),
                CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: keyspace,
                            summary: "Show helpful text about the different subcommands", since: "6.2.0",
                            complexity: "O(1)", handler: Self.objectHelp),
                CommandSpec("idletime", arity: 3, flags: [.readonly], keys: second, categories: keyspace,
                            summary: "Get the time since a Redis object was last accessed", since: "2.2.3",
                            complexity: "O(1)", handler: Self.objectIdletime),
                CommandSpec("refcount", arity: 3, flags: [.readonly], keys: second, categories: keyspace,
                            summary: "Get the number of references to the value of the key", since: "2.2.3",
                            complexity: "O(1)", handler: Self.objectRefcount),
            ]),
        ] + Self.dumpRestoreCommands + [Self.migrateCommand]
    }
}

// MARK: - Shared helpers

extension KeysCommands {
    /// MOVE/COPY onto the key itself.
    static let sameObject = "ERR source and destination objects are the same"

    /// Redis's `getIntFromObjectOrReply`: a strict 64-bit integer that must also fit in 32 bits. Replies with
    /// `message` (or Redis's default texts) and returns nil on failure.
    static func intArgument(_ c: Client, _ arg: RBytes, message: String? = nil) -> Int? {
        guard let v = Numbers.parseInt64(arg) else {
            c.error(message ?? Errors.notInteger)
            return nil
        }
        guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else {
            c.error(message ?? "ERR value is out of range, value must between -2147483648 and 2147483647")
            return nil
        }
        return Int(v)
    }

    /// The database numbered by a DB argument (MOVE, COPY ... DB), or nil after replying with the error.
    static func databaseArgument(_ c: Client, _ arg: RBytes) -> Database? {
        guard let index = intArgument(c, arg) else { return nil }
        guard index >= 0 && index < c.server.databases.count else {
            c.error(Errors.dbIndexOutOfRange)
            return nil
        }
        return c.server.databases[index]
    }

    /// A value for a second key: strings share their immutable bytes, collections are deep-copied.
    static func duplicate(_ value: Value) -> Value {
        switch value {
        case .string: return value
        case .object(let o): return .object(o.copy())
        case .packed(let p): return .packed(p.duplicate())
        }
    }
}

// MARK: - Handlers

extension KeysCommands {
    /// DEL key [key ...]
    /// UNLINK key [key ...]
    static func del(_ c: Client) {
        var deleted: Int64 = 0
        // UNLINK, and DEL under lazyfree-lazy-user-del, free large values on the lazy-free thread.
        let lazy = c.argv[0].equalsIgnoringCase("UNLINK") || c.server.config.lazyfreeLazyUserDel
        for key in c.argv.dropFirst() {
            // Reclaim an expired key first, so it is not counted as deleted.
            guard c.db.exists(key), c.server.deleteKey(c.db, key, lazy: lazy) else { continue }
            c.server.keyModified(c.db, key)
            c.server.notify(.generic, "del", key, db: c.db.id)
            deleted += 1
        }
        c.reply.integer(deleted)
    }

    /// EXISTS key [key ...]
    static func exists(_ c: Client) {
        var n: Int64 = 0
        for key in c.argv.dropFirst() where c.db.exists(key) { n += 1 }
        c.reply.integer(n)
    }

    /// TYPE key
    static func type(_ c: Client) {
        if let s = c.db.slot(c.argv[1], touch: false) {
            c.reply.status(c.db.value(at: s).typeName)
        } else {
            c.reply.status("none")
        }
    }

    /// TOUCH key [key ...]
    static func touch(_ c: Client) {
        var n: Int64 = 0
        for key in c.argv.dropFirst() where c.db.slot(key) != nil { n += 1 }
        c.reply.integer(n)
    }

    /// RANDOMKEY
    static func randomkey(_ c: Client) {
        if let key = c.db.randomKey() { c.reply.bulk(key) } else { c.reply.null() }
    }

    /// DBSIZE
    static func dbsize(_ c: Client) { c.reply.integer(c.db.count) }

    /// RENAME key newkey
    static func rename(_ c: Client) { renameGeneric(c, nx: false) }

    /// RENAMENX key newkey
    static func renamenx(_ c: Client) { renameGeneric(c, nx: true) }

    /// RENAME and RENAMENX: moves the value and its TTL to `newkey`; with `nx`, only if `newkey` is absent.
    static func renameGeneric(_ c: Client, nx: Bool) {
        let src = c.argv[1], dst = c.argv[2]
        guard let slot = c.db.slot(src) else {
            c.error(Errors.noSuchKey)
            return
        }
        if src == dst {
            if nx { c.reply.integer(0) } else { c.reply.ok() }
            return
        }
        let value = c.db.value(at: slot)
        let expire = c.db.expireTime(src)
        if c.db.exists(dst) {
            if nx {
                c.reply.integer(0)
                return
            }
            c.db.delete(dst)
        }
        c.db.add(dst, value)
        if let expire { c.db.setExpire(dst, at: expire) }
        c.db.delete(src)
        c.server.keyModified(c.db, src)
        c.server.keyModified(c.db, dst, changes: 0)
        c.server.notify(.generic, "rename_from", src, db: c.db.id)
        c.server.notify(.generic, "rename_to", dst, db: c.db.id)
        if nx { c.reply.integer(1) } else { c.reply.ok() }
    }

    /// MOVE key db
    static func move(_ c: Client) {
        let key = c.argv[1]
        guard let dst = databaseArgument(c, c.argv[2]) else { return }
        let src = c.db
        if src === dst {
            c.error(sameObject)
            return
        }
        guard let slot = src.slot(key) else {
            c.reply.integer(0)
            return
        }
        let value = src.value(at: slot)
        let expire = src.expireTime(key)
        if dst.exists(key) {
            c.reply.integer(0)
            return
        }
        dst.add(key, value)
        if let expire { dst.setExpire(key, at: expire) }
        src.delete(key)
        c.server.keyModified(src, key)
        c.server.keyModified(dst, key, changes: 0)
        c.server.notify(.generic, "move_from", key, db: src.id)
        c.server.notify(.generic, "move_to", key, db: dst.id)
        c.reply.integer(1)
    }

    /// COPY source destination [DB destination-db] [REPLACE]
    static func copy(_ c: Client) {
        let key = c.argv[1], newKey = c.argv[2]
        var dst = c.db
        var replace = false
        var i = 3
        while i < c.argv.count {
            let arg = c.argv[i]
            if arg.equalsIgnoringCase("REPLACE") {
                replace = true
            } else if arg.equalsIgnoringCase("DB") && i + 1 < c.argv.count {
                guard let db = databaseArgument(c, c.argv[i + 1]) else { return }
                dst = db
                i += 1
            } else {
                c.error(Errors.syntax)
                return
            }
            i += 1
        }
        if dst === c.db && key == newKey {
            c.error(sameObject)
            return
        }
        guard let slot = c.db.slot(key) else {
            c.reply.integer(0)
            return
        }
        let value = c.db.value(at: slot)
        let expire = c.db.expireTime(key)
        let occupied = dst.exists(newKey)
        if occupied && !replace {
            c.reply.integer(0)
            return
        }
        let copy = duplicate(value)
        if occupied { dst.delete(newKey) }
        dst.add(newKey, copy)
        if let expire { dst.setExpire(newKey, at: expire) }
        c.server.keyModified(dst, newKey)
        c.server.notify(.generic, "copy_to", newKey, db: dst.id)
        c.reply.integer(1)
    }

    /// Parses FLUSHDB/FLUSHALL's optional ASYNC|SYNC; false after replying with the error.
    static func flushArgumentsValid(_ c: Client) -> Bool {
        if c.argv.count > 2 || (c.argv.count == 2 && !c.argv[1].equalsIgnoringCase("SYNC")
            && !c.argv[1].equalsIgnoringCase("ASYNC")) {
            c.error(Errors.syntax)
            return false
        }
        return true
    }

    /// Whether a FLUSHDB/FLUSHALL frees on the lazy-free thread: ASYNC, or no argument and
    /// lazyfree-lazy-user-flush (Redis's getFlushCommandFlags).
    static func flushIsLazy(_ c: Client) -> Bool {
        c.argv.count == 2 ? c.argv[1].equalsIgnoringCase("ASYNC") : c.server.config.lazyfreeLazyUserFlush
    }

    /// FLUSHDB [ASYNC | SYNC]
    static func flushdb(_ c: Client) {
        guard flushArgumentsValid(c) else { return }
        c.server.databaseWillBeEmptied(c.db)
        c.server.trackingInvalidateAll()
        c.server.dirty += Int64(flushIsLazy(c) ? c.db.flushLazily() : c.db.flush())
        // Propagated even when the database was already empty, as Redis does.
        c.propagateInstead([c.argv])
        c.reply.ok()
    }

    /// FLUSHALL [ASYNC | SYNC]
    static func flushall(_ c: Client) {
        guard flushArgumentsValid(c) else { return }
        var removed: Int64 = 0
        c.server.trackingInvalidateAll()
        let lazy = flushIsLazy(c)
        for db in c.server.databases {
            c.server.databaseWillBeEmptied(db)
            removed += Int64(lazy ? db.flushLazily() : db.flush())
        }
        // The extra change makes FLUSHALL always propagate, as in Redis.
        c.server.dirty += removed + 1
        c.reply.ok()
    }

    /// SWAPDB index1 index2
    static func swapdb(_ c: Client) {
        guard let first = intArgument(c, c.argv[1], message: "ERR invalid first DB index"),
              let second = intArgument(c, c.argv[2], message: "ERR invalid second DB index") else { return }
        let n = c.server.databases.count
        guard first >= 0 && first < n && second >= 0 && second < n else {
            c.error(Errors.dbIndexOutOfRange)
            return
        }
        if first != second {
            c.server.databasesWillSwap(c.server.databases[first], c.server.databases[second])
            c.server.databases[first].swapContents(with: c.server.databases[second])
            c.server.databasesSwapped(c.server.databases[first], c.server.databases[second])
        }
        c.server.dirty += 1
        c.reply.ok()
    }
}
