import Commands
import Dispatch
import Kernel
import ModuleHost
import RedisModule
import Replication
import Scripting
import Sentinel
import ThrottlePlugin
import BloomPlugin
import QueuePlugin

#if canImport(Glibc)
import Glibc
#endif

ProcessSetup.tuneAllocator()

/// `redis-swift [path/to/redis.conf] [--directive value ...]`, like `redis-server`.
let arguments = Array(CommandLine.arguments.dropFirst())

/// `redis-swift --check-rdb FILE`, or the binary invoked as `redis-check-rdb FILE` (through a symlink).
let invokedAs = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
if invokedAs == "redis-check-rdb" || arguments.first == "--check-rdb" {
    let rest = invokedAs == "redis-check-rdb" ? arguments : Array(arguments.dropFirst())
    guard let path = rest.first else {
        fputs("Usage: \(invokedAs == "redis-check-rdb" ? "redis-check-rdb" : "redis-swift --check-rdb") <rdb-file-name>\n", stderr)
        exit(1)
    }
    guard let f = fopen(path, "r") else {
        print("[offset 0] Checking RDB file \(path)")
        print("Cannot check RDB that is a FIFO or cannot be opened: \(String(cString: strerror(errno)))")
        exit(1)
    }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n <= 0 { break }
        data.append(contentsOf: chunk[0..<n])
    }
    fclose(f)
    var tv = timeval()
    gettimeofday(&tv, nil)
    let (lines, status) = RDBCheck.report(data, path: path, nowMs: Int64(tv.tv_sec) * 1000 + Int64(tv.tv_usec) / 1000)
    for line in lines { print(line) }
    exit(status)
}

/// `--check-aof [--fix] FILE`, or the binary invoked as `redis-check-aof` (a symlink).
if invokedAs == "redis-check-aof" || arguments.first == "--check-aof" {
    let toolArgs = invokedAs == "redis-check-aof" ? arguments : Array(arguments.dropFirst())
    setvbuf(stdout, nil, _IONBF, 0)
    let status = AOFCheck.run(toolArgs, print: { print($0) }, prompt: { fputs($0, stdout) }, confirm: {
        guard let answer = readLine() else { return false }
        return answer.lowercased().hasPrefix("y")
    })
    exit(status)
}

/// `redis-swift sentinel.conf --sentinel`, or the binary invoked as `redis-sentinel` (a symlink).
if invokedAs == "redis-sentinel" || arguments.contains("--sentinel") {
    SentinelLauncher.run(arguments, builtins: BuiltinModules.all)
}

if arguments.first == "--version" || arguments.first == "-v" {
    print("Redis server v=\(ServerInfo.redisVersion) redis-swift=\(ServerInfo.version) bits=64")
    exit(0)
}
if arguments.first == "--help" || arguments.first == "-h" {
    print("""
    Usage: redis-swift [/path/to/redis.conf] [options] [-]
           redis-swift - (read config from stdin)
           redis-swift -v or --version
           redis-swift -h or --help

    Examples:
           redis-swift (run the server with default config)
           redis-swift /etc/redis/6379.conf
           redis-swift --port 7777
           redis-swift /etc/myredis.conf --loglevel verbose
           redis-swift --disable-command-family scripting --disable-command-family pubsub

    Command families (disable-command-family): generic string list set sorted-set hash pubsub
    transactions connection server scripting hyperloglog geo stream bitmap, and each plugin's family.
    """)
    exit(0)
}

let config = Config()
do {
    // redis-server's argument rules: a first argument not starting with '-' is the config file; a lone "-" as the
    // first or last argument reads more config from stdin; the `--name value` options are applied last.
    var rest = arguments[...]
    var file: String?
    if let first = rest.first, !first.hasPrefix("-") {
        file = first
        rest = rest.dropFirst()
    }
    var fromStdin = false
    if rest.first == "-" {
        fromStdin = true
        rest = rest.dropFirst()
    } else if rest.last == "-" && !(rest.count >= 2 && rest[rest.endIndex - 2].hasPrefix("--")) {
        fromStdin = true
        rest = rest.dropLast()
    }
    if let file {
        config.configFile = file
        try ConfigFile.apply(try ConfigFile.read(file), source: file, to: config)
    }
    if fromStdin {
        Logger(path: "", minimum: .notice).warning("Reading config from stdin")
        var lines: [String] = []
        while let l = readLine() { lines.append(l) }
        try ConfigFile.apply(lines.joined(separator: "\n"), source: "stdin", to: config)
    }
    try ConfigFile.apply(ConfigFile.commandLineText(Array(rest)), source: "command line", to: config)
} catch {
    fputs("\(error)\n", stderr)
    exit(1)
}

// Checked before daemonizing, so the error reaches the terminal (Redis refuses to start the same way).
if !config.logfile.isEmpty, let f = fopen(config.logfile, "a") {
    fclose(f)
} else if !config.logfile.isEmpty {
    fputs("\n*** FATAL CONFIG FILE ERROR (Redis \(ServerInfo.redisVersion)) ***\nCan't open the log file: \(String(cString: strerror(errno)))\n", stderr)
    exit(1)
}
if config.daemonize { ProcessSetup.daemonize() }

let log = Logger(path: config.logfile, minimum: Logger.Level(name: config.loglevel))
if config.syslogEnabled { log.enableSyslog(ident: config.syslogIdent, facility: config.syslogFacility) }
log.role = "C"
log.warning("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
log.warning("Redis version=\(ServerInfo.redisVersion), bits=64, commit=00000000, modified=0, pid=\(getpid()), just started")
if config.configFile.isEmpty {
    log.warning("Warning: no config file specified, using the default config. In order to specify a config file use redis-swift /path/to/redis.conf")
} else {
    log.warning("Configuration loaded")
}
log.role = "M"
log.notice("redis-swift version=\(ServerInfo.version)")
if let limit = Config.raiseOpenFilesLimit(forClients: config.maxclients) {
    let reduced = max(1, limit - 32)
    log.warning("You requested maxclients of \(config.maxclients) requiring at least \(config.maxclients + 32) max file descriptors.")
    log.warning("Current maximum open files is \(limit). maxclients has been reduced to \(reduced) to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.")
    config.maxclients = reduced
}
config.running = true

/// The shared libraries loaded at start (`loadmodule`) and at run time (MODULE LOAD).
let moduleHost = ModuleHost()
/// The compiled-in modules (Plugins/), built on the module API like a loaded one.
let pluginDefinitions: [ModuleDefinition] = [ThrottleModule(), BloomModule(), QueueModule()]
let pluginFamilies: [CommandModule] = pluginDefinitions.map { (definition: ModuleDefinition) -> CommandModule in
    do throws(RegistrationError) {
        let family = try ModuleFamily(definition)
        moduleHost.adoptTypes(of: definition)
        return family
    } catch {
        fputs("Module \(definition.name) cannot be registered: \(error.message)\n", stderr)
        exit(1)
    }
}
/// Built-in families plus the compiled-in plugins.
let modules: [CommandModule] = BuiltinModules.all + [ReplicationCommands(), EvalCommands(), FunctionCommands(),
                                                     ModuleCommands(host: moduleHost)] + pluginFamilies
let knownFamilies = Set(modules.map(\.family))
for name in config.disabledFamilies where !knownFamilies.contains(name) {
    let known = knownFamilies.sorted().joined(separator: ", ")
    fputs("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nUnknown command family '\(name)' in disable-command-family (known families: \(known))\n", stderr)
    exit(1)
}
let server = Server(config: config, modules: modules, log: log)
moduleHost.attach(to: server, plugins: pluginDefinitions.filter { !config.disabledFamilies.contains($0.name) })
// The compiled-in modules' configs take their queued `<module>.<name>` lines (or defaults) first.
for definition in pluginDefinitions where !config.disabledFamilies.contains(definition.name) {
    if let failure = server.lock.withLock({ moduleHost.registerConfigs(of: definition, server: server) }) {
        log.warning(failure)
        log.warning("Module \(definition.name) initialization failed. Module not loaded")
        exit(1)
    }
}
// `loadmodule` lines: a module that fails to load stops the start, as in Redis.
for line in config.loadModules {
    let failure: String? = server.lock.withLock {
        do throws(ModuleHost.LoadError) {
            try moduleHost.load(path: line[0], arguments: Array(line.dropFirst()), server: server)
            log.notice("Module '\(moduleHost.loaded.last?.name ?? "")' loaded from \(line[0])")
            return nil
        } catch {
            return error.cause
        }
    }
    if let failure {
        log.warning(failure)
        log.warning("Can't load module from \(line[0]): server aborting")
        exit(1)
    }
}
// `<module>.<name>` lines no module took stop the start (Redis's moduleLoadFromQueue).
if !config.moduleConfigQueue.isEmpty {
    log.warning("Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting")
    exit(1)
}
if let error = server.lock.withLock({ ACLCommands.install(on: server) }) {
    log.warning(error)
    fputs("\(error)\n", stderr)
    exit(1)
}
log.warning("Server initialized")
server.addShutdownHook { server.aof.shutdown() }
config.onAppendonlyChange = { on throws(Config.ConfigError) in
    if on {
        do throws(AOFFiles.IOError) {
            try server.aof.startAtRuntime()
        } catch {
            throw Config.ConfigError(error.message)
        }
    } else {
        server.aof.stop()
    }
}
// Until the dataset is loaded every client gets -LOADING, also one that connects before the loader takes the lock.
server.lock.withLock { server.beginLoading(totalBytes: 0) }
let listener = Listener(server: server)
do {
    try listener.start()
} catch {
    log.warning("\(error)")
    exit(1)
}
if config.daemonize || !config.pidfile.isEmpty {
    if config.pidfile.isEmpty { config.pidfile = ProcessSetup.defaultPidFile }
    ProcessSetup.writePidFile(config.pidfile, log: log)
}
let pidFile = config.pidfile
server.addShutdownHook {
    if !pidFile.isEmpty {
        log.notice("Removing the pid file.")
        unlink(pidFile)
    }
    if !config.unixsocket.isEmpty {
        log.notice("Removing the unix socket file.")
        unlink(config.unixsocket)
    }
}
if config.oomScoreAdj != "no", let problem = ProcessSetup.applyOOMScore(config, replica: !config.replicaof.isEmpty) {
    log.warning("Unable to write oom_score_adj: \(problem)")
}
// The logo when asked for, or on a terminal with no log file (as Redis); else the one-line mode and port.
if config.alwaysShowLogo || (config.logfile.isEmpty && isatty(STDOUT_FILENO) != 0) {
    log.raw(ProcessSetup.logo(version: ServerInfo.redisVersion, mode: "standalone", port: listener.boundPort ?? config.port,
                              pid: getpid()))
} else {
    log.notice("Running mode=standalone, port=\(listener.boundPort ?? config.port).")
}
// The port is open while the dataset loads: clients get -LOADING meanwhile, as from Redis. The AOF wins over
// the RDB file when it is on.
// A failed load exits with the lock still held, so no client is served a partial dataset meanwhile.
server.lock.withLock {
    if config.appendonly {
        do throws(AOF.BootError) {
            try server.aof.boot()
        } catch {
            log.warning(error.message)
            exit(1)
        }
    } else if !server.loadRDBAtStartup() {
        exit(1)
    }
    server.loading = false
}
EvalCommands.install(on: server)
if listener.listensOnTCP { log.notice("Ready to accept connections") }
if !config.unixsocket.isEmpty { log.notice("The server is now ready to accept connections at \(config.unixsocket)") }
ReplicationCommands.startFromConfig(server)

server.onShutdown = {
    log.notice("Redis is now ready to exit, bye bye...")
    // SHUTDOWN runs with the data lock held and stop() takes it: stop from another thread.
    DispatchQueue.global().async { listener.stop() }
}

signal(SIGPIPE, SIG_IGN)
var signalSources: [DispatchSourceSignal] = []
for sig in [SIGTERM, SIGINT] {
    signal(sig, SIG_IGN)
    let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
    src.setEventHandler {
        let name = sig == SIGTERM ? "SIGTERM" : "SIGINT"
        log.warning("Received \(name) scheduling shutdown...")
        // shutdown-on-sigint / shutdown-on-sigterm: `save` / `nosave` override the save points, `force` exits
        // even when the final save fails.
        let flags = config.shutdownFlags(forSigint: sig == SIGINT)
        let save = flags.save || (!flags.nosave && !config.savePoints.isEmpty)
        let ready = server.lock.withLock {
            server.prepareForShutdown(save: save, force: flags.force)
        }
        guard ready else {
            log.warning("\(name) received but errors trying to shut down the server, check the logs for more information")
            return
        }
        log.notice("Redis is now ready to exit, bye bye...")
        listener.stop()
    }
    src.resume()
    signalSources.append(src)
}

listener.wait()
exit(0)
