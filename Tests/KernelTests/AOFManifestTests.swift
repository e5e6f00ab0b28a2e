import Testing
@testable import Kernel

@Suite("AOF manifest")
struct AOFManifestTests {
    static let redisWritten = "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n"

    @Test("a manifest Redis wrote is read into base, history and incr files")
    func parsesRedisManifest() throws {
        let m = try AOFManifest.parse(Array(Self.redisWritten.utf8))
        #expect(m.base == .init(name: "appendonly.aof.2.base.rdb", seq: 2, type: .base))
        #expect(m.history.map(\.name) == ["appendonly.aof.1.incr.aof"])
        #expect(m.incrs.map(\.seq) == [2, 3])
        #expect(m.currentBaseSeq == 2 && m.currentIncrSeq == 3)
    }

    @Test("writing a parsed manifest gives back Redis's text")
    func roundTrips() throws {
        let m = try AOFManifest.parse(Array(Self.redisWritten.utf8))
        #expect(String(decoding: m.serialized(), as: UTF8.self) == Self.redisWritten)
    }

    @Test("comments, blank lines and unknown keys are skipped")
    func skipsCommentsAndUnknownKeys() throws {
        let text = "# written by hand\n\nfile a.1.incr.aof seq 1 type i future yes\n"
        let m = try AOFManifest.parse(Array(text.utf8))
        #expect(m.incrs.map(\.name) == ["a.1.incr.aof"])
    }

    @Test("file names with spaces are quoted and read back")
    func quotesNames() throws {
        var m = AOFManifest()
        m.incrs = [.init(name: "my file.1.incr.aof", seq: 1, type: .incr)]
        let text = String(decoding: m.serialized(), as: UTF8.self)
        #expect(text == "file \"my file.1.incr.aof\" seq 1 type i\n")
        #expect(try AOFManifest.parse(m.serialized()).incrs[0].name == "my file.1.incr.aof")
    }

    @Test("malformed manifests are refused with the offending line's offset", arguments: [
        ("file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information", 20),
        ("file a seq 1 type i\nfile b seq 1 type i\n", "Found a non-monotonic sequence number", 20),
        ("file a seq 1\n", "Invalid AOF manifest file format", 0),
        ("file a seq 1 type x\n", "Invalid AOF manifest file format", 0),
        ("file \"a seq 1 type i\n", "Invalid AOF manifest file format", 0),
        ("file d/a seq 1 type i\n", "File can't be a path, just a filename", 0),
        ("file a seq 1 type i", "The AOF manifest file is invalid format", 0),
        ("# only a comment\n", "Found an empty AOF manifest", 0),
    ])
    func refusesMalformed(text: String, message: String, offset: Int) {
        #expect(throws: AOFManifest.ParseError(message: message, offset: offset)) {
            try AOFManifest.parse(Array(text.utf8))
        }
    }

    @Test("over-long lines are refused")
    func refusesLongLines() {
        let text = "file " + String(repeating: "a", count: 2000) + " seq 1 type i\n"
        #expect(throws: AOFManifest.ParseError.self) { try AOFManifest.parse(Array(text.utf8)) }
    }
}

@Suite("AOF command reader")
struct AOFCommandReaderTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("a whole command is decoded with the offset after it")
    func decodesCommand() throws {
        let b = Self.bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n*1\r\n")
        #expect(try AOFCommandReader.next(b, from: 0) == .command(["SET", "k", "vv"], end: 28))
    }

    @Test("timestamp annotations are skipped")
    func skipsAnnotations() throws {
        let b = Self.bytes("#TS:1700000000\r\n*1\r\n$4\r\nPING\r\n")
        #expect(try AOFCommandReader.next(b, from: 0) == .annotation(end: 16))
        #expect(try AOFCommandReader.next(b, from: 16) == .command(["PING"], end: b.count))
    }

    @Test("every cut inside a command is incomplete, never an error")
    func cutsAreIncomplete() throws {
        let b = Self.bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nvv\r\n")
        for n in 0..<b.count {
            #expect(try AOFCommandReader.next(Array(b[0..<n]), from: 0) == .incomplete)
        }
    }

    @Test("bytes that are not a command are an error naming the offset", arguments: [
        ("+OK\r\n", 0), ("*0\r\n", 0), ("*1\r\n:4\r\n", 4), ("*1\r\n$2\r\nabc\r\n", 10), ("*1x\r\n", 2),
        ("*1\r\n$-1\r\n", 4), ("*99999999999999999999\r\n", 1),
    ])
    func formatErrors(text: String, offset: Int) {
        #expect(throws: AOFCommandReader.FormatError(message: "Bad file format reading the append only file", offset: offset)) {
            try AOFCommandReader.next(Self.bytes(text), from: 0)
        }
    }

    @Test("encode writes what next reads back, binary-safe")
    func encodeRoundTrips() throws {
        let argv: [RBytes] = ["HSET", RBytes([0, 13, 10, 255]), RBytes(String(repeating: "x", count: 300)), ""]
        var out: [UInt8] = []
        AOFCommandReader.encode(argv, into: &out)
        #expect(try AOFCommandReader.next(out, from: 0) == .command(argv, end: out.count))
    }
}

@Suite("AOF check")
struct AOFCheckTests {
    @Test("a valid file is ok up to its end, counting lines as redis-check-aof")
    func validFile() {
        let r = AOFCheck.check(Array("#TS:1\r\n*1\r\n$4\r\nPING\r\n".utf8), line: 1)
        #expect(r == AOFCheck.FileReport(okUpTo: 21, line: 4, error: nil))
    }

    @Test("a truncated bulk reports where the read started")
    func truncated() {
        let r = AOFCheck.check(Array("*1\r\n$4\r\nPI".utf8), line: 1)
        #expect(r.okUpTo == 0)
        #expect(r.error == "0x               8: Expected to read 6 bytes, got 2 bytes")
    }

    @Test("an unfinished MULTI is not ok")
    func unfinishedMulti() {
        let r = AOFCheck.check(Array("*1\r\n$5\r\nMULTI\r\n*1\r\n$4\r\nPING\r\n".utf8), line: 1)
        #expect(r.okUpTo == 0)
        #expect(r.error?.hasSuffix("Reached EOF before reading EXEC for MULTI") == true)
    }
}
