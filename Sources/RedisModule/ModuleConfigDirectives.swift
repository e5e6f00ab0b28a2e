import Kernel

extension ModuleConfig {
    /// The text of a refusal: the module's message without the `ERR ` a `ModuleError` adds.
    static func text(_ e: ModuleError) -> Config.ConfigError {
        Config.ConfigError(e.message.hasPrefix("ERR ") ? String(e.message.dropFirst(4)) : e.message)
    }

    /// The value's name(s) for CONFIG GET (Redis's configEnumGetName): an exact match first; for bitflags the
    /// names whose bits are all set, in declaration order, each taking its bits out; "" when bits stay unnamed.
    static func enumName(_ v: Int, _ values: [(String, Int)], bitflags: Bool) -> String {
        if let exact = values.first(where: { $0.1 == v }) { return exact.0 }
        guard bitflags else { return "" }
        var names: [String] = []
        var unmatched = v
        for (name, bits) in values where bits != 0 && bits & unmatched == bits {
            names.append(name)
            unmatched &= ~bits
        }
        return unmatched == 0 && !names.isEmpty ? names.joined(separator: " ") : ""
    }

    /// Parses an enum value: one name (any case), or for bitflags several separated by spaces, OR-ed.
    static func enumValue(_ text: String, _ values: [(String, Int)], bitflags: Bool) throws(Config.ConfigError) -> Int {
        let words = bitflags ? text.split(separator: " ").map(String.init) : [text]
        var v = 0
        var known = !words.isEmpty
        for w in words {
            guard let match = values.first(where: { $0.0.lowercased() == w.lowercased() }) else {
                known = false
                break
            }
            v |= match.1
        }
        guard known else {
            throw Config.ConfigError("argument(s) must be one of the following: " + values.map(\.0).joined(separator: ", "))
        }
        return v
    }

    /// The config's default as CONFIG GET shows it.
    var defaultText: String {
        switch kind {
        case .string(let d, _, _): return d
        case .bool(let d, _, _): return d ? "yes" : "no"
        case .numeric(let d, _, _, _): return String(d)
        case .enumeration(let d, let values, _, _): return ModuleConfig.enumName(d, values, bitflags: flags.contains(.bitflags))
        }
    }

    /// Why this declaration is refused (Redis's moduleVerifyConfigName / moduleVerifyConfigFlags), nil if fine.
    var invalidReason: String? {
        if name.isEmpty { return "Module config names cannot be an empty string." }
        for ch in name.unicodeScalars where !((ch.value >= 0x30 && ch.value <= 0x39) || (ch.value >= 0x41 && ch.value <= 0x5A)
                                                || (ch.value >= 0x61 && ch.value <= 0x7A) || ch == "_" || ch == "-") {
            return "Invalid character \(ch) in Module Config name \(name)."
        }
        var isNumeric = false, isEnum = false
        switch kind {
        case .numeric: isNumeric = true
        case .enumeration(_, let values, _, _):
            isEnum = true
            if values.isEmpty { return "Enum config \(name) has no values." }
        default: break
        }
        if (flags.contains(.memory) && !isNumeric) || (flags.contains(.bitflags) && !isEnum) {
            return "Invalid flag(s) for configuration \(name)."
        }
        return nil
    }

    /// A module's apply step as the kernel calls it.
    static func kernelApply(_ a: @escaping () throws(ModuleError) -> Void) -> () throws(Config.ConfigError) -> Void {
        return { () throws(Config.ConfigError) -> Void in
            do throws(ModuleError) {
                try a()
            } catch {
                throw ModuleConfig.text(error)
            }
        }
    }

    /// The kernel directive `<module>.<name>` over this config.
    func directive(module: String) -> Config.Directive {
        let full = "\(module).\(name)"
        let info = ModuleConfigInfo(module: module, shortName: name, defaultValue: defaultText,
                                    protected: flags.contains(.protected), denyLoading: flags.contains(.denyLoading),
                                    sensitive: flags.contains(.sensitive),
                                    apply: apply.map(ModuleConfig.kernelApply))
        let get: (Config) -> String
        let set: (Config, [String]) throws(Config.ConfigError) -> Void
        var format = Config.ValueFormat.plain
        switch kind {
        case .string(_, let g, let s):
            format = .quoted
            get = { _ in g() }
            set = { _, v throws(Config.ConfigError) in
                do throws(ModuleError) { try s(v.joined(separator: " ")) } catch { throw ModuleConfig.text(error) }
            }
        case .bool(_, let g, let s):
            get = { _ in g() ? "yes" : "no" }
            set = { _, v throws(Config.ConfigError) in
                let b = try Config.parseYesNo(v.joined(separator: " "))
                do throws(ModuleError) { try s(b) } catch { throw ModuleConfig.text(error) }
            }
        case .numeric(_, let range, let g, let s):
            let memory = flags.contains(.memory)
            if memory { format = .memory }
            get = { _ in String(g()) }
            set = { _, v throws(Config.ConfigError) in
                let text = v.joined(separator: " ")
                let n = memory ? try Config.parseMemory(text, in: range) : try Config.parseInteger(text, in: range)
                do throws(ModuleError) { try s(n) } catch { throw ModuleConfig.text(error) }
            }
        case .enumeration(_, let values, let g, let s):
            let bitflags = flags.contains(.bitflags)
            get = { _ in ModuleConfig.enumName(g(), values, bitflags: bitflags) }
            set = { _, v throws(Config.ConfigError) in
                let n = try ModuleConfig.enumValue(v.joined(separator: " "), values, bitflags: bitflags)
                do throws(ModuleError) { try s(n) } catch { throw ModuleConfig.text(error) }
            }
        }
        return .module(full, info: info, mutable: !flags.contains(.immutable), hidden: flags.contains(.hidden),
                       format: format, get: get, set: set)
    }
}

extension ModuleFamily {
    /// The kernel directives of a module's configs, refusing bad names or flags and duplicates (the texts Redis
    /// logs).
    public static func configDirectives(_ definition: ModuleDefinition) throws(RegistrationError) -> [Config.Directive] {
        var seen: Set<String> = []
        var out: [Config.Directive] = []
        for c in definition.configs {
            if let why = c.invalidReason { throw RegistrationError(why) }
            guard seen.insert(c.name.lowercased()).inserted else {
                throw RegistrationError("Configuration by the name: \(definition.name).\(c.name) already registered")
            }
            out.append(c.directive(module: definition.name))
        }
        return out
    }
}
