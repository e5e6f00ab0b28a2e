import CLuaBridge
import Kernel

/// How the debugger shows Lua values and Redis replies (Redis's ldbCatStackValue and ldbRedisProtocolToHuman).
extension LuaDebugger {
    /// The Lua value at `index`: strings quoted with escapes, numbers as `%g`, tables as `{1; 2}` (arrays) or
    /// `{[k]=v; ...}`, functions and other objects as `"type@address"`.
    func value(_ vm: LuaVM, at index: Int32) -> [UInt8] {
        var out: [UInt8] = []
        appendValue(vm, lua_absindex(vm.L, index), level: 0, to: &out)
        return out
    }

    private func appendValue(_ vm: LuaVM, _ idx: Int32, level: Int, to out: inout [UInt8]) {
        let L = vm.L
        if level == LuaDebugger.maxValueDepth {
            out += Array("<max recursion level reached! Nested table?>".utf8)
            return
        }
        _ = lua_checkstack(L, 4)
        switch lua_type(L, idx) {
        case LUA_TSTRING:
            LuaDebugger.appendRepr(vm.bytes(at: idx) ?? [], to: &out)
        case LUA_TBOOLEAN:
            out += Array((lua_toboolean(L, idx) != 0 ? "true" : "false").utf8)
        case LUA_TNUMBER:
            out += LuaDebugger.formatG(lua_tonumberx(L, idx, nil))
        case LUA_TNIL:
            out += Array("nil".utf8)
        case LUA_TTABLE:
            var isArray = true
            var expected = 1.0
            var asArray: [UInt8] = []
            var asMap: [UInt8] = []
            lua_pushnil(L)
            while lua_next(L, idx) != 0 {
                let key = lua_gettop(L) - 1
                let val = lua_gettop(L)
                if isArray && (lua_type(L, key) != LUA_TNUMBER || lua_tonumberx(L, key, nil) != expected) {
                    isArray = false
                }
                appendValue(vm, val, level: level + 1, to: &asArray)
                asArray += [59, 32]
                asMap.append(UInt8(ascii: "["))
                appendValue(vm, key, level: level + 1, to: &asMap)
                asMap += [93, 61]
                appendValue(vm, val, level: level + 1, to: &asMap)
                asMap += [59, 32]
                rb_pop(L, 1)
                expected += 1
            }
            if !asArray.isEmpty { asArray.removeLast(2) }
            if !asMap.isEmpty { asMap.removeLast(2) }
            out.append(UInt8(ascii: "{"))
            out += isArray ? asArray : asMap
            out.append(UInt8(ascii: "}"))
        default:
            let t = lua_type(L, idx)
            let name = t == LUA_TFUNCTION ? "function" : t == LUA_TUSERDATA ? "userdata"
                : t == LUA_TTHREAD ? "thread" : t == LUA_TLIGHTUSERDATA ? "light-userdata" : "unknown"
            let p = UInt(bitPattern: lua_topointer(L, idx))
            out += Array("\"\(name)@0x\(String(p, radix: 16))\"".utf8)
        }
    }

    /// `%g` of a double.
    static func formatG(_ d: Double) -> [UInt8] {
        var buf = [CChar](repeating: 0, count: 64)
        let n = Int(rb_format_g(d, &buf, 64))
        return buf[0..<max(0, min(n, 63))].map { UInt8(bitPattern: $0) }
    }

    /// Redis's sdscatrepr: a quoted string with `\n`, `\r`, `\t`, `\a`, `\b`, `\\`, `\"` and `\xHH` escapes.
    static func appendRepr(_ s: [UInt8], to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(34)
        for c in s {
            switch c {
            case 92: out += [92, 92]
            case 34: out += [92, 34]
            case 10: out += [92, UInt8(ascii: "n")]
            case 13: out += [92, UInt8(ascii: "r")]
            case 9: out += [92, UInt8(ascii: "t")]
            case 7: out += [92, UInt8(ascii: "a")]
            case 8: out += [92, UInt8(ascii: "b")]
            case 32...126: out.append(c)
            default: out += [92, UInt8(ascii: "x"), hex[Int(c >> 4)], hex[Int(c & 15)]]
            }
        }
        out.append(34)
    }

    /// A RESP reply as the debugger shows it: bulks quoted, `NULL`, integers bare, status and error lines quoted
    /// with their first byte, arrays as `[a,b]`, maps as `{k => v,...}`.
    static func human(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var p = 0
        appendHuman(raw, &p, &out)
        return out
    }

    private static func line(_ raw: [UInt8], _ p: Int) -> Int {
        var i = p
        while i < raw.count && raw[i] != 13 { i += 1 }
        return i
    }

    private static func number(_ raw: [UInt8], _ r: Range<Int>) -> Int {
        Int(Numbers.parseInt64(RBytes(Array(raw[r]))) ?? 0)
    }

    private static func appendHuman(_ raw: [UInt8], _ p: inout Int, _ out: inout [UInt8]) {
        guard p < raw.count else { return }
        let e = line(raw, p)
        let next = min(e + 2, raw.count)
        switch raw[p] {
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            let n = number(raw, (p + 1)..<e)
            if n < 0 {
                out += Array("NULL".utf8)
                p = next
            } else {
                let end = min(next + n, raw.count)
                appendRepr(Array(raw[next..<end]), to: &out)
                p = min(end + 2, raw.count)
            }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            appendRepr(Array(raw[p..<e]), to: &out)
            p = next
        case UInt8(ascii: ":"), UInt8(ascii: "("):
            out += raw[(p + 1)..<e]
            p = next
        case UInt8(ascii: ","):
            out += Array("(double) ".utf8) + raw[(p + 1)..<e]
            p = next
        case UInt8(ascii: "#"):
            out += Array((raw[p + 1] == UInt8(ascii: "t") ? "#true" : "#false").utf8)
            p = next
        case UInt8(ascii: "_"):
            out += Array("(null)".utf8)
            p = next
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let isSet = raw[p] == UInt8(ascii: "~")
            let n = number(raw, (p + 1)..<e)
            p = next
            if n < 0 {
                out += Array("NULL".utf8)
                return
            }
            out.append(isSet ? UInt8(ascii: "{") : UInt8(ascii: "["))
            for j in 0..<n {
                appendHuman(raw, &p, &out)
                if j != n - 1 { out.append(UInt8(ascii: ",")) }
            }
            out.append(isSet ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        case UInt8(ascii: "%"):
            let n = number(raw, (p + 1)..<e)
            p = next
            out.append(UInt8(ascii: "{"))
            for j in 0..<max(0, n) {
                appendHuman(raw, &p, &out)
                out += Array(" => ".utf8)
                appendHuman(raw, &p, &out)
                if j != n - 1 { out.append(UInt8(ascii: ",")) }
            }
            out.append(UInt8(ascii: "}"))
        default:
            out += raw[p...]
            p = raw.count
        }
    }
}
