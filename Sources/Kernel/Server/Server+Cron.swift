/// The periodic work Redis's `serverCron` does: clocks, the active expiry cycle, idle-client timeouts, and
/// the instantaneous ops samples. Runs `hz` times per second, holding the data lock.
extension Server {
    func cron() {
        clockAnchor = 0
        updateClocks()
        stats.sampleOps(now: commandTime)
        // While the dataset loads at start (the loader lets clients in between batches) nothing else runs.
        if loading { return }
        if config.maxmemory > 0 {
            refreshUsedMemory()
            // Redis's eviction time proc: a pass cut short by its time limit, or a lowered maxmemory, continues
            // here without waiting for the next command.
            if config.eviction.policy != .noeviction && replication.role == .master && overMaxmemory() {
                _ = performEvictions()
            }
        }
        // A replica's keys expire when its master's DEL arrives (Redis: no active expiry on a replica).
        if activeExpireEnabled && replication.role == .master && !replication.writesPaused { activeExpireCycle() }
        if !pendingEffects.isEmpty { flushEffects() }
        // Keys expired or evicted here reach BCAST trackers now, not at the next client read.
        if tracking.broadcastPending { trackingBroadcast() }
        if aof.enabled || aof.rewriteScheduled { aof.cron() }
        if config.timeout > 0 { closeIdleClients() }
        checkSavePoints()
    }

    /// Redis's adaptive sampling: per database, sample 20 keys with a TTL and reclaim the expired ones; repeat
    /// while more than 10% of a sample was expired, within a time budget of 25% of a cron period.
    func activeExpireCycle() {
        let budgetNs = Int64(250_000_000 / max(1, config.hz))
        let start = Clock.monotonicNanoseconds()
        let n = databases.count
        for i in 0..<min(n, 16) {
            let db = databases[(expireCursorDb + i) % n]
            var iterations = 0
            while db.expires.count > 0 {
                let (sampled, expired) = db.sampleExpired(samples: 20, now: commandTime)
                iterations += 1
                if sampled == 0 || expired * 10 <= sampled { break }
                if iterations % 16 == 0 && Clock.monotonicNanoseconds() - start > budgetNs {
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
