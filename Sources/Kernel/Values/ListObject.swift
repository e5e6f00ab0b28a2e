/// A list value (Redis's quicklist): a ring buffer of elements, so pushes and pops at both ends and access by
/// index are O(1); inserting or removing in the middle moves the shorter side, O(n).
///
/// Redis 7.0 reports every list's encoding as `quicklist`. Indexes are 0-based from the head; callers resolve
/// negative (from the tail) indexes themselves and pass valid ones.
public final class ListObject: RedisObject {
    /// The ring; its capacity is 0 or a power of two. Unused slots hold the empty string (no allocation).
    private var ring: ContiguousArray<RBytes>
    /// Ring position of element 0.
    private var head = 0
    /// Number of elements.
    public private(set) var count = 0

    /// The smallest capacity a non-empty ring gets.
    private static let minimumCapacity = 8

    /// An empty list.
    public override init() {
        ring = []
        super.init()
    }

    /// A list holding `elements` in order, head first.
    public init<S: Sequence>(_ elements: S) where S.Element == RBytes {
        ring = ContiguousArray(elements)
        count = ring.count
        super.init()
        let capacity = ListObject.capacity(for: count)
        if capacity > ring.count {
            ring.append(contentsOf: repeatElement(RBytes(), count: capacity - ring.count))
        }
    }

    public override var typeName: String { "list" }
    public override var encodingName: String { "quicklist" }
    public override func copy() -> RedisObject { ListObject(self) }

    public var isEmpty: Bool { count == 0 }

    /// The element at `index` (0 ..< count).
    public subscript(index: Int) -> RBytes {
        get { ring[slot(index)] }
        set { ring[slot(index)] = newValue }
    }

    /// The first element, if any.
    public var first: RBytes? { count > 0 ? ring[head] : nil }

    /// The last element, if any.
    public var last: RBytes? { count > 0 ? ring[slot(count - 1)] : nil }

    // MARK: - Ends

    /// Adds `element` before the first one.
    public func pushFront(_ element: RBytes) {
        if count == ring.count { resize(to: ListObject.capacity(for: count + 1)) }
        head = (head &- 1) & (ring.count - 1)
        ring[head] = element
        count += 1
    }

    /// Adds `element` after the last one.
    public func pushBack(_ element: RBytes) {
        if count == ring.count { resize(to: ListObject.capacity(for: count + 1)) }
        ring[slot(count)] = element
        count += 1
    }

    /// Removes and returns the first element.
    @discardableResult
    public func popFront() -> RBytes? {
        guard count > 0 else { return nil }
        let element = ring[head]
        ring[head] = RBytes()
        head = (head + 1) & (ring.count - 1)
        count -= 1
        shrinkIfSparse()
        return element
    }

    /// Removes and returns the last element.
    @discardableResult
    public func popBack() -> RBytes? {
        guard count > 0 else { return nil }
        let s = slot(count - 1)
        let element = ring[s]
        ring[s] = RBytes()
        count -= 1
        shrinkIfSparse()
        return element
    }

    /// Removes the first `n` elements (all of them when `n >= count`).
    public func removeFirst(_ n: Int) {
        let n = Swift.min(Swift.max(n, 0), count)
        for i in 0..<n { ring[slot(i)] = RBytes() }
        if n > 0 { head = (head + n) & (ring.count - 1) }
        count -= n
        shrinkIfSparse()
    }

    /// Removes the last `n` elements (all of them when `n >= count`).
    public func removeLast(_ n: Int) {
        let n = Swift.min(Swift.max(n, 0), count)
        for i in (count - n)..<count { ring[slot(i)] = RBytes() }
        count -= n
        shrinkIfSparse()
    }

    // MARK: - Middle

    /// Inserts `element` so that it ends up at `index` (0 ... count).
    public func insert(_ element: RBytes, at index: Int) {
        if index < count / 2 {
            pushFront(RBytes())
            for i in 0..<index { self[i] = self[i + 1] }
        } else {
            pushBack(RBytes())
            var i = count - 1
            while i > index {
                self[i] = self[i - 1]
                i -= 1
            }
        }
        self[index] = element
    }

    /// Removes the element at `index` (0 ..< count).
    public func remove(at index: Int) {
        if index < count / 2 {
            var i = index
            while i > 0 {
                self[i] = self[i - 1]
                i -= 1
            }
            popFront()
        } else {
            for i in index..<(count - 1) { self[i] = self[i + 1] }
            popBack()
        }
    }

    /// Removes elements equal to `element`, at most `limit` of them (0 = all), scanning from the tail when
    /// `fromTail`. Returns how many were removed.
    public func removeAll(equalTo element: RBytes, limit: UInt64, fromTail: Bool) -> Int {
        var kept = ContiguousArray<RBytes>()
        kept.reserveCapacity(count)
        var removed: UInt64 = 0
        let order: [Int] = fromTail ? Array((0..<count).reversed()) : Array(0..<count)
        for i in order {
            let e = self[i]
            if (limit == 0 || removed < limit) && e == element {
                removed += 1
            } else {
                kept.append(e)
            }
        }
        if removed > 0 { replaceAll(with: fromTail ? ContiguousArray(kept.reversed()) : kept) }
        return Int(removed)
    }

    /// The index of the first element equal to `element`.
    public func firstIndex(of element: RBytes) -> Int? {
        for i in 0..<count where self[i] == element { return i }
        return nil
    }

    // MARK: - Storage

    private init(_ other: ListObject) {
        ring = other.ring
        head = other.head
        count = other.count
        super.init()
    }

    @inline(__always)
    private func slot(_ index: Int) -> Int { (head + index) & (ring.count - 1) }

    private static func capacity(for n: Int) -> Int {
        var c = minimumCapacity
        while c < n { c <<= 1 }
        return c
    }

    /// Moves the elements to a ring of `capacity` (>= count) starting at position 0.
    private func resize(to capacity: Int) {
        var fresh = ContiguousArray<RBytes>()
        fresh.reserveCapacity(capacity)
        for i in 0..<count { fresh.append(ring[slot(i)]) }
        fresh.append(contentsOf: repeatElement(RBytes(), count: capacity - count))
        ring = fresh
        head = 0
    }

    /// Gives memory back after many pops (the ring stays at least a quarter full).
    private func shrinkIfSparse() {
        if count == 0 {
            ring = []
            head = 0
        } else if ring.count > ListObject.minimumCapacity && count < ring.count / 4 {
            resize(to: ListObject.capacity(for: count * 2))
        }
    }

    private func replaceAll(with elements: ContiguousArray<RBytes>) {
        count = elements.count
        head = 0
        ring = elements
        let capacity = count == 0 ? 0 : ListObject.capacity(for: count)
        ring.append(contentsOf: repeatElement(RBytes(), count: capacity - count))
    }
}

extension ListObject: Sequence {
    /// Iterates the elements from head to tail.
    public struct Iterator: IteratorProtocol {
        let list: ListObject
        var index = 0

        public mutating func next() -> RBytes? {
            guard index < list.count else { return nil }
            defer { index += 1 }
            return list[index]
        }
    }

    public func makeIterator() -> Iterator { Iterator(list: self) }

    public var underestimatedCount: Int { count }
}
