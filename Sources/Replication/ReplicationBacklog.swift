/// Redis's replication backlog: the last `capacity` bytes of the replication stream, addressed by master offset,
/// so a replica that reconnects with `PSYNC replid offset` can be sent only what it missed (`+CONTINUE`).
///
/// Offsets follow Redis: the stream's bytes are numbered from 1; `endOffset` is the offset of the last byte
/// appended (the master offset) and the backlog holds the bytes `firstByteOffset ... endOffset`.
public struct ReplicationBacklog {
    /// Bytes kept at most (`repl-backlog-size`).
    public private(set) var capacity: Int
    /// Ring storage, grown up to `capacity` as bytes arrive (an idle backlog costs nothing).
    private var storage: [UInt8] = []
    /// Where the next byte goes in `storage` once it is full.
    private var head = 0
    /// Bytes held.
    public private(set) var histlen = 0
    /// The master offset of the last byte appended.
    public private(set) var endOffset: Int64

    /// An empty backlog for a stream whose last byte so far had offset `masterOffset`.
    public init(capacity: Int, masterOffset: Int64) {
        self.capacity = max(1, capacity)
        self.endOffset = masterOffset
    }

    /// The offset of the oldest byte held (INFO's `repl_backlog_first_byte_offset`); `endOffset + 1` when empty.
    public var firstByteOffset: Int64 { endOffset - Int64(histlen) + 1 }

    /// Appends stream bytes, dropping the oldest past the capacity.
    public mutating func append(_ bytes: [UInt8]) {
        endOffset += Int64(bytes.count)
        var input = bytes[...]
        if input.count > capacity { input = input.suffix(capacity) }
        // Growth phase: fill the storage linearly.
        if storage.count < capacity {
            let room = capacity - storage.count
            let take = min(room, input.count)
            storage.append(contentsOf: input.prefix(take))
            input = input.dropFirst(take)
            head = storage.count % capacity
        }
        // Ring phase: overwrite from `head`.
        while !input.isEmpty {
            let run = min(capacity - head, input.count)
            storage.replaceSubrange(head..<(head + run), with: input.prefix(run))
            input = input.dropFirst(run)
            head = (head + run) % capacity
        }
        histlen = min(capacity, histlen + bytes.count)
    }

    /// The bytes from `offset` (the first byte a replica wants, its offset + 1) to the end, or nil when the
    /// backlog no longer (or not yet) holds that offset.
    public func bytes(from offset: Int64) -> [UInt8]? {
        guard offset >= firstByteOffset, offset <= endOffset + 1 else { return nil }
        let count = Int(endOffset + 1 - offset)
        if count == 0 { return [] }
        // The oldest byte sits at `head` once full, else at 0.
        let oldest = storage.count < capacity ? 0 : head
        let skip = histlen - count
        var start = (oldest + skip) % storage.count
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var left = count
        while left > 0 {
            let run = min(storage.count - start, left)
            out.append(contentsOf: storage[start..<(start + run)])
            left -= run
            start = (start + run) % storage.count
        }
        return out
    }

    /// Changes the capacity (CONFIG SET repl-backlog-size), keeping the newest bytes that still fit.
    public mutating func resize(_ newCapacity: Int) {
        let keep = bytes(from: firstByteOffset) ?? []
        let end = endOffset
        self = ReplicationBacklog(capacity: newCapacity, masterOffset: end - Int64(keep.count))
        append(keep)
    }
}
