import Atomics

/// `client-output-buffer-limit <class> <hard> <soft> <soft-seconds>` for one client class.
public struct OutputBufferLimit: Sendable, Equatable {
    public var hard: Int64
    public var soft: Int64
    public var softSeconds: Int64

    public init(hard: Int64, soft: Int64, softSeconds: Int64) {
        self.hard = hard
        self.soft = soft
        self.softSeconds = softSeconds
    }
}

extension Server {
    /// Whether `c` must be disconnected for holding too much unsent output (hard limit, or soft limit for
    /// longer than its seconds). Counts the reply buffer plus what NIO has not written to the socket yet.
    func outputLimitExceeded(_ c: Client) -> Bool {
        let limit = c.linkKind == .replica ? config.outputLimitReplica
            : c.isPubSubClient ? config.outputLimitPubSub : config.outputLimitNormal
        if limit.hard == 0 && limit.soft == 0 { return false }
        let used = Int64(c.reply.buffer.readableBytes) + Int64(c.unflushedBytes.load(ordering: .relaxed))
        if limit.hard > 0 && used >= limit.hard { return true }
        if limit.soft > 0 && used >= limit.soft {
            if c.softLimitSince == 0 {
                c.softLimitSince = commandTime
                return false
            }
            return commandTime - c.softLimitSince >= limit.softSeconds * 1000
        }
        c.softLimitSince = 0
        return false
    }
}

extension Client {
    /// Clients with subscriptions are in the `pubsub` output-limit class.
    public var isPubSubClient: Bool { subscriptionCount > 0 || !subscribedShardChannels.isEmpty }
}

extension Client {
    /// Output not yet on the socket: the reply buffer plus what NIO has not written (a diskless sync paces
    /// itself on it).
    public var pendingOutputBytes: Int { reply.buffer.readableBytes + unflushedBytes.load(ordering: .relaxed) }
}
