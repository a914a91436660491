/*
** batch.h: several events of one node in one round trip (proto/step.h, "Batches").
**
** A batch must give the run the one-event-at-a-time run would have had, byte for byte
** (tests/system/determinism.sh compares both).  batch.c says what makes an event
** join a batch; the node checks the rest and may stop early, and the events it did
** not take go back to their old places in the queue.
**
** Called by the loop (world.c) only.
*/
#ifndef SIM_BATCH_H
#define SIM_BATCH_H

#include "evq.h"

struct sim_world;

/* Takes from the queue the events that may follow ev0 in one round trip and runs
** them all; returns 1 if it did, 0 if ev0 must run alone (nothing taken), -1 on error.
** ev0's frame stays the caller's to free. */
int batch_dispatch(struct sim_world *w, sim_event *ev0);

#endif
