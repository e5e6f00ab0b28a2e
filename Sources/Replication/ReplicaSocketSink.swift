import Kernel
import NIOCore

/// The diskless full sync's snapshot sink (`repl-diskless-sync yes`): the RDB image goes straight to the
/// sockets of the replicas being synchronised, as Redis's EOF-marked bulk `$EOF:<40-char mark>\r\n<image><mark>`,
/// with the CRC64 trailer computed here. No file is written. Called with the data lock held.
final class ReplicaSocketSink: SnapshotSink {
    /// The replicas receiving this image.
    let links: [ReplicaLink]
    /// The 40 random characters that end the image.
    let mark: [UInt8]
    private let checksum: Bool
    private var crc: UInt64 = 0
    private let loop: EventLoop
    /// Whether a replica is still attached (a replica that disconnects is dropped from the transfer).
    private let attached: (ReplicaLink) -> Bool
    private(set) var errorMessage = ""

    /// Starts the transfer: each replica gets the `$EOF:<mark>` header.
    init(links: [ReplicaLink], checksum: Bool, loop: EventLoop, attached: @escaping (ReplicaLink) -> Bool) {
        self.links = links
        self.checksum = checksum
        self.loop = loop
        self.attached = attached
        mark = Array(Server.randomHexId().utf8)
        let header = Array("$EOF:".utf8) + mark + [0x0D, 0x0A]
        for l in links { l.client.deliverRaw(header, enforceLimit: false) }
    }

    private var receivers: [ReplicaLink] { links.filter(attached) }

    func write(_ chunk: [UInt8]) {
        if checksum { crc = chunk.withUnsafeBytes { CRC64.update(crc, $0) } }
        for l in receivers { l.client.deliverRaw(chunk, enforceLimit: false) }
    }

    /// The checksum and the mark; `done` runs on the loop after this call returns.
    func finish(_ done: @escaping (Bool) -> Void) {
        var trailer: [UInt8] = []
        let value = crc
        for k in 0..<8 { trailer.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))) }
        trailer.append(contentsOf: mark)
        for l in receivers { l.client.deliverRaw(trailer, enforceLimit: false) }
        let ok = !failed
        loop.execute { done(ok) }
    }

    /// Shutdown: the replicas are simply left with a cut image (they retry).
    func abandon() {
        if errorMessage.isEmpty { errorMessage = "Diskless transfer abandoned" }
    }

    var failed: Bool {
        if receivers.isEmpty {
            return true
        }
        return errorMessage.isEmpty == false
    }

    /// The largest output not yet written to a receiving replica (the engine waits while it is large).
    var queuedBytes: Int {
        receivers.reduce(0) { max($0, $1.client.pendingOutputBytes) }
    }
}
