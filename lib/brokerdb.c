/*
** brokerdb.c: what the broker keeps in its SQLite file (see broker.h).
**
** `meta` holds the incarnation counter, bumped in one statement at every open.
** `message` (durable=1 only) mirrors the queues: a row is inserted on enqueue,
** updated on redelivery and deleted on DACK, each as its own autocommit statement,
** so after a crash the table holds exactly the messages not yet acked (under design
** forget-unacked-on-restart, broker.c deletes the row at delivery instead: only what
** was never delivered).  The row's
** frame is the encoded PUBLISH frame (wire.h) the message arrived in; on load it goes
** through the same decoder as any frame from the network.
*/
#include "broker.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

typedef unsigned long long ull;

ox_status ox_brokerdb_prepare(ox_service *s) {
    struct ox_broker *b = s->brk;
    ox_store *st = &s->store;
    ox_status r = ox_store_prepare(st, &b->bump,
        "INSERT INTO meta(key, value) VALUES('incarnation', 1)"
        " ON CONFLICT(key) DO UPDATE SET value=value+1 RETURNING value");
    if (!r)
        r = ox_store_prepare(st, &b->ins_msg,
                             "INSERT INTO message(id, queue, frame, redeliveries, visible_at) "
                             "VALUES(?1, ?2, ?3, 0, ?4)");
    if (!r) r = ox_store_prepare(st, &b->del_msg, "DELETE FROM message WHERE id=?1");
    if (!r) r = ox_store_prepare(st, &b->upd_msg,
        "UPDATE message SET redeliveries=?1, visible_at=?2 WHERE id=?3");
    if (!r) r = ox_store_prepare(st, &b->load,
        "SELECT id, queue, frame, redeliveries FROM message ORDER BY id LIMIT ?1");
    return r;
}

/* Runs the bump to its commit; the new value in *inc, or -1 when it failed. */
static int bump_row(ox_service *s, int64_t *inc) {
    struct ox_broker *b = s->brk;
    int r = ox_store_row(&s->store, b->bump, "bump incarnation");
    if (r < 0) return -1;
    assert(r == 1);   /* RETURNING always gives the row it wrote */
    *inc = sqlite3_column_int64(b->bump, 0);
    r = ox_store_row(&s->store, b->bump, "bump incarnation");   /* runs it to DONE */
    if (r < 0) return -1;
    assert(r == 0);
    return 0;
}

/* A new incarnation: ids of this process life start at incarnation << 32 | 1.  The bump
** is committed durably whatever the knobs say (ox_store_durable): under synchronous=
** normal a power cut would take an unsynced bump back, the next life would bump to the
** same number and hand out the same delivery ids again, so that a DACK from before the
** cut could ack another message (scenarios/disk-broker-incarnation.lua).  One sync per
** start. */
ox_status ox_brokerdb_bump(ox_service *s) {
    struct ox_broker *b = s->brk;
    int64_t inc = 0;
    ox_status r = ox_store_durable(&s->store, 1);
    if (r != OX_OK) return r;
    int failed = bump_row(s, &inc);
    r = ox_store_durable(&s->store, 0);
    if (failed) return OX_ERR_DB;
    if (r != OX_OK) return r;
    if (inc < 1 || inc >= ((int64_t)1 << 31))
        return ox_svc_fail(s, OX_ERR_DB, "%s: broker incarnation %lld out of range",
                           s->store.path, (long long)inc);
    b->incarnation = (uint64_t)inc;
    b->seq = 0;
    return OX_OK;
}

ox_status ox_brokerdb_insert(ox_service *s, const ox_queue *q, const ox_entry *e) {
    struct ox_broker *b = s->brk;
    ox_frame f = ox_wire_publish(q->name, &e->msg);
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err we;
    size_t n = ox_wire_encode(&f, buf, sizeof buf, &we);
    assert(n > 0);
    assert(we == OX_WIRE_OK);
    sqlite3_bind_int64(b->ins_msg, 1, (sqlite3_int64)e->id);
    sqlite3_bind_text(b->ins_msg, 2, q->name, -1, SQLITE_STATIC);
    int bound = sqlite3_bind_blob(b->ins_msg, 3, buf, (int)n, SQLITE_TRANSIENT);
    sqlite3_bind_int64(b->ins_msg, 4, e->visible_at);
    ox_status r = ox_store_bound(&s->store, b->ins_msg, bound, "store message");
    return r ? r : ox_store_run(&s->store, b->ins_msg, "store message", NULL);
}

ox_status ox_brokerdb_delete(ox_service *s, uint64_t id) {
    sqlite3_bind_int64(s->brk->del_msg, 1, (sqlite3_int64)id);
    return ox_store_run(&s->store, s->brk->del_msg, "delete acked message", NULL);
}

ox_status ox_brokerdb_update(ox_service *s, const ox_entry *e) {
    struct ox_broker *b = s->brk;
    sqlite3_bind_int64(b->upd_msg, 1, e->redeliveries);
    sqlite3_bind_int64(b->upd_msg, 2, e->visible_at);
    sqlite3_bind_int64(b->upd_msg, 3, (sqlite3_int64)e->id);
    return ox_store_run(&s->store, b->upd_msg, "record redelivery", NULL);
}

/* One stored row back into its queue as a ready entry; 0 if it was skipped. */
static int restore_row(ox_service *s, sqlite3_stmt *q) {
    ox_entry e;
    memset(&e, 0, sizeof e);
    e.id = (uint64_t)sqlite3_column_int64(q, 0);
    const char *name = (const char *)sqlite3_column_text(q, 1);
    const void *blob = sqlite3_column_blob(q, 2);
    int n = sqlite3_column_bytes(q, 2);
    e.redeliveries = (uint32_t)sqlite3_column_int64(q, 3);
    e.stored = 1;
    e.visible_at = 0;   /* ready: pump sets it at delivery (redeliver-early: due at once) */
    ox_frame f;
    ox_queue *dst = NULL;
    for (int i = 0; i < OX_NQUEUES && name; i++) {
        if (strcmp(name, s->brk->q[i].name) == 0) dst = &s->brk->q[i];
    }
    if (!dst || !blob || n <= 0 || ox_wire_decode(blob, (size_t)n, &f) != OX_WIRE_OK
        || f.type != OX_F_PUBLISH || strcmp(f.queue, dst->name) != 0) {
        ox_svc_event(s, "reject", 0, "stored message %llu is unreadable: left in the table",
                     (ull)e.id);
        return 0;
    }
    e.msg = f.msg;
    if (ox_queue_push(dst, &e) != 0) {
        ox_svc_event(s, "queue_full", e.msg.pay_id,
                     "stored message %llu does not fit %s: left in the table", (ull)e.id,
                     dst->name);
        return 0;
    }
    return 1;
}

ox_status ox_brokerdb_load(ox_service *s, uint32_t *restored) {
    sqlite3_stmt *q = s->brk->load;
    *restored = 0;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)OX_QUEUE_CAP * OX_NQUEUES + 1);
    for (uint32_t i = 0; i <= OX_QUEUE_CAP * OX_NQUEUES; i++) {
        int r = ox_store_row(&s->store, q, "load stored messages");
        if (r < 0) return OX_ERR_DB;
        if (r == 0) return OX_OK;
        *restored += (uint32_t)restore_row(s, q);
    }
    ox_store_reset(q);
    return OX_OK;
}
