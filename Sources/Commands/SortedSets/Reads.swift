import Kernel

// MARK: - Single-member reads

extension SortedSetCommands {
    /// ZCARD key
    static func zcard(_ c: Client) {
        guard let z = existingSet(c, c.argv[1], missingReply: { $0.reply.integer(0) }) else { return }
        c.reply.integer(z.count)
    }

    /// ZSCORE key member
    static func zscore(_ c: Client) {
        guard let z = existingSet(c, c.argv[1], missingReply: { $0.reply.null() }) else { return }
        if let s = z.score(of: c.argv[2]) { c.reply.double(s) } else { c.reply.null() }
    }

    /// ZMSCORE key member [member ...]
    static func zmscore(_ c: Client) {
        var z: SortedSetObject?
        switch lookup(c, c.argv[1]) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .missing:
            z = nil
        case .found(let found):
            z = found
        }
        c.reply.arrayHeader(c.argv.count - 2)
        for member in c.argv.dropFirst(2) {
            if let s = z?.score(of: member) { c.reply.double(s) } else { c.reply.null() }
        }
    }

    /// ZRANK key member
    static func zrank(_ c: Client) { rankGeneric(c, reverse: false) }

    /// ZREVRANK key member
    static func zrevrank(_ c: Client) { rankGeneric(c, reverse: true) }

    /// Replies the rank of argv[2] in the set at argv[1], counted from the top if `reverse`, or null.
    static func rankGeneric(_ c: Client, reverse: Bool) {
        guard let z = existingSet(c, c.argv[1], missingReply: { $0.reply.null() }) else { return }
        guard let r = z.rank(of: c.argv[2]) else {
            c.reply.null()
            return
        }
        c.reply.integer(reverse ? z.count - 1 - r : r)
    }
}

// MARK: - ZRANDMEMBER

extension SortedSetCommands {
    /// ZRANDMEMBER key [count [WITHSCORES]]
    static func zrandmember(_ c: Client) {
        let argv = c.argv
        guard argv.count >= 3 else {
            guard let z = existingSet(c, argv[1], missingReply: { $0.reply.null() }) else { return }
            c.reply.bulk(z.randomElement().member)
            return
        }
        guard let l = Numbers.parseInt64(argv[2]) else {
            c.error(Errors.notInteger)
            return
        }
        if l == Int64.min {
            c.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
            return
        }
        if argv.count > 4 || (argv.count == 4 && !argv[3].equalsIgnoringCase("WITHSCORES")) {
            c.error(Errors.syntax)
            return
        }
        let withScores = argv.count == 4
        // The reply would hold 2*|count| items: Redis refuses counts whose double overflows.
        if withScores && l < -(Int64.max / 2) {
            c.error("ERR value is out of range")
            return
        }
        guard let z = existingSet(c, argv[1], missingReply: { $0.reply.arrayHeader(0) }) else { return }
        let unique = l >= 0
        let count = Int(l.magnitude)
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        // With repetitions (negative count), or a single member: independent draws.
        if !unique || count == 1 {
            elementsHeader(c, count, withScores: withScores)
            for _ in 0..<count {
                let (m, s) = z.randomElement()
                emit(c, m, s, withScores: withScores)
            }
            return
        }
        let size = z.count
        if count >= size {
            // The whole set, in the order Redis's set iterator visits it: from the highest rank down.
            elementsHeader(c, size, withScores: withScores)
            z.forEach(in: 0..<size, reverse: true) { m, s in emit(c, m, s, withScores: withScores) }
            return
        }
        // Distinct members: a random subset of `count` ranks, in random order.
        var picked = Set<Int>()
        var rng = FastRandom()
        if count * 3 > size {
            var ranks = Array(0..<size)
            ranks.shuffle(using: &rng)
            picked = Set(ranks.prefix(count))
        } else {
            while picked.count < count { picked.insert(Int.random(in: 0..<size, using: &rng)) }
        }
        elementsHeader(c, count, withScores: withScores)
        for r in picked.shuffled(using: &rng) {
            let (m, s) = z.element(at: r)
            emit(c, m, s, withScores: withScores)
        }
    }
}

// MARK: - ZSCAN

extension SortedSetCommands {
    /// ZSCAN key cursor [MATCH pattern] [COUNT count]
    static func zscan(_ c: Client) {
        guard var cursor = ScanOptions.parseCursor(c.argv[2]) else {
            c.error("ERR invalid cursor")
            return
        }
        let empty: (Client) -> Void = { c in
            c.reply.arrayHeader(2)
            c.reply.bulk("0")
            c.reply.arrayHeader(0)
        }
        guard let z = existingSet(c, c.argv[1], missingReply: empty) else { return }
        guard let options = ScanOptions.parse(c, from: 3) else { return }
        let count = options.count, pattern = options.pattern

        var found: [(RBytes, RBytes)] = []
        if z.isListpack {
            cursor = z.scan(cursor: cursor) { m, s in found.append((m, listpackScoreText(s))) }
        } else {
            // Like Redis: visit buckets until about COUNT items (a member and its score count as two) were
            // gathered, visiting at most 10*COUNT buckets.
            let (limit, overflow) = count.multipliedReportingOverflow(by: 10)
            var iterationsLeft = overflow ? Int64.max : limit
            repeat {
                cursor = z.scan(cursor: cursor) { m, s in found.append((m, Numbers.formatDouble(s))) }
                if cursor == 0 || iterationsLeft == 0 { break }
                iterationsLeft -= 1
            } while Int64(found.count) * 2 < count
        }
        if let pattern { found.removeAll { !Glob.matches(pattern, $0.0) } }
        c.reply.arrayHeader(2)
        c.reply.bulk(String(cursor))
        c.reply.arrayHeader(found.count * 2)
        for (m, s) in found {
            c.reply.bulk(m)
            c.reply.bulk(s)
        }
    }
}
