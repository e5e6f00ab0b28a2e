import Kernel

// MARK: - Push

extension ListCommands {
    /// LPUSH key element [element ...]
    static func lpush(_ c: Client) { pushElements(c, .head, onlyIfExists: false) }

    /// RPUSH key element [element ...]
    static func rpush(_ c: Client) { pushElements(c, .tail, onlyIfExists: false) }

    /// LPUSHX key element [element ...]
    static func lpushx(_ c: Client) { pushElements(c, .head, onlyIfExists: true) }

    /// RPUSHX key element [element ...]
    static func rpushx(_ c: Client) { pushElements(c, .tail, onlyIfExists: true) }

    /// The four pushes (Redis's pushGenericCommand): replies the new length.
    static func pushElements(_ c: Client, _ end: ListEnd, onlyIfExists: Bool) {
        let key = c.argv[1]
        let list: ListObject
        switch c.lookupList(key) {
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let l):
            list = l
        case .missing:
            if onlyIfExists {
                c.reply.integer(0)
                return
            }
            list = ListObject()
            c.db.add(key, .object(list))
        }
        if end == .head { list.pushFront(contentsOf: c.argv[2...]) } else { list.pushBack(contentsOf: c.argv[2...]) }
        c.reply.integer(list.count)
        let db = c.db  // read once: each read of the property is a retain and a release
        c.server.keyModified(db, key, changes: Int64(c.argv.count - 2))
        c.server.notify(.list, end == .head ? "lpush" : "rpush", key, db: db.id)
        c.server.signalKeyAsReady(db, key)
    }
}

// MARK: - Pop

extension ListCommands {
    /// LPOP key [count]
    static func lpop(_ c: Client) { popElements(c, .head) }

    /// RPOP key [count]
    static func rpop(_ c: Client) { popElements(c, .tail) }

    /// LPOP/RPOP (Redis 7.0's popGenericCommand): without a count, one bulk string (nil for a missing key);
    /// with one, an array (a nil array for a missing key, an empty array for a count of 0).
    static func popElements(_ c: Client, _ end: ListEnd) {
        let argv = c.argv
        if argv.count > 3 {
            c.error(Errors.arity(c.command?.fullName ?? (end == .head ? "lpop" : "rpop")))
            return
        }
        let hasCount = argv.count == 3
        var count: Int64 = 0
        if hasCount {
            guard let n = parseCount(c, argv[2], min: 0, message: "value is out of range, must be positive") else {
                return
            }
            count = n
        }
        let key = argv[1]
        let list: ListObject
        switch c.lookupList(key) {
        case .missing:
            if hasCount { c.reply.nullArray() } else { c.reply.null() }
            return
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let l):
            list = l
        }
        if !hasCount {
            c.reply.bulk(pop(list, end))
            elementsRemoved(c, key, list, end, count: 1)
        } else if count == 0 {
            c.reply.arrayHeader(0)
        } else {
            let n = popRange(c, list, end, count: count)
            elementsRemoved(c, key, list, end, count: n)
        }
    }
}

// MARK: - LMPOP

extension ListCommands {
    /// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
    static func lmpop(_ c: Client) {
        guard let args = parseMultiPop(c, numkeysIndex: 1) else { return }
        multiPop(c, args)
    }

    /// Pops from the first non-empty list among `args.keys`; replies a nil array when there is none.
    static func multiPop(_ c: Client, _ args: MultiPopArguments) {
        for key in args.keys {
            switch c.lookupList(key) {
            case .missing:
                continue
            case .wrongType:
                c.error(Errors.wrongType)
                return
            case .found(let list):
                popRangeWithKey(c, key, list, args.end, count: args.count)
                return
            }
        }
        c.reply.nullArray()
    }
}

// MARK: - Moves

extension ListCommands {
    /// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
    static func lmove(_ c: Client) {
        guard let from = parseEnd(c, c.argv[3]), let to = parseEnd(c, c.argv[4]) else { return }
        move(c, from: from, to: to)
    }

    /// RPOPLPUSH source destination
    static func rpoplpush(_ c: Client) {
        move(c, from: .tail, to: .head)
    }

    /// Moves one element from `argv[1]`'s `from` end to `argv[2]`'s `to` end (Redis's lmoveGenericCommand) and
    /// replies it; a missing source replies nil. Returns whether an element moved.
    @discardableResult
    static func move(_ c: Client, from: ListEnd, to: ListEnd) -> Bool {
        let sourceKey = c.argv[1], destinationKey = c.argv[2]
        let source: ListObject
        switch c.lookupList(sourceKey) {
        case .missing:
            c.reply.null()
            return false
        case .wrongType:
            c.error(Errors.wrongType)
            return false
        case .found(let l):
            source = l
        }
        var destination: ListObject?
        if destinationKey == sourceKey {
            destination = source
        } else {
            switch c.lookupList(destinationKey) {
            case .wrongType:
                c.error(Errors.wrongType)
                return false
            case .found(let l): destination = l
            case .missing: destination = nil
            }
        }
        let element = pop(source, from)
        let target: ListObject
        if let destination {
            target = destination
        } else {
            target = ListObject()
            c.db.add(destinationKey, .object(target))
        }
        c.server.keyModified(c.db, destinationKey, changes: 0)
        push(target, element, to)
        c.server.notify(.list, to == .head ? "lpush" : "rpush", destinationKey, db: c.db.id)
        c.server.signalKeyAsReady(c.db, destinationKey)
        c.reply.bulk(element)

        c.server.notify(.list, from == .head ? "lpop" : "rpop", sourceKey, db: c.db.id)
        if source.isEmpty {
            c.db.delete(sourceKey)
            c.server.notify(.generic, "del", sourceKey, db: c.db.id)
        }
        c.server.keyModified(c.db, sourceKey)
        return true
    }
}
