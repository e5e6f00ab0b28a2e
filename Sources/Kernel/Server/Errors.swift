/// Error texts shared by many commands, exactly as Redis words them.
public enum Errors {
    public static let wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
    public static let syntax = "ERR syntax error"
    public static let notInteger = "ERR value is not an integer or out of range"
    public static let notFloat = "ERR value is not a valid float"
    public static let noSuchKey = "ERR no such key"
    public static let dbIndexOutOfRange = "ERR DB index is out of range"
    public static let overflow = "ERR increment or decrement would overflow"
    public static let invalidExpire = "ERR invalid expire time in '%s' command"
    public static let noAuth = "NOAUTH Authentication required."
    public static let wrongPass = "WRONGPASS invalid username-password pair or user is disabled."

    /// `ERR wrong number of arguments for 'get' command`.
    public static func arity(_ name: String) -> String { "ERR wrong number of arguments for '\(name)' command" }

    /// `ERR invalid expire time in 'set' command`.
    public static func invalidExpireTime(_ name: String) -> String { "ERR invalid expire time in '\(name)' command" }

    /// `ERR unknown subcommand 'x'. Try CLIENT HELP.`
    public static func unknownSubcommand(_ sub: RBytes, _ container: String) -> String {
        "ERR unknown subcommand '\(truncated(sub, 128))'. Try \(container.uppercased()) HELP."
    }

    /// An argument's bytes as Redis's `%.Ns` would print them.
    public static func truncatedBytes(_ b: RBytes, _ n: Int) -> [UInt8] {
        b.withUnsafeBytes { p in Array(p.prefix(min(n, p.firstIndex(of: 0) ?? p.count))) }
    }

    public static func truncated(_ b: RBytes, _ n: Int) -> String {
        // C's %.Ns also stops at the first NUL byte.
        let end = b.withUnsafeBytes { p in p.firstIndex(of: 0) ?? p.count }
        return b.slice(0..<min(n, end)).string
    }
}
