/*
** hordering.h: the history check `ordering` (history.h): for each account, vouchers are
** applied in the order its payments committed.  Judged only where the design claims
** per-account order (ox_design_claims_ordering: ordered, ordered-naive).
**
** Commit order comes from the payment service's commit notes (the payment database
** serializes its transactions, so the notes' order is the commit order), the apply
** order from accounting's apply notes.  A message is *pending* from its commit until
** accounting applies or refuses it; a DEAD message stays pending (an operator's requeue
** would apply it later).  Applying a message while an earlier-committed message of its
** account is pending is an inversion: reported with both messages, both payments, their
** commit lines and the apply line.  A message applied again (a duplicate under a design
** without dedupe) or one no commit note announced is not judged here.
**
** Memory: a record per message (sized by the workload, like the other checks) that
** chains each account's pending messages in commit order, and per account only the head
** of that chain: what is still in flight.  Accounts live in an open-addressed table of
** twice the workload's size (one account per commit at most), probed from the account
** number: no hash order reaches the verdict.
*/
#ifndef SIM_HORDERING_H
#define SIM_HORDERING_H

#include "history.h"

typedef struct hordering hordering;

hordering *hordering_new(const history_conf *conf);   /* NULL: out of memory */
void hordering_event(hordering *o, history_sink *s, const history_ev *e);
void hordering_free(hordering *o);

#endif
