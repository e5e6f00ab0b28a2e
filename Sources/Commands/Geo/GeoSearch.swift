import Kernel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The area a search covers: a circle (radius) or an axis-aligned box (width × height) around a centre, with
/// sizes in the request's unit and `toMeters` converting them (Redis's `GeoShape`).
struct GeoShape {
    enum Kind {
        case radius(Double)
        case box(width: Double, height: Double)
    }

    var lon = 0.0, lat = 0.0
    var kind = Kind.radius(0)
    var toMeters = 1.0

    /// Redis's `geohashBoundingBox`: min/max longitude and latitude around the centre.
    func boundingBox() -> (minLon: Double, minLat: Double, maxLon: Double, maxLat: Double) {
        let height: Double, width: Double
        switch kind {
        case .radius(let r):
            height = toMeters * r
            width = toMeters * r
        case .box(let w, let h):
            height = toMeters * (h / 2)
            width = toMeters * (w / 2)
        }
        let latDelta = GeoHash.degrees(height / GeoHash.earthRadius)
        let lonDeltaTop = GeoHash.degrees(width / GeoHash.earthRadius / cos(GeoHash.radians(lat + latDelta)))
        let lonDeltaBottom = GeoHash.degrees(width / GeoHash.earthRadius / cos(GeoHash.radians(lat - latDelta)))
        let south = lat < 0
        return (minLon: south ? lon - lonDeltaBottom : lon - lonDeltaTop,
                minLat: lat - latDelta,
                maxLon: south ? lon + lonDeltaBottom : lon + lonDeltaTop,
                maxLat: lat + latDelta)
    }

    /// The meters that decide the cell size: the radius, or the half-diagonal of the box.
    var coveringMeters: Double {
        switch kind {
        case .radius(let r):
            return r * toMeters
        case .box(let w, let h):
            return ((w / 2) * (w / 2) + (h / 2) * (h / 2)).squareRoot() * toMeters
        }
    }

    /// The distance in meters from the centre to a point if the point is inside the shape (Redis's
    /// `geohashGetDistanceIfInRadiusWGS84` / `geohashGetDistanceIfInRectangle`).
    func distanceIfInside(lon plon: Double, lat plat: Double) -> Double? {
        switch kind {
        case .radius(let r):
            let d = GeoHash.distance(lon1: lon, lat1: lat, lon2: plon, lat2: plat)
            return d > r * toMeters ? nil : d
        case .box(let w, let h):
            if GeoHash.latitudeDistance(plat, lat) > (h * toMeters) / 2 { return nil }
            if GeoHash.distance(lon1: plon, lat1: plat, lon2: lon, lat2: plat) > (w * toMeters) / 2 { return nil }
            return GeoHash.distance(lon1: lon, lat1: lat, lon2: plon, lat2: plat)
        }
    }

    /// The nine cells to scan, in Redis's order (centre, N, S, E, W, NE, NW, SE, SW), with the ones the bounding box
    /// cannot reach replaced by `GeoCell.none` (Redis's `geohashCalculateAreasByShapeWGS84`).
    func searchCells() -> [GeoCell] {
        let bounds = boundingBox()
        var step = GeoHash.estimatedStep(radiusMeters: coveringMeters, lat: lat)
        func cells(at step: Int) -> (center: GeoCell, around: [GeoCell]) {
            // encode cannot fail: the centre was validated when parsed, or decoded from a member.
            let center = GeoHash.encode(lon: lon, lat: lat, step: step) ?? GeoCell(bits: 0, step: step)
            let around = [GeoHash.moved(center, 0, 1), GeoHash.moved(center, 0, -1),
                          GeoHash.moved(center, 1, 0), GeoHash.moved(center, -1, 0),
                          GeoHash.moved(center, 1, 1), GeoHash.moved(center, -1, 1),
                          GeoHash.moved(center, 1, -1), GeoHash.moved(center, -1, -1)]
            return (center, around)
        }
        var (center, around) = cells(at: step)
        // A neighbour too small to reach the bounding box edge means the step is one too fine.
        let north = GeoHash.decode(around[0]), south = GeoHash.decode(around[1])
        let east = GeoHash.decode(around[2]), west = GeoHash.decode(around[3])
        let decrease = north.maxLat < bounds.maxLat || south.minLat > bounds.minLat
            || east.maxLon < bounds.maxLon || west.minLon > bounds.minLon
        if step > 1 && decrease {
            step -= 1
            (center, around) = cells(at: step)
        }
        if step >= 2 {
            let area = GeoHash.decode(center)
            // Indexes into `around`: 0 N, 1 S, 2 E, 3 W, 4 NE, 5 NW, 6 SE, 7 SW.
            if area.minLat < bounds.minLat { for i in [1, 7, 6] { around[i] = .none } }
            if area.maxLat > bounds.maxLat { for i in [0, 4, 5] { around[i] = .none } }
            if area.minLon < bounds.minLon { for i in [3, 7, 5] { around[i] = .none } }
            if area.maxLon > bounds.maxLon { for i in [2, 6, 4] { around[i] = .none } }
        }
        return [center] + around
    }
}

/// One search result (Redis's `geoPoint`).
struct GeoPoint {
    var member: RBytes
    var score: Double
    var lon: Double
    var lat: Double
    /// Meters from the centre (divided by the unit before replying).
    var dist: Double
}

/// The scan itself (Redis's `membersOfAllNeighbors` / `geoGetPointsInRange`).
enum GeoScan {
    /// The members of `z` inside `shape`, in the order Redis finds them: cell by cell, ascending score within a
    /// cell. A non-zero `limit` (COUNT with ANY) stops as soon as that many were found.
    static func members(of z: SortedSetObject, in shape: GeoShape, limit: Int) -> [GeoPoint] {
        var found: [GeoPoint] = []
        let cells = shape.searchCells()
        var lastProcessed = 0
        for i in cells.indices {
            let cell = cells[i]
            if cell.isNone { continue }
            // Adjacent cells can coincide for huge areas; a repeat of the previous scanned cell is skipped.
            if lastProcessed != 0 && cell == cells[lastProcessed] { continue }
            if !found.isEmpty && limit > 0 && found.count >= limit { break }
            scanCell(z, cell, shape, limit, &found)
            lastProcessed = i
        }
        return found
    }

    /// Appends the members whose scores fall in the cell's score range [min, max) and lie inside the shape.
    static func scanCell(_ z: SortedSetObject, _ cell: GeoCell, _ shape: GeoShape, _ limit: Int,
                         _ found: inout [GeoPoint]) {
        let minScore = Double(GeoHash.aligned52(cell))
        let maxScore = Double(GeoHash.aligned52(GeoCell(bits: cell.bits &+ 1, step: cell.step)))
        let start = z.countPrefix { _, s in s < minScore }
        let end = z.countPrefix { _, s in s < maxScore }
        guard start < end else { return }
        var done = false
        z.forEach(in: start..<end) { member, score in
            if done { return }
            let p = GeoHash.position(ofScore: score)
            if let d = shape.distanceIfInside(lon: p.lon, lat: p.lat) {
                found.append(GeoPoint(member: member, score: score, lon: p.lon, lat: p.lat, dist: d))
            }
            if !found.isEmpty && limit > 0 && found.count >= limit { done = true }
        }
    }
}
