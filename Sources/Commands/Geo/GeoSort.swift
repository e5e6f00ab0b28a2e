/// The orderings of search results, reproducing which of several equally distant members comes first in Redis:
/// a full sort is glibc's `qsort` (a stable merge sort), a sort of only the first COUNT results is Redis's
/// `pqsort` (Bentley–McIlroy quicksort that skips the partitions outside the wanted range), which is not stable.
enum GeoSort {
    /// Redis's comparator: by distance, ascending or (negated) descending; equal distances compare equal.
    @inline(__always)
    static func compare(_ a: GeoPoint, _ b: GeoPoint, descending: Bool) -> Int {
        let r = a.dist > b.dist ? 1 : (a.dist == b.dist ? 0 : -1)
        return descending ? -r : r
    }

    /// Orders `points` so that the first `wanted` are the closest (or farthest) in Redis's order.
    static func sort(_ points: inout [GeoPoint], descending: Bool, wanted: Int) {
        if wanted >= points.count {
            stableSort(&points, descending: descending)
        } else if wanted > 0 {
            var s = PartialSorter(points: points, descending: descending, lo: 0, hi: wanted - 1)
            s.sort(0, points.count)
            points = s.points
        }
    }

    /// A stable merge sort with Redis's comparator (what glibc's `qsort` does for arrays it can buffer).
    static func stableSort(_ points: inout [GeoPoint], descending: Bool) {
        let n = points.count
        if n < 2 { return }
        var src = points
        var dst = points
        var width = 1
        while width < n {
            var start = 0
            while start < n {
                let mid = min(start + width, n), end = min(start + 2 * width, n)
                var i = start, j = mid, k = start
                while i < mid && j < end {
                    // Take from the right run only when strictly smaller: equal elements keep their order.
                    if compare(src[j], src[i], descending: descending) < 0 {
                        dst[k] = src[j]
                        j += 1
                    } else {
                        dst[k] = src[i]
                        i += 1
                    }
                    k += 1
                }
                while i < mid { dst[k] = src[i]; i += 1; k += 1 }
                while j < end { dst[k] = src[j]; j += 1; k += 1 }
                start = end
            }
            swap(&src, &dst)
            width *= 2
        }
        points = src
    }
}

/// Redis's `pqsort` over element indexes: the NetBSD/Bentley–McIlroy quicksort (median-of-three or ninther
/// pivots, three-way partitioning, insertion sort below 7 elements) that only recurses into partitions
/// overlapping the wanted index range [lo, hi]. Swaps happen in the same sequence as in Redis, so ties come out
/// in the same order.
struct PartialSorter {
    var points: [GeoPoint]
    let descending: Bool
    let lo: Int, hi: Int

    init(points: [GeoPoint], descending: Bool, lo: Int, hi: Int) {
        self.points = points
        self.descending = descending
        self.lo = lo
        self.hi = hi
    }

    @inline(__always)
    func cmp(_ i: Int, _ j: Int) -> Int { GeoSort.compare(points[i], points[j], descending: descending) }

    @inline(__always)
    mutating func swapAt(_ i: Int, _ j: Int) { if i != j { points.swapAt(i, j) } }

    /// Swaps the `n` elements starting at `a` with those starting at `b`, pairwise.
    mutating func vecswap(_ a: Int, _ b: Int, _ n: Int) {
        var k = 0
        while k < n {
            swapAt(a + k, b + k)
            k += 1
        }
    }

    func med3(_ a: Int, _ b: Int, _ c: Int) -> Int {
        cmp(a, b) < 0
            ? (cmp(b, c) < 0 ? b : (cmp(a, c) < 0 ? c : a))
            : (cmp(b, c) > 0 ? b : (cmp(a, c) < 0 ? a : c))
    }

    /// Whether the partition [start, start + n) holds any of the wanted indexes.
    @inline(__always)
    func overlapsWanted(_ start: Int, _ n: Int) -> Bool { !(hi < start || lo >= start + n) }

    /// Sorts the `n` elements starting at `base` (as far as the wanted range needs).
    mutating func sort(_ base: Int, _ count: Int) {
        var a = base
        var n = count
        while true {
            if n < 7 {
                var pm = a + 1
                while pm < a + n {
                    var pl = pm
                    while pl > a && cmp(pl - 1, pl) > 0 {
                        swapAt(pl, pl - 1)
                        pl -= 1
                    }
                    pm += 1
                }
                return
            }
            var pm = a + n / 2
            if n > 7 {
                var pl = a
                var pn = a + n - 1
                if n > 40 {
                    let d = n / 8
                    pl = med3(pl, pl + d, pl + 2 * d)
                    pm = med3(pm - d, pm, pm + d)
                    pn = med3(pn - 2 * d, pn - d, pn)
                }
                pm = med3(pl, pm, pn)
            }
            swapAt(a, pm)
            var pa = a + 1, pb = a + 1
            var pc = a + n - 1, pd = a + n - 1
            while true {
                while pb <= pc {
                    let r = cmp(pb, a)
                    if r > 0 { break }
                    if r == 0 {
                        swapAt(pa, pb)
                        pa += 1
                    }
                    pb += 1
                }
                while pb <= pc {
                    let r = cmp(pc, a)
                    if r < 0 { break }
                    if r == 0 {
                        swapAt(pc, pd)
                        pd -= 1
                    }
                    pc -= 1
                }
                if pb > pc { break }
                swapAt(pb, pc)
                pb += 1
                pc -= 1
            }
            let pn = a + n
            var r = min(pa - a, pb - pa)
            vecswap(a, pb - r, r)
            r = min(pd - pc, pn - pd - 1)
            vecswap(pb, pn - r, r)
            r = pb - pa
            if r > 1 && overlapsWanted(a, r) {
                sort(a, r)
            }
            r = pd - pc
            if r > 1 {
                a = pn - r
                n = r
                if overlapsWanted(a, n) { continue }
            }
            return
        }
    }
}
