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

/// Output bookkeeping thresholds shared by the connections (`EpollConnection`) and the delivery paths (docs/RELIABILITY.md).
public enum OutputThresholds {
    /// Below this many unsent bytes a client's limits are not looked at (Redis checks them only once its 16 KiB
    /// static reply buffer is full): the per-reply cost is one add and one compare.
    public static let checkFloor = 16 * 1024
    /// Back-pressure (NIO's default high write-buffer watermark, kept): parsing a client's pipeline pauses once
    /// this much output is unsent (and its class has no larger limit); it resumes once the output drains.
    public static let backPressure = 64 * 1024
    /// During a batch, the reply buffer is handed on in chunks of about this size (no single doubling buffer).
    public static let chunk = 512 * 1024
}

extension Server {
    /// The output-limit class of `c` (Redis's `getClientType`: a MONITOR client is `normal`).
    func outputLimit(for c: Client) -> OutputBufferLimit {
        c.linkKind == .replica ? config.outputLimitReplica
            : c.isPubSubClient ? config.outputLimitPubSub : config.outputLimitNormal
    }

    /// Whether `c` must be disconnected for holding too much unsent output (hard limit, or soft limit for
    /// longer than its seconds, as Redis's `checkClientOutputBufferLimits`). Counts the reply buffer plus what
    /// is not written to the socket yet.
    func outputLimitExceeded(_ c: Client) -> Bool {
        let limit = outputLimit(for: c)
        if limit.hard == 0 && limit.soft == 0 { return false }
        let used = Int64(c.pendingOutputBytes)
        if limit.hard > 0 && used >= limit.hard { return true }
        if limit.soft > 0 && used >= limit.soft {
            if c.softLimitSince == 0 {
                c.softLimitSince = max(1, commandTime)
                return false
            }
            // Redis compares whole seconds: over the soft limit for more than `softSeconds`.
            return (commandTime - c.softLimitSince) / 1000 > limit.softSeconds
        }
        c.softLimitSince = 0
        return false
    }

    /// How much unsent output `c` may hold before its pipeline stops being parsed: its class's limit when set
    /// plus a margin (so that the limit, not back-pressure, decides, as in Redis), else `OutputThresholds.backPressure`.
    func backPressureThreshold(for c: Client) -> Int {
        let limit = outputLimit(for: c)
        let configured = limit.hard > 0 ? limit.hard : limit.soft
        if configured == 0 { return OutputThresholds.backPressure }
        // Past the limit by a margin: a paused client stays over a soft limit while its seconds run.
        return Int(clamping: configured) &+ OutputThresholds.chunk
    }

    /// Disconnects `c` for overcoming its output buffer limits: Redis's log line and stat, its pending output
    /// dropped. The connection closes without writing what is queued.
    func closeForOutputLimit(_ c: Client) {
        guard !c.closedForOutputLimit else { return }
        c.closedForOutputLimit = true
        stats.outputLimitDisconnections += 1
        log.warning("Client \(describeForLog(c)) scheduled to be closed ASAP for overcoming of output buffer limits.")
        c.reply.buffer.clear()
        c.disconnect()
    }

    /// The client as Redis's log lines show it (`catClientInfoString`): the CLIENT LIST line the command layer
    /// installs for ACL LOG.
    func describeForLog(_ c: Client) -> String { acl.describeClient(c) }
}

extension Client {
    /// Clients with subscriptions are in the `pubsub` output-limit class.
    public var isPubSubClient: Bool { subscriptionCount > 0 || !subscribedShardChannels.isEmpty }
}

extension Client {
    /// Output not yet on the socket: the reply buffer plus what the socket has not taken (a diskless sync paces
    /// itself on it).
    public var pendingOutputBytes: Int { reply.buffer.readableBytes &+ unflushedBytes.load(ordering: .relaxed) }
}
