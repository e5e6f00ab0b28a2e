#if canImport(Glibc)
import Glibc
#endif
import CMallocInfo

/// The single allocation behind `PackedEntries` and `PackedInts`: a header (two 32-bit words, or one for
/// `PackedInts`) followed by the payload, from `malloc`, grown and shrunk with `realloc` (in place when the allocator can) and sized by
/// `malloc_usable_size`, so a small collection costs its payload plus 8 bytes and the allocator's own 8, with no
/// object header and no capacity field. The owner frees it (`free`): these buffers are not reference counted.
@usableFromInline
enum PackedBlock {
    /// Bytes before the payload.
    @usableFromInline static let headerBytes = 8

    /// A new block with room for at least `capacity` payload bytes after a `header`-byte header, zeroed.
    static func allocate(capacity: Int, header: Int = headerBytes) -> UnsafeMutableRawPointer {
        guard let p = malloc(header + Swift.max(capacity, 1)) else { fatalError("out of memory") }
        p.initializeMemory(as: UInt8.self, repeating: 0, count: header)
        return p
    }

    /// `block` moved or resized to hold `capacity` payload bytes (content and header kept up to the smaller size).
    static func resize(_ block: UnsafeMutableRawPointer, capacity: Int, header: Int = headerBytes)
        -> UnsafeMutableRawPointer {
        guard let p = realloc(block, header + Swift.max(capacity, 1)) else { fatalError("out of memory") }
        return p
    }

    /// Payload bytes the block can hold.
    @inline(__always)
    static func capacity(_ block: UnsafeMutableRawPointer, header: Int = headerBytes) -> Int {
        malloc_usable_size(block) - header
    }

    /// Bytes the block occupies (for memory figures): what the allocator reserved for it.
    static func allocatedBytes(_ block: UnsafeMutableRawPointer?) -> Int {
        block.map { malloc_usable_size($0) } ?? 0
    }

    /// The first header word.
    @inline(__always)
    static func word0(_ block: UnsafeMutableRawPointer) -> UInt32 { block.load(as: UInt32.self) }

    /// The second header word.
    @inline(__always)
    static func word1(_ block: UnsafeMutableRawPointer) -> UInt32 { block.load(fromByteOffset: 4, as: UInt32.self) }

    @inline(__always)
    static func setWord0(_ block: UnsafeMutableRawPointer, _ v: UInt32) { block.storeBytes(of: v, as: UInt32.self) }

    @inline(__always)
    static func setWord1(_ block: UnsafeMutableRawPointer, _ v: UInt32) {
        block.storeBytes(of: v, toByteOffset: 4, as: UInt32.self)
    }

    /// Where the payload starts.
    @inline(__always)
    static func payload(_ block: UnsafeMutableRawPointer, header: Int = headerBytes) -> UnsafeMutablePointer<UInt8> {
        (block + header).assumingMemoryBound(to: UInt8.self)
    }
}
