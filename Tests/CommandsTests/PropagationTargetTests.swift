import Commands
import Kernel
import NIOCore
import Testing

/// A server with one sink per propagation target, recording what each receives.
final class TargetHarness {
    let server: Server
    let client: Client
    var aof: [[String]] = []
    var replicas: [[String]] = []

    init() {
        server = Server(config: Config(), modules: BuiltinModules.all, log: Logger(minimum: nil))
        client = server.addClient()
        server.addPropagationSink(consumes: .aof) { [unowned self] _, argv in self.aof.append(argv.map(\.string)) }
        server.addPropagationSink(consumes: .replicas) { [unowned self] _, argv in
            self.replicas.append(argv.map(\.string))
        }
    }

    /// Runs one command.
    func run(_ args: String...) {
        client.argv = args.map { RBytes($0) }
        server.lock.withLock { server.execute(client) }
    }
}

@Suite("Propagation targets")
struct PropagationTargetTests {
    @Test("a write reaches the AOF and the replicas")
    func writeReachesBoth() {
        let h = TargetHarness()
        h.run("SET", "k", "v")
        #expect(h.aof == [["SET", "k", "v"]])
        #expect(h.replicas == [["SET", "k", "v"]])
    }

    @Test("PUBLISH reaches the replicas but not the AOF")
    func publishReachesReplicasOnly() {
        let h = TargetHarness()
        h.run("PUBLISH", "ch", "m")
        #expect(h.aof.isEmpty)
        #expect(h.replicas == [["PUBLISH", "ch", "m"]])
    }

    @Test("an effect for a target without a sink is dropped")
    func effectWithoutConsumerIsDropped() {
        let server = Server(config: Config(), modules: BuiltinModules.all, log: Logger(minimum: nil))
        var seen: [[String]] = []
        server.addPropagationSink(consumes: .aof) { _, argv in seen.append(argv.map(\.string)) }
        let c = server.addClient()
        c.argv = ["PUBLISH", "ch", "m"].map { RBytes($0) }
        server.lock.withLock { server.execute(c) }
        #expect(seen.isEmpty)
    }
}
