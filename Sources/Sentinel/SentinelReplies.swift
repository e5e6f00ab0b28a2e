import Commands
import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// Replies describing instances (SENTINEL MASTER(S)/REPLICAS/SENTINELS), INFO's sentinel section and ROLE.
extension Sentinel {
    /// The field/value pairs of one instance, in Redis 7.0's order (addReplySentinelRedisInstance).
    func instanceFields(_ ri: SentinelInstance) -> [(String, String, Bool)] {
        // (field, value, isInteger-in-RESP?) Redis replies every value as a bulk string.
        let t = now
        var f: [(String, String, Bool)] = []
        func add(_ k: String, _ v: String) { f.append((k, v, false)) }
        add("name", ri.name)
        add("ip", announced(ri.addr))
        add("port", String(ri.addr.port))
        add("runid", ri.runid ?? "")
        add("flags", ri.flagsString)
        add("link-pending-commands", String(ri.cmd?.pending ?? 0))
        add("link-refcount", "1")
        if ri.flags.contains(.failoverInProgress) {
            add("failover-state", ri.failoverState.name)
        }
        add("last-ping-sent", String(ri.actPingTime != 0 ? t - ri.actPingTime : 0))
        add("last-ok-ping-reply", String(t - ri.lastAvailTime))
        add("last-ping-reply", String(t - ri.lastPongTime))
        if ri.flags.contains(.sDown) { add("s-down-time", String(t - ri.sDownSinceTime)) }
        if ri.flags.contains(.oDown) { add("o-down-time", String(t - ri.oDownSinceTime)) }
        add("down-after-milliseconds", String(ri.downAfterPeriod))
        if !ri.flags.intersection([.master, .slave]).isEmpty {
            add("info-refresh", String(ri.infoRefresh == 0 ? 0 : t - ri.infoRefresh))
            add("role-reported", ri.roleReported == .master ? "master" : "slave")
            add("role-reported-time", String(t - ri.roleReportedTime))
        }
        if ri.flags.contains(.master) {
            add("config-epoch", String(ri.configEpoch))
            add("num-slaves", String(ri.slaves.count))
            add("num-other-sentinels", String(ri.sentinels.count))
            add("quorum", String(ri.quorum))
            add("failover-timeout", String(ri.failoverTimeout))
            add("parallel-syncs", String(ri.parallelSyncs))
            if let s = ri.notificationScript { add("notification-script", s) }
            if let s = ri.clientReconfigScript { add("client-reconfig-script", s) }
        }
        if ri.flags.contains(.slave) {
            add("master-link-down-time", String(ri.masterLinkDownTime))
            add("master-link-status", ri.slaveMasterLinkUp ? "ok" : "err")
            add("master-host", ri.slaveMasterHost ?? "?")
            add("master-port", String(ri.slaveMasterPort))
            add("slave-priority", String(ri.slavePriority))
            add("slave-repl-offset", String(ri.slaveReplOffset))
            add("replica-announced", ri.replicaAnnounced ? "1" : "0")
        }
        if ri.flags.contains(.sentinel) {
            add("last-hello-message", String(t - ri.lastHelloTime))
            add("voted-leader", ri.leader ?? "?")
            add("voted-leader-epoch", String(ri.leaderEpoch))
        }
        return f
    }

    /// One instance as a map (RESP3) or a flat field/value array (RESP2).
    func replyInstance(_ c: Client, _ ri: SentinelInstance) {
        let fields = instanceFields(ri)
        c.reply.mapHeader(fields.count)
        for (k, v, _) in fields {
            c.reply.bulk(k)
            c.reply.bulk(v)
        }
    }

    func replyInstances(_ c: Client, _ list: [SentinelInstance]) {
        c.reply.arrayHeader(list.count)
        for ri in list { replyInstance(c, ri) }
    }

    /// INFO's `# Sentinel` section.
    func infoSection() -> [(String, String)] {
        var f: [(String, String)] = [
            ("sentinel_masters", String(masters.count)),
            ("sentinel_tilt", tilt ? "1" : "0"),
            ("sentinel_tilt_since_seconds", tilt ? String((now - tiltStartTime) / 1000) : "-1"),
            ("sentinel_running_scripts", String(scripts.running)),
            ("sentinel_scripts_queue_length", String(scripts.jobs.count - scripts.running)),
            ("sentinel_simulate_failure_flags", String(simulateFailureFlags)),
        ]
        for (i, m) in masters.enumerated() {
            let status = m.flags.contains(.oDown) ? "odown" : m.flags.contains(.sDown) ? "sdown" : "ok"
            f.append(("master\(i)", "name=\(m.name),status=\(status),address=\(announcedAddrAndPort(m.addr)),slaves=\(m.slaves.count),sentinels=\(m.sentinels.count + 1)"))
        }
        return f
    }

    /// INFO [section ...]: server, clients, stats, cpu and sentinel, as a Sentinel has them.
    func info(_ c: Client) {
        let defaults = ["server", "clients", "stats", "cpu", "sentinel"]
        var wanted = Set<String>()
        if c.argv.count == 1 { wanted = Set(defaults) }
        for a in c.argv.dropFirst() {
            switch a.string.lowercased() {
            case "all", "everything", "default": wanted.formUnion(defaults)
            case let n: wanted.insert(n)
            }
        }
        var text = ""
        for name in defaults where wanted.contains(name) {
            let fields: [(String, String)]
            let title: String
            if name == "sentinel" {
                title = "Sentinel"
                fields = infoSection()
            } else {
                guard let section = InfoSections.fields(name, c) else { continue }
                title = section.title
                fields = section.fields
            }
            if !text.isEmpty { text += "\r\n" }
            text += "# \(title)\r\n"
            for (k, v) in fields { text += "\(k):\(v)\r\n" }
        }
        // A plain bulk string in RESP3 too (Redis 7.0's sentinelInfoCommand), not the data server's verbatim.
        c.reply.bulk(text)
    }

    /// ROLE: `sentinel` and the monitored masters' names.
    func role(_ c: Client) {
        c.reply.arrayHeader(2)
        c.reply.bulk("sentinel")
        c.reply.arrayHeader(masters.count)
        for m in masters { c.reply.bulk(m.name) }
    }
}
