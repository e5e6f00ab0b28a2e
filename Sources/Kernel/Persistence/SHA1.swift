/// SHA-1 (FIPS 180-4), for Redis's `DEBUG DIGEST` arithmetic and script ids (`EVALSHA`, `SCRIPT LOAD`).
///
/// No Foundation or CryptoKit: the one-shot `SHA1.hash` allocates nothing (full blocks are read straight from
/// the input, the padded tail and the message schedule live in temporary stack memory). The streaming form
/// (`update` … `finalize`) keeps at most one partial block of 64 bytes.
///
/// Per the workspace's coding rule, no typed tuple is ever read through a raw pointer: words are assembled with
/// shifts and written with `storeBytes`.
public struct SHA1 {
    /// A 160-bit SHA-1 value as five big-endian words (`h0` is the first four bytes).
    ///
    /// Xor is word-wise, which is what Redis's `xorDigest` does byte-wise; `bytes`/`hex` give the wire forms.
    public struct Digest: Hashable, Sendable {
        public var h0: UInt32, h1: UInt32, h2: UInt32, h3: UInt32, h4: UInt32

        /// A digest from its five words.
        @inlinable
        public init(_ h0: UInt32, _ h1: UInt32, _ h2: UInt32, _ h3: UInt32, _ h4: UInt32) {
            (self.h0, self.h1, self.h2, self.h3, self.h4) = (h0, h1, h2, h3, h4)
        }

        /// Twenty zero bytes: the start of every Redis digest, and what DEBUG DIGEST shows for nothing.
        public static let zero = Digest(0, 0, 0, 0, 0)

        /// SHA-1's initial state.
        static let initial = Digest(0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)

        /// Whether all twenty bytes are zero.
        public var isZero: Bool { (h0 | h1 | h2 | h3 | h4) == 0 }

        /// Byte-wise xor of two digests.
        @inlinable
        public static func ^ (a: Digest, b: Digest) -> Digest {
            Digest(a.h0 ^ b.h0, a.h1 ^ b.h1, a.h2 ^ b.h2, a.h3 ^ b.h3, a.h4 ^ b.h4)
        }

        /// Xors `b` into `a`.
        @inlinable
        public static func ^= (a: inout Digest, b: Digest) { a = a ^ b }

        /// Calls `body` with the 20 bytes (valid only inside `body`), without allocating.
        public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            try withUnsafeTemporaryAllocation(byteCount: 20, alignment: 4) { buf in
                buf.storeBytes(of: h0.bigEndian, toByteOffset: 0, as: UInt32.self)
                buf.storeBytes(of: h1.bigEndian, toByteOffset: 4, as: UInt32.self)
                buf.storeBytes(of: h2.bigEndian, toByteOffset: 8, as: UInt32.self)
                buf.storeBytes(of: h3.bigEndian, toByteOffset: 12, as: UInt32.self)
                buf.storeBytes(of: h4.bigEndian, toByteOffset: 16, as: UInt32.self)
                return try body(UnsafeRawBufferPointer(buf))
            }
        }

        /// The 20 bytes, big-endian words in order.
        public var bytes: [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(20)
            for w in [h0, h1, h2, h3, h4] {
                out.append(UInt8(truncatingIfNeeded: w >> 24))
                out.append(UInt8(truncatingIfNeeded: w >> 16))
                out.append(UInt8(truncatingIfNeeded: w >> 8))
                out.append(UInt8(truncatingIfNeeded: w))
            }
            return out
        }

        /// 40 lowercase hex digits (what DEBUG DIGEST and SCRIPT LOAD reply).
        public var hex: String { String(decoding: hexBytes, as: UTF8.self) }

        /// 40 lowercase hex digits as bytes.
        public var hexBytes: [UInt8] {
            let digits: [UInt8] = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            out.reserveCapacity(40)
            for b in bytes {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 15)])
            }
            return out
        }
    }

    /// The chaining state.
    var state = Digest.initial
    /// Bytes of an unfinished block (fewer than 64).
    var pending: [UInt8] = []
    /// Bytes hashed so far.
    var length: UInt64 = 0

    /// A fresh hasher.
    public init() {}

    /// Hashes `bytes` in one go, without allocating.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        var state = Digest.initial
        let full = bytes.count & ~63
        var offset = 0
        while offset < full {
            compress(&state, bytes.baseAddress! + offset)
            offset += 64
        }
        let tail = UnsafeRawBufferPointer(rebasing: bytes[full...])
        finish(&state, tail: tail, totalLength: UInt64(bytes.count))
        return state
    }

    /// Hashes a byte array in one go.
    public static func hash(_ bytes: [UInt8]) -> Digest { bytes.withUnsafeBytes { hash($0) } }

    /// Hashes an `RBytes` in one go.
    public static func hash(_ bytes: RBytes) -> Digest { bytes.withUnsafeBytes { hash($0) } }

    /// Appends `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        length &+= UInt64(bytes.count)
        var input = bytes
        if !pending.isEmpty {
            let take = min(64 - pending.count, input.count)
            pending.append(contentsOf: input.prefix(take))
            input = UnsafeRawBufferPointer(rebasing: input[take...])
            guard pending.count == 64 else { return }
            pending.withUnsafeBytes { SHA1.compress(&state, $0.baseAddress!) }
            pending.removeAll(keepingCapacity: true)
        }
        let full = input.count & ~63
        var offset = 0
        while offset < full {
            SHA1.compress(&state, input.baseAddress! + offset)
            offset += 64
        }
        if full < input.count {
            if pending.capacity < 64 { pending.reserveCapacity(64) }
            pending.append(contentsOf: input[full...])
        }
    }

    /// Appends a byte array to the message.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Appends an `RBytes` to the message.
    public mutating func update(_ bytes: RBytes) { bytes.withUnsafeBytes { update($0) } }

    /// The digest of everything appended (the hasher can be reused after `reset`).
    public func finalize() -> Digest {
        var s = state
        pending.withUnsafeBytes { SHA1.finish(&s, tail: $0, totalLength: length) }
        return s
    }

    /// Back to the empty message.
    public mutating func reset() {
        state = Digest.initial
        pending.removeAll(keepingCapacity: true)
        length = 0
    }

    /// Pads the last partial block (fewer than 64 bytes) and compresses the one or two final blocks.
    static func finish(_ state: inout Digest, tail: UnsafeRawBufferPointer, totalLength: UInt64) {
        withUnsafeTemporaryAllocation(byteCount: 128, alignment: 8) { buf in
            buf.initializeMemory(as: UInt8.self, repeating: 0)
            if tail.count > 0 { buf.baseAddress!.copyMemory(from: tail.baseAddress!, byteCount: tail.count) }
            buf.storeBytes(of: 0x80, toByteOffset: tail.count, as: UInt8.self)
            let blocks = tail.count < 56 ? 1 : 2
            buf.storeBytes(of: (totalLength &* 8).bigEndian, toByteOffset: blocks * 64 - 8, as: UInt64.self)
            compress(&state, UnsafeRawPointer(buf.baseAddress!))
            if blocks == 2 { compress(&state, UnsafeRawPointer(buf.baseAddress! + 64)) }
        }
    }

    /// One 64-byte block through the compression function.
    static func compress(_ state: inout Digest, _ block: UnsafeRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for i in 0..<16 {
                w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = (x << 1) | (x >> 31)
            }
            var a = state.h0, b = state.h1, c = state.h2, d = state.h3, e = state.h4
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let t = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[i]
                e = d
                d = c
                c = (b << 30) | (b >> 2)
                b = a
                a = t
            }
            state.h0 &+= a
            state.h1 &+= b
            state.h2 &+= c
            state.h3 &+= d
            state.h4 &+= e
        }
    }
}
