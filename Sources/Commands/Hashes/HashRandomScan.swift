import Kernel

// HRANDFIELD and HSCAN.

extension HashCommands {
    /// The range Redis accepts for a random-element count: [-LONG_MAX, LONG_MAX].
    static func parseRandomCount(_ c: Client, _ arg: RBytes) -> Int64? {
        guard let n = Numbers.parseInt64(arg) else {
            c.error(Errors.notInteger)
            return nil
        }
        guard n != Int64.min else {
            c.error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
            return nil
        }
        return n
    }

    /// HRANDFIELD key [count [WITHVALUES]]
    static func hrandfield(_ c: Client) {
        guard c.argv.count >= 3 else {
            guard let hash = existingHash(c, c.argv[1], missing: { c.reply.null() }) else { return }
            c.reply.bulk(hash.randomPair().field)
            return
        }
        guard let n = parseRandomCount(c, c.argv[2]) else { return }
        var withValues = false
        if c.argv.count > 4 || (c.argv.count == 4 && !c.argv[3].equalsIgnoringCase("WITHVALUES")) {
            c.error(Errors.syntax)
            return
        }
        if c.argv.count == 4 {
            withValues = true
            guard n >= -(Int64.max / 2) && n <= Int64.max / 2 else {
                c.error("ERR value is out of range")
                return
            }
        }
        guard let hash = existingHash(c, c.argv[1], missing: { c.reply.arrayHeader(0) }) else { return }
        let unique = n >= 0
        let count = n.magnitude
        let size = hash.count
        if count == 0 {
            c.reply.arrayHeader(0)
            return
        }
        let resp3Pairs = withValues && c.resp > 2
        func header(_ elements: Int) {
            c.reply.arrayHeader(withValues && !resp3Pairs ? elements * 2 : elements)
        }
        func emit(_ field: RBytes, _ value: RBytes) {
            if resp3Pairs { c.reply.arrayHeader(2) }
            c.reply.bulk(field)
            if withValues { c.reply.bulk(value) }
        }

        // Negative count (or 1): sampled with replacement, in random order.
        if !unique || count == 1 {
            header(Int(count))
            for _ in 0..<count {
                let p = hash.randomPair()
                emit(p.field, p.value)
            }
            return
        }
        // A count covering the hash: the whole hash, in storage order.
        if count >= UInt64(size) {
            header(size)
            hash.forEach(emit)
            return
        }
        let picked = hash.randomDistinctPairs(Int(count))
        header(picked.count)
        for p in picked { emit(p.field, p.value) }
    }

    /// HSCAN key cursor [MATCH pattern] [COUNT count]
    static func hscan(_ c: Client) {
        guard let cursor = ScanOptions.parseCursor(c.argv[2]) else {
            c.error("ERR invalid cursor")
            return
        }
        guard let hash = existingHash(c, c.argv[1], missing: { emptyScan(c) }) else { return }
        guard let options = ScanOptions.parse(c, from: 3) else { return }
        var found: [HashObject.Pair] = []
        // Redis gathers fields and values as separate elements and doubles COUNT (and so the work bound) to match.
        var work = options
        work.count = options.count > Int64.max / 2 ? Int64.max : options.count * 2
        let next = work.drive(from: cursor, gathered: { found.count * 2 }) { cur in
            hash.scan(cursor: cur) { found.append(($0, $1)) }
        }
        let kept = found.filter { options.matches($0.field) }
        c.reply.arrayHeader(2)
        c.reply.bulk(String(next))
        c.reply.arrayHeader(kept.count * 2)
        for p in kept {
            c.reply.bulk(p.field)
            c.reply.bulk(p.value)
        }
    }

    /// The reply of a scan over a missing key: cursor 0, no elements.
    static func emptyScan(_ c: Client) {
        c.reply.arrayHeader(2)
        c.reply.bulk("0")
        c.reply.arrayHeader(0)
    }
}
