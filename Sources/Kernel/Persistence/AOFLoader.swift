#if canImport(Glibc)
import Glibc
#endif

/// Loading the AOF at start (AOF wins over RDB with `appendonly yes`, as in Redis): the manifest, or a Redis
/// 6-style single `appendonly.aof` (migrated into the directory), then base and incr files replayed through the
/// dispatcher with an internal client, so every command's semantics (and MULTI/EXEC) apply.
extension AOF {
    /// Why the server cannot start; main logs it and exits 1, as Redis does.
    public struct BootError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Bytes read per read(2) while loading.
    static let loadChunk = 1 << 20

    /// Start-up with `appendonly yes`: load what is on disk, then append from now on (creating an empty base,
    /// incr file and manifest on a first start).
    public func boot() throws(BootError) {
        do {
            try AOFFiles.makeDirectory(directory)
        } catch {
            throw BootError(message: error.message)
        }
        if AOFFiles.exists(manifestPath) {
            do {
                manifest = try AOFManifest.parse(try AOFFiles.readSmall(manifestPath))
            } catch let e as AOFManifest.ParseError {
                throw BootError(message: "\(e.message) in \(manifestPath) at byte \(e.offset)")
            } catch {
                throw BootError(message: "\(error)")
            }
        } else {
            let oldStyle = AOFFiles.join(config.dir, config.appendfilename)
            if AOFFiles.exists(oldStyle) { try migrateOldStyle(oldStyle) }
        }
        let files = manifest.loadOrder
        server.beginLoading(totalBytes: files.reduce(0) { $0 + AOFFiles.size(AOFFiles.join(directory, $1.name)) })
        defer { server.loading = false }
        if !files.isEmpty {
            let started = Clock.monotonicNanoseconds()
            var loadedAny = false
            for (i, e) in files.enumerated() {
                let path = AOFFiles.join(directory, e.name)
                guard AOFFiles.exists(path) else {
                    throw BootError(message: "The AOF file \(e.name) doesn't exist")
                }
                if AOFFiles.size(path) == 0 { continue }
                let loadedBefore = server.loadingProgress.loadedBytes
                let t0 = Clock.monotonicNanoseconds()
                try loadFile(path: path, name: e.name, isBase: e.type == .base, isLast: i == files.count - 1)
                server.loadingProgress.loadedBytes = loadedBefore + AOFFiles.size(path)
                loadedAny = true
                log.notice("DB loaded from \(e.type == .base ? "base" : "incr") file \(e.name): \(Self.seconds(since: t0)) seconds")
            }
            if loadedAny { log.notice("DB loaded from append only file: \(Self.seconds(since: started)) seconds") }
        }
        registerSink()
        enabled = true
        if manifest.base == nil && manifest.incrs.isEmpty {
            if !rewrite(atStart: true) { throw BootError(message: "Can't create the AOF base file on server start") }
        } else if let last = manifest.incrs.last {
            do {
                fd = try AOFFiles.openAppend(AOFFiles.join(directory, last.name))
            } catch {
                throw BootError(message: error.message)
            }
            deleteHistoryFiles()
        } else {
            do {
                try openNewIncr(reason: "on server start")
            } catch {
                throw BootError(message: error.message)
            }
        }
        refreshSizes()
        syncedSize = currentSize
        baseSize = manifest.base.map { AOFFiles.size(AOFFiles.join(directory, $0.name)) } ?? 0
        lastFsyncMs = Clock.unixMilliseconds()
    }

    static func seconds(since t0: Int64) -> String {
        let s = Double(Clock.monotonicNanoseconds() - t0) / 1e9
        return String(decoding: Numbers.cFormat("%.3f", s), as: UTF8.self)
    }

    /// Moves a Redis 6-style `appendonly.aof` into the directory as the base of a new manifest.
    func migrateOldStyle(_ path: String) throws(BootError) {
        let target = AOFFiles.join(directory, config.appendfilename)
        if rename(path, target) != 0 {
            throw BootError(message: "Error trying to rename the existing AOF to the new AOF directory: \(String(cString: strerror(errno)))")
        }
        var m = AOFManifest()
        m.base = .init(name: config.appendfilename, seq: 1, type: .base)
        m.currentBaseSeq = 1
        do {
            try persistManifest(m)
        } catch {
            throw BootError(message: error.message)
        }
        log.notice("Successfully migrated an old-style AOF into the AOF directory")
    }

    /// Replays one file. A truncated tail of the last file is cut per `aof-load-truncated`.
    func loadFile(path: String, name: String, isBase: Bool, isLast: Bool) throws(BootError) {
        let fd = open(path, O_RDONLY)
        if fd < 0 { throw BootError(message: "Fatal error: can't open the append log file \(name) for reading: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: Self.loadChunk)
        var bufStart: Int64 = 0  // file offset of buf[0]
        var cursor = 0
        var eof = false
        var first = true
        var replayed = 0
        let loadedBeforeFile = server.loadingProgress.loadedBytes
        let client = server.addClient()
        client.authenticated = true
        var validUpTo: Int64 = 0
        var validBeforeMulti: Int64 = 0
        var inMulti = false
        while true {
            let step: AOFCommandReader.Step
            do {
                step = try AOFCommandReader.next(buf, from: cursor)
            } catch {
                throw BootError(message: "Bad file format reading the append only file \(name) (at byte \(bufStart + Int64(error.offset))): make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>")
            }
            switch step {
            case .annotation(let end):
                cursor = end
                if !inMulti { validUpTo = bufStart + Int64(cursor) }
            case .command(let argv, let end):
                cursor = end
                let lower = argv[0].lowercased()
                guard server.commands.lookup(argv[0]) != nil else {
                    throw BootError(message: "Unknown command '\(argv[0].string)' reading the append only file \(name)")
                }
                if lower == "multi" { validBeforeMulti = validUpTo; inMulti = true }
                if lower == "exec" { inMulti = false }
                client.argv = argv
                server.execute(client)
                client.reply.buffer.clear()
                if !inMulti { validUpTo = bufStart + Int64(cursor) }
                replayed += 1
                if replayed & 1023 == 0 && !inMulti {
                    server.loadingProgress.loadedBytes = loadedBeforeFile + bufStart + Int64(cursor)
                    server.yieldLockWhileLoading()
                }
            case .incomplete:
                if eof {
                    let leftover = buf.count - cursor
                    if leftover == 0 && !inMulti { return }
                    if inMulti {
                        log.warning("Revert incomplete MULTI/EXEC transaction in AOF file \(name)")
                        validUpTo = validBeforeMulti
                    }
                    try truncatedTail(path: path, name: name, isLast: isLast, validUpTo: validUpTo)
                    client.discardMulti()
                    return
                }
                // Keep the undecoded tail, read more.
                if cursor > 0 {
                    buf.removeSubrange(0..<cursor)
                    bufStart += Int64(cursor)
                    cursor = 0
                }
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, Self.loadChunk) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw BootError(message: "Unrecoverable error reading the append only file \(name): \(String(cString: strerror(errno)))")
                }
                if n == 0 { eof = true; continue }
                buf.append(contentsOf: chunk[0..<n])
                if first {
                    first = false
                    if buf.count >= 5 && buf[0..<5].elementsEqual(Array("REDIS".utf8)) {
                        log.notice(isBase ? "Reading RDB base file on AOF loading..." : "Reading RDB preamble from AOF file...")
                        let consumed = try loadRDBPreamble(path: path)
                        // Continue with the AOF tail after the RDB part.
                        if lseek(fd, off_t(consumed), SEEK_SET) < 0 { throw BootError(message: "Can't seek in \(name)") }
                        buf.removeAll()
                        bufStart = consumed
                        validUpTo = consumed
                        log.notice("Reading the remaining AOF tail...")
                    }
                }
            }
        }
    }

    /// Cuts a truncated tail (aof-load-truncated yes, last file only) or refuses to start.
    func truncatedTail(path: String, name: String, isLast: Bool, validUpTo: Int64) throws(BootError) {
        if config.aofLoadTruncated && isLast {
            log.warning("!!! Warning: short read while loading the AOF file \(name)!!!")
            log.warning("!!! Truncating the AOF \(name) at offset \(validUpTo) !!!")
            if truncate(path, off_t(validUpTo)) != 0 {
                throw BootError(message: "Error truncating the AOF file \(name): \(String(cString: strerror(errno)))")
            }
            log.warning("AOF \(name) loaded anyway because aof-load-truncated is enabled")
            return
        }
        throw BootError(message: "Unexpected end of file reading the append only file \(name). You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.")
    }

    /// Loads the RDB part of a base file (or an RDB preamble) and returns the offset where it ends. The RDB
    /// codec (`RDBFile.parse`) is wired here by the persistence integration; this build has no RDB reader.
    func loadRDBPreamble(path: String) throws(BootError) -> Int64 {
        guard case .read(let bytes) = Server.readWholeFile(path) else {
            throw BootError(message: "Can't read the RDB preamble of \(path)")
        }
        do {
            let (loaded, expired, end) = try server.loadRDBImage(bytes, logAux: true, yieldingLock: true)
            server.rdb.noteLoaded(loaded, expired: expired)
            return Int64(end)
        } catch {
            throw BootError(message: "Bad file format reading the append only file \(path): \(error)")
        }
    }
}
