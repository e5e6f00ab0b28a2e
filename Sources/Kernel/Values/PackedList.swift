#if canImport(Glibc)
import Glibc
#endif

/// How a `PackedEntries` lays out its entries: with or without a back-length after each one.
public protocol PackedLayout {
    /// Whether every entry ends with its length written backwards, so the list can be walked from the end.
    static var backLinked: Bool { get }
}

/// Entries with back-lengths: walkable both ways (lists pop and read from the tail).
public enum BackLinked: PackedLayout {
    public static var backLinked: Bool { true }
}

/// Entries without back-lengths: walkable forwards only, one byte less per entry (hashes and sorted sets, which
/// only walk forwards).
public enum ForwardOnly: PackedLayout {
    public static var backLinked: Bool { false }
}

/// A list's node: entries with back-lengths.
public typealias PackedList = PackedEntries<BackLinked>

/// A hash's or sorted set's field/value (member/score) pairs: entries without back-lengths.
public typealias PackedPairs = PackedEntries<ForwardOnly>

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
/// With the `BackLinked` layout each entry is followed by its length (tag and payload) written backwards in 7-bit
/// groups (one byte below 128), so an entry's start can be found from the next one's (`offset(before:)`), as
/// Redis's back-length: lists pop and read from the tail in O(1). `ForwardOnly` omits it.
///
/// The value is one pointer to a `PackedBlock` (header: bytes in use, entry count), or nil when empty. The block
/// belongs to one collection object, which frees it (`release()`, from its `deinit`) and whose `copy()` copies
/// it: a `PackedEntries` value is a handle, not a copy-on-write value, and must not be shared between two owners
/// or kept across a mutation of its owner.
public struct PackedEntries<Layout: PackedLayout> {
    @usableFromInline var block: UnsafeMutableRawPointer?

    /// An empty list (no allocation until the first entry).
    public init() {}

    /// Number of entries.
    public var count: Int { block.map { Int(PackedBlock.word1($0)) } ?? 0 }

    public var isEmpty: Bool { count == 0 }

    /// Offset of the first entry.
    public var startOffset: Int { 0 }

    /// Offset just past the last entry.
    public var endOffset: Int { block.map { Int(PackedBlock.word0($0)) } ?? 0 }

    /// Bytes allocated for the entries (for memory figures).
    public var allocatedBytes: Int { PackedBlock.allocatedBytes(block) }

    /// Bytes the buffer can hold before it must grow.
    public var capacity: Int { block.map { PackedBlock.capacity($0) } ?? 0 }

    /// Frees the buffer; the list is empty afterwards. Owners call it when they let go of the list.
    public mutating func release() {
        if let block { free(block) }
        block = nil
    }

    /// Gives back unused capacity (shrinks to the bytes in use when more than 16 are spare).
    public mutating func trimCapacity() {
        guard let b = block, PackedBlock.capacity(b) - endOffset > 16 else { return }
        block = PackedBlock.resize(b, capacity: endOffset)
    }

    /// A deep copy (a new buffer the caller owns).
    public func copy() -> PackedEntries {
        var out = PackedEntries()
        guard let b = block else { return out }
        let used = endOffset
        let c = PackedBlock.allocate(capacity: used)
        c.copyMemory(from: b, byteCount: PackedBlock.headerBytes + used)
        out.block = c
        return out
    }

    // MARK: - Reading

    /// Calls `body` with the raw bytes of the buffer (valid only inside `body`).
    @inline(__always)
    func withBytes<R>(_ body: (UnsafePointer<UInt8>) -> R) -> R {
        body(UnsafePointer(PackedBlock.payload(block!)))
    }

    /// Where the entry at `offset` ends (the next entry's offset).
    public func offset(after offset: Int) -> Int {
        withBytes { p in Self.entryEnd(p, offset) }
    }

    @inline(__always)
    static func entryEnd(_ p: UnsafePointer<UInt8>, _ offset: Int) -> Int {
        let end = payloadEnd(p, offset)
        return Layout.backLinked ? end + backLengthSize(end - offset) : end
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

    /// Where the entry before the one at `offset` starts (`offset` > 0; `BackLinked` layout only).
    public func offset(before offset: Int) -> Int {
        precondition(Layout.backLinked, "a ForwardOnly list cannot be walked backwards")
        return withBytes { p in
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
            let (start, n) = Self.stringPayload(p, offset)
            if start < 0 { return Numbers.formatDouble(Self.number(p, offset)) }
            return RBytes(UnsafeRawBufferPointer(start: p + start, count: n))
        }
    }

    /// Whether the entry at `offset` is a number entry.
    public func isNumber(at offset: Int) -> Bool {
        withBytes { p in p[offset] >= 0xF0 }
    }

    /// The number at `offset`, which must hold a number entry.
    public func number(at offset: Int) -> Double {
        withBytes { p in Self.number(p, offset) }
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
                let (start, n) = Self.stringPayload(p, offset)
                guard start >= 0, n == b.count else { return false }
                return n == 0 || memcmp(p + start, b.baseAddress!, n) == 0
            }
        }
    }

    /// Offset of the first string entry equal to `bytes` among every `stride`-th entry from the start (stride 2
    /// searches the fields of field/value pairs), or nil.
    public func firstOffset(of bytes: RBytes, stride: Int = 1) -> Int? {
        guard block != nil else { return nil }
        let end = endOffset
        return bytes.withUnsafeBytes { b in
            withBytes { p -> Int? in
                var o = 0
                while o < end {
                    let (start, n) = Self.stringPayload(p, o)
                    if start >= 0 && n == b.count && (n == 0 || memcmp(p + start, b.baseAddress!, n) == 0) {
                        return o
                    }
                    if start >= 0 {
                        o = Layout.backLinked ? start + n + Self.backLengthSize(start + n - o) : start + n
                    } else {
                        o = Self.entryEnd(p, o)
                    }
                    for _ in 1..<max(stride, 1) { o = Self.entryEnd(p, o) }
                }
                return nil
            }
        }
    }

    /// Calls `body` with each entry's offset, in order.
    public func forEachOffset(_ body: (Int) -> Void) {
        let end = endOffset
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
        return Layout.backLinked ? length + backLengthSize(length) : length
    }

    /// Encoded size of a number entry (with its back-length), and the integer byte count (0 for a `Double`).
    static func numberEncoding(_ d: Double) -> (size: Int, intBytes: Int) {
        guard d == d.rounded(.towardZero), abs(d) < 9.007_199_254_740_992e15, !(d == 0 && d.sign == .minus) else {
            return (Layout.backLinked ? 10 : 9, 0)
        }
        let v = Int64(d)
        var n = 1
        while n < 8 {
            let shift = Int64(64 - 8 * n)
            if (v << shift) >> shift == v { break }
            n += 1
        }
        return (Layout.backLinked ? 2 + n : 1 + n, n)
    }

    /// Makes room for `capacity` bytes, keeping the content.
    mutating func reserveExactly(_ capacity: Int) {
        guard let b = block else {
            block = PackedBlock.allocate(capacity: capacity)
            return
        }
        if PackedBlock.capacity(b) < capacity { block = PackedBlock.resize(b, capacity: capacity) }
    }

    /// Replaces the bytes `range` with `size` new bytes written by `write` (given their start), adding
    /// `countDelta` to the entry count. The buffer shrinks when a removal leaves more than half of it unused (not
    /// on a growth: room an owner reserved ahead for several entries is kept).
    mutating func splice(_ range: Range<Int>, size: Int, countDelta: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Void) {
        let used = endOffset
        let newUsed = used - range.count + size
        let newCount = count + countDelta
        if newUsed == 0 || newCount == 0 {
            release()
            return
        }
        reserveExactly(newUsed)
        let b = block!
        let p = PackedBlock.payload(b)
        if size != range.count && range.upperBound < used {
            (p + range.lowerBound + size).update(from: p + range.upperBound, count: used - range.upperBound)
        }
        write(p + range.lowerBound)
        PackedBlock.setWord0(b, UInt32(newUsed))
        PackedBlock.setWord1(b, UInt32(newCount))
        let capacity = PackedBlock.capacity(b)
        if newUsed < used && newUsed * 2 < capacity && capacity > 64 { block = PackedBlock.resize(b, capacity: newUsed) }
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
            if Layout.backLinked { writeBackLength((q - p) + n, to: q + n) }
        }
    }

    static func writeNumber(_ d: Double, intBytes: Int, to p: UnsafeMutablePointer<UInt8>) {
        if intBytes == 0 {
            p[0] = 0xF0
            let bits = d.bitPattern
            for i in 0..<8 { p[1 + i] = UInt8((bits >> (8 * UInt64(i))) & 0xFF) }
            if Layout.backLinked { p[9] = 9 }
        } else {
            p[0] = 0xF0 + UInt8(intBytes)
            let bits = UInt64(bitPattern: Int64(d))
            for i in 0..<intBytes { p[1 + i] = UInt8((bits >> (8 * UInt64(i))) & 0xFF) }
            if Layout.backLinked { p[1 + intBytes] = UInt8(1 + intBytes) }
        }
    }

    /// Inserts a string entry at `offset` (an entry boundary or `endOffset`).
    public mutating func insert(_ bytes: RBytes, at offset: Int) {
        splice(offset..<offset, size: Self.stringEntrySize(bytes.count), countDelta: 1) {
            Self.writeString(bytes, to: $0)
        }
    }

    /// Inserts a number entry at `offset`.
    public mutating func insert(number: Double, at offset: Int) {
        let (size, intBytes) = Self.numberEncoding(number)
        splice(offset..<offset, size: size, countDelta: 1) { Self.writeNumber(number, intBytes: intBytes, to: $0) }
    }

    /// Appends a string entry.
    public mutating func append(_ bytes: RBytes) { insert(bytes, at: endOffset) }

    /// Appends a number entry.
    public mutating func append(number: Double) { insert(number: number, at: endOffset) }

    /// Replaces the entry at `offset` with a string entry.
    public mutating func replace(at offset: Int, with bytes: RBytes) {
        splice(offset..<self.offset(after: offset), size: Self.stringEntrySize(bytes.count), countDelta: 0) {
            Self.writeString(bytes, to: $0)
        }
    }

    /// Replaces the entry at `offset` with a number entry.
    public mutating func replace(at offset: Int, withNumber number: Double) {
        let (size, intBytes) = Self.numberEncoding(number)
        splice(offset..<self.offset(after: offset), size: size, countDelta: 0) {
            Self.writeNumber(number, intBytes: intBytes, to: $0)
        }
    }

    /// Removes `entries` entries starting at `offset`.
    public mutating func remove(at offset: Int, entries: Int = 1) {
        var end = offset
        for _ in 0..<entries { end = self.offset(after: end) }
        splice(offset..<end, size: 0, countDelta: -entries) { _ in }
    }

    /// Removes every entry.
    public mutating func removeAll() { release() }
}
