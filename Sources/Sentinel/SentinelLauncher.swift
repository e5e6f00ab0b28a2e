import Commands
import Dispatch
import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// `redis-swift sentinel.conf --sentinel`, or the binary invoked as `redis-sentinel`: runs a Sentinel.
public enum SentinelLauncher {
    /// The built-in commands a Sentinel serves besides its own (Redis 7.0's sentinel command table).
    static let keptCommands: Set<String> = ["ping", "auth", "hello", "client", "subscribe", "unsubscribe",
                                            "psubscribe", "punsubscribe", "command", "shutdown"]

    static func fatal(_ msg: String) -> Never {
        fputs(msg + "\n", stderr)
        exit(1)
    }

    /// Runs until SHUTDOWN or a signal; never returns.
    public static func run(_ arguments: [String], builtins: [CommandModule]) -> Never {
        var args = arguments.filter { $0 != "--sentinel" }
        var path: String?
        if let first = args.first, !first.hasPrefix("--") {
            path = first
            args.removeFirst()
        }
        let config = Config()
        config.port = 26379
        config.protectedMode = false
        var rawLines: [String] = []
        var sentinelLines: [(Int, String, [String])] = []
        guard let path else {
            let log = Logger(path: "", minimum: .notice)
            log.role = "X"
            log.warning("Sentinel needs config file on disk to save state. Exiting...")
            exit(1)
        }
        guard let f = fopen(path, "r") else {
            fatal("Fatal error, can't open config file '\(path)': \(String(cString: strerror(errno)))")
        }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            data.append(contentsOf: chunk[0..<n])
        }
        fclose(f)
        // Absolute, as Redis keeps it: `dir` may change the working directory later.
        var absolute = path
        if !path.hasPrefix("/") {
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            if getcwd(&buf, buf.count) != nil { absolute = String(cString: buf) + "/" + path }
        }
        let text = String(decoding: data, as: UTF8.self)
        rawLines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if rawLines.last == "" { rawLines.removeLast() }
        // Sentinel lines are applied once the rest is read; the others go through the normal config reader (with
        // the sentinel lines blanked so line numbers in its errors stay right).
        var plain: [String] = []
        var userLines: [[String]] = []
        for (i, line) in rawLines.enumerated() {
            let first = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first?.lowercased()
            // Lines redis-sentinel's own rewrite writes: the default user (its password is `requirepass`) and the
            // latency percentiles (no latency tracking here).
            if first == "user" || first == "latency-tracking-info-percentiles" {
                if first == "user" {
                    var bytes = Array(line.utf8)
                    let split = bytes.withUnsafeMutableBytes { InlineSplitter.split(UnsafeRawBufferPointer($0)) }
                    userLines.append((split ?? []).dropFirst().map(\.string))
                }
                plain.append("#")
                continue
            }
            if Sentinel.sentinelKey(line.trimmingCharacters(in: .whitespaces)) != nil {
                var bytes = Array(line.utf8)
                let split = bytes.withUnsafeMutableBytes { InlineSplitter.split(UnsafeRawBufferPointer($0)) }
                sentinelLines.append((i + 1, line, (split ?? []).dropFirst().map(\.string)))
                plain.append("#")
            } else {
                plain.append(line)
            }
        }
        do {
            config.configFile = path
            try ConfigFile.apply(plain.joined(separator: "\n"), source: path, to: config)
            try ConfigFile.apply(ConfigFile.commandLineText(args), source: "command line", to: config)
            for u in userLines where u.first == "default" {
                for rule in u.dropFirst() {
                    if rule == "nopass" { config.requirepass = "" }
                    if rule.hasPrefix(">") { config.requirepass = String(rule.dropFirst()) }
                }
            }
            try config.set("save", [""], atStartup: true)
            try config.set("appendonly", ["no"], atStartup: true)
        } catch {
            fatal("\(error)")
        }
        let log = Logger(path: config.logfile, minimum: Logger.Level(name: config.loglevel))
        log.role = "X"
        if access(absolute, W_OK) == -1 {
            log.warning("Sentinel config file \(path) is not writable: \(String(cString: strerror(errno))). Exiting...")
            exit(1)
        }
        let sentinel = Sentinel(configPath: absolute)
        sentinel.configLines = rawLines
        let modules: [CommandModule] = builtins.map { FilteredModule($0, keeping: keptCommands) } + [SentinelCommands(sentinel: sentinel)]
        let server = Server(config: config, modules: modules, log: log)
        server.mode = "sentinel"
        sentinel.server = server
        for (n, line, a) in sentinelLines {
            do throws(Sentinel.ConfigError) {
                try sentinel.applyDirective(a)
            } catch {
                fatal("""

                *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
                Reading the configuration file, at line \(n)
                >>> '\(line.trimmingCharacters(in: .whitespaces))'
                \(error.message)
                """)
            }
        }
        log.notice("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
        log.notice("Redis version=\(ServerInfo.redisVersion), redis-swift=\(ServerInfo.version), bits=64, pid=\(getpid()), just started")
        log.notice("Configuration loaded")
        if !config.pidfile.isEmpty, let pf = fopen(config.pidfile, "w") {
            fputs("\(getpid())\n", pf)
            fclose(pf)
        }
        let listener = Listener(server: server)
        do {
            try listener.start()
        } catch {
            log.warning("\(error)")
            exit(1)
        }
        log.notice("Running mode=sentinel, port=\(listener.boundPort ?? config.port).")
        server.lock.withLock {
            if sentinel.myid.isEmpty { sentinel.myid = Server.randomHexId() }
            sentinel.flushConfig()
            log.warning("Sentinel ID is \(sentinel.myid)")
            for m in sentinel.masters { sentinel.event(.warning, "+monitor", m, "quorum \(m.quorum)") }
            sentinel.start()
        }
        server.addShutdownHook { sentinel.flushConfig() }
        server.onShutdown = {
            log.notice("Redis is now ready to exit, bye bye...")
            DispatchQueue.global().async { listener.stop() }
        }
        signal(SIGPIPE, SIG_IGN)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                log.warning("Received \(sig == SIGTERM ? "SIGTERM" : "SIGINT") scheduling shutdown...")
                server.lock.withLock {
                    sentinel.flushConfig()
                    sentinel.shutdown()
                }
                log.notice("Redis is now ready to exit, bye bye...")
                listener.stop()
            }
            src.resume()
            sources.append(src)
        }
        listener.wait()
        _ = sources
        exit(0)
    }
}
