/*
** checker.c: judges a finished run against the invariants of docs/design.md
** (the contract is checker.h; the tables are lib/schema.h).
**
** How it works.  Every fact the invariants need is keyed by payment id, so the checker
** reads three streams sorted by payment id:
**
**   payments, each with its refund row   payment.db     ORDER BY id (the rowid)
**   outbox rows, each with "has alerts"  payment.db     ORDER BY payment_id (UNIQUE)
**     and the tombstones of rows the cleanup deleted (outbox_cleaned, lib/schema.h)
**   vouchers, each with the payment its  accounting.db  ORDER BY payment_id, id
**     inbox row names
**
** and walks them together with the history ids 1..npay, like a merge join.  Each step
** gathers what is known about one payment into a pay_facts and judges it against every
** per-payment invariant.  So the checker's own memory stays constant however long the
** history (SQLite sorts the vouchers itself and spills to disk when it must), and the
** violations come out in ascending payment id order: the same run, the same report.
**
** Last, the trace is read once, streaming, to cite for each violation shown the first
** and last lines that mention its payment.
*/
#include "checker.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../lib/schema.h"
#include "history.h"

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

enum {
    INV_DURABILITY,
    INV_ATOMICITY,
    INV_NO_PHANTOM,
    INV_EXACTLY_ONCE,
    INV_EVENTUAL,
    INV_COMPENSATION,
    INV_DEAD_ALERTED,
    INV_CONVERGENCE
};

_Static_assert(INV_CONVERGENCE + 1 == INVARIANT_END_STATE, "one enum value per invariant");

/* The enum above names the rows of invariant.h's table: the same order, row by row. */
static void assert_table_order(void) {
    assert(invariant_index("durability") == INV_DURABILITY);
    assert(invariant_index("atomicity") == INV_ATOMICITY);
    assert(invariant_index("no_phantom") == INV_NO_PHANTOM);
    assert(invariant_index("exactly_once") == INV_EXACTLY_ONCE);
    assert(invariant_index("eventual_consistency") == INV_EVENTUAL);
    assert(invariant_index("compensation") == INV_COMPENSATION);
    assert(invariant_index("dead_letters_alerted") == INV_DEAD_ALERTED);
    assert(invariant_index("convergence") == INV_CONVERGENCE);
}

/* ---- the facts ------------------------------------------------------------------------------- */

#define VOUCHER_IDS 4      /* voucher ids quoted per payment; the count is always exact */
#define STATUS_LEN 16      /* longest status is 'REFUNDED'/'CONSUMED'; longer is cut */

/* Everything the databases say about one payment id. */
typedef struct {
    int64_t pid;
    const hist_entry *h;       /* NULL: the id is not in the history (never requested) */
    int has_pay, has_refund;
    int64_t amount, refund_amount, account;
    char status[STATUS_LEN];
    int has_out, alerted;      /* alerted: at least one alert row names the outbox row */
    int cleaned;               /* the row is a tombstone: deleted by the cleanup, as it was */
    int64_t out_id, attempts;
    char out_status[STATUS_LEN];
    uint32_t nvouch, nbad;     /* vouchers, and those whose amount or account differs from
                               ** the payment's */
    int64_t vid[VOUCHER_IDS], vmsg, bad_id, bad_amount, bad_account;
    int64_t inbox_pay;         /* nonzero: a voucher's inbox row names this other payment */
    int64_t inbox_msg;         /* ... the message of that inbox row */
} pay_facts;

/* One sorted query; row is 1 while the statement holds a row. */
typedef struct {
    sqlite3 *db;
    const char *path;
    sqlite3_stmt *st;
    int row;
} stream;

typedef struct {
    const checker_input *in;
    checker_result *out;
    char *err;
    size_t errlen;
    sqlite3 *pay_db, *acc_db;
    stream pays, outs, vouchers;
} checker;

static const char PAY_SQL[] =
    "SELECT p.id, p.amount, p.status, r.payment_id IS NOT NULL, r.amount, p.account"
    " FROM payment p LEFT JOIN refund r ON r.payment_id = p.id ORDER BY p.id";
/* alert has no index on outbox_id: the IN list is built once, then probed per row.  An
** alert counts for a row only if it names both the row and the row's payment: an alert
** naming the right row with another payment's id (a parameter bound from the wrong
** variable) points the operator at the wrong money.  A row the cleanup deleted is known
** from its tombstone, never guessed from the payment's other facts; a live row for the
** same payment (none should exist) wins. */
static const char OUT_SQL[] =
    "SELECT payment_id, id, status, attempts,"
    " (id, payment_id) IN (SELECT outbox_id, payment_id FROM alert), 0"
    " FROM outbox"
    " UNION ALL SELECT payment_id, outbox_id, status, attempts,"
    " (outbox_id, payment_id) IN (SELECT outbox_id, payment_id FROM alert), 1"
    " FROM outbox_cleaned c"
    " WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.payment_id = c.payment_id)"
    " ORDER BY 1";
/* Each voucher with the payment its message's inbox row names (NULL: no inbox row, as
** after a purge): the row that makes the booking once must be about the same payment,
** or an operator asking the inbox whether a payment was booked is told of another. */
static const char VOUCHER_SQL[] =
    "SELECT v.payment_id, v.id, v.msg_id, v.amount, v.account, i.payment_id"
    " FROM voucher v LEFT JOIN inbox i ON i.msg_id = v.msg_id ORDER BY v.payment_id, v.id";
static const char ALERTS_SQL[] = "SELECT count(*) FROM alert";

/* ---- errors ---------------------------------------------------------------------------------- */

static int fail(checker *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int fail(checker *c, const char *fmt, ...) {
    if (c->err && c->errlen) {
        int n = snprintf(c->err, c->errlen, "checker: ");
        if (n >= 0 && (size_t)n < c->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static int db_fail(checker *c, sqlite3 *db, const char *path) {
    return fail(c, "%s: %s", path, sqlite3_errmsg(db));
}

/* ---- opening --------------------------------------------------------------------------------- */

/* One integer from a one-row query (a pragma, a count). */
static int query_int(checker *c, sqlite3 *db, const char *path, const char *sql, int *v) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return db_fail(c, db, path);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *v = sqlite3_column_int(st, 0);
    else *v = 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(c, db, path);
        sqlite3_finalize(st);
        return -1;
    }
    if (sqlite3_finalize(st) != SQLITE_OK) return db_fail(c, db, path);
    return 0;
}

/* 1 if PATH followed by SUFFIX names an existing file. */
static int sibling_exists(const char *path, const char *suffix) {
    size_t n = strlen(path), m = strlen(suffix);
    char *name = malloc(n + m + 1);
    if (!name) return 1;   /* unknown: take the cautious path */
    memcpy(name, path, n);
    memcpy(name + n, suffix, m + 1);
    int found = access(name, F_OK) == 0;
    free(name);
    return found;
}

/* A URI for PATH: "file:" then the path with the three characters a URI reserves
** escaped; an absolute path gets an empty authority ("file:///x") so that "//x" stays
** a path. */
static char *file_uri(const char *path, const char *query) {
    size_t n = strlen(path);
    char *uri = malloc(3 * n + strlen(query) + 16);
    if (!uri) return NULL;
    char *u = uri + sprintf(uri, "file:%s", path[0] == '/' ? "//" : "");
    for (const char *p = path; *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#') u += sprintf(u, "%%%02X", (unsigned char)*p);
        else *u++ = *p;
    }
    strcpy(u, query);
    return uri;
}

/* Read-only, so the checker never repairs or creates a file.  A read-only connection to
** a WAL database creates -wal and -shm files it cannot remove on close; when nothing is
** left to replay (no -wal, no -journal: the service closed cleanly) the file is opened
** immutable instead, which reads it as it is and leaves no file behind.  Otherwise the
** log must be read, so it is opened the ordinary read-only way. */
static int open_ro(checker *c, const char *path, sqlite3 **db) {
    if (access(path, F_OK) != 0)   /* a node of one's own that never opened its --db */
        return fail(c, "%s: no such file: the service never created its database (does it "
                    "open the path its --db names?)", path);
    int settled = !sibling_exists(path, "-wal") && !sibling_exists(path, "-journal");
    char *uri = file_uri(path, settled ? "?mode=ro&immutable=1" : "?mode=ro");
    if (!uri) return fail(c, "%s: out of memory", path);
    int rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    /* The checker reads each table once, in order: a small page cache costs nothing
    ** and keeps its memory flat however long the run was. */
    if (rc == SQLITE_OK)
        return sqlite3_exec(*db, "PRAGMA cache_size=-256", NULL, NULL, NULL) == SQLITE_OK
                   ? 0
                   : db_fail(c, *db, path);
    fail(c, "%s: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
    sqlite3_close(*db);   /* a failed open still allocates a handle */
    *db = NULL;
    return -1;
}

/* Only a database of the right role: judging another file would report nonsense. */
static int open_db(checker *c, const char *path, const char *role, int version, sqlite3 **db) {
    if (!path) return fail(c, "no %s database given", role);
    if (open_ro(c, path, db)) return -1;
    int app = 0, ver = 0;
    if (query_int(c, *db, path, "PRAGMA application_id", &app)) return -1;
    if (query_int(c, *db, path, "PRAGMA user_version", &ver)) return -1;
    if (app != OX_APP_ID || ver != version)
        return fail(c, "%s: not an outbox-lab %s database (application_id 0x%08x, "
                    "user_version %d; expected 0x%08x, %d)",
                    path, role, (unsigned)app, ver, (unsigned)OX_APP_ID, version);
    return 0;
}

static int prepare(checker *c, stream *s, sqlite3 *db, const char *path, const char *sql) {
    s->db = db;
    s->path = path;
    s->row = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &s->st, NULL) != SQLITE_OK) return db_fail(c, db, path);
    return 0;
}

static int stream_next(checker *c, stream *s) {
    int rc = sqlite3_step(s->st);
    s->row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return 0;
    return db_fail(c, s->db, s->path);
}

static int64_t stream_key(const stream *s) {
    assert(s->row);
    return sqlite3_column_int64(s->st, 0);
}

static void copy_text(char *dst, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, STATUS_LEN, "%s", t ? (const char *)t : "");
}

/* Opens both databases and prepares every query before reading anything, so a missing
** table or column is reported up front as the harness error it is. */
static int open_all(checker *c) {
    const checker_input *in = c->in;
    if (open_db(c, in->payment_db, "payment", OX_SCHEMA_PAYMENT, &c->pay_db)) return -1;
    if (open_db(c, in->accounting_db, "accounting", OX_SCHEMA_ACCOUNTING, &c->acc_db))
        return -1;
    if (prepare(c, &c->pays, c->pay_db, in->payment_db, PAY_SQL)) return -1;
    if (prepare(c, &c->outs, c->pay_db, in->payment_db, OUT_SQL)) return -1;
    if (prepare(c, &c->vouchers, c->acc_db, in->accounting_db, VOUCHER_SQL)) return -1;
    if (stream_next(c, &c->pays) || stream_next(c, &c->outs) || stream_next(c, &c->vouchers))
        return -1;
    return 0;
}

static int count_alerts(checker *c) {
    int n = 0;
    if (query_int(c, c->pay_db, c->in->payment_db, ALERTS_SQL, &n)) return -1;
    c->out->alerts = (uint32_t)n;
    return 0;
}

/* Finalizes and closes whatever open_all() got to; keeps the first error. */
static int close_all(checker *c, int rc) {
    stream *ss[3] = { &c->pays, &c->outs, &c->vouchers };
    for (int i = 0; i < 3; i++) {
        /* finalize repeats the last step's error, which was already reported */
        sqlite3_finalize(ss[i]->st);
        ss[i]->st = NULL;
    }
    sqlite3 *dbs[2] = { c->pay_db, c->acc_db };
    for (int i = 0; i < 2; i++)
        if (sqlite3_close(dbs[i]) != SQLITE_OK && rc == 0)
            rc = db_fail(c, dbs[i], i ? c->in->accounting_db : c->in->payment_db);
    c->pay_db = c->acc_db = NULL;
    return rc;
}

/* ---- reporting ------------------------------------------------------------------------------- */

/* A bounded text buffer: appends are cut at the end, never overflow. */
typedef struct {
    char *p;
    size_t cap, len;
    int parts;
} sbuf;

static void sb_vadd(sbuf *b, const char *fmt, va_list ap) {
    assert(b->cap > 0);
    assert(b->len < b->cap);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    if (n < 0) return;
    b->len += (size_t)n;
    if (b->len >= b->cap) b->len = b->cap - 1;
    assert(b->p[b->len] == '\0');
}

static void sb_add(sbuf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void sb_add(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    sb_vadd(b, fmt, ap);
    va_end(ap);
}

/* One fact of a list: "a, b, c". */
static void sb_part(sbuf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void sb_part(sbuf *b, const char *fmt, ...) {
    if (b->parts++) sb_add(b, ", ");
    va_list ap;
    va_start(ap, fmt);
    sb_vadd(b, fmt, ap);
    va_end(ap);
}

/* The message id of a payment: its outbox row's id, else the one its voucher names,
** else (design direct, no outbox) the payment id the messages carry; 0 if unknown. */
static int64_t msg_of(const checker *c, const pay_facts *f) {
    if (f->has_out) return f->out_id;
    if (f->nvouch) return f->vmsg;
    return c->in->design_direct ? f->pid : 0;
}

/* Starts a violation's text: "payment 17 (msg 17): ". */
static void sb_begin(sbuf *b, char *buf, size_t cap, const checker *c, const pay_facts *f) {
    assert(buf != NULL);
    assert(cap > 0);
    b->p = buf;
    b->cap = cap;
    b->len = 0;
    b->parts = 0;
    buf[0] = 0;
    int64_t msg = msg_of(c, f);
    if (msg) sb_add(b, "payment %" PRId64 " (msg %" PRId64 "): ", f->pid, msg);
    else sb_add(b, "payment %" PRId64 ": ", f->pid);
}

/* "1 voucher (id 101)", "3 vouchers (ids 101, 140, 170)", "7 vouchers (ids 1, 2, 3, 4, ...)" */
static void sb_vouchers(sbuf *b, const pay_facts *f) {
    assert(f->nvouch > 0);
    sb_part(b, "%" PRIu32 " voucher%s (id%s ", f->nvouch, f->nvouch > 1 ? "s" : "",
            f->nvouch > 1 ? "s" : "");
    uint32_t n = f->nvouch < VOUCHER_IDS ? f->nvouch : VOUCHER_IDS;
    for (uint32_t i = 0; i < n; i++) sb_add(b, "%s%" PRId64, i ? ", " : "", f->vid[i]);
    sb_add(b, "%s)", f->nvouch > VOUCHER_IDS ? ", ..." : "");
}

static const char *plural(int64_t n) { return n == 1 ? "" : "s"; }

/* "outbox row is SENDING after 8 attempts" and the like. */
static void sb_outbox(sbuf *b, const pay_facts *f) {
    if (!f->has_out) sb_part(b, "no outbox row");
    else if (f->cleaned) sb_part(b, "outbox row was %s, then cleaned up", f->out_status);
    else if (!strcmp(f->out_status, "SENDING"))
        sb_part(b, "outbox row is SENDING after %" PRId64 " attempt%s", f->attempts,
                plural(f->attempts));
    else if (!strcmp(f->out_status, "DEAD"))
        sb_part(b, "outbox row is DEAD after %" PRId64 " attempt%s, never consumed",
                f->attempts, plural(f->attempts));
    else sb_part(b, "outbox row is %s", f->out_status);
}

static void report(checker *c, int inv, const pay_facts *f, const char *text) {
    assert(inv >= 0);
    assert(inv < CHECKER_INVARIANTS);
    checker_invariant *ci = &c->out->inv[inv];
    assert(!ci->skipped);   /* a skipped invariant is never judged */
    ci->count++;
    assert(ci->count > 0);
    if (ci->nshown >= CHECKER_MAX_SHOWN) return;
    checker_violation *v = &ci->shown[ci->nshown++];
    memset(v, 0, sizeof *v);
    v->pay_id = f ? (uint64_t)f->pid : 0;
    v->msg_id = f ? (uint64_t)msg_of(c, f) : 0;
    snprintf(v->text, sizeof v->text, "%s", text);
}

/* ---- the invariants -------------------------------------------------------------------------- */

/* Only a definite OK is a promise: an INDEFINITE one (a power cut may have taken it
** back, checker.h) is judged by what it left elsewhere, never as a loss. */
static void judge_durability(checker *c, const pay_facts *f) {
    if (!f->h || f->h->outcome != HIST_OK || f->has_pay) return;
    char t[256];
    sbuf b;
    sb_begin(&b, t, sizeof t, c, f);
    sb_add(&b, "the client was told OK (amount %" PRId64 ") but there is no payment row",
           f->h->amount);
    report(c, INV_DURABILITY, f, t);
}

/* Also where rows for ids the client never asked for are caught: the one place that
** already looks at rows without their partner. */
static void judge_atomicity(checker *c, const pay_facts *f) {
    if (c->in->design_direct || (!f->has_pay && !f->has_out)) return;
    char t[256];
    sbuf b;
    sb_begin(&b, t, sizeof t, c, f);
    if (!f->h) sb_part(&b, "was never requested");
    if (f->has_pay && !f->has_out)
        sb_part(&b, "payment row (%s) has no outbox row", f->status);
    if (f->has_out && !f->has_pay)
        sb_part(&b, "outbox row (%s) has no payment row", f->out_status);
    if (!b.parts) return;
    if (!f->h && f->has_pay && f->has_out)
        sb_add(&b, ", yet has a payment row (%s) and an outbox row (%s)", f->status,
               f->out_status);
    report(c, INV_ATOMICITY, f, t);
}

static void judge_no_phantom(checker *c, const pay_facts *f) {
    if (f->nvouch && f->has_pay && !f->nbad && f->inbox_pay) {
        char t[256];
        sbuf b;
        sb_begin(&b, t, sizeof t, c, f);
        sb_add(&b, "the inbox row of msg %" PRId64 ", which booked it, names payment %" PRId64,
               f->inbox_msg, f->inbox_pay);
        report(c, INV_NO_PHANTOM, f, t);
        return;
    }
    if (!f->nvouch || (f->has_pay && !f->nbad)) return;
    char t[256];
    sbuf b;
    sb_begin(&b, t, sizeof t, c, f);
    if (!f->has_pay) {
        sb_vouchers(&b, f);
        sb_add(&b, " but no payment row (phantom)");
    } else {
        if (f->bad_amount != f->amount)
            sb_add(&b, "voucher %" PRId64 " amount %" PRId64 " != payment amount %" PRId64,
                   f->bad_id, f->bad_amount, f->amount);
        else
            sb_add(&b, "voucher %" PRId64 " booked on account %" PRId64 " != payment account %"
                   PRId64, f->bad_id, f->bad_account, f->account);
        if (f->nbad > 1) sb_add(&b, " (and %" PRIu32 " more)", f->nbad - 1);
    }
    report(c, INV_NO_PHANTOM, f, t);
}

static void judge_exactly_once(checker *c, const pay_facts *f) {
    if (f->nvouch <= 1) return;
    char t[256];
    sbuf b;
    sb_begin(&b, t, sizeof t, c, f);
    sb_vouchers(&b, f);
    report(c, INV_EXACTLY_ONCE, f, t);
}

/* A committed payment that was not refused must end PAID, with one voucher and its row
** CONSUMED.  Any row still SENDING, whoever it belongs to, means the system never
** settled. */
static void judge_eventual(checker *c, const pay_facts *f) {
    int sending = f->has_out && !strcmp(f->out_status, "SENDING");
    char t[256];
    sbuf b;
    sb_begin(&b, t, sizeof t, c, f);
    if (f->has_pay) sb_add(&b, "%s but ", f->status);
    if (f->has_pay && f->h && !f->h->refused) {
        if (strcmp(f->status, "PAID")) sb_part(&b, "it was never refused");
        int want_row = !c->in->design_direct;   /* direct keeps none */
        if (want_row ? !f->has_out || strcmp(f->out_status, "CONSUMED") : sending)
            sb_outbox(&b, f);
        if (!f->nvouch) sb_part(&b, "no voucher");
        else if (f->nvouch > 1) sb_vouchers(&b, f);
    } else if (sending) {
        sb_outbox(&b, f);
    }
    if (b.parts) report(c, INV_EVENTUAL, f, t);
}

/* Only payments that were committed: a refused request that never committed owes
** nothing. */
static void judge_compensation(checker *c, const pay_facts *f) {
    if (!f->has_pay || !f->h || !f->h->refused) return;
    char t[256];
    sbuf b;
    sb_begin(&b, t, sizeof t, c, f);
    sb_add(&b, "refused but ");
    if (strcmp(f->status, "REFUNDED")) sb_part(&b, "status is %s", f->status);
    if (!f->has_refund) sb_part(&b, "no refund row");
    else if (f->refund_amount != f->amount)
        sb_part(&b, "refund amount %" PRId64 " != payment amount %" PRId64, f->refund_amount,
                f->amount);
    if (f->nvouch) sb_vouchers(&b, f);
    if (!c->in->design_direct && (!f->has_out || strcmp(f->out_status, "FAILED")))
        sb_outbox(&b, f);
    if (b.parts) report(c, INV_COMPENSATION, f, t);
}

static void judge_dead_alerted(checker *c, const pay_facts *f) {
    if (!f->has_out || strcmp(f->out_status, "DEAD") || f->alerted) return;
    char t[256];
    sbuf b;
    sb_begin(&b, t, sizeof t, c, f);
    sb_add(&b, "outbox row is DEAD after %" PRId64 " attempt%s and has no alert", f->attempts,
           plural(f->attempts));
    report(c, INV_DEAD_ALERTED, f, t);
}

static void judge_convergence(checker *c) {
    if (c->in->converged_us >= 0) return;
    char t[256];
    snprintf(t, sizeof t, "the system did not go quiet before the settle phase ended "
             "(%" PRIu32 " row%s SENDING)", c->out->sending, plural(c->out->sending));
    report(c, INV_CONVERGENCE, NULL, t);
}

/* ---- the walk -------------------------------------------------------------------------------- */

static int take_payment(checker *c, pay_facts *f) {
    stream *s = &c->pays;
    assert(!f->has_pay);   /* once per payment id */
    if (!s->row || stream_key(s) != f->pid) return 0;
    f->has_pay = 1;
    f->amount = sqlite3_column_int64(s->st, 1);
    copy_text(f->status, s->st, 2);
    f->has_refund = sqlite3_column_int(s->st, 3);
    f->refund_amount = sqlite3_column_int64(s->st, 4);
    f->account = sqlite3_column_int64(s->st, 5);
    c->out->payments++;
    if (!strcmp(f->status, "PAID")) c->out->paid++;
    else if (!strcmp(f->status, "REFUNDED")) c->out->refunded++;
    assert(c->out->paid + c->out->refunded <= c->out->payments);
    if (stream_next(c, s)) return -1;
    assert(!s->row || stream_key(s) > f->pid);   /* id is the primary key */
    return 0;
}

static int take_outbox(checker *c, pay_facts *f) {
    stream *s = &c->outs;
    assert(!f->has_out);   /* once per payment id */
    if (!s->row || stream_key(s) != f->pid) return 0;
    f->has_out = 1;
    f->out_id = sqlite3_column_int64(s->st, 1);
    copy_text(f->out_status, s->st, 2);
    f->attempts = sqlite3_column_int64(s->st, 3);
    f->alerted = sqlite3_column_int(s->st, 4);
    f->cleaned = sqlite3_column_int(s->st, 5);
    checker_result *o = c->out;
    if (f->cleaned) o->cleaned++;   /* counted apart: the rows left are what the others count */
    else if (!strcmp(f->out_status, "SENDING")) o->sending++;
    else if (!strcmp(f->out_status, "CONSUMED")) o->consumed++;
    else if (!strcmp(f->out_status, "FAILED")) o->failed++;
    else if (!strcmp(f->out_status, "DEAD")) o->dead++;
    if (stream_next(c, s)) return -1;
    assert(!s->row || stream_key(s) > f->pid);   /* payment_id is UNIQUE */
    return 0;
}

/* Vouchers come after the payment so their amounts and accounts can be compared with it:
** a voucher of the right sum booked on another account is money in the wrong place. */
static int take_vouchers(checker *c, pay_facts *f) {
    stream *s = &c->vouchers;
    assert(f->nvouch == 0);   /* once per payment id */
    while (s->row && stream_key(s) == f->pid) {
        int64_t id = sqlite3_column_int64(s->st, 1);
        int64_t amount = sqlite3_column_int64(s->st, 3);
        int64_t account = sqlite3_column_int64(s->st, 4);
        if (f->nvouch < VOUCHER_IDS) f->vid[f->nvouch] = id;
        if (f->nvouch == 0) f->vmsg = sqlite3_column_int64(s->st, 2);
        int bad = amount != f->amount || account != f->account;
        int inboxed = sqlite3_column_type(s->st, 5) != SQLITE_NULL;
        int64_t inbox_pay = sqlite3_column_int64(s->st, 5);
        if (inboxed && inbox_pay != f->pid && f->inbox_pay == 0) {
            f->inbox_pay = inbox_pay;
            f->inbox_msg = sqlite3_column_int64(s->st, 2);
        }
        if (f->has_pay && bad && f->nbad++ == 0) {
            f->bad_id = id;
            f->bad_amount = amount;
            f->bad_account = account;
        }
        f->nvouch++;
        c->out->vouchers++;
        if (stream_next(c, s)) return -1;
    }
    assert(f->nbad <= f->nvouch);
    return 0;
}

static void judge(checker *c, const pay_facts *f) {
    assert(f->h == NULL || f->h == &c->in->hist[f->pid]);
    assert(f->has_pay || !f->has_refund);   /* the refund row came with its payment */
    judge_durability(c, f);
    judge_atomicity(c, f);
    judge_no_phantom(c, f);
    judge_exactly_once(c, f);
    judge_eventual(c, f);
    judge_compensation(c, f);
    judge_dead_alerted(c, f);
}

/* The smallest id the history or any stream still has to offer; 0 when all are done. */
static int next_id(const checker *c, int64_t next_hist, int64_t *pid) {
    assert(next_hist >= 1);
    assert(next_hist <= (int64_t)c->in->npay + 1);
    int any = next_hist <= (int64_t)c->in->npay;
    int64_t min = next_hist;
    const stream *ss[3] = { &c->pays, &c->outs, &c->vouchers };
    for (int i = 0; i < 3; i++) {
        if (!ss[i]->row) continue;
        int64_t k = stream_key(ss[i]);
        if (!any || k < min) min = k;
        any = 1;
    }
    *pid = min;
    return any;
}

static int walk(checker *c) {
    const checker_input *in = c->in;
    int64_t next_hist = 1, pid = 0;   /* hist[0] is unused: ids start at 1 */
    while (next_id(c, next_hist, &pid)) {
        pay_facts f;
        memset(&f, 0, sizeof f);
        f.pid = pid;
        if (pid >= 1 && pid <= (int64_t)in->npay) {
            assert(pid == next_hist);   /* the streams are strictly ascending */
            f.h = &in->hist[pid];        /* the index is the payment id */
            next_hist++;
        }
        if (take_payment(c, &f) || take_outbox(c, &f) || take_vouchers(c, &f)) return -1;
        judge(c, &f);
    }
    assert(next_hist == (int64_t)in->npay + 1);   /* every payment of the history judged */
    return 0;
}

/* ---- trace citations ------------------------------------------------------------------------- */

#define CITE_MAX (CHECKER_INVARIANTS * CHECKER_MAX_SHOWN)
#define CITE_EDGE (CHECKER_MAX_LINES / 2)   /* first and last lines cited */
#define TRACE_CHUNK 16384                 /* holds any 8 KiB line whole */
#define TRACE_CARRY 32                    /* > strlen("\"pay\":") + 20 digits + 1 */

typedef struct {
    uint64_t pid;
    uint32_t first[CITE_EDGE], last[CITE_EDGE];   /* last: ring of the latest lines */
    uint32_t n, prev;                              /* lines seen; the latest one */
} cite;

static int cite_cmp(const void *a, const void *b) {
    uint64_t x = ((const cite *)a)->pid, y = ((const cite *)b)->pid;
    return (x > y) - (x < y);
}

/* The payment ids of the violations shown, sorted and distinct.  Convergence is about
** the whole run and cites nothing. */
static size_t cite_collect(const checker_result *out, cite *cs) {
    size_t n = 0;
    for (int i = 0; i < INVARIANT_END_STATE; i++) {   /* the history's cite their own */
        if (i == INV_CONVERGENCE) continue;
        for (int j = 0; j < out->inv[i].nshown; j++) {
            assert(n < CITE_MAX);
            memset(&cs[n], 0, sizeof cs[n]);
            cs[n++].pid = out->inv[i].shown[j].pay_id;
        }
    }
    if (n) qsort(cs, n, sizeof *cs, cite_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || cs[m - 1].pid != cs[i].pid) cs[m++] = cs[i];
    return m;
}

static void cite_line(cite *cs, size_t n, uint64_t pid, uint32_t line) {
    cite key = { .pid = pid };
    cite *e = bsearch(&key, cs, n, sizeof *cs, cite_cmp);
    if (!e || (e->n && e->prev == line)) return;   /* once per line, even if repeated */
    if (e->n < CITE_EDGE) e->first[e->n] = line;
    e->last[e->n % CITE_EDGE] = line;
    e->n++;
    e->prev = line;
}

/* Parses `"pay":N` then ',' or '}' at s; the quoted key keeps "repay":N or an escaped
** \"pay\":N inside a string from matching. */
static int parse_pay(const char *s, uint64_t *pid) {
    static const char key[] = "\"pay\":";
    assert(strncmp(s, key, sizeof key - 1) == 0);
    s += sizeof key - 1;
    uint64_t v = 0;
    const char *d = s;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned dig = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - dig) / 10) return 0;
        v = v * 10 + dig;
    }
    if (s == d || (*s != ',' && *s != '}')) return 0;
    *pid = v;
    return 1;
}

static void cite_scan(cite *cs, size_t n, const char *buf, uint32_t line) {
    for (const char *p = strstr(buf, "\"pay\":"); p; p = strstr(p + 1, "\"pay\":")) {
        uint64_t pid;
        if (parse_pay(p, &pid)) cite_line(cs, n, pid, line);
    }
}

/* Reads the trace once.  A line longer than the buffer arrives in pieces; the tail of
** each piece is carried into the next so a `"pay":N,` cut in two is still seen (a match
** seen twice is the same line, which cite_line() drops). */
static int cite_read(checker *c, FILE *f, cite *cs, size_t n) {
    char *buf = malloc(TRACE_CARRY + TRACE_CHUNK);
    if (!buf) return fail(c, "%s: out of memory", c->in->trace_path);
    size_t keep = 0;
    uint32_t line = 1;
    while (fgets(buf + keep, (int)(TRACE_CARRY + TRACE_CHUNK - keep), f)) {
        size_t len = keep + strlen(buf + keep);
        cite_scan(cs, n, buf, line);
        if (len && buf[len - 1] == '\n') {
            line++;
            keep = 0;
        } else {
            keep = len < TRACE_CARRY ? len : TRACE_CARRY;
            memmove(buf, buf + len - keep, keep);
        }
    }
    int bad = ferror(f);
    free(buf);
    if (bad) return fail(c, "%s: read error", c->in->trace_path);
    return 0;
}

/* The first and last CITE_EDGE lines, ascending, each once. */
static void cite_lines(const cite *e, checker_violation *v) {
    uint32_t tmp[2 * CITE_EDGE];
    int k = 0;
    uint32_t nf = e->n < CITE_EDGE ? e->n : CITE_EDGE;
    for (uint32_t i = 0; i < nf; i++) tmp[k++] = e->first[i];
    for (uint32_t i = e->n - nf; i < e->n; i++) tmp[k++] = e->last[i % CITE_EDGE];
    v->nlines = 0;
    for (int i = 0; i < k; i++)   /* both halves ascend; the overlap is adjacent */
        if (v->nlines == 0 || v->lines[v->nlines - 1] < tmp[i]) v->lines[v->nlines++] = tmp[i];
    assert(v->nlines <= CHECKER_MAX_LINES);
}

static int cite_trace(checker *c) {
    if (!c->in->trace_path) return 0;
    cite cs[CITE_MAX];   /* bounded: only the violations shown are cited */
    size_t n = cite_collect(c->out, cs);
    if (!n) return 0;
    FILE *f = fopen(c->in->trace_path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;   /* no trace, no citations */
        return fail(c, "%s: %s", c->in->trace_path, strerror(errno));
    }
    int rc = cite_read(c, f, cs, n);
    fclose(f);
    if (rc) return -1;
    for (int i = 0; i < INVARIANT_END_STATE; i++) {
        if (i == INV_CONVERGENCE) continue;
        checker_invariant *ci = &c->out->inv[i];
        for (int j = 0; j < ci->nshown; j++) {
            cite key = { .pid = ci->shown[j].pay_id };
            const cite *e = bsearch(&key, cs, n, sizeof *cs, cite_cmp);
            assert(e);
            cite_lines(e, &ci->shown[j]);
        }
    }
    return 0;
}

/* ---- entry ----------------------------------------------------------------------------------- */

int checker_run(const checker_input *in, checker_result *out, char *err, size_t errlen) {
    assert(in != NULL);
    assert(out != NULL);
    assert(in->hist || in->npay == 0);
    assert_table_order();
    memset(out, 0, sizeof *out);
    for (int i = 0; i < CHECKER_INVARIANTS; i++) out->inv[i].name = invariant_at(i)->name;
    out->inv[INV_ATOMICITY].skipped = in->design_direct != 0;
    if (err && errlen) err[0] = 0;

    checker c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.out = out;
    c.err = err;
    c.errlen = errlen;
    int rc = open_all(&c);
    if (rc == 0) rc = walk(&c);
    if (rc == 0) rc = count_alerts(&c);
    rc = close_all(&c, rc);
    if (rc) return -1;
    judge_convergence(&c);
    if (cite_trace(&c) != 0) return -1;
    if (!in->history || !in->trace_path) {
        for (int i = INVARIANT_END_STATE; i < CHECKER_INVARIANTS; i++) out->inv[i].skipped = 1;
        return 0;
    }
    return history_run(in->trace_path, in->history, out, err, errlen);
}
