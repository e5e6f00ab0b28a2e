import Testing
@testable import Kernel

@Suite("Config directives")
struct ConfigDirectiveTests {
    @Test("every directive accepts the value it reports and reports it unchanged")
    func roundTrip() throws {
        let config = Config()
        // `loadmodule` is an action (load a library at start), not a value CONFIG GET reports.
        for d in Config.directives where d.name != "dir" && d.name != "replicaof" && d.name != "loadmodule" {
            let value = d.get(config)
            try d.set(config, [value])
            #expect(d.get(config) == value, "\(d.name)")
        }
    }

    @Test("names and aliases are unique and lower-case")
    func uniqueNames() {
        var seen = Set<String>()
        for d in Config.directives {
            for n in [d.name] + d.aliases {
                #expect(!seen.contains(n), "\(n) listed twice")
                #expect(n == n.lowercased())
                seen.insert(n)
            }
        }
        #expect(Config.directive(named: "SLAVE-READ-ONLY")?.name == "replica-read-only")
    }

    @Test("memory values parse as Redis's memtoull",
          arguments: [("", UInt64(0)), ("0", 0), ("1k", 1000), ("1KB", 1024), ("2mb", 2 << 20), ("3G", 3_000_000_000),
                      ("1gb", 1 << 30), ("12b", 12), ("kb", 0)])
    func memoryValues(text: String, value: UInt64) {
        #expect(Config.parseMemoryUnsigned(text) == value)
    }

    @Test("malformed memory values are refused", arguments: ["-1", "+1", "1x", "1 kb", "1.5mb", "k1", "1kbb"])
    func badMemoryValues(text: String) {
        #expect(Config.parseMemoryUnsigned(text) == nil)
    }

    @Test("a config file line takes one argument unless the directive takes several")
    func arity() {
        let config = Config()
        #expect(throws: Config.ConfigError.self) { try config.set("hz", ["5", "10"], atStartup: true) }
        #expect(throws: Never.self) { try config.set("bind", ["127.0.0.1", "::1"], atStartup: true) }
        #expect(throws: Never.self) { try config.set("client-output-buffer-limit", ["normal", "1mb", "0", "0"], atStartup: true) }
        #expect(config.outputLimitNormal.hard == 1 << 20)
    }

    @Test("hz is clamped into 1...500")
    func hzClamp() throws {
        let config = Config()
        try config.set("hz", ["0"], atStartup: false)
        #expect(config.hz == 1)
        try config.set("hz", ["100000"], atStartup: false)
        #expect(config.hz == 500)
    }

    @Test("shutdown flags keep Redis's order and default")
    func shutdownFlags() throws {
        #expect(try Config.parseShutdownFlags(["force nosave"]) == "nosave force")
        #expect(try Config.parseShutdownFlags(["default"]) == "default")
        #expect(throws: Config.ConfigError.self) { try Config.parseShutdownFlags(["later"]) }
    }

    @Test("proc-title-template is checked as Redis checks it",
          arguments: [("{title} {listen-addr} {server-mode}", true), ("foo", true), ("x}", true), ("{title}{title}", false),
                      ("", false), ("{TITLE}", false), ("{title", false), ("{{title}}", true), ("{port}", true)])
    func procTitle(template: String, valid: Bool) {
        #expect(Config.validProcTitleTemplate(template, config: Config()) == valid)
    }

    @Test("the ASCII logo carries the port and pid lines")
    func logo() {
        let text = ProcessSetup.logo(version: "7.0.15", mode: "standalone", port: 6380, pid: 42)
        #expect(text.contains("|     Port: 6380\n"))
        #expect(text.contains("|     PID: 42\n"))
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 19)
    }
}
