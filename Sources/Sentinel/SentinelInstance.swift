import Kernel

/// Redis's SRI_* flags of a monitored instance.
struct InstanceFlags: OptionSet {
    let rawValue: UInt32
    static let master = InstanceFlags(rawValue: 1 << 0)
    static let slave = InstanceFlags(rawValue: 1 << 1)
    static let sentinel = InstanceFlags(rawValue: 1 << 2)
    static let sDown = InstanceFlags(rawValue: 1 << 3)
    static let oDown = InstanceFlags(rawValue: 1 << 4)
    static let masterDown = InstanceFlags(rawValue: 1 << 5)
    static let failoverInProgress = InstanceFlags(rawValue: 1 << 6)
    static let promoted = InstanceFlags(rawValue: 1 << 7)
    static let reconfSent = InstanceFlags(rawValue: 1 << 8)
    static let reconfInprog = InstanceFlags(rawValue: 1 << 9)
    static let reconfDone = InstanceFlags(rawValue: 1 << 10)
    static let forceFailover = InstanceFlags(rawValue: 1 << 11)
    static let scriptKillSent = InstanceFlags(rawValue: 1 << 12)
    static let masterReboot = InstanceFlags(rawValue: 1 << 13)
}

/// Failover states (Redis's SENTINEL_FAILOVER_STATE_*), with the names `+failover-state-*` events use.
enum FailoverState: Int, Comparable {
    case none = 0, waitStart, selectSlave, sendSlaveofNoOne, waitPromotion, reconfSlaves, updateConfig

    var name: String {
        switch self {
        case .none: return "none"
        case .waitStart: return "wait_start"
        case .selectSlave: return "select_slave"
        case .sendSlaveofNoOne: return "send_slaveof_noone"
        case .waitPromotion: return "wait_promotion"
        case .reconfSlaves: return "reconf_slaves"
        case .updateConfig: return "update_config"
        }
    }

    static func < (a: FailoverState, b: FailoverState) -> Bool { a.rawValue < b.rawValue }
}

/// Where an instance is reached (Redis's `sentinelAddr`): the name it was given (`host`: an IP address, or a
/// hostname with `resolve-hostnames yes`) and the IP address that name resolved to when the entry was made.
/// Two addresses are the same instance when their IPs and ports match; replies, events, hellos and the config
/// file show `host` with `announce-hostnames yes`, else `ip` (`Sentinel.announced`).
struct InstanceAddress: Equatable {
    var host: String
    var ip: String
    var port: Int

    /// Resolves `host` (the first address getaddrinfo gives, as Redis's anetResolve); an unresolvable name keeps
    /// itself as its IP (callers validate names first, as Redis does before creating an address).
    init(host: String, port: Int) {
        self.host = host
        self.ip = Sentinel.resolve(host) ?? host
        self.port = port
    }

    static func == (a: InstanceAddress, b: InstanceAddress) -> Bool {
        a.port == b.port && a.ip.lowercased() == b.ip.lowercased()
    }

    /// `host:port`, IPv6 addresses bracketed (Redis's anetFormatAddr).
    static func format(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

/// One monitored master, one of its replicas, or another Sentinel (Redis's `sentinelRedisInstance`).
final class SentinelInstance {
    var flags: InstanceFlags
    /// Master name; `ip:port` for a replica; the run id for a Sentinel.
    var name: String
    var addr: InstanceAddress
    var runid: String?
    var configEpoch: UInt64 = 0
    /// The master a replica or Sentinel belongs to.
    weak var master: SentinelInstance?

    // Links (Redis's instanceLink): the command connection, and the pub/sub one for masters and replicas.
    var cmd: InstanceConnection?
    var pubsub: InstanceConnection?
    var ccConnTime: Int64 = 0
    var lastReconnTime: Int64 = 0
    var pcConnTime: Int64 = 0
    var pcLastActivity: Int64 = 0
    /// When the pending PING was sent (0: none pending).
    var actPingTime: Int64
    var lastPingTime: Int64 = 0
    var lastPongTime: Int64
    var lastAvailTime: Int64
    var disconnected: Bool { !(cmd?.connected ?? false) || (!flags.contains(.sentinel) && !(pubsub?.connected ?? false)) }

    var lastPubTime: Int64
    var lastHelloTime: Int64
    var lastMasterDownReplyTime: Int64
    var sDownSinceTime: Int64 = 0
    var oDownSinceTime: Int64 = 0
    var downAfterPeriod: Int64
    var masterRebootDownAfterPeriod: Int64 = 0
    var masterRebootSinceTime: Int64 = 0
    var infoRefresh: Int64 = 0
    var roleReported: InstanceFlags
    var roleReportedTime: Int64
    var slaveConfChangeTime: Int64

    // Master only.
    var sentinels: [SentinelInstance] = []
    var slaves: [SentinelInstance] = []
    var quorum = 1
    var parallelSyncs = 1
    var authPass: String?
    var authUser: String?
    var renamedCommands: [String: String] = [:]

    // Replica only.
    var masterLinkDownTime: Int64 = 0
    var slavePriority = 100
    var replicaAnnounced = true
    var slaveReconfSentTime: Int64 = 0
    var slaveMasterHost: String?
    var slaveMasterPort = 0
    var slaveMasterLinkUp = false
    var slaveReplOffset: Int64 = 0

    // Failover (masters; `leader`/`leaderEpoch` also on Sentinels: their votes).
    var leader: String?
    var leaderEpoch: UInt64 = 0
    var failoverEpoch: UInt64 = 0
    var failoverState: FailoverState = .none
    var failoverStateChangeTime: Int64 = 0
    var failoverStartTime: Int64 = 0
    var failoverTimeout: Int64 = 180_000
    var failoverDelayLogged: Int64 = 0
    weak var promotedSlave: SentinelInstance?
    var notificationScript: String?
    var clientReconfigScript: String?
    /// The last INFO reply (SENTINEL INFO-CACHE).
    var info: String?

    init(flags: InstanceFlags, name: String, addr: InstanceAddress, master: SentinelInstance?, now: Int64) {
        self.flags = flags
        self.name = name
        self.addr = addr
        self.master = master
        actPingTime = now
        lastPongTime = now
        lastAvailTime = now
        lastPubTime = now
        lastHelloTime = now
        lastMasterDownReplyTime = now
        roleReported = flags.intersection([.master, .slave])
        roleReportedTime = now
        slaveConfChangeTime = now
        downAfterPeriod = master?.downAfterPeriod ?? 30_000
        if let master { masterRebootDownAfterPeriod = master.masterRebootDownAfterPeriod }
    }

    var typeName: String {
        if flags.contains(.master) { return "master" }
        if flags.contains(.slave) { return "slave" }
        return "sentinel"
    }

    /// Credentials for this instance's links: the master's auth-pass/auth-user for masters and replicas.
    var credentials: (user: String?, pass: String?) {
        let m = flags.contains(.master) ? self : master
        return (m?.authUser, m?.authPass)
    }

    /// The command name to send, after `rename-command`.
    func mapped(_ command: String) -> String {
        let m = flags.contains(.master) ? self : (master ?? self)
        return m.renamedCommands[command.lowercased()] ?? command
    }

    /// Closes both links (they reopen from the timer).
    func closeLinks() {
        cmd?.close()
        cmd = nil
        pubsub?.close()
        pubsub = nil
    }

    /// The flags string of SENTINEL MASTERS/REPLICAS/SENTINELS.
    var flagsString: String {
        var parts: [String] = []
        if flags.contains(.sDown) { parts.append("s_down") }
        if flags.contains(.oDown) { parts.append("o_down") }
        if flags.contains(.master) { parts.append("master") }
        if flags.contains(.slave) { parts.append("slave") }
        if flags.contains(.sentinel) { parts.append("sentinel") }
        if disconnected { parts.append("disconnected") }
        if flags.contains(.masterDown) { parts.append("master_down") }
        if flags.contains(.failoverInProgress) { parts.append("failover_in_progress") }
        if flags.contains(.promoted) { parts.append("promoted") }
        if flags.contains(.reconfSent) { parts.append("reconf_sent") }
        if flags.contains(.reconfInprog) { parts.append("reconf_inprog") }
        if flags.contains(.reconfDone) { parts.append("reconf_done") }
        if flags.contains(.forceFailover) { parts.append("force_failover") }
        if flags.contains(.scriptKillSent) { parts.append("script_kill_sent") }
        if flags.contains(.masterReboot) { parts.append("master_reboot") }
        return parts.joined(separator: ",")
    }
}
