/// ACL and hardening settings: `requirepass`, `aclfile`, `acllog-max-len`, `acl-pubsub-default`, and the
/// config-file-only `user` lines.
public final class SecurityConfig {
    /// `aclfile`: where ACL SAVE/LOAD keep users ("" = users come from `user` lines).
    public var aclfile = ""
    /// `acllog-max-len`: ACL LOG entries kept.
    public var acllogMaxLen = 128
    /// `acl-pubsub-default`: `resetchannels` (Redis 7.0's default) or `allchannels` for new users.
    public var aclPubsubDefault = "resetchannels"
    /// `user <name> <rule>...` lines of the config file, in order.
    public var userLines: [[String]] = []
    /// `rename-command <name> <new-name>` lines (config file only; an empty new name removes the command).
    public var renames: [(from: String, to: String)] = []
    /// Called when `requirepass` changes at runtime (the ACL registry applies it).
    public var onRequirepassChange: ((String) -> Void)?

    public init() {}

    /// Consumes config-file lines that are not ordinary directives (`user`, `rename-command`). Returns whether
    /// it did.
    public func takeStartupLine(_ name: String, _ args: [String]) -> Bool {
        switch name.lowercased() {
        case "user" where !args.isEmpty:
            userLines.append(args)
            return true
        case "rename-command" where args.count == 2:
            renames.append((args[0], args[1]))
            return true
        default:
            return false
        }
    }
}

extension Config {
    /// The security directives (added to the directive table).
    static func securityDirectives() -> [Directive] {
        [
            Directive(name: "requirepass", aliases: [], mutable: true, get: { $0.requirepass }, set: { c, v throws(ConfigError) in
                c.requirepass = v.joined(separator: " ")
                c.security.onRequirepassChange?(c.requirepass)
            }),
            Directive(name: "aclfile", aliases: [], mutable: false, get: { $0.security.aclfile }, set: { c, v throws(ConfigError) in
                c.security.aclfile = v.joined(separator: " ")
            }),
            Directive(name: "acllog-max-len", aliases: [], mutable: true, get: { String($0.security.acllogMaxLen) }, set: { c, v throws(ConfigError) in
                guard v.count == 1, let n = Int(v[0]) else { throw ConfigError("argument couldn't be parsed into an integer") }
                guard n >= 0 else { throw ConfigError("argument must be between 0 and 9223372036854775807 inclusive") }
                // Redis 7.0 trims the log only when the next entry is added.
                c.security.acllogMaxLen = n
            }),
            Directive(name: "acl-pubsub-default", aliases: [], mutable: true, get: { $0.security.aclPubsubDefault }, set: { c, v throws(ConfigError) in
                let s = v.joined(separator: " ").lowercased()
                guard s == "allchannels" || s == "resetchannels" else {
                    throw ConfigError("argument(s) must be one of the following: allchannels, resetchannels")
                }
                c.security.aclPubsubDefault = s
            }),
        ]
    }
}
