import Kernel

/// SLOWLOG, LATENCY and MONITOR: the server family's performance introspection (Redis's slowlog.c, latency.c
/// and MONITOR). The samples are taken by the kernel's dispatcher (SlowLog.swift, LatencyMonitor.swift).
public struct ObservabilityCommands: CommandModule {
    public init() {}
    public let family = "server"

    public var commands: [CommandSpec] {
        let admin: CommandFlags = [.admin, .loading, .stale]
        let adminNS: CommandFlags = [.admin, .noscript, .loading, .stale]
        let help: CommandFlags = [.loading, .stale]
        return [
            CommandSpec("slowlog", arity: -2, summary: "A container for slow log commands.", since: "2.2.12",
                        complexity: "Depends on subcommand.", subcommands: [
                CommandSpec("get", arity: -2, flags: admin, summary: "Returns the slow log's entries.",
                            since: "2.2.12", complexity: "O(N) where N is the number of entries returned",
                            handler: Self.slowlogGet),
                CommandSpec("len", arity: 2, flags: admin, summary: "Returns the number of entries in the slow log.",
                            since: "2.2.12", complexity: "O(1)", handler: Self.slowlogLen),
                CommandSpec("reset", arity: 2, flags: admin, summary: "Clears all entries from the slow log.",
                            since: "2.2.12", complexity: "O(N) where N is the number of entries in the slowlog",
                            handler: Self.slowlogReset),
                CommandSpec("help", arity: 2, flags: help, summary: "Show helpful text about the different subcommands",
                            since: "6.2.0", complexity: "O(1)", handler: Self.slowlogHelp),
            ]),
            CommandSpec("latency", arity: -2, summary: "A container for latency diagnostics commands.", since: "2.8.13",
                        complexity: "Depends on subcommand.", subcommands: [
                CommandSpec("latest", arity: 2, flags: adminNS, summary: "Returns the latest latency samples for all events.",
                            since: "2.8.13", complexity: "O(1)", handler: Self.latencyLatest),
                CommandSpec("history", arity: 3, flags: adminNS, summary: "Returns timestamp-latency samples for an event.",
                            since: "2.8.13", complexity: "O(1)", handler: Self.latencyHistory),
                CommandSpec("reset", arity: -2, flags: adminNS, summary: "Resets the latency data for one or more events.",
                            since: "2.8.13", complexity: "O(1)", handler: Self.latencyReset),
                CommandSpec("graph", arity: 3, flags: adminNS, summary: "Returns a latency graph for an event.",
                            since: "2.8.13", complexity: "O(1)", handler: Self.latencyGraph),
                CommandSpec("doctor", arity: 2, flags: adminNS, summary: "Returns a human-readable latency analysis report.",
                            since: "2.8.13", complexity: "O(1)", handler: Self.latencyDoctor),
                CommandSpec("histogram", arity: -2, flags: adminNS,
                            summary: "Returns the cumulative distribution of latencies of a subset or all commands.",
                            since: "7.0.0", complexity: "O(N) where N is the number of commands with latency information being retrieved.",
                            handler: Self.latencyHistogram),
                CommandSpec("help", arity: 2, flags: help, summary: "Returns helpful text about the different subcommands.",
                            since: "2.8.13", complexity: "O(1)", handler: Self.latencyHelp),
            ]),
            CommandSpec("monitor", arity: 1, flags: adminNS,
                        summary: "Listens for all requests received by the server in real-time.", since: "1.0.0",
                        handler: Self.monitor),
        ]
    }
}

// MARK: - SLOWLOG

extension ObservabilityCommands {
    /// SLOWLOG GET [count]
    static func slowlogGet(_ c: Client) {
        guard c.argv.count <= 3 else {
            c.error("ERR unknown subcommand or wrong number of arguments for '\(Errors.truncated(c.argv[1], 128))'. Try SLOWLOG HELP.")
            return
        }
        let entries = c.server.slowlog.entries
        var count = 10
        if c.argv.count == 3 {
            guard let n = Numbers.parseInt64(c.argv[2]), n >= -1 else {
                c.error("ERR count should be greater than or equal to -1")
                return
            }
            count = n == -1 ? entries.count : Int(clamping: n)
        }
        let shown = entries.prefix(count)
        c.reply.arrayHeader(shown.count)
        for e in shown {
            c.reply.arrayHeader(6)
            c.reply.integer(e.id)
            c.reply.integer(e.time)
            c.reply.integer(e.duration)
            c.reply.arrayHeader(e.argv.count)
            for a in e.argv { c.reply.bulk(a) }
            c.reply.bulk(e.peer)
            c.reply.bulk(e.name)
        }
    }

    /// SLOWLOG LEN
    static func slowlogLen(_ c: Client) { c.reply.integer(c.server.slowlog.entries.count) }

    /// SLOWLOG RESET
    static func slowlogReset(_ c: Client) {
        c.server.slowlog.reset()
        c.reply.ok()
    }

    /// SLOWLOG HELP
    static func slowlogHelp(_ c: Client) {
        HelpReply.send(c, command: "slowlog", entries: [
            ("get", ["GET [<count>]",
                     "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                     "    Entries are made of:",
                     "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                     "    client name"]),
            ("len", ["LEN", "    Return the length of the slowlog."]),
            ("reset", ["RESET", "    Reset the slowlog."]),
        ])
    }
}

// MARK: - MONITOR

extension ObservabilityCommands {
    /// MONITOR: from now on the connection receives a line per command run on the server.
    static func monitor(_ c: Client) {
        // Like Redis, a replica link (or a client that is already a monitor) ignores it silently.
        if c.isMonitor || c.linkKind != .normal { return }
        c.server.addMonitor(c)
        c.reply.ok()
    }
}

// MARK: - LATENCY

extension ObservabilityCommands {
    /// LATENCY LATEST: [event, time of the latest sample, its latency, the all-time maximum] per event.
    static func latencyLatest(_ c: Client) {
        let l = c.server.latency
        c.reply.arrayHeader(l.order.count)
        for name in l.order {
            guard let ts = l.events[name], let last = ts.samples.last else {
                c.reply.arrayHeader(0)
                continue
            }
            c.reply.arrayHeader(4)
            c.reply.bulk(name)
            c.reply.integer(last.time)
            c.reply.integer(last.latency)
            c.reply.integer(ts.max)
        }
    }

    /// LATENCY HISTORY event
    static func latencyHistory(_ c: Client) {
        guard let ts = c.server.latency.events[c.argv[2].string] else {
            c.reply.arrayHeader(0)
            return
        }
        c.reply.arrayHeader(ts.samples.count)
        for s in ts.samples {
            c.reply.arrayHeader(2)
            c.reply.integer(s.time)
            c.reply.integer(s.latency)
        }
    }

    /// LATENCY RESET [event ...]
    static func latencyReset(_ c: Client) {
        let names: [String]? = c.argv.count == 2 ? nil : c.argv.dropFirst(2).map { $0.string }
        c.reply.integer(c.server.latency.reset(names))
    }

    /// LATENCY GRAPH event: Redis's ASCII sparkline of the event's samples.
    static func latencyGraph(_ c: Client) {
        let event = c.argv[2].string
        guard let ts = c.server.latency.events[event] else {
            c.error("ERR No samples available for event '\(event)'")
            return
        }
        c.reply.verbatim(LatencyGraph.render(event: event, series: ts, now: Clock.unixMilliseconds() / 1000))
    }

    /// LATENCY DOCTOR
    static func latencyDoctor(_ c: Client) {
        c.reply.verbatim(LatencyGraph.doctorReport(c.server))
    }

    /// LATENCY HISTOGRAM [command ...]: per command, its calls and cumulative `histogram_usec`.
    static func latencyHistogram(_ c: Client) {
        var selected: [Command] = []
        if c.argv.count == 2 {
            selected = allCommands(c.server).filter { $0.latencyHistogram != nil }
        } else {
            for arg in c.argv.dropFirst(2) {
                guard let cmd = lookupFullName(c.server, arg.string.lowercased()), cmd.latencyHistogram != nil else { continue }
                if !selected.contains(where: { $0 === cmd }) { selected.append(cmd) }
            }
        }
        c.reply.mapHeader(selected.count)
        for cmd in selected {
            let h = cmd.latencyHistogram!
            c.reply.bulk(cmd.fullName)
            c.reply.mapHeader(2)
            c.reply.bulk("calls")
            c.reply.integer(h.totalCount)
            c.reply.bulk("histogram_usec")
            let cdf = h.cumulativeDistribution()
            c.reply.mapHeader(cdf.count)
            for (us, n) in cdf {
                c.reply.integer(us)
                c.reply.integer(n)
            }
        }
    }

    /// Every command and subcommand of the table.
    static func allCommands(_ server: Server) -> [Command] {
        var out: [Command] = []
        for cmd in server.commands.all {
            if cmd.subcommands.isEmpty { out.append(cmd) } else { out.append(contentsOf: cmd.sortedSubcommands) }
        }
        return out
    }

    /// `get` or `config|get`.
    static func lookupFullName(_ server: Server, _ name: String) -> Command? {
        let parts = name.split(separator: "|", omittingEmptySubsequences: false)
        guard let top = server.commands.lookup(RBytes(String(parts[0]))) else { return nil }
        if parts.count == 1 { return top }
        guard parts.count == 2 else { return nil }
        return top.subcommands[RBytes(String(parts[1]))]
    }

    /// LATENCY HELP
    static func latencyHelp(_ c: Client) {
        HelpReply.send(c, command: "latency", entries: [
            ("doctor", ["DOCTOR", "    Return a human readable latency analysis report."]),
            ("graph", ["GRAPH <event>", "    Return an ASCII latency graph for the <event> class."]),
            ("history", ["HISTORY <event>", "    Return time-latency samples for the <event> class."]),
            ("latest", ["LATEST", "    Return the latest latency samples for all events."]),
            ("reset", ["RESET [<event> ...]", "    Reset latency data of one or more <event> classes.",
                       "    (default: reset all data for all event classes)"]),
            ("histogram", ["HISTOGRAM [COMMAND ...]",
                           "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
                           "    If no commands are specified then all histograms are replied."]),
        ])
    }
}
