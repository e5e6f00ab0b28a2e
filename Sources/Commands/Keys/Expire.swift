import Kernel

// MARK: - Expiry options

extension KeysCommands {
    /// EXPIRE's NX / XX / GT / LT conditions.
    struct ExpireConditions: OptionSet {
        let rawValue: UInt8
        static let nx = ExpireConditions(rawValue: 1 << 0)
        static let xx = ExpireConditions(rawValue: 1 << 1)
        static let gt = ExpireConditions(rawValue: 1 << 2)
        static let lt = ExpireConditions(rawValue: 1 << 3)

        /// Whether a key whose current absolute expiry is `current` (nil: none) may get `when`.
        func allow(current: Int64?, when: Int64) -> Bool {
            if contains(.nx) && current != nil { return false }
            if contains(.xx) && current == nil { return false }
            // A key without a TTL counts as an infinite TTL: GT always fails, LT always succeeds.
            if contains(.gt) {
                guard let current, when > current else { return false }
            }
            if contains(.lt), let current, when >= current { return false }
            return true
        }
    }

    /// Parses the options after `key time`; nil after replying with Redis's error.
    static func expireConditions(_ c: Client) -> ExpireConditions? {
        var flags: ExpireConditions = []
        for arg in c.argv.dropFirst(3) {
            if arg.equalsIgnoringCase("NX") {
                flags.insert(.nx)
            } else if arg.equalsIgnoringCase("XX") {
                flags.insert(.xx)
            } else if arg.equalsIgnoringCase("GT") {
                flags.insert(.gt)
            } else if arg.equalsIgnoringCase("LT") {
                flags.insert(.lt)
            } else {
                c.error("ERR Unsupported option \(arg.string)")
                return nil
            }
        }
        if flags.contains(.nx) && !flags.isDisjoint(with: [.xx, .gt, .lt]) {
            c.error("ERR NX and XX, GT or LT options at the same time are not compatible")
            return nil
        }
        if flags.contains([.gt, .lt]) {
            c.error("ERR GT and LT options at the same time are not compatible")
            return nil
        }
        return flags
    }

    /// The common body of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: `time` (argv[2]) in seconds or milliseconds,
    /// added to `base` (Unix ms; 0 for the absolute forms).
    static func expireGeneric(_ c: Client, base: Int64, seconds: Bool) {
        let key = c.argv[1]
        guard let conditions = expireConditions(c) else { return }
        guard var when = Numbers.parseInt64(c.argv[2]) else {
            c.error(Errors.notInteger)
            return
        }
        let invalid = Errors.invalidExpireTime(c.command?.fullName ?? c.argv[0].lowercased().string)
        if seconds {
            let (ms, overflow) = when.multipliedReportingOverflow(by: 1000)
            guard !overflow else {
                c.error(invalid)
                return
            }
            when = ms
        }
        let (at, overflow) = when.addingReportingOverflow(base)
        guard !overflow else {
            c.error(invalid)
            return
        }
        guard c.db.slot(key) != nil else {
            c.reply.integer(0)
            return
        }
        if !conditions.isEmpty && !conditions.allow(current: c.db.expireTime(key), when: at) {
            c.reply.integer(0)
            return
        }
        if at <= c.server.commandTime && c.server.deletesKeysOnPastExpiry {
            // Already in the past: the key goes now, and the effect is a DEL.
            c.db.delete(key)
            c.server.keyModified(c.db, key)
            c.propagateInstead([[c.server.config.lazyfreeLazyExpire ? "UNLINK" : "DEL", key]])
            c.server.notify(.generic, "del", key, db: c.db.id)
        } else {
            c.db.setExpire(key, at: at)
            if base != 0 || seconds {
                c.propagateInstead([["PEXPIREAT", key, Numbers.format(at)] + c.argv.dropFirst(3)])
            }
            c.server.keyModified(c.db, key)
            c.server.notify(.generic, "expire", key, db: c.db.id)
        }
        c.reply.integer(1)
    }

    /// The common body of TTL, PTTL, EXPIRETIME and PEXPIRETIME.
    static func ttlGeneric(_ c: Client, milliseconds: Bool, absolute: Bool) {
        let key = c.argv[1]
        guard c.db.slot(key, touch: false) != nil else {
            c.reply.integer(-2)
            return
        }
        guard let expire = c.db.expireTime(key) else {
            c.reply.integer(-1)
            return
        }
        var t = expire
        if !absolute {
            let (left, overflow) = expire.subtractingReportingOverflow(c.server.commandTime)
            t = overflow ? Int64.max : left
        }
        if t < 0 { t = 0 }
        c.reply.integer(milliseconds ? t : Int64((UInt64(t) + 500) / 1000))
    }
}

// MARK: - Handlers

extension KeysCommands {
    /// EXPIRE key seconds [NX | XX | GT | LT]
    static func expire(_ c: Client) { expireGeneric(c, base: c.server.commandTime, seconds: true) }

    /// PEXPIRE key milliseconds [NX | XX | GT | LT]
    static func pexpire(_ c: Client) { expireGeneric(c, base: c.server.commandTime, seconds: false) }

    /// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
    static func expireat(_ c: Client) { expireGeneric(c, base: 0, seconds: true) }

    /// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
    static func pexpireat(_ c: Client) { expireGeneric(c, base: 0, seconds: false) }

    /// TTL key
    static func ttl(_ c: Client) { ttlGeneric(c, milliseconds: false, absolute: false) }

    /// PTTL key
    static func pttl(_ c: Client) { ttlGeneric(c, milliseconds: true, absolute: false) }

    /// EXPIRETIME key
    static func expiretime(_ c: Client) { ttlGeneric(c, milliseconds: false, absolute: true) }

    /// PEXPIRETIME key
    static func pexpiretime(_ c: Client) { ttlGeneric(c, milliseconds: true, absolute: true) }

    /// PERSIST key
    static func persist(_ c: Client) {
        let key = c.argv[1]
        guard c.db.slot(key) != nil, c.db.persist(key) else {
            c.reply.integer(0)
            return
        }
        c.server.keyModified(c.db, key)
        c.server.notify(.generic, "persist", key, db: c.db.id)
        c.reply.integer(1)
    }
}
