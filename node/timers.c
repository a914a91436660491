/*
** timers.c: the live host's timer table (see timers.h).
*/
#include "timers.h"

#include <assert.h>
#include <time.h>

int64_t timers_now_ms(void) {
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    assert(rc == 0);
    (void)rc;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int earliest(const node_timers *ts);

int timers_set(node_timers *ts, int id, int64_t due_ms) {
    assert(ts != NULL);
    assert(id >= 0);
    node_timer *free_slot = NULL;
    for (int i = 0; i < NODE_TIMERS; i++) {
        node_timer *t = &ts->t[i];
        if (t->armed && t->id == id) { t->due_ms = due_ms; return 0; }
        if (!t->armed && free_slot == NULL) free_slot = t;
    }
    if (free_slot == NULL) return -1;
    free_slot->id = id;
    free_slot->due_ms = due_ms;
    free_slot->armed = 1;
    assert(earliest(ts) >= 0);   /* paired with timers_pop_due: an armed timer is found */
    return 0;
}

/* Index of the armed timer with the earliest deadline, or -1. */
static int earliest(const node_timers *ts) {
    int best = -1;
    for (int i = 0; i < NODE_TIMERS; i++) {
        const node_timer *t = &ts->t[i];
        if (t->armed && (best < 0 || t->due_ms < ts->t[best].due_ms)) best = i;
    }
    return best;
}

int64_t timers_wait_ms(const node_timers *ts, int64_t now_ms, int64_t cap_ms) {
    assert(cap_ms >= 0);
    int i = earliest(ts);
    if (i < 0) return cap_ms;
    int64_t wait = ts->t[i].due_ms - now_ms;
    if (wait < 0) return 0;
    return wait < cap_ms ? wait : cap_ms;
}

int timers_pop_due(node_timers *ts, int64_t now_ms, int *id) {
    assert(ts != NULL);
    assert(id != NULL);
    int i = earliest(ts);
    if (i < 0 || ts->t[i].due_ms > now_ms) return 0;
    assert(ts->t[i].armed);
    ts->t[i].armed = 0;   /* paired with timers_set: each arming fires at most once */
    *id = ts->t[i].id;
    return 1;
}
