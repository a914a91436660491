/*
** net.h: the simulated network's decision for one frame: delivered when, how many
** times, or lost, and why.
**
** Every frame between services passes here.  The decision draws only from the run's
** network stream, and only for faults that match the frame, so it is a pure function
** of the seed and the frames sent before.  A partition comes first: a frame on a cut
** link is lost without a draw, and counts for no other fault's `nth`.  After healing
** (the settle phase) no fault applies: frames are delivered once with the base latency.
*/
#ifndef SIM_NET_H
#define SIM_NET_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/prng.h"
#include "../scenario/scenario.h"

#define NET_LATENCY_MIN_US 1000
#define NET_LATENCY_MAX_US 3000
#define NET_MAX_COPIES 8

typedef struct {
    int partitioned_by;       /* partition fault id that cut the link, 0 = none */
    int dropped_by;           /* fault id that dropped it, 0 = not dropped */
    int ncopies;              /* deliveries (>= 1 unless partitioned or dropped) */
    int64_t latency_us[NET_MAX_COPIES];
    int duplicated_by;        /* fault id that duplicated it, 0 = none */
    int delayed_by;           /* fault id that delayed it, 0 = none */
    int corrupted_by;         /* fault id that damages it in transit, 0 = none */
} net_fate;

/* The fate of a frame src->dst on `queue` with `label`, about payment `pay` (0: none). */
/* Damages a frame the way a corrupt fault does, drawing from rng: either one of its
** eight header bytes (magic, version, type, length) changed, or the frame cut short.
** Both kinds of damage make any receiver reject it; the body is never touched, so a
** corrupt frame cannot pass as a different valid one (the wire format carries no
** checksum of the body).  Writes what was done into how[cap]; returns the new length. */
uint32_t net_corrupt(ox_prng *rng, uint8_t *bytes, uint32_t len, char *how, size_t cap);

void net_decide(sim_scenario *sc, ox_prng *rng, int64_t now_us, int healed, int src,
                int dst, const char *queue, const char *label, uint64_t pay, net_fate *out);

/* The partition fault that cuts src->dst at now_us, or 0. */
int net_partition(const sim_scenario *sc, int64_t now_us, int healed, int src, int dst);

#endif
