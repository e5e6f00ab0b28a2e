/// How far the load at start has got (INFO persistence's loading_* fields, printed while `loading:1`).
public struct LoadingProgress {
    /// Unix seconds when loading started.
    public var startTime: Int64 = 0
    /// Size of what is being loaded.
    public var totalBytes: Int64 = 0
    /// Bytes read so far.
    public var loadedBytes: Int64 = 0
    /// Monotonic ns when loading started (for the ETA).
    public var startedAt: Int64 = 0

    public init() {}

    public init(startTime: Int64, totalBytes: Int64, loadedBytes: Int64, startedAt: Int64) {
        self.startTime = startTime
        self.totalBytes = totalBytes
        self.loadedBytes = loadedBytes
        self.startedAt = startedAt
    }

    /// Percent loaded.
    public var percent: Double { totalBytes > 0 ? Double(loadedBytes) * 100 / Double(totalBytes) : 0 }

    /// Seconds left at the current pace (1 until there is a pace to go by, as Redis).
    public var etaSeconds: Int64 {
        let elapsed = Double(Clock.monotonicNanoseconds() - startedAt) / 1e9
        guard loadedBytes > 0, elapsed > 0 else { return 1 }
        let rate = Double(loadedBytes) / elapsed
        return Int64(Double(totalBytes - loadedBytes) / rate)
    }
}
