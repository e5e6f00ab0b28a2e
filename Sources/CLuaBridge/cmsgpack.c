/* cmsgpack for the script sandbox: MessagePack encode/decode with the API and byte output Redis's bundled
 * lua-cmsgpack has (pack, unpack, unpack_one, unpack_limit). Written for Lua 5.4: integers decode as Lua
 * integers, so they convert back to Redis integer replies. */

#include "luabridge.h"

#include <stdlib.h>
#include <string.h>

#define MP_MAX_NESTING 16

/* A plain C buffer: encoding never raises a Lua error, so nothing can leak it. */
typedef struct {
    char *data;
    size_t len, cap;
    int oom;
} mp_buf;

static void addbytes(mp_buf *b, const void *p, size_t n) {
    if (b->oom) return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) { b->oom = 1; return; }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put(mp_buf *b, const unsigned char *p, size_t n) { addbytes(b, p, n); }

static void put_be(mp_buf *b, unsigned char tag, unsigned long long v, int bytes) {
    unsigned char buf[9];
    buf[0] = tag;
    for (int i = 0; i < bytes; i++) buf[1 + i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    put(b, buf, (size_t)bytes + 1);
}

static void enc_int(mp_buf *b, long long n) {
    unsigned char c;
    if (n >= 0) {
        if (n <= 127) { c = (unsigned char)n; put(b, &c, 1); }
        else if (n <= 0xff) put_be(b, 0xcc, (unsigned long long)n, 1);
        else if (n <= 0xffff) put_be(b, 0xcd, (unsigned long long)n, 2);
        else if (n <= 0xffffffffLL) put_be(b, 0xce, (unsigned long long)n, 4);
        else put_be(b, 0xcf, (unsigned long long)n, 8);
    } else {
        if (n >= -32) { c = (unsigned char)(signed char)n; put(b, &c, 1); }
        else if (n >= -128) put_be(b, 0xd0, (unsigned long long)n, 1);
        else if (n >= -32768) put_be(b, 0xd1, (unsigned long long)n, 2);
        else if (n >= -2147483648LL) put_be(b, 0xd2, (unsigned long long)n, 4);
        else put_be(b, 0xd3, (unsigned long long)n, 8);
    }
}

static void enc_double(mp_buf *b, double d) {
    float f = (float)d;
    if ((double)f == d) {
        unsigned int u;
        memcpy(&u, &f, 4);
        put_be(b, 0xca, u, 4);
    } else {
        unsigned long long u;
        memcpy(&u, &d, 8);
        put_be(b, 0xcb, u, 8);
    }
}

static void enc_bytes(mp_buf *b, const char *s, size_t len) {
    unsigned char c;
    if (len < 32) { c = (unsigned char)(0xa0 | len); put(b, &c, 1); }
    else if (len <= 0xff) put_be(b, 0xd9, len, 1);
    else if (len <= 0xffff) put_be(b, 0xda, len, 2);
    else put_be(b, 0xdb, len, 4);
    addbytes(b, s, len);
}

static int is_array(lua_State *L, int t) {
    long long count = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TNUMBER) { lua_pop(L, 1); return 0; }
        lua_Number n = lua_tonumber(L, -1);
        long long idx = (long long)n;
        if ((lua_Number)idx != n || idx < 1) { lua_pop(L, 1); return 0; }
        count++;
        if (idx > max) max = idx;
    }
    return count == max;
}

static void enc_value(lua_State *L, mp_buf *b, int idx, int level);

static void enc_table(lua_State *L, mp_buf *b, int t, int level) {
    unsigned char c;
    if (!lua_checkstack(L, 4)) { c = 0xc0; put(b, &c, 1); return; }
    if (is_array(L, t)) {
        long long n = (long long)lua_rawlen(L, t);
        if (n < 16) { c = (unsigned char)(0x90 | n); put(b, &c, 1); }
        else if (n <= 0xffff) put_be(b, 0xdc, (unsigned long long)n, 2);
        else put_be(b, 0xdd, (unsigned long long)n, 4);
        for (long long i = 1; i <= n; i++) {
            lua_rawgeti(L, t, i);
            enc_value(L, b, lua_gettop(L), level + 1);
            lua_pop(L, 1);
        }
        return;
    }
    long long n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) { n++; lua_pop(L, 1); }
    if (n < 16) { c = (unsigned char)(0x80 | n); put(b, &c, 1); }
    else if (n <= 0xffff) put_be(b, 0xde, (unsigned long long)n, 2);
    else put_be(b, 0xdf, (unsigned long long)n, 4);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        enc_value(L, b, lua_gettop(L) - 1, level + 1);
        enc_value(L, b, lua_gettop(L), level + 1);
        lua_pop(L, 1);
    }
}

static void enc_value(lua_State *L, mp_buf *b, int idx, int level) {
    unsigned char c;
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        enc_bytes(b, s, len);
        break;
    }
    case LUA_TBOOLEAN:
        c = lua_toboolean(L, idx) ? 0xc3 : 0xc2;
        put(b, &c, 1);
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            enc_int(b, (long long)lua_tointeger(L, idx));
        } else {
            double d = lua_tonumber(L, idx);
            if (d >= -9.2233720368547758e18 && d < 9.2233720368547758e18 && (double)(long long)d == d) enc_int(b, (long long)d);
            else enc_double(b, d);
        }
        break;
    case LUA_TTABLE:
        if (level >= MP_MAX_NESTING) { c = 0xc0; put(b, &c, 1); }
        else enc_table(L, b, lua_absindex(L, idx), level);
        break;
    default:
        c = 0xc0;
        put(b, &c, 1);
    }
}

static int mp_pack(lua_State *L) {
    int n = lua_gettop(L);
    if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
    mp_buf b = {NULL, 0, 0, 0};
    for (int i = 1; i <= n; i++) enc_value(L, &b, i, 0);
    if (b.oom) {
        free(b.data);
        return luaL_error(L, "not enough memory");
    }
    rb_native_enter(L); /* this one push must not fail, or the C buffer would leak */
    lua_pushlstring(L, b.data ? b.data : "", b.len);
    rb_native_leave(L);
    free(b.data);
    return 1;
}

/* ---- decoding ---- */

typedef struct {
    const unsigned char *p;
    size_t left;
    int err; /* 0 ok, 1 missing bytes, 2 bad data */
} mp_cur;

static unsigned long long rd_be(mp_cur *c, int bytes) {
    unsigned long long v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | c->p[i];
    c->p += bytes;
    c->left -= (size_t)bytes;
    return v;
}

#define NEED(c, n) do { if ((c)->left < (size_t)(n)) { (c)->err = 1; return; } } while (0)

static void dec_value(lua_State *L, mp_cur *c, int depth);

static void dec_str(lua_State *L, mp_cur *c, size_t len) {
    NEED(c, len);
    lua_pushlstring(L, (const char *)c->p, len);
    c->p += len;
    c->left -= len;
}

static void dec_array(lua_State *L, mp_cur *c, size_t n, int depth) {
    lua_createtable(L, n > 1024 ? 1024 : (int)n, 0);
    for (size_t i = 1; i <= n; i++) {
        dec_value(L, c, depth + 1);
        if (c->err) return;
        lua_rawseti(L, -2, (lua_Integer)i);
    }
}

static void dec_map(lua_State *L, mp_cur *c, size_t n, int depth) {
    lua_createtable(L, 0, n > 1024 ? 1024 : (int)n);
    for (size_t i = 0; i < n; i++) {
        dec_value(L, c, depth + 1);
        if (c->err) return;
        dec_value(L, c, depth + 1);
        if (c->err) return;
        if (lua_isnil(L, -2)) { lua_pop(L, 2); continue; }
        lua_rawset(L, -3);
    }
}

static void dec_value(lua_State *L, mp_cur *c, int depth) {
    if (depth > 200) { c->err = 2; return; }
    luaL_checkstack(L, 3, "msgpack nesting");
    NEED(c, 1);
    unsigned char t = *c->p++;
    c->left--;
    if (t <= 0x7f) { lua_pushinteger(L, t); return; }
    if (t >= 0xe0) { lua_pushinteger(L, (signed char)t); return; }
    if ((t & 0xe0) == 0xa0) { dec_str(L, c, t & 0x1f); return; }
    if ((t & 0xf0) == 0x90) { dec_array(L, c, t & 0x0f, depth); return; }
    if ((t & 0xf0) == 0x80) { dec_map(L, c, t & 0x0f, depth); return; }
    switch (t) {
    case 0xc0: lua_pushnil(L); return;
    case 0xc2: lua_pushboolean(L, 0); return;
    case 0xc3: lua_pushboolean(L, 1); return;
    case 0xcc: NEED(c, 1); lua_pushinteger(L, (lua_Integer)rd_be(c, 1)); return;
    case 0xcd: NEED(c, 2); lua_pushinteger(L, (lua_Integer)rd_be(c, 2)); return;
    case 0xce: NEED(c, 4); lua_pushinteger(L, (lua_Integer)rd_be(c, 4)); return;
    case 0xcf: {
        NEED(c, 8);
        unsigned long long v = rd_be(c, 8);
        if (v > 0x7fffffffffffffffULL) lua_pushnumber(L, (lua_Number)v);
        else lua_pushinteger(L, (lua_Integer)v);
        return;
    }
    case 0xd0: NEED(c, 1); lua_pushinteger(L, (signed char)rd_be(c, 1)); return;
    case 0xd1: NEED(c, 2); lua_pushinteger(L, (short)rd_be(c, 2)); return;
    case 0xd2: NEED(c, 4); lua_pushinteger(L, (int)rd_be(c, 4)); return;
    case 0xd3: NEED(c, 8); lua_pushinteger(L, (lua_Integer)(long long)rd_be(c, 8)); return;
    case 0xca: {
        NEED(c, 4);
        unsigned int u = (unsigned int)rd_be(c, 4);
        float f;
        memcpy(&f, &u, 4);
        lua_pushnumber(L, (lua_Number)f);
        return;
    }
    case 0xcb: {
        NEED(c, 8);
        unsigned long long u = rd_be(c, 8);
        double d;
        memcpy(&d, &u, 8);
        lua_pushnumber(L, d);
        return;
    }
    case 0xc4: case 0xd9: { NEED(c, 1); size_t n = (size_t)rd_be(c, 1); dec_str(L, c, n); return; }
    case 0xc5: case 0xda: { NEED(c, 2); size_t n = (size_t)rd_be(c, 2); dec_str(L, c, n); return; }
    case 0xc6: case 0xdb: { NEED(c, 4); size_t n = (size_t)rd_be(c, 4); dec_str(L, c, n); return; }
    case 0xdc: { NEED(c, 2); size_t n = (size_t)rd_be(c, 2); dec_array(L, c, n, depth); return; }
    case 0xdd: { NEED(c, 4); size_t n = (size_t)rd_be(c, 4); dec_array(L, c, n, depth); return; }
    case 0xde: { NEED(c, 2); size_t n = (size_t)rd_be(c, 2); dec_map(L, c, n, depth); return; }
    case 0xdf: { NEED(c, 4); size_t n = (size_t)rd_be(c, 4); dec_map(L, c, n, depth); return; }
    default: c->err = 2; return;
    }
}

/* Decodes up to `limit` values (0 = all) from `offset`; with `with_offset` the next offset comes first. */
static int mp_unpack_full(lua_State *L, lua_Integer limit, lua_Integer offset, int with_offset) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (offset < 0 || limit < 0) return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", (int)offset, (int)limit);
    if ((size_t)offset > len) return luaL_error(L, "Start offset %d greater than input length %d.", (int)offset, (int)len);
    mp_cur c = {(const unsigned char *)s + offset, len - (size_t)offset, 0};
    int base = lua_gettop(L);
    if (with_offset) lua_pushnil(L);
    int count = 0;
    while (c.left > 0 && (limit == 0 || count < limit)) {
        dec_value(L, &c, 0);
        if (c.err == 1) return luaL_error(L, "Missing bytes in input.");
        if (c.err == 2) return luaL_error(L, "Bad data format in input.");
        count++;
    }
    if (with_offset) {
        lua_Integer next = c.left == 0 ? -1 : (lua_Integer)(len - c.left);
        lua_pushinteger(L, next);
        lua_replace(L, base + 1);
        return count + 1;
    }
    return count;
}

static int mp_unpack(lua_State *L) { return mp_unpack_full(L, 0, 0, 0); }
static int mp_unpack_one(lua_State *L) { return mp_unpack_full(L, 1, luaL_optinteger(L, 2, 0), 1); }
static int mp_unpack_limit(lua_State *L) {
    return mp_unpack_full(L, luaL_checkinteger(L, 2), luaL_optinteger(L, 3, 0), 1);
}

int rb_open_cmsgpack(lua_State *L) {
    static const luaL_Reg fns[] = {
        {"pack", mp_pack}, {"unpack", mp_unpack}, {"unpack_one", mp_unpack_one}, {"unpack_limit", mp_unpack_limit},
        {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushliteral(L, "lua-cmsgpack");
    lua_setfield(L, -2, "_NAME");
    lua_pushliteral(L, "0.4.0");
    lua_setfield(L, -2, "_VERSION");
    lua_pushliteral(L, "Copyright (C) 2012, Salvatore Sanfilippo");
    lua_setfield(L, -2, "_COPYRIGHT");
    lua_pushliteral(L, "MessagePack C implementation for Lua");
    lua_setfield(L, -2, "_DESCRIPTION");
    return 1;
}
