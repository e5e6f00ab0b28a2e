import Kernel

// MARK: - Object introspection helpers

extension KeysCommands {
    /// Redis shares the string objects of the integers 0..<10000 (`OBJ_SHARED_INTEGERS`), whose reference count
    /// reads as `INT_MAX`.
    static let sharedIntegerLimit: Int64 = 10000
    static let sharedRefcount: Int64 = 2_147_483_647
    static func lfuPolicy(_ c: Client) -> Bool { c.server.config.eviction.lfu }

    /// Whether integers are shared (Redis stops sharing them when an LRU/LFU policy with a memory limit needs
    /// a per-key access clock).
    static func sharedIntegers(_ c: Client) -> Bool {
        c.server.config.maxmemory == 0 || !c.server.config.eviction.policy.tracksAccess
    }

    /// The live key named by argv[2] without touching its access clock; replies null when it is missing.
    static func objectSlot(_ c: Client) -> Int? {
        guard let slot = c.db.slot(c.argv[2], touch: false) else {
            c.reply.null()
            return nil
        }
        return slot
    }

    /// Seconds since the entry at `slot` was last accessed (wrapping like Redis's LRU clock).
    static func idleSeconds(_ c: Client, _ slot: Int) -> Int64 {
        c.db.entry(at: slot).lruIdleMilliseconds(clock: c.server.lruClock) / 1000
    }

    static let objectHelpLines: [String] = [
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ]
}

// MARK: - Handlers

extension KeysCommands {
    /// OBJECT ENCODING key
    static func objectEncoding(_ c: Client) {
        guard let slot = objectSlot(c) else { return }
        c.reply.bulk(c.db.entry(at: slot).encodingName)
    }

    /// OBJECT REFCOUNT key
    static func objectRefcount(_ c: Client) {
        guard let slot = objectSlot(c) else { return }
        if case .string(let s) = c.db.value(at: slot), sharedIntegers(c), let n = Numbers.parseInt64(s),
           n >= 0 && n < sharedIntegerLimit {
            c.reply.integer(sharedRefcount)
        } else {
            c.reply.integer(1)
        }
    }

    /// OBJECT IDLETIME key
    static func objectIdletime(_ c: Client) {
        guard let slot = objectSlot(c) else { return }
        if lfuPolicy(c) {
            c.error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
            return
        }
        c.reply.integer(idleSeconds(c, slot))
    }

    /// OBJECT FREQ key
    static func objectFreq(_ c: Client) {
        guard let slot = objectSlot(c) else { return }
        guard lfuPolicy(c) else {
            c.error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
            return
        }
        let e = c.server.config.eviction
        c.reply.integer(Int64(c.db.entry(at: slot).lfuDecayedCounter(
            nowMinutes: Entry.lfuMinutes(c.server.commandTime), decayTime: e.lfuDecayTime)))
    }

    /// OBJECT HELP
    static func objectHelp(_ c: Client) {
        c.reply.arrayHeader(objectHelpLines.count)
        for line in objectHelpLines { c.reply.status(line) }
    }
}
