#if canImport(Glibc)
import Glibc
#endif

/// Sorted 64-bit integers stored at the narrowest width that fits them all (2, 4 or 8 bytes, like Redis's
/// intset), in one `PackedBlock` resized in place: the compact encoding of small integer sets. The block's header
/// is one 32-bit word: the count in the low 30 bits (Redis caps an intset at 2^30 members; `SetObject` converts
/// before), the width's code (0, 1, 2 for 2, 4, 8 bytes) in the top 2.
///
/// A collection of `Int64` in ascending order. Inserting a value that needs a wider width rewrites every element
/// at the new width (never narrower again, as in Redis). Like `PackedEntries`, the value is a handle to a buffer
/// its owner frees (`release()`) and copies (`copy()`); it must not be kept across a mutation of its owner.
public struct PackedInts: RandomAccessCollection {
    @usableFromInline var block: UnsafeMutableRawPointer?

    /// An empty collection (no allocation).
    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { block.map { Int(PackedBlock.word0($0) & PackedInts.countMask) } ?? 0 }

    /// Bytes per element (2 when empty).
    public var width: Int { block.map { PackedInts.width(word: PackedBlock.word0($0)) } ?? 2 }

    /// Header bytes before the elements.
    static let header = 4
    static let countMask: UInt32 = (1 << 30) - 1

    @inline(__always)
    static func width(word: UInt32) -> Int { 2 << Int(word >> 30) }

    @inline(__always)
    static func word(count: Int, width: Int) -> UInt32 {
        UInt32(count) | UInt32(width.trailingZeroBitCount - 1) << 30
    }

    @inline(__always)
    static func elements(_ b: UnsafeMutableRawPointer) -> UnsafeMutablePointer<UInt8> {
        PackedBlock.payload(b, header: header)
    }

    /// Bytes allocated (for memory figures).
    public var allocatedBytes: Int { PackedBlock.allocatedBytes(block) }

    public subscript(i: Int) -> Int64 {
        let b = block!
        return PackedInts.load(PackedInts.elements(b), i, PackedInts.width(word: PackedBlock.word0(b)))
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
        guard let b = block else { return (0, false) }
        let word = PackedBlock.word0(b)
        let n = Int(word & PackedInts.countMask), w = PackedInts.width(word: word)
        let p = PackedInts.elements(b)
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if PackedInts.load(p, mid, w) < v { lo = mid + 1 } else { hi = mid }
        }
        return (lo, lo < n && PackedInts.load(p, lo, w) == v)
    }

    /// Inserts `v` at `index` (which must keep the order), widening every element first if `v` needs it.
    public mutating func insert(_ v: Int64, at index: Int) {
        let n = count, old = width, w = Swift.max(old, PackedInts.width(for: v))
        let needed = (n + 1) * w
        let b: UnsafeMutableRawPointer
        if let current = block {
            b = PackedBlock.capacity(current, header: PackedInts.header) < needed
                ? PackedBlock.resize(current, capacity: needed, header: PackedInts.header) : current
        } else {
            b = PackedBlock.allocate(capacity: needed, header: PackedInts.header)
        }
        block = b
        let p = PackedInts.elements(b)
        if w != old {
            // Back to front: element i moves to a slot at or after its old bytes, never over one not yet moved.
            var i = n - 1
            while i >= 0 {
                PackedInts.store(p, i >= index ? i + 1 : i, w, PackedInts.load(p, i, old))
                i -= 1
            }
        } else if index < n {
            (p + (index + 1) * w).update(from: p + index * w, count: (n - index) * w)
        }
        PackedInts.store(p, index, w, v)
        PackedBlock.setWord0(b, PackedInts.word(count: n + 1, width: w))
    }

    /// Removes and returns the element at `index`. The buffer shrinks when more than half of it would be unused.
    @discardableResult
    public mutating func remove(at index: Int) -> Int64 {
        let v = self[index]
        let b = block!
        let n = count, w = width
        if n == 1 {
            release()
            return v
        }
        let p = PackedInts.elements(b)
        if index < n - 1 { (p + index * w).update(from: p + (index + 1) * w, count: (n - 1 - index) * w) }
        PackedBlock.setWord0(b, PackedInts.word(count: n - 1, width: w))
        let capacity = PackedBlock.capacity(b, header: PackedInts.header)
        if (n - 1) * w * 2 < capacity && capacity > 64 {
            block = PackedBlock.resize(b, capacity: (n - 1) * w, header: PackedInts.header)
        }
        return v
    }

    /// A deep copy (a new buffer the caller owns).
    public func copy() -> PackedInts {
        var out = PackedInts()
        guard let b = block else { return out }
        let bytes = count * width
        let c = PackedBlock.allocate(capacity: bytes, header: PackedInts.header)
        c.copyMemory(from: b, byteCount: PackedInts.header + bytes)
        out.block = c
        return out
    }

    /// Frees the buffer; the collection is empty afterwards. The owner calls it when it lets go of the values.
    public mutating func release() {
        if let block { free(block) }
        block = nil
    }

    /// Removes every element.
    public mutating func removeAll() { release() }
}
