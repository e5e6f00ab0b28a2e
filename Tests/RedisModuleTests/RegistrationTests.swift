import Testing
@testable import Kernel
import RedisModule

private struct Fake: ModuleDefinition {
    var name = "fake"
    var version = 1
    var commands: [ModuleCommand]
}

private func ok(_ c: ModuleContext) throws { c.reply.ok() }

/// The message the table refuses `commands` with, nil when accepted.
private func refusal(_ commands: [ModuleCommand], into table: CommandTable = CommandTable()) -> String? {
    do throws(RegistrationError) {
        try table.register(try ModuleFamily(Fake(commands: commands)))
        return nil
    } catch {
        return error.message
    }
}

@Suite("Module registration")
struct RegistrationTests {
    @Test func acceptsAWellFormedCommand() {
        #expect(refusal([ModuleCommand("fake.get", arity: 2, flags: "readonly fast", firstKey: 1, lastKey: 1,
                                       keyStep: 1, categories: "string", handler: ok)]) == nil)
    }

    @Test func refusesADuplicateNameWithoutAddingAnything() {
        let t = CommandTable()
        #expect(refusal([ModuleCommand("fake.a", arity: 1, handler: ok)], into: t) == nil)
        let m = refusal([ModuleCommand("fake.b", arity: 1, handler: ok), ModuleCommand("fake.a", arity: 1, handler: ok)], into: t)
        #expect(m == "command 'fake.a' is already registered")
        #expect(t.lookup(RBytes("fake.b")) == nil)
    }

    @Test func refusesANameRepeatedInOneModule() {
        #expect(refusal([ModuleCommand("fake.a", arity: 1, handler: ok), ModuleCommand("fake.a", arity: 2, handler: ok)])
                == "command 'fake.a' is already registered")
    }

    @Test func refusesArityZero() {
        #expect(refusal([ModuleCommand("fake.a", arity: 0, handler: ok)])?.contains("arity 0") == true)
    }

    @Test func refusesUnknownFlags() {
        #expect(refusal([ModuleCommand("fake.a", arity: 1, flags: "write bogus", handler: ok)])
                == "command 'fake.a': invalid flag 'bogus'")
    }

    @Test func refusesWriteWithReadonly() {
        #expect(refusal([ModuleCommand("fake.a", arity: 1, flags: "write readonly", handler: ok)])?.contains("exclude") == true)
    }

    @Test func refusesUnknownCategories() {
        #expect(refusal([ModuleCommand("fake.a", arity: 1, categories: "nosuch", handler: ok)])
                == "command 'fake.a': invalid ACL category 'nosuch'")
    }

    @Test func refusesBadKeyPositions() {
        #expect(refusal([ModuleCommand("fake.a", arity: -2, firstKey: -1, lastKey: 1, keyStep: 1, handler: ok)]) != nil)
        #expect(refusal([ModuleCommand("fake.a", arity: -2, firstKey: 1, lastKey: 1, keyStep: 0, handler: ok)]) != nil)
        #expect(refusal([ModuleCommand("fake.a", arity: -2, firstKey: 2, lastKey: 1, keyStep: 1, handler: ok)]) != nil)
        #expect(refusal([ModuleCommand("fake.a", arity: 2, firstKey: 2, lastKey: 2, keyStep: 1, handler: ok)]) != nil)
        #expect(refusal([ModuleCommand("fake.a", arity: -2, firstKey: 0, lastKey: 1, keyStep: 1, handler: ok)]) != nil)
    }

    @Test func refusesUpperCaseSpacesAndPipesInNames() {
        #expect(refusal([ModuleCommand("Fake.A", arity: 1, handler: ok)]) != nil)
        #expect(refusal([ModuleCommand("fake a", arity: 1, handler: ok)]) != nil)
        #expect(refusal([ModuleCommand("fake|a", arity: 1, handler: ok)]) != nil)
    }

    @Test func refusesACommandWithNeitherHandlerNorSubcommands() {
        #expect(refusal([ModuleCommand("fake.a", arity: 1)])?.contains("no handler") == true)
    }

    @Test func refusesABadModuleName() {
        do throws(RegistrationError) {
            _ = try ModuleFamily(Fake(name: "bad name", commands: []))
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("module name"))
        }
    }

    @Test func unregisterRemovesCommandsAndMarksThem() throws {
        let t = CommandTable()
        try t.register(try ModuleFamily(Fake(commands: [
            ModuleCommand("fake.a", arity: 1, handler: ok),
            ModuleCommand("fake.c", arity: -2, subcommands: [ModuleCommand("x", arity: 2, handler: ok)]),
        ])))
        let a = try #require(t.lookup(RBytes("fake.a")))
        let ids = t.byId.count
        #expect(t.unregister(family: "fake").count == 3)
        #expect(a.unregistered)
        #expect(t.lookup(RBytes("fake.a")) == nil)
        #expect(t.byId.count == ids - 3)
        #expect(!t.families.contains("fake"))
        // The names are free again; new ids never reuse old ones (ACL bits stay meaningful).
        try t.register(try ModuleFamily(Fake(commands: [ModuleCommand("fake.a", arity: 1, handler: ok)])))
        #expect(try #require(t.lookup(RBytes("fake.a"))).id > a.id)
    }
}
