/*
** show.c: `show ID`, everything the payment database knows about one outbox row: the
** row, its payment, its refund, its alerts, and its payload decoded.
**
** The payload is the row's PUBLISH frame on PAY_QUEUE (lib/wire.h), exactly the bytes
** the recovery scan republishes.  It is decoded, and also shown in hex, so that a
** damaged row (which the scan turns DEAD) can still be inspected.
*/
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../lib/wire.h"
#include "ctl.h"

#define HEX_MAX 512   /* payload bytes shown in hex */

static const char *text(sqlite3_stmt *st, int col) {
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s ? s : "";
}

/* ---- payload ---------------------------------------------------------------- */

static void print_msg(const ox_msg *m) {
    printf("  message   %s msg_id=%" PRIu64 " pay_id=%" PRIu64 " account=%" PRIu32
           " amount=%" PRId64 " attempt=%" PRIu32 "%s%s\n", ox_wire_kind_name(m->kind), m->msg_id,
           m->pay_id, m->account, m->amount, m->attempt, m->reason[0] ? " reason=" : "", m->reason);
}

static void print_hex(const uint8_t *p, size_t n) {
    size_t shown = n < HEX_MAX ? n : HEX_MAX;
    for (size_t i = 0; i < shown; i += 32) {
        printf("  %04zx     ", i);
        for (size_t j = i; j < i + 32 && j < shown; j++) printf("%02x", p[j]);
        printf("\n");
    }
    if (shown < n) printf("  ...       (%zu more bytes)\n", n - shown);
}

static void print_payload(const uint8_t *p, size_t n) {
    printf("payload (%zu bytes)\n", n);
    ox_frame f;
    ox_wire_err e = n > 0 ? ox_wire_decode(p, n, &f) : OX_WIRE_TRUNCATED;
    if (e != OX_WIRE_OK) {
        printf("  (does not decode: %s)\n", ox_wire_strerror(e));
    } else {
        printf("  frame     %s on %s\n", ox_wire_type_name(f.type), f.queue);
        if (f.type != OX_F_DACK) print_msg(&f.msg);
    }
    print_hex(p, n);
}

/* ---- the row and what hangs off it ------------------------------------------ */

static ox_exit show_outbox(const ctl_db *c, int64_t id, int64_t *pay_id) {
    sqlite3_stmt *st = ctl_prepare(c,
        "SELECT payment_id, status, attempts, next_attempt_at, created_at, updated_at, payload"
        " FROM outbox WHERE id = ?1");
    if (st == NULL) return OX_EXIT_HARNESS;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return ctl_sql_fail(c, "select outbox row");
        fprintf(stderr, "outbox-ctl: no outbox row %" PRId64 "\n", id);
        return OX_EXIT_FAIL;
    }
    assert(c->clock.kind != CTL_NOW_AUTO);   /* ctl_clock_set ran */
    char next[40], created[40], updated[40], due[32];
    *pay_id = sqlite3_column_int64(st, 0);
    int64_t next_ms = sqlite3_column_int64(st, 3);
    ctl_iso(next_ms, next, sizeof next);
    ctl_iso(sqlite3_column_int64(st, 4), created, sizeof created);
    ctl_iso(sqlite3_column_int64(st, 5), updated, sizeof updated);
    ctl_span(next_ms - c->clock.ms, due, sizeof due);
    int sending = strcmp(text(st, 1), "SENDING") == 0;
    printf("outbox row %" PRId64 "\n", id);
    printf("  payment   %" PRId64 "\n", *pay_id);
    printf("  status    %s\n", text(st, 1));
    printf("  attempts  %" PRId64 "\n", (int64_t)sqlite3_column_int64(st, 2));
    if (sending)
        printf("  next      %s (%s %s)\n", next, next_ms >= c->clock.ms ? "in" : "due since",
               due[0] == '-' ? due + 1 : due);
    printf("  created   %s\n", created);
    printf("  updated   %s\n", updated);
    if (sending) ctl_clock_print(c, "  as of", 12);
    print_payload(sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6));
    sqlite3_finalize(st);
    return OX_EXIT_OK;
}

static ox_exit show_payment(const ctl_db *c, int64_t pay_id) {
    sqlite3_stmt *st = ctl_prepare(c,
        "SELECT account, amount, status, created_at FROM payment WHERE id = ?1");
    if (st == NULL) return OX_EXIT_HARNESS;
    sqlite3_bind_int64(st, 1, pay_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char amount[32], created[40];
        ctl_money(sqlite3_column_int64(st, 1), amount, sizeof amount);
        ctl_iso(sqlite3_column_int64(st, 3), created, sizeof created);
        printf("payment %" PRId64 "\n  account   %" PRId64 "\n  amount    %s (%" PRId64 " cents)\n"
               "  status    %s\n  created   %s\n", pay_id, (int64_t)sqlite3_column_int64(st, 0),
               amount, (int64_t)sqlite3_column_int64(st, 1), text(st, 2), created);
    } else if (rc == SQLITE_DONE) {
        printf("payment %" PRId64 "\n  (missing: the outbox row has no payment)\n", pay_id);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OX_EXIT_OK : ctl_sql_fail(c, "select payment");
}

static ox_exit show_refund(const ctl_db *c, int64_t pay_id) {
    sqlite3_stmt *st = ctl_prepare(c,
        "SELECT amount, reason, created_at FROM refund WHERE payment_id = ?1");
    if (st == NULL) return OX_EXIT_HARNESS;
    sqlite3_bind_int64(st, 1, pay_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char amount[32], created[40];
        ctl_money(sqlite3_column_int64(st, 0), amount, sizeof amount);
        ctl_iso(sqlite3_column_int64(st, 2), created, sizeof created);
        printf("refund\n  amount    %s (%" PRId64 " cents)\n  reason    %s\n  created   %s\n",
               amount, (int64_t)sqlite3_column_int64(st, 0), text(st, 1), created);
    } else if (rc == SQLITE_DONE) {
        printf("refund    none\n");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OX_EXIT_OK : ctl_sql_fail(c, "select refund");
}

static ox_exit show_alerts(const ctl_db *c, int64_t id) {
    sqlite3_stmt *st = ctl_prepare(c,
        "SELECT id, kind, message, created_at FROM alert WHERE outbox_id = ?1 ORDER BY id");
    if (st == NULL) return OX_EXIT_HARNESS;
    sqlite3_bind_int64(st, 1, id);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char created[40];
        ctl_iso(sqlite3_column_int64(st, 3), created, sizeof created);
        if (n++ == 0) printf("alerts\n");
        printf("  #%" PRId64 "  %s  %s  %s\n", (int64_t)sqlite3_column_int64(st, 0), created,
               text(st, 1), text(st, 2));
    }
    if (rc == SQLITE_DONE && n == 0) printf("alerts    none\n");
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OX_EXIT_OK : ctl_sql_fail(c, "select alerts");
}

ox_exit ctl_show(ctl_db *c, int64_t id) {
    assert(c->db != NULL);
    assert(id > 0);
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return ctl_sql_fail(c, "BEGIN");
    int64_t pay_id = 0;
    ox_exit code = show_outbox(c, id, &pay_id);
    if (code == OX_EXIT_OK) code = show_payment(c, pay_id);
    if (code == OX_EXIT_OK) code = show_refund(c, pay_id);
    if (code == OX_EXIT_OK) code = show_alerts(c, id);
    sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    return code;
}
