/// Which keys `maxmemory` evicts (Redis's `maxmemory-policy`).
public enum EvictionPolicy: String, CaseIterable, Sendable {
    case volatileLRU = "volatile-lru"
    case volatileLFU = "volatile-lfu"
    case volatileRandom = "volatile-random"
    case volatileTTL = "volatile-ttl"
    case allkeysLRU = "allkeys-lru"
    case allkeysLFU = "allkeys-lfu"
    case allkeysRandom = "allkeys-random"
    case noeviction = "noeviction"

    /// Whether the policy only evicts keys with a TTL.
    public var volatileOnly: Bool {
        switch self {
        case .volatileLRU, .volatileLFU, .volatileRandom, .volatileTTL: return true
        default: return false
        }
    }

    /// Whether keys carry an LFU counter instead of an LRU clock.
    public var isLFU: Bool { self == .volatileLFU || self == .allkeysLFU }

    /// Whether the policy needs the per-key access data (LRU or LFU), so shared integers are not used.
    public var tracksAccess: Bool {
        switch self {
        case .volatileLRU, .volatileLFU, .allkeysLRU, .allkeysLFU: return true
        default: return false
        }
    }
}

/// The eviction directives' values (`maxmemory-policy`, `maxmemory-samples`, `maxmemory-eviction-tenacity`,
/// `lfu-log-factor`, `lfu-decay-time`), kept apart from `Config`'s other fields.
public final class EvictionSettings {
    /// The active policy; `isLFU` is cached because every key access reads it.
    public var policy: EvictionPolicy = .noeviction {
        didSet { lfu = policy.isLFU }
    }
    /// Whether the policy is an LFU one (key accesses bump a counter instead of stamping a clock).
    public private(set) var lfu = false
    /// Keys sampled per database per eviction round.
    public var samples = 5
    /// 0...100: how long one eviction pass may run before it yields to clients (10 = Redis's default, 500 µs).
    public var tenacity = 10
    /// LFU counter logarithm factor.
    public var lfuLogFactor = 10
    /// Minutes for the LFU counter to decay by one (0: never).
    public var lfuDecayTime = 1

    public init() {}
}

extension Config {
    /// `maxmemory-policy` as its Redis name.
    public var maxmemoryPolicy: String { eviction.policy.rawValue }

    /// The directives backed by `EvictionSettings`.
    static func evictionDirectives() -> [Directive] {
        func int(_ name: String, _ kp: ReferenceWritableKeyPath<EvictionSettings, Int>, _ range: ClosedRange<Int>) -> Directive {
            Directive(name: name, aliases: [], mutable: true, get: { String($0.eviction[keyPath: kp]) }, set: { c, v throws(ConfigError) in
                c.eviction[keyPath: kp] = Int(try DirectiveTable.parseInteger(v.joined(separator: " "), Int64(range.lowerBound)...Int64(range.upperBound)))
            })
        }
        let policies = EvictionPolicy.allCases.map(\.rawValue)
        return [
            Directive(name: "maxmemory-policy", aliases: [], mutable: true, get: { $0.eviction.policy.rawValue }, set: { c, v throws(ConfigError) in
                guard let p = EvictionPolicy(rawValue: v.joined(separator: " ").lowercased()) else {
                    throw ConfigError("argument(s) must be one of the following: \(policies.joined(separator: ", "))")
                }
                c.eviction.policy = p
            }),
            int("maxmemory-samples", \.samples, 1...Int(Int32.max)),
            int("maxmemory-eviction-tenacity", \.tenacity, 0...100),
            int("lfu-log-factor", \.lfuLogFactor, 0...Int(Int32.max)),
            int("lfu-decay-time", \.lfuDecayTime, 0...Int(Int32.max)),
        ]
    }
}
