/*
** evq.c: binary min-heap of events (see evq.h).
*/
#include "evq.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void evq_init(sim_evq *q) { memset(q, 0, sizeof *q); }

static int before(const sim_event *a, const sim_event *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int insert(sim_evq *q, sim_event ev) {
    assert(q->len <= q->cap);
    assert(q->cap <= EVQ_MAX);
    if (q->len == q->cap) {
        if (q->cap >= EVQ_MAX) return -1;
        size_t cap = q->cap ? q->cap * 2 : 1024;
        sim_event *h = realloc(q->heap, cap * sizeof *h);
        if (!h) return -1;
        q->heap = h;
        q->cap = cap;
    }
    size_t i = q->len++;   /* paired with evq_pop's --len */
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&ev, &q->heap[parent])) break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = ev;
    assert(i == 0 || !before(&q->heap[i], &q->heap[(i - 1) / 2]));   /* the heap holds */
    return 0;
}

int evq_push(sim_evq *q, sim_event ev) {
    assert(ev.t >= 0);
    ev.seq = q->next_seq;
    if (insert(q, ev) != 0) return -1;
    q->next_seq++;
    assert(q->next_seq > ev.seq);   /* 64 bits: never wraps */
    return 0;
}

int evq_repush(sim_evq *q, sim_event ev) {
    assert(ev.seq < q->next_seq);   /* it was popped from this queue */
    assert(q->len < q->next_seq);   /* ... and is not in it now */
    return insert(q, ev);
}

const sim_event *evq_peek(const sim_evq *q) { return q->len ? &q->heap[0] : NULL; }

int evq_pop(sim_evq *q, sim_event *ev) {
    if (q->len == 0) return -1;
    assert(q->heap != NULL);
    *ev = q->heap[0];
    sim_event last = q->heap[--q->len];   /* paired with insert's len++ */
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const sim_event *best = &last;
        if (l < q->len && before(&q->heap[l], best)) { m = l; best = &q->heap[l]; }
        if (r < q->len && before(&q->heap[r], best)) { m = r; }
        if (m == i) break;
        q->heap[i] = q->heap[m];
        i = m;
    }
    if (q->len > 0) q->heap[i] = last;
    assert(q->len == 0 || !before(&q->heap[0], ev));   /* nothing came before it */
    return 0;
}

void evq_free(sim_evq *q) {
    for (size_t i = 0; i < q->len; i++) free(q->heap[i].frame);
    free(q->heap);
    memset(q, 0, sizeof *q);
}
