import Kernel

/// The string family: GET/SET and their variants, ranges, counters and LCS.
public struct StringCommands: CommandModule {
    public init() {}
    public let family = "string"

    public var commands: [CommandSpec] {
        let s: ACLCategories = [.string]
        let pairs = KeyPositions(first: 1, last: -1, step: 2)
        return [
            CommandSpec("get", arity: 2, flags: [.readonly, .fast], keys: .single, categories: s,
                        summary: "Returns the string value of a key.", complexity: "O(1)", handler: get),
            CommandSpec("set", arity: -3, flags: [.write, .denyoom], keys: .single, categories: s,
                        summary: "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
                        complexity: "O(1)", handler: set),
            CommandSpec("setnx", arity: 3, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Set the string value of a key only when the key doesn't exist.", complexity: "O(1)",
                        handler: setnx),
            CommandSpec("setex", arity: 4, flags: [.write, .denyoom], keys: .single, categories: s,
                        summary: "Sets the string value and expiration time of a key.", since: "2.0.0",
                        complexity: "O(1)", handler: setex),
            CommandSpec("psetex", arity: 4, flags: [.write, .denyoom], keys: .single, categories: s,
                        summary: "Sets both string value and expiration time in milliseconds of a key.",
                        since: "2.6.0", complexity: "O(1)", handler: psetex),
            CommandSpec("getset", arity: 3, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Returns the previous string value of a key after setting it to a new value.",
                        complexity: "O(1)", handler: getset),
            CommandSpec("getdel", arity: 2, flags: [.write, .fast], keys: .single, categories: s,
                        summary: "Returns the string value of a key after deleting the key.", since: "6.2.0",
                        complexity: "O(1)", handler: getdel),
            CommandSpec("getex", arity: -2, flags: [.write, .fast], keys: .single, categories: s,
                        summary: "Returns the string value of a key after setting its expiration time.",
                        since: "6.2.0", complexity: "O(1)", handler: getex),
            CommandSpec("mget", arity: -2, flags: [.readonly, .fast], keys: .all, categories: s,
                        summary: "Atomically returns the string values of one or more keys.", complexity: "O(N)",
                        handler: mget),
            CommandSpec("mset", arity: -3, flags: [.write, .denyoom], keys: pairs, categories: s,
                        summary: "Atomically creates or modifies the string values of one or more keys.",
                        since: "1.0.1", complexity: "O(N)", handler: mset),
            CommandSpec("msetnx", arity: -3, flags: [.write, .denyoom], keys: pairs, categories: s,
                        summary: "Atomically modifies the string values of one or more keys only when all keys don't exist.",
                        since: "1.0.1", complexity: "O(N)", handler: msetnx),
            CommandSpec("append", arity: 3, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Appends a string to the value of a key. Creates the key if it doesn't exist.",
                        since: "2.0.0", complexity: "O(1)", handler: append),
            CommandSpec("strlen", arity: 2, flags: [.readonly, .fast], keys: .single, categories: s,
                        summary: "Returns the length of a string value.", since: "2.2.0", complexity: "O(1)",
                        handler: strlen),
            CommandSpec("setrange", arity: 4, flags: [.write, .denyoom], keys: .single, categories: s,
                        summary: "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
                        since: "2.2.0", complexity: "O(1)", handler: setrange),
            CommandSpec("getrange", arity: 4, flags: [.readonly], keys: .single, categories: s,
                        summary: "Returns a substring of the string stored at a key.", since: "2.4.0",
                        complexity: "O(N)", handler: getrange),
            CommandSpec("substr", arity: 4, flags: [.readonly], keys: .single, categories: s,
                        summary: "Returns a substring from a string value.", complexity: "O(N)", handler: getrange),
            CommandSpec("incr", arity: 2, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
                        complexity: "O(1)", handler: incr),
            CommandSpec("decr", arity: 2, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
                        complexity: "O(1)", handler: decr),
            CommandSpec("incrby", arity: 3, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
                        complexity: "O(1)", handler: incrby),
            CommandSpec("decrby", arity: 3, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
                        complexity: "O(1)", handler: decrby),
            CommandSpec("incrbyfloat", arity: 3, flags: [.write, .denyoom, .fast], keys: .single, categories: s,
                        summary: "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
                        since: "2.6.0", complexity: "O(1)", handler: incrbyfloat),
            CommandSpec("lcs", arity: -3, flags: [.readonly], keys: KeyPositions(first: 1, last: 2, step: 1),
                        categories: s, summary: "Finds the longest common substring.", since: "7.0.0",
                        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively", handler: lcs),
        ]
    }
}

// MARK: - GET / SET

/// GET key
func get(_ c: Client) {
    switch c.lookupString(c.argv[1]) {
    case .missing: c.reply.null()
    case .found(let s): c.reply.bulk(s)
    case .wrongType: c.error(Errors.wrongType)
    }
}

/// The expiry and condition options of SET and GETEX (Redis's parseExtendedStringArgumentsOrReply).
struct SetOptions {
    enum Unit { case seconds, milliseconds }
    enum Condition { case none, nx, xx }

    var condition = Condition.none
    var get = false
    var keepTTL = false
    var persist = false
    /// The raw expire argument and how to read it.
    var expire: RBytes?
    var unit = Unit.seconds
    var absolute = false
    var hasExpireOption: Bool { expire != nil }

    /// Parses options from `argv[start...]`; false (after replying a syntax error) on bad input.
    static func parse(_ c: Client, from start: Int, forSet: Bool) -> SetOptions? {
        var o = SetOptions()
        var exSeen = false, pxSeen = false, exatSeen = false, pxatSeen = false
        var j = start
        let argv = c.argv
        while j < argv.count {
            let opt = argv[j]
            let hasNext = j + 1 < argv.count
            let anyExpire = exSeen || pxSeen || exatSeen || pxatSeen
            if forSet && opt.equalsIgnoringCase("NX") && o.condition != .xx {
                o.condition = .nx
            } else if forSet && opt.equalsIgnoringCase("XX") && o.condition != .nx {
                o.condition = .xx
            } else if forSet && opt.equalsIgnoringCase("GET") {
                o.get = true
            } else if forSet && opt.equalsIgnoringCase("KEEPTTL") && !o.persist && !anyExpire {
                o.keepTTL = true
            } else if !forSet && opt.equalsIgnoringCase("PERSIST") && !anyExpire && !o.keepTTL {
                o.persist = true
            } else if opt.equalsIgnoringCase("EX") && !o.keepTTL && !o.persist && !exatSeen && !pxSeen && !pxatSeen && hasNext {
                exSeen = true
                o.expire = argv[j + 1]; o.unit = .seconds; o.absolute = false
                j += 1
            } else if opt.equalsIgnoringCase("PX") && !o.keepTTL && !o.persist && !exSeen && !exatSeen && !pxatSeen && hasNext {
                pxSeen = true
                o.expire = argv[j + 1]; o.unit = .milliseconds; o.absolute = false
                j += 1
            } else if opt.equalsIgnoringCase("EXAT") && !o.keepTTL && !o.persist && !exSeen && !pxSeen && !pxatSeen && hasNext {
                exatSeen = true
                o.expire = argv[j + 1]; o.unit = .seconds; o.absolute = true
                j += 1
            } else if opt.equalsIgnoringCase("PXAT") && !o.keepTTL && !o.persist && !exSeen && !exatSeen && !pxSeen && hasNext {
                pxatSeen = true
                o.expire = argv[j + 1]; o.unit = .milliseconds; o.absolute = true
                j += 1
            } else {
                c.error(Errors.syntax)
                return nil
            }
            j += 1
        }
        return o
    }

    /// The absolute expiry in ms, or nil after replying an error (Redis's getExpireMillisecondsOrReply).
    func expireMilliseconds(_ c: Client) -> Int64? {
        guard let raw = expire else { return nil }
        guard var ms = Numbers.parseInt64(raw) else {
            c.error(Errors.notInteger)
            return nil
        }
        let name = c.command?.fullName ?? "set"
        if ms <= 0 {
            c.error(Errors.invalidExpireTime(name))
            return nil
        }
        if unit == .seconds {
            if ms > Int64.max / 1000 {
                c.error(Errors.invalidExpireTime(name))
                return nil
            }
            ms *= 1000
        }
        if !absolute {
            if ms > Int64.max - c.server.commandTime {
                c.error(Errors.invalidExpireTime(name))
                return nil
            }
            ms += c.server.commandTime
        }
        return ms
    }
}

/// SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL]
func set(_ c: Client) {
    if c.argv.count == 3 {
        // The common case: no options.
        let key = c.argv[1]
        let db = c.db  // read once: each read of the property is a retain and a release
        db.set(key, .string(c.argv[2]))
        c.server.keyModified(db, key)
        c.server.notify(.string, "set", key, db: db.id)
        c.reply.ok()
        return
    }
    guard let opts = SetOptions.parse(c, from: 3, forSet: true) else { return }
    let outcome = setGeneric(c, key: c.argv[1], value: c.argv[2], options: opts)
    if !opts.get {
        switch outcome {
        case .stored: c.reply.ok()
        case .conditionNotMet: c.reply.null()
        case .failed: break
        }
    }
}

/// What `setGeneric` did.
enum SetOutcome { case stored, conditionNotMet, failed }

/// The shared body of SET, SETNX, SETEX and PSETEX (Redis's setGenericCommand). Replies only for GET and errors.
func setGeneric(_ c: Client, key: RBytes, value: RBytes, options o: SetOptions) -> SetOutcome {
    var expireAt: Int64?
    if o.hasExpireOption {
        guard let ms = o.expireMilliseconds(c) else { return .failed }
        expireAt = ms
    }
    if o.get {
        switch c.lookupString(key) {
        case .missing: c.reply.null()
        case .found(let s): c.reply.bulk(s)
        case .wrongType:
            c.error(Errors.wrongType)
            return .failed
        }
    }
    let found = c.db.exists(key)
    if (o.condition == .nx && found) || (o.condition == .xx && !found) { return .conditionNotMet }
    c.db.set(key, .string(value), keepTTL: o.keepTTL)
    c.server.keyModified(c.db, key)
    c.server.notify(.string, "set", key, db: c.db.id)
    if let at = expireAt {
        c.db.setExpire(key, at: at)
        c.server.notify(.generic, "expire", key, db: c.db.id)
        // Expiries propagate as an absolute PXAT, as Redis 7.0 does.
        c.propagateInstead([["SET", key, value, "PXAT", Numbers.format(at)]])
    } else if o.get {
        // Replicas need no GET.
        c.propagateInstead([c.argv.enumerated().filter { $0.offset < 3 || !$0.element.equalsIgnoringCase("GET") }.map(\.element)])
    }
    return .stored
}

/// SETNX key value
func setnx(_ c: Client) {
    var o = SetOptions()
    o.condition = .nx
    c.reply.integer(setGeneric(c, key: c.argv[1], value: c.argv[2], options: o) == .stored ? 1 : 0)
}

/// SETEX key seconds value
func setex(_ c: Client) {
    var o = SetOptions()
    o.expire = c.argv[2]
    o.unit = .seconds
    if setGeneric(c, key: c.argv[1], value: c.argv[3], options: o) == .stored { c.reply.ok() }
}

/// PSETEX key milliseconds value
func psetex(_ c: Client) {
    var o = SetOptions()
    o.expire = c.argv[2]
    o.unit = .milliseconds
    if setGeneric(c, key: c.argv[1], value: c.argv[3], options: o) == .stored { c.reply.ok() }
}

/// GETSET key value
func getset(_ c: Client) {
    let key = c.argv[1]
    switch c.lookupString(key) {
    case .missing: c.reply.null()
    case .found(let s): c.reply.bulk(s)
    case .wrongType:
        c.error(Errors.wrongType)
        return
    }
    c.db.set(key, .string(c.argv[2]))
    c.server.keyModified(c.db, key)
    c.server.notify(.string, "set", key, db: c.db.id)
    c.propagateInstead([["SET", key, c.argv[2]]])
}

/// GETDEL key
func getdel(_ c: Client) {
    let key = c.argv[1]
    switch c.lookupString(key) {
    case .missing: c.reply.null()
    case .found(let s):
        c.reply.bulk(s)
        c.db.delete(key)
        c.server.keyModified(c.db, key)
        c.server.notify(.generic, "del", key, db: c.db.id)
        c.propagateInstead([["DEL", key]])
    case .wrongType: c.error(Errors.wrongType)
    }
}

/// GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]
func getex(_ c: Client) {
    guard let o = SetOptions.parse(c, from: 2, forSet: false) else { return }
    let key = c.argv[1]
    let value: RBytes
    switch c.lookupString(key) {
    case .missing:
        c.reply.null()
        return
    case .wrongType:
        c.error(Errors.wrongType)
        return
    case .found(let s):
        value = s
    }
    // Redis validates the expire only once the key is known to exist.
    var expireAt: Int64?
    if o.hasExpireOption {
        guard let ms = o.expireMilliseconds(c) else { return }
        expireAt = ms
    }
    c.reply.bulk(value)
    if let at = expireAt {
        if at <= c.server.commandTime && c.server.deletesKeysOnPastExpiry {
            c.db.delete(key)
            c.server.keyModified(c.db, key)
            c.server.notify(.generic, "del", key, db: c.db.id)
            c.propagateInstead([[c.server.config.lazyfreeLazyExpire ? "UNLINK" : "DEL", key]])
        } else {
            c.db.setExpire(key, at: at)
            c.server.keyModified(c.db, key)
            c.server.notify(.generic, "expire", key, db: c.db.id)
            c.propagateInstead([["PEXPIREAT", key, Numbers.format(at)]])
        }
    } else if o.persist {
        if c.db.persist(key) {
            c.server.keyModified(c.db, key)
            c.server.notify(.generic, "persist", key, db: c.db.id)
            c.propagateInstead([["PERSIST", key]])
        } else {
            c.propagateInstead([])
        }
    } else {
        c.propagateInstead([])
    }
}

/// MGET key [key ...]
func mget(_ c: Client) {
    let n = c.argv.count - 1
    c.reply.arrayHeader(n)
    for i in 1...n {
        if case .string(let s)? = c.db.get(c.argv[i]) { c.reply.bulk(s) } else { c.reply.null() }
    }
}

/// MSET key value [key value ...]
func mset(_ c: Client) {
    guard c.argv.count % 2 == 1 else {
        c.error(Errors.arity(c.command?.fullName ?? "mset"))
        return
    }
    msetPairs(c)
    c.reply.ok()
}

private func msetPairs(_ c: Client) {
    var i = 1
    while i < c.argv.count {
        let key = c.argv[i]
        c.db.set(key, .string(c.argv[i + 1]))
        c.server.keyModified(c.db, key)
        c.server.notify(.string, "set", key, db: c.db.id)
        i += 2
    }
}

/// MSETNX key value [key value ...]
func msetnx(_ c: Client) {
    guard c.argv.count % 2 == 1 else {
        c.error(Errors.arity(c.command?.fullName ?? "msetnx"))
        return
    }
    var i = 1
    while i < c.argv.count {
        if c.db.exists(c.argv[i]) {
            c.reply.integer(0)
            return
        }
        i += 2
    }
    msetPairs(c)
    c.reply.integer(1)
}
