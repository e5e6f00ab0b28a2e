import Kernel

/// INFO, TIME, SHUTDOWN, DEBUG and COMMAND: the server family's introspection and lifecycle commands.
///
/// CONFIG is `ConfigCommands` (same family); the handlers live in `ServerCommands+*.swift`.
public struct ServerCommands: CommandModule {
    public init() {}
    public let family = "server"

    public var commands: [CommandSpec] {
        [
            CommandSpec("info", arity: -1, flags: [.loading, .stale], categories: [.dangerous],
                        summary: "Returns information and statistics about the server.", since: "1.0.0",
                        complexity: "O(1)", handler: Self.info),
            CommandSpec("time", arity: 1, flags: [.loading, .stale, .fast],
                        summary: "Returns the server time.", since: "2.6.0", complexity: "O(1)", handler: Self.time),
            CommandSpec("shutdown", arity: -1, flags: [.admin, .noscript, .loading, .stale, .noMulti, .allowBusy],
                        summary: "Stops the server, optionally saving the dataset first.", since: "1.0.0",
                        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
                        handler: Self.shutdown),
            CommandSpec("debug", arity: -2, flags: [.admin, .noscript, .loading, .stale, .protected],
                        summary: "A container for debugging commands.", since: "1.0.0",
                        complexity: "Depends on subcommand.", handler: Self.debug),
            Self.commandSpec,
        ]
    }
}

// MARK: - TIME

extension ServerCommands {
    /// TIME
    static func time(_ c: Client) {
        let us = Clock.unixMicroseconds()
        c.reply.arrayHeader(2)
        c.reply.bulk(us / 1_000_000)
        c.reply.bulk(us % 1_000_000)
    }
}

// MARK: - SHUTDOWN

extension ServerCommands {
    /// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]
    static func shutdown(_ c: Client) {
        var nosave = false, save = false, now = false, force = false, abort = false
        for arg in c.argv.dropFirst() {
            if arg.equalsIgnoringCase("NOSAVE") {
                nosave = true
            } else if arg.equalsIgnoringCase("SAVE") {
                save = true
            } else if arg.equalsIgnoringCase("NOW") {
                // NOW skips waiting for lagging replicas; there are none to wait for.
                now = true
            } else if arg.equalsIgnoringCase("FORCE") {
                force = true
            } else if arg.equalsIgnoringCase("ABORT") {
                abort = true
            } else {
                c.error(Errors.syntax)
                return
            }
        }
        if (abort && (nosave || save || now || force)) || (nosave && save) {
            c.error(Errors.syntax)
            return
        }
        if abort {
            // A shutdown here is immediate: there is never one in progress to abort.
            c.error("ERR No shutdown in progress.")
            return
        }
        let wantsSave = save || (!nosave && !c.server.config.savePoints.isEmpty)
        c.server.log.warning("User requested shutdown...")
        if !c.server.prepareForShutdown(save: wantsSave, force: force) {
            c.error("ERR Errors trying to SHUTDOWN. Check logs.")
            return
        }
        // Like Redis, no reply: the connection closes and nothing after SHUTDOWN in the pipeline runs.
        c.close()
        c.server.requestShutdown()
    }
}
