import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How a connection is served by the hook of a script running on its own I/O loop (see `BusyPeer`).
extension ConnectionHandler {
    /// Lets a busy script's hook serve this connection (call with the data lock held, once registered).
    func registerBusyPeer(context: ChannelHandlerContext) {
        guard fd >= 0 else { return }
        server.busyScript.peers[ObjectIdentifier(self)] = BusyPeer(onOwnLoop: { [loop = context.eventLoop] in loop.inEventLoop }, fd: fd, clientId: client.id) { [self] in
            // Strong (no side table for the handler, see `activate`): `forget` removes the peer on close.
            serveWhileScriptBusy(context: context)
        }
    }

    /// Reads what arrived on the socket and answers its complete commands as Redis does while a script is busy
    /// (called by the script's hook on this connection's loop, with the data lock held). Skips the connection
    /// running the script (its later commands wait for its reply: no reordering) and blocked clients (Redis
    /// does not run their input either).
    func serveWhileScriptBusy(context: ChannelHandlerContext) {
        guard !closing, !executing, let c = client, !c.isBlocked, context.channel.isActive else { return }
        var input = pending ?? context.channel.allocator.buffer(capacity: 4096)
        pending = nil
        var newBytes = 0
        while input.readableBytes <= parser.maxQueryBuffer {
            var got = 0
            input.writeWithUnsafeMutableBytes(minimumWritableBytes: 16384) { buf in
                got = recv(fd, buf.baseAddress, buf.count, CInt(MSG_DONTWAIT))
                return max(0, got)
            }
            if got <= 0 { break }
            newBytes += got
        }
        server.stats.netInputBytes += Int64(newBytes)
        var failure: RequestParser.Failure?
        executing = true
        while !c.closeAfterReply && !c.isBlocked {
            do throws(RequestParser.Failure) {
                guard try parser.parse(&input, into: &c.argv) == .command else { break }
            } catch {
                failure = error
                break
            }
            server.executeWhileBusy(c)
            parser.authenticated = c.authenticated
        }
        executing = false
        if case .protocolError(let m) = failure { c.error(bytes: RequestParser.errorLine(m)) }
        if input.readableBytes > 0 && failure == nil {
            if input.readableBytes > parser.maxQueryBuffer {
                failure = .queryBufferLimit
            } else {
                input.discardReadBytes()
                pending = input
            }
        }
        c.queryBufferLength = pending?.readableBytes ?? 0
        if let out = takeOutput(c, allocator: context.channel.allocator) { write(out, for: c, context: context) }
        context.flush()
        if failure != nil || c.closeAfterReply {
            closing = true
            context.close(promise: nil)
        }
    }
}

/// How a connection of another I/O loop is answered while a script holds the data past its threshold.
extension ConnectionHandler {
    /// Answers what can be answered without the data lock (Redis's processCommand while a script is busy), for
    /// a connection on a loop other than the script's (a connection made while the script runs, or any with
    /// `io-threads` > 1): SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE act through `BusyScript`, QUIT closes,
    /// AUTH checks `requirepass`; the other commands get `-BUSY` (`-NOAUTH` before authentication). The
    /// allow-busy commands that need the client's state (MULTI, WATCH, HELLO, RESET, ...) are answered `-BUSY`
    /// here: the connection's client cannot be touched without the lock (see docs/SCRIPTING.md).
    func answerWhileBusy(context: ChannelHandlerContext, input: inout ByteBuffer) {
        var out = context.channel.allocator.buffer(capacity: 128)
        let (failed, quit) = server.answerWhileBusy(parser: &parser, input: &input, into: &out,
                                                    registered: client != nil,
                                                    authenticatedWhileBusy: &authenticatedWhileBusy)
        if input.readableBytes > 0 && !failed && !quit {
            input.discardReadBytes()
            pending = input
        }
        if out.readableBytes > 0 { writeUncounted(out, context: context) }
        context.flush()
        if failed || quit {
            closing = true
            context.close(promise: nil)
        }
    }
}

extension Server {
    /// Answers the complete commands in `input` of a connection whose loop cannot take the data lock because a
    /// script holds it past its threshold (see `ConnectionHandler.answerWhileBusy`); the replies go to `out`.
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
