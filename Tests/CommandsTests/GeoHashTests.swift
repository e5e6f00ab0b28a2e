@testable import Commands
import Kernel
import Testing

/// The geohash arithmetic and the orderings of the geo family, against values redis-server 7.0 produces.
@Suite("Geo arithmetic")
struct GeoHashTests {
    @Test("GEOADD scores are Redis's 52-bit cells")
    func scores() {
        #expect(GeoHash.score(lon: 13.361389, lat: 38.115556) == 3479099956230698)
        #expect(GeoHash.score(lon: 15.087269, lat: 37.502669) == 3479447370796909)
        // Longitude 180 carries into bit 53, as in Redis.
        #expect(GeoHash.score(lon: 180, lat: 0) == 10133099161583616)
        #expect(GeoHash.score(lon: -180, lat: 85.05112878) == 4503599627370496)
        #expect(GeoHash.score(lon: 181, lat: 0) == nil)
        #expect(GeoHash.score(lon: 0, lat: 85.06) == nil)
    }

    @Test("Scores decode to clamped cell centres, whatever their value")
    func positions() {
        let p = GeoHash.position(ofScore: 3479099956230698)
        #expect(GeoCommands.formattedHuman(p.lon) == "13.36138933897018433")
        #expect(GeoCommands.formattedHuman(p.lat) == "38.11555639549629859")
        let neg = GeoHash.position(ofScore: -1)
        #expect(neg.lon == 180 && neg.lat == GeoHash.latMax)
        let huge = GeoHash.position(ofScore: 1e30)
        #expect(GeoCommands.formattedHuman(huge.lon) == "-179.99999731779098511")
    }

    @Test("Standard geohash strings")
    func standardHash() {
        #expect(GeoHash.standardHash(ofScore: 3479099956230698).map { RBytes($0) } == "sqc8b49rny0")
        #expect(GeoHash.standardHash(ofScore: 10133099161583616).map { RBytes($0) } == "80000000000")
    }

    @Test("Distances print as the scaled value rounded half-to-even")
    func fixedPoint() {
        #expect(GeoCommands.fixedPoint4(0) == "0.0000")
        #expect(GeoCommands.fixedPoint4(0.0001) == "0.0001")
        #expect(GeoCommands.fixedPoint4(6.0642951598391699e-05) == "0.0001")
        #expect(GeoCommands.fixedPoint4(10.01) == "10.0100")
        #expect(GeoCommands.fixedPoint4(17429785.438450001) == "17429785.4384")
        #expect(GeoCommands.fixedPoint4(166274.1516) == "166274.1516")
    }

    @Test("Neighbour moves wrap around the grid")
    func neighbours() {
        let c = GeoCell(bits: 0, step: 1)
        #expect(GeoHash.moved(c, -1, 0) == GeoCell(bits: 0b10, step: 1))
        #expect(GeoHash.moved(c, 0, -1) == GeoCell(bits: 0b01, step: 1))
        #expect(GeoHash.moved(GeoHash.moved(c, 1, 1), 1, 1) == c)
    }

    @Test("A partial sort puts the wanted prefix in order", arguments: [1, 2, 5, 17, 60])
    func partialSort(wanted: Int) {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let n = Int.random(in: wanted + 1...200, using: &rng)
            var points = (0..<n).map { i in
                GeoPoint(member: RBytes("m\(i)"), score: 0, lon: 0, lat: 0,
                         dist: Double(Int.random(in: 0..<40, using: &rng)))
            }
            let sorted = points.map(\.dist).sorted()
            GeoSort.sort(&points, descending: false, wanted: wanted)
            #expect(Array(points.prefix(wanted).map(\.dist)) == Array(sorted.prefix(wanted)))
            #expect(points.map(\.dist).sorted() == sorted)
        }
    }

    @Test("A full sort is stable, descending included")
    func stableSort() {
        var points = (0..<30).map { i in
            GeoPoint(member: RBytes("m\(i)"), score: 0, lon: 0, lat: 0, dist: Double(i % 3))
        }
        GeoSort.sort(&points, descending: true, wanted: 30)
        #expect(points.prefix(10).map(\.member) == (0..<10).map { RBytes("m\($0 * 3 + 2)") })
    }
}
