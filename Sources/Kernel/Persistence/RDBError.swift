/// A corrupt, truncated or unsupported RDB input: `offset` is where the reader stopped.
public struct RDBError: Error, CustomStringConvertible {
    /// Byte offset in the input where the problem was found.
    public let offset: Int
    /// What was wrong, in words.
    public let message: String

    /// An error at `offset`.
    public init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) (at offset \(offset))" }
}
