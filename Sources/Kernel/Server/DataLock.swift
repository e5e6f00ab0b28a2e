#if canImport(Glibc)
import Glibc
#endif

/// The one data lock: a plain mutex with a try-lock, so that an I/O loop that finds the data held by a long
/// script can answer `-BUSY` (and `SCRIPT KILL`) instead of waiting (never deaf, DESIGN §3).
public final class DataLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// A new, unlocked mutex.
    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Takes the lock, waiting for it.
    @inline(__always)
    public func lock() { pthread_mutex_lock(mutex) }

    /// Takes the lock if it is free; false if another thread holds it.
    @inline(__always)
    public func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }

    /// Takes the lock unless `giveUp` turns true while waiting (it is asked before each wait of at most a
    /// millisecond): false then, without the lock. Used where waiting out a long script would make a thread deaf.
    public func lock(unless giveUp: () -> Bool) -> Bool {
        if pthread_mutex_trylock(mutex) == 0 { return true }
        while !giveUp() {
            var until = timespec()
            clock_gettime(CLOCK_REALTIME, &until)
            until.tv_nsec += 1_000_000
            if until.tv_nsec >= 1_000_000_000 {
                until.tv_sec += 1
                until.tv_nsec -= 1_000_000_000
            }
            if pthread_mutex_timedlock(mutex, &until) == 0 { return true }
        }
        return false
    }

    /// Releases the lock.
    @inline(__always)
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    @inline(__always)
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
