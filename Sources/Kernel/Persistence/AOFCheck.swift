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

    /// Checks `bytes` as RESP commands, Redis's way: a line counter that runs on across files (`line`), errors
    /// reported at the offset where the failing read started, MULTI/EXEC pairing. `path` names the file in
    /// MULTI/EXEC errors.
    public static func check(_ bytes: [UInt8], line startLine: Int, path: String = "") -> FileReport {
        var line = startLine
        var cursor = 0
        var ok = 0
        var multi = 0
        var error: String?
        var formatError: String?
        var epos = 0
        func fail(_ message: String) {
            let hex = String(epos, radix: 16)
            error = "0x" + String(repeating: " ", count: max(0, 16 - hex.count)) + hex + ": " + message
        }
        func hex2(_ a: UInt8, _ b: UInt8) -> String {
            let h = Array("0123456789abcdef".utf8)
            return String(decoding: [h[Int(a >> 4)], h[Int(a & 15)], h[Int(b >> 4)], h[Int(b & 15)]], as: UTF8.self)
        }
        /// Redis's consumeNewline: the two bytes at `at` must be CRLF.
        func newline(_ at: Int) -> Bool {
            let a = at < bytes.count ? bytes[at] : 0, b = at + 1 < bytes.count ? bytes[at + 1] : 0
            guard a == 0x0D && b == 0x0A else { fail("Expected \\r\\n, got: " + hex2(a, b)); return false }
            line += 1
            return true
        }
        /// Redis's readLong: a line starting with `prefix`; nil at EOF (silently) or on error.
        func readLong(_ prefix: UInt8) -> Int? {
            epos = cursor
            guard cursor < bytes.count else { return nil }
            var end = cursor
            while end < bytes.count && bytes[end] != 0x0A && end - cursor < 126 { end += 1 }
            let lineEnd = min(end + 1, bytes.count)
            guard bytes[cursor] == prefix else {
                fail("Expected prefix '\(Character(UnicodeScalar(prefix)))', got: '\(Character(UnicodeScalar(bytes[cursor])))'")
                return nil
            }
            var i = cursor + 1
            var neg = false
            if i < lineEnd && (bytes[i] == 0x2D || bytes[i] == 0x2B) { neg = bytes[i] == 0x2D; i += 1 }
            var n = 0
            while i < lineEnd, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
                if n < Int.max / 20 { n = n * 10 + Int(bytes[i] - 0x30) }
                i += 1
            }
            // consumeNewline looks at the two bytes after the digits, inside the line read.
            let a = i < lineEnd ? bytes[i] : 0, b = i + 1 < lineEnd ? bytes[i + 1] : 0
            cursor = lineEnd
            guard a == 0x0D && b == 0x0A else { fail("Expected \\r\\n, got: " + hex2(a, b)); return nil }
            line += 1
            return neg ? -n : n
        }
        outer: while true {
            if multi == 0 { ok = cursor }
            guard cursor < bytes.count else { break }
            if bytes[cursor] == 0x23 {
                while cursor < bytes.count && bytes[cursor] != 0x0A { cursor += 1 }
                cursor = min(cursor + 1, bytes.count)
                continue
            }
            guard bytes[cursor] == 0x2A else {
                formatError = "AOF \(path) format error"
                break
            }
            guard let argc = readLong(0x2A) else { break }
            for i in 0..<max(argc, 0) {
                guard var len = readLong(0x24) else { break outer }
                if len < 0 {
                    fail("Expected to read string of \(len) bytes, which is not in the suitable range")
                    break outer
                }
                len += 2
                epos = cursor
                let have = min(len, bytes.count - cursor)
                if have < len {
                    cursor += have
                    fail("Expected to read \(len) bytes, got \(have) bytes")
                    break outer
                }
                let word = bytes[cursor..<(cursor + len - 2)]
                cursor += len
                guard newline(cursor - 2) else { break outer }
                if i == 0 {
                    let lower = word.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
                    if lower == Array("multi".utf8) {
                        multi += 1
                        if multi > 1 { fail("Unexpected MULTI in AOF \(path)"); break outer }
                    } else if lower == Array("exec".utf8) {
                        multi -= 1
                        if multi != 0 { fail("Unexpected EXEC in AOF \(path)"); break outer }
                    }
                }
            }
        }
        if error == nil && multi != 0 && cursor >= bytes.count { fail("Reached EOF before reading EXEC for MULTI") }
        return FileReport(okUpTo: ok, line: line, error: formatError ?? error)
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
        if looksLikeManifest(bytes) {
            return checkManifest(path, bytes, fix: fix, print: print, prompt: prompt, confirm: confirm)
        }
        if bytes.count >= 8 && bytes.starts(with: Array("REDIS".utf8)) {
            print("Start checking Old-Style AOF")
            print("RDB preamble checking is not supported in this build")
            return 1
        }
        print("Start checking Old-Style AOF")
        let r = checkOne(path: path, shownName: path, bytes: bytes, line: 1, fix: fix, canFix: true, print: print, prompt: prompt, confirm: confirm)
        if r.ok && !r.fixed { print("AOF \(path) is \(bytes.isEmpty ? "empty" : "valid")") }
        return r.ok ? 0 : 1
    }

    static func looksLikeManifest(_ bytes: [UInt8]) -> Bool {
        // Redis's fileIsManifest: any line (comments aside) starting with "file".
        for l in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) where l.first != 0x23 {
            if l.starts(with: Array("file".utf8)) { return true }
        }
        return false
    }

    /// Checks one file; prints the analysis line; fixes or reports. Returns validity and the line counter.
    static func checkOne(path: String, shownName: String, bytes: [UInt8], line: Int, fix: Bool, canFix: Bool,
                         print: (String) -> Void, prompt: (String) -> Void, confirm: () -> Bool) -> (ok: Bool, line: Int, fixed: Bool) {
        if bytes.isEmpty { return (true, line, false) }
        let r = check(bytes, line: line, path: path)
        if let e = r.error { print(e) }
        let diff = bytes.count - r.okUpTo
        print("AOF analyzed: filename=\(shownName), size=\(bytes.count), ok_up_to=\(r.okUpTo), ok_up_to_line=\(r.line), diff=\(diff)")
        if diff == 0 { return (true, r.line, false) }
        if !fix {
            print("AOF \(shownName) is not valid. Use the --fix option to try fixing it.")
            return (false, r.line, false)
        }
        if !canFix {
            print("Failed to truncate AOF \(shownName) because it is not the last file")
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
            if !r.fixed { print("BASE AOF \(base.name) is \(b.isEmpty ? "empty" : "valid")") }
        }
        if !manifest.incrs.isEmpty {
            print("Start to check INCR files.")
            for (i, e) in manifest.incrs.enumerated() {
                let p = AOFFiles.join(dir, e.name)
                guard let b = try? AOFFiles.readSmall(p, limit: Int.max) else { print("Cannot open file: \(p)"); return 1 }
                let r = checkOne(path: p, shownName: e.name, bytes: b, line: line, fix: fix, canFix: i == manifest.incrs.count - 1, print: print, prompt: prompt, confirm: confirm)
                guard r.ok else { return 1 }
                line = r.line
                if !r.fixed { print("INCR AOF \(e.name) is \(b.isEmpty ? "empty" : "valid")") }
            }
        }
        print("All AOF files and manifest are valid")
        return 0
    }
}
