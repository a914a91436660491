/*
** timers.h: the live host's pending timers, as absolute deadlines.
**
** A service asks for at most a handful of timer ids (lib/io.h: OX_TIMER_SCAN,
** OX_TIMER_REDELIVER, OX_TIMER_PURGE), each replacing its pending one, so a small fixed table is
** enough.  Deadlines are CLOCK_REALTIME milliseconds, the clock the library itself
** reads, so a libfaketime speed-up or offset moves the timers with it.
*/
#ifndef NODE_TIMERS_H
#define NODE_TIMERS_H

#include <stdint.h>

#define NODE_TIMERS 8

typedef struct {
    int id;
    int armed;
    int64_t due_ms;
} node_timer;

typedef struct {
    node_timer t[NODE_TIMERS];
} node_timers;

/* CLOCK_REALTIME in milliseconds. */
int64_t timers_now_ms(void);
/* Arms timer `id` at due_ms, replacing a pending one.  Returns -1 if the table is full. */
int timers_set(node_timers *ts, int id, int64_t due_ms);
/* Milliseconds until the earliest deadline, clamped to [0, cap_ms]; cap_ms if none. */
int64_t timers_wait_ms(const node_timers *ts, int64_t now_ms, int64_t cap_ms);
/* Disarms the earliest timer due at now_ms and returns 1 with its id, else 0. */
int timers_pop_due(node_timers *ts, int64_t now_ms, int *id);

#endif
