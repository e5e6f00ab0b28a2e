import Foundation
import Kernel
import NIOCore
import Testing

/// Grammar-aware fuzzing of `RequestParser`: generated and mutated RESP multibulk and inline streams (lengths near
/// the limits, negative/huge/overflowing counts, partial frames, binary junk, pipelines). For every input the parse
/// must not crash, must end in one of Redis's protocol errors or in "need more data", and must give the same
/// commands and outcome whether the stream arrives whole, split at any single byte boundary, or in random pieces.
///
/// `FUZZ_SEED` and `FUZZ_ITERATIONS` (environment) choose the run; `make test` runs the short default,
/// `make fuzz` millions of inputs (in a release build).
@Suite("RequestParser fuzzing")
struct RequestParserFuzzTests {
    /// Redis 7.0's protocol error texts (networking.c), after "Protocol error: ".
    static let redisErrors: Set<String> = [
        "too big inline request", "unbalanced quotes in request", "too big mbulk count string",
        "invalid multibulk length", "unauthenticated multibulk length", "too big bulk count string",
        "invalid bulk length", "unauthenticated bulk length",
    ]

    static func isRedisError(_ e: RequestParser.Failure) -> Bool {
        switch e {
        case .queryBufferLimit: return true
        case .protocolError(let m):
            return redisErrors.contains(m) || (m.hasPrefix("expected '$', got '") && m.hasSuffix("'"))
        }
    }

    /// What a stream parses to: its commands, then the error that ended it (nil: waiting for more data).
    struct Outcome: Equatable {
        var commands: [[RBytes]] = []
        var failure: RequestParser.Failure?
    }

    static func parse(_ bytes: [UInt8], cuts: [Int], authenticated: Bool) -> Outcome {
        var parser = RequestParser()
        parser.authenticated = authenticated
        var buffer = ByteBuffer()
        var argv: [RBytes] = []
        var out = Outcome()
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            buffer.writeBytes(bytes[start..<end])
            start = end
            do {
                while try parser.parse(&buffer, into: &argv) == .command { out.commands.append(argv) }
            } catch {
                out.failure = error
                return out
            }
            buffer.discardReadBytes()
        }
        return out
    }

    // MARK: - Generation

    struct Gen {
        var rng: SeededRNG
        mutating func int(_ r: Range<Int>) -> Int { Int.random(in: r, using: &rng) }
        mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }
        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(int(0..<256)) } }

        mutating func count() -> String {
            switch int(0..<16) {
            case 0: return "-1"
            case 1: return "-\(int(2..<100_000))"
            case 2: return "2147483647"
            case 3: return "2147483648"
            case 4: return "9223372036854775807"
            case 5: return "9223372036854775808"
            case 6: return "99999999999999999999999"
            case 7: return "+\(int(0..<5))"
            case 8: return "0\(int(0..<5))"
            case 9: return " \(int(0..<5))"
            case 10: return ""
            case 11: return "\(int(0..<5))x"
            case 12: return "536870912"
            case 13: return "536870913"
            default: return "\(int(0..<6))"
            }
        }

        mutating func arg() -> [UInt8] {
            switch int(0..<10) {
            case 0: return bytes(int(0..<40))
            case 1 where chance(10): return Array(repeating: UInt8(ascii: "a"), count: int(16_380..<16_390))
            case 2: return []
            default: return Array("k\(int(0..<1000))".utf8)
            }
        }

        mutating func multibulk() -> [UInt8] {
            let n = int(0..<6)
            var out = Array("*\(n)\r\n".utf8)
            for _ in 0..<n {
                let a = arg()
                out += Array("$\(a.count)\r\n".utf8) + a + [13, 10]
            }
            return out
        }

        mutating func inline() -> [UInt8] {
            let words = ["GET", "SET", "\"a b\"", "'c d'", "\"\\x41\\n\"", "\"unbalanced", "'x", "\"a\"b", "  ", "\t",
                         "PING", "\\x00", "\"\\xZZ\""]
            var line: [UInt8] = []
            for _ in 0..<int(0..<6) { line += Array(words[int(0..<words.count)].utf8) + [32] }
            if chance(1) { line += Array(repeating: UInt8(ascii: "x"), count: int(65_530..<65_540)) }
            return line + (chance(50) ? [13, 10] : [10])
        }

        /// A frame that breaks the grammar somewhere: bad counts, bad prefixes, truncation, junk.
        mutating func broken() -> [UInt8] {
            switch int(0..<8) {
            case 0: return Array("*\(count())\r\n".utf8)
            case 1: return Array("*1\r\n$\(count())\r\n".utf8) + bytes(int(0..<8))
            case 2: return Array("*2\r\n$3\r\nGET\r\n".utf8) + [UInt8(int(0..<256))] + Array("3\r\nkey\r\n".utf8)
            case 3: let f = multibulk(); return Array(f.prefix(int(0..<(f.count + 1))))
            case 4: return bytes(int(1..<64))
            case 5: return Array("*1\r\n$3\r\nabcde\r\n".utf8)
            case 6 where chance(10): return Array("*".utf8) + Array(repeating: UInt8(ascii: "1"), count: int(65_530..<65_540))
            default: return Array("*3\r\n$3\r\nSET\r\n*1\r\n".utf8)
            }
        }

        mutating func stream() -> [UInt8] {
            var out: [UInt8] = []
            for _ in 0..<int(1..<5) {
                switch int(0..<10) {
                case 0..<4: out += multibulk()
                case 4..<6: out += inline()
                default: out += broken()
                }
            }
            // Mutations of the assembled stream.
            for _ in 0..<(chance(40) ? int(1..<4) : 0) where !out.isEmpty {
                let i = int(0..<out.count)
                switch int(0..<4) {
                case 0: out[i] = UInt8(int(0..<256))
                case 1: out.remove(at: i)
                case 2: out.insert(contentsOf: bytes(int(1..<4)), at: i)
                default: out.insert(contentsOf: out[i..<min(out.count, i + int(1..<20))], at: i)
                }
            }
            return out
        }
    }

    /// Equal outcomes, or outcomes that differ only where an over-long line was refused: like Redis, a header or
    /// inline line over 64 KiB is refused as "too big" when the buffer holds 64 KiB without its line end, and parsed
    /// (run, or refused as invalid) when the line end arrived in the same read. So one side may stop at "too big"
    /// where the other went on; up to that point both parsed the same commands.
    static func equivalent(_ a: Outcome, _ b: Outcome) -> Bool {
        if a == b { return true }
        return stoppedTooBig(a, before: b) || stoppedTooBig(b, before: a)
    }

    /// `short` ended in a "too big" error after a prefix of the commands `long` parsed.
    static func stoppedTooBig(_ short: Outcome, before long: Outcome) -> Bool {
        guard case .protocolError(let m)? = short.failure, m.hasPrefix("too big"),
              short.commands.count <= long.commands.count else { return false }
        return Array(long.commands.prefix(short.commands.count)) == short.commands
    }

    static func check(_ input: [UInt8], _ g: inout Gen) {
        let auth = g.chance(80)
        let whole = parse(input, cuts: [], authenticated: auth)
        if let f = whole.failure { #expect(isRedisError(f), "unexpected error \(f) for \(input.prefix(80))") }
        if input.count <= 200 {
            for cut in 0...input.count {
                let split = parse(input, cuts: [cut], authenticated: auth)
                #expect(equivalent(split, whole), "split at \(cut) differs for \(input)")
                if !equivalent(split, whole) { return }
            }
        }
        var cuts: [Int] = []
        var at = 0
        while at < input.count { at += g.int(1..<(g.chance(20) ? 4096 : 16)); cuts.append(at) }
        let pieces = parse(input, cuts: cuts.filter { $0 < input.count }, authenticated: auth)
        #expect(equivalent(pieces, whole), "random pieces differ for \(input.prefix(200)) (\(input.count) bytes)")
    }

    static var environmentSeed: UInt64 { ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap { UInt64($0) } ?? 17 }
    static var environmentIterations: Int {
        ProcessInfo.processInfo.environment["FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 1000
    }

    @Test("generated and mutated streams parse alike whole and split, ending only in Redis's protocol errors")
    func fuzz() {
        let seed = Self.environmentSeed
        let iterations = Self.environmentIterations
        var g = Gen(rng: SeededRNG(seed: seed))
        for _ in 0..<iterations { Self.check(g.stream(), &g) }
    }

    // MARK: - Regression inputs found by the end-to-end fuzzer (Tests/fuzz/e2e.py)

    @Test("a NUL byte before a header's line end waits for more data, as Redis's strchr")
    func nulInHeaderWaits() {
        let out = Self.parse(Array("*2\r\n$3\r\nGET\r\n".utf8) + [0] + Array("3\r\nkey\r\n".utf8), cuts: [],
                             authenticated: true)
        #expect(out == Outcome(commands: [], failure: nil))
        let count = Self.parse(Array("*1".utf8) + [0] + Array("\r\n$4\r\nPING\r\n".utf8), cuts: [], authenticated: true)
        #expect(count == Outcome(commands: [], failure: nil))
    }

    @Test("a NUL byte in an inline line waits for more data")
    func nulInInlineWaits() {
        let out = Self.parse(Array("PING\r\nDE".utf8) + [0] + Array(" \nPING\r\n".utf8), cuts: [], authenticated: true)
        #expect(out == Outcome(commands: [[RBytes("PING")]], failure: nil))
    }

    @Test("a line where '$' belongs is refused only once its CRLF is complete, with the raw byte")
    func expectedDollarNeedsWholeLine() {
        let partial = Self.parse(Array("*2\r\n$3\r\nGET\r\nx\r".utf8), cuts: [], authenticated: true)
        #expect(partial == Outcome(commands: [], failure: nil))
        let whole = Self.parse(Array("*2\r\n$3\r\nGET\r\n".utf8) + [0xE1] + Array("\r\n".utf8), cuts: [], authenticated: true)
        guard case .protocolError(let m)? = whole.failure else { Issue.record("no error"); return }
        #expect(RequestParser.errorLine(m) == Array("ERR Protocol error: expected '$', got '".utf8) + [0xE1, 39])
    }
}
