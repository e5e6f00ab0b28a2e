import Atomics
import NIOCore

/// The client registry: ids, the connections' clients (`clients`, what CLIENT LIST shows), internal clients, and
/// what happens when a connection goes away.
extension Server {
    /// Takes the next client id (any thread).
    public func takeClientId() -> UInt64 { nextClientId.loadThenWrappingIncrement(ordering: .relaxed) }

    /// Creates an internal client (scripts, AOF loading, the master link's client, tests): no connection, not in
    /// `clients` (CLIENT LIST does not show it). Call with the lock held.
    public func addClient() -> Client {
        Client(id: takeClientId(), server: self)
    }

    /// Registers the client of a socket served by an `EpollLoop`. Call with the lock held.
    func addSocketClient(address: String, local: String, unix: Bool, timers: EventLoop, id: UInt64) -> Client {
        let c = Client(id: id, server: self, socket: (address, local, unix, timers))
        clients[c.id] = c
        stats.totalConnections += 1
        return c
    }

    /// Forgets a client. Call with the lock held.
    public func removeClient(_ c: Client) {
        if c.isMonitor { removeMonitor(c) }
        c.disableTracking()
        unblock(c)
        c.unwatchAll()
        c.unsubscribeAll(.channel, notify: false)
        c.unsubscribeAll(.pattern, notify: false)
        c.unsubscribeAll(.shard, notify: false)
        clients[c.id] = nil
        forgetClientMemory(c)
        for hook in clientRemovedHooks { hook(c) }
    }

    /// Registers work run when a connection goes away (replication forgets its replicas here).
    public func addClientRemovedHook(_ hook: @escaping (Client) -> Void) {
        clientRemovedHooks.append(hook)
    }
}
