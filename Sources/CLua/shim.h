#ifndef CLUA_SHIM_H
#define CLUA_SHIM_H

/* Lua 5.4 from Debian (liblua5.4-dev), plus the cjson and bit libraries (lua-cjson-dev, lua-bitop-dev).
 * Lua's macros (lua_pop, lua_tostring, ...) are wrapped as functions in CLuaBridge, which Swift imports too. */
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>

#endif
