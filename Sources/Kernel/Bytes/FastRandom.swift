import Atomics

/// The server's random numbers for data-structure sampling (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, random
/// slot picks, the LFU counter's coin): wyrand over a process-wide 64-bit state, seeded once from the system.
///
/// Swift's `SystemRandomNumberGenerator` makes a `getrandom(2)` system call per draw (in the profile of SPOP
/// `-P 16`: 12% of the server's CPU in the kernel's `crng_make_state` and `getrandom`). Redis samples with its
/// own user-space PRNG too (`redisLrand48`/`genrand64`); nothing here needs unpredictability. The state advances
/// by an atomic add (relaxed), so concurrent callers each get a distinct step of the sequence.
public struct FastRandom: RandomNumberGenerator {
    /// The sequence position shared by every `FastRandom` (allocated once, for the life of the process; an
    /// `UnsafeAtomic` so that a draw makes no retain/release).
    @usableFromInline
    static let state = UnsafeAtomic<UInt64>.create(UInt64.random(in: 0...UInt64.max))

    /// wyrand's increment and mixing constants.
    @usableFromInline static let k0: UInt64 = 0xa076_1d64_78bd_642f
    @usableFromInline static let k1: UInt64 = 0xe703_7ed1_a0b4_28db

    @inlinable public init() {}

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let s = Self.state.loadThenWrappingIncrement(by: Self.k0, ordering: .relaxed) &+ Self.k0
        let r = s.multipliedFullWidth(by: s ^ Self.k1)
        return r.high ^ r.low
    }

    /// A uniform integer in `range` (which must not be empty).
    @inlinable
    public static func int(in range: Range<Int>) -> Int {
        var g = FastRandom()
        return Int.random(in: range, using: &g)
    }

    /// A uniform double in [0, 1).
    @inlinable
    public static func unit() -> Double {
        var g = FastRandom()
        return Double.random(in: 0..<1, using: &g)
    }
}
