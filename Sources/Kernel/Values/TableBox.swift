#if canImport(Glibc)
import Glibc
#endif

/// The big encoding of a hash, set or sorted set kept where the compact one was: the object's one stored word
/// points either at its `PackedBlock` or, once converted, at a box holding the table, so the object is a
/// 24-byte instance (a 32-byte malloc chunk) rather than one with a field for each encoding (48).
///
/// A box is a malloc block whose first 32-bit word is `marker` (a value no packed block's first header word
/// takes: a listpack's byte count or an intset's count-and-width word never reaches it), followed by the
/// `Table` value at offset 8. The owner creates it (`make`), reaches the table through `pointer` (mutations in
/// place, so a table's storage stays uniquely referenced) and destroys it (`destroy`).
enum TableBox<Table> {
    static var marker: UInt32 { 0xFFFF_FFFF }

    /// Whether `block` is a box (nil is the empty compact encoding).
    @inline(__always)
    static func isBox(_ block: UnsafeMutableRawPointer?) -> Bool {
        guard let block else { return false }
        return block.load(as: UInt32.self) == marker
    }

    /// A new box holding `table`.
    static func make(_ table: Table) -> UnsafeMutableRawPointer {
        guard let b = malloc(8 + MemoryLayout<Table>.size) else { fatalError("out of memory") }
        b.storeBytes(of: marker, as: UInt32.self)
        (b + 8).bindMemory(to: Table.self, capacity: 1).initialize(to: table)
        return b
    }

    /// The table in box `block`.
    @inline(__always)
    static func pointer(_ block: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Table> {
        (block + 8).assumingMemoryBound(to: Table.self)
    }

    /// Releases the table and frees the box.
    static func destroy(_ block: UnsafeMutableRawPointer) {
        pointer(block).deinitialize(count: 1)
        free(block)
    }
}
