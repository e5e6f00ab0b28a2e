import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Sending, pausing and closing an epoll-served connection.
extension EpollConnection {
    /// Sends `out` after what is queued: directly when nothing is, the rest queued until the socket is writable.
    /// `counted`: the bytes are already in the client's `unflushedBytes` (a chunk taken during a batch).
    func enqueue(_ out: inout ByteBuffer, counted: Bool = false) {
        if held != nil { sendHeld() }
        guard !closed else {
            if counted { client?.unflushedBytes.wrappingSubtract(out.readableBytes, ordering: .relaxed) }
            return
        }
        let size = out.readableBytes
        if queue.isEmpty {
            let sent = sendSome(out)
            if sent == size {
                if counted { client?.unflushedBytes.wrappingSubtract(size, ordering: .relaxed) }
                if spare == nil && out.capacity <= OutputThresholds.checkFloor {
                    out.clear()
                    spare = out
                }
                return
            }
            if sent < 0 {
                if counted { client?.unflushedBytes.wrappingSubtract(size, ordering: .relaxed) }
                close()
                return
            }
            if sent > 0 {
                out.moveReaderIndex(forwardBy: sent)
                if counted { client?.unflushedBytes.wrappingSubtract(sent, ordering: .relaxed) }
            }
        }
        if !counted { client?.unflushedBytes.wrappingAdd(out.readableBytes, ordering: .relaxed) }
        queue.append(out)
        updateWatch()
    }

    /// Sends the replies held until the end of the loop's turn (see `held`).
    func sendHeld() {
        guard var out = held else { return }
        held = nil  // `out` holds the only reference again: once sent, it becomes the next reply buffer
        enqueue(&out)
    }

    /// One `send`: the bytes taken, 0 when the socket is full, -1 when it failed.
    private func sendSome(_ out: ByteBuffer) -> Int {
        let fd = self.fd
        return out.withUnsafeReadableBytes { p -> Int in
            while true {
                let n = Glibc.send(fd, p.baseAddress, p.count, CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT))
                if n >= 0 { return n }
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1
            }
        }
    }

    /// The socket takes bytes again: sends the queue; once empty, a paused pipeline goes on.
    func writable() {
        guard !closed else { return }
        while !queue.isEmpty {
            let size = queue[0].readableBytes
            let sent = sendSome(queue[0])
            if sent < 0 { return close() }
            if sent > 0 { client?.unflushedBytes.wrappingSubtract(sent, ordering: .relaxed) }
            if sent < size {
                queue[0].moveReaderIndex(forwardBy: sent)
                break
            }
            queue.removeFirst()
        }
        guard queue.isEmpty else { return updateWatch() }
        if closeWhenSent { return close() }
        updateWatch()
        if paused { unpause() }
    }

    /// Watches the socket for reads unless paused or closing, for writes while output is queued.
    func updateWatch() {
        guard !closed else { return }
        let read = !paused && !closeWhenSent
        let write = !queue.isEmpty
        guard read != watchingReadState || write != watchingWriteState else { return }
        watchingReadState = read
        watchingWriteState = write
        loop.watch(fd, read: read, write: write)
    }

    /// Closes once the queued output is sent (no more input is read or run).
    func closeAfterSending() {
        if held != nil { sendHeld() }
        closeWhenSent = true
        if queue.isEmpty { close() } else { updateWatch() }
    }

    /// Stops the pipeline and reading until the output drains; re-checks the soft output limit every second.
    func pause() {
        paused = true
        updateWatch()
        scheduleRecheck()
    }

    private func scheduleRecheck() {
        guard !recheckPending else { return }
        recheckPending = true
        loop.schedule(in: .seconds(1)) { [self] in
            recheckPending = false
            recheckWhilePaused()
        }
    }

    private func recheckWhilePaused() {
        guard paused, !closed, let c = client else { return }
        if queue.isEmpty { return unpause() }
        guard server.lockDataUnlessScriptRuns() else {
            return scheduleRecheck()
        }
        let over = server.outputLimitExceeded(c)
        if over { server.closeForOutputLimit(c) }
        // Below the threshold again (the kernel took some output): the pipeline goes on, as in Redis, which keeps
        // appending — a client that never reads then reaches its limit instead of idling under it.
        let drained = !over && c.pendingOutputBytes < server.backPressureThreshold(for: c)
        server.lock.unlock()
        if over {
            close()
        } else if drained {
            unpause()
        } else {
            scheduleRecheck()
        }
    }

    /// Ends a back-pressure pause: reads again and runs the waiting pipeline.
    func unpause() {
        paused = false
        updateWatch()
        resume()
    }

    /// Closes the socket now (queued output is dropped) and unregisters the client.
    func close() {
        guard !closed else { return }
        closed = true
        held = nil
        if let c = client {
            var queued = 0
            for b in queue { queued += b.readableBytes }
            c.unflushedBytes.wrappingSubtract(queued, ordering: .relaxed)
        }
        queue = []
        loop.forget(fd)
        forget()
    }

    /// Unregisters the closed connection's client, later if a script holds the data.
    private func forget() {
        if server.lockDataUnlessScriptRuns() {
            if let c = client {
                server.removeClient(c)
                // Under the lock: other threads read them under the lock (waking blocked clients, CLIENT KILL).
                c.resumeHook = nil
                c.socketClose = nil
            }
            server.busyScript.peers[ObjectIdentifier(self)] = nil
            server.lock.unlock()
        } else {
            loop.schedule(in: .milliseconds(5)) { [self] in forget() }
        }
    }
}

/// How an epoll-served connection is answered while a script holds the data (never deaf, DESIGN §3).
extension EpollConnection {
    /// A connection of another loop (or one not yet registered): SCRIPT KILL, FUNCTION KILL, SHUTDOWN NOSAVE,
    /// QUIT and AUTH are answered, the rest `-BUSY` (see `Server.answerWhileBusy`).
    func answerWhileBusy() {
        var out = ByteBufferAllocator().buffer(capacity: 128)
        let (failed, quit) = server.answerWhileBusy(parser: &parser, input: &input, into: &out,
                                                    registered: client != nil,
                                                    authenticatedWhileBusy: &authenticatedWhileBusy)
        if input.readableBytes == 0 { releaseInput() }
        if out.readableBytes > 0 { enqueue(&out) }
        if failed || quit { closeAfterSending() }
    }

    /// Served by the hook of a script running on this connection's own loop (data lock held, on the loop's
    /// thread): reads what arrived and runs it as Redis does while busy (see `BusyPeers.swift`).
    func serveWhileScriptBusy() {
        guard !closed, !closeWhenSent, !executing, let c = client, !c.isBlocked else { return }
        var newBytes = 0
        while input.readableBytes <= parser.maxQueryBuffer {
            input.reserveCapacity(minimumWritableBytes: EpollLoop.readSize)
            let fd = self.fd
            let got = input.withUnsafeMutableWritableBytes { p in Glibc.recv(fd, p.baseAddress, p.count, CInt(MSG_DONTWAIT)) }
            if got <= 0 { break }
            input.moveWriterIndex(forwardBy: got)
            newBytes += got
        }
        server.stats.netInputBytes += Int64(newBytes)
        var failure: RequestParser.Failure?
        executing = true
        while !c.closeAfterReply && !c.isBlocked && parseNext(into: c, failure: &failure) {
            server.executeWhileBusy(c)
            parser.authenticated = c.authenticated
        }
        executing = false
        if case .protocolError(let m) = failure { c.error(bytes: RequestParser.errorLine(m)) }
        if failure == nil && input.readableBytes > parser.maxQueryBuffer { failure = .queryBufferLimit }
        if input.readableBytes == 0 { input = EpollLoop.noInput }
        c.queryBufferLength = input.readableBytes
        if var out = takeOutput(c) { enqueue(&out) }
        if failure != nil || c.closeAfterReply {
            // Not `close()`: it would take the data lock, which the caller holds (the client goes once it ends).
            closeWhenSent = true
            updateWatch()
            let loop = self.loop
            loop.execute { [self] in if queue.isEmpty { close() } }
        }
    }
}
