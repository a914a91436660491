/*
** herrors.c: errors_reported (see herrors.h).
*/
#include "herrors.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../scenario/scenario.h"

struct herrors {
    int64_t fault_us[SIM_MAX_NODES];   /* a failed call's step not yet judged, -1 none */
    uint32_t fault_line[SIM_MAX_NODES];
    char fault_op[SIM_MAX_NODES][8];
    int64_t sign_us[SIM_MAX_NODES];    /* the latest step that showed a failure, -1 none */
    int pending;                       /* slots with a fault_us */
};

herrors *herrors_new(void) {
    herrors *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    for (int i = 0; i < SIM_MAX_NODES; i++) x->fault_us[i] = x->sign_us[i] = -1;
    return x;
}

void herrors_free(herrors *x) { free(x); }

/* Node n's step at fault_us is over: it failed the call's step, or it swallowed it. */
static void judge(herrors *x, history_sink *s, int n) {
    assert(x->fault_us[n] >= 0);
    assert(x->pending > 0);
    if (x->sign_us[n] != x->fault_us[n]) {
        uint32_t line = x->fault_line[n];
        history_flag(s, HI_ERRORS_REPORTED, 0, 0, &line, 1,
                     "%s's %s failed at %.3f s and its step went on: no error note, no "
                     "refused payment, no stop", scenario_node_name(n), x->fault_op[n],
                     (double)x->fault_us[n] / 1e6);
    }
    x->fault_us[n] = -1;
    x->pending--;
}

/* A failure shown by the line's node (or, for a reply, by payment) at its time. */
static int sign_node(const history_ev *e) {
    if (!strcmp(e->ev, "reply")) return strcmp(e->result, "ok") ? scenario_node_parse("payment")
                                                                 : -1;
    int shows = (!strcmp(e->ev, "note") && (!strcmp(e->kind, "error") ||
                                            !strcmp(e->kind, "fatal")))
                || !strcmp(e->ev, "crash") || !strcmp(e->ev, "power_cut")
                || !strcmp(e->ev, "start_failed");
    return shows ? scenario_node_parse(e->node) : -1;
}

/* Whether SQLite reports the failure of this call to the statement that made it (see
** herrors.h): a write to the WAL or the rollback journal, a sync of the journal, a read
** of the main database.  The rest may be the checkpoint SQLite runs by itself after a
** commit (it writes and syncs the database, reads and syncs the WAL, and ignores its own
** errors: sqlite3WalDefaultHook), or a failed allocation it can do without. */
static int reported(const history_ev *e) {
    int write = !strcmp(e->op, "write"), sync = !strcmp(e->op, "sync");
    int wal = !strcmp(e->file, "wal"), journal = !strcmp(e->file, "journal");
    if (write) return wal || journal;
    if (sync) return journal;
    return !strcmp(e->op, "read") && !strcmp(e->file, "db");
}

void herrors_event(herrors *x, history_sink *s, const history_ev *e) {
    for (int n = 0; x->pending > 0 && n < SIM_MAX_NODES; n++)
        if (x->fault_us[n] >= 0 && e->t_us > x->fault_us[n]) judge(x, s, n);
    int sign = sign_node(e);
    if (sign >= 0) x->sign_us[sign] = e->t_us;
    if (strcmp(e->ev, "disk_fault") != 0 || !reported(e)) return;
    int n = scenario_node_parse(e->node);
    if (n < 0 || x->fault_us[n] == e->t_us) return;   /* one judgement a step */
    if (x->fault_us[n] >= 0) judge(x, s, n);
    x->fault_us[n] = e->t_us;
    x->fault_line[n] = e->line;
    snprintf(x->fault_op[n], sizeof x->fault_op[n], "%s", e->op[0] ? e->op : "call");
    x->pending++;
}

void herrors_end(herrors *x, history_sink *s) {
    for (int n = 0; n < SIM_MAX_NODES; n++)
        if (x->fault_us[n] >= 0) judge(x, s, n);
    assert(x->pending == 0);
}
