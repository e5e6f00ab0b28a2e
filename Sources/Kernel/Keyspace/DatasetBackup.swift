/// The dataset set aside while a replica loads its master's image with `repl-diskless-load swapdb`: restored
/// when the load fails, dropped when it succeeds (Redis keeps its old databases the same way).
public final class DatasetBackup {
    fileprivate let databases: [Database]

    fileprivate init(_ databases: [Database]) { self.databases = databases }
}

extension Server {
    /// Moves every database's keys into a backup in O(1) per database, leaving the databases empty. Nil while a
    /// snapshot runs (its walk follows the live tables), in which case the caller flushes instead. Call with
    /// the lock held, and restore or drop the backup before the lock is released.
    public func setDatasetAside() -> DatasetBackup? {
        guard snapshot == nil else { return nil }
        let spare = databases.map { Database(id: $0.id, server: self) }
        for (db, s) in zip(databases, spare) { db.swapContents(with: s) }
        return DatasetBackup(spare)
    }

    /// Puts a backup's keys back in place of whatever the databases hold now.
    public func restoreDataset(_ backup: DatasetBackup) {
        for (db, s) in zip(databases, backup.databases) {
            db.flush()
            db.swapContents(with: s)
        }
    }
}
