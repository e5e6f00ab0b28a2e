/* struct for the script sandbox: pack/unpack/size of binary records, with the format language and errors of the
 * struct library Redis bundles (Roberto Ierusalimschy's lstruct 0.2). Written here for Lua 5.4. */

#include "luabridge.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#define MAXINTSIZE 32
#define MAXALIGN 8

typedef struct {
    int little; /* 1 little-endian */
    int align;
} st_header;

static int native_little(void) {
    int one = 1;
    return *(char *)&one == 1;
}

static int isdigit_c(int c) { return c >= '0' && c <= '9'; }

static size_t getnum(const char **fmt, size_t df) {
    if (!isdigit_c(**fmt)) return df;
    size_t a = 0;
    do {
        a = a * 10 + (size_t)(*((*fmt)++) - '0');
        if (a > 1000000) break;
    } while (isdigit_c(**fmt));
    return a;
}

static size_t optsize(lua_State *L, char opt, const char **fmt) {
    switch (opt) {
    case 'B': case 'b': return 1;
    case 'H': case 'h': return 2;
    case 'L': case 'l': return 8;
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return getnum(fmt, 1);
    case 'i': case 'I': {
        size_t sz = getnum(fmt, sizeof(int));
        if (sz > MAXINTSIZE) luaL_error(L, "integral size %d is larger than limit of %d", (int)sz, MAXINTSIZE);
        return sz;
    }
    default: return 0;
    }
}

static size_t gettoalign(size_t len, st_header *h, int opt, size_t size) {
    if (size == 0 || opt == 'c') return 0;
    size_t align = size;
    if ((int)align > h->align) align = (size_t)h->align;
    return (align - (len & (align - 1))) & (align - 1);
}

static void controloptions(lua_State *L, int opt, const char **fmt, st_header *h) {
    switch (opt) {
    case ' ': return;
    case '>': h->little = 0; return;
    case '<': h->little = 1; return;
    case '!': {
        int a = (int)getnum(fmt, MAXALIGN);
        if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
        h->align = a;
        return;
    }
    default: luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
    }
}

static void putinteger(luaL_Buffer *b, unsigned long long value, int little, size_t size) {
    char buff[MAXINTSIZE];
    for (size_t i = 0; i < size; i++) {
        unsigned char byte = i < 8 ? (unsigned char)(value >> (8 * i)) : (unsigned char)((long long)value < 0 ? 0xff : 0);
        buff[little ? i : size - 1 - i] = (char)byte;
    }
    luaL_addlstring(b, buff, size);
}

static void putbytes(luaL_Buffer *b, const void *p, size_t size, int little) {
    char buff[16];
    memcpy(buff, p, size);
    if (little != native_little()) {
        for (size_t i = 0; i < size / 2; i++) {
            char t = buff[i];
            buff[i] = buff[size - 1 - i];
            buff[size - 1 - i] = t;
        }
    }
    luaL_addlstring(b, buff, size);
}

static int b_pack(lua_State *L) {
    luaL_Buffer b;
    const char *fmt = luaL_checkstring(L, 1);
    st_header h = {native_little(), 1};
    int arg = 2;
    size_t totalsize = 0;
    lua_pushnil(L); /* mark to separate arguments from string buffer */
    luaL_buffinit(L, &b);
    while (*fmt != '\0') {
        int opt = *fmt++;
        size_t size = optsize(L, (char)opt, &fmt);
        size_t toalign = gettoalign(totalsize, &h, opt, size);
        totalsize += toalign;
        while (toalign-- > 0) luaL_addchar(&b, '\0');
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I': {
            lua_Number n = luaL_checknumber(L, arg++);
            unsigned long long v;
            if (lua_isinteger(L, arg - 1)) v = (unsigned long long)lua_tointeger(L, arg - 1);
            else if (n < 0) v = (unsigned long long)(long long)n;
            else v = (unsigned long long)n;
            putinteger(&b, v, h.little, size);
            break;
        }
        case 'x': luaL_addchar(&b, '\0'); break;
        case 'f': {
            float f = (float)luaL_checknumber(L, arg++);
            putbytes(&b, &f, size, h.little);
            break;
        }
        case 'd': {
            double d = (double)luaL_checknumber(L, arg++);
            putbytes(&b, &d, size, h.little);
            break;
        }
        case 'c': case 's': {
            size_t l;
            const char *s = luaL_checklstring(L, arg++, &l);
            if (size == 0) size = l;
            luaL_argcheck(L, l >= size, arg - 1, "string too short");
            luaL_addlstring(&b, s, size);
            if (opt == 's') {
                luaL_addchar(&b, '\0');
                size++;
            }
            break;
        }
        default: controloptions(L, opt, &fmt, &h);
        }
        totalsize += size;
    }
    luaL_pushresult(&b);
    return 1;
}

static lua_Integer getinteger(const char *buff, int little, int issigned, size_t size) {
    unsigned long long l = 0;
    for (size_t i = 0; i < size; i++) {
        l <<= 8;
        l |= (unsigned char)buff[little ? size - i - 1 : i];
    }
    if (!issigned) return (lua_Integer)l;
    if (size < 8) {
        unsigned long long mask = ~0ULL << (size * 8 - 1);
        if (l & mask) l |= mask;
    }
    return (lua_Integer)(long long)l;
}

static int b_unpack(lua_State *L) {
    st_header h = {native_little(), 1};
    const char *fmt = luaL_checkstring(L, 1);
    size_t ld;
    const char *data = luaL_checklstring(L, 2, &ld);
    lua_Integer init = luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, init > 0, 3, "offset must be 1 or greater");
    size_t pos = (size_t)init - 1;
    int n = 0;
    while (*fmt) {
        int opt = *fmt++;
        size_t size = optsize(L, (char)opt, &fmt);
        pos += gettoalign(pos, &h, opt, size);
        luaL_argcheck(L, pos <= ld && size <= ld - pos, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I': {
            int issigned = islower(opt);
            if (size > 8) size = 8;
            lua_pushinteger(L, getinteger(data + pos, h.little, issigned, size));
            n++;
            break;
        }
        case 'x': break;
        case 'f': {
            float f;
            char buff[4];
            memcpy(buff, data + pos, 4);
            if (h.little != native_little()) { char t = buff[0]; buff[0] = buff[3]; buff[3] = t; t = buff[1]; buff[1] = buff[2]; buff[2] = t; }
            memcpy(&f, buff, 4);
            lua_pushnumber(L, (lua_Number)f);
            n++;
            break;
        }
        case 'd': {
            double d;
            char buff[8];
            memcpy(buff, data + pos, 8);
            if (h.little != native_little()) {
                for (int i = 0; i < 4; i++) { char t = buff[i]; buff[i] = buff[7 - i]; buff[7 - i] = t; }
            }
            memcpy(&d, buff, 8);
            lua_pushnumber(L, d);
            n++;
            break;
        }
        case 'c': {
            if (size == 0) {
                if (n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
                lua_Integer sz = lua_tointeger(L, -1);
                lua_pop(L, 1);
                n--;
                luaL_argcheck(L, sz >= 0 && (size_t)sz <= ld - pos, 2, "data string too short");
                size = (size_t)sz;
            }
            lua_pushlstring(L, data + pos, size);
            n++;
            break;
        }
        case 's': {
            const char *e = memchr(data + pos, '\0', ld - pos);
            if (e == NULL) luaL_error(L, "unfinished string in data");
            size = (size_t)(e - (data + pos)) + 1;
            lua_pushlstring(L, data + pos, size - 1);
            n++;
            break;
        }
        default: controloptions(L, opt, &fmt, &h);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos + 1);
    return n + 1;
}

static int b_size(lua_State *L) {
    st_header h = {native_little(), 1};
    const char *fmt = luaL_checkstring(L, 1);
    size_t pos = 0;
    while (*fmt) {
        int opt = *fmt++;
        size_t size = optsize(L, (char)opt, &fmt);
        pos += gettoalign(pos, &h, opt, size);
        if (opt == 's') luaL_argerror(L, 1, "options 'c0' - 's' have undefined sizes");
        else if (opt == 'c' && size == 0) luaL_argerror(L, 1, "options 'c0' - 's' have undefined sizes");
        if (size == 0 && strchr("bBhHlLTiIfdxc", opt) == NULL) controloptions(L, opt, &fmt, &h);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int rb_open_struct(lua_State *L) {
    static const luaL_Reg fns[] = {{"pack", b_pack}, {"unpack", b_unpack}, {"size", b_size}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
