#if canImport(Glibc)
import Glibc
#endif

extension Config {
    /// The process-level directives: logging, daemonizing, the Unix socket, the cron frequency, shutdown on
    /// signals and the OOM score (main.swift, `ProcessSetup` and the server cron apply them).
    static func addProcess(_ t: inout DirectiveTable) {
        let intMax = DirectiveTable.intMax
        t.string("logfile", .at(\.logfile), mutable: false)
        t.string("pidfile", .at(\.pidfile), mutable: false)
        t.bool("daemonize", .at(\.daemonize), mutable: false)
        t.bool("always-show-logo", .at(\.alwaysShowLogo), mutable: false)
        t.bool("syslog-enabled", .at(\.syslogEnabled), mutable: false)
        t.string("syslog-ident", .at(\.syslogIdent), mutable: false)
        t.enumeration("syslog-facility", .at(\.syslogFacility), ["user"] + (0...7).map { "local\($0)" }, mutable: false)
        t.string("unixsocket", .at(\.unixsocket), mutable: false)
        // Octal in and out, as Redis's OCTAL_CONFIG (`unixsocketperm 700`).
        t.add("unixsocketperm", mutable: false, get: { String($0.unixsocketperm, radix: 8) }, set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ")
            guard !s.isEmpty, let n = Int(s, radix: 8), !s.hasPrefix("+"), !s.hasPrefix("-") else {
                throw ConfigError("argument couldn't be parsed into an integer")
            }
            guard n <= 0o777 else { throw DirectiveTable.rangeError(0...0o777) }
            c.unixsocketperm = n
        })
        t.bool("dynamic-hz", .at(\.dynamicHz))
        t.int("active-expire-effort", .at(\.activeExpireEffort), 1...10)
        t.add("shutdown-on-sigint", multiArg: true, get: { $0.shutdownOnSigint }, set: { c, v throws(ConfigError) in
            c.shutdownOnSigint = try Config.parseShutdownFlags(v)
        })
        t.add("shutdown-on-sigterm", multiArg: true, get: { $0.shutdownOnSigterm }, set: { c, v throws(ConfigError) in
            c.shutdownOnSigterm = try Config.parseShutdownFlags(v)
        })
        // `relative` is another name of `yes` (CONFIG GET shows `yes`, as Redis's enum lookup does).
        let valid = ["no", "yes", "relative", "absolute"]
        t.add("oom-score-adj", get: { $0.oomScoreAdj }, set: { c, v throws(ConfigError) in
            let s = v.joined(separator: " ").lowercased()
            guard valid.contains(s) else { throw ConfigError("argument(s) must be one of the following: \(valid.joined(separator: ", "))") }
            let old = c.oomScoreAdj
            c.oomScoreAdj = s == "relative" ? "yes" : s
            try c.applyOOMScoreAtRunTime { $0.oomScoreAdj = old }
        })
        t.add("oom-score-adj-values", multiArg: true, get: { $0.oomScoreAdjValues.map { String($0) }.joined(separator: " ") },
              set: { c, v throws(ConfigError) in
            let parts = v.flatMap { $0.split(separator: " ").map(String.init) }
            guard parts.count == 3 else { throw ConfigError("wrong number of arguments") }
            var values: [Int] = []
            for p in parts {
                var text = p
                guard let n = text.withUTF8({ Numbers.parseInt64(UnsafeRawBufferPointer($0)) }), (-2000...2000).contains(n) else {
                    throw ConfigError("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
                }
                values.append(Int(n))
            }
            let old = c.oomScoreAdjValues
            c.oomScoreAdjValues = values
            try c.applyOOMScoreAtRunTime { $0.oomScoreAdjValues = old }
        })
        _ = intMax
    }

    /// CONFIG SET of `oom-score-adj*`: writes the new score at once; if the kernel refuses, `undo` restores the old
    /// setting and the change fails with Redis's text.
    func applyOOMScoreAtRunTime(undo: (Config) -> Void) throws(ConfigError) {
        guard running, let apply = applyOOMScore else { return }
        if !apply() {
            undo(self)
            throw ConfigError("Failed to set current oom_score_adj. Check server logs.")
        }
    }

    /// The flags of `shutdown-on-sig*`: `default`, or any of save, nosave, now, force (shown in that order).
    static func parseShutdownFlags(_ v: [String]) throws(ConfigError) -> String {
        let order = ["save", "nosave", "now", "force"]
        let words = v.flatMap { $0.split(separator: " ").map { String($0).lowercased() } }
        guard !words.isEmpty, words.allSatisfy({ $0 == "default" || order.contains($0) }) else {
            throw ConfigError("argument(s) must be one of the following: default, save, nosave, now, force")
        }
        let flags = order.filter { words.contains($0) }
        return flags.isEmpty ? "default" : flags.joined(separator: " ")
    }

    /// The parsed shutdown flags for a signal (SIGINT or SIGTERM).
    public func shutdownFlags(forSigint: Bool) -> (save: Bool, nosave: Bool, now: Bool, force: Bool) {
        let words = (forSigint ? shutdownOnSigint : shutdownOnSigterm).split(separator: " ")
        return (words.contains("save"), words.contains("nosave"), words.contains("now"), words.contains("force"))
    }
}

extension Config {
    /// Redis's adjustOpenFilesLimit: makes room for `maxclients` connections plus 32 reserved descriptors,
    /// raising RLIMIT_NOFILE as far as the system allows (from the wanted limit down in steps of 16, never below
    /// the current one). Returns the descriptor limit obtained when it is short of the wanted one.
    public static func raiseOpenFilesLimit(forClients maxclients: Int) -> Int? {
        let want = rlim_t(maxclients) + 32
        let nofile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var current = rlimit()
        guard getrlimit(nofile, &current) == 0, current.rlim_cur < want else { return nil }
        let old = current.rlim_cur
        func allowed(_ v: rlim_t) -> Bool {
            var l = rlimit(rlim_cur: v, rlim_max: max(v, current.rlim_max))
            return setrlimit(nofile, &l) == 0
        }
        if allowed(want) { return nil }
        // The largest want - 16k above the old limit that the system accepts (acceptance shrinks as k falls).
        var lo: rlim_t = 1, hi: rlim_t = (want - old - 1) / 16  // k in lo...hi gives values above `old`
        var best: rlim_t = old
        while lo <= hi {
            let k = lo + (hi - lo) / 2
            if allowed(want - 16 * k) {
                best = want - 16 * k
                hi = k - 1
            } else {
                lo = k + 1
            }
        }
        var final = rlimit(rlim_cur: best, rlim_max: max(best, current.rlim_max))
        setrlimit(nofile, &final)
        return Int(best)
    }
}
