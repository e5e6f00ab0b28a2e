import Kernel

// MARK: - ZPOPMIN / ZPOPMAX / ZMPOP and their blocking forms

extension SortedSetCommands {
    /// How a pop command shapes its reply (the arguments of Redis's `genericZpopCommand`).
    struct PopReply {
        /// Start with the key's name (BZPOPMIN, ZMPOP, ...).
        var emitKey: Bool
        /// Nest each `member score` pair in its own array.
        var nested: Bool
        /// Reply a null array rather than an empty one when no key holds a set.
        var nilWhenEmpty: Bool
    }

    /// ZPOPMIN key [count]
    static func zpopmin(_ c: Client) { popMinMax(c, max: false) }

    /// ZPOPMAX key [count]
    static func zpopmax(_ c: Client) { popMinMax(c, max: true) }

    /// ZPOPMIN/ZPOPMAX: an optional non-negative count, then a pop from one key.
    static func popMinMax(_ c: Client, max: Bool) {
        if c.argv.count > 3 {
            c.error(Errors.syntax)
            return
        }
        var count = -1
        if c.argv.count == 3 {
            guard let n = rangeArgument(c, c.argv[2], 0...Int.max,
                                        message: "ERR value is out of range, must be positive") else { return }
            count = n
        }
        // A plain single pop replies flat; with a count, RESP3 nests the pairs.
        let shape = PopReply(emitKey: false, nested: c.resp > 2 && count != -1, nilWhenEmpty: false)
        let key = c.argv[1]
        switch lookup(c, key) {
        case .missing: c.reply.arrayHeader(0)
        case .wrongType: c.error(Errors.wrongType)
        case .found(let z): pop(c, key, z, max: max, count: count, shape: shape)
        }
    }

    /// Pops from the first of `keys` that holds a set (Redis's `genericZpopCommand`). `count` -1 is a plain
    /// single pop. Returns the key popped from and how many members were popped, or nil if nothing was.
    @discardableResult
    static func pop(_ c: Client, keys: [RBytes], max: Bool, count: Int, shape: PopReply) -> (RBytes, Int)? {
        var source: (RBytes, SortedSetObject)?
        for key in keys {
            switch lookup(c, key) {
            case .missing: continue
            case .wrongType:
                c.error(Errors.wrongType)
                return nil
            case .found(let z): source = (key, z)
            }
            break
        }
        guard let (key, z) = source else {
            if shape.nilWhenEmpty { c.reply.nullArray() } else { c.reply.arrayHeader(0) }
            return nil
        }
        return pop(c, key, z, max: max, count: count, shape: shape)
    }

    /// Pops from the set `z` found at `key`; the rest as `pop(_:keys:max:count:shape:)`.
    @discardableResult
    static func pop(_ c: Client, _ key: RBytes, _ z: SortedSetObject, max: Bool, count: Int,
                    shape: PopReply) -> (RBytes, Int)? {
        if count == 0 {
            c.reply.arrayHeader(0)
            return nil
        }
        let n = Swift.min(count == -1 ? 1 : count, z.count)
        switch (shape.emitKey, shape.nested) {
        case (false, false): c.reply.arrayHeader(n * 2)
        case (false, true): c.reply.arrayHeader(n)
        case (true, false):
            c.reply.arrayHeader(n * 2 + 1)
            c.reply.bulk(key)
        case (true, true):
            c.reply.arrayHeader(2)
            c.reply.bulk(key)
            c.reply.arrayHeader(n)
        }
        let ranks = max ? (z.count - n)..<z.count : 0..<n
        z.forEach(in: ranks, reverse: max) { m, s in
            if shape.nested { c.reply.arrayHeader(2) }
            c.reply.bulk(m)
            c.reply.double(s)
        }
        z.removeRange(ranks)
        c.server.keyModified(c.db, key, changes: Int64(n))
        c.server.notify(.zset, max ? "zpopmax" : "zpopmin", key, db: c.db.id)
        if z.count == 0 { deleteEmptied(c, key) }
        return (key, n)
    }

    /// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
    static func zmpop(_ c: Client) {
        guard let (keys, max, count) = parseMultiPop(c, numkeysIndex: 1) else { return }
        let shape = PopReply(emitKey: true, nested: true, nilWhenEmpty: true)
        guard let (key, n) = pop(c, keys: keys, max: max, count: count, shape: shape) else { return }
        // Replicated as the plain pop it performed.
        c.propagateInstead([[max ? "ZPOPMAX" : "ZPOPMIN", key, Numbers.format(Int64(n))]])
    }

    /// Parses `numkeys key... MIN|MAX [COUNT count]` starting at `numkeysIndex`, or nil after replying the error.
    static func parseMultiPop(_ c: Client, numkeysIndex: Int) -> (keys: [RBytes], max: Bool, count: Int)? {
        let argv = c.argv
        guard let numkeys = rangeArgument(c, argv[numkeysIndex], 1...Int.max,
                                          message: "ERR numkeys should be greater than 0") else { return nil }
        guard numkeys < argv.count - numkeysIndex - 1 else {
            c.error(Errors.syntax)
            return nil
        }
        let whereIndex = numkeysIndex + numkeys + 1
        let max: Bool
        if argv[whereIndex].equalsIgnoringCase("MIN") {
            max = false
        } else if argv[whereIndex].equalsIgnoringCase("MAX") {
            max = true
        } else {
            c.error(Errors.syntax)
            return nil
        }
        var count = -1
        var j = whereIndex + 1
        while j < argv.count {
            guard count == -1, argv[j].equalsIgnoringCase("COUNT"), j + 1 < argv.count else {
                c.error(Errors.syntax)
                return nil
            }
            guard let n = rangeArgument(c, argv[j + 1], 1...Int.max,
                                        message: "ERR count should be greater than 0") else { return nil }
            count = n
            j += 2
        }
        return (Array(argv[(numkeysIndex + 1)..<whereIndex]), max, count == -1 ? 1 : count)
    }

    /// BZPOPMIN key [key ...] timeout
    static func bzpopmin(_ c: Client) { blockingPop(c, max: false) }

    /// BZPOPMAX key [key ...] timeout
    static func bzpopmax(_ c: Client) { blockingPop(c, max: true) }

    /// BZPOPMIN/BZPOPMAX: the timeout (checked first, as in Redis), then a single pop or a wait.
    static func blockingPop(_ c: Client, max: Bool) {
        guard let deadline = c.parseBlockTimeout(c.argv[c.argv.count - 1]) else { return }
        let keys = Array(c.argv[1..<(c.argv.count - 1)])
        let shape = PopReply(emitKey: true, nested: false, nilWhenEmpty: false)
        popOrBlock(c, keys: keys, max: max, count: -1, shape: shape, deadline: deadline)
    }

    /// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
    static func bzmpop(_ c: Client) {
        guard let (keys, max, count) = parseMultiPop(c, numkeysIndex: 2) else { return }
        guard let deadline = c.parseBlockTimeout(c.argv[1]) else { return }
        let shape = PopReply(emitKey: true, nested: true, nilWhenEmpty: true)
        popOrBlock(c, keys: keys, max: max, count: count, shape: shape, deadline: deadline)
    }

    /// Pops from the first key holding a set, or blocks on all of them (Redis's `blockingGenericZpopCommand`).
    /// The pop is replicated as ZPOPMIN/ZPOPMAX. Where blocking is not allowed (MULTI, scripts) the timeout
    /// reply comes at once.
    static func popOrBlock(_ c: Client, keys: [RBytes], max: Bool, count: Int, shape: PopReply, deadline: Int64) {
        for key in c.blockingKeyOrder(keys) {
            switch lookup(c, key) {
            case .missing: continue
            case .wrongType:
                c.error(Errors.wrongType)
                return
            case .found:
                guard let (_, n) = pop(c, keys: [key], max: max, count: count, shape: shape) else { return }
                let name: RBytes = max ? "ZPOPMAX" : "ZPOPMIN"
                c.propagateInstead([count == -1 ? [name, key] : [name, key, Numbers.format(Int64(n))]])
                return
            }
        }
        if !c.canBlock {
            c.reply.nullArray()
            return
        }
        c.block(onKeys: keys, deadline: deadline, timeoutReply: .nullArray)
    }
}
