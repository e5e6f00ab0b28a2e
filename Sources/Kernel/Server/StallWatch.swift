import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A latency diagnostic (issue 17, `docs/RELIABILITY.md` "Pauses"): with `REDIS_SWIFT_STALL_MS=N` in the
/// environment, the server logs (warning level) every hold of the data lock longer than N ms with what it was doing
/// (a batch of commands and its slowest one, a cron tick and its slowest phase), and every I/O loop that woke up
/// more than N ms late (something outside the lock held its thread: a system call, a page fault storm, the
/// scheduler). Unset, each check is one load of a constant and a branch.
public enum StallWatch {
    /// The threshold in nanoseconds, 0 when off.
    public static let thresholdNs: Int64 = {
        guard let v = getenv("REDIS_SWIFT_STALL_MS"), let ms = Double(String(cString: v)), ms > 0 else { return 0 }
        return Int64(ms * 1_000_000)
    }()

    /// Whether the diagnostic is on.
    @inline(__always) public static var enabled: Bool { thresholdNs > 0 }

    /// A point in time on the calling thread: wall clock, the thread's CPU time and its page faults so far.
    public struct Mark {
        var wall: Int64 = 0
        var cpu: Int64 = 0
        var faults: Int = 0

        static func now() -> Mark {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            var usage = rusage()
            getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (not imported)
            return Mark(wall: Clock.monotonicNanoseconds(), cpu: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec),
                        faults: usage.ru_minflt + usage.ru_majflt)
        }
    }

    /// Now, when the diagnostic is on (zero otherwise: no clock read on the normal path).
    @inline(__always)
    public static func start() -> Mark { enabled ? Mark.now() : Mark() }

    /// Logs `what` if more than the threshold has passed since `start` (a value from `start()`), with the thread's
    /// CPU time and page faults over the same span (wall time well above CPU time: the thread was preempted).
    @inline(__always)
    public static func check(_ start: Mark, _ log: Logger, _ what: @autoclosure () -> String) {
        guard enabled else { return }
        let elapsed = Clock.monotonicNanoseconds() - start.wall
        guard elapsed > thresholdNs else { return }
        let end = Mark.now()
        report(elapsed, log, "\(what()) [cpu \(ms(end.cpu - start.cpu)) ms, \(end.faults - start.faults) page faults]")
    }

    static func ms(_ ns: Int64) -> Double { Double(ns / 10_000) / 100 }

    static func report(_ elapsed: Int64, _ log: Logger, _ what: String) {
        log.warning("Stall: \(ms(elapsed)) ms: \(what)")
    }

    /// The slowest step of a sequence (a cron tick's phases, a batch's commands).
    public struct Slowest {
        /// When the sequence started.
        public let mark: Mark
        var start: Int64
        var name = ""
        var longest: Int64 = 0

        /// Starts timing the first step.
        public init() {
            mark = StallWatch.start()
            start = mark.wall
        }

        /// Ends the current step (named `name`) and starts the next.
        @inline(__always)
        public mutating func lap(_ name: @autoclosure () -> String) {
            guard StallWatch.enabled else { return }
            let now = Clock.monotonicNanoseconds()
            if now - start > longest {
                longest = now - start
                self.name = name()
            }
            start = now
        }

        /// "name N ms", the slowest step so far.
        public var summary: String { "slowest \(name) \(ms(longest)) ms" }
    }

    /// Schedules a 1 ms heartbeat on `loop` that logs when it runs late by more than the threshold (the loop's
    /// thread was held: by a long callback, a blocking call, page faults, or the scheduler).
    public static func watch(_ loop: EventLoop, name: String, log: Logger, stopped: @escaping @Sendable () -> Bool) {
        guard enabled else { return }
        func beat(_ due: Int64) {
            loop.scheduleTask(in: .milliseconds(1)) {
                let now = Clock.monotonicNanoseconds()
                let late = now - (due + 1_000_000)
                if late > thresholdNs { report(late, log, "\(name) ran late") }
                if !stopped() { beat(now) }
            }
        }
        loop.execute { beat(Clock.monotonicNanoseconds()) }
    }
}
