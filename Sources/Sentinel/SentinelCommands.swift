import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// The commands only a Sentinel has: SENTINEL with its subcommands, and Sentinel's own INFO, ROLE and PUBLISH
/// (which accepts hello messages only). The rest of a Sentinel's table is a subset of the built-in families.
public struct SentinelCommands: CommandModule {
    let sentinel: Sentinel
    public let family = "sentinel"

    init(sentinel: Sentinel) { self.sentinel = sentinel }

    public var commands: [CommandSpec] {
        let s = sentinel
        let adm: CommandFlags = [.admin, .sentinel, .onlySentinel]
        func sub(_ name: String, _ arity: Int, _ summary: String, _ h: @escaping (Client) -> Void) -> CommandSpec {
            CommandSpec(name, arity: arity, flags: adm, categories: [.admin, .slow, .dangerous], summary: summary,
                        since: "2.8.4", handler: h)
        }
        return [
            CommandSpec("sentinel", arity: -2, flags: adm, categories: [.admin, .slow, .dangerous],
                        summary: "A container for Sentinel commands", since: "2.8.4", subcommands: [
                sub("masters", 2, "List the monitored masters") { c in s.replyInstances(c, s.masters) },
                sub("master", 3, "Shows the state of a master") { c in
                    guard let m = s.masterOrError(c) else { return }
                    s.replyInstance(c, m)
                },
                sub("replicas", 3, "List the monitored replicas") { c in
                    guard let m = s.masterOrError(c) else { return }
                    s.replyInstances(c, m.slaves)
                },
                sub("slaves", 3, "List the monitored slaves") { c in
                    guard let m = s.masterOrError(c) else { return }
                    s.replyInstances(c, m.slaves)
                },
                sub("sentinels", 3, "List the Sentinel instances") { c in
                    guard let m = s.masterOrError(c) else { return }
                    s.replyInstances(c, m.sentinels)
                },
                sub("get-master-addr-by-name", 3, "Get port and address of a master") { c in
                    guard let m = s.master(named: c.argv[2].string) else { c.reply.nullArray(); return }
                    let a = s.currentMasterAddress(m)
                    c.reply.arrayHeader(2)
                    c.reply.bulk(s.announced(a))
                    c.reply.bulk(String(a.port))
                },
                sub("is-master-down-by-addr", 6, "Check if a master is down") { c in s.isMasterDownByAddr(c) },
                sub("reset", 3, "Reset masters by name pattern") { c in
                    var n = 0
                    for m in s.masters where Glob.matches(c.argv[2], RBytes(m.name)) {
                        s.resetMaster(m, keepSentinels: false)
                        s.event(.warning, "+reset-master", m)
                        n += 1
                    }
                    if n > 0 { s.flushConfig() }
                    c.reply.integer(n)
                },
                sub("failover", 3, "Manually failover a master node") { c in
                    guard let m = s.masterOrError(c) else { return }
                    if m.flags.contains(.failoverInProgress) { c.error("INPROG Failover already in progress"); return }
                    if s.selectSlave(m) == nil { c.error("NOGOODSLAVE No suitable replica to promote"); return }
                    s.server.log.warning("Executing user requested FAILOVER of '\(m.name)'")
                    s.startFailover(m)
                    m.flags.insert(.forceFailover)
                    c.reply.ok()
                },
                sub("ckquorum", 3, "Check for a Sentinel quorum") { c in s.ckquorum(c) },
                sub("flushconfig", 2, "Rewrite configuration file") { c in
                    s.flushConfig()
                    c.reply.ok()
                },
                sub("monitor", 6, "Start monitoring") { c in s.monitor(c) },
                sub("remove", 3, "Stop monitoring") { c in
                    guard let m = s.masterOrError(c) else { return }
                    s.event(.warning, "-monitor", m)
                    s.resetMaster(m, keepSentinels: false)
                    s.masters.removeAll { $0 === m }
                    s.flushConfig()
                    c.reply.ok()
                },
                sub("set", -5, "Change the configuration of a monitored master") { c in s.set(c) },
                sub("info-cache", -3, "Get cached INFO from the instances in the deployment") { c in s.infoCache(c) },
                sub("myid", 2, "Get the Sentinel instance ID") { c in c.reply.bulk(s.myid) },
                sub("config", -3, "Configure Sentinel") { c in s.config(c) },
                sub("simulate-failure", -3, "Simulate failover scenarios") { c in s.simulateFailure(c) },
                sub("pending-scripts", 2, "Get information about pending scripts") { c in s.pendingScripts(c) },
                sub("debug", -2, "List or update the current configurable parameters") { c in s.debug(c) },
                CommandSpec("help", arity: 2, flags: [.loading, .stale, .sentinel, .onlySentinel], categories: [.slow],
                            summary: "Show helpful text about the different subcommands", since: "6.2.0",
                            handler: { c in s.help(c) }),
            ]),
            CommandSpec("info", arity: -1, flags: [.loading, .stale, .sentinel, .onlySentinel],
                        categories: [.slow, .dangerous], summary: "Get information and statistics about the server",
                        handler: { c in s.info(c) }),
            CommandSpec("role", arity: 1, flags: [.noscript, .loading, .stale, .fast, .sentinel, .onlySentinel],
                        categories: [.admin, .dangerous], summary: "Return the role of the instance in the context of replication",
                        since: "2.8.12", handler: { c in s.role(c) }),
            CommandSpec("publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .sentinel, .onlySentinel],
                        categories: [.pubsub], summary: "Post a message to a channel", since: "2.0.0",
                        handler: { c in
                guard c.argv[1].string == Sentinel.helloChannel else {
                    c.error("ERR Only HELLO messages are accepted by Sentinel instances.")
                    return
                }
                s.processHello(c.argv[2].string, from: nil)
                c.reply.integer(1)
            }),
        ]
    }
}

/// Keeps only the named commands of the built-in families (a Sentinel's table).
public struct FilteredModule: CommandModule {
    let inner: CommandModule
    let names: Set<String>
    public var family: String { inner.family }
    public var commands: [CommandSpec] {
        inner.commands.filter { names.contains($0.name) }.map { spec in
            var kept = spec
            kept.subcommands = spec.subcommands.filter { !Self.notInSentinel.contains("\(spec.name)|\($0.name)") }
            return kept
        }
    }

    /// Subcommands redis-sentinel 7.0 does not have (its table keeps only commands flagged for Sentinel).
    static let notInSentinel: Set<String> = ["client|pause", "client|unpause", "command|getkeysandflags"]

    public init(_ inner: CommandModule, keeping names: Set<String>) {
        self.inner = inner
        self.names = names
    }
}

extension Sentinel {
    func masterOrError(_ c: Client) -> SentinelInstance? {
        guard let m = master(named: c.argv[2].string) else {
            c.error("ERR No such master with that name")
            return nil
        }
        return m
    }

    /// SENTINEL IS-MASTER-DOWN-BY-ADDR ip port current-epoch runid: our SDOWN opinion and, with a run id, our vote.
    func isMasterDownByAddr(_ c: Client) {
        guard let port = Int(c.argv[3].string), let epoch = Int64(c.argv[4].string) else {
            c.error("ERR value is not an integer or out of range")
            return
        }
        let host = c.argv[2].string
        let runid = c.argv[5].string
        let m = masters.first { $0.addr == InstanceAddress(host: host, port: port) }
        let down = !tilt && (m?.flags.contains(.sDown) ?? false)
        var leader: String?
        var leaderEpoch: UInt64 = 0
        if let m, runid != "*" {
            (leader, leaderEpoch) = voteLeader(m, epoch: UInt64(max(0, epoch)), runid: runid)
        }
        c.reply.arrayHeader(3)
        c.reply.integer(down ? 1 : 0)
        c.reply.bulk(leader ?? "*")
        c.reply.integer(Int64(leader == nil ? 0 : leaderEpoch))
    }

    func ckquorum(_ c: Client) {
        guard let m = masterOrError(c) else { return }
        var usable = 1
        for s in m.sentinels where s.flags.intersection([.sDown, .oDown]).isEmpty { usable += 1 }
        let voters = m.sentinels.count + 1
        var problems: [String] = []
        if usable < m.quorum { problems.append("Not enough available Sentinels to reach the specified quorum for this master") }
        if usable < voters / 2 + 1 { problems.append("Not enough available Sentinels to reach the majority and authorize a failover") }
        if problems.isEmpty {
            c.reply.status("OK \(usable) usable Sentinels. Quorum and failover authorization can be reached")
        } else {
            c.error("NOQUORUM \(usable) usable Sentinels. " + problems.joined(separator: ". "))
        }
    }

    func monitor(_ c: Client) {
        let a = c.argv.map(\.string)
        if let e = monitorError(a[2], a[3], a[4]) {
            let msg = e == "Invalid port number" ? "Invalid port number." : e == "Duplicated master name." ? "Duplicate master name." : e
            c.error("ERR " + msg)
            return
        }
        guard let q = Int(a[5]) else { c.error("ERR value is not an integer or out of range"); return }
        guard q > 0 else { c.error("ERR Quorum must be 1 or greater."); return }
        let m = SentinelInstance(flags: .master, name: a[2], addr: InstanceAddress(host: a[3], port: Int(a[4])!),
                                 master: nil, now: now)
        m.quorum = q
        m.downAfterPeriod = defaultDownAfter
        masters.append(m)
        flushConfig()
        event(.warning, "+monitor", m, "quorum \(q)")
        c.reply.ok()
    }

    /// SENTINEL SET name option value [option value ...]
    func set(_ c: Client) {
        guard let m = masterOrError(c) else { return }
        let a = c.argv.map(\.string)
        var i = 3
        var changed = false
        var badArg = ""
        var option = ""
        func invalid() { c.error("ERR Invalid argument '\(badArg)' for SENTINEL SET '\(option)'") }
        // Validate everything first, as Redis applies options one by one but fails on the first bad one.
        while i < a.count {
            option = a[i]
            guard i + 1 < a.count else { break }
            let v = a[i + 1]
            badArg = v
            let opt = option.lowercased()
            switch opt {
            case "down-after-milliseconds", "failover-timeout", "master-reboot-down-after-period":
                guard let n = Int64(v), opt == "master-reboot-down-after-period" ? n >= 0 : n > 0 else { invalid(); return }
                if opt == "down-after-milliseconds" {
                    m.downAfterPeriod = n
                    for s in m.slaves + m.sentinels { s.downAfterPeriod = n }
                } else if opt == "failover-timeout" {
                    m.failoverTimeout = n
                } else {
                    m.masterRebootDownAfterPeriod = n
                }
            case "parallel-syncs", "quorum":
                guard let n = Int(v), n > 0 else { invalid(); return }
                if opt == "quorum" { m.quorum = n } else { m.parallelSyncs = n }
            case "notification-script", "client-reconfig-script":
                if denyScriptsReconfig {
                    c.error("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your config file.")
                    return
                }
                if !v.isEmpty && access(v, X_OK) == -1 {
                    c.error("ERR \(opt == "notification-script" ? "Notification" : "Client reconfiguration") script seems non existing or non executable")
                    return
                }
                if opt == "notification-script" { m.notificationScript = v.isEmpty ? nil : v } else { m.clientReconfigScript = v.isEmpty ? nil : v }
            case "auth-pass":
                m.authPass = v.isEmpty ? nil : v
                m.closeLinks()
            case "auth-user":
                m.authUser = v.isEmpty ? nil : v
                m.closeLinks()
            case "rename-command":
                guard i + 2 < a.count else { c.error("ERR Unknown option or number of arguments for SENTINEL SET '\(option)'"); return }
                let to = a[i + 2]
                if a[i + 1].lowercased() == to.lowercased() {
                    m.renamedCommands[a[i + 1].lowercased()] = nil
                } else {
                    m.renamedCommands[a[i + 1].lowercased()] = to
                }
                m.closeLinks()
                event(.notice, "+set", m, "\(option) \(a[i + 1]) \(to)")
                changed = true
                i += 3
                continue
            default:
                c.error("ERR Unknown option or number of arguments for SENTINEL SET '\(option)'")
                return
            }
            event(.notice, "+set", m, "\(option) \(v)")
            changed = true
            i += 2
        }
        if i < a.count {
            c.error("ERR Unknown option or number of arguments for SENTINEL SET '\(option)'")
            return
        }
        if changed { flushConfig() }
        c.reply.ok()
    }

    func infoCache(_ c: Client) {
        var selected = masters
        if c.argv.count > 2 {
            let names = Set(c.argv.dropFirst(2).map { $0.string.lowercased() })
            selected = masters.filter { names.contains($0.name.lowercased()) }
        }
        let t = now
        // An array of name, entries pairs in both protocols (Redis 7.0).
        c.reply.arrayHeader(selected.count * 2)
        for m in selected {
            c.reply.bulk(m.name)
            let all = [m] + m.slaves
            c.reply.arrayHeader(all.count)
            for ri in all {
                c.reply.arrayHeader(2)
                c.reply.integer(ri.info == nil ? 0 : t - ri.infoRefresh)
                if let info = ri.info { c.reply.bulk(info) } else { c.reply.null() }
            }
        }
    }

    static let configParams = ["resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port",
                               "sentinel-user", "sentinel-pass"]

    func configValue(_ name: String) -> String {
        switch name {
        case "resolve-hostnames": return resolveHostnames ? "yes" : "no"
        case "announce-hostnames": return announceHostnames ? "yes" : "no"
        case "announce-ip": return announceIP
        case "announce-port": return String(announcePort)
        case "sentinel-user": return sentinelUser ?? ""
        case "sentinel-pass": return sentinelPass ?? ""
        default: return ""
        }
    }

    /// SENTINEL CONFIG GET <pattern> / SET <option> <value>.
    func config(_ c: Client) {
        let a = c.argv.map(\.string)
        let sub = a[2].lowercased()
        if sub == "get" && a.count == 4 {
            let matches = Self.configParams.filter { Glob.matches(RBytes(a[3]), RBytes($0), ignoringCase: true) }
            c.reply.mapHeader(matches.count)
            for p in matches {
                c.reply.bulk(p)
                c.reply.bulk(configValue(p))
            }
            return
        }
        guard sub == "set" && a.count == 5 else {
            c.error("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")
            return
        }
        let name = a[3].lowercased()
        let v = a[4]
        func bad() { c.error("ERR Invalid argument '\(v)' to SENTINEL CONFIG SET '\(a[3])'") }
        switch name {
        case "resolve-hostnames", "announce-hostnames":
            guard let b = yesno(v) else { bad(); return }
            if name == "resolve-hostnames" { resolveHostnames = b } else { announceHostnames = b }
        case "announce-ip": announceIP = v
        case "announce-port":
            guard let p = Int(v), (0...65535).contains(p) else { bad(); return }
            announcePort = p
        case "sentinel-user": sentinelUser = v.isEmpty ? nil : v
        case "sentinel-pass": sentinelPass = v.isEmpty ? nil : v
        default:
            c.error("ERR Invalid argument '\(a[3])' to SENTINEL CONFIG SET")
            return
        }
        if name == "sentinel-user" || name == "sentinel-pass" {
            for m in masters { for s in m.sentinels { s.closeLinks() } }
        }
        flushConfig()
        c.reply.ok()
    }

    func simulateFailure(_ c: Client) {
        var flags = 0
        for arg in c.argv.dropFirst(2) {
            switch arg.string.lowercased() {
            case "crash-after-election": flags |= 1
            case "crash-after-promotion": flags |= 2
            case "help":
                c.reply.arrayHeader(2)
                c.reply.bulk("crash-after-election")
                c.reply.bulk("crash-after-promotion")
                return
            default:
                c.error("ERR Unknown failure simulation specified")
                return
            }
        }
        simulateFailureFlags = flags
        if flags & 1 != 0 { server.log.warning("Failure simulation: this Sentinel will crash after being successfully elected as failover leader") }
        if flags & 2 != 0 { server.log.warning("Failure simulation: this Sentinel will crash after promoting the selected replica to master") }
        c.reply.ok()
    }

    func pendingScripts(_ c: Client) {
        let t = now
        c.reply.arrayHeader(scripts.jobs.count)
        for j in scripts.jobs {
            c.reply.mapHeader(5)
            c.reply.bulk("argv")
            c.reply.arrayHeader(j.args.count + 1)
            c.reply.bulk(j.path)
            for a in j.args { c.reply.bulk(a) }
            c.reply.bulk("flags")
            c.reply.bulk(j.pid != 0 ? "running" : "retry")
            c.reply.bulk("pid")
            c.reply.bulk(String(j.pid))
            if j.pid != 0 {
                c.reply.bulk("run-time")
                c.reply.bulk(String(t - j.startTime))
            } else {
                c.reply.bulk("run-delay")
                c.reply.bulk(String(max(0, j.notBefore - t)))
            }
            c.reply.bulk("retry-num")
            c.reply.bulk(String(j.retries))
        }
    }

    /// The timing parameters SENTINEL DEBUG shows and changes.
    var debugParams: [(String, ReferenceWritableKeyPath<Sentinel, Int64>)] {
        [("INFO-PERIOD", \.infoPeriod), ("PING-PERIOD", \.pingPeriod), ("ASK-PERIOD", \.askPeriod),
         ("PUBLISH-PERIOD", \.publishPeriod), ("DEFAULT-DOWN-AFTER", \.defaultDownAfter),
         ("DEFAULT-FAILOVER-TIMEOUT", \.defaultFailoverTimeout), ("TILT-TRIGGER", \.tiltTrigger),
         ("TILT-PERIOD", \.tiltPeriod), ("SLAVE-RECONF-TIMEOUT", \.slaveReconfTimeout),
         ("MIN-LINK-RECONNECT-PERIOD", \.minLinkReconnectPeriod), ("ELECTION-TIMEOUT", \.electionTimeout),
         ("SCRIPT-MAX-RUNTIME", \.scriptMaxRuntime), ("SCRIPT-RETRY-DELAY", \.scriptRetryDelay)]
    }

    func debug(_ c: Client) {
        let params = debugParams
        if c.argv.count == 2 {
            c.reply.mapHeader(params.count)
            for (name, kp) in params {
                c.reply.bulk(name)
                c.reply.bulk(String(self[keyPath: kp]))
            }
            return
        }
        var i = 2
        var updates: [(ReferenceWritableKeyPath<Sentinel, Int64>, Int64)] = []
        while i < c.argv.count {
            let name = c.argv[i].string
            guard i + 1 < c.argv.count, let p = params.first(where: { $0.0.lowercased() == name.lowercased() }) else {
                c.error("ERR Unknown option or number of arguments for SENTINEL DEBUG '\(name)'")
                return
            }
            guard let v = Int64(c.argv[i + 1].string), v > 0 else {
                c.error("ERR Invalid argument '\(c.argv[i + 1].string)' for SENTINEL DEBUG '\(name)'")
                return
            }
            updates.append((p.1, v))
            i += 2
        }
        for (kp, v) in updates { self[keyPath: kp] = v }
        c.reply.ok()
    }

    func help(_ c: Client) {
        let lines = [
            "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CKQUORUM <master-name>",
            "    Check if the current Sentinel configuration is able to reach the quorum",
            "    needed to failover a master and the majority needed to authorize the",
            "    failover.",
            "CONFIG SET <param> <value>",
            "    Set a global Sentinel configuration parameter.",
            "CONFIG GET <param>",
            "    Get global Sentinel configuration parameter.",
            "DEBUG [<param> <value> ...]",
            "    Show a list of configurable time parameters and their values (milliseconds).",
            "    Or update current configurable parameters values (one or more).",
            "GET-MASTER-ADDR-BY-NAME <master-name>",
            "    Return the ip and port number of the master with that name.",
            "FAILOVER <master-name>",
            "    Manually failover a master node without asking for agreement from other",
            "    Sentinels",
            "FLUSHCONFIG",
            "    Force Sentinel to rewrite its configuration on disk, including the current",
            "    Sentinel state.",
            "INFO-CACHE <master-name>",
            "    Return last cached INFO output from masters and all its replicas.",
            "IS-MASTER-DOWN-BY-ADDR <ip> <port> <current-epoch> <runid>",
            "    Check if the master specified by ip:port is down from current Sentinel's",
            "    point of view.",
            "MASTER <master-name>",
            "    Show the state and info of the specified master.",
            "MASTERS",
            "    Show a list of monitored masters and their state.",
            "MONITOR <name> <ip> <port> <quorum>",
            "    Start monitoring a new master with the specified name, ip, port and quorum.",
            "MYID",
            "    Return the ID of the Sentinel instance.",
            "PENDING-SCRIPTS",
            "    Get pending scripts information.",
            "REMOVE <master-name>",
            "    Remove master from Sentinel's monitor list.",
            "REPLICAS <master-name>",
            "    Show a list of replicas for this master and their state.",
            "RESET <pattern>",
            "    Reset masters for specific master name matching this pattern.",
            "SENTINELS <master-name>",
            "    Show a list of Sentinel instances for this master and their state.",
            "SET <master-name> <option> <value> [<option> <value> ...]",
            "    Set configuration parameters for certain masters.",
            "SIMULATE-FAILURE [CRASH-AFTER-ELECTION] [CRASH-AFTER-PROMOTION] [HELP]",
            "    Simulate a Sentinel crash.",
            "HELP",
            "    Prints this help.",
        ]
        c.reply.arrayHeader(lines.count)
        for l in lines { c.reply.status(l) }
    }
}
