/*
** evq.h: the simulator's event queue, a binary min-heap ordered by (time, seq).
**
** `seq` is the insertion number, so events at the same virtual time come out in the
** order they were scheduled: the queue's order, and so the run, depends on nothing but
** the run's own decisions.  The queue is bounded (EVQ_MAX): a run that schedules more
** than that is a harness error, not a slow death by memory.
*/
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include <stddef.h>
#include <stdint.h>

#define EVQ_MAX (4u << 20)

typedef enum {
    EV_FRAME = 1,     /* a frame arrives at node */
    EV_TIMER,         /* a node's timer fires */
    EV_PAY,           /* the client asks payment to pay */
    EV_CRASH,         /* a time-based crash fault */
    EV_RESTART,       /* a crashed node comes back */
    EV_CALLBACK,      /* a scenario at() callback */
    EV_HEAL,          /* the fault phase ends */
    EV_PROBE,         /* convergence probe during settle */
    EV_END,           /* the run ends */
    EV_FAULT,         /* a fault takes effect: announce it (a clock jump also happens) */
    EV_FREE           /* a slow node is free again: take the next event of its backlog */
} ev_type;

typedef struct sim_frame {
    uint32_t len;
    int8_t src;
    char label[65];
    char queue[65];
    uint64_t pay, msg, delivery;
    uint64_t id;              /* the simulator's frame number, for traces */
    uint8_t bytes[];
} sim_frame;

typedef struct {
    int64_t t;
    uint64_t seq;
    uint8_t type;             /* ev_type */
    int8_t node;
    uint32_t a;               /* timer id, pay id, fault index, callback index */
    uint64_t b;               /* timer generation, node life */
    sim_frame *frame;         /* EV_FRAME: owned by the event */
} sim_event;

typedef struct {
    sim_event *heap;
    size_t len, cap;
    uint64_t next_seq;
} sim_evq;

void evq_init(sim_evq *q);
/* Returns 0, or -1 when the queue is full (EVQ_MAX) or memory ran out. */
int evq_push(sim_evq *q, sim_event ev);
/* Puts back an event popped from q, at its old place (its seq kept): a batch that
** took events it then did not run leaves the queue as if they had never left. */
int evq_repush(sim_evq *q, sim_event ev);
/* The earliest event, left in the queue; NULL when empty. */
const sim_event *evq_peek(const sim_evq *q);
/* Pops the earliest event into *ev; returns 0, or -1 when empty. */
int evq_pop(sim_evq *q, sim_event *ev);
/* Frees the queue and every frame still in it. */
void evq_free(sim_evq *q);

#endif
