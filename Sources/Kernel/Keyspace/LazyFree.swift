import Atomics

/// Redis's lazy freeing (`lazyfree.c`): values that are costly to free (a collection with many allocations,
/// a whole database after FLUSHALL ASYNC) are released on a background thread, so the thread serving clients
/// does not pause for the deallocation.
///
/// The keyspace hands over its only reference: the item is moved into a `LazyFreeBox` straight from the table,
/// and the worker drops the box's payload, so the last release (the deallocation) happens there. Whatever else
/// might still hold a reference (a running snapshot's preserved copy) only decrements an atomic count.
public final class LazyFreer: @unchecked Sendable {
    /// Redis's `LAZYFREE_THRESHOLD`: values whose free effort is at most this are freed at once.
    public static let threshold = 64
    /// Objects queued and not yet freed (INFO `lazyfree_pending_objects`).
    public let pending = ManagedAtomic<Int>(0)
    /// Objects freed in the background so far (INFO `lazyfreed_objects`).
    public let freed = ManagedAtomic<Int>(0)
    private var worker: BackgroundWorker?

    public init() {}

    /// Frees `box`'s payload on the background thread; `objects` is what it counts for in the INFO fields.
    public func enqueue(_ box: LazyFreeBox, objects: Int) {
        if worker == nil { worker = BackgroundWorker(niceness: 0) }
        pending.wrappingIncrement(by: objects, ordering: .relaxed)
        worker!.async { [pending, freed] in
            box.drop()
            pending.wrappingDecrement(by: objects, ordering: .relaxed)
            freed.wrappingIncrement(by: objects, ordering: .relaxed)
        }
    }

    /// Resets the `lazyfreed_objects` counter (CONFIG RESETSTAT).
    public func resetStats() { freed.store(0, ordering: .relaxed) }

    /// Redis's `lazyfreeGetFreeEffort`: roughly the number of allocations releasing `value` costs.
    public static func freeEffort(_ value: Value) -> Int {
        guard case .object(let o) = value else { return 1 }
        switch o {
        case let h as HashObject: return h.isListpack ? 1 : h.count
        case let s as SetObject: return s.isIntset ? 1 : s.count
        case let z as SortedSetObject: return z.isListpack ? 1 : z.count
        case let l as ListObject: return max(1, l.count / 128)  // ~ quicklist nodes of small elements
        case let x as StreamObject: return max(1, x.length / 100)
        default: return 1
        }
    }
}

/// An item on its way to the lazy-free thread; only that thread touches the payload after hand-over.
public final class LazyFreeBox: @unchecked Sendable {
    private var payload: Any?
    /// Takes ownership of `payload` (pass it straight from the table, keeping no other reference).
    public init(_ payload: Any?) { self.payload = payload }
    func drop() { payload = nil }
}

extension Server {
    /// Deletes `key` (Redis's dbAsyncDelete when `lazy`, else dbSyncDelete): a large value is freed by the
    /// lazy-free thread; true if the key existed.
    @discardableResult
    public func deleteKey(_ db: Database, _ key: RBytes, lazy: Bool) -> Bool {
        guard lazy else { return db.deleteNow(key) }
        guard let box = db.deleteReturningValue(key) else { return false }
        if box.effort > LazyFreer.threshold { lazyFreer.enqueue(box.box, objects: 1) }
        return true
    }
}

extension Database {
    /// `delete`, handing the removed value over in a box (for lazy freeing) with its free effort.
    func deleteReturningValue(_ key: RBytes) -> (box: LazyFreeBox, effort: Int)? {
        if server.snapshot != nil { willChange(key: key) }
        guard let slot = table.find(key) else { return nil }
        let effort = LazyFreer.freeEffort(table.values[slot]!.value)
        if server.blockedCount > 0 { streamMayBeGone(key, table.values[slot]!.value) }
        let removed = table.remove(key)
        removed?.value.releaseOwned()  // a packed block is small: freed here, and the box must not hold it
        let box = LazyFreeBox(removed.map { e -> Entry? in
            if case .packed = e.value { return nil }
            return e
        } ?? nil)
        if expires.count > 0 { expires.remove(key) }
        return (box, effort)
    }

    /// Under lazyfree-lazy-server-del, a large value about to be overwritten (SET over a big hash) is freed by
    /// the lazy-free thread (Redis's dbSetValue with lazy freeing).
    func overwriteLazily(slot: Int) {
        let effort = LazyFreer.freeEffort(table.values[slot]!.value)
        guard effort > LazyFreer.threshold else { return }
        let box = LazyFreeBox(table.values[slot]!.value)
        table.values[slot]!.value = .string(RBytes())
        server.lazyFreer.enqueue(box, objects: 1)
    }

    /// FLUSHDB ASYNC (Redis's emptyDbAsync): the tables are handed to the lazy-free thread whole; returns how
    /// many keys there were.
    @discardableResult
    public func flushLazily() -> Int {
        let n = table.count
        if n == 0 { return flush() }
        if server.blockedCount > 0 {
            for k in server.blockedOnKey.keys where k.db == id {
                if let v = table[k.key]?.value { streamMayBeGone(k.key, v) }
            }
        }
        server.snapshot?.detach(self)
        let box = LazyFreeBox(DetachedTables())
        box.swapIn(&table, &expires)
        server.lazyFreer.enqueue(box, objects: n)
        return n
    }
}

/// A database's two tables, detached for lazy freeing.
struct DetachedTables {
    var table = KeyTable<Entry>()
    var expires = KeyTable<Int64>()
}

extension LazyFreeBox {
    /// Moves a database's tables into the box (leaving them empty) without copying or retaining them twice.
    func swapIn(_ table: inout KeyTable<Entry>, _ expires: inout KeyTable<Int64>) {
        var t = payload as! DetachedTables
        payload = nil
        swap(&t.table, &table)
        swap(&t.expires, &expires)
        payload = t
    }
}
