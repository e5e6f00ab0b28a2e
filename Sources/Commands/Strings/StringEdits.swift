import Kernel

// APPEND, STRLEN, SETRANGE, GETRANGE: commands that read or edit part of a string.

/// Redis's checkStringLength: the result must fit in proto-max-bulk-len.
private func checkStringLength(_ c: Client, _ size: Int, _ append: Int) -> Bool {
    let (total, overflow) = size.addingReportingOverflow(append)
    if overflow || Int64(total) > c.server.config.protoMaxBulkLen {
        c.error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
        return false
    }
    return true
}

/// APPEND key value
func append(_ c: Client) {
    let key = c.argv[1], suffix = c.argv[2]
    guard let slot = c.db.slot(key) else {
        c.db.add(key, .string(suffix))
        finishEdit(c, key, event: "append", length: suffix.count)
        return
    }
    guard case .string(let current) = c.db.value(at: slot) else {
        c.error(Errors.wrongType)
        return
    }
    guard checkStringLength(c, current.count, suffix.count) else { return }
    // Take the bytes out of the table so the append mutates a uniquely referenced buffer.
    _ = c.db.takeValue(at: slot)
    var bytes = current.array
    suffix.withUnsafeBytes { bytes.append(contentsOf: $0) }
    c.db.replaceValue(at: slot, with: .string(RBytes(bytes)))
    c.db.markRawString(at: slot)
    finishEdit(c, key, event: "append", length: bytes.count)
}

private func finishEdit(_ c: Client, _ key: RBytes, event: StaticString, length: Int) {
    c.server.keyModified(c.db, key)
    c.server.notify(.string, event, key, db: c.db.id)
    c.reply.integer(length)
}

/// STRLEN key
func strlen(_ c: Client) {
    switch c.lookupString(c.argv[1]) {
    case .missing: c.reply.integer(0)
    case .found(let s): c.reply.integer(s.count)
    case .wrongType: c.error(Errors.wrongType)
    }
}

/// SETRANGE key offset value
func setrange(_ c: Client) {
    let key = c.argv[1], value = c.argv[3]
    guard let off64 = Numbers.parseInt64(c.argv[2]) else {
        c.error(Errors.notInteger)
        return
    }
    guard off64 >= 0 else {
        c.error("ERR offset is out of range")
        return
    }
    let offset = Int(off64)
    guard let slot = c.db.slot(key) else {
        if value.isEmpty {
            c.reply.integer(0)
            return
        }
        guard checkStringLength(c, offset, value.count) else { return }
        var bytes = [UInt8](repeating: 0, count: offset + value.count)
        value.withUnsafeBytes { p in for i in 0..<p.count { bytes[offset + i] = p[i] } }
        c.db.add(key, .string(RBytes(bytes)))
        if let s = c.db.slot(key, touch: false) { c.db.markRawString(at: s) }
        finishEdit(c, key, event: "setrange", length: bytes.count)
        return
    }
    guard case .string(let current) = c.db.value(at: slot) else {
        c.error(Errors.wrongType)
        return
    }
    if value.isEmpty {
        c.reply.integer(current.count)
        return
    }
    guard checkStringLength(c, offset, value.count) else { return }
    _ = c.db.takeValue(at: slot)
    var bytes = current.array
    if bytes.count < offset + value.count { bytes.append(contentsOf: repeatElement(0, count: offset + value.count - bytes.count)) }
    value.withUnsafeBytes { p in for i in 0..<p.count { bytes[offset + i] = p[i] } }
    c.db.replaceValue(at: slot, with: .string(RBytes(bytes)))
    c.db.markRawString(at: slot)
    finishEdit(c, key, event: "setrange", length: bytes.count)
}

/// GETRANGE key start end (also SUBSTR)
func getrange(_ c: Client) {
    guard var start = Numbers.parseInt64(c.argv[2]), var end = Numbers.parseInt64(c.argv[3]) else {
        c.error(Errors.notInteger)
        return
    }
    let s: RBytes
    switch c.lookupString(c.argv[1]) {
    case .missing:
        c.reply.bulk(RBytes())
        return
    case .wrongType:
        c.error(Errors.wrongType)
        return
    case .found(let v): s = v
    }
    let len = Int64(s.count)
    if start < 0 && end < 0 && start > end {
        c.reply.bulk(RBytes())
        return
    }
    if start < 0 { start = len + start }
    if end < 0 { end = len + end }
    if start < 0 { start = 0 }
    if end < 0 { end = 0 }
    if end >= len { end = len - 1 }
    if start > end || len == 0 {
        c.reply.bulk(RBytes())
        return
    }
    s.withUnsafeBytes { p in
        c.reply.bulk(bytes: UnsafeRawBufferPointer(rebasing: p[Int(start)...Int(end)]))
    }
}
