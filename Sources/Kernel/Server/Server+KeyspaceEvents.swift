/// What every key modification goes through: `keyModified` (dirty count, WATCH, tracking invalidation, hooks),
/// keyspace events (`notify`: listeners and `notify-keyspace-events` publishing) and the expiry of a key.
extension Server {
    /// Registers a hook run after every key modification.
    public func addKeyModifiedHook(_ hook: @escaping (Database, RBytes) -> Void) {
        keyModifiedHooks.append(hook)
    }

    /// Every mutation ends here (Redis's `signalModifiedKey` + `dirty++`).
    public func keyModified(_ db: Database, _ key: RBytes, changes: Int64 = 1) {
        dirty += changes
        if !watchers.isEmpty { touchWatchedKey(db, key) }
        if !tracking.trackingClients.isEmpty { trackingInvalidateKey(key) }
        for hook in keyModifiedHooks { hook(db, key) }
    }

    /// A keyspace event (`set`, `del`, `expired`, ...) of the given class for `key`: the seam keyspace
    /// notifications (`notify-keyspace-events`) publish from. Every write command calls it with Redis's event name.
    public func notify(_ type: KeyspaceEventClass, _ event: StaticString, _ key: RBytes, db: Int) {
        for listener in keyspaceEventListeners { listener(type, event, key, db) }
        guard keyspaceEventFlags.contains(type) && !keyspaceEventFlags.isDisjoint(with: [.keyspaceChannel, .keyeventChannel]) else { return }
        let eventBytes = RBytes(UnsafeRawBufferPointer(start: event.utf8Start, count: event.utf8CodeUnitCount))
        if keyspaceEventFlags.contains(.keyspaceChannel) {
            var channel = Array("__keyspace@\(db)__:".utf8)
            key.withUnsafeBytes { channel.append(contentsOf: $0) }
            publish(RBytes(channel), eventBytes)
        }
        if keyspaceEventFlags.contains(.keyeventChannel) {
            var channel = Array("__keyevent@\(db)__:".utf8)
            eventBytes.withUnsafeBytes { channel.append(contentsOf: $0) }
            publish(RBytes(channel), key)
        }
    }

    /// The parsed `notify-keyspace-events` flags.
    var keyspaceEventFlags: KeyspaceEventClass {
        get { _keyspaceEventFlags }
        set { _keyspaceEventFlags = newValue }
    }

    /// Registers a receiver of keyspace events.
    public func addKeyspaceEventListener(_ l: @escaping (KeyspaceEventClass, StaticString, RBytes, Int) -> Void) {
        keyspaceEventListeners.append(l)
    }

    /// A key's TTL passed: delete it and propagate `DEL` as its effect.
    func keyExpired(_ db: Database, _ key: RBytes) {
        if config.lazyfreeLazyExpire { deleteKey(db, key, lazy: true) } else { db.reclaimExpired(key) }
        stats.expiredKeys += 1
        keyModified(db, key, changes: 0)
        notify(.expired, "expired", key, db: db.id)
        // Redis 7.0 (propagateDeletion → alsoPropagate) queues the deletion with the effects of the command that
        // met the key, so a write to an expired key streams as MULTI, DEL, the write, EXEC.
        propagate(db: db.id, [config.lazyfreeLazyExpire ? "UNLINK" : "DEL", key])
        // Outside a command (the active cycle) each expiry is its own effect.
        if callDepth == 0 && !pendingEffects.isEmpty { flushEffects() }
    }
}
