import Testing
import Kernel
import RedisModule

/// A module with one config of each kind, its values in settings.
private struct Configured: ModuleDefinition {
    var name = "m"
    var version = 1
    var commands: [ModuleCommand] { [] }
    let text = ModuleSetting("")
    let flag = ModuleSetting(false)
    let size = ModuleSetting<Int64>(0)
    let bits = ModuleSetting(0)
    var extra: [ModuleConfig] = []
    var configs: [ModuleConfig] {
        [.string("text", default: "a b", stored: text),
         .bool("flag", default: true, stored: flag),
         .numeric("size", default: 1024, min: 0, max: 1 << 20, flags: .memory, stored: size),
         .enumeration("bits", default: 3, values: [("none", 0), ("five", 5), ("one", 1), ("two", 2), ("four", 4)],
                      flags: .bitflags, stored: bits)] + extra
    }
}

@Suite struct ModuleConfigTests {
    @Test func directivesAreNamedAfterTheModuleAndCarryTheirDefaults() throws {
        let ds = try ModuleFamily.configDirectives(Configured())
        #expect(ds.map(\.name) == ["m.text", "m.flag", "m.size", "m.bits"])
        #expect(ds.map { $0.module?.defaultValue ?? "?" } == ["a b", "yes", "1024", "one two"])
        #expect(ds.map(\.format) == [.quoted, .plain, .memory, .plain])
    }

    @Test func settingThroughTheDirectiveValidatesAndStores() throws {
        let m = Configured()
        let ds = try ModuleFamily.configDirectives(m)
        let config = Config()
        try ds[2].set(config, ["1mb"])
        #expect(m.size.value == 1 << 20)
        #expect(ds[2].get(config) == "1048576")
        do throws(Config.ConfigError) {
            try ds[2].set(config, ["2mb"])
            Issue.record("2mb is past the maximum")
        } catch {
            #expect(error.message == "argument must be between 0 and 1048576 inclusive")
        }
        do throws(Config.ConfigError) {
            try ds[1].set(config, ["maybe"])
            Issue.record("maybe is no bool")
        } catch {
            #expect(error.message == "argument must be 'yes' or 'no'")
        }
        #expect(m.size.value == 1 << 20)
    }

    @Test func bitflagsReadAndWriteAsRedis() throws {
        let m = Configured()
        let bits = try ModuleFamily.configDirectives(m)[3]
        let config = Config()
        for (given, shown) in [("one four", "five"), ("one two four", "five two"), ("two four", "two four"),
                               ("none", "none"), ("FIVE", "five")] {
            try bits.set(config, [given])
            #expect(bits.get(config) == shown)
        }
        do throws(Config.ConfigError) {
            try bits.set(config, ["one six"])
            Issue.record("six is no flag")
        } catch {
            #expect(error.message == "argument(s) must be one of the following: none, five, one, two, four")
        }
    }

    @Test func badDeclarationsAreRefused() {
        var m = Configured()
        m.extra = [.bool("flag", default: true, stored: ModuleSetting(true))]
        #expect(throws: RegistrationError.self) { try ModuleFamily.configDirectives(m) }
        m.extra = [.bool("bad name", default: true, stored: ModuleSetting(true))]
        #expect(throws: RegistrationError.self) { try ModuleFamily.configDirectives(m) }
        m.extra = [.bool("b", default: true, flags: .memory, stored: ModuleSetting(true))]
        #expect(throws: RegistrationError.self) { try ModuleFamily.configDirectives(m) }
    }

    @Test func configsJoinAndLeaveTheConfigTable() throws {
        let config = Config()
        config.addModuleDirectives(try ModuleFamily.configDirectives(Configured()))
        #expect(config.lookup("M.TEXT")?.name == "m.text")
        #expect(config.allDirectives.count == Config.directives.count + 4)
        config.removeModuleDirectives(module: "m")
        #expect(config.lookup("m.text") == nil)
    }

    @Test func infoSectionsFollowTheRequest() {
        struct Informed: ModuleDefinition {
            var name = "inf"
            var version = 1
            var commands: [ModuleCommand] { [] }
            func addInfo(to info: ModuleInfo) {
                if info.addSection("a") { info.addField("x", Int64(1)) }
                if info.addSection("b") {
                    info.beginDictField("d")
                    info.addField("k", "v")
                    info.addField("n", Int64(2))
                }
            }
        }
        let all = ModuleInfo.collect(Informed(), requested: nil)
        #expect(all.map(\.title) == ["inf_a", "inf_b"])
        #expect(all[0].fields.map { "\($0.0):\($0.1)" } == ["inf_x:1"])
        #expect(all[1].fields.map { "\($0.0):\($0.1)" } == ["inf_d:k=v,n=2"])
        #expect(ModuleInfo.collect(Informed(), requested: ["inf_b"]).map(\.title) == ["inf_b"])
        #expect(ModuleInfo.collect(Informed(), requested: ["inf"]).count == 2)
        #expect(ModuleInfo.collect(Informed(), requested: ["other"]).isEmpty)
    }
}
