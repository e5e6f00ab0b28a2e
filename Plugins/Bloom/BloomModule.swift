import RedisModule

/// An example module built only on `RedisModule`: RedisBloom's scalable Bloom filters (the `BF.*` commands)
/// on a custom data type, `MBbloom--`, persisted in RDB files, DUMP payloads and AOF rewrites. See README.md.
public struct BloomModule: ModuleDefinition {
    /// The module.
    public init() {}
    /// RedisBloom's module name (also the family id `disable-command-family` takes).
    public let name = "bf"
    /// The module's version (RedisBloom 2.4's numbering: 20400).
    public let version = 20400
    /// The `MBbloom--` type.
    public var types: [ModuleDataType] { [BloomType.type] }

    /// The commands, with RedisBloom's flags and key positions.
    public var commands: [ModuleCommand] {
        func cmd(_ name: String, _ arity: Int, _ flags: String, _ summary: String, _ complexity: String,
                 _ handler: @escaping ModuleHandler) -> ModuleCommand {
            ModuleCommand(name, arity: arity, flags: flags, firstKey: 1, lastKey: 1, keyStep: 1, categories: "",
                          summary: summary, since: "1.0.0", complexity: complexity, handler: handler)
        }
        let write = "write deny-oom", read = "readonly fast"
        return [
            cmd("bf.reserve", -4, write, "Creates a new Bloom Filter.", "O(1)", reserve),
            cmd("bf.add", -3, write, "Adds an item to a Bloom Filter.", "O(k), where k is the number of hash functions used by the last sub-filter", add),
            cmd("bf.madd", -3, write, "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist.", "O(k * n), where k is the number of hash functions and n is the number of items", add),
            cmd("bf.insert", -4, write, "Adds one or more items to a Bloom Filter. A filter will be created if it does not exist.", "O(k * n), where k is the number of hash functions and n is the number of items", insert),
            cmd("bf.exists", -3, read, "Checks whether an item exists in a Bloom Filter.", "O(k), where k is the number of hash functions used by the last sub-filter", exists),
            cmd("bf.mexists", -3, read, "Checks whether one or more items exist in a Bloom Filter.", "O(k * n), where k is the number of hash functions and n is the number of items", exists),
            cmd("bf.info", -2, read, "Returns information about a Bloom Filter.", "O(1)", info),
            cmd("bf.card", 2, read, "Returns the cardinality of a Bloom filter.", "O(1)", card),
            cmd("bf.scandump", 3, "readonly", "Begins an incremental save of the bloom filter.", "O(n), where n is the capacity", scandump),
            cmd("bf.loadchunk", 4, write, "Restores a filter previously saved using SCANDUMP.", "O(n), where n is the capacity", loadchunk),
        ]
    }
}

/// The defaults of an auto-created filter (RedisBloom's BFDefaultErrorRate / BFDefaultInitCapacity /
/// BFDefaultExpansion), set by the module's configs `bf.error-rate`, `bf.initial-size` and `bf.expansion`.
final class BloomDefaults {
    /// `bf.error-rate` as given (CONFIG GET shows the text) and its value.
    var errorRateText = "0.01"
    var errorRate = 0.01
    /// `bf.initial-size`: the capacity of a filter BF.ADD / BF.MADD / BF.INSERT create.
    let capacity = ModuleSetting<Int64>(100)
    /// `bf.expansion`: the growth factor of new filters (BF.RESERVE without EXPANSION too).
    let expansion = ModuleSetting<Int64>(2)
}

/// The module's configs' values (changed only with the data lock held, as handlers run).
let bloomDefaults = BloomDefaults()
var defaultErrorRate: Double { bloomDefaults.errorRate }
var defaultCapacity: UInt64 { UInt64(bloomDefaults.capacity.value) }
var defaultExpansion: UInt64 { UInt64(bloomDefaults.expansion.value) }

extension BloomModule {
    /// `bf.error-rate` (a string holding a double in (0, 1), RedisBloom's ERROR_RATE), `bf.initial-size`
    /// (1...2^30, INITIAL_SIZE) and `bf.expansion` (1...32768, EXPANSION).
    public var configs: [ModuleConfig] {
        [
            .string("error-rate", default: "0.01", get: { bloomDefaults.errorRateText }, set: { text throws(ModuleError) in
                guard let v = Double(text), v > 0, v < 1 else {
                    throw ModuleError("error-rate must be a number between 0 and 1 (exclusive)")
                }
                bloomDefaults.errorRateText = text
                bloomDefaults.errorRate = v
            }),
            .numeric("initial-size", default: 100, min: 1, max: 1 << 30, stored: bloomDefaults.capacity),
            .numeric("expansion", default: 2, min: 1, max: 32768, stored: bloomDefaults.expansion),
        ]
    }
}

/// The filter at `key`: nil when missing; WRONGTYPE when the key holds something else.
func filter(_ ctx: ModuleContext, _ key: RBytes) throws(ModuleError) -> ScalableBloom? {
    try ctx.value(key, of: BloomType.type) as? ScalableBloom
}

/// Whether argument `i` equals `word`, ignoring case.
func isWord(_ ctx: ModuleContext, _ i: Int, _ word: StaticString) -> Bool { ctx.argument(i).equalsIgnoringCase(word) }

/// The index of the first argument equal to `word` (RedisBloom's RMUtil_ArgIndex, over all arguments), or -1.
func argIndex(_ ctx: ModuleContext, _ word: StaticString) -> Int {
    for i in 0..<ctx.argumentCount where isWord(ctx, i, word) { return i }
    return -1
}

/// BF.RESERVE key error_rate capacity [EXPANSION expansion] [NONSCALING]
func reserve(_ ctx: ModuleContext) throws {
    guard ctx.argumentCount <= 7 else { throw ModuleError.arity("bf.reserve") }
    guard let error = try? ctx.double(2) else { throw ModuleError("ERR bad error rate") }
    guard error > 0 && error < 1 else { throw ModuleError("ERR (0 < error rate range < 1) ") }
    guard let capacity = try? ctx.integer(3) else { throw ModuleError("ERR bad capacity") }
    guard capacity > 0 else { throw ModuleError("ERR (capacity should be larger than 0)") }
    let nonScaling = argIndex(ctx, "NONSCALING") != -1
    var expansion = defaultExpansion
    let at = argIndex(ctx, "EXPANSION")
    if at + 1 == ctx.argumentCount { throw ModuleError("ERR no expansion") }
    if at != -1 {
        if nonScaling { throw ModuleError(verbatim: "Nonscaling filters cannot expand") }
        guard let e = try? ctx.integer(at + 1) else { throw ModuleError("ERR bad expansion") }
        guard e >= 1 else { throw ModuleError("ERR expansion should be greater or equal to 1") }
        expansion = UInt64(e)
    }
    let key = ctx.argument(1)
    if try filter(ctx, key) != nil { throw ModuleError("ERR item exists") }
    guard let f = ScalableBloom(capacity: UInt64(capacity), errorRate: error, expansion: expansion,
                                nonScaling: nonScaling) else {
        throw ModuleError("ERR could not create filter")
    }
    ctx.setValue(key, f, of: BloomType.type)
    ctx.signalModified(key)
    ctx.notify(.generic, "bf.reserve", key)
    ctx.replicateVerbatim()
    ctx.reply.ok()
}

/// The options of BF.ADD / BF.MADD / BF.INSERT.
struct InsertOptions {
    var capacity = defaultCapacity
    var errorRate = defaultErrorRate
    var expansion = defaultExpansion
    var nonScaling = false
    var autocreate = true
    var multi: Bool
}

/// BF.ADD key item / BF.MADD key item [item ...]
func add(_ ctx: ModuleContext) throws {
    let multi = ctx.argument(0).count > 3 && (ctx.argument(0)[3] | 0x20) == UInt8(ascii: "m")
    if !multi && ctx.argumentCount != 3 { throw ModuleError.arity("bf.add") }
    try insertItems(ctx, from: 2, InsertOptions(multi: multi))
}

/// BF.INSERT key [CAPACITY c] [ERROR e] [EXPANSION x] [NOCREATE] [NONSCALING] ITEMS item [item ...]
/// (RedisBloom reads options by their first letter, as here).
func insert(_ ctx: ModuleContext) throws {
    var o = InsertOptions(multi: true)
    var capacity: Int64 = Int64(defaultCapacity), expansion: Int64 = Int64(defaultExpansion)
    var items = -1
    var i = 2
    let n = ctx.argumentCount
    while i < n && items < 0 {
        let word = ctx.argument(i)
        let first = word.count > 0 ? word[0] | 0x20 : 0
        switch first {
        case UInt8(ascii: "i"):
            i += 1
            items = i
        case UInt8(ascii: "e"):
            i += 1
            if i == n { throw ModuleError.arity("bf.insert") }
            if word.count > 1 && word[1] | 0x20 == UInt8(ascii: "r") {
                guard let e = try? ctx.double(i) else { throw ModuleError(verbatim: "Bad error rate") }
                o.errorRate = e
            } else {
                guard let x = try? ctx.integer(i) else { throw ModuleError(verbatim: "Bad expansion") }
                expansion = x
            }
            i += 1
        case UInt8(ascii: "c"):
            i += 1
            if i == n { throw ModuleError.arity("bf.insert") }
            guard let c = try? ctx.integer(i) else { throw ModuleError(verbatim: "Bad capacity") }
            capacity = c
            i += 1
        case UInt8(ascii: "n"):
            if word.count > 2 && word[2] | 0x20 == UInt8(ascii: "c") { o.autocreate = false } else { o.nonScaling = true }
            i += 1
        default:
            throw ModuleError(verbatim: "Unknown argument received")
        }
    }
    if items < 0 || items == n { throw ModuleError.arity("bf.insert") }
    guard o.errorRate > 0, o.errorRate < 1, capacity >= 1, expansion >= 1 else {
        throw ModuleError(verbatim: "Bad argument received")
    }
    o.capacity = UInt64(capacity)
    o.expansion = UInt64(expansion)
    try insertItems(ctx, from: items, o)
}

/// RedisBloom's bfInsertCommon: finds or creates the filter, adds each item, replies 1/0 per item; a full
/// non-scaling filter answers `ERR non scaling filter is full` for that item and stops.
func insertItems(_ ctx: ModuleContext, from first: Int, _ o: InsertOptions) throws {
    let key = ctx.argument(1)
    var created = false
    let f: ScalableBloom
    if let existing = try filter(ctx, key) {
        f = existing
    } else {
        guard o.autocreate else { throw ModuleError("ERR not found") }
        guard let made = ScalableBloom(capacity: o.capacity, errorRate: o.errorRate, expansion: o.expansion,
                                       nonScaling: o.nonScaling) else {
            throw ModuleError("ERR could not create filter")
        }
        ctx.setValue(key, made, of: BloomType.type)
        f = made
        created = true
    }
    var results: [ScalableBloom.AddResult] = []
    var added = 0
    for i in first..<ctx.argumentCount {
        let r = f.add(ctx.argument(i))
        results.append(r)
        if r == .added { added += 1 }
        if r == .full || r == .cannotGrow { break }
    }
    if created || added > 0 {
        ctx.signalModified(key, changes: Int64(max(added, 1)))
        if created { ctx.notify(.generic, "bf.reserve", key) }
        if added > 0 { ctx.notify(.generic, "bf.add", key) }
        ctx.replicateVerbatim()
    }
    let reply = ctx.reply
    if o.multi { reply.array(results.count) }
    for r in results {
        switch r {
        case .added: reply.integer(1)
        case .present: reply.integer(0)
        case .full: reply.error("ERR non scaling filter is full")
        case .cannotGrow: reply.error("ERR could not create filter")
        }
    }
}

/// BF.EXISTS key item / BF.MEXISTS key item [item ...]: 0 for a missing key (and, as RedisBloom, for a key of
/// another type).
func exists(_ ctx: ModuleContext) throws {
    let multi = ctx.argument(0).count > 3 && (ctx.argument(0)[3] | 0x20) == UInt8(ascii: "m")
    if !multi && ctx.argumentCount != 3 { throw ModuleError.arity("bf.exists") }
    let f = try? filter(ctx, ctx.argument(1))
    let reply = ctx.reply
    if multi { reply.array(ctx.argumentCount - 2) }
    for i in 2..<ctx.argumentCount {
        reply.integer(f?.contains(ctx.argument(i)) == true ? 1 : 0)
    }
}

/// BF.INFO key [CAPACITY | SIZE | FILTERS | ITEMS | EXPANSION]
func info(_ ctx: ModuleContext) throws {
    guard ctx.argumentCount <= 3 else { throw ModuleError.arity("bf.info") }
    guard let f = try filter(ctx, ctx.argument(1)) else { throw ModuleError("ERR not found") }
    let reply = ctx.reply
    func expansion() { if f.nonScaling { reply.null() } else { reply.integer(Int64(f.expansion)) } }
    if ctx.argumentCount == 3 {
        let fields: [(StaticString, () -> Void)] = [
            ("capacity", { reply.integer(Int64(f.capacity)) }),
            ("size", { reply.integer(Int64(f.memoryUsage)) }),
            ("filters", { reply.integer(Int64(f.links.count)) }),
            ("items", { reply.integer(Int64(f.count)) }),
            ("expansion", expansion),
        ]
        guard let field = fields.first(where: { isWord(ctx, 2, $0.0) }) else {
            throw ModuleError(verbatim: "Invalid information value")
        }
        reply.array(1)
        field.1()
        return
    }
    reply.array(10)
    reply.status("Capacity")
    reply.integer(Int64(f.capacity))
    reply.status("Size")
    reply.integer(Int64(f.memoryUsage))
    reply.status("Number of filters")
    reply.integer(Int64(f.links.count))
    reply.status("Number of items inserted")
    reply.integer(Int64(f.count))
    reply.status("Expansion rate")
    expansion()
}

/// BF.CARD key: items added, 0 for a missing key.
func card(_ ctx: ModuleContext) throws {
    ctx.reply.integer(Int64(try filter(ctx, ctx.argument(1))?.count ?? 0))
}

/// BF.SCANDUMP key iterator: `[1, header]` for 0, then `[next, chunk]` per chunk of the bit arrays, `[0, ""]`
/// at the end.
func scandump(_ ctx: ModuleContext) throws {
    guard let f = try filter(ctx, ctx.argument(1)) else { throw ModuleError("ERR not found") }
    guard let iter = try? ctx.integer(2), iter >= 0 else {
        throw ModuleError(verbatim: "Second argument must be numeric")
    }
    let reply = ctx.reply
    reply.array(2)
    if iter == 0 {
        reply.integer(1)
        reply.bulk(RBytes(BloomType.header(f)))
    } else if iter <= Int64(Int.max / 2), let c = BloomType.chunk(f, from: Int(iter) - 1) {
        reply.integer(iter + Int64(c.count))
        reply.bulk(RBytes(c))
    } else {
        reply.integer(0)
        reply.bulk(RBytes())
    }
}

/// BF.LOADCHUNK key iterator data: iterator 1 creates the filter from a header, later ones fill its bits.
func loadchunk(_ ctx: ModuleContext) throws {
    guard let iter = try? ctx.integer(2), iter >= 1 else {
        throw ModuleError("ERR Second argument must be numeric")
    }
    let key = ctx.argument(1)
    let data = ctx.argument(3)
    let existing = try filter(ctx, key)
    if iter == 1 {
        guard existing == nil else { throw ModuleError("ERR item exists") }
        guard let f = BloomType.fromHeader(data) else { throw ModuleError("ERR received bad data") }
        ctx.setValue(key, f, of: BloomType.type)
    } else {
        guard let f = existing else { throw ModuleError("ERR not found") }
        let start = iter - 1 - Int64(data.count)
        guard start >= 0, start <= Int64(Int.max / 2), BloomType.write(f, data.array, at: Int(start)) else {
            throw ModuleError("ERR invalid offset - no link found")
        }
    }
    ctx.signalModified(key)
    ctx.notify(.generic, "bf.loadchunk", key)
    ctx.replicateVerbatim()
    ctx.reply.ok()
}
