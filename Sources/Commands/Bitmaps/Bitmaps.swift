import Kernel

/// The bitmap family (Redis's `bitops.c`): SETBIT/GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD(_RO), all over
/// string values. Bit 0 is the most significant bit of byte 0, as in Redis.
public struct BitmapCommands: CommandModule {
    public init() {}
    public let family = "bitmap"

    public var commands: [CommandSpec] {
        let b: ACLCategories = [.bitmap]
        return [
            CommandSpec("setbit", arity: 4, flags: [.write, .denyoom], keys: .single, categories: b,
                        summary: "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.",
                        since: "2.2.0", complexity: "O(1)", handler: Self.setbit),
            CommandSpec("getbit", arity: 3, flags: [.readonly, .fast], keys: .single, categories: b,
                        summary: "Returns a bit value by offset.", since: "2.2.0", complexity: "O(1)",
                        handler: Self.getbit),
            CommandSpec("bitcount", arity: -2, flags: [.readonly], keys: .single, categories: b,
                        summary: "Counts the number of set bits (population counting) in a string.", since: "2.6.0",
                        complexity: "O(N)", handler: Self.bitcount),
            CommandSpec("bitpos", arity: -3, flags: [.readonly], keys: .single, categories: b,
                        summary: "Finds the first set (1) or clear (0) bit in a string.", since: "2.8.7",
                        complexity: "O(N)", handler: Self.bitpos),
            CommandSpec("bitop", arity: -4, flags: [.write, .denyoom], keys: KeyPositions(first: 2, last: -1, step: 1),
                        categories: b, summary: "Performs bitwise operations on multiple strings, and stores the result.",
                        since: "2.6.0", complexity: "O(N)", handler: Self.bitop),
            CommandSpec("bitfield", arity: -2, flags: [.write, .denyoom], keys: .single, categories: b,
                        summary: "Performs arbitrary bitfield integer operations on strings.", since: "3.2.0",
                        complexity: "O(1) for each subcommand specified", handler: Self.bitfield),
            CommandSpec("bitfield_ro", arity: -2, flags: [.readonly, .fast], keys: .single, categories: b,
                        summary: "Performs arbitrary read-only bitfield integer operations on strings.", since: "6.0.0",
                        complexity: "O(1) for each subcommand specified", handler: Self.bitfieldRO),
        ]
    }

    static let offsetError = "ERR bit offset is not an integer or out of range"
    static let bitError = "ERR bit is not an integer or out of range"
}

// MARK: - Shared mechanics

extension BitmapCommands {
    /// Redis's getBitOffsetFromArgument: a non-negative bit offset whose byte is below `proto-max-bulk-len`.
    /// With `bits > 0`, `#N` means N times `bits` (BITFIELD). Nil after replying the error.
    static func bitOffset(_ c: Client, _ arg: RBytes, bits: Int = 0) -> Int? {
        var raw = arg
        let useHash = bits > 0 && arg.count > 0 && arg[0] == UInt8(ascii: "#")
        if useHash { raw = arg.slice(1..<arg.count) }
        guard var off = Numbers.parseInt64(raw) else {
            c.error(offsetError)
            return nil
        }
        if useHash {
            let (m, overflow) = off.multipliedReportingOverflow(by: Int64(bits))
            // C multiplies without a check; an overflowing product is out of range either way.
            if overflow {
                c.error(offsetError)
                return nil
            }
            off = m
        }
        // Our master's stream and a file being replayed are obeyed past the limit (Redis's mustObeyClient).
        let obey = c.linkKind == .master || c.server.loading
        // (Offsets past 2^60 bits could not be allocated anyway; refusing them keeps the arithmetic in range.)
        guard off >= 0, off < 1 << 60, obey || (off >> 3) < c.server.config.protoMaxBulkLen else {
            c.error(offsetError)
            return nil
        }
        return Int(off)
    }

    /// Redis's lookupStringForBitCommand followed by the edit: the string at `key` (created empty, or taken as it
    /// is) is zero-padded to at least `minBytes` bytes and handed to `body` in place, then stored back as a raw
    /// string. `body` receives whether the string was created or grew. Nil after replying WRONGTYPE.
    static func editString<R>(_ c: Client, _ key: RBytes, minBytes: Int,
                              _ body: (inout [UInt8], _ grew: Bool) -> R) -> R? {
        guard let slot = c.db.slot(key) else {
            var bytes = [UInt8](repeating: 0, count: minBytes)
            let r = body(&bytes, true)
            c.db.add(key, .string(RBytes(bytes)))
            if let s = c.db.slot(key, touch: false) { c.db.markRawString(at: s) }
            return r
        }
        guard case .string = c.db.value(at: slot) else {
            c.error(Errors.wrongType)
            return nil
        }
        guard case .string(var s) = c.db.takeValue(at: slot) else { return nil }
        let r = s.modify { bytes -> R in
            let grew = bytes.count < minBytes
            if grew { bytes.append(contentsOf: repeatElement(0, count: minBytes - bytes.count)) }
            return body(&bytes, grew)
        }
        c.db.replaceValue(at: slot, with: .string(s))
        c.db.markRawString(at: slot)
        return r
    }

    /// The string at `key` for reading: `.missing`, `.wrongType` or the bytes.
    @inline(__always)
    static func readString(_ c: Client, _ key: RBytes) -> TypedLookup<RBytes> { c.lookupString(key) }
}

// MARK: - SETBIT / GETBIT

extension BitmapCommands {
    /// SETBIT key offset value
    static func setbit(_ c: Client) {
        guard let offset = bitOffset(c, c.argv[2]) else { return }
        guard let on = Numbers.parseInt64(c.argv[3]), on & ~1 == 0 else {
            c.error(bitError)
            return
        }
        let key = c.argv[1]
        let byte = offset >> 3, shift = 7 - (offset & 7)
        let result = editString(c, key, minBytes: byte + 1) { bytes, grew -> (old: Bool, changed: Bool) in
            let old = bytes[byte] >> shift & 1 == 1
            guard grew || old != (on == 1) else { return (old, false) }
            bytes[byte] = (bytes[byte] & ~(1 << shift)) | (UInt8(on) << shift)
            return (old, true)
        }
        guard let (old, changed) = result else { return }
        if changed {
            c.server.keyModified(c.db, key)
            c.server.notify(.string, "setbit", key, db: c.db.id)
        }
        c.reply.integer(old ? 1 : 0)
    }

    /// GETBIT key offset
    static func getbit(_ c: Client) {
        guard let offset = bitOffset(c, c.argv[2]) else { return }
        switch readString(c, c.argv[1]) {
        case .missing: c.reply.integer(0)
        case .wrongType: c.error(Errors.wrongType)
        case .found(let s):
            let byte = offset >> 3
            c.reply.integer(byte < s.count ? Int(s[byte] >> (7 - (offset & 7)) & 1) : 0)
        }
    }
}
