/// Where a directive's value lives: a typed property of `Config`, or (for directives accepted with no effect
/// here) the `stored` text table.
struct ConfigSlot<T> {
    let get: (Config) -> T
    let set: (Config, T) -> Void

    static func at(_ kp: ReferenceWritableKeyPath<Config, T>) -> ConfigSlot<T> {
        ConfigSlot(get: { $0[keyPath: kp] }, set: { $0[keyPath: kp] = $1 })
    }
}

extension ConfigSlot where T: LosslessStringConvertible {
    /// A value kept in `Config.stored` under `name` (its text form), `initial` until set.
    static func stored(_ name: String, _ initial: T) -> ConfigSlot<T> {
        ConfigSlot(get: { c in c.stored[name].flatMap { T($0) } ?? initial },
                   set: { c, v in c.stored[name] = v.description })
    }
}

/// Builds `Config.directives`: one method per kind of value, each parsing and refusing values with Redis 7.0's
/// rules and error texts (`argument must be 'yes' or 'no'`, `argument must be between A and B inclusive`, ...).
struct DirectiveTable {
    typealias ConfigError = Config.ConfigError
    var all: [Config.Directive] = []

    mutating func add(_ name: String, aliases: [String] = [], mutable: Bool = true, hidden: Bool = false,
                      multiArg: Bool = false, variadic: Bool = false, format: Config.ValueFormat = .plain,
                      get: @escaping (Config) -> String,
                      set: @escaping (Config, [String]) throws(ConfigError) -> Void) {
        var d = Config.Directive(name: name, aliases: aliases, mutable: mutable, get: get, set: set, multiArg: multiArg)
        d.variadic = variadic
        d.hidden = hidden
        d.format = format
        all.append(d)
    }

    /// A free-form string (Redis's sds/string configs): any value, stored as given.
    mutating func string(_ name: String, _ slot: ConfigSlot<String>, aliases: [String] = [], mutable: Bool = true,
                         hidden: Bool = false) {
        add(name, aliases: aliases, mutable: mutable, hidden: hidden, format: .quoted, get: slot.get,
            set: { c, v throws(ConfigError) in slot.set(c, v.joined(separator: " ")) })
    }

    /// One of `valid` (case-insensitive; CONFIG GET shows the listed spelling).
    mutating func enumeration(_ name: String, _ slot: ConfigSlot<String>, _ valid: [String], aliases: [String] = [],
                              mutable: Bool = true) {
        add(name, aliases: aliases, mutable: mutable, get: slot.get, set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ").lowercased()
            guard let match = valid.first(where: { $0 == s }) else {
                throw ConfigError("argument(s) must be one of the following: \(valid.joined(separator: ", "))")
            }
            slot.set(c, match)
        })
    }

    /// `yes` or `no` (case-insensitive).
    mutating func bool(_ name: String, _ slot: ConfigSlot<Bool>, aliases: [String] = [], mutable: Bool = true) {
        add(name, aliases: aliases, mutable: mutable, get: { slot.get($0) ? "yes" : "no" }, set: { c, v throws(ConfigError) in
            slot.set(c, try Self.parseBool(v.joined(separator: " ")))
        })
    }

    /// A decimal integer (Redis's strict `string2ll`) within `range`.
    mutating func int(_ name: String, _ slot: ConfigSlot<Int>, _ range: ClosedRange<Int64>, aliases: [String] = [],
                      mutable: Bool = true, hidden: Bool = false) {
        add(name, aliases: aliases, mutable: mutable, hidden: hidden, get: { String(slot.get($0)) }, set: { c, v throws(ConfigError) in
            slot.set(c, Int(try Self.parseInteger(v.joined(separator: " "), range)))
        })
    }

    /// A decimal integer stored as Int64.
    mutating func int64(_ name: String, _ slot: ConfigSlot<Int64>, _ range: ClosedRange<Int64>, aliases: [String] = [],
                        mutable: Bool = true) {
        add(name, aliases: aliases, mutable: mutable, get: { String(slot.get($0)) }, set: { c, v throws(ConfigError) in
            slot.set(c, try Self.parseInteger(v.joined(separator: " "), range))
        })
    }

    /// A memory value (`64mb`, `1gb`, `4096`) within `range`; CONFIG GET shows bytes.
    mutating func memory(_ name: String, _ slot: ConfigSlot<Int64>, _ range: ClosedRange<Int64>, aliases: [String] = [],
                         mutable: Bool = true) {
        add(name, aliases: aliases, mutable: mutable, format: .memory, get: { String(slot.get($0)) }, set: { c, v throws(ConfigError) in
            slot.set(c, try Self.parseMemory(v.joined(separator: " "), range))
        })
    }

    /// A memory value Redis keeps unsigned (`maxmemory`, `cluster-link-sendbuf-limit`): 0 up to 2^64-1.
    mutating func unsignedMemory(_ name: String, _ slot: ConfigSlot<UInt64>) {
        add(name, format: .memory, get: { String(slot.get($0)) }, set: { c, v throws(ConfigError) in
            guard let u = Config.parseMemoryUnsigned(v.joined(separator: " ")) else {
                throw ConfigError("argument must be a memory value")
            }
            slot.set(c, u)
        })
    }

    static func parseBool(_ s: String) throws(ConfigError) -> Bool {
        switch s.lowercased() {
        case "yes": return true
        case "no": return false
        default: throw ConfigError("argument must be 'yes' or 'no'")
        }
    }

    static func parseInteger(_ s: String, _ range: ClosedRange<Int64>) throws(ConfigError) -> Int64 {
        var text = s
        guard let n = text.withUTF8({ Numbers.parseInt64(UnsafeRawBufferPointer($0)) }) else {
            throw ConfigError("argument couldn't be parsed into an integer")
        }
        guard range.contains(n) else { throw rangeError(range) }
        return n
    }

    static func parseMemory(_ s: String, _ range: ClosedRange<Int64>) throws(ConfigError) -> Int64 {
        guard let u = Config.parseMemoryUnsigned(s) else { throw ConfigError("argument must be a memory value") }
        guard u <= UInt64(Int64.max), range.contains(Int64(u)) else { throw rangeError(range) }
        return Int64(u)
    }

    static func rangeError(_ range: ClosedRange<Int64>) -> ConfigError {
        ConfigError("argument must be between \(range.lowerBound) and \(range.upperBound) inclusive")
    }

    static let intMax = Int64(Int32.max)
    static let llMax = Int64.max
}
