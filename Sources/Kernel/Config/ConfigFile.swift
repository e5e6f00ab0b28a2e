#if canImport(Glibc)
import Glibc
#endif

/// Reads `redis.conf`-style text and `--directive value` command-line arguments into a `Config`.
public enum ConfigFile {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The contents of a config file, or Redis's fatal error when it cannot be opened.
    public static func read(_ path: String) throws(LoadError) -> String {
        guard let f = fopen(path, "r") else {
            throw LoadError(description: "Fatal error, can't open config file '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { fclose(f) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The files an `include` names: the path itself, or the sorted matches of a glob pattern (none is fine).
    static func includedFiles(_ pattern: String) -> [String] {
        guard pattern.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) else { return [pattern] }
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }
    }

    /// Applies `text` (the file's contents; `source` names it in errors). `include path` lines apply that file
    /// (or every file a glob matches) at that point, as Redis does.
    public static func apply(_ text: String, source: String, to config: Config, depth: Int = 0) throws(LoadError) {
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            let args: [String]
            var bytes = Array(line.utf8)
            if let split = bytes.withUnsafeMutableBytes({ InlineSplitter.split(UnsafeRawBufferPointer($0)) }) {
                args = split.map(\.string)
            } else {
                throw fail(source, lineNumber, line, "Unbalanced quotes in configuration line")
            }
            guard let name = args.first else { continue }
            if name.lowercased() == "include" && args.count == 2 {
                guard depth < 64 else { throw fail(source, lineNumber, line, "Too many nested include directives") }
                for path in includedFiles(args[1]) {
                    try apply(try read(path), source: path, to: config, depth: depth + 1)
                }
                continue
            }
            if config.security.takeStartupLine(name, Array(args.dropFirst())) { continue }
            // `<module>.<name> value`: queued for the module's load (Redis's module_configs_queue).
            if config.lookup(name) == nil && name.contains(".") {
                guard args.count >= 2 else {
                    throw fail(source, lineNumber, line, "Module config specified without value", naming: false)
                }
                config.queueModuleConfig(name, args.dropFirst().joined(separator: " "))
                continue
            }
            do {
                try config.set(name, Array(args.dropFirst()), atStartup: true)
            } catch {
                throw fail(source, lineNumber, line, error.message)
            }
        }
    }

    /// Turns `--port 7000 --save ""` into config-file lines, as redis-server does.
    public static func commandLineText(_ args: [String]) -> String {
        var lines: [String] = []
        var current: [String] = []
        for a in args {
            if a.hasPrefix("--") && a.count > 2 {
                if !current.isEmpty { lines.append(current.joined(separator: " ")) }
                current = [String(a.dropFirst(2))]
            } else {
                current.append(quote(a))
            }
        }
        if !current.isEmpty { lines.append(current.joined(separator: " ")) }
        return lines.joined(separator: "\n")
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: out.append(c)
            }
        }
        return out + "\""
    }

    /// Redis's fatal config error; `naming: false` leaves the file's name out, as Redis for the errors it raises
    /// while reading lines (not from a directive's setter).
    static func fail(_ source: String, _ line: Int, _ text: String, _ reason: String, naming: Bool = true) -> LoadError {
        LoadError(description: """

        *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
        Reading the configuration file, at line \(line)
        >>> '\(text)'
        \(reason)\(naming ? " (\(source))" : "")
        """)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
