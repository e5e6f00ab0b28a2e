import CMallocInfo
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A dedicated thread that runs closures in order, at a lower CPU priority than the event loops (nice 10), so
/// file writing and checksumming for a snapshot never take the CPU from the thread serving clients on a small
/// machine. (Dispatch's shared pool threads cannot be reniced safely: the next task on them would inherit it.)
final class BackgroundWorker: @unchecked Sendable {
    /// 1 while tasks are queued, 0 when the queue is empty.
    private let condition = ConditionLock<Int>(value: 0)
    private var tasks: [() -> Void] = []
    /// Set (on the worker thread) by the last task.
    private var stopping = false

    init(niceness: Int32 = 10) {
        let box = Unmanaged.passRetained(BootBox(worker: self, niceness: niceness)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { arg in
            let boot = Unmanaged<BootBox>.fromOpaque(arg!).takeRetainedValue()
            // Linux applies a nice value per thread when given the thread id.
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(cmallocinfo_thread_id()), boot.niceness)
            boot.worker.run()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    private final class BootBox {
        let worker: BackgroundWorker
        let niceness: Int32
        init(worker: BackgroundWorker, niceness: Int32) {
            self.worker = worker
            self.niceness = niceness
        }
    }

    /// Queues `task`; tasks run one at a time, in order.
    func async(_ task: @escaping () -> Void) {
        condition.lock()
        tasks.append(task)
        condition.unlock(withValue: 1)
    }

    /// Runs `task` on the worker and waits for it (and everything queued before it).
    func sync(_ task: @escaping () -> Void) {
        let done = ConditionLock<Int>(value: 0)
        async {
            task()
            done.lock()
            done.unlock(withValue: 1)
        }
        done.lock(whenValue: 1)
        done.unlock()
    }

    /// Ends the thread after the tasks queued so far.
    func stop() {
        async { [self] in stopping = true }
    }

    private func run() {
        while !stopping {
            condition.lock(whenValue: 1)
            let batch = tasks
            tasks.removeAll()
            condition.unlock(withValue: 0)
            for task in batch { task() }
        }
    }
}
