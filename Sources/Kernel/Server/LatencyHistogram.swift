/// A per-command latency histogram with the bucket layout of the HdrHistogram Redis 7.0 uses for
/// `latency-tracking` (lowest 1 ns, highest 1 s, 2 significant digits): values below 256 ns are exact, and each
/// power-of-two range `[2^m, 2^(m+1))` above is split in 128 equal sub-buckets. Percentiles and the cumulative
/// distribution are therefore reported with the same rounding as Redis (`p50=1.003`), from a fixed array of
/// counters — no per-sample storage.
public struct LatencyHistogram {
    /// Redis's LATENCY_HISTOGRAM_MIN_VALUE / MAX_VALUE, in nanoseconds.
    static let minValue: Int64 = 1
    static let maxValue: Int64 = 1_000_000_000
    /// 256 exact counters, then 128 per magnitude 8...29.
    static let bucketCount = 256 + (29 - 8 + 1) * 128

    private var counts: [Int64]
    /// Number of recorded samples.
    public private(set) var totalCount: Int64 = 0

    /// An empty histogram.
    public init() { counts = [Int64](repeating: 0, count: Self.bucketCount) }

    @inline(__always)
    static func index(_ v: Int64) -> Int {
        if v < 256 { return Int(v) }
        let m = 63 - v.leadingZeroBitCount
        return 256 + (m - 8) * 128 + Int(v >> (m - 7)) - 128
    }

    /// The smallest value of the bucket at `index`.
    static func lowestValue(ofIndex i: Int) -> Int64 {
        if i < 256 { return Int64(i) }
        let m = (i - 256) / 128 + 8
        return Int64((i - 256) % 128 + 128) << (m - 7)
    }

    /// The largest value of the bucket at `index` (HdrHistogram's highest equivalent value).
    static func highestValue(ofIndex i: Int) -> Int64 {
        if i < 256 { return Int64(i) }
        let m = (i - 256) / 128 + 8
        let sub = Int64((i - 256) % 128 + 128)
        let res = Int64(1) << (m - 7)
        return sub * res + res - 1
    }

    /// Records one command duration given in microseconds (Redis records `duration * 1000` ns, clamped).
    @inline(__always)
    public mutating func record(microseconds us: Int64) {
        let ns = min(max(us &* 1000, Self.minValue), Self.maxValue)
        counts[Self.index(ns)] &+= 1
        totalCount &+= 1
    }

    /// The value (ns) at a percentile, as `hdr_value_at_percentile`: the highest equivalent value of the bucket
    /// holding the sample at that rank.
    public func value(atPercentile p: Double) -> Int64 {
        let pct = min(p, 100)
        let wanted = max(1, Int64((pct / 100) * Double(totalCount) + 0.5))
        var cumulative: Int64 = 0
        for i in 0..<counts.count where counts[i] != 0 {
            cumulative += counts[i]
            if cumulative >= wanted { return pct == 0 ? Self.lowestValue(ofIndex: i) : Self.highestValue(ofIndex: i) }
        }
        return 0
    }

    /// LATENCY HISTOGRAM's `histogram_usec`: (µs bound, cumulative count) at the power-of-two reporting levels
    /// 1024 ns, 2048 ns, ... (Redis's log iteration), keeping only the levels where the count grows.
    public func cumulativeDistribution() -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        guard totalCount > 0 else { return out }
        var level: Int64 = 1024
        var idx = 0
        var cumulative: Int64 = 0
        var previous: Int64 = 0
        while cumulative < totalCount && level <= Self.maxValue * 2 {
            let last = Self.index(level)
            while idx <= last && idx < counts.count {
                cumulative += counts[idx]
                idx += 1
            }
            if cumulative > previous {
                out.append((Self.highestValue(ofIndex: last) / 1000, cumulative))
                previous = cumulative
            }
            level <<= 1
        }
        return out
    }
}
