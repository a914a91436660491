/*
** memf.c: SQLite's allocator, wrapped so that an allocation can fail (see memf.h).
*/
#include "memf.h"

#include <assert.h>
#include <stddef.h>

#include <sqlite3.h>

static sqlite3_mem_methods base;   /* SQLite's own, taken before wrapping */
static memf_fn hook;
static void *hook_ctx;
static int installed;

static int fails(void) {
    return hook != NULL && hook(hook_ctx) != 0;
}

static void *memf_malloc(int n) {
    if (fails()) return NULL;
    return base.xMalloc(n);
}

static void *memf_realloc(void *p, int n) {
    if (fails()) return NULL;   /* SQLite keeps p: a failed realloc frees nothing */
    return base.xRealloc(p, n);
}

static void memf_free(void *p) { base.xFree(p); }
static int memf_size(void *p) { return base.xSize(p); }
static int memf_roundup(int n) { return base.xRoundup(n); }
static int memf_init(void *ctx) { return base.xInit(base.pAppData); }
static void memf_shutdown(void *ctx) { base.xShutdown(base.pAppData); }

int memf_install(void) {
    assert(!installed);
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &base) != SQLITE_OK) return -1;
    assert(base.xMalloc != NULL);
    assert(base.xRealloc != NULL);
    sqlite3_mem_methods m = { memf_malloc, memf_free, memf_realloc, memf_size, memf_roundup,
                              memf_init, memf_shutdown, NULL };
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK) return -1;
    installed = 1;
    return 0;
}

void memf_set_hook(memf_fn fn, void *ctx) {
    hook = fn;
    hook_ctx = ctx;
}
