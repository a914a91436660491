/*
** hbroker.c: the broker's history checks (see hbroker.h).
*/
#include "hbroker.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/queue.h"

_Static_assert(HBROKER_CAP > 2 * OX_QUEUE_CAP, "the table holds every message the broker can");
_Static_assert((HBROKER_CAP & (HBROKER_CAP - 1)) == 0, "a power of two");

typedef struct {
    uint64_t id;              /* delivery id; 0: empty slot */
    uint64_t msg;
    int64_t sent_us;          /* last (re)delivery, -1 not yet delivered */
    int64_t ready_us;         /* when it became ready: its enqueue, or the restart restoring it */
    uint32_t line;            /* the line of the last (re)delivery, or of the enqueue */
    uint32_t deliveries;
    uint32_t redelivered;     /* the count its last redelivery carried */
    uint8_t counted;          /* enqueued in this history: redelivered is its whole count */
    uint8_t queue;            /* 0 PAY_QUEUE (to accounting), 1 ACC_QUEUE (to payment) */
    uint8_t excused;          /* a power cut made its fate indefinite: not judged owed */
} bmsg;

#define HBROKER_MIN 1024u   /* slots to start with; doubled at half full, up to HBROKER_CAP */

struct hbroker {
    const history_conf *conf;
    bmsg *t;
    uint32_t cap;             /* slots, a power of two */
    uint32_t held;
    int clock_off;
    uint64_t dack;            /* the DACK the broker handles now, 0 none */
    uint32_t dack_line;
    uint64_t dack_open;       /* that DACK until its ack, stale_ack, reject or error note */
    uint32_t dack_open_line;
    uint64_t incarnation;     /* the last life's, from its recover note; 0 none yet */
    uint32_t inc_line;
    /* delivered_until_acked: what the broker is owed judged at the history's end */
    int down;                 /* crashed, not restarted yet */
    int paused;               /* pause lines not yet resumed */
    int64_t calm_us;          /* the last fault, restart or resume touching the broker */
    int64_t end_us;           /* the "end" line's time (or the last line's) */
    int ended;
    uint64_t amo_last[2];     /* at most once: the last delivery id sent, per queue */
    uint64_t fifo_last[2];    /* at least once: the last first delivery's id this life */
    uint32_t fifo_line[2];
    uint64_t last_id;         /* the largest delivery id given out (0 after a power cut) */
    uint32_t last_id_line;
};

hbroker *hbroker_new(const history_conf *conf) {
    hbroker *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->conf = conf;
    b->cap = HBROKER_MIN;
    b->t = calloc(b->cap, sizeof *b->t);
    if (!b->t) { free(b); return NULL; }
    return b;
}

void hbroker_free(hbroker *b) {
    if (!b) return;
    free(b->t);
    free(b);
}

uint32_t hbroker_held(const hbroker *b) { return b->held; }

static uint32_t slot_of(const hbroker *b, uint64_t id) {
    uint64_t h = id * 0x9E3779B97F4A7C15ull;   /* Fibonacci hashing: ids are sequential */
    return (uint32_t)(h >> 40) & (b->cap - 1);
}

static bmsg *find(hbroker *b, uint64_t id) {
    assert(id != 0);
    for (uint32_t i = slot_of(b, id), n = 0; n < b->cap; i = (i + 1) & (b->cap - 1), n++) {
        if (b->t[i].id == id) return &b->t[i];
        if (b->t[i].id == 0) return NULL;
    }
    return NULL;
}

static void put(hbroker *b, const bmsg *m) {
    uint32_t i = slot_of(b, m->id);
    while (b->t[i].id != 0) i = (i + 1) & (b->cap - 1);
    b->t[i] = *m;
}

/* Doubles the table (rehashing every entry); 0, or -1 at HBROKER_CAP or out of memory. */
static int grow(hbroker *b) {
    if (b->cap >= HBROKER_CAP) return -1;
    bmsg *old = b->t;
    uint32_t n = b->cap;
    bmsg *t = calloc((size_t)n * 2, sizeof *t);
    if (!t) return -1;
    b->t = t;
    b->cap = n * 2;
    for (uint32_t i = 0; i < n; i++)
        if (old[i].id != 0) put(b, &old[i]);
    free(old);
    return 0;
}

static bmsg *add(hbroker *b, uint64_t id) {
    bmsg *m = find(b, id);
    if (m) return m;
    if (b->held + 1 >= b->cap / 2 && grow(b) != 0) return NULL;   /* more than it may hold */
    put(b, &(bmsg){ .id = id, .sent_us = -1, .ready_us = -1 });
    b->held++;
    return find(b, id);
}

/* Backward-shift deletion: the probe chains stay whole without tombstones. */
static void drop(hbroker *b, bmsg *m) {
    uint32_t i = (uint32_t)(m - b->t), j = i;
    assert(b->held > 0);
    b->t[i].id = 0;
    b->held--;
    for (;;) {
        j = (j + 1) & (b->cap - 1);
        if (b->t[j].id == 0) return;
        uint32_t k = slot_of(b, b->t[j].id);
        int between = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (between) continue;
        b->t[i] = b->t[j];
        b->t[j].id = 0;
        i = j;
    }
}

static void clear(hbroker *b) {
    memset(b->t, 0, (size_t)b->cap * sizeof *b->t);
    b->held = 0;
}

/* 0 for a queue named or a subscriber of PAY_QUEUE, 1 for ACC_QUEUE's. */
static uint8_t queue_of(const char *name_or_node) {
    return !strcmp(name_or_node, OX_ACC_QUEUE) || !strcmp(name_or_node, "payment");
}

/* "delivery D (msg M KIND) ..." */
static int parse_delivery(const char *d, uint64_t *id, uint64_t *msg) {
    unsigned long long x = 0, y = 0;
    if (sscanf(d, "delivery %llu (msg %llu", &x, &y) != 2 || x == 0) return 0;
    *id = x;
    *msg = y;
    return 1;
}

static void on_enqueue(hbroker *b, history_sink *s, const history_ev *e) {
    unsigned long long msg = 0, id = 0;
    char kind[24], q[24];
    if (sscanf(e->detail, "msg %llu %23s on %23s as delivery %llu", &msg, kind, q, &id) != 4
        || id == 0) {
        history_unreadable(s, e);
        return;
    }
    if (id <= b->last_id) {   /* incarnation << 32 | seq: never given out twice */
        uint32_t lines[2] = { b->last_id_line, e->line };
        history_flag(s, HI_DACK, e->pay, msg, lines, 2,
                     "delivery id %llu given out after delivery %" PRIu64 ": a DACK of the "
                     "earlier could ack this one", id, b->last_id);
    } else {
        b->last_id = id;
        b->last_id_line = e->line;
    }
    bmsg *m = add(b, id);
    if (!m) return;
    m->msg = msg;
    m->line = e->line;
    m->queue = queue_of(q);
    m->ready_us = e->t_us;
    m->counted = 1;
}

/* A redelivery carries its count ("redelivery N", the DELIVER's redeliveries): one more
** than the last, across the restarts of a durable broker, which stores the count with the
** message.  A consumer parks a poison message by it (RabbitMQ's x-delivery-count, SQS's
** ApproximateReceiveCount); a count that starts again at 1 after a restart lets it loop
** for ever.  Judged for messages enqueued in this history and not excused by a power cut
** (which may take the stored count back to an unsynced one). */
static void judge_count(history_sink *s, const history_ev *e, bmsg *m) {
    const char *at = strstr(e->detail, ", redelivery ");
    unsigned n = 0;
    if (!at || sscanf(at, ", redelivery %u", &n) != 1) {
        history_unreadable(s, e);
        return;
    }
    if (m->counted && !m->excused && n != m->redelivered + 1) {
        uint32_t lines[2] = { m->line, e->line };
        if (m->redelivered == 0)
            history_flag(s, HI_REDELIVERY, e->pay, m->msg, lines, 2,
                         "delivery %" PRIu64 " (msg %" PRIu64 ") redelivered as redelivery %u, "
                         "its first", m->id, m->msg, n);
        else
            history_flag(s, HI_REDELIVERY, e->pay, m->msg, lines, 2,
                         "delivery %" PRIu64 " (msg %" PRIu64 ") redelivered as redelivery %u; "
                         "the one before was redelivery %" PRIu32, m->id, m->msg, n,
                         m->redelivered);
    }
    m->redelivered = n;
}

/* "delivery D (msg M KIND) to NODE, ...": the queue, from its subscriber. */
static uint8_t deliver_queue(const char *detail) {
    char node[24] = "";
    const char *to = strstr(detail, ") to ");
    if (to) sscanf(to + 5, "%23[a-z]", node);
    return queue_of(node);
}

/* At most once: a queue sends in id order (enqueue order; a restart's ids are larger),
** so a delivery id not above the queue's last is a message sent twice. */
static void amo_order(hbroker *b, history_sink *s, const history_ev *e, uint64_t id,
                      uint64_t msg, uint8_t q) {
    assert(q < 2);
    if (id <= b->amo_last[q]) {
        uint32_t lines[1] = { e->line };
        history_flag(s, HI_REDELIVERY, e->pay, msg, lines, 1,
                     "delivery %" PRIu64 " (msg %" PRIu64 ") sent under at-most-once after "
                     "delivery %" PRIu64 " of the same queue", id, msg, b->amo_last[q]);
        return;
    }
    b->amo_last[q] = id;
}

/* At least once: a queue is a FIFO (lib/broker.h), so the first deliveries of one life go
** in id order, which is enqueue order (a durable restart restores in id order, and its
** life starts the count afresh: what it restores keeps its old, smaller ids).  A first
** delivery below the last is a message that overtook one accepted before it. */
static void fifo_order(hbroker *b, history_sink *s, const history_ev *e, uint64_t id,
                       uint64_t msg, uint8_t q) {
    assert(q < 2);
    if (id < b->fifo_last[q]) {
        uint32_t lines[2] = { b->fifo_line[q], e->line };
        history_flag(s, HI_REDELIVERY, e->pay, msg, lines, 2,
                     "delivery %" PRIu64 " (msg %" PRIu64 ") sent for the first time after "
                     "delivery %" PRIu64 ", enqueued later: the queue is not first in, first "
                     "out", id, msg, b->fifo_last[q]);
        return;
    }
    b->fifo_last[q] = id;
    b->fifo_line[q] = e->line;
}

static void on_deliver(hbroker *b, history_sink *s, const history_ev *e, int again) {
    uint64_t id = 0, msg = 0;
    if (!parse_delivery(e->detail, &id, &msg)) {
        history_unreadable(s, e);
        return;
    }
    bmsg *m = find(b, id);
    if (!m) m = add(b, id);   /* restored by a durable restart before this history */
    if (!m) return;
    m->msg = msg;
    m->queue = deliver_queue(e->detail);
    uint32_t lines[2] = { m->line, e->line };
    int amo = b->conf->cfg.delivery == OX_AT_MOST_ONCE;
    int twice = amo && (again || m->deliveries > 0);
    if (twice)
        history_flag(s, HI_REDELIVERY, e->pay, msg, lines, 2,
                     "delivery %" PRIu64 " (msg %" PRIu64 ") sent again under at-most-once",
                     id, msg);
    int64_t vis_ms = b->conf->cfg.visibility_ms;
    int64_t waited = e->t_us / 1000 - m->sent_us / 1000;
    if (!amo && again && m->sent_us >= 0 && !b->clock_off && waited < vis_ms - 1)
        history_flag(s, HI_REDELIVERY, e->pay, msg, lines, 2,
                     "delivery %" PRIu64 " (msg %" PRIu64 ") redelivered %" PRId64 " ms after "
                     "it was sent; the visibility timeout is %" PRId64 " ms", id, msg, waited,
                     vis_ms);
    if (again) judge_count(s, e, m);
    m->sent_us = e->t_us;
    m->line = e->line;
    m->deliveries++;
    if (amo && !twice) amo_order(b, s, e, id, msg, m->queue);
    if (!amo && !again) fifo_order(b, s, e, id, msg, m->queue);
    if (amo) drop(b, m);   /* the message leaves the broker as it is sent */
}

static void on_ack(hbroker *b, history_sink *s, const history_ev *e) {
    uint64_t id = 0, msg = 0;
    if (!parse_delivery(e->detail, &id, &msg)) {
        history_unreadable(s, e);
        return;
    }
    bmsg *m = find(b, id);
    uint32_t lines[2] = { b->dack_line, e->line };
    if (b->dack == 0)   /* no DACK at all: the message left unacked (auto-ack) */
        history_flag(s, HI_DELIVERED, e->pay, msg, lines + 1, 1,
                     "delivery %" PRIu64 " (msg %" PRIu64 ") removed as acked, but no DACK "
                     "named it", id, msg);
    else if (id != b->dack)
        history_flag(s, HI_DACK, e->pay, msg, lines, 2,
                     "a DACK of delivery %" PRIu64 " acked delivery %" PRIu64, b->dack, id);
    else if (!m || m->sent_us < 0)
        history_flag(s, HI_DACK, e->pay, msg, lines, 2,
                     "delivery %" PRIu64 " acked, but it was not in flight", id);
    else if (m->msg != msg)
        history_flag(s, HI_DACK, e->pay, msg, lines, 2,
                     "delivery %" PRIu64 " carried msg %" PRIu64 "; its ack names msg %" PRIu64,
                     id, m->msg, msg);
    if (m) drop(b, m);
    b->dack = 0;
}

static void on_stale(hbroker *b, history_sink *s, const history_ev *e) {
    bmsg *m = b->dack ? find(b, b->dack) : NULL;
    uint32_t lines[2] = { b->dack_line, e->line };
    if (m && m->sent_us >= 0 && b->conf->cfg.delivery == OX_AT_LEAST_ONCE)
        history_flag(s, HI_DACK, e->pay, m->msg, lines, 2,
                     "delivery %" PRIu64 " (msg %" PRIu64 ") is in flight, but its DACK was "
                     "called stale", m->id, m->msg);
    b->dack = 0;
}

/* A durable restart restores what was not acked as ready: nothing is in flight. */
static void restored(hbroker *b, int64_t t_us) {
    for (uint32_t i = 0; i < b->cap; i++) {
        if (b->t[i].id == 0) continue;
        b->t[i].sent_us = -1;
        b->t[i].ready_us = t_us;
    }
}

/* A stored message the restart could not restore ("reject"/"queue_full" notes: "stored
** message D ..."): restart_state judges the count; its fate is not delivered_until_acked's. */
static void unrestorable(hbroker *b, const history_ev *e) {
    unsigned long long id = 0;
    if (sscanf(e->detail, "stored message %llu", &id) != 1 || id == 0) return;
    bmsg *m = find(b, id);
    if (m) m->excused = 1;
}

static void excuse_all(hbroker *b) {
    for (uint32_t i = 0; i < b->cap; i++)
        if (b->t[i].id != 0) b->t[i].excused = 1;
}

/* "incarnation N: ...": each life's delivery ids are N << 32 | seq, so a life whose N is
** not above every earlier one hands out ids an earlier life used (a bump a power cut took
** back): a DACK from before could ack another message. */
static void on_incarnation(hbroker *b, history_sink *s, const history_ev *e) {
    unsigned long long n = 0;
    if (sscanf(e->detail, "incarnation %llu", &n) != 1) {
        history_unreadable(s, e);
        return;
    }
    uint32_t lines[2] = { b->inc_line, e->line };
    if (b->incarnation && n <= b->incarnation)
        history_flag(s, HI_DACK, 0, 0, lines, 2,
                     "incarnation %llu after incarnation %" PRIu64 ": delivery ids of an "
                     "earlier life are handed out again", n, b->incarnation);
    if (n > b->incarnation) b->incarnation = n;
    b->inc_line = e->line;
}

/* A DACK the broker handled must leave a note: the ack of the delivery it names, or a
** stale_ack (not in flight), or a reject (a queue it does not know), or an error, a
** refusal or a fatal note (its write failed).  One that left none was dropped silently,
** and an operator chasing a consumer's acks that do nothing has nothing to read. */
static void dack_unanswered(hbroker *b, history_sink *s, const history_ev *e) {
    if (!b->dack_open) return;
    uint32_t lines[2] = { b->dack_open_line, e ? e->line : 0 };
    history_flag(s, HI_DACK, 0, 0, lines, e ? 2 : 1,
                 "the DACK of delivery %" PRIu64 " was neither acked nor reported stale",
                 b->dack_open);
    b->dack_open = 0;
}

static void on_note(hbroker *b, history_sink *s, const history_ev *e) {
    const char *k = e->kind;
    if (!strcmp(k, "ack") || !strcmp(k, "stale_ack") || !strcmp(k, "reject")
        || !strcmp(k, "error") || !strcmp(k, "refused") || !strcmp(k, "fatal"))
        b->dack_open = 0;
    if (!strcmp(k, "recover")) on_incarnation(b, s, e);
    if (!strcmp(k, "recover")) b->fifo_last[0] = b->fifo_last[1] = 0;   /* a new life */
    if (!strcmp(k, "enqueue")) on_enqueue(b, s, e);
    else if (!strcmp(k, "deliver")) on_deliver(b, s, e, 0);
    else if (!strcmp(k, "redeliver")) on_deliver(b, s, e, 1);
    else if (!strcmp(k, "ack")) on_ack(b, s, e);
    else if (!strcmp(k, "stale_ack")) on_stale(b, s, e);
    else if (!strcmp(k, "recover")
             && (!b->conf->cfg.durable || b->conf->cfg.delivery == OX_AT_MOST_ONCE))
        clear(b);   /* in-memory queues (or at most once, which stores nothing) start empty */
    else if (!strcmp(k, "recover")) restored(b, e->t_us);
    else if (!strcmp(k, "reject") || !strcmp(k, "queue_full")) unrestorable(b, e);
}

/* The broker's life as delivered_until_acked needs it: up, and calm since when. */
static void life(hbroker *b, const history_ev *e) {
    const char *ev = e->ev;
    int mine = !strcmp(e->node, "broker");
    if (!strcmp(ev, "end")) { b->ended = 1; b->end_us = e->t_us; return; }
    if (!strcmp(ev, "heal")) b->calm_us = e->t_us;
    if (!strcmp(ev, "fault") && strstr(e->target, "broker")) b->calm_us = e->t_us;
    if (!mine) return;
    if (!strcmp(ev, "crash") || !strcmp(ev, "power_cut") || !strcmp(ev, "disk_fault"))
        b->dack_open = 0;   /* the step died, or its write failed: no note owed */
    if (!strcmp(ev, "crash")) b->down = 1;
    else if (!strcmp(ev, "start") || !strcmp(ev, "restart")) b->down = 0;
    else if (!strcmp(ev, "pause")) b->paused++;
    else if (!strcmp(ev, "resume") && b->paused > 0) b->paused--;
    else if (!strcmp(ev, "power_cut")) {   /* what it held, and its id counter, indefinite */
        excuse_all(b);
        b->last_id = 0;
    }
    else return;
    b->calm_us = e->t_us;
}

void hbroker_event(hbroker *b, history_sink *s, const history_ev *e) {
    if (!b->ended) {
        life(b, e);
        if (!b->ended) b->end_us = e->t_us;
    }
    if (!strcmp(e->ev, "fault") && !strcmp(e->target, "broker")
        && (!strcmp(e->kind, "clock") || !strcmp(e->kind, "clock_jump")))
        b->clock_off = 1;
    if (!strcmp(e->ev, "deliver") && !strcmp(e->to, "broker")) {
        int dack = !strcmp(e->label, "DACK") && e->has_delivery;
        dack_unanswered(b, s, e);
        b->dack = dack ? e->delivery : 0;   /* a frame the broker rejected is behind it */
        b->dack_line = e->line;
        b->dack_open = b->dack;
        b->dack_open_line = e->line;
    }
    if (!strcmp(e->ev, "note") && !strcmp(e->node, "broker")) on_note(b, s, e);
}

/* ---- delivered_until_acked, at the history's end ---- */

/* In flight past its timeout and then some with no redelivery: the broker dropped it. */
static void owed_in_flight(hbroker *b, history_sink *s, const bmsg *m, int64_t wait_us) {
    int64_t from = m->sent_us > b->calm_us ? m->sent_us : b->calm_us;
    if (b->clock_off || b->end_us - from <= wait_us) return;
    uint32_t lines[1] = { m->line };
    history_flag(s, HI_DELIVERED, 0, m->msg, lines, 1,
                 "delivery %" PRIu64 " (msg %" PRIu64 ") was last sent at %.3f s and neither "
                 "acked nor sent again by the end at %.3f s; the visibility timeout is %"
                 PRId64 " ms", m->id, m->msg, (double)m->sent_us / 1e6,
                 (double)b->end_us / 1e6, b->conf->cfg.visibility_ms);
}

/* Ready while its queue's window had room, all along the end's calm: never delivered. */
static void owed_ready(hbroker *b, history_sink *s, const bmsg *m, int64_t wait_us,
                       const uint32_t flying[2]) {
    int64_t from = m->ready_us > b->calm_us ? m->ready_us : b->calm_us;
    if (flying[m->queue] >= (uint32_t)b->conf->cfg.prefetch || b->end_us - from <= wait_us)
        return;
    uint32_t lines[1] = { m->line };
    history_flag(s, HI_DELIVERED, 0, m->msg, lines, 1,
                 "delivery %" PRIu64 " (msg %" PRIu64 ") was accepted and not acked, but "
                 "never delivered %s by the end at %.3f s, with %u of %d in flight",
                 m->id, m->msg, m->deliveries ? "again after the restart" : "at all",
                 (double)b->end_us / 1e6, flying[m->queue], b->conf->cfg.prefetch);
}

void hbroker_end(hbroker *b, history_sink *s) {
    dack_unanswered(b, s, NULL);
    const ox_config *c = &b->conf->cfg;
    if (c->delivery != OX_AT_LEAST_ONCE || b->down || b->paused) return;
    /* the timeout, then as long again: the timer's own slack, never a near miss */
    int64_t wait_us = 2 * c->visibility_ms * 1000;
    uint32_t flying[2] = { 0, 0 };
    for (uint32_t i = 0; i < b->cap; i++)
        if (b->t[i].id != 0 && b->t[i].sent_us >= 0) flying[b->t[i].queue]++;
    for (uint32_t i = 0; i < b->cap; i++) {
        const bmsg *m = &b->t[i];
        if (m->id == 0 || m->excused) continue;
        if (m->sent_us >= 0) owed_in_flight(b, s, m, wait_us);
        else owed_ready(b, s, m, wait_us, flying);
    }
}
