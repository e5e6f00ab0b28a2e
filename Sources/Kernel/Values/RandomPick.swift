/// Random sampling helpers shared by the collection values (HRANDFIELD, SRANDMEMBER, SPOP).
enum RandomPick {
    /// `n` distinct occupied slots of `table` (`0 < n < table.count`), in random order.
    ///
    /// Like Redis, two strategies: when `n` is a large share of the table, take every slot and shuffle;
    /// otherwise draw random slots until `n` distinct ones were seen.
    static func distinctSlots<V>(_ n: Int, of table: KeyTable<V>) -> [Int] {
        if n * 3 > table.count {
            var all: [Int] = []
            all.reserveCapacity(table.count)
            table.forEachSlot { all.append($0) }
            var rng = FastRandom()
            all.shuffle(using: &rng)
            return Array(all.prefix(n))
        }
        var seen = Set<Int>(minimumCapacity: n)
        var out: [Int] = []
        out.reserveCapacity(n)
        while out.count < n {
            guard let s = table.randomSlot() else { break }
            if seen.insert(s).inserted { out.append(s) }
        }
        return out
    }
}
