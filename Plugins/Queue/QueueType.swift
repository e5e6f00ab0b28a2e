import RedisModule

/// A FIFO queue of byte strings: the value of the `MQqueue--` data type. Items are kept in an array with a
/// moving head (compacted once half of it is popped), so push and pop are O(1) amortized.
final class MessageQueue: ModuleValue {
    private var items: [RBytes] = []
    private var head = 0
    /// Bytes of the items (MEMORY USAGE).
    private var bytes = 0

    init() {}

    /// The number of items.
    var count: Int { items.count - head }

    /// The items, oldest first.
    var all: ArraySlice<RBytes> { items[head...] }

    /// Appends `item` at the tail.
    func push(_ item: RBytes) {
        items.append(item)
        bytes += item.count
    }

    /// Takes the oldest item, nil when empty.
    func pop() -> RBytes? {
        guard head < items.count else { return nil }
        let item = items[head]
        items[head] = RBytes()
        head += 1
        bytes -= item.count
        if head == items.count {
            items.removeAll(keepingCapacity: items.count <= 1024)
            head = 0
        } else if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    func duplicate() -> ModuleValue {
        let copy = MessageQueue()
        for item in all { copy.push(item) }
        return copy
    }

    var memoryUsage: Int { 48 + items.capacity * MemoryLayout<RBytes>.stride + bytes }

    /// RDB: the count, then each item.
    func save(to io: inout ModuleValueWriter) {
        io.saveUnsigned(UInt64(count))
        for item in all { io.saveString(item.array) }
    }

    /// AOF rewrite: MQ.PUSH with up to 64 items each.
    func rewrite(key: RBytes, into aof: inout ModuleValueRewriter) {
        var batch: [RBytes] = ["MQ.PUSH", key]
        for item in all {
            batch.append(item)
            if batch.count == 66 {
                aof.emit(batch)
                batch.removeLast(64)
            }
        }
        if batch.count > 2 { aof.emit(batch) }
    }

    /// DEBUG DIGEST: the items in order, one sequence.
    func digest(into d: inout ModuleValueDigest) {
        for item in all { d.add(item) }
        d.endSequence()
    }
}

/// The `MQqueue--` type (encoding version 0).
enum QueueType {
    /// The data type, registered by `QueueModule`.
    static let type = ModuleDataType(name: "MQqueue--", encodingVersion: 0, load: load)

    struct Corrupt: Error {}

    /// RDB load: a count, then that many strings (a count larger than the payload fails on the missing strings).
    static func load(_ io: inout ModuleValueReader, _ encver: Int) throws -> ModuleValue {
        guard encver == 0 else { throw Corrupt() }
        let n = try io.loadUnsigned()
        let q = MessageQueue()
        var i: UInt64 = 0
        while i < n {
            q.push(RBytes(try io.loadString()))
            i += 1
        }
        guard q.count > 0 else { throw Corrupt() }
        return q
    }
}
