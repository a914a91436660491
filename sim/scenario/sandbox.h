/*
** sandbox.h: a Lua 5.4 state that can only compute, for scenario files.
**
** The state has the base library (without dofile, loadfile, load, next, print, warn,
** collectgarbage), string (without dump), table, math and utf8; no io, os, package,
** debug or coroutine.  Whatever could make two runs of one scenario and seed differ
** is replaced:
**   math.random       draws from an ox_prng the caller seeds (math.random semantics);
**                     math.randomseed raises an error
**   pairs             visits keys in sorted order: Lua's own order depends on a hash
**                     seed made from the clock and addresses
**   tostring          never prints an address ("table", not "table: 0x55d0...")
**   string.format     the same for %s, and refuses %p
**   setmetatable      refuses __gc: finalizers run whenever the collector decides
** A counting allocator caps memory and a count hook caps the instructions of each
** sandbox_call, so a runaway script ends with a one-line error naming its file and line.
**
** Every error leaves as one line that starts with the file's full path (Lua's own
** messages abbreviate long paths to "...tail"; the sandbox puts the path back).
*/
#ifndef SIM_SANDBOX_H
#define SIM_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "../../lib/prng.h"

#define SBX_MEM_LIMIT ((size_t)64 << 20)      /* bytes one state may hold */
#define SBX_BUDGET 100000000                  /* instructions per sandbox_call */
#define SBX_MAX_PATH 512
#define SBX_MAX_FILE ((size_t)1 << 20)        /* largest script, bytes */

typedef struct sandbox {
    size_t used, limit;              /* bytes the state holds now, and the cap */
    int64_t left;                    /* instructions still allowed in this sandbox_call */
    int exceeded;                    /* the budget ran out in this sandbox_call */
    int exceeded_line;               /* ... at this line of the script */
    int refused;                     /* the allocator refused memory in this sandbox_call */
    ox_prng prng;                    /* math.random's stream */
    char path[SBX_MAX_PATH];         /* the script, as messages must name it */
    char chunkname[SBX_MAX_PATH + 1];    /* "@path" */
    char short_src[LUA_IDSIZE];      /* how Lua abbreviates chunkname in its messages */
} sandbox;

/* Creates the state for the script at `path` (owned by the caller, who keeps `s`
** alive until sandbox_close).  math.random draws from ox_prng_seed(random_seed).  Returns
** NULL with a one-line reason in err. */
lua_State *sandbox_open(sandbox *s, const char *path, uint64_t random_seed, char *err,
                        size_t errlen);
/* Reads the script (at most SBX_MAX_FILE bytes, text only) and pushes it as a function.
** Returns 0, or -1 with "PATH: cannot read scenario: <why>" or "PATH:LINE: <syntax
** error>" in err and nothing pushed. */
int sandbox_load(lua_State *L, char *err, size_t errlen);
/* Calls the function below its `nargs` arguments on the stack, discarding results,
** with a fresh instruction budget.  Returns 0, or -1 with "PATH:LINE: what" in err. */
int sandbox_call(lua_State *L, int nargs, char *err, size_t errlen);
/* The sandbox of a state made by sandbox_open. */
sandbox *sandbox_of(lua_State *L);
/* Line of the innermost function of the script on the stack, or 0 (e.g. at load). */
int sandbox_line(lua_State *L);
void sandbox_close(lua_State *L);

#endif
