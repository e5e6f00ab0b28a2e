import Kernel
/// Byte strings (arguments, keys, values) are the kernel's `RBytes`: the one kernel type a module sees.
@_exported import struct Kernel.RBytes

/// The module API's version. A module records the version it was compiled against (`compiledVersion` is
/// emitted into the module's own code); the server refuses to load a module whose version differs from its own
/// (`hostVersion`), with a clear message instead of undefined behaviour. Bump both together when the API changes.
public enum ModuleAPI {
    /// The API version of this server (answered by the server's copy of this library).
    public static let hostVersion = 3
    /// The API version a module was compiled against (inlined into the module at its compile time).
    @_alwaysEmitIntoClient
    public static var compiledVersion: Int { 3 }
    /// Additions to version 3 that leave modules built before them loadable (a module using one fails to load
    /// on an older server with `undefined symbol`, a clean refusal): 1 = blocking clients on keys
    /// (`ModuleContext.blockOnKeys`, `signalReady`, `readyKey`, `canBlock`).
    public static let hostRevision = 1
}

/// A custom command module: what a user writes. The same declaration serves a compiled-in plugin (listed in
/// `main.swift`) and a shared library loaded with `MODULE LOAD` (exported by its `redis_swift_module_init`).
public protocol ModuleDefinition {
    /// The module's name (MODULE LIST `name`; also its family id for `disable-command-family` and COMMAND DOCS
    /// `group`). Letters, digits, `-` and `_`.
    var name: String { get }
    /// The module's version (MODULE LIST `ver`).
    var version: Int { get }
    /// The module's commands.
    var commands: [ModuleCommand] { get }
    /// The module's own data types (Redis's `RedisModule_CreateDataType`); none by default. A module that
    /// exports a type cannot be unloaded, as in Redis.
    var types: [ModuleDataType] { get }
    /// The module's configs (`<name>.<config>` in CONFIG GET/SET, the config file, MODULE LOADEX): none by
    /// default. They are set (queued value or default) before `onLoad` runs.
    var configs: [ModuleConfig] { get }
    /// Writes the module's INFO sections (see `ModuleInfo`); none by default.
    func addInfo(to info: ModuleInfo)
    /// Called once when the module is loaded, with the arguments of `loadmodule` / `MODULE LOAD`. Throwing
    /// refuses the load.
    func onLoad(arguments: [String]) throws
}

extension ModuleDefinition {
    /// Nothing to do at load by default.
    public func onLoad(arguments: [String]) throws {}
    /// No data types by default.
    public var types: [ModuleDataType] { [] }
    /// No INFO sections by default.
    public func addInfo(to info: ModuleInfo) {}
    /// No configs by default.
    public var configs: [ModuleConfig] { [] }
}

/// What a command handler does with its context: read the arguments, work on the keyspace, write the reply.
/// A thrown `ModuleError` becomes its error reply; any other thrown error replies `-ERR <description>`.
public typealias ModuleHandler = (ModuleContext) throws -> Void

/// One command of a module: the same metadata as a built-in command (`CommandSpec`), with flags and ACL
/// categories as the words Redis's module API uses (`"write deny-oom fast"`, `"string"`).
public struct ModuleCommand {
    /// Lower-case name, conventionally `<module>.<verb>` (`cl.throttle`).
    public var name: String
    /// Redis arity: N = exactly N arguments including the name, -N = at least N (0 is refused).
    public var arity: Int
    /// Space-separated flags of Redis's RedisModule_CreateCommand: write, readonly, admin, deny-oom,
    /// deny-script, allow-loading, pubsub, random, allow-stale, no-monitor, no-slowlog, fast, no-auth,
    /// may-replicate, no-mandatory-keys, blocking, allow-busy, no-multi.
    public var flags: String
    /// Index of the first key argument (0: no keys).
    public var firstKey: Int
    /// Index of the last key argument; negative counts from the end (-1 = the last argument).
    public var lastKey: Int
    /// Step between key arguments.
    public var keyStep: Int
    /// Space-separated ACL categories beyond those the flags imply (`string`, `bitmap`, ...), as
    /// RedisModule_SetCommandACLCategories.
    public var categories: String
    /// COMMAND DOCS `summary`.
    public var summary: String
    /// COMMAND DOCS `since`.
    public var since: String
    /// COMMAND DOCS `complexity`.
    public var complexity: String
    /// Subcommands (`mymod.config get`), each with its own handler; a container without its own handler replies
    /// Redis's unknown-subcommand error.
    public var subcommands: [ModuleCommand]
    /// The handler, nil for a container of subcommands.
    public var handler: ModuleHandler?

    /// A command with its metadata and handler.
    public init(_ name: String, arity: Int, flags: String = "", firstKey: Int = 0, lastKey: Int = 0,
                keyStep: Int = 0, categories: String = "", summary: String = "", since: String = "1.0.0",
                complexity: String = "", subcommands: [ModuleCommand] = [], handler: ModuleHandler? = nil) {
        self.name = name
        self.arity = arity
        self.flags = flags
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.keyStep = keyStep
        self.categories = categories
        self.summary = summary
        self.since = since
        self.complexity = complexity
        self.subcommands = subcommands
        self.handler = handler
    }
}

/// An error reply from a handler: `message` starts with its code (`ERR ...`, `WRONGTYPE ...`).
public struct ModuleError: Error, CustomStringConvertible {
    /// The reply text, code first.
    public let message: String
    /// An error reply; a message without an upper-case code gets `ERR ` in front.
    public init(_ message: String) {
        let code = message.prefix { $0 != " " }
        self.message = !code.isEmpty && code.allSatisfy({ $0.isUppercase }) ? message : "ERR " + message
    }
    /// An error reply sent exactly as given, its first word being the code (Redis's `RedisModule_ReplyWithError`
    /// with a message such as `Bad error rate`, whose code is then `Bad`).
    public init(verbatim message: String) { self.message = message }
    /// Redis's wrong-number-of-arguments error for `command` (`RedisModule_WrongArity`).
    public static func arity(_ command: String) -> ModuleError { ModuleError(Errors.arity(command)) }
    public var description: String { message }
    /// Redis's wrong-type error.
    public static let wrongType = ModuleError(Errors.wrongType)
    /// Redis's syntax error.
    public static let syntax = ModuleError("ERR syntax error")
    /// Redis's not-a-float error.
    public static let notFloat = ModuleError("ERR value is not a valid float")
    /// Redis's not-an-integer error.
    public static let notInteger = ModuleError("ERR value is not an integer or out of range")
}

/// A module data type: a 9-character name (`A-Za-z0-9-_`, TYPE's reply), an encoding version (0...1023) and
/// a load callback reading what `ModuleValue.save` wrote (see docs/MODULES.md, "Custom data types").
public typealias ModuleDataType = CustomValueType
/// A value of a module data type: deep copy, memory usage, save, AOF rewrite and digest callbacks.
public typealias ModuleValue = CustomValue
/// What `ModuleValue.save` writes with (`saveUnsigned`, `saveSigned`, `saveDouble`, `saveFloat`, `saveString`).
public typealias ModuleValueWriter = CustomValueWriter
/// What a type's load callback reads with (`loadUnsigned`, ... `loadString`); each read throws on a corrupt
/// payload.
public typealias ModuleValueReader = CustomValueReader
/// What `ModuleValue.rewrite` emits AOF commands with.
public typealias ModuleValueRewriter = CustomValueRewriter
/// What `ModuleValue.digest` adds to (`add`, `endSequence`).
public typealias ModuleValueDigest = CustomValueDigest
