#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The node table of a `ListObject`: one malloc block holding the node count (8 bytes) and then the nodes (one
/// `PackedList` handle, 8 bytes, each), grown with `realloc` and sized by `malloc_usable_size`. A one-node list's
/// table is a 32-byte malloc chunk, where a `ContiguousArray` (32-byte object header plus capacity) took 48.
///
/// Like `PackedList`, it is a handle, not a copy-on-write value: the owning list frees it (`releaseAll()`, which
/// also releases the nodes) and deep-copies it (`copyAll()`); a copy of the handle must not be kept across a
/// mutation of its owner.
struct ListNodes {
    private var block: UnsafeMutableRawPointer?

    /// Bytes before the first node.
    private static let header = 8

    init() {}

    /// Number of nodes.
    var count: Int { block.map { $0.load(as: Int.self) } ?? 0 }

    var isEmpty: Bool { count == 0 }

    var indices: Range<Int> { 0..<count }

    /// The last node, if any.
    var last: PackedList? { isEmpty ? nil : self[count - 1] }

    @inline(__always)
    private var base: UnsafeMutablePointer<PackedList> {
        (block! + ListNodes.header).assumingMemoryBound(to: PackedList.self)
    }

    /// Node `i` (0 ..< count), edited in place.
    subscript(i: Int) -> PackedList {
        unsafeAddress {
            precondition(i >= 0 && i < count, "node index out of range")
            return UnsafePointer(base + i)
        }
        unsafeMutableAddress {
            precondition(i >= 0 && i < count, "node index out of range")
            return base + i
        }
    }

    private mutating func setCount(_ n: Int) { block!.storeBytes(of: n, as: Int.self) }

    /// Room for at least `n` nodes.
    private mutating func reserve(_ n: Int) {
        let capacity = block.map { (PackedBlock.allocatedBytes($0) - ListNodes.header) / 8 } ?? 0
        guard capacity < n else { return }
        let wanted = Swift.max(n, capacity * 2)
        guard let b = realloc(block, ListNodes.header + 8 * wanted) else { fatalError("out of memory") }
        if block == nil { b.storeBytes(of: 0, as: Int.self) }
        block = b
    }

    mutating func append(_ node: PackedList) {
        insert(node, at: count)
    }

    /// Inserts `node` before node `i` (0 ... count).
    mutating func insert(_ node: PackedList, at i: Int) {
        let n = count
        precondition(i >= 0 && i <= n, "node index out of range")
        reserve(n + 1)
        let p = base
        if i < n { (p + i + 1).moveInitialize(from: p + i, count: n - i) }
        (p + i).initialize(to: node)
        setCount(n + 1)
    }

    /// Drops node `i` from the table (the caller has released it, or it is empty: an empty `PackedList` holds no
    /// block).
    mutating func remove(at i: Int) {
        removeSubrange(i..<(i + 1))
    }

    mutating func removeLast() {
        removeSubrange((count - 1)..<count)
    }

    /// Drops nodes `range` from the table (released by the caller).
    mutating func removeSubrange(_ range: Range<Int>) {
        let n = count
        precondition(range.lowerBound >= 0 && range.upperBound <= n, "node range out of range")
        guard !range.isEmpty else { return }
        let p = base
        (p + range.lowerBound).deinitialize(count: range.count)
        if range.upperBound < n {
            (p + range.lowerBound).moveInitialize(from: p + range.upperBound, count: n - range.upperBound)
        }
        setCount(n - range.count)
        // Give back a table at most a quarter used (the nodes of a long list popped down to a few).
        let capacity = (PackedBlock.allocatedBytes(block) - ListNodes.header) / 8
        if capacity > 8 && (n - range.count) * 4 < capacity {
            guard let b = realloc(block, ListNodes.header + 8 * Swift.max(n - range.count, 1)) else {
                fatalError("out of memory")
            }
            block = b
        }
    }

    /// A deep copy: every node copied into a table the caller owns.
    func copyAll() -> ListNodes {
        var out = ListNodes()
        let n = count
        guard n > 0 else { return out }
        out.reserve(n)
        let p = base, q = out.base
        for i in 0..<n { (q + i).initialize(to: p[i].copy()) }
        out.setCount(n)
        return out
    }

    /// Releases every node and frees the table; empty afterwards.
    mutating func releaseAll() {
        guard let b = block else { return }
        let p = base
        for i in 0..<count { p[i].release() }
        free(b)
        block = nil
    }

    /// Bytes the table occupies (for memory figures).
    var allocatedBytes: Int { PackedBlock.allocatedBytes(block) }
}
