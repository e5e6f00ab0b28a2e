import Kernel

// MARK: - GEOADD / GEODIST / GEOHASH / GEOPOS

extension GeoCommands {
    /// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
    ///
    /// As in Redis, the positions become geohash scores and the command runs as ZADD with the same options: its
    /// argument vector is replaced, so replicas and the AOF receive the ZADD.
    static func geoadd(_ c: Client) {
        let argv = c.argv
        var nx = false, xx = false
        var first = 2
        while first < argv.count {
            let opt = argv[first]
            if opt.equalsIgnoringCase("NX") { nx = true }
            else if opt.equalsIgnoringCase("XX") { xx = true }
            else if !opt.equalsIgnoringCase("CH") { break }
            first += 1
        }
        if (argv.count - first) % 3 != 0 || (nx && xx) {
            c.error(Errors.syntax)
            return
        }
        let elements = (argv.count - first) / 3
        var zaddArgv: [RBytes] = []
        zaddArgv.reserveCapacity(first + elements * 2)
        zaddArgv.append("zadd")
        zaddArgv.append(contentsOf: argv[1..<first])
        for i in 0..<elements {
            let at = first + i * 3
            guard let (lon, lat) = lonLat(c, argv[at], argv[at + 1]) else { return }
            // lonLat validated the pair, so the encoding exists.
            let score = GeoHash.score(lon: lon, lat: lat) ?? 0
            zaddArgv.append(Numbers.format(Int64(score)))
            zaddArgv.append(argv[at + 2])
        }
        c.argv = zaddArgv
        SortedSetCommands.zadd(c)
    }

    /// GEODIST key member1 member2 [M | KM | FT | MI]
    static func geodist(_ c: Client) {
        let argv = c.argv
        var toMeters = 1.0
        if argv.count == 5 {
            guard let u = unit(c, argv[4]) else { return }
            toMeters = u
        } else if argv.count > 5 {
            c.error(Errors.syntax)
            return
        }
        guard let found = readSet(c, argv[1]) else { return }
        guard let z = found, let s1 = z.score(of: argv[2]), let s2 = z.score(of: argv[3]) else {
            c.reply.null()
            return
        }
        let a = GeoHash.position(ofScore: s1), b = GeoHash.position(ofScore: s2)
        replyDistance(c, GeoHash.distance(lon1: a.lon, lat1: a.lat, lon2: b.lon, lat2: b.lat) / toMeters)
    }

    /// GEOHASH key [member ...]
    static func geohash(_ c: Client) {
        let argv = c.argv
        guard let found = readSet(c, argv[1]) else { return }
        c.reply.arrayHeader(argv.count - 2)
        for member in argv.dropFirst(2) {
            if let z = found, let s = z.score(of: member), let text = GeoHash.standardHash(ofScore: s) {
                c.reply.bulk(RBytes(text))
            } else {
                c.reply.null()
            }
        }
    }

    /// GEOPOS key [member ...]
    static func geopos(_ c: Client) {
        let argv = c.argv
        guard let found = readSet(c, argv[1]) else { return }
        c.reply.arrayHeader(argv.count - 2)
        for member in argv.dropFirst(2) {
            if let z = found, let s = z.score(of: member) {
                let p = GeoHash.position(ofScore: s)
                replyPosition(c, lon: p.lon, lat: p.lat)
            } else {
                c.reply.nullArray()
            }
        }
    }
}
