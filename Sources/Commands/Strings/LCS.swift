import Kernel

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]
func lcs(_ c: Client) {
    let argv = c.argv
    let va = c.db.get(argv[1]), vb = c.db.get(argv[2])
    var a = RBytes(), b = RBytes()
    switch (va, vb) {
    case (.object?, _), (_, .object?):
        c.error("ERR The specified keys must contain string values")
        return
    default:
        if case .string(let s)? = va { a = s }
        if case .string(let s)? = vb { b = s }
    }
    var getIdx = false, getLen = false, withMatchLen = false
    var minMatchLen: Int64 = 0
    var j = 3
    while j < argv.count {
        let opt = argv[j]
        let more = argv.count - 1 - j
        if opt.equalsIgnoringCase("IDX") {
            getIdx = true
        } else if opt.equalsIgnoringCase("LEN") {
            getLen = true
        } else if opt.equalsIgnoringCase("WITHMATCHLEN") {
            withMatchLen = true
        } else if opt.equalsIgnoringCase("MINMATCHLEN") && more > 0 {
            guard let n = Numbers.parseInt64(argv[j + 1]) else {
                c.error(Errors.notInteger)
                return
            }
            minMatchLen = max(0, n)
            j += 1
        } else {
            c.error(Errors.syntax)
            return
        }
        j += 1
    }
    if getIdx && getLen {
        c.error("ERR If you want both the length and indexes, please just use IDX.")
        return
    }
    let alen = a.count, blen = b.count
    let cells = (alen + 1).multipliedReportingOverflow(by: blen + 1)
    if cells.overflow || Int64(cells.partialValue) > c.server.config.protoMaxBulkLen / 4 {
        c.error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
        return
    }
    let pa = a.array, pb = b.array
    let width = blen + 1
    var table = [UInt32](repeating: 0, count: cells.partialValue)
    if alen > 0 && blen > 0 {
        for i in 1...alen {
            for k in 1...blen {
                if pa[i - 1] == pb[k - 1] {
                    table[i * width + k] = table[(i - 1) * width + k - 1] + 1
                } else {
                    table[i * width + k] = max(table[(i - 1) * width + k], table[i * width + k - 1])
                }
            }
        }
    }
    let total = Int(table[alen * width + blen])
    if getLen {
        c.reply.integer(total)
        return
    }
    var result = [UInt8](repeating: 0, count: total)
    var matches: [(Int, Int, Int, Int)] = []
    var idx = total, i = alen, k = blen
    // A range is "unset" while aStart == alen.
    var aStart = alen, aEnd = 0, bStart = 0, bEnd = 0
    while i > 0 && k > 0 {
        var emit = false
        if pa[i - 1] == pb[k - 1] {
            result[idx - 1] = pa[i - 1]
            if aStart == alen {
                aStart = i - 1; aEnd = i - 1; bStart = k - 1; bEnd = k - 1
            } else if aStart == i && bStart == k {
                aStart -= 1
                bStart -= 1
            } else {
                emit = true
            }
            if aStart == 0 || bStart == 0 { emit = true }
            idx -= 1; i -= 1; k -= 1
        } else {
            if table[(i - 1) * width + k] > table[i * width + k - 1] { i -= 1 } else { k -= 1 }
            if aStart != alen { emit = true }
        }
        if emit {
            if minMatchLen == 0 || Int64(aEnd - aStart + 1) >= minMatchLen {
                matches.append((aStart, aEnd, bStart, bEnd))
            }
            aStart = alen
        }
    }
    guard getIdx else {
        c.reply.bulk(RBytes(result))
        return
    }
    c.reply.mapHeader(2)
    c.reply.bulk("matches")
    c.reply.arrayHeader(matches.count)
    for m in matches {
        c.reply.arrayHeader(withMatchLen ? 3 : 2)
        c.reply.arrayHeader(2)
        c.reply.integer(m.0)
        c.reply.integer(m.1)
        c.reply.arrayHeader(2)
        c.reply.integer(m.2)
        c.reply.integer(m.3)
        if withMatchLen { c.reply.integer(m.1 - m.0 + 1) }
    }
    c.reply.bulk("len")
    c.reply.integer(total)
}
