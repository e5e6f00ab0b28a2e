import CLuaBridge
import Kernel

/// RESP ⇄ Lua conversions, as Redis documents them (EVAL's "Conversion between Lua and Redis data types").
enum LuaConvert {
    /// Deepest table nesting converted to a reply (a self-referencing table would never end).
    static let maxDepth = 500

    // MARK: - RESP -> Lua

    /// Pushes the reply in `fake.reply` as a Lua value; true if it was an error (an error table was pushed).
    static func pushReply(_ vm: LuaVM, _ fake: Client) -> Bool {
        let buffer = fake.reply.buffer
        let resp3 = fake.resp == 3
        return buffer.withUnsafeReadableBytes { raw -> Bool in
            // The common integer and bulk replies go straight onto the Lua stack, without a value tree.
            if let n = fastInteger(raw) {
                lua_pushinteger(vm.L, lua_Integer(n))
                return false
            }
            if let body = fastBulk(raw) {
                vm.pushBytes(body)
                return false
            }
            var reader = RESPReader(raw)
            guard let value = reader.read() else {
                vm.pushError("reply could not be converted")
                return true
            }
            if case .error(let e) = value {
                vm.pushError("-" + e.string, ignoreStats: true)
                return true
            }
            push(vm, value, resp3: resp3)
            return false
        }
    }

    /// `:<digits>\r\n` and nothing else.
    private static func fastInteger(_ raw: UnsafeRawBufferPointer) -> Int64? {
        guard raw.count >= 4, raw.count <= 24, raw[0] == UInt8(ascii: ":"), raw[raw.count - 2] == 13,
              raw[raw.count - 1] == 10 else { return nil }
        var i = 1
        var negative = false
        if raw[1] == UInt8(ascii: "-") {
            negative = true
            i = 2
        }
        guard i < raw.count - 2 else { return nil }
        var v: Int64 = 0
        while i < raw.count - 2 {
            let d = raw[i]
            guard d >= 48 && d <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        return negative ? -v : v
    }

    /// `$<len>\r\n<bytes>\r\n` and nothing else: the payload.
    private static func fastBulk(_ raw: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard raw.count >= 6, raw[0] == UInt8(ascii: "$"), raw[1] != UInt8(ascii: "-") else { return nil }
        var i = 1
        var n = 0
        while i < raw.count && raw[i] != 13 {
            let d = raw[i]
            guard d >= 48 && d <= 57, n < 1 << 40 else { return nil }
            n = n * 10 + Int(d - 48)
            i += 1
        }
        guard i + 1 < raw.count, raw[i + 1] == 10, i + 2 + n + 2 == raw.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: raw[(i + 2)..<(i + 2 + n)])
    }

    private static func push(_ vm: LuaVM, _ v: RESPValue, resp3: Bool) {
        let L = vm.L
        _ = lua_checkstack(L, 4)
        switch v {
        case .integer(let n): lua_pushinteger(L, lua_Integer(n))
        case .bulk(let b): b.withUnsafeBytes { vm.pushBytes($0) }
        case .null:
            if resp3 { lua_pushnil(L) } else { lua_pushboolean(L, 0) }
        case .status(let s):
            lua_createtable(L, 0, 1)
            s.withUnsafeBytes { vm.pushBytes($0) }
            lua_setfield(L, -2, "ok")
        case .error(let e):
            vm.pushError("-" + e.string, ignoreStats: true)
        case .array(let items), .push(let items):
            lua_createtable(L, Int32(clamping: items.count), 0)
            for (i, item) in items.enumerated() {
                push(vm, item, resp3: resp3)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
        case .map(let pairs):
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, Int32(clamping: pairs.count))
            for (k, val) in pairs {
                push(vm, k, resp3: resp3)
                push(vm, val, resp3: resp3)
                lua_rawset(L, -3)
            }
            lua_setfield(L, -2, "map")
        case .set(let items):
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, Int32(clamping: items.count))
            for item in items {
                push(vm, item, resp3: resp3)
                lua_pushboolean(L, 1)
                lua_rawset(L, -3)
            }
            lua_setfield(L, -2, "set")
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        case .double(let d):
            lua_createtable(L, 0, 1)
            lua_pushnumber(L, d)
            lua_setfield(L, -2, "double")
        case .bigNumber(let s):
            lua_createtable(L, 0, 1)
            s.withUnsafeBytes { vm.pushBytes($0) }
            lua_setfield(L, -2, "big_number")
        case .verbatim(let format, let text):
            lua_createtable(L, 0, 1)
            lua_createtable(L, 0, 2)
            text.withUnsafeBytes { vm.pushBytes($0) }
            lua_setfield(L, -2, "string")
            format.withUnsafeBytes { vm.pushBytes($0) }
            lua_setfield(L, -2, "format")
            lua_setfield(L, -2, "verbatim_string")
        }
    }

    // MARK: - Lua -> RESP

    /// Writes the Lua value on top of the stack as `c`'s reply (`scriptResp` is the script's redis.setresp).
    /// The value stays on the stack.
    static func writeReply(_ vm: LuaVM, to c: Client, scriptResp: Int, depth: Int = 0) {
        let L = vm.L
        _ = lua_checkstack(L, 4)
        switch lua_type(L, -1) {
        case LUA_TSTRING:
            var len = 0
            let p = rb_tolstring(L, -1, &len)
            c.reply.bulk(bytes: UnsafeRawBufferPointer(start: p, count: len))
        case LUA_TBOOLEAN:
            let b = lua_toboolean(L, -1) != 0
            if scriptResp == 2 {
                if b { c.reply.integer(1) } else { c.reply.null() }
            } else {
                c.reply.bool(b)
            }
        case LUA_TNUMBER:
            if lua_isinteger(L, -1) != 0 {
                c.reply.integer(Int64(lua_tointegerx(L, -1, nil)))
            } else {
                c.reply.integer(truncate(lua_tonumberx(L, -1, nil)))
            }
        case LUA_TTABLE:
            if depth >= maxDepth {
                c.error("ERR reached lua stack limit")
                return
            }
            writeTable(vm, to: c, scriptResp: scriptResp, depth: depth)
        default:
            c.reply.null()
        }
    }

    /// A double as C's (long long) cast gives it on x86-64 (out of range and NaN become INT64_MIN).
    static func truncate(_ d: Double) -> Int64 {
        guard d > -9.223372036854775808e18 && d < 9.223372036854775808e18 else { return Int64.min }
        return Int64(d)
    }

    private static func field(_ L: OpaquePointer, _ name: StaticString) -> Int32 {
        _ = lua_pushlstring(L, UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self), name.utf8CodeUnitCount)
        return lua_rawget(L, -2)
    }

    private static func writeTable(_ vm: LuaVM, to c: Client, scriptResp: Int, depth: Int) {
        let L = vm.L
        if field(L, "err") == LUA_TSTRING {
            let msg = vm.string(at: -1) ?? ""
            rb_pop(L, 1)
            let ignore = field(L, "ignore_error_stats_update") == LUA_TBOOLEAN && lua_toboolean(L, -1) != 0
            rb_pop(L, 1)
            writeError(c, msg, countStats: !ignore)
            return
        }
        rb_pop(L, 1)
        if field(L, "ok") == LUA_TSTRING {
            let s = vm.bytes(at: -1) ?? []
            rb_pop(L, 1)
            c.reply.status(bytes: RBytes(s.map { $0 == 13 || $0 == 10 ? UInt8(ascii: " ") : $0 }))
            return
        }
        rb_pop(L, 1)
        if field(L, "double") == LUA_TNUMBER {
            c.reply.double(lua_tonumberx(L, -1, nil))
            rb_pop(L, 1)
            return
        }
        rb_pop(L, 1)
        if field(L, "big_number") == LUA_TSTRING {
            let s = vm.bytes(at: -1) ?? []
            rb_pop(L, 1)
            c.reply.bigNumber(String(decoding: s.map { $0 == 13 || $0 == 10 ? UInt8(ascii: " ") : $0 }, as: UTF8.self))
            return
        }
        rb_pop(L, 1)
        if field(L, "map") == LUA_TTABLE {
            var n = 0
            lua_pushnil(L)
            while lua_next(L, -2) != 0 {
                n += 1
                rb_pop(L, 1)
            }
            c.reply.mapHeader(n)
            lua_pushnil(L)
            while lua_next(L, -2) != 0 {
                lua_pushvalue(L, -2)
                writeReply(vm, to: c, scriptResp: scriptResp, depth: depth + 1)
                rb_pop(L, 1)
                writeReply(vm, to: c, scriptResp: scriptResp, depth: depth + 1)
                rb_pop(L, 1)
            }
            rb_pop(L, 1)
            return
        }
        rb_pop(L, 1)
        if field(L, "set") == LUA_TTABLE {
            var n = 0
            lua_pushnil(L)
            while lua_next(L, -2) != 0 {
                n += 1
                rb_pop(L, 1)
            }
            c.reply.setHeader(n)
            lua_pushnil(L)
            while lua_next(L, -2) != 0 {
                rb_pop(L, 1)
                lua_pushvalue(L, -1)
                writeReply(vm, to: c, scriptResp: scriptResp, depth: depth + 1)
                rb_pop(L, 1)
            }
            rb_pop(L, 1)
            return
        }
        rb_pop(L, 1)
        var n = 0
        while lua_rawgeti(L, -1, lua_Integer(n + 1)) != LUA_TNIL {
            rb_pop(L, 1)
            n += 1
        }
        rb_pop(L, 1)
        c.reply.arrayHeader(n)
        for i in 0..<n {
            lua_rawgeti(L, -1, lua_Integer(i + 1))
            writeReply(vm, to: c, scriptResp: scriptResp, depth: depth + 1)
            rb_pop(L, 1)
        }
    }

    /// An error reply from a script (its text is used as is: it starts with its code).
    static func writeError(_ c: Client, _ message: String, countStats: Bool) {
        if countStats {
            c.error(message)
        } else {
            c.reply.error(message)
        }
    }
}
