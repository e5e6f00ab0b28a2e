/// A client's MULTI state: the queued commands and whether a queue-time error doomed the transaction.
public struct MultiState {
    public internal(set) var queued: [(command: Command, argv: [RBytes])] = []
    /// Set by a queue-time error (unknown command, arity): EXEC then replies EXECABORT.
    public internal(set) var aborted = false
}

/// A key a client WATCHes, and whether it was already expired when watched.
struct WatchedKey {
    let db: Database
    let key: RBytes
    /// The key had already expired when watched (Redis 7.0's `wk->expired`): its deletion is no change.
    var expiredAtWatch: Bool
}

extension Client {
    /// Whether the client is between MULTI and EXEC/DISCARD.
    public var inMulti: Bool { multi != nil }

    /// Starts a transaction (MULTI).
    public func beginMulti() { multi = MultiState() }

    /// Drops the queued commands and the watches (DISCARD, after EXEC, RESET).
    public func discardMulti() {
        multi = nil
        unwatchAll()
    }

    /// Whether a watched key was modified since WATCH (CLIENT LIST's `d` flag).
    public var isWatchDirty: Bool { dirtyCAS }

    /// Whether EXEC must fail because a watched key changed (or expired since WATCH).
    public var watchedKeysChanged: Bool {
        if dirtyCAS { return true }
        for w in watched where !w.expiredAtWatch {
            if let at = w.db.expireTime(w.key), at <= server.commandTime { return true }
        }
        return false
    }

    /// WATCHes `key` in the selected database.
    public func watch(_ key: RBytes) {
        if watched.contains(where: { $0.db === db && $0.key == key }) { return }
        let expired = db.expireTime(key).map { $0 <= server.commandTime } ?? false
        watched.append(WatchedKey(db: db, key: key, expiredAtWatch: expired))
        server.watchers[BlockKey(db: db.id, key: key), default: []].append(self)
    }

    /// Forgets every watched key (UNWATCH).
    public func unwatchAll() {
        for w in watched {
            let k = BlockKey(db: w.db.id, key: w.key)
            guard var list = server.watchers[k] else { continue }
            list.removeAll { $0 === self }
            server.watchers[k] = list.isEmpty ? nil : list
        }
        watched.removeAll()
        dirtyCAS = false
    }

    /// Runs the queued commands (EXEC's body), each replying in turn. The caller writes the array header.
    public func runQueuedCommands(_ queued: [(command: Command, argv: [RBytes])]) {
        // EXEC's own argv and command come back afterwards (slowlog, CLIENT LIST, MONITOR see EXEC).
        let savedArgv = argv
        let savedCommand = command
        inExec = true
        for (cmd, args) in queued {
            argv = args
            noteCommand(cmd)
            // Its module was unloaded since it was queued: it no longer exists.
            if cmd.unregistered {
                error("ERR unknown command '\(Errors.truncated(args[0], 128))', with args beginning with: ")
                continue
            }
            // Redis 7.0 checks the ACL again at EXEC time: the rules may have changed since the command was queued.
            if let denial = server.aclDenial(self, cmd, args) {
                command = cmd
                server.logACLDenial(self, cmd, args, denial, context: .multi)
                error(Server.execNoPermMessage(denial.0))
                continue
            }
            server.call(self, cmd)
        }
        inExec = false
        argv = savedArgv
        command = savedCommand
    }
}

extension Server {
    /// Marks clients watching `key` as dirty (Redis's touchWatchedKey). A key that had already expired when
    /// watched and is now gone (its lazy or active deletion) is no logical change: the watch just forgets it was
    /// expired, as Redis 7.0 does.
    func touchWatchedKey(_ db: Database, _ key: RBytes) {
        guard let list = watchers[BlockKey(db: db.id, key: key)] else { return }
        let gone = db.table.find(key) == nil
        for c in list {
            if let i = c.watched.firstIndex(where: { $0.db === db && $0.key == key }), c.watched[i].expiredAtWatch {
                if gone { c.watched[i].expiredAtWatch = false; continue }
            }
            c.dirtyCAS = true
        }
    }

    /// Call before emptying `db` (FLUSHDB/FLUSHALL): watchers of keys that exist there are invalidated.
    public func databaseWillBeEmptied(_ db: Database) {
        touchAllWatchedKeys(emptied: db, replacedWith: nil)
    }

    /// Call before SWAPDB swaps `a` and `b` (Redis's touchAllWatchedKeysInDb both ways).
    public func databasesWillSwap(_ a: Database, _ b: Database) {
        touchAllWatchedKeys(emptied: a, replacedWith: b)
        touchAllWatchedKeys(emptied: b, replacedWith: a)
    }

    /// Redis 7.0's touchAllWatchedKeysInDb: watchers of `emptied` whose key exists there or in `replacedWith`
    /// (the content about to take its place) are invalidated, except where an already-expired key is deleted
    /// or stays expired, or a missing key is replaced by an expired one.
    func touchAllWatchedKeys(emptied: Database, replacedWith: Database?) {
        guard !watchers.isEmpty else { return }
        for (k, list) in watchers where k.db == emptied.id {
            let inEmptied = emptied.table.find(k.key) != nil
            let inReplacement = replacedWith.map { $0.table.find(k.key) != nil } ?? false
            guard inEmptied || inReplacement else { continue }
            let replacementExpired = replacedWith.map { isLogicallyExpired($0, k.key) } ?? false
            for c in list {
                guard let i = c.watched.firstIndex(where: { $0.db === emptied && $0.key == k.key }) else { continue }
                if c.watched[i].expiredAtWatch {
                    if !inReplacement {
                        c.watched[i].expiredAtWatch = false
                        continue
                    } else if replacementExpired {
                        continue
                    }
                } else if !inEmptied && replacementExpired {
                    c.watched[i].expiredAtWatch = true
                    continue
                }
                c.dirtyCAS = true
            }
        }
    }

    /// Whether `key` exists in `db` with an expiry time already passed (Redis's keyIsExpired; no deletion).
    func isLogicallyExpired(_ db: Database, _ key: RBytes) -> Bool {
        guard let at = db.expires[key] else { return false }
        return at <= commandTime
    }
}
