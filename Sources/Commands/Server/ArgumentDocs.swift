import Foundation
import Kernel

/// COMMAND DOCS of Redis 7.0's commands (summary, since, group, complexity, doc_flags, deprecation, history and the
/// argument specs redis-cli builds its interactive hints from), from the generated `CommandArgumentDocs` data,
/// replied with the RESP3 types the data records.
enum ArgumentDocs {
    /// Full command name (`set`, `client|kill`) → its doc fields but `subcommands`, in Redis's order, decoded once.
    static let table: [String: [[Any]]] = {
        let data = Data(CommandArgumentDocs.json.utf8)
        let all = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:]
        return all.compactMapValues { ($0 as? [String: Any])?["m"] as? [[Any]] }
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
