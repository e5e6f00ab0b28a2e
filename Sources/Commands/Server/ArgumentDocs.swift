import Kernel

/// COMMAND DOCS of Redis 7.0's commands (summary, since, group, complexity, doc_flags, deprecation, history and the
/// argument specs redis-cli builds its interactive hints from), from the generated `CommandArgumentDocs` data,
/// replied with the RESP3 types the data records.
///
/// The data stays the static JSON text in the binary: an index of where each command's entry starts and ends is
/// built once, and an entry is decoded only while it is replied (decoding all of it into Foundation objects kept
/// about 5 MB on the heap after the first redis-cli session).
enum ArgumentDocs {
    /// One node of the recorded structure (see scripts/gen_command_docs.py for the JSON shapes).
    indirect enum Node {
        case bulk([UInt8])
        case integer(Int)
        case status([UInt8])
        case map([(Node, Node)])
        case array([Node])
        case set([Node])
        case null
    }

    /// Full command name (`set`, `client|kill`) → the byte range of its entry in the JSON text.
    static let index: [String: Range<Int>] = {
        var json = CommandArgumentDocs.json
        return json.withUTF8 { bytes in
            var p = JSONReader(bytes: bytes)
            var out: [String: Range<Int>] = [:]
            guard p.consume(UInt8(ascii: "{")) else { return out }
            while let name = p.string() {
                guard p.consume(UInt8(ascii: ":")) else { break }
                let start = p.at
                p.skipValue()
                out[String(decoding: name, as: UTF8.self)] = start..<p.at
                if !p.consume(UInt8(ascii: ",")) { break }
            }
            return out
        }
    }()

    /// The recorded doc fields of a command but `subcommands`, in Redis's order, or nil for commands Redis lacks.
    static func fields(_ fullName: String) -> [(Node, Node)]? {
        guard let range = index[fullName] else { return nil }
        var json = CommandArgumentDocs.json
        return json.withUTF8 { bytes -> [(Node, Node)]? in
            var p = JSONReader(bytes: UnsafeBufferPointer(rebasing: bytes[range]))
            guard case .map(let pairs) = p.node() else { return nil }
            return pairs
        }
    }

    /// Writes one node.
    static func write(_ node: Node, to r: inout ReplyWriter) {
        switch node {
        case .bulk(let b): b.withUnsafeBytes { r.bulk(bytes: $0) }
        case .integer(let n): r.integer(n)
        case .status(let s): r.status(String(decoding: s, as: UTF8.self))
        case .map(let pairs):
            r.mapHeader(pairs.count)
            for (k, v) in pairs {
                write(k, to: &r)
                write(v, to: &r)
            }
        case .array(let items):
            r.arrayHeader(items.count)
            for x in items { write(x, to: &r) }
        case .set(let items):
            r.setHeader(items.count)
            for x in items { write(x, to: &r) }
        case .null: r.null()
        }
    }
}

/// A reader of the generator's JSON: objects `{"m": [[k, v], ...]}`, `{"a": [...]}`, `{"s": [...]}`,
/// `{"+": "x"}`, strings, integers and null, without whitespace (as `json.dumps(separators=(",", ":"))` writes).
private struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    /// A JSON string's bytes (escapes decoded, `\u` as UTF-8), or nil when none starts here.
    mutating func string() -> [UInt8]? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var out: [UInt8] = []
        while at < bytes.count {
            let b = bytes[at]
            at += 1
            if b == UInt8(ascii: "\"") { return out }
            guard b == UInt8(ascii: "\\"), at < bytes.count else {
                out.append(b)
                continue
            }
            let e = bytes[at]
            at += 1
            switch e {
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "u"):
                var scalar = hex4()
                if (0xD800..<0xDC00).contains(scalar), consume(UInt8(ascii: "\\")), consume(UInt8(ascii: "u")) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4() - 0xDC00)
                }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar) ?? "?")).utf8))
            default: out.append(e)  // \" \\ \/
            }
        }
        return out
    }

    private mutating func hex4() -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 where at < bytes.count {
            let c = bytes[at]
            at += 1
            let d: UInt8 = c >= 97 ? c - 87 : c >= 65 ? c - 55 : c &- 48
            v = v << 4 | UInt32(d & 15)
        }
        return v
    }

    /// Skips one value of any shape.
    mutating func skipValue() {
        guard at < bytes.count else { return }
        let first = bytes[at]
        if first == UInt8(ascii: "\"") {
            _ = string()
        } else if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            var depth = 0
            while at < bytes.count {
                let c = bytes[at]
                if c == UInt8(ascii: "\"") {
                    _ = string()
                    continue
                }
                at += 1
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
                if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return }
                }
            }
        } else {
            while at < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(bytes[at]) {
                at += 1
            }
        }
    }

    /// Decodes one value.
    mutating func node() -> ArgumentDocs.Node {
        guard at < bytes.count else { return .null }
        switch bytes[at] {
        case UInt8(ascii: "\""): return .bulk(string() ?? [])
        case UInt8(ascii: "{"):
            at += 1
            let tag = string() ?? []
            _ = consume(UInt8(ascii: ":"))
            defer { _ = consume(UInt8(ascii: "}")) }
            switch tag {
            case [UInt8(ascii: "+")]: return .status(string() ?? [])
            case [UInt8(ascii: "m")]:
                return .map(list().map { pair in
                    guard case .array(let kv) = pair, kv.count == 2 else { return (.null, .null) }
                    return (kv[0], kv[1])
                })
            case [UInt8(ascii: "s")]: return .set(list())
            default: return .array(list())
            }
        case UInt8(ascii: "["): return .array(list())
        case UInt8(ascii: "n"):
            at += 4
            return .null
        default:
            var negative = false
            if consume(UInt8(ascii: "-")) { negative = true }
            var n = 0
            while at < bytes.count, bytes[at] >= 48, bytes[at] <= 57 {
                n = n * 10 + Int(bytes[at] - 48)
                at += 1
            }
            return .integer(negative ? -n : n)
        }
    }

    /// A JSON array's items.
    private mutating func list() -> [ArgumentDocs.Node] {
        var items: [ArgumentDocs.Node] = []
        guard consume(UInt8(ascii: "[")) else { return items }
        if consume(UInt8(ascii: "]")) { return items }
        repeat { items.append(node()) } while consume(UInt8(ascii: ","))
        _ = consume(UInt8(ascii: "]"))
        return items
    }
}
