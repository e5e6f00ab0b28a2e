import Testing
@testable import Kernel

/// A small command table: get/set (string), lpush (list), config with get/set subcommands, select, publish.
private struct FakeModule: CommandModule {
    let family = "fake"
    var commands: [CommandSpec] {
        [
            CommandSpec("get", arity: 2, flags: [.readonly, .fast], keys: .single, categories: [.string], handler: { _ in }),
            CommandSpec("set", arity: -3, flags: [.write, .denyoom], keys: .single, categories: [.string], handler: { _ in }),
            CommandSpec("lpush", arity: -3, flags: [.write, .denyoom, .fast], keys: .single, categories: [.list], handler: { _ in }),
            CommandSpec("select", arity: 2, flags: [.loading, .stale, .fast], categories: [.connection], handler: { _ in }),
            CommandSpec("publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast], handler: { _ in }),
            CommandSpec("psubscribe", arity: -2, flags: [.pubsub, .noscript, .loading, .stale], handler: { _ in }),
            CommandSpec("config", arity: -2, subcommands: [
                CommandSpec("get", arity: -3, flags: [.admin, .noscript, .loading, .stale], handler: { _ in }),
                CommandSpec("set", arity: -4, flags: [.admin, .noscript, .loading, .stale], handler: { _ in }),
            ]),
        ]
    }
}

@Suite("ACL rules")
struct ACLRulesTests {
    let table: CommandTable = {
        let t = CommandTable()
        try! t.register(FakeModule())
        return t
    }()

    func state(_ rules: [String]) throws(ACLRuleError) -> ACLUserState {
        var s = ACLUserState()
        for r in rules { try ACLRules.apply(Array(r.utf8), to: &s, table: table, allChannelsByDefault: false) }
        return s
    }

    func error(_ rules: [String]) -> String? {
        do throws(ACLRuleError) {
            _ = try state(rules)
            return nil
        } catch {
            return error.message
        }
    }

    func cmd(_ name: String) -> Command { table.lookup(fullName: name)! }

    /// ACL LIST's description, applied to a new user, gives back the same permissions.
    func roundTrip(_ s: ACLUserState) throws {
        let text = ACLRules.describe(s, table: table)
        let (rules, unmatched) = ACLRules.mergeSelectorArguments(text.split(separator: " ").map { RBytes(String($0)) })
        #expect(unmatched == nil)
        var back = ACLUserState()
        for r in rules { try ACLRules.apply(r, to: &back, table: table, allChannelsByDefault: false) }
        #expect(ACLRules.describe(back, table: table) == text)
        for sel in zip([s.root] + s.selectors, [back.root] + back.selectors) {
            for c in table.byId { #expect(sel.0.allows(c.id) == sel.1.allows(c.id), "\(c.fullName) in \(text)") }
            #expect(sel.0.firstArgs == sel.1.firstArgs)
            #expect(sel.0.patterns == sel.1.patterns && sel.0.channels == sel.1.channels)
        }
        #expect(back.selectors.count == s.selectors.count)
    }

    @Test("on/off, nopass, resetpass and the sanitize flags")
    func flags() throws {
        var s = try state(["on", "nopass", "skip-sanitize-payload"])
        #expect(s.enabled && s.nopass && s.sanitizePayload == false)
        s = try state(["on", "nopass", "off", "resetpass", "sanitize-payload"])
        #expect(!s.enabled && !s.nopass && s.sanitizePayload == true)
        #expect(ACLRules.describe(s, table: table) == "off sanitize-payload resetchannels -@all")
    }

    @Test("passwords are stored as SHA-256 and compared as bytes")
    func passwords() throws {
        let s = try state(["on", ">secret", "#" + SHA256.hex(Array("other".utf8))])
        let u = ACLUser(name: "u", state: s)
        #expect(u.checkPassword("secret"))
        #expect(u.checkPassword("other"))
        #expect(!u.checkPassword("Secret"))
        // Two byte strings that decode to the same lossy String must not both authenticate.
        let bad = ACLUser(name: "b", state: try state(["on", ">\u{FFFD}"]))
        #expect(!bad.checkPassword(RBytes([0xFF] as [UInt8])))
        #expect(s.passwords.count == 2 && s.passwords.allSatisfy { $0.count == 32 })
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("removing passwords; bad hashes")
    func removingPasswords() throws {
        let s = try state([">a", ">b", "<a", "!" + SHA256.hex(Array("b".utf8))])
        #expect(s.passwords.isEmpty)
        #expect(error(["<nope"]) == "The password you are trying to remove from the user does not exist")
        #expect(error(["#abc"]) == "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
        #expect(error(["!" + String(repeating: "A", count: 64)])?.hasPrefix("The password hash") == true)
    }

    @Test("key patterns: ~, %R~, %W~, %RW~, allkeys, resetkeys")
    func keys() throws {
        let s = try state(["%R~r*", "%W~w*", "%RW~b*", "~c*", "%R~c*"])
        #expect(ACLRules.describeKeys(s.root) == "%R~r* %W~w* ~b* ~c*")
        #expect(s.root.allowsKey("r1", [.ro, .access]))
        #expect(!s.root.allowsKey("r1", [.rw, .access, .update]))
        #expect(s.root.allowsKey("w1", [.ow, .update]))
        #expect(!s.root.allowsKey("w1", [.ro, .access]))
        #expect(s.root.allowsKey("w1", [.ro]))  // no access/update flag: any matching pattern will do
        #expect(!s.root.allowsKey("zzz", [.ro]))
        let all = try state(["~a", "allkeys"])
        #expect(all.root.allKeys && ACLRules.describeKeys(all.root) == "~*")
        #expect(error(["allkeys", "~x"])?.hasPrefix("Adding a pattern after the * pattern (or the 'allkeys' flag)") == true)
        #expect(error(["%X~a"]) == "Syntax error")
        #expect(try state(["allkeys", "resetkeys", "~x"]).root.patterns.count == 1)
    }

    @Test("channels: &, allchannels, resetchannels; patterns are literal for PSUBSCRIBE")
    func channels() throws {
        let s = try state(["&news.*"])
        #expect(s.root.allowsChannel("news.1", isPattern: false))
        #expect(!s.root.allowsChannel("news.?", isPattern: true))
        #expect(s.root.allowsChannel("news.*", isPattern: true))
        #expect(error(["allchannels", "&x"])?.hasPrefix("Adding a pattern after the * pattern (or the 'allchannels' flag)") == true)
        #expect(ACLRules.describe(try state(["allchannels"]), table: table) == "off &* -@all")
    }

    @Test("commands, subcommands, first arguments and categories")
    func commands() throws {
        var nilKeys: [KeyReference]? = nil
        var s = try state(["+get", "+config|get", "+select|0"])
        #expect(s.root.allows(cmd("get").id) && !s.root.allows(cmd("set").id))
        #expect(s.root.allows(cmd("config|get").id) && !s.root.allows(cmd("config|set").id))
        #expect(s.root.check(cmd("select"), ["select", "0"], keys: &nilKeys) == nil)
        #expect(s.root.check(cmd("select"), ["select", "1"], keys: &nilKeys)?.0 == .command)
        try roundTrip(s)
        s = try state(["+@all", "-@string"])
        #expect(!s.root.allows(cmd("get").id) && s.root.allows(cmd("lpush").id))
        try roundTrip(s)
        #expect(ACLRules.describeCommands(s.root, table: table).hasPrefix("+@all "))
        s = try state(["+config"])
        #expect(s.root.allows(cmd("config|set").id))
        #expect(error(["+nosuch"]) == "Unknown command or category name in ACL")
        #expect(error(["+@nosuch"]) == "Unknown command or category name in ACL")
        #expect(error(["+config|get|x"]) == "Allowing first-arg of a subcommand is not supported")
        #expect(error(["-select|0"]) == "Unknown command or category name in ACL")
        #expect(error(["foo"]) == "Syntax error")
        s = try state(["+get", "+get", "-set", "+set", "-get"])
        #expect(s.root.allows(cmd("set").id) && !s.root.allows(cmd("get").id))
        try roundTrip(s)
        s = try state(["allcommands", "nocommands", "+lpush"])
        #expect(ACLRules.describeCommands(s.root, table: table).hasPrefix("-@all "))
        try roundTrip(s)
    }

    @Test("command rules are described from the bitmap as Redis 7.0 does: greedy categories, then commands")
    func describedFromBitmap() throws {
        func described(_ rules: [String]) throws -> String {
            let s = try state(rules)
            try roundTrip(s)
            return ACLRules.describeCommands(s.root, table: table)
        }
        // The category that covers the most allowed commands with the fewest wrong ones comes first.
        #expect(try described(["+@read", "+@write"]) == "-@all +@write +@read")
        // Rules that change nothing leave no trace; the order of application does not matter.
        #expect(try described(["+@read", "-get", "+get"]) == "-@all +@read")
        #expect(try described(["+get", "+set", "+@string"]) == "-@all +@string")
        #expect(try described(["+config|get", "-config"]) == "-@all")
        #expect(try described(["+@all", "-@list"]) == "+@all -@list")
        #expect(try described(["-@all", "+get|x"]) == "-@all +get|x")
    }

    @Test("selectors: a command runs when any selector allows it; the most relevant denial is reported")
    func selectors() throws {
        let s = try state(["on", "~a*", "+get", "(~b* +set)", "(&c +publish)"])
        let u = ACLUser(name: "u", state: s)
        #expect(u.check(cmd("get"), ["get", "a1"]) == nil)
        #expect(u.check(cmd("set"), ["set", "b1", "v"]) == nil)
        #expect(u.check(cmd("set"), ["set", "a1", "v"])?.0 == .key)
        #expect(u.check(cmd("lpush"), ["lpush", "a1", "v"])?.0 == .command)
        #expect(u.check(cmd("publish"), ["publish", "d", "m"])?.0 == .channel)
        try roundTrip(s)
        #expect(try state(["(+get)", "clearselectors"]).selectors.isEmpty)
    }

    @Test("reset returns a user to a new user's state")
    func reset() throws {
        let s = try state(["on", ">p", "~*", "&*", "+@all", "(+get)", "reset"])
        #expect(ACLRules.describe(s, table: table) == "off sanitize-payload resetchannels -@all")
    }

    @Test("selector arguments are merged from ( to )")
    func merging() {
        let (rules, unmatched) = ACLRules.mergeSelectorArguments(["on", "(~a", "+get)", "(+set)"])
        #expect(unmatched == nil)
        #expect(rules.map { String(decoding: $0, as: UTF8.self) } == ["on", "(~a +get)", "(+set)"])
        #expect(ACLRules.mergeSelectorArguments(["(~a", "+get"]).unmatched == "(~a")
    }
}

