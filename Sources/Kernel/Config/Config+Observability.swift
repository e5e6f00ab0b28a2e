/// The observability directives: `latency-monitor-threshold`, `latency-tracking` and
/// `latency-tracking-info-percentiles` (the `slowlog-*` ones are in the main table).
extension Config {
    static var observabilityDirectives: [Directive] {
        [
            Directive(name: "latency-monitor-threshold", aliases: [], mutable: true,
                      get: { String($0.latencyMonitorThreshold) }, set: { c, v throws(ConfigError) in
                c.latencyMonitorThreshold = try DirectiveTable.parseInteger(v.joined(separator: " "), 0...Int64.max)
            }),
            Directive(name: "latency-tracking", aliases: [], mutable: true,
                      get: { $0.latencyTracking ? "yes" : "no" }, set: { c, v throws(ConfigError) in
                c.latencyTracking = try DirectiveTable.parseBool(v.joined(separator: " "))
            }),
            Directive(name: "latency-tracking-info-percentiles", aliases: [], mutable: true,
                      get: { $0.latencyTrackingInfoPercentiles.map(Config.formatPercentile).joined(separator: " ") },
                      set: { c, v throws(ConfigError) in
                let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
                var values: [Double] = []
                for p in parts {
                    guard let d = Double(p), d.isFinite else { throw ConfigError("Invalid latency-tracking-info-percentiles parameters") }
                    guard d >= 0 && d <= 100 else {
                        throw ConfigError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
                    }
                    values.append(d)
                }
                c.latencyTrackingInfoPercentiles = values
            }, multiArg: true),
        ]
    }

    /// A percentile as Redis prints it (`%f` with trailing zeros trimmed): `50`, `99.9`, `12.5`.
    public static func formatPercentile(_ d: Double) -> String {
        let micro = Int64((d * 1_000_000).rounded())
        let whole = micro / 1_000_000
        var frac = String(micro % 1_000_000)
        if frac == "0" { return String(whole) }
        frac = String(repeating: "0", count: 6 - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        return "\(whole).\(frac)"
    }
}
