/// Redis 7.0's dataset digest (`DEBUG DIGEST`, `DEBUG DIGEST-VALUE`): the same data gives the same 40 hex digits
/// on redis-server and on ours, whatever the encodings, insertion order or table layout. Tests and users compare
/// two servers (a reloaded RDB, an AOF replay, a replica) with it.
///
/// The arithmetic, as Redis defines it (built from two SHA-1 steps on a 20-byte accumulator):
/// - `xor(d, bytes)`: `d ^= sha1(bytes)` — order-independent, for members of sets, fields of hashes, zset entries
///   and the keys of a database;
/// - `mix(d, bytes)`: `d = sha1(d ^ sha1(bytes))` — order-dependent, for list elements and the parts of one entry.
///
/// A value's digest starts from zero, mixes its type code (4 bytes, big-endian: string 0, list 1, set 2, zset 3,
/// hash 4, module 5, stream 6), then:
/// - string: mix its bytes (integers in decimal);
/// - list: mix each element, head to tail;
/// - set: xor each member;
/// - hash: xor, per field, the 20 bytes `mix(mix(0, field), value)`;
/// - zset: xor, per member, the 20 bytes `mix(mix(0, member), score as "%.17g")` (`inf`/`-inf`);
/// - a key with a TTL: xor the 10 bytes `!!expire!!` (only whether there is one: the time itself is not mixed).
///
/// A key's digest mixes the key's bytes first and continues with the value's steps on the same accumulator.
/// The dataset digest: for each non-empty database in id order, mix the id (4 bytes, big-endian), then xor every
/// key's digest (its 20 bytes, so their SHA-1 is what gets xored, as everywhere `xor` takes bytes). Expired keys not yet reclaimed count, as in Redis (it iterates the table without lookups).
public enum DatasetDigest {
    /// Redis's type codes (`OBJ_STRING` …), mixed first into a value's digest.
    public enum TypeCode: UInt32 {
        case string = 0, list = 1, set = 2, zset = 3, hash = 4, module = 5, stream = 6
    }

    /// What `DEBUG DIGEST` replies: the digest of every database, zero when all are empty.
    public static func of(databases: [Database]) -> SHA1.Digest {
        var final = SHA1.Digest.zero
        for db in databases where db.count > 0 {
            final.mix(bigEndian: UInt32(truncatingIfNeeded: db.id))
            let table = db.table
            let expires = db.expires
            table.forEachSlot { slot in
                let key = table.key(at: slot)
                var d = SHA1.Digest.zero
                d.mix(key)
                mixValue(table.value(at: slot).value, hasExpire: expires.count > 0 && expires.find(key) != nil,
                         into: &d)
                final.xor(digest: d)
            }
        }
        return final
    }

    /// What `DEBUG DIGEST-VALUE` replies for one key: its value's digest (the key itself not mixed), zero when the
    /// key is missing. Logically expired keys still count, as in Redis.
    public static func of(key: RBytes, in db: Database) -> SHA1.Digest {
        guard let slot = db.table.find(key) else { return .zero }
        var d = SHA1.Digest.zero
        mixValue(db.table.value(at: slot).value, hasExpire: db.expires.count > 0 && db.expires.find(key) != nil,
                 into: &d)
        return d
    }

    /// The digest of a value on its own (as DIGEST-VALUE computes it), for tests and for comparing copies.
    public static func of(value: Value, hasExpire: Bool = false) -> SHA1.Digest {
        var d = SHA1.Digest.zero
        mixValue(value, hasExpire: hasExpire, into: &d)
        return d
    }

    /// Redis's `xorObjectDigest`: the type code, the content, the expire marker, into `d`.
    public static func mixValue(_ value: Value, hasExpire: Bool, into d: inout SHA1.Digest) {
        switch value {
        case .string(let s):
            d.mix(bigEndian: TypeCode.string.rawValue)
            d.mix(s)
        case .object(let o):
            mixObject(o, into: &d)
        case .packed(let p):
            p.withObject { mixObject($0, into: &d) }
        }
        if hasExpire { d.xor(expireMarker) }
    }

    /// The bytes xored in for a key with a TTL.
    static let expireMarker: [UInt8] = Array("!!expire!!".utf8)

    /// A collection's type code and content.
    static func mixObject(_ o: RedisObject, into d: inout SHA1.Digest) {
        switch o {
        case let list as ListObject:
            d.mix(bigEndian: TypeCode.list.rawValue)
            for element in list { d.mix(element) }
        case let set as SetObject:
            d.mix(bigEndian: TypeCode.set.rawValue)
            var acc = d
            set.forEach { acc.xor($0) }
            d = acc
        case let hash as HashObject:
            d.mix(bigEndian: TypeCode.hash.rawValue)
            var acc = d
            hash.forEach { field, value in acc.xor(digest: pairDigest(field, value)) }
            d = acc
        case let zset as SortedSetObject:
            d.mix(bigEndian: TypeCode.zset.rawValue)
            var acc = d
            zset.forEach(in: 0..<zset.count) { member, score in
                acc.xor(digest: pairDigest(member, Numbers.formatDouble(score)))
            }
            d = acc
        case let custom as DigestibleObject:
            d.mix(bigEndian: custom.digestTypeCode.rawValue)
            custom.mixDigest(into: &d)
        default:
            // A module type without a digest callback: Redis mixes only the type code then.
            d.mix(bigEndian: o.typeName == "stream" ? TypeCode.stream.rawValue : TypeCode.module.rawValue)
        }
    }

    /// `mix(mix(0, a), b)`: one hash field with its value, or one zset member with its formatted score.
    public static func pairDigest(_ a: RBytes, _ b: RBytes) -> SHA1.Digest {
        var e = SHA1.Digest.zero
        e.mix(a)
        e.mix(b)
        return e
    }
}

/// A collection type the kernel does not know (streams, module types) that takes part in `DEBUG DIGEST`:
/// it names its Redis type code and mixes its content the way Redis 7.0 does for that type.
public protocol DigestibleObject: AnyObject {
    /// The code mixed first (`.stream`, `.module`).
    var digestTypeCode: DatasetDigest.TypeCode { get }
    /// Mixes (or xors) the content into `d`, after the type code.
    func mixDigest(into d: inout SHA1.Digest)
}

extension SHA1.Digest {
    /// Redis's `xorDigest`: xors the SHA-1 of `bytes` into this digest.
    public mutating func xor(_ bytes: UnsafeRawBufferPointer) { self ^= SHA1.hash(bytes) }

    /// `xorDigest` of a byte array.
    public mutating func xor(_ bytes: [UInt8]) { self ^= SHA1.hash(bytes) }

    /// `xorDigest` of an `RBytes`.
    public mutating func xor(_ bytes: RBytes) { self ^= SHA1.hash(bytes) }

    /// `xorDigest` of another digest's 20 bytes: its SHA-1 is xored in (not the digest itself), as Redis folds
    /// per-element and per-key digests.
    public mutating func xor(digest: SHA1.Digest) { self ^= digest.withBytes { SHA1.hash($0) } }

    /// Redis's `mixDigest`: xors in the SHA-1 of `bytes`, then replaces the digest by the SHA-1 of its 20 bytes.
    public mutating func mix(_ bytes: UnsafeRawBufferPointer) {
        self ^= SHA1.hash(bytes)
        self = withBytes { SHA1.hash($0) }
    }

    /// `mixDigest` of a byte array.
    public mutating func mix(_ bytes: [UInt8]) { bytes.withUnsafeBytes { mix($0) } }

    /// `mixDigest` of an `RBytes`.
    public mutating func mix(_ bytes: RBytes) { bytes.withUnsafeBytes { mix($0) } }

    /// `mixDigest` of a 32-bit number in network byte order (type codes, database ids), as Redis's `htonl`.
    public mutating func mix(bigEndian value: UInt32) {
        withUnsafeTemporaryAllocation(byteCount: 4, alignment: 4) { buf in
            buf.storeBytes(of: value.bigEndian, as: UInt32.self)
            mix(UnsafeRawBufferPointer(buf))
        }
    }
}
