import Testing
@testable import Replication

@Suite("repl-stream-db in a master's image")
struct ReplicationImageAuxTests {
    /// "REDIS0010", then one aux field `repl-stream-db` with `value` already RDB-encoded.
    func image(_ value: [UInt8]) -> [UInt8] {
        Array("REDIS0010".utf8) + [0xFA, 14] + Array("repl-stream-db".utf8) + value + [0xFE, 0x00, 0xFF]
    }

    @Test("an int8-encoded value is read")
    func int8() { #expect(ReplicationImageAux.streamDb(in: image([0xC0, 0x03])) == 3) }

    @Test("an int16-encoded value is read little-endian")
    func int16() { #expect(ReplicationImageAux.streamDb(in: image([0xC1, 0x2C, 0x01])) == 300) }

    @Test("a decimal string value is read")
    func string() { #expect(ReplicationImageAux.streamDb(in: image([0x02] + Array("12".utf8))) == 12) }

    @Test("an image without the field gives nil")
    func absent() { #expect(ReplicationImageAux.streamDb(in: Array("REDIS0010".utf8) + [0xFF]) == nil) }

    @Test("a field cut at the end of the image gives nil, never a crash")
    func truncated() {
        let full = image([0xC2, 1, 2, 3, 4])
        for cut in 0..<full.count - 3 {
            _ = ReplicationImageAux.streamDb(in: Array(full.prefix(cut)))
        }
        #expect(ReplicationImageAux.streamDb(in: Array(full.prefix(27))) == nil)
    }

    @Test("an empty string value gives nil")
    func emptyString() { #expect(ReplicationImageAux.streamDb(in: image([0x00])) == nil) }
}
