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
