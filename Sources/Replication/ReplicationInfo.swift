import Kernel

/// `INFO replication` and `ROLE` once replication is active, with Redis 7.0's fields in Redis's order.
enum ReplicationInfo {
    /// The master's `INFO replication` lines.
    static func fields(_ s: Server, master m: ReplicationMaster) -> [(String, String)] {
        var f: [(String, String)] = [("role", "master"), ("connected_slaves", String(m.replicas.count))]
        for (i, r) in m.replicas.enumerated() {
            f.append(("slave\(i)", "ip=\(r.ip),port=\(r.listeningPort),state=\(r.stateName),offset=\(r.ackOffset),lag=\(m.lag(r))"))
        }
        let backlog = m.backlog
        f += [
            ("master_failover_state", "no-failover"),
            ("master_replid", s.replicationId),
            ("master_replid2", s.replication.replid2),
            ("master_repl_offset", String(s.replication.masterOffset)),
            ("second_repl_offset", String(s.replication.secondOffset)),
            ("repl_backlog_active", backlog == nil ? "0" : "1"),
            ("repl_backlog_size", String(s.config.replBacklogSize)),
            ("repl_backlog_first_byte_offset", String(backlog?.firstByteOffset ?? 0)),
            ("repl_backlog_histlen", String(backlog?.histlen ?? 0)),
        ]
        return f
    }
}
