import Kernel

/// SAVE, BGSAVE and LASTSAVE: RDB snapshots on demand (the server family). The snapshot mechanics are the
/// kernel's (`Snapshot`, `RDBPersistence`).
public struct RDBCommands: CommandModule {
    public init() {}
    public let family = "server"

    public var commands: [CommandSpec] {
        [
            CommandSpec("save", arity: 1, flags: [.admin, .noscript, .noAsyncLoading, .noMulti],
                        summary: "Synchronously saves the database(s) to disk.", since: "1.0.0",
                        complexity: "O(N) where N is the total number of keys in all databases", handler: Self.save),
            CommandSpec("bgsave", arity: -1, flags: [.admin, .noscript, .noAsyncLoading],
                        summary: "Asynchronously saves the database(s) to disk.", since: "1.0.0",
                        complexity: "O(1)", handler: Self.bgsave),
            CommandSpec("lastsave", arity: 1, flags: [.loading, .stale, .fast], categories: [.admin, .dangerous],
                        summary: "Returns the Unix timestamp of the last successful save to disk.", since: "1.0.0",
                        complexity: "O(1)", handler: Self.lastsave),
        ]
    }

    /// SAVE
    static func save(_ c: Client) {
        if c.server.snapshotBusy {
            c.error("ERR Background save already in progress")
            return
        }
        if c.server.saveSync() {
            c.reply.ok()
        } else {
            c.error("ERR")
        }
    }

    /// BGSAVE [SCHEDULE]
    static func bgsave(_ c: Client) {
        var schedule = false
        if c.argv.count > 1 {
            guard c.argv.count == 2, c.argv[1].equalsIgnoringCase("SCHEDULE") else {
                c.error(Errors.syntax)
                return
            }
            schedule = true
        }
        let s = c.server
        if s.rdb.bgsaveInProgress {
            c.error("ERR Background save already in progress")
            return
        }
        if s.snapshotBusy {
            if schedule {
                s.scheduleBackgroundSave()
                c.reply.status("Background saving scheduled")
            } else {
                c.error("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
            }
            return
        }
        if let failure = s.startBackgroundSave() {
            c.error(failure)
        } else {
            c.reply.status("Background saving started")
        }
    }

    /// LASTSAVE
    static func lastsave(_ c: Client) {
        c.reply.integer(c.server.rdb.lastSaveTime)
    }
}
