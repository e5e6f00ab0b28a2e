/// The propagation seam (DESIGN §5): a command's effects, gathered while it runs and sent after it to the sinks
/// that consume them (the AOF, the replication stream), wrapped in MULTI/EXEC when there is more than one.
extension Server {
    /// Whether an effect propagated now would reach anyone (a replica link, the AOF): commands skip building
    /// rewritten effects (`Client.propagateInstead`) when it would not.
    public var hasEffectConsumers: Bool { !propagationTargets.isDisjoint(with: propagationMask) }

    /// Records an effect for the consumers of `target` (replicas, AOF): the one propagation seam (DESIGN §5).
    /// Effects of one top-level command are sent together after it, wrapped in MULTI/EXEC when there is more
    /// than one (Redis's alsoPropagate + propagatePendingCommands). Free when no sink consumes `target`.
    public func propagate(db: Int, _ argv: [RBytes], target: PropagationTarget = .all) {
        let target = target.intersection(propagationMask)
        guard !propagationTargets.isDisjoint(with: target) else { return }
        pendingEffects.append((db, argv, target))
    }

    /// Sends the pending effects of the command that just finished. As in Redis, the MULTI/EXEC wrapper depends
    /// on the number of effects of all targets, and goes to every sink.
    func flushEffects() {
        let effects = pendingEffects
        pendingEffects.removeAll(keepingCapacity: true)
        let wrap = effects.count > 1
        for (consumes, sink) in propagationSinks {
            if wrap { sink(effects[0].db, ["MULTI"]) }
            for e in effects where !e.target.isDisjoint(with: consumes) { sink(e.db, e.argv) }
            if wrap { sink(effects[effects.count - 1].db, ["EXEC"]) }
        }
    }

    /// Registers a consumer of the effects propagated to any of the targets in `consumes` (the AOF consumes
    /// `.aof`, replication `.replicas`).
    public func addPropagationSink(consumes: PropagationTarget = .all, _ sink: @escaping (Int, [RBytes]) -> Void) {
        propagationSinks.append((consumes, sink))
        propagationTargets.formUnion(consumes)
    }
}

/// Where an effect goes (Redis's PROPAGATE_AOF / PROPAGATE_REPL): PUBLISH, for one, reaches replicas but not
/// the AOF.
public struct PropagationTarget: OptionSet, Sendable {
    public let rawValue: UInt8
    /// Creates a target set from its bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The append-only file.
    public static let aof = PropagationTarget(rawValue: 1)
    /// The replication stream (backlog and replicas).
    public static let replicas = PropagationTarget(rawValue: 2)
    /// Both: what a write command's effects reach.
    public static let all: PropagationTarget = [.aof, .replicas]
}
