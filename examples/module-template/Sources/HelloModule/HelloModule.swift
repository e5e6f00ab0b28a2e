import RedisModule

/// A sample module: `HELLO.GREET [name]` replies a greeting, `HELLO.COUNT key` increments a counter key and
/// replicates the result. Copy this folder, rename the module and its commands, and build it with `./build.sh`.
public struct HelloModule: ModuleDefinition {
    /// The module.
    public init() {}
    /// The name MODULE LIST and MODULE UNLOAD use.
    public let name = "hello"
    /// The version MODULE LIST shows.
    public let version = 1

    /// The module's commands, with the same metadata as built-in commands.
    public var commands: [ModuleCommand] {
        [
            ModuleCommand("hello.greet", arity: -1, flags: "readonly fast", summary: "Replies a greeting.",
                          since: "1.0.0", complexity: "O(1)", handler: greet),
            ModuleCommand("hello.count", arity: 2, flags: "write deny-oom fast", firstKey: 1, lastKey: 1, keyStep: 1,
                          categories: "string", summary: "Increments a counter and replies its new value.",
                          since: "1.0.0", complexity: "O(1)", handler: count),
        ]
    }

    /// `hello.greeting`: the word HELLO.GREET starts with (CONFIG SET hello.greeting Hi, a `hello.greeting Hi`
    /// config-file line, or MODULE LOADEX ... CONFIG hello.greeting Hi).
    public var configs: [ModuleConfig] {
        [.string("greeting", default: "Hello", stored: greeting, validate: { v throws(ModuleError) in
            if v.isEmpty { throw ModuleError("greeting cannot be empty") }
        })]
    }

    /// INFO's `# hello_stats` section (INFO hello, INFO modules, INFO everything).
    public func addInfo(to info: ModuleInfo) {
        if info.addSection("stats") {
            info.addField("greetings", greetings.value)
        }
    }

    /// Arguments of `loadmodule` / MODULE LOAD: none are accepted.
    public func onLoad(arguments: [String]) throws {
        if !arguments.isEmpty { throw ModuleError("hello takes no arguments") }
    }
}

/// The `hello.greeting` config and the greetings made (read and changed with the server's data lock held).
let greeting = ModuleSetting("Hello")
let greetings = ModuleSetting<Int64>(0)

/// HELLO.GREET [name]
func greet(_ ctx: ModuleContext) throws {
    guard ctx.argumentCount <= 2 else { throw ModuleError.syntax }
    let who = ctx.argumentCount == 2 ? ctx.argument(1).string : "world"
    greetings.value += 1
    ctx.reply.bulk("\(greeting.value), \(who)!")
}

/// HELLO.COUNT key
func count(_ ctx: ModuleContext) throws {
    let key = ctx.argument(0 + 1)
    var n: Int64 = 0
    if let s = try ctx.string(key) {
        guard let v = Int64(s.string) else { throw ModuleError.notInteger }
        n = v
    }
    n += 1
    ctx.setString(key, RBytes(String(n)), keepTTL: true)
    ctx.signalModified(key)
    ctx.notify(.string, "incrby", key)
    ctx.replicate([["SET", key, RBytes(String(n)), "KEEPTTL"]])
    ctx.reply.integer(n)
}

/// The entry point the server calls after loading the library.
@_cdecl("redis_swift_module_init")
public func redisSwiftModuleInit(_ request: UnsafeMutableRawPointer) -> Int32 {
    ModuleExport.export(HelloModule(), to: request)
}
