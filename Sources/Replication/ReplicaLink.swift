import Kernel

/// One replica attached to this master: where it is in the sync, what it told us in REPLCONF, and its last
/// acknowledged offset.
final class ReplicaLink {
    /// Redis's replica states (INFO prints `wait_bgsave`, `send_bulk`, `online`).
    enum State {
        /// Waiting for the running snapshot of another purpose to end before ours can start.
        case waitBgsaveStart
        /// Our snapshot runs; effects since its start are kept in `pending`.
        case waitBgsaveEnd
        /// Receiving the RDB file (disk-based sync); effects go on into `pending`.
        case sendBulk
        /// Receiving the stream.
        case online
    }

    let client: Client
    var state: State
    /// The stream produced since the snapshot for this replica started, sent right after the RDB.
    var pending: [UInt8] = []
    /// Whether it asked with PSYNC (and gets `+FULLRESYNC`), rather than the old SYNC.
    let usesPsync: Bool
    /// `REPLCONF listening-port`.
    var listeningPort = 0
    /// `REPLCONF ip-address`, if announced.
    var announcedIP: String?
    /// `REPLCONF capa eof` / `capa psync2`.
    var capaEOF = false
    var capaPsync2 = false
    /// Whether its image is streamed to its socket (diskless), which starts with the snapshot.
    var receivesSocketImage = false
    /// After a diskless transfer the replica is online, but its stream (kept in `pending`) starts with its first
    /// ACK: it must find the image's EOF mark at the end of what it read (Redis's repl_start_cmd_stream_on_ack).
    var streamStartsOnAck = false
    /// The last offset it acknowledged with `REPLCONF ACK`, and when (Unix ms).
    var ackOffset: Int64 = 0
    var ackTime: Int64
    /// When it attached (Unix ms): `repl-diskless-sync-delay` counts from the oldest waiting replica.
    let waitingSince: Int64

    init(client: Client, state: State, usesPsync: Bool, now: Int64) {
        self.waitingSince = now
        self.client = client
        self.state = state
        self.usesPsync = usesPsync
        self.ackTime = now
    }

    /// The address INFO and ROLE report: the announced IP, else the connection's peer IP.
    var ip: String {
        if let announcedIP { return announcedIP }
        let addr = client.address
        guard let colon = addr.lastIndex(of: ":") else { return addr }
        var host = String(addr[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host
    }

    /// INFO's state word.
    var stateName: String {
        switch state {
        case .waitBgsaveStart, .waitBgsaveEnd: return "wait_bgsave"
        case .sendBulk: return "send_bulk"
        case .online: return "online"
        }
    }
}
