import Kernel
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The Sentinel state (Redis's `sentinelState`): the monitored masters with their replicas and fellow Sentinels,
/// our id and epochs, TILT, scripts. Everything is read and changed with `server.lock` held: the timer, the
/// outbound connections' callbacks and the SENTINEL command all take it.
public final class Sentinel {
    public internal(set) var server: Server!
    /// Outbound connections and the timer run on this loop.
    let loop: EventLoop
    private let group: MultiThreadedEventLoopGroup
    var myid = ""
    var currentEpoch: UInt64 = 0
    /// Masters in configuration order.
    var masters: [SentinelInstance] = []
    var tilt = false
    var tiltStartTime: Int64 = 0
    var previousTime: Int64
    var announceIP = ""
    var announcePort = 0
    var denyScriptsReconfig = true
    var resolveHostnames = false
    var announceHostnames = false
    var sentinelUser: String?
    var sentinelPass: String?
    var simulateFailureFlags = 0
    let scripts = ScriptQueue()
    /// The configuration file rewritten after every state change.
    let configPath: String
    var configLines: [String] = []
    private var timerTask: RepeatedTask?

    // Timing constants (Redis's SENTINEL_*), changeable with SENTINEL DEBUG.
    var infoPeriod: Int64 = 10_000
    var pingPeriod: Int64 = 1000
    var askPeriod: Int64 = 1000
    var publishPeriod: Int64 = 2000
    var defaultDownAfter: Int64 = 30_000
    var defaultFailoverTimeout: Int64 = 180_000
    var tiltTrigger: Int64 = 2000
    var tiltPeriod: Int64 = 30_000
    var slaveReconfTimeout: Int64 = 10_000
    var minLinkReconnectPeriod: Int64 = 15_000
    var electionTimeout: Int64 = 10_000
    var scriptMaxRuntime: Int64 = 60_000
    var scriptRetryDelay: Int64 = 30_000
    var connectTimeoutMs = 1000

    static let helloChannel = "__sentinel__:hello"

    init(configPath: String) {
        self.configPath = configPath
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        loop = group.next()
        previousTime = Clock.unixMilliseconds()
    }

    var now: Int64 { Clock.unixMilliseconds() }

    /// Starts the timer (Redis runs sentinelTimer at a randomized hz around 10).
    func start() {
        timerTask = loop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { [self] _ in
            server.lock.withLock { timer() }
        }
    }

    func master(named name: String) -> SentinelInstance? {
        masters.first { $0.name.lowercased() == name.lowercased() }
    }

    // MARK: - Events

    /// Logs an event and publishes it on its channel (Redis's `sentinelEvent`; `%@` = the instance).
    func event(_ level: Logger.Level, _ type: String, _ ri: SentinelInstance?, _ extra: String = "",
               about: SentinelInstance? = nil) {
        var msg = ""
        if let ri {
            msg = "\(ri.typeName) \(ri.name) \(announced(ri.addr)) \(ri.addr.port)"
            if !ri.flags.contains(.master), let m = ri.master {
                msg += " @ \(m.name) \(announced(m.addr)) \(m.addr.port)"
            }
            if !extra.isEmpty { msg += " " + extra }
        } else {
            msg = extra
        }
        server.log.log(level, "\(type) \(msg)")
        if level != .debug { _ = server.publish(RBytes(type), RBytes(msg)) }
        if level == .warning, let ri = ri ?? about {
            let m = ri.flags.contains(.master) ? ri : ri.master
            if let script = m?.notificationScript {
                scripts.schedule(self, script, [type, msg])
            }
        }
    }

    // MARK: - Timer

    /// Runs every ~100 ms: TILT check, every instance's periodic work, scripts.
    func timer() {
        checkTilt()
        var switchTo: [SentinelInstance] = []
        for m in masters {
            handleInstance(m)
            for s in m.slaves { handleInstance(s) }
            for s in m.sentinels { handleInstance(s) }
            if m.failoverState == .updateConfig { switchTo.append(m) }
        }
        for m in switchTo { switchToPromotedSlave(m) }
        scripts.run(self)
    }

    /// TILT: the clock jumped backwards or the timer was late by more than 2 s.
    func checkTilt() {
        let t = now
        let delta = t - previousTime
        if delta < 0 || delta > tiltTrigger {
            tilt = true
            tiltStartTime = t
            event(.warning, "+tilt", nil, "#tilt mode entered")
        }
        previousTime = t
    }

    func handleInstance(_ ri: SentinelInstance) {
        reconnect(ri)
        sendPeriodicCommands(ri)
        if tilt {
            if now - tiltStartTime < tiltPeriod { return }
            tilt = false
            event(.warning, "-tilt", nil, "#tilt mode exited")
        }
        checkSubjectivelyDown(ri)
        if ri.flags.contains(.master) {
            checkObjectivelyDown(ri)
            if startFailoverIfNeeded(ri) { askMasterStateToOtherSentinels(ri, forced: true) }
            failoverStateMachine(ri)
            askMasterStateToOtherSentinels(ri, forced: false)
        }
    }

    // MARK: - Links

    /// Opens the missing connections of an instance (Redis's sentinelReconnectInstance).
    func reconnect(_ ri: SentinelInstance) {
        let t = now
        if ri.cmd == nil || ri.cmd!.closed {
            if t - ri.lastReconnTime < pingPeriod { return }
            ri.lastReconnTime = t
            ri.ccConnTime = t
            let conn = InstanceConnection(sentinel: self)
            ri.cmd = conn
            // Redis queues a PING with the connection attempt ("send a PING ASAP when reconnecting"), so the
            // down period of an instance that refuses connections counts from the first attempt, not from its
            // last reply (the PING itself goes out in onOpen).
            ri.lastPingTime = t
            if ri.actPingTime == 0 { ri.actPingTime = t }
            conn.onOpen = { [unowned self, weak ri] in
                guard let ri, ri.cmd === conn else { return }
                self.authenticate(ri, conn)
                conn.send([ri.mapped("CLIENT"), "SETNAME", "sentinel-\(self.myid.prefix(8))-cmd"]) { _ in }
                self.sendPing(ri)
            }
            conn.onClose = { [weak ri] in
                guard let ri, ri.cmd === conn else { return }
                ri.cmd = nil
                ri.pubsub?.close()
                ri.pubsub = nil
            }
            conn.open(host: ri.addr.ip, port: ri.addr.port)
        }
        if !ri.flags.contains(.sentinel) && (ri.pubsub == nil || ri.pubsub!.closed) && ri.cmd?.connected == true {
            ri.pcConnTime = t
            ri.pcLastActivity = t
            let conn = InstanceConnection(sentinel: self)
            ri.pubsub = conn
            conn.onOpen = { [unowned self, weak ri] in
                guard let ri, ri.pubsub === conn else { return }
                self.authenticate(ri, conn)
                conn.send([ri.mapped("CLIENT"), "SETNAME", "sentinel-\(self.myid.prefix(8))-pubsub"]) { _ in }
                conn.send([ri.mapped("SUBSCRIBE"), Sentinel.helloChannel], reply: nil)
            }
            conn.onMessage = { [unowned self, weak ri] channel, payload in
                guard let ri else { return }
                ri.pcLastActivity = self.now
                if channel == Sentinel.helloChannel { self.processHello(String(decoding: payload, as: UTF8.self), from: ri) }
            }
            conn.onClose = { [weak ri] in
                guard let ri, ri.pubsub === conn else { return }
                ri.pubsub = nil
            }
            conn.open(host: ri.addr.ip, port: ri.addr.port)
        }
    }

    private func authenticate(_ ri: SentinelInstance, _ conn: InstanceConnection) {
        var user: String?
        var pass: String?
        if ri.flags.contains(.sentinel) {
            user = sentinelUser
            pass = sentinelPass ?? (server.config.requirepass.isEmpty ? nil : server.config.requirepass)
        } else {
            (user, pass) = ri.credentials
        }
        guard let pass else { return }
        if let user {
            conn.send([ri.mapped("AUTH"), user, pass]) { _ in }
        } else {
            conn.send([ri.mapped("AUTH"), pass]) { _ in }
        }
    }

    /// Sends PING, tracking the reply times (Redis's sentinelSendPing).
    @discardableResult
    func sendPing(_ ri: SentinelInstance) -> Bool {
        guard let cmd = ri.cmd, cmd.connected else { return false }
        let t = now
        cmd.send([ri.mapped("PING")]) { [unowned self, weak ri] reply in
            guard let ri else { return }
            let t = self.now
            var ok = false
            switch reply {
            case .status(let s): ok = s == "PONG"
            case .error(let e): ok = e.hasPrefix("LOADING") || e.hasPrefix("MASTERDOWN")
                if e.hasPrefix("BUSY") && ri.flags.contains(.sDown) && !ri.flags.contains(.scriptKillSent) {
                    ri.cmd?.send([ri.mapped("SCRIPT"), "KILL"]) { _ in }
                    ri.flags.insert(.scriptKillSent)
                }
            default: break
            }
            if ok {
                ri.lastAvailTime = t
                ri.actPingTime = 0
            }
            ri.lastPongTime = t
        }
        ri.lastPingTime = t
        if ri.actPingTime == 0 { ri.actPingTime = t }
        return true
    }

    /// INFO, PING and hello messages at their periods (Redis's sentinelSendPeriodicCommands).
    func sendPeriodicCommands(_ ri: SentinelInstance) {
        guard let cmd = ri.cmd, cmd.connected else { return }
        if cmd.pending >= 100 { return }
        var infoPeriod = self.infoPeriod
        if ri.flags.contains(.slave), let m = ri.master,
           !m.flags.intersection([.oDown, .failoverInProgress]).isEmpty || ri.masterLinkDownTime != 0 {
            infoPeriod = 1000
        }
        if ri.flags.contains(.master) && ri.masterRebootDownAfterPeriod != 0 && ri.flags.contains(.masterReboot) {
            infoPeriod = 1000
        }
        let pingPeriod = min(ri.downAfterPeriod, self.pingPeriod)
        let t = now
        if !ri.flags.contains(.sentinel) && (ri.infoRefresh == 0 || t - ri.infoRefresh > infoPeriod) {
            cmd.send([ri.mapped("INFO")]) { [unowned self, weak ri] reply in
                guard let ri, case .bulk(let b?) = reply else { return }
                self.refreshInstanceInfo(ri, String(decoding: b, as: UTF8.self))
            }
        }
        if t - ri.lastPongTime > pingPeriod && t - ri.lastPingTime > pingPeriod / 2 {
            sendPing(ri)
        }
        if t - ri.lastPubTime > publishPeriod {
            sendHello(ri)
        }
    }

    /// Publishes our hello through the instance (Redis's sentinelSendHello).
    @discardableResult
    func sendHello(_ ri: SentinelInstance) -> Bool {
        guard let cmd = ri.cmd, cmd.connected, let m = ri.flags.contains(.master) ? ri : ri.master else { return false }
        let masterAddr = currentMasterAddress(m)
        let ip = announceIP.isEmpty ? (cmd.localIP ?? "127.0.0.1") : announceIP
        let port = announcePort != 0 ? announcePort : server.config.port
        let payload = "\(ip),\(port),\(myid),\(currentEpoch),\(m.name),\(announced(masterAddr)),\(masterAddr.port),\(m.configEpoch)"
        cmd.send([ri.mapped("PUBLISH"), Sentinel.helloChannel, payload]) { [unowned self, weak ri] reply in
            guard let ri, !reply.isError else { return }
            ri.lastPubTime = self.now
        }
        return true
    }

    /// The address clients should use: the promoted replica's once the failover reconfigures replicas.
    func currentMasterAddress(_ m: SentinelInstance) -> InstanceAddress {
        if m.flags.contains(.failoverInProgress), let p = m.promotedSlave, m.failoverState >= .reconfSlaves {
            return p.addr
        }
        return m.addr
    }

    /// Sends `MULTI; SLAVEOF host port | NO ONE; CONFIG REWRITE; CLIENT KILL TYPE normal; EXEC` as Redis does.
    @discardableResult
    func sendSlaveOf(_ ri: SentinelInstance, _ to: InstanceAddress?) -> Bool {
        guard let cmd = ri.cmd, cmd.connected else { return false }
        let host = to.map { announced($0) } ?? "NO"
        let port = to.map { String($0.port) } ?? "ONE"
        cmd.send([ri.mapped("MULTI")]) { _ in }
        cmd.send([ri.mapped("SLAVEOF"), host, port]) { _ in }
        cmd.send([ri.mapped("CONFIG"), "REWRITE"]) { _ in }
        cmd.send([ri.mapped("CLIENT"), "KILL", "TYPE", "normal"]) { _ in }
        cmd.send([ri.mapped("EXEC")]) { _ in }
        return true
    }

    public func shutdown() {
        timerTask?.cancel()
        for m in masters {
            for s in m.slaves { s.closeLinks() }
            for s in m.sentinels { s.closeLinks() }
            m.closeLinks()
        }
    }
}
