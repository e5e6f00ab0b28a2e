/// One SLOWLOG entry (Redis's `slowlogEntry`): the arguments are already truncated as Redis stores them.
public struct SlowLogEntry {
    public let id: Int64
    /// Unix seconds when the command ended.
    public let time: Int64
    /// Execution time in microseconds.
    public let duration: Int64
    public let argv: [RBytes]
    /// `ip:port` of the client (`?:0` for a script's fake client).
    public let peer: String
    public let name: RBytes
}

/// The slow log (`slowlog-log-slower-than`, `slowlog-max-len`): newest entries first, bounded.
public final class SlowLog {
    /// Newest first.
    public private(set) var entries: [SlowLogEntry] = []
    var nextId: Int64 = 0

    /// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
    static let maxArgc = 32
    static let maxString = 128

    /// Adds an entry, dropping the oldest past `maxLen`.
    func push(argv: [RBytes], duration: Int64, time: Int64, peer: String, name: RBytes, maxLen: Int) {
        let argc = min(argv.count, Self.maxArgc)
        var stored: [RBytes] = []
        stored.reserveCapacity(argc)
        for j in 0..<argc {
            if j == argc - 1 && argc != argv.count {
                stored.append(RBytes("... (\(argv.count - argc + 1) more arguments)"))
            } else if argv[j].count > Self.maxString {
                var b = Array(argv[j].array.prefix(Self.maxString))
                b.append(contentsOf: "... (\(argv[j].count - Self.maxString) more bytes)".utf8)
                stored.append(RBytes(b))
            } else {
                stored.append(argv[j])
            }
        }
        entries.insert(SlowLogEntry(id: nextId, time: time, duration: duration, argv: stored, peer: peer, name: name),
                       at: 0)
        nextId += 1
        trim(to: maxLen)
    }

    /// Drops entries past `maxLen` (also after CONFIG SET slowlog-max-len).
    public func trim(to maxLen: Int) {
        if entries.count > maxLen { entries.removeLast(entries.count - max(0, maxLen)) }
    }

    /// SLOWLOG RESET.
    public func reset() { entries.removeAll() }
}

extension Server {
    /// Arguments as MONITOR and SLOWLOG show them: secrets replaced by `(redacted)` (Redis's
    /// redactClientCommandArgument in AUTH, HELLO ... AUTH, MIGRATE ... AUTH/AUTH2 and CONFIG SET of passwords).
    public static func redactedArguments(_ argv: [RBytes], _ cmd: Command) -> [RBytes] {
        let redacted = RBytes("(redacted)")
        var out = argv
        switch cmd.fullName {
        case "auth":
            for i in 1..<out.count { out[i] = redacted }
        case "hello":
            var i = 2
            while i < out.count {
                if out[i].equalsIgnoringCase("AUTH") && i + 2 < out.count {
                    out[i + 1] = redacted
                    out[i + 2] = redacted
                    i += 3
                } else if out[i].equalsIgnoringCase("SETNAME") {
                    i += 2
                } else {
                    i += 1
                }
            }
        case "migrate":
            var i = 6
            while i < out.count {
                if out[i].equalsIgnoringCase("AUTH") && i + 1 < out.count {
                    out[i + 1] = redacted
                    i += 2
                } else if out[i].equalsIgnoringCase("AUTH2") && i + 2 < out.count {
                    out[i + 1] = redacted
                    out[i + 2] = redacted
                    i += 3
                } else if out[i].equalsIgnoringCase("KEYS") {
                    break
                } else {
                    i += 1
                }
            }
        case "config|set":
            var i = 2
            while i + 1 < out.count {
                let name = out[i].string.lowercased()
                if name == "requirepass" || name == "masterauth" || Config.sensitiveModuleConfigs.contains(name) {
                    out[i + 1] = redacted
                }
                i += 2
            }
        default:
            break
        }
        return out
    }

    /// Whether a command's arguments may hold secrets (see `redactedArguments`).
    @inline(__always)
    static func mayRedact(_ cmd: Command) -> Bool {
        switch cmd.fullName {
        case "auth", "hello", "migrate", "config|set": return true
        default: return false
        }
    }

    /// After-command accounting that only runs when a threshold may be crossed: the slow log and the latency
    /// monitor's `command` / `fast-command` events.
    func commandObserved(_ c: Client, _ cmd: Command, _ duration: Int64) {
        let slower = config.slowlogLogSlowerThan
        if slower >= 0 && duration >= slower && !cmd.flags.contains(.skipSlowlog) && !loading {
            let argv = Server.mayRedact(cmd) ? Server.redactedArguments(c.argv, cmd) : c.argv
            slowlog.push(argv: argv, duration: duration, time: commandTime / 1000,
                         peer: !c.isConnection ? "?:0" : c.address, name: c.name ?? RBytes(),
                         maxLen: Int(clamping: config.slowlogMaxLen))
        }
        latency.addSampleIfNeeded(cmd.flags.contains(.fast) ? "fast-command" : "command", milliseconds: duration / 1000,
                                  threshold: config.latencyMonitorThreshold, now: commandTime / 1000)
    }
}
