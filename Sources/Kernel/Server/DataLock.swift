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
