import Kernel

extension InfoSection {
    /// INFO latencystats: `latency_percentiles_usec_<command>:p50=...,p99=...` for every command with a latency
    /// histogram, at the `latency-tracking-info-percentiles` (values in µs with 3 decimals, as Redis's `%.3f`).
    static func latencystats(_ c: Client) -> [(String, String)] {
        let percentiles = c.server.config.latencyTrackingInfoPercentiles
        var out: [(String, String)] = []
        for cmd in ObservabilityCommands.allCommands(c.server) {
            guard let h = cmd.latencyHistogram else { continue }
            let parts = percentiles.map { p -> String in
                let ns = h.value(atPercentile: p)
                let frac = String(ns % 1000)
                return "p\(Config.formatPercentile(p))=\(ns / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
            }
            out.append(("latency_percentiles_usec_\(cmd.fullName)", parts.joined(separator: ",")))
        }
        return out
    }
}
