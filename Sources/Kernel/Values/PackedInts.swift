/// Sorted 64-bit integers stored at the narrowest width that fits them all (2, 4 or 8 bytes, like Redis's
/// intset), in one exactly sized allocation: the compact encoding of small integer sets.
///
/// A collection of `Int64` in ascending order, with copy-on-write value semantics. Inserting a value that needs
/// a wider width rewrites every element at the new width (never narrower again, as in Redis).
public struct PackedInts: RandomAccessCollection {
    @usableFromInline struct Header {
        var count: Int32
        var width: Int32
    }

    @usableFromInline typealias Storage = ManagedBuffer<Header, UInt8>

    @usableFromInline var storage: Storage?

    /// An empty collection (no allocation).
    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(storage?.header.count ?? 0) }

    /// Bytes per element (2 when empty).
    public var width: Int { Int(storage?.header.width ?? 2) }

    /// Bytes allocated (for memory figures).
    public var allocatedBytes: Int { storage.map { $0.capacity + 24 } ?? 0 }

    public subscript(i: Int) -> Int64 {
        storage!.withUnsafeMutablePointerToElements { p in PackedInts.load(p, i, width) }
    }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<UInt8>, _ i: Int, _ width: Int) -> Int64 {
        let raw = UnsafeRawPointer(p)
        switch width {
        case 2: return Int64(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self)))
        case 4: return Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
        default: return Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
        }
    }

    @inline(__always)
    static func store(_ p: UnsafeMutablePointer<UInt8>, _ i: Int, _ width: Int, _ v: Int64) {
        let raw = UnsafeMutableRawPointer(p)
        switch width {
        case 2: raw.storeBytes(of: Int16(truncatingIfNeeded: v).littleEndian, toByteOffset: 2 * i, as: Int16.self)
        case 4: raw.storeBytes(of: Int32(truncatingIfNeeded: v).littleEndian, toByteOffset: 4 * i, as: Int32.self)
        default: raw.storeBytes(of: v.littleEndian, toByteOffset: 8 * i, as: Int64.self)
        }
    }

    /// The width `v` needs.
    static func width(for v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    /// Position of `v`, or where it would be inserted.
    public func position(of v: Int64) -> (index: Int, found: Bool) {
        guard let storage else { return (0, false) }
        let n = Int(storage.header.count), w = Int(storage.header.width)
        return storage.withUnsafeMutablePointerToElements { p in
            var lo = 0, hi = n
            while lo < hi {
                let mid = (lo + hi) / 2
                if PackedInts.load(p, mid, w) < v { lo = mid + 1 } else { hi = mid }
            }
            return (lo, lo < n && PackedInts.load(p, lo, w) == v)
        }
    }

    /// Rebuilds the storage with `count` elements at `width`: element i of the result is `source(i)`.
    private mutating func rebuild(count: Int, width: Int, _ source: (Int) -> Int64) {
        if count == 0 {
            storage = nil
            return
        }
        let fresh = Storage.create(minimumCapacity: count * width) { _ in
            Header(count: Int32(count), width: Int32(width))
        }
        fresh.withUnsafeMutablePointerToElements { p in
            for i in 0..<count { PackedInts.store(p, i, width, source(i)) }
        }
        storage = fresh
    }

    /// Inserts `v` at `index` (which must keep the order).
    public mutating func insert(_ v: Int64, at index: Int) {
        let old = self
        let n = count, w = Swift.max(width, PackedInts.width(for: v))
        rebuild(count: n + 1, width: w) { i in i < index ? old[i] : (i == index ? v : old[i - 1]) }
    }

    /// Removes and returns the element at `index`.
    @discardableResult
    public mutating func remove(at index: Int) -> Int64 {
        let old = self
        let v = old[index]
        rebuild(count: count - 1, width: width) { i in i < index ? old[i] : old[i + 1] }
        return v
    }

    /// Removes every element.
    public mutating func removeAll() { storage = nil }
}
