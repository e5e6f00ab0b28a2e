/// The periodic work Redis's `serverCron` does: clocks, the active expiry cycle, idle-client timeouts, and
/// the instantaneous ops samples. Runs `hz` times per second, holding the data lock.
extension Server {
    func cron() {
        var stall = StallWatch.Slowest()
        let tickStart = stall.mark
        defer { StallWatch.check(tickStart, log, "a cron tick held the data lock (\(stall.summary))") }
        updateHz()
        clockAnchor = 0
        updateClocks()
        stats.sampleOps(now: commandTime)
        stall.lap("clocks")
        // Entries a load or a module left as objects go back at rest (after commands this already happened).
        if !packableNoted.isEmpty { dehydrateNoted() }
        if debugFlags.cronPaused { return }
        // While the dataset loads at start (the loader lets clients in between batches) nothing else runs.
        if loading { return }
        if config.maxmemory > 0 {
            refreshUsedMemory()
            stall.lap("used_memory")
            // Redis's eviction time proc: a pass cut short by its time limit, or a lowered maxmemory, continues
            // here without waiting for the next command.
            if config.eviction.policy != .noeviction && replication.role == .master && overMaxmemory() {
                _ = performEvictions()
            }
            stall.lap("eviction")
        }
        // A replica's keys expire when its master's DEL arrives (Redis: no active expiry on a replica).
        if let p = clientPause, commandTime >= p.end { unpauseClients() }
        if activeExpireEnabled && replication.role == .master && !replication.writesPaused && clientPause == nil {
            let start = Clock.monotonicNanoseconds()
            activeExpireCycle()
            latency.addSampleIfNeeded("expire-cycle", milliseconds: (Clock.monotonicNanoseconds() - start) / 1_000_000,
                                      threshold: config.latencyMonitorThreshold, now: commandTime / 1000)
            stall.lap("expire-cycle")
        }
        if config.activeRehashing { incrementallyRehash() }
        stall.lap("rehash")
        if !pendingEffects.isEmpty { flushEffects() }
        // Keys expired or evicted here reach BCAST trackers now, not at the next client read.
        trackingLimitKeys()
        if tracking.broadcastPending { trackingBroadcast() }
        let clientLimit = clientMemoryLimit
        if clientLimit > 0 { evictClients(limit: clientLimit) }
        stall.lap("tracking and client eviction")
        if aof.enabled || aof.rewriteScheduled { aof.cron() }
        stall.lap("aof")
        if config.timeout > 0 { closeIdleClients() }
        checkSavePoints()
        stall.lap("timeouts and save points")
    }

    /// Redis's `activerehashing`: 1 ms of incremental rehashing for the first database whose key table (or else
    /// expiry table) is being resized; the rest happens a bucket per insert/delete.
    func incrementallyRehash() {
        for db in databases {
            if db.table.isRehashing { db.table.rehash(forNanoseconds: 1_000_000); return }
            if db.expires.isRehashing { db.expires.rehash(forNanoseconds: 1_000_000); return }
        }
    }

    /// Redis's `dynamic-hz`: from `hz`, doubled while there are more than 200 clients per tick, up to 500.
    func updateHz() {
        var next = max(1, config.hz)
        if config.dynamicHz {
            while clients.count / next > 200 {
                next *= 2
                if next >= 500 {
                    next = 500
                    break
                }
            }
        }
        hz = next
    }

    /// Applies a directive changed by CONFIG SET that needs more than its stored value.
    func configChanged(_ name: String) {
        switch name {
        case "loglevel": log.setLevel(name: config.loglevel)
        case "hz", "dynamic-hz": updateHz()
        default: break
        }
    }

    /// Redis's adaptive sampling: per database, sample 20 keys with a TTL and reclaim the expired ones; repeat
    /// while more than 10% of a sample was expired, within a time budget of 25% of a cron period.
    /// `active-expire-effort` (1..10) raises the sample by 5 keys, lowers the tolerated stale share by one point
    /// and adds 2% of the period per step, as Redis's activeExpireCycle.
    func activeExpireCycle() {
        let effort = max(1, min(10, config.activeExpireEffort)) - 1
        let samples = 20 + 5 * effort
        let stalePercent = 10 - effort
        let budgetNs = Int64((25 + 2 * effort) * 10_000_000 / max(1, hz))
        let start = Clock.monotonicNanoseconds()
        let n = databases.count
        var totalSampled = 0, totalExpired = 0
        // Redis's stat_expired_stale_perc: a running average of the share of expired keys among those sampled.
        defer {
            let perc = totalSampled > 0 ? Double(totalExpired) / Double(totalSampled) : 0
            stats.expiredStalePercent = perc * 0.05 + stats.expiredStalePercent * 0.95
            stats.expireCycleMicroseconds += (Clock.monotonicNanoseconds() - start) / 1000
        }
        for i in 0..<min(n, 16) {
            let db = databases[(expireCursorDb + i) % n]
            var iterations = 0
            while db.expires.count > 0 {
                let (sampled, expired) = db.sampleExpired(samples: samples, now: commandTime)
                totalSampled += sampled
                totalExpired += expired
                iterations += 1
                if sampled == 0 || expired * 100 <= sampled * stalePercent { break }
                if iterations % 16 == 0 && Clock.monotonicNanoseconds() - start > budgetNs {
                    stats.expiredTimeCapReached += 1
                    expireCursorDb = (expireCursorDb + i) % n
                    return
                }
            }
        }
        expireCursorDb = (expireCursorDb + min(n, 16)) % n
    }

    func closeIdleClients() {
        let limit = Int64(config.timeout) * 1000
        for c in clients.values where commandTime - c.lastInteraction > limit {
            log.verbose("Closing idle client")
            c.disconnect()
        }
    }
}

/// Switches DEBUG sets (Redis keeps them as globals of debug.c and server.c).
public struct DebugFlags {
    /// DEBUG PAUSE-CRON: the periodic work (expiry cycle, timeouts, save points) stops.
    public var cronPaused = false
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE payloads and RDB files are accepted without checking their CRC.
    public var skipChecksumValidation = false
    /// DEBUG QUICKLIST-PACKED-THRESHOLD (bytes).
    public var quicklistPackedThreshold: Int64 = 1 << 30
}
