import Kernel

// SINTER (and SMEMBERS), SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE.

extension SetCommands {
    /// Looks up every key as a set, missing keys as nil. Every key is checked for its type (a missing key
    /// does not stop the scan): nil after replying WRONGTYPE.
    static func lookupSets(_ c: Client, _ keys: ArraySlice<RBytes>) -> [SetObject?]? {
        var sets: [SetObject?] = []
        sets.reserveCapacity(keys.count)
        for key in keys {
            switch lookup(c, key) {
            case .missing: sets.append(nil)
            case .wrongType:
                c.error(Errors.wrongType)
                return nil
            case .found(let s): sets.append(s)
            }
        }
        return sets
    }

    /// A fresh set holding every member of `sets`, built as Redis builds its temporary result (starting as an
    /// intset), so it has the same encoding and iteration order.
    static func union(_ sets: [SetObject?], _ c: Client) -> SetObject {
        let result = SetObject()
        for case let set? in sets {
            set.forEach { insert(c, result, $0) }
        }
        return result
    }

    /// Stores a computed set at `destination` (or deletes it when the result is empty) and replies its size.
    static func store(_ c: Client, _ result: SetObject, at destination: RBytes, event: StaticString) {
        c.reply.integer(result.count)
        if result.count > 0 {
            c.db.set(destination, .object(result))
            c.server.keyModified(c.db, destination)
            c.server.notify(.set, event, destination, db: c.db.id)
        } else if c.db.delete(destination) {
            c.server.keyModified(c.db, destination)
            c.server.notify(.generic, "del", destination, db: c.db.id)
        }
    }

    // MARK: - Intersection

    /// What an intersection produces: a reply, a cardinality (up to a limit, 0 = none) or a stored set.
    enum InterMode {
        case reply
        case cardinality(limit: Int64)
        case store(RBytes)
    }

    /// Redis's `sinterGenericCommand`: iterates the smallest set (the first given, among equals) and keeps the
    /// members every other set holds, so an intset smallest set yields ascending order.
    static func intersect(_ c: Client, _ keys: ArraySlice<RBytes>, _ mode: InterMode) {
        guard let found = lookupSets(c, keys) else { return }
        let sets = found.compactMap { $0 }
        if sets.count < found.count {
            switch mode {
            case .reply: c.reply.setHeader(0)
            case .cardinality: c.reply.integer(0)
            case .store(let destination): store(c, SetObject(), at: destination, event: "sinterstore")
            }
            return
        }
        let order = sets.indices.sorted { (sets[$0].count, $0) < (sets[$1].count, $1) }
        let smallest = sets[order[0]]
        let others = order.dropFirst().map { sets[$0] }.filter { $0 !== smallest }
        var members: [RBytes] = []
        var cardinality: Int64 = 0
        var limit: Int64 = 0
        if case .cardinality(let l) = mode { limit = l }
        smallest.forEach { member in
            if limit > 0 && cardinality >= limit { return }
            for other in others where !other.contains(member) { return }
            cardinality += 1
            if case .cardinality = mode { return }
            members.append(member)
        }
        switch mode {
        case .reply:
            c.reply.setHeader(members.count)
            for m in members { c.reply.bulk(m) }
        case .cardinality:
            c.reply.integer(cardinality)
        case .store(let destination):
            let result = SetObject()
            for m in members { insert(c, result, m) }
            store(c, result, at: destination, event: "sinterstore")
        }
    }

    /// SINTER key [key ...] (also SMEMBERS key)
    static func sinter(_ c: Client) {
        intersect(c, c.argv[1...], .reply)
    }

    /// SINTERSTORE destination key [key ...]
    static func sinterstore(_ c: Client) {
        intersect(c, c.argv[2...], .store(c.argv[1]))
    }

    /// SINTERCARD numkeys key [key ...] [LIMIT limit]
    static func sintercard(_ c: Client) {
        guard let numkeys = Numbers.parseInt64(c.argv[1]), numkeys >= 1 else {
            c.error("ERR numkeys should be greater than 0")
            return
        }
        guard numkeys <= c.argv.count - 2 else {
            c.error("ERR Number of keys can't be greater than number of args")
            return
        }
        let keysEnd = 2 + Int(numkeys)
        var limit: Int64 = 0
        var i = keysEnd
        while i < c.argv.count {
            guard c.argv[i].equalsIgnoringCase("LIMIT") && i + 1 < c.argv.count else {
                c.error(Errors.syntax)
                return
            }
            guard let l = Numbers.parseInt64(c.argv[i + 1]), l >= 0 else {
                c.error("ERR LIMIT can't be negative")
                return
            }
            limit = l
            i += 2
        }
        intersect(c, c.argv[2..<keysEnd], .cardinality(limit: limit))
    }

    // MARK: - Union and difference

    /// Redis's `sunionDiffGenericCommand` for SDIFF: the first set minus the others, computed with the
    /// algorithm Redis would pick, since that decides the result's encoding (and so its order).
    static func difference(_ sets: [SetObject?], _ c: Client) -> SetObject {
        let result = SetObject()
        guard let first = sets[0] else { return result }
        if sets.dropFirst().contains(where: { $0 === first }) { return result }
        var oneWork = 0, twoWork = 0
        for case let set? in sets {
            oneWork += first.count
            twoWork += set.count
        }
        let others = sets.dropFirst().compactMap { $0 }
        if oneWork / 2 <= twoWork {
            // Algorithm 1: keep each member of the first set that no other set has.
            first.forEach { member in
                if !others.contains(where: { $0.contains(member) }) { insert(c, result, member) }
            }
        } else {
            // Algorithm 2: add the first set, remove the others' members, stop once empty.
            first.forEach { insert(c, result, $0) }
            for set in others where result.count > 0 {
                set.forEach { result.remove($0) }
            }
        }
        return result
    }

    /// SUNION key [key ...]
    static func sunion(_ c: Client) {
        guard let sets = lookupSets(c, c.argv[1...]) else { return }
        replyMembers(c, union(sets, c))
    }

    /// SUNIONSTORE destination key [key ...]
    static func sunionstore(_ c: Client) {
        guard let sets = lookupSets(c, c.argv[2...]) else { return }
        store(c, union(sets, c), at: c.argv[1], event: "sunionstore")
    }

    /// SDIFF key [key ...]
    static func sdiff(_ c: Client) {
        guard let sets = lookupSets(c, c.argv[1...]) else { return }
        replyMembers(c, difference(sets, c))
    }

    /// SDIFFSTORE destination key [key ...]
    static func sdiffstore(_ c: Client) {
        guard let sets = lookupSets(c, c.argv[2...]) else { return }
        store(c, difference(sets, c), at: c.argv[1], event: "sdiffstore")
    }
}
