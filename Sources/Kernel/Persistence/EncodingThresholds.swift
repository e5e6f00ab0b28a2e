/// The limits that decide in-memory encodings when values are loaded, and list node sizes when they are
/// written (Redis's `hash-max-listpack-entries/-value`, `set-max-intset-entries`,
/// `zset-max-listpack-entries/-value`, `list-max-listpack-size`).
public struct EncodingThresholds: Sendable {
    public var hashMaxListpackEntries: Int
    public var hashMaxListpackValue: Int
    public var setMaxIntsetEntries: Int
    public var zsetMaxListpackEntries: Int
    public var zsetMaxListpackValue: Int
    /// Quicklist node fill: negative = size class (-1 4 KB ... -5 64 KB), positive = max elements per node.
    public var listMaxListpackSize: Int

    /// The thresholds a config currently has.
    public init(_ config: Config) {
        self.init(hashMaxListpackEntries: config.hashMaxListpackEntries,
                  hashMaxListpackValue: config.hashMaxListpackValue,
                  setMaxIntsetEntries: config.setMaxIntsetEntries,
                  zsetMaxListpackEntries: config.zsetMaxListpackEntries,
                  zsetMaxListpackValue: config.zsetMaxListpackValue,
                  listMaxListpackSize: config.listMaxListpackSize)
    }

    /// Explicit thresholds (Redis's defaults unless given).
    public init(hashMaxListpackEntries: Int = 512, hashMaxListpackValue: Int = 64, setMaxIntsetEntries: Int = 512,
                zsetMaxListpackEntries: Int = 128, zsetMaxListpackValue: Int = 64, listMaxListpackSize: Int = -2) {
        self.hashMaxListpackEntries = hashMaxListpackEntries
        self.hashMaxListpackValue = hashMaxListpackValue
        self.setMaxIntsetEntries = setMaxIntsetEntries
        self.zsetMaxListpackEntries = zsetMaxListpackEntries
        self.zsetMaxListpackValue = zsetMaxListpackValue
        self.listMaxListpackSize = listMaxListpackSize
    }

    /// Redis's defaults.
    public static let defaults = EncodingThresholds()
}
