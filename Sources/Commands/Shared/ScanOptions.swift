import Kernel

/// The options after a SCAN-family cursor: `[MATCH pattern] [COUNT count]`, plus `[TYPE type]` for SCAN.
struct ScanOptions {
    /// nil matches everything (no pattern, or `*`).
    var pattern: RBytes?
    var count: Int64 = 10
    /// SCAN's TYPE filter.
    var type: RBytes?

    /// Parses `c.argv[start...]` as Redis's `scanGenericCommand` does; replies the error and returns nil on bad
    /// input. TYPE is a syntax error unless `allowType` (only SCAN has it).
    static func parse(_ c: Client, from start: Int, allowType: Bool = false) -> ScanOptions? {
        var options = ScanOptions()
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
            } else if allowType && arg.equalsIgnoringCase("TYPE") && hasValue {
                options.type = c.argv[i + 1]
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

    /// Parses a SCAN cursor the way Redis does (`strtoul` base 10): an optional sign, decimal digits, no leading
    /// space, nothing after (up to a NUL byte, where C stops reading), no overflow. A negative number wraps modulo
    /// 2^64 and the empty string is cursor 0, as with `strtoul`.
    static func parseCursor(_ arg: RBytes) -> UInt64? {
        arg.withUnsafeBytes { p -> UInt64? in
            var end = p.count
            if let nul = p.firstIndex(of: 0) { end = nul }
            if end == 0 { return 0 }
            let first = p[0]
            if first == 32 || (first >= 9 && first <= 13) { return nil }
            var i = 0
            var negative = false
            if first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
                negative = first == UInt8(ascii: "-")
                i = 1
            }
            guard i < end else { return nil }
            var v: UInt64 = 0
            while i < end {
                let d = p[i] &- 48
                guard d <= 9 else { return nil }
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(d))
                guard !o1 && !o2 else { return nil }
                v = a
                i += 1
            }
            return negative ? 0 &- v : v
        }
    }
}
