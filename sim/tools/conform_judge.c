/*
** conform_judge.c: the trace and row judges of `outbox-sim conform` (conform_judge.h).
*/
#include "conform_judge.h"

#include <assert.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/json.h"

/* The run's epoch on every node's clock (docs/protocol.md, "The clock"). */
#define CONFORM_EPOCH_MS 1700000000000LL
#define CONFORM_CLOCK_SPAN_MS 3600000LL    /* a conform run lasts far less than an hour */
#define CONFORM_CLOCK_BEFORE_MS 60000LL    /* a backward clock_jump of the scenario */
#define CONFORM_LINE_MAX 16384             /* a trace line (notes are at most 512 bytes) */
#define CONFORM_TRACE_MAX_LINES 50000000L  /* bounds the reading loop */
#define CONFORM_MAX_FRAMES (1u << 20)      /* frame ids remembered by the reject judge */

/* 1 if the node named `name` plays role. */
static int is_role(const char *name, ox_role role) {
    if (!name) return 0;
    const char *r = ox_role_name(role);
    size_t n = strlen(r);
    if (strncmp(name, r, n) != 0) return 0;
    return name[n] == '\0' || name[n] == '-';
}

typedef int (*line_fn)(const json_t *line, void *ctx);

/* Calls fn for every line of RUN_DIR/trace.jsonl, in order, until it returns non-zero.
** Returns 0, or -1 (why says why) when the trace cannot be read. */
static int each_line(const char *run_dir, line_fn fn, void *ctx, char *why, size_t cap) {
    char path[1200];
    snprintf(path, sizeof path, "%s/trace.jsonl", run_dir);
    FILE *f = fopen(path, "re");
    if (!f) { snprintf(why, cap, "cannot read %s", path); return -1; }
    char *buf = malloc(CONFORM_LINE_MAX);
    if (!buf) { fclose(f); snprintf(why, cap, "out of memory"); return -1; }
    int rc = 0;
    for (long no = 1; rc == 0 && no <= CONFORM_TRACE_MAX_LINES; no++) {
        if (!fgets(buf, CONFORM_LINE_MAX, f)) break;
        char err[256];
        json_t *line = json_r_parse(buf, path, err, sizeof err);
        if (!line) { snprintf(why, cap, "%s line %ld: %s", path, no, err); rc = -1; break; }
        if (fn(line, ctx)) rc = 1;
        json_decref(line);
    }
    fclose(f);
    free(buf);
    return rc < 0 ? -1 : 0;
}

static int ev_is(const json_t *line, const char *ev) {
    const char *e = json_r_str(line, "ev");
    return e && !strcmp(e, ev);
}

/* ---- steps ------------------------------------------------------------------- */

typedef struct { ox_role role; unsigned got; } steps_ctx;

static int steps_line(const json_t *line, void *ctx) {
    steps_ctx *c = ctx;
    if ((ev_is(line, "start") || ev_is(line, "restart")) && is_role(json_r_str(line, "node"),
                                                                     c->role))
        c->got |= CONFORM_STEP_START;
    if (ev_is(line, "deliver") && is_role(json_r_str(line, "to"), c->role))
        c->got |= CONFORM_STEP_FRAME;
    if (ev_is(line, "timer") && is_role(json_r_str(line, "node"), c->role))
        c->got |= CONFORM_STEP_TIMER;
    if (ev_is(line, "pay") && c->role == OX_ROLE_PAYMENT) c->got |= CONFORM_STEP_PAY;
    if (ev_is(line, "stop") && is_role(json_r_str(line, "node"), c->role))
        c->got |= CONFORM_STEP_STOP;
    return 0;
}

int conform_judge_steps(const char *run_dir, ox_role role, unsigned want, char *why,
                        size_t cap) {
    steps_ctx c = { role, 0 };
    if (each_line(run_dir, steps_line, &c, why, cap) != 0) return -1;
    static const char *const names[] = { "START", "FRAME", "TIMER", "PAY", "STOP" };
    unsigned missing = want & ~c.got;
    if (!missing) return 0;
    size_t n = (size_t)snprintf(why, cap, "%s got no", ox_role_name(role));
    for (unsigned i = 0; i < 5 && n < cap; i++)
        if (missing & (1u << i)) n += (size_t)snprintf(why + n, cap - n, " %s", names[i]);
    if (n < cap)
        snprintf(why + n, cap - n, " step%s (it set no timer, or a step went unanswered)",
                 missing & (missing - 1) ? "s" : "");
    return 1;
}

/* ---- reject ------------------------------------------------------------------ */

typedef struct {
    ox_role role;
    unsigned char *damaged;   /* [CONFORM_MAX_FRAMES]: 1 if that frame id was corrupted */
    int in_step;              /* the lines since a damaged frame's deliver line */
    uint64_t frame;           /* that frame */
    int rejected;             /* its step noted reject */
    long judged, bad;
    char first[400];          /* the first bad step, said */
} reject_ctx;

/* The end of a damaged frame's step: judged. */
static void reject_close(reject_ctx *c, const char *other) {
    assert(c->in_step);
    c->in_step = 0;
    c->judged++;
    if (c->rejected && !other) return;
    if (!c->bad++)
        snprintf(c->first, sizeof c->first, "frame %" PRIu64 " (damaged) %s", c->frame,
                 other ? other : "got no reject note");
}

/* A line inside a damaged frame's step: the role's own effect, or the step's end. */
static int reject_effect(reject_ctx *c, const json_t *line) {
    const char *node = json_r_str(line, "node");
    char other[200];
    if (ev_is(line, "note") && is_role(node, c->role)) {
        const char *kind = json_r_str(line, "kind");
        if (kind && !strcmp(kind, "reject")) { c->rejected = 1; return 1; }
        snprintf(other, sizeof other, "was answered with a %.40s note%s",
                 kind ? kind : "?", c->rejected ? " besides reject" : ", not a reject note");
    } else if (ev_is(line, "send") && is_role(json_r_str(line, "from"), c->role)) {
        snprintf(other, sizeof other, "was answered with a %.60s frame",
                 json_r_str(line, "label") ? json_r_str(line, "label") : "?");
    } else if (ev_is(line, "failpoint") && is_role(node, c->role)) {
        snprintf(other, sizeof other, "was handled past failpoint %.60s",
                 json_r_str(line, "name") ? json_r_str(line, "name") : "?");
    } else {
        return 0;
    }
    reject_close(c, other);
    return 1;
}

static int reject_line(const json_t *line, void *ctx) {
    reject_ctx *c = ctx;
    if (c->in_step && reject_effect(c, line)) return 0;
    if (c->in_step) reject_close(c, NULL);
    uint64_t frame = 0, by = 0;
    if (json_r_uint(line, "frame", &frame) != 0 || frame >= CONFORM_MAX_FRAMES) return 0;
    if (ev_is(line, "send") && json_r_uint(line, "corrupted_by", &by) == 0)
        c->damaged[frame] = 1;
    if (ev_is(line, "deliver") && c->damaged[frame] && is_role(json_r_str(line, "to"), c->role)) {
        c->in_step = 1;
        c->frame = frame;
        c->rejected = 0;
    }
    return 0;
}

int conform_judge_reject(const char *run_dir, ox_role role, char *why, size_t cap) {
    reject_ctx c;
    memset(&c, 0, sizeof c);
    c.role = role;
    if (!(c.damaged = calloc(CONFORM_MAX_FRAMES, 1))) {
        snprintf(why, cap, "out of memory");
        return -1;
    }
    int rc = each_line(run_dir, reject_line, &c, why, cap);
    if (rc == 0 && c.in_step) reject_close(&c, NULL);
    free(c.damaged);
    if (rc != 0) return -1;
    if (c.judged == 0) {
        snprintf(why, cap, "no damaged frame reached %s", ox_role_name(role));
        return 1;
    }
    if (!c.bad) return 0;
    snprintf(why, cap, "%ld of %ld damaged frames not rejected alone; the first: %s", c.bad,
             c.judged, c.first);
    return 1;
}

/* ---- restarted, duplicated --------------------------------------------------- */

typedef struct { ox_role role; const char *ev, *key, *has; long n; } count_ctx;

static int count_line(const json_t *line, void *ctx) {
    count_ctx *c = ctx;
    if (!ev_is(line, c->ev) || !is_role(json_r_str(line, c->key), c->role)) return 0;
    if (c->has && !json_object_get(line, c->has)) return 0;
    c->n++;
    return 0;
}

int conform_judge_restarted(const char *run_dir, ox_role role, char *why, size_t cap) {
    count_ctx c = { role, "restart", "node", NULL, 0 };
    if (each_line(run_dir, count_line, &c, why, cap) != 0) return -1;
    if (c.n > 0) return 0;
    snprintf(why, cap, "%s was never restarted (a crash it did not reach?)", ox_role_name(role));
    return 1;
}

int conform_judge_duplicated(const char *run_dir, ox_role role, char *why, size_t cap) {
    count_ctx c = { role, "send", "to", "copies", 0 };
    if (each_line(run_dir, count_line, &c, why, cap) != 0) return -1;
    if (c.n > 0) return 0;
    snprintf(why, cap, "no frame to %s was duplicated", ox_role_name(role));
    return 1;
}

/* ---- clock ------------------------------------------------------------------- */

/* min and max of the query's two columns; 1 when the query cannot run (not judged). */
static int time_range(const char *db, const char *sql, int64_t *lo, int64_t *hi) {
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) == SQLITE_INTEGER) {
        *lo = sqlite3_column_int64(st, 0);
        *hi = sqlite3_column_int64(st, 1);
        rc = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return rc;
}

int conform_judge_clock(const char *run_dir, ox_role role, int64_t skew_s, char *why,
                        size_t cap) {
    const char *file, *sql;
    if (role == OX_ROLE_PAYMENT) {
        file = "payment.db";
        sql = "SELECT min(min(created_at), min(updated_at)), max(max(created_at), max(updated_at))"
              " FROM outbox";
    } else if (role == OX_ROLE_ACCOUNTING) {
        file = "accounting.db";
        sql = "SELECT min(created_at), max(created_at) FROM voucher";
    } else {
        return 0;   /* the broker's file is its own; a relay writes payment's */
    }
    char db[1200];
    snprintf(db, sizeof db, "%s/%s", run_dir, file);
    int64_t lo = 0, hi = 0;
    if (time_range(db, sql, &lo, &hi) != 0) return 0;
    int64_t from = CONFORM_EPOCH_MS + skew_s * 1000 - CONFORM_CLOCK_BEFORE_MS;
    int64_t to = CONFORM_EPOCH_MS + skew_s * 1000 + CONFORM_CLOCK_SPAN_MS;
    assert(from < to);
    if (lo >= from && hi <= to) return 0;
    snprintf(why, cap,
             "%s's rows carry times %" PRId64 "..%" PRId64 " ms, not of the step's clock "
             "(%" PRId64 "..%" PRId64 ")",
             ox_role_name(role), lo, hi, from, to);
    return 1;
}

int conform_judge_notes(const char *run_dir, char *why, size_t cap) {
    char path[1200], err[700];
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    json_t *doc = json_r_load(path, err, sizeof err);
    if (doc == NULL) {
        snprintf(why, cap, "%s", err);
        return -1;
    }
    const json_t *u = json_r_obj(doc, "unreadable_notes");
    int64_t n = 0;
    int rc = 0;
    if (u != NULL && json_r_int(u, "count", &n) == 0 && n > 0) {
        const char *first = json_r_str(u, "first");
        snprintf(why, cap, "%" PRId64 " note%s the checker reads did not parse (first: %s)", n,
                 n == 1 ? "" : "s", first ? first : "?");
        rc = 1;
    }
    json_decref(doc);
    return rc;
}
