import Kernel
import RedisModule

/// An example module built only on `RedisModule`: redis-cell's `CL.THROTTLE`, a GCRA (generic cell rate
/// algorithm) rate limiter in one command. The key holds the theoretical arrival time (TAT) in Unix
/// nanoseconds and expires when the limiter is back to a full burst. Replicas and the AOF get the resulting
/// state (`SET key tat PXAT t`), never the relative command.
public struct ThrottleModule: ModuleDefinition {
    /// The module.
    public init() {}
    /// redis-cell's module name (also the family id `disable-command-family` takes).
    public let name = "redis-cell"
    /// The module's version.
    public let version = 1

    /// `CL.THROTTLE key max_burst count_per_period period [quantity]`.
    public var commands: [ModuleCommand] {
        [
            ModuleCommand("cl.throttle", arity: -5, flags: "write deny-oom fast", firstKey: 1, lastKey: 1,
                          keyStep: 1, categories: "string",
                          summary: "Rate limits with GCRA: replies limited (0/1), limit, remaining, retry-after and reset-after seconds.",
                          since: "1.0.0", complexity: "O(1)", handler: throttle),
        ]
    }
}

private let nanosPerSecond: Int64 = 1_000_000_000
private let usage = "ERR Usage: cl.throttle <key> <max_burst> <count per period> <period> [<quantity>]"

/// An argument as an integer, with redis-cell's error text.
private func number(_ ctx: ModuleContext, _ i: Int) throws(ModuleError) -> Int64 {
    guard let v = Numbers.parseInt64(ctx.argument(i)) else {
        throw ModuleError("ERR Couldn't parse as integer: \(ctx.argument(i).string)")
    }
    return v
}

/// A product, or an error when it overflows 64 bits.
private func times(_ a: Int64, _ b: Int64) throws(ModuleError) -> Int64 {
    let (p, overflow) = a.multipliedReportingOverflow(by: b)
    if overflow { throw ModuleError("ERR rate limit parameters are too large") }
    return p
}

/// Whole seconds of a duration in nanoseconds, rounded up when there is a partial millisecond (so a caller
/// never retries too early), as redis-cell replies.
private func seconds(_ ns: Int64) -> Int64 {
    var s = ns / nanosPerSecond
    if (ns % nanosPerSecond) / 1_000_000 > 0 { s += 1 }
    return s
}

/// CL.THROTTLE key max_burst count_per_period period [quantity]
func throttle(_ ctx: ModuleContext) throws {
    guard ctx.argumentCount <= 6 else { throw ModuleError(usage) }
    let key = ctx.argument(1)
    let maxBurst = try number(ctx, 2)
    let count = try number(ctx, 3)
    let period = try number(ctx, 4)
    let quantity = ctx.argumentCount == 6 ? try number(ctx, 5) : 1
    guard maxBurst >= 0 else { throw ModuleError("ERR max_burst must be zero or more") }
    guard count > 0 else { throw ModuleError("ERR count per period must be positive") }
    guard period > 0 else { throw ModuleError("ERR period must be positive") }
    guard quantity >= 0 else { throw ModuleError("ERR quantity must be zero or more") }

    // The nominal spacing of requests, the bucket's depth, and this request's cost, in nanoseconds.
    let emission = try times(period, nanosPerSecond) / count
    let tolerance = try times(emission, maxBurst + 1)
    let increment = try times(emission, quantity)
    let nowMs = ctx.milliseconds
    let now = try times(nowMs, 1_000_000)

    var stored: Int64?
    if let s = try ctx.string(key) {
        guard let v = Numbers.parseInt64(s) else { throw ModuleError.notInteger }
        stored = v
    }
    let tat = stored ?? now
    let (newTat, overflow) = max(now, tat).addingReportingOverflow(increment)
    if overflow { throw ModuleError("ERR rate limit parameters are too large") }
    let diff = now - (newTat - tolerance)
    let limited = diff < 0
    var retryAfter = -nanosPerSecond
    let ttl: Int64
    if limited {
        if increment <= tolerance { retryAfter = -diff }
        ttl = tat - now
    } else {
        ttl = newTat - now
        // The key lives until the limiter is full again (whole milliseconds, as redis-cell's PX).
        let ttlMs = ttl / 1_000_000
        if ttlMs > 0 {
            let value = Numbers.format(newTat)
            let at = nowMs + ttlMs
            ctx.setString(key, value)
            ctx.expire(key, atMilliseconds: at)
            ctx.signalModified(key)
            ctx.notify(.string, "set", key)
            ctx.notify(.generic, "expire", key)
            ctx.replicate([["SET", key, value, "PXAT", Numbers.format(at)]])
        } else if stored != nil {
            // A zero-cost peek at a limiter whose state is due now: the state is spent.
            ctx.delete(key)
            ctx.signalModified(key)
            ctx.notify(.generic, "del", key)
            ctx.replicate([["DEL", key]])
        }
    }
    let next = tolerance - ttl
    let remaining = next > -emission ? Int64(Double(next / 1000) / Double(max(1, emission / 1000))) : 0
    let reply = ctx.reply
    reply.array(5)
    reply.integer(limited ? 1 : 0)
    reply.integer(maxBurst + 1)
    reply.integer(remaining)
    reply.integer(seconds(retryAfter))
    reply.integer(seconds(ttl))
}
