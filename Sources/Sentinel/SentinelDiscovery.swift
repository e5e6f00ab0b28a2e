import Kernel

/// Discovery: INFO replies (replicas, roles, run ids) and hello messages (other Sentinels, newer configurations).
extension Sentinel {
    // MARK: - INFO

    /// Reads an instance's INFO reply (Redis's sentinelRefreshInstanceInfo).
    func refreshInstanceInfo(_ ri: SentinelInstance, _ info: String) {
        let t = now
        ri.info = info
        var role: InstanceFlags = []
        ri.masterLinkDownTime = 0
        for line in info.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            if line.hasPrefix("run_id:"), line.count == 47 {
                let id = String(line.dropFirst(7))
                if ri.runid != id {
                    if ri.runid != nil {
                        event(.notice, "+reboot", ri)
                        if ri.flags.contains(.master) && ri.masterRebootDownAfterPeriod != 0 {
                            ri.flags.insert(.masterReboot)
                            ri.masterRebootSinceTime = t
                        }
                    }
                    ri.runid = id
                }
            }
            // slave0:ip=127.0.0.1,port=6380,state=online,offset=...,lag=0 (older: slave0:<ip>,<port>,<state>)
            if ri.flags.contains(.master), line.hasPrefix("slave"), let colon = line.firstIndex(of: ":"),
               line[line.index(line.startIndex, offsetBy: 5)..<colon].allSatisfy(\.isNumber) {
                var ip: String?
                var port: Int?
                let body = line[line.index(after: colon)...]
                if body.contains("=") {
                    for kv in body.split(separator: ",") {
                        if kv.hasPrefix("ip=") { ip = String(kv.dropFirst(3)) }
                        if kv.hasPrefix("port=") { port = Int(kv.dropFirst(5)) }
                    }
                } else {
                    let parts = body.split(separator: ",")
                    if parts.count >= 2 { ip = String(parts[0]); port = Int(parts[1]) }
                }
                // A replica announcing a name is added only if the name resolves (with resolve-hostnames yes).
                if let ip, let port, validHost(ip), lookupSlave(ri, InstanceAddress(host: ip, port: port)) == nil {
                    let addr = InstanceAddress(host: ip, port: port)
                    let s = SentinelInstance(flags: .slave, name: announcedAddrAndPort(addr), addr: addr, master: ri, now: t)
                    ri.slaves.append(s)
                    event(.notice, "+slave", s)
                    flushConfig()
                }
            }
            if line.hasPrefix("master_link_down_since_seconds:"), let v = Int64(line.dropFirst(31)) {
                ri.masterLinkDownTime = v * 1000
            }
            if line == "role:master" { role = .master }
            if line == "role:slave" { role = .slave }
            if role == .slave {
                if line.hasPrefix("master_host:") {
                    let h = String(line.dropFirst(12))
                    if ri.slaveMasterHost != h { ri.slaveMasterHost = h; ri.slaveConfChangeTime = t }
                }
                if line.hasPrefix("master_port:"), let p = Int(line.dropFirst(12)) {
                    if ri.slaveMasterPort != p { ri.slaveMasterPort = p; ri.slaveConfChangeTime = t }
                }
                if line.hasPrefix("master_link_status:") { ri.slaveMasterLinkUp = line.dropFirst(19) == "up" }
                if line.hasPrefix("slave_priority:"), let p = Int(line.dropFirst(15)) { ri.slavePriority = p }
                if line.hasPrefix("slave_repl_offset:"), let o = Int64(line.dropFirst(18)) { ri.slaveReplOffset = o }
                if line.hasPrefix("replica_announced:"), let a = Int(line.dropFirst(18)) { ri.replicaAnnounced = a != 0 }
            }
        }
        ri.infoRefresh = t
        if !role.isEmpty && role != ri.roleReported {
            ri.roleReportedTime = t
            ri.roleReported = role
            if role == .slave { ri.slaveConfChangeTime = t }
            let expected = ri.flags.intersection([.master, .slave]) == role
            event(.verbose, expected ? "+role-change" : "-role-change", ri,
                  "new reported role is \(role == .master ? "master" : "slave")")
        }
        if tilt { return }
        guard let m = ri.master, ri.flags.contains(.slave) else { return }
        if role == .master {
            if ri.flags.contains(.promoted) && m.flags.contains(.failoverInProgress) && m.failoverState == .waitPromotion {
                // Our promotion worked: the new configuration is ours.
                m.configEpoch = m.failoverEpoch
                m.failoverState = .reconfSlaves
                m.failoverStateChangeTime = t
                flushConfig()
                event(.warning, "+promoted-slave", ri)
                if simulateFailureFlags & 2 != 0 { crashSimulated() }
                event(.warning, "+failover-state-reconf-slaves", m)
                callClientReconfScript(m, role: "leader", state: "start", from: m.addr, to: ri.addr)
                forceHelloUpdate(m)
            } else {
                let wait = publishPeriod * 4
                if !ri.flags.contains(.promoted) && masterLooksSane(m) && noDownFor(ri, wait) && t - ri.roleReportedTime > wait {
                    if sendSlaveOf(ri, m.addr) { event(.notice, "+convert-to-slave", ri) }
                }
            }
        }
        if role == .slave && !address(m.addr, is: ri.slaveMasterHost, port: ri.slaveMasterPort) {
            let wait = m.failoverTimeout
            if masterLooksSane(m) && noDownFor(ri, wait) && t - ri.slaveConfChangeTime > wait {
                if sendSlaveOf(ri, m.addr) { event(.notice, "+fix-slave-config", ri) }
            }
        }
        if role == .slave && !ri.flags.intersection([.reconfSent, .reconfInprog]).isEmpty, let p = m.promotedSlave {
            if ri.flags.contains(.reconfSent) && address(p.addr, is: ri.slaveMasterHost, port: ri.slaveMasterPort) {
                ri.flags.remove(.reconfSent)
                ri.flags.insert(.reconfInprog)
                event(.notice, "+slave-reconf-inprog", ri)
            }
            if ri.flags.contains(.reconfInprog) && ri.slaveMasterLinkUp {
                ri.flags.remove(.reconfInprog)
                ri.flags.insert(.reconfDone)
                event(.notice, "+slave-reconf-done", ri)
            }
        }
    }

    /// An IP address, or a resolvable name with `resolve-hostnames yes`.
    func validHost(_ host: String) -> Bool {
        Self.isIPAddress(host) || (resolveHostnames && host.allSatisfy { $0.isASCII && !$0.isWhitespace } && Self.resolves(host))
    }

    func lookupSlave(_ m: SentinelInstance, _ addr: InstanceAddress) -> SentinelInstance? {
        m.slaves.first { $0.addr == addr }
    }

    /// A master we can reconfigure replicas towards: up, reporting master, recently refreshed.
    func masterLooksSane(_ m: SentinelInstance) -> Bool {
        m.flags.contains(.master) && m.roleReported == .master && m.flags.intersection([.sDown, .oDown]).isEmpty
            && now - m.infoRefresh < infoPeriod * 2
    }

    /// Whether the instance has not entered SDOWN or ODOWN in the last `ms` (Redis's
    /// sentinelRedisInstanceNoDownFor). A ping in flight is not a down state: counting it made a reconfiguration
    /// wait for an INFO reply that happened to arrive with no PING pending, which could take minutes.
    func noDownFor(_ ri: SentinelInstance, _ ms: Int64) -> Bool {
        var most = ri.sDownSinceTime
        if ri.oDownSinceTime > most { most = ri.oDownSinceTime }
        return most == 0 || now - most > ms
    }

    /// Publishes hellos at once on the next timer tick (after a configuration change).
    func forceHelloUpdate(_ m: SentinelInstance) {
        guard m.flags.contains(.master) else { return }
        let old = now - publishPeriod - 1
        m.lastPubTime = old
        for s in m.slaves { s.lastPubTime = old }
        for s in m.sentinels { s.lastPubTime = old }
    }

    // MARK: - Hello

    /// A hello from another Sentinel: `ip,port,runid,epoch,master-name,master-ip,master-port,master-config-epoch`
    /// (Redis's sentinelProcessHelloMessage).
    func processHello(_ hello: String, from ri: SentinelInstance?) {
        let token = hello.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard token.count == 8, let port = Int(token[1]), let epoch = UInt64(token[3]),
              let masterPort = Int(token[6]), let masterEpoch = UInt64(token[7]) else { return }
        let runid = token[2]
        guard runid != myid, let m = master(named: token[4]) else { return }
        // Addresses must be valid as for SENTINEL MONITOR (an address is also written to the config file).
        guard (1...65535).contains(port), (1...65535).contains(masterPort), runid.utf8.count == 40,
              validHost(token[0]), validHost(token[5]) else { return }
        let t = now
        var si = m.sentinels.first { $0.runid == runid && $0.addr == InstanceAddress(host: token[0], port: port) }
        if si == nil {
            // A Sentinel with this id at another address, or another id at this address, is replaced everywhere.
            // The same run id at another address is a Sentinel that moved (removed everywhere, Redis's
            // removeMatchingSentinelFromMaster); another id at this address replaced the old one.
            var removed = 0
            for other in masters {
                other.sentinels.removeAll { s in
                    guard s.runid == runid else { return false }
                    s.closeLinks()
                    removed += 1
                    return true
                }
            }
            m.sentinels.removeAll { s in
                guard s.addr == InstanceAddress(host: token[0], port: port) else { return false }
                event(.notice, "+sentinel-invalid-addr", s)
                s.closeLinks()
                return true
            }
            let s = SentinelInstance(flags: .sentinel, name: runid, addr: InstanceAddress(host: token[0], port: port),
                                     master: m, now: t)
            s.runid = runid
            m.sentinels.append(s)
            if removed > 0 {
                event(.notice, "+sentinel-address-switch", m, "ip \(token[0]) port \(port) for \(runid)")
            } else {
                event(.notice, "+sentinel", s)
            }
            flushConfig()
            si = s
        }
        if epoch > currentEpoch {
            currentEpoch = epoch
            flushConfig()
            event(.warning, "+new-epoch", nil, String(currentEpoch))
        }
        if m.configEpoch < masterEpoch {
            m.configEpoch = masterEpoch
            let announced = InstanceAddress(host: token[5], port: masterPort)
            if announced != m.addr {
                let old = m.addr
                event(.warning, "+config-update-from", si)
                event(.warning, "+switch-master", nil,
                      "\(m.name) \(self.announced(old)) \(old.port) \(self.announced(announced)) \(announced.port)", about: m)
                resetMasterAndChangeAddress(m, announced)
                callClientReconfScript(m, role: "observer", state: "start", from: old, to: announced)
            }
        }
        si?.lastHelloTime = t
        _ = ri
    }
}
