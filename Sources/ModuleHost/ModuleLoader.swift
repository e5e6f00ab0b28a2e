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
    }

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

    /// Loads the library at `path`: dlopen, the entry point, the API version check, the module's `onLoad`, then
    /// its commands through the registration door. Nothing is registered when any step fails. Call with the
    /// lock held.
    public func load(path: String, arguments: [String], configs: [(String, String)] = [],
                     server: Server) throws(LoadError) {
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
        if !configs.isEmpty {
            throw LoadError(cause: "Module Configurations were not set, likely a missing LoadConfigs call. Unloading the module.")
        }
        try register(definition, path: path, arguments: arguments, server: server)
    }

    /// Registers a module declaration (loaded or compiled in) with its commands. Call with the lock held.
    public func register(_ definition: ModuleDefinition, path: String, arguments: [String],
                         server: Server) throws(LoadError) {
        let name = definition.name
        if loaded.contains(where: { $0.name == name }) || server.commands.families.contains(name) {
            throw LoadError(cause: "Module \(path) initialization failed: a module named '\(name)' is already loaded. Module not loaded")
        }
        let family: ModuleFamily
        do throws(RegistrationError) {
            family = try ModuleFamily(definition)
            try server.registerFamily(family)
        } catch {
            throw LoadError(cause: "Module \(path) initialization failed: \(error.message). Module not loaded")
        }
        if let clash = definition.types.first(where: { hasType($0.name) }) {
            server.unregisterFamily(name)
            throw LoadError(cause: "Module \(path) initialization failed: a data type named '\(clash.name)' is already registered. Module not loaded")
        }
        do {
            try definition.onLoad(arguments: arguments)
        } catch {
            server.unregisterFamily(name)
            throw LoadError(cause: "Module \(path) initialization failed: \(error). Module not loaded")
        }
        for t in definition.types { CustomTypeRegistry.register(t) }
        loaded.append(Loaded(name: name, version: definition.version, path: path, arguments: arguments,
                             types: definition.types.map(\.name)))
    }

    /// MODULE UNLOAD: unregisters the module's commands. Returns Redis's error text when refused: a module that
    /// exports data types is never unloaded (Redis's moduleUnload refuses with EBUSY whether or not keys of the
    /// types exist).
    public func unload(name: String, server: Server) -> String? {
        guard let i = loaded.firstIndex(where: { $0.name == name }) else {
            return "no such module with that name"
        }
        if !loaded[i].types.isEmpty {
            return "the module exports one or more module-side data types, can't unload"
        }
        server.unregisterFamily(name)
        loaded.remove(at: i)
        return nil
    }
}
