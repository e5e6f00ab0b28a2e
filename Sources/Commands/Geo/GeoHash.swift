#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A geohash cell: `step` bits of latitude and `step` bits of longitude, interleaved (latitude on the even bits,
/// longitude on the odd ones), as Redis's `GeoHashBits`. A cell with both fields zero is "no cell" (a neighbour
/// the search excluded).
struct GeoCell: Equatable {
    var bits: UInt64
    var step: Int

    static let none = GeoCell(bits: 0, step: 0)
    var isNone: Bool { bits == 0 && step == 0 }
}

/// The latitude and longitude bounds of a cell.
struct GeoArea {
    var minLon: Double, maxLon: Double
    var minLat: Double, maxLat: Double
}

/// Redis's geohash arithmetic (`geohash.c`, `geohash_helper.c`), reproduced operation for operation so that
/// scores, decoded coordinates, search cells and distances are bit-identical to Redis 7.0's.
///
/// Positions are stored as 52-bit scores: 26 steps over longitude [-180, 180] and latitude
/// [-85.05112878, 85.05112878] (the Web Mercator limits).
enum GeoHash {
    static let maxStep = 26
    static let lonMin = -180.0, lonMax = 180.0
    static let latMin = -85.05112878, latMax = 85.05112878
    /// Redis's `EARTH_RADIUS_IN_METERS`.
    static let earthRadius = 6372797.560856
    static let mercatorMax = 20037726.37
    /// Redis's `D_R` (`M_PI / 180.0`).
    static let degToRad = Double.pi / 180.0

    @inline(__always) static func radians(_ deg: Double) -> Double { deg * degToRad }
    @inline(__always) static func degrees(_ rad: Double) -> Double { rad / degToRad }

    /// Whether a longitude/latitude pair can be indexed.
    static func isValid(lon: Double, lat: Double) -> Bool {
        !(lon < lonMin || lon > lonMax || lat < latMin || lat > latMax)
    }

    // MARK: - Bit interleaving

    /// Spreads the 32 bits of `v` onto the even bits of a 64-bit word.
    @inline(__always)
    static func spread(_ v: UInt32) -> UInt64 {
        var x = UInt64(v)
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        x = (x | (x << 2)) & 0x3333_3333_3333_3333
        x = (x | (x << 1)) & 0x5555_5555_5555_5555
        return x
    }

    /// Gathers the even bits of `v` into 32 bits (the inverse of `spread`).
    @inline(__always)
    static func gather(_ v: UInt64) -> UInt32 {
        var x = v & 0x5555_5555_5555_5555
        x = (x | (x >> 1)) & 0x3333_3333_3333_3333
        x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F
        x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF
        return UInt32(x)
    }

    /// C's `(uint32_t)` of a non-negative double below 2^32 (truncation).
    @inline(__always)
    static func truncatedUInt32(_ d: Double) -> UInt32 {
        d >= 0 && d < 4294967296.0 ? UInt32(d) : 0
    }

    /// C's `(uint64_t)` of a double as x86-64 code computes it (cvttsd2si, with the 2^63 offset for large values):
    /// how Redis turns a member's score into hash bits, for any score a sorted set may hold.
    static func scoreBits(_ score: Double) -> UInt64 {
        let twoTo63 = 9223372036854775808.0
        if score < twoTo63 {
            return UInt64(bitPattern: signedTruncation(score))
        }
        return UInt64(bitPattern: signedTruncation(score - twoTo63)) ^ 0x8000_0000_0000_0000
    }

    /// cvttsd2si: truncation toward zero, or 0x8000000000000000 when the result does not fit (or for NaN).
    @inline(__always)
    static func signedTruncation(_ d: Double) -> Int64 {
        if d.isNaN || d >= 9223372036854775808.0 || d < -9223372036854775808.0 { return Int64.min }
        return Int64(d)
    }

    // MARK: - Encode / decode

    /// Redis's `geohashEncode` over the given ranges; nil for positions outside the indexable area or ranges.
    static func encode(lon: Double, lat: Double, step: Int,
                       lonRange: (Double, Double) = (lonMin, lonMax),
                       latRange: (Double, Double) = (latMin, latMax)) -> GeoCell? {
        guard isValid(lon: lon, lat: lat) else { return nil }
        if lat < latRange.0 || lat > latRange.1 || lon < lonRange.0 || lon > lonRange.1 { return nil }
        var latOffset = (lat - latRange.0) / (latRange.1 - latRange.0)
        var lonOffset = (lon - lonRange.0) / (lonRange.1 - lonRange.0)
        let scale = Double(UInt64(1) << UInt64(step))
        latOffset *= scale
        lonOffset *= scale
        let bits = spread(truncatedUInt32(latOffset)) | (spread(truncatedUInt32(lonOffset)) << 1)
        return GeoCell(bits: bits, step: step)
    }

    /// Redis's `geohashDecode` over the standard ranges: the bounds of a cell.
    static func decode(_ cell: GeoCell) -> GeoArea {
        let latBits = gather(cell.bits)
        let lonBits = gather(cell.bits >> 1)
        let latScale = latMax - latMin
        let lonScale = lonMax - lonMin
        let div = Double(UInt64(1) << UInt64(cell.step))
        return GeoArea(
            minLon: lonMin + (Double(lonBits) * 1.0 / div) * lonScale,
            maxLon: lonMin + (Double(lonBits &+ 1) * 1.0 / div) * lonScale,
            minLat: latMin + (Double(latBits) * 1.0 / div) * latScale,
            maxLat: latMin + (Double(latBits &+ 1) * 1.0 / div) * latScale)
    }

    /// The centre of a cell, clamped to the indexable area (Redis's `geohashDecodeAreaToLongLat`).
    static func center(_ a: GeoArea) -> (lon: Double, lat: Double) {
        var lon = (a.minLon + a.maxLon) / 2
        if lon > lonMax { lon = lonMax }
        if lon < lonMin { lon = lonMin }
        var lat = (a.minLat + a.maxLat) / 2
        if lat > latMax { lat = latMax }
        if lat < latMin { lat = latMin }
        return (lon, lat)
    }

    /// The position a member's score stands for (Redis's `decodeGeohash`): any score decodes.
    static func position(ofScore score: Double) -> (lon: Double, lat: Double) {
        center(decode(GeoCell(bits: scoreBits(score), step: maxStep)))
    }

    /// The score GEOADD stores for a position (the 26-step cell aligned to 52 bits); nil if not indexable.
    static func score(lon: Double, lat: Double) -> UInt64? {
        guard let cell = encode(lon: lon, lat: lat, step: maxStep) else { return nil }
        return aligned52(cell)
    }

    /// Redis's `geohashAlign52Bits`.
    @inline(__always)
    static func aligned52(_ cell: GeoCell) -> UInt64 {
        cell.bits << UInt64(52 - cell.step * 2)
    }

    /// The 11-character standard geohash GEOHASH replies (re-encoded over latitude [-90, 90]; the last
    /// character is always `0`, since only 52 bits are kept).
    static func standardHash(ofScore score: Double) -> [UInt8]? {
        let p = position(ofScore: score)
        guard let cell = encode(lon: p.lon, lat: p.lat, step: maxStep, lonRange: (-180, 180), latRange: (-90, 90))
        else { return nil }
        let alphabet = Array("0123456789bcdefghjkmnpqrstuvwxyz".utf8)
        var out = [UInt8](repeating: UInt8(ascii: "0"), count: 11)
        for i in 0..<10 {
            out[i] = alphabet[Int((cell.bits >> UInt64(52 - (i + 1) * 5)) & 0x1f)]
        }
        return out
    }

    // MARK: - Neighbours

    /// Moves a cell one column east (`d` > 0) or west (`d` < 0), wrapping (Redis's `geohash_move_x`).
    static func movedX(_ c: GeoCell, _ d: Int) -> GeoCell {
        if d == 0 { return c }
        let shift = UInt64(64 - c.step * 2)
        var x = c.bits & 0xaaaa_aaaa_aaaa_aaaa
        let y = c.bits & 0x5555_5555_5555_5555
        let zz: UInt64 = 0x5555_5555_5555_5555 >> shift
        if d > 0 {
            x = x &+ (zz &+ 1)
        } else {
            x = x | zz
            x = x &- (zz &+ 1)
        }
        x &= (0xaaaa_aaaa_aaaa_aaaa >> shift)
        return GeoCell(bits: x | y, step: c.step)
    }

    /// Moves a cell one row north (`d` > 0) or south (`d` < 0), wrapping (Redis's `geohash_move_y`).
    static func movedY(_ c: GeoCell, _ d: Int) -> GeoCell {
        if d == 0 { return c }
        let shift = UInt64(64 - c.step * 2)
        let x = c.bits & 0xaaaa_aaaa_aaaa_aaaa
        var y = c.bits & 0x5555_5555_5555_5555
        let zz: UInt64 = 0xaaaa_aaaa_aaaa_aaaa >> shift
        if d > 0 {
            y = y &+ (zz &+ 1)
        } else {
            y = y | zz
            y = y &- (zz &+ 1)
        }
        y &= (0x5555_5555_5555_5555 >> shift)
        return GeoCell(bits: x | y, step: c.step)
    }

    @inline(__always)
    static func moved(_ c: GeoCell, _ dx: Int, _ dy: Int) -> GeoCell { movedY(movedX(c, dx), dy) }

    // MARK: - Distances

    /// Great-circle distance in meters (haversine, Redis's `geohashGetDistance`). Points on the same meridian take
    /// the shortcut the reference server takes (the latitude difference alone), which can differ from the full
    /// formula in the last bit.
    static func distance(lon1: Double, lat1: Double, lon2: Double, lat2: Double) -> Double {
        let lon1r = radians(lon1), lon2r = radians(lon2)
        let v = sin((lon2r - lon1r) / 2)
        if v == 0.0 { return latitudeDistance(lat1, lat2) }
        let lat1r = radians(lat1), lat2r = radians(lat2)
        let u = sin((lat2r - lat1r) / 2)
        let a = u * u + cos(lat1r) * cos(lat2r) * v * v
        return 2.0 * earthRadius * asin(sqrt(a))
    }

    /// The distance between two latitudes along a meridian (Redis's `geohashGetLatDistance`).
    @inline(__always)
    static func latitudeDistance(_ lat1: Double, _ lat2: Double) -> Double {
        earthRadius * abs(radians(lat2) - radians(lat1))
    }

    /// Redis's `geohashEstimateStepsByRadius`: the cell size whose 3x3 neighbourhood covers a radius.
    static func estimatedStep(radiusMeters: Double, lat: Double) -> Int {
        if radiusMeters == 0 { return 26 }
        var range = radiusMeters
        var step = 1
        while range < mercatorMax {
            range *= 2
            step += 1
        }
        step -= 2
        if lat > 66 || lat < -66 {
            step -= 1
            if lat > 80 || lat < -80 { step -= 1 }
        }
        return min(26, max(1, step))
    }
}
