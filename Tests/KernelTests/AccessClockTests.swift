import Testing
@testable import Kernel

@Suite("Access clock (LRU / LFU in the entry)")
struct AccessClockTests {
    @Test("an entry stays 24 bytes with the LFU data in its clock field")
    func entrySize() {
        #expect(MemoryLayout<Entry>.size <= 24)
    }

    @Test("the LFU counter decays by one per lfu-decay-time minutes, never below 0")
    func lfuDecay() {
        var e = Entry(.string("v"), lru: 0)
        e.setLFU(counter: 10, nowMinutes: 100)
        #expect(e.lfuDecayedCounter(nowMinutes: 100, decayTime: 1) == 10)
        #expect(e.lfuDecayedCounter(nowMinutes: 103, decayTime: 1) == 7)
        #expect(e.lfuDecayedCounter(nowMinutes: 106, decayTime: 2) == 7)
        #expect(e.lfuDecayedCounter(nowMinutes: 200, decayTime: 1) == 0)
        #expect(e.lfuDecayedCounter(nowMinutes: 200, decayTime: 0) == 10)
    }

    @Test("the minutes clock wraps at 2^16 as Redis's LFUTimeElapsed")
    func lfuWrap() {
        var e = Entry(.string("v"), lru: 0)
        e.setLFU(counter: 10, nowMinutes: 65530)
        #expect(e.lfuDecayedCounter(nowMinutes: 2, decayTime: 1) == 3)
    }

    @Test("the logarithmic counter grows slower as it grows and saturates at 255")
    func lfuLogIncrement() {
        var e = Entry(.string("v"), lru: 0)
        e.setLFU(counter: 5, nowMinutes: 7)
        for _ in 0..<100 { e.lfuTouch(nowMinutes: 7, logFactor: 10, decayTime: 1) }
        let after100 = e.lru & 0xFF
        #expect(after100 > 5 && after100 < 40)
        for _ in 0..<100_000 { e.lfuTouch(nowMinutes: 7, logFactor: 0, decayTime: 1) }
        #expect(e.lru & 0xFF == 255)
        #expect(e.lru >> 8 == 7)
    }

    @Test("LRU idle time follows Redis's estimateObjectIdleTime, wrap included")
    func lruIdle() {
        let e = Entry(.string("v"), lru: 1000)
        #expect(e.lruIdleMilliseconds(clock: 1010) == 10_000)
        let old = Entry(.string("v"), lru: 0x00FF_FFF0)
        #expect(old.lruIdleMilliseconds(clock: 5) == Int64(5 + 0xF) * 1000)
    }
}
