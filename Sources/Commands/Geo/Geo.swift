import Kernel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The geo family (Redis's `geo.c`): positions stored as 52-bit geohash scores in sorted sets. GEOADD (which runs
/// and propagates as ZADD), GEODIST, GEOHASH, GEOPOS, and the searches GEORADIUS, GEORADIUSBYMEMBER (with their
/// read-only forms), GEOSEARCH and GEOSEARCHSTORE over `SortedSetObject`.
public struct GeoCommands: CommandModule {
    public init() {}
    public let family = "geo"

    public var commands: [CommandSpec] {
        let g: ACLCategories = [.geo]
        let radiusComplexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index."
        let searchComplexity = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape"
        return [
            CommandSpec("geoadd", arity: -5, flags: [.write, .denyoom], keys: .single, categories: g,
                        summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
                        since: "3.2.0",
                        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
                        handler: Self.geoadd),
            CommandSpec("geodist", arity: -4, flags: [.readonly], keys: .single, categories: g,
                        summary: "Returns the distance between two members of a geospatial index", since: "3.2.0",
                        complexity: "O(log(N))", handler: Self.geodist),
            CommandSpec("geohash", arity: -2, flags: [.readonly], keys: .single, categories: g,
                        summary: "Returns members of a geospatial index as standard geohash strings", since: "3.2.0",
                        complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
                        handler: Self.geohash),
            CommandSpec("geopos", arity: -2, flags: [.readonly], keys: .single, categories: g,
                        summary: "Returns longitude and latitude of members of a geospatial index", since: "3.2.0",
                        complexity: "O(N) where N is the number of members requested.", handler: Self.geopos),
            CommandSpec("georadius", arity: -6, flags: [.write, .denyoom], keys: .single, categories: g,
                        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
                        since: "3.2.0", complexity: radiusComplexity, keyFinder: Self.radiusKeys(storeFrom: 6),
                        handler: Self.georadius),
            CommandSpec("georadius_ro", arity: -6, flags: [.readonly], keys: .single, categories: g,
                        summary: "A read-only variant for GEORADIUS", since: "3.2.10", complexity: radiusComplexity,
                        handler: Self.georadiusRO),
            CommandSpec("georadiusbymember", arity: -5, flags: [.write, .denyoom], keys: .single, categories: g,
                        summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
                        since: "3.2.0", complexity: radiusComplexity, keyFinder: Self.radiusKeys(storeFrom: 5),
                        handler: Self.georadiusbymember),
            CommandSpec("georadiusbymember_ro", arity: -5, flags: [.readonly], keys: .single, categories: g,
                        summary: "A read-only variant for GEORADIUSBYMEMBER", since: "3.2.10",
                        complexity: radiusComplexity, handler: Self.georadiusbymemberRO),
            CommandSpec("geosearch", arity: -7, flags: [.readonly], keys: .single, categories: g,
                        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
                        since: "6.2.0", complexity: searchComplexity, handler: Self.geosearch),
            CommandSpec("geosearchstore", arity: -8, flags: [.write, .denyoom],
                        keys: KeyPositions(first: 1, last: 2, step: 1), categories: g,
                        summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
                        since: "6.2.0", complexity: searchComplexity, handler: Self.geosearchstore),
        ]
    }

    /// Keys of GEORADIUS / GEORADIUSBYMEMBER as Redis 7.0's key specs find them: the source key, then the argument
    /// after the first `STORE` and the one after the first `STOREDIST` at or after `storeFrom`. A keyword in the
    /// last position makes the specs incomplete, and Redis then falls back to its `georadiusGetKeys`, which keeps
    /// only the last STORE/STOREDIST that has an argument after it.
    static func radiusKeys(storeFrom: Int) -> ([RBytes]) -> [Int] {
        { argv in
            var keys = [1]
            var incomplete = false
            for keyword: StaticString in ["STORE", "STOREDIST"] {
                var i = storeFrom
                while i < argv.count && !argv[i].equalsIgnoringCase(keyword) { i += 1 }
                if i >= argv.count { continue }
                if i + 1 < argv.count { keys.append(i + 1) } else { incomplete = true }
            }
            if !incomplete { return keys }
            var stored = -1
            var i = 5
            while i < argv.count {
                if (argv[i].equalsIgnoringCase("STORE") || argv[i].equalsIgnoringCase("STOREDIST")) && i + 1 < argv.count {
                    stored = i + 1
                    i += 1
                }
                i += 1
            }
            return stored < 0 ? [1] : [1, stored]
        }
    }
}

// MARK: - Shared helpers

extension GeoCommands {
    /// The sorted set at `key` for reading: `.missing`, `.found`, or nil after replying WRONGTYPE.
    static func readSet(_ c: Client, _ key: RBytes) -> SortedSetObject?? {
        switch c.lookup(key, as: SortedSetObject.self) {
        case .missing: return .some(nil)
        case .found(let z): return .some(z)
        case .wrongType:
            c.error(Errors.wrongType)
            return nil
        }
    }

    /// Redis's `extractUnitOrReply`: meters per unit (m, km, ft, mi, any case), or nil after replying.
    static func unit(_ c: Client, _ arg: RBytes) -> Double? {
        if arg.equalsIgnoringCase("m") { return 1 }
        if arg.equalsIgnoringCase("km") { return 1000 }
        if arg.equalsIgnoringCase("ft") { return 0.3048 }
        if arg.equalsIgnoringCase("mi") { return 1609.34 }
        c.error("ERR unsupported unit provided. please use M, KM, FT, MI")
        return nil
    }

    /// A double argument (Redis's `getDoubleFromObjectOrReply`), or nil after replying `message`.
    static func double(_ c: Client, _ arg: RBytes, _ message: String = Errors.notFloat) -> Double? {
        guard let v = Numbers.parseDouble(arg) else {
            c.error(message)
            return nil
        }
        return v
    }

    /// Redis's `extractLongLatOrReply`: a longitude/latitude pair inside the indexable area, or nil after replying.
    static func lonLat(_ c: Client, _ lonArg: RBytes, _ latArg: RBytes) -> (Double, Double)? {
        guard let lon = double(c, lonArg), let lat = double(c, latArg) else { return nil }
        guard GeoHash.isValid(lon: lon, lat: lat) else {
            let text = Numbers.cFormat("invalid longitude,latitude pair %f,%f", lon, lat)
            c.error("ERR " + String(decoding: text, as: UTF8.self))
            return nil
        }
        return (lon, lat)
    }

    /// `snprintf(format, v)` of one double, as bytes.
    static func formatted(_ v: Double, _ format: StaticString) -> RBytes {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buf -> RBytes in
            let n = withVaList([v]) { va in
                vsnprintf(buf.baseAddress!, buf.count,
                          UnsafeRawPointer(format.utf8Start).assumingMemoryBound(to: CChar.self), va)
            }
            let len = Int(max(0, min(n, Int32(buf.count - 1))))
            return RBytes(UnsafeRawBufferPointer(start: buf.baseAddress!, count: len))
        }
    }

    /// A distance as the reference server replies it: 4 decimals, a bulk string in both protocols. It is not
    /// `%.4f` of the exact value: the distance is scaled by 10^4 and rounded half-to-even as a double (Redis's
    /// `fixedpoint_d2string`), so a value just above a half rounds like the half itself.
    static func replyDistance(_ c: Client, _ d: Double) {
        c.reply.bulk(fixedPoint4(d))
    }

    /// `d` with exactly 4 decimals, from `llrint(d * 10000)` (x86-64: NaN and out-of-range give INT64_MIN).
    static func fixedPoint4(_ d: Double) -> RBytes {
        if d == 0 { return "0.0000" }
        let scaled = (d * 10000).rounded(.toNearestOrEven)
        let n: Int64 = scaled.isNaN || scaled >= 9223372036854775808.0 || scaled < -9223372036854775808.0
            ? Int64.min : Int64(scaled)
        let magnitude = n.magnitude
        var out: [UInt8] = n < 0 ? [UInt8(ascii: "-")] : []
        out.append(contentsOf: String(magnitude / 10000).utf8)
        out.append(UInt8(ascii: "."))
        let frac = magnitude % 10000
        out.append(UInt8(48 + frac / 1000))
        out.append(UInt8(48 + frac / 100 % 10))
        out.append(UInt8(48 + frac / 10 % 10))
        out.append(UInt8(48 + frac % 10))
        return RBytes(out)
    }

    /// A coordinate as Redis replies it (`addReplyHumanLongDouble`: `%.17Lf` without trailing zeros; a RESP3
    /// double). The double's exact value prints the same through `%.17f`.
    static func replyCoordinate(_ c: Client, _ v: Double) {
        c.reply.double(text: formattedHuman(v))
    }

    /// `%.17f` without trailing zeros (and `-0` as `0`): Redis's `ld2string` in its human mode.
    static func formattedHuman(_ v: Double) -> RBytes {
        var text = formatted(v, "%.17f").array
        if text.contains(UInt8(ascii: ".")) {
            while text.last == UInt8(ascii: "0") { text.removeLast() }
            if text.last == UInt8(ascii: ".") { text.removeLast() }
        }
        if text == [UInt8(ascii: "-"), UInt8(ascii: "0")] { text = [UInt8(ascii: "0")] }
        return RBytes(text)
    }

    /// A position as a two-element array of coordinates.
    static func replyPosition(_ c: Client, lon: Double, lat: Double) {
        c.reply.arrayHeader(2)
        replyCoordinate(c, lon)
        replyCoordinate(c, lat)
    }
}
