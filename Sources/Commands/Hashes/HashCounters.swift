import Kernel

// HINCRBY, HINCRBYFLOAT.

extension HashCommands {
    /// HINCRBY key field increment
    static func hincrby(_ c: Client) {
        guard let increment = Numbers.parseInt64(c.argv[3]) else {
            c.error(Errors.notInteger)
            return
        }
        let key = c.argv[1], field = c.argv[2]
        guard let hash = hashForWriting(c, key) else { return }
        var current: Int64 = 0
        if let old = hash.get(field) {
            guard let v = Numbers.parseInt64(old) else {
                c.error("ERR hash value is not an integer")
                return
            }
            current = v
        }
        let (result, overflow) = current.addingReportingOverflow(increment)
        guard !overflow else {
            c.error(Errors.overflow)
            return
        }
        store(c, hash, field, Numbers.format(result))
        c.reply.integer(result)
        c.server.keyModified(c.db, key)
        c.server.notify(.hash, "hincrby", key, db: c.db.id)
    }

    /// HINCRBYFLOAT key field increment
    static func hincrbyfloat(_ c: Client) {
        guard let increment = Numbers.parseLongDouble(c.argv[3]) else {
            c.error(Errors.notFloat)
            return
        }
        guard increment.isFinite else {
            c.error("ERR value is NaN or Infinity")
            return
        }
        let key = c.argv[1], field = c.argv[2]
        guard let hash = hashForWriting(c, key) else { return }
        var current: Numbers.LongDouble = 0
        if let old = hash.get(field) {
            guard let v = Numbers.parseLongDouble(old) else {
                c.error("ERR hash value is not a float")
                return
            }
            current = v
        }
        let result = current + increment
        guard result.isFinite else {
            c.error("ERR increment would produce NaN or Infinity")
            return
        }
        let text = Numbers.formatHuman(result)
        store(c, hash, field, text)
        c.reply.bulk(text)
        c.server.keyModified(c.db, key)
        c.server.notify(.hash, "hincrbyfloat", key, db: c.db.id)
        // Replicas must not redo floating point math: propagate the result.
        c.propagateInstead([["HSET", key, field, text]])
    }
}
