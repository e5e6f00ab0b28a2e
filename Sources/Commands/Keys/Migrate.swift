import Kernel

#if canImport(Glibc)
import Glibc
#endif

/// MIGRATE: moves (or copies) keys to another Redis-compatible server as DUMP payloads restored there. Like
/// Redis, the transfer is synchronous: the server waits for the target within `timeout` milliseconds.
extension KeysCommands {
    static var migrateCommand: CommandSpec {
        CommandSpec("migrate", arity: -6, flags: [.write], keys: KeyPositions(first: 3, last: 3, step: 1), categories: [.keyspace, .dangerous],
                    summary: "Atomically transfer a key from one Redis instance to another.", since: "2.6.0",
                    complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
                    keyFinder: migrateKeys, handler: Self.migrate)
    }

    /// The key argument, or the keys after KEYS.
    static func migrateKeys(_ argv: [RBytes]) -> [Int] {
        var i = 6
        while i < argv.count {
            // KEYS with a non-empty key argument is an error for MIGRATE; Redis's migrateGetKeys then gives no keys.
            if argv[i].equalsIgnoringCase("KEYS") { return argv[3].count == 0 ? Array((i + 1)..<argv.count) : [] }
            if argv[i].equalsIgnoringCase("AUTH") { i += 1 } else if argv[i].equalsIgnoringCase("AUTH2") { i += 2 }
            i += 1
        }
        return argv.count > 3 ? [3] : []
    }

    /// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password]
    /// [KEYS key [key ...]]
    static func migrate(_ c: Client) {
        var copy = false, replace = false
        var auth: [RBytes] = []
        var firstKey = 3, numKeys = 1
        var i = 6
        while i < c.argv.count {
            let arg = c.argv[i]
            let more = c.argv.count - i - 1
            if arg.equalsIgnoringCase("COPY") {
                copy = true
            } else if arg.equalsIgnoringCase("REPLACE") {
                replace = true
            } else if arg.equalsIgnoringCase("AUTH") && more >= 1 {
                auth = [c.argv[i + 1]]
                i += 1
            } else if arg.equalsIgnoringCase("AUTH2") && more >= 2 {
                auth = [c.argv[i + 1], c.argv[i + 2]]
                i += 2
            } else if arg.equalsIgnoringCase("KEYS") {
                guard c.argv[3].count == 0 else {
                    return c.error("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
                }
                firstKey = i + 1
                numKeys = c.argv.count - i - 1
                break
            } else {
                return c.error(Errors.syntax)
            }
            i += 1
        }
        // The port is read as C's atoi (Redis does not validate it): "notaport" is port 0, and the connection fails.
        let port = atoiPort(c.argv[2])
        guard let dbid = Numbers.parseInt64(c.argv[4]),
              var timeout = Numbers.parseInt64(c.argv[5]) else {
            return c.error(Errors.notInteger)
        }
        if timeout <= 0 { timeout = 1000 }

        // Keys that exist, with their values and remaining TTLs.
        var keys: [(RBytes, Value, Int64)] = []
        for k in c.argv[firstKey..<(firstKey + numKeys)] {
            guard let v = c.db.get(k) else { continue }
            var ttl: Int64 = 0
            if let at = c.db.expireTime(k) {
                ttl = at - c.server.commandTime
                if ttl < 1 { continue }  // already logically expired
            }
            keys.append((k, v, ttl))
        }
        if keys.isEmpty {
            c.reply.status("NOKEY")
            return
        }

        var out: [UInt8] = []
        var expected = 0
        if !auth.isEmpty {
            AOFCommandReader.encode(["AUTH"] + auth, into: &out)
            expected += 1
        }
        AOFCommandReader.encode(["SELECT", RBytes(String(dbid))], into: &out)
        expected += 1
        for (k, v, ttl) in keys {
            let payload = RBytes(DumpPayload.make(v, compression: c.server.config.rdbcompression))
            var cmd: [RBytes] = ["RESTORE", k, RBytes(String(ttl)), payload]
            if replace { cmd.append("REPLACE") }
            AOFCommandReader.encode(cmd, into: &out)
        }

        guard let conn = BlockingConnection(host: c.argv[1].string, port: port, timeoutMs: Int(timeout)) else {
            return c.error("IOERR error or timeout connecting to the client")
        }
        defer { conn.close() }
        guard conn.writeAll(out) else { return c.error("IOERR error or timeout writing to target instance") }

        // AUTH and SELECT first: an error there fails the whole command.
        for _ in 0..<expected {
            guard let line = conn.readLine() else { return c.error("IOERR error or timeout reading to target instance") }
            if line.first == UInt8(ascii: "-") {
                return c.error("ERR Target instance replied with error: " + String(decoding: line.dropFirst(), as: UTF8.self))
            }
        }
        var firstError: String?
        var moved: [RBytes] = []
        for (k, _, _) in keys {
            guard let line = conn.readLine() else {
                if firstError == nil { firstError = "IOERR error or timeout reading to target instance" }
                break
            }
            if line.first == UInt8(ascii: "-") {
                if firstError == nil {
                    firstError = "ERR Target instance replied with error: " + String(decoding: line.dropFirst(), as: UTF8.self)
                }
            } else if !copy {
                moved.append(k)
            }
        }
        if !moved.isEmpty {
            for k in moved {
                c.db.delete(k)
                c.server.keyModified(c.db, k)
                c.server.notify(.generic, "del", k, db: c.db.id)
            }
            c.propagateInstead([["DEL"] + moved])
        } else {
            c.propagateInstead([])
        }
        if let firstError {
            c.error(firstError)
        } else {
            c.reply.ok()
        }
    }
}

/// MIGRATE's port as Redis reads it (atoi, then a 16-bit port): leading digits after an optional sign, else 0.
func atoiPort(_ arg: RBytes) -> Int {
    var value = 0, negative = false, started = false
    let bytes = arg.withUnsafeBytes { Array($0) }
    for (i, b) in bytes.enumerated() {
        if i == 0 && !started && (b == UInt8(ascii: "-") || b == UInt8(ascii: "+")) {
            negative = b == UInt8(ascii: "-")
            continue
        }
        guard b >= 48 && b <= 57 else { break }
        started = true
        value = (value &* 10 &+ Int(b - 48)) & 0xFFFF_FFFF
    }
    return (negative ? -value : value) & 0xFFFF
}

/// A blocking TCP connection with a deadline per operation, for the rare synchronous server-to-server calls
/// (MIGRATE), as Redis's syncWrite/syncReadLine.
final class BlockingConnection {
    private let fd: Int32
    private let timeoutMs: Int
    private var buffer: [UInt8] = []

    init?(host: String, port: Int, timeoutMs: Int) {
        self.timeoutMs = timeoutMs
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        var connected: Int32 = -1
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai, connected < 0 {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if s >= 0 {
                // As Redis's connBlockingConnect: a connect in progress that becomes writable counts as connected
                // even when it failed (refused), so the error shows on the first write ("writing to target").
                if Glibc.connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 || (errno == EINPROGRESS && BlockingConnection.wait(s, POLLOUT, timeoutMs)) {
                    connected = s
                } else {
                    Glibc.close(s)
                }
            }
            ai = a.pointee.ai_next
        }
        guard connected >= 0 else { return nil }
        fd = connected
    }

    private static func wait(_ fd: Int32, _ events: Int32, _ ms: Int) -> Bool {
        var p = pollfd(fd: fd, events: Int16(events), revents: 0)
        return poll(&p, 1, Int32(clamping: ms)) == 1
    }

    func writeAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                offset += n
            } else if n < 0 && (errno == EAGAIN || errno == EINTR) {
                if !BlockingConnection.wait(fd, Int32(POLLOUT), timeoutMs) { return false }
            } else {
                return false
            }
        }
        return true
    }

    /// One reply line (a status, error or integer reply), without CRLF; nil on timeout or close.
    func readLine() -> [UInt8]? {
        while true {
            if let i = buffer.firstIndex(of: 10) {
                let line = Array(buffer[..<i].filter { $0 != 13 })
                buffer.removeFirst(i + 1)
                return line
            }
            guard buffer.count < 1 << 20, BlockingConnection.wait(fd, Int32(POLLIN), timeoutMs) else { return nil }
            var chunk = [UInt8](repeating: 0, count: 16384)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }

    func close() { Glibc.close(fd) }
}
