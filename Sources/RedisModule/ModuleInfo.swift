import Kernel

/// What a module's `addInfo(to:)` writes its INFO sections with (Redis's `RedisModule_InfoAddSection`,
/// `InfoAddField*`, `InfoBeginDictField` / `InfoEndDictField`). A section is titled `<module>_<name>` (the module's
/// name alone for `""`); field names get the `<module>_` prefix. INFO shows module sections for `everything` and
/// `modules`, and for an argument naming the module (all its sections) or one section (`<module>_<name>`) — never
/// for plain `INFO`, `default` or `all`, as Redis 7.0.
public final class ModuleInfo {
    let module: String
    let requested: Set<String>?
    var sections: [(title: String, fields: [(String, String)])] = []
    var inSection = false
    var dict: (name: String, items: [String])?

    init(module: String, requested: Set<String>?) {
        self.module = module
        self.requested = requested
    }

    /// Starts a section; false when INFO did not ask for it (its fields are then dropped, so a module may skip
    /// computing them).
    @discardableResult
    public func addSection(_ name: String = "") -> Bool {
        endDictField()
        let title = name.isEmpty ? module : "\(module)_\(name)"
        if let requested, !requested.contains(title.lowercased()), !requested.contains(module.lowercased()) {
            inSection = false
            return false
        }
        sections.append((title, []))
        inSection = true
        return true
    }

    /// Adds `<module>_<name>:<value>` (or `name=value` inside a dict field).
    public func addField(_ name: String, _ value: String) {
        guard inSection else { return }
        if dict != nil {
            dict!.items.append("\(name)=\(value)")
        } else {
            sections[sections.count - 1].fields.append(("\(module)_\(name)", value))
        }
    }

    /// Adds an integer field.
    public func addField(_ name: String, _ value: Int64) { addField(name, String(value)) }
    /// Adds an unsigned integer field.
    public func addField(_ name: String, _ value: UInt64) { addField(name, String(value)) }
    /// Adds a double field, written as Redis's `%.17g`.
    public func addField(_ name: String, _ value: Double) {
        addField(name, String(decoding: Numbers.cFormat("%.17g", value), as: UTF8.self))
    }

    /// Starts a field whose value is `k=v,k=v` (the fields added until `endDictField`).
    public func beginDictField(_ name: String) {
        guard inSection else { return }
        endDictField()
        dict = (name, [])
    }

    /// Ends a dict field (a new section or dict ends it too).
    public func endDictField() {
        guard let d = dict else { return }
        dict = nil
        sections[sections.count - 1].fields.append(("\(module)_\(d.name)", d.items.joined(separator: ",")))
    }

    /// The sections of `definition` INFO asked for (`requested` nil: all).
    public static func collect(_ definition: ModuleDefinition, requested: Set<String>?)
        -> [(title: String, fields: [(String, String)])] {
        let info = ModuleInfo(module: definition.name, requested: requested)
        definition.addInfo(to: info)
        info.endDictField()
        return info.sections
    }
}
