/*
** requeue.c: `requeue ID`, the operator's answer to a dead-letter alert: a DEAD row
** goes back to SENDING with its attempts reset and due now, so the payment service's
** recovery scan publishes it again on its next pass.
**
** The check and the update are one IMMEDIATE transaction, so a row the live service
** changes meanwhile is never requeued from a stale state; the UPDATE also repeats the
** status condition and must change exactly one row.  The row's alerts are kept: they
** are the history of what happened.
*/
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

/* The row's status into out[cap]; 1 found, 0 missing, -1 error (reported). */
static int row_status(const ctl_db *c, int64_t id, char *out, size_t cap, int64_t *pay_id) {
    sqlite3_stmt *st = ctl_prepare(c, "SELECT status, payment_id FROM outbox WHERE id = ?1");
    if (st == NULL) return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", s ? s : "?");
        *pay_id = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc == SQLITE_DONE) return 0;
    ctl_sql_fail(c, "select outbox row");
    return -1;
}

static ox_exit revive(const ctl_db *c, int64_t id, int64_t now) {
    sqlite3_stmt *st = ctl_prepare(c,
        /* Due at once: next_attempt_at 0 is before any clock, so the next scan takes the
        ** row whatever time the payment service's own clock reads (a simulated one
        ** reads 2023; this tool reads the wall clock). */
        "UPDATE outbox SET status = 'SENDING', attempts = 0, next_attempt_at = 0,"
        " updated_at = ?2 WHERE id = ?1 AND status = 'DEAD'");
    if (st == NULL) return OX_EXIT_HARNESS;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return ctl_sql_fail(c, "update outbox row");
    assert(sqlite3_changes(c->db) == 1);   /* checked DEAD in this same transaction */
    return OX_EXIT_OK;
}

/* Runs inside the transaction; the caller commits on 0 and rolls back otherwise. */
static ox_exit requeue_in_tx(const ctl_db *c, int64_t id, int64_t *pay_id, int64_t now) {
    char status[32];
    int found = row_status(c, id, status, sizeof status, pay_id);
    if (found < 0) return OX_EXIT_HARNESS;
    if (found == 0) {
        fprintf(stderr, "outbox-ctl: no outbox row %" PRId64 "\n", id);
        return OX_EXIT_FAIL;
    }
    if (strcmp(status, "DEAD") != 0) {
        fprintf(stderr,
                "outbox-ctl: outbox row %" PRId64 " is %s, only DEAD rows can be requeued\n", id,
                status);
        return OX_EXIT_FAIL;
    }
    return revive(c, id, now);
}

ox_exit ctl_requeue(ctl_db *c, int64_t id) {
    assert(c->db != NULL);
    assert(id > 0);
    if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return ctl_sql_fail(c, "BEGIN IMMEDIATE");
    int64_t pay_id = 0, now = ctl_now_ms();
    ox_exit code = requeue_in_tx(c, id, &pay_id, now);
    if (code != OX_EXIT_OK) {
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return code;
    }
    if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        code = ctl_sql_fail(c, "COMMIT");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return code;
    }
    printf("outbox row %" PRId64 " (payment %" PRId64
           ") requeued: SENDING, attempts 0, due at the next scan\n",
           id, pay_id);
    return OX_EXIT_OK;
}

/* `requeue all`: every DEAD row at once, in one transaction (what an operator does
** after an outage that outlasted the retry budget). */
ox_exit ctl_requeue_all(ctl_db *c) {
    assert(c->db != NULL);
    if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return ctl_sql_fail(c, "BEGIN IMMEDIATE");
    sqlite3_stmt *st = ctl_prepare(c,
        "UPDATE outbox SET status = 'SENDING', attempts = 0, next_attempt_at = 0,"
        " updated_at = ?1 WHERE status = 'DEAD'");
    if (st == NULL) { sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL); return OX_EXIT_HARNESS; }
    sqlite3_bind_int64(st, 1, ctl_now_ms());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    int changed = sqlite3_changes(c->db);
    if (rc != SQLITE_DONE || sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        ox_exit code = ctl_sql_fail(c, "requeue all");
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return code;
    }
    printf("%d DEAD outbox row%s requeued: SENDING, attempts 0, due at the next scan\n", changed,
           changed == 1 ? "" : "s");
    return OX_EXIT_OK;
}
