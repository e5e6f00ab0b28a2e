/// Redis's glob matcher (`stringmatchlen`): `*`, `?`, `[abc]`, `[^a-z]` and `\` escapes.
/// Used by KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE and ACL patterns alike.
public enum Glob {
    /// Whether `string` matches `pattern`.
    public static func matches(_ pattern: RBytes, _ string: RBytes, ignoringCase: Bool = false) -> Bool {
        pattern.withUnsafeBytes { p in
            string.withUnsafeBytes { s in
                matches(pattern: p, string: s, ignoringCase: ignoringCase)
            }
        }
    }

    /// Whether `string` matches `pattern`, on raw bytes.
    public static func matches(pattern: UnsafeRawBufferPointer, string: UnsafeRawBufferPointer, ignoringCase: Bool = false) -> Bool {
        var skipLonger = false
        return match(pattern, 0, string, 0, ignoringCase, &skipLonger, 0)
    }

    @inline(__always)
    private static func fold(_ c: UInt8, _ nocase: Bool) -> UInt8 {
        (nocase && c >= 65 && c <= 90) ? c | 0x20 : c
    }

    private static func match(_ pat: UnsafeRawBufferPointer, _ pStart: Int, _ str: UnsafeRawBufferPointer, _ sStart: Int,
                              _ nocase: Bool, _ skipLonger: inout Bool, _ nesting: Int) -> Bool {
        // Like Redis, give up on pathological nesting rather than recurse without bound.
        if nesting > 1000 { return false }
        var p = pStart, s = sStart
        let pn = pat.count, sn = str.count
        while p < pn && s < sn {
            switch pat[p] {
            case UInt8(ascii: "*"):
                while p + 1 < pn && pat[p + 1] == UInt8(ascii: "*") { p += 1 }
                if p + 1 == pn { return true }
                while s < sn {
                    if match(pat, p + 1, str, s, nocase, &skipLonger, nesting + 1) { return true }
                    if skipLonger { return false }
                    s += 1
                }
                skipLonger = true
                return false
            case UInt8(ascii: "?"):
                s += 1
            case UInt8(ascii: "["):
                p += 1
                let negate = p < pn && pat[p] == UInt8(ascii: "^")
                if negate { p += 1 }
                var matched = false
                let c = fold(str[s], nocase)
                while true {
                    if p < pn && pat[p] == UInt8(ascii: "\\") && pn - p >= 2 {
                        p += 1
                        if fold(pat[p], nocase) == c { matched = true }
                    } else if p >= pn {
                        p -= 1
                        break
                    } else if pat[p] == UInt8(ascii: "]") {
                        break
                    } else if pn - p >= 3 && pat[p + 1] == UInt8(ascii: "-") {
                        var lo = fold(pat[p], nocase), hi = fold(pat[p + 2], nocase)
                        if lo > hi { swap(&lo, &hi) }
                        p += 2
                        if c >= lo && c <= hi { matched = true }
                    } else if fold(pat[p], nocase) == c {
                        matched = true
                    }
                    p += 1
                }
                if negate { matched.toggle() }
                if !matched { return false }
                s += 1
            case UInt8(ascii: "\\"):
                if pn - p >= 2 { p += 1 }
                if fold(pat[p], nocase) != fold(str[s], nocase) { return false }
                s += 1
            default:
                if fold(pat[p], nocase) != fold(str[s], nocase) { return false }
                s += 1
            }
            p += 1
            if s == sn {
                while p < pn && pat[p] == UInt8(ascii: "*") { p += 1 }
                break
            }
        }
        return p == pn && s == sn
    }
}
