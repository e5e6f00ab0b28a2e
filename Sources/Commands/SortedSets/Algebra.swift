import Kernel

// MARK: - ZUNION / ZINTER / ZDIFF, their STORE forms, and ZINTERCARD

extension SortedSetCommands {
    enum SetOperation { case union, inter, diff }

    enum Aggregate { case sum, min, max }

    /// One input of a set operation: a sorted set (nil for a missing key) and its weight.
    struct Operand {
        let zset: SortedSetObject?
        var weight = 1.0
        var count: Int { zset?.count ?? 0 }
    }

    /// ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
    static func zunion(_ c: Client) { algebra(c, destination: nil, numkeysIndex: 1, op: .union) }

    /// ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
    static func zinter(_ c: Client) { algebra(c, destination: nil, numkeysIndex: 1, op: .inter) }

    /// ZDIFF numkeys key [key ...] [WITHSCORES]
    static func zdiff(_ c: Client) { algebra(c, destination: nil, numkeysIndex: 1, op: .diff) }

    /// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
    static func zunionstore(_ c: Client) { algebra(c, destination: c.argv[1], numkeysIndex: 2, op: .union) }

    /// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]
    static func zinterstore(_ c: Client) { algebra(c, destination: c.argv[1], numkeysIndex: 2, op: .inter) }

    /// ZDIFFSTORE destination numkeys key [key ...]
    static func zdiffstore(_ c: Client) { algebra(c, destination: c.argv[1], numkeysIndex: 2, op: .diff) }

    /// ZINTERCARD numkeys key [key ...] [LIMIT limit]
    static func zintercard(_ c: Client) {
        algebra(c, destination: nil, numkeysIndex: 1, op: .inter, cardinalityOnly: true)
    }

    /// Redis's `zunionInterDiffGenericCommand`. Plain sets are accepted as inputs (score 1).
    static func algebra(_ c: Client, destination: RBytes?, numkeysIndex: Int, op: SetOperation,
                        cardinalityOnly: Bool = false) {
        let argv = c.argv
        guard let numkeys = longArgument(c, argv[numkeysIndex]) else { return }
        if numkeys < 1 {
            c.error("ERR at least 1 input key is needed for '\(c.command?.fullName ?? "")' command")
            return
        }
        if numkeys > argv.count - numkeysIndex - 1 {
            c.error(Errors.syntax)
            return
        }
        var inputs: [Operand] = []
        inputs.reserveCapacity(numkeys)
        for key in argv[(numkeysIndex + 1)...(numkeysIndex + numkeys)] {
            switch lookup(c, key) {
            case .missing: inputs.append(Operand(zset: nil))
            case .found(let z): inputs.append(Operand(zset: z))
            case .wrongType:
                // Plain sets take part with every member scored 1, as in Redis.
                guard case .object(let o)? = c.db.get(key), let set = o as? SetObject else {
                    c.error(Errors.wrongType)
                    return
                }
                let z = SortedSetObject(skiplist: true)
                set.forEach { z.insert($0, score: 1, maxListpackEntries: 0, maxListpackValue: 0) }
                inputs.append(Operand(zset: z))
            }
        }

        var aggregate = Aggregate.sum
        var withScores = false
        var limit = 0
        var j = numkeysIndex + numkeys + 1
        while j < argv.count {
            let remaining = argv.count - j
            let arg = argv[j]
            if op != .diff && !cardinalityOnly && remaining >= numkeys + 1 && arg.equalsIgnoringCase("WEIGHTS") {
                for i in 0..<numkeys {
                    guard let w = Numbers.parseDouble(argv[j + 1 + i]) else {
                        c.error("ERR weight value is not a float")
                        return
                    }
                    inputs[i].weight = w
                }
                j += numkeys + 1
            } else if op != .diff && !cardinalityOnly && remaining >= 2 && arg.equalsIgnoringCase("AGGREGATE") {
                let name = argv[j + 1]
                if name.equalsIgnoringCase("SUM") {
                    aggregate = .sum
                } else if name.equalsIgnoringCase("MIN") {
                    aggregate = .min
                } else if name.equalsIgnoringCase("MAX") {
                    aggregate = .max
                } else {
                    c.error(Errors.syntax)
                    return
                }
                j += 2
            } else if destination == nil && !cardinalityOnly && arg.equalsIgnoringCase("WITHSCORES") {
                withScores = true
                j += 1
            } else if cardinalityOnly && remaining >= 2 && arg.equalsIgnoringCase("LIMIT") {
                guard let l = rangeArgument(c, argv[j + 1], 0...Int.max,
                                            message: "ERR LIMIT can't be negative") else { return }
                limit = l
                j += 2
            } else {
                c.error(Errors.syntax)
                return
            }
        }

        if op != .diff {
            // Smallest first, as Redis orders them (a stable order, so equal sizes keep their key order): the
            // order in which scores are combined decides the last bits of a sum.
            inputs = inputs.enumerated().sorted { a, b in
                a.element.count != b.element.count ? a.element.count < b.element.count : a.offset < b.offset
            }.map { $0.element }
        }

        if cardinalityOnly {
            c.reply.integer(intersectionCount(inputs, limit: limit))
            return
        }
        let result: [(member: RBytes, score: Double)]
        switch op {
        case .union: result = union(inputs, aggregate)
        case .inter: result = intersection(inputs, aggregate)
        case .diff: result = difference(inputs)
        }

        guard let destination else {
            elementsHeader(c, result.count, withScores: withScores)
            for (m, s) in result { emit(c, m, s, withScores: withScores) }
            return
        }
        let config = c.server.config
        let longest = result.reduce(0) { Swift.max($0, $1.member.count) }
        let compact = result.count <= config.zsetMaxListpackEntries && longest <= config.zsetMaxListpackValue
        let z = SortedSetObject(skiplist: !compact)
        for (m, s) in result { insert(c, z, m, s) }
        let event: StaticString = op == .union ? "zunionstore" : (op == .inter ? "zinterstore" : "zdiffstore")
        storeResult(c, destination, z, event: event)
    }

    /// Combines a weighted score into an accumulated one; an undefined sum (inf - inf) becomes 0, and MIN/MAX
    /// ignore an undefined weighted score, as in Redis.
    @inline(__always)
    static func combine(_ target: inout Double, _ value: Double, _ aggregate: Aggregate) {
        switch aggregate {
        case .sum:
            target += value
            if target.isNaN { target = 0 }
        case .min:
            if value < target { target = value }
        case .max:
            if value > target { target = value }
        }
    }

    /// A member's weighted score in one input (0 when the product is undefined, e.g. 0 * inf).
    @inline(__always)
    static func weighted(_ score: Double, _ weight: Double) -> Double {
        let v = weight * score
        return v.isNaN ? 0 : v
    }

    /// Sorts members into the sorted-set order.
    static func sortedResult(_ entries: [(member: RBytes, score: Double)]) -> [(member: RBytes, score: Double)] {
        entries.sorted { a, b in
            a.score != b.score ? a.score < b.score : RBytes.compare(a.member, b.member) < 0
        }
    }

    /// Every member of any input, its weighted scores combined in input order.
    static func union(_ inputs: [Operand], _ aggregate: Aggregate) -> [(member: RBytes, score: Double)] {
        var acc: [RBytes: Int] = [:]
        var entries: [(member: RBytes, score: Double)] = []
        for input in inputs {
            guard let z = input.zset else { continue }
            z.forEach(in: 0..<z.count) { m, s in
                let v = weighted(s, input.weight)
                if let i = acc[m] {
                    combine(&entries[i].score, v, aggregate)
                } else {
                    acc[m] = entries.count
                    entries.append((m, v))
                }
            }
        }
        return sortedResult(entries)
    }

    /// Runs `body` for each member of the smallest input that is in every input, with its combined score.
    static func forEachCommonMember(_ inputs: [Operand], _ aggregate: Aggregate,
                                    _ body: (RBytes, Double) -> Bool) {
        guard let first = inputs[0].zset, first.count > 0 else { return }
        var stop = false
        // Redis walks the first input from its highest rank down.
        first.forEach(in: 0..<first.count, reverse: true) { m, s in
            if stop { return }
            var score = weighted(s, inputs[0].weight)
            for input in inputs.dropFirst() {
                guard let other = input.zset?.score(of: m) else { return }
                combine(&score, other * input.weight, aggregate)
            }
            if !body(m, score) { stop = true }
        }
    }

    /// The members present in every input, with their combined scores.
    static func intersection(_ inputs: [Operand], _ aggregate: Aggregate) -> [(member: RBytes, score: Double)] {
        var entries: [(member: RBytes, score: Double)] = []
        forEachCommonMember(inputs, aggregate) { m, s in
            entries.append((m, s))
            return true
        }
        return sortedResult(entries)
    }

    /// The size of the intersection, counting up to `limit` (0 = no limit).
    static func intersectionCount(_ inputs: [Operand], limit: Int) -> Int {
        var n = 0
        forEachCommonMember(inputs, .sum) { _, _ in
            n += 1
            return limit == 0 || n < limit
        }
        return n
    }

    /// The members of the first input that are in no other input, with their scores in the first input.
    static func difference(_ inputs: [Operand]) -> [(member: RBytes, score: Double)] {
        guard let first = inputs[0].zset else { return [] }
        var entries: [(member: RBytes, score: Double)] = []
        first.forEach(in: 0..<first.count) { m, s in
            for input in inputs.dropFirst() where input.zset?.score(of: m) != nil { return }
            entries.append((m, s))
        }
        return entries
    }
}
