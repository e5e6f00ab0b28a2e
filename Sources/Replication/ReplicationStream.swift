import Kernel

/// Turns effects into the bytes of the replication stream, as Redis's replicationFeedSlaves does: each command
/// in RESP (the AOF's encoding, `AOFCommandReader.encode`), preceded by `SELECT` when its database differs from
/// the one the stream last selected.
public struct ReplicationStreamEncoder {
    /// The database the stream last selected (-1: none, so the next command selects; reset at each full sync).
    public var selectedDb = -1

    /// Creates an encoder whose first command will be preceded by `SELECT`.
    public init() {}

    /// The bytes for one effect. `db` nil is for commands outside any database (the master's `PING`,
    /// `REPLCONF GETACK`), which never select.
    public mutating func encode(db: Int?, _ argv: [RBytes]) -> [UInt8] {
        var out: [UInt8] = []
        if let db, db != selectedDb {
            AOFCommandReader.encode(["SELECT", Numbers.format(Int64(db))], into: &out)
            selectedDb = db
        }
        AOFCommandReader.encode(argv, into: &out)
        return out
    }
}
