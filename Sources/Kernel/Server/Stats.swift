/// Counters INFO stats/errorstats report.
public struct ServerStats {
    public var totalConnections: Int64 = 0
    public var rejectedConnections: Int64 = 0
    /// Full resynchronisations served to replicas (`sync_full`).
    public var syncFull: Int64 = 0
    /// Partial resynchronisations accepted (`sync_partial_ok`) and refused (`sync_partial_err`).
    public var syncPartialOK: Int64 = 0
    public var syncPartialErr: Int64 = 0
    public var totalCommands: Int64 = 0
    public var expiredKeys: Int64 = 0
    public var evictedKeys: Int64 = 0
    public var keyspaceHits: Int64 = 0
    public var keyspaceMisses: Int64 = 0
    public var netInputBytes: Int64 = 0
    public var netOutputBytes: Int64 = 0
    public var totalErrorReplies: Int64 = 0
    public var errorCodes: [String: Int64] = [:]
    /// Set once a new error code found `errorCodes` full.
    var errorCodesFull = false
    /// Clients closed for overcoming their output buffer limits (`client_output_buffer_limit_disconnections`,
    /// a Redis 7.2 field) and for a query buffer past `client-query-buffer-limit`.
    public var outputLimitDisconnections: Int64 = 0
    public var queryLimitDisconnections: Int64 = 0
    /// Clients evicted by `maxmemory-clients` (`evicted_clients`).
    public var evictedClients: Int64 = 0
    /// Ring of (time ms, commands) samples for instantaneous_ops_per_sec.
    var opsSamples: [(Int64, Int64)] = []
    /// Ring of (time ms, input bytes, output bytes) samples for instantaneous_input/output_kbps.
    var netSamples: [(Int64, Int64, Int64)] = []
    /// Socket reads and reply writes handled (total_reads_processed / total_writes_processed).
    public var totalReadsProcessed: Int64 = 0
    public var totalWritesProcessed: Int64 = 0
    /// The active expiry cycle's running average of expired keys among those sampled (0...100), how often it
    /// stopped at its time budget, and its total time.
    public var expiredStalePercent: Double = 0
    public var expiredTimeCapReached: Int64 = 0
    public var expireCycleMicroseconds: Int64 = 0

    /// Distinct error codes `INFO errorstats` tracks (Redis 7.2's `ERROR_STATS_NUMBER`; 7.0 has no bound).
    public static let maxErrorCodes = 128

    /// Counts an error reply under its code (`ERR`, `WRONGTYPE`, ...). Past `maxErrorCodes` distinct codes a new
    /// code is counted only in `total_error_replies`; returns true the first time that happens (to log it).
    @discardableResult
    mutating func countError(_ message: String) -> Bool {
        totalErrorReplies += 1
        let code = Substring(message.prefix { $0 != " " })
        if let i = errorCodes.index(forKey: String(code)) {
            errorCodes.values[i] += 1
            return false
        }
        guard errorCodes.count < Self.maxErrorCodes else {
            defer { errorCodesFull = true }
            return !errorCodesFull
        }
        errorCodes[String(code)] = 1
        return false
    }

    mutating func sampleOps(now: Int64) {
        opsSamples.append((now, totalCommands))
        if opsSamples.count > 16 { opsSamples.removeFirst() }
        netSamples.append((now, netInputBytes, netOutputBytes))
        if netSamples.count > 16 { netSamples.removeFirst() }
    }

    /// Input and output kilobytes per second over the last samples (as Redis's `instantaneous_*_kbps`).
    public var instantaneousKbps: (input: Double, output: Double) {
        guard let first = netSamples.first, let last = netSamples.last, last.0 > first.0 else { return (0, 0) }
        let seconds = Double(last.0 - first.0) / 1000
        return (Double(last.1 - first.1) / 1024 / seconds, Double(last.2 - first.2) / 1024 / seconds)
    }

    /// Commands per second over the last samples.
    public var instantaneousOps: Int64 {
        guard let first = opsSamples.first, let last = opsSamples.last, last.0 > first.0 else { return 0 }
        return (last.1 - first.1) * 1000 / (last.0 - first.0)
    }

    public mutating func reset() {
        self = ServerStats()
    }
}

extension Server {
    /// Counts an error reply in the stats, logging once when `INFO errorstats` stops taking new codes.
    func countError(_ message: String) {
        if stats.countError(message) {
            log.warning("Errorstats stopped adding new errors because the number of different errors reached \(ServerStats.maxErrorCodes); further new error codes are counted only in total_error_replies.")
        }
    }
}
