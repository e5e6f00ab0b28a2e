import Kernel

// MARK: - ZADD / ZINCRBY / ZREM

extension SortedSetCommands {
    static let nanScore = "ERR resulting score is not a number (NaN)"

    /// The flags of ZADD (ZINCRBY is ZADD with INCR).
    struct AddFlags {
        var nx = false, xx = false, gt = false, lt = false, ch = false, incr = false
    }

    /// What adding one member did.
    enum AddOutcome {
        case added(Double)
        case updated(Double)
        /// Present with the same score (or a zero increment): processed, nothing changed.
        case unchanged(Double)
        /// Skipped because of NX, XX, GT or LT.
        case skipped
        case nan
    }

    /// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
    static func zadd(_ c: Client) { addGeneric(c, incr: false) }

    /// ZINCRBY key increment member
    static func zincrby(_ c: Client) { addGeneric(c, incr: true) }

    /// Redis's `zaddGenericCommand`. ZINCRBY goes through the same option parsing, so an increment spelled like
    /// an option (`ZINCRBY k nx m`) is a syntax error, as in Redis.
    static func addGeneric(_ c: Client, incr: Bool) {
        let argv = c.argv
        let key = argv[1]
        var f = AddFlags()
        f.incr = incr
        var scoreIndex = 2
        while scoreIndex < argv.count {
            let opt = argv[scoreIndex]
            if opt.equalsIgnoringCase("NX") { f.nx = true }
            else if opt.equalsIgnoringCase("XX") { f.xx = true }
            else if opt.equalsIgnoringCase("CH") { f.ch = true }
            else if opt.equalsIgnoringCase("INCR") { f.incr = true }
            else if opt.equalsIgnoringCase("GT") { f.gt = true }
            else if opt.equalsIgnoringCase("LT") { f.lt = true }
            else { break }
            scoreIndex += 1
        }
        let pairs = argv.count - scoreIndex
        if pairs % 2 != 0 || pairs == 0 {
            c.error(Errors.syntax)
            return
        }
        if f.nx && f.xx {
            c.error("ERR XX and NX options at the same time are not compatible")
            return
        }
        if (f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt) {
            c.error("ERR GT, LT, and/or NX options at the same time are not compatible")
            return
        }
        if f.incr && pairs > 2 {
            c.error("ERR INCR option supports a single increment-element pair")
            return
        }
        // Every score is checked before anything changes: the command applies fully or not at all. One pair (the
        // common case) needs no array.
        var firstScore = 0.0
        var scores: [Double] = []
        if pairs == 2 {
            guard let s = Numbers.parseDouble(argv[scoreIndex]) else {
                c.error(Errors.notFloat)
                return
            }
            firstScore = s
        } else {
            scores.reserveCapacity(pairs / 2)
            for i in stride(from: scoreIndex, to: argv.count, by: 2) {
                guard let s = Numbers.parseDouble(argv[i]) else {
                    c.error(Errors.notFloat)
                    return
                }
                scores.append(s)
            }
        }

        let z: SortedSetObject
        switch lookup(c, key) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let found):
            z = found
        case .missing:
            if f.xx {
                if f.incr { c.reply.null() } else { c.reply.integer(0) }
                return
            }
            // Redis 7.0 picks the encoding from the first member alone.
            let config = c.server.config
            let skiplist = config.zsetMaxListpackEntries == 0
                || config.zsetMaxListpackValue < argv[scoreIndex + 1].count
            z = SortedSetObject(skiplist: skiplist)
            c.db.add(key, .object(z))
        }

        var added = 0, updated = 0, processed = 0
        var lastScore = 0.0
        var failed = false
        for n in 0..<(pairs / 2) {
            let score = pairs == 2 ? firstScore : scores[n]
            switch add(c, z, argv[scoreIndex + 1 + 2 * n], score, f) {
            case .added(let s):
                added += 1
                processed += 1
                lastScore = s
            case .updated(let s):
                updated += 1
                processed += 1
                lastScore = s
            case .unchanged(let s):
                processed += 1
                lastScore = s
            case .skipped:
                break
            case .nan:
                failed = true
            }
            if failed { break }
        }
        if failed {
            c.error(nanScore)
        } else if f.incr {
            if processed > 0 { c.reply.double(lastScore) } else { c.reply.null() }
        } else {
            c.reply.integer(f.ch ? added + updated : added)
        }
        if added + updated > 0 {
            c.server.keyModified(c.db, key, changes: Int64(added + updated))
            if added > 0 { c.server.signalKeyAsReady(c.db, key) }
            c.server.notify(.zset, f.incr ? "zincr" : "zadd", key, db: c.db.id)
        }
    }

    /// Adds or updates one member under ZADD's flags (Redis's `zsetAdd`).
    static func add(_ c: Client, _ z: SortedSetObject, _ member: RBytes, _ score: Double,
                    _ f: AddFlags) -> AddOutcome {
        guard let (current, position) = z.find(member) else {
            if f.xx { return .skipped }
            insert(c, z, member, score)
            return .added(score)
        }
        if f.nx { return .skipped }
        var newScore = score
        if f.incr {
            newScore += current
            if newScore.isNaN { return .nan }
        }
        if (f.lt && newScore >= current) || (f.gt && newScore <= current) { return .skipped }
        if newScore == current { return .unchanged(newScore) }
        z.updateScore(member, at: position, from: current, to: newScore)
        return .updated(newScore)
    }

    /// ZREM key member [member ...]
    static func zrem(_ c: Client) {
        let key = c.argv[1]
        guard let z = existingSet(c, key, missingReply: { $0.reply.integer(0) }) else { return }
        var deleted = 0
        for member in c.argv.dropFirst(2) {
            if z.remove(member) { deleted += 1 }
            if z.count == 0 { break }
        }
        if deleted > 0 {
            c.server.keyModified(c.db, key, changes: Int64(deleted))
            c.server.notify(.zset, "zrem", key, db: c.db.id)
            if z.count == 0 { deleteEmptied(c, key) }
        }
        c.reply.integer(deleted)
    }
}
