/// Redis's approximated LRU and LFU data, kept in the entry's 24-bit clock field so a key costs nothing extra.
///
/// - LRU policies (and no policy): the field is the seconds clock (mod 2^24) of the last access.
/// - LFU policies: the high 16 bits are the minutes clock (mod 2^16) of the last decrement, the low 8 bits a
///   logarithmic access counter (Redis's `LFU_INIT_VAL` 5 for a new key, saturating at 255).
extension Entry {
    /// The counter a new key starts with under LFU (Redis's `LFU_INIT_VAL`).
    public static let lfuInitialCounter: UInt32 = 5

    /// The minutes clock (mod 2^16) LFU stamps use.
    @inlinable
    public static func lfuMinutes(_ unixMs: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: unixMs / 60_000) & 0xFFFF
    }

    /// The LFU counter after the decay due since its last stamp (Redis's `LFUDecrAndReturn`), without storing it.
    public func lfuDecayedCounter(nowMinutes: UInt32, decayTime: Int) -> UInt32 {
        let stamp = lru >> 8
        let counter = lru & 0xFF
        guard decayTime > 0 else { return counter }
        let elapsed = nowMinutes >= stamp ? nowMinutes - stamp : 65535 - stamp + nowMinutes
        let periods = elapsed / UInt32(decayTime)
        return periods > counter ? 0 : counter - periods
    }

    /// An access under LFU (Redis's `updateLFU`): decay, then a probabilistic logarithmic increment.
    public mutating func lfuTouch(nowMinutes: UInt32, logFactor: Int, decayTime: Int) {
        var counter = lfuDecayedCounter(nowMinutes: nowMinutes, decayTime: decayTime)
        if counter < 255 {
            let base = Double(counter > Entry.lfuInitialCounter ? counter - Entry.lfuInitialCounter : 0)
            let p = 1.0 / (base * Double(logFactor) + 1)
            if FastRandom.unit() < p { counter += 1 }
        }
        lru = (nowMinutes << 8) | counter
    }

    /// Sets the LFU counter as of now (RESTORE FREQ, loading a FREQ record).
    public mutating func setLFU(counter: UInt8, nowMinutes: UInt32) {
        lru = (nowMinutes << 8) | UInt32(counter)
    }

    /// Milliseconds since the last access per the LRU clock (Redis's `estimateObjectIdleTime`, with its wrap).
    public func lruIdleMilliseconds(clock: UInt32) -> Int64 {
        let stamp = lru
        if clock >= stamp { return Int64(clock - stamp) * 1000 }
        return Int64(clock + (Entry.clockMask - stamp)) * 1000
    }
}

extension Server {
    /// The clock field a new or written key is stamped with: the LRU clock, or a fresh LFU counter.
    @inline(__always)
    var accessStamp: UInt32 {
        config.eviction.lfu ? (Entry.lfuMinutes(commandTime) << 8) | Entry.lfuInitialCounter : lruClock
    }

    /// Records an access to an entry (Redis's lookupKey touch): LRU stamp or LFU bump.
    @inline(__always)
    func touch(_ e: inout Entry) {
        if config.eviction.lfu {
            e.lfuTouch(nowMinutes: Entry.lfuMinutes(commandTime), logFactor: config.eviction.lfuLogFactor,
                       decayTime: config.eviction.lfuDecayTime)
        } else {
            e.lru = lruClock
        }
    }
}
