/* The C half of the scripting engine (see luabridge.h): state creation with an accounting allocator, the sandbox,
 * the `redis` table's C entry points, the error handler and the kill hook. Everything that may raise a Lua error
 * lives here, so no longjmp ever crosses a Swift frame. */

#include "luabridge.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    size_t used;
    size_t limit;
    int native;          /* > 0: in Swift (or outside a run): never refuse an allocation */
    int killed;
    int kind;
    rb_native_fn fn;
    void *owner;
    int ldb_event;       /* the debugger hook call in progress */
    int ldb_line;
    int args_ref[2];     /* registry refs of EVAL's KEYS and ARGV tables (0: none yet) */
    lua_Integer args_n[2];
} rb_ud;

static rb_ud *ud_of(lua_State *L) { return *(rb_ud **)lua_getextraspace(L); }

static void *rb_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    rb_ud *u = (rb_ud *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        if (ptr) {
            u->used -= old;
            free(ptr);
        }
        return NULL;
    }
    if (u->limit && nsize > old && u->native == 0 && u->used - old + nsize > u->limit) return NULL;
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    u->used = u->used - old + nsize;
    return p;
}

static int rb_panic(lua_State *L) {
    (void)L;
    abort();
    return 0;
}

/* ---- errors ---------------------------------------------------------------------------------------------------- */

static void push_error_parts(lua_State *L, const char *s, size_t len, int dash, int ignore) {
    while (len && (s[len - 1] == '\r' || s[len - 1] == '\n')) len--;
    const char *code = "ERR";
    size_t codelen = 3;
    const char *msg = s;
    size_t msglen = len;
    if (dash) {
        const char *sp = memchr(s, ' ', len);
        if (!sp) {
            msg = s;
            msglen = len;
        } else {
            code = s;
            codelen = (size_t)(sp - s);
            msg = sp + 1;
            msglen = len - codelen - 1;
        }
    }
    while (msglen && (msg[0] == '\r' || msg[0] == '\n')) { msg++; msglen--; }
    while (msglen && (msg[msglen - 1] == '\r' || msg[msglen - 1] == '\n')) msglen--;
    lua_createtable(L, 0, 2);
    lua_pushlstring(L, code, codelen);
    lua_pushliteral(L, " ");
    lua_pushlstring(L, msg, msglen);
    lua_concat(L, 3);
    lua_setfield(L, -2, "err");
    if (ignore) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "ignore_error_stats_update");
    }
}

void rb_push_error_table(lua_State *L, const char *s, size_t len, int ignore_stats) {
    if (len && s[0] == '-') push_error_parts(L, s + 1, len - 1, 1, ignore_stats);
    else push_error_parts(L, s, len, 0, ignore_stats);
}

void rb_push_error_reply(lua_State *L, const char *s, size_t len) {
    if (len && s[0] == '-') push_error_parts(L, s + 1, len - 1, 1, 0);
    else push_error_parts(L, s, len, 1, 0);
}

/* The message handler of every run: any error becomes {err=, source=, line=} (Redis 7.0's __redis__err__handler). */
static int rb_errhandler(lua_State *L) {
    lua_Debug ar;
    int have = 0;
    if (lua_getstack(L, 1, &ar)) {
        lua_getinfo(L, "nSl", &ar);
        have = 1;
        if (strcmp(ar.what, "C") == 0) {
            if (lua_getstack(L, 2, &ar)) lua_getinfo(L, "nSl", &ar);
            else have = 0;
        }
    }
    if (!lua_istable(L, 1)) {
        const char *s = luaL_tolstring(L, 1, NULL);
        lua_createtable(L, 0, 3);
        lua_pushfstring(L, "ERR %s", s);
        lua_setfield(L, -2, "err");
    } else {
        lua_pushvalue(L, 1);
    }
    if (have) {
        lua_pushstring(L, ar.source);
        lua_setfield(L, -2, "source");
        lua_pushinteger(L, ar.currentline);
        lua_setfield(L, -2, "line");
    }
    return 1;
}

/* ---- native entry points --------------------------------------------------------------------------------------- */

static int native(lua_State *L, int op) {
    rb_ud *u = ud_of(L);
    u->native++;
    int n = u->fn(L, op);
    u->native--;
    if (n < 0) return lua_error(L);
    return n;
}

static int l_call(lua_State *L) { return native(L, RB_OP_CALL); }
static int l_pcall(lua_State *L) { return native(L, RB_OP_PCALL); }
static int l_sha1hex(lua_State *L) { return native(L, RB_OP_SHA1HEX); }
static int l_log(lua_State *L) { return native(L, RB_OP_LOG); }
static int l_setresp(lua_State *L) { return native(L, RB_OP_SETRESP); }
static int l_set_repl(lua_State *L) { return native(L, RB_OP_SETREPL); }
static int l_register(lua_State *L) { return native(L, RB_OP_REGISTER); }
static int l_acl_check(lua_State *L) { return native(L, RB_OP_ACL_CHECK); }

static int l_error_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        static const char m[] = "wrong number or type of arguments";
        rb_push_error_table(L, m, sizeof m - 1, 0);
        return 1;
    }
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    rb_push_error_reply(L, s, len);
    return 1;
}

static int l_status_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        static const char m[] = "wrong number or type of arguments";
        rb_push_error_table(L, m, sizeof m - 1, 0);
        return 1;
    }
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "ok");
    return 1;
}

static int l_replicate_commands(lua_State *L) {
    lua_pushboolean(L, 1);
    return 1;
}

static int l_breakpoint(lua_State *L) { return native(L, RB_OP_LDB_BREAKPOINT); }
static int l_debug(lua_State *L) { return native(L, RB_OP_LDB_DEBUG); }

/* pcall that hands error tables back as their `err` string (Redis 7.0), and never swallows a kill. */
static int l_safe_pcall(lua_State *L) {
    int argc = lua_gettop(L);
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != LUA_OK) {
        if (ud_of(L)->killed) return lua_error(L);
        lua_remove(L, 1);
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            if (lua_isstring(L, -1)) lua_replace(L, -2);
            else lua_pop(L, 1);
        }
        lua_pushboolean(L, 0);
        lua_insert(L, 1);
    }
    return lua_gettop(L);
}

static int l_safe_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);
    int status = lua_pcall(L, n - 2, LUA_MULTRET, 2);
    if (status != LUA_OK && ud_of(L)->killed) return lua_error(L);
    if (status != LUA_OK) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - 2;
}

/* load (Lua 5.1): a reader function; compiled by 5.4's load (upvalue 2) as text only, in the sandbox
 * environment (upvalue 1). */
static int l_load51(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushvalue(L, 1);
    if (lua_isnil(L, 2)) lua_pushliteral(L, "=(load)");
    else lua_pushvalue(L, 2);
    lua_pushliteral(L, "t");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_call(L, 4, 2);
    return lua_isnil(L, -2) ? 2 : 1;
}

/* loadstring: text only, the sandbox environment unless one is given. */
static int l_load(lua_State *L) {
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (!s) {
        luaL_pushfail(L);
        lua_pushliteral(L, "only string chunks can be loaded");
        return 2;
    }
    const char *name = luaL_optstring(L, 2, s);
    int has_env = !lua_isnone(L, 4);
    if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env) lua_pushvalue(L, 4);
    else lua_pushvalue(L, lua_upvalueindex(1));
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    return 1;
}

/* ---- read-only tables ------------------------------------------------------------------------------------------ */

static int ro_newindex(lua_State *L) { return luaL_error(L, "Attempt to modify a readonly table"); }

static int ro_len(lua_State *L) {
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, lua_upvalueindex(1)));
    return 1;
}

static int ro_next(lua_State *L) {
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1))) return 2;
    lua_pushnil(L);
    return 1;
}

static int ro_pairs(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, ro_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int is_readonly(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_getfield(L, LUA_REGISTRYINDEX, "rb_readonly");
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    int r = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return r;
}

/* Pushes a read-only proxy of the table at `t`. */
static void push_proxy(lua_State *L, int t) {
    t = lua_absindex(L, t);
    lua_newtable(L);
    lua_createtable(L, 0, 5);
    lua_pushvalue(L, t);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, t);
    lua_pushcclosure(L, ro_len, 1);
    lua_setfield(L, -2, "__len");
    lua_pushvalue(L, t);
    lua_pushcclosure(L, ro_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_getfield(L, LUA_REGISTRYINDEX, "rb_readonly");
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

/* Raised from a C function, the readonly error carries no position (as Redis's does for rawset). */
static int readonly_error(lua_State *L) {
    lua_pushliteral(L, "Attempt to modify a readonly table");
    return lua_error(L);
}

static int l_rawset(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (is_readonly(L, 1)) return readonly_error(L);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int l_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        lua_rawget(L, 2);
        if (!lua_isnil(L, -1)) return luaL_error(L, "__gc metamethods are not allowed in scripts");
        lua_pop(L, 1);
    }
    if (lua_type(L, 1) == LUA_TTABLE && is_readonly(L, 1)) return readonly_error(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int nonexistent_global(lua_State *L) {
    const char *k = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", k ? k : "?");
}

/* ---- setup ----------------------------------------------------------------------------------------------------- */

static const char *compat_lua =
    "unpack = table.unpack\n"
    "math.pow = function(x, y) return x ^ y end\n"
    "math.mod = math.fmod\n"
    "math.log10 = function(x) return math.log(x, 10) end\n"
    "math.ldexp = function(m, e) return m * 2.0 ^ e end\n"
    "math.frexp = function(x)\n"
    "  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end\n"
    "  local e = math.floor(math.log(math.abs(x), 2)) + 1\n"
    "  local m = x / 2.0 ^ e\n"
    "  if math.abs(m) >= 1 then m = m / 2; e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2; e = e - 1 end\n"
    "  return m, e\n"
    "end\n"
    "math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end\n"
    "math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end\n"
    "math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end\n"
    "local pairs, type, rawlen = pairs, type, rawlen\n"
    "table.getn = function(t) return rawlen(t) end\n"
    "table.setn = function() error('setn is obsolete') end\n"
    "table.maxn = function(t) local n = 0 for k in pairs(t) do if type(k) == 'number' and k > n then n = k end end return n end\n"
    "table.foreach = function(t, f) for k, v in pairs(t) do local r = f(k, v) if r ~= nil then return r end end end\n"
    "table.foreachi = function(t, f) for i = 1, rawlen(t) do local r = f(i, t[i]) if r ~= nil then return r end end end\n"
    "string.gfind = string.gmatch\n"
    "local cg, floor = collectgarbage, math.floor\n"
    "gcinfo = function() return floor(cg('count')) end\n";

static const char *removed_globals[] = {"print", "dofile", "loadfile", "warn", "require", "package", "utf8", "io",
                                        "os", "debug", "rawlen", NULL};
static const char *proxied_libs[] = {"string", "table", "math", "coroutine", "cjson", "bit", "cmsgpack", "struct",
                                     "redis", NULL};

static void set_fn(lua_State *L, const char *name, lua_CFunction f) {
    lua_pushcfunction(L, f);
    lua_setfield(L, -2, name);
}

static void set_int(lua_State *L, const char *name, lua_Integer v) {
    lua_pushinteger(L, v);
    lua_setfield(L, -2, name);
}

static int rb_setup(lua_State *L) {
    const char *version = lua_tostring(L, 1);
    lua_Integer vnum = lua_tointeger(L, 2);
    rb_ud *u = ud_of(L);

    lua_newtable(L);
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, "rb_readonly");

    luaL_requiref(L, "_G", luaopen_base, 1);
    luaL_requiref(L, "table", luaopen_table, 1);
    luaL_requiref(L, "string", luaopen_string, 1);
    luaL_requiref(L, "math", luaopen_math, 1);
    luaL_requiref(L, "coroutine", luaopen_coroutine, 1);
    luaL_requiref(L, "cjson", luaopen_cjson, 1);
    luaL_requiref(L, "bit", luaopen_bit, 1);
    luaL_requiref(L, "cmsgpack", rb_open_cmsgpack, 1);
    luaL_requiref(L, "struct", rb_open_struct, 1);
    lua_settop(L, 2);

    if (luaL_loadbufferx(L, compat_lua, strlen(compat_lua), "=compat", "t") != LUA_OK) return lua_error(L);
    lua_call(L, 0, 0);

    lua_pushglobaltable(L);
    int G = lua_gettop(L);
    for (int i = 0; removed_globals[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, G, removed_globals[i]);
    }

    /* The redis table. */
    lua_newtable(L);
    set_fn(L, "call", l_call);
    set_fn(L, "pcall", l_pcall);
    set_fn(L, "sha1hex", l_sha1hex);
    set_fn(L, "log", l_log);
    set_fn(L, "setresp", l_setresp);
    set_fn(L, "set_repl", l_set_repl);
    set_fn(L, "replicate_commands", l_replicate_commands);
    set_fn(L, "breakpoint", l_breakpoint);
    set_fn(L, "debug", l_debug);
    set_fn(L, "error_reply", l_error_reply);
    set_fn(L, "status_reply", l_status_reply);
    set_fn(L, "acl_check_cmd", l_acl_check);
    if (u->kind == 1) set_fn(L, "register_function", l_register);
    set_int(L, "LOG_DEBUG", 0);
    set_int(L, "LOG_VERBOSE", 1);
    set_int(L, "LOG_NOTICE", 2);
    set_int(L, "LOG_WARNING", 3);
    set_int(L, "REPL_NONE", 0);
    set_int(L, "REPL_AOF", 1);
    set_int(L, "REPL_SLAVE", 2);
    set_int(L, "REPL_REPLICA", 2);
    set_int(L, "REPL_ALL", 3);
    lua_pushstring(L, version);
    lua_setfield(L, -2, "REDIS_VERSION");
    lua_pushinteger(L, vnum);
    lua_setfield(L, -2, "REDIS_VERSION_NUM");
    lua_setfield(L, G, "redis");

    /* Guarded base functions. */
    lua_pushcfunction(L, l_safe_pcall);
    lua_setfield(L, G, "pcall");
    lua_pushcfunction(L, l_safe_xpcall);
    lua_setfield(L, G, "xpcall");
    lua_pushcfunction(L, l_rawset);
    lua_setfield(L, G, "rawset");
    lua_getfield(L, G, "setmetatable");
    lua_pushcclosure(L, l_setmetatable, 1);
    lua_setfield(L, G, "setmetatable");

    /* Libraries become read-only proxies. */
    for (int i = 0; proxied_libs[i]; i++) {
        lua_getfield(L, G, proxied_libs[i]);
        push_proxy(L, -1);
        lua_setfield(L, G, proxied_libs[i]);
        lua_pop(L, 1);
    }
    /* The string metatable must not hand out the real string library. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_getfield(L, G, "string");
        lua_setfield(L, -2, "__index");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    /* The environment scripts see: an empty read-only proxy of the globals; reading a missing global errors. */
    push_proxy(L, G);
    int P = lua_gettop(L);
    lua_pushvalue(L, P);
    lua_setfield(L, LUA_REGISTRYINDEX, "rb_env");
    lua_pushvalue(L, P);
    lua_pushcclosure(L, l_load, 1);
    lua_setfield(L, G, "loadstring");
    lua_pushvalue(L, P);
    lua_getfield(L, G, "load");
    lua_pushcclosure(L, l_load51, 2);
    lua_setfield(L, G, "load");
    lua_pushvalue(L, P);
    lua_setfield(L, G, "_G");
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, nonexistent_global);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, G);
    return 0;
}

lua_State *rb_open(rb_native_fn fn, void *owner, const char *version, long long version_num, int kind) {
    rb_ud *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->fn = fn;
    u->owner = owner;
    u->kind = kind;
    u->native = 1;
    lua_State *L = lua_newstate(rb_alloc, u);
    if (!L) {
        free(u);
        return NULL;
    }
    *(rb_ud **)lua_getextraspace(L) = u;
    lua_atpanic(L, rb_panic);
    lua_pushcfunction(L, rb_setup);
    lua_pushstring(L, version);
    lua_pushinteger(L, (lua_Integer)version_num);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        lua_close(L);
        free(u);
        return NULL;
    }
    lua_gc(L, LUA_GCGEN, 0, 0);
    return L;
}

void rb_close(lua_State *L) {
    rb_ud *u = ud_of(L);
    lua_close(L);
    free(u);
}

void *rb_owner(lua_State *L) { return ud_of(L)->owner; }
size_t rb_memory_used(lua_State *L) { return ud_of(L)->used; }
void rb_set_memory_limit(lua_State *L, size_t limit) { ud_of(L)->limit = limit; }
void rb_native_enter(lua_State *L) { ud_of(L)->native++; }
void rb_native_leave(lua_State *L) { ud_of(L)->native--; }

int rb_compile(lua_State *L, const char *code, size_t len, const char *chunkname) {
    int st = luaL_loadbufferx(L, code, len, chunkname, "t");
    if (st != LUA_OK) return st;
    lua_getfield(L, LUA_REGISTRYINDEX, "rb_env");
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    return 0;
}

static void rb_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    rb_ud *u = ud_of(L);
    int verdict = u->killed ? 1 : u->fn(L, RB_OP_HOOK);
    if (verdict == 0) return;
    u->killed = 1;
    lua_sethook(L, rb_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
    if (verdict == 2) {
        static const char t[] = "FUNCTION LOAD timeout";
        rb_push_error_table(L, t, sizeof t - 1, 0);
    } else {
        static const char m[] = "Script killed by user with SCRIPT KILL...";
        rb_push_error_table(L, m, sizeof m - 1, 0);
    }
    lua_error(L);
}

void rb_mark_killed(lua_State *L) { ud_of(L)->killed = 1; }
void rb_clear_hook(lua_State *L) { lua_sethook(L, NULL, 0, 0); }

int rb_run(lua_State *L, int nargs) {
    rb_ud *u = ud_of(L);
    u->killed = 0;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, rb_errhandler);
    lua_insert(L, base);
    lua_sethook(L, rb_hook, LUA_MASKCOUNT, 100000);
    int saved = u->native;
    u->native = 0;
    int st = lua_pcall(L, nargs, 1, base);
    u->native = saved;
    lua_sethook(L, NULL, 0, 0);
    lua_remove(L, base);
    return st;
}

void rb_set_global(lua_State *L, const char *name) {
    lua_pushglobaltable(L);
    lua_insert(L, -2);
    lua_pushstring(L, name);
    lua_insert(L, -2);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

void rb_eval_args_table(lua_State *L, int which, int n) {
    rb_ud *u = ud_of(L);
    if (u->args_ref[which]) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, u->args_ref[which]);
        int t = lua_gettop(L);
        int clean = !lua_getmetatable(L, t);
        if (!clean) lua_pop(L, 1);
        lua_Integer last = u->args_n[which];
        if (clean) lua_pushnil(L);
        while (clean && lua_next(L, t)) {
            lua_pop(L, 1);
            if (!lua_isinteger(L, -1)) clean = 0;
            else {
                lua_Integer k = lua_tointeger(L, -1);
                if (k < 1 || k > last) clean = 0;
            }
            if (!clean) lua_pop(L, 1);
        }
        if (clean) {
            for (lua_Integer i = (lua_Integer)n + 1; i <= last; i++) {
                lua_pushnil(L);
                lua_rawseti(L, t, i);
            }
            u->args_n[which] = n;
            return;
        }
        lua_pop(L, 1);
        luaL_unref(L, LUA_REGISTRYINDEX, u->args_ref[which]);
        u->args_ref[which] = 0;
    }
    lua_createtable(L, n, 0);
    lua_pushvalue(L, -1);
    u->args_ref[which] = luaL_ref(L, LUA_REGISTRYINDEX);
    u->args_n[which] = n;
    lua_pushvalue(L, -1);
    rb_set_global(L, which == 0 ? "KEYS" : "ARGV");
}

/* ---- the Lua debugger ------------------------------------------------------------------------------------------ */

static void rb_ldb_hook(lua_State *L, lua_Debug *ar) {
    rb_ud *u = ud_of(L);
    lua_getinfo(L, "Sl", ar);
    /* Events outside the user's script (the debugger's own eval code, C functions) are not interesting. */
    if (strstr(ar->short_src, "user_script") == NULL) return;
    u->ldb_event = ar->event;
    u->ldb_line = ar->currentline;
    int saved = u->native;
    u->native = 1;
    int verdict = u->fn(L, RB_OP_LDB_HOOK);
    u->native = saved;
    if (verdict < 0) lua_error(L);
}

int rb_run_debug(lua_State *L, int nargs) {
    rb_ud *u = ud_of(L);
    u->killed = 0;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, rb_errhandler);
    lua_insert(L, base);
    lua_sethook(L, rb_ldb_hook, LUA_MASKLINE | LUA_MASKCOUNT, 100000);
    int saved = u->native;
    u->native = 0;
    int st = lua_pcall(L, nargs, 1, base);
    u->native = saved;
    lua_sethook(L, NULL, 0, 0);
    lua_remove(L, base);
    return st;
}

int rb_ldb_event(lua_State *L) { return ud_of(L)->ldb_event; }
int rb_ldb_line(lua_State *L) { return ud_of(L)->ldb_line; }

int rb_ldb_frame(lua_State *L, int level, int *line, int *user, const char **name) {
    lua_Debug ar;
    if (!lua_getstack(L, level, &ar)) return 0;
    lua_getinfo(L, "Snl", &ar);
    *line = ar.currentline;
    *user = strstr(ar.short_src, "user_script") != NULL;
    *name = ar.name;
    return 1;
}

const char *rb_ldb_local(lua_State *L, int level, int n) {
    lua_Debug ar;
    if (!lua_getstack(L, level, &ar)) return NULL;
    return lua_getlocal(L, &ar, n);
}

void rb_ldb_global(lua_State *L, const char *name) {
    lua_pushglobaltable(L);
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    lua_remove(L, -2);
}

int rb_ldb_eval(lua_State *L, const char *code, size_t len) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "return ");
    luaL_addlstring(&b, code, len);
    luaL_pushresult(&b);
    size_t elen;
    const char *expr = lua_tolstring(L, -1, &elen);
    int st = rb_compile(L, expr, elen, "@ldb_eval");
    lua_remove(L, -2);
    if (st != 0) {
        lua_pop(L, 1);
        st = rb_compile(L, code, len, "@ldb_eval");
        if (st != 0) return st;
    }
    return lua_pcall(L, 0, 1, 0);
}

void rb_ldb_redis(lua_State *L, int nargs) {
    lua_pushcfunction(L, l_call);
    lua_insert(L, -nargs - 1);
    lua_pcall(L, nargs, 1, 0);
    lua_pop(L, 1);
}

int rb_format_g(double d, char *buf, size_t size) { return snprintf(buf, size, "%g", d); }

void rb_gc_collect(lua_State *L) { lua_gc(L, LUA_GCCOLLECT, 0); }
void rb_pop(lua_State *L, int n) { lua_pop(L, n); }
int rb_isnil(lua_State *L, int idx) { return lua_isnil(L, idx); }
const char *rb_tolstring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
void rb_newtable(lua_State *L) { lua_newtable(L); }
int rb_upvalueindex(int i) { return lua_upvalueindex(i); }
int rb_registryindex(void) { return LUA_REGISTRYINDEX; }
