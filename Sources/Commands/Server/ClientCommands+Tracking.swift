import Kernel

/// CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO: server-assisted client-side caching.
enum TrackingCommands {
    static var specs: [CommandSpec] {
        let flags: CommandFlags = [.noscript, .loading, .stale]
        return [
            CommandSpec("tracking", arity: -3, flags: flags, categories: [.connection],
                        summary: "Controls server-assisted client-side caching for the connection.", since: "6.0.0",
                        complexity: "O(1). Some options may introduce additional complexity.", handler: tracking),
            CommandSpec("caching", arity: 3, flags: flags, categories: [.connection],
                        summary: "Instructs the server whether to track the keys in the next request.", since: "6.0.0",
                        complexity: "O(1)", handler: caching),
            CommandSpec("getredir", arity: 2, flags: flags, categories: [.connection],
                        summary: "Returns the client ID to which the connection's tracking notifications are redirected.",
                        since: "6.0.0", complexity: "O(1)", handler: getredir),
            CommandSpec("trackinginfo", arity: 2, flags: flags, categories: [.connection],
                        summary: "Returns information about server-assisted client-side caching for the connection.",
                        since: "6.2.0", complexity: "O(1)", handler: trackinginfo),
        ]
    }

    /// CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
    static func tracking(_ c: Client) {
        let argv = c.argv
        var state = TrackingState()
        var redirectSeen = false
        var j = 3
        while j < argv.count {
            let opt = argv[j]
            let more = argv.count - 1 - j
            if opt.equalsIgnoringCase("REDIRECT") && more > 0 {
                if redirectSeen {
                    c.error("ERR A client can only redirect to a single other client")
                    return
                }
                guard let id = Numbers.parseInt64(argv[j + 1]) else {
                    c.error(Errors.notInteger)
                    return
                }
                if id != Int64(c.id) && c.server.clients[UInt64(bitPattern: id)] == nil {
                    c.error("ERR The client ID you want redirect to does not exist")
                    return
                }
                state.redirect = UInt64(bitPattern: id)
                redirectSeen = true
                j += 1
            } else if opt.equalsIgnoringCase("BCAST") {
                state.bcast = true
            } else if opt.equalsIgnoringCase("OPTIN") {
                state.optin = true
            } else if opt.equalsIgnoringCase("OPTOUT") {
                state.optout = true
            } else if opt.equalsIgnoringCase("NOLOOP") {
                state.noloop = true
            } else if opt.equalsIgnoringCase("PREFIX") && more > 0 {
                state.prefixes.append(argv[j + 1])
                j += 1
            } else {
                c.error(Errors.syntax)
                return
            }
            j += 1
        }
        if argv[2].equalsIgnoringCase("ON") {
            if !state.bcast && !state.prefixes.isEmpty {
                c.error("ERR PREFIX option requires BCAST mode to be enabled")
                return
            }
            if let current = c.tracking {
                if current.bcast != state.bcast {
                    c.error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
                    return
                }
            }
            if state.optin && state.optout {
                c.error("ERR You can't specify both OPTIN mode and OPTOUT mode")
                return
            }
            if let current = c.tracking, (current.optin && state.optout) || (current.optout && state.optin) {
                c.error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
                return
            }
            if state.bcast {
                for (i, p) in state.prefixes.enumerated() {
                    for (k, q) in state.prefixes.enumerated() where k != i && (p.hasPrefix(q) || q.hasPrefix(p)) {
                        c.error("ERR Prefix '\(p.string)' overlaps with another provided prefix '\(q.string)'. Prefixes for a single client must not overlap.")
                        return
                    }
                }
            }
            c.enableTracking(state)
        } else if argv[2].equalsIgnoringCase("OFF") {
            c.disableTracking()
        } else {
            c.error(Errors.syntax)
            return
        }
        c.reply.ok()
    }

    /// CLIENT CACHING <YES | NO>
    static func caching(_ c: Client) {
        guard let t = c.tracking else {
            c.error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
            return
        }
        if c.argv[2].equalsIgnoringCase("YES") {
            guard t.optin else {
                c.error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
                return
            }
            c.setTrackingCaching(true)
        } else if c.argv[2].equalsIgnoringCase("NO") {
            guard t.optout else {
                c.error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
                return
            }
            c.setTrackingCaching(false)
        } else {
            c.error(Errors.syntax)
            return
        }
        c.reply.ok()
    }

    /// CLIENT GETREDIR
    static func getredir(_ c: Client) {
        guard let t = c.tracking else {
            c.reply.integer(-1)
            return
        }
        c.reply.integer(Int64(bitPattern: t.redirect))
    }

    /// CLIENT TRACKINGINFO
    static func trackinginfo(_ c: Client) {
        c.reply.mapHeader(3)
        c.reply.bulk("flags")
        var flags: [String] = []
        if let t = c.tracking {
            flags.append("on")
            if t.bcast { flags.append("bcast") }
            if t.optin { flags.append("optin") }
            if t.optout { flags.append("optout") }
            if let caching = t.caching {
                if caching && t.optin { flags.append("caching-yes") }
                if !caching && t.optout { flags.append("caching-no") }
            }
            if t.noloop { flags.append("noloop") }
            if t.brokenRedirect { flags.append("broken_redirect") }
        } else {
            flags.append("off")
        }
        c.reply.setHeader(flags.count)
        for f in flags { c.reply.bulk(f) }
        c.reply.bulk("redirect")
        if let t = c.tracking {
            c.reply.integer(t.brokenRedirect ? -1 : Int64(bitPattern: t.redirect))
        } else {
            c.reply.integer(-1)
        }
        c.reply.bulk("prefixes")
        let prefixes = c.tracking?.bcast == true ? (c.tracking?.prefixes ?? []) : []
        c.reply.arrayHeader(prefixes.count)
        for p in prefixes { c.reply.bulk(p) }
    }
}
