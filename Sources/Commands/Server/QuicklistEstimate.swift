import Kernel

/// The quicklist layout Redis 7.0 would give a list, for `DEBUG OBJECT`'s `ql_*` fields.
///
/// Our quicklist nodes follow a fixed 8 KB rule and our own entry layout, so this replays Redis 7.0's node-fill
/// rule over the elements head to tail, as if the list had been built by RPUSH alone: the node count and sizes are exact for such lists and
/// an estimate for lists built otherwise (LPUSH, LINSERT, LSET, trims split and merge nodes differently).
struct QuicklistEstimate {
    /// Number of nodes (`ql_nodes`).
    var nodes = 0
    /// Elements (for `ql_avg_node`).
    var elements = 0
    /// Sum of the nodes' listpack byte sizes (`ql_uncompressed_size`).
    var bytes = 0

    /// Bytes of a listpack's header (total bytes, element count) and end marker.
    static let listpackOverhead = 7
    /// Redis's per-node byte cap for `fill` -1 … -5, and the safety cap for count-limited fills.
    static let sizeLevels = [4096, 8192, 16384, 32768, 65536]
    static let safetyLimit = 8192

    /// Lays `list` out with `fill` (`list-max-listpack-size`).
    init(_ list: ListObject, fill: Int) {
        var nodeBytes = 0, nodeCount = 0
        for element in list {
            let sz = element.count
            if nodeCount > 0 && QuicklistEstimate.allowInsert(nodeBytes: nodeBytes, nodeCount: nodeCount, sz: sz, fill: fill) {
                nodeBytes += QuicklistEstimate.entrySize(element)
                nodeCount += 1
            } else {
                if nodeCount > 0 { bytes += nodeBytes }
                nodes += 1
                nodeBytes = QuicklistEstimate.listpackOverhead + QuicklistEstimate.entrySize(element)
                nodeCount = 1
            }
            elements += 1
        }
        if nodeCount > 0 { bytes += nodeBytes }
    }

    /// Redis 7.0's `_quicklistNodeAllowInsert`: whether an element of `sz` bytes joins the current node.
    static func allowInsert(nodeBytes: Int, nodeCount: Int, sz: Int, fill: Int) -> Bool {
        if sz >= 1 << 30 { return false }   // a "large element" gets a plain node of its own
        var overhead = sz < 254 ? 1 : 5
        overhead += sz < 64 ? 1 : sz < 16384 ? 2 : 5
        let newSize = nodeBytes + sz + overhead
        if fill < 0 {
            let level = -fill - 1
            if level < sizeLevels.count && newSize <= sizeLevels[level] { return true }
        }
        if newSize > safetyLimit { return false }
        return nodeCount < fill
    }

    /// Bytes one element takes in a listpack: encoding and data, then the back-length.
    static func entrySize(_ element: RBytes) -> Int {
        var body: Int
        if element.count <= 20, let v = Numbers.parseInt64(element) {
            switch v {
            case 0...127: body = 1
            case -4096...4095: body = 2
            case -32768...32767: body = 3
            case -8_388_608...8_388_607: body = 4
            case Int64(Int32.min)...Int64(Int32.max): body = 5
            default: body = 9
            }
        } else {
            let n = element.count
            body = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n
        }
        let back = body <= 127 ? 1 : body < 16383 ? 2 : body < 2_097_151 ? 3 : body < 268_435_455 ? 4 : 5
        return body + back
    }

    /// The ` ql_nodes:… ql_uncompressed_size:…` suffix of DEBUG OBJECT, in Redis's format.
    func debugFields(fill: Int, compressDepth: Int) -> String {
        let avg = nodes > 0 ? Double(elements) / Double(nodes) : 0
        let avgText = String(decoding: Numbers.cFormat("%.2f", avg), as: UTF8.self)
        return " ql_nodes:\(nodes) ql_avg_node:\(avgText) ql_listpack_max:\(fill) ql_compressed:\(compressDepth != 0 ? 1 : 0) ql_uncompressed_size:\(bytes)"
    }
}
