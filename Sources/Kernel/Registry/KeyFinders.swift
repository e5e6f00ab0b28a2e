/// Key finders shared by commands whose keys follow a count argument (`numkeys`): Redis 7.0's genericGetKeys,
/// the one finder of ZUNIONSTORE, ZUNION, LMPOP, BLMPOP, SINTERCARD, ZINTERCARD, ZMPOP, EVAL, FCALL, ...
public enum KeyFinders {
    /// Keys announced by the count at `countIndex` (the keys follow it), plus the destination at `storeIndex`
    /// (0: none). A count below 1 or larger than the arguments that follow gives no keys at all, not even the
    /// destination, and the count is read as C's atoi reads it (`2x` is 2, `x` is 0), as Redis does.
    public static func numkeys(at countIndex: Int, storeKey storeIndex: Int = 0) -> @Sendable ([RBytes]) -> [Int] {
        { argv in
            guard countIndex < argv.count else { return [] }
            let n = atoi(argv[countIndex])
            let first = countIndex + 1
            guard n >= 1, n <= Int64(argv.count - first) else { return [] }
            var keys = Array(first..<(first + Int(n)))
            if storeIndex > 0 { keys.append(storeIndex) }  // the destination comes last, as in genericGetKeys
            return keys
        }
    }

    /// C's atoi: leading blanks, an optional sign, then digits up to the first other byte (0 when none).
    static func atoi(_ b: RBytes) -> Int64 {
        b.withUnsafeBytes { p -> Int64 in
            var i = 0
            while i < p.count, p[i] == 0x20 || (p[i] >= 0x09 && p[i] <= 0x0d) { i += 1 }
            var negative = false
            if i < p.count, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") {
                negative = p[i] == UInt8(ascii: "-")
                i += 1
            }
            var v: Int64 = 0
            while i < p.count, p[i] >= UInt8(ascii: "0"), p[i] <= UInt8(ascii: "9") {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(p[i] - UInt8(ascii: "0")))
                if o1 || o2 { return negative ? Int64.min : Int64.max }
                v = a
                i += 1
            }
            return negative ? -v : v
        }
    }
}
