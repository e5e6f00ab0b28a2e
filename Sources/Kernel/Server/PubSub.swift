import NIOCore

/// The three kinds of pub/sub subscription, with the words Redis uses in their messages.
public enum SubscriptionKind: Sendable {
    case channel, pattern, shard

    var subscribeWord: StaticString {
        switch self {
        case .channel: return "subscribe"
        case .pattern: return "psubscribe"
        case .shard: return "ssubscribe"
        }
    }

    var unsubscribeWord: StaticString {
        switch self {
        case .channel: return "unsubscribe"
        case .pattern: return "punsubscribe"
        case .shard: return "sunsubscribe"
        }
    }
}

/// Who is subscribed to what: channel, pattern and shard-channel registries, plus delivery of messages to
/// subscribers' reply buffers (flushed on their own event loop).
public final class PubSubRegistry {
    /// Subscribers per channel, in subscription order.
    public internal(set) var channels: [RBytes: [Client]] = [:]
    public internal(set) var patterns: [RBytes: [Client]] = [:]
    public internal(set) var shardChannels: [RBytes: [Client]] = [:]

    func table(_ kind: SubscriptionKind) -> [RBytes: [Client]] {
        switch kind {
        case .channel: return channels
        case .pattern: return patterns
        case .shard: return shardChannels
        }
    }

    func add(_ c: Client, _ name: RBytes, _ kind: SubscriptionKind) {
        switch kind {
        case .channel: channels[name, default: []].append(c)
        case .pattern: patterns[name, default: []].append(c)
        case .shard: shardChannels[name, default: []].append(c)
        }
    }

    func remove(_ c: Client, _ name: RBytes, _ kind: SubscriptionKind) {
        func drop(_ t: inout [RBytes: [Client]]) {
            guard var list = t[name] else { return }
            list.removeAll { $0 === c }
            t[name] = list.isEmpty ? nil : list
        }
        switch kind {
        case .channel: drop(&channels)
        case .pattern: drop(&patterns)
        case .shard: drop(&shardChannels)
        }
    }
}

extension Client {
    /// Channels, patterns and shard channels the client is subscribed to, in subscription order.
    public func subscriptions(_ kind: SubscriptionKind) -> [RBytes] {
        switch kind {
        case .channel: return subscribedChannels
        case .pattern: return subscribedPatterns
        case .shard: return subscribedShardChannels
        }
    }

    /// Channel plus pattern subscriptions (the count in (un)subscribe replies; shard ones count separately).
    public var subscriptionCount: Int { subscribedChannels.count + subscribedPatterns.count }

    /// Whether a RESP2 client is in subscriber mode (only (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET allowed).
    public var inSubscriberContext: Bool {
        resp == 2 && (subscriptionCount > 0 || !subscribedShardChannels.isEmpty)
    }

    /// Subscribes and replies the confirmation message.
    public func subscribe(_ name: RBytes, _ kind: SubscriptionKind) {
        if !subscriptions(kind).contains(name) {
            switch kind {
            case .channel: subscribedChannels.append(name)
            case .pattern: subscribedPatterns.append(name)
            case .shard: subscribedShardChannels.append(name)
            }
            server.pubsub.add(self, name, kind)
        }
        pushing {
            reply.pushHeader(3)
            reply.bulk(bytes: kind.subscribeWord)
            reply.bulk(name)
            reply.integer(kind == .shard ? subscribedShardChannels.count : subscriptionCount)
        }
    }

    /// Unsubscribes and replies the confirmation message (also for names it was not subscribed to).
    public func unsubscribe(_ name: RBytes, _ kind: SubscriptionKind, notify: Bool = true) {
        if let i = subscriptions(kind).firstIndex(of: name) {
            switch kind {
            case .channel: subscribedChannels.remove(at: i)
            case .pattern: subscribedPatterns.remove(at: i)
            case .shard: subscribedShardChannels.remove(at: i)
            }
            server.pubsub.remove(self, name, kind)
        }
        guard notify else { return }
        pushing {
            reply.pushHeader(3)
            reply.bulk(bytes: kind.unsubscribeWord)
            reply.bulk(name)
            reply.integer(kind == .shard ? subscribedShardChannels.count : subscriptionCount)
        }
    }

    /// Unsubscribes from everything of `kind`; with `notify`, replies like UNSUBSCRIBE without arguments.
    public func unsubscribeAll(_ kind: SubscriptionKind, notify: Bool) {
        let names = subscriptions(kind)
        if names.isEmpty {
            if notify {
                pushing {
                    reply.pushHeader(3)
                    reply.bulk(bytes: kind.unsubscribeWord)
                    reply.null()
                    reply.integer(kind == .shard ? subscribedShardChannels.count : subscriptionCount)
                }
            }
            return
        }
        for n in names { unsubscribe(n, kind, notify: notify) }
    }
}

extension ReplyWriter {
    mutating func bulk(bytes s: StaticString) {
        bulk(bytes: UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}

extension Server {
    /// Publishes `message` on `channel` to channel and pattern subscribers (or shard subscribers); returns the
    /// number of clients that received it.
    @discardableResult
    public func publish(_ channel: RBytes, _ message: RBytes, shard: Bool = false) -> Int {
        var receivers = 0
        if shard {
            for c in pubsub.shardChannels[channel] ?? [] {
                c.deliver { r in
                    r.pushHeader(3)
                    r.bulk(bytes: "smessage")
                    r.bulk(channel)
                    r.bulk(message)
                }
                receivers += 1
            }
            return receivers
        }
        for c in pubsub.channels[channel] ?? [] {
            c.deliver { r in
                r.pushHeader(3)
                r.bulk(bytes: "message")
                r.bulk(channel)
                r.bulk(message)
            }
            receivers += 1
        }
        if !pubsub.patterns.isEmpty {
            for (pattern, list) in pubsub.patterns where Glob.matches(pattern, channel) {
                for c in list {
                    c.deliver { r in
                        r.pushHeader(4)
                        r.bulk(bytes: "pmessage")
                        r.bulk(pattern)
                        r.bulk(channel)
                        r.bulk(message)
                    }
                    receivers += 1
                }
            }
        }
        return receivers
    }
}

extension Client {
    /// Writes an out-of-band message into this client's reply buffer and makes sure it gets flushed, unless
    /// the client went past its output buffer limits (then it is closed, as Redis does).
    public func deliver(_ write: (inout ReplyWriter) -> Void) {
        guard !closeAfterReply else { return }
        pushing { write(&reply) }
        if pendingOutputBytes > OutputThresholds.checkFloor && server.outputLimitExceeded(self) {
            server.closeForOutputLimit(self)
            return
        }
        if server.config.maxmemoryClients != 0 { server.updateClientMemory(self) }
        scheduleResume()
    }

    /// Appends raw protocol bytes to the client's output and has them written (the replication stream). With
    /// `enforceLimit` the client's output-buffer limit class applies: past it the client is disconnected and
    /// false is returned.
    @discardableResult
    public func deliverRaw(_ bytes: [UInt8], enforceLimit: Bool) -> Bool {
        guard !closeAfterReply else { return false }
        reply.raw(bytes)
        if enforceLimit && server.outputLimitExceeded(self) {
            server.closeForOutputLimit(self)
            return false
        }
        scheduleResume()
        return true
    }

    /// Writes a push message (pub/sub message or confirmation, invalidation). Redis 7.0 delivers those even
    /// under CLIENT REPLY OFF/SKIP (its CLIENT_PUSHING flag): written during the client's own command, the range
    /// is remembered so that `dropReplies(from:)` keeps it.
    func pushing(_ body: () -> Void) {
        guard replyMode == .off || replyMode == .skip, server.currentClient === self else { return body() }
        let start = reply.buffer.writerIndex
        body()
        keptPushes.append(start..<reply.buffer.writerIndex)
    }

    /// Discards the command's replies written since `mark` (CLIENT REPLY OFF/SKIP), keeping its push messages.
    func dropReplies(from mark: Int) {
        if keptPushes.isEmpty {
            reply.buffer.moveWriterIndex(to: mark)
            return
        }
        var kept: [UInt8] = []
        for r in keptPushes where r.lowerBound >= mark {
            kept += reply.buffer.getBytes(at: r.lowerBound, length: r.count) ?? []
        }
        keptPushes.removeAll()
        reply.buffer.moveWriterIndex(to: mark)
        reply.buffer.writeBytes(kept)
    }

    /// Asks the connection's loop to write this client's pending replies (once until it runs).
    func scheduleResume() {
        guard !resumeScheduled, server.currentClient !== self else { return }
        resumeScheduled = true
        resumeHook?()
    }
}
