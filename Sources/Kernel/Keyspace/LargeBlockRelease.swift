#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Frees large C blocks off the thread serving clients (the old bucket array of a finished key-table resize).
/// glibc serves such blocks with `mmap`, and `free` is an `munmap` that returns every touched page to the kernel:
/// milliseconds for tens of megabytes, which would be a pause at whichever command finished the resize.
enum LargeBlockRelease {
    /// One thread for the whole process, started on first use.
    private static let worker = BackgroundWorker(niceness: 0)

    /// Frees `p` (from malloc/calloc/realloc, referenced by nothing any more) on the background thread.
    static func free(_ p: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: p)
        worker.async {
            #if canImport(Glibc)
            Glibc.free(UnsafeMutableRawPointer(bitPattern: address))
            #else
            Darwin.free(UnsafeMutableRawPointer(bitPattern: address))
            #endif
        }
    }
}
