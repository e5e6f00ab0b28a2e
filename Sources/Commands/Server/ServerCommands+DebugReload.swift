import Kernel

/// DEBUG RELOAD: save the RDB file, empty the dataset and load the file back (how tests, and users, check that
/// everything survives a restart).
extension ServerCommands {
    /// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]
    static func debugReload(_ c: Client) {
        var merge = false, flush = true, save = true
        for opt in c.argv.dropFirst(2) {
            if opt.equalsIgnoringCase("MERGE") {
                merge = true
            } else if opt.equalsIgnoringCase("NOFLUSH") {
                flush = false
            } else if opt.equalsIgnoringCase("NOSAVE") {
                save = false
            } else {
                c.error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
                return
            }
        }
        let s = c.server
        if s.snapshotBusy {
            c.error("ERR Background save already in progress")
            return
        }
        if save && !s.saveSync() {
            c.error("ERR")
            return
        }
        if flush {
            for db in s.databases { db.flush() }
        }
        let bytes: [UInt8]
        switch Server.readWholeFile(s.rdb.filePath) {
        case .read(let b): bytes = b
        case .missing, .failed:
            c.error("ERR Error trying to load the RDB dump, check server logs.")
            return
        }
        do {
            _ = try s.loadRDBImage(bytes, logAux: false, replaceExisting: merge)
        } catch {
            s.log.warning("Error loading the RDB dump: \(error)")
            c.error("ERR Error trying to load the RDB dump, check server logs.")
            return
        }
        s.log.warning("DB reloaded by DEBUG RELOAD")
        c.reply.ok()
    }
}
