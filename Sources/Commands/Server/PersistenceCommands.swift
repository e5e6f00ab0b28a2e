import Kernel

/// The AOF's commands: BGREWRITEAOF. (SAVE/BGSAVE/LASTSAVE live with the RDB commands.)
public struct AOFCommands: CommandModule {
    public init() {}
    public let family = "server"

    public var commands: [CommandSpec] {
        [
            CommandSpec("bgrewriteaof", arity: 1, flags: [.admin, .noscript, .noAsyncLoading],
                        categories: [.dangerous],
                        summary: "Asynchronously rewrites the append-only file to disk.", since: "1.0.0",
                        complexity: "O(1)", handler: Self.bgrewriteaof),
        ]
    }

    /// BGREWRITEAOF
    static func bgrewriteaof(_ c: Client) {
        let aof = c.server.aof!
        if aof.rewriteInProgress {
            c.error("ERR Background append only file rewriting already in progress")
            return
        }
        if c.server.snapshotBusy {
            // A BGSAVE is running: the rewrite starts when it ends (Redis's aof_rewrite_scheduled).
            aof.scheduleRewrite()
            c.reply.status("Background append only file rewriting scheduled")
            return
        }
        let started = aof.enabled ? aof.rewrite() : aof.rewriteInBackground()
        guard started else {
            c.error("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
            return
        }
        c.reply.status("Background append only file rewriting started")
    }
}
