/*
** test_ctl.c: bin/outbox-ctl run as a user runs it, on payment databases the library
** itself wrote.
**
** Each test makes a fresh payment database in its own temporary directory through
** lib/service.h (three payments, so three SENDING outbox rows), runs the built tool
** ($OUTBOX_BIN/outbox-ctl, default bin/) with its output captured, and asserts the
** exit code, the words that matter in the output, and what the database holds after.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../../lib/config.h"
#include "../../../lib/service.h"

#define OUT_MAX 16384

typedef struct {
    char dir[64];
    char db[128];
    char out[OUT_MAX];   /* stdout and stderr of the last run */
    int code;            /* its exit code */
} fixture;

/* Runs `outbox-ctl ARGS` (a shell word list), capturing output and exit code. */
static void ctl(fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ctl(fixture *f, const char *fmt, ...) {
    const char *bin = getenv("OUTBOX_BIN") ? getenv("OUTBOX_BIN") : "bin";
    char args[512], cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "%s/outbox-ctl %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(f->out, 1, sizeof f->out - 1, p);
    f->out[n] = '\0';
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    f->code = WEXITSTATUS(st);
}

static void sql(const fixture *f, const char *stmt) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, stmt, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static int64_t sql_int(const fixture *f, const char *query) {
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, query, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* A service database of `role` at path, with `npay` payments if it is payment's. */
static void make_db(ox_role role, const char *path, int npay) {
    ox_config cfg;
    ox_config_default(&cfg);
    ox_io io = { 0 };   /* io.h: the services tolerate NULL callbacks */
    char err[256];
    ox_service *s = ox_service_open(role, path, &cfg, &io, err, sizeof err);
    assert_non_null(s);
    for (int i = 1; i <= npay; i++)
        assert_int_equal(ox_service_pay(s, (uint64_t)(100 + i), 7, 1000 * i), OX_OK);
    ox_service_close(s);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/outbox-test-ctl.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/payment.db", f->dir);
    make_db(OX_ROLE_PAYMENT, f->db, 3);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static void test_list_shows_rows(void **state) {
    fixture *f = *state;
    ctl(f, "--db %s list", f->db);
    assert_int_equal(f->code, 0);
    assert_non_null(strstr(f->out, "next attempt (UTC)"));
    assert_non_null(strstr(f->out, "       101  SENDING"));
    assert_non_null(strstr(f->out, "       103  SENDING"));
    ctl(f, "--db %s list --limit 2", f->db);
    assert_int_equal(f->code, 0);
    assert_null(strstr(f->out, "       103  SENDING"));
    assert_non_null(strstr(f->out, "(2 of 3 rows shown"));
    ctl(f, "--db %s list --status dead", f->db);
    assert_int_equal(f->code, 0);
    assert_string_equal(f->out, "no DEAD outbox rows\n");
}

static void test_show_decodes_the_row(void **state) {
    fixture *f = *state;
    ctl(f, "--db %s show 2", f->db);
    assert_int_equal(f->code, 0);
    assert_non_null(strstr(f->out, "outbox row 2\n"));
    assert_non_null(strstr(f->out, "  payment   102\n"));
    assert_non_null(strstr(f->out, "PUBLISH on PAY_QUEUE"));
    assert_non_null(strstr(f->out, "PAYMENT msg_id=2 pay_id=102 account=7 amount=2000"));
    assert_non_null(strstr(f->out, "amount    20.00 (2000 cents)"));
    assert_non_null(strstr(f->out, "refund    none"));
    assert_non_null(strstr(f->out, "alerts    none"));
}

static void test_show_unknown_and_bad_ids(void **state) {
    fixture *f = *state;
    ctl(f, "--db %s show 99", f->db);
    assert_int_equal(f->code, 1);
    assert_string_equal(f->out, "outbox-ctl: no outbox row 99\n");
    ctl(f, "--db %s show abc", f->db);
    assert_int_equal(f->code, 2);
    assert_non_null(strstr(f->out, "bad id 'abc'"));
    ctl(f, "--db %s show 0", f->db);
    assert_int_equal(f->code, 2);
    ctl(f, "--db %s show", f->db);
    assert_int_equal(f->code, 2);
}

static void test_requeue_only_dead(void **state) {
    fixture *f = *state;
    ctl(f, "--db %s requeue 1", f->db);
    assert_int_equal(f->code, 1);
    assert_string_equal(f->out,
                        "outbox-ctl: outbox row 1 is SENDING, only DEAD rows can be requeued\n");
    sql(f, "UPDATE outbox SET status='CONSUMED' WHERE id=3");
    ctl(f, "--db %s requeue 3", f->db);
    assert_int_equal(f->code, 1);
    assert_string_equal(f->out,
                        "outbox-ctl: outbox row 3 is CONSUMED, only DEAD rows can be requeued\n");
    ctl(f, "--db %s requeue 99", f->db);
    assert_int_equal(f->code, 1);
    assert_string_equal(f->out, "outbox-ctl: no outbox row 99\n");
}

static void test_requeue_revives_a_dead_row(void **state) {
    fixture *f = *state;
    sql(f, "UPDATE outbox SET status='DEAD', attempts=8, next_attempt_at=0 WHERE id=2;"
           "INSERT INTO alert(outbox_id, payment_id, kind, message, created_at)"
           " VALUES(2, 102, 'DEAD_LETTER', 'dead after 8 attempts', 0)");
    ctl(f, "--db %s show 2", f->db);
    assert_non_null(strstr(f->out, "DEAD_LETTER  dead after 8 attempts"));
    ctl(f, "--db %s requeue 2", f->db);
    assert_int_equal(f->code, 0);
    assert_non_null(strstr(f->out, "outbox row 2 (payment 102) requeued"));
    assert_int_equal(sql_int(f, "SELECT status='SENDING' AND attempts=0 FROM outbox WHERE id=2"),
                     1);
    assert_int_equal(sql_int(f, "SELECT next_attempt_at FROM outbox WHERE id=2"),
                     0); /* due at once, whatever the clock */
    assert_int_equal(sql_int(f, "SELECT count(*) FROM alert"), 1);   /* history is kept */
    ctl(f, "--db %s requeue 2", f->db);   /* not DEAD any more */
    assert_int_equal(f->code, 1);
}

static void test_stats_counts(void **state) {
    fixture *f = *state;
    sql(f, "UPDATE outbox SET status='CONSUMED' WHERE id=1");
    ctl(f, "--db %s stats", f->db);
    assert_int_equal(f->code, 0);
    assert_non_null(strstr(f->out, "  SENDING            2\n"));
    assert_non_null(strstr(f->out, "  CONSUMED           1\n"));
    assert_non_null(strstr(f->out, "  total              3\n"));
    assert_non_null(strstr(f->out, "payments        3\n"));
    assert_non_null(strstr(f->out, "oldest SENDING  "));
    assert_non_null(strstr(f->out, "(row 2, payment 102"));
}

static void test_refuses_missing_and_foreign_files(void **state) {
    fixture *f = *state;
    char path[192];
    snprintf(path, sizeof path, "%s/missing.db", f->dir);
    ctl(f, "--db %s list", path);
    assert_int_equal(f->code, 2);
    assert_non_null(strstr(f->out, "No such file"));
    struct stat sb;
    assert_int_not_equal(stat(path, &sb), 0);   /* and it was not created */

    snprintf(path, sizeof path, "%s/accounting.db", f->dir);
    make_db(OX_ROLE_ACCOUNTING, path, 0);
    ctl(f, "--db %s stats", path);
    assert_int_equal(f->code, 2);
    assert_non_null(strstr(f->out, "not an outbox-lab payment database"));

    snprintf(path, sizeof path, "%s/junk.db", f->dir);
    FILE *j = fopen(path, "w");
    assert_non_null(j);
    fputs("this is not a database, it is a sentence long enough to be a header\n", j);
    fclose(j);
    ctl(f, "--db %s requeue 1", path);
    assert_int_equal(f->code, 2);
    assert_non_null(strstr(f->out, "not an outbox-lab payment database"));
}

static void test_usage_errors(void **state) {
    fixture *f = *state;
    ctl(f, "list");
    assert_int_equal(f->code, 2);
    assert_non_null(strstr(f->out, "--db: required"));
    ctl(f, "--db %s frob", f->db);
    assert_int_equal(f->code, 2);
    assert_non_null(strstr(f->out, "unknown command 'frob'"));
    ctl(f, "--db %s list --status LOST", f->db);
    assert_int_equal(f->code, 2);
    ctl(f, "--help");
    assert_int_equal(f->code, 0);
    assert_non_null(strstr(f->out, "usage: outbox-ctl"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_shows_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_decodes_the_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_unknown_and_bad_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requeue_only_dead, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requeue_revives_a_dead_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_missing_and_foreign_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
