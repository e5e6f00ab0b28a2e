import Foundation
import Kernel

/// The `arguments` of COMMAND DOCS (what redis-cli builds its interactive hints from), from the generated
/// `CommandArgumentDocs` data, replied with the RESP3 types the data records.
enum ArgumentDocs {
    /// Full command name (`set`, `client|kill`) → its argument specs, decoded once.
    static let table: [String: Any] = {
        let data = Data(CommandArgumentDocs.json.utf8)
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:]
    }()

    /// Writes one node of the recorded structure.
    static func write(_ node: Any, to r: inout ReplyWriter) {
        if let s = node as? String {
            r.bulk(s)
        } else if let n = node as? Int {
            r.integer(n)
        } else if let d = node as? [String: Any] {
            if let pairs = d["m"] as? [[Any]] {
                r.mapHeader(pairs.count)
                for kv in pairs where kv.count == 2 {
                    write(kv[0], to: &r)
                    write(kv[1], to: &r)
                }
            } else if let items = d["a"] as? [Any] {
                r.arrayHeader(items.count)
                for x in items { write(x, to: &r) }
            } else if let items = d["s"] as? [Any] {
                r.setHeader(items.count)
                for x in items { write(x, to: &r) }
            } else if let status = d["+"] as? String {
                r.status(status)
            } else {
                r.null()
            }
        } else {
            r.null()
        }
    }
}
