/// A decoded RESP2/RESP3 reply: what a nested call (a script's `redis.call`) answered, as typed values.
public indirect enum RESPValue {
    case status(RBytes)
    case error(RBytes)
    case integer(Int64)
    case bulk(RBytes)
    /// Null bulk string, null array, or RESP3 null.
    case null
    case array([RESPValue])
    case map([(RESPValue, RESPValue)])
    case set([RESPValue])
    case double(Double)
    case bool(Bool)
    case bigNumber(RBytes)
    case verbatim(format: RBytes, text: RBytes)
    case push([RESPValue])
}

/// Reads replies the server itself wrote (a `ReplyWriter`'s bytes): complete and well formed by construction, but
/// every length is still checked, so a malformed input yields nil rather than a crash.
public struct RESPReader {
    let bytes: UnsafeRawBufferPointer
    /// Offset of the next unread byte.
    public private(set) var offset: Int

    /// A reader over `bytes` starting at `offset`.
    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Reads one reply, or nil if the input ends early or is malformed (nesting is limited to `maxDepth`).
    public mutating func read(maxDepth: Int = 1000) -> RESPValue? {
        guard maxDepth > 0, offset < bytes.count else { return nil }
        let type = bytes[offset]
        offset += 1
        guard let line = readLine() else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .status(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"): return Int64(line.string).map { .integer($0) }
        case UInt8(ascii: "("): return .bigNumber(line)
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: "#"): return .bool(line.count == 1 && line[0] == UInt8(ascii: "t"))
        case UInt8(ascii: ","):
            let s = line.string
            switch s {
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            case "nan", "-nan": return .double(.nan)
            default: return Double(s).map { .double($0) }
            }
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            guard let n = Int(line.string) else { return nil }
            if n < 0 { return .null }
            guard n <= bytes.count - offset - 2 else { return nil }
            let payload = RBytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]))
            offset += n + 2
            if type == UInt8(ascii: "=") {
                guard n >= 4 else { return .bulk(payload) }
                return .verbatim(format: payload.slice(0..<3), text: payload.slice(4..<n))
            }
            return .bulk(payload)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            guard let n = Int(line.string) else { return nil }
            if n < 0 { return .null }
            guard n <= bytes.count - offset else { return nil }
            var items: [RESPValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                guard let v = read(maxDepth: maxDepth - 1) else { return nil }
                items.append(v)
            }
            if type == UInt8(ascii: "~") { return .set(items) }
            if type == UInt8(ascii: ">") { return .push(items) }
            return .array(items)
        case UInt8(ascii: "%"), UInt8(ascii: "|"):
            guard let n = Int(line.string), n >= 0, n <= bytes.count - offset else { return nil }
            var pairs: [(RESPValue, RESPValue)] = []
            pairs.reserveCapacity(n)
            for _ in 0..<n {
                guard let k = read(maxDepth: maxDepth - 1), let v = read(maxDepth: maxDepth - 1) else { return nil }
                pairs.append((k, v))
            }
            // An attribute precedes the reply it annotates: Lua sees only the reply.
            if type == UInt8(ascii: "|") { return read(maxDepth: maxDepth - 1) }
            return .map(pairs)
        default:
            return nil
        }
    }

    private mutating func readLine() -> RBytes? {
        var i = offset
        while i + 1 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 {
                let line = RBytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<i]))
                offset = i + 2
                return line
            }
            i += 1
        }
        return nil
    }
}
