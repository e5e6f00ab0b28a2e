#if canImport(Glibc)
import Glibc
#endif

/// `redis-check-aof [--fix] <file.manifest|file.aof>`: validates an AOF (multi-part through its manifest, or a
/// single old-style file) and optionally truncates an invalid tail, printing what Redis 7.0's tool prints.
public enum AOFCheck {
    /// The outcome of checking one file's bytes.
    public struct FileReport: Equatable {
        /// Offset up to which the file holds whole commands (outside an open MULTI).
        public var okUpTo: Int
        /// Redis's running line counter after the check.
        public var line: Int
        /// The error line Redis prints (`0x<offset>: <message>`), if any.
        public var error: String?
    }

    /// Checks `bytes` as RESP commands, Redis's way: line counter starting at `line`, MULTI/EXEC pairing.
    public static func check(_ bytes: [UInt8], line startLine: Int) -> FileReport {
        var line = startLine
        var cursor = 0
        var ok = 0
        var inMulti = false
        var error: String?
        func fail(_ at: Int, _ message: String) {
            let hex = String(at, radix: 16)
            error = "0x" + String(repeating: " ", count: max(0, 16 - hex.count)) + hex + ": " + message
        }
        /// Reads a line (up to and including \n); nil at EOF.
        func readLine() -> ArraySlice<UInt8>? {
            guard cursor < bytes.count else { return nil }
            var end = cursor
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let s = bytes[cursor..<min(end + 1, bytes.count)]
            cursor = min(end + 1, bytes.count)
            return s
        }
        func number(_ l: ArraySlice<UInt8>) -> Int {
            var n = 0, neg = false
            var i = l.startIndex + 1
            if i < l.endIndex && l[i] == 0x2D { neg = true; i += 1 }
            while i < l.endIndex, l[i] >= 0x30 && l[i] <= 0x39, n < Int.max / 20 { n = n * 10 + Int(l[i] - 0x30); i += 1 }
            return neg ? -n : n
        }
        outer: while true {
            if !inMulti { ok = cursor }
            if cursor < bytes.count && bytes[cursor] == 0x23 {
                _ = readLine()  // annotations are not counted as lines
                continue
            }
            guard let argcLine = readLine() else { break }
            guard argcLine.first == 0x2A else {
                fail(cursor, "Expected prefix '*', got: '\(Character(UnicodeScalar(argcLine.first ?? 0)))'")
                break
            }
            line += 1
            let argc = number(argcLine)
            if argc < 1 { fail(cursor, "Invalid argument count"); break }
            var first: [UInt8] = []
            for i in 0..<argc {
                guard let lenLine = readLine() else { break outer }
                guard lenLine.first == 0x24 else {
                    fail(cursor, "Expected prefix '$', got: '\(Character(UnicodeScalar(lenLine.first ?? 0)))'")
                    break outer
                }
                line += 1
                let len = number(lenLine)
                let want = len + 2
                let have = min(want, bytes.count - cursor)
                if have < want {
                    cursor += have
                    fail(cursor, "Expected to read \(want) bytes, got \(have) bytes")
                    break outer
                }
                if bytes[cursor + len] != 0x0D || bytes[cursor + len + 1] != 0x0A {
                    let hex = Array("0123456789abcdef".utf8)
                    let a = bytes[cursor + len], b = bytes[cursor + len + 1]
                    cursor += want
                    fail(cursor, "Expected \\r\\n, got: " + String(decoding: [hex[Int(a >> 4)], hex[Int(a & 15)], hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self))
                    break outer
                }
                if i == 0 { first = Array(bytes[cursor..<(cursor + len)]).map { $0 | 0x20 } }
                cursor += want
                line += 1
            }
            if first == Array("multi".utf8) {
                if inMulti { fail(cursor, "Unexpected MULTI"); break }
                inMulti = true
            } else if first == Array("exec".utf8) {
                if !inMulti { fail(cursor, "Unexpected EXEC"); break }
                inMulti = false
            }
        }
        if error == nil && inMulti && cursor >= bytes.count { fail(cursor, "Reached EOF before reading EXEC for MULTI") }
        return FileReport(okUpTo: ok, line: line, error: error)
    }

    /// Runs the tool. `print` receives each output line; `confirm` answers the --fix question. Returns the exit
    /// status.
    public static func run(_ args: [String], print: (String) -> Void, prompt: (String) -> Void, confirm: () -> Bool) -> Int32 {
        var fix = false
        var path: String?
        for a in args {
            if a == "--fix" { fix = true } else if path == nil { path = a } else { path = nil; break }
        }
        guard let path else {
            print("Usage: redis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>")
            return 1
        }
        guard let bytes = try? AOFFiles.readSmall(path, limit: Int.max) else {
            print("Cannot open file: \(path)")
            return 1
        }
        if bytes.starts(with: Array("REDIS".utf8)) {
            print("Start checking RDB-preamble AOF")
            print("RDB preamble checking is not supported in this build")
            return 1
        }
        if let text = String(validating: bytes.prefix(5), as: UTF8.self), text == "file " || looksLikeManifest(bytes) {
            return checkManifest(path, bytes, fix: fix, print: print, prompt: prompt, confirm: confirm)
        }
        print("Start checking Old-Style AOF")
        let r = checkOne(path: path, shownName: path, bytes: bytes, line: 1, fix: fix, canFix: true, print: print, prompt: prompt, confirm: confirm)
        if r.ok && !r.fixed { print("AOF \(path) is valid") }
        return r.ok ? 0 : 1
    }

    static func looksLikeManifest(_ bytes: [UInt8]) -> Bool {
        for l in bytes.split(separator: 0x0A) where l.first != 0x23 {
            return l.starts(with: Array("file ".utf8))
        }
        return false
    }

    /// Checks one file; prints the analysis line; fixes or reports. Returns validity and the line counter.
    static func checkOne(path: String, shownName: String, bytes: [UInt8], line: Int, fix: Bool, canFix: Bool,
                         print: (String) -> Void, prompt: (String) -> Void, confirm: () -> Bool) -> (ok: Bool, line: Int, fixed: Bool) {
        let r = check(bytes, line: line)
        if let e = r.error { print(e) }
        let diff = bytes.count - r.okUpTo
        print("AOF analyzed: filename=\(shownName), size=\(bytes.count), ok_up_to=\(r.okUpTo), ok_up_to_line=\(r.line), diff=\(diff)")
        if diff == 0 { return (true, r.line, false) }
        if !fix || !canFix {
            print("AOF \(shownName) is not valid. Use the --fix option to try fixing it.")
            return (false, r.line, false)
        }
        print("This will shrink the AOF \(shownName) from \(bytes.count) bytes, with \(diff) bytes, to \(r.okUpTo) bytes")
        prompt("Continue? [y/N]: ")
        guard confirm() else {
            print("Aborting...")
            return (false, r.line, false)
        }
        if truncate(path, off_t(r.okUpTo)) != 0 {
            print("Failed to truncate AOF \(shownName)")
            return (false, r.line, false)
        }
        print("Successfully truncated AOF \(shownName)")
        return (true, r.line, true)
    }

    static func checkManifest(_ path: String, _ bytes: [UInt8], fix: Bool, print: (String) -> Void,
                              prompt: (String) -> Void, confirm: () -> Bool) -> Int32 {
        print("Start checking Multi Part AOF")
        let manifest: AOFManifest
        do {
            manifest = try AOFManifest.parse(bytes)
        } catch {
            print("Invalid AOF manifest file format: \(error.message)")
            return 1
        }
        let dir: String
        if let slash = path.lastIndex(of: "/") { dir = String(path[..<slash]) } else { dir = "" }
        var line = 1
        if let base = manifest.base {
            let p = AOFFiles.join(dir, base.name)
            guard let b = try? AOFFiles.readSmall(p, limit: Int.max) else { print("Cannot open file: \(p)"); return 1 }
            if b.starts(with: Array("REDIS".utf8)) {
                print("Start to check BASE AOF (RDB format).")
                print("RDB preamble checking is not supported in this build")
                return 1
            }
            print("Start to check BASE AOF (RESP format).")
            let r = checkOne(path: p, shownName: base.name, bytes: b, line: line, fix: fix, canFix: manifest.incrs.isEmpty, print: print, prompt: prompt, confirm: confirm)
            guard r.ok else { return 1 }
            line = r.line
            if !r.fixed { print("BASE AOF \(base.name) is valid") }
        }
        if !manifest.incrs.isEmpty {
            print("Start to check INCR files.")
            for (i, e) in manifest.incrs.enumerated() {
                let p = AOFFiles.join(dir, e.name)
                guard let b = try? AOFFiles.readSmall(p, limit: Int.max) else { print("Cannot open file: \(p)"); return 1 }
                let r = checkOne(path: p, shownName: e.name, bytes: b, line: line, fix: fix, canFix: i == manifest.incrs.count - 1, print: print, prompt: prompt, confirm: confirm)
                guard r.ok else { return 1 }
                line = r.line
                if !r.fixed { print("INCR AOF \(e.name) is valid") }
            }
        }
        print("All AOF files and manifest are valid")
        return 0
    }
}
