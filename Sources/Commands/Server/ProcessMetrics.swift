import CMallocInfo
import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// What the operating system and the C allocator report about this process, for INFO.
enum ProcessMetrics {
    /// Bytes the program has allocated and not freed, as the C allocator counts them: glibc's `mallinfo2()`,
    /// `uordblks` (bytes in use in the main and thread arenas) plus `hblkhd` (bytes in blocks served by `mmap`).
    ///
    /// Swift allocates through `malloc`, so this is the analogue of Redis's `used_memory` (its `zmalloc` counter).
    /// It includes everything the process allocated, not only the dataset: the runtime, NIO's buffers, and so on.
    static var usedMemory: Int64 { Int64(clamping: cmallocinfo_used_bytes()) }

    /// Resident set size in bytes: the second field of `/proc/self/statm` (pages) times the page size.
    static var residentMemory: Int64 {
        guard let text = readFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return 0 }
        return pages &* Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Physical memory of the machine in bytes.
    static var totalSystemMemory: Int64 {
        Int64(sysconf(Int32(_SC_PHYS_PAGES))) &* Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// CPU time as `(system, user)` seconds in INFO's `%ld.%06ld` form, for `who` (`RUSAGE_SELF`,
    /// `RUSAGE_CHILDREN`, `RUSAGE_THREAD`).
    static func cpuTime(_ who: Int32) -> (String, String) {
        var ru = rusage()
        guard getrusage(__rusage_who_t(who), &ru) == 0 else { return ("0.000000", "0.000000") }
        func seconds(_ t: timeval) -> String {
            let us = String(t.tv_usec)
            return "\(t.tv_sec)." + String(repeating: "0", count: max(0, 6 - us.count)) + us
        }
        return (seconds(ru.ru_stime), seconds(ru.ru_utime))
    }

    /// `uname -s -r -m`, as INFO's `os` field.
    static var operatingSystem: String {
        var u = utsname()
        guard uname(&u) == 0 else { return "" }
        func field<T>(_ t: T) -> String {
            withUnsafeBytes(of: t) { p in
                String(decoding: p.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        return "\(field(u.sysname)) \(field(u.release)) \(field(u.machine))"
    }

    /// Absolute path of the running executable.
    static var executablePath: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return "" }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` made absolute against the current directory (Redis's `getAbsolutePath`).
    static func absolutePath(_ path: String) -> String {
        if path.isEmpty || path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buf, buf.count) != nil else { return path }
        let cwd = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return cwd.hasSuffix("/") ? cwd + path : cwd + "/" + path
    }

    /// Reads a small text file (such as a `/proc` entry) whole.
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A byte count the way INFO's `*_human` fields print it: `512B`, `1.50K`, `967.14M`, `23.54G` ...
    static func human(_ n: Int64) -> String {
        if n < 1024 { return "\(n)B" }
        var unit: Int64 = 1024
        for suffix in ["K", "M", "G", "T", "P"] {
            if n < unit * 1024 { return fixed2(Double(n) / Double(unit)) + suffix }
            unit *= 1024
        }
        return "\(n)B"
    }

    /// `%.2f`.
    static func fixed2(_ d: Double) -> String {
        String(decoding: Numbers.cFormat("%.2f", d), as: UTF8.self)
    }
}
