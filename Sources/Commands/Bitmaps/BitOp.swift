import Kernel

// BITOP AND | OR | XOR | NOT destkey key [key ...]

extension BitmapCommands {
    enum BitOperation { case and, or, xor, not }

    /// BITOP operation destkey key [key ...]
    static func bitop(_ c: Client) {
        let opName = c.argv[1]
        let op: BitOperation
        if opName.equalsIgnoringCase("AND") { op = .and }
        else if opName.equalsIgnoringCase("OR") { op = .or }
        else if opName.equalsIgnoringCase("XOR") { op = .xor }
        else if opName.equalsIgnoringCase("NOT") { op = .not }
        else {
            c.error(Errors.syntax)
            return
        }
        if op == .not && c.argv.count != 4 {
            c.error("ERR BITOP NOT must be called with a single source key.")
            return
        }
        let dest = c.argv[2]
        var sources: [RBytes] = []
        sources.reserveCapacity(c.argv.count - 3)
        var maxLen = 0
        for j in 3..<c.argv.count {
            switch readString(c, c.argv[j]) {
            case .missing: sources.append(RBytes())
            case .wrongType:
                c.error(Errors.wrongType)
                return
            case .found(let s):
                sources.append(s)
                maxLen = max(maxLen, s.count)
            }
        }
        if maxLen == 0 {
            if c.db.delete(dest) {
                c.server.keyModified(c.db, dest)
                c.server.notify(.generic, "del", dest, db: c.db.id)
            }
            c.reply.integer(0)
            return
        }
        var result = [UInt8](repeating: 0, count: maxLen)
        result.withUnsafeMutableBytes { out in combine(op, sources, into: out) }
        c.db.set(dest, .string(RBytes(result)))
        // Redis stores the result as a raw string object, whatever its length.
        if let slot = c.db.slot(dest, touch: false) { c.db.markRawString(at: slot) }
        c.server.keyModified(c.db, dest)
        c.server.notify(.string, "set", dest, db: c.db.id)
        c.reply.integer(maxLen)
    }

    /// Writes `op` over `sources` (each zero-padded to the output's length) into `out`: the first source is
    /// copied, then every other one is folded in eight bytes at a time where it has bytes.
    static func combine(_ op: BitOperation, _ sources: [RBytes], into out: UnsafeMutableRawBufferPointer) {
        sources[0].withUnsafeBytes { first in
            if first.count > 0 { out.baseAddress!.copyMemory(from: first.baseAddress!, byteCount: first.count) }
        }
        let n = out.count
        if op == .not {
            var i = 0
            while i + 8 <= n {
                out.storeBytes(of: ~out.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                i += 8
            }
            while i < n { out[i] = ~out[i]; i += 1 }
            return
        }
        if op == .and {
            // Missing bytes of any source are zeros, so the result past the shortest source is zero.
            let minLen = sources.map(\.count).min() ?? 0
            for i in minLen..<n { out[i] = 0 }
        }
        for src in sources.dropFirst() {
            src.withUnsafeBytes { p in
                let len = op == .and ? min(p.count, n) : p.count
                var i = 0
                while i + 8 <= len {
                    let a = out.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let b = p.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    let r: UInt64
                    switch op {
                    case .and: r = a & b
                    case .or: r = a | b
                    default: r = a ^ b
                    }
                    out.storeBytes(of: r, toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                while i < len {
                    switch op {
                    case .and: out[i] &= p[i]
                    case .or: out[i] |= p[i]
                    default: out[i] ^= p[i]
                    }
                    i += 1
                }
            }
        }
    }
}
