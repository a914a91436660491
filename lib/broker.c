/*
** broker.c: the broker's frames, deliveries and redelivery timer (see broker.h).
**
** The life of a message: PUBLISH -> enqueue (ready) -> pump: delivered while the
** queue has fewer than prefetch in flight -> DACK removes it.  A host may inject
** internal loss at OX_SITE_BROKER_LOSE (io.h): the accepted PUBLISH is then forgotten
** before it is enqueued, which is what a broker losing an unsynced queue does.  Delivery
** is in enqueue order, and a redelivery keeps its id (it goes to the queue's next
** consumer: with one consumer, the same), so a consumer may ack any copy.  Every change
** to a stored message is written to the database before memory, so memory never claims
** what the file does not hold.
**
** The notes "enqueue", "ack", "deliver" (", at most once") and "recover" ("N messages
** restored") are the broker's account of what it holds: the simulator counts them to
** know when the system is quiet (sim/core/world.c, broker_notes).  Keep their wording.
**
** The redelivery timer: timer_at is when the pending timer fires (-1: none).  Every
** path that puts a delivery in flight calls arm(), which sets the timer only if none
** is pending early enough, and the timer re-arms itself for the next expiry.
**
** Competing consumers (knob accounting_instances = M): PAY_QUEUE delivers to M
** consumers, "accounting", "accounting-2".."accounting-M" (config.h: the first keeps the
** role's name, so M = 1 is the broker as always), a first
** delivery to each in turn, a redelivery to the consumer after the one that last had
** it (queue.h).  A DACK from any of them naming the delivery removes it: the id, not
** the sender, says what is acked.  The set is a knob, not a subscription frame: it is
** known from the broker's first step, it is the same after every restart (a durable
** queue restored at START has its consumers before any of them speaks, and no
** subscription can be lost with the broker's memory), and a trace shows it in the
** scenario's knobs; a consumer that is down is simply not acked by, and its deliveries
** come back after the visibility timeout to the next one.
**
** Three weak designs (config.h) differ here, each in one place: auto-ack (pump sends
** and forgets in at-least-once mode, send_auto_acked), forget-unacked-on-restart (pump
** deletes a durable message's row as it delivers it, forget_row) and redeliver-early
** (the first delivery's visibility counted from enqueue, visible_from).
*/
#include "broker.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

typedef unsigned long long ull;

_Static_assert(OX_QUEUE_CONSUMERS == OX_MAX_INSTANCES, "a queue holds every instance");

static int at_least_once(const ox_service *s) { return s->cfg.delivery == OX_AT_LEAST_ONCE; }

static ox_queue *find_queue(ox_service *s, const char *name) {
    for (int i = 0; i < OX_NQUEUES; i++) {
        if (strcmp(s->brk->q[i].name, name) == 0) return &s->brk->q[i];
    }
    return NULL;
}

/* ---- open / close ---- */

static ox_status alloc(ox_service *s) {
    assert(s->cfg.prefetch >= 1);
    assert(s->cfg.prefetch <= 10000);
    struct ox_broker *b = s->brk = calloc(1, sizeof *s->brk);
    if (!b) return ox_svc_fail(s, OX_ERR_NOMEM, "broker: out of memory");
    b->timer_at = -1;
    uint32_t pf = (uint32_t)s->cfg.prefetch;
    int n = s->cfg.accounting_instances;
    assert(n >= 1);
    assert(n <= OX_MAX_INSTANCES);
    char name[OX_QUEUE_CONSUMER_MAX + 1];
    int bad = ox_config_instance_name(ox_role_name(OX_ROLE_ACCOUNTING), 1, n, name, sizeof name);
    bad |= ox_queue_init(&b->q[0], OX_PAY_QUEUE, name, pf);
    for (int i = 2; i <= n && !bad; i++) {
        bad |= ox_config_instance_name(ox_role_name(OX_ROLE_ACCOUNTING), i, n, name, sizeof name);
        bad |= ox_queue_add_consumer(&b->q[0], name);
    }
    assert(bad || b->q[0].nconsumers == (uint32_t)n);
    bad |= ox_queue_init(&b->q[1], OX_ACC_QUEUE, ox_role_name(OX_ROLE_PAYMENT), pf);
    b->expired = calloc(pf, sizeof *b->expired);
    if (bad || !b->expired) return ox_svc_fail(s, OX_ERR_NOMEM, "broker: out of memory");
    return OX_OK;
}

ox_status ox_broker_open(ox_service *s) {
    ox_status r = alloc(s);
    if (!r) r = ox_brokerdb_prepare(s);
    if (!r) r = ox_brokerdb_bump(s);
    uint32_t restored = 0;
    if (!r && s->cfg.durable) r = ox_brokerdb_load(s, &restored);
    if (r) return r;
    if (s->cfg.durable)
        ox_svc_event(s, "recover", 0, "incarnation %llu: %u messages restored",
                     (ull)s->brk->incarnation, restored);
    else
        ox_svc_event(s, "recover", 0, "incarnation %llu: in-memory queues start empty",
                     (ull)s->brk->incarnation);
    return OX_OK;
}

void ox_broker_close(ox_service *s) {
    struct ox_broker *b = s->brk;
    for (int i = 0; i < OX_NQUEUES; i++) ox_queue_free(&b->q[i]);
    free(b->expired);
    ox_store_finalize(&b->bump);
    ox_store_finalize(&b->ins_msg);
    ox_store_finalize(&b->del_msg);
    ox_store_finalize(&b->upd_msg);
    ox_store_finalize(&b->load);
    free(b);
    s->brk = NULL;
}

/* ---- delivering ---- */

/* The name of the consumer e goes to (e->consumer, set by the caller from the rotation). */
static const char *to_whom(const ox_queue *q, const ox_entry *e) {
    assert(e->consumer < q->nconsumers);
    return q->consumer[e->consumer];
}

static void deliver(ox_service *s, const ox_queue *q, const ox_entry *e) {
    ox_frame f = ox_wire_deliver(q->name, e->id, e->redeliveries, &e->msg);
    ox_svc_send(s, to_whom(q, e), &f);
}

/* Sets the redelivery timer for the earliest in-flight expiry, unless a pending
** timer already fires by then. */
static void arm(ox_service *s, int64_t now) {
    struct ox_broker *b = s->brk;
    int64_t next = INT64_MAX;
    for (int i = 0; i < OX_NQUEUES; i++) {
        for (uint32_t j = 0; j < b->q[i].nflight; j++) {
            if (b->q[i].flight[j].visible_at < next) next = b->q[i].flight[j].visible_at;
        }
    }
    if (next == INT64_MAX) return;
    if (b->timer_at >= 0 && b->timer_at <= next) return;
    ox_svc_timer(s, OX_TIMER_REDELIVER, next > now ? next - now : 0);
    b->timer_at = next;
}

/* At-most-once: the message leaves the broker as it is sent. */
static ox_status send_and_forget(ox_service *s, ox_queue *q) {
    assert(!at_least_once(s));
    const ox_entry *h = ox_queue_head(q);
    assert(h != NULL);
    if (h->stored) {
        ox_status r = ox_brokerdb_delete(s, h->id);   /* restored from a durable run */
        if (r) return r;
    }
    ox_entry e;
    ox_queue_pop(q, &e);
    e.consumer = (uint8_t)ox_queue_take_turn(q);
    deliver(s, q, &e);
    ox_svc_event(s, "deliver", e.msg.pay_id, "delivery %llu (msg %llu %s) to %s, at most once",
                 (ull)e.id, (ull)e.msg.msg_id, ox_wire_kind_name(e.msg.kind), to_whom(q, &e));
    return OX_OK;
}

/* Design auto-ack: the at-least-once broker counts a message done as it sends it (a
** consumer with autoAck, RabbitMQ's no-ack): removed, row and all, before any DACK. */
static ox_status send_auto_acked(ox_service *s, ox_queue *q) {
    assert(at_least_once(s));
    assert(s->cfg.design == OX_DESIGN_AUTO_ACK);
    const ox_entry *h = ox_queue_head(q);
    assert(h != NULL);
    if (h->stored) {
        ox_status r = ox_brokerdb_delete(s, h->id);
        if (r) return r;
    }
    ox_entry e;
    ox_queue_pop(q, &e);
    e.consumer = (uint8_t)ox_queue_take_turn(q);
    deliver(s, q, &e);
    ox_svc_event(s, "deliver", e.msg.pay_id, "delivery %llu (msg %llu %s) to %s, auto-acked",
                 (ull)e.id, (ull)e.msg.msg_id, ox_wire_kind_name(e.msg.kind), to_whom(q, &e));
    ox_svc_event(s, "ack", e.msg.pay_id, "delivery %llu (msg %llu %s) acked by broker, on "
                 "delivery (auto-ack)", (ull)e.id, (ull)e.msg.msg_id,
                 ox_wire_kind_name(e.msg.kind));
    return OX_OK;
}

/* When a delivery made now becomes visible again.  Design redeliver-early counts the
** timeout from enqueue (the entry's visible_at until now), not from this delivery: a
** message that waited past it is due at the next millisecond (never in the past, so
** the timer is never set behind the clock). */
static int64_t visible_from(const ox_service *s, const ox_entry *e, int64_t now) {
    if (s->cfg.design != OX_DESIGN_REDELIVER_EARLY) return now + s->cfg.visibility_ms;
    int64_t due = e->visible_at + s->cfg.visibility_ms;
    return due > now ? due : now + 1;
}

/* Design forget-unacked-on-restart: the stored row goes as the message is delivered, so
** the file keeps only what was never delivered; memory alone holds what is in flight. */
static ox_status forget_row(ox_service *s, const ox_queue *q) {
    const ox_entry *h = ox_queue_head(q);
    assert(h != NULL);
    if (s->cfg.design != OX_DESIGN_FORGET_UNACKED || !h->stored) return OX_OK;
    return ox_brokerdb_delete(s, h->id);
}

/* Delivers ready messages, oldest first, while the queue's window has room. */
static ox_status pump(ox_service *s, ox_queue *q, int64_t now) {
    ox_status r = OX_OK;
    int alo = at_least_once(s);
    int auto_ack = alo && s->cfg.design == OX_DESIGN_AUTO_ACK;
    while (q->rlen > 0 && !r) {              /* each turn removes one ready entry */
        if (!alo) { r = send_and_forget(s, q); continue; }
        if (auto_ack) { r = send_auto_acked(s, q); continue; }
        if (q->nflight >= q->fcap) break;
        if ((r = forget_row(s, q))) break;
        uint32_t depth = ox_queue_depth(q);
        ox_entry e;
        ox_queue_pop(q, &e);
        if (s->cfg.design == OX_DESIGN_FORGET_UNACKED) e.stored = 0;   /* its row is gone */
        e.visible_at = visible_from(s, &e, now);
        e.consumer = (uint8_t)ox_queue_take_turn(q);
        deliver(s, q, ox_queue_fly(q, &e));
        assert(ox_queue_depth(q) == depth);   /* pop and fly: ready -1, in flight +1 */
        assert(q->nflight <= q->fcap);
        ox_svc_event(s, "deliver", e.msg.pay_id, "delivery %llu (msg %llu %s) to %s, %u in flight",
                     (ull)e.id, (ull)e.msg.msg_id, ox_wire_kind_name(e.msg.kind), to_whom(q, &e),
                     q->nflight);
    }
    arm(s, now);
    return r;
}

ox_status ox_broker_start(ox_service *s) {
    int64_t now = ox_now_ms();
    ox_status r = OX_OK;
    for (int i = 0; i < OX_NQUEUES && !r; i++) r = pump(s, &s->brk->q[i], now);
    return r;
}

/* ---- frames ---- */

static uint64_t next_id(ox_service *s, ox_status *r) {
    struct ox_broker *b = s->brk;
    *r = OX_OK;
    if (b->seq == UINT32_MAX) *r = ox_brokerdb_bump(s);   /* 4e9 ids used: a new incarnation */
    if (*r) return 0;
    return b->incarnation << 32 | ++b->seq;
}

static ox_status enqueue(ox_service *s, ox_queue *q, const ox_msg *m, int64_t now) {
    if (ox_queue_reserve(q) != 0) {
        if (ox_queue_depth(q) < OX_QUEUE_CAP)
            return ox_svc_fail(s, OX_ERR_NOMEM, "broker: out of memory");
        ox_svc_event(s, "queue_full", m->pay_id, "msg %llu %s dropped: %s holds %u messages",
                     (ull)m->msg_id, ox_wire_kind_name(m->kind), q->name, ox_queue_depth(q));
        return OX_OK;
    }
    ox_status r;
    ox_entry e = { .id = next_id(s, &r), .visible_at = now, .msg = *m };
    if (r) return r;
    e.stored = s->cfg.durable && at_least_once(s);
    if (e.stored && (r = ox_brokerdb_insert(s, q, &e))) return r;
    uint32_t depth = ox_queue_depth(q);
    int full = ox_queue_push(q, &e);
    assert(full == 0);   /* reserved above */
    (void)full;
    assert(ox_queue_depth(q) == depth + 1);   /* paired with on_dack's remove */
    ox_svc_event(s, "enqueue", m->pay_id, "msg %llu %s on %s as delivery %llu, depth %u",
                 (ull)m->msg_id, ox_wire_kind_name(m->kind), q->name, (ull)e.id, ox_queue_depth(q));
    return OX_OK;
}

static ox_status on_publish(ox_service *s, const char *from, const ox_frame *f) {
    ox_queue *q = find_queue(s, f->queue);
    if (!q) return ox_svc_reject(s, from, f->msg.pay_id, "PUBLISH to unknown queue '%s'", f->queue);
    ox_svc_failpoint(s, "broker.after_accept");
    if (ox_svc_inject(s, OX_SITE_BROKER_LOSE)) {
        /* Internal loss: accepted, then gone, with nothing stored or sent. */
        ox_svc_event(s, "lost_inside", f->msg.pay_id,
                     "msg %llu %s on %s lost inside the broker (%s)", (ull)f->msg.msg_id,
                     ox_wire_kind_name(f->msg.kind), q->name, OX_SITE_BROKER_LOSE);
        return OX_OK;
    }
    int64_t now = ox_now_ms();
    ox_status r = enqueue(s, q, &f->msg, now);
    return r ? r : pump(s, q, now);
}

static ox_status on_dack(ox_service *s, const char *from, const ox_frame *f) {
    ox_queue *q = find_queue(s, f->queue);
    if (!q) return ox_svc_reject(s, from, 0, "DACK on unknown queue '%s'", f->queue);
    int slot = ox_queue_find(q, f->delivery);
    if (slot < 0) {
        ox_svc_event(s, "stale_ack", 0, "delivery %llu on %s from %s: not in flight%s",
                     (ull)f->delivery, q->name, from,
                     at_least_once(s) ? "" : " (at most once keeps nothing)");
        return OX_OK;
    }
    ox_entry e = q->flight[slot];
    assert(at_least_once(s));   /* at most once keeps nothing in flight */
    if (e.stored) {
        ox_status r = ox_brokerdb_delete(s, e.id);
        if (r) return r;
    }
    uint32_t depth = ox_queue_depth(q);
    ox_queue_remove(q, (uint32_t)slot);
    assert(ox_queue_depth(q) + 1 == depth);   /* paired with enqueue's push */
    assert(ox_queue_find(q, e.id) < 0);
    ox_svc_event(s, "ack", e.msg.pay_id, "delivery %llu (msg %llu %s) acked by %s", (ull)e.id,
                 (ull)e.msg.msg_id, ox_wire_kind_name(e.msg.kind), from);
    return pump(s, q, ox_now_ms());
}

ox_status ox_broker_on_frame(ox_service *s, const char *from, const ox_frame *f) {
    assert(s->brk != NULL);
    assert(from != NULL);
    if (f->type == OX_F_PUBLISH) return on_publish(s, from, f);
    if (f->type == OX_F_DACK) return on_dack(s, from, f);
    return ox_svc_reject(s, from, f->msg.pay_id, "broker does not accept %s",
                         ox_wire_type_name(f->type));
}

/* ---- redelivery ---- */

static int by_id(const void *a, const void *b) {
    uint64_t x = ((const ox_expired *)a)->id, y = ((const ox_expired *)b)->id;
    return (x > y) - (x < y);
}

/* Redelivers q's expired deliveries, oldest id first. */
static ox_status redeliver(ox_service *s, ox_queue *q, int64_t now) {
    ox_expired *x = s->brk->expired;
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->nflight; i++) {
        if (q->flight[i].visible_at <= now) x[n++] = (ox_expired){ q->flight[i].id, i };
    }
    assert(n <= q->fcap);
    qsort(x, n, sizeof *x, by_id);
    for (uint32_t i = 0; i < n; i++) {
        ox_entry e = q->flight[x[i].slot];
        assert(e.id == x[i].id);
        assert(e.visible_at <= now);
        e.redeliveries++;
        e.visible_at = now + s->cfg.visibility_ms;
        e.consumer = (uint8_t)ox_queue_after(q, e.consumer);   /* not the one that kept it */
        ox_status r = e.stored ? ox_brokerdb_update(s, &e) : OX_OK;
        if (r) return r;
        q->flight[x[i].slot] = e;
        deliver(s, q, &e);
        ox_svc_event(s, "redeliver", e.msg.pay_id,
                     "delivery %llu (msg %llu %s) to %s again, redelivery %u", (ull)e.id,
                     (ull)e.msg.msg_id, ox_wire_kind_name(e.msg.kind), to_whom(q, &e),
                     e.redeliveries);
    }
    return OX_OK;
}

ox_status ox_broker_on_timer(ox_service *s, int id) {
    if (id != OX_TIMER_REDELIVER) return ox_svc_fail(s, OX_ERR_ROLE, "broker: no timer %d", id);
    int64_t now = ox_now_ms();
    s->brk->timer_at = -1;
    ox_status r = OX_OK;
    for (int i = 0; i < OX_NQUEUES && !r; i++) r = redeliver(s, &s->brk->q[i], now);
    arm(s, now);
    return r;
}
