/*
** hordering.c: ordering (see hordering.h).
*/
#include "hordering.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MSG_NONE = 0, MSG_PENDING, MSG_SETTLED };

typedef struct {
    uint8_t state;
    uint32_t account;
    uint32_t next;            /* the next message committed for the same account, 0 none */
    uint32_t commit_line;
    uint64_t pay;
} omsg;

typedef struct {
    uint32_t key;             /* account + 1; 0: free slot */
    uint32_t head, tail;      /* the account's chain in commit order; head: first pending */
} oacct;

struct hordering {
    const history_conf *conf;
    uint32_t n;               /* msgs[1..n] */
    omsg *msgs;
    uint32_t cap;             /* accts[0..cap), a power of two >= 2n + 2 */
    oacct *accts;
};

hordering *hordering_new(const history_conf *conf) {
    hordering *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->conf = conf;
    o->n = conf->npay;
    o->cap = 16;
    while (o->cap < 2 * (uint64_t)o->n + 2) o->cap *= 2;
    o->msgs = calloc((size_t)o->n + 1, sizeof *o->msgs);
    o->accts = calloc(o->cap, sizeof *o->accts);
    if (!o->msgs || !o->accts) { hordering_free(o); return NULL; }
    return o;
}

void hordering_free(hordering *o) {
    if (!o) return;
    free(o->msgs);
    free(o->accts);
    free(o);
}

/* The account's slot, made if absent (the table never fills: at most n accounts). */
static oacct *account(hordering *o, uint32_t acc) {
    assert(acc < UINT32_MAX);
    uint32_t key = acc + 1, i = (uint32_t)(key * 2654435761u) & (o->cap - 1);
    for (uint32_t probes = 0; probes < o->cap; probes++, i = (i + 1) & (o->cap - 1)) {
        if (o->accts[i].key == key) return &o->accts[i];
        if (o->accts[i].key == 0) { o->accts[i].key = key; return &o->accts[i]; }
    }
    assert(0 && "account table full");   /* cap >= 2n + 2 > the accounts seen */
    return NULL;
}

static omsg *msg_at(hordering *o, uint64_t msg) {
    return msg >= 1 && msg <= o->n ? &o->msgs[msg] : NULL;
}

/* Moves the account's head past the messages settled (applied or refused). */
static void advance(hordering *o, oacct *a) {
    for (uint32_t steps = 0; a->head && steps <= o->n; steps++) {
        omsg *h = &o->msgs[a->head];
        if (h->state == MSG_PENDING) return;
        a->head = h->next;
    }
    if (!a->head) a->tail = 0;
}

static void on_commit(hordering *o, const history_ev *e) {
    unsigned long long pay = 0, acc = 0, msg = 0;
    long long amount = 0;
    if (sscanf(e->detail, "payment %llu: %lld cents from account %llu, outbox row %llu", &pay,
               &amount, &acc, &msg) != 4)
        return;   /* design direct: no outbox row, no order to keep */
    omsg *m = msg_at(o, msg);
    if (!m || m->state != MSG_NONE || acc >= UINT32_MAX) return;
    m->state = MSG_PENDING;
    m->account = (uint32_t)acc;
    m->commit_line = e->line;
    m->pay = pay;
    oacct *a = account(o, (uint32_t)acc);
    if (a->tail) o->msgs[a->tail].next = (uint32_t)msg;
    else a->head = (uint32_t)msg;
    a->tail = (uint32_t)msg;
}

/* Message msg applied (applied = 1) or refused: an inversion if an earlier message of its
** account is still pending. */
static void on_settle(hordering *o, history_sink *s, const history_ev *e, int applied) {
    unsigned long long msg = 0;
    if (sscanf(e->detail, "msg %llu", &msg) != 1) return;
    omsg *m = msg_at(o, msg);
    if (!m || m->state != MSG_PENDING) return;   /* unknown, or applied again */
    oacct *a = account(o, m->account);
    advance(o, a);
    assert(a->head != 0);   /* m itself is pending */
    if (applied && a->head != (uint32_t)msg) {
        const omsg *h = &o->msgs[a->head];
        uint32_t lines[3] = { h->commit_line, m->commit_line, e->line };
        history_flag(s, HI_ORDERING, m->pay, msg, lines, 3,
                     "account %" PRIu32 ": msg %llu (payment %" PRIu64 ") applied while msg %"
                     PRIu32 " (payment %" PRIu64 "), committed before it, was not yet",
                     m->account, msg, m->pay, a->head, h->pay);
    }
    m->state = MSG_SETTLED;
    advance(o, a);
}

void hordering_event(hordering *o, history_sink *s, const history_ev *e) {
    if (strcmp(e->ev, "note") != 0) return;
    if (!strcmp(e->node, "payment")) {
        if (!strcmp(e->kind, "commit")) on_commit(o, e);
    } else if (history_accounting_instance(e->node) >= 0) {   /* any instance */
        if (!strcmp(e->kind, "apply")) on_settle(o, s, e, 1);
        else if (!strcmp(e->kind, "refuse")) on_settle(o, s, e, 0);
    }
}
