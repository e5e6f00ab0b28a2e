/// Redis 7.0's multi-part AOF manifest (`<appendfilename>.manifest` inside `appenddirname`): which file is the
/// base, which are the incremental files (in replay order) and which are history files waiting for deletion.
///
/// The text form is one line per file, `file <name> seq <n> type <b|i|h>`, base first, then history, then incr,
/// exactly as Redis 7.0 writes it, so either server reads the other's directory.
public struct AOFManifest: Equatable, Sendable {
    /// The role of one file.
    public enum FileType: UInt8, Sendable {
        case base = 98  // "b"
        case history = 104  // "h"
        case incr = 105  // "i"
    }

    /// One file named by the manifest.
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var seq: Int64
        public var type: FileType
        /// Creates an entry.
        public init(name: String, seq: Int64, type: FileType) {
            self.name = name
            self.seq = seq
            self.type = type
        }
    }

    /// A manifest that cannot be read, with what Redis reports for it.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let message: String
        /// Byte offset of the offending line.
        public let offset: Int
        public var description: String { "\(message) (at byte \(offset))" }
    }

    public var base: Entry?
    public var incrs: [Entry] = []
    public var history: [Entry] = []
    /// Highest base / incr sequence numbers used so far.
    public var currentBaseSeq: Int64 = 0
    public var currentIncrSeq: Int64 = 0

    /// An empty manifest.
    public init() {}

    /// Longest line Redis accepts in a manifest.
    public static let maxLineLength = 1024

    /// Parses a manifest's bytes; throws with Redis's messages on malformed content.
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> AOFManifest {
        var m = AOFManifest()
        var start = 0
        var sawLine = false
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            if end - start > maxLineLength { throw ParseError(message: "The AOF manifest file contains too long line", offset: start) }
            if end == bytes.count { throw ParseError(message: "The AOF manifest file is invalid format", offset: start) }
            var line = Array(bytes[start..<end])
            if line.last == 0x0D { line.removeLast() }
            let lineStart = start
            start = end + 1
            if line.first == 0x23 { continue }  // '#': comment
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            sawLine = true
            guard let words = splitArgs(line), words.count % 2 == 0 else {
                throw ParseError(message: "Invalid AOF manifest file format", offset: lineStart)
            }
            var name: String?
            var seq: Int64?
            var type: FileType?
            for i in stride(from: 0, to: words.count, by: 2) {
                let key = String(decoding: words[i], as: UTF8.self)
                let value = words[i + 1]
                switch key {
                case "file": name = String(decoding: value, as: UTF8.self)
                case "seq": seq = Int64(String(decoding: value, as: UTF8.self))
                case "type": type = value.count == 1 ? FileType(rawValue: value[0]) : nil
                default: break  // unknown keys are ignored, as Redis does (forward compatibility)
                }
            }
            guard let name, let seq, let type, !name.isEmpty else {
                throw ParseError(message: "Invalid AOF manifest file format", offset: lineStart)
            }
            if name.contains("/") { throw ParseError(message: "File can't be a path, just a filename", offset: lineStart) }
            let e = Entry(name: name, seq: seq, type: type)
            switch type {
            case .base:
                if m.base != nil { throw ParseError(message: "Found duplicate base file information", offset: lineStart) }
                m.base = e
                m.currentBaseSeq = seq
            case .history:
                m.history.append(e)
            case .incr:
                if seq <= m.currentIncrSeq { throw ParseError(message: "Found a non-monotonic sequence number", offset: lineStart) }
                m.incrs.append(e)
                m.currentIncrSeq = seq
            }
        }
        if !sawLine { throw ParseError(message: "Found an empty AOF manifest", offset: 0) }
        return m
    }

    /// The manifest's text, as Redis writes it: base, then history, then incr files.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        func line(_ e: Entry) {
            out += Array("file ".utf8) + Self.quoteIfNeeded(e.name) + Array(" seq \(e.seq) type ".utf8)
            out.append(e.type.rawValue)
            out.append(0x0A)
        }
        if let base { line(base) }
        for e in history { line(e) }
        for e in incrs { line(e) }
        return out
    }

    /// Files to replay, in order: base then incrs.
    public var loadOrder: [Entry] { (base.map { [$0] } ?? []) + incrs }

    /// Name of the next base file (`appendonly.aof.<seq>.base.rdb|aof`).
    public static func baseName(_ prefix: String, seq: Int64, rdb: Bool) -> String {
        "\(prefix).\(seq).base.\(rdb ? "rdb" : "aof")"
    }

    /// Name of the incr file with sequence number `seq`.
    public static func incrName(_ prefix: String, seq: Int64) -> String { "\(prefix).\(seq).incr.aof" }

    /// Names are written bare unless they hold spaces, quotes or unprintable bytes (Redis's sdscatrepr form).
    static func quoteIfNeeded(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8)
        if !bytes.contains(where: { $0 <= 0x20 || $0 >= 0x7F || $0 == 0x22 || $0 == 0x27 || $0 == 0x5C }) { return bytes }
        var out: [UInt8] = [0x22]
        for b in bytes {
            switch b {
            case 0x5C, 0x22: out += [0x5C, b]
            case 0x0A: out += Array("\\n".utf8)
            case 0x0D: out += Array("\\r".utf8)
            case 0x09: out += Array("\\t".utf8)
            case 0x20...0x7E: out.append(b)
            default:
                let hex = Array("0123456789abcdef".utf8)
                out += [0x5C, 0x78, hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        out.append(0x22)
        return out
    }

    /// Splits a line into words the way Redis's sdssplitargs does (double and single quotes, `\xHH`); nil on
    /// unbalanced quotes.
    static func splitArgs(_ line: [UInt8]) -> [[UInt8]]? {
        var words: [[UInt8]] = []
        var i = 0
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A || b == 0x0B || b == 0x0C }
        func hexValue(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x61...0x66: return b - 0x61 + 10
            case 0x41...0x46: return b - 0x41 + 10
            default: return nil
            }
        }
        while i < line.count {
            while i < line.count && isSpace(line[i]) { i += 1 }
            if i >= line.count { break }
            var word: [UInt8] = []
            if line[i] == 0x22 || line[i] == 0x27 {
                let quote = line[i]
                i += 1
                var closed = false
                while i < line.count {
                    let b = line[i]
                    if quote == 0x22 && b == 0x5C && i + 1 < line.count {
                        let n = line[i + 1]
                        if n == 0x78, i + 3 < line.count, let h = hexValue(line[i + 2]), let l = hexValue(line[i + 3]) {
                            word.append(h << 4 | l)
                            i += 4
                            continue
                        }
                        switch n {
                        case 0x6E: word.append(0x0A)
                        case 0x72: word.append(0x0D)
                        case 0x74: word.append(0x09)
                        case 0x62: word.append(0x08)
                        case 0x61: word.append(0x07)
                        default: word.append(n)
                        }
                        i += 2
                        continue
                    }
                    if quote == 0x27 && b == 0x5C && i + 1 < line.count && line[i + 1] == 0x27 {
                        word.append(0x27)
                        i += 2
                        continue
                    }
                    if b == quote {
                        i += 1
                        // A closing quote must be followed by a space or the end.
                        if i < line.count && !isSpace(line[i]) { return nil }
                        closed = true
                        break
                    }
                    word.append(b)
                    i += 1
                }
                if !closed { return nil }
            } else {
                while i < line.count && !isSpace(line[i]) {
                    word.append(line[i])
                    i += 1
                }
            }
            words.append(word)
        }
        return words
    }
}
