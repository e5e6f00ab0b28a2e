/// Reads `redis.conf`-style text and `--directive value` command-line arguments into a `Config`.
public enum ConfigFile {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Applies `text` (the file's contents; `source` names it in errors).
    public static func apply(_ text: String, source: String, to config: Config) throws(LoadError) {
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
            if name.lowercased() == "include" { continue }
            if config.security.takeStartupLine(name, Array(args.dropFirst())) { continue }
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

    static func fail(_ source: String, _ line: Int, _ text: String, _ reason: String) -> LoadError {
        LoadError(description: """

        *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
        Reading the configuration file, at line \(line)
        >>> '\(text)'
        \(reason) (\(source))
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
