import Kernel

// HRANDFIELD, HSCAN, and the option parsing HSCAN shares with SSCAN.

/// The options after an element-scan cursor (HSCAN, SSCAN): `[MATCH pattern] [COUNT count]`.
struct ElementScanOptions {
    /// nil matches everything (no pattern, or `*`).
    var pattern: RBytes?
    var count: Int64 = 10

    /// Parses `c.argv[start...]` as Redis's `scanGenericCommand` does; replies the error and returns nil on bad
    /// input. TYPE is a syntax error here (it only applies to SCAN).
    static func parse(_ c: Client, from start: Int) -> ElementScanOptions? {
        var options = ElementScanOptions()
        var i = start
        while i < c.argv.count {
            let arg = c.argv[i]
            let hasValue = i + 1 < c.argv.count
            if arg.equalsIgnoringCase("COUNT") && hasValue {
                guard let n = Numbers.parseInt64(c.argv[i + 1]) else {
                    c.error(Errors.notInteger)
                    return nil
                }
                guard n >= 1 else {
                    c.error(Errors.syntax)
                    return nil
                }
                options.count = n
            } else if arg.equalsIgnoringCase("MATCH") && hasValue {
                let p = c.argv[i + 1]
                options.pattern = p == "*" ? nil : p
            } else {
                c.error(Errors.syntax)
                return nil
            }
            i += 2
        }
        return options
    }

    /// Whether `element` passes the MATCH filter.
    func matches(_ element: RBytes) -> Bool {
        guard let pattern else { return true }
        return Glob.matches(pattern, element)
    }

    /// Runs `step` (one bucket per call, returning the next cursor and adding to the gathered count) the way
    /// Redis's `scanGenericCommand` drives `dictScan`: until the cursor wraps, about COUNT elements were gathered,
    /// or 10*COUNT buckets were visited. Returns the cursor to reply.
    func drive(from cursor: UInt64, gathered: () -> Int, step: (UInt64) -> UInt64) -> UInt64 {
        let (limit, overflow) = count.multipliedReportingOverflow(by: 10)
        var iterationsLeft = overflow ? Int64.max : limit
        var cursor = cursor
        repeat {
            cursor = step(cursor)
            if cursor == 0 || iterationsLeft == 0 { break }
            iterationsLeft -= 1
        } while gathered() < count
        return cursor
    }
}

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
        guard let cursor = KeysCommands.parseCursor(c.argv[2]) else {
            c.error("ERR invalid cursor")
            return
        }
        guard let hash = existingHash(c, c.argv[1], missing: { emptyScan(c) }) else { return }
        guard let options = ElementScanOptions.parse(c, from: 3) else { return }
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
