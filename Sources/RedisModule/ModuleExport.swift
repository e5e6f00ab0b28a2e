/// The hand-over between a shared library's entry point and the server loading it.
///
/// A loadable module defines the C entry point the server looks up after `dlopen`:
///
///     @_cdecl("redis_swift_module_init")
///     public func redisSwiftModuleInit(_ request: UnsafeMutableRawPointer) -> Int32 {
///         ModuleExport.export(HelloModule(), to: request)
///     }
///
/// `export` is compiled into the module itself (`@_alwaysEmitIntoClient`), so the API version it reports is
/// the one the module was built against; the server refuses a module whose version differs from its own.
public enum ModuleExport {
    /// The name of the C entry point the server calls.
    public static let entryPoint = "redis_swift_module_init"

    /// Hands `definition` to the server with the API version this module was compiled against; returns 0.
    @_alwaysEmitIntoClient
    public static func export(_ definition: ModuleDefinition, to request: UnsafeMutableRawPointer) -> Int32 {
        ModuleLoadRequest.fill(request, definition: definition, apiVersion: ModuleAPI.compiledVersion)
        return 0
    }
}

/// What a module's entry point fills in for the server: its declaration and the API version it was built with.
public final class ModuleLoadRequest {
    /// The API version the module was compiled against (0 until the entry point ran).
    public private(set) var apiVersion = 0
    /// The module's declaration, nil until the entry point ran.
    public private(set) var definition: ModuleDefinition?

    /// An empty request (the server makes one per load).
    public init() {}

    /// Fills the request behind `pointer` (an unretained `ModuleLoadRequest`, as the server passes it).
    public static func fill(_ pointer: UnsafeMutableRawPointer, definition: ModuleDefinition, apiVersion: Int) {
        let request = Unmanaged<ModuleLoadRequest>.fromOpaque(pointer).takeUnretainedValue()
        request.apiVersion = apiVersion
        request.definition = definition
    }
}
