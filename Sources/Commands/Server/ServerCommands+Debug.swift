import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// DEBUG: like Redis, one command that parses its own subcommands (it is not a registry container), refused
/// unless `enable-debug-command` allows the connection.
extension ServerCommands {
    static let debugHelp: [HelpReply.Entry] = [
        ("digest", ["DIGEST",
                    "    Output a hex signature representing the current DB content."]),
        ("digest-value", ["DIGEST-VALUE <key> [<key> ...]",
                          "    Output a hex signature of the values of all the specified keys."]),
        ("change-repl-id", ["CHANGE-REPL-ID",
                            "    Change the replication IDs of the instance.",
                            "    Dangerous: should be used only for testing the replication subsystem."]),
        ("error", ["ERROR <string>",
                   "    Return a Redis protocol error with <string> as message. Useful for clients",
                   "    unit tests to simulate Redis errors."]),
        ("log", ["LOG <message>",
                 "    Write <message> to the server log."]),
        ("object", ["OBJECT <key>",
                    "    Show low level info about `key` and associated value."]),
        ("populate", ["POPULATE <count> [<prefix>] [<size>]",
                      "    Create <count> string keys named key:<num>. If <prefix> is specified then",
                      "    it is used instead of the 'key' prefix. These are not propagated to",
                      "    replicas. Cluster slots are not respected so keys not belonging to the",
                      "    current node can be created in cluster mode."]),
        ("reload", ["RELOAD [option ...]",
                    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
                    "    * MERGE: conflicting keys will be loaded from RDB.",
                    "    * NOFLUSH: the existing database will not be removed before load, but",
                    "      conflicting keys will generate an exception and kill the server.",
                    "    * NOSAVE: the database will be loaded from an existing RDB file.",
                    "    Examples:",
                    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
                    "      the database.",
                    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
                    "      existing RDB file.",
                    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
                    "      file to the database."]),
        ("set-active-expire", ["SET-ACTIVE-EXPIRE <0|1>",
                               "    Setting it to 0 disables expiring keys in background when they are not",
                               "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
                               "    default."]),
        ("sleep", ["SLEEP <seconds>",
                   "    Stop the server for <seconds>. Decimals allowed."]),
    ]

    /// DEBUG subcommand [argument ...]
    static func debug(_ c: Client) {
        let argc = c.argv.count
        let sub = c.argv[1].string.lowercased()
        if debugTool(c, sub) { return }
        switch (sub, argc) {
        case ("help", 2): HelpReply.send(c, command: "debug", entries: debugHelp + debugToolHelp, always: true)
        case ("object", 3): debugObject(c)
        case ("digest", 2): debugDigest(c)
        case ("digest-value", 2...): debugDigestValue(c)
        case ("populate", 3...5): debugPopulate(c)
        case ("reload", _): debugReload(c)
        case ("change-repl-id", 2):
            c.server.replicationId = Server.randomHexId()
            c.server.log.warning("Changing replication IDs after receiving DEBUG change-repl-id")
            c.reply.ok()
        case ("set-active-expire", 3):
            c.server.config.activeExpireEnabled = cInt(c.argv[2]) != 0
            c.reply.ok()
        case ("sleep", 3): debugSleep(c)
        case ("log", 3):
            c.server.log.warning("DEBUG LOG: \(c.argv[2].string)")
            c.reply.ok()
        case ("error", 3):
            // The argument is the whole error line, code included (`DEBUG ERROR "WRONGTYPE x"`). Written as raw
            // protocol, as Redis does: it is a test value, not counted in the error statistics.
            let line = c.argv[2].array.map { $0 == 10 || $0 == 13 ? UInt8(ascii: " ") : $0 }
            c.reply.raw([UInt8(ascii: "-")] + line + [13, 10])
        default:
            c.error("ERR unknown subcommand or wrong number of arguments for '\(Errors.truncated(c.argv[1], 128))'. Try DEBUG HELP.")
        }
    }

    /// C's `atoi`: leading blanks, an optional sign, then digits up to the first non-digit; 0 if none.
    static func cInt(_ b: RBytes) -> Int64 {
        var s = Array(b.array.prefix { $0 != 0 })
        s.append(0)
        return s.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { Int64(atoll($0)) }
        }
    }

    /// DEBUG SLEEP seconds — blocks the whole server, as in Redis: the data lock stays held while sleeping.
    static func debugSleep(_ c: Client) {
        var s = Array(c.argv[2].array.prefix { $0 != 0 })
        s.append(0)
        // strtod semantics: a bad number is 0, so the command still replies OK.
        let seconds = s.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { strtod($0, nil) }
        }
        if seconds.isFinite && seconds > 0 {
            let us = min(seconds, 1e12) * 1_000_000
            var ts = timespec(tv_sec: Int(us / 1_000_000), tv_nsec: Int(us.truncatingRemainder(dividingBy: 1_000_000)) * 1000)
            _ = nanosleep(&ts, nil)
        }
        c.reply.ok()
    }

    /// DEBUG POPULATE count [prefix] [size]
    static func debugPopulate(_ c: Client) {
        let outOfRange = "ERR value is out of range, must be positive"
        guard let count = Numbers.parseInt64(c.argv[2]), count >= 0 else {
            c.error(outOfRange)
            return
        }
        var size: Int64 = 0
        if c.argv.count == 5 {
            guard let n = Numbers.parseInt64(c.argv[4]), n >= 0 else {
                c.error(outOfRange)
                return
            }
            size = n
        }
        // Refuse what could never fit in memory, where Redis's table pre-allocation would fail.
        let (perKey, o1) = (max(size, 16)).addingReportingOverflow(64)
        let (total, o2) = perKey.multipliedReportingOverflow(by: count)
        if o1 || o2 || total > ProcessMetrics.totalSystemMemory {
            c.error("ERR OOM in dictTryExpand")
            return
        }
        // The prefix is read as a C string, and the key is cut at 127 bytes, as Redis formats it.
        let prefix: [UInt8] = c.argv.count >= 4 ? Array(c.argv[3].array.prefix { $0 != 0 }) : Array("key".utf8)
        for j in 0..<count {
            let digits = Array(String(j).utf8)
            var keyBytes = prefix
            keyBytes.append(UInt8(ascii: ":"))
            keyBytes.append(contentsOf: digits)
            let key = RBytes(Array(keyBytes.prefix(127)))
            if c.db.exists(key) { continue }
            var value = Array("value:".utf8) + digits
            if size > 0 {
                // A value of exactly `size` bytes: the text, cut or padded with zero bytes.
                value = Array(value.prefix(Int(size)))
                value.append(contentsOf: repeatElement(0, count: Int(size) - value.count))
            }
            c.db.add(key, .string(RBytes(value)))
            // Signals the key (WATCH) without counting a change: DEBUG POPULATE is not propagated.
            c.server.keyModified(c.db, key, changes: 0)
        }
        c.reply.ok()
    }

    /// DEBUG OBJECT key
    static func debugObject(_ c: Client) {
        guard let slot = c.db.slot(c.argv[2], touch: false) else {
            c.error(Errors.noSuchKey)
            return
        }
        let entry = c.db.entry(at: slot)
        let clock = c.server.lruClock & 0x00FF_FFFF
        let lru = entry.lru & 0x00FF_FFFF
        let idle = Int64((clock &- lru) & 0x00FF_FFFF)
        let address: UInt
        var refcount: Int64 = 1
        // Redis's rdbSavedObjectLen: the value's RDB serialisation without its type byte.
        var encoder = RDBEncoder(compression: c.server.config.rdbcompression, thresholds: EncodingThresholds(c.server.config))
        encoder.writeValue(entry.value)
        let serialized = Int64(max(0, encoder.count - 1))
        switch entry.value {
        case .object(let o):
            address = UInt(bitPattern: Unmanaged.passUnretained(o).toOpaque())
        case .packed(let p):
            address = UInt(bitPattern: p.address)
        case .string(let s):
            // Short strings live inside the key table's entry (no allocation of their own): no address to show.
            address = s.count > RBytes.inlineCapacity ? s.array.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) } : 0
            if let n = Numbers.parseInt64(s), n >= 0 && n < 10000, sharesIntegers(c) {
                refcount = 2_147_483_647   // Redis's shared integer objects report INT_MAX
            }
        }
        var extra = ""
        if case .object(let o) = entry.value, let list = o as? ListObject {
            let fill = c.server.config.listMaxListpackSize
            extra = QuicklistEstimate(list, fill: fill).debugFields(fill: fill, compressDepth: c.server.config.listCompressDepth)
        }
        c.reply.status("Value at:0x\(String(address, radix: 16)) refcount:\(refcount) encoding:\(entry.encodingName) serializedlength:\(serialized) lru:\(lru) lru_seconds_idle:\(idle)\(extra)")
    }

    /// Whether Redis would store small integers as shared objects (not when an LRU/LFU policy needs per-key clocks).
    static func sharesIntegers(_ c: Client) -> Bool {
        let policy = c.server.config.maxmemoryPolicy
        return c.server.config.maxmemory == 0 || !(policy.hasSuffix("-lru") || policy.hasSuffix("-lfu"))
    }
}
