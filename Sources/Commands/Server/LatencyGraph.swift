import Kernel

/// LATENCY GRAPH's sparkline (Redis's sparkline.c with `SPARKLINE_FILL`, 80 columns, 4 rows, labels with the
/// age of each sample) and LATENCY DOCTOR's report.
enum LatencyGraph {
    static let columns = 80
    static let rows = 4
    static let charset: [UInt8] = Array("_o#".utf8)

    /// The graph of one event, with Redis's header line.
    static func render(event: String, series: LatencyEventSeries, now: Int64) -> String {
        var values: [Int64] = []
        var labels: [[UInt8]] = []
        var low: Int64 = 0, high: Int64 = 0
        for s in series.samples {
            if values.isEmpty { low = s.latency; high = s.latency }
            high = max(high, s.latency)
            low = min(low, s.latency)
            let elapsed = now - s.time
            let label: String
            if elapsed < 60 { label = "\(elapsed)s" } else if elapsed < 3600 { label = "\(elapsed / 60)m" }
            else if elapsed < 86400 { label = "\(elapsed / 3600)h" } else { label = "\(elapsed / 86400)d" }
            values.append(s.latency)
            labels.append(Array(label.utf8))
        }
        var out = Array("\(event) - high \(high) ms, low \(low) ms (all time high \(series.max) ms)\n".utf8)
        out.append(contentsOf: repeatElement(UInt8(ascii: "-"), count: columns))
        out.append(10)
        // The sequence's min and max as sparkline.c tracks them (an `else if`: a first rise never lowers min).
        var seqMin: Int64 = 0, seqMax: Int64 = 0
        for (i, v) in values.enumerated() {
            if i == 0 { seqMin = v; seqMax = v } else if v < seqMin { seqMin = v } else if v > seqMax { seqMax = v }
        }
        var j = 0
        while j < values.count {
            let len = min(columns, values.count - j)
            if j != 0 { out.append(10) }
            renderRange(&out, values, labels, seqMin, seqMax, offset: j, len: len)
            j += columns
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func renderRange(_ out: inout [UInt8], _ values: [Int64], _ labels: [[UInt8]], _ lo: Int64,
                                    _ hi: Int64, offset: Int, len: Int) {
        var relmax = Double(hi - lo)
        if relmax == 0 { relmax = 1 }
        let steps = charset.count * rows
        var row = 0
        var loop = true
        while loop {
            loop = false
            var chars = [UInt8](repeating: UInt8(ascii: " "), count: len)
            for k in 0..<len {
                let relval = Double(values[k + offset] - lo)
                var step = Int(Double(Int(relval * Double(steps))) / relmax)
                step = max(0, min(step, steps - 1))
                if row < rows {
                    let idx = step - (rows - row - 1) * charset.count
                    loop = true
                    if idx >= 0 && idx < charset.count {
                        chars[k] = charset[idx]
                    } else if idx >= charset.count {
                        chars[k] = UInt8(ascii: "|")
                    }
                } else {
                    if row - rows < 1 {   // one blank line between the graph and the labels
                        loop = true
                        break
                    }
                    let label = labels[k + offset]
                    let at = row - rows - 1
                    if label.count > at {
                        loop = true
                        chars[k] = label[at]
                    }
                }
            }
            if loop {
                row += 1
                out.append(contentsOf: chars)
                out.append(10)
            }
        }
    }

    /// LATENCY DOCTOR: Redis's canned texts when monitoring is off or nothing was observed; otherwise, per event,
    /// the number of spikes, their average and mean deviation, the period and the worst case, then advice.
    static func doctorReport(_ server: Server) -> String {
        let l = server.latency
        if l.events.isEmpty && server.config.latencyMonitorThreshold == 0 {
            return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
        }
        if l.events.isEmpty {
            return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
        }
        var report = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n"
        var n = 1
        var advices: [String] = []
        for name in l.order {
            guard let ts = l.events[name], !ts.samples.isEmpty else { continue }
            let count = Int64(ts.samples.count)
            let sum = ts.samples.reduce(Int64(0)) { $0 + $1.latency }
            let avg = sum / count
            let mad = ts.samples.reduce(Int64(0)) { $0 + abs($1.latency - avg) } / count
            let period = Double(max(0, server.commandTime / 1000 - ts.samples[0].time)) / Double(count)
            let periodText = String(Int64(period)) + "." + String(Int64((period * 100).rounded()) % 100).leftPadded(2)
            report += "\(n). \(name): \(count) latency spikes (average \(avg)ms, mean deviation \(mad)ms, period \(periodText) sec). Worst all time event \(ts.max)ms.\n"
            n += 1
            if name == "command" || name == "fast-command" {
                advices.append("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.")
            } else if name == "expire-cycle" {
                advices.append("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.")
            }
        }
        report += "\nI have a few advices for you:\n\n"
        if advices.isEmpty {
            advices.append("- Use LATENCY GRAPH and LATENCY HISTORY to see when the spikes happened.")
        }
        var seen = Set<String>()
        for a in advices where seen.insert(a).inserted { report += a + "\n" }
        return report
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
