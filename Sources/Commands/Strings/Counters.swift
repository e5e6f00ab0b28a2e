import Kernel

// INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT.

/// The shared body of the integer counters (Redis's incrDecrCommand).
private func incrDecr(_ c: Client, by delta: Int64) {
    let key = c.argv[1]
    let db = c.db
    var current: Int64 = 0
    let slot = db.slot(key)
    if let slot {
        guard case .string(let s) = db.value(at: slot) else {
            c.error(Errors.wrongType)
            return
        }
        guard let v = Numbers.parseInt64(s) else {
            c.error(Errors.notInteger)
            return
        }
        current = v
    }
    let (result, overflow) = current.addingReportingOverflow(delta)
    if overflow {
        c.error(Errors.overflow)
        return
    }
    let value = Value.string(Numbers.format(result))
    if let slot { db.replaceValue(at: slot, with: value) } else { db.add(key, value) }
    let server = c.server
    server.keyModified(db, key)
    server.notify(.string, "incrby", key, db: db.id)
    c.reply.integer(result)
}

/// INCR key
func incr(_ c: Client) { incrDecr(c, by: 1) }

/// DECR key
func decr(_ c: Client) { incrDecr(c, by: -1) }

/// INCRBY key increment
func incrby(_ c: Client) {
    guard let n = Numbers.parseInt64(c.argv[2]) else {
        c.error(Errors.notInteger)
        return
    }
    incrDecr(c, by: n)
}

/// DECRBY key decrement
func decrby(_ c: Client) {
    guard let n = Numbers.parseInt64(c.argv[2]) else {
        c.error(Errors.notInteger)
        return
    }
    guard n != Int64.min else {
        c.error("ERR decrement would overflow")
        return
    }
    incrDecr(c, by: -n)
}

/// INCRBYFLOAT key increment
func incrbyfloat(_ c: Client) {
    let key = c.argv[1]
    var current: Numbers.LongDouble = 0
    let slot = c.db.slot(key)
    if let slot {
        guard case .string(let s) = c.db.value(at: slot) else {
            c.error(Errors.wrongType)
            return
        }
        guard let v = Numbers.parseLongDouble(s) else {
            c.error(Errors.notFloat)
            return
        }
        current = v
    }
    guard let incr = Numbers.parseLongDouble(c.argv[2]) else {
        c.error(Errors.notFloat)
        return
    }
    let result = current + incr
    guard result.isFinite else {
        c.error("ERR increment would produce NaN or Infinity")
        return
    }
    let text = Numbers.formatHuman(result)
    if let slot { c.db.replaceValue(at: slot, with: .string(text)) } else { c.db.add(key, .string(text)) }
    if let s = c.db.slot(key, touch: false) { c.db.markNotIntEncoded(at: s) }
    c.server.keyModified(c.db, key)
    c.server.notify(.string, "incrbyfloat", key, db: c.db.id)
    c.reply.bulk(text)
    // Replicas must not redo floating point math: propagate the result.
    c.propagateInstead([["SET", key, text, "KEEPTTL"]])
}
