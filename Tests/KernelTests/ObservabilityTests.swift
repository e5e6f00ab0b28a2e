import Testing
@testable import Kernel

@Suite("Latency histogram and slow log")
struct ObservabilityTests {
    @Test("percentiles carry HdrHistogram's rounding (Redis's p50=1.003 for 1 µs)", arguments: [
        (Int64(1), Int64(1003)), (3, 3007), (4, 4015), (7, 7007), (50_100, 50_331_647),
    ])
    func percentileRounding(microseconds: Int64, expected: Int64) {
        var h = LatencyHistogram()
        h.record(microseconds: microseconds)
        #expect(h.value(atPercentile: 50) == expected)
    }

    @Test("the cumulative distribution reports Redis's power-of-two levels")
    func distribution() {
        var h = LatencyHistogram()
        for us in [1, 2, 2, 3, 9, 15, 16] as [Int64] { h.record(microseconds: us) }
        let cdf = h.cumulativeDistribution()
        #expect(cdf.map { $0.0 } == [1, 2, 4, 16])
        #expect(cdf.map { $0.1 } == [1, 3, 4, 7])
        #expect(cdf.last?.1 == h.totalCount)
    }

    @Test("p0 is the lowest value of the first bucket")
    func percentileZero() {
        var h = LatencyHistogram()
        h.record(microseconds: 385)
        #expect(h.value(atPercentile: 0) == 382_976)
        #expect(h.value(atPercentile: 100) == 385_023)
    }

    @Test("the slow log cuts arguments at 32 and strings at 128 bytes, newest first, bounded")
    func slowLogTruncation() {
        let log = SlowLog()
        let argv = (0..<40).map { RBytes("a\($0)") }
        log.push(argv: argv, duration: 5, time: 1, peer: "?:0", name: RBytes(), maxLen: 2)
        log.push(argv: [RBytes(String(repeating: "x", count: 130))], duration: 6, time: 2, peer: "p", name: RBytes(),
                 maxLen: 2)
        log.push(argv: ["ping"], duration: 7, time: 3, peer: "p", name: RBytes(), maxLen: 2)
        #expect(log.entries.map(\.id) == [2, 1])
        #expect(log.entries[1].argv[0].string == String(repeating: "x", count: 128) + "... (2 more bytes)")
        let first = SlowLog()
        first.push(argv: argv, duration: 5, time: 1, peer: "?:0", name: RBytes(), maxLen: 10)
        #expect(first.entries[0].argv.count == 32)
        #expect(first.entries[0].argv[31].string == "... (9 more arguments)")
    }
}
