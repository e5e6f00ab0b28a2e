import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// Failure detection (SDOWN, ODOWN), leader election by epochs, and the failover state machine.
extension Sentinel {
    // MARK: - SDOWN / ODOWN

    /// Redis's sentinelCheckSubjectivelyDown, with its link-recycling rules.
    func checkSubjectivelyDown(_ ri: SentinelInstance) {
        let t = now
        var elapsed: Int64 = 0
        if ri.actPingTime != 0 {
            elapsed = t - ri.actPingTime
        } else if ri.cmd?.connected != true {
            elapsed = t - ri.lastAvailTime
        }
        // A command link with a ping pending for half the down period is recycled (it may be stuck).
        if let cmd = ri.cmd, cmd.connected, t - ri.ccConnTime > minLinkReconnectPeriod, ri.actPingTime != 0,
           t - ri.actPingTime > ri.downAfterPeriod / 2, t - ri.lastPongTime > ri.downAfterPeriod / 2 {
            cmd.close()
            ri.cmd = nil
            ri.pubsub?.close()
            ri.pubsub = nil
        }
        // A pub/sub link silent for three publish periods is recycled too.
        if let pc = ri.pubsub, pc.connected, t - ri.pcConnTime > minLinkReconnectPeriod,
           t - ri.pcLastActivity > publishPeriod * 3 {
            pc.close()
            ri.pubsub = nil
        }
        let roleDown = ri.flags.contains(.master) && ri.roleReported == .slave
            && t - ri.roleReportedTime > ri.downAfterPeriod + infoPeriod * 2
        let rebootDown = ri.flags.contains(.masterReboot)
            && t - ri.masterRebootSinceTime < ri.masterRebootDownAfterPeriod
        if elapsed > ri.downAfterPeriod || roleDown || rebootDown {
            if !ri.flags.contains(.sDown) {
                event(.warning, "+sdown", ri)
                ri.sDownSinceTime = t
                ri.flags.insert(.sDown)
            }
        } else if ri.flags.contains(.sDown) {
            event(.warning, "-sdown", ri)
            ri.flags.remove([.sDown, .scriptKillSent])
        }
        if ri.flags.contains(.masterReboot) && !rebootDown { ri.flags.remove(.masterReboot) }
    }

    /// Redis's sentinelCheckObjectivelyDown: our SDOWN plus the Sentinels that said the master is down.
    func checkObjectivelyDown(_ m: SentinelInstance) {
        var quorum = 0
        var odown = false
        if m.flags.contains(.sDown) {
            quorum = 1
            for s in m.sentinels where s.flags.contains(.masterDown) { quorum += 1 }
            odown = quorum >= m.quorum
        }
        if odown {
            if !m.flags.contains(.oDown) {
                event(.warning, "+odown", m, "#quorum \(quorum)/\(m.quorum)")
                m.flags.insert(.oDown)
                m.oDownSinceTime = now
            }
        } else if m.flags.contains(.oDown) {
            event(.warning, "-odown", m)
            m.flags.remove(.oDown)
        }
    }

    /// Asks the other Sentinels whether the master is down, requesting their vote once our failover started
    /// (Redis's sentinelAskMasterStateToOtherSentinels).
    func askMasterStateToOtherSentinels(_ m: SentinelInstance, forced: Bool) {
        let t = now
        for s in m.sentinels {
            let elapsed = t - s.lastMasterDownReplyTime
            if elapsed > askPeriod * 5 {
                s.flags.remove(.masterDown)
                s.leader = nil
            }
            guard m.flags.contains(.sDown), let cmd = s.cmd, cmd.connected else { continue }
            if !forced && elapsed < askPeriod { continue }
            let runid = m.failoverState > .none ? myid : "*"
            cmd.send([s.mapped("SENTINEL"), "is-master-down-by-addr", announced(m.addr), String(m.addr.port),
                      String(currentEpoch), runid]) { [unowned self, weak s] reply in
                guard let s, case .array(let r?) = reply, r.count == 3,
                      case .integer(let down) = r[0], let leader = r[1].text, case .integer(let epoch) = r[2] else { return }
                s.lastMasterDownReplyTime = self.now
                if down == 1 { s.flags.insert(.masterDown) } else { s.flags.remove(.masterDown) }
                if leader != "*" {
                    s.leader = leader
                    s.leaderEpoch = UInt64(max(0, epoch))
                }
            }
        }
    }

    // MARK: - Election

    /// Votes for `runid` in `epoch` unless we already voted in that epoch (Redis's sentinelVoteLeader).
    func voteLeader(_ m: SentinelInstance, epoch: UInt64, runid: String) -> (String?, UInt64) {
        if epoch > currentEpoch {
            currentEpoch = epoch
            flushConfig()
            event(.warning, "+new-epoch", nil, String(currentEpoch))
        }
        if m.leaderEpoch < epoch && currentEpoch <= epoch {
            m.leader = runid
            m.leaderEpoch = currentEpoch
            flushConfig()
            event(.warning, "+vote-for-leader", nil, "\(runid) \(m.leaderEpoch)", about: m)
            // Voting for another Sentinel: do not start our own failover for a while.
            if runid != myid { m.failoverStartTime = now + Int64.random(in: 0..<1000) }
        }
        return (m.leader, m.leaderEpoch)
    }

    /// The leader of `epoch` if one has the majority and the quorum (Redis's sentinelGetLeader).
    func getLeader(_ m: SentinelInstance, epoch: UInt64) -> String? {
        var counters: [String: Int] = [:]
        var order: [String] = []
        let voters = m.sentinels.count + 1
        for s in m.sentinels {
            if let l = s.leader, s.leaderEpoch == currentEpoch {
                if counters[l] == nil { order.append(l) }
                counters[l, default: 0] += 1
            }
        }
        func best() -> (String?, Int) {
            var winner: String?
            var max = 0
            for id in order where counters[id]! > max {
                max = counters[id]!
                winner = id
            }
            return (winner, max)
        }
        var (winner, maxVotes) = best()
        let (myvote, leaderEpoch) = voteLeader(m, epoch: epoch, runid: winner ?? myid)
        if let myvote, leaderEpoch == epoch {
            if counters[myvote] == nil { order.append(myvote) }
            counters[myvote, default: 0] += 1
            (winner, maxVotes) = best()
        }
        let majority = voters / 2 + 1
        if winner != nil && (maxVotes < majority || maxVotes < m.quorum) { winner = nil }
        return winner
    }

    // MARK: - Failover

    func startFailoverIfNeeded(_ m: SentinelInstance) -> Bool {
        guard m.flags.contains(.oDown), !m.flags.contains(.failoverInProgress) else { return false }
        let t = now
        if t - m.failoverStartTime < m.failoverTimeout * 2 {
            if m.failoverDelayLogged != m.failoverStartTime {
                m.failoverDelayLogged = m.failoverStartTime
                let when = (m.failoverStartTime + m.failoverTimeout * 2) / 1000
                var tt = time_t(when)
                var tmv = tm()
                localtime_r(&tt, &tmv)
                server.log.warning("Next failover delay: I will not start a failover before \(formatClock(tmv))")
            }
            return false
        }
        startFailover(m)
        return true
    }

    private func formatClock(_ t: tm) -> String {
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let day = t.tm_mday < 10 ? " \(t.tm_mday)" : "\(t.tm_mday)"
        return "\(days[Int(t.tm_wday)]) \(months[Int(t.tm_mon)]) \(day) \(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) \(t.tm_year + 1900)"
    }

    /// Redis's sentinelStartFailover: a new epoch, then the vote.
    func startFailover(_ m: SentinelInstance) {
        m.failoverState = .waitStart
        m.flags.insert(.failoverInProgress)
        currentEpoch += 1
        m.failoverEpoch = currentEpoch
        event(.warning, "+new-epoch", nil, String(currentEpoch))
        event(.warning, "+try-failover", m)
        m.failoverStartTime = now + Int64.random(in: 0..<1000)
        m.failoverStateChangeTime = now
    }

    func abortFailover(_ m: SentinelInstance) {
        m.flags.remove([.failoverInProgress, .forceFailover])
        m.failoverState = .none
        m.failoverStateChangeTime = now
        if let p = m.promotedSlave {
            p.flags.remove(.promoted)
            m.promotedSlave = nil
        }
    }

    func failoverStateMachine(_ m: SentinelInstance) {
        guard m.flags.contains(.failoverInProgress) else { return }
        let t = now
        switch m.failoverState {
        case .waitStart:
            let leader = getLeader(m, epoch: m.failoverEpoch)
            if leader != myid && !m.flags.contains(.forceFailover) {
                if t - m.failoverStartTime > min(electionTimeout, m.failoverTimeout) {
                    event(.warning, "-failover-abort-not-elected", m)
                    abortFailover(m)
                }
                return
            }
            event(.warning, "+elected-leader", m)
            if simulateFailureFlags & 1 != 0 { crashSimulated() }
            m.failoverState = .selectSlave
            m.failoverStateChangeTime = t
            event(.warning, "+failover-state-select-slave", m)
        case .selectSlave:
            guard let slave = selectSlave(m) else {
                event(.warning, "-failover-abort-no-good-slave", m)
                abortFailover(m)
                return
            }
            event(.warning, "+selected-slave", slave)
            slave.flags.insert(.promoted)
            m.promotedSlave = slave
            m.failoverState = .sendSlaveofNoOne
            m.failoverStateChangeTime = t
            event(.notice, "+failover-state-send-slaveof-noone", slave)
        case .sendSlaveofNoOne:
            guard let p = m.promotedSlave else { abortFailover(m); return }
            if p.cmd?.connected != true {
                if t - m.failoverStateChangeTime > m.failoverTimeout {
                    event(.warning, "-failover-abort-slave-timeout", m)
                    abortFailover(m)
                }
                return
            }
            if sendSlaveOf(p, nil) {
                event(.notice, "+failover-state-wait-promotion", p)
                m.failoverState = .waitPromotion
                m.failoverStateChangeTime = t
            }
        case .waitPromotion:
            if t - m.failoverStateChangeTime > m.failoverTimeout {
                event(.warning, "-failover-abort-slave-timeout", m)
                abortFailover(m)
            }
        case .reconfSlaves:
            reconfNextSlave(m)
        case .none, .updateConfig:
            break
        }
    }

    /// The best replica to promote: by priority (0 = never), then offset, then run id (Redis's sentinelSelectSlave).
    func selectSlave(_ m: SentinelInstance) -> SentinelInstance? {
        let t = now
        var maxDown: Int64 = m.flags.contains(.sDown) ? t - m.sDownSinceTime : 0
        maxDown += m.downAfterPeriod * 10
        let infoValidity = m.flags.contains(.sDown) ? pingPeriod * 5 : infoPeriod * 3
        let candidates = m.slaves.filter { s in
            s.flags.intersection([.sDown, .oDown]).isEmpty && s.cmd?.connected == true
                && t - s.lastAvailTime <= pingPeriod * 5 && s.slavePriority != 0
                && t - s.infoRefresh <= infoValidity && s.masterLinkDownTime <= maxDown
        }
        return candidates.min { a, b in
            if a.slavePriority != b.slavePriority { return a.slavePriority < b.slavePriority }
            if a.slaveReplOffset != b.slaveReplOffset { return a.slaveReplOffset > b.slaveReplOffset }
            switch (a.runid, b.runid) {
            case (nil, _): return false
            case (_, nil): return true
            case (let x?, let y?): return x < y
            }
        }
    }

    /// Points the replicas at the promoted one, `parallel-syncs` at a time (Redis's sentinelFailoverReconfNextSlave).
    func reconfNextSlave(_ m: SentinelInstance) {
        guard let promoted = m.promotedSlave else { return }
        let t = now
        var inProgress = m.slaves.filter { !$0.flags.intersection([.reconfSent, .reconfInprog]).isEmpty }.count
        for s in m.slaves where inProgress < m.parallelSyncs {
            if !s.flags.intersection([.promoted, .reconfDone]).isEmpty { continue }
            if s.flags.contains(.reconfSent) && t - s.slaveReconfSentTime > slaveReconfTimeout {
                event(.notice, "-slave-reconf-sent-timeout", s)
                s.flags.remove(.reconfSent)
                s.flags.insert(.reconfDone)
                continue
            }
            if !s.flags.intersection([.reconfSent, .reconfInprog]).isEmpty { continue }
            if s.cmd?.connected != true { continue }
            if sendSlaveOf(s, promoted.addr) {
                s.flags.insert(.reconfSent)
                s.slaveReconfSentTime = t
                event(.notice, "+slave-reconf-sent", s)
                inProgress += 1
            }
        }
        detectEnd(m)
    }

    func detectEnd(_ m: SentinelInstance) {
        guard m.failoverState == .reconfSlaves, let promoted = m.promotedSlave, !promoted.flags.contains(.sDown) else {
            return
        }
        var notReconfigured = 0
        for s in m.slaves where s.flags.intersection([.promoted, .reconfDone]).isEmpty && !s.flags.contains(.sDown) {
            notReconfigured += 1
        }
        var timeout = false
        if now - m.failoverStateChangeTime > m.failoverTimeout {
            notReconfigured = 0
            timeout = true
            event(.warning, "+failover-end-for-timeout", m)
        }
        if notReconfigured == 0 {
            event(.warning, "+failover-end", m)
            m.failoverState = .updateConfig
            m.failoverStateChangeTime = now
        }
        if timeout {
            for s in m.slaves where s.flags.intersection([.reconfDone, .reconfSent, .promoted]).isEmpty {
                if sendSlaveOf(s, promoted.addr) { event(.notice, "+slave-reconf-sent-be", s) }
            }
        }
    }

    /// The failover ended: the promoted replica becomes the master (Redis's sentinelFailoverSwitchToPromotedSlave).
    func switchToPromotedSlave(_ m: SentinelInstance) {
        let p = m.promotedSlave?.addr ?? m.addr
        let old = m.addr
        event(.warning, "+switch-master", nil, "\(m.name) \(announced(old)) \(old.port) \(announced(p)) \(p.port)", about: m)
        callClientReconfScript(m, role: "leader", state: "end", from: old, to: p)
        resetMasterAndChangeAddress(m, p)
    }

    /// Forgets the master's replicas, links and failover state (Redis's sentinelResetMaster).
    func resetMaster(_ m: SentinelInstance, keepSentinels: Bool) {
        for s in m.slaves { s.closeLinks() }
        m.slaves.removeAll()
        if !keepSentinels {
            for s in m.sentinels { s.closeLinks() }
            m.sentinels.removeAll()
        }
        m.closeLinks()
        m.flags = m.flags.intersection(.master)
        m.leader = nil
        m.failoverState = .none
        m.failoverStateChangeTime = 0
        m.failoverStartTime = 0
        m.promotedSlave = nil
        m.runid = nil
        m.info = nil
        let t = now
        m.actPingTime = t
        m.lastPingTime = 0
        m.lastAvailTime = t
        m.lastPongTime = t
        m.infoRefresh = 0
        m.roleReported = .master
        m.roleReportedTime = t
        m.sDownSinceTime = 0
        m.oDownSinceTime = 0
        m.lastReconnTime = 0
    }

    /// Moves the master to `addr`, keeping the old master and the other replicas as its replicas
    /// (Redis's sentinelResetMasterAndChangeAddress).
    func resetMasterAndChangeAddress(_ m: SentinelInstance, _ addr: InstanceAddress) {
        var replicas = m.slaves.map(\.addr).filter { $0 != addr }
        if m.addr != addr && !replicas.contains(m.addr) { replicas.append(m.addr) }
        resetMaster(m, keepSentinels: true)
        m.addr = addr
        let t = now
        for a in replicas {
            let slave = SentinelInstance(flags: .slave, name: announcedAddrAndPort(a), addr: a, master: m, now: t)
            m.slaves.append(slave)
            event(.notice, "+slave", slave)
        }
        for s in m.sentinels {
            // Sentinels keep their links; their votes belong to the old configuration.
            s.leader = nil
        }
        flushConfig()
    }

    /// SENTINEL SIMULATE-FAILURE: exit as if crashed.
    func crashSimulated() {
        server.log.warning("Simulated crash: exiting")
        exit(99)
    }
}
