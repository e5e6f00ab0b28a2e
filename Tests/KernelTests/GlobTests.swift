import Testing
@testable import Kernel

@Suite("Glob")
struct GlobTests {
    @Test("patterns match as Redis's stringmatchlen does", arguments: [
        ("*", "anything", true), ("h?llo", "hello", true), ("h?llo", "hllo", false),
        ("h*llo", "heeeello", true), ("h[ae]llo", "hallo", true), ("h[ae]llo", "hillo", false),
        ("h[^e]llo", "hallo", true), ("h[^e]llo", "hello", false), ("h[a-b]llo", "hbllo", true),
        ("h[b-a]llo", "hallo", true), ("h\\*llo", "h*llo", true), ("h\\*llo", "hello", false),
        ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false), ("*", "", false), ("", "", true),
        ("[abc", "a", true), ("user:*", "user:1000", true), ("[\\]]", "]", true),
    ])
    func matching(pattern: String, string: String, expected: Bool) {
        #expect(Glob.matches(RBytes(pattern), RBytes(string)) == expected)
    }

    @Test("case can be ignored")
    func ignoringCase() {
        #expect(Glob.matches("MAXMEM*", "maxmemory", ignoringCase: true))
        #expect(!Glob.matches("MAXMEM*", "maxmemory"))
    }

    @Test("pathological patterns finish quickly")
    func pathological() {
        let pattern = RBytes(String(repeating: "a*", count: 30) + "b")
        let string = RBytes(String(repeating: "a", count: 60))
        #expect(!Glob.matches(pattern, string))
    }
}
