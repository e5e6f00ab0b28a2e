/// A client's CLIENT TRACKING settings.
public struct TrackingState {
    /// Client id invalidations go to (0 = the client itself).
    public var redirect: UInt64 = 0
    public var bcast = false
    public var optin = false
    public var optout = false
    public var noloop = false
    public var prefixes: [RBytes] = []
    /// CLIENT CACHING yes/no for the next command (OPTIN/OPTOUT).
    public var caching: Bool?
    /// Set when the redirect client disconnected.
    public var brokenRedirect = false

    public init() {}
}

/// Server-assisted client-side caching: which clients read which keys, and the invalidation messages.
public final class TrackingRegistry {
    /// Keys read by tracking clients (default mode): key → client ids. Like Redis, not per database.
    var readers: [RBytes: Set<UInt64>] = [:]
    /// BCAST prefix → subscribed client ids → keys modified since the last broadcast.
    var prefixes: [RBytes: [UInt64: [RBytes]]] = [:]
    /// Clients with tracking on.
    var trackingClients: Set<UInt64> = []
    /// Whether some prefix has pending keys.
    var broadcastPending = false
}

extension Client {
    /// Turns tracking on with `state` (validated by the caller).
    public func enableTracking(_ state: TrackingState) {
        let registry = server.tracking
        if let old = tracking {
            for p in old.prefixes { registry.prefixes[p]?[id] = nil }
        }
        tracking = state
        registry.trackingClients.insert(id)
        if state.bcast {
            let list = state.prefixes.isEmpty ? [RBytes()] : state.prefixes
            tracking?.prefixes = list
            for p in list { registry.prefixes[p, default: [:]][id] = [] }
        }
    }

    /// Turns tracking off (CLIENT TRACKING OFF, RESET, disconnect).
    public func disableTracking() {
        guard let state = tracking else { return }
        let registry = server.tracking
        for p in state.prefixes {
            registry.prefixes[p]?[id] = nil
            if registry.prefixes[p]?.isEmpty == true { registry.prefixes[p] = nil }
        }
        registry.trackingClients.remove(id)
        tracking = nil
    }
}

extension Server {
    /// After a read-only command of a tracking client: remember the keys it read (default mode).
    func trackingRememberKeys(_ c: Client, _ cmd: Command) {
        guard let t = c.tracking, !t.bcast else { return }
        if t.optin && t.caching != true { return }
        if t.optout && t.caching == false { return }
        for i in cmd.keyIndexes(c.argv) where i < c.argv.count {
            tracking.readers[c.argv[i], default: []].insert(c.id)
        }
    }

    /// A key changed: invalidate it for the clients that read it, and queue it for matching BCAST prefixes.
    func trackingInvalidateKey(_ key: RBytes) {
        let registry = tracking
        if let ids = registry.readers.removeValue(forKey: key) {
            for id in ids {
                guard let target = clients[id], let t = target.tracking, !t.bcast else { continue }
                if t.noloop && target === currentClient { continue }
                if target === currentClient {
                    target.pendingInvalidations.append(key)
                } else {
                    sendInvalidation(to: target, keys: [key])
                }
            }
        }
        if !registry.prefixes.isEmpty {
            for (prefix, subscribers) in registry.prefixes where key.hasPrefix(prefix) {
                for (id, _) in subscribers {
                    if let c = clients[id], c.tracking?.noloop == true && c === currentClient { continue }
                    registry.prefixes[prefix]![id]!.append(key)
                    registry.broadcastPending = true
                }
            }
        }
    }

    /// FLUSHDB/FLUSHALL: every tracking client is told to drop everything (a null invalidation).
    public func trackingInvalidateAll() {
        let registry = tracking
        guard !registry.trackingClients.isEmpty else { return }
        registry.readers.removeAll()
        for id in registry.trackingClients {
            if let c = clients[id] { sendInvalidation(to: c, keys: nil) }
        }
    }

    /// Sends the keys collected for BCAST prefixes (once per read batch, like Redis's beforeSleep).
    func trackingBroadcast() {
        let registry = tracking
        guard registry.broadcastPending else { return }
        registry.broadcastPending = false
        for (prefix, subscribers) in registry.prefixes {
            for (id, keys) in subscribers where !keys.isEmpty {
                registry.prefixes[prefix]![id] = []
                if let c = clients[id] { sendInvalidation(to: c, keys: keys) }
            }
        }
    }

    /// Writes an invalidation (`nil` keys = flush everything) to the client or its redirect target.
    func sendInvalidation(to c: Client, keys: [RBytes]?) {
        guard let t = c.tracking else { return }
        var target = c
        if t.redirect != 0 {
            guard let r = clients[t.redirect] else {
                if !t.brokenRedirect {
                    c.tracking?.brokenRedirect = true
                    if c.resp == 3 {
                        c.deliver { w in
                            w.pushHeader(2)
                            w.bulk("tracking-redir-broken")
                            w.integer(Int64(t.redirect))
                        }
                    }
                }
                return
            }
            target = r
        }
        func writeKeys(_ w: inout ReplyWriter) {
            if let keys {
                w.arrayHeader(keys.count)
                for k in keys { w.bulk(k) }
            } else {
                w.null()
            }
        }
        if target.resp == 3 {
            target.deliver { w in
                w.pushHeader(2)
                w.bulk("invalidate")
                writeKeys(&w)
            }
        } else if t.redirect != 0 && target.subscriptions(.channel).contains(TrackingRegistry.invalidateChannel) {
            target.deliver { w in
                w.arrayHeader(3)
                w.bulk("message")
                w.bulk(TrackingRegistry.invalidateChannel)
                writeKeys(&w)
            }
        }
    }

    /// `tracking-table-max-keys`: past it, keys leave the tracking table (in the dictionary's order, which is
    /// arbitrary like Redis's random pick) and their readers get an invalidation, as Redis's
    /// `trackingLimitUsedSlots`. At most `trackingLimitEffort` keys per call; the rest at the next batch or tick.
    func trackingLimitKeys() {
        let max = config.trackingTableMaxKeys
        guard max > 0, tracking.readers.count > max else { return }
        let victims = Array(tracking.readers.keys.prefix(Swift.min(tracking.readers.count - max, Self.trackingLimitEffort)))
        for key in victims {
            guard let ids = tracking.readers.removeValue(forKey: key) else { continue }
            for id in ids {
                if let c = clients[id], let t = c.tracking, !t.bcast { sendInvalidation(to: c, keys: [key]) }
            }
        }
    }

    static let trackingLimitEffort = 10_000

    /// Writes the invalidations of keys the client itself modified, after its reply (as Redis 7.0 orders them).
    func flushPendingInvalidations(_ c: Client) {
        let keys = c.pendingInvalidations
        c.pendingInvalidations.removeAll()
        for k in keys { sendInvalidation(to: c, keys: [k]) }
    }
}

extension Server {
    /// Number of clients with CLIENT TRACKING on (INFO's `tracking_clients`).
    public var trackingClientCount: Int { tracking.trackingClients.count }
}

extension TrackingRegistry {
    /// The channel RESP2 redirect targets subscribe to.
    public static let invalidateChannel: RBytes = "__redis__:invalidate"
}

extension RBytes {
    /// Whether the bytes start with `prefix`.
    public func hasPrefix(_ prefix: RBytes) -> Bool {
        guard prefix.count <= count else { return false }
        return withUnsafeBytes { a in
            prefix.withUnsafeBytes { b in
                b.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, b.count) == 0
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
