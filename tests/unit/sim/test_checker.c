/*
** test_checker.c: the invariant checker (sim/check/checker.c) on crafted databases.
**
** Each test builds real SQLite files with the schema of lib/schema.h and a small trace
** in a fresh temporary directory, breaks one thing, and checks what the checker says:
** the counts of every invariant, the payment and message ids, the facts in the text and
** the trace lines cited.
**
** The base run (outbox design), ids chosen so that payment, message and voucher ids
** differ and a mix-up shows:
**   payment 1  OK        PAID      outbox 11 CONSUMED  voucher 101
**   payment 2  OK        PAID      outbox 12 CONSUMED  voucher 102
**   payment 3  OK refused REFUNDED outbox 13 FAILED    refund row, no voucher
**   payment 4  UNKNOWN   never committed
**   payment 5  OK        PAID      outbox 15 CONSUMED  voucher 105
**   payment 6  FAILED    never committed
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../../lib/schema.h"
#include "../../../lib/store.h"
#include "../../../sim/check/checker.h"
#include "readme_table.h"

#define NPAY 6
#define MAXPAY 64

typedef struct {
    char dir[512], pay[600], acc[600], trace[600];
    hist_entry hist[MAXPAY + 1];
    checker_input in;
    checker_result res;
    char err[512];
} fixture;

enum { DUR, ATO, PHA, ONCE, EVE, COMP, DEAD, CONV };

/* ---- building -------------------------------------------------------------------------------- */

static void exec_sql(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    assert_int_equal(rc, SQLITE_OK);
    char *msg = NULL;
    rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fail_msg("%s: %s\n%s", path, msg ? msg : "?", sql);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void make_payment_db(const char *path) {
    char sql[2048];
    snprintf(sql, sizeof sql,
        "PRAGMA application_id = %d; PRAGMA user_version = %d;"
        "CREATE TABLE payment(id INTEGER PRIMARY KEY, account INTEGER NOT NULL,"
        " amount INTEGER NOT NULL, status TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;"
        "CREATE TABLE outbox(id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " payment_id INTEGER NOT NULL UNIQUE, status TEXT NOT NULL,"
        " attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,"
        " payload BLOB NOT NULL, created_at INTEGER NOT NULL,"
        " updated_at INTEGER NOT NULL) STRICT;"
        "CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'SENDING';"
        "CREATE TABLE refund(payment_id INTEGER PRIMARY KEY, amount INTEGER NOT NULL,"
        " reason TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;"
        "CREATE TABLE alert(id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " outbox_id INTEGER NOT NULL, payment_id INTEGER NOT NULL, kind TEXT NOT NULL,"
        " message TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;"
        "CREATE TABLE outbox_cleaned(payment_id INTEGER PRIMARY KEY,"
        " outbox_id INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,"
        " settled_at INTEGER NOT NULL) STRICT;"
        "CREATE TRIGGER outbox_tombstone AFTER DELETE ON outbox BEGIN"
        " INSERT OR REPLACE INTO outbox_cleaned VALUES"
        " (OLD.payment_id, OLD.id, OLD.status, OLD.attempts, OLD.updated_at); END;",
        OX_APP_ID, OX_SCHEMA_PAYMENT);
    exec_sql(path, sql);
}

static void make_accounting_db(const char *path) {
    char sql[1024];
    snprintf(sql, sizeof sql,
        "PRAGMA application_id = %d; PRAGMA user_version = %d;"
        "CREATE TABLE inbox(msg_id INTEGER PRIMARY KEY, payment_id INTEGER NOT NULL,"
        " outcome TEXT NOT NULL, reason TEXT NOT NULL, received_at INTEGER NOT NULL) STRICT;"
        "CREATE TABLE voucher(id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " payment_id INTEGER NOT NULL, msg_id INTEGER NOT NULL, account INTEGER NOT NULL,"
        " amount INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;",
        OX_APP_ID, OX_SCHEMA_ACCOUNTING);
    exec_sql(path, sql);
}

static const char BASE_PAYMENTS[] =
    "INSERT INTO payment VALUES (1, 10, 1000, 'PAID', 1), (2, 20, 2000, 'PAID', 2),"
    " (3, 9999, 3000, 'REFUNDED', 3), (5, 50, 5000, 'PAID', 5);"
    "INSERT INTO refund VALUES (3, 3000, 'account frozen', 9);";

static const char BASE_OUTBOX[] =
    "INSERT INTO outbox VALUES (11, 1, 'CONSUMED', 1, 0, x'00', 1, 1),"
    " (12, 2, 'CONSUMED', 2, 0, x'00', 2, 2), (13, 3, 'FAILED', 1, 0, x'00', 3, 3),"
    " (15, 5, 'CONSUMED', 1, 0, x'00', 5, 5);";

static const char BASE_ACCOUNTING[] =
    "INSERT INTO inbox VALUES (11, 1, 'APPLIED', '', 1), (12, 2, 'APPLIED', '', 2),"
    " (13, 3, 'REFUSED', 'account frozen', 3), (15, 5, 'APPLIED', '', 5);"
    "INSERT INTO voucher VALUES (101, 1, 11, 10, 1000, 1), (102, 2, 12, 20, 2000, 2),"
    " (105, 5, 15, 50, 5000, 5);";

/* Design direct: no outbox rows, messages carry msg_id = payment id. */
static const char DIRECT_ACCOUNTING[] =
    "INSERT INTO inbox VALUES (1, 1, 'APPLIED', '', 1), (2, 2, 'APPLIED', '', 2),"
    " (3, 3, 'REFUSED', 'account frozen', 3), (5, 5, 'APPLIED', '', 5);"
    "INSERT INTO voucher VALUES (101, 1, 1, 10, 1000, 1), (102, 2, 2, 20, 2000, 2),"
    " (105, 5, 5, 50, 5000, 5);";

/* Payment 2 is mentioned on 7 lines (3,5,6,9,10,11,12; twice on 12): cite 3,5,6 and
** 10,11,12.  Lines 4, 8 and 18 are decoys: "pay":20, an escaped \"pay\":2 inside a
** string, and "pay":2.5 (not followed by ',' or '}'). */
static const char *const TRACE[] = {
    "{\"t\":0.000000,\"ev\":\"start\",\"node\":\"sim\"}",
    "{\"t\":0.100000,\"ev\":\"request\",\"node\":\"client\",\"pay\":1,\"label\":\"PAY\"}",
    "{\"t\":0.200000,\"ev\":\"request\",\"node\":\"client\",\"pay\":2,\"label\":\"PAY\"}",
    "{\"t\":0.300000,\"ev\":\"send\",\"node\":\"payment\",\"pay\":20,\"msg\":30}",
    "{\"t\":0.400000,\"ev\":\"send\",\"node\":\"payment\",\"to\":\"broker\",\"pay\":2,"
    "\"msg\":12,\"label\":\"PUBLISH PAYMENT\"}",
    "{\"t\":0.500000,\"ev\":\"deliver\",\"node\":\"broker\",\"pay\":2,\"msg\":12}",
    "{\"t\":0.600000,\"ev\":\"request\",\"node\":\"client\",\"pay\":5,\"label\":\"PAY\"}",
    "{\"t\":0.700000,\"ev\":\"note\",\"node\":\"sim\",\"label\":\"about \\\"pay\\\":2, no\"}",
    "{\"t\":0.800000,\"ev\":\"deliver\",\"node\":\"accounting\",\"pay\":2,\"msg\":12}",
    "{\"t\":0.900000,\"ev\":\"send\",\"node\":\"accounting\",\"pay\":2,\"msg\":12}",
    "{\"t\":1.000000,\"ev\":\"ack\",\"node\":\"accounting\",\"pay\":2,\"msg\":12}",
    "{\"t\":1.100000,\"ev\":\"reply\",\"node\":\"payment\",\"pay\":2,"
    "\"cause\":{\"pay\":2}}",
    "{\"t\":1.200000,\"ev\":\"request\",\"node\":\"client\",\"pay\":4,\"label\":\"PAY\"}",
    "{\"t\":1.300000,\"ev\":\"crash\",\"node\":\"payment\",\"pay\":4}",
    "{\"t\":1.400000,\"ev\":\"request\",\"node\":\"client\",\"pay\":3}",
    "{\"t\":1.500000,\"ev\":\"batch\",\"node\":\"payment\",\"pay\":5,\"msg\":15,"
    "\"also\":{\"pay\":4}}",
    "{\"t\":1.600000,\"ev\":\"note\",\"node\":\"payment\",\"pay\":99}",
    "{\"t\":1.700000,\"ev\":\"note\",\"node\":\"sim\",\"x\":{\"pay\":2.5}}",
};

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void write_trace(const char *path) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t i = 0; i < sizeof TRACE / sizeof TRACE[0]; i++) fprintf(f, "%s\n", TRACE[i]);
    assert_int_equal(fclose(f), 0);
}

static void set_hist(fixture *fx, uint32_t id, int64_t amount, int refused, hist_outcome o) {
    assert_true(id >= 1 && id <= MAXPAY);
    fx->hist[id] = (hist_entry){ .account = refused ? 9999 : id * 10,
                                 .amount = amount, .refused = (uint8_t)refused,
                                 .outcome = (uint8_t)o };
}

static void build(fixture *fx, int direct) {
    make_payment_db(fx->pay);
    make_accounting_db(fx->acc);
    exec_sql(fx->pay, BASE_PAYMENTS);
    if (!direct) exec_sql(fx->pay, BASE_OUTBOX);
    exec_sql(fx->acc, direct ? DIRECT_ACCOUNTING : BASE_ACCOUNTING);
    write_trace(fx->trace);
    set_hist(fx, 1, 1000, 0, HIST_OK);
    set_hist(fx, 2, 2000, 0, HIST_OK);
    set_hist(fx, 3, 3000, 1, HIST_OK);
    set_hist(fx, 4, 4000, 0, HIST_UNKNOWN);
    set_hist(fx, 5, 5000, 0, HIST_OK);
    set_hist(fx, 6, 6000, 0, HIST_FAILED);
    fx->in = (checker_input){ .payment_db = fx->pay, .accounting_db = fx->acc,
                            .trace_path = fx->trace, .hist = fx->hist, .npay = NPAY,
                            .design_direct = direct, .converged_us = 1000000 };
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    return remove(path);
}

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    const char *tmp = getenv("TMPDIR");
    snprintf(fx->dir, sizeof fx->dir, "%s/checker-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->pay, sizeof fx->pay, "%s/payment.db", fx->dir);
    snprintf(fx->acc, sizeof fx->acc, "%s/accounting.db", fx->dir);
    snprintf(fx->trace, sizeof fx->trace, "%s/trace.jsonl", fx->dir);
    build(fx, 0);
    *state = fx;
    return 0;
}

static int setup_direct(void **state) {
    int rc = setup(state);
    fixture *fx = *state;
    unlink(fx->pay);
    unlink(fx->acc);
    build(fx, 1);
    return rc;
}

static int teardown(void **state) {
    fixture *fx = *state;
    int rc = nftw(fx->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

/* ---- asserting ------------------------------------------------------------------------------- */

static void run_ok(fixture *fx) {
    int rc = checker_run(&fx->in, &fx->res, fx->err, sizeof fx->err);
    if (rc != 0) fail_msg("checker_run: %s", fx->err);
}

/* The count of every invariant, in the order of checker.h: a break shows where it
** should and nowhere else. */
static void expect_counts(const fixture *fx, uint32_t d, uint32_t a, uint32_t p, uint32_t o,
                          uint32_t e, uint32_t c, uint32_t dl, uint32_t cv) {
    uint32_t want[CHECKER_INVARIANTS] = { d, a, p, o, e, c, dl, cv };
    for (int i = 0; i < CHECKER_INVARIANTS; i++) {
        const checker_invariant *ci = &fx->res.inv[i];
        if (ci->count != want[i])
            fail_msg("%s: %u violations, expected %u; first: %s", ci->name, ci->count,
                     want[i], ci->nshown ? ci->shown[0].text : "-");
        assert_int_equal(ci->nshown, want[i] < CHECKER_MAX_SHOWN ? want[i] : CHECKER_MAX_SHOWN);
    }
}

static void expect_text(const checker_violation *v, const char *part) {
    if (!strstr(v->text, part)) fail_msg("\"%s\" lacks \"%s\"", v->text, part);
}

static void expect_lines(const checker_violation *v, int n, ...) {
    va_list ap;
    va_start(ap, n);
    if (v->nlines != n) fail_msg("%s: %d lines cited, expected %d", v->text, v->nlines, n);
    for (int i = 0; i < n; i++) assert_int_equal(v->lines[i], va_arg(ap, int));
    va_end(ap);
}

static const checker_violation *first(const fixture *fx, int inv) {
    assert_true(fx->res.inv[inv].nshown > 0);
    return &fx->res.inv[inv].shown[0];
}

static void expect_ids(const checker_violation *v, uint64_t pay, uint64_t msg) {
    assert_int_equal(v->pay_id, pay);
    assert_int_equal(v->msg_id, msg);
}

/* ---- the tests ------------------------------------------------------------------------------- */

/* The tables, indexes and triggers of a database, as SQL text, one per line, sorted. */
static void schema_of(const char *path, char *out, size_t cap) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE sql NOT NULL"
                                            " ORDER BY name", -1, &st, NULL), SQLITE_OK);
    size_t len = 0;
    out[0] = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        for (; *t && len + 2 < cap; t++)   /* "IF NOT EXISTS" is not kept in sqlite_master */
            if (*t != '\n') out[len++] = *t;
        out[len++] = '\n';
        out[len] = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* The fixture's payment database is the library's, table for table and trigger for
** trigger: a checker test on another schema would prove nothing. */
static void test_fixture_schema_is_libs(void **state) {
    fixture *fx = *state;
    char lib_path[700], err[256];
    snprintf(lib_path, sizeof lib_path, "%s/lib-payment.db", fx->dir);
    ox_store st;
    memset(&st, 0, sizeof st);
    ox_config cfg;
    ox_config_default(&cfg);
    cfg.synchronous = OX_SYNC_OFF;
    assert_int_equal(ox_store_open(&st, OX_ROLE_PAYMENT, lib_path, &cfg, err, sizeof err), OX_OK);
    ox_store_close(&st);
    static char a[8192], b[8192];
    schema_of(lib_path, a, sizeof a);
    schema_of(fx->pay, b, sizeof b);
    for (char *p = a; (p = strstr(p, " IF NOT EXISTS")) != NULL;)
        memmove(p, p + 14, strlen(p + 14) + 1);
    assert_string_equal(b, a);
}

static void test_names(void **state) {
    for (int i = 0; i < CHECKER_INVARIANTS; i++) {
        assert_non_null(invariant_at(i)->name);
        assert_non_null(invariant_at(i)->means);
        assert_non_null(invariant_at(i)->broken);
        assert_int_equal(invariant_index(invariant_at(i)->name), i);
    }
    assert_string_equal(invariant_at(0)->name, "durability");
    assert_string_equal(invariant_at(4)->name, "eventual_consistency");
    assert_string_equal(invariant_at(7)->name, "convergence");
    assert_int_equal(invariant_index("nope"), -1);
    assert_int_equal(invariant_index(NULL), -1);
    const char *names[INVARIANT_COUNT + 1];
    invariant_names(names);
    assert_string_equal(names[1], "atomicity");
    assert_null(names[INVARIANT_COUNT]);
}

static void invariant_row(int i, const char **name, const char **means) {
    *name = invariant_at(i)->name;
    *means = invariant_at(i)->means;
}

/* README.md's table "Invariants the checker judges" says what invariant.h's table says,
** row by row (the tests run from the repository's root). */
static void test_readme_table_matches(void **state) {
    (void)state;
    readme_table_matches("Invariants the checker judges", "invariant", INVARIANT_COUNT,
                         invariant_row);
}

static void test_consistent_run_passes(void **state) {
    fixture *fx = *state;
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 0, 0, 0);
    for (int i = 0; i < CHECKER_INVARIANTS; i++) {
        assert_string_equal(fx->res.inv[i].name, invariant_at(i)->name);
        /* no history_conf given: the history invariants are not judged (test_history) */
        assert_int_equal(fx->res.inv[i].skipped, i >= INVARIANT_END_STATE);
    }
    const checker_result *r = &fx->res;
    assert_int_equal(r->payments, 4);
    assert_int_equal(r->paid, 3);
    assert_int_equal(r->refunded, 1);   /* and properly compensated: no violation */
    assert_int_equal(r->vouchers, 3);
    assert_int_equal(r->sending, 0);
    assert_int_equal(r->consumed, 3);
    assert_int_equal(r->failed, 1);
    assert_int_equal(r->dead, 0);
    assert_int_equal(r->alerts, 0);
}

static void test_durability(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "DROP TRIGGER outbox_tombstone;"   /* never written, not cleaned */
                      "DELETE FROM payment WHERE id = 2; DELETE FROM outbox WHERE id = 12;");
    exec_sql(fx->acc, "DELETE FROM voucher WHERE id = 102;");
    run_ok(fx);
    expect_counts(fx, 1, 0, 0, 0, 0, 0, 0, 0);
    const checker_violation *v = first(fx, DUR);
    expect_ids(v, 2, 0);
    expect_text(v, "payment 2: ");
    expect_text(v, "told OK");
    expect_text(v, "no payment row");
    expect_lines(v, 6, 3, 5, 6, 10, 11, 12);
}

static void test_atomicity_outbox_without_payment(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "INSERT INTO outbox VALUES (14, 4, 'CONSUMED', 1, 0, x'00', 4, 4);");
    run_ok(fx);
    expect_counts(fx, 0, 1, 0, 0, 0, 0, 0, 0);
    const checker_violation *v = first(fx, ATO);
    expect_ids(v, 4, 14);
    expect_text(v, "payment 4 (msg 14): outbox row (CONSUMED) has no payment row");
    expect_lines(v, 3, 13, 14, 16);   /* line 16 names payments 5 and 4 */
}

static void test_atomicity_payment_without_outbox(void **state) {
    fixture *fx = *state;
    /* Gone without a tombstone: not the cleanup's doing (lib/schema.h). */
    exec_sql(fx->pay, "DROP TRIGGER outbox_tombstone; DELETE FROM outbox WHERE id = 12;");
    run_ok(fx);
    /* A PAID payment with no row is also not consumed: eventual consistency says so. */
    expect_counts(fx, 0, 1, 0, 0, 1, 0, 0, 0);
    const checker_violation *v = first(fx, ATO);
    expect_ids(v, 2, 12);   /* no outbox row: the id comes from its voucher */
    expect_text(v, "payment 2 (msg 12): payment row (PAID) has no outbox row");
    expect_text(first(fx, EVE), "PAID but no outbox row");
}

/* The cleanup deletes settled rows and leaves their tombstones: a missing row is known
** to have been cleaned from that fact, whatever else the payment shows. */
static void test_cleaned_rows(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "DELETE FROM outbox WHERE id IN (12, 13);");   /* CONSUMED, FAILED */
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 0, 0, 0);
    assert_int_equal(fx->res.cleaned, 2);
    assert_int_equal(fx->res.consumed, 2);   /* the rows left */
    assert_int_equal(fx->res.failed, 0);
    /* mark-on-publish: the row was CONSUMED when published, the message was lost, then
    ** the cleanup deleted it.  The break is the missing voucher, not atomicity (the
    ** false break of issue 11, item 1). */
    exec_sql(fx->acc, "DELETE FROM voucher WHERE id = 102;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
    const checker_violation *v = first(fx, EVE);
    expect_ids(v, 2, 12);   /* the message id from the tombstone */
    expect_text(v, "payment 2 (msg 12): PAID but no voucher");
    /* A tombstone of a row that ended FAILED for a payment not refused is no excuse. */
    exec_sql(fx->pay, "UPDATE outbox_cleaned SET status = 'FAILED' WHERE payment_id = 2;");
    run_ok(fx);
    expect_text(first(fx, EVE), "outbox row was FAILED, then cleaned up");
}

/* completion = delete | archive (lib/config.h): every finished row is deleted by the
** transaction that finished it and leaves its tombstone as the cleanup's do: no row is
** missing.  A row deleted while it was not final (SENDING) is still caught: its tombstone
** says what it was. */
static void test_completed_rows(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "DELETE FROM outbox;");   /* 2 CONSUMED, 1 FAILED, 1 CONSUMED */
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 0, 0, 0);
    assert_int_equal(fx->res.cleaned, 4);
    assert_int_equal(fx->res.consumed + fx->res.failed + fx->res.sending, 0);
    exec_sql(fx->pay, "UPDATE outbox_cleaned SET status = 'SENDING' WHERE payment_id = 5;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
    const checker_violation *v = first(fx, EVE);
    expect_ids(v, 5, 15);
    expect_text(v, "outbox row was SENDING, then cleaned up");
}

/* With cleanup on, a row missing without a tombstone is still an atomicity break, even
** for a payment that looks settled (PAID with its one voucher). */
static void test_missing_row_despite_cleanup(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "DELETE FROM outbox WHERE id = 11;"   /* cleaned: a tombstone */
                      "DROP TRIGGER outbox_tombstone; DELETE FROM outbox WHERE id = 15;");
    run_ok(fx);
    expect_counts(fx, 0, 1, 0, 0, 1, 0, 0, 0);
    expect_text(first(fx, ATO), "payment 5 (msg 15): payment row (PAID) has no outbox row");
    assert_int_equal(fx->res.cleaned, 1);
}

static void test_atomicity_never_requested(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "INSERT INTO payment VALUES (99, 10, 990, 'PAID', 9);"
                      "INSERT INTO outbox VALUES (19, 99, 'CONSUMED', 1, 0, x'00', 9, 9);");
    exec_sql(fx->acc, "INSERT INTO voucher VALUES (199, 99, 19, 10, 990, 9);");
    run_ok(fx);
    expect_counts(fx, 0, 1, 0, 0, 0, 0, 0, 0);
    const checker_violation *v = first(fx, ATO);
    expect_ids(v, 99, 19);
    expect_text(v, "payment 99 (msg 19): was never requested");
    expect_lines(v, 1, 17);
}

/* The same lost payment after a power cut the settings did not promise to survive: its
** OK is INDEFINITE (sim/core/hist.h), so durability holds; the voucher accounting still
** holds for it is a phantom all the same. */
static void test_indefinite_is_no_loss(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "DROP TRIGGER outbox_tombstone;"
                      "DELETE FROM payment WHERE id = 2; DELETE FROM outbox WHERE id = 12;");
    set_hist(fx, 2, 2000, 0, HIST_INDEFINITE);
    run_ok(fx);
    expect_counts(fx, 0, 0, 1, 0, 0, 0, 0, 0);
    const checker_violation *v = first(fx, PHA);
    expect_ids(v, 2, 12);
    expect_text(v, "but no payment row");
}

static void test_no_phantom_uncommitted(void **state) {
    fixture *fx = *state;
    /* payment 4's transaction never committed, yet accounting booked it */
    exec_sql(fx->acc, "INSERT INTO voucher VALUES (104, 4, 14, 40, 4000, 4);");
    run_ok(fx);
    expect_counts(fx, 0, 0, 1, 0, 0, 0, 0, 0);
    const checker_violation *v = first(fx, PHA);
    expect_ids(v, 4, 14);
    expect_text(v, "payment 4 (msg 14): 1 voucher (id 104) but no payment row");
    expect_lines(v, 3, 13, 14, 16);
}

/* Payment 1's voucher 101 changed by `sql`: no_phantom alone breaks, saying `text`. */
static void phantom_voucher(fixture *fx, const char *sql, const char *text) {
    exec_sql(fx->acc, sql);
    run_ok(fx);
    expect_counts(fx, 0, 0, 1, 0, 0, 0, 0, 0);
    const checker_violation *v = first(fx, PHA);
    expect_ids(v, 1, 11);
    expect_text(v, text);
    expect_lines(v, 1, 2);
}

static void test_no_phantom_amount(void **state) {
    phantom_voucher(*state, "UPDATE voucher SET amount = 999 WHERE id = 101;",
                    "voucher 101 amount 999 != payment amount 1000");
}

/* The right sum on another account: money in the wrong place is no voucher of this payment. */
static void test_no_phantom_account(void **state) {
    phantom_voucher(*state, "UPDATE voucher SET account = account + 1 WHERE id = 101;",
                    "voucher 101 booked on account");
}

/* The voucher is right, but the inbox row that booked it names another payment (the
** payment id bound from the message id, say): the record of what was booked lies. */
static void test_no_phantom_inbox_payment(void **state) {
    phantom_voucher(*state, "UPDATE inbox SET payment_id = 11 WHERE msg_id = 11;",
                    "the inbox row of msg 11, which booked it, names payment 11");
}

/* A voucher whose inbox row a purge forgot is not judged by it. */
static void test_no_phantom_inbox_purged(void **state) {
    fixture *fx = *state;
    exec_sql(fx->acc, "DELETE FROM inbox WHERE msg_id = 11;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 0, 0, 0);
}

static void test_exactly_once(void **state) {
    fixture *fx = *state;
    exec_sql(fx->acc, "INSERT INTO voucher VALUES (106, 2, 12, 20, 2000, 6);");
    run_ok(fx);
    /* "exactly one voucher" is part of eventual consistency too, by its definition */
    expect_counts(fx, 0, 0, 0, 1, 1, 0, 0, 0);
    const checker_violation *v = first(fx, ONCE);
    expect_ids(v, 2, 12);
    expect_text(v, "payment 2 (msg 12): 2 vouchers (ids 102, 106)");
    expect_lines(v, 6, 3, 5, 6, 10, 11, 12);
    expect_text(first(fx, EVE), "PAID but 2 vouchers (ids 102, 106)");
    assert_int_equal(fx->res.vouchers, 4);
}

static void test_exactly_once_many(void **state) {
    fixture *fx = *state;
    exec_sql(fx->acc, "INSERT INTO voucher(payment_id, msg_id, account, amount, created_at)"
                      " VALUES (5, 15, 50, 5000, 1), (5, 15, 50, 5000, 2),"
                      " (5, 15, 50, 5000, 3), (5, 15, 50, 5000, 4);");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 1, 1, 0, 0, 0);
    const checker_violation *v = first(fx, ONCE);
    expect_ids(v, 5, 15);
    expect_text(v, "5 vouchers (ids 105, 106, 107, 108, ...)");
}

static void test_eventual_sending(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE outbox SET status = 'SENDING', attempts = 8 WHERE id = 15;");
    exec_sql(fx->acc, "DELETE FROM voucher WHERE id = 105;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
    const checker_violation *v = first(fx, EVE);
    expect_ids(v, 5, 15);
    expect_text(v, "payment 5 (msg 15): PAID but outbox row is SENDING after 8 attempts, "
                   "no voucher");
    expect_lines(v, 2, 7, 16);
    assert_int_equal(fx->res.sending, 1);
}

static void test_eventual_dead_alerted(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE outbox SET status = 'DEAD', attempts = 8 WHERE id = 15;"
                      "INSERT INTO alert VALUES (1, 15, 5, 'DEAD_LETTER', 'gave up', 9);");
    exec_sql(fx->acc, "DELETE FROM voucher WHERE id = 105;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);   /* alerted, but never consumed */
    const checker_violation *v = first(fx, EVE);
    expect_ids(v, 5, 15);
    expect_text(v, "DEAD after 8 attempts, never consumed");
    assert_int_equal(fx->res.dead, 1);
    assert_int_equal(fx->res.alerts, 1);
}

static void test_eventual_sending_anywhere(void **state) {
    fixture *fx = *state;
    /* a refused, compensated payment whose row went back to SENDING: not quiet */
    exec_sql(fx->pay, "UPDATE outbox SET status = 'SENDING', attempts = 2 WHERE id = 13;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 1, 0, 0);
    expect_text(first(fx, EVE), "payment 3 (msg 13): REFUNDED but outbox row is SENDING "
                                "after 2 attempts");
    expect_text(first(fx, COMP), "refused but outbox row is SENDING after 2 attempts");
}

static void test_eventual_wrong_refund(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE payment SET status = 'REFUNDED' WHERE id = 1;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
    expect_text(first(fx, EVE), "payment 1 (msg 11): REFUNDED but it was never refused");
}

static void test_compensation(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE payment SET status = 'PAID' WHERE id = 3;"
                      "DELETE FROM refund WHERE payment_id = 3;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 1, 0, 0);
    const checker_violation *v = first(fx, COMP);
    expect_ids(v, 3, 13);
    expect_text(v, "payment 3 (msg 13): refused but status is PAID, no refund row");
    expect_lines(v, 1, 15);
}

static void test_compensation_voucher(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE outbox SET status = 'CONSUMED' WHERE id = 13;");
    exec_sql(fx->acc, "INSERT INTO voucher VALUES (103, 3, 13, 9999, 3000, 3);");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 1, 0, 0);
    const checker_violation *v = first(fx, COMP);
    expect_ids(v, 3, 13);
    expect_text(v, "refused but 1 voucher (id 103), outbox row is CONSUMED");
}

static void test_compensation_refund_amount(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE refund SET amount = 300 WHERE payment_id = 3;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 1, 0, 0);
    expect_text(first(fx, COMP), "payment 3 (msg 13): refused but refund amount 300 != "
                                 "payment amount 3000");
}

static void test_dead_letters(void **state) {
    fixture *fx = *state;
    /* the only alert is about another row: payment 5's dead letter is silent */
    exec_sql(fx->pay, "UPDATE outbox SET status = 'DEAD', attempts = 8 WHERE id = 15;"
                      "INSERT INTO alert VALUES (1, 11, 1, 'DEAD_LETTER', 'other', 9);");
    run_ok(fx);
    /* a DEAD row of a PAID payment was never consumed either */
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 1, 0);
    const checker_violation *v = first(fx, DEAD);
    expect_ids(v, 5, 15);
    expect_text(v, "payment 5 (msg 15): outbox row is DEAD after 8 attempts and has no alert");
    expect_lines(v, 2, 7, 16);
}

/* An alert naming the DEAD row with another payment's id (outbox id bound as the
** payment's, as they coincide in most runs) does not count: it points at other money. */
static void test_dead_letter_alert_wrong_payment(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE outbox SET status = 'DEAD', attempts = 8 WHERE id = 15;"
                      "INSERT INTO alert VALUES (1, 15, 15, 'DEAD_LETTER', 'gave up', 9);");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 1, 0);
    expect_ids(first(fx, DEAD), 5, 15);
    exec_sql(fx->pay, "UPDATE alert SET payment_id = 5 WHERE id = 1;");   /* now right */
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
}

static void test_convergence(void **state) {
    fixture *fx = *state;
    fx->in.converged_us = -1;
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 0, 0, 1);
    const checker_violation *v = first(fx, CONV);
    expect_ids(v, 0, 0);
    expect_text(v, "did not go quiet before the settle phase ended (0 rows SENDING)");
    assert_int_equal(v->nlines, 0);
    fx->in.converged_us = 0;   /* quiet at the very start still counts */
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 0, 0, 0);
}

static void test_direct_design(void **state) {
    fixture *fx = *state;
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 0, 0, 0);
    assert_int_equal(fx->res.inv[ATO].skipped, 1);
    for (int i = 0; i < INVARIANT_END_STATE; i++)
        if (i != ATO) assert_int_equal(fx->res.inv[i].skipped, 0);
    assert_int_equal(fx->res.consumed + fx->res.failed + fx->res.sending, 0);
    /* a lost message: the payment stays PAID without a voucher */
    exec_sql(fx->acc, "DELETE FROM voucher WHERE id = 105;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
    const checker_violation *v = first(fx, EVE);
    expect_ids(v, 5, 5);   /* direct messages carry msg_id = payment id */
    expect_text(v, "payment 5 (msg 5): PAID but no voucher");
}

static void test_missing_table(void **state) {
    fixture *fx = *state;
    char want[700];
    exec_sql(fx->pay, "DROP TABLE outbox;");
    assert_int_equal(checker_run(&fx->in, &fx->res, fx->err, sizeof fx->err), -1);
    snprintf(want, sizeof want, "checker: %s: no such table: outbox", fx->pay);
    assert_string_equal(fx->err, want);

    unlink(fx->pay);
    make_payment_db(fx->pay);   /* a good, empty one: now the accounting side fails */
    exec_sql(fx->acc, "DROP TABLE voucher;");
    assert_int_equal(checker_run(&fx->in, &fx->res, fx->err, sizeof fx->err), -1);
    snprintf(want, sizeof want, "checker: %s: no such table: voucher", fx->acc);
    assert_string_equal(fx->err, want);
}

static void test_bad_files(void **state) {
    fixture *fx = *state;
    char missing[700];
    snprintf(missing, sizeof missing, "%s/nope.db", fx->dir);
    fx->in.accounting_db = missing;
    assert_int_equal(checker_run(&fx->in, &fx->res, fx->err, sizeof fx->err), -1);
    assert_non_null(strstr(fx->err, "checker: "));
    assert_non_null(strstr(fx->err, missing));
    assert_int_equal(access(missing, F_OK), -1);   /* read-only: nothing was created */

    fx->in.accounting_db = fx->pay;   /* the wrong role */
    assert_int_equal(checker_run(&fx->in, &fx->res, fx->err, sizeof fx->err), -1);
    assert_non_null(strstr(fx->err, "not an outbox-lab accounting database"));

    fx->in.accounting_db = fx->acc;
    fx->in.payment_db = fx->trace;    /* not a database at all */
    assert_int_equal(checker_run(&fx->in, &fx->res, fx->err, sizeof fx->err), -1);
    assert_non_null(strstr(fx->err, "file is not a database"));
    assert_null(strchr(fx->err, '\n'));
}

static void test_cap_and_order(void **state) {
    fixture *fx = *state;
    for (uint32_t id = 30; id > NPAY; id--) set_hist(fx, id, id * 100, 0, HIST_OK);
    fx->in.npay = 30;
    run_ok(fx);
    expect_counts(fx, 24, 0, 0, 0, 0, 0, 0, 0);   /* all counted, 20 shown */
    for (int i = 0; i < CHECKER_MAX_SHOWN; i++)
        assert_int_equal(fx->res.inv[DUR].shown[i].pay_id, NPAY + 1 + i);
    /* the same run, the same report */
    checker_result again = fx->res;
    run_ok(fx);
    assert_memory_equal(&again, &fx->res, sizeof again);
}

static void test_trace_absent(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE outbox SET status = 'SENDING' WHERE id = 15;");
    unlink(fx->trace);
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
    assert_int_equal(first(fx, EVE)->nlines, 0);
    fx->in.trace_path = NULL;
    run_ok(fx);
    assert_int_equal(first(fx, EVE)->nlines, 0);
}

/* Lines far longer than any buffer, with the mention cut at every offset near the
** likely buffer sizes: the line numbers and the mention must survive. */
static void test_trace_long_lines(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "UPDATE outbox SET status = 'SENDING' WHERE id = 15;");
    size_t cap = 70000;
    char *text = malloc(cap);
    assert_non_null(text);
    static const size_t around[] = { 8192, 16384, 32768, 65536 - 100 };
    for (size_t a = 0; a < sizeof around / sizeof around[0]; a++) {
        for (size_t off = around[a] - 60; off < around[a] + 60; off++) {
            /* line 1: {"pad":"xxx...","pay":5,...} with the mention at off */
            size_t n = (size_t)snprintf(text, cap, "{\"pad\":\"");
            memset(text + n, 'x', off - n - 2);
            n = off - 2;
            n += (size_t)snprintf(text + n, cap - n, "\",\"pay\":5,\"msg\":15}\n"
                                  "{\"pay\":55}\n{\"pay\":5}\n");
            assert_true(n < cap);
            write_file(fx->trace, text);
            run_ok(fx);
            expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
            expect_lines(first(fx, EVE), 2, 1, 3);
        }
    }
    free(text);
}

/* How many files in DIR are not the three the fixture wrote; named when LOUD. */
static int stray_files(const char *dir, int loud) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const char *m = e->d_name;
        if (strcmp(m, ".") && strcmp(m, "..") && strcmp(m, "payment.db") &&
            strcmp(m, "accounting.db") && strcmp(m, "trace.jsonl")) {
            if (loud) print_message("stray file: %s\n", m);
            n++;
        }
    }
    closedir(d);
    return n;
}

/* Services use WAL.  Closed cleanly, the checker must read them and leave no -wal or
** -shm file in the run's directory. */
static void test_wal_leaves_nothing(void **state) {
    fixture *fx = *state;
    exec_sql(fx->pay, "PRAGMA journal_mode = WAL;");
    exec_sql(fx->acc, "PRAGMA journal_mode = WAL;");
    assert_int_equal(stray_files(fx->dir, 1), 0);
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 0, 0, 0, 0);
    assert_int_equal(fx->res.vouchers, 3);
    assert_int_equal(stray_files(fx->dir, 1), 0);
}

/* A WAL not yet checkpointed holds committed rows: they must be seen. */
static void test_wal_pending_is_read(void **state) {
    fixture *fx = *state;
    exec_sql(fx->acc, "PRAGMA journal_mode = WAL;");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(fx->acc, &db), SQLITE_OK);
    assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO voucher VALUES (106, 2, 12, 20, 2000, 6);",
                                  NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    assert_int_equal(stray_files(fx->dir, 0), 2);   /* -wal and -shm */
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 1, 1, 0, 0, 0);
    expect_text(first(fx, ONCE), "2 vouchers (ids 102, 106)");
}

/* Paths are not URIs: '?', '#' and '%' in a directory name, a leading "//", and
** relative paths. */
static void test_odd_paths(void **state) {
    fixture *fx = *state;
    char sub[700], pay[800], acc[800], cwd[4096];
    snprintf(sub, sizeof sub, "%s/a?b#c%%41d", fx->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(pay, sizeof pay, "%s/payment.db", sub);
    snprintf(acc, sizeof acc, "%s/accounting.db", sub);
    assert_int_equal(rename(fx->pay, pay), 0);
    assert_int_equal(rename(fx->acc, acc), 0);
    fx->in.payment_db = pay;
    fx->in.accounting_db = acc;
    exec_sql(acc, "DELETE FROM voucher WHERE id = 105;");
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);

    char twice[900];   /* "//tmp/...": a path, not a URI authority */
    snprintf(twice, sizeof twice, "/%s", pay);
    fx->in.payment_db = twice;
    run_ok(fx);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);

    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(sub), 0);
    fx->in.payment_db = "payment.db";
    fx->in.accounting_db = "accounting.db";
    int rc = checker_run(&fx->in, &fx->res, fx->err, sizeof fx->err);
    assert_int_equal(chdir(cwd), 0);
    if (rc) fail_msg("relative paths: %s", fx->err);
    expect_counts(fx, 0, 0, 0, 0, 1, 0, 0, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_readme_table_matches),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_consistent_run_passes),
        T(test_fixture_schema_is_libs),
        T(test_durability),
        T(test_indefinite_is_no_loss),
        T(test_atomicity_outbox_without_payment),
        T(test_atomicity_payment_without_outbox),
        T(test_atomicity_never_requested),
        T(test_cleaned_rows),
        T(test_completed_rows),
        T(test_missing_row_despite_cleanup),
        T(test_no_phantom_uncommitted),
        T(test_no_phantom_amount),
        T(test_no_phantom_account),
        T(test_no_phantom_inbox_payment),
        T(test_no_phantom_inbox_purged),
        T(test_exactly_once),
        T(test_exactly_once_many),
        T(test_eventual_sending),
        T(test_eventual_dead_alerted),
        T(test_eventual_sending_anywhere),
        T(test_eventual_wrong_refund),
        T(test_compensation),
        T(test_compensation_voucher),
        T(test_compensation_refund_amount),
        T(test_dead_letters),
        T(test_dead_letter_alert_wrong_payment),
        T(test_convergence),
        cmocka_unit_test_setup_teardown(test_direct_design, setup_direct, teardown),
        T(test_missing_table),
        T(test_bad_files),
        T(test_cap_and_order),
        T(test_trace_absent),
        T(test_trace_long_lines),
        T(test_wal_leaves_nothing),
        T(test_wal_pending_is_read),
        T(test_odd_paths),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
