#if canImport(Glibc)
import Glibc
#endif

/// The compact encoding of small collections (what Redis's listpack is for): byte strings and numbers one after
/// another in a single allocation, so a 10-field hash costs one buffer instead of twenty strings and an array.
///
/// Entries are addressed by byte offset (`startOffset` ..< `endOffset`); walking is linear, which is what the
/// `*-max-listpack-*` thresholds bound. Each entry is a tag byte and its payload:
/// - `0x00...0x7F`: a string of that many bytes;
/// - `0x80...0xBF`: a string of up to 16,383 bytes, the length's high 6 bits in the tag and its low 8 in one byte;
/// - `0xC0`: a string with a 4-byte little-endian length;
/// - `0xF0`: a number, as the 8 bytes of a `Double`;
/// - `0xF1...0xF8`: a number that is an integer, in 1–8 little-endian two's-complement bytes.
///
/// and then the entry's length (tag and payload) written backwards in 7-bit groups (one byte below 128), so an
/// entry's start can be found from the next one's (`offset(before:)`), as Redis's back-length: lists pop and read
/// from the tail in O(1).
///
/// The buffer belongs to one collection object (whose `copy()` copies it), so there is no copy-on-write: a
/// `PackedList` value must not be shared between two owners.
public struct PackedList {
    /// Bytes in use and number of entries.
    @usableFromInline struct Header {
        var used: Int32
        var count: Int32
    }

    @usableFromInline typealias Storage = ManagedBuffer<Header, UInt8>

    @usableFromInline var storage: Storage?

    /// An empty listpack (no allocation until the first entry).
    public init() {}

    /// Number of entries.
    public var count: Int { Int(storage?.header.count ?? 0) }

    public var isEmpty: Bool { count == 0 }

    /// Offset of the first entry.
    public var startOffset: Int { 0 }

    /// Offset just past the last entry.
    public var endOffset: Int { Int(storage?.header.used ?? 0) }

    /// Bytes allocated for the entries (for memory figures).
    public var allocatedBytes: Int { storage.map { $0.capacity + 24 } ?? 0 }

    /// Bytes the buffer can hold before it must grow.
    public var capacity: Int { storage?.capacity ?? 0 }

    /// Gives back unused capacity (copies into an exactly sized buffer when more than 16 bytes are spare).
    public mutating func trimCapacity() {
        guard let storage, storage.capacity - Int(storage.header.used) > 16 else { return }
        self = copy()
    }

    /// A deep copy.
    public func copy() -> PackedList {
        var out = PackedList()
        guard let storage, storage.header.used > 0 else { return out }
        let used = Int(storage.header.used)
        out.reserveExactly(used)
        storage.withUnsafeMutablePointerToElements { src in
            out.storage!.withUnsafeMutablePointerToElements { dst in dst.update(from: src, count: used) }
        }
        out.storage!.header = storage.header
        return out
    }

    // MARK: - Reading

    /// Calls `body` with the raw bytes of the buffer (valid only inside `body`).
    @inline(__always)
    func withBytes<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
        storage!.withUnsafeMutablePointerToElements { body(UnsafePointer($0)) }
    }

    /// Where the entry at `offset` ends (the next entry's offset).
    public func offset(after offset: Int) -> Int {
        withBytes { p in PackedList.entryEnd(p, offset) }
    }

    @inline(__always)
    static func entryEnd(_ p: UnsafePointer<UInt8>, _ offset: Int) -> Int {
        let end = payloadEnd(p, offset)
        return end + backLengthSize(end - offset)
    }

    /// Where the entry's tag and payload end (its back-length follows).
    @inline(__always)
    static func payloadEnd(_ p: UnsafePointer<UInt8>, _ offset: Int) -> Int {
        let (payload, length) = stringPayload(p, offset)
        if payload >= 0 { return payload + length }
        let tag = p[offset]
        return offset + 1 + (tag == 0xF0 ? 8 : Int(tag &- 0xF0))
    }

    /// Bytes of the back-length of an entry whose tag and payload take `length` bytes.
    @inline(__always)
    static func backLengthSize(_ length: Int) -> Int {
        length < 1 << 7 ? 1 : (length < 1 << 14 ? 2 : (length < 1 << 21 ? 3 : (length < 1 << 28 ? 4 : 5)))
    }

    /// Writes the back-length of `length` into the `backLengthSize(length)` bytes at `p`.
    static func writeBackLength(_ length: Int, to p: UnsafeMutablePointer<UInt8>) {
        let n = backLengthSize(length)
        var v = length
        // The last byte holds the lowest 7 bits; a set high bit says more bits are in the byte before it.
        for i in 0..<n {
            p[n - 1 - i] = UInt8(v & 0x7F) | (i < n - 1 ? 0x80 : 0)
            v >>= 7
        }
    }

    /// Where the entry before the one at `offset` starts (`offset` > 0).
    public func offset(before offset: Int) -> Int {
        withBytes { p in
            var q = offset - 1
            var length = 0, shift = 0
            while true {
                let b = p[q]
                length |= Int(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                q -= 1
            }
            return q - length
        }
    }

    /// Offset of the last entry (the list must not be empty).
    public var lastOffset: Int { offset(before: endOffset) }

    /// Where a string entry's bytes start and how many there are; (-1, 0) for a number entry.
    @inline(__always)
    static func stringPayload(_ p: UnsafePointer<UInt8>, _ offset: Int) -> (start: Int, count: Int) {
        let tag = p[offset]
        if tag < 0x80 { return (offset + 1, Int(tag)) }
        if tag < 0xC0 { return (offset + 2, Int(tag & 0x3F) << 8 | Int(p[offset + 1])) }
        if tag == 0xC0 {
            let n = Int(p[offset + 1]) | Int(p[offset + 2]) << 8 | Int(p[offset + 3]) << 16 | Int(p[offset + 4]) << 24
            return (offset + 5, n)
        }
        return (-1, 0)
    }

    /// The string at `offset` (a number entry reads as its shortest decimal form).
    public func string(at offset: Int) -> RBytes {
        withBytes { p in
            let (start, n) = PackedList.stringPayload(p, offset)
            if start < 0 { return Numbers.formatDouble(PackedList.number(p, offset)) }
            return RBytes(UnsafeRawBufferPointer(start: p + start, count: n))
        }
    }

    /// Whether the entry at `offset` is a number entry.
    public func isNumber(at offset: Int) -> Bool {
        withBytes { p in p[offset] >= 0xF0 }
    }

    /// The number at `offset`, which must hold a number entry.
    public func number(at offset: Int) -> Double {
        withBytes { p in PackedList.number(p, offset) }
    }

    static func number(_ p: UnsafePointer<UInt8>, _ offset: Int) -> Double {
        let tag = p[offset]
        if tag == 0xF0 {
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(p[offset + 1 + i]) << (8 * UInt64(i)) }
            return Double(bitPattern: bits)
        }
        let n = Int(tag &- 0xF0)
        var bits: UInt64 = 0
        for i in 0..<n { bits |= UInt64(p[offset + 1 + i]) << (8 * UInt64(i)) }
        let shift = UInt64(64 - 8 * n)
        return Double(Int64(bitPattern: bits << shift) >> Int64(shift))
    }

    /// Whether the string entry at `offset` equals `bytes`.
    @inline(__always)
    public func entry(at offset: Int, equals bytes: RBytes) -> Bool {
        bytes.withUnsafeBytes { b in
            withBytes { p in
                let (start, n) = PackedList.stringPayload(p, offset)
                guard start >= 0, n == b.count else { return false }
                return n == 0 || memcmp(p + start, b.baseAddress!, n) == 0
            }
        }
    }

    /// Offset of the first string entry equal to `bytes` among every `stride`-th entry from the start (stride 2
    /// searches the fields of field/value pairs), or nil.
    public func firstOffset(of bytes: RBytes, stride: Int = 1) -> Int? {
        guard let storage else { return nil }
        let end = Int(storage.header.used)
        return bytes.withUnsafeBytes { b in
            withBytes { p -> Int? in
                var o = 0
                while o < end {
                    let (start, n) = PackedList.stringPayload(p, o)
                    if start >= 0 && n == b.count && (n == 0 || memcmp(p + start, b.baseAddress!, n) == 0) {
                        return o
                    }
                    o = start >= 0 ? start + n + PackedList.backLengthSize(start + n - o) : PackedList.entryEnd(p, o)
                    for _ in 1..<max(stride, 1) { o = PackedList.entryEnd(p, o) }
                }
                return nil
            }
        }
    }

    /// Calls `body` with each entry's offset, in order.
    public func forEachOffset(_ body: (Int) -> Void) {
        guard let storage else { return }
        let end = Int(storage.header.used)
        var o = 0
        while o < end {
            let next = offset(after: o)
            body(o)
            o = next
        }
    }

    // MARK: - Writing

    /// Encoded size of a string entry of `n` bytes.
    @inline(__always)
    static func stringEntrySize(_ n: Int) -> Int {
        let length = n < 0x80 ? 1 + n : (n < 0x4000 ? 2 + n : 5 + n)
        return length + backLengthSize(length)
    }

    /// Encoded size of a number entry (with its back-length), and the integer byte count (0 for a `Double`).
    static func numberEncoding(_ d: Double) -> (size: Int, intBytes: Int) {
        guard d == d.rounded(.towardZero), abs(d) < 9.007_199_254_740_992e15, !(d == 0 && d.sign == .minus) else {
            return (10, 0)
        }
        let v = Int64(d)
        var n = 1
        while n < 8 {
            let shift = Int64(64 - 8 * n)
            if (v << shift) >> shift == v { break }
            n += 1
        }
        return (2 + n, n)
    }

    /// Makes room for `capacity` bytes, keeping the content.
    mutating func reserveExactly(_ capacity: Int) {
        if let storage, storage.capacity >= capacity { return }
        let grown = Storage.create(minimumCapacity: (capacity + 15) & ~15) { _ in Header(used: 0, count: 0) }
        if let old = storage {
            let used = Int(old.header.used)
            old.withUnsafeMutablePointerToElements { src in
                grown.withUnsafeMutablePointerToElements { dst in dst.update(from: src, count: used) }
            }
            grown.header = old.header
        }
        storage = grown
    }

    /// Replaces the bytes `range` with `size` new bytes written by `write` (given their start), adding
    /// `countDelta` to the entry count. The buffer shrinks when it would keep more than half of it unused.
    mutating func splice(_ range: Range<Int>, size: Int, countDelta: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Void) {
        let used = endOffset
        let newUsed = used - range.count + size
        if newUsed == 0 {
            storage = nil
            return
        }
        if storage == nil || storage!.capacity < newUsed {
            reserveExactly(newUsed)
        } else if newUsed * 2 < storage!.capacity && storage!.capacity > 64 {
            // Shrink: copy into an exact buffer, leaving the tail where the splice expects it.
            let shrunk = Storage.create(minimumCapacity: (newUsed + 15) & ~15) { _ in storage!.header }
            storage!.withUnsafeMutablePointerToElements { src in
                shrunk.withUnsafeMutablePointerToElements { dst in
                    dst.update(from: src, count: range.lowerBound)
                    dst.advanced(by: range.lowerBound + size)
                        .update(from: src.advanced(by: range.upperBound), count: used - range.upperBound)
                    write(dst.advanced(by: range.lowerBound))
                }
            }
            shrunk.header.used = Int32(newUsed)
            shrunk.header.count += Int32(countDelta)
            storage = shrunk
            return
        }
        storage!.withUnsafeMutablePointerToElements { p in
            if size != range.count && range.upperBound < used {
                (p + range.lowerBound + size).update(from: p + range.upperBound, count: used - range.upperBound)
            }
            write(p + range.lowerBound)
        }
        storage!.header.used = Int32(newUsed)
        storage!.header.count += Int32(countDelta)
        if storage!.header.count == 0 { storage = nil }
    }

    static func writeString(_ bytes: RBytes, to p: UnsafeMutablePointer<UInt8>) {
        bytes.withUnsafeBytes { b in
            let n = b.count
            var q = p
            if n < 0x80 {
                q[0] = UInt8(n); q += 1
            } else if n < 0x4000 {
                q[0] = 0x80 | UInt8(n >> 8); q[1] = UInt8(n & 0xFF); q += 2
            } else {
                q[0] = 0xC0
                for i in 0..<4 { q[1 + i] = UInt8((n >> (8 * i)) & 0xFF) }
                q += 5
            }
            if n > 0 { UnsafeMutableRawPointer(q).copyMemory(from: b.baseAddress!, byteCount: n) }
            let length = (q - p) + n
            writeBackLength(length, to: q + n)
        }
    }

    static func writeNumber(_ d: Double, intBytes: Int, to p: UnsafeMutablePointer<UInt8>) {
        if intBytes == 0 {
            p[0] = 0xF0
            let bits = d.bitPattern
            for i in 0..<8 { p[1 + i] = UInt8((bits >> (8 * UInt64(i))) & 0xFF) }
            p[9] = 9
        } else {
            p[0] = 0xF0 + UInt8(intBytes)
            let bits = UInt64(bitPattern: Int64(d))
            for i in 0..<intBytes { p[1 + i] = UInt8((bits >> (8 * UInt64(i))) & 0xFF) }
            p[1 + intBytes] = UInt8(1 + intBytes)
        }
    }

    /// Inserts a string entry at `offset` (an entry boundary or `endOffset`).
    public mutating func insert(_ bytes: RBytes, at offset: Int) {
        splice(offset..<offset, size: PackedList.stringEntrySize(bytes.count), countDelta: 1) {
            PackedList.writeString(bytes, to: $0)
        }
    }

    /// Inserts a number entry at `offset`.
    public mutating func insert(number: Double, at offset: Int) {
        let (size, intBytes) = PackedList.numberEncoding(number)
        splice(offset..<offset, size: size, countDelta: 1) { PackedList.writeNumber(number, intBytes: intBytes, to: $0) }
    }

    /// Appends a string entry.
    public mutating func append(_ bytes: RBytes) { insert(bytes, at: endOffset) }

    /// Appends a number entry.
    public mutating func append(number: Double) { insert(number: number, at: endOffset) }

    /// Replaces the entry at `offset` with a string entry.
    public mutating func replace(at offset: Int, with bytes: RBytes) {
        splice(offset..<self.offset(after: offset), size: PackedList.stringEntrySize(bytes.count), countDelta: 0) {
            PackedList.writeString(bytes, to: $0)
        }
    }

    /// Replaces the entry at `offset` with a number entry.
    public mutating func replace(at offset: Int, withNumber number: Double) {
        let (size, intBytes) = PackedList.numberEncoding(number)
        splice(offset..<self.offset(after: offset), size: size, countDelta: 0) {
            PackedList.writeNumber(number, intBytes: intBytes, to: $0)
        }
    }

    /// Removes `entries` entries starting at `offset`.
    public mutating func remove(at offset: Int, entries: Int = 1) {
        var end = offset
        for _ in 0..<entries { end = self.offset(after: end) }
        splice(offset..<end, size: 0, countDelta: -entries) { _ in }
    }

    /// Removes every entry.
    public mutating func removeAll() { storage = nil }
}
