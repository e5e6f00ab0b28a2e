import Kernel

/// The list family (Redis's `t_list.c`): pushes and pops at both ends, access and edits by index or value,
/// moves between lists, and the blocking pops.
public struct ListCommands: CommandModule {
    public init() {}
    public let family = "list"

    public var commands: [CommandSpec] {
        let l: ACLCategories = [.list]
        let pushCost = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
        let two = KeyPositions(first: 1, last: 2, step: 1)
        let allButLast = KeyPositions(first: 1, last: -2, step: 1)
        return [
            CommandSpec("lpush", arity: -3, flags: [.write, .denyoom, .fast], keys: .single, categories: l,
                        summary: "Prepend one or multiple elements to a list", since: "1.0.0",
                        complexity: pushCost, handler: Self.lpush),
            CommandSpec("rpush", arity: -3, flags: [.write, .denyoom, .fast], keys: .single, categories: l,
                        summary: "Append one or multiple elements to a list", since: "1.0.0",
                        complexity: pushCost, handler: Self.rpush),
            CommandSpec("lpushx", arity: -3, flags: [.write, .denyoom, .fast], keys: .single, categories: l,
                        summary: "Prepend an element to a list, only if the list exists", since: "2.2.0",
                        complexity: pushCost, handler: Self.lpushx),
            CommandSpec("rpushx", arity: -3, flags: [.write, .denyoom, .fast], keys: .single, categories: l,
                        summary: "Append an element to a list, only if the list exists", since: "2.2.0",
                        complexity: pushCost, handler: Self.rpushx),
            CommandSpec("lpop", arity: -2, flags: [.write, .fast], keys: .single, categories: l,
                        summary: "Remove and get the first elements in a list", since: "1.0.0",
                        complexity: "O(N) where N is the number of elements returned", handler: Self.lpop),
            CommandSpec("rpop", arity: -2, flags: [.write, .fast], keys: .single, categories: l,
                        summary: "Remove and get the last elements in a list", since: "1.0.0",
                        complexity: "O(N) where N is the number of elements returned", handler: Self.rpop),
            CommandSpec("llen", arity: 2, flags: [.readonly, .fast], keys: .single, categories: l,
                        summary: "Get the length of a list", since: "1.0.0", complexity: "O(1)", handler: Self.llen),
            CommandSpec("lindex", arity: 3, flags: [.readonly], keys: .single, categories: l,
                        summary: "Get an element from a list by its index", since: "1.0.0",
                        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
                        handler: Self.lindex),
            CommandSpec("lset", arity: 4, flags: [.write, .denyoom], keys: .single, categories: l,
                        summary: "Set the value of an element in a list by its index", since: "1.0.0",
                        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
                        handler: Self.lset),
            CommandSpec("lrange", arity: 4, flags: [.readonly], keys: .single, categories: l,
                        summary: "Get a range of elements from a list", since: "1.0.0",
                        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
                        handler: Self.lrange),
            CommandSpec("ltrim", arity: 4, flags: [.write], keys: .single, categories: l,
                        summary: "Trim a list to the specified range", since: "1.0.0",
                        complexity: "O(N) where N is the number of elements to be removed by the operation.",
                        handler: Self.ltrim),
            CommandSpec("lrem", arity: 4, flags: [.write], keys: .single, categories: l,
                        summary: "Remove elements from a list", since: "1.0.0",
                        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
                        handler: Self.lrem),
            CommandSpec("linsert", arity: 5, flags: [.write, .denyoom], keys: .single, categories: l,
                        summary: "Insert an element before or after another element in a list", since: "2.2.0",
                        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
                        handler: Self.linsert),
            CommandSpec("lpos", arity: -3, flags: [.readonly], keys: .single, categories: l,
                        summary: "Return the index of matching elements on a list", since: "6.0.6",
                        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
                        handler: Self.lpos),
            CommandSpec("lmove", arity: 5, flags: [.write, .denyoom], keys: two, categories: l,
                        summary: "Pop an element from a list, push it to another list and return it", since: "6.2.0",
                        complexity: "O(1)", handler: Self.lmove),
            CommandSpec("rpoplpush", arity: 3, flags: [.write, .denyoom], keys: two, categories: l,
                        summary: "Remove the last element in a list, prepend it to another list and return it",
                        since: "1.2.0", complexity: "O(1)", handler: Self.rpoplpush),
            CommandSpec("lmpop", arity: -4, flags: [.write], categories: l,
                        summary: "Pop elements from a list", since: "7.0.0",
                        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
                        keyFinder: KeyFinders.numkeys(at: 1), handler: Self.lmpop),
            CommandSpec("blpop", arity: -3, flags: [.write, .noscript, .blocking], keys: allButLast, categories: l,
                        summary: "Remove and get the first element in a list, or block until one is available",
                        since: "2.0.0", complexity: "O(N) where N is the number of provided keys.",
                        handler: Self.blpop),
            CommandSpec("brpop", arity: -3, flags: [.write, .noscript, .blocking], keys: allButLast, categories: l,
                        summary: "Remove and get the last element in a list, or block until one is available",
                        since: "2.0.0", complexity: "O(N) where N is the number of provided keys.",
                        handler: Self.brpop),
            CommandSpec("blmove", arity: 6, flags: [.write, .denyoom, .noscript, .blocking], keys: two,
                        categories: l,
                        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
                        since: "6.2.0", complexity: "O(1)", handler: Self.blmove),
            CommandSpec("brpoplpush", arity: 4, flags: [.write, .denyoom, .noscript, .blocking], keys: two,
                        categories: l,
                        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
                        since: "2.2.0", complexity: "O(1)", handler: Self.brpoplpush),
            CommandSpec("blmpop", arity: -5, flags: [.write, .blocking], categories: l,
                        summary: "Pop elements from a list, or block until one is available", since: "7.0.0",
                        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
                        keyFinder: KeyFinders.numkeys(at: 2), handler: Self.blmpop),
        ]
    }
}

// MARK: - List lookup and shared steps

/// Which end of a list a command works on (Redis's LIST_HEAD / LIST_TAIL).
enum ListEnd {
    case head, tail

    /// LEFT / RIGHT, as LMOVE and LMPOP spell the ends.
    var side: RBytes { self == .head ? "LEFT" : "RIGHT" }
}

/// The outcome of reading a key that must hold a list.
extension Client {
    /// Reads `key` as a list (Redis's lookupKey + checkType).
    func lookupList(_ key: RBytes) -> TypedLookup<ListObject> { lookup(key, as: ListObject.self) }
}

extension RBytes {
    /// Case-insensitive option match with C `strcasecmp` semantics: the argument is read up to its first NUL
    /// byte, as Redis compares option names (`LEFT\0x` matches `LEFT`).
    func isOption(_ name: StaticString) -> Bool {
        let end = withUnsafeBytes { $0.firstIndex(of: 0) }
        guard let end else { return equalsIgnoringCase(name) }
        return slice(0..<end).equalsIgnoringCase(name)
    }
}

extension ListCommands {
    /// Parses LEFT / RIGHT (Redis's getListPositionFromObjectOrReply); replies a syntax error on anything else.
    static func parseEnd(_ c: Client, _ arg: RBytes) -> ListEnd? {
        if arg.isOption("RIGHT") { return .tail }
        if arg.isOption("LEFT") { return .head }
        c.error(Errors.syntax)
        return nil
    }

    /// Parses an index argument (Redis's getLongFromObjectOrReply); replies the error on bad input.
    static func parseIndex(_ c: Client, _ arg: RBytes) -> Int64? {
        guard let v = Numbers.parseInt64(arg) else {
            c.error(Errors.notInteger)
            return nil
        }
        return v
    }

    /// Parses a count in `min ... Int64.max` (Redis's getRangeLongFromObjectOrReply with a message): a
    /// non-integer and an out-of-range value both reply `ERR <message>`.
    static func parseCount(_ c: Client, _ arg: RBytes, min: Int64, message: String) -> Int64? {
        guard let v = Numbers.parseInt64(arg), v >= min else {
            c.error("ERR " + message)
            return nil
        }
        return v
    }

    /// Pops one element from `end`.
    static func pop(_ list: ListObject, _ end: ListEnd) -> RBytes {
        (end == .head ? list.popFront() : list.popBack()) ?? RBytes()
    }

    /// Pushes one element at `end`.
    static func push(_ list: ListObject, _ element: RBytes, _ end: ListEnd) {
        if end == .head { list.pushFront(element) } else { list.pushBack(element) }
    }

    /// Pops up to `count` elements from `end` and replies them as an array, nearest to that end first.
    static func popRange(_ c: Client, _ list: ListObject, _ end: ListEnd, count: Int64) -> Int {
        let n = Int(min(count, Int64(list.count)))
        c.reply.arrayHeader(n)
        for _ in 0..<n { c.reply.bulk(pop(list, end)) }
        return n
    }

    /// The hooks after popping `count` elements (Redis's listElementsRemoved): the pop event, the key's
    /// deletion when emptied, the modified-key signal and the dirty count.
    static func elementsRemoved(_ c: Client, _ key: RBytes, _ list: ListObject, _ end: ListEnd, count: Int) {
        c.server.notify(.list, end == .head ? "lpop" : "rpop", key, db: c.db.id)
        if list.isEmpty {
            c.db.delete(key)
            c.server.notify(.generic, "del", key, db: c.db.id)
        }
        c.server.keyModified(c.db, key, changes: Int64(count))
    }

    /// Replies `[key, [elements...]]` after popping up to `count` elements (LMPOP/BLMPOP), and propagates the
    /// deterministic `LPOP|RPOP key n`.
    static func popRangeWithKey(_ c: Client, _ key: RBytes, _ list: ListObject, _ end: ListEnd, count: Int64) {
        c.reply.arrayHeader(2)
        c.reply.bulk(key)
        let n = popRange(c, list, end, count: count)
        elementsRemoved(c, key, list, end, count: n)
        c.propagateInstead([[end == .head ? "LPOP" : "RPOP", key, Numbers.format(Int64(n))]])
    }

    /// The arguments shared by LMPOP and BLMPOP: `numkeys key [key ...] LEFT|RIGHT [COUNT count]`.
    struct MultiPopArguments {
        var keys: ArraySlice<RBytes>
        var end: ListEnd
        var count: Int64
    }

    /// Parses LMPOP/BLMPOP arguments with `numkeys` at `numkeysIndex`; replies the error on bad input.
    static func parseMultiPop(_ c: Client, numkeysIndex: Int) -> MultiPopArguments? {
        let argv = c.argv
        guard let numkeys = parseCount(c, argv[numkeysIndex], min: 1, message: "numkeys should be greater than 0")
        else { return nil }
        // The direction follows the keys; too few arguments for that many keys is a syntax error.
        guard numkeys < Int64(argv.count - numkeysIndex - 1) else {
            c.error(Errors.syntax)
            return nil
        }
        let endIndex = numkeysIndex + Int(numkeys) + 1
        guard let end = parseEnd(c, argv[endIndex]) else { return nil }
        var count: Int64 = -1
        var j = endIndex + 1
        while j < argv.count {
            if count == -1 && argv[j].isOption("COUNT") && j + 1 < argv.count {
                j += 1
                guard let n = parseCount(c, argv[j], min: 1, message: "count should be greater than 0") else {
                    return nil
                }
                count = n
            } else {
                c.error(Errors.syntax)
                return nil
            }
            j += 1
        }
        return MultiPopArguments(keys: argv[(numkeysIndex + 1)..<endIndex], end: end, count: count == -1 ? 1 : count)
    }
}
