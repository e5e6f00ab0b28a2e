import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// The notification / client-reconfig script queue (Redis's sentinelScheduleScriptExecution and friends): at most
/// 16 running at once, 256 queued; an exit code of 1 (or a signal) is retried up to 10 times with an exponential
/// delay starting at 30 s; a script running longer than 60 s is killed.
final class ScriptQueue {
    final class Job {
        let path: String
        let args: [String]
        var retries = 0
        var pid: pid_t = 0
        var startTime: Int64 = 0
        var notBefore: Int64 = 0
        init(path: String, args: [String]) {
            self.path = path
            self.args = args
        }
    }

    static let maxQueue = 256
    static let maxRunning = 16
    static let maxRetry = 10
    private(set) var jobs: [Job] = []
    var running: Int { jobs.filter { $0.pid != 0 }.count }

    func schedule(_ s: Sentinel, _ path: String, _ args: [String]) {
        jobs.append(Job(path: path, args: args))
        if jobs.count > Self.maxQueue, let i = jobs.firstIndex(where: { $0.pid == 0 }) {
            jobs.remove(at: i)
        }
    }

    /// Starts queued jobs, reaps finished ones, kills overdue ones (from the timer).
    func run(_ s: Sentinel) {
        let t = s.now
        for job in jobs where job.pid == 0 && job.notBefore <= t && running < Self.maxRunning {
            var pid: pid_t = 0
            let argv = [job.path] + job.args
            var cargs = argv.map { strdup($0) }
            cargs.append(nil)
            let rc = posix_spawn(&pid, job.path, nil, nil, cargs, environ)
            for p in cargs { free(p) }
            job.retries += 1
            if rc != 0 {
                s.event(.warning, "-script-error", nil, "\(job.path) 99 0")
                job.pid = 0
                job.notBefore = Int64.max
                continue
            }
            job.pid = pid
            job.startTime = t
            s.event(.debug, "+script-child", nil, String(pid))
        }
        jobs.removeAll { $0.notBefore == Int64.max }
        var finished: [Job] = []
        for job in jobs where job.pid != 0 {
            var status: Int32 = 0
            let r = waitpid(job.pid, &status, WNOHANG)
            if r == job.pid {
                let exited = (status & 0x7f) == 0
                let code = exited ? (status >> 8) & 0xff : 0
                let sig = exited ? 0 : status & 0x7f
                s.event(.debug, "-script-child", nil, "\(job.pid) \(code) \(sig)")
                job.pid = 0
                if (code == 1 || sig != 0) && job.retries < Self.maxRetry {
                    job.notBefore = t + s.scriptRetryDelay * (1 << Int64(job.retries - 1))
                } else {
                    if code != 0 || sig != 0 { s.event(.warning, "-script-error", nil, "\(job.path) \(code) \(sig)") }
                    finished.append(job)
                }
            } else if t - job.startTime > s.scriptMaxRuntime {
                s.event(.warning, "-script-timeout", nil, "\(job.path) \(job.pid)")
                kill(job.pid, SIGKILL)
            }
        }
        jobs.removeAll { j in finished.contains { $0 === j } }
    }
}

extension Sentinel {
    /// `client-reconfig-script <master-name> <role> <state> <from-ip> <from-port> <to-ip> <to-port>`.
    func callClientReconfScript(_ m: SentinelInstance, role: String, state: String,
                                from: InstanceAddress, to: InstanceAddress) {
        guard let script = m.clientReconfigScript else { return }
        scripts.schedule(self, script, [m.name, role, state, announced(from), String(from.port), announced(to), String(to.port)])
    }
}
