import Kernel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Range specifications

/// A range of a sorted set's order, given by its two ends (a score interval or a member interval).
protocol SortedSetRange {
    /// Whether no member can ever be in the range (min above max, or equal ends with one exclusive).
    var isEmpty: Bool { get }
    /// Whether a member is at or above the range's start.
    func aboveMin(_ member: RBytes, _ score: Double) -> Bool
    /// Whether a member is at or below the range's end.
    func belowMax(_ member: RBytes, _ score: Double) -> Bool
}

/// A score interval (`1.5`, `(1.5`, `-inf`, `+inf`): Redis's `zrangespec`.
struct ScoreRange: SortedSetRange {
    var min: Double
    var max: Double
    var minExclusive: Bool
    var maxExclusive: Bool

    static let parseError = "ERR min or max is not a float"

    /// Parses both ends as Redis's `zslParseRange` does, or nil.
    init?(min minArg: RBytes, max maxArg: RBytes) {
        guard let lo = Self.bound(minArg), let hi = Self.bound(maxArg) else { return nil }
        (min, minExclusive) = lo
        (max, maxExclusive) = hi
    }

    /// One end: an optional `(` (exclusive), then what C's `strtod` reads from the argument as a C string (it
    /// stops at a NUL byte; leading spaces and an empty string are accepted, overflow gives ±inf), all of it
    /// consumed, and not NaN.
    static func bound(_ arg: RBytes) -> (Double, Bool)? {
        arg.withUnsafeBytes { p -> (Double, Bool)? in
            let end = p.firstIndex(of: 0) ?? p.count
            let exclusive = end > 0 && p[0] == UInt8(ascii: "(")
            let start = exclusive ? 1 : 0
            var text = [CChar](repeating: 0, count: end - start + 1)
            for i in start..<end { text[i - start] = CChar(bitPattern: p[i]) }
            return text.withUnsafeBufferPointer { buf -> (Double, Bool)? in
                guard let base = buf.baseAddress else { return nil }
                var stop: UnsafeMutablePointer<CChar>?
                let v = strtod(base, &stop)
                guard let stop, stop.pointee == 0, !v.isNaN else { return nil }
                return (v, exclusive)
            }
        }
    }

    var isEmpty: Bool { min > max || (min == max && (minExclusive || maxExclusive)) }

    func aboveMin(_ member: RBytes, _ score: Double) -> Bool { minExclusive ? score > min : score >= min }

    func belowMax(_ member: RBytes, _ score: Double) -> Bool { maxExclusive ? score < max : score <= max }
}

/// A member interval (`[a`, `(a`, `-`, `+`): Redis's `zlexrangespec`.
struct LexRange: SortedSetRange {
    /// One end of the interval. A struct rather than an enum with an `RBytes` payload: the optimizer
    /// miscompiled that enum inside `(Bound, Bool)?` in release builds (Swift 6.3; seen as wrong LEX results).
    struct Bound {
        enum Kind { case minusInfinity, plusInfinity, value }
        let kind: Kind
        let bytes: RBytes

        static let minusInfinity = Bound(kind: .minusInfinity, bytes: RBytes())
        static let plusInfinity = Bound(kind: .plusInfinity, bytes: RBytes())
        static func value(_ b: RBytes) -> Bound { Bound(kind: .value, bytes: b) }
    }

    var min: Bound
    var max: Bound
    var minExclusive: Bool
    var maxExclusive: Bool

    static let parseError = "ERR min or max not valid string range item"

    /// Parses both ends as Redis's `zslParseLexRange` does, or nil.
    init?(min minArg: RBytes, max maxArg: RBytes) {
        guard let lo = Self.bound(minArg), let hi = Self.bound(maxArg) else { return nil }
        (min, minExclusive) = lo
        (max, maxExclusive) = hi
    }

    /// `+` and `-` (alone, or followed by a NUL byte as C sees it) are the infinities and count as exclusive;
    /// `(x` and `[x` are exclusive and inclusive bounds; anything else is an error.
    static func bound(_ arg: RBytes) -> (Bound, Bool)? {
        let bytes = arg.array
        guard let first = bytes.first else { return nil }
        let secondIsEnd = bytes.count == 1 || bytes[1] == 0
        if first == UInt8(ascii: "+") { return secondIsEnd ? (Bound.plusInfinity, true) : nil }
        if first == UInt8(ascii: "-") { return secondIsEnd ? (Bound.minusInfinity, true) : nil }
        if first == UInt8(ascii: "(") { return (Bound.value(RBytes(Array(bytes.dropFirst()))), true) }
        if first == UInt8(ascii: "[") { return (Bound.value(RBytes(Array(bytes.dropFirst()))), false) }
        return nil
    }

    /// Redis's `sdscmplex`: the infinities compare equal only to themselves.
    static func compare(_ a: Bound, _ b: Bound) -> Int {
        switch (a.kind, b.kind) {
        case (.minusInfinity, .minusInfinity), (.plusInfinity, .plusInfinity): return 0
        case (.minusInfinity, _), (_, .plusInfinity): return -1
        case (.plusInfinity, _), (_, .minusInfinity): return 1
        case (.value, .value): return RBytes.compare(a.bytes, b.bytes)
        }
    }

    var isEmpty: Bool {
        let c = Self.compare(min, max)
        return c > 0 || (c == 0 && (minExclusive || maxExclusive))
    }

    func aboveMin(_ member: RBytes, _ score: Double) -> Bool {
        let c = Self.compare(.value(member), min)
        return minExclusive ? c > 0 : c >= 0
    }

    func belowMax(_ member: RBytes, _ score: Double) -> Bool {
        let c = Self.compare(.value(member), max)
        return maxExclusive ? c < 0 : c <= 0
    }
}

// MARK: - Locating a range

extension SortedSetCommands {
    /// The ranks a range query visits, as Redis walks them: from the first member in range (the last, if
    /// `reverse`), skip `offset` members, then take members while they stay in range, at most `limit` of them
    /// (all if `limit` is negative). A negative offset selects nothing. With `reverse` the ranks are visited from
    /// the top of the returned range down.
    ///
    /// Member ranges are only meaningful when all scores are equal; for other sets Redis's answer depends on how
    /// it searches. A listpack is searched linearly here exactly as Redis does, so those answers match too.
    static func selectRanks<R: SortedSetRange>(_ z: SortedSetObject, _ r: R, reverse: Bool, offset: Int,
                                               limit: Int) -> Range<Int> {
        let n = z.count
        guard offset >= 0, n > 0, !r.isEmpty else { return 0..<0 }
        func above(_ i: Int) -> Bool {
            let e = z.element(at: i)
            return r.aboveMin(e.member, e.score)
        }
        func below(_ i: Int) -> Bool {
            let e = z.element(at: i)
            return r.belowMax(e.member, e.score)
        }
        // Redis first checks that the range overlaps the set at all.
        guard above(n - 1), below(0) else { return 0..<0 }
        let unlimited = limit < 0 || limit >= n
        if !reverse {
            var first = 0
            if z.isListpack {
                while first < n && !above(first) { first += 1 }
            } else {
                first = z.countPrefix { !r.aboveMin($0, $1) }
            }
            guard first < n, below(first), offset < n - first else { return 0..<0 }
            let start = first + offset
            var end = start
            if z.isListpack {
                while end < n && (unlimited || end - start < limit) && below(end) { end += 1 }
            } else {
                let stop = z.countPrefix { r.belowMax($0, $1) }
                end = Swift.max(start, unlimited ? stop : Swift.min(stop, start + limit))
            }
            return start..<end
        }
        var last = n - 1
        if z.isListpack {
            while last >= 0 && !below(last) { last -= 1 }
        } else {
            last = z.countPrefix { r.belowMax($0, $1) } - 1
        }
        guard last >= 0, above(last), offset <= last else { return 0..<0 }
        let top = last - offset
        var low = top + 1
        if z.isListpack {
            while low > 0 && (unlimited || top + 1 - low < limit) && above(low - 1) { low -= 1 }
        } else {
            let bottom = z.countPrefix { !r.aboveMin($0, $1) }
            low = Swift.min(top + 1, unlimited ? bottom : Swift.max(bottom, top + 1 - limit))
        }
        return low..<(top + 1)
    }

    /// The ranks of ZRANGE's `start stop` (negative counting from the end), or an empty range.
    static func rankRange(count n: Int, start: Int, end: Int, reverse: Bool) -> Range<Int> {
        var s = start, e = end
        if s < 0 { s += n }
        if e < 0 { e += n }
        if s < 0 { s = 0 }
        if s > e || s >= n { return 0..<0 }
        if e >= n { e = n - 1 }
        return reverse ? (n - 1 - e)..<(n - s) : s..<(e + 1)
    }
}

// MARK: - Counting and removing ranges

extension SortedSetCommands {
    /// ZCOUNT key min max
    static func zcount(_ c: Client) {
        guard let r = ScoreRange(min: c.argv[2], max: c.argv[3]) else {
            c.error(ScoreRange.parseError)
            return
        }
        countRange(c, r)
    }

    /// ZLEXCOUNT key min max
    static func zlexcount(_ c: Client) {
        guard let r = LexRange(min: c.argv[2], max: c.argv[3]) else {
            c.error(LexRange.parseError)
            return
        }
        countRange(c, r)
    }

    /// Replies how many members of the set at argv[1] are in `r` (0 for a missing key).
    static func countRange<R: SortedSetRange>(_ c: Client, _ r: R) {
        guard let z = existingSet(c, c.argv[1], missingReply: { $0.reply.integer(0) }) else { return }
        c.reply.integer(selectRanks(z, r, reverse: false, offset: 0, limit: -1).count)
    }

    /// ZREMRANGEBYRANK key start stop
    static func zremrangebyrank(_ c: Client) {
        guard let start = longArgument(c, c.argv[2]), let end = longArgument(c, c.argv[3]) else { return }
        removeRange(c, event: "zremrangebyrank") { rankRange(count: $0.count, start: start, end: end, reverse: false) }
    }

    /// ZREMRANGEBYSCORE key min max
    static func zremrangebyscore(_ c: Client) {
        guard let r = ScoreRange(min: c.argv[2], max: c.argv[3]) else {
            c.error(ScoreRange.parseError)
            return
        }
        removeRange(c, event: "zremrangebyscore") { selectRanks($0, r, reverse: false, offset: 0, limit: -1) }
    }

    /// ZREMRANGEBYLEX key min max
    static func zremrangebylex(_ c: Client) {
        guard let r = LexRange(min: c.argv[2], max: c.argv[3]) else {
            c.error(LexRange.parseError)
            return
        }
        removeRange(c, event: "zremrangebylex") { selectRanks($0, r, reverse: false, offset: 0, limit: -1) }
    }

    /// Removes the ranks `ranks` picks from the set at argv[1], sends `event`, deletes an emptied key, and
    /// replies how many members were removed.
    static func removeRange(_ c: Client, event: StaticString, ranks: (SortedSetObject) -> Range<Int>) {
        let key = c.argv[1]
        guard let z = existingSet(c, key, missingReply: { $0.reply.integer(0) }) else { return }
        let removed = z.removeRange(ranks(z))
        if removed > 0 {
            c.server.keyModified(c.db, key, changes: Int64(removed))
            c.server.notify(.zset, event, key, db: c.db.id)
            if z.count == 0 { deleteEmptied(c, key) }
        }
        c.reply.integer(removed)
    }
}
