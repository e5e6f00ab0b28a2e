import Kernel
import RedisModule

/// The example of a blocking module command (docs/MODULES.md, "Blocking on keys"): a message queue on its own
/// data type, `MQqueue--`, with a blocking pop in the manner of BLPOP. Not a real Redis module: its commands
/// are ours.
///
/// - `MQ.PUSH key item [item ...]`: appends, replies the length, wakes clients blocked on the key
///   (`signalReady`).
/// - `MQ.POP key`: takes the oldest item, or null.
/// - `MQ.BPOP key [key ...] timeout`: as MQ.POP on the first non-empty queue, replying `[key, item]`; when all
///   are empty, blocks (timeout in seconds, 0 = forever) and replies a null array on timeout. Propagated as
///   the effect `MQ.POP key`.
/// - `MQ.LEN key`: the length (0 when missing).
/// - `MQ.WAITKEY key [key ...] timeout`: blocks until one of the keys exists, whatever its type (a built-in
///   write that creates it wakes the client), and replies `[key, type]`; a null array on timeout.
public struct QueueModule: ModuleDefinition {
    /// The module.
    public init() {}
    /// The module's name (also the family id `disable-command-family` takes).
    public let name = "mq"
    /// The module's version.
    public let version = 1
    /// The `MQqueue--` type.
    public var types: [ModuleDataType] { [QueueType.type] }

    /// The commands.
    public var commands: [ModuleCommand] {
        [
            ModuleCommand("mq.push", arity: -3, flags: "write deny-oom fast", firstKey: 1, lastKey: 1, keyStep: 1,
                          summary: "Appends items to a queue.", complexity: "O(N) for N items", handler: push),
            ModuleCommand("mq.pop", arity: 2, flags: "write fast", firstKey: 1, lastKey: 1, keyStep: 1,
                          summary: "Removes and returns the oldest item of a queue.", complexity: "O(1)",
                          handler: pop),
            ModuleCommand("mq.bpop", arity: -3, flags: "write blocking", firstKey: 1, lastKey: -2, keyStep: 1,
                          summary: "Removes and returns the oldest item of the first non-empty queue, or blocks until one can be popped.",
                          complexity: "O(N) for N keys", handler: bpop),
            ModuleCommand("mq.len", arity: 2, flags: "readonly fast", firstKey: 1, lastKey: 1, keyStep: 1,
                          summary: "Returns the length of a queue.", complexity: "O(1)", handler: len),
            ModuleCommand("mq.waitkey", arity: -3, flags: "readonly blocking", firstKey: 1, lastKey: -2, keyStep: 1,
                          summary: "Blocks until one of the keys exists; replies its name and type.",
                          complexity: "O(N) for N keys", handler: waitKey),
        ]
    }
}

/// The queue at `key`: nil when missing, WRONGTYPE for another type.
private func queue(_ ctx: ModuleContext, _ key: RBytes) throws(ModuleError) -> MessageQueue? {
    try ctx.value(key, of: QueueType.type) as? MessageQueue
}

/// MQ.PUSH key item [item ...]
func push(_ ctx: ModuleContext) throws {
    let key = ctx.argument(1)
    let q: MessageQueue
    if let existing = try queue(ctx, key) {
        q = existing
    } else {
        q = MessageQueue()
        ctx.setValue(key, q, of: QueueType.type)
    }
    for i in 2..<ctx.argumentCount { q.push(ctx.argument(i)) }
    ctx.signalModified(key)
    ctx.notify(.module, "mq.push", key)
    ctx.signalReady(key)
    ctx.reply.integer(Int64(q.count))
}

/// Pops the oldest item of the queue at `key`, deleting the key once empty; nil when there is none.
private func take(_ ctx: ModuleContext, _ q: MessageQueue, _ key: RBytes) -> RBytes? {
    guard let item = q.pop() else { return nil }
    if q.count == 0 {
        ctx.delete(key)
        ctx.notify(.generic, "del", key)
    }
    ctx.signalModified(key)
    ctx.notify(.module, "mq.pop", key)
    return item
}

/// MQ.POP key
func pop(_ ctx: ModuleContext) throws {
    let key = ctx.argument(1)
    guard let q = try queue(ctx, key), let item = take(ctx, q, key) else { return ctx.reply.null() }
    ctx.reply.bulk(item)
}

/// MQ.LEN key
func len(_ ctx: ModuleContext) throws {
    ctx.reply.integer(Int64(try queue(ctx, ctx.argument(1))?.count ?? 0))
}

/// The last argument as a blocking timeout in seconds (BLPOP's rules), in milliseconds.
private func timeout(_ ctx: ModuleContext) throws(ModuleError) -> Int64 {
    guard let seconds = Numbers.parseDouble(ctx.argument(ctx.argumentCount - 1)), seconds.isFinite else {
        throw ModuleError("ERR timeout is not a float or out of range")
    }
    let ms = (seconds * 1000).rounded(.up)
    guard ms >= 0 else { throw ModuleError("ERR timeout is negative") }
    guard ms < 9.0e15 else { throw ModuleError("ERR timeout is out of range") }
    return Int64(ms)
}

/// Pops from the first of `keys` holding a non-empty queue and replies `[key, item]` (propagated as
/// `MQ.POP key`); false when every queue is empty. Keys of another type are skipped.
private func popFirst(_ ctx: ModuleContext, _ keys: [RBytes]) -> Bool {
    for key in keys {
        guard let q = try? queue(ctx, key), let item = take(ctx, q, key) else { continue }
        ctx.replicate([["MQ.POP", key]])
        ctx.reply.array(2)
        ctx.reply.bulk(key)
        ctx.reply.bulk(item)
        return true
    }
    return false
}

/// MQ.BPOP key [key ...] timeout
func bpop(_ ctx: ModuleContext) throws {
    let keys = Array(ctx.arguments[1..<(ctx.argumentCount - 1)])
    let ms = try timeout(ctx)
    for key in keys { _ = try queue(ctx, key) }  // WRONGTYPE before anything, as BLPOP
    if popFirst(ctx, keys) { return }
    try ctx.blockOnKeys(keys, timeoutMilliseconds: ms, onReady: { ctx in
        // The key that woke the client first, then the others (it may have been signalled for another type).
        let ready = ctx.readyKey.map { k in [k] + keys.filter { $0 != k } } ?? keys
        return popFirst(ctx, ready)
    }, onTimeout: { ctx in ctx.reply.nullArray() })
}

/// Replies `[key, type]` for the first of `keys` that exists; false when none does.
private func firstExisting(_ ctx: ModuleContext, _ keys: [RBytes]) -> Bool {
    guard let key = keys.first(where: { ctx.exists($0) }) else { return false }
    ctx.reply.array(2)
    ctx.reply.bulk(key)
    ctx.reply.bulk(ctx.typeName(key))
    return true
}

/// MQ.WAITKEY key [key ...] timeout
func waitKey(_ ctx: ModuleContext) throws {
    let keys = Array(ctx.arguments[1..<(ctx.argumentCount - 1)])
    let ms = try timeout(ctx)
    if firstExisting(ctx, keys) { return }
    try ctx.blockOnKeys(keys, timeoutMilliseconds: ms, onReady: { ctx in
        firstExisting(ctx, ctx.readyKey.map { [$0] } ?? keys)
    }, onTimeout: { ctx in ctx.reply.nullArray() })
}
