/// Builds RDB bytes incrementally, as Redis 7.0's `rdbSave*` functions write them; the owner drains them with
/// `takeBytes()` (the file writer computes the CRC64 trailer over everything it drained).
public struct RDBEncoder {
    /// Whether strings longer than 20 bytes are LZF-compressed when that saves space (`rdbcompression`).
    public let compression: Bool
    /// Quicklist node sizing for lists.
    public var thresholds: EncodingThresholds
    var buffer: [UInt8] = []

    /// An empty encoder.
    public init(compression: Bool) {
        self.compression = compression
        self.thresholds = .defaults
    }

    /// An empty encoder that sizes list nodes by `thresholds.listMaxListpackSize`.
    public init(compression: Bool, thresholds: EncodingThresholds) {
        self.compression = compression
        self.thresholds = thresholds
    }

    /// Bytes buffered.
    public var count: Int { buffer.count }

    /// Returns and clears the buffer.
    public mutating func takeBytes() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }

    // MARK: - File structure

    /// The magic and version: "REDIS0010".
    public mutating func writeHeader() {
        buffer.append(contentsOf: Array("REDIS0010".utf8))
    }

    /// An AUX field (opcode 250, key, value).
    public mutating func writeAux(_ key: String, _ value: String) {
        buffer.append(RDBFormat.Opcode.aux)
        writeString(Array(key.utf8))
        writeString(Array(value.utf8))
    }

    /// An AUX field whose value is an integer (int-encoded when it fits 32 bits, as Redis writes redis-bits,
    /// ctime, used-mem, aof-base, ...).
    public mutating func writeAux(_ key: String, int value: Int64) {
        writeAux(key, String(value))
    }

    /// SELECTDB (opcode 254) and the database number.
    public mutating func writeSelectDB(_ db: Int) {
        buffer.append(RDBFormat.Opcode.selectDB)
        writeLength(UInt64(db))
    }

    /// RESIZEDB (opcode 251): key count and keys-with-expiry count hints.
    public mutating func writeResizeDB(keys: Int, expires: Int) {
        buffer.append(RDBFormat.Opcode.resizeDB)
        writeLength(UInt64(keys))
        writeLength(UInt64(expires))
    }

    /// [EXPIRETIME_MS] [IDLE or FREQ] type key value — as `rdbSaveKeyValuePair`.
    public mutating func writeKey(_ key: RBytes, _ value: Value, expireAt: Int64?, idleSeconds: Int64?, freq: UInt8?) {
        if let expireAt {
            buffer.append(RDBFormat.Opcode.expireTimeMs)
            appendLE(UInt64(bitPattern: expireAt), width: 8)
        }
        if let idleSeconds {
            buffer.append(RDBFormat.Opcode.idle)
            writeLength(UInt64(max(0, idleSeconds)))
        }
        if let freq {
            buffer.append(RDBFormat.Opcode.freq)
            buffer.append(freq)
        }
        buffer.append(Self.typeByte(value))
        key.withUnsafeBytes { writeString($0) }
        writeValuePayload(value)
    }

    /// The type byte and value payload (DUMP's body, and `writeKey`'s tail).
    public mutating func writeValue(_ value: Value) {
        buffer.append(Self.typeByte(value))
        writeValuePayload(value)
    }

    /// A function library (opcode FUNCTION2 + its code).
    public mutating func writeFunction(_ code: [UInt8]) {
        buffer.append(RDBFormat.Opcode.function2)
        writeString(code)
    }

    /// The EOF opcode only (no checksum).
    public mutating func writeEOF() {
        buffer.append(RDBFormat.Opcode.eof)
    }

    /// Appends raw bytes (e.g. a checksum trailer).
    public mutating func writeRaw(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
    }

    // MARK: - Primitives

    /// An RDB length: 6-bit, 14-bit, 32-bit or 64-bit form.
    public mutating func writeLength(_ n: UInt64) {
        if n < 64 {
            buffer.append(UInt8(n))
        } else if n < 16384 {
            buffer.append(0x40 | UInt8(n >> 8))
            buffer.append(UInt8(n & 0xFF))
        } else if n <= UInt64(UInt32.max) {
            buffer.append(0x80)
            for k in stride(from: 3, through: 0, by: -1) { buffer.append(UInt8(truncatingIfNeeded: n >> (8 * k))) }
        } else {
            buffer.append(0x81)
            for k in stride(from: 7, through: 0, by: -1) { buffer.append(UInt8(truncatingIfNeeded: n >> (8 * k))) }
        }
    }

    mutating func appendLE(_ v: UInt64, width: Int) {
        for k in 0..<width { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// An RDB string as `rdbSaveRawString` writes it: int8/16/32 for canonical integers that fit, LZF when
    /// compression is on, the string is over 20 bytes and compressing saves at least 4 bytes, else plain.
    public mutating func writeString(_ s: UnsafeRawBufferPointer) {
        if s.count <= 11, let v = Numbers.parseInt64(s) {
            if v >= -128 && v <= 127 {
                buffer.append(0xC0)
                appendLE(UInt64(bitPattern: v), width: 1)
                return
            } else if v >= -32768 && v <= 32767 {
                buffer.append(0xC1)
                appendLE(UInt64(bitPattern: v), width: 2)
                return
            } else if v >= Int64(Int32.min) && v <= Int64(Int32.max) {
                buffer.append(0xC2)
                appendLE(UInt64(bitPattern: v), width: 4)
                return
            }
        }
        if compression && s.count > 20, let packed = LZF.compress(s, limit: s.count - 4) {
            buffer.append(0xC3)
            writeLength(UInt64(packed.count))
            writeLength(UInt64(s.count))
            buffer.append(contentsOf: packed)
            return
        }
        writeLength(UInt64(s.count))
        buffer.append(contentsOf: s)
    }

    /// An RDB string from an array.
    public mutating func writeString(_ s: [UInt8]) {
        s.withUnsafeBytes { writeString($0) }
    }

    /// An RDB string from `RBytes`.
    public mutating func writeString(_ s: RBytes) {
        s.withUnsafeBytes { writeString($0) }
    }
}
