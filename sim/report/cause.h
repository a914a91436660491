/*
** cause.h: why each violation happened, told from the run's history, and the step that
** broke it; and the duplicates each side absorbed.
**
** The checker says WHAT is wrong (payment 3: 2 vouchers); invariant.h's sentence says
** what a break of the invariant usually means.  Neither says what happened in THIS run:
** a payment with two vouchers under outbox-no-dedupe was applied twice, one with none
** under ack-before-apply was acked and then its consumer crashed.  cause_build() reads
** the trace once after the check, follows the payments the violations name (a few
** dozen at most, whatever the run's size) and, for each violation, writes a sentence of
** the facts the trace shows (with their trace lines) and the line of the step that
** broke it: the second apply of one message id, the ack sent before the voucher
** existed, the frame that was lost with nothing to send it again, the publication
** before COMMIT.  When the trace shows none of the patterns it knows, the sentence is
** the invariant's own (invariant.h) and the line is 0: it never guesses a fact.
**
** The same pass counts the duplicates the services absorbed, per side, from the
** services' "duplicate" notes: the payment service's (a client's retry of a payment it
** already recorded; an answer for a row already settled) and accounting's (a message
** its inbox had already applied).
**
** Read by the human summary (report.c), report.html (the verdict's sentences and the
** chart's marks, htmljson.c) and the narration's story of the broken payments
** (narrate.c).
*/
#ifndef SIM_CAUSE_H
#define SIM_CAUSE_H

#include <stddef.h>
#include <stdint.h>

#include "../check/checker.h"

struct report_run;

#define CAUSE_MAX (CHECKER_INVARIANTS * CHECKER_MAX_SHOWN)

typedef struct {
    int inv;                  /* invariant index (invariant.h) */
    int k;                    /* index in that invariant's shown violations */
    uint64_t pay;
    uint32_t line;            /* trace line of the step that broke it; 0: not known */
    int known;                /* 1: text tells this run's facts; 0: the invariant's sentence */
    char text[400];
} cause_item;

typedef struct {
    cause_item items[CAUSE_MAX];
    int nitems;
    /* duplicates absorbed, per side (the services' "duplicate" notes) */
    uint64_t dup_payment_requests;   /* payment: a client retry of a recorded payment */
    uint64_t dup_payment_answers;    /* payment: an answer for a row already settled */
    uint64_t dup_accounting;         /* accounting: a message its inbox already held */
    uint64_t applied_again;          /* accounting: a message applied once more (a voucher) */
} cause_result;

/* Reads r's trace and fills out (r->check set).  Returns 0, or -1 with a one-line reason
** in err (the trace could not be read, or out of memory). */
int cause_build(const struct report_run *r, cause_result *out, char *err, size_t cap);

/* The cause of violation k of invariant inv, or NULL. */
const cause_item *cause_of(const cause_result *c, int inv, int k);

#endif
