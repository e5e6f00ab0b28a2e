/// A sorted set of stream IDs (a pending entries list's order), with binary-search lookups.
public struct StreamIDList {
    public private(set) var ids: [StreamID] = []

    public init() {}

    public var count: Int { ids.count }
    public var isEmpty: Bool { ids.isEmpty }

    /// Index of the first ID >= `id`.
    public func lowerBound(_ id: StreamID) -> Int {
        var lo = 0, hi = ids.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ids[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Inserts `id`; false when present.
    @discardableResult
    public mutating func insert(_ id: StreamID) -> Bool {
        let i = lowerBound(id)
        if i < ids.count && ids[i] == id { return false }
        ids.insert(id, at: i)
        return true
    }

    /// Removes `id`; false when absent.
    @discardableResult
    public mutating func remove(_ id: StreamID) -> Bool {
        let i = lowerBound(id)
        guard i < ids.count && ids[i] == id else { return false }
        ids.remove(at: i)
        return true
    }
}

/// A pending entry (Redis's `streamNACK`): delivered to a consumer and not acknowledged yet.
public final class StreamNACK {
    /// Unix ms of the last delivery.
    public var deliveryTime: Int64
    public var deliveryCount: UInt64
    public var consumer: StreamConsumer

    public init(deliveryTime: Int64, deliveryCount: UInt64, consumer: StreamConsumer) {
        self.deliveryTime = deliveryTime
        self.deliveryCount = deliveryCount
        self.consumer = consumer
    }
}

/// A consumer of a group (Redis 7.0's `streamConsumer`): its name, when it was last seen, its own PEL.
public final class StreamConsumer {
    public let name: RBytes
    public var seenTime: Int64
    public var pel = StreamIDList()

    public init(name: RBytes, seenTime: Int64) {
        self.name = name
        self.seenTime = seenTime
    }
}

/// A consumer group (`streamCG`): last delivered ID, logical read counter, the group PEL and the consumers.
public final class StreamGroup {
    public var lastID: StreamID
    /// Entries read so far, or -1 when unknown (Redis's `SCG_INVALID_ENTRIES_READ`).
    public var entriesRead: Int64
    public var pelOrder = StreamIDList()
    public var pel: [StreamID: StreamNACK] = [:]
    public var consumers: [RBytes: StreamConsumer] = [:]

    public init(lastID: StreamID, entriesRead: Int64) {
        self.lastID = lastID
        self.entriesRead = entriesRead
    }

    /// Consumers in Redis's radix-tree (byte) order.
    public var sortedConsumers: [StreamConsumer] {
        consumers.values.sorted { RBytes.compare($0.name, $1.name) < 0 }
    }

    /// Adds a consumer; nil when it exists.
    public func createConsumer(_ name: RBytes, now: Int64) -> StreamConsumer? {
        if consumers[name] != nil { return nil }
        let c = StreamConsumer(name: name, seenTime: now)
        consumers[name] = c
        return c
    }

    /// Removes a consumer and its pending entries from the group PEL; returns how many it had.
    public func deleteConsumer(_ c: StreamConsumer) -> Int {
        let n = c.pel.count
        for id in c.pel.ids {
            pel[id] = nil
            pelOrder.remove(id)
        }
        consumers[c.name] = nil
        return n
    }

    /// Adds or reassigns a pending entry.
    public func addPending(_ id: StreamID, to consumer: StreamConsumer, time: Int64, count: UInt64) {
        if let old = pel[id] {
            old.consumer.pel.remove(id)
        } else {
            pelOrder.insert(id)
        }
        pel[id] = StreamNACK(deliveryTime: time, deliveryCount: count, consumer: consumer)
        consumer.pel.insert(id)
    }

    /// Drops a pending entry (XACK, a claim of a deleted entry); false when it was not pending.
    @discardableResult
    public func removePending(_ id: StreamID) -> Bool {
        guard let nack = pel.removeValue(forKey: id) else { return false }
        pelOrder.remove(id)
        nack.consumer.pel.remove(id)
        return true
    }

    /// Moves a pending entry to `consumer`.
    public func transfer(_ id: StreamID, _ nack: StreamNACK, to consumer: StreamConsumer) {
        guard nack.consumer !== consumer else { return }
        nack.consumer.pel.remove(id)
        nack.consumer = consumer
        consumer.pel.insert(id)
    }

    /// A deep copy (COPY).
    func copy() -> StreamGroup {
        let g = StreamGroup(lastID: lastID, entriesRead: entriesRead)
        g.pelOrder = pelOrder
        for (name, c) in consumers {
            let nc = StreamConsumer(name: name, seenTime: c.seenTime)
            nc.pel = c.pel
            g.consumers[name] = nc
        }
        for (id, n) in pel {
            g.pel[id] = StreamNACK(deliveryTime: n.deliveryTime, deliveryCount: n.deliveryCount,
                                   consumer: g.consumers[n.consumer.name]!)
        }
        return g
    }
}
