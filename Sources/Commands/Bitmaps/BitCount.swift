import Kernel

// BITCOUNT and BITPOS: counting and searching bits over a byte (or, with BIT, bit) range.

/// Word-at-a-time bit scans over raw bytes (Redis's redisPopcount / redisBitpos).
enum BitScan {
    /// The number of set bits in `p`.
    static func popcount(_ p: UnsafeRawBufferPointer) -> Int {
        var n = 0, i = 0
        let count = p.count
        while i + 32 <= count {
            n &+= p.loadUnaligned(fromByteOffset: i, as: UInt64.self).nonzeroBitCount
            n &+= p.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self).nonzeroBitCount
            n &+= p.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self).nonzeroBitCount
            n &+= p.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self).nonzeroBitCount
            i += 32
        }
        while i + 8 <= count {
            n &+= p.loadUnaligned(fromByteOffset: i, as: UInt64.self).nonzeroBitCount
            i += 8
        }
        while i < count {
            n &+= p[i].nonzeroBitCount
            i += 1
        }
        return n
    }

    /// The position of the first bit equal to `bit` in `p`. When there is none: -1 looking for 1, and the bit
    /// just past the end looking for 0 (the string is taken as padded with zeros on the right).
    static func firstBit(_ p: UnsafeRawBufferPointer, _ bit: Bool) -> Int {
        let skipByte: UInt8 = bit ? 0 : 0xFF
        let skipWord: UInt64 = bit ? 0 : ~0
        var i = 0
        let count = p.count
        while i + 8 <= count && p.loadUnaligned(fromByteOffset: i, as: UInt64.self) == skipWord { i += 8 }
        while i < count && p[i] == skipByte { i += 1 }
        if i == count { return bit ? -1 : count * 8 }
        let b = bit ? p[i] : ~p[i]
        return i * 8 + b.leadingZeroBitCount
    }
}

/// A resolved range for BITCOUNT/BITPOS: whole bytes `start...end`, plus the masks of the bits outside a BIT
/// range in the first and last byte (Redis's first/last_byte_neg_mask).
struct BitRange {
    var start: Int64
    var end: Int64
    var firstMask: UInt8 = 0
    var lastMask: UInt8 = 0

    /// Redis's index normalisation: negative indexes count from the end, both clamp into the string; a BIT range
    /// is turned into bytes plus edge masks.
    init(start s: Int64, end e: Int64, length: Int, isBit: Bool) {
        var start = s, end = e
        let total = isBit ? Int64(length) << 3 : Int64(length)
        if start < 0 { start = total + start }
        if end < 0 { end = total + end }
        if start < 0 { start = 0 }
        if end < 0 { end = 0 }
        if end >= total { end = total - 1 }
        if isBit && start <= end {
            firstMask = ~UInt8(truncatingIfNeeded: (1 << (8 - (start & 7))) - 1)
            lastMask = UInt8(truncatingIfNeeded: (1 << (7 - (end & 7))) - 1)
            start >>= 3
            end >>= 3
        }
        self.start = start
        self.end = end
    }
}

extension BitmapCommands {
    /// BITCOUNT key [start end [BYTE | BIT]]
    static func bitcount(_ c: Client) {
        let s: RBytes
        // Redis 7.0 looks the key up before it parses the range.
        switch readString(c, c.argv[1]) {
        case .missing:
            c.reply.integer(0)
            return
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let v): s = v
        }
        let argc = c.argv.count
        var range: BitRange
        if argc == 4 || argc == 5 {
            guard let start = Numbers.parseInt64(c.argv[2]), let end = Numbers.parseInt64(c.argv[3]) else {
                c.error(Errors.notInteger)
                return
            }
            var isBit = false
            if argc == 5 {
                if c.argv[4].equalsIgnoringCase("BIT") { isBit = true }
                else if !c.argv[4].equalsIgnoringCase("BYTE") {
                    c.error(Errors.syntax)
                    return
                }
            }
            if start < 0 && end < 0 && start > end {
                c.reply.integer(0)
                return
            }
            range = BitRange(start: start, end: end, length: s.count, isBit: isBit)
        } else if argc == 2 {
            range = BitRange(start: 0, end: Int64(s.count) - 1, length: s.count, isBit: false)
        } else {
            c.error(Errors.syntax)
            return
        }
        if range.start > range.end {
            c.reply.integer(0)
            return
        }
        let n = s.withUnsafeBytes { p -> Int in
            let lo = Int(range.start), hi = Int(range.end)
            var n = BitScan.popcount(UnsafeRawBufferPointer(rebasing: p[lo...hi]))
            n -= (p[lo] & range.firstMask).nonzeroBitCount
            n -= (p[hi] & range.lastMask).nonzeroBitCount
            return n
        }
        c.reply.integer(n)
    }

    /// BITPOS key bit [start [end [BYTE | BIT]]]
    static func bitpos(_ c: Client) {
        guard let bitArg = Numbers.parseInt64(c.argv[2]) else {
            c.error(Errors.notInteger)
            return
        }
        guard bitArg == 0 || bitArg == 1 else {
            c.error("ERR The bit argument must be 1 or 0.")
            return
        }
        let bit = bitArg == 1
        let s: RBytes
        // Redis 7.0 answers for a missing key before it parses the range.
        switch readString(c, c.argv[1]) {
        case .missing:
            c.reply.integer(bit ? -1 : 0)
            return
        case .wrongType:
            c.error(Errors.wrongType)
            return
        case .found(let v): s = v
        }
        let argc = c.argv.count
        var endGiven = false
        var range: BitRange
        if argc >= 4 && argc <= 6 {
            guard let start = Numbers.parseInt64(c.argv[3]) else {
                c.error(Errors.notInteger)
                return
            }
            var isBit = false
            if argc == 6 {
                if c.argv[5].equalsIgnoringCase("BIT") { isBit = true }
                else if !c.argv[5].equalsIgnoringCase("BYTE") {
                    c.error(Errors.syntax)
                    return
                }
            }
            var end = Int64(s.count) - 1
            if argc >= 5 {
                guard let e = Numbers.parseInt64(c.argv[4]) else {
                    c.error(Errors.notInteger)
                    return
                }
                end = e
                endGiven = true
            }
            range = BitRange(start: start, end: end, length: s.count, isBit: isBit)
        } else if argc == 3 {
            range = BitRange(start: 0, end: Int64(s.count) - 1, length: s.count, isBit: false)
        } else {
            c.error(Errors.syntax)
            return
        }
        if range.start > range.end {
            c.reply.integer(-1)
            return
        }
        let pos = s.withUnsafeBytes { p in firstBit(in: p, range, bit, endGiven: endGiven) }
        c.reply.integer(pos)
    }

    /// BITPOS's search over a non-empty range: the masked first byte, the whole bytes between, the masked last
    /// byte. With an explicit end, running off the range looking for 0 is "not found" (-1).
    static func firstBit(in p: UnsafeRawBufferPointer, _ r: BitRange, _ bit: Bool, endGiven: Bool) -> Int {
        var start = Int(r.start)
        var bytes = Int(r.end) - start + 1
        var pos: Int
        func masked(_ byte: UInt8, _ mask: UInt8) -> UInt8 { bit ? byte & ~mask : byte | mask }
        func finish(_ pos: Int, _ bytes: Int, _ start: Int) -> Int {
            if endGiven && !bit && pos == bytes << 3 { return -1 }
            return pos == -1 ? -1 : pos + start << 3
        }
        if r.firstMask != 0 {
            var b = masked(p[start], r.firstMask)
            if r.lastMask != 0 && bytes == 1 { b = masked(b, r.lastMask) }
            pos = withUnsafeBytes(of: b) { BitScan.firstBit($0, bit) }
            if bytes == 1 || (pos != -1 && pos != 8) { return finish(pos, bytes, start) }
            start += 1
            bytes -= 1
        }
        let whole = bytes - (r.lastMask != 0 ? 1 : 0)
        if whole > 0 {
            pos = BitScan.firstBit(UnsafeRawBufferPointer(rebasing: p[start..<(start + whole)]), bit)
            if bytes == whole || (pos != -1 && pos != whole << 3) { return finish(pos, bytes, start) }
            start += whole
            bytes -= whole
        }
        let last = masked(p[Int(r.end)], r.lastMask)
        pos = withUnsafeBytes(of: last) { BitScan.firstBit($0, bit) }
        return finish(pos, bytes, start)
    }
}
