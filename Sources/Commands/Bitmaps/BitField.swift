import Kernel

// BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment | OVERFLOW WRAP|SAT|FAIL ...]
// and BITFIELD_RO key [GET type offset ...].

/// Reads and writes integers of 1...64 bits at any bit offset of a byte array (big-endian bit order).
enum BitFieldCodec {
    static func getUnsigned(_ p: UnsafeRawBufferPointer, _ offset: Int, _ bits: Int) -> UInt64 {
        var v: UInt64 = 0
        var off = offset
        for _ in 0..<bits {
            let bit = (p[off >> 3] >> (7 - (off & 7))) & 1
            v = (v << 1) | UInt64(bit)
            off += 1
        }
        return v
    }

    static func getSigned(_ p: UnsafeRawBufferPointer, _ offset: Int, _ bits: Int) -> Int64 {
        var v = getUnsigned(p, offset, bits)
        if bits < 64 && v & (1 << UInt64(bits - 1)) != 0 { v |= ~0 << UInt64(bits) }
        return Int64(bitPattern: v)
    }

    static func set(_ p: inout [UInt8], _ offset: Int, _ bits: Int, _ value: UInt64) {
        var off = offset
        for j in 0..<bits {
            let bit = UInt8(truncatingIfNeeded: (value >> UInt64(bits - 1 - j)) & 1)
            let shift = 7 - (off & 7)
            p[off >> 3] = (p[off >> 3] & ~(1 << shift)) | (bit << shift)
            off += 1
        }
    }
}

/// BITFIELD's overflow policy.
enum BitFieldOverflow { case wrap, sat, fail }

/// The result of an overflow check: nil when the value fits, else the value to store under the policy.
enum BitFieldOverflowCheck {
    /// Redis's checkUnsignedBitfieldOverflow: `value + incr` for a `bits`-wide unsigned field.
    static func unsigned(_ value: UInt64, _ incr: Int64, _ bits: Int, _ policy: BitFieldOverflow) -> UInt64? {
        let max: UInt64 = bits == 64 ? UInt64.max : (1 << UInt64(bits)) - 1
        let maxIncr = Int64(bitPattern: max &- value)
        let minIncr = Int64(bitPattern: 0 &- value)
        func wrapped() -> UInt64 {
            let r = value &+ UInt64(bitPattern: incr)
            return bits == 64 ? r : r & ~(~0 << UInt64(bits))
        }
        if value > max || (incr > 0 && incr > maxIncr) {
            return policy == .sat ? max : wrapped()
        }
        if incr < 0 && incr < minIncr {
            return policy == .sat ? 0 : wrapped()
        }
        return nil
    }

    /// Redis's checkSignedBitfieldOverflow: `value + incr` for a `bits`-wide signed field.
    static func signed(_ value: Int64, _ incr: Int64, _ bits: Int, _ policy: BitFieldOverflow) -> Int64? {
        let max: Int64 = bits == 64 ? Int64.max : (1 << Int64(bits - 1)) - 1
        let min: Int64 = -max - 1
        let maxIncr = max &- value
        let minIncr = min &- value
        func wrapped() -> Int64 {
            var c = UInt64(bitPattern: value) &+ UInt64(bitPattern: incr)
            if bits < 64 {
                let mask: UInt64 = ~0 << UInt64(bits)
                if c & (1 << UInt64(bits - 1)) != 0 { c |= mask } else { c &= ~mask }
            }
            return Int64(bitPattern: c)
        }
        if value > max || (bits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr) {
            return policy == .sat ? max : wrapped()
        }
        if value < min || (bits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr) {
            return policy == .sat ? min : wrapped()
        }
        return nil
    }
}

extension BitmapCommands {
    struct BitFieldOp {
        enum Kind { case get, set, incrby }
        var kind: Kind
        var offset: Int
        var bits: Int
        var signed: Bool
        var value: Int64
        var overflow: BitFieldOverflow
    }

    static let bitfieldTypeError =
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

    /// `i1`...`i64` or `u1`...`u63`.
    static func bitfieldType(_ c: Client, _ arg: RBytes) -> (signed: Bool, bits: Int)? {
        guard arg.count >= 1 else {
            c.error(bitfieldTypeError)
            return nil
        }
        let signed: Bool
        switch arg[0] {
        case UInt8(ascii: "i"): signed = true
        case UInt8(ascii: "u"): signed = false
        default:
            c.error(bitfieldTypeError)
            return nil
        }
        guard let n = Numbers.parseInt64(arg.slice(1..<arg.count)), n >= 1, n <= (signed ? 64 : 63) else {
            c.error(bitfieldTypeError)
            return nil
        }
        return (signed, Int(n))
    }

    /// BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value |
    /// INCRBY encoding offset increment ...]
    static func bitfield(_ c: Client) { bitfieldGeneric(c, readOnlyCommand: false) }

    /// BITFIELD_RO key [GET encoding offset ...]
    static func bitfieldRO(_ c: Client) { bitfieldGeneric(c, readOnlyCommand: true) }

    static func bitfieldGeneric(_ c: Client, readOnlyCommand: Bool) {
        var ops: [BitFieldOp] = []
        var policy = BitFieldOverflow.wrap
        var writes = false
        var highestBit = 0
        let argv = c.argv
        var j = 2
        while j < argv.count {
            let remaining = argv.count - j - 1
            let sub = argv[j]
            let kind: BitFieldOp.Kind
            if sub.equalsIgnoringCase("GET") && remaining >= 2 { kind = .get }
            else if sub.equalsIgnoringCase("SET") && remaining >= 3 { kind = .set }
            else if sub.equalsIgnoringCase("INCRBY") && remaining >= 3 { kind = .incrby }
            else if sub.equalsIgnoringCase("OVERFLOW") && remaining >= 1 {
                let name = argv[j + 1]
                if name.equalsIgnoringCase("WRAP") { policy = .wrap }
                else if name.equalsIgnoringCase("SAT") { policy = .sat }
                else if name.equalsIgnoringCase("FAIL") { policy = .fail }
                else {
                    c.error("ERR Invalid OVERFLOW type specified")
                    return
                }
                j += 2
                continue
            } else {
                c.error(Errors.syntax)
                return
            }
            guard let (signed, bits) = bitfieldType(c, argv[j + 1]) else { return }
            guard let offset = bitOffset(c, argv[j + 2], bits: bits) else { return }
            var value: Int64 = 0
            if kind != .get {
                writes = true
                highestBit = max(highestBit, offset + bits - 1)
                guard let v = Numbers.parseInt64(argv[j + 3]) else {
                    c.error(Errors.notInteger)
                    return
                }
                value = v
            }
            ops.append(BitFieldOp(kind: kind, offset: offset, bits: bits, signed: signed, value: value,
                                  overflow: policy))
            j += kind == .get ? 3 : 4
        }
        let key = argv[1]
        if !writes {
            var bytes = RBytes()
            switch readString(c, key) {
            case .wrongType:
                c.error(Errors.wrongType)
                return
            case .missing: break
            case .found(let s): bytes = s
            }
            c.reply.arrayHeader(ops.count)
            bytes.withUnsafeBytes { p in for op in ops { replyGet(c, p, op) } }
            return
        }
        if readOnlyCommand {
            c.error("ERR BITFIELD_RO only supports the GET subcommand")
            return
        }
        // Written fields reach at most `highestBit`, so the string is grown once, before any operation.
        let changes = editString(c, key, minBytes: (highestBit >> 3) + 1) { bytes, grew -> Int in
            c.reply.arrayHeader(ops.count)
            var changes = 0
            for op in ops {
                if op.kind == .get {
                    bytes.withUnsafeBytes { replyGet(c, $0, op) }
                } else if applyWrite(c, &bytes, op, grew: grew) {
                    changes += 1
                }
            }
            return changes
        }
        guard let changes, changes > 0 else { return }
        c.server.keyModified(c.db, key, changes: Int64(changes))
        c.server.notify(.string, "setbit", key, db: c.db.id)
    }

    /// Replies one GET: bits past the end of the string read as zeros.
    static func replyGet(_ c: Client, _ p: UnsafeRawBufferPointer, _ op: BitFieldOp) {
        // Up to 9 bytes hold any 64-bit field at any bit offset.
        var buf: (UInt64, UInt64) = (0, 0)
        let byte = op.offset >> 3
        withUnsafeMutableBytes(of: &buf) { b in
            var i = 0
            while i < 9 && byte + i < p.count {
                b[i] = p[byte + i]
                i += 1
            }
        }
        let local = op.offset - byte * 8
        withUnsafeBytes(of: buf) { b in
            if op.signed {
                c.reply.integer(BitFieldCodec.getSigned(b, local, op.bits))
            } else {
                c.reply.integer(Int64(bitPattern: BitFieldCodec.getUnsigned(b, local, op.bits)))
            }
        }
    }

    /// Runs one SET or INCRBY and replies its result (nil when OVERFLOW FAIL refuses it); true if it counts as
    /// a change (the field's value changed or the string was created/grown).
    static func applyWrite(_ c: Client, _ bytes: inout [UInt8], _ op: BitFieldOp, grew: Bool) -> Bool {
        if op.signed {
            let old = bytes.withUnsafeBytes { BitFieldCodec.getSigned($0, op.offset, op.bits) }
            let new: Int64, reply: Int64
            let limited: Int64?
            if op.kind == .incrby {
                limited = BitFieldOverflowCheck.signed(old, op.value, op.bits, op.overflow)
                new = limited ?? (old &+ op.value)
                reply = new
            } else {
                limited = BitFieldOverflowCheck.signed(op.value, 0, op.bits, op.overflow)
                new = limited ?? op.value
                reply = old
            }
            if limited != nil && op.overflow == .fail {
                c.reply.null()
                return false
            }
            c.reply.integer(reply)
            BitFieldCodec.set(&bytes, op.offset, op.bits, UInt64(bitPattern: new))
            return grew || old != new
        } else {
            let old = bytes.withUnsafeBytes { BitFieldCodec.getUnsigned($0, op.offset, op.bits) }
            let new: UInt64, reply: UInt64
            let limited: UInt64?
            if op.kind == .incrby {
                limited = BitFieldOverflowCheck.unsigned(old, op.value, op.bits, op.overflow)
                new = limited ?? (old &+ UInt64(bitPattern: op.value))
                reply = new
            } else {
                limited = BitFieldOverflowCheck.unsigned(UInt64(bitPattern: op.value), 0, op.bits, op.overflow)
                new = limited ?? UInt64(bitPattern: op.value)
                reply = old
            }
            if limited != nil && op.overflow == .fail {
                c.reply.null()
                return false
            }
            c.reply.integer(Int64(bitPattern: reply))
            BitFieldCodec.set(&bytes, op.offset, op.bits, new)
            return grew || old != new
        }
    }
}
