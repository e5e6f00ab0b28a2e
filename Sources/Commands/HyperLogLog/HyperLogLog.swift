import Kernel

/// The HyperLogLog family (Redis's `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST over string
/// values in Redis's exact representation (`HLLSketch`), so HLL strings move between redis-server and us with
/// GET/SET, DUMP/RESTORE or RDB files.
public struct HyperLogLogCommands: CommandModule {
    public init() {}
    public let family = "hyperloglog"

    public var commands: [CommandSpec] {
        let h: ACLCategories = [.hyperloglog]
        return [
            CommandSpec("pfadd", arity: -2, flags: [.write, .denyoom, .fast], keys: .single, categories: h,
                        summary: "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
                        since: "2.8.9", complexity: "O(1) to add every element.", handler: Self.pfadd),
            CommandSpec("pfcount", arity: -2, flags: [.readonly], keys: .all, categories: h,
                        summary: "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
                        since: "2.8.9",
                        complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
                        handler: Self.pfcount),
            CommandSpec("pfmerge", arity: -2, flags: [.write, .denyoom], keys: .all, categories: h,
                        summary: "Merges one or more HyperLogLog values into a single key.", since: "2.8.9",
                        complexity: "O(N) to merge N HyperLogLogs, but with high constant times.", handler: Self.pfmerge),
            CommandSpec("pfdebug", arity: 3, flags: [.write, .denyoom, .admin], keys: KeyPositions(first: 2, last: 2, step: 1),
                        categories: h, summary: "Internal commands for debugging HyperLogLog values.", since: "2.8.9",
                        complexity: "N/A", handler: Self.pfdebug),
            CommandSpec("pfselftest", arity: 1, flags: [.admin], categories: h,
                        summary: "An internal command for testing HyperLogLog values.", since: "2.8.9",
                        complexity: "N/A", handler: Self.pfselftest),
        ]
    }
}

// MARK: - Lookup

extension HyperLogLogCommands {
    /// What a key holds, seen as an HLL.
    enum HLLLookup {
        case missing
        /// A valid HLL string at this slot.
        case found(slot: Int, bytes: RBytes)
        /// An error was replied (WRONGTYPE, or not a valid HLL string).
        case replied
    }

    /// Redis's lookup + isHLLObjectOrReply.
    static func lookup(_ c: Client, _ key: RBytes) -> HLLLookup {
        let db = c.db
        guard let slot = db.slot(key) else { return .missing }
        guard case .string(let s) = db.value(at: slot) else {
            c.error(Errors.wrongType)
            return .replied
        }
        guard s.withUnsafeBytes({ HLLSketch.isValid($0) }) else {
            c.error(HLLSketch.notHLLError)
            return .replied
        }
        return .found(slot: slot, bytes: s)
    }

    /// Edits the HLL string at `slot` in place and stores it back as a raw string (Redis's dbUnshareStringValue).
    static func edit<R>(_ c: Client, slot: Int, _ body: (inout [UInt8]) -> R) -> R {
        guard let r = c.db.editString(at: slot, body) else { preconditionFailure("checked string") }
        return r
    }

    /// Adds a new empty (sparse) HLL at `key` and returns its slot.
    static func create(_ c: Client, _ key: RBytes) -> Int {
        c.db.add(key, .string(RBytes(HLLSketch.empty())))
        let slot = c.db.slot(key, touch: false)!
        c.db.markRawString(at: slot)
        return slot
    }
}

// MARK: - PFADD / PFCOUNT / PFMERGE

extension HyperLogLogCommands {
    /// PFADD key [element [element ...]]
    static func pfadd(_ c: Client) {
        let key = c.argv[1]
        var updated = 0
        let slot: Int
        switch lookup(c, key) {
        case .replied: return
        case .missing:
            slot = create(c, key)
            updated = 1
        case .found(let s, _): slot = s
        }
        let maxSparse = c.server.config.hllSparseMaxBytes
        let argv = c.argv
        let corrupt = edit(c, slot: slot) { s -> Bool in
            for j in 2..<argv.count {
                switch argv[j].withUnsafeBytes({ HLLSketch.add(&s, $0, maxSparse: maxSparse) }) {
                case 1: updated += 1
                case -1: return true
                default: break
                }
            }
            if updated > 0 { HLLSketch.invalidateCache(&s) }
            return false
        }
        if corrupt {
            c.error(HLLSketch.invalidError)
            return
        }
        if updated > 0 {
            c.server.keyModified(c.db, key, changes: Int64(updated))
            c.server.notify(.string, "pfadd", key, db: c.db.id)
        }
        c.reply.integer(updated > 0 ? 1 : 0)
    }

    /// PFCOUNT key [key ...]
    static func pfcount(_ c: Client) {
        if c.argv.count > 2 {
            var max = [UInt8](repeating: 0, count: HLLSketch.registers)
            for j in 1..<c.argv.count {
                switch lookup(c, c.argv[j]) {
                case .replied: return
                case .missing: continue
                case .found(_, let s):
                    guard s.withUnsafeBytes({ HLLSketch.merge(into: &max, $0) }) else {
                        c.error(HLLSketch.invalidError)
                        return
                    }
                }
            }
            c.reply.integer(Int64(bitPattern: HLLSketch.estimate(HLLSketch.histogram(rawRegisters: max))))
            return
        }
        let key = c.argv[1]
        switch lookup(c, key) {
        case .replied: return
        case .missing: c.reply.integer(0)
        case .found(let slot, _):
            // The cached cardinality is part of the string: a recount rewrites it (and propagates, as in Redis).
            let count = edit(c, slot: slot) { s -> (UInt64?, Bool) in
                if let cached = s.withUnsafeBytes({ HLLSketch.cachedCount($0) }) { return (cached, false) }
                guard let h = s.withUnsafeBytes({ HLLSketch.histogram($0) }) else { return (nil, false) }
                let n = HLLSketch.estimate(h)
                HLLSketch.storeCachedCount(&s, n)
                return (n, true)
            }
            guard let n = count.0 else {
                c.error(HLLSketch.invalidError)
                return
            }
            if count.1 { c.server.keyModified(c.db, key) }
            c.reply.integer(Int64(bitPattern: n))
        }
    }

    /// PFMERGE destkey [sourcekey [sourcekey ...]]
    static func pfmerge(_ c: Client) {
        var max = [UInt8](repeating: 0, count: HLLSketch.registers)
        var useDense = false
        for j in 1..<c.argv.count {
            switch lookup(c, c.argv[j]) {
            case .replied: return
            case .missing: continue
            case .found(_, let s):
                if s[4] == HLLSketch.dense { useDense = true }
                guard s.withUnsafeBytes({ HLLSketch.merge(into: &max, $0) }) else {
                    c.error(HLLSketch.invalidError)
                    return
                }
            }
        }
        let key = c.argv[1]
        let slot = c.db.slot(key) ?? create(c, key)
        let maxSparse = c.server.config.hllSparseMaxBytes
        let ok = edit(c, slot: slot) { s -> Bool in
            if useDense && !HLLSketch.sparseToDense(&s) { return false }
            for j in 0..<HLLSketch.registers where max[j] != 0 {
                if s[4] == HLLSketch.dense {
                    _ = HLLSketch.denseSet(&s, j, max[j])
                } else {
                    _ = HLLSketch.sparseSet(&s, j, max[j], maxSparse: maxSparse)
                }
            }
            HLLSketch.invalidateCache(&s)
            return true
        }
        guard ok else {
            c.error(HLLSketch.invalidError)
            return
        }
        c.server.keyModified(c.db, key)
        // Redis reports a merge as a mass-add.
        c.server.notify(.string, "pfadd", key, db: c.db.id)
        c.reply.ok()
    }
}
