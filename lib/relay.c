/*
** relay.c: a relay process's scan: claim due rows with a lease, publish them one per
** round trip while the lease holds (see relay.h).
*/
#include "relay.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ordered.h"
#include "payment.h"

typedef long long ll;

int64_t ox_relay_lease_ms(const ox_config *c) {
    assert(c->relay_rtt_ms > 0);
    if (c->design != OX_DESIGN_RELAY_SHORT_LEASE) return c->lease_ms;
    return c->relay_rtt_ms / 2 > 0 ? c->relay_rtt_ms / 2 : 1;   /* shorter than a round trip */
}

int64_t ox_relay_margin_ms(const ox_config *c) {
    assert(c->lease_skew_ms >= 0);
    return c->design == OX_DESIGN_RELAY_SKEWED_CLOCK ? 0 : c->lease_skew_ms;
}

/* Rows one claim takes: what fits in half the lease at one per round trip, at least 1,
** at most scan_batch.  The weak designs take a full batch, whatever the lease. */
static int claim_limit(const ox_service *s) {
    if (s->cfg.design == OX_DESIGN_RELAY_SHORT_LEASE || s->cfg.design == OX_DESIGN_RELAY_NO_LEASE)
        return s->cfg.scan_batch;
    int64_t fit = ox_relay_lease_ms(&s->cfg) / (2 * s->cfg.relay_rtt_ms);
    if (fit < 1) fit = 1;
    return fit < s->cfg.scan_batch ? (int)fit : s->cfg.scan_batch;
}

/* outbox.owner and outbox.lease_until, added once by the first relay (relay.h). */
static ox_status add_columns(ox_service *s) {
    sqlite3_stmt *q = NULL;
    ox_status r = ox_store_begin(&s->store);
    if (r) return r;
    r = ox_store_prepare(&s->store, &q,
        "SELECT count(*) FROM pragma_table_info('outbox') WHERE name='lease_until'");
    int row = r ? -1 : ox_store_row(&s->store, q, "look for the lease columns");
    int have = row == 1 && sqlite3_column_int64(q, 0) > 0;
    ox_store_finalize(&q);
    if (row < 0) r = r ? r : OX_ERR_DB;
    if (!r && !have) {
        r = ox_store_prepare(&s->store, &q, "ALTER TABLE outbox ADD COLUMN owner TEXT");
        if (!r) r = ox_store_run(&s->store, q, "add outbox.owner", NULL);
        ox_store_finalize(&q);
        if (!r) r = ox_store_prepare(&s->store, &q,
            "ALTER TABLE outbox ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0");
        if (!r) r = ox_store_run(&s->store, q, "add outbox.lease_until", NULL);
        ox_store_finalize(&q);
    }
    if (r) { ox_store_rollback(&s->store); return r; }
    return ox_store_commit(&s->store);
}

/* The claim's parameters: ?1 owner, ?2 lease_until, ?3 the due bound (now; under design
** resend-every-scan every SENDING row is due, as in the scan's collect), ?4 limit, ?5 the
** lease bound: another owner's lease counts as over only once lease_until <= now -
** margin (ox_relay_margin_ms; relay-no-lease reads no lease, and has no ?5).  The scan's
** own order and index. */
static ox_status prepare(ox_service *s) {
    struct ox_relay *rl = s->rel;
    ox_status r = ox_store_prepare(&s->store, &rl->claim,
        s->cfg.design == OX_DESIGN_ORDERED ? OX_ORDERED_CLAIM_SQL
        : s->cfg.design == OX_DESIGN_RELAY_NO_LEASE
        ? "UPDATE outbox SET owner=?1, lease_until=?2 WHERE id IN (SELECT id FROM outbox"
          " WHERE status='SENDING' AND next_attempt_at<=?3 ORDER BY next_attempt_at, id"
          " LIMIT ?4) RETURNING id, payment_id, attempts, payload"
        : "UPDATE outbox SET owner=?1, lease_until=?2 WHERE id IN (SELECT id FROM outbox"
          " WHERE status='SENDING' AND next_attempt_at<=?3 AND (lease_until<=?5 OR owner=?1)"
          " ORDER BY next_attempt_at, id LIMIT ?4) RETURNING id, payment_id, attempts, payload");
    if (!r) r = ox_store_prepare(&s->store, &rl->holder,
        "SELECT status, owner, lease_until FROM outbox WHERE id=?1");
    /* a released row is nobody's at once (lease_until 0): no margin to wait out */
    if (!r) r = ox_store_prepare(&s->store, &rl->release,
        "UPDATE outbox SET lease_until=0 WHERE id=?1 AND owner=?2 AND lease_until>?3");
    return r;
}

ox_status ox_relay_open(ox_service *s) {
    assert(s->role == OX_ROLE_RELAY);
    assert(s->rel == NULL);
    s->rel = calloc(1, sizeof *s->rel);
    if (!s->rel) return ox_svc_fail(s, OX_ERR_NOMEM, "relay: out of memory");
    ox_status r = add_columns(s);
    if (!r) r = ox_payment_open(s);   /* the scan's statements, on the payment's rows */
    if (!r) r = prepare(s);
    return r;
}

void ox_relay_close(ox_service *s) {
    struct ox_relay *rl = s->rel;
    assert(rl != NULL);
    ox_store_finalize(&rl->claim);
    ox_store_finalize(&rl->holder);
    ox_store_finalize(&rl->release);
    free(rl);
    s->rel = NULL;
}

ox_status ox_relay_start(ox_service *s) {
    if (ox_payment_has_scan(s)) ox_svc_timer(s, OX_TIMER_SCAN, s->cfg.scan_interval_ms);
    return OX_OK;
}

static int due_cmp(const void *a, const void *b) {
    int64_t x = ((const ox_due *)a)->id, y = ((const ox_due *)b)->id;
    return (x > y) - (x < y);
}

/* The claiming statement: up to claim_limit rows into s->pay->due, in id order (RETURNING's
** order is arbitrary), each noted once the statement (its own transaction) is done. */
static ox_status claim(ox_service *s, int64_t now) {
    struct ox_relay *rl = s->rel;
    int64_t until = now + ox_relay_lease_ms(&s->cfg);
    int limit = claim_limit(s);
    rl->n = rl->next = 0;
    rl->batch_pay = 0;
    sqlite3_bind_text(rl->claim, 1, s->cfg.owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(rl->claim, 2, until);
    sqlite3_bind_int64(rl->claim, 3, s->cfg.design == OX_DESIGN_RESEND_EVERY_SCAN ? INT64_MAX
                                                                                 : now);
    sqlite3_bind_int64(rl->claim, 4, limit);
    int nparam = sqlite3_bind_parameter_count(rl->claim);
    assert(nparam == 4 || nparam == 5);
    assert((nparam == 4) == (s->cfg.design == OX_DESIGN_RELAY_NO_LEASE));
    if (nparam == 5) sqlite3_bind_int64(rl->claim, 5, now - ox_relay_margin_ms(&s->cfg));
    int rc;
    while ((rc = ox_store_row(&s->store, rl->claim, "claim due rows")) == 1) {
        assert(rl->n < limit);   /* LIMIT ?4 */
        ox_due *d = &s->pay->due[rl->n++];
        memset(d, 0, sizeof *d);
        d->id = sqlite3_column_int64(rl->claim, 0);
        d->pay_id = sqlite3_column_int64(rl->claim, 1);
        d->attempts = sqlite3_column_int64(rl->claim, 2);
        d->ok = ox_payment_decode_due(d, sqlite3_column_blob(rl->claim, 3),
                                      sqlite3_column_bytes(rl->claim, 3));
    }
    if (rc < 0) { rl->n = 0; return OX_ERR_DB; }
    qsort(s->pay->due, (size_t)rl->n, sizeof s->pay->due[0], due_cmp);
    if (rl->n) ox_svc_event(s, "scan", 0, "%d due", rl->n);
    for (int i = 0; i < rl->n; i++)
        ox_svc_event(s, "claim", (uint64_t)s->pay->due[i].pay_id,
                     "msg %lld claimed by %s at %lld until %lld", (ll)s->pay->due[i].id,
                     s->cfg.owner, (ll)now, (ll)until);
    return OX_OK;
}

/* 1 if the row is still SENDING and this relay may publish it: it holds an unexpired
** lease (relay-no-lease and relay-zombie read nothing: the batch they claimed is theirs).
** A SENDING row it lost is noted. */
static int still_mine(ox_service *s, const ox_due *d, int64_t now, int *err) {
    struct ox_relay *rl = s->rel;
    if (s->cfg.design == OX_DESIGN_RELAY_ZOMBIE || s->cfg.design == OX_DESIGN_RELAY_NO_LEASE)
        return 1;   /* no lease to read, or none it cares to: the batch it claimed is its own */
    sqlite3_bind_int64(rl->holder, 1, d->id);
    int rc = ox_store_row(&s->store, rl->holder, "read the row's lease");
    if (rc <= 0) { *err = rc < 0; return 0; }   /* gone (completion, cleanup) */
    const char *st = (const char *)sqlite3_column_text(rl->holder, 0);
    const char *owner = (const char *)sqlite3_column_text(rl->holder, 1);
    int64_t until = sqlite3_column_int64(rl->holder, 2);
    int sending = st && strcmp(st, "SENDING") == 0;
    int held = owner && strcmp(owner, s->cfg.owner) == 0 && until > now;
    char who[sizeof s->cfg.owner];
    snprintf(who, sizeof who, "%s", owner ? owner : "nobody");
    ox_store_reset(rl->holder);
    if (!sending) return 0;   /* answered meanwhile: nothing left to send */
    if (held) return 1;
    ox_svc_event(s, "lapse", (uint64_t)d->pay_id, "msg %lld not published by %s: lease of %s"
                 " until %lld", (ll)d->id, s->cfg.owner, who, (ll)until);
    return 0;
}

/* Publishes (or dead-letters) the next claimed row, then releases its lease; arms the
** next round trip while rows remain. */
static ox_status publish_next(ox_service *s) {
    struct ox_relay *rl = s->rel;
    assert(rl->next < rl->n);
    int64_t now = ox_now_ms();
    ox_due *d = &s->pay->due[rl->next++];
    int err = 0;
    ox_status r = OX_OK;
    if (still_mine(s, d, now, &err)) {
        r = ox_payment_scan_row(s, d, now, &rl->batch_pay);
        int changed = 0;
        sqlite3_bind_int64(rl->release, 1, d->id);
        sqlite3_bind_text(rl->release, 2, s->cfg.owner, -1, SQLITE_STATIC);
        sqlite3_bind_int64(rl->release, 3, now);
        if (!r) r = ox_store_run(&s->store, rl->release, "release the lease", &changed);
        if (!r && changed)
            ox_svc_event(s, "release", (uint64_t)d->pay_id, "msg %lld released by %s",
                         (ll)d->id, s->cfg.owner);
    } else if (err) {
        r = OX_ERR_DB;
    }
    if (rl->next < rl->n) ox_svc_timer(s, OX_TIMER_RELAY, s->cfg.relay_rtt_ms);
    return r;
}

ox_status ox_relay_on_timer(ox_service *s, int id) {
    struct ox_relay *rl = s->rel;
    if (id == OX_TIMER_RELAY) return rl->next < rl->n ? publish_next(s) : OX_OK;
    if (id != OX_TIMER_SCAN) return ox_svc_fail(s, OX_ERR_ROLE, "relay: no timer %d", id);
    if (!ox_payment_has_scan(s)) return OX_OK;
    ox_status r = OX_OK;
    int64_t now = ox_now_ms();
    if (rl->next >= rl->n) {   /* the last batch is done: claim the next */
        r = claim(s, now);
        if (!r && rl->n > 0) r = publish_next(s);
    }
    /* the scan's cleanup too (knob cleanup_after), or no process would run it: each
    ** DELETE is its own transaction, so two relays never delete (or note) a row twice */
    if (!r) r = ox_payment_cleanup(s, now);
    ox_svc_timer(s, OX_TIMER_SCAN, s->cfg.scan_interval_ms);
    return r;
}
