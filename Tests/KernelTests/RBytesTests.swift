import Testing
@testable import Kernel

@Suite("RBytes")
struct RBytesTests {
    @Test("short and long strings keep their bytes", arguments: [0, 1, 8, 9, 15, 16, 17, 100])
    func roundTrip(length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        let b = RBytes(bytes)
        #expect(b.count == length)
        #expect(b.array == bytes)
    }

    @Test("equal bytes are equal and hash alike whatever their origin")
    func equalityIsByContent() {
        let a = RBytes("hello world, long enough")
        let b = RBytes(Array("hello world, long enough".utf8))
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(RBytes("a") != RBytes("a\0"))
    }

    @Test("ordering is memcmp order, shorter prefix first")
    func ordering() {
        #expect(RBytes("a") < RBytes("b"))
        #expect(RBytes("a") < RBytes("aa"))
        #expect(RBytes([0xff]) > RBytes("z"))
    }

    @Test("lowercasing folds only ASCII letters", arguments: ["SET", "GeT", "CLIENT-KILL_x", "ABCDEFGHIJKLMNOP", "ÀB@[`{", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"])
    func lowercasing(s: String) {
        let expected = Array(s.utf8).map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        #expect(RBytes(s).lowercased().array == expected)
    }

    @Test("option names compare case-insensitively")
    func optionNames() {
        #expect(RBytes("ex").equalsIgnoringCase("EX"))
        #expect(!RBytes("exx").equalsIgnoringCase("EX"))
    }
}
