/// One latency event's samples (Redis's `latencyTimeSeries`): a ring of the last 160 per-second maxima plus
/// the all-time maximum.
public struct LatencyEventSeries {
    /// Redis's LATENCY_TS_LEN.
    static let capacity = 160
    /// (unix seconds, milliseconds), oldest first.
    public private(set) var samples: [(time: Int64, latency: Int64)] = []
    public private(set) var max: Int64 = 0

    mutating func add(_ ms: Int64, now: Int64) {
        if ms > max { max = ms }
        // Samples of the same second are merged, keeping the highest.
        if let last = samples.last, last.time == now {
            if ms > last.latency { samples[samples.count - 1].latency = ms }
            return
        }
        samples.append((now, ms))
        if samples.count > Self.capacity { samples.removeFirst() }
    }
}

/// The latency monitor (`latency-monitor-threshold`): named events (`command`, `fast-command`, `expire-cycle`,
/// ...) whose durations reach the threshold are sampled for LATENCY LATEST/HISTORY/GRAPH/DOCTOR.
public final class LatencyMonitor {
    /// Events by name, in the order they first occurred.
    public private(set) var events: [String: LatencyEventSeries] = [:]
    public private(set) var order: [String] = []

    /// Records `ms` for `event` when monitoring is on (`threshold` > 0) and `ms` reaches it.
    @inline(__always)
    public func addSampleIfNeeded(_ event: String, milliseconds ms: Int64, threshold: Int64, now: Int64) {
        guard threshold > 0 && ms >= threshold else { return }
        if events[event] == nil { order.append(event) }
        events[event, default: LatencyEventSeries()].add(ms, now: now)
    }

    /// Forgets `names` (all events when nil); returns how many existed.
    public func reset(_ names: [String]?) -> Int {
        guard let names else {
            let n = events.count
            events.removeAll()
            order.removeAll()
            return n
        }
        var n = 0
        for name in names where events.removeValue(forKey: name) != nil {
            order.removeAll { $0 == name }
            n += 1
        }
        return n
    }
}

// MARK: - MONITOR

extension Server {
    /// Attaches `c` as a MONITOR client (it gets every command's line from now on).
    public func addMonitor(_ c: Client) {
        if !monitors.contains(where: { $0 === c }) { monitors.append(c) }
        c.isMonitor = true
    }

    /// Detaches a monitor (RESET, disconnect).
    public func removeMonitor(_ c: Client) {
        monitors.removeAll { $0 === c }
        c.isMonitor = false
    }

    /// Sends a command's line to every MONITOR client (Redis's replicationFeedMonitors):
    /// `+<sec>.<usec> [<db> <addr>] "arg" ...` with Redis's quoting, `lua` as the address of a script's calls.
    func feedMonitors(_ c: Client, _ cmd: Command) {
        let argv = Server.mayRedact(cmd) ? Server.redactedArguments(c.argv, cmd) : c.argv
        let now = Clock.unixMicroseconds()
        var line: [UInt8] = []
        line.reserveCapacity(64 + argv.reduce(0) { $0 + $1.count + 3 })
        line.append(UInt8(ascii: "+"))
        line.append(contentsOf: String(now / 1_000_000).utf8)
        line.append(UInt8(ascii: "."))
        let frac = String(now % 1_000_000)
        line.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 6 - frac.utf8.count))
        line.append(contentsOf: frac.utf8)
        line.append(contentsOf: " [\(c.db.id) ".utf8)
        line.append(contentsOf: (!c.isConnection ? "lua" : c.address).utf8)
        line.append(UInt8(ascii: "]"))
        for a in argv {
            line.append(UInt8(ascii: " "))
            Server.appendQuoted(a, to: &line)
        }
        line.append(13)
        line.append(10)
        for m in monitors { m.deliverRaw(line, enforceLimit: true) }
    }

    /// Redis's `sdscatrepr`: the bytes in double quotes, `\n \r \t \a \b \\ \"` escaped, other unprintable bytes
    /// as `\xHH`.
    public static func appendQuoted(_ s: RBytes, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        s.withUnsafeBytes { p in
            for b in p {
                switch b {
                case UInt8(ascii: "\\"), UInt8(ascii: "\""):
                    out.append(UInt8(ascii: "\\"))
                    out.append(b)
                case 10: out.append(contentsOf: [92, UInt8(ascii: "n")])
                case 13: out.append(contentsOf: [92, UInt8(ascii: "r")])
                case 9: out.append(contentsOf: [92, UInt8(ascii: "t")])
                case 7: out.append(contentsOf: [92, UInt8(ascii: "a")])
                case 8: out.append(contentsOf: [92, UInt8(ascii: "b")])
                case 0x20...0x7e: out.append(b)
                default:
                    out.append(contentsOf: [92, UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 15)]])
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
