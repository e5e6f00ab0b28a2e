import Kernel

/// CLUSTER (every subcommand), ASKING, READONLY, READWRITE and RESTORE-ASKING as a Redis 7.0 server with
/// `cluster-enabled no` has them: registered with Redis's arity, flags and key specs (COMMAND, ACL categories and
/// clients that probe for cluster support see the same table), and answering "This instance has cluster support
/// disabled" — cluster mode itself is not built (`cluster-enabled yes` is refused at start-up). RESTORE-ASKING is
/// RESTORE, as in a standalone Redis.
public struct ClusterCommands: CommandModule {
    public init() {}
    public let family = "cluster"

    public var commands: [CommandSpec] {
        let admin: CommandFlags = [.admin, .stale, .noAsyncLoading]
        let adminAnyTime: CommandFlags = [.admin, .stale]
        let read: CommandFlags = [.stale]
        let subcommands: [(String, Int, CommandFlags)] = [
            ("addslots", -3, admin), ("addslotsrange", -4, admin), ("bumpepoch", 2, admin),
            ("count-failure-reports", 3, adminAnyTime), ("countkeysinslot", 3, read), ("delslots", -3, admin),
            ("delslotsrange", -4, admin), ("failover", -2, admin), ("flushslots", 2, admin), ("forget", 3, admin),
            ("getkeysinslot", 4, read), ("help", 2, [.loading, .stale]), ("info", 2, read), ("keyslot", 3, read),
            ("links", 2, read), ("meet", -4, admin), ("myid", 2, read), ("nodes", 2, read),
            ("replicas", 3, adminAnyTime), ("replicate", 3, admin), ("reset", -2, [.admin, .noscript, .stale]),
            ("saveconfig", 2, admin), ("set-config-epoch", 3, admin), ("setslot", -4, admin), ("shards", 2, read),
            ("slaves", 3, adminAnyTime), ("slots", 2, read),
        ]
        return [
            CommandSpec("cluster", arity: -2, subcommands: subcommands.map { name, arity, flags in
                CommandSpec(name, arity: arity, flags: flags, handler: Self.disabled)
            }),
            CommandSpec("asking", arity: 1, flags: [.fast], categories: [.connection], handler: Self.disabled),
            CommandSpec("readonly", arity: 1, flags: [.loading, .stale, .fast], categories: [.connection],
                        handler: Self.disabled),
            CommandSpec("readwrite", arity: 1, flags: [.loading, .stale, .fast], categories: [.connection],
                        handler: Self.disabled),
            CommandSpec("restore-asking", arity: -4, flags: [.write, .denyoom, .asking], keys: .single,
                        categories: [.keyspace, .dangerous], handler: KeysCommands.restore),
        ]
    }

    /// Redis's reply to every cluster command when cluster mode is off.
    static func disabled(_ c: Client) {
        c.error("ERR This instance has cluster support disabled")
    }
}
