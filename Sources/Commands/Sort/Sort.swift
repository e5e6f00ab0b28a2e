import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// SORT and SORT_RO: sort the elements of a list, set or sorted set, optionally by external keys, with GET
/// projections and STORE.
public struct SortCommands: CommandModule {
    public init() {}
    public let family = "generic"

    public var commands: [CommandSpec] {
        [
            CommandSpec("sort", arity: -2, flags: [.write, .denyoom], keys: .single,
                        categories: [.set, .sortedset, .list, .dangerous],
                        summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
                        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
                        keyFinder: sortKeys, handler: { c in sort(c, readonly: false) }),
            CommandSpec("sort_ro", arity: -2, flags: [.readonly], keys: .single,
                        categories: [.set, .sortedset, .list, .dangerous],
                        summary: "Returns the sorted elements of a list, a set, or a sorted set.", since: "7.0.0",
                        complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
                        handler: { c in sort(c, readonly: true) }),
        ]
    }
}

/// SORT's keys: the sorted key and the STORE destination (Redis's sortGetKeys).
func sortKeys(_ argv: [RBytes]) -> [Int] {
    var keys = [1]
    var i = 2
    while i < argv.count {
        let skip: Int
        if argv[i].equalsIgnoringCase("LIMIT") {
            skip = 2
        } else if argv[i].equalsIgnoringCase("GET") || argv[i].equalsIgnoringCase("BY") {
            skip = 1
        } else if argv[i].equalsIgnoringCase("STORE") {
            if i + 1 < argv.count { keys = [1, i + 1] }
            skip = 1
        } else {
            skip = 0
        }
        i += skip + 1
    }
    return keys
}

/// One element being sorted, with what it sorts by.
private struct SortItem {
    let element: RBytes
    var score: Double = 0
    var compareBy: RBytes?
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]
func sort(_ c: Client, readonly: Bool) {
    let argv = c.argv
    var desc = false, alpha = false, dontSort = false
    var limitStart: Int64 = 0, limitCount: Int64 = -1
    var storeKey: RBytes?
    var sortBy: RBytes?
    var getPatterns: [RBytes] = []
    var j = 2
    while j < argv.count {
        let left = argv.count - j - 1
        let opt = argv[j]
        if opt.equalsIgnoringCase("ASC") {
            desc = false
        } else if opt.equalsIgnoringCase("DESC") {
            desc = true
        } else if opt.equalsIgnoringCase("ALPHA") {
            alpha = true
        } else if opt.equalsIgnoringCase("LIMIT") && left >= 2 {
            guard let s = Numbers.parseInt64(argv[j + 1]), let n = Numbers.parseInt64(argv[j + 2]) else {
                c.error(Errors.notInteger)
                return
            }
            limitStart = s
            limitCount = n
            j += 2
        } else if !readonly && opt.equalsIgnoringCase("STORE") && left >= 1 {
            storeKey = argv[j + 1]
            j += 1
        } else if opt.equalsIgnoringCase("BY") && left >= 1 {
            sortBy = argv[j + 1]
            // A pattern without '*' is constant: nothing to sort by.
            if !argv[j + 1].cString.contains(UInt8(ascii: "*")) { dontSort = true }
            j += 1
        } else if opt.equalsIgnoringCase("GET") && left >= 1 {
            getPatterns.append(argv[j + 1])
            j += 1
        } else {
            c.error(Errors.syntax)
            return
        }
        j += 1
    }

    // The elements, in their native order.
    var elements: [RBytes] = []
    var kind = "list"
    switch c.db.get(argv[1]) {
    case nil:
        break
    case .string?, .packed?:  // (`get` hands collections out as objects: never `.packed`)
        c.error(Errors.wrongType)
        return
    case .object(let o)?:
        if let list = o as? ListObject {
            elements = Array(list)
        } else if let set = o as? SetObject {
            kind = "set"
            elements = set.members
        } else if let zset = o as? SortedSetObject {
            kind = "zset"
            // Like Redis, SORT converts a listpack sorted set to its skiplist form.
            if zset.isListpack { zset.convertToSkiplist() }
            zset.forEach(in: 0..<zset.count) { m, _ in elements.append(m) }
        } else {
            c.error(Errors.wrongType)
            return
        }
    }
    // Sets have no stable order: sort them when the result is stored (so replicas agree), as Redis does.
    if dontSort && kind == "set" && storeKey != nil {
        dontSort = false
        alpha = true
        sortBy = nil
    }

    let count = Int64(elements.count)
    var start = min(max(limitStart, 0), count)
    let limited = min(max(limitCount, -1), count)
    var end = limited < 0 ? count - 1 : start + limited - 1
    if start >= count {
        start = count - 1
        end = count - 2
    }
    if end >= count { end = count - 1 }

    var items: [SortItem]
    if dontSort {
        // Native order (reversed for DESC on ordered types), only the LIMIT window.
        var ordered = elements
        if desc && kind != "set" { ordered.reverse() }
        items = ordered.map { SortItem(element: $0) }
    } else {
        items = elements.map { SortItem(element: $0) }
        var conversionError = false
        for i in items.indices {
            let by: RBytes
            if let pattern = sortBy {
                guard let v = lookupByPattern(c, pattern, items[i].element) else { continue }
                by = v
            } else {
                by = items[i].element
            }
            if alpha {
                if sortBy != nil { items[i].compareBy = by }
            } else if let d = sortScore(by) {
                items[i].score = d
            } else {
                conversionError = true
            }
        }
        if conversionError {
            c.error("ERR One or more scores can't be converted into double")
            return
        }
        let byPattern = sortBy != nil
        items.sort { a, b in
            var cmp: Int
            if !alpha {
                if a.score > b.score { cmp = 1 } else if a.score < b.score { cmp = -1 } else {
                    cmp = RBytes.compare(a.element, b.element)
                }
            } else if byPattern {
                switch (a.compareBy, b.compareBy) {
                case (nil, nil): cmp = 0
                case (nil, _): cmp = -1
                case (_, nil): cmp = 1
                case let (x?, y?): cmp = RBytes.compare(x, y)
                }
            } else {
                cmp = RBytes.compare(a.element, b.element)
            }
            return desc ? cmp > 0 : cmp < 0
        }
    }

    let window = start <= end ? Array(items[Int(start)...Int(end)]) : []
    let outputLength = getPatterns.isEmpty ? window.count : window.count * getPatterns.count
    guard let dest = storeKey else {
        c.reply.arrayHeader(outputLength)
        for item in window {
            if getPatterns.isEmpty { c.reply.bulk(item.element) }
            for p in getPatterns {
                if let v = lookupByPattern(c, p, item.element) { c.reply.bulk(v) } else { c.reply.null() }
            }
        }
        return
    }
    var stored: [RBytes] = []
    stored.reserveCapacity(outputLength)
    for item in window {
        if getPatterns.isEmpty { stored.append(item.element) }
        for p in getPatterns { stored.append(lookupByPattern(c, p, item.element) ?? RBytes()) }
    }
    if outputLength > 0 {
        c.db.set(dest, .object(ListObject(stored)))
        c.server.keyModified(c.db, dest, changes: Int64(outputLength))
        c.server.notify(.list, "sortstore", dest, db: c.db.id)
        c.server.signalKeyAsReady(c.db, dest)
    } else if c.db.delete(dest) {
        c.server.keyModified(c.db, dest)
        c.server.notify(.generic, "del", dest, db: c.db.id)
    }
    c.reply.integer(outputLength)
}

/// A numeric sort weight as Redis reads it with `strtod`: leading spaces allowed, nothing after the number.
private func sortScore(_ b: RBytes) -> Double? {
    let bytes = b.cString
    var buf = bytes.map { CChar(bitPattern: $0) }
    buf.append(0)
    return buf.withUnsafeBufferPointer { p -> Double? in
        var end: UnsafeMutablePointer<CChar>? = nil
        errno = 0
        let v = strtod(p.baseAddress!, &end)
        guard let e = end, e.pointee == 0, errno != ERANGE, !v.isNaN else { return nil }
        return v
    }
}

/// Redis's lookupKeyByPattern: `#` is the element itself; otherwise the first `*` is replaced by the element and
/// the key read as a string, or as a hash field after `->`.
private func lookupByPattern(_ c: Client, _ pattern: RBytes, _ element: RBytes) -> RBytes? {
    let pat = pattern.cString
    if pat == [UInt8(ascii: "#")] { return element }
    guard let star = pat.firstIndex(of: UInt8(ascii: "*")) else { return nil }
    var fieldStart: Int?
    var k = star + 1
    while k + 1 < pat.count {
        if pat[k] == UInt8(ascii: "-") && pat[k + 1] == UInt8(ascii: ">") {
            if k + 2 < pat.count { fieldStart = k + 2 }
            break
        }
        k += 1
    }
    let postfixEnd = fieldStart.map { $0 - 2 } ?? pat.count
    var key = Array(pat[..<star])
    element.withUnsafeBytes { key.append(contentsOf: $0) }
    key.append(contentsOf: pat[(star + 1)..<postfixEnd])
    guard let value = c.db.get(RBytes(key)) else { return nil }
    if let f = fieldStart {
        guard case .object(let o) = value, let hash = o as? HashObject else { return nil }
        return hash.get(RBytes(Array(pat[f...])))
    }
    guard case .string(let s) = value else { return nil }
    return s
}

extension RBytes {
    /// The bytes up to the first NUL, as C string functions see them.
    var cString: [UInt8] {
        withUnsafeBytes { p in Array(p.prefix { $0 != 0 }) }
    }
}
