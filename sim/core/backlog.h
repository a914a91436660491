/*
** backlog.h: slow nodes.  A node under a `slow` fault is busy for a while after each
** frame it handles; every frame, timer or client request that arrives meanwhile waits
** in the node's backlog, in arrival order, and is handled when the node is free (an
** EV_FREE event).  Bounded: BACKLOG_MAX events, of which at most BACKLOG_FRAMES frames;
** a frame beyond that is lost, as a full socket buffer would lose it.  A node that
** crashes loses its backlog with it.
**
** Called by the loop (world.c) only; the ring below is part of its state.
*/
#ifndef SIM_BACKLOG_H
#define SIM_BACKLOG_H

#include <stdint.h>

#include "evq.h"

#define BACKLOG_MAX 65536        /* events waiting for one busy node */
#define BACKLOG_FRAMES 60000     /* beyond this many, arriving frames are lost */

/* Events that arrived at a busy node, oldest first. */
typedef struct {
    sim_event *ev;
    uint32_t cap, head, len;
    uint32_t frames;              /* how many of them are frames */
} backlog_ring;

struct sim_world;

/* 1 if ev must wait: its node is up and busy, or earlier events wait already (order). */
int backlog_must_wait(const struct sim_world *w, const sim_event *ev);
/* Puts ev in its node's backlog (taking its frame: ev->frame is NULL after), or loses
** the frame when the backlog is full of frames. */
int backlog_defer(struct sim_world *w, sim_event *ev);
/* EV_FREE: the node is free; it takes what waited, in order, until it is busy again. */
int backlog_on_free(struct sim_world *w, int node);
/* After the node handled a frame: busy for the largest per-message time of the slow
** faults active on it now. */
void backlog_after_frame(struct sim_world *w, int node);
/* The node crashed: what waited in its backlog was in its socket buffers, and is gone. */
void backlog_flush(struct sim_world *w, int node);
/* Frees every event left in the ring, and the ring. */
void backlog_free(backlog_ring *b);

#endif
