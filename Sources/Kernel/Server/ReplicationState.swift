/// The replication facts the kernel itself reads (INFO, the dispatcher, snapshots), owned by the `Replication`
/// target, which keeps them current. Everything here is read and written with the data lock held.
public final class ReplicationState {
    /// The role the server plays (INFO's `role`).
    public enum Role: Sendable { case master, replica }

    /// `master` unless REPLICAOF made this server a replica.
    public var role: Role = .master
    /// The previous replication ID (`master_replid2`), accepted for PSYNC up to `secondOffset`.
    public var replid2 = String(repeating: "0", count: 40)
    /// Bytes of the replication stream produced (or, on a replica, processed) so far (`master_repl_offset`).
    public var masterOffset: Int64 = 0
    /// The offset up to which `replid2` is valid, or -1 (`second_repl_offset`).
    public var secondOffset: Int64 = -1
    /// Lines of `INFO replication` supplied by the replication target once it is active; nil means a master
    /// that never had a replica.
    public var infoFields: ((Server) -> [(String, String)])?
    /// On a replica: whether the link with the master is up (`master_link_status`).
    public var masterLinkUp = false
    /// On a replica: whether our ID and offset continue a master's history (a PSYNC may continue it).
    public var hasMasterHistory = false
    /// On a master: the replicas online whose last ACK is at most `min-replicas-max-lag` seconds old (Redis's
    /// `repl_good_slaves_count`), supplied by the replication target; nil counts as 0.
    public var goodReplicas: (() -> Int)?
    /// Whether writes are held (FAILOVER waiting for its replica); see `Server.pauseWrites`.
    public internal(set) var writesPaused = false
    /// Clients whose command waits for the end of the pause, in arrival order.
    var postponed: [Client] = []
    /// The replication target's own state object, created when replication is first used.
    public var owner: AnyObject?
    /// The replication position an RDB written now carries as `repl-*` aux fields (Redis's rdbPopulateSaveInfo):
    /// supplied by the replication target; nil (or a nil answer) writes none.
    public var saveInfo: (() -> ReplicationAux?)?
    /// The position read from the RDB file loaded at start by a server configured with `replicaof`: the replica
    /// continues its master's history from there (`+CONTINUE` when the master's backlog still holds it).
    public var restoredAtStart: ReplicationAux?

    /// Whether `min-replicas-to-write` refuses writes now (Redis's checkGoodReplicasStatus negated).
    public func lacksGoodReplicas(_ config: Config) -> Bool {
        guard role == .master, config.minReplicasToWrite > 0, config.minReplicasMaxLag > 0 else { return false }
        return (goodReplicas?() ?? 0) < config.minReplicasToWrite
    }

    /// Creates the state of a master without replicas.
    public init() {}
}

/// The `repl-*` aux fields Redis writes into an RDB meant for a replica (rdbSaveInfoAuxFields with `rsi`).
public struct ReplicationAux: Sendable {
    /// The database the replication stream last selected (`repl-stream-db`).
    public var streamDb: Int
    /// The master's replication ID (`repl-id`).
    public var replid: String
    /// The master offset the image corresponds to (`repl-offset`).
    public var offset: Int64

    /// Describes the replication position an RDB image corresponds to.
    public init(streamDb: Int, replid: String, offset: Int64) {
        self.streamDb = streamDb
        self.replid = replid
        self.offset = offset
    }
}

/// What a connection is to replication: a plain client, a replica attached to us, or our link to our master.
public enum ReplicationLinkKind: Sendable { case normal, replica, master }
