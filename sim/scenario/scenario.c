/*
** scenario.c: loads a Lua scenario file into the plain C data of scenario.h.
**
** The file runs once, in the sandbox of sandbox.h, with the declaring functions
** below as globals; each checks its fields on the spot and appends plain C data to the
** sim_scenario, so a typo fails at load with the file and line of the call that holds
** it ("my-scenario.lua:7: drop: unknown node 'paymnt' in link ...").  at() callbacks
** stay in the Lua state and run later through scenario_fire().  The user's guide to
** every function and field is scenarios/README.md.
**
** Rules that hold throughout:
**   - every table argument is checked for unknown fields before any is read, and the
**     unknown field reported is the alphabetically first, so the message never depends
**     on Lua's hash order; likewise knobs are stored sorted by key;
**   - times are virtual seconds in Lua and microseconds in C, checked against the run
**     length set by scenario{}, which therefore comes first;
**   - nothing here is global and mutable: the loader's state (scn) lives beside the
**     sandbox, which the Lua state finds through its extra space.
*/
#include "scenario.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "../../lib/config.h"
#include "../../lib/prng.h"
#include "../../lib/service.h"
#include "../../lib/wire.h"
#include "../../proto/disk.h"
#include "sandbox.h"
#include "../util/invariant.h"

/* Sub-streams of the run's seed (ox_prng_derive): the ASCII of their purpose, far from
** the small numbers the simulator uses for its own streams. */
#define SCN_STREAM_REFUSE 0x726566757365ULL   /* "refuse": workload.refuse_rate draws */
#define SCN_STREAM_LUA 0x6c7561ULL            /* "lua": math.random */
#define SCN_STREAM_NEMESIS 0x6e656d6573697300ULL   /* "nemesis\0" + the call's number */

#define SCN_MAX_SECONDS 86400.0       /* longest run, settle, delay or restart */
#define SCN_MAX_RATE 100000.0         /* payments per virtual second */
#define SCN_MAX_COPIES 100            /* duplicate{copies} */
#define SCN_MAX_HIT 1000000           /* crash{hit} */
#define SCN_MAX_DEPTH 16              /* between() inside between() */
#define SCN_MAX_NOTE 512              /* bytes of one note() */
#define SCN_MAX_SLOW 60.0             /* slow{per_message}, seconds */
#define SCN_MIN_RATE 0.01             /* clock{rate} */
#define SCN_MAX_CLOCK_RATE 100.0
#define SCN_MAX_AMOUNT 1000000000000000LL     /* cents; ox_config max_amount is lower */

/* Defaults of scenario{} (documented in scenarios/README.md). */
#define SCN_DEFAULT_RUN 30.0
#define SCN_DEFAULT_SETTLE 120.0
#define SCN_DEFAULT_PAYMENTS 100
#define SCN_DEFAULT_RATE 10.0
#define SCN_DEFAULT_AMOUNT_MIN 100
#define SCN_DEFAULT_AMOUNT_MAX 10000
#define SCN_DEFAULT_ACCOUNTS 10
#define SCN_DEFAULT_RESTART 1.0

typedef enum { PH_LOAD = 1, PH_FIRE, PH_IDLE } scn_phase;

/* The loader's state.  `box` comes first so that scn_of() can find the loader from the
** sandbox that the Lua state points to. */
typedef struct {
    sandbox box;
    sim_scenario *sc;
    uint64_t seed;
    scn_phase phase;
    int scenario_line;        /* line of scenario{}; 0 before it */
    int expect_line;          /* line of expect{}; 0 before it */
    int64_t win_from, win_to; /* default window of the faults being declared */
    int depth;                /* between() nesting */
    double between_a, between_b;   /* innermost between(), for messages */
    int64_t now_us;           /* PH_FIRE: virtual time of the running callback */
} scn;

static scn *scn_of(lua_State *L) {
    _Static_assert(offsetof(scn, box) == 0, "scn must start with its sandbox");
    scn *c = (scn *)sandbox_of(L);
    assert(c->sc != NULL && c->phase != PH_IDLE);
    return c;
}

/* ---- names ------------------------------------------------------------------------ */

/* ---- topology: the node slots (scenario.h) ----
** Every slot has a fixed index, name and role, so that a node's name needs no scenario
** to be read; a scenario says which slots run (instances[]).  To add instances of
** another role (accounting-2, ...): append its slots here, raise SIM_MAX_NODES, and let
** topology{} set instances[] of that role; nothing else names a slot. */
typedef struct {
    ox_role role;
    int inst;                 /* 1-based instance of the role */
    const char *name;
    const char *db;           /* the database file's stem */
} scn_slot;

static const scn_slot SLOTS[SIM_MAX_NODES] = {
    { OX_ROLE_PAYMENT, 1, "payment", "payment" },
    { OX_ROLE_BROKER, 1, "broker", "broker" },
    { OX_ROLE_ACCOUNTING, 1, "accounting", "accounting" },
    { OX_ROLE_RELAY, 1, "relay-1", "payment" }, { OX_ROLE_RELAY, 2, "relay-2", "payment" },
    { OX_ROLE_RELAY, 3, "relay-3", "payment" }, { OX_ROLE_RELAY, 4, "relay-4", "payment" },
    { OX_ROLE_RELAY, 5, "relay-5", "payment" }, { OX_ROLE_RELAY, 6, "relay-6", "payment" },
    { OX_ROLE_RELAY, 7, "relay-7", "payment" }, { OX_ROLE_RELAY, 8, "relay-8", "payment" },
    /* competing consumers: the first is "accounting" (slot 2), as the broker names them
    ** (ox_config_instance_name) */
    { OX_ROLE_ACCOUNTING, 2, "accounting-2", "accounting" },
    { OX_ROLE_ACCOUNTING, 3, "accounting-3", "accounting" },
    { OX_ROLE_ACCOUNTING, 4, "accounting-4", "accounting" },
};
/* For suggestions and "nodes: ..." lists: every slot's name. */
static const char *const NODES[SIM_MAX_NODES + 1] = {
    "payment", "broker", "accounting", "relay-1", "relay-2", "relay-3", "relay-4",
    "relay-5", "relay-6", "relay-7", "relay-8", "accounting-2", "accounting-3", "accounting-4",
    NULL,
};

ox_role scenario_node_role(int node) {
    assert(node >= 0);
    assert(node < SIM_MAX_NODES);
    return SLOTS[node].role;
}

const char *scenario_node_db(int node) {
    assert(node >= 0);
    assert(node < SIM_MAX_NODES);
    return SLOTS[node].db;
}

int scenario_node_active(const sim_scenario *sc, int node) {
    assert(node >= 0);
    assert(node < SIM_MAX_NODES);
    if (node < SIM_NODES) return 1;
    return SLOTS[node].inst <= sc->instances[SLOTS[node].role];
}

int scenario_node_count(const sim_scenario *sc) {
    int n = 0;
    for (int i = 0; i < SIM_MAX_NODES; i++) n += scenario_node_active(sc, i);
    assert(n >= SIM_NODES);
    return n;
}

int scenario_node_nth(const sim_scenario *sc, int k) {
    assert(k >= 0);
    for (int i = 0; i < SIM_MAX_NODES; i++)
        if (scenario_node_active(sc, i) && k-- == 0) return i;
    assert(0 && "k below scenario_node_count");
    return 0;
}

/* The names of the nodes that run, then NULL, into out[SIM_MAX_NODES + 1]. */
static const char *const *node_list(const sim_scenario *sc, const char **out) {
    int n = 0;
    for (int i = 0; i < SIM_MAX_NODES; i++)
        if (scenario_node_active(sc, i)) out[n++] = SLOTS[i].name;
    out[n] = NULL;
    return out;
}
static const char *const QUEUES[] = { OX_PAY_QUEUE, OX_ACC_QUEUE, NULL };

/* Every frame the services exchange (lib/wire.h, ox_wire_frames: each with its sender,
** receiver, queue, label and meaning): a fault that can match none of them is a
** mistake, caught at load. */
typedef ox_frame_route scn_frame;
#define FRAMES ox_wire_frames
#define NFRAMES ((size_t)OX_WIRE_NFRAMES)

/* Labels offered as suggestions: the frame types, then every full label. */
static const char *const LABELS[] = {
    "PUBLISH", "DELIVER", "DACK", "PUBLISH PAYMENT", "DELIVER PAYMENT", "PUBLISH CONSUMED",
    "PUBLISH CONSUME_FAILED", "DELIVER CONSUMED", "DELIVER CONSUME_FAILED", NULL,
};

const char *scenario_node_name(int node) {
    if (node == SIM_ANY) return "*";
    return node >= 0 && node < SIM_MAX_NODES ? SLOTS[node].name : "?";
}

int scenario_node_parse(const char *name) {
    assert(name != NULL);
    for (int i = 0; i < SIM_MAX_NODES; i++)
        if (strcmp(name, NODES[i]) == 0) return i;
    return -1;
}

const char *scenario_knob(const sim_scenario *sc, const char *key) {
    assert(key != NULL);
    assert(sc->nknobs <= SIM_MAX_KNOBS);
    size_t n = strlen(key);
    for (int i = 0; i < sc->nknobs; i++)
        if (!strncmp(sc->knobs[i], key, n) && sc->knobs[i][n] == '=') return sc->knobs[i] + n + 1;
    return NULL;
}

/* ---- errors ----------------------------------------------------------------------- */

/* Raises a Lua error; luaL_error prefixes "FILE:LINE:" of the Lua line that called the
** running C function. */
static _Noreturn void fail(lua_State *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static _Noreturn void fail(lua_State *L, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    luaL_error(L, "%s", msg);
    abort();    /* not reached: luaL_error does not return */
}

/* Edit distance counting a swap of neighbours as one edit (the commonest typo: "rnu"),
** for "did you mean"; long names are never typos of ours. */
static int distance(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na > 64 || nb > 64) return 99;
    int d[65][65];
    for (size_t i = 0; i <= na; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= nb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[na][nb];
}

/* "did you mean 'x'? " when name is a likely typo of a candidate, else "". */
static const char *hint(const char *name, const char *const *cands, char *buf, size_t n) {
    int len = (int)strlen(name), limit = len >= 6 ? 2 : 1, best = limit + 1;
    const char *found = NULL;
    for (const char *const *c = cands; *c; c++) {
        int d = distance(name, *c);
        if (d < best && d < len) { best = d; found = *c; }
    }
    if (found) snprintf(buf, n, "did you mean '%s'? ", found);
    else if (n) buf[0] = '\0';
    return buf;
}

/* "a, b, c" */
static const char *join(const char *const *list, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *p = list; *p && used < n; p++) {
        int w = snprintf(buf + used, n - used, "%s%s", p == list ? "" : ", ", *p);
        if (w < 0) break;
        used += (size_t)w;
    }
    return buf;
}

/* Describes the value at idx for a message: -5, 2.5, 'abc', true, a table, nothing. */
static const char *got(lua_State *L, int idx, char *buf, size_t n) {
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) snprintf(buf, n, "%lld", (long long)lua_tointeger(L, idx));
        else if (isnan((double)lua_tonumber(L, idx))) snprintf(buf, n, "nan");   /* not "-nan" */
        else snprintf(buf, n, "%.14g", (double)lua_tonumber(L, idx));
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        snprintf(buf, n, "'%.60s%s'", s, len > 60 ? "..." : "");
        break;
    }
    case LUA_TBOOLEAN: snprintf(buf, n, "%s", lua_toboolean(L, idx) ? "true" : "false"); break;
    case LUA_TNIL: snprintf(buf, n, "nothing"); break;
    default: snprintf(buf, n, "a %s", luaL_typename(L, idx)); break;
    }
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';    /* the error stays one line */
    return buf;
}

/* Times in messages: seconds, or "healing" for SIM_FOREVER. */
static const char *when(int64_t us, char *buf, size_t n) {
    if (us == SIM_FOREVER) snprintf(buf, n, "healing");
    else snprintf(buf, n, "%g", (double)us / 1e6);
    return buf;
}

static int64_t to_us(double seconds) {
    assert(isfinite(seconds) && seconds >= 0 && seconds <= SCN_MAX_SECONDS);
    return (int64_t)llround(seconds * 1e6);
}

/* ---- fields ----------------------------------------------------------------------- */

/* Pushes t[name] (raw: a metatable must not invent fields) and returns its type.  name
** may be the dotted path that messages show ("workload.rate"): its last part is the key. */
static int field(lua_State *L, int t, const char *name) {
    const char *dot = strrchr(name, '.');
    t = lua_absindex(L, t);
    lua_pushstring(L, dot ? dot + 1 : name);
    return lua_rawget(L, t);
}

/* Raises unless the table at t has only the named fields.  Reports the alphabetically
** first unknown one, so the message does not depend on Lua's hash order. */
static void check_fields(lua_State *L, int t, const char *fn, const char *prefix,
                         const char *const *fields) {
    char bad[64] = "", h[96], list[256];
    int positional = 0;
    t = lua_absindex(L, t);
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING) { positional = 1; continue; }
        const char *k = lua_tostring(L, -2);
        int known = 0;
        for (const char *const *f = fields; *f && !known; f++) known = strcmp(k, *f) == 0;
        if (!known && (!bad[0] || strcmp(k, bad) < 0)) snprintf(bad, sizeof bad, "%s", k);
    }
    if (positional)    /* prefix is "" or "workload." */
        fail(L, "%s: '%.*s' takes named fields only (name = value), not a list; fields: %s", fn,
             prefix[0] ? (int)strlen(prefix) - 1 : (int)strlen(fn), prefix[0] ? prefix : fn,
             join(fields, list, sizeof list));
    if (bad[0])
        fail(L, "%s: unknown field '%s%s' (%sfields: %s)", fn, prefix[0] ? prefix : "", bad,
             hint(bad, fields, h, sizeof h), join(fields, list, sizeof list));
}

/* Rules for a number: what it is called and its bounds. */
typedef struct {
    const char *what;         /* "a number", "a time in seconds", "a probability" */
    double lo, hi;
    int lo_open, hi_open;     /* exclude the bound */
    const char *note;         /* appended to the bound, e.g. " (the run length)" */
} scn_range;

/* Checks the value at idx against r and stores it in *out. */
static void check_num(lua_State *L, int idx, const char *fn, const char *name, const scn_range *r,
                      double *out) {
    char g[96];
    double v = lua_type(L, idx) == LUA_TNUMBER ? (double)lua_tonumber(L, idx) : NAN;
    int ok = isfinite(v) && (r->lo_open ? v > r->lo : v >= r->lo) &&
             (r->hi_open ? v < r->hi : v <= r->hi);
    if (!ok)
        fail(L, "%s: '%s' must be %s %s %g and %s %g%s, got %s", fn, name, r->what,
             r->lo_open ? ">" : ">=", r->lo, r->hi_open ? "<" : "<=", r->hi, r->note ? r->note : "",
             got(L, idx, g, sizeof g));
    *out = v;
}

/* Number field t[name]: returns 0 when absent, else checks it and returns 1. */
static int num_field(lua_State *L, int t, const char *fn, const char *name, const scn_range *r,
                     double *out) {
    int present = field(L, t, name) != LUA_TNIL;
    if (present) check_num(L, -1, fn, name, r, out);
    lua_pop(L, 1);
    return present;
}

/* Checks that the value at idx is an integer in [lo, hi]. */
static int64_t check_int(lua_State *L, int idx, const char *fn, const char *name, int64_t lo,
                         int64_t hi) {
    char g[96];
    int isnum = 0;
    lua_Integer v = lua_type(L, idx) == LUA_TNUMBER ? lua_tointegerx(L, idx, &isnum) : 0;
    if (!isnum || v < lo || v > hi)
        fail(L, "%s: '%s' must be an integer from %lld to %lld, got %s", fn, name, (long long)lo,
             (long long)hi, got(L, idx, g, sizeof g));
    return (int64_t)v;
}

static int int_field(lua_State *L, int t, const char *fn, const char *name, int64_t lo, int64_t hi,
                     int64_t *out) {
    int present = field(L, t, name) != LUA_TNIL;
    if (present) *out = check_int(L, -1, fn, name, lo, hi);
    lua_pop(L, 1);
    return present;
}

/* Checks that the value at idx is a non-empty one-line string that fits buf[cap]. */
static void check_str(lua_State *L, int idx, const char *fn, const char *name, char *buf,
                      size_t cap) {
    char g[96];
    size_t len = 0;
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &len) : NULL;
    if (s == NULL) fail(L, "%s: '%s' must be a string, got %s", fn, name, got(L, idx, g, sizeof g));
    if (len == 0) fail(L, "%s: '%s' must not be empty", fn, name);
    if (len >= cap)
        fail(L, "%s: '%s' is too long (at most %zu bytes), got %s", fn, name, cap - 1,
             got(L, idx, g, sizeof g));
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20)
            fail(L, "%s: '%s' must be one line of text, got %s", fn, name,
                 got(L, idx, g, sizeof g));
    memcpy(buf, s, len + 1);
}

static int str_field(lua_State *L, int t, const char *fn, const char *name, char *buf, size_t cap) {
    int present = field(L, t, name) != LUA_TNIL;
    if (present) check_str(L, -1, fn, name, buf, cap);
    lua_pop(L, 1);
    return present;
}

/* Boolean field: -1 when absent, else 0 or 1. */
static int bool_field(lua_State *L, int t, const char *fn, const char *name) {
    char g[96];
    int ty = field(L, t, name), v = -1;
    if (ty == LUA_TBOOLEAN) v = lua_toboolean(L, -1);
    else if (ty != LUA_TNIL)
        fail(L, "%s: '%s' must be true or false, got %s", fn, name, got(L, -1, g, sizeof g));
    lua_pop(L, 1);
    return v;
}

/* Length of the list at idx; raises if it has anything but the keys 1..n. */
static int check_list(lua_State *L, int idx, const char *fn, const char *name,
                      const char *example) {
    char g[96];
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE)
        fail(L, "%s: '%s' must be a list like %s, got %s", fn, name, example,
             got(L, idx, g, sizeof g));
    lua_Unsigned n = lua_rawlen(L, idx), keys = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) keys++;
    if (keys != n || n > INT32_MAX)
        fail(L, "%s: '%s' must be a list like %s, without named fields or holes", fn, name,
             example);
    return (int)n;
}

/* {min, max} or {min = a, max = b} at idx, integers in [lo, hi]; a side left out of the
** named form is -1 (raises instead when need_both). */
static void check_range(lua_State *L, int idx, const char *fn, const char *name, int64_t lo,
                        int64_t hi, int need_both, int64_t *mn, int64_t *mx) {
    static const char *const MINMAX[] = { "min", "max", NULL };
    char g[96], sub[80];
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE)
        fail(L, "%s: '%s' must be {min, max} or {min = a, max = b}, got %s", fn, name,
             got(L, idx, g, sizeof g));
    *mn = *mx = -1;
    if (lua_rawlen(L, idx) > 0) {
        if (check_list(L, idx, fn, name, "{min, max}") != 2)
            fail(L, "%s: '%s' must be {min, max}: two numbers", fn, name);
        lua_rawgeti(L, idx, 1);
        snprintf(sub, sizeof sub, "%s[1]", name);
        *mn = check_int(L, -1, fn, sub, lo, hi);
        lua_rawgeti(L, idx, 2);
        snprintf(sub, sizeof sub, "%s[2]", name);
        *mx = check_int(L, -1, fn, sub, lo, hi);
        lua_pop(L, 2);
    } else {
        snprintf(sub, sizeof sub, "%s.", name);
        check_fields(L, idx, fn, sub, MINMAX);
        snprintf(sub, sizeof sub, "%s.min", name);
        int64_t v;
        if (int_field(L, idx, fn, sub, lo, hi, &v)) *mn = v;
        snprintf(sub, sizeof sub, "%s.max", name);
        if (int_field(L, idx, fn, sub, lo, hi, &v)) *mx = v;
    }
    if (need_both && (*mn < 0 || *mx < 0)) fail(L, "%s: '%s' needs both min and max", fn, name);
    if (*mn < 0 && *mx < 0) fail(L, "%s: '%s' needs min, max or both", fn, name);
    if (*mn >= 0 && *mx >= 0 && *mn > *mx)
        fail(L, "%s: '%s' has min %lld > max %lld", fn, name, (long long)*mn, (long long)*mx);
}

/* Raises unless fn was given exactly one table; leaves it at index 1. */
static void table_arg(lua_State *L, const char *fn, const char *example) {
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TTABLE)
        fail(L, "%s: expects one table of fields, like %s", fn, example);
}

/* Checks common to every declaring function but scenario{}: scenario{} came first, and
** the phase allows fn (load_only: not inside an at() callback). */
static scn *begin(lua_State *L, const char *fn, int load_only) {
    scn *c = scn_of(L);
    if (c->scenario_line == 0)
        fail(L,
             "%s: scenario { ... } must come first (it sets the run length that times are checked "
             "against)",
             fn);
    if (load_only && c->phase != PH_LOAD)
        fail(L, "%s: only at load time, not inside an at() callback", fn);
    return c;
}

/* ---- scenario{} ------------------------------------------------------------------- */

/* Knobs that the simulator sets itself: a scenario setting them would fight it. */
static void reserved_knob(lua_State *L, const char *key) {
    if (strcmp(key, "relays") == 0 || strcmp(key, "owner") == 0)
        fail(L, "scenario: knobs: '%s' is set by the simulator from topology { relays = N }",
             key);
    if (strcmp(key, "accounting_instances") == 0)
        fail(L, "scenario: knobs: '%s' is set by the simulator from topology { accounting = M }",
             key);
    if (strcmp(key, "design") == 0)
        fail(L, "scenario: knobs: set the design with scenario { design = ... }, not as a knob");
    if (strcmp(key, "seed") == 0)
        fail(L, "scenario: knobs: 'seed' is derived from the run's seed by the simulator "
                "(outbox-sim run --seed N)");
    if (strcmp(key, "frozen") == 0)
        fail(L,
             "scenario: knobs: 'frozen' is set by the simulator (account %d pays the payments "
             "accounting "
             "refuses); choose them with workload.refuse or workload.refuse_rate",
             SIM_FROZEN_ACCOUNT);
}

/* The text form of the knob value at the top of the stack. */
static void knob_text(lua_State *L, const char *key, char *buf, size_t n) {
    char g[96];
    switch (lua_type(L, -1)) {
    case LUA_TBOOLEAN: snprintf(buf, n, "%d", lua_toboolean(L, -1)); return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, -1)) snprintf(buf, n, "%lld", (long long)lua_tointeger(L, -1));
        else snprintf(buf, n, "%.14g", (double)lua_tonumber(L, -1));   /* 2.0 -> "2" */
        return;
    case LUA_TSTRING: {
        char name[80];
        snprintf(name, sizeof name, "knobs.%s", key);
        check_str(L, -1, "scenario", name, buf, n);
        return;
    }
    default:
        fail(L, "scenario: knob '%s' must be a string, number or boolean, got %s", key,
             got(L, -1, g, sizeof g));
    }
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* knobs = { key = value, ... }: validated on a scratch config (so a bad knob fails here,
** with its line) and stored as "key=value" sorted by key. */
static void read_knobs(lua_State *L, scn *c, int t, ox_config *cfg) {
    sim_scenario *sc = c->sc;
    const char *keys[SIM_MAX_KNOBS];
    int n = 0;
    if (lua_type(L, t) != LUA_TTABLE)
        fail(L, "scenario: 'knobs' must be a table like { retry = \"linear\", max_attempts = 8 }");
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            fail(L, "scenario: 'knobs' takes named knobs, like knobs = { retry = \"linear\" }, not "
                    "a list");
        if (n == SIM_MAX_KNOBS) fail(L, "scenario: too many knobs (limit %d)", SIM_MAX_KNOBS);
        keys[n++] = lua_tostring(L, -2);    /* anchored: it is a key of the knobs table */
    }
    qsort(keys, (size_t)n, sizeof keys[0], cmp_str);
    sc->nknobs = 0;
    for (int i = 0; i < n; i++) {
        char value[128], err[1024];
        reserved_knob(L, keys[i]);
        lua_pushstring(L, keys[i]);    /* not field(): a knob name is not a dotted path */
        lua_rawget(L, t);
        knob_text(L, keys[i], value, sizeof value);
        lua_pop(L, 1);
        char *kv = sc->knobs[sc->nknobs];
        if ((size_t)snprintf(kv, sizeof sc->knobs[0], "%s=%s", keys[i], value) >=
            sizeof sc->knobs[0])
            fail(L, "scenario: knob '%s' is too long (key=value at most %zu bytes)", keys[i],
                 sizeof sc->knobs[0] - 1);
        if (ox_config_set_kv(cfg, kv, err, sizeof err) != 0) fail(L, "scenario: knobs: %s", err);
        sc->nknobs++;
    }
}

/* workload.refuse = {3, 7}: payment numbers accounting will refuse. */
static void read_refuse_list(lua_State *L, sim_workload *w, int t) {
    char g[96], name[48];
    if (field(L, t, "refuse") == LUA_TNIL) { lua_pop(L, 1); return; }
    int n = check_list(L, -1, "scenario", "workload.refuse", "{3, 7}");
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        snprintf(name, sizeof name, "workload.refuse[%d]", i);
        int isint = 0;
        lua_Integer p = lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
        if (!isint)
            fail(L, "scenario: '%s' must be a payment number, got %s", name,
                 got(L, -1, g, sizeof g));
        if (p < 1 || p > (lua_Integer)w->payments)
            fail(L, "scenario: '%s' names payment %lld, but payments are numbered 1..%u", name,
                 (long long)p, w->payments);
        w->refuse[p] = 1;
        w->refusals = 1;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* workload.refuse_rate: each payment refused with this chance, drawn from the seed. */
static void draw_refusals(lua_State *L, scn *c, sim_workload *w, int t) {
    static const scn_range FRACTION = { "a fraction", 0, 1, 0, 0, NULL };
    double rate;
    if (!num_field(L, t, "scenario", "workload.refuse_rate", &FRACTION, &rate)) return;
    w->refusals = rate > 0;
    ox_prng p;
    ox_prng_seed(&p, ox_prng_derive(c->seed, SCN_STREAM_REFUSE));
    for (uint32_t i = 1; i <= w->payments; i++)
        if (ox_prng_chance(&p, rate)) w->refuse[i] = 1;
}

static void read_workload(lua_State *L, scn *c, int t, const ox_config *cfg) {
    static const char *const FIELDS[] = { "payments", "rate",        "amount",         "accounts",
                                          "refuse",   "refuse_rate", "client_retries", NULL };
    static const scn_range RATE = { "a number", 0, SCN_MAX_RATE,
                                    1,          0, " (payments per virtual second)" };
    sim_workload *w = &c->sc->workload;
    int64_t v;
    if (lua_type(L, t) != LUA_TTABLE)
        fail(L, "scenario: 'workload' must be a table like { payments = 100, rate = 10 }");
    check_fields(L, t, "scenario", "workload.", FIELDS);
    if (int_field(L, t, "scenario", "workload.payments", 0, SIM_MAX_PAYMENTS, &v))
        w->payments = (uint32_t)v;
    num_field(L, t, "scenario", "workload.rate", &RATE, &w->rate);
    if (int_field(L, t, "scenario", "workload.accounts", 1, SIM_FROZEN_ACCOUNT - 1, &v))
        w->accounts = (uint32_t)v;
    if (int_field(L, t, "scenario", "workload.client_retries", 0, SIM_MAX_CLIENT_RETRIES, &v))
        w->client_retries = (uint32_t)v;
    if (field(L, t, "amount") != LUA_TNIL)
        check_range(L, -1, "scenario", "workload.amount", 1, SCN_MAX_AMOUNT, 1, &w->amount_min,
                    &w->amount_max);
    lua_pop(L, 1);
    /* An amount drawn over max_amount is refused by the rule (business_rules judges it),
    ** and the history counts it refused, so compensation expects its refund. */
    w->limit = cfg->max_amount;
    assert(w->limit > 0);
    double need = w->payments / w->rate, run = (double)c->sc->run_us / 1e6;
    if (need > run + 1e-9)
        fail(L,
             "scenario: the workload does not fit in the run: %u payments at %g per second take %g "
             "s, "
             "but run = %g s",
             w->payments, w->rate, need, run);
    free(w->refuse);
    w->refuse = calloc((size_t)w->payments + 1, 1);
    if (w->refuse == NULL) fail(L, "scenario: out of memory for %u payments", w->payments);
    read_refuse_list(L, w, t);
    draw_refusals(L, c, w, t);
    if (w->amount_max > w->limit) w->refusals = 1;
}

static void defaults(sim_scenario *sc) {
    for (int r = 0; r < OX_ROLE_COUNT; r++) sc->instances[r] = r == OX_ROLE_RELAY ? 0 : 1;
    snprintf(sc->design, sizeof sc->design, "%s", "outbox");
    sc->run_us = to_us(SCN_DEFAULT_RUN);
    sc->settle_us = to_us(SCN_DEFAULT_SETTLE);
    sc->nknobs = 0;
    sim_workload *w = &sc->workload;
    w->payments = SCN_DEFAULT_PAYMENTS;
    w->rate = SCN_DEFAULT_RATE;
    w->amount_min = SCN_DEFAULT_AMOUNT_MIN;
    w->amount_max = SCN_DEFAULT_AMOUNT_MAX;
    w->accounts = SCN_DEFAULT_ACCOUNTS;
    w->client_retries = SIM_DEFAULT_CLIENT_RETRIES;
    memset(&sc->expect, 0, sizeof sc->expect);
    sc->expect.all_invariants = 1;
    sc->expect.dead_min = sc->expect.dead_max = -1;
}

static void read_design(lua_State *L, sim_scenario *sc) {
    char h[96];
    ox_design d;
    if (!str_field(L, 1, "scenario", "design", sc->design, sizeof sc->design)) return;
    if (ox_design_parse(sc->design, &d) == 0) return;
    /* ox_design_names() is one comma list; split a copy for the suggestion */
    char names[1024];
    const char *cands[OX_DESIGN_COUNT + 1];
    int n = 0;
    int len = snprintf(names, sizeof names, "%s", ox_design_names());
    assert(len >= 0 && (size_t)len < sizeof names);   /* every name, none cut short */
    for (char *save = NULL, *tok = strtok_r(names, ", ", &save); tok && n < OX_DESIGN_COUNT;
         tok = strtok_r(NULL, ", ", &save))
        cands[n++] = tok;
    cands[n] = NULL;
    fail(L, "scenario: unknown design '%s' (%sdesigns: %s)", sc->design,
         hint(sc->design, cands, h, sizeof h), ox_design_names());
}

/* scenario { name, design, knobs, workload, run, settle }: exactly once, first. */
static int l_scenario(lua_State *L) {
    static const char *const FIELDS[] = { "name", "design", "knobs", "workload",
                                          "run",  "settle", NULL };
    static const scn_range RUN = { "a time in seconds", 0, SCN_MAX_SECONDS, 1, 0, NULL };
    static const scn_range SETTLE = { "a time in seconds", 0, SCN_MAX_SECONDS, 0, 0, NULL };
    scn *c = scn_of(L);
    sim_scenario *sc = c->sc;
    double v;
    if (c->phase != PH_LOAD) fail(L, "scenario: only at load time, not inside an at() callback");
    if (c->scenario_line) fail(L, "scenario: declared twice (first at line %d)", c->scenario_line);
    table_arg(L, "scenario", "scenario { name = \"...\", run = 30, settle = 120 }");
    check_fields(L, 1, "scenario", "", FIELDS);
    defaults(sc);    /* again: a scenario{} caught by pcall may have left half a state */
    if (!str_field(L, 1, "scenario", "name", sc->name, sizeof sc->name))
        fail(L, "scenario: 'name' is required: one line saying what the scenario shows");
    read_design(L, sc);
    if (num_field(L, 1, "scenario", "run", &RUN, &v)) sc->run_us = to_us(v);
    if (num_field(L, 1, "scenario", "settle", &SETTLE, &v)) sc->settle_us = to_us(v);
    ox_config cfg;
    ox_config_default(&cfg);
    if (field(L, 1, "knobs") != LUA_TNIL) read_knobs(L, c, lua_gettop(L), &cfg);
    lua_pop(L, 1);
    if (field(L, 1, "workload") == LUA_TNIL) {    /* the defaults still get checked */
        lua_pop(L, 1);
        lua_newtable(L);
    }
    read_workload(L, c, lua_gettop(L), &cfg);
    lua_pop(L, 1);
    c->scenario_line = sandbox_line(L);
    if (c->scenario_line <= 0) c->scenario_line = 1;
    return 0;
}

/* ---- windows ------------------------------------------------------------------------ */

/* The window that faults declared now get by default, for messages. */
static const char *enclosing(const scn *c, char *buf, size_t n) {
    char a[32], b[32];
    if (c->depth > 0) snprintf(buf, n, "between(%g, %g)", c->between_a, c->between_b);
    else if (c->phase == PH_FIRE)
        snprintf(buf, n, "the window of this at() callback [%s, %s)",
                 when(c->win_from, a, sizeof a), when(c->win_to, b, sizeof b));
    else snprintf(buf, n, "the run [0, %s)", when(c->sc->run_us, a, sizeof a));
    return buf;
}

/* start/stop of the fault table at t, intersected with the enclosing window. */
static void read_window(lua_State *L, scn *c, const char *fn, int t, int64_t *from, int64_t *to) {
    double run = (double)c->sc->run_us / 1e6, a = 0, b = 0;
    const scn_range START = { "a time in seconds", 0, run, 0, 1, " (the run length)" };
    const scn_range STOP = { "a time in seconds", 0, run, 1, 0, " (the run length)" };
    int has_a = num_field(L, t, fn, "start", &START, &a);
    int has_b = num_field(L, t, fn, "stop", &STOP, &b);
    if (has_a && has_b && a >= b) fail(L, "%s: 'start' (%g) must be before 'stop' (%g)", fn, a, b);
    *from = c->win_from;
    *to = c->win_to;
    if (has_a && to_us(a) > *from) *from = to_us(a);
    if (has_b && to_us(b) < *to) *to = to_us(b);
    if (*from >= *to) {
        char e[128];
        fail(L, "%s: its window [%g, %g) does not overlap %s", fn, has_a ? a : 0.0, has_b ? b : run,
             enclosing(c, e, sizeof e));
    }
}

/* ---- frame faults: drop, duplicate, delay ---------------------------------------------- */

/* The directions a fault covers: one, or two for "a<->b". */
typedef struct {
    int src[2], dst[2];
    int n;
} scn_dirs;

/* One side of a link: a node name or "*", blanks around it ignored. */
static int link_side(lua_State *L, const char *fn, const char *link, const char *s, size_t n) {
    char name[32], h[96], list[160];
    while (n > 0 && *s == ' ') { s++; n--; }
    while (n > 0 && s[n - 1] == ' ') n--;
    if (n == 1 && *s == '*') return SIM_ANY;
    snprintf(name, sizeof name, "%.*s", (int)n, s);
    int node = n < sizeof name ? scenario_node_parse(name) : -1;
    const char *names[SIM_MAX_NODES + 1];
    node_list(scn_of(L)->sc, names);
    if (node < 0 || !scenario_node_active(scn_of(L)->sc, node))
        fail(L, "%s: unknown node '%s' in link '%s' (%snodes: %s)", fn, name, link,
             hint(name, names, h, sizeof h), join(names, list, sizeof list));
    return node;
}

static void parse_link(lua_State *L, const char *fn, const char *link, scn_dirs *d) {
    const char *two = strstr(link, "<->"), *one = strstr(link, "->");
    const char *arrow = two ? two : one;
    if (arrow == NULL)
        fail(L,
             "%s: 'link' must look like \"payment->broker\", \"*->broker\" or "
             "\"broker<->accounting\", got '%s'",
             fn, link);
    size_t w = two ? 3 : 2;
    int a = link_side(L, fn, link, link, (size_t)(arrow - link));
    int b = link_side(L, fn, link, arrow + w, strlen(arrow + w));
    if (a == b && a != SIM_ANY) fail(L, "%s: link '%s' goes from a node to itself", fn, link);
    d->src[0] = a, d->dst[0] = b, d->n = 1;
    if (two && !(a == SIM_ANY && b == SIM_ANY)) d->src[1] = b, d->dst[1] = a, d->n = 2;
}

/* from = node / to = node (each may be "*"). */
static int node_field(lua_State *L, int t, const char *fn, const char *name) {
    char buf[32], h[96], list[160];
    if (!str_field(L, t, fn, name, buf, sizeof buf)) return SIM_ANY;
    if (strcmp(buf, "*") == 0) return SIM_ANY;
    int node = scenario_node_parse(buf);
    const char *names[SIM_MAX_NODES + 1];
    node_list(scn_of(L)->sc, names);
    if (node < 0 || !scenario_node_active(scn_of(L)->sc, node))
        fail(L, "%s: unknown node '%s' in '%s' (%snodes: %s)", fn, buf, name,
             hint(buf, names, h, sizeof h), join(names, list, sizeof list));
    return node;
}

static void read_endpoints(lua_State *L, const char *fn, scn_dirs *d) {
    char link[96];
    int has_link = str_field(L, 1, fn, "link", link, sizeof link);
    int has_from = field(L, 1, "from") != LUA_TNIL, has_to = field(L, 1, "to") != LUA_TNIL;
    lua_pop(L, 2);
    if (has_link && (has_from || has_to))
        fail(L, "%s: give either 'link' or 'from'/'to', not both", fn);
    if (has_link) {
        parse_link(L, fn, link, d);
        return;
    }
    d->src[0] = node_field(L, 1, fn, "from");
    d->dst[0] = node_field(L, 1, fn, "to");
    d->n = 1;
    if (d->src[0] == d->dst[0] && d->src[0] != SIM_ANY)
        fail(L, "%s: 'from' and 'to' name the same node", fn);
}

/* The role whose frames node n sends, as FRAMES lists them: a relay sends the payment's
** PUBLISH PAYMENT frames (lib/relay.h), and nothing else; every other node its own. */
static int frame_src_matches(int n, const scn_frame *fr) {
    if (n == SIM_ANY) return 1;
    if (scenario_node_role(n) == OX_ROLE_ACCOUNTING) return fr->src == OX_ROLE_ACCOUNTING;
    if (scenario_node_role(n) != OX_ROLE_RELAY) return n == (int)fr->src;
    return fr->src == OX_ROLE_PAYMENT && strncmp(fr->label, "PUBLISH", 7) == 0;
}

/* Every accounting instance (accounting-2..) receives what accounting does. */
static int frame_dst_matches(int n, const scn_frame *fr) {
    if (n == SIM_ANY) return 1;
    if (scenario_node_role(n) == OX_ROLE_ACCOUNTING) return fr->dst == OX_ROLE_ACCOUNTING;
    return n == (int)fr->dst;
}

static int frame_matches(const scn_frame *fr, int src, int dst, const char *queue,
                         const char *label) {
    return frame_src_matches(src, fr) && frame_dst_matches(dst, fr) &&
           (!queue[0] || strcmp(queue, fr->queue) == 0) &&
           (!label[0] || strncmp(label, fr->label, strlen(label)) == 0);
}

static int any_frame(int src, int dst, const char *queue, const char *label) {
    for (size_t i = 0; i < NFRAMES; i++)
        if (frame_matches(&FRAMES[i], src, dst, queue, label)) return 1;
    return 0;
}

/* 1 if every frame the directions d can carry with this queue and label is an answer to a
** refused payment (CONSUME_FAILED): a fault on those acts only when a payment is refused. */
static int only_refusal_answers(const scn_dirs *d, const char *queue, const char *label) {
    for (int k = 0; k < d->n; k++)
        for (size_t i = 0; i < NFRAMES; i++)
            if (frame_matches(&FRAMES[i], d->src[k], d->dst[k], queue, label) &&
                !strstr(FRAMES[i].label, "CONSUME_FAILED"))
                return 0;
    return 1;
}

/* Raises: no frame from src to dst has this queue and label; says which frames do. */
static _Noreturn void no_frame(lua_State *L, const char *fn, int src, int dst, const char *queue,
                               const char *label) {
    const char *s = scenario_node_name(src), *d = scenario_node_name(dst);
    if (!any_frame(src, dst, "", ""))
        fail(L, "%s: no frame travels %s->%s (links: payment<->broker, broker<->accounting)", fn, s,
             d);
    char there[512], want[128];
    size_t used = 0;
    there[0] = '\0';
    for (size_t i = 0; i < NFRAMES && used < sizeof there; i++) {
        if (!frame_matches(&FRAMES[i], src, dst, "", "")) continue;
        int w = snprintf(there + used, sizeof there - used, "%s%s (%s->%s, %s)", used ? ", " : "",
                         FRAMES[i].label, scenario_node_name(FRAMES[i].src),
                         scenario_node_name(FRAMES[i].dst), FRAMES[i].queue);
        if (w > 0) used += (size_t)w;
    }
    snprintf(want, sizeof want, "%s%s%s%s%s%s%s", queue[0] ? "queue '" : "", queue,
             queue[0] ? "'" : "", queue[0] && label[0] ? " and " : "", label[0] ? "label '" : "",
             label, label[0] ? "'" : "");
    fail(L, "%s: no frame on %s->%s has %s (frames there: %s)", fn, s, d, want, there);
}

static void read_queue_label(lua_State *L, const char *fn, sim_fault *f) {
    char h[96], list[256];
    if (str_field(L, 1, fn, "queue", f->queue, sizeof f->queue)) {
        int known = 0;
        for (const char *const *q = QUEUES; *q && !known; q++) known = strcmp(f->queue, *q) == 0;
        if (!known)
            fail(L, "%s: unknown queue '%s' (%squeues: %s)", fn, f->queue,
                 hint(f->queue, QUEUES, h, sizeof h), join(QUEUES, list, sizeof list));
    }
    if (str_field(L, 1, fn, "label", f->label, sizeof f->label) &&
        !any_frame(SIM_ANY, SIM_ANY, "", f->label))
        fail(L, "%s: label '%s' begins no frame label (%slabels: %s)", fn, f->label,
             hint(f->label, LABELS, h, sizeof h), join(LABELS + 3, list, sizeof list));
}

/* p = probability, or nth = the one frame; neither: every matching frame. */
static void read_chance(lua_State *L, const char *fn, sim_fault *f) {
    static const scn_range PROB = { "a probability", 0, 1, 0, 0, NULL };
    int64_t nth = 0;
    int has_p = num_field(L, 1, fn, "p", &PROB, &f->p);
    int has_nth = int_field(L, 1, fn, "nth", 1, UINT32_MAX, &nth);
    if (has_p && has_nth) fail(L, "%s: give either 'p' or 'nth', not both", fn);
    if (!has_p) f->p = 1.0;
    f->nth = (uint32_t)nth;
}

static void read_delay(lua_State *L, const char *fn, sim_fault *f) {
    static const scn_range SECS = { "a time in seconds", 0, SCN_MAX_SECONDS, 0, 0, NULL };
    static const scn_range MAX = { "a time in seconds", 0, SCN_MAX_SECONDS, 1, 0, NULL };
    double mn = 0, mx = 0;
    num_field(L, 1, fn, "min", &SECS, &mn);
    if (!num_field(L, 1, fn, "max", &MAX, &mx))
        fail(L,
             "%s: needs 'max', the most extra latency in seconds, like delay { link = "
             "\"broker->accounting\", min = 0.5, max = 2 }",
             fn);
    if (mn > mx) fail(L, "%s: 'min' (%g) must be <= 'max' (%g)", fn, mn, mx);
    f->min_us = to_us(mn);
    f->max_us = to_us(mx);
}

static sim_fault new_fault(sim_fault_kind kind, int line) {
    sim_fault f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.line = line;
    f.src = f.dst = f.node = SIM_ANY;
    f.at_us = -1;
    f.restart_after_us = -1;
    f.from_us = 0;
    f.to_us = SIM_FOREVER;
    return f;
}

/* Appends f; the caller made sure there is room. */
static void push_fault(scn *c, const sim_fault *f) {
    sim_scenario *sc = c->sc;
    assert(sc->nfaults < SIM_MAX_FAULTS);
    sc->faults[sc->nfaults] = *f;
    sc->faults[sc->nfaults].id = sc->nfaults + 1;
    sc->nfaults++;
}

static void room_for(lua_State *L, scn *c, const char *fn, int n) {
    if (c->sc->nfaults + n > SIM_MAX_FAULTS)
        fail(L, "%s: too many faults (limit %d)", fn, SIM_MAX_FAULTS);
}

static int frame_fault(lua_State *L, sim_fault_kind kind, const char *fn, const char *const *fields,
                       const char *example) {
    scn *c = begin(L, fn, 0);
    table_arg(L, fn, example);
    check_fields(L, 1, fn, "", fields);
    sim_fault f = new_fault(kind, sandbox_line(L));
    scn_dirs d;
    read_endpoints(L, fn, &d);
    read_queue_label(L, fn, &f);
    int64_t pay = 0;
    if (int_field(L, 1, fn, "pay", 1, c->sc->workload.payments ? c->sc->workload.payments : 1,
                  &pay))
        f.pay = (uint64_t)pay;
    size_t nl = strlen(f.label);
    if (f.pay && nl && !strncmp("DACK", f.label, nl) && strncmp("DELIVER", f.label, nl))
        fail(L, "%s: 'pay' cannot match label '%s': a DACK is about a delivery, not a payment", fn,
             f.label);
    read_chance(L, fn, &f);
    if (kind == FK_DUPLICATE) {
        int64_t copies = 1;
        int_field(L, 1, fn, "copies", 1, SCN_MAX_COPIES, &copies);
        f.copies = (uint32_t)copies;
    }
    if (kind == FK_DELAY) read_delay(L, fn, &f);
    read_window(L, c, fn, 1, &f.from_us, &f.to_us);
    /* "a<->b" declares the directions some frame can take; none is a mistake */
    int ok[2] = { 0, 0 }, nok = 0;
    for (int i = 0; i < d.n; i++) nok += ok[i] = any_frame(d.src[i], d.dst[i], f.queue, f.label);
    if (nok == 0) no_frame(L, fn, d.src[0], d.dst[0], f.queue, f.label);
    if (!c->sc->workload.refusals && only_refusal_answers(&d, f.queue, f.label))
        fail(L, "%s: only CONSUME_FAILED answers match, and this workload refuses no payment: the "
                "fault could never act (refuse some with workload.refuse or "
                "workload.refuse_rate)", fn);
    room_for(L, c, fn, nok);
    for (int i = 0; i < d.n; i++) {
        if (!ok[i]) continue;
        f.src = d.src[i];
        f.dst = d.dst[i];
        push_fault(c, &f);
    }
    return 0;
}

#define FRAME_FIELDS "link", "from", "to", "queue", "label", "pay", "p", "nth", "start", "stop"

static int l_drop(lua_State *L) {
    static const char *const FIELDS[] = { FRAME_FIELDS, NULL };
    return frame_fault(L, FK_DROP, "drop", FIELDS, "drop { link = \"payment->broker\", p = 0.3 }");
}

static int l_duplicate(lua_State *L) {
    static const char *const FIELDS[] = { FRAME_FIELDS, "copies", NULL };
    return frame_fault(L, FK_DUPLICATE, "duplicate", FIELDS,
                       "duplicate { link = \"broker->accounting\", p = 0.3 }");
}

static int l_corrupt(lua_State *L) {
    static const char *const FIELDS[] = { FRAME_FIELDS, NULL };
    return frame_fault(L, FK_CORRUPT, "corrupt", FIELDS,
                       "corrupt { link = \"broker->accounting\", p = 0.1 }");
}

static int l_delay(lua_State *L) {
    static const char *const FIELDS[] = { FRAME_FIELDS, "min", "max", NULL };
    return frame_fault(L, FK_DELAY, "delay", FIELDS,
                       "delay { link = \"broker->accounting\", min = 0.5, max = 2 }");
}

/* ---- crash ---------------------------------------------------------------------------- */

/* A sync point, "<node>.after_sync": passed by a node's host after each sync of its
** simulated disk, only when OUTBOX_SYNC_POINTS=1 is in its environment (node/simhost.c;
** explore --power sets it). */
static int sync_failpoint(const char *name) {
    char node[32];
    size_t n = strcspn(name, ".");
    if (n >= sizeof node || strcmp(name + n, ".after_sync") != 0) return 0;
    snprintf(node, sizeof node, "%.*s", (int)n, name);
    return scenario_node_parse(node) >= 0;
}

static void crash_at_failpoint(lua_State *L, const char *fn, scn *c, sim_fault *f, int has_node) {
    char h[96], node[32];
    const char *const *fps = ox_service_failpoints();
    int known = sync_failpoint(f->failpoint);
    const char *sp = getenv("OUTBOX_SYNC_POINTS"), *disk = getenv("OUTBOX_SIM_DISK");
    if (known && !(sp && !strcmp(sp, "1") && disk && !strcmp(disk, "simulated")))
        fail(L, "%s: failpoint '%s' is a sync point, passed only with OUTBOX_SIM_DISK=simulated "
             "OUTBOX_SYNC_POINTS=1 in the environment (outbox-sim explore --sync-points)", fn,
             f->failpoint);
    for (const char *const *p = fps; *p && !known; p++) known = strcmp(f->failpoint, *p) == 0;
    for (int i = 0; i < c->sc->nown_fps && !known; i++)   /* failpoints { } */
        known = strcmp(f->failpoint, c->sc->own_fps[i]) == 0;
    if (!known)
        fail(L, "%s: unknown failpoint '%s' (%ssee outbox-sim failpoints)", fn, f->failpoint,
             hint(f->failpoint, fps, h, sizeof h));
    /* failpoints are named "<node>.<place>" */
    snprintf(node, sizeof node, "%.*s", (int)strcspn(f->failpoint, "."), f->failpoint);
    int owner = scenario_node_parse(node);
    assert(owner >= 0);
    /* a relay passes the scan's failpoints of the payment code it runs (lib/relay.h) */
    if (has_node && scenario_node_role(f->node) == OX_ROLE_RELAY && owner == 0 &&
        strncmp(f->failpoint, "payment.scan_", 13) == 0)
        owner = f->node;
    /* every accounting instance runs accounting's code, and passes its failpoints */
    if (has_node && scenario_node_role(f->node) == OX_ROLE_ACCOUNTING && owner == 2)
        owner = f->node;
    if (has_node && f->node != owner)
        fail(L, "%s: failpoint '%s' is in %s, not in %s", fn, f->failpoint, node,
             scenario_node_name(f->node));
    f->node = owner;
    if (c->depth > 0 || c->phase == PH_FIRE)
        fail(
            L,
            "%s: 'at_failpoint' counts hits from the start of the run, so it cannot be declared "
            "inside between() or an at() callback", fn);
    int64_t hit = 1;
    int_field(L, 1, fn, "hit", 1, SCN_MAX_HIT, &hit);
    f->hit = (uint32_t)hit;
}

static void crash_at_time(lua_State *L, const char *fn, scn *c, sim_fault *f, int has_node,
                          int has_at, double at) {
    char e[128], a[32];
    if (field(L, 1, "hit") != LUA_TNIL) fail(L, "%s: 'hit' only goes with 'at_failpoint'", fn);
    lua_pop(L, 1);
    if (!has_node)
        fail(L, "%s: needs 'node' (%s, %s or %s)", fn, NODES[0], NODES[1], NODES[2]);
    if (!has_at && c->depth == 0 && c->phase != PH_FIRE)
        fail(L, "%s: needs 'at' (seconds) or 'at_failpoint' (a failpoint name)", fn);
    f->at_us = has_at ? to_us(at) : c->win_from;    /* inside between()/at(): its start */
    if (f->at_us < c->win_from || f->at_us >= c->win_to)
        fail(L, "%s: 'at' = %s s lies outside %s", fn, when(f->at_us, a, sizeof a),
             enclosing(c, e, sizeof e));
    f->from_us = c->win_from;
    f->to_us = c->win_to;
}

static void read_restart(lua_State *L, const char *fn, sim_fault *f) {
    static const scn_range SECS = { "a time in seconds", 0, SCN_MAX_SECONDS, 0, 0, NULL };
    double after = SCN_DEFAULT_RESTART;
    int has_after = num_field(L, 1, fn, "restart_after", &SECS, &after);
    int restart = bool_field(L, 1, fn, "restart");
    if (restart == 0 && has_after) fail(L, "%s: 'restart = false' contradicts 'restart_after'", fn);
    f->restart_after_us = restart == 0 ? -1 : to_us(after);
}

/* The fields crash{} and power_loss{} share: node, at | at_failpoint [, hit],
** restart_after | restart = false. */
static void read_kill(lua_State *L, scn *c, const char *fn, sim_fault *f) {
    int has_node = field(L, 1, "node") != LUA_TNIL;
    lua_pop(L, 1);
    if (has_node) f->node = node_field(L, 1, fn, "node");
    if (has_node && f->node == SIM_ANY) fail(L, "%s: 'node' must name one node, not \"*\"", fn);
    double run = (double)c->sc->run_us / 1e6, at = 0;
    const scn_range AT = { "a time in seconds", 0, run, 0, 1, " (the run length)" };
    int has_at = num_field(L, 1, fn, "at", &AT, &at);
    int has_fp = str_field(L, 1, fn, "at_failpoint", f->failpoint, sizeof f->failpoint);
    if (has_at && has_fp) fail(L, "%s: give either 'at' or 'at_failpoint', not both", fn);
    if (has_fp) crash_at_failpoint(L, fn, c, f, has_node);
    else crash_at_time(L, fn, c, f, has_node, has_at, at);
    read_restart(L, fn, f);
}

/* One name of failpoints { }: "<role>.<place>", place of [a-z0-9_], not this project's. */
static void own_failpoint(lua_State *L, sim_scenario *sc, const char *name) {
    const char *fn = "failpoints";
    char role[16];
    ox_role parsed;
    size_t r = strcspn(name, "."), len = strlen(name);
    snprintf(role, sizeof role, "%.*s", (int)(r < sizeof role ? r : sizeof role - 1), name);
    if (r >= sizeof role || name[r] != '.' || ox_role_parse(role, &parsed) != 0)
        fail(L, "%s: '%s' is not <role>.<place> with role payment, broker, accounting or relay",
             fn, name);
    if (len == r + 1 || len > 64 || strspn(name + r + 1, "abcdefghijklmnopqrstuvwxyz0123456789_")
                                        != len - r - 1)
        fail(L, "%s: '%s': the place after the role is 1 to %d of a-z, 0-9 and _", fn, name,
             (int)(63 - r));
    if (sync_failpoint(name))
        fail(L, "%s: '%s' is a sync point, not a failpoint to declare", fn, name);
    for (const char *const *p = ox_service_failpoints(); *p; p++)
        if (!strcmp(*p, name))
            fail(L, "%s: '%s' is one of this project's failpoints (outbox-sim failpoints): "
                 "it needs no declaring", fn, name);
    for (int i = 0; i < sc->nown_fps; i++)
        if (!strcmp(sc->own_fps[i], name)) return;   /* named twice: once is enough */
    if (sc->nown_fps == SIM_MAX_OWN_FPS)
        fail(L, "%s: more than %d names", fn, SIM_MAX_OWN_FPS);
    snprintf(sc->own_fps[sc->nown_fps++], sizeof sc->own_fps[0], "%s", name);
}

/* failpoints { "payment.mid_pay", ... }: the implementation under test has these
** failpoints beyond this project's, so crash{} and power_loss{} after it may name them;
** the world checks at each START that the node declares them (world_apply_reply). */
static int l_failpoints(lua_State *L) {
    scn *c = begin(L, "failpoints", 1);
    if (!lua_istable(L, 1) || lua_gettop(L) != 1)
        fail(L, "failpoints: give a list of names, failpoints { \"payment.my_point\" }");
    lua_Integer n = luaL_len(L, 1), keys = 0;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        keys++;
        lua_pop(L, 1);
    }
    if (n == 0 || keys != n) fail(L, "failpoints: give a non-empty list of names, nothing else");
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_geti(L, 1, i) != LUA_TSTRING)
            fail(L, "failpoints: entry %d is not a string", (int)i);
        own_failpoint(L, c->sc, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    if (c->sc->own_fps_line == 0) c->sc->own_fps_line = sandbox_line(L);
    return 0;
}

/* crash { node, at | at_failpoint [, hit], restart_after | restart = false } */
static int l_crash(lua_State *L) {
    static const char *const FIELDS[] = { "node",    "at", "at_failpoint", "hit", "restart_after",
                                          "restart", NULL };
    scn *c = begin(L, "crash", 0);
    table_arg(L, "crash", "crash { node = \"payment\", at = 12, restart_after = 2 }");
    check_fields(L, 1, "crash", "", FIELDS);
    sim_fault f = new_fault(FK_CRASH, sandbox_line(L));
    read_kill(L, c, "crash", &f);
    room_for(L, c, "crash", 1);
    push_fault(c, &f);
    return 0;
}

/* ---- power_loss ------------------------------------------------------------------------ */

static int shares_db(const sim_scenario *sc, int node);

/* power_loss { node, at | at_failpoint [, hit], keep, restart_after | restart = false }:
** a crash (the same fields, the same checks) after which the node's disk keeps only what
** was synced, and of the rest what `keep` says (proto/disk.h). */
static int l_power_loss(lua_State *L) {
    static const char *const FIELDS[] = { "node", "at", "at_failpoint", "hit", "keep",
                                          "restart_after", "restart", NULL };
    static const char *const KEEPS[] = { "none", "random", "torn", NULL };
    scn *c = begin(L, "power_loss", 0);
    table_arg(L, "power_loss",
              "power_loss { node = \"payment\", at = 12, keep = \"none\", restart_after = 2 }");
    check_fields(L, 1, "power_loss", "", FIELDS);
    sim_fault f = new_fault(FK_POWER_LOSS, sandbox_line(L));
    read_kill(L, c, "power_loss", &f);
    int acc = !strcmp(scenario_node_db(f.node), "accounting");
    if (shares_db(c->sc, f.node))
        fail(L, "power_loss: %s shares the %s database with other processes "
             "(topology { %s = %d }), and a power cut of a shared file cannot be exact: "
             "each process journals only its own writes", scenario_node_name(f.node),
             scenario_node_db(f.node), acc ? "accounting" : "relays",
             c->sc->instances[acc ? OX_ROLE_ACCOUNTING : OX_ROLE_RELAY]);
    char keep[16] = "none", h[96], list[64];
    str_field(L, 1, "power_loss", "keep", keep, sizeof keep);
    disk_keep k;
    if (disk_keep_parse(keep, &k) != 0)
        fail(L, "power_loss: unknown keep '%s' (%skeeps: %s)", keep, hint(keep, KEEPS, h, sizeof h),
             join(KEEPS, list, sizeof list));
    f.keep = (int)k;
    room_for(L, c, "power_loss", 1);
    push_fault(c, &f);
    return 0;
}

/* ---- partition ------------------------------------------------------------------------- */

/* A node name at the top of the stack (one node, not "*"), for list entries. */
static int check_node(lua_State *L, const char *fn, const char *name) {
    char buf[32], g[96], h[96], list[160];
    if (lua_type(L, -1) != LUA_TSTRING)
        fail(L, "%s: '%s' must be a node name, got %s", fn, name, got(L, -1, g, sizeof g));
    check_str(L, -1, fn, name, buf, sizeof buf);
    int node = scenario_node_parse(buf);
    const char *names[SIM_MAX_NODES + 1];
    node_list(scn_of(L)->sc, names);
    if (node < 0 || !scenario_node_active(scn_of(L)->sc, node))
        fail(L, "%s: unknown node '%s' in '%s' (%snodes: %s)", fn, buf, name,
             hint(buf, names, h, sizeof h), join(names, list, sizeof list));
    return node;
}

/* between = {a, b}: two different nodes. */
static void read_pair(lua_State *L, const char *fn, int *a, int *b) {
    if (field(L, 1, "between") == LUA_TNIL)
        fail(L,
             "%s: needs 'between', the two nodes to cut apart, like between = {\"payment\", "
             "\"broker\"}",
             fn);
    if (check_list(L, -1, fn, "between", "{\"payment\", \"broker\"}") != 2)
        fail(L, "%s: 'between' must name exactly two nodes, like {\"payment\", \"broker\"}", fn);
    lua_rawgeti(L, -1, 1);
    *a = check_node(L, fn, "between[1]");
    lua_rawgeti(L, -2, 2);
    *b = check_node(L, fn, "between[2]");
    lua_pop(L, 3);
    if (*a == *b) fail(L, "%s: 'between' names %s twice", fn, scenario_node_name(*a));
}

/* partition { between = {a, b}, oneway = false, start, stop }: every frame a->b (and
** b->a unless oneway) is lost while the partition lasts. */
static int l_partition(lua_State *L) {
    static const char *const FIELDS[] = { "between", "oneway", "start", "stop", NULL };
    scn *c = begin(L, "partition", 0);
    table_arg(L, "partition",
              "partition { between = {\"payment\", \"broker\"}, start = 5, stop = 15 }");
    check_fields(L, 1, "partition", "", FIELDS);
    sim_fault f = new_fault(FK_PARTITION, sandbox_line(L));
    read_pair(L, "partition", &f.src, &f.dst);
    f.twoway = bool_field(L, 1, "partition", "oneway") != 1;
    if (!any_frame(f.src, f.dst, "", ""))
        fail(L,
             "partition: no frame travels %s->%s: payment and accounting talk only through the "
             "broker "
             "(cut payment<->broker or broker<->accounting)",
             scenario_node_name(f.src), scenario_node_name(f.dst));
    read_window(L, c, "partition", 1, &f.from_us, &f.to_us);
    room_for(L, c, "partition", 1);
    push_fault(c, &f);
    return 0;
}

/* ---- broker_loss ----------------------------------------------------------------------- */

static void read_queue(lua_State *L, const char *fn, sim_fault *f) {
    char h[96], list[256];
    if (!str_field(L, 1, fn, "queue", f->queue, sizeof f->queue)) return;
    for (const char *const *q = QUEUES; *q; q++)
        if (strcmp(f->queue, *q) == 0) return;
    fail(L, "%s: unknown queue '%s' (%squeues: %s)", fn, f->queue,
         hint(f->queue, QUEUES, h, sizeof h), join(QUEUES, list, sizeof list));
}

/* broker_loss { queue, p | nth, start, stop }: the broker accepts a PUBLISH and loses
** it inside (the library's OX_SITE_BROKER_LOSE injection site). */
static int l_broker_loss(lua_State *L) {
    static const char *const FIELDS[] = { "queue", "p", "nth", "start", "stop", NULL };
    scn *c = begin(L, "broker_loss", 0);
    table_arg(L, "broker_loss", "broker_loss { queue = \"PAY_QUEUE\", p = 0.2 }");
    check_fields(L, 1, "broker_loss", "", FIELDS);
    sim_fault f = new_fault(FK_BROKER_LOSS, sandbox_line(L));
    f.node = f.dst = 1;
    read_queue(L, "broker_loss", &f);
    read_chance(L, "broker_loss", &f);
    read_window(L, c, "broker_loss", 1, &f.from_us, &f.to_us);
    room_for(L, c, "broker_loss", 1);
    push_fault(c, &f);
    return 0;
}

/* ---- clock, clock_jump ------------------------------------------------------------------ */

/* node = "..." naming exactly one node; required. */
static int one_node(lua_State *L, const char *fn, const char *example) {
    if (field(L, 1, "node") == LUA_TNIL) fail(L, "%s: needs 'node', like %s", fn, example);
    lua_pop(L, 1);
    int node = node_field(L, 1, fn, "node");
    if (node == SIM_ANY) fail(L, "%s: 'node' must name one node, not \"*\"", fn);
    return node;
}

/* A signed number of seconds, required. */
static int64_t signed_seconds(lua_State *L, const char *fn, const char *name, const char *example) {
    static const scn_range SECS = {
        "a time in seconds", -SCN_MAX_SECONDS, SCN_MAX_SECONDS, 0, 0, NULL
    };
    double v;
    if (!num_field(L, 1, fn, name, &SECS, &v))
        fail(L, "%s: needs '%s', like %s", fn, name, example);
    return (int64_t)llround(v * 1e6);
}

/* clock { node, skew, rate }: the node's clock reads skew seconds off, from the start,
** and (rate) runs at rate x virtual time; at least one of the two. */
static int l_clock(lua_State *L) {
    static const char *const FIELDS[] = { "node", "rate", "skew", NULL };
    static const char *const EX = "clock { node = \"payment\", skew = -3.5 }";
    static const scn_range RATE = { "a rate", SCN_MIN_RATE, SCN_MAX_CLOCK_RATE, 0, 0, NULL };
    scn *c = begin(L, "clock", 1);
    if (c->depth > 0)
        fail(L, "clock: a skew holds from the start of the run, so not inside between() (use "
                "clock_jump for a change during the run)");
    table_arg(L, "clock", EX);
    check_fields(L, 1, "clock", "", FIELDS);
    sim_fault f = new_fault(FK_CLOCK, sandbox_line(L));
    f.node = one_node(L, "clock", EX);
    int has_rate = num_field(L, 1, "clock", "rate", &RATE, &f.rate);
    int has_skew = field(L, 1, "skew") != LUA_TNIL;
    lua_pop(L, 1);
    if (has_skew || !has_rate) f.by_us = signed_seconds(L, "clock", "skew", EX);
    room_for(L, c, "clock", 1);
    push_fault(c, &f);
    return 0;
}

/* clock_jump { node, at, by }: at `at` the node's clock jumps by `by` seconds. */
static int l_clock_jump(lua_State *L) {
    static const char *const FIELDS[] = { "node", "at", "by", NULL };
    static const char *const EX = "clock_jump { node = \"payment\", at = 10, by = -30 }";
    char e[128], a[32];
    scn *c = begin(L, "clock_jump", 0);
    table_arg(L, "clock_jump", EX);
    check_fields(L, 1, "clock_jump", "", FIELDS);
    sim_fault f = new_fault(FK_CLOCK_JUMP, sandbox_line(L));
    f.node = one_node(L, "clock_jump", EX);
    f.by_us = signed_seconds(L, "clock_jump", "by", EX);
    if (f.by_us == 0)
        fail(L, "clock_jump: 'by' must not be 0 (seconds forward, or negative: backward)");
    double run = (double)c->sc->run_us / 1e6, at = 0;
    const scn_range AT = { "a time in seconds", 0, run, 0, 1, " (the run length)" };
    int has_at = num_field(L, 1, "clock_jump", "at", &AT, &at);
    if (!has_at && c->depth == 0 && c->phase != PH_FIRE)
        fail(L, "clock_jump: needs 'at', like %s", EX);
    f.at_us = has_at ? to_us(at) : c->win_from;
    if (f.at_us < c->win_from || f.at_us >= c->win_to)
        fail(L, "clock_jump: 'at' = %s s lies outside %s", when(f.at_us, a, sizeof a),
             enclosing(c, e, sizeof e));
    f.from_us = c->win_from;
    f.to_us = c->win_to;
    room_for(L, c, "clock_jump", 1);
    push_fault(c, &f);
    return 0;
}

/* ---- slow ------------------------------------------------------------------------------ */

/* slow { node, per_message, start, stop }: after each frame the node handles in the
** window it stays busy per_message seconds; what arrives meanwhile waits in order. */
/* Two slow windows of one node may not overlap: which per_message would hold is a
** question the file should answer by ending one where the other starts.  (Windows a
** nemesis draws are not refused: a seed must not turn a scenario into an error; where
** they overlap, the largest per_message holds, sim/core/backlog.c.) */
static void slow_overlap(lua_State *L, const sim_scenario *sc, const sim_fault *f) {
    for (int i = 0; i < sc->nfaults; i++) {
        const sim_fault *o = &sc->faults[i];
        if (o->kind != FK_SLOW || o->node != f->node) continue;
        if (!(o->from_us < f->to_us && f->from_us < o->to_us)) continue;
        char to[32];
        if (o->to_us == SIM_FOREVER) snprintf(to, sizeof to, "healing");
        else snprintf(to, sizeof to, "%g", (double)o->to_us / 1e6);
        fail(L, "slow: %s is already slow in [%g, %s) (%s line %d): two slow windows of one "
                "node may not overlap; end one where the other starts",
             scenario_node_name(f->node), (double)o->from_us / 1e6, to,
             o->nemesis ? "drawn by the nemesis of" : "declared at", o->line);
    }
}

static int l_slow(lua_State *L) {
    static const char *const FIELDS[] = { "node", "per_message", "start", "stop", NULL };
    static const char *const EX = "slow { node = \"accounting\", per_message = 0.2 }";
    static const scn_range PER = { "a time in seconds", 0, SCN_MAX_SLOW, 1, 0, NULL };
    scn *c = begin(L, "slow", 0);
    table_arg(L, "slow", EX);
    check_fields(L, 1, "slow", "", FIELDS);
    sim_fault f = new_fault(FK_SLOW, sandbox_line(L));
    f.node = one_node(L, "slow", EX);
    double per;
    if (!num_field(L, 1, "slow", "per_message", &PER, &per))
        fail(L, "slow: needs 'per_message', like %s", EX);
    f.per_us = to_us(per);
    if (f.per_us == 0) fail(L, "slow: 'per_message' = %g s rounds to 0 microseconds", per);
    read_window(L, c, "slow", 1, &f.from_us, &f.to_us);
    slow_overlap(L, c->sc, &f);
    room_for(L, c, "slow", 1);
    push_fault(c, &f);
    return 0;
}

/* ---- rollback ----------------------------------------------------------------------- */

/* rollback { node, p, start, stop }: BUGGIFY's injected business error.  Each step of the
** node in the window draws (p, from the run's rollback stream) whether the library's
** injection site payment.rollback / accounting.rollback (lib/io.h) fires in it: the
** step's transaction, its writes done, rolls back instead of committing. */
static int l_rollback(lua_State *L) {
    static const char *const FIELDS[] = { "node", "p", "start", "stop", NULL };
    static const char *const EX = "rollback { node = \"payment\", p = 0.2 }";
    static const scn_range PROB = { "a probability", 0, 1, 0, 0, NULL };
    scn *c = begin(L, "rollback", 0);
    table_arg(L, "rollback", EX);
    check_fields(L, 1, "rollback", "", FIELDS);
    sim_fault f = new_fault(FK_ROLLBACK, sandbox_line(L));
    f.node = one_node(L, "rollback", EX);
    if (f.node == 1)
        fail(L, "rollback: the broker has no transaction to roll back (node = \"payment\" or "
                "\"accounting\")");
    if (!num_field(L, 1, "rollback", "p", &PROB, &f.p)) f.p = 1.0;
    read_window(L, c, "rollback", 1, &f.from_us, &f.to_us);
    room_for(L, c, "rollback", 1);
    push_fault(c, &f);
    return 0;
}

/* ---- disk, pause ------------------------------------------------------------------- */

static const char *const DISK_ERRS[] = { "full", "eio", "fsync_fail", "nomem", NULL };
static const char *const DISK_OPS[] = { "write", "sync", "read", "alloc", NULL };

/* A string field that must be one of `names`; returns 0 when absent. */
static int one_of(lua_State *L, const char *fn, const char *name, const char *const *names,
                  char *buf, size_t cap) {
    char h[96], list[128];
    if (!str_field(L, 1, fn, name, buf, cap)) return 0;
    for (const char *const *n = names; *n; n++)
        if (strcmp(buf, *n) == 0) return 1;
    fail(L, "%s: unknown %s '%s' (%s%ss: %s)", fn, name, buf, hint(buf, names, h, sizeof h),
         name, join(names, list, sizeof list));
}

/* at_start = true [, restart_after]: the fault reaches START steps too (diskf.h). */
static void read_at_start(lua_State *L, sim_fault *f) {
    static const scn_range SECS = { "a time in seconds", 0, SCN_MAX_SECONDS, 0, 0, NULL };
    double after = SCN_DEFAULT_RESTART;
    f->at_start = bool_field(L, 1, "disk", "at_start") == 1;
    int has_after = num_field(L, 1, "disk", "restart_after", &SECS, &after);
    if (has_after && !f->at_start)
        fail(L, "disk: 'restart_after' goes with 'at_start = true' (it restarts a node whose "
                "START the fault failed)");
    f->restart_after_us = f->at_start ? to_us(after) : -1;
}

/* Out of memory (node/memf.h) is a fault of SQLite's allocations, not of the disk's
** calls: "nomem" goes with on = "alloc" and nothing else does. */
static void check_nomem(lua_State *L, int nomem, const char *op) {
    int alloc = strcmp(op, "alloc") == 0;
    if (nomem && !alloc)
        fail(L, "disk: fault 'nomem' fails SQLite's allocations only (on = \"alloc\"), not '%s'",
             op);
    if (alloc && !nomem)
        fail(L, "disk: on = \"alloc\" goes with fault = \"nomem\" (an allocation fails for "
                "want of memory)");
}

/* disk { node, fault, on, p | nth, start, stop, at_start, restart_after }: the node's disk
** fails the matching calls (node/vfs.h): full on writes, eio on writes, syncs or reads,
** fsync_fail on syncs, nomem on SQLite's allocations; with at_start, in START steps too. */
static int l_disk(lua_State *L) {
    static const char *const FIELDS[] = { "node", "fault", "on", "p", "nth", "start", "stop",
                                          "at_start", "restart_after", NULL };
    static const char *const EX = "disk { node = \"payment\", fault = \"full\", nth = 1 }";
    scn *c = begin(L, "disk", 0);
    table_arg(L, "disk", EX);
    check_fields(L, 1, "disk", "", FIELDS);
    sim_fault f = new_fault(FK_DISK, sandbox_line(L));
    f.node = one_node(L, "disk", EX);
    if (!one_of(L, "disk", "fault", DISK_ERRS, f.disk_err, sizeof f.disk_err))
        fail(L, "disk: needs 'fault' (full, eio, fsync_fail or nomem), like %s", EX);
    int fsync = strcmp(f.disk_err, "fsync_fail") == 0;
    int nomem = strcmp(f.disk_err, "nomem") == 0;
    if (!one_of(L, "disk", "on", DISK_OPS, f.disk_op, sizeof f.disk_op))
        snprintf(f.disk_op, sizeof f.disk_op, "%s", fsync ? "sync" : nomem ? "alloc" : "write");
    check_nomem(L, nomem, f.disk_op);
    if (strcmp(f.disk_err, "full") == 0 && strcmp(f.disk_op, "write") != 0)
        fail(L, "disk: fault 'full' fails writes only (on = \"write\"), not '%s'", f.disk_op);
    if (fsync && strcmp(f.disk_op, "sync") != 0)
        fail(L, "disk: fault 'fsync_fail' fails syncs only (on = \"sync\"), not '%s'", f.disk_op);
    read_chance(L, "disk", &f);
    read_at_start(L, &f);
    read_window(L, c, "disk", 1, &f.from_us, &f.to_us);
    room_for(L, c, "disk", 1);
    push_fault(c, &f);
    return 0;
}

/* The `at` of a fault that acts once, at a time, on a node (tamper, misconfig). */
static double read_once_at(lua_State *L, scn *c, const char *fn, const char *ex) {
    double run = (double)c->sc->run_us / 1e6, at = 0;
    const scn_range AT = { "a time in seconds", 0, run, 0, 1, " (the run length)" };
    if (!num_field(L, 1, fn, "at", &AT, &at)) fail(L, "%s: needs 'at', like %s", fn, ex);
    return at;
}

/* ... then its restart_after, its time checked against the enclosing window, and f kept. */
static void push_once(lua_State *L, scn *c, const char *fn, sim_fault *f, double at) {
    static const scn_range SECS = { "a time in seconds", 0, SCN_MAX_SECONDS, 0, 0, NULL };
    char e[128], a[32];
    double after = SCN_DEFAULT_RESTART;
    num_field(L, 1, fn, "restart_after", &SECS, &after);
    f->restart_after_us = to_us(after);
    f->from_us = to_us(at);
    f->to_us = f->from_us + 1;
    if (f->from_us < c->win_from || f->from_us >= c->win_to)
        fail(L, "%s: 'at' = %s s lies outside %s", fn, when(f->from_us, a, sizeof a),
             enclosing(c, e, sizeof e));
    room_for(L, c, fn, 1);
    push_fault(c, f);
}

/* tamper { node, at, sql, restart_after }: someone else's SQL on the node's database file
** while the node is down (sim/core/tamper.h); a START it makes fail restarts the node
** restart_after later.  The SQL is kept to characters the shrink form can write back. */
static int l_tamper(lua_State *L) {
    static const char *const FIELDS[] = { "node", "at", "sql", "restart_after", NULL };
    static const char *const EX =
        "tamper { node = \"broker\", at = 3.2, sql = \"UPDATE meta SET value = 7\" }";
    scn *c = begin(L, "tamper", 0);
    table_arg(L, "tamper", EX);
    check_fields(L, 1, "tamper", "", FIELDS);
    sim_fault f = new_fault(FK_TAMPER, sandbox_line(L));
    f.node = one_node(L, "tamper", EX);
    double at = read_once_at(L, c, "tamper", EX);
    if (!str_field(L, 1, "tamper", "sql", f.sql, sizeof f.sql))
        fail(L, "tamper: needs 'sql', like %s", EX);
    if (strpbrk(f.sql, "\"\\") != NULL)
        fail(L, "tamper: 'sql' may not hold '\"' or '\\' (quote strings in SQL with ')");
    push_once(L, c, "tamper", &f, at);
    return 0;
}

/* misconfig { node, at, knob, restart_after }: a bad deploy.  At `at` the node is stopped
** and started again with one knob more, a value the configuration refuses; the service
** must refuse to start (sim/core/misconf.h).  restart_after later it is started again as
** it was: the deploy rolled back.  A knob the configuration takes is a scenario error here,
** not a fault: a scenario sets those in knobs { }. */
static int l_misconfig(lua_State *L) {
    static const char *const FIELDS[] = { "node", "at", "knob", "restart_after", NULL };
    static const char *const EX =
        "misconfig { node = \"payment\", at = 3, knob = \"scan_batch=0\" }";
    char why[1024];
    scn *c = begin(L, "misconfig", 0);
    table_arg(L, "misconfig", EX);
    check_fields(L, 1, "misconfig", "", FIELDS);
    sim_fault f = new_fault(FK_MISCONFIG, sandbox_line(L));
    f.node = one_node(L, "misconfig", EX);
    double at = read_once_at(L, c, "misconfig", EX);
    if (!str_field(L, 1, "misconfig", "knob", f.knob, sizeof f.knob))
        fail(L, "misconfig: needs 'knob', like %s", EX);
    if (strpbrk(f.knob, "\"\\") != NULL) fail(L, "misconfig: 'knob' may not hold '\"' or '\\'");
    ox_config probe;
    ox_config_default(&probe);
    if (ox_config_set_kv(&probe, f.knob, why, sizeof why) == 0)
        fail(L, "misconfig: knob '%s' is one the configuration takes: a misconfig deploys a "
             "knob it must refuse (set a good one in knobs { })", f.knob);
    push_once(L, c, "misconfig", &f, at);
    return 0;
}

/* pause { node, at, duration }: the process is stopped (SIGSTOP) over [at, at + duration):
** nothing it is sent is handled, no timer of its fires; all of it waits, in order, and
** comes when it resumes, with its clock reading the time of then. */
static int l_pause(lua_State *L) {
    static const char *const FIELDS[] = { "node", "at", "duration", NULL };
    static const char *const EX = "pause { node = \"accounting\", at = 5, duration = 40 }";
    static const scn_range DUR = { "a time in seconds", 0, SCN_MAX_SECONDS, 1, 0, NULL };
    char e[128], a[32];
    scn *c = begin(L, "pause", 0);
    table_arg(L, "pause", EX);
    check_fields(L, 1, "pause", "", FIELDS);
    sim_fault f = new_fault(FK_PAUSE, sandbox_line(L));
    f.node = one_node(L, "pause", EX);
    double run = (double)c->sc->run_us / 1e6, at = 0, dur = 0;
    const scn_range AT = { "a time in seconds", 0, run, 0, 1, " (the run length)" };
    int has_at = num_field(L, 1, "pause", "at", &AT, &at);
    if (!has_at && c->depth == 0 && c->phase != PH_FIRE) fail(L, "pause: needs 'at', like %s", EX);
    if (!num_field(L, 1, "pause", "duration", &DUR, &dur))
        fail(L, "pause: needs 'duration' (seconds), like %s", EX);
    f.from_us = has_at ? to_us(at) : c->win_from;
    f.to_us = f.from_us + to_us(dur);
    if (f.from_us < c->win_from || f.from_us >= c->win_to)
        fail(L, "pause: 'at' = %s s lies outside %s", when(f.from_us, a, sizeof a),
             enclosing(c, e, sizeof e));
    if (f.to_us == f.from_us) fail(L, "pause: 'duration' = %g s rounds to 0 microseconds", dur);
    if (f.to_us > c->win_to || f.to_us > c->sc->run_us)
        fail(L, "pause: it ends at %g s, after %s: a pause ends before healing", f.to_us / 1e6,
             enclosing(c, e, sizeof e));
    f.at_us = f.from_us;
    room_for(L, c, "pause", 1);
    push_fault(c, &f);
    return 0;
}

/* ---- nemesis ------------------------------------------------------------------------- */

/* nemesis { ... } draws a whole fault schedule from the run's seed, at load time, and
** declares it as ordinary faults (each marked with the nemesis call that drew it).
** Swarm testing, as in TigerBeetle's VOPR: with swarm = true (the default) every kind
** given is switched on with chance 3/4 and its rates are drawn in [0, the given
** maximum], so one seed is one configuration; with swarm = false every kind is on at
** exactly the given rates.  Every drawn number is rounded to 0.001 (probabilities,
** seconds), so the Lua form of each fault (scenario_fault_lua) replays it exactly.
** Draws come from the nemesis's own stream of the seed, in a fixed order, so neither
** math.random nor the network's draws shift them. */

typedef struct {
    double drop, duplicate, delay, delay_max, broker_loss, slow, clock_skew, rollback;
    double crash_every, restart_max, partition_every, partition_max, clock_every, clock_max;
    double power_loss;        /* the chance that a drawn crash is a power loss */
    int clock_jumps, failpoints, swarm;
    double disk, pause_every, pause_max, clock_rate;   /* issue 13: disk, pause, clock rate */
    int64_t from, to;
    int index, line;
} scn_nem;

/* The four directions frames travel (scn FRAMES): payment<->broker, broker<->accounting. */
static const int NEM_DIRS[4][2] = { { 0, 1 }, { 1, 0 }, { 1, 2 }, { 2, 1 } };

static double q3(double x) { return floor(x * 1000.0 + 0.5) / 1000.0; }

/* Uniform in [lo, hi), rounded to 0.001. */
static double nem_uniform(ox_prng *p, double lo, double hi) {
    return q3(lo + ox_prng_unit(p) * (hi - lo));
}

/* The rate of one kind: drawn in [0, max] in swarm mode, else max. */
static double nem_rate(ox_prng *p, const scn_nem *n, double max) {
    return n->swarm ? nem_uniform(p, 0, max) : max;
}

/* Swarm: each kind on with chance 3/4 (one draw whatever the answer). */
static int nem_on(ox_prng *p, const scn_nem *n) { return ox_prng_below(p, 4) != 0 || !n->swarm; }

/* Gap to the next event of a process with mean interval `every`: uniform in [every/2, 3every/2). */
static int64_t nem_gap(ox_prng *p, double every) {
    return to_us(nem_uniform(p, every / 2, every * 1.5)) + 1000;
}

static void nem_push(lua_State *L, scn *c, const scn_nem *n, sim_fault *f) {
    f->nemesis = n->index;
    f->line = n->line;
    room_for(L, c, "nemesis", 1);
    push_fault(c, f);
}

/* The directed links frame faults are drawn for: the three's four (NEM_DIRS), then each
** instance's (a relay, an accounting beyond the first) to and from the broker, in slot
** order, so a scenario without topology{} draws exactly what it always drew.  Returns
** how many, at most 2 * SIM_MAX_NODES. */
static int nem_links(const sim_scenario *sc, int dirs[][2]) {
    int n = 0;
    for (int d = 0; d < 4; d++) dirs[n][0] = NEM_DIRS[d][0], dirs[n++][1] = NEM_DIRS[d][1];
    for (int node = SIM_NODES; node < SIM_MAX_NODES; node++) {
        if (!scenario_node_active(sc, node)) continue;
        dirs[n][0] = node, dirs[n++][1] = 1;
        dirs[n][0] = 1, dirs[n++][1] = node;
    }
    assert(n <= 2 * SIM_MAX_NODES);
    return n;
}

static void nem_frames(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    const double max[3] = { n->drop, n->duplicate, n->delay };
    const sim_fault_kind kinds[3] = { FK_DROP, FK_DUPLICATE, FK_DELAY };
    int dirs[2 * SIM_MAX_NODES][2];
    int ndirs = nem_links(c->sc, dirs);
    for (int k = 0; k < 3; k++) {
        if (max[k] <= 0 || !nem_on(p, n)) continue;
        for (int d = 0; d < ndirs; d++) {
            sim_fault f = new_fault(kinds[k], n->line);
            f.src = dirs[d][0], f.dst = dirs[d][1];
            f.p = nem_rate(p, n, max[k]);
            f.copies = 1;
            f.from_us = n->from, f.to_us = n->to;
            if (kinds[k] == FK_DELAY) f.max_us = to_us(nem_uniform(p, 0.001, n->delay_max));
            if (f.p > 0) nem_push(L, c, n, &f);
        }
    }
}

static void nem_broker_loss(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->broker_loss <= 0 || !nem_on(p, n)) return;
    for (int q = 0; QUEUES[q]; q++) {
        sim_fault f = new_fault(FK_BROKER_LOSS, n->line);
        f.node = f.dst = 1;
        snprintf(f.queue, sizeof f.queue, "%s", QUEUES[q]);
        f.p = nem_rate(p, n, n->broker_loss);
        f.from_us = n->from, f.to_us = n->to;
        if (f.p > 0) nem_push(L, c, n, &f);
    }
}

/* One slow window per node chosen: accounting always without swarm; in swarm mode each
** node with chance 1/2. */
static void nem_slow(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->slow <= 0 || !nem_on(p, n)) return;
    double span = (double)(n->to - n->from) / 1e6;
    for (int node = 0; node < SIM_MAX_NODES; node++) {
        if (!scenario_node_active(c->sc, node)) continue;
        int chosen = n->swarm ? (int)ox_prng_below(p, 2) : node == 2;
        if (!chosen) continue;
        sim_fault f = new_fault(FK_SLOW, n->line);
        f.node = node;
        f.per_us = to_us(nem_uniform(p, 0.001, n->slow));
        f.from_us = n->from + to_us(nem_uniform(p, 0, span * 0.5));
        f.to_us = f.from_us + to_us(nem_uniform(p, 0.001, span * 0.5));
        if (f.to_us > n->to) f.to_us = n->to;
        if (f.per_us > 0 && f.from_us < f.to_us) nem_push(L, c, n, &f);
    }
}

static void nem_clock_skew(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->clock_skew <= 0 || !nem_on(p, n)) return;
    for (int node = 0; node < SIM_MAX_NODES; node++) {
        if (!scenario_node_active(c->sc, node)) continue;
        sim_fault f = new_fault(FK_CLOCK, n->line);
        f.node = node;
        f.by_us = (int64_t)llround(nem_uniform(p, -n->clock_skew, n->clock_skew) * 1e6);
        if (f.by_us != 0) nem_push(L, c, n, &f);
    }
}

/* A node drawn among those that run (without topology{}: below 3, as before). */
static int nem_node(const sim_scenario *sc, ox_prng *p) {
    return scenario_node_nth(sc, (int)ox_prng_below(p, (uint64_t)scenario_node_count(sc)));
}

/* The failpoints `node` passes start with this: its own name's "<name>.", an accounting
** instance's "accounting." (it runs accounting's code), a relay's "payment.scan_" (the
** scan's row code it runs, lib/relay.h), as crash_at_failpoint allows them. */
static const char *nem_fp_prefix(int node, char *buf, size_t cap) {
    ox_role role = scenario_node_role(node);
    if (role == OX_ROLE_RELAY) return "payment.scan_";
    snprintf(buf, cap, "%s.", scenario_node_name(role == OX_ROLE_ACCOUNTING ? 2 : node));
    return buf;
}

/* A failpoint of `node`, and a hit within the run's payments (the node's own passes). */
static int nem_failpoint(ox_prng *p, int node, uint32_t payments, sim_fault *f) {
    const char *cands[16];
    char buf[40];
    int nc = 0;
    const char *prefix = nem_fp_prefix(node, buf, sizeof buf);
    size_t len = strlen(prefix);
    for (const char *const *fp = ox_service_failpoints(); *fp && nc < 16; fp++)
        if (!strncmp(*fp, prefix, len)) cands[nc++] = *fp;
    if (nc == 0) return 0;
    snprintf(f->failpoint, sizeof f->failpoint, "%s", cands[ox_prng_below(p, (uint64_t)nc)]);
    f->hit = 1 + (uint32_t)ox_prng_below(p, payments ? payments : 1);
    return 1;
}

static void nem_crashes(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->crash_every <= 0 || !nem_on(p, n)) return;
    for (int64_t t = n->from + nem_gap(p, n->crash_every); t < n->to;
         t += nem_gap(p, n->crash_every)) {
        sim_fault f = new_fault(FK_CRASH, n->line);
        f.node = nem_node(c->sc, p);
        f.restart_after_us = to_us(nem_uniform(p, 0.1, n->restart_max));
        int at_fp = n->failpoints && ox_prng_below(p, 2) == 0 &&
                    nem_failpoint(p, f.node, c->sc->workload.payments, &f);
        if (!at_fp) f.at_us = t;
        /* drawn only when asked for, so that no other nemesis's draws shift */
        if (n->power_loss > 0 && nem_uniform(p, 0, 1) < n->power_loss &&
            !shares_db(c->sc, f.node)) {   /* a shared database is never cut (l_power_loss) */
            f.kind = FK_POWER_LOSS;
            f.keep = (int)ox_prng_below(p, DISK_KEEP_TORN + 1);   /* none, random or torn */
        }
        nem_push(L, c, n, &f);
    }
}

static void nem_partitions(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->partition_every <= 0 || !nem_on(p, n)) return;
    for (int64_t t = n->from + nem_gap(p, n->partition_every); t < n->to;
         t += nem_gap(p, n->partition_every)) {
        sim_fault f = new_fault(FK_PARTITION, n->line);
        /* payment<->broker or broker<->accounting, or a relay's link to the broker */
        int link = (int)ox_prng_below(p, (uint64_t)(scenario_node_count(c->sc) - 1));
        f.src = link < 2 ? link : scenario_node_nth(c->sc, link + 1);
        f.dst = link < 2 ? link + 1 : 1;
        f.twoway = ox_prng_below(p, 2) == 0;
        if (!f.twoway && ox_prng_below(p, 2)) { int a = f.src; f.src = f.dst, f.dst = a; }
        f.from_us = t;
        f.to_us = t + to_us(nem_uniform(p, 0.1, n->partition_max)) + 1000;
        if (f.to_us > n->to) f.to_us = n->to;
        nem_push(L, c, n, &f);
        t = f.to_us;    /* partitions of one nemesis do not overlap */
    }
}

static void nem_clock_jumps(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (!n->clock_jumps || !nem_on(p, n)) return;
    for (int64_t t = n->from + nem_gap(p, n->clock_every); t < n->to;
         t += nem_gap(p, n->clock_every)) {
        sim_fault f = new_fault(FK_CLOCK_JUMP, n->line);
        f.node = nem_node(c->sc, p);
        f.at_us = t;
        f.by_us = (int64_t)llround(nem_uniform(p, -n->clock_max, n->clock_max) * 1e6);
        if (f.by_us == 0) f.by_us = 1000;
        nem_push(L, c, n, &f);
    }
}

/* rollback: payment and every accounting instance each roll back transactions at a rate
** drawn in [0, rollback] (swarm), or at rollback.  (A relay pays nothing: its code has no
** injection site.) */
static void nem_rollback(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->rollback <= 0 || !nem_on(p, n)) return;
    for (int node = 0; node < SIM_MAX_NODES; node++) {
        ox_role role = scenario_node_role(node);
        if (!scenario_node_active(c->sc, node) || role == OX_ROLE_BROKER || role == OX_ROLE_RELAY)
            continue;
        sim_fault f = new_fault(FK_ROLLBACK, n->line);
        f.node = node;
        f.p = nem_rate(p, n, n->rollback);
        f.from_us = n->from, f.to_us = n->to;
        if (f.p > 0) nem_push(L, c, n, &f);
    }
}

/* One disk fault per node chosen (swarm: each with chance 1/2; fixed: payment): full or
** eio on writes, at a probability drawn up to `disk`, over the nemesis's window. */
static void nem_disk(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->disk <= 0 || !nem_on(p, n)) return;
    for (int node = 0; node < SIM_MAX_NODES; node++) {
        if (!scenario_node_active(c->sc, node)) continue;
        int chosen = n->swarm ? (int)ox_prng_below(p, 2) : node == 0;
        if (!chosen) continue;
        sim_fault f = new_fault(FK_DISK, n->line);
        f.node = node;
        snprintf(f.disk_err, sizeof f.disk_err, "%s", ox_prng_below(p, 2) ? "eio" : "full");
        snprintf(f.disk_op, sizeof f.disk_op, "write");
        f.p = nem_rate(p, n, n->disk);
        f.from_us = n->from, f.to_us = n->to;
        if (f.p > 0) nem_push(L, c, n, &f);
    }
}

/* Pauses one after another, node drawn, each 0.1..pause_max s and over before the
** window ends (a pause ends before healing). */
static void nem_pauses(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->pause_every <= 0 || !nem_on(p, n)) return;
    for (int64_t t = n->from + nem_gap(p, n->pause_every); t < n->to;
         t += nem_gap(p, n->pause_every)) {
        sim_fault f = new_fault(FK_PAUSE, n->line);
        f.node = nem_node(c->sc, p);
        f.from_us = f.at_us = t;
        f.to_us = t + to_us(nem_uniform(p, 0.1, n->pause_max));
        if (f.to_us > n->to) f.to_us = n->to;
        if (f.to_us > f.from_us) nem_push(L, c, n, &f);
        t = f.to_us;    /* pauses of one nemesis do not overlap */
    }
}

/* A clock rate per node, 1 +- up to clock_rate. */
static void nem_clock_rate(lua_State *L, scn *c, const scn_nem *n, ox_prng *p) {
    if (n->clock_rate <= 0 || !nem_on(p, n)) return;
    for (int node = 0; node < SIM_MAX_NODES; node++) {
        if (!scenario_node_active(c->sc, node)) continue;
        sim_fault f = new_fault(FK_CLOCK, n->line);
        f.node = node;
        f.rate = 1 + nem_uniform(p, -n->clock_rate, n->clock_rate);
        if (f.rate != 1) nem_push(L, c, n, &f);
    }
}

/* Optional number field in [lo, hi] (lo excluded when lo_open); *out keeps its default. */
static int nem_num(lua_State *L, const char *name, double lo, int lo_open, double hi,
                   const char *what, double *out) {
    const scn_range R = { what, lo, hi, lo_open, 0, NULL };
    return num_field(L, 1, "nemesis", name, &R, out);
}

/* A field that only means something with another: raises when given without it. */
static void nem_needs(lua_State *L, int given, int base, const char *name, const char *with) {
    if (given && !base) fail(L, "nemesis: '%s' goes with '%s'", name, with);
}

/* disk, pause_every (with pause_max), clock_rate. */
static void nem_read_diskf(lua_State *L, scn_nem *n) {
    n->pause_max = 5;
    nem_num(L, "disk", 0, 0, 1, "a probability", &n->disk);
    nem_num(L, "pause_every", 0.5, 0, SCN_MAX_SECONDS, "a time in seconds", &n->pause_every);
    nem_needs(L, nem_num(L, "pause_max", 0.1, 0, SCN_MAX_SECONDS, "a time in seconds",
                         &n->pause_max),
              n->pause_every > 0, "pause_max", "pause_every");
    nem_num(L, "clock_rate", 0, 0, 0.99, "a rate deviation", &n->clock_rate);
}

static void nem_read(lua_State *L, scn *c, scn_nem *n) {
    static const double DAY = SCN_MAX_SECONDS;
    *n = (scn_nem){ .delay_max = 1,
                    .restart_max = 3,
                    .partition_max = 5,
                    .clock_every = 10,
                    .clock_max = 20,
                    .swarm = 1 };
    nem_num(L, "drop", 0, 0, 1, "a probability", &n->drop);
    nem_num(L, "duplicate", 0, 0, 1, "a probability", &n->duplicate);
    nem_num(L, "delay", 0, 0, 1, "a probability", &n->delay);
    nem_num(L, "broker_loss", 0, 0, 1, "a probability", &n->broker_loss);
    nem_num(L, "rollback", 0, 0, 1, "a probability", &n->rollback);
    nem_num(L, "slow", 0, 0, SCN_MAX_SLOW, "a time in seconds", &n->slow);
    nem_num(L, "clock_skew", 0, 0, DAY, "a time in seconds", &n->clock_skew);
    nem_num(L, "crash_every", 0.5, 0, DAY, "a time in seconds", &n->crash_every);
    nem_num(L, "partition_every", 0.5, 0, DAY, "a time in seconds", &n->partition_every);
    nem_needs(L, nem_num(L, "delay_max", 0.001, 0, DAY, "a time in seconds", &n->delay_max),
              n->delay > 0, "delay_max", "delay");
    nem_needs(L, nem_num(L, "restart_max", 0.1, 0, DAY, "a time in seconds", &n->restart_max),
              n->crash_every > 0, "restart_max", "crash_every");
    nem_needs(L, nem_num(L, "partition_max", 0.1, 0, DAY, "a time in seconds", &n->partition_max),
              n->partition_every > 0, "partition_max", "partition_every");
    n->clock_jumps = bool_field(L, 1, "nemesis", "clock_jumps") == 1;
    nem_needs(L, nem_num(L, "clock_every", 0.5, 0, DAY, "a time in seconds", &n->clock_every),
              n->clock_jumps, "clock_every", "clock_jumps = true");
    nem_needs(L, nem_num(L, "clock_max", 0.001, 0, DAY, "a time in seconds", &n->clock_max),
              n->clock_jumps, "clock_max", "clock_jumps = true");
    nem_needs(L, nem_num(L, "power_loss", 0, 0, 1, "a probability", &n->power_loss),
              n->crash_every > 0, "power_loss", "crash_every");
    int fps = bool_field(L, 1, "nemesis", "failpoints");
    nem_needs(L, fps != -1, n->crash_every > 0, "failpoints", "crash_every");
    n->failpoints = fps == 1;
    n->swarm = bool_field(L, 1, "nemesis", "swarm") != 0;
    nem_read_diskf(L, n);
    if (n->drop <= 0 && n->duplicate <= 0 && n->delay <= 0 && n->broker_loss <= 0 && n->slow <= 0 &&
        n->clock_skew <= 0 && n->crash_every <= 0 && n->partition_every <= 0 && !n->clock_jumps &&
        n->rollback <= 0 && n->disk <= 0 && n->pause_every <= 0 && n->clock_rate <= 0)
        fail(L, "nemesis: nothing to inject: give at least one of drop, duplicate, delay, "
                "broker_loss, slow, clock_skew, crash_every, partition_every, clock_jumps, "
                "rollback, disk, pause_every, clock_rate");
    read_window(L, c, "nemesis", 1, &n->from, &n->to);
    if (n->to > c->sc->run_us) n->to = c->sc->run_us;
}

static int l_nemesis(lua_State *L) {
    static const char *const FIELDS[] = {
        "drop",        "duplicate",       "delay",
        "delay_max",   "broker_loss",     "slow",
        "clock_skew",  "crash_every",     "restart_max",
        "failpoints",  "partition_every", "partition_max",
        "clock_jumps", "clock_every",     "clock_max",
        "swarm",       "start",           "stop",
        "power_loss",  "rollback",        "disk",
        "pause_every", "pause_max",       "clock_rate",
        NULL,
    };
    scn *c = begin(L, "nemesis", 1);
    sim_scenario *sc = c->sc;
    if (c->depth > 0) fail(L, "nemesis: not inside between() (give it 'start' and 'stop')");
    table_arg(L, "nemesis", "nemesis { drop = 0.1, crash_every = 8, partition_every = 15 }");
    check_fields(L, 1, "nemesis", "", FIELDS);
    if (sc->nnemeses >= SIM_MAX_NEMESIS)
        fail(L, "nemesis: at most %d per scenario", SIM_MAX_NEMESIS);
    scn_nem n;
    nem_read(L, c, &n);
    n.index = sc->nnemeses + 1;
    n.line = sandbox_line(L);
    ox_prng p;
    ox_prng_seed(&p, ox_prng_derive(c->seed, SCN_STREAM_NEMESIS + (uint64_t)n.index));
    int first = sc->nfaults;
    /* The order of these calls is the order of draws: append new kinds at the end. */
    nem_frames(L, c, &n, &p);
    nem_broker_loss(L, c, &n, &p);
    nem_slow(L, c, &n, &p);
    nem_clock_skew(L, c, &n, &p);
    nem_crashes(L, c, &n, &p);
    nem_partitions(L, c, &n, &p);
    nem_clock_jumps(L, c, &n, &p);
    nem_rollback(L, c, &n, &p);
    nem_disk(L, c, &n, &p);
    nem_pauses(L, c, &n, &p);
    nem_clock_rate(L, c, &n, &p);
    sim_nemesis *rec = &sc->nemeses[sc->nnemeses++];
    *rec = (sim_nemesis){
        .line = n.line, .first = first + 1, .count = sc->nfaults - first, .swarm = n.swarm
    };
    return 0;
}

/* ---- between, at, note ------------------------------------------------------------------ */

/* A time argument of between()/at() at idx. */
static double time_arg(lua_State *L, scn *c, int idx, const char *fn, const char *name,
                       int end_open) {
    double run = (double)c->sc->run_us / 1e6, v;
    const scn_range R = { "a time in seconds", 0, run, 0, end_open, " (the run length)" };
    check_num(L, idx, fn, name, &R, &v);
    return v;
}

/* between(a, b, fn): runs fn now; the faults it declares default to the window [a, b)
** (intersected with the enclosing one when nested). */
static int l_between(lua_State *L) {
    scn *c = begin(L, "between", 0);
    if (lua_gettop(L) != 3 || lua_type(L, 3) != LUA_TFUNCTION)
        fail(L, "between: expects (start, stop, function), like between(10, 20, function() drop { "
                "... } end)");
    double a = time_arg(L, c, 1, "between", "start", 1),
           b = time_arg(L, c, 2, "between", "stop", 0);
    if (a >= b) fail(L, "between: start (%g) must be before stop (%g)", a, b);
    if (c->depth >= SCN_MAX_DEPTH) fail(L, "between: nested more than %d deep", SCN_MAX_DEPTH);
    int64_t from = c->win_from > to_us(a) ? c->win_from : to_us(a);
    int64_t to = c->win_to < to_us(b) ? c->win_to : to_us(b);
    if (from >= to) {
        char e[128];
        fail(L, "between: [%g, %g) does not overlap %s", a, b, enclosing(c, e, sizeof e));
    }
    int64_t saved_from = c->win_from, saved_to = c->win_to;
    double saved_a = c->between_a, saved_b = c->between_b;
    c->win_from = from, c->win_to = to, c->between_a = a, c->between_b = b, c->depth++;
    lua_pushvalue(L, 3);
    int rc = lua_pcall(L, 0, 0, 0);    /* restore the window even if fn fails */
    c->win_from = saved_from, c->win_to = saved_to, c->between_a = saved_a, c->between_b = saved_b,
    c->depth--;
    if (rc != LUA_OK) return lua_error(L);
    return 0;
}

/* at(t, fn): fn runs at virtual time t through scenario_fire().  Callbacks stay sorted
** by (t, registration order). */
static int l_at(lua_State *L) {
    scn *c = begin(L, "at", 1);
    sim_scenario *sc = c->sc;
    if (c->depth > 0)
        fail(L, "at: not inside between() (a callback's faults take their own start/stop)");
    if (lua_gettop(L) != 2 || lua_type(L, 2) != LUA_TFUNCTION)
        fail(L, "at: expects (time, function), like at(12, function() crash { node = \"broker\" } "
                "end)");
    int64_t t = to_us(time_arg(L, c, 1, "at", "time", 1));
    if (sc->ncallbacks >= SIM_MAX_CALLBACKS)
        fail(L, "at: too many callbacks (limit %d)", SIM_MAX_CALLBACKS);
    int line = sandbox_line(L);
    lua_settop(L, 2);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    int i = sc->ncallbacks;
    while (i > 0 && sc->callbacks[i - 1].t_us > t) {
        sc->callbacks[i] = sc->callbacks[i - 1];
        i--;
    }
    sc->callbacks[i] = (sim_callback){ .t_us = t, .ref = ref, .line = line };
    sc->ncallbacks++;
    return 0;
}

/* note(text): a line in the trace, from inside an at() callback. */
static int l_note(lua_State *L) {
    scn *c = scn_of(L);
    char g[96];
    if (c->phase != PH_FIRE)
        fail(L, "note: only inside at() callbacks (at load time, write a Lua comment)");
    if (lua_gettop(L) != 1 || (lua_type(L, 1) != LUA_TSTRING && lua_type(L, 1) != LUA_TNUMBER))
        fail(L, "note: expects one string, got %s", got(L, 1, g, sizeof g));
    size_t len;
    const char *text = lua_tolstring(L, 1, &len);
    if (len > SCN_MAX_NOTE) fail(L, "note: text longer than %d bytes", SCN_MAX_NOTE);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20)
            fail(L, "note: text must be one line (no control characters)");
    if (c->sc->note) c->sc->note(c->sc->note_ctx, sandbox_line(L), text);
    return 0;
}

/* The flags ctl() may not pass: the simulator names the database itself. */
static int ctl_flag_refused(const char *a) {
    return !strcmp(a, "--db") || !strncmp(a, "--db=", 5);
}

/* ctl("requeue", "all"), ctl("list", "--status", "DEAD"): an operator runs bin/outbox-ctl
** on the payment database at this moment of the run (only inside at() callbacks), with
** its own commands and flags (outbox-ctl judges the flags: a bad one is its exit 2).
** Returns the tool's exit code and its output. */
static int l_ctl(lua_State *L) {
    scn *c = scn_of(L);
    char g[96];
    static const char *const COMMANDS[] = { "list", "show", "requeue", "stats", NULL };
    if (c->phase != PH_FIRE)
        fail(L, "ctl: only inside at() callbacks: an operator acts at a moment of the run");
    int n = lua_gettop(L);
    if (n < 1 || n > SIM_MAX_CTL_ARGS)
        fail(L, "ctl: expects 1 to %d string arguments, like ctl(\"requeue\", \"all\")",
             SIM_MAX_CTL_ARGS);
    const char *argv[SIM_MAX_CTL_ARGS + 1];
    for (int i = 1; i <= n; i++) {
        if (lua_type(L, i) != LUA_TSTRING && lua_type(L, i) != LUA_TNUMBER)
            fail(L, "ctl: argument %d must be a string, got %s", i, got(L, i, g, sizeof g));
        argv[i - 1] = lua_tostring(L, i);
        if (strlen(argv[i - 1]) > 64)
            fail(L, "ctl: argument %d is longer than 64 bytes", i);
        if (ctl_flag_refused(argv[i - 1]))
            fail(L, "ctl: argument %d ('%s'): the simulator names the database itself", i,
                 argv[i - 1]);
    }
    argv[n] = NULL;
    int known = 0;
    for (int i = 0; COMMANDS[i]; i++) known |= !strcmp(argv[0], COMMANDS[i]);
    if (!known) fail(L, "ctl: unknown command '%s' (list, show, requeue, stats)", argv[0]);
    static char out[SIM_MAX_CTL_OUTPUT];
    out[0] = '\0';
    int code = c->sc->ctl ? c->sc->ctl(c->sc->note_ctx, sandbox_line(L), n, argv, out,
                                       sizeof out)
                          : -1;
    lua_pushinteger(L, code);
    lua_pushstring(L, out);
    return 2;
}

/* Records a failed check of the scenario's own at the current callback. */
static void check_failed(lua_State *L, scn *c, const char *text) {
    sim_scenario *sc = c->sc;
    int line = sandbox_line(L);
    sc->checks_failed++;
    if (sc->nchecks < SIM_MAX_CHECKS) {
        sim_check *k = &sc->checks[sc->nchecks++];
        k->line = line;
        k->t_us = c->now_us;
        snprintf(k->text, sizeof k->text, "%s", text);
    }
    char note[SCN_MAX_NOTE + 32];
    snprintf(note, sizeof note, "check failed: %s", text);
    if (sc->note) sc->note(sc->note_ctx, line, note);   /* the trace tells where */
}

/* The text of a check: one line, at most SCN_MAX_NOTE bytes. */
static const char *check_text(lua_State *L, const char *fn, int i) {
    char g[96];
    if (lua_type(L, i) != LUA_TSTRING && lua_type(L, i) != LUA_TNUMBER)
        fail(L, "%s: expects its text as a string, got %s", fn, got(L, i, g, sizeof g));
    size_t len;
    const char *text = lua_tolstring(L, i, &len);
    if (len == 0 || len > SCN_MAX_NOTE)
        fail(L, "%s: text must be 1 to %d bytes", fn, SCN_MAX_NOTE);
    for (size_t k = 0; k < len; k++)
        if ((unsigned char)text[k] < 0x20) fail(L, "%s: text must be one line", fn);
    return text;
}

/* fail_check(text): the run fails here, for the reason text (exit 1, not a scenario error). */
static int l_fail_check(lua_State *L) {
    scn *c = scn_of(L);
    if (c->phase != PH_FIRE)
        fail(L, "fail_check: only inside at() callbacks (at load time, use expect{})");
    if (lua_gettop(L) != 1) fail(L, "fail_check: expects one string, like fail_check(\"why\")");
    check_failed(L, c, check_text(L, "fail_check", 1));
    return 0;
}

/* check(cond, text): fail_check(text) unless cond is true; returns cond. */
static int l_check(lua_State *L) {
    scn *c = scn_of(L);
    if (c->phase != PH_FIRE)
        fail(L, "check: only inside at() callbacks (at load time, use expect{})");
    if (lua_gettop(L) != 2 || lua_type(L, 1) != LUA_TBOOLEAN)
        fail(L, "check: expects a boolean and a string, like check(code == 0, \"requeue "
                "worked\")");
    int ok = lua_toboolean(L, 1);
    const char *text = check_text(L, "check", 2);
    if (!ok) check_failed(L, c, text);
    lua_pushboolean(L, ok);
    return 1;
}

/* ---- expect{} --------------------------------------------------------------------------- */

static int read_invariants(lua_State *L, const char *name, char out[][32]) {
    char g[96], h[96], list[512], sub[48];   /* list: every invariant name, comma-joined */
    if (field(L, 1, name) == LUA_TNIL) { lua_pop(L, 1); return 0; }
    int n = check_list(L, -1, "expect", name, "{\"eventual_consistency\"}");
    if (n == 0 || n > SIM_MAX_EXPECT)
        fail(L, "expect: '%s' must name 1 to %d invariants", name, SIM_MAX_EXPECT);
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        snprintf(sub, sizeof sub, "%s[%d]", name, i + 1);
        const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (s == NULL)
            fail(L, "expect: '%s' must be an invariant name, got %s", sub, got(L, -1, g, sizeof g));
        if (invariant_index(s) < 0) {
            const char *names[INVARIANT_COUNT + 1];
            invariant_names(names);
            fail(L, "expect: unknown invariant '%s' in '%s' (%sinvariants: %s)", s, name,
                 hint(s, names, h, sizeof h), join(names, list, sizeof list));
        }
        for (int j = 0; j < i; j++)
            if (strcmp(out[j], s) == 0) fail(L, "expect: '%s' names '%s' twice", name, s);
        snprintf(out[i], 32, "%s", s);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return n;
}

static void read_dead_letters(lua_State *L, sim_expect *e) {
    int ty = field(L, 1, "dead_letters");
    if (ty == LUA_TNUMBER)
        e->dead_min = e->dead_max = check_int(L, -1, "expect", "dead_letters", 0, SIM_MAX_PAYMENTS);
    else if (ty != LUA_TNIL)
        check_range(L, -1, "expect", "dead_letters", 0, SIM_MAX_PAYMENTS, 0, &e->dead_min,
                    &e->dead_max);
    lua_pop(L, 1);
}

/* One reached state named in expect { reached = ... }, at least min times. */
static void reach_one(lua_State *L, sim_expect *e, const char *name, int64_t min) {
    char h[96], list[600];
    int k = reached_index(name);
    if (k < 0) {
        const char *names[REACHED_COUNT + 1];
        reached_names(names);
        fail(L, "expect: unknown reached state '%s' (%sstates: %s)", name,
             hint(name, names, h, sizeof h), join(names, list, sizeof list));
    }
    if (e->reached[k]) fail(L, "expect: 'reached' names '%s' twice", name);
    e->reached[k] = (uint32_t)min;
    e->nreached++;
}

/* reached = { "row_dead", "duplicate_absorbed" } (each at least once) or { row_dead = 3 }
** (at least 3 times), or both in one table; {} says the scenario reaches nothing on
** purpose.  Named keys are read in sorted order, so the error a file gets does not
** depend on Lua's hash order. */
static void read_reached(lua_State *L, sim_expect *e) {
    static const char *const EX = "{ \"row_dead\", duplicate_absorbed = 3 }";
    char g[96], sub[80];
    if (field(L, 1, "reached") == LUA_TNIL) { lua_pop(L, 1); return; }
    int t = lua_absindex(L, -1);
    if (lua_type(L, t) != LUA_TTABLE)
        fail(L, "expect: 'reached' must be a table like %s, got %s", EX, got(L, t, g, sizeof g));
    lua_Unsigned n = lua_rawlen(L, t);
    for (lua_Unsigned i = 1; i <= n && i <= REACHED_COUNT + 1; i++) {
        lua_rawgeti(L, t, (lua_Integer)i);
        if (lua_type(L, -1) != LUA_TSTRING)
            fail(L, "expect: 'reached[%llu]' must be a reached state's name, got %s",
                 (unsigned long long)i, got(L, -1, g, sizeof g));
        reach_one(L, e, lua_tostring(L, -1), 1);
        lua_pop(L, 1);
    }
    const char *keys[REACHED_COUNT + 1];
    int nk = 0;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        if (lua_type(L, -2) == LUA_TNUMBER && lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 &&
            (lua_Unsigned)lua_tointeger(L, -2) <= n)
            continue;
        if (lua_type(L, -2) != LUA_TSTRING)
            fail(L, "expect: 'reached' must be a table like %s, without holes", EX);
        if (nk > REACHED_COUNT) fail(L, "expect: 'reached' names more states than there are");
        keys[nk++] = lua_tostring(L, -2);   /* the table keeps the string alive */
    }
    qsort(keys, (size_t)nk, sizeof keys[0], cmp_str);
    for (int i = 0; i < nk; i++) {
        snprintf(sub, sizeof sub, "reached.%s", keys[i]);
        lua_pushstring(L, keys[i]);
        lua_rawget(L, t);
        int64_t min = check_int(L, -1, "expect", sub, 1, UINT32_MAX);
        lua_pop(L, 1);
        reach_one(L, e, keys[i], min);
    }
    lua_pop(L, 1);   /* reached = {}: declared, and nothing to reach (a baseline) */
}

/* never = { "rows_cleaned", "frame_rejected" }: reached states the run must not reach
** (an "unreachable" assertion); a state cannot be both here and in reached. */
static void read_never(lua_State *L, sim_expect *e) {
    static const char *const EX = "{ \"rows_cleaned\", \"frame_rejected\" }";
    char g[96], h[96], list[600];
    if (field(L, 1, "never") == LUA_TNIL) { lua_pop(L, 1); return; }
    int t = lua_absindex(L, -1);
    if (lua_type(L, t) != LUA_TTABLE)
        fail(L, "expect: 'never' must be a table like %s, got %s", EX, got(L, t, g, sizeof g));
    lua_Unsigned n = lua_rawlen(L, t);
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1))
        if (lua_type(L, -2) != LUA_TNUMBER || !lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1 ||
            (lua_Unsigned)lua_tointeger(L, -2) > n)
            fail(L, "expect: 'never' must be a list like %s, without keys or holes", EX);
    if (n > REACHED_COUNT) fail(L, "expect: 'never' names more states than there are");
    for (lua_Unsigned i = 1; i <= n; i++) {
        lua_rawgeti(L, t, (lua_Integer)i);
        if (lua_type(L, -1) != LUA_TSTRING)
            fail(L, "expect: 'never[%llu]' must be a reached state's name, got %s",
                 (unsigned long long)i, got(L, -1, g, sizeof g));
        const char *name = lua_tostring(L, -1);
        int k = reached_index(name);
        if (k < 0) {
            const char *names[REACHED_COUNT + 1];
            reached_names(names);
            fail(L, "expect: unknown reached state '%s' in 'never' (%sstates: %s)", name,
                 hint(name, names, h, sizeof h), join(names, list, sizeof list));
        }
        if (e->never[k]) fail(L, "expect: 'never' names '%s' twice", name);
        if (e->reached[k]) fail(L, "expect: '%s' is both in 'reached' and in 'never'", name);
        e->never[k] = 1;
        e->nnever++;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* expect { all_invariants = true } | { violated = {...}, hold = {...} | others_hold = true },
** dead_letters, faults_act, reached, never */
static int l_expect(lua_State *L) {
    static const char *const FIELDS[] = { "all_invariants", "violated", "hold", "others_hold",
                                          "dead_letters", "faults_act", "reached", "never",
                                          NULL };
    scn *c = begin(L, "expect", 1);
    if (c->expect_line) fail(L, "expect: declared twice (first at line %d)", c->expect_line);
    table_arg(L, "expect", "expect { all_invariants = true }");
    check_fields(L, 1, "expect", "", FIELDS);
    sim_expect e;
    memset(&e, 0, sizeof e);
    e.dead_min = e.dead_max = -1;
    int all = bool_field(L, 1, "expect", "all_invariants");
    e.nviolated = read_invariants(L, "violated", e.violated);
    e.nhold = read_invariants(L, "hold", e.hold);
    if (all == 1 && e.nviolated) fail(L, "expect: 'all_invariants = true' contradicts 'violated'");
    if (all == 0 && !e.nviolated)
        fail(L, "expect: 'all_invariants = false' needs 'violated' (the invariants the run must "
                "break)");
    if (e.nhold && !e.nviolated)
        fail(L, "expect: 'hold' goes with 'violated' (without it every invariant must hold)");
    int others = bool_field(L, 1, "expect", "others_hold");
    if (others == 1 && !e.nviolated)
        fail(L, "expect: 'others_hold' goes with 'violated' (without it every invariant must "
                "hold)");
    if (others == 1 && e.nhold)
        fail(L, "expect: 'others_hold = true' already holds every invariant 'violated' does not "
                "name: drop 'hold'");
    e.others_hold = others == 1;
    for (int i = 0; i < e.nhold; i++)
        for (int j = 0; j < e.nviolated; j++)
            if (strcmp(e.hold[i], e.violated[j]) == 0)
                fail(L, "expect: '%s' is both in 'violated' and in 'hold'", e.hold[i]);
    e.all_invariants = e.nviolated == 0;
    read_dead_letters(L, &e);
    e.faults_act = bool_field(L, 1, "expect", "faults_act") == 1;
    read_reached(L, &e);
    read_never(L, &e);
    c->sc->expect = e;
    c->expect_line = sandbox_line(L) > 0 ? sandbox_line(L) : 1;
    return 0;
}

/* ---- topology ------------------------------------------------------------------------- */

/* 1 if the node's database file is opened by another process of the run too. */
static int shares_db(const sim_scenario *sc, int node) {
    int n = 0;
    for (int i = 0; i < SIM_MAX_NODES; i++)
        n += scenario_node_active(sc, i) && !strcmp(SLOTS[i].db, SLOTS[node].db);
    return n > 1;
}

/* Adds "key=value" to the sorted knobs (the simulator's own knob, so it is in every
** node's command line and in the checker's config). */
static void add_knob(lua_State *L, sim_scenario *sc, const char *key, const char *value) {
    if (sc->nknobs == SIM_MAX_KNOBS) fail(L, "topology: too many knobs (limit %d)", SIM_MAX_KNOBS);
    char kv[128];
    snprintf(kv, sizeof kv, "%s=%s", key, value);
    int at = sc->nknobs;
    while (at > 0 && strcmp(sc->knobs[at - 1], kv) > 0) at--;
    memmove(sc->knobs[at + 1], sc->knobs[at], sizeof sc->knobs[0] * (size_t)(sc->nknobs - at));
    snprintf(sc->knobs[at], sizeof sc->knobs[0], "%s", kv);
    sc->nknobs++;
}

/* topology { accounting = M }: competing consumers on PAY_QUEUE, accounting-2..M beside
** accounting on its database; the broker's knob accounting_instances says M. */
static void topology_accounting(lua_State *L, sim_scenario *sc) {
    int64_t m = 1;
    int_field(L, 1, "topology", "accounting", 1, SIM_MAX_ACCOUNTING, &m);
    if (scenario_knob(sc, "accounting_instances"))
        fail(L, "topology: the knob 'accounting_instances' is the simulator's (set accounting "
             "here)");
    sc->instances[OX_ROLE_ACCOUNTING] = (int)m;
    if (m == 1) return;   /* the broker as always: no knob, every trace as it was */
    char v[8];
    snprintf(v, sizeof v, "%d", (int)m);
    add_knob(L, sc, "accounting_instances", v);
}

/* topology { relays = N, accounting = M }: after scenario{}, before any fault or
** nemesis{}, at most once. */
static int l_topology(lua_State *L) {
    static const char *const FIELDS[] = { "relays", "accounting", NULL };
    scn *c = scn_of(L);
    sim_scenario *sc = c->sc;
    if (c->phase != PH_LOAD) fail(L, "topology: only at load time, not inside an at() callback");
    if (c->scenario_line == 0) fail(L, "topology: declare scenario { } first");
    if (sc->topology_line)
        fail(L, "topology: declared twice (first at line %d)", sc->topology_line);
    if (sc->nfaults > 0 || sc->nnemeses > 0)
        fail(L, "topology: declare it before any fault or nemesis { }: they name its nodes");
    table_arg(L, "topology", "topology { relays = 3 }");
    check_fields(L, 1, "topology", "", FIELDS);
    int64_t relays = 0;
    int_field(L, 1, "topology", "relays", 0, SIM_MAX_RELAYS, &relays);
    if (scenario_knob(sc, "relays") || scenario_knob(sc, "owner"))
        fail(L, "topology: the knobs 'relays' and 'owner' are the simulator's (set relays here)");
    sc->instances[OX_ROLE_RELAY] = (int)relays;
    if (relays > 0) {
        char v[8];
        snprintf(v, sizeof v, "%d", (int)relays);
        add_knob(L, sc, "relays", v);
    }
    topology_accounting(L, sc);
    sc->topology_line = sandbox_line(L) > 0 ? sandbox_line(L) : 1;
    return 0;
}

/* ---- loading, firing, freeing ------------------------------------------------------------ */

static int l_register(lua_State *L) {
    static const luaL_Reg fns[] = {
        { "scenario", l_scenario },
        { "topology", l_topology },
        { "drop", l_drop },
        { "duplicate", l_duplicate },
        { "delay", l_delay },
        { "corrupt", l_corrupt },
        { "crash", l_crash },
        { "failpoints", l_failpoints },
        { "power_loss", l_power_loss },
        { "between", l_between },
        { "at", l_at },
        { "note", l_note },
        { "ctl", l_ctl },
        { "check", l_check },
        { "fail_check", l_fail_check },
        { "expect", l_expect },
        { "partition", l_partition },
        { "broker_loss", l_broker_loss },
        { "clock", l_clock },
        { "clock_jump", l_clock_jump },
        { "slow", l_slow },
        { "rollback", l_rollback },
        { "disk", l_disk },
        { "pause", l_pause },
        { "tamper", l_tamper },
        { "misconfig", l_misconfig },
        { "nemesis", l_nemesis },
        { NULL, NULL },
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, fns, 0);
    return 0;
}

/* path and slug (file name without directory and ".lua"). */
static int set_names(sim_scenario *sc, const char *path, char *err, size_t errlen) {
    if (strlen(path) >= sizeof sc->path) {
        snprintf(err, errlen, "%.200s...: path too long (at most %zu bytes)", path,
                 sizeof sc->path - 1);
        return -1;
    }
    snprintf(sc->path, sizeof sc->path, "%s", path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".lua") == 0) n -= 4;
    if (n == 0 || n >= sizeof sc->slug || (n == 1 && base[0] == '.') ||
        (n == 2 && !strncmp(base, "..", 2))) {
        snprintf(err, errlen,
                 "%s: cannot name a report directory after this file (want a file name like x.lua, "
                 "under %zu bytes)",
                 path, sizeof sc->slug);
        return -1;
    }
    snprintf(sc->slug, sizeof sc->slug, "%.*s", (int)n, base);
    return 0;
}

static scn *scn_of_state(lua_State *L) {
    return (scn *)sandbox_of(L);
}

/* Frees sc and its loader (c is owned by the Lua state once there is one). */
static void release(sim_scenario *sc, scn *c) {
    if (sc->L) {
        c = scn_of_state(sc->L);
        sandbox_close(sc->L);
    }
    free(c);
    free(sc->workload.refuse);
    free(sc);
}

sim_scenario *scenario_load(const char *path, uint64_t seed, char *err, size_t errlen) {
    assert(path && err && errlen > 0);
    err[0] = '\0';
    sim_scenario *sc = calloc(1, sizeof *sc);
    scn *c = calloc(1, sizeof *c);
    if (sc == NULL || c == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(sc);
        free(c);
        return NULL;
    }
    defaults(sc);
    *c = (scn){ .sc = sc, .seed = seed, .phase = PH_LOAD, .win_from = 0, .win_to = SIM_FOREVER };
    if (set_names(sc, path, err, errlen) != 0) goto failed;
    lua_State *L = sandbox_open(&c->box, path, ox_prng_derive(seed, SCN_STREAM_LUA), err, errlen);
    if (L == NULL) goto failed;
    sc->L = L;
    lua_pushcfunction(L, l_register);
    if (sandbox_call(L, 0, err, errlen) != 0) goto failed;
    if (sandbox_load(L, err, errlen) != 0 || sandbox_call(L, 0, err, errlen) != 0) goto failed;
    if (c->scenario_line == 0) {
        snprintf(err, errlen,
                 "%s: no scenario { ... } in this file (every scenario declares one, first)", path);
        goto failed;
    }
    c->phase = PH_IDLE;
    if (sc->ncallbacks == 0) {    /* nothing will run Lua again: give its memory back */
        sandbox_close(L);
        sc->L = NULL;
        free(c);
    }
    return sc;
failed:
    release(sc, c);
    return NULL;
}

int scenario_fire(sim_scenario *sc, int i, int64_t now_us, char *err, size_t errlen) {
    assert(sc && sc->L && i >= 0 && i < sc->ncallbacks && now_us >= 0 && err && errlen > 0);
    lua_State *L = sc->L;
    scn *c = scn_of_state(L);
    assert(c->sc == sc && c->phase == PH_IDLE);
    int before = sc->nfaults;
    c->phase = PH_FIRE;
    c->now_us = now_us;
    c->win_from = now_us;
    c->win_to = SIM_FOREVER;
    c->depth = 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sc->callbacks[i].ref);
    int rc = sandbox_call(L, 0, err, errlen);
    c->phase = PH_IDLE;
    if (rc != 0) sc->nfaults = before;    /* a failed callback declares nothing */
    return rc;
}

void scenario_free(sim_scenario *sc) {
    if (sc == NULL) return;
    release(sc, NULL);
}

/* ---- faults as Lua --------------------------------------------------------------------- */

const char *scenario_fault_kind_name(int kind) {
    static const char *const NAMES[FK_KIND_COUNT] = {
        "?",           "drop",  "duplicate",  "delay", "crash",   "partition",
        "broker_loss", "clock", "clock_jump", "slow",  "corrupt", "power_loss",
        "rollback",    "disk",  "pause",      "tamper", "misconfig",
    };
    return kind > 0 && kind < FK_KIND_COUNT ? NAMES[kind] : "?";
}

/* Appends printf output to b[cap] at *len; the result stays NUL-terminated (truncated). */
static void put(char *b, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *b, size_t cap, size_t *len, const char *fmt, ...) {
    if (*len >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b + *len, cap - *len, fmt, ap);
    va_end(ap);
    *len = w < 0 ? cap : *len + (size_t)w;
}

/* The shortest text that reads back as exactly v. */
static const char *num(double v, char *buf, size_t n) {
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

static const char *secs(int64_t us, char *buf, size_t n) { return num((double)us / 1e6, buf, n); }

static void put_window(char *b, size_t cap, size_t *len, const sim_fault *f) {
    char x[40];
    if (f->from_us > 0) put(b, cap, len, ", start = %s", secs(f->from_us, x, sizeof x));
    if (f->to_us != SIM_FOREVER) put(b, cap, len, ", stop = %s", secs(f->to_us, x, sizeof x));
}

/* ", p = 0.3" or ", nth = 3" (sep: what goes before it). */
static void put_chance(char *b, size_t cap, size_t *len, const char *sep, const sim_fault *f) {
    char x[40];
    if (f->nth > 0) put(b, cap, len, "%snth = %u", sep, f->nth);
    else put(b, cap, len, "%sp = %s", sep, num(f->p, x, sizeof x));
}

static void put_frame_fault(char *b, size_t cap, size_t *len, const sim_fault *f) {
    char x[40];
    put(b, cap, len, "%s { ", scenario_fault_kind_name(f->kind));
    if (f->src != SIM_ANY || f->dst != SIM_ANY)
        put(b, cap, len, "link = \"%s->%s\", ", scenario_node_name(f->src),
            scenario_node_name(f->dst));
    if (f->queue[0]) put(b, cap, len, "queue = \"%s\", ", f->queue);
    if (f->label[0]) put(b, cap, len, "label = \"%s\", ", f->label);
    if (f->pay) put(b, cap, len, "pay = %llu, ", (unsigned long long)f->pay);
    if (f->kind == FK_DUPLICATE && f->copies != 1) put(b, cap, len, "copies = %u, ", f->copies);
    if (f->kind == FK_DELAY && f->min_us > 0)
        put(b, cap, len, "min = %s, ", secs(f->min_us, x, sizeof x));
    if (f->kind == FK_DELAY) put(b, cap, len, "max = %s, ", secs(f->max_us, x, sizeof x));
    put_chance(b, cap, len, "", f);
    put_window(b, cap, len, f);
    put(b, cap, len, " }");
}

/* crash{} and power_loss{}: where, (the keep), and the restart. */
static void put_kill(char *b, size_t cap, size_t *len, const sim_fault *f) {
    char x[40];
    const char *fn = f->kind == FK_POWER_LOSS ? "power_loss" : "crash";
    if (f->failpoint[0] && f->node >= SIM_NODES)   /* an instance: say which (accounting-2) */
        put(b, cap, len, "%s { node = \"%s\", at_failpoint = \"%s\", hit = %u", fn,
            scenario_node_name(f->node), f->failpoint, f->hit);
    else if (f->failpoint[0])
        put(b, cap, len, "%s { at_failpoint = \"%s\", hit = %u", fn, f->failpoint, f->hit);
    else put(b, cap, len, "%s { node = \"%s\", at = %s", fn, scenario_node_name(f->node),
             secs(f->at_us, x, sizeof x));
    if (f->kind == FK_POWER_LOSS)
        put(b, cap, len, ", keep = \"%s\"", disk_keep_name((disk_keep)f->keep));
    if (f->restart_after_us < 0) put(b, cap, len, ", restart = false }");
    else put(b, cap, len, ", restart_after = %s }", secs(f->restart_after_us, x, sizeof x));
}

/* tamper{}: its SQL goes back between double quotes as it is (l_tamper refused '"' and
** '\\' in it). */
static void put_tamper(char *b, size_t cap, size_t *len, const sim_fault *f) {
    char x[40], y[40];
    put(b, cap, len, "tamper { node = \"%s\", at = %s, sql = \"%s\", restart_after = %s }",
        scenario_node_name(f->node), secs(f->from_us, x, sizeof x), f->sql,
        secs(f->restart_after_us, y, sizeof y));
}

static void put_misconfig(char *b, size_t cap, size_t *len, const sim_fault *f) {
    char x[40], y[40];
    put(b, cap, len, "misconfig { node = \"%s\", at = %s, knob = \"%s\", restart_after = %s }",
        scenario_node_name(f->node), secs(f->from_us, x, sizeof x), f->knob,
        secs(f->restart_after_us, y, sizeof y));
}

size_t scenario_fault_lua(const sim_fault *f, char *b, size_t cap) {
    assert(f && b && cap > 0);
    char x[40], y[40];
    size_t len = 0;
    b[0] = '\0';
    const char *node = scenario_node_name(f->node);
    switch (f->kind) {
    case FK_DROP: case FK_DUPLICATE: case FK_DELAY: case FK_CORRUPT:
        put_frame_fault(b, cap, &len, f);
        break;
    case FK_CRASH: case FK_POWER_LOSS:
        put_kill(b, cap, &len, f);
        break;
    case FK_PARTITION:
        put(b, cap, &len, "partition { between = {\"%s\", \"%s\"}%s", scenario_node_name(f->src),
            scenario_node_name(f->dst), f->twoway ? "" : ", oneway = true");
        put_window(b, cap, &len, f);
        put(b, cap, &len, " }");
        break;
    case FK_BROKER_LOSS:
        put(b, cap, &len, "broker_loss { ");
        if (f->queue[0]) put(b, cap, &len, "queue = \"%s\", ", f->queue);
        put_chance(b, cap, &len, "", f);
        put_window(b, cap, &len, f);
        put(b, cap, &len, " }");
        break;
    case FK_CLOCK:
        put(b, cap, &len, "clock { node = \"%s\"", node);
        if (f->by_us != 0 || f->rate == 0)
            put(b, cap, &len, ", skew = %s", num((double)f->by_us / 1e6, x, sizeof x));
        if (f->rate != 0) put(b, cap, &len, ", rate = %s", num(f->rate, y, sizeof y));
        put(b, cap, &len, " }");
        break;
    case FK_DISK:
        put(b, cap, &len, "disk { node = \"%s\", fault = \"%s\", on = \"%s\"", node,
            f->disk_err, f->disk_op);
        put_chance(b, cap, &len, ", ", f);
        put_window(b, cap, &len, f);
        if (f->at_start)
            put(b, cap, &len, ", at_start = true, restart_after = %s",
                secs(f->restart_after_us, x, sizeof x));
        put(b, cap, &len, " }");
        break;
    case FK_PAUSE:
        put(b, cap, &len, "pause { node = \"%s\", at = %s, duration = %s }", node,
            secs(f->from_us, x, sizeof x), secs(f->to_us - f->from_us, y, sizeof y));
        break;
    case FK_TAMPER: put_tamper(b, cap, &len, f); break;
    case FK_MISCONFIG: put_misconfig(b, cap, &len, f); break;
    case FK_CLOCK_JUMP:
        put(b, cap, &len, "clock_jump { node = \"%s\", at = %s, by = %s }", node,
            secs(f->at_us, x, sizeof x), num((double)f->by_us / 1e6, y, sizeof y));
        break;
    case FK_SLOW:
        put(b, cap, &len, "slow { node = \"%s\", per_message = %s", node,
            secs(f->per_us, x, sizeof x));
        put_window(b, cap, &len, f);
        put(b, cap, &len, " }");
        break;
    case FK_ROLLBACK:
        put(b, cap, &len, "rollback { node = \"%s\", p = %s", node, num(f->p, x, sizeof x));
        put_window(b, cap, &len, f);
        put(b, cap, &len, " }");
        break;
    default:
        put(b, cap, &len, "-- unknown fault kind %d", (int)f->kind);
    }
    return len < cap ? len : cap - 1;
}
