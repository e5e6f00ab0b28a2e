import Kernel
import NIOCore

/// Where a FAILOVER stands (INFO's `master_failover_state`), and its parameters.
struct FailoverState {
    enum Phase {
        case none, waitForSync, inProgress
    }
    var phase = Phase.none
    /// `TO host port`, or, once a replica caught up, the chosen one.
    var targetHost: String?
    var targetPort = 0
    /// Absolute Unix ms after which the failover is aborted (or forced), 0 without TIMEOUT.
    var endTime: Int64 = 0
    var force = false
    /// Checks the replicas' offsets while waiting.
    var timer: RepeatedTask?

    /// INFO's word for the phase.
    var name: String {
        switch phase {
        case .none: return "no-failover"
        case .waitForSync: return "waiting-for-sync"
        case .inProgress: return "failover-in-progress"
        }
    }
}

/// FAILOVER (Redis 7.0's failoverCommand / updateFailoverStatus / abortFailover): writes are paused, the master
/// waits for a replica (the `TO` one, or any) to acknowledge its whole stream, then becomes that replica's
/// replica with `PSYNC replid offset FAILOVER`, which makes the target promote itself and answer `+CONTINUE`.
extension ReplicationMaster {
    /// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms]
    func failoverCommand(_ c: Client) {
        let argv = c.argv
        if argv.count == 2 && argv[1].lowercased() == "abort" {
            guard failover.phase != .none else {
                c.error("ERR No failover in progress.")
                return
            }
            abortFailover("Failover manually aborted")
            c.reply.ok()
            return
        }
        var timeout: Int64 = 0
        var force = false
        var host: String?
        var port: Int64 = 0
        var j = 1
        while j < argv.count {
            let word = argv[j].lowercased()
            if word == "timeout" && j + 1 < argv.count && timeout == 0 {
                guard let t = Numbers.parseInt64(argv[j + 1]) else {
                    c.error("ERR value is not an integer or out of range")
                    return
                }
                guard t > 0 else {
                    c.error("ERR FAILOVER timeout must be greater than 0")
                    return
                }
                timeout = t
                j += 2
            } else if word == "to" && j + 2 < argv.count && host == nil {
                guard let p = Numbers.parseInt64(argv[j + 2]) else {
                    c.error("ERR value is not an integer or out of range")
                    return
                }
                host = argv[j + 1].string
                port = p
                j += 3
            } else if word == "force" && !force {
                force = true
                j += 1
            } else {
                c.error("ERR syntax error")
                return
            }
        }
        if failover.phase != .none {
            c.error("ERR FAILOVER already in progress.")
            return
        }
        if state.role == .replica {
            c.error("ERR FAILOVER is not valid when server is a replica.")
            return
        }
        if replicas.isEmpty {
            c.error("ERR FAILOVER requires connected replicas.")
            return
        }
        if force && (timeout == 0 || host == nil) {
            c.error("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
            return
        }
        if let host {
            guard let target = replicas.first(where: { $0.ip == host && $0.listeningPort == Int(port) }) else {
                c.error("ERR FAILOVER target HOST and PORT is not a replica.")
                return
            }
            guard target.state == .online else {
                c.error("ERR FAILOVER target replica is not online.")
                return
            }
            server.log.notice("FAILOVER requested to \(host):\(port).")
        } else {
            server.log.notice("FAILOVER requested to any replica.")
        }
        failover = FailoverState()
        failover.targetHost = host
        failover.targetPort = Int(port)
        failover.endTime = timeout > 0 ? Clock.unixMilliseconds() + timeout : 0
        failover.force = force
        failover.phase = .waitForSync
        server.pauseWrites()
        // Ask for fresh offsets now (the last GETACK before the pause; PINGs stop while it lasts).
        feed(db: nil, ["REPLCONF", "GETACK", "*"])
        if let loop = server.backgroundLoop {
            failover.timer = loop.scheduleRepeatedTask(initialDelay: .milliseconds(10), delay: .milliseconds(10)) { [unowned self] _ in
                self.server.withDataUnlessScriptRuns { self.updateFailover() }
            }
        }
        c.reply.ok()
    }

    /// While waiting: fail over to the first eligible replica that acknowledged the whole stream, or give up
    /// (or force) once the timeout passed.
    func updateFailover() {
        guard failover.phase == .waitForSync else { return }
        if failover.endTime > 0 && Clock.unixMilliseconds() >= failover.endTime {
            if failover.force, let host = failover.targetHost {
                server.log.notice("FAILOVER to \(host):\(failover.targetPort) time out exceeded, failing over.")
                startFailover(host: host, port: failover.targetPort)
            } else {
                abortFailover("Replica never caught up before timeout")
            }
            return
        }
        for r in replicas where r.state == .online {
            if let host = failover.targetHost, host != r.ip || failover.targetPort != r.listeningPort { continue }
            if r.ackOffset == state.masterOffset {
                server.log.notice("Failover target \(r.ip):\(r.listeningPort) is synced, failing over.")
                startFailover(host: r.ip, port: r.listeningPort)
                return
            }
        }
    }

    private func startFailover(host: String, port: Int) {
        failover.timer?.cancel()
        failover.timer = nil
        failover.targetHost = host
        failover.targetPort = port
        failover.phase = .inProgress
        becomeReplica(of: host, port: port)
    }

    /// The new master answered our `PSYNC ... FAILOVER`: the failover is over (`ok`), or it refused (abort).
    func failoverHandshakeEnded(ok: Bool) {
        guard failover.phase == .inProgress else { return }
        if ok { clearFailover() } else { abortFailover("Failover target rejected psync request") }
    }

    /// Gives up: a master again if we had already started following the target; writes resume.
    func abortFailover(_ reason: String) {
        guard failover.phase != .none else { return }
        if let host = failover.targetHost {
            server.log.notice("FAILOVER to \(host):\(failover.targetPort) aborted: \(reason)")
        } else {
            server.log.notice("FAILOVER to any replica aborted: \(reason)")
        }
        if failover.phase == .inProgress { becomeMaster() }
        clearFailover()
    }

    private func clearFailover() {
        failover.timer?.cancel()
        failover = FailoverState()
        server.resumePausedWrites()
    }

    /// PSYNC replid offset FAILOVER, received by a replica: its master hands over. True when we are now the
    /// master (the PSYNC goes on as usual); false after replying an error.
    func acceptFailoverRequest(_ c: Client) -> Bool {
        guard c.argv[1].string == server.replicationId else {
            c.error("ERR PSYNC FAILOVER replid must match my replid.")
            return false
        }
        becomeMaster()
        server.log.notice("MASTER MODE enabled (failover request from 'id=\(c.id) addr=\(c.address)')")
        return true
    }
}
