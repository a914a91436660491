/*
** hist.h: the client's history: what the simulated client asked for and what it was
** told, one entry per payment.
**
** The loop (world.c) writes it as the run goes; the checker (sim/check) judges the
** databases against it afterwards.  It lives here, below both, so that the checker
** reads the core's data and the core never needs the checker.
*/
#ifndef SIM_HIST_H
#define SIM_HIST_H

#include <stdint.h>

/* INDEFINITE: answered OK, but a power cut then hit the payment service before the
** commit was durable (its settings did not make it so: sim/core/power.h).  The payment
** may or may not be there: the checker counts it neither as committed nor as lost
** (Maelstrom's indefinite outcome; "when in doubt, indefinite is always safe"). */
typedef enum {
    HIST_NOT_SENT = 0,
    HIST_PENDING,
    HIST_OK,
    HIST_FAILED,
    HIST_UNKNOWN,
    HIST_INDEFINITE
} hist_outcome;

/* One per payment, indexed by payment id (0 unused): 16 bytes, the simulator's only
** memory that grows with the workload (docs/performance.md). */
typedef struct {
    int64_t amount;
    uint32_t account;
    uint8_t refused;          /* the scenario made accounting refuse it */
    uint8_t outcome; /* hist_outcome: UNKNOWN when the payment service crashed before answering,
                        INDEFINITE when a power cut may have taken back its OK */
} hist_entry;

#endif
