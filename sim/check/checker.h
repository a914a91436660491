/*
** checker.h: judges a finished run against the invariants of docs/design.md.
**
** Inputs: the client's history (what the simulator asked for and what it was told),
** the three services' databases (read-only, after the services stopped cleanly), the
** run's trace (to cite the lines behind each violation) and two times from the run.
** It knows the services only through their schema (lib/schema.h): the checker's
** queries are the one place the simulator looks inside them.
**
**   durability            every payment the client saw succeed is in the payment database
**   atomicity             every payment has its outbox row, and every outbox row its
**                         payment (skipped, and reported so, for design `direct`)
**   no_phantom            every voucher belongs to a committed payment with the same amount
**   exactly_once          at most one voucher per payment
**   eventual_consistency  every PAID payment has exactly one voucher and its outbox row
**                         is CONSUMED; no row is left SENDING
**   compensation          every refused payment that was committed is REFUNDED, has a
**                         refund row, no voucher, and its outbox row is FAILED
**   dead_letters_alerted  every DEAD row has an alert
**   convergence           the system went quiet (nothing SENDING, nothing in flight)
**                         before the settle phase ended
*/
#ifndef SIM_CHECKER_H
#define SIM_CHECKER_H

#include <stddef.h>
#include <stdint.h>

#include "../core/hist.h"

#define CHECK_INVARIANTS 8
#define CHECK_MAX_SHOWN 20     /* violations kept per invariant (all are counted) */
#define CHECK_MAX_LINES 6      /* trace lines cited per violation */

typedef struct {
    uint64_t pay_id, msg_id;
    char text[256];           /* one line: what is wrong, with the ids */
    uint32_t lines[CHECK_MAX_LINES];   /* 1-based trace line numbers */
    int nlines;
} check_violation;

typedef struct {
    const char *name;
    int skipped;              /* not applicable to this design */
    uint32_t count;           /* violations found */
    check_violation shown[CHECK_MAX_SHOWN];
    int nshown;
} check_invariant;

typedef struct {
    const char *payment_db, *accounting_db, *trace_path;
    const hist_entry *hist;   /* hist[1..npay] */
    uint32_t npay;
    int design_direct;        /* design `direct`: no outbox table rows to judge */
    int outbox_cleanup;       /* knob cleanup_after > 0: settled rows may have been deleted */
    int64_t converged_us;     /* virtual time the run went quiet after healing, -1 never */
} check_input;

typedef struct {
    check_invariant inv[CHECK_INVARIANTS];   /* in the order listed above */
    /* counts for the summary */
    uint32_t payments, paid, refunded, vouchers, sending, consumed, failed, dead, alerts;
} check_result;

/* Returns 0 with *out filled, or -1 with a one-line reason (a database that cannot be
** read is a harness error, not a violation). */
int checker_run(const check_input *in, check_result *out, char *err, size_t errlen);
/* Index of an invariant by name, or -1. */
int checker_index(const char *name);
const char *checker_name(int i);

#endif
