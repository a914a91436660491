/*
** queue.c: the ready ring and the in-flight set of one broker queue (queue.h).
**
** The ring grows by doubling, from a small start up to OX_QUEUE_CAP, so an idle
** broker costs little and a full one costs a bounded amount.  The in-flight set is
** allocated once at its final size (prefetch).  The consumer set is small and fixed
** after set-up, kept inline (names copied in), so the queue owns no pointer into its
** creator's memory.
*/
#include "queue.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define RING_START 64u

int ox_queue_init(ox_queue *q, const char *name, const char *subscriber, uint32_t prefetch) {
    assert(q);
    assert(name);
    assert(subscriber);
    assert(prefetch >= 1);
    memset(q, 0, sizeof *q);
    q->name = name;
    if (strlen(subscriber) > OX_QUEUE_CONSUMER_MAX) return -1;
    memcpy(q->consumer[0], subscriber, strlen(subscriber) + 1);
    q->nconsumers = 1;
    q->flight = calloc(prefetch, sizeof *q->flight);
    q->fcap = prefetch;
    return q->flight ? 0 : -1;
}

int ox_queue_add_consumer(ox_queue *q, const char *name) {
    assert(q->nconsumers >= 1);
    assert(q->nconsumers <= OX_QUEUE_CONSUMERS);
    size_t n = strlen(name);
    if (q->nconsumers == OX_QUEUE_CONSUMERS || n == 0 || n > OX_QUEUE_CONSUMER_MAX) return -1;
    for (uint32_t i = 0; i < q->nconsumers; i++)
        if (strcmp(q->consumer[i], name) == 0) return -1;
    memcpy(q->consumer[q->nconsumers], name, n + 1);
    q->nconsumers++;
    return 0;
}

uint32_t ox_queue_take_turn(ox_queue *q) {
    assert(q->nconsumers >= 1);
    assert(q->turn < q->nconsumers);
    uint32_t i = q->turn;
    q->turn = ox_queue_after(q, i);
    assert(q->turn < q->nconsumers);
    return i;
}

uint32_t ox_queue_after(const ox_queue *q, uint32_t i) {
    assert(q->nconsumers >= 1);
    assert(i < q->nconsumers);
    return (i + 1) % q->nconsumers;
}

void ox_queue_free(ox_queue *q) {
    free(q->ready);
    free(q->flight);
    memset(q, 0, sizeof *q);
}

uint32_t ox_queue_depth(const ox_queue *q) { return q->rlen + q->nflight; }

/* Doubles the ring, unrolling it so the oldest entry lands at index 0. */
static int grow(ox_queue *q) {
    uint32_t ncap = q->rcap ? q->rcap * 2 : RING_START;
    if (ncap > OX_QUEUE_CAP) ncap = OX_QUEUE_CAP;
    assert(ncap > q->rcap);
    ox_entry *n = malloc((size_t)ncap * sizeof *n);
    if (!n) return -1;
    for (uint32_t i = 0; i < q->rlen; i++) n[i] = q->ready[(q->rhead + i) % q->rcap];
    free(q->ready);
    q->ready = n;
    q->rcap = ncap;
    q->rhead = 0;
    return 0;
}

int ox_queue_reserve(ox_queue *q) {
    if (ox_queue_depth(q) >= OX_QUEUE_CAP) return -1;
    if (q->rlen == q->rcap && grow(q) != 0) return -1;
    return 0;
}

int ox_queue_push(ox_queue *q, const ox_entry *e) {
    if (ox_queue_reserve(q) != 0) return -1;
    assert(q->rlen < q->rcap);
    q->ready[(q->rhead + q->rlen) % q->rcap] = *e;
    q->rlen++;
    return 0;
}

const ox_entry *ox_queue_head(const ox_queue *q) {
    return q->rlen ? &q->ready[q->rhead] : NULL;
}

void ox_queue_pop(ox_queue *q, ox_entry *out) {
    assert(q->rlen > 0);
    *out = q->ready[q->rhead];
    q->rhead = (q->rhead + 1) % q->rcap;
    q->rlen--;
}

ox_entry *ox_queue_fly(ox_queue *q, const ox_entry *e) {
    assert(q->nflight < q->fcap);
    q->flight[q->nflight] = *e;
    return &q->flight[q->nflight++];
}

int ox_queue_find(const ox_queue *q, uint64_t id) {
    for (uint32_t i = 0; i < q->nflight; i++) {
        if (q->flight[i].id == id) return (int)i;
    }
    return -1;
}

void ox_queue_remove(ox_queue *q, uint32_t slot) {
    assert(slot < q->nflight);
    q->flight[slot] = q->flight[--q->nflight];
}
