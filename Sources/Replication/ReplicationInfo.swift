import Kernel

/// `INFO replication` and `ROLE` once replication is active, with Redis 7.0's fields in Redis's order.
enum ReplicationInfo {
    /// The master's `INFO replication` lines.
    static func fields(_ s: Server, master m: ReplicationMaster) -> [(String, String)] {
        [("role", "master")] + replicasAndBacklog(s, master: m)
    }

    /// A replica's `INFO replication` lines (Redis 7.0's order).
    static func replicaFields(_ s: Server, master m: ReplicationMaster) -> [(String, String)] {
        let link = m.masterLink
        let up = s.replication.masterLinkUp
        var f: [(String, String)] = [
            ("role", "slave"),
            ("master_host", link?.host ?? ""),
            ("master_port", String(link?.port ?? 0)),
            ("master_link_status", up ? "up" : "down"),
            ("master_last_io_seconds_ago", link.map { $0.lastIO == 0 ? "-1" : String(max(0, (Clock.unixMilliseconds() - $0.lastIO) / 1000)) } ?? "-1"),
            ("master_sync_in_progress", link?.syncing == true ? "1" : "0"),
            ("slave_read_repl_offset", String(link?.readOffset ?? s.replication.masterOffset)),
            ("slave_repl_offset", String(s.replication.masterOffset)),
        ]
        if !up { f.append(("master_link_down_since_seconds", String(link?.downSinceSeconds ?? -1))) }
        f += [
            ("slave_priority", String(s.config.replicaPriority)),
            ("slave_read_only", s.config.replicaReadOnly ? "1" : "0"),
            ("replica_announced", s.config.replicaAnnounced ? "1" : "0"),
        ]
        return f + replicasAndBacklog(s, master: m)
    }

    /// The lines both roles share: attached replicas (`min_slaves_good_slaves` when `min-replicas-*` is on),
    /// the failover state, the IDs and offsets, the backlog.
    private static func replicasAndBacklog(_ s: Server, master m: ReplicationMaster) -> [(String, String)] {
        m.followBacklogSize()
        var f: [(String, String)] = [("connected_slaves", String(m.replicas.count))]
        if s.config.minReplicasToWrite > 0 && s.config.minReplicasMaxLag > 0 {
            f.append(("min_slaves_good_slaves", String(m.goodReplicaCount())))
        }
        for (i, r) in m.replicas.enumerated() {
            f.append(("slave\(i)", "ip=\(r.ip),port=\(r.listeningPort),state=\(r.stateName),offset=\(r.ackOffset),lag=\(m.lag(r))"))
        }
        let backlog = m.backlog
        f += [
            ("master_failover_state", m.failoverStateName),
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
