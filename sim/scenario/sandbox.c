/*
** sandbox.c: the sandboxed Lua state of scenario files (see sandbox.h).
**
** The sandbox is found from the state through Lua's "extra space" (one pointer before
** every lua_State), so no global holds it.  Messages: Lua writes positions as
** "short_src:LINE:", where short_src may be an abbreviation of a long path; the
** sandbox learns that abbreviation once (by loading an empty chunk under the same
** name) and swaps it for the full path in every message it hands out.
*/
#include "sandbox.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#define SBX_HOOK_EVERY 1000     /* instructions between two budget checks */

sandbox *sandbox_of(lua_State *L) {
    sandbox *s = *(sandbox **)lua_getextraspace(L);
    assert(s != NULL);
    return s;
}

/* ---- memory and instructions --------------------------------------------------- */

/* lua_Alloc that refuses to grow the state past s->limit (Lua then raises "not enough
** memory", which sandbox_call reports as the memory limit). */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    sandbox *s = ud;
    size_t old = ptr ? osize : 0;    /* without ptr, osize is a type tag, not a size */
    if (nsize == 0) {
        free(ptr);
        s->used -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > s->limit - s->used) {
        s->refused = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) {
        s->refused = 1;
        return NULL;
    }
    s->used = s->used - old + nsize;
    return p;
}

/* Count hook.  Once the budget is gone it fires on every instruction, so a script
** that catches the error with pcall meets it again at its next instruction and the
** error reaches sandbox_call however deeply the loop was wrapped. */
static void sandbox_hook(lua_State *L, lua_Debug *ar) {
    sandbox *s = sandbox_of(L);
    s->left -= SBX_HOOK_EVERY;
    if (s->left > 0) return;
    if (!s->exceeded) {
        s->exceeded = 1;
        lua_getinfo(L, "l", ar);
        s->exceeded_line = ar->currentline;
        lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, 1);
    }
    lua_pushliteral(L, "instruction budget exceeded");
    lua_error(L);
}

/* ---- deterministic replacements --------------------------------------------------- */

/* math.random with the semantics of Lua 5.4's: random() in [0,1), random(m) in [1,m],
** random(m,n) in [m,n], random(0) any integer. */
static int sandbox_random(lua_State *L) {
    sandbox *s = sandbox_of(L);
    lua_Integer low, up;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, (lua_Number)ox_prng_unit(&s->prng));
        return 1;
    case 1:
        low = 1;
        up = luaL_checkinteger(L, 1);
        if (up == 0) {
            lua_pushinteger(L, (lua_Integer)ox_prng_next(&s->prng));
            return 1;
        }
        break;
    case 2:
        low = luaL_checkinteger(L, 1);
        up = luaL_checkinteger(L, 2);
        break;
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    luaL_argcheck(L, low <= up, 1, "interval is empty");
    uint64_t span = (uint64_t)up - (uint64_t)low;     /* modular: no overflow */
    uint64_t r = span == UINT64_MAX ? ox_prng_next(&s->prng) : ox_prng_below(&s->prng, span + 1);
    lua_pushinteger(L, (lua_Integer)((uint64_t)low + r));
    return 1;
}

static int sandbox_randomseed(lua_State *L) {
    return luaL_error(L, "math.randomseed: not available: math.random draws from the run's "
                         "seed (outbox-sim run SCENARIO --seed N)");
}

static int sandbox_print(lua_State *L) {
    return luaL_error(L, "print: not available in scenarios (use note() inside at() callbacks)");
}

/* A table key reduced to what orders it: numbers, then strings, then false, true. */
typedef struct {
    int rank;                 /* 0 number, 1 string, 2 boolean */
    int isint;
    lua_Integer i;
    lua_Number n;
    const char *s;            /* anchored by the key table while sorting */
    size_t len;
    int idx;                  /* position in the key table */
} sandbox_key;

static int key_cmp(const void *pa, const void *pb) {
    const sandbox_key *a = pa, *b = pb;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->rank == 1) {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->s, b->s, n);
        if (c != 0) return c;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    if (a->rank == 2) return a->i < b->i ? -1 : a->i > b->i;
    if (a->isint && b->isint) return a->i < b->i ? -1 : a->i > b->i;
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    return b->isint - a->isint;   /* equal as doubles: the integer first, so still total */
}

/* Fills k from the key at the top of the stack; raises for keys without an order. */
static void key_of(lua_State *L, sandbox_key *k, int idx) {
    memset(k, 0, sizeof *k);
    k->idx = idx;
    switch (lua_type(L, -1)) {
    case LUA_TNUMBER:
        k->isint = lua_isinteger(L, -1);
        k->i = lua_tointeger(L, -1);
        k->n = lua_tonumber(L, -1);
        break;
    case LUA_TSTRING:
        k->rank = 1;
        k->s = lua_tolstring(L, -1, &k->len);
        break;
    case LUA_TBOOLEAN:
        k->rank = 2;
        k->i = lua_toboolean(L, -1);
        break;
    default:
        luaL_error(L, "pairs: a table with %s keys has no reproducible order; use ipairs "
                      "or string keys", luaL_typename(L, -1));
    }
}

/* Iterator of sandbox_pairs: upvalues (table, sorted keys, position). */
static int sandbox_pairs_next(lua_State *L) {
    lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer n = (lua_Integer)lua_rawlen(L, lua_upvalueindex(2));
    while (pos < n) {
        pos++;
        lua_pushinteger(L, pos);
        lua_replace(L, lua_upvalueindex(3));
        lua_rawgeti(L, lua_upvalueindex(2), pos);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 2;
        lua_pop(L, 2);    /* removed since pairs() was called: skip it */
    }
    return 0;
}

/* pairs(t): the keys present when it was called, sorted (numbers, strings, booleans). */
static int sandbox_pairs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L);                                  /* 2: keys in Lua's order */
    int n = 0;
    for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
        lua_pushvalue(L, -2);
        lua_rawseti(L, 2, ++n);
    }
    size_t nkeys = (size_t)(n ? n : 1);
    sandbox_key *keys = lua_newuserdatauv(L, sizeof(sandbox_key) * nkeys, 0);   /* 3 */
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 2, i + 1);
        key_of(L, &keys[i], i + 1);
        lua_pop(L, 1);    /* strings stay anchored in table 2 */
    }
    qsort(keys, (size_t)n, sizeof keys[0], key_cmp);
    lua_createtable(L, n, 0);                         /* 4: sorted keys */
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, 2, keys[i].idx);
        lua_rawseti(L, 4, i + 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 4);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sandbox_pairs_next, 3);
    return 1;
}

/* 1 if the value at idx would print with its address. */
static int prints_address(lua_State *L, int idx) {
    int t = lua_type(L, idx);
    if (t != LUA_TTABLE && t != LUA_TFUNCTION && t != LUA_TUSERDATA && t != LUA_TTHREAD &&
        t != LUA_TLIGHTUSERDATA)
        return 0;
    if (luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL) return 1;
    lua_pop(L, 1);
    return 0;
}

static int sandbox_tostring(lua_State *L) {
    luaL_checkany(L, 1);
    if (prints_address(L, 1)) lua_pushstring(L, luaL_typename(L, 1));
    else luaL_tolstring(L, 1, NULL);
    return 1;
}

/* string.format without addresses: %p refused, address-printing %s arguments replaced
** by their type name.  Upvalue 1: Lua's own string.format. */
static int sandbox_format(lua_State *L) {
    const char *f = luaL_checkstring(L, 1);
    for (const char *p = strchr(f, '%'); p; p = strchr(p, '%')) {
        p++;
        if (*p == '%') { p++; continue; }
        p += strspn(p, "-+ #0123456789.");
        if (*p == 'p')
            return luaL_error(L,
                              "string.format: '%%p' prints addresses, which differ between runs");
    }
    int n = lua_gettop(L);
    for (int i = 2; i <= n; i++) {
        if (!prints_address(L, i)) continue;
        lua_pushstring(L, luaL_typename(L, i));
        lua_replace(L, i);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 1);
    return 1;
}

/* setmetatable as in lbaselib.c, refusing __gc. */
static int sandbox_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    lua_pushliteral(L, "__gc");
    if (t == LUA_TTABLE && lua_rawget(L, 2) != LUA_TNIL)
        return luaL_error(L, "setmetatable: __gc is not allowed (finalizers run at times that "
                             "differ between runs)");
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* ---- opening ---------------------------------------------------------------------- */

static void set_field_nil(lua_State *L, int t, const char *name) {
    t = lua_absindex(L, t);
    lua_pushnil(L);
    lua_setfield(L, t, name);
}

static void set_field_fn(lua_State *L, int t, const char *name, lua_CFunction fn) {
    t = lua_absindex(L, t);
    lua_pushcfunction(L, fn);
    lua_setfield(L, t, name);
}

static void open_libs(lua_State *L) {
    static const luaL_Reg libs[] = {
        { LUA_GNAME, luaopen_base },      { LUA_STRLIBNAME, luaopen_string },
        { LUA_TABLIBNAME, luaopen_table }, { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 }, { NULL, NULL },
    };
    for (const luaL_Reg *l = libs; l->name; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
}

static void restrict_base(lua_State *L) {
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    static const char *const gone[] = { "dofile", "loadfile", "load", "next", "collectgarbage",
                                        "warn", NULL };
    for (const char *const *n = gone; *n; n++) set_field_nil(L, g, *n);
    set_field_fn(L, g, "print", sandbox_print);
    set_field_fn(L, g, "pairs", sandbox_pairs);
    set_field_fn(L, g, "tostring", sandbox_tostring);
    set_field_fn(L, g, "setmetatable", sandbox_setmetatable);
    lua_getfield(L, g, LUA_MATHLIBNAME);
    set_field_fn(L, -1, "random", sandbox_random);
    set_field_fn(L, -1, "randomseed", sandbox_randomseed);
    lua_pop(L, 1);
    lua_getfield(L, g, LUA_STRLIBNAME);
    set_field_nil(L, -1, "dump");
    lua_getfield(L, -1, "format");
    lua_pushcclosure(L, sandbox_format, 1);
    lua_setfield(L, -2, "format");
    lua_pop(L, 2);
}

/* Learns how Lua abbreviates the chunk name, from an empty chunk of that name. */
static void learn_short_src(lua_State *L, sandbox *s) {
    if (luaL_loadbufferx(L, "", 0, s->chunkname, "t") != LUA_OK) lua_error(L);
    lua_Debug ar;
    lua_getinfo(L, ">S", &ar);
    snprintf(s->short_src, sizeof s->short_src, "%s", ar.short_src);
}

static int sandbox_init(lua_State *L) {
    open_libs(L);
    restrict_base(L);
    learn_short_src(L, sandbox_of(L));
    return 0;
}

lua_State *sandbox_open(sandbox *s, const char *path, uint64_t random_seed, char *err,
                        size_t errlen) {
    assert(s && path && err && errlen > 0);
    memset(s, 0, sizeof *s);
    if (strlen(path) >= sizeof s->path) {
        snprintf(err, errlen, "%.200s...: path too long (limit %d bytes)", path, SBX_MAX_PATH - 1);
        return NULL;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    snprintf(s->chunkname, sizeof s->chunkname, "@%s", path);
    s->limit = SBX_MEM_LIMIT;
    ox_prng_seed(&s->prng, random_seed);
    lua_State *L = lua_newstate(sandbox_alloc, s);
    if (L == NULL) {
        snprintf(err, errlen, "%s: cannot create a Lua state: out of memory", path);
        return NULL;
    }
    *(sandbox **)lua_getextraspace(L) = s;
    lua_pushcfunction(L, sandbox_init);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "%s: cannot set up the Lua sandbox: %s", path,
                 lua_isstring(L, -1) ? lua_tostring(L, -1) : "out of memory");
        lua_close(L);
        return NULL;
    }
    return L;
}

void sandbox_close(lua_State *L) {
    if (L) lua_close(L);
}

/* ---- messages --------------------------------------------------------------------- */

/* Copies msg into err as one line that starts with the full path: Lua's abbreviated
** position is swapped for the path, a message without one is prefixed with it. */
static void one_line(const sandbox *s, const char *msg, char *err, size_t errlen) {
    size_t ns = strlen(s->short_src), np = strlen(s->path);
    if (strncmp(msg, s->short_src, ns) == 0 && msg[ns] == ':')
        snprintf(err, errlen, "%s%s", s->path, msg + ns);
    else if (strncmp(msg, s->path, np) == 0 && msg[np] == ':')
        snprintf(err, errlen, "%s", msg);
    else
        snprintf(err, errlen, "%s: %s", s->path, msg);
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' ';
}

int sandbox_line(lua_State *L) {
    sandbox *s = sandbox_of(L);
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Sl", &ar);
        if (ar.currentline > 0 && strcmp(ar.source, s->chunkname) == 0) return ar.currentline;
    }
    return 0;
}

/* Message handler: makes the error a string that starts with "short_src:LINE:", taking
** the line from the stack when the message has none (error("x", 0), error({}), an
** error raised by a C function that a C function called). */
static int sandbox_msgh(lua_State *L) {
    sandbox *s = sandbox_of(L);
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else msg = lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
    }
    size_t ns = strlen(s->short_src);
    if (strncmp(msg, s->short_src, ns) == 0 && msg[ns] == ':') {
        lua_pushstring(L, msg);
        return 1;
    }
    int line = sandbox_line(L);
    if (line > 0) lua_pushfstring(L, "%s:%d: %s", s->short_src, line, msg);
    else lua_pushstring(L, msg);
    return 1;
}

/* ---- loading and calling ------------------------------------------------------------ */

/* Reads the whole script into a fresh buffer; NULL with the reason in err. */
static char *read_script(const sandbox *s, size_t *len, char *err, size_t errlen) {
    char why[128];
    /* O_NONBLOCK so a fifo cannot block the open; then only regular files pass. */
    int fd = open(s->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "%s: cannot read scenario: %s", s->path,
                 strerror_r(errno, why, sizeof why));
        if (fd >= 0) close(fd);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: cannot read scenario: not a regular file", s->path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot read scenario: %s", s->path,
                 strerror_r(errno, why, sizeof why));
        close(fd);
        return NULL;
    }
    char *buf = malloc(SBX_MAX_FILE + 1);
    if (buf == NULL) {
        fclose(f);
        snprintf(err, errlen, "%s: cannot read scenario: out of memory", s->path);
        return NULL;
    }
    size_t n = fread(buf, 1, SBX_MAX_FILE + 1, f);
    int e = ferror(f) ? errno : 0;
    fclose(f);
    if (e != 0 || n > SBX_MAX_FILE) {
        if (e)
            snprintf(err, errlen, "%s: cannot read scenario: %s", s->path,
                     strerror_r(e, why, sizeof why));
        else
            snprintf(err, errlen, "%s: cannot read scenario: larger than %zu bytes", s->path,
                     SBX_MAX_FILE);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int sandbox_load(lua_State *L, char *err, size_t errlen) {
    sandbox *s = sandbox_of(L);
    assert(err && errlen > 0);
    size_t len = 0;
    char *buf = read_script(s, &len, err, errlen);
    if (buf == NULL) return -1;
    /* mode "t": a precompiled chunk could crash the VM, so text only */
    int rc = luaL_loadbufferx(L, buf, len, s->chunkname, "t");
    free(buf);
    if (rc == LUA_OK) return 0;
    if (rc == LUA_ERRMEM)
        snprintf(err, errlen, "%s: scenario exceeded its memory limit (%zu MiB)", s->path,
                 s->limit >> 20);
    else one_line(s, lua_isstring(L, -1) ? lua_tostring(L, -1) : "cannot load", err, errlen);
    lua_pop(L, 1);
    return -1;
}

/* 1 if the message at the top is Lua's out-of-memory message (a memory error that a C
** function caught with lua_pcall and raised again arrives as an ordinary error). */
static int is_memory_error(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    const char *tail = "not enough memory";
    size_t n = msg ? strlen(msg) : 0, nt = strlen(tail);
    return n >= nt && strcmp(msg + n - nt, tail) == 0;
}

int sandbox_call(lua_State *L, int nargs, char *err, size_t errlen) {
    sandbox *s = sandbox_of(L);
    assert(nargs >= 0 && lua_gettop(L) > nargs && err && errlen > 0);
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, sandbox_msgh);
    lua_insert(L, base);
    s->left = SBX_BUDGET;
    s->exceeded = 0;
    s->refused = 0;
    lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, SBX_HOOK_EVERY);
    int rc = lua_pcall(L, nargs, 0, base);
    lua_sethook(L, NULL, 0, 0);
    if (rc == LUA_OK) {
        lua_remove(L, base);
        return 0;
    }
    /* The budget error may have been caught and replaced on its way out: say what
    ** really happened. */
    if (s->exceeded)
        snprintf(err, errlen,
                 "%s:%d: scenario exceeded its instruction budget (%d million instructions)",
                 s->path, s->exceeded_line, SBX_BUDGET / 1000000);
    else if (rc == LUA_ERRMEM || (s->refused && is_memory_error(L)))
        snprintf(err, errlen, "%s: scenario exceeded its memory limit (%zu MiB)", s->path,
                 s->limit >> 20);
    else
        one_line(s, lua_isstring(L, -1) ? lua_tostring(L, -1) : "error", err, errlen);
    lua_pop(L, 2);    /* message and handler */
    return -1;
}
