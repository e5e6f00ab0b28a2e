/// A user's permissions and credentials: what ACL SETUSER edits as a whole (rules apply to a copy that replaces
/// the user's only when every rule was valid).
public struct ACLUserState: Sendable {
    public var enabled = false
    /// `nopass`: any password authenticates.
    public var nopass = false
    /// nil, or `sanitize-payload` (true) / `skip-sanitize-payload` (false).
    public var sanitizePayload: Bool?
    /// SHA-256 digests of the passwords, in the order they were added.
    public var passwords: [[UInt8]] = []
    public var root = ACLSelector()
    public var selectors: [ACLSelector] = []

    public init() {}
}

/// An ACL user (Redis's `user`): shared by the connections authenticated as it.
public final class ACLUser {
    public let name: String
    public internal(set) var state: ACLUserState
    /// Whether the root selector allows every command, key and channel (the permission check is then skipped).
    public private(set) var unrestricted = false

    public init(name: String, state: ACLUserState = ACLUserState()) {
        self.name = name
        self.state = state
        refresh()
    }

    func refresh() {
        let r = state.root
        unrestricted = r.allCommands && r.allKeys && r.allChannels
    }

    /// Replaces the state (after a successful SETUSER).
    public func update(_ s: ACLUserState) {
        state = s
        refresh()
    }

    /// Whether `password` authenticates this user: compares SHA-256 digests in constant time, bytes not strings.
    public func checkPassword(_ password: RBytes) -> Bool {
        guard state.enabled else { return false }
        if state.nopass { return true }
        let digest = password.withUnsafeBytes { SHA256.hash(Array($0)) }
        var ok = false
        for p in state.passwords where SHA256.constantTimeEqual(p, digest) { ok = true }
        return ok
    }

    /// Redis's ACLCheckAllUserCommandPerm: nil when one selector allows the command, else the most relevant
    /// denial (a key or channel beats the command; the last argument position wins) and its argument index.
    public func check(_ cmd: Command, _ argv: [RBytes]) -> (ACLDenial, Int)? {
        if unrestricted { return nil }
        var keys: [KeyReference]?
        var relevant = ACLDenial.command
        var lastIndex = 0
        guard let d = state.root.check(cmd, argv, keys: &keys) else { return nil }
        (relevant, lastIndex) = d
        for s in state.selectors {
            guard let d = s.check(cmd, argv, keys: &keys) else { return nil }
            if d.0.rawValue > relevant.rawValue || (d.0 == relevant && d.1 > lastIndex) { (relevant, lastIndex) = d }
        }
        return (relevant, lastIndex)
    }
}

/// A rule ACL SETUSER refused, with Redis's message (the caller adds `Error in ACL SETUSER modifier '...'`).
public struct ACLRuleError: Error {
    public let message: String
    init(_ message: String) { self.message = message }

    static let syntax = ACLRuleError("Syntax error")
    static let unknownCommand = ACLRuleError("Unknown command or category name in ACL")
    static let keysAfterAll = ACLRuleError("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
    static let channelsAfterAll = ACLRuleError("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
    static let noSuchPassword = ACLRuleError("The password you are trying to remove from the user does not exist")
    static let badHash = ACLRuleError("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
    static let firstArgOfSubcommand = ACLRuleError("Allowing first-arg of a subcommand is not supported")
}
