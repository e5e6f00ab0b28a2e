import Kernel

// MARK: - GEORADIUS / GEORADIUSBYMEMBER / GEOSEARCH / GEOSEARCHSTORE

extension GeoCommands {
    /// Which command form a search runs as (Redis's RADIUS_COORDS / RADIUS_MEMBER / GEOSEARCH flags).
    enum SearchForm {
        case radiusCoords, radiusMember, search
    }

    /// The options of one search (Redis's `georadiusGeneric` locals).
    struct SearchOptions {
        var withDist = false, withHash = false, withCoord = false
        var fromMember = false, fromLonLat = false, byRadius = false, byBox = false
        var sort: Sort = .none
        var any = false
        var count = 0
        var storeKey: RBytes?
        var storeDist = false

        enum Sort { case none, asc, desc }
    }

    /// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]]
    /// [ASC|DESC] [STORE key] [STOREDIST key]
    static func georadius(_ c: Client) { search(c, .radiusCoords, sourceIndex: 1, noStore: false, storeForm: false) }

    /// GEORADIUS_RO: GEORADIUS without STORE / STOREDIST.
    static func georadiusRO(_ c: Client) { search(c, .radiusCoords, sourceIndex: 1, noStore: true, storeForm: false) }

    /// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
    static func georadiusbymember(_ c: Client) {
        search(c, .radiusMember, sourceIndex: 1, noStore: false, storeForm: false)
    }

    /// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE / STOREDIST.
    static func georadiusbymemberRO(_ c: Client) {
        search(c, .radiusMember, sourceIndex: 1, noStore: true, storeForm: false)
    }

    /// GEOSEARCH key FROMMEMBER member | FROMLONLAT longitude latitude  BYRADIUS radius unit | BYBOX width height
    /// unit [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
    static func geosearch(_ c: Client) { search(c, .search, sourceIndex: 1, noStore: true, storeForm: false) }

    /// GEOSEARCHSTORE destination source (as GEOSEARCH, without WITH*) [STOREDIST]
    static func geosearchstore(_ c: Client) { search(c, .search, sourceIndex: 2, noStore: true, storeForm: true) }

    /// Redis's `georadiusGeneric`: the centre and shape, then the options (errors in Redis's order), then the scan,
    /// the ordering, and the reply or the stored result.
    static func search(_ c: Client, _ form: SearchForm, sourceIndex: Int, noStore: Bool, storeForm: Bool) {
        let argv = c.argv
        guard let found = readSet(c, argv[sourceIndex]) else { return }
        let z = found
        var shape = GeoShape()
        var o = SearchOptions()
        let base: Int
        switch form {
        case .radiusCoords:
            base = 6
            guard let (lon, lat) = lonLat(c, argv[2], argv[3]),
                  let (r, u) = radius(c, argv[4], argv[5]) else { return }
            shape.lon = lon
            shape.lat = lat
            shape.kind = .radius(r)
            shape.toMeters = u
        case .radiusMember:
            base = 5
            // Without a source key, the options are still parsed so the reply matches STORE or not.
            if let z {
                guard let p = memberPosition(c, z, argv[2]) else { return }
                guard let (r, u) = radius(c, argv[3], argv[4]) else { return }
                shape.lon = p.lon
                shape.lat = p.lat
                shape.kind = .radius(r)
                shape.toMeters = u
            }
        case .search:
            base = storeForm ? 3 : 2
            if storeForm { o.storeKey = argv[1] }
        }

        var i = base
        while i < argv.count {
            let arg = argv[i]
            let remaining = argv.count - i - 1
            if arg.equalsIgnoringCase("WITHDIST") {
                o.withDist = true
            } else if arg.equalsIgnoringCase("WITHHASH") {
                o.withHash = true
            } else if arg.equalsIgnoringCase("WITHCOORD") {
                o.withCoord = true
            } else if arg.equalsIgnoringCase("ANY") {
                o.any = true
            } else if arg.equalsIgnoringCase("ASC") {
                o.sort = .asc
            } else if arg.equalsIgnoringCase("DESC") {
                o.sort = .desc
            } else if arg.equalsIgnoringCase("COUNT") && remaining >= 1 {
                guard let n = Numbers.parseInt64(argv[i + 1]) else {
                    c.error(Errors.notInteger)
                    return
                }
                if n <= 0 {
                    c.error("ERR COUNT must be > 0")
                    return
                }
                o.count = Int(n)
                i += 1
            } else if (arg.equalsIgnoringCase("STORE") || arg.equalsIgnoringCase("STOREDIST")) && remaining >= 1
                        && !noStore && form != .search {
                o.storeKey = argv[i + 1]
                o.storeDist = arg.equalsIgnoringCase("STOREDIST")
                i += 1
            } else if arg.equalsIgnoringCase("STOREDIST") && form == .search && storeForm {
                o.storeDist = true
            } else if arg.equalsIgnoringCase("FROMMEMBER") && remaining >= 1 && form == .search && !o.fromLonLat {
                if let z {
                    guard let p = memberPosition(c, z, argv[i + 1]) else { return }
                    shape.lon = p.lon
                    shape.lat = p.lat
                }
                o.fromMember = true
                i += 1
            } else if arg.equalsIgnoringCase("FROMLONLAT") && remaining >= 2 && form == .search && !o.fromMember {
                guard let (lon, lat) = lonLat(c, argv[i + 1], argv[i + 2]) else { return }
                shape.lon = lon
                shape.lat = lat
                o.fromLonLat = true
                i += 2
            } else if arg.equalsIgnoringCase("BYRADIUS") && remaining >= 2 && form == .search && !o.byBox {
                guard let (r, u) = radius(c, argv[i + 1], argv[i + 2]) else { return }
                shape.kind = .radius(r)
                shape.toMeters = u
                o.byRadius = true
                i += 2
            } else if arg.equalsIgnoringCase("BYBOX") && remaining >= 3 && form == .search && !o.byRadius {
                guard let (w, h, u) = box(c, argv[i + 1], argv[i + 2], argv[i + 3]) else { return }
                shape.kind = .box(width: w, height: h)
                shape.toMeters = u
                o.byBox = true
                i += 3
            } else {
                c.error(Errors.syntax)
                return
            }
            i += 1
        }

        if o.storeKey != nil && (o.withDist || o.withHash || o.withCoord) {
            c.error(storeForm
                ? "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
                : "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
            return
        }
        let name = String(decoding: argv[0].array, as: UTF8.self)
        if form == .search && !(o.fromMember || o.fromLonLat) {
            c.error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for \(name)")
            return
        }
        if form == .search && !(o.byRadius || o.byBox) {
            c.error("ERR exactly one of BYRADIUS and BYBOX can be specified for \(name)")
            return
        }
        if o.any && o.count == 0 {
            c.error("ERR the ANY argument requires COUNT argument")
            return
        }

        guard let z else {
            if let key = o.storeKey {
                if c.db.delete(key) {
                    c.server.keyModified(c.db, key)
                    c.server.notify(.generic, "del", key, db: c.db.id)
                }
                c.reply.integer(0)
            } else {
                c.reply.arrayHeader(0)
            }
            return
        }

        // COUNT needs an order to pick the closest; ANY takes the first found.
        if o.count != 0 && o.sort == .none && !o.any { o.sort = .asc }
        var points = GeoScan.members(of: z, in: shape, limit: o.any ? o.count : 0)
        if points.isEmpty && o.storeKey == nil {
            c.reply.arrayHeader(0)
            return
        }
        let returned = o.count == 0 || points.count < o.count ? points.count : o.count
        if o.sort != .none {
            GeoSort.sort(&points, descending: o.sort == .desc, wanted: returned)
        }
        if let key = o.storeKey {
            store(c, key, points.prefix(returned), toMeters: shape.toMeters, storeDist: o.storeDist,
                  event: form == .search ? "geosearchstore" : "georadiusstore")
        } else {
            reply(c, points.prefix(returned), toMeters: shape.toMeters, o)
        }
    }

    /// The search results as a reply: bare members, or arrays of the member and the requested extras.
    static func reply(_ c: Client, _ points: ArraySlice<GeoPoint>, toMeters: Double, _ o: SearchOptions) {
        let extras = (o.withDist ? 1 : 0) + (o.withHash ? 1 : 0) + (o.withCoord ? 1 : 0)
        c.reply.arrayHeader(points.count)
        for p in points {
            if extras > 0 { c.reply.arrayHeader(extras + 1) }
            c.reply.bulk(p.member)
            if o.withDist { replyDistance(c, p.dist / toMeters) }
            if o.withHash { c.reply.integer(GeoHash.signedTruncation(p.score)) }
            if o.withCoord { replyPosition(c, lon: p.lon, lat: p.lat) }
        }
    }

    /// STORE / STOREDIST / GEOSEARCHSTORE: the results become a sorted set at `key` (scores are the geohashes,
    /// or the distances in the request's unit), replacing it; no results delete it. Replies with the count.
    static func store(_ c: Client, _ key: RBytes, _ points: ArraySlice<GeoPoint>, toMeters: Double, storeDist: Bool,
                      event: StaticString) {
        let dst = SortedSetObject(skiplist: true)
        for p in points {
            let score = storeDist ? p.dist / toMeters : p.score
            if let old = dst.score(of: p.member) {
                dst.updateScore(p.member, from: old, to: score)
            } else {
                dst.insert(p.member, score: score, maxListpackEntries: Int.max, maxListpackValue: Int.max)
            }
        }
        let config = c.server.config
        dst.compactIfFits(maxEntries: config.zsetMaxListpackEntries, maxValue: config.zsetMaxListpackValue)
        SortedSetCommands.storeResult(c, key, dst, event: event)
    }

    // MARK: - Argument helpers

    /// The position of a member of `z`, or nil after replying that it cannot be decoded (it is not in the set).
    static func memberPosition(_ c: Client, _ z: SortedSetObject, _ member: RBytes) -> (lon: Double, lat: Double)? {
        guard let s = z.score(of: member) else {
            c.error("ERR could not decode requested zset member")
            return nil
        }
        return GeoHash.position(ofScore: s)
    }

    /// Redis's `extractDistanceOrReply`: `radius unit` → (radius, meters per unit), or nil after replying.
    static func radius(_ c: Client, _ valueArg: RBytes, _ unitArg: RBytes) -> (Double, Double)? {
        guard let r = double(c, valueArg, "ERR need numeric radius") else { return nil }
        if r < 0 {
            c.error("ERR radius cannot be negative")
            return nil
        }
        guard let u = unit(c, unitArg) else { return nil }
        return (r, u)
    }

    /// Redis's `extractBoxOrReply`: `width height unit` → (width, height, meters per unit), or nil after replying.
    static func box(_ c: Client, _ wArg: RBytes, _ hArg: RBytes, _ unitArg: RBytes) -> (Double, Double, Double)? {
        guard let w = double(c, wArg, "ERR need numeric width"),
              let h = double(c, hArg, "ERR need numeric height") else { return nil }
        if h < 0 || w < 0 {
            c.error("ERR height or width cannot be negative")
            return nil
        }
        guard let u = unit(c, unitArg) else { return nil }
        return (w, h, u)
    }
}
