import Kernel

// The blocking pops. Each first tries its non-blocking form; when every key is missing it blocks on them, and
// the kernel runs the same handler again once one is signalled ready, so serving a waiter is this same code.
// The effect propagated is always the non-blocking pop (LPOP/RPOP [count], LMOVE, RPOPLPUSH), as in Redis 7.0.
// Every list timeout replies a nil array, even for BLMOVE/BRPOPLPUSH (Redis 7.0's replyToBlockedClientTimedOut);
// inside MULTI/EXEC those two reply a nil bulk string instead, like their non-blocking forms.

extension ListCommands {
    /// BLPOP key [key ...] timeout
    static func blpop(_ c: Client) {
        blockingPop(c, keys: c.argv[1..<(c.argv.count - 1)], timeoutIndex: c.argv.count - 1, end: .head, count: nil)
    }

    /// BRPOP key [key ...] timeout
    static func brpop(_ c: Client) {
        blockingPop(c, keys: c.argv[1..<(c.argv.count - 1)], timeoutIndex: c.argv.count - 1, end: .tail, count: nil)
    }

    /// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
    static func blmpop(_ c: Client) {
        guard let args = parseMultiPop(c, numkeysIndex: 2) else { return }
        blockingPop(c, keys: args.keys, timeoutIndex: 1, end: args.end, count: args.count)
    }

    /// BLPOP/BRPOP (`count` nil: replies `[key, element]`) and BLMPOP (replies `[key, [elements...]]`): pops
    /// from the first non-empty list among `keys`, or blocks on all of them.
    static func blockingPop(_ c: Client, keys: ArraySlice<RBytes>, timeoutIndex: Int, end: ListEnd, count: Int64?) {
        guard let deadline = c.parseBlockTimeout(c.argv[timeoutIndex]) else { return }
        for key in c.blockingKeyOrder(keys) {
            switch c.lookupList(key) {
            case .missing:
                continue
            case .wrongType:
                c.error(Errors.wrongType)
                return
            case .found(let list):
                if let count {
                    popRangeWithKey(c, key, list, end, count: count)
                } else {
                    c.reply.arrayHeader(2)
                    c.reply.bulk(key)
                    c.reply.bulk(pop(list, end))
                    elementsRemoved(c, key, list, end, count: 1)
                    c.propagateInstead([[end == .head ? "LPOP" : "RPOP", key]])
                }
                return
            }
        }
        if !c.canBlock {
            c.reply.nullArray()
            return
        }
        var unique: [RBytes] = []
        for key in keys where !unique.contains(key) { unique.append(key) }
        c.block(onKeys: unique, deadline: deadline, timeoutReply: .nullArray)
    }

    /// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
    static func blmove(_ c: Client) {
        guard let from = parseEnd(c, c.argv[3]), let to = parseEnd(c, c.argv[4]),
              let deadline = c.parseBlockTimeout(c.argv[5]) else { return }
        // Served at once, the user's own LEFT/RIGHT are kept; served after blocking, Redis 7.0 writes its shared
        // lower-case "left"/"right" objects.
        let woken = c.wokenByKey != nil
        func side(_ end: ListEnd, _ arg: RBytes) -> RBytes { woken ? (end == .head ? "left" : "right") : arg }
        blockingMove(c, from: from, to: to, deadline: deadline,
                     effect: ["LMOVE", c.argv[1], c.argv[2], side(from, c.argv[3]), side(to, c.argv[4])])
    }

    /// BRPOPLPUSH source destination timeout
    static func brpoplpush(_ c: Client) {
        guard let deadline = c.parseBlockTimeout(c.argv[3]) else { return }
        blockingMove(c, from: .tail, to: .head, deadline: deadline, effect: ["RPOPLPUSH", c.argv[1], c.argv[2]])
    }

    /// Moves like LMOVE when the source exists (propagating `effect`), else blocks on the source.
    static func blockingMove(_ c: Client, from: ListEnd, to: ListEnd, deadline: Int64, effect: [RBytes]) {
        switch c.lookupList(c.argv[1]) {
        case .wrongType:
            c.error(Errors.wrongType)
        case .found:
            if move(c, from: from, to: to) { c.propagateInstead([effect]) }
        case .missing:
            if c.canBlock {
                c.block(onKeys: [c.argv[1]], deadline: deadline, timeoutReply: .nullArray)
            } else {
                c.reply.null()
            }
        }
    }
}
