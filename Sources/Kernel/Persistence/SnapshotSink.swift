/// Where a snapshot's RDB bytes go: a file (`SnapshotFileWriter`) or, for a diskless full sync, the sockets of
/// the replicas being synchronised (the replication target's sink). The snapshot engine calls these with the
/// data lock held; the sink appends the CRC64 trailer itself in `finish`.
public protocol SnapshotSink: AnyObject {
    /// Takes the next chunk of the image.
    func write(_ chunk: [UInt8])
    /// Ends the image (checksum trailer, then whatever completes the target). `done(ok)` must run later, never
    /// from inside this call: the caller holds the data lock and `done` takes it.
    func finish(_ done: @escaping (Bool) -> Void)
    /// Gives up on the image.
    func abandon()
    /// Whether writing failed (the engine stops encoding).
    var failed: Bool { get }
    /// Bytes accepted and not yet written out (the engine pauses while too many are queued).
    var queuedBytes: Int { get }
    /// The first error, for the log.
    var errorMessage: String { get }
}

extension SnapshotFileWriter: SnapshotSink {}
