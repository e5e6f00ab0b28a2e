/// DUMP / RESTORE payloads: the value (type byte + payload), the RDB version (2 bytes LE), and the CRC64 of
/// all that (8 bytes LE), as Redis's `createDumpPayload` / `verifyDumpPayload`.
public enum DumpPayload {
    /// The text RESTORE replies when the trailer does not verify.
    public static let badTrailer = "DUMP payload version or checksum are wrong"
    /// The text RESTORE replies when the trailer verifies but the value does not parse.
    public static let badData = "Bad data format"

    /// The payload DUMP returns for `value` (list nodes sized by Redis's default `list-max-listpack-size`).
    public static func make(_ value: Value, compression: Bool) -> [UInt8] {
        make(value, compression: compression, thresholds: .defaults)
    }

    /// The payload DUMP returns for `value`, list nodes sized by `thresholds.listMaxListpackSize`.
    public static func make(_ value: Value, compression: Bool, thresholds: EncodingThresholds) -> [UInt8] {
        var e = RDBEncoder(compression: compression, thresholds: thresholds)
        e.writeValue(value)
        var out = e.takeBytes()
        out.append(UInt8(RDBFormat.version & 0xFF))
        out.append(UInt8(RDBFormat.version >> 8))
        let crc = CRC64.checksum(out)
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return out
    }

    /// Whether the version and checksum trailer verify (`verifyDumpPayload`).
    /// With `skipChecksum` (DEBUG SET-SKIP-CHECKSUM-VALIDATION 1) only the version is checked, as in Redis.
    public static func verify(_ payload: [UInt8], skipChecksum: Bool = false) -> Bool {
        guard payload.count >= 10 else { return false }
        let n = payload.count
        let version = UInt16(payload[n - 10]) | UInt16(payload[n - 9]) << 8
        guard version <= RDBFormat.version else { return false }
        if skipChecksum { return true }
        var stored: UInt64 = 0
        for k in 0..<8 { stored |= UInt64(payload[n - 8 + k]) << (8 * k) }
        let crc = payload.withUnsafeBytes { CRC64.update(0, UnsafeRawBufferPointer(rebasing: $0[0..<(n - 8)])) }
        return crc == stored
    }

    /// The value in a payload. Throws an `RDBError` whose message is `badTrailer` ("DUMP payload version or
    /// checksum are wrong") when the trailer does not verify, or a `DumpPayloadError` (RESTORE's
    /// `Bad data format`) when the body is corrupt, empty, or holds an unsupported type. Like Redis, bytes
    /// after the value are ignored.
    public static func parse(_ payload: [UInt8], thresholds: EncodingThresholds, skipChecksum: Bool = false) throws -> Value {
        guard verify(payload, skipChecksum: skipChecksum) else { throw RDBError(offset: 0, badTrailer) }
        do {
            return try payload.withUnsafeBytes { all -> Value in
                // Redis reads the body from the whole payload, trailer included (a string may run into it).
                var r = RDBReader(all)
                let type = try r.u8()
                guard let v = try RDBValueReader.read(type: type, from: &r, thresholds: thresholds) else {
                    throw r.error("empty collection")
                }
                return v
            }
        } catch let e as RDBError {
            throw DumpPayloadError(detail: e)
        }
    }
}

/// A DUMP payload whose trailer verified but whose body did not parse; RESTORE replies `Bad data format`.
public struct DumpPayloadError: Error, CustomStringConvertible {
    /// Where and why the body failed.
    public let detail: RDBError
    public var description: String { DumpPayload.badData }
}
