import Kernel

/// The `<COMMAND> HELP` reply shared by the server-administration families (Redis's `addReplyHelp`): a header line,
/// the lines of every subcommand this server actually registers, then `HELP` itself, all as status replies.
enum HelpReply {
    /// One subcommand's help lines, keyed by the subcommand's lower-case name ("" for the container itself).
    typealias Entry = (subcommand: String, lines: [String])

    /// Replies with the help of `command`, listing only the entries whose subcommand is registered under the
    /// container `command` (so a disabled or unimplemented subcommand is never advertised). With `always`, every
    /// entry is listed (DEBUG parses its own subcommands, so the registry does not know them).
    static func send(_ c: Client, command: String, entries: [Entry], always: Bool = false) {
        let container = c.server.commands.lookup(RBytes(command))
        var lines = ["\(command.uppercased()) <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"]
        for e in entries where always || e.subcommand.isEmpty || container?.subcommands[RBytes(e.subcommand)] != nil {
            lines.append(contentsOf: e.lines)
        }
        lines.append("HELP")
        lines.append("    Prints this help.")
        c.reply.arrayHeader(lines.count)
        for l in lines { c.reply.status(l) }
    }
}
