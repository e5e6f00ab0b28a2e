import NIOCore
import Testing
@testable import Kernel

@Suite("ReplyWriter")
struct ReplyWriterTests {
    func written(resp: Int, _ body: (inout ReplyWriter) -> Void) -> String {
        var w = ReplyWriter(buffer: ByteBuffer())
        w.resp = resp
        body(&w)
        return String(buffer: w.buffer)
    }

    @Test("nulls differ between RESP2 and RESP3")
    func nulls() {
        #expect(written(resp: 2) { $0.null() } == "$-1\r\n")
        #expect(written(resp: 3) { $0.null() } == "_\r\n")
        #expect(written(resp: 2) { $0.nullArray() } == "*-1\r\n")
    }

    @Test("maps are flat arrays in RESP2")
    func maps() {
        #expect(written(resp: 2) { $0.mapHeader(2) } == "*4\r\n")
        #expect(written(resp: 3) { $0.mapHeader(2) } == "%2\r\n")
    }

    @Test("doubles are bulk strings in RESP2")
    func doubles() {
        #expect(written(resp: 2) { $0.double(1.5) } == "$3\r\n1.5\r\n")
        #expect(written(resp: 3) { $0.double(1.5) } == ",1.5\r\n")
    }

    @Test("doubles print as %.17g: integral values without snprintf, the rest through it, in both protocols",
          arguments: [0.0, -0.0, 1.0, -7.0, 1e16, 99999999999999984.0, 1e17, 1.5, 0.1, -3.25e-7, 1e300, 123456789012345678.0,
                      -1.7976931348623157e308, 5e-324, Double.infinity, -Double.infinity])
    func doubleFormats(d: Double) {
        let text: String
        if d.isInfinite {
            text = d > 0 ? "inf" : "-inf"
        } else {
            text = Numbers.cFormat("%.17g", d).map { String(UnicodeScalar($0)) }.joined()
        }
        #expect(written(resp: 2) { $0.double(d) } == "$\(text.utf8.count)\r\n\(text)\r\n")
        #expect(written(resp: 3) { $0.double(d) } == ",\(text)\r\n")
        #expect(Numbers.formatDouble(d).string == text)
    }

    @Test("bulk strings of every inline length (0–22) and just past it carry their bytes")
    func bulkInlineLengths() {
        for length in 0...24 {
            let s = String((0..<length).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
            #expect(written(resp: 2) { $0.bulk(RBytes(s)) } == "$\(length)\r\n\(s)\r\n")
        }
    }

    @Test("a deferred array length is inserted before its elements")
    func deferred() {
        let s = written(resp: 2) { w in
            let d = w.deferLength()
            for i in 0..<12 { w.integer(i) }
            w.setArrayLength(d, 12)
        }
        #expect(s.hasPrefix("*12\r\n:0\r\n:1\r\n"))
        #expect(s.hasSuffix(":11\r\n"))
    }

    @Test("errors never contain newlines")
    func errorsAreOneLine() {
        #expect(written(resp: 2) { $0.error("ERR a\r\nb") } == "-ERR a  b\r\n")
    }
}
