import NIOCore

/// What a connection is answered while a script holds the data past `busy-reply-threshold` and its loop cannot
/// take the data lock (never deaf, DESIGN §3): Redis's processCommand while a script is busy, without touching the
/// connection's client. A connection on the script's own loop is served by the script's hook instead
/// (`BusyPeers.swift`), which can run the `allow-busy` commands that need the client's state.
extension Server {
    /// Answers the complete commands in `input` of a connection whose loop cannot take the data lock because a
    /// script holds it past its threshold (see `EpollConnection.answerWhileBusy`); the replies go to `out`.
    /// Returns whether the input had a protocol error and whether QUIT was sent (either closes the connection).
    func answerWhileBusy(parser: inout RequestParser, input: inout ByteBuffer, into out: inout ByteBuffer,
                         registered: Bool, authenticatedWhileBusy: inout Bool) -> (failed: Bool, quit: Bool) {
        var argv: [RBytes] = []
        var failed = false
        var quit = false
        let busy = busyScript
        // No CONFIG SET can run while the script holds the data, so reading the password here is safe.
        let password = config.requirepass
        var authed = registered ? parser.authenticated : (password.isEmpty || authenticatedWhileBusy)
        while !quit {
            do throws(RequestParser.Failure) {
                guard try parser.parse(&input, into: &argv) == .command else { break }
            } catch {
                failed = true
                break
            }
            let line: String
            if argv[0].equalsIgnoringCase("quit") {
                line = "+OK"
                quit = true
            } else if argv[0].equalsIgnoringCase("auth") && argv.count >= 2 {
                if argv.count > 3 {
                    line = "-" + Errors.syntax
                } else if argv.count == 2 && password.isEmpty {
                    line = "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
                } else if (argv.count == 2 || argv[1] == RBytes("default")) && (password.isEmpty || argv[argv.count - 1] == RBytes(password)) {
                    authed = true
                    authenticatedWhileBusy = true
                    line = "+OK"
                } else {
                    line = "-" + Errors.wrongPass
                }
            } else if !authed {
                line = "-" + Errors.noAuth
            } else if argv.count == 2 && argv[1].equalsIgnoringCase("kill")
                        && (argv[0].equalsIgnoringCase("script") || argv[0].equalsIgnoringCase("function")) {
                line = busy.kill(eval: argv[0].equalsIgnoringCase("script"))
            } else if argv[0].equalsIgnoringCase("shutdown") && argv.dropFirst().contains(where: { $0.equalsIgnoringCase("nosave") }) {
                shutdownWhileBusy()
            } else {
                line = "-" + busy.busyError
                busy.countBusyReply()
            }
            out.writeString(line)
            out.writeStaticString("\r\n")
        }
        if registered { parser.authenticated = authed }
        return (failed, quit)
    }
}
