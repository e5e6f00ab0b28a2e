import NIOCore
import Testing
@testable import Kernel

@Suite("RequestParser")
struct RequestParserTests {
    func parseAll(_ text: String, chunk: Int = Int.max) throws(RequestParser.Failure) -> [[String]] {
        var parser = RequestParser()
        var buffer = ByteBuffer()
        var argv: [RBytes] = []
        var out: [[String]] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + chunk)
            buffer.writeBytes(bytes[i..<end])
            i = end
            while try parser.parse(&buffer, into: &argv) == .command { out.append(argv.map(\.string)) }
            buffer.discardReadBytes()
        }
        return out
    }

    @Test("multibulk commands decode, whole or byte by byte", arguments: [Int.max, 1, 3])
    func multibulk(chunk: Int) throws {
        let cmds = try parseAll("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*1\r\n$4\r\nPING\r\n", chunk: chunk)
        #expect(cmds == [["SET", "k", "hello"], ["PING"]])
    }

    @Test("the previous command's arguments are overwritten in place and cut to the new count")
    func argumentsOverwrittenInPlace() throws {
        var parser = RequestParser()
        var argv: [RBytes] = []
        var buffer = ByteBuffer()
        let first = ["EVALSHA", String(repeating: "a", count: 40), "1", "counter:000000000001"]
        let second = ["INCR", "counter:000000000002"]
        for cmd in [first, second, first] {
            var wire = "*\(cmd.count)\r\n"
            for a in cmd { wire += "$\(a.utf8.count)\r\n\(a)\r\n" }
            buffer.writeString(wire)
        }
        #expect(try parser.parse(&buffer, into: &argv) == .command)
        #expect(argv.map(\.string) == first)
        let kept = argv  // held by a command (MULTI's queue, an effect): must not change
        #expect(try parser.parse(&buffer, into: &argv) == .command)
        #expect(argv.map(\.string) == second)
        #expect(kept.map(\.string) == first)
        #expect(try parser.parse(&buffer, into: &argv) == .command)
        #expect(argv.map(\.string) == first)
        // An incomplete command after a complete one starts from an empty vector.
        buffer.writeString("*2\r\n$4\r\nINCR\r\n$20\r\ncounter")
        #expect(try parser.parse(&buffer, into: &argv) == .needMoreData)
        buffer.writeString(":000000000003\r\n")
        #expect(try parser.parse(&buffer, into: &argv) == .command)
        #expect(argv.map(\.string) == ["INCR", "counter:000000000003"])
    }

    @Test("inline commands split on spaces and honour quotes")
    func inline() throws {
        let cmds = try parseAll("SET a \"hello world\"\r\nGET 'a'\n\r\n")
        #expect(cmds == [["SET", "a", "hello world"], ["GET", "a"]])
    }

    @Test("escapes in double quotes are decoded")
    func inlineEscapes() throws {
        let cmds = try parseAll("ECHO \"a\\x41\\n\"\r\n")
        #expect(cmds == [["ECHO", "aA\n"]])
    }

    @Test("bad frames give Redis's protocol errors", arguments: [
        ("*99999999999\r\n", "invalid multibulk length"),
        ("*abc\r\n", "invalid multibulk length"),
        ("*1\r\n$-5\r\n", "invalid bulk length"),
        ("*1\r\n+OK\r\n", "expected '$', got '+'"),
        ("SET \"a b\r\n", "unbalanced quotes in request"),
    ])
    func protocolErrors(input: String, message: String) {
        #expect(throws: RequestParser.Failure.protocolError(message)) { try parseAll(input) }
    }

    @Test("an inline line longer than 64 KiB is refused")
    func tooBigInline() {
        #expect(throws: RequestParser.Failure.protocolError("too big inline request")) {
            try parseAll(String(repeating: "a", count: 70_000))
        }
    }

    @Test("a bulk longer than proto-max-bulk-len is refused")
    func bulkLimit() {
        var parser = RequestParser()
        parser.maxBulkLength = 10
        var buffer = ByteBuffer(string: "*1\r\n$11\r\n")
        var argv: [RBytes] = []
        #expect(throws: RequestParser.Failure.protocolError("invalid bulk length")) {
            _ = try parser.parse(&buffer, into: &argv)
        }
    }

    @Test("empty multibulk and blank lines are skipped")
    func emptyCommands() throws {
        #expect(try parseAll("*0\r\n\r\n*-1\r\nPING\r\n") == [["PING"]])
    }
    @Test("a line without quotes splits into the same words as the general splitter")
    func unquotedFastPathMatchesSplitter() {
        // Separators and the other bytes around them, in random lines (seeded).
        let alphabet: [UInt8] = [32, 9, 10, 11, 12, 13, 65, 66, 0x5C, 0x7F, 0xFF, 120]
        var rng = SplitMix(seed: 18)
        for _ in 0..<20_000 {
            let line = (0..<Int(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            line.withUnsafeBytes { p in
                var fast: [RBytes] = []
                #expect(InlineSplitter.splitUnquoted(p, into: &fast))
                #expect(fast == InlineSplitter.split(p), "line \(line)")
            }
        }
        var untouched: [RBytes] = []
        Array("GET 'a'".utf8).withUnsafeBytes { #expect(!InlineSplitter.splitUnquoted($0, into: &untouched)) }
        #expect(untouched.isEmpty)
    }
}

/// A small seeded generator for the tests above.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
