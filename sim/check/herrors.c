/*
** herrors.c: errors_reported and errors_explained (see herrors.h).
*/
#include "herrors.h"

#include <assert.h>
#include <ctype.h>
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
    int64_t error_us[SIM_MAX_NODES];   /* an error note's step not yet judged, -1 none */
    uint32_t error_line[SIM_MAX_NODES];
    char error_text[SIM_MAX_NODES][120];   /* its detail, cut short */
    int64_t fault_seen_us[SIM_MAX_NODES];   /* the latest step with any disk_fault, -1 none */
    uint8_t tampered[SIM_MAX_NODES];   /* a tamper{} changed the node's database */
    uint8_t fault_causes[SIM_MAX_NODES];   /* CAUSE_ bits of the disk_faults at fault_seen_us */
    uint8_t named[SIM_MAX_NODES];      /* CAUSE_ bits the error notes at error_us name */
    int errors;                        /* slots with an error_us */
};

herrors *herrors_new(void) {
    herrors *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    for (int i = 0; i < SIM_MAX_NODES; i++)
        x->fault_us[i] = x->sign_us[i] = x->error_us[i] = x->fault_seen_us[i] = -1;
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

/* What a failed disk call failed with, as a cause an error can name: eio and fsync_fail
** are SQLite's I/O errors, full its SQLITE_FULL, nomem its SQLITE_NOMEM; anything else
** (a host's own word) is not judged. */
enum { CAUSE_IO = 1, CAUSE_FULL = 2, CAUSE_NOMEM = 4, CAUSE_OTHER = 8 };

static uint8_t cause_of(const char *error) {
    if (!strcmp(error, "eio") || !strcmp(error, "fsync_fail")) return CAUSE_IO;
    if (!strcmp(error, "full")) return CAUSE_FULL;
    if (!strcmp(error, "nomem")) return CAUSE_NOMEM;
    return CAUSE_OTHER;
}

/* The causes an error note's text names, in SQLite's words ("disk I/O error", "database or
** disk is full", "out of memory"). */
static uint8_t causes_named(const char *text) {
    uint8_t c = 0;
    if (strstr(text, "I/O error")) c |= CAUSE_IO;
    if (strstr(text, "full")) c |= CAUSE_FULL;
    if (strstr(text, "out of memory")) c |= CAUSE_NOMEM;
    return c;
}

static const char *cause_name(uint8_t c) {
    return c == CAUSE_IO ? "an I/O error" : c == CAUSE_FULL ? "a full disk" : "no memory";
}

/* Node n's error note at error_us is past its step: a fault behind it, or its own bug.
** When every failed call of the step failed the same way, some error note of the step
** must say so: an I/O error reported as a corrupt database sends an operator to restore
** a backup of a disk that only hiccuped. */
static void explain(herrors *x, history_sink *s, int n) {
    assert(x->error_us[n] >= 0);
    assert(x->errors > 0);
    uint32_t line = x->error_line[n];
    uint8_t c = x->fault_causes[n];
    int same_step = x->fault_seen_us[n] == x->error_us[n];
    if (!same_step && !x->tampered[n])
        history_flag(s, HI_ERRORS_EXPLAINED, 0, 0, &line, 1,
                     "%s reported an error at %.3f s with no fault behind it (no failed disk "
                     "call in that step, no tampered database): %s", scenario_node_name(n),
                     (double)x->error_us[n] / 1e6, x->error_text[n]);
    else if (same_step && !x->tampered[n] && (c == CAUSE_IO || c == CAUSE_FULL
                                              || c == CAUSE_NOMEM) && !(x->named[n] & c))
        history_flag(s, HI_ERRORS_EXPLAINED, 0, 0, &line, 1,
                     "%s's disk calls failed with %s at %.3f s, and its error does not say so: "
                     "%s", scenario_node_name(n), cause_name(c),
                     (double)x->error_us[n] / 1e6, x->error_text[n]);
    x->error_us[n] = -1;
    x->errors--;
}

/* A word: two letters in a row.  A reason written into a buffer nobody filled is stack
** bytes ("\x0f", "$"), which hold none. */
static int has_word(const char *text) {
    for (const char *p = text; p[0] && p[1]; p++)
        if (isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1])) return 1;
    return 0;
}

/* A reject note's reason: what follows "frame from NAME: " (the broker's "stored message"
** notes have no such head). */
static const char *reason_of(const char *detail) {
    const char *colon = strstr(detail, ": ");
    return strncmp(detail, "frame from ", 11) == 0 && colon ? colon + 2 : detail;
}

/* An error note must say what failed: a detail that is empty, or that ends at a colon
** ("cannot open payment.db: "), lost its reason on the way (an error message written into
** a buffer nobody filled), and an operator reading it learns nothing.  So does a "(null)"
** (printf's word for a reason that was a null pointer) in any error, fatal or reject
** note, and a reject note whose reason, after its "frame from NAME: ", holds no word. */
static void says_why(history_sink *s, const history_ev *e) {
    int reject = !strcmp(e->kind, "reject");
    const char *why = reject ? reason_of(e->detail) : e->detail;
    size_t n = strlen(why);
    while (n > 0 && why[n - 1] == ' ') n--;
    int lost = n == 0 || why[n - 1] == ':' || strstr(why, "(null)") != NULL;
    if (reject && !has_word(why)) lost = 1;
    if (!lost) return;
    uint32_t line = e->line;
    history_flag(s, HI_ERRORS_EXPLAINED, e->pay, 0, &line, 1,
                 "%s reported %s that does not say what failed: \"%s\"", e->node,
                 reject ? "a rejected frame" : "an error", e->detail);
}

/* An error node n reported at e (a note, or a failed reply's text): one judgement a step,
** of all its reports (explain). */
static void reported_error(herrors *x, int n, const history_ev *e, const char *text) {
    if (n < 0) return;
    if (x->error_us[n] == e->t_us) {
        x->named[n] |= causes_named(text);
        return;
    }
    assert(x->error_us[n] < 0);   /* an earlier step's was judged already */
    x->named[n] = causes_named(text);
    x->error_us[n] = e->t_us;
    x->error_line[n] = e->line;
    snprintf(x->error_text[n], sizeof x->error_text[n], "%s", text);
    x->errors++;
}

/* errors_explained's share of a line: an error note waits until the trace's time moves
** past its step, for the step's disk_fault lines (which come after it, or before it in a
** START's reply). */
static void explained_event(herrors *x, history_sink *s, const history_ev *e) {
    for (int n = 0; x->errors > 0 && n < SIM_MAX_NODES; n++)
        if (x->error_us[n] >= 0 && e->t_us > x->error_us[n]) explain(x, s, n);
    if (!strcmp(e->ev, "tamper")) {
        int n = scenario_node_parse(e->node);
        if (n >= 0) x->tampered[n] = 1;
    } else if (!strcmp(e->ev, "disk_fault")) {
        int n = scenario_node_parse(e->node);
        if (n < 0) return;
        if (x->fault_seen_us[n] != e->t_us) x->fault_causes[n] = 0;
        x->fault_causes[n] |= cause_of(e->error);
        x->fault_seen_us[n] = e->t_us;
    } else if (!strcmp(e->ev, "note") && !strcmp(e->kind, "reject")) {
        says_why(s, e);
    } else if (!strcmp(e->ev, "note") && (!strcmp(e->kind, "error") ||
                                           !strcmp(e->kind, "fatal"))) {
        says_why(s, e);
        reported_error(x, scenario_node_parse(e->node), e, e->detail);
    } else if (!strcmp(e->ev, "reply") && !strcmp(e->result, "failed")
               && !strncmp(e->detail, "error: ", 7)) {
        /* the payment service's answer to a PAY its step failed: its error, told the
        ** client, judged as its error notes are */
        reported_error(x, scenario_node_parse("payment"), e, e->detail + 7);
    }
}

void herrors_event(herrors *x, history_sink *s, const history_ev *e) {
    explained_event(x, s, e);
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
    for (int n = 0; n < SIM_MAX_NODES; n++) {
        if (x->fault_us[n] >= 0) judge(x, s, n);
        if (x->error_us[n] >= 0) explain(x, s, n);
    }
    assert(x->pending == 0);
    assert(x->errors == 0);
}
