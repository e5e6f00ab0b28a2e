#ifndef LUABRIDGE_H
#define LUABRIDGE_H

/* The C side of the scripting engine: every Lua API call that can raise a Lua error (longjmp) happens here, never in
 * Swift frames. Swift is reached through one native callback (`rb_native_fn`) that reports errors by return value;
 * the C wrapper then raises them. */

#include <stddef.h>
#include <stdint.h>
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>

/* Operations the native callback serves. */
enum {
    RB_OP_CALL = 1,        /* redis.call: raise nested errors */
    RB_OP_PCALL = 2,       /* redis.pcall: return them as tables */
    RB_OP_SHA1HEX = 3,
    RB_OP_LOG = 4,
    RB_OP_SETRESP = 5,
    RB_OP_SETREPL = 6,
    RB_OP_HOOK = 7,        /* count hook: return 1 to kill the script */
    RB_OP_REGISTER = 8,    /* redis.register_function (FUNCTION LOAD only) */
    RB_OP_ACL_CHECK = 9,
    RB_OP_LDB_HOOK = 10,   /* line/count hook of a debugging session (SCRIPT DEBUG): return -1 to raise */
    RB_OP_LDB_BREAKPOINT = 11, /* redis.breakpoint() */
    RB_OP_LDB_DEBUG = 12,  /* redis.debug(...) */
};

/* Returns the number of results pushed, or -1 with an error value on top of the stack (the C side raises it). */
typedef int (*rb_native_fn)(lua_State *L, int op);

/* Creates a sandboxed state: allowed libraries, the `redis` table, read-only globals. `kind` 0 = EVAL state,
 * 1 = FUNCTION state (redis.register_function, no KEYS/ARGV). Returns NULL if Lua cannot start. */
lua_State *rb_open(rb_native_fn native, void *owner, const char *version, long long version_num, int kind);
void rb_close(lua_State *L);
void *rb_owner(lua_State *L);

/* Allocator accounting: bytes in use, and the limit (0 = none) enforced outside native callbacks. */
size_t rb_memory_used(lua_State *L);
void rb_set_memory_limit(lua_State *L, size_t limit);
/* While > 0 the allocator never refuses (Swift code manipulating the stack must not be interrupted). */
void rb_native_enter(lua_State *L);
void rb_native_leave(lua_State *L);

/* Compiles `code` as text (never a binary chunk) with the sandbox environment; on success the function is on the
 * stack top and 0 is returned, else an error string is on top and nonzero returned. */
int rb_compile(lua_State *L, const char *code, size_t len, const char *chunkname);

/* Calls the function on top of the stack with the error handler that turns errors into {err=, source=, line=}
 * tables; installs the kill/time hook first. Leaves one result (or the error) on top; returns the status. */
int rb_run(lua_State *L, int nargs);
/* After a kill request the hook raises at every line, so pcall cannot swallow it. */
void rb_mark_killed(lua_State *L);
void rb_clear_hook(lua_State *L);

/* Sets a global in the real globals table (KEYS, ARGV), bypassing the read-only guard. Pops the value. */
void rb_set_global(lua_State *L, const char *name);
/* Pushes EVAL's KEYS (which 0) or ARGV (which 1) table, ready for rawseti 1..n: the table of the previous run,
 * emptied past n, when the script left it with integer keys within its old length and no metatable; otherwise a
 * fresh table, made the global. Saves creating (and collecting) two tables per EVAL. */
void rb_eval_args_table(lua_State *L, int which, int n);

/* ---- the Lua debugger (LDB) ---------------------------------------------------------------------------------- */
/* rb_run with the debugger's line and count hook instead of the kill hook. */
int rb_run_debug(lua_State *L, int nargs);
/* The event (LUA_HOOKLINE / LUA_HOOKCOUNT) and current line of the hook call in progress. */
int rb_ldb_event(lua_State *L);
int rb_ldb_line(lua_State *L);
/* Frame `level` of the stack (0 = the running function): 1 with its line, whether it belongs to the user script and
 * its name (NULL: top level), 0 past the last frame. */
int rb_ldb_frame(lua_State *L, int level, int *line, int *user, const char **name);
/* Pushes local `n` of frame `level` and returns its name, or returns NULL (nothing pushed). */
const char *rb_ldb_local(lua_State *L, int level, int n);
/* Pushes the global `name` (raw, no metamethods). */
void rb_ldb_global(lua_State *L, const char *name);
/* Compiles `code` as the debugger's `eval` does ("return " + code first, then code) and runs it protected: 0 with
 * the result on the stack, or nonzero with the error message on the stack. */
int rb_ldb_eval(lua_State *L, const char *code, size_t len);
/* Calls redis.call with the `nargs` strings on top of the stack, protected; pops them and the result. */
void rb_ldb_redis(lua_State *L, int nargs);
/* %g of a double (what 5.1's lua_Number printing gives), into buf. */
int rb_format_g(double d, char *buf, size_t size);

/* Pushes Redis's error table for an error text: "-CODE msg" or "msg" (code ERR) -> {err="CODE msg"}. */
void rb_push_error_table(lua_State *L, const char *s, size_t len, int ignore_stats);
/* Same, for redis.error_reply: text without a leading '-' is read as if it had one (its first word is the code). */
void rb_push_error_reply(lua_State *L, const char *s, size_t len);

/* A full garbage collection (after a failed run, so a script that hit the memory limit gives its memory back). */
void rb_gc_collect(lua_State *L);

/* Lua macros as functions, for Swift. */
void rb_pop(lua_State *L, int n);
int rb_isnil(lua_State *L, int idx);
const char *rb_tolstring(lua_State *L, int idx, size_t *len);
void rb_newtable(lua_State *L);
int rb_upvalueindex(int i);
int rb_registryindex(void);

/* The libraries Debian ships (declared here; their headers are not all installed). */
int luaopen_cjson(lua_State *L);
int luaopen_bit(lua_State *L);
/* Ours (cmsgpack.c, struct.c). */
int rb_open_cmsgpack(lua_State *L);
int rb_open_struct(lua_State *L);

#endif
