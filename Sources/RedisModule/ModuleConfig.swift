import Kernel

/// Flags of a module config (Redis's `REDISMODULE_CONFIG_*`).
public struct ModuleConfigFlags: OptionSet {
    /// The raw bits.
    public let rawValue: Int
    /// Flags from raw bits.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Set only at load (config file, `MODULE LOADEX ... CONFIG`): CONFIG SET refuses it.
    public static let immutable = ModuleConfigFlags(rawValue: 1 << 0)
    /// Its CONFIG SET value is redacted from SLOWLOG and MONITOR.
    public static let sensitive = ModuleConfigFlags(rawValue: 1 << 1)
    /// Answers CONFIG GET by exact name only, never a pattern.
    public static let hidden = ModuleConfigFlags(rawValue: 1 << 2)
    /// CONFIG SET changes it only as `enable-protected-configs` allows.
    public static let protected = ModuleConfigFlags(rawValue: 1 << 3)
    /// CONFIG SET refuses it while the dataset loads.
    public static let denyLoading = ModuleConfigFlags(rawValue: 1 << 4)
    /// Numeric configs: a memory value (`64mb`, `1gb`); CONFIG GET shows bytes, CONFIG REWRITE units.
    public static let memory = ModuleConfigFlags(rawValue: 1 << 5)
    /// Enum configs: a set of values OR-ed together (`CONFIG SET m.flags "two four"`).
    public static let bitflags = ModuleConfigFlags(rawValue: 1 << 6)
}

/// One config of a module (Redis's `RedisModule_RegisterStringConfig` / `BoolConfig` / `NumericConfig` /
/// `EnumConfig`), named `<module>.<name>` in CONFIG GET/SET/REWRITE, the config file and `MODULE LOADEX ...
/// CONFIG`. The module keeps the value: `get` reads it, `set` validates and stores it (a thrown `ModuleError`
/// refuses the value, its message — `ERR ` dropped — becoming the error text). When the module loads, every
/// config is set once, to its queued value (config file, LOADEX) or else its default, before `onLoad` runs
/// (Redis's `RedisModule_LoadConfigs`). `apply`, if any, runs after CONFIG SET has set every value it names;
/// throwing restores the previous values. Or keep the value in a `ModuleSetting` (`stored:` factories).
public struct ModuleConfig {
    /// The name after `<module>.`: letters, digits, `-` and `_`.
    public let name: String
    /// Its flags.
    public let flags: ModuleConfigFlags
    let kind: Kind
    let apply: (() throws(ModuleError) -> Void)?

    enum Kind {
        case string(String, () -> String, (String) throws(ModuleError) -> Void)
        case bool(Bool, () -> Bool, (Bool) throws(ModuleError) -> Void)
        case numeric(Int64, ClosedRange<Int64>, () -> Int64, (Int64) throws(ModuleError) -> Void)
        case enumeration(Int, [(String, Int)], () -> Int, (Int) throws(ModuleError) -> Void)
    }

    /// A string config.
    public static func string(_ name: String, default value: String, flags: ModuleConfigFlags = [],
                              get: @escaping () -> String, set: @escaping (String) throws(ModuleError) -> Void,
                              apply: (() throws(ModuleError) -> Void)? = nil) -> ModuleConfig {
        ModuleConfig(name: name, flags: flags, kind: .string(value, get, set), apply: apply)
    }

    /// A `yes`/`no` config.
    public static func bool(_ name: String, default value: Bool, flags: ModuleConfigFlags = [],
                            get: @escaping () -> Bool, set: @escaping (Bool) throws(ModuleError) -> Void,
                            apply: (() throws(ModuleError) -> Void)? = nil) -> ModuleConfig {
        ModuleConfig(name: name, flags: flags, kind: .bool(value, get, set), apply: apply)
    }

    /// An integer config within `min...max` (a memory value with `.memory`).
    public static func numeric(_ name: String, default value: Int64, min: Int64, max: Int64,
                               flags: ModuleConfigFlags = [], get: @escaping () -> Int64,
                               set: @escaping (Int64) throws(ModuleError) -> Void,
                               apply: (() throws(ModuleError) -> Void)? = nil) -> ModuleConfig {
        ModuleConfig(name: name, flags: flags, kind: .numeric(value, min...Swift.max(min, max), get, set), apply: apply)
    }

    /// An enum config: one of `values` (names and their integers), or with `.bitflags` any set of them OR-ed.
    public static func enumeration(_ name: String, default value: Int, values: [(String, Int)],
                                   flags: ModuleConfigFlags = [], get: @escaping () -> Int,
                                   set: @escaping (Int) throws(ModuleError) -> Void,
                                   apply: (() throws(ModuleError) -> Void)? = nil) -> ModuleConfig {
        ModuleConfig(name: name, flags: flags, kind: .enumeration(value, values, get, set), apply: apply)
    }

    /// A string config kept in `stored`; `validate` may refuse a value by throwing.
    public static func string(_ name: String, default value: String, flags: ModuleConfigFlags = [],
                              stored: ModuleSetting<String>,
                              validate: @escaping (String) throws(ModuleError) -> Void = { _ in }) -> ModuleConfig {
        string(name, default: value, flags: flags, get: { stored.value }, set: { v throws(ModuleError) in
            try validate(v)
            stored.value = v
        })
    }

    /// A `yes`/`no` config kept in `stored`.
    public static func bool(_ name: String, default value: Bool, flags: ModuleConfigFlags = [],
                            stored: ModuleSetting<Bool>) -> ModuleConfig {
        bool(name, default: value, flags: flags, get: { stored.value }, set: { stored.value = $0 })
    }

    /// An integer config kept in `stored`; `validate` may refuse a value in range by throwing.
    public static func numeric(_ name: String, default value: Int64, min: Int64, max: Int64,
                               flags: ModuleConfigFlags = [], stored: ModuleSetting<Int64>,
                               validate: @escaping (Int64) throws(ModuleError) -> Void = { _ in }) -> ModuleConfig {
        numeric(name, default: value, min: min, max: max, flags: flags, get: { stored.value },
                set: { v throws(ModuleError) in
            try validate(v)
            stored.value = v
        })
    }

    /// An enum config kept in `stored`.
    public static func enumeration(_ name: String, default value: Int, values: [(String, Int)],
                                   flags: ModuleConfigFlags = [], stored: ModuleSetting<Int>) -> ModuleConfig {
        enumeration(name, default: value, values: values, flags: flags, get: { stored.value },
                    set: { stored.value = $0 })
    }
}

/// A config value a module keeps (read it from handlers with `.value`); the server changes it only through
/// CONFIG SET / the config file / LOADEX, with the data lock held, as handlers run.
public final class ModuleSetting<Value>: @unchecked Sendable {
    /// The current value.
    public var value: Value
    /// A setting holding `value` until the module's configs are loaded.
    public init(_ value: Value) { self.value = value }
}
