import Kernel

/// DUMP and RESTORE (Redis's `cluster.c` dumpCommand / restoreCommand): a key's value as an RDB payload, and
/// a key created from one.
extension KeysCommands {
    /// The specs of DUMP and RESTORE, added to the family's table.
    static var dumpRestoreCommands: [CommandSpec] {
        [
            CommandSpec("dump", arity: 2, flags: [.readonly], keys: .single, categories: [.keyspace],
                        summary: "Return a serialized version of the value stored at the specified key.",
                        since: "2.6.0",
                        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
                        handler: Self.dump),
            CommandSpec("restore", arity: -4, flags: [.write, .denyoom], keys: .single,
                        categories: [.keyspace, .dangerous],
                        summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
                        since: "2.6.0",
                        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
                        handler: Self.restore),
        ]
    }

    /// DUMP key
    static func dump(_ c: Client) {
        guard let value = c.db.get(c.argv[1]) else {
            c.reply.null()
            return
        }
        c.reply.bulk(RBytes(DumpPayload.make(value, compression: c.server.config.rdbcompression,
                                                   thresholds: EncodingThresholds(c.server.config))))
    }

    /// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
    static func restore(_ c: Client) {
        let key = c.argv[1]
        var replace = false, absttl = false
        var idle: Int64 = -1
        var freq: Int64 = -1
        var i = 4
        while i < c.argv.count {
            let arg = c.argv[i]
            let hasValue = i + 1 < c.argv.count
            if arg.equalsIgnoringCase("REPLACE") {
                replace = true
            } else if arg.equalsIgnoringCase("ABSTTL") {
                absttl = true
            } else if arg.equalsIgnoringCase("IDLETIME") && hasValue {
                guard let v = Numbers.parseInt64(c.argv[i + 1]) else { return c.error(Errors.notInteger) }
                guard v >= 0 else { return c.error("ERR Invalid IDLETIME value, must be >= 0") }
                idle = v
                i += 1
            } else if arg.equalsIgnoringCase("FREQ") && hasValue {
                guard let v = Numbers.parseInt64(c.argv[i + 1]) else { return c.error(Errors.notInteger) }
                guard v >= 0 && v <= 255 else { return c.error("ERR Invalid FREQ value, must be >= 0 and <= 255") }
                // Stored only under an LFU policy (ignored under the others, as Redis does).
                freq = v
                i += 1
            } else {
                return c.error(Errors.syntax)
            }
            i += 1
        }
        if !replace && c.db.exists(key) {
            return c.error("BUSYKEY Target key name already exists.")
        }
        guard var ttl = Numbers.parseInt64(c.argv[2]) else { return c.error(Errors.notInteger) }
        guard ttl >= 0 else { return c.error("ERR Invalid TTL value, must be >= 0") }
        let value: Value
        do {
            value = try DumpPayload.parse(c.argv[3].array, thresholds: EncodingThresholds(c.server.config),
                                      skipChecksum: c.server.debugFlags.skipChecksumValidation)
        } catch let e as RDBError where e.message == DumpPayload.badTrailer {
            return c.error("ERR " + DumpPayload.badTrailer)
        } catch {
            return c.error("ERR " + DumpPayload.badData)
        }
        let deleted = replace && c.db.delete(key)
        if ttl != 0 && !absttl {
            let (sum, overflow) = ttl.addingReportingOverflow(c.server.commandTime)
            ttl = overflow ? Int64.max : sum
        }
        if ttl != 0 && ttl <= c.server.commandTime && c.server.deletesKeysOnPastExpiry {
            // Already expired: nothing is created; a replaced key is gone, and that is the effect.
            if deleted {
                c.propagateInstead([["DEL", key]])
                c.server.keyModified(c.db, key)
                c.server.notify(.generic, "del", key, db: c.db.id)
            } else {
                c.propagateInstead([])
            }
            c.reply.ok()
            return
        }
        c.db.add(key, value)
        // A new list or sorted set can serve clients blocked on the key (Redis's dbAdd signals it).
        if case .object(let o) = value, o is ListObject || o is SortedSetObject {
            c.server.signalKeyAsReady(c.db, key)
        }
        if ttl != 0 {
            c.db.setExpire(key, at: ttl)
            if !absttl {
                var argv = c.argv
                argv[2] = Numbers.format(ttl)
                argv.append("ABSTTL")
                c.propagateInstead([argv])
            }
        }
        if idle >= 0, let slot = c.db.slot(key, touch: false) {
            c.db.setLRU(at: slot, c.server.lruClock &- UInt32(truncatingIfNeeded: idle))
        }
        if freq >= 0, let slot = c.db.slot(key, touch: false) {
            c.db.setLFU(at: slot, UInt8(freq))
        }
        c.server.keyModified(c.db, key)
        c.server.notify(.generic, "restore", key, db: c.db.id)
        c.reply.ok()
    }
}
