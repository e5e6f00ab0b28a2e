import Kernel

/// An example plugin: a fixed-window rate limiter as one command, built only on the kernel's public module API.
///
/// It shows the shape every custom module has: a `CommandModule` with a family id (so an operator can disable
/// it), namespaced command names, the same `CommandSpec` metadata as built-ins, and the same mutation hooks.
public struct RateLimitModule: CommandModule {
    public init() {}
    public let family = "ratelimit"

    public var commands: [CommandSpec] {
        [
            CommandSpec("ratelimit.hit", arity: 4, flags: [.write, .denyoom, .fast], keys: .single,
                        categories: [.string],
                        summary: "Counts a hit in a fixed window and says how many hits are left (-1 when over).",
                        since: "0.1.0", complexity: "O(1)", handler: hit),
        ]
    }
}

/// RATELIMIT.HIT key limit window-milliseconds
///
/// The key holds the window's counter and expires when the window ends. Replies the hits left in the window
/// after this one, or -1 when the limit was already reached (the hit is then not counted).
func hit(_ c: Client) {
    guard let limit = Numbers.parseInt64(c.argv[2]), limit > 0,
          let window = Numbers.parseInt64(c.argv[3]), window > 0 else {
        c.error("ERR limit and window must be positive integers")
        return
    }
    let key = c.argv[1]
    var used: Int64 = 0
    if let value = c.db.get(key) {
        guard case .string(let s) = value, let n = Numbers.parseInt64(s) else {
            c.error(Errors.wrongType)
            return
        }
        used = n
    }
    if used >= limit {
        c.reply.integer(-1)
        // Nothing changed: nothing to propagate.
        return
    }
    let fresh = used == 0
    c.db.set(key, .string(Numbers.format(used + 1)), keepTTL: !fresh)
    let at = c.server.commandTime + window
    if fresh { c.db.setExpire(key, at: at) }
    c.server.keyModified(c.db, key)
    c.server.notify(.string, "ratelimit.hit", key, db: c.db.id)
    // Replicas get the resulting state, not the relative command.
    let expireAt = c.db.expireTime(key) ?? at
    c.propagateInstead([["SET", key, Numbers.format(used + 1), "PXAT", Numbers.format(expireAt)]])
    c.reply.integer(limit - used - 1)
}
