import Kernel
import RedisModule

#if canImport(Glibc)
import Glibc
#endif

/// The modules of a running server: the compiled-in ones (listed, never unloaded by name clash) and the shared
/// libraries loaded with `loadmodule`, `MODULE LOAD` or `MODULE LOADEX`.
///
/// A library is opened with `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed: the Swift runtime keeps
/// pointers into a library's type metadata, so unmapping it would crash the next dynamic cast (DESIGN §10).
/// MODULE UNLOAD unregisters the module's commands; its code stays mapped.
public final class ModuleHost {
    /// One loaded module (MODULE LIST's row).
    public struct Loaded {
        /// The module's name.
        public let name: String
        /// The module's version.
        public let version: Int
        /// The library's path ("" for a compiled-in module).
        public let path: String
        /// The arguments it was loaded with.
        public let arguments: [String]
        /// The names of the data types it exports (a module with types cannot be unloaded).
        public let types: [String]
        /// The module API version it was built against (INFO's `api`).
        public let apiVersion: Int
        /// Its declaration (INFO sections).
        public let definition: ModuleDefinition
    }

    /// The compiled-in modules whose family is registered (their configs and INFO sections).
    public private(set) var compiledIn: [ModuleDefinition] = []

    /// Connects the host to `server`: CONFIG REWRITE's `loadmodule` lines, INFO's `# Modules` lines and the
    /// modules' own INFO sections. `plugins` are the compiled-in modules whose family is registered.
    public func attach(to server: Server, plugins: [ModuleDefinition]) {
        compiledIn = plugins
        server.config.moduleLoadLines = { [unowned self] in self.loadLines }
        server.addInfoFields(section: "modules") { [unowned self] _ in
            self.listed.map { m in
                ("module", "name=\(m.name),ver=\(m.version),api=\(m.apiVersion),filters=0,usedby=[],using=[],options=[]")
            }
        }
        server.moduleInfoSections = { [unowned self] requested in
            (self.compiledIn + self.loaded.map(\.definition)).flatMap { ModuleInfo.collect($0, requested: requested) }
        }
    }

    /// The modules MODULE LIST and INFO's `# Modules` show: the compiled-in ones first (like modules of
    /// `loadmodule` lines, loaded at start; their path is the server's executable, their arguments none), then
    /// the libraries loaded, in load order.
    public var listed: [Loaded] {
        compiledIn.map { d in
            Loaded(name: d.name, version: d.version, path: ModuleHost.executablePath, arguments: [],
                   types: d.types.map(\.name), apiVersion: ModuleAPI.hostVersion, definition: d)
        } + loaded
    }

    /// The server's executable (`/proc/self/exe`), the "path" of the compiled-in modules.
    static let executablePath: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return CommandLine.arguments.first ?? "" }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Data type names of the compiled-in modules (`adoptTypes`).
    public private(set) var compiledInTypes: Set<String> = []

    /// Makes a compiled-in module's data types loadable (RDB, RESTORE) and reserves their names.
    public func adoptTypes(of definition: ModuleDefinition) {
        for t in definition.types {
            compiledInTypes.insert(t.name)
            CustomTypeRegistry.register(t)
        }
    }

    /// Whether a data type named `name` is exported by a compiled-in or loaded module.
    public func hasType(_ name: String) -> Bool {
        compiledInTypes.contains(name) || loaded.contains { $0.types.contains(name) }
    }

    /// Loaded modules, in load order.
    public private(set) var loaded: [Loaded] = []

    /// A host with no loaded module.
    public init() {}

    /// Why a load failed: the cause for the server log (the client gets Redis's generic error).
    public struct LoadError: Error {
        /// The cause, as logged.
        public let cause: String
    }

    /// Loads the library at `path`: dlopen, the entry point, the API version check, its configs (queued values
    /// or defaults), the module's `onLoad`, then its commands through the registration door. Nothing stays
    /// registered when any step fails. `configs` are MODULE LOADEX's `CONFIG name value` pairs (nil at start:
    /// the config file's queued `<module>.<name>` lines are used, and what is left is checked once every
    /// `loadmodule` ran). Call with the lock held.
    public func load(path: String, arguments: [String], configs: [(String, String)]? = nil,
                     server: Server) throws(LoadError) {
        let config = server.config
        if let configs {
            config.moduleConfigQueue = []
            for (name, value) in configs { config.queueModuleConfig(name, value) }
        }
        // At run time the queue only holds this LOADEX's pairs: emptied whatever happens (Redis's dictEmpty).
        defer { if configs != nil { config.moduleConfigQueue = [] } }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | Int32(RTLD_NODELETE)) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw LoadError(cause: "Module \(path) failed to load: \(reason)")
        }
        guard let symbol = dlsym(handle, ModuleExport.entryPoint) else {
            throw LoadError(cause: "Module \(path) does not export the \(ModuleExport.entryPoint) entry point, or it is not a redis-swift module.")
        }
        typealias Entry = @convention(c) (UnsafeMutableRawPointer) -> Int32
        let entry = unsafeBitCast(symbol, to: Entry.self)
        let request = ModuleLoadRequest()
        let status = withExtendedLifetime(request) { entry(Unmanaged.passUnretained(request).toOpaque()) }
        guard status == 0, let definition = request.definition else {
            throw LoadError(cause: "Module \(path) initialization failed. Module not loaded")
        }
        guard request.apiVersion == ModuleAPI.hostVersion else {
            throw LoadError(cause: "Module \(path) was built against module API version \(request.apiVersion), this server implements version \(ModuleAPI.hostVersion): rebuild it against this server's interface (same toolchain, same redis-swift version). Module not loaded")
        }
        try register(definition, path: path, arguments: arguments, server: server, loadex: configs != nil,
                     apiVersion: request.apiVersion)
    }

    /// Registers a module declaration (loaded or compiled in) with its commands. Call with the lock held.
    /// With `loadex`, a queued config no config of the module took refuses the load (Redis's "Loadex
    /// configurations were not applied").
    public func register(_ definition: ModuleDefinition, path: String, arguments: [String],
                         server: Server, loadex: Bool = false, apiVersion: Int = ModuleAPI.hostVersion) throws(LoadError) {
        let name = definition.name
        if loaded.contains(where: { $0.name == name }) || server.commands.families.contains(name) {
            throw LoadError(cause: "Module \(path) initialization failed: a module named '\(name)' is already loaded. Module not loaded")
        }
        let family: ModuleFamily
        let directives: [Config.Directive]
        do throws(RegistrationError) {
            family = try ModuleFamily(definition)
            directives = try ModuleFamily.configDirectives(definition)
            try server.registerFamily(family)
        } catch {
            throw LoadError(cause: "Module \(path) initialization failed: \(error.message). Module not loaded")
        }
        if let clash = definition.types.first(where: { hasType($0.name) }) {
            server.unregisterFamily(name)
            throw LoadError(cause: "Module \(path) initialization failed: a data type named '\(clash.name)' is already registered. Module not loaded")
        }
        if let problem = loadConfigs(directives, server: server) {
            rollBack(name, server: server)
            server.log.warning(problem)
            throw LoadError(cause: "Module \(path) initialization failed. Module not loaded")
        }
        do {
            try definition.onLoad(arguments: arguments)
        } catch {
            rollBack(name, server: server)
            throw LoadError(cause: "Module \(path) initialization failed: \(error). Module not loaded")
        }
        if loadex && !server.config.moduleConfigQueue.isEmpty {
            rollBack(name, server: server)
            throw LoadError(cause: "Loadex configurations were not applied, likely due to invalid arguments. Unloading the module.")
        }
        for t in definition.types { CustomTypeRegistry.register(t) }
        loaded.append(Loaded(name: name, version: definition.version, path: path, arguments: arguments,
                             types: definition.types.map(\.name), apiVersion: apiVersion, definition: definition))
    }

    /// A compiled-in module's configs (its commands are a family of the server already): registered and set to
    /// their queued values or defaults. Returns what Redis logs when a value is refused. Call with the lock held.
    public func registerConfigs(of definition: ModuleDefinition, server: Server) -> String? {
        let directives: [Config.Directive]
        do throws(RegistrationError) {
            directives = try ModuleFamily.configDirectives(definition)
        } catch {
            return "Module \(definition.name) initialization failed: \(error.message)"
        }
        if let problem = loadConfigs(directives, server: server) {
            server.config.removeModuleDirectives(module: definition.name)
            return problem
        }
        return nil
    }

    /// Adds the configs and sets each once (Redis's RedisModule_LoadConfigs): its queued value, taken out of the
    /// queue, or else its default. Returns Redis's log line for a refused value.
    func loadConfigs(_ directives: [Config.Directive], server: Server) -> String? {
        let config = server.config
        config.addModuleDirectives(directives)
        for d in directives {
            if let value = config.takeQueuedModuleConfig(d.name) {
                do throws(Config.ConfigError) {
                    try d.set(config, [value])
                } catch {
                    config.moduleConfigQueue = []
                    return "Issue during loading of configuration \(d.name) : \(error.message)"
                }
            } else {
                do throws(Config.ConfigError) {
                    try d.set(config, [d.module?.defaultValue ?? ""])
                } catch {
                    return "Issue attempting to set default value of configuration \(d.module?.shortName ?? d.name) : \(error.message)"
                }
            }
        }
        return nil
    }

    /// Undoes a registration: commands and configs.
    func rollBack(_ name: String, server: Server) {
        server.unregisterFamily(name)
        server.config.removeModuleDirectives(module: name)
    }

    /// The `loadmodule` lines CONFIG REWRITE writes: one per loaded library, its path then its arguments.
    public var loadLines: [String] {
        loaded.filter { !$0.path.isEmpty }.map { (["loadmodule", $0.path] + $0.arguments).joined(separator: " ") }
    }

    /// MODULE UNLOAD: unregisters the module's commands. Returns Redis's error text when refused: a module that
    /// exports data types is never unloaded (Redis's moduleUnload refuses with EBUSY whether or not keys of the
    /// types exist).
    public func unload(name: String, server: Server) -> String? {
        guard let i = loaded.firstIndex(where: { $0.name == name }) else {
            if compiledIn.contains(where: { $0.name == name }) {
                return "the module is compiled into the server, can't unload"
            }
            return "no such module with that name"
        }
        if !loaded[i].types.isEmpty {
            return "the module exports one or more module-side data types, can't unload"
        }
        if server.blockedClients(family: name) > 0 {
            return "the module has blocked clients. Please wait them unblocked and try again"
        }
        rollBack(name, server: server)
        loaded.remove(at: i)
        return nil
    }
}
