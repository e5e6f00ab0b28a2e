/// The limits that decide in-memory encodings when values are loaded, and list node sizes when they are
/// written (Redis's `hash-max-listpack-entries/-value`, `set-max-intset-entries`,
/// `zset-max-listpack-entries/-value`, `list-max-listpack-size`).
public struct EncodingThresholds: Sendable {
    /// `hash-max-listpack-entries`: more fields than this → hashtable.
    public var hashMaxListpackEntries: Int
    /// `hash-max-listpack-value`: a longer field or value → hashtable.
    public var hashMaxListpackValue: Int
    /// `set-max-intset-entries`: more integers than this → hashtable.
    public var setMaxIntsetEntries: Int
    /// `zset-max-listpack-entries`: more members than this → skiplist.
    public var zsetMaxListpackEntries: Int
    /// `zset-max-listpack-value`: a longer member → skiplist.
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
