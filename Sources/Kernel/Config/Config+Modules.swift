/// What a module config (Redis's `RedisModule_Register*Config`) adds to its `Config.Directive`: the module that
/// registered it, its default (CONFIG REWRITE writes only values that differ), Redis's PROTECTED, DENY_LOADING
/// and SENSITIVE flags, and the module's apply step, run once CONFIG SET has set every value.
public struct ModuleConfigInfo {
    /// The module's name (the part before the dot).
    public let module: String
    /// The name the module registered (the part after the dot): Redis names it in an apply step's error.
    public let shortName: String
    /// The default as CONFIG GET would show it.
    public let defaultValue: String
    /// `enable-protected-configs` decides whether CONFIG SET may change it.
    public let protected: Bool
    /// CONFIG SET refuses it while the dataset loads.
    public let denyLoading: Bool
    /// Its value is redacted from SLOWLOG and MONITOR.
    public let sensitive: Bool
    /// Called after CONFIG SET set every value (not at load); throwing restores the previous values.
    public let apply: (() throws(Config.ConfigError) -> Void)?

    /// The module side of a directive.
    public init(module: String, shortName: String, defaultValue: String, protected: Bool, denyLoading: Bool,
                sensitive: Bool, apply: (() throws(Config.ConfigError) -> Void)?) {
        self.module = module
        self.shortName = shortName
        self.defaultValue = defaultValue
        self.protected = protected
        self.denyLoading = denyLoading
        self.sensitive = sensitive
        self.apply = apply
    }
}

extension Config.Directive {
    /// A module's config: `<module>.<name>`, its value read and written through the module.
    public static func module(_ name: String, info: ModuleConfigInfo, mutable: Bool, hidden: Bool,
                              format: Config.ValueFormat, get: @escaping (Config) -> String,
                              set: @escaping (Config, [String]) throws(Config.ConfigError) -> Void) -> Config.Directive {
        var d = Config.Directive(name: name, aliases: [], mutable: mutable, get: get, set: set)
        d.hidden = hidden
        d.format = format
        d.module = info
        return d
    }
}

extension Config {
    /// Finds a server directive or a module config by exact (case-insensitive) name.
    public func lookup(_ name: String) -> Directive? {
        if let d = Config.directive(named: name) { return d }
        guard !moduleDirectives.isEmpty else { return nil }
        return moduleDirectiveIndex[name.lowercased()].map { moduleDirectives[$0] }
    }

    /// The server's directives then the modules' configs.
    public var allDirectives: [Directive] {
        moduleDirectives.isEmpty ? Config.directives : Config.directives + moduleDirectives
    }

    /// Names of the SENSITIVE module configs (CONFIG SET's value is redacted from SLOWLOG and MONITOR). Changed
    /// and read with the server lock held.
    nonisolated(unsafe) public static var sensitiveModuleConfigs: Set<String> = []

    /// Registers a module's configs (names already checked to be new).
    public func addModuleDirectives(_ directives: [Directive]) {
        moduleDirectives += directives
        for d in directives where d.module?.sensitive == true { Config.sensitiveModuleConfigs.insert(d.name) }
        reindexModuleDirectives()
    }

    /// Removes the configs of `module` (MODULE UNLOAD, or a load rolled back).
    public func removeModuleDirectives(module: String) {
        for d in moduleDirectives where d.module?.module == module { Config.sensitiveModuleConfigs.remove(d.name) }
        moduleDirectives.removeAll { $0.module?.module == module }
        reindexModuleDirectives()
    }

    func reindexModuleDirectives() {
        moduleDirectiveIndex = [:]
        for (i, d) in moduleDirectives.enumerated() { moduleDirectiveIndex[d.name] = i }
    }

    /// Queues `<module>.<name> value` for the module's load; a later line for the same name replaces it.
    public func queueModuleConfig(_ name: String, _ value: String) {
        let key = name.lowercased()
        if let i = moduleConfigQueue.firstIndex(where: { $0.name == key }) {
            moduleConfigQueue[i].value = value
        } else {
            moduleConfigQueue.append((key, value))
        }
    }

    /// Takes the queued value of `name` out of the queue, nil when none.
    public func takeQueuedModuleConfig(_ name: String) -> String? {
        guard let i = moduleConfigQueue.firstIndex(where: { $0.name == name.lowercased() }) else { return nil }
        return moduleConfigQueue.remove(at: i).value
    }

    /// `yes` or `no` (any case), or Redis's error.
    public static func parseYesNo(_ s: String) throws(ConfigError) -> Bool { try DirectiveTable.parseBool(s) }

    /// A strict decimal integer within `range`, or Redis's error (`argument couldn't be parsed into an integer`,
    /// `argument must be between A and B inclusive`).
    public static func parseInteger(_ s: String, in range: ClosedRange<Int64>) throws(ConfigError) -> Int64 {
        try DirectiveTable.parseInteger(s, range)
    }

    /// A memory value (`1mb`, `4096`) within `range`, or Redis's error (`argument must be a memory value`, ...).
    public static func parseMemory(_ s: String, in range: ClosedRange<Int64>) throws(ConfigError) -> Int64 {
        try DirectiveTable.parseMemory(s, range)
    }
}
