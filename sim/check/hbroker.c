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
    uint32_t line;            /* the line of the last (re)delivery, or of the enqueue */
    uint32_t deliveries;
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
    uint64_t incarnation;     /* the last life's, from its recover note; 0 none yet */
    uint32_t inc_line;
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
    put(b, &(bmsg){ .id = id, .sent_us = -1 });
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

/* "delivery D (msg M KIND) ..." */
static int parse_delivery(const char *d, uint64_t *id, uint64_t *msg) {
    unsigned long long x = 0, y = 0;
    if (sscanf(d, "delivery %llu (msg %llu", &x, &y) != 2 || x == 0) return 0;
    *id = x;
    *msg = y;
    return 1;
}

static void on_enqueue(hbroker *b, const history_ev *e) {
    unsigned long long msg = 0, id = 0;
    char kind[24], q[24];
    if (sscanf(e->detail, "msg %llu %23s on %23s as delivery %llu", &msg, kind, q, &id) != 4
        || id == 0)
        return;
    bmsg *m = add(b, id);
    if (!m) return;
    m->msg = msg;
    m->line = e->line;
}

static void on_deliver(hbroker *b, history_sink *s, const history_ev *e, int again) {
    uint64_t id = 0, msg = 0;
    if (!parse_delivery(e->detail, &id, &msg)) return;
    bmsg *m = find(b, id);
    if (!m) m = add(b, id);   /* restored by a durable restart before this history */
    if (!m) return;
    m->msg = msg;
    uint32_t lines[2] = { m->line, e->line };
    int amo = b->conf->cfg.delivery == OX_AT_MOST_ONCE;
    if (amo && (again || m->deliveries > 0))
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
    m->sent_us = e->t_us;
    m->line = e->line;
    m->deliveries++;
    if (amo) drop(b, m);   /* the message leaves the broker as it is sent */
}

static void on_ack(hbroker *b, history_sink *s, const history_ev *e) {
    uint64_t id = 0, msg = 0;
    if (!parse_delivery(e->detail, &id, &msg)) return;
    bmsg *m = find(b, id);
    uint32_t lines[2] = { b->dack_line, e->line };
    if (id != b->dack)
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
static void restored(hbroker *b) {
    for (uint32_t i = 0; i < b->cap; i++)
        if (b->t[i].id != 0) b->t[i].sent_us = -1;
}

/* "incarnation N: ...": each life's delivery ids are N << 32 | seq, so a life whose N is
** not above every earlier one hands out ids an earlier life used (a bump a power cut took
** back): a DACK from before could ack another message. */
static void on_incarnation(hbroker *b, history_sink *s, const history_ev *e) {
    unsigned long long n = 0;
    if (sscanf(e->detail, "incarnation %llu", &n) != 1) return;
    uint32_t lines[2] = { b->inc_line, e->line };
    if (b->incarnation && n <= b->incarnation)
        history_flag(s, HI_DACK, 0, 0, lines, 2,
                     "incarnation %llu after incarnation %" PRIu64 ": delivery ids of an "
                     "earlier life are handed out again", n, b->incarnation);
    if (n > b->incarnation) b->incarnation = n;
    b->inc_line = e->line;
}

static void on_note(hbroker *b, history_sink *s, const history_ev *e) {
    const char *k = e->kind;
    if (!strcmp(k, "recover")) on_incarnation(b, s, e);
    if (!strcmp(k, "enqueue")) on_enqueue(b, e);
    else if (!strcmp(k, "deliver")) on_deliver(b, s, e, 0);
    else if (!strcmp(k, "redeliver")) on_deliver(b, s, e, 1);
    else if (!strcmp(k, "ack")) on_ack(b, s, e);
    else if (!strcmp(k, "stale_ack")) on_stale(b, s, e);
    else if (!strcmp(k, "recover")
             && (!b->conf->cfg.durable || b->conf->cfg.delivery == OX_AT_MOST_ONCE))
        clear(b);   /* in-memory queues (or at most once, which stores nothing) start empty */
    else if (!strcmp(k, "recover")) restored(b);
}

void hbroker_event(hbroker *b, history_sink *s, const history_ev *e) {
    if (!strcmp(e->ev, "fault") && !strcmp(e->target, "broker")
        && (!strcmp(e->kind, "clock") || !strcmp(e->kind, "clock_jump")))
        b->clock_off = 1;
    if (!strcmp(e->ev, "deliver") && !strcmp(e->to, "broker") && !strcmp(e->label, "DACK")
        && e->has_delivery) {
        b->dack = e->delivery;
        b->dack_line = e->line;
    }
    if (!strcmp(e->ev, "note") && !strcmp(e->node, "broker")) on_note(b, s, e);
}
