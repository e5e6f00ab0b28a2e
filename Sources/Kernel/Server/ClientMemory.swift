/// What each client's buffers cost, kept as a running total for `maxmemory-clients` (Redis 7.0's client
/// eviction): after a client's read batch or a delivery to it, its figure is refreshed; when the total of
/// evictable clients reaches the limit, the clients using the most are closed first.
extension Client {
    /// Bytes this client holds: unparsed input, the argument vector, the reply buffer's storage and the output
    /// not yet written to the socket (CLIENT LIST's `tot-mem`).
    public var memoryUsage: Int {
        var argvBytes = 0
        for a in argv { argvBytes &+= a.count }
        return queryBufferLength &+ argvBytes &+ reply.buffer.capacity &+ unflushedBytes.load(ordering: .relaxed)
    }

    /// Whether `maxmemory-clients` may evict it: normal and pub/sub clients without CLIENT NO-EVICT (replication
    /// links and internal clients are exempt, as in Redis).
    var evictable: Bool { !noEvict && linkKind == .normal && isConnection && !closeAfterReply }
}

extension Server {
    /// The `maxmemory-clients` limit in bytes (a percentage applies to `maxmemory`), or 0 when off.
    public var clientMemoryLimit: Int64 {
        let v = config.maxmemoryClients
        if v >= 0 { return v }
        guard config.maxmemory > 0 && config.maxmemory < Int64.max else { return 0 }
        return config.maxmemory / 100 * -v
    }

    /// Refreshes `c`'s share of the clients' memory total (call with the data lock held), then evicts clients
    /// if the total passed `maxmemory-clients`.
    func updateClientMemory(_ c: Client) {
        let now = c.evictable ? c.memoryUsage : 0
        clientsMemory &+= now &- c.accountedMemory
        c.accountedMemory = now
        let limit = clientMemoryLimit
        if limit > 0 && Int64(clientsMemory) >= limit { evictClients(limit: limit) }
    }

    /// Forgets a departing client's share.
    func forgetClientMemory(_ c: Client) {
        clientsMemory &-= c.accountedMemory
        c.accountedMemory = 0
    }

    /// Closes the clients using the most memory until the total is under `limit` (Redis's `evictClients`):
    /// each is logged ("Evicting client: ...") and counted in `evicted_clients`.
    /// Redis's `CLIENT_MEM_USAGE_BUCKET_MIN`: clients below it are never evicted.
    static let minimumEvictableClientMemory = 32 * 1024

    func evictClients(limit: Int64) {
        var candidates: [Client] = []
        for c in clients.values where c.evictable {
            let now = c.memoryUsage
            clientsMemory &+= now &- c.accountedMemory
            c.accountedMemory = now
            // Redis never evicts a client using less than its smallest memory bucket (32 KiB): a tiny limit must
            // not cut every idle connection, the one that set it included.
            if now >= Self.minimumEvictableClientMemory { candidates.append(c) }
        }
        guard Int64(clientsMemory) >= limit else { return }
        candidates.sort { $0.accountedMemory > $1.accountedMemory }
        for c in candidates {
            guard Int64(clientsMemory) >= limit else { break }
            log.verbose("Evicting client: \(describeForLog(c))")
            stats.evictedClients += 1
            forgetClientMemory(c)
            c.disconnect()
        }
    }
}
