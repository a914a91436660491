/*
** tamper.c: SQL on a down node's database file, from outside (see tamper.h).
*/
#include "tamper.h"

#include <assert.h>
#include <stdio.h>

#include <sqlite3.h>

#include "diskf.h"
#include "world_loop.h"

/* The node's database file: in the private temp dir while dbplace keeps it there
** (dbplace.h), else in the run dir. */
static void db_file(const sim_world *w, int node, char *buf, size_t cap) {
    const char *dir = w->tmp_dbs ? w->procs.dir : w->o->run_dir;
    snprintf(buf, cap, "%s/%s.db", dir, scenario_node_name(node));
}

static int skipped(sim_world *w, sim_fault *f, const char *why) {
    f->skipped = 1;
    trace_begin(&w->trace, w->now, "tamper_skipped");
    trace_str(&w->trace, "node", scenario_node_name(f->node));
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "why", why);
    trace_end(&w->trace);
    return 0;
}

/* Runs f's SQL on the file; the rows it changed in *changes.  0, or -1 with the reason. */
static int run_sql(const char *path, const char *sql, int64_t *changes, char *err, size_t cap) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        snprintf(err, cap, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    else *changes = sqlite3_total_changes64(db);
    int closed = sqlite3_close(db);   /* sqlite3_exec finalized its statements */
    assert(closed == SQLITE_OK);
    (void)closed;
    return rc == SQLITE_OK ? 0 : -1;
}

int tamper_apply(sim_world *w, sim_fault *f) {
    assert(f->kind == FK_TAMPER);
    assert(f->node >= 0 && f->node < SIM_NODES);
    if (f->fired) return 0;
    f->fired = 1;
    world_announce(w, f);
    if (w->nodes[f->node].pid != 0) return skipped(w, f, "running");
    char path[700], err[300];
    db_file(w, f->node, path, sizeof path);
    FILE *probe = fopen(path, "rb");   /* SQLite would create a missing file: refuse */
    if (probe == NULL) return skipped(w, f, "no database yet");
    fclose(probe);
    int64_t changes = 0;
    if (run_sql(path, f->sql, &changes, err, sizeof err) != 0)
        return world_fail(w, OX_EXIT_USAGE, "%s:%d: tamper: SQLite refused its sql: %s",
                          w->sc->path, f->line, err);
    f->acted++;
    trace_begin(&w->trace, w->now, "tamper");
    trace_str(&w->trace, "node", scenario_node_name(f->node));
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "sql", f->sql);
    trace_int(&w->trace, "changes", changes);
    trace_end(&w->trace);
    return 0;
}

const sim_fault *tamper_last(const sim_world *w, int node) {
    const sim_fault *last = NULL;
    for (int i = 0; i < w->sc->nfaults; i++) {
        const sim_fault *f = &w->sc->faults[i];
        if (f->kind == FK_TAMPER && f->node == node && f->acted > 0 &&
            (last == NULL || f->from_us >= last->from_us))
            last = f;
    }
    return last;
}

int tamper_start_failed(sim_world *w, int node, const char *why) {
    const sim_fault *f = tamper_last(w, node);
    assert(f != NULL);
    assert(f->kind == FK_TAMPER);
    return diskf_restart_later(w, node, (int)(f - w->sc->faults), why);
}
