/// Read-only figures INFO reports from kernel state that is otherwise internal.
extension TrackingRegistry {
    /// Keys remembered for tracking clients (tracking_total_keys).
    public var totalKeys: Int { readers.count }
    /// Key/client pairs remembered (tracking_total_items).
    public var totalItems: Int { readers.values.reduce(0) { $0 + $1.count } }
    /// BCAST prefixes registered (tracking_total_prefixes).
    public var totalPrefixes: Int { prefixes.count }
}

extension Server {
    /// Blocked clients waiting with a timeout (clients_in_timeout_table).
    public var clientsWithBlockingTimeout: Int {
        clients.values.reduce(0) { $0 + (($1.blockState?.deadline ?? 0) > 0 ? 1 : 0) }
    }
}
