import Kernel

// MARK: - ZRANGE and its variants

extension SortedSetCommands {
    /// How a range command reads its `min max` arguments.
    enum RangeKind { case rank, score, lex }

    /// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
    static func zrange(_ c: Client) { rangeGeneric(c, keyIndex: 1, store: false, kind: nil, reverse: nil) }

    /// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
    static func zrangestore(_ c: Client) { rangeGeneric(c, keyIndex: 2, store: true, kind: nil, reverse: nil) }

    /// ZREVRANGE key start stop [WITHSCORES]
    static func zrevrange(_ c: Client) { rangeGeneric(c, keyIndex: 1, store: false, kind: .rank, reverse: true) }

    /// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
    static func zrangebyscore(_ c: Client) {
        rangeGeneric(c, keyIndex: 1, store: false, kind: .score, reverse: false)
    }

    /// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
    static func zrevrangebyscore(_ c: Client) {
        rangeGeneric(c, keyIndex: 1, store: false, kind: .score, reverse: true)
    }

    /// ZRANGEBYLEX key min max [LIMIT offset count]
    static func zrangebylex(_ c: Client) { rangeGeneric(c, keyIndex: 1, store: false, kind: .lex, reverse: false) }

    /// ZREVRANGEBYLEX key max min [LIMIT offset count]
    static func zrevrangebylex(_ c: Client) { rangeGeneric(c, keyIndex: 1, store: false, kind: .lex, reverse: true) }

    /// The common body of the range commands (Redis's `zrangeGenericCommand`). `kind` and `reverse` are fixed by
    /// the legacy commands and chosen by options (BYSCORE, BYLEX, REV) for ZRANGE and ZRANGESTORE.
    static func rangeGeneric(_ c: Client, keyIndex: Int, store: Bool, kind fixedKind: RangeKind?,
                             reverse fixedReverse: Bool?) {
        let argv = c.argv
        var kind = fixedKind
        var reverse = fixedReverse
        var withScores = false
        var offset = 0
        var limit = -1
        var j = keyIndex + 3
        while j < argv.count {
            let arg = argv[j]
            let left = argv.count - j - 1
            if !store && arg.equalsIgnoringCase("WITHSCORES") {
                withScores = true
            } else if arg.equalsIgnoringCase("LIMIT") && left >= 2 {
                guard let o = longArgument(c, argv[j + 1]), let l = longArgument(c, argv[j + 2]) else { return }
                offset = o
                limit = l
                j += 2
            } else if reverse == nil && arg.equalsIgnoringCase("REV") {
                reverse = true
            } else if kind == nil && arg.equalsIgnoringCase("BYLEX") {
                kind = .lex
            } else if kind == nil && arg.equalsIgnoringCase("BYSCORE") {
                kind = .score
            } else {
                c.error(Errors.syntax)
                return
            }
            j += 1
        }
        let rangeKind = kind ?? .rank
        let rev = reverse ?? false
        // Redis tests the count it parsed, so `LIMIT x -1` passes with a rank range.
        if limit != -1 && rangeKind == .rank {
            c.error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
            return
        }
        if withScores && rangeKind == .lex {
            c.error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
            return
        }
        var minArg = argv[keyIndex + 1], maxArg = argv[keyIndex + 2]
        if rev && rangeKind != .rank { swap(&minArg, &maxArg) }

        // Parse the range before looking the key up, so a bad range is reported even for a missing key.
        let select: (SortedSetObject) -> Range<Int>
        switch rangeKind {
        case .rank:
            guard let start = longArgument(c, minArg), let end = longArgument(c, maxArg) else { return }
            select = { rankRange(count: $0.count, start: start, end: end, reverse: rev) }
        case .score:
            guard let r = ScoreRange(min: minArg, max: maxArg) else {
                c.error(ScoreRange.parseError)
                return
            }
            select = { selectRanks($0, r, reverse: rev, offset: offset, limit: limit) }
        case .lex:
            guard let r = LexRange(min: minArg, max: maxArg) else {
                c.error(LexRange.parseError)
                return
            }
            select = { selectRanks($0, r, reverse: rev, offset: offset, limit: limit) }
        }

        let z: SortedSetObject
        switch lookup(c, argv[keyIndex]) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .missing:
            if store {
                storeResult(c, argv[1], SortedSetObject(), event: "zrangestore")
            } else {
                c.reply.arrayHeader(0)
            }
            return
        case .found(let found):
            z = found
        }

        let ranks = select(z)
        if store {
            // Like Redis, the destination starts as a skiplist when a rank range is known to be too long for a
            // listpack; otherwise it starts as a listpack and converts once it grows past the limits.
            let dst = SortedSetObject(skiplist: rangeKind == .rank && ranks.count > c.server.config.zsetMaxListpackEntries)
            z.forEach(in: ranks, reverse: rev) { m, s in insert(c, dst, m, s) }
            storeResult(c, argv[1], dst, event: "zrangestore")
            return
        }
        elementsHeader(c, ranks.count, withScores: withScores)
        z.forEach(in: ranks, reverse: rev) { m, s in emit(c, m, s, withScores: withScores) }
    }
}
