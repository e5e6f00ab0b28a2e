import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes replies in Redis's vocabulary (`addReply*` of networking.c) straight into an outbound buffer, hiding the
/// differences between RESP2 and RESP3: maps become flat arrays, sets arrays, doubles bulk strings, and so on.
public struct ReplyWriter {
    /// The bytes written so far.
    public var buffer: ByteBuffer
    /// 2 or 3, as chosen by HELLO.
    public var resp: Int = 2

    /// Set by a script around its nested calls: a reply that is one integer is kept in `capturedInteger` instead
    /// of being encoded (the script would only decode it back into a Lua number).
    public var capturesInteger = false
    /// The integer reply kept while `capturesInteger` was set (the buffer is then empty).
    public var capturedInteger: Int64?

    public init(buffer: ByteBuffer) { self.buffer = buffer }

    /// Writes `prefix`, the decimal `n` and CRLF with one capacity check.
    @inline(__always)
    mutating func header(_ prefix: UInt8, _ n: Int) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            out[0] = prefix
            let len = 1 + Numbers.writeDecimal(Int64(n), into: UnsafeMutableRawBufferPointer(rebasing: out[1...]))
            out[len] = 13
            out[len + 1] = 10
            return len + 2
        }
    }

    @inline(__always)
    mutating func writeDecimal(_ v: Int64) {
        if v >= 0 && v < 10 {
            buffer.writeInteger(UInt8(48 + v))
            return
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { p in
            Numbers.writeDecimal(v, into: p)
        }
    }

    /// `+OK` style status.
    public mutating func status(_ s: StaticString) {
        buffer.writeInteger(UInt8(ascii: "+"))
        buffer.writeStaticString(s)
        buffer.writeStaticString("\r\n")
    }

    /// A status from a runtime string (no CR/LF allowed).
    public mutating func status(_ s: String) {
        buffer.writeInteger(UInt8(ascii: "+"))
        buffer.writeString(s)
        buffer.writeStaticString("\r\n")
    }

    /// A status from bytes (no CR/LF allowed).
    public mutating func status(bytes s: RBytes) {
        buffer.writeInteger(UInt8(ascii: "+"))
        s.withUnsafeBytes { _ = buffer.writeBytes($0) }
        buffer.writeStaticString("\r\n")
    }

    @inlinable
    public mutating func ok() { buffer.writeStaticString("+OK\r\n") }

    /// An error; `message` starts with its code (`ERR ...`, `WRONGTYPE ...`). Newlines become spaces.
    public mutating func error(_ message: String) {
        buffer.writeInteger(UInt8(ascii: "-"))
        // Like Redis, each CR or LF byte becomes a space so the error stays one protocol line.
        for byte in message.utf8 {
            buffer.writeInteger(byte == 13 || byte == 10 ? UInt8(ascii: " ") : byte)
        }
        buffer.writeStaticString("\r\n")
    }

    /// An error line from raw bytes (Redis formats names and arguments into errors byte for byte).
    public mutating func error(bytes message: [UInt8]) {
        buffer.writeInteger(UInt8(ascii: "-"))
        for byte in message {
            buffer.writeInteger(byte == 13 || byte == 10 ? UInt8(ascii: " ") : byte)
        }
        buffer.writeStaticString("\r\n")
    }

    public mutating func integer(_ v: Int64) {
        if capturesInteger && capturedInteger == nil && buffer.writerIndex == 0 {
            capturedInteger = v
            return
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { out in
            out[0] = UInt8(ascii: ":")
            let len = 1 + Numbers.writeDecimal(v, into: UnsafeMutableRawBufferPointer(rebasing: out[1...]))
            out[len] = 13
            out[len + 1] = 10
            return len + 2
        }
    }

    @inlinable
    public mutating func integer(_ v: Int) { integer(Int64(v)) }

    public mutating func bulk(_ b: RBytes) {
        switch b.storage {
        case let .inline(w0, w1, n):
            // The common short value: header, both words and CRLF in one reservation, no copy of the string.
            let len = Int(n)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 32) { out in
                out[0] = UInt8(ascii: "$")
                var i: Int
                if len >= 10 {
                    out[1] = UInt8(48 + len / 10)
                    out[2] = UInt8(48 + len % 10)
                    i = 3
                } else {
                    out[1] = UInt8(48 + len)
                    i = 2
                }
                out[i] = 13
                out[i + 1] = 10
                i += 2
                out.storeBytes(of: w0.littleEndian, toByteOffset: i, as: UInt64.self)
                out.storeBytes(of: w1.littleEndian, toByteOffset: i + 8, as: UInt64.self)
                i += len
                out[i] = 13
                out[i + 1] = 10
                return i + 2
            }
        case .heap(let a):
            a.withUnsafeBytes { bulk(bytes: $0) }
        }
    }

    public mutating func bulk(bytes p: UnsafeRawBufferPointer) {
        let n = p.count
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n + 26) { out in
            out[0] = UInt8(ascii: "$")
            var i = 1 + Numbers.writeDecimal(Int64(n), into: UnsafeMutableRawBufferPointer(rebasing: out[1...]))
            out[i] = 13
            out[i + 1] = 10
            i += 2
            if n > 0 { out.baseAddress!.advanced(by: i).copyMemory(from: p.baseAddress!, byteCount: n) }
            i += n
            out[i] = 13
            out[i + 1] = 10
            return i + 2
        }
    }

    public mutating func bulk(_ s: String) {
        header(UInt8(ascii: "$"), s.utf8.count)
        buffer.writeString(s)
        buffer.writeStaticString("\r\n")
    }

    /// A stream ID (`<ms>-<seq>`) as a bulk string, formatted straight into the buffer.
    public mutating func bulk(_ id: StreamID) {
        id.withText { bulk(bytes: $0) }
    }

    public mutating func bulk(_ v: Int64) {
        bulk(Numbers.format(v))
    }

    /// The null bulk string (`$-1` / `_`).
    public mutating func null() {
        if resp == 2 { buffer.writeStaticString("$-1\r\n") } else { buffer.writeStaticString("_\r\n") }
    }

    /// The null array (`*-1` / `_`).
    public mutating func nullArray() {
        if resp == 2 { buffer.writeStaticString("*-1\r\n") } else { buffer.writeStaticString("_\r\n") }
    }

    public mutating func arrayHeader(_ n: Int) { header(UInt8(ascii: "*"), n) }

    /// A map of `n` pairs (a flat array of 2n in RESP2).
    public mutating func mapHeader(_ n: Int) {
        if resp == 2 { header(UInt8(ascii: "*"), n * 2) } else { header(UInt8(ascii: "%"), n) }
    }

    /// A set of `n` elements (an array in RESP2).
    public mutating func setHeader(_ n: Int) {
        if resp == 2 { header(UInt8(ascii: "*"), n) } else { header(UInt8(ascii: "~"), n) }
    }

    /// An out-of-band push of `n` elements (an array in RESP2).
    public mutating func pushHeader(_ n: Int) {
        if resp == 2 { header(UInt8(ascii: "*"), n) } else { header(UInt8(ascii: ">"), n) }
    }

    /// A double as Redis 7.0 replies it (`%.17g`; a bulk string in RESP2).
    public mutating func double(_ d: Double) {
        // `$<len>\r\n<text>\r\n` (RESP2) or `,<text>\r\n` (RESP3), the text formatted in place after room for
        // the longest header: %.17g is at most 24 bytes, so the length has two digits at most.
        let resp3 = resp > 2
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 48) { out in
            let textStart = resp3 ? 1 : 5
            let n = Numbers.writeDouble(d, into: UnsafeMutableRawBufferPointer(rebasing: out[textStart..<(textStart + 32)]))
            var i: Int
            if resp3 {
                out[0] = UInt8(ascii: ",")
                i = 1 + n
            } else {
                // Move the text right after the real header.
                out[0] = UInt8(ascii: "$")
                var h = 1
                if n >= 10 {
                    out[h] = UInt8(48 + n / 10)
                    h += 1
                }
                out[h] = UInt8(48 + n % 10)
                out[h + 1] = 13
                out[h + 2] = 10
                h += 3
                if h != textStart {
                    memmove(out.baseAddress! + h, out.baseAddress! + textStart, n)  // overlapping: memmove
                }
                i = h + n
            }
            out[i] = 13
            out[i + 1] = 10
            return i + 2
        }
    }

    /// A double whose text the command formatted itself (Redis's `addReplyHumanLongDouble`: GEOPOS coordinates):
    /// a bulk string in RESP2, a RESP3 double with exactly that text otherwise.
    public mutating func double(text: RBytes) {
        if resp == 2 {
            bulk(text)
        } else {
            buffer.writeInteger(UInt8(ascii: ","))
            text.withUnsafeBytes { _ = buffer.writeBytes($0) }
            buffer.writeStaticString("\r\n")
        }
    }

    /// A boolean (`#t`/`#f`; `:1`/`:0` in RESP2).
    public mutating func bool(_ b: Bool) {
        if resp == 2 { integer(b ? 1 : 0) } else { buffer.writeStaticString(b ? "#t\r\n" : "#f\r\n") }
    }

    /// A verbatim string (`=len\r\ntxt:...`; a bulk string in RESP2).
    public mutating func verbatim(_ s: String, format: StaticString = "txt") {
        if resp == 2 {
            bulk(s)
        } else {
            header(UInt8(ascii: "="), s.utf8.count + 4)
            buffer.writeStaticString(format)
            buffer.writeInteger(UInt8(ascii: ":"))
            buffer.writeString(s)
            buffer.writeStaticString("\r\n")
        }
    }

    /// A big number (`(digits`; a bulk string in RESP2).
    public mutating func bigNumber(_ digits: String) {
        if resp == 2 {
            bulk(digits)
        } else {
            buffer.writeInteger(UInt8(ascii: "("))
            buffer.writeString(digits)
            buffer.writeStaticString("\r\n")
        }
    }

    /// Already-encoded protocol bytes.
    public mutating func raw(_ bytes: [UInt8]) { buffer.writeBytes(bytes) }

    // MARK: - Deferred lengths

    /// A place for an aggregate header whose length is known only after its elements are written.
    public struct Deferred {
        let offset: Int
    }

    public mutating func deferLength() -> Deferred { Deferred(offset: buffer.writerIndex) }

    /// Inserts the array header at the deferred place.
    public mutating func setArrayLength(_ d: Deferred, _ n: Int) { insertHeader(d, UInt8(ascii: "*"), n) }

    /// Inserts a map header of `n` pairs at the deferred place.
    public mutating func setMapLength(_ d: Deferred, _ n: Int) {
        if resp == 2 { insertHeader(d, UInt8(ascii: "*"), 2 * n) } else { insertHeader(d, UInt8(ascii: "%"), n) }
    }

    /// Inserts a set header at the deferred place.
    public mutating func setSetLength(_ d: Deferred, _ n: Int) {
        if resp == 2 { insertHeader(d, UInt8(ascii: "*"), n) } else { insertHeader(d, UInt8(ascii: "~"), n) }
    }

    private mutating func insertHeader(_ d: Deferred, _ prefix: UInt8, _ n: Int) {
        let tail = buffer.getBytes(at: d.offset, length: buffer.writerIndex - d.offset) ?? []
        buffer.moveWriterIndex(to: d.offset)
        header(prefix, n)
        buffer.writeBytes(tail)
    }
}
