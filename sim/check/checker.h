/*
** checker.h: judges a finished run against the invariants of docs/design.md.
**
** Inputs: the client's history (what the simulator asked for and what it was told),
** the three services' databases (read-only, after the services stopped cleanly), the
** run's trace (to cite the lines behind each violation) and two times from the run.
** It knows the services only through their schema (lib/schema.h): the checker's
** queries are the one place the simulator looks inside them.
**
** The invariants, their names, order and meanings, are the table of
** sim/util/invariant.h.  What the table's one-liners leave out, the checker does so:
**   atomicity     is skipped, and reported so, for design `direct` (no outbox table);
**   compensation  a refused payment that was committed must be REFUNDED, have a refund
**                 row and no voucher, and its outbox row must be FAILED;
**   atomicity     an outbox row the cleanup deleted still counts, as its tombstone
**                 (outbox_cleaned, lib/schema.h) says it was; nothing is inferred;
**   convergence   is judged from the time the loop saw the system go quiet
**                 (checker_input.converged_us), not from the databases.
**   durability    holds the service to what it promised: an OK is a promise only while
**                 it is HIST_OK.  A power cut on payment whose settings do not make a
**                 commit durable before the OK (sim/core/power.h) turns every OK since
**                 the previous cut into HIST_INDEFINITE: possibly committed, possibly
**                 lost, so never counted as a loss here.  What a lost commit leaves
**                 behind elsewhere stays a violation: a voucher for a payment that is no
**                 longer there (no_phantom), a CONSUMED row whose voucher a power cut took
**                 (eventual_consistency).  Those are the bugs power loss exposes.
** After the eight end-state invariants come the history invariants (sim/check/history.h),
** judged over the trace in one streaming pass when checker_input.history is given; each
** of their violations cites the lines behind it itself.
*/
#ifndef SIM_CHECKER_H
#define SIM_CHECKER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/hist.h"
#include "../util/invariant.h"

#define CHECKER_INVARIANTS INVARIANT_COUNT
#define CHECKER_MAX_SHOWN 20     /* violations kept per invariant (all are counted) */
#define CHECKER_MAX_LINES 6      /* trace lines cited per violation */

typedef struct {
    uint64_t pay_id, msg_id;
    char text[256];           /* one line: what is wrong, with the ids */
    uint32_t lines[CHECKER_MAX_LINES];   /* 1-based trace line numbers */
    int nlines;
} checker_violation;

typedef struct {
    const char *name;
    int skipped;              /* not applicable to this design */
    uint32_t count;           /* violations found */
    checker_violation shown[CHECKER_MAX_SHOWN];
    int nshown;
} checker_invariant;

typedef struct {
    const char *payment_db, *accounting_db, *trace_path;
    const hist_entry *hist;   /* hist[1..npay] */
    uint32_t npay;
    int design_direct;        /* design `direct`: no outbox table rows to judge */
    int64_t converged_us;     /* virtual time the run went quiet after healing, -1 never */
    const struct history_conf *history;   /* the history checks' knobs (history.h); NULL:
                                          ** judge the end state only */
} checker_input;

typedef struct {
    checker_invariant inv[CHECKER_INVARIANTS];   /* in the order of invariant.h's table */
    /* counts for the summary */
    uint32_t payments, paid, refunded, vouchers, sending, consumed, failed, dead, alerts;
    uint32_t cleaned;         /* outbox rows the cleanup deleted (their tombstones) */
    /* Notes of a kind the history checks read whose detail did not parse (history.h,
    ** history_unreadable): how many, the trace line of the last, the first quoted. */
    uint32_t unreadable, unreadable_line;
    char unreadable_first[240];
} checker_result;

/* Returns 0 with *out filled, or -1 with a one-line reason (a database that cannot be
** read is a harness error, not a violation). */
int checker_run(const checker_input *in, checker_result *out, char *err, size_t errlen);

#endif
