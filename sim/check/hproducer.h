/*
** hproducer.h: the payment service's history checks (history.h): publish_after_commit,
** retry_schedule, dead_after_max_attempts, alert_names_row, final_states_final,
** cleanup_final_only, alerts_kept.
**
** It follows every outbox row through the payment service's notes (commit, publish,
** consumed, failed, dead, alert) and the operator's requeue, in one table indexed by row
** id (at most the workload's payments).  Timing is judged on the trace's virtual time,
** which is the payment's clock unless a clock fault names the payment: from such a fault
** on, retry_schedule is not judged for that run.  A republication may come late only when
** something the history shows delayed the scan: a restart of the payment service since
** the last publication, a scan that found scan_batch rows due, or a slow fault on it.
** alerts_kept (at the end): the alert rows the end state counted (s->out->alerts) are at
** least the alert notes the history has; the rows the cleanup deleted after their alert
** are named as the suspects.  Not judged after a power cut of the payment service (what
** the cut took back was never promised) nor without an end state (out->payments 0).
** With relays (topology { relays = N }) the relays' scan notes (publish, dead, alert,
** scan, rollback, cleanup) count as the payment's, and clock faults on them too; lateness
** is not judged then (hlease.h's owned_then_sent judges a relay that sits on its rows).
** Under completion delete or archive, cleanup_final_only also holds the end state to no
** finished row left in the outbox (judge_completed).
** Under design ordered, alert_names_row also reads what a DEAD head's alert says it blocks:
** its account's rows the history has SENDING after it, counted exactly while the history
** knows every row's account and state (judge_blocks).
** With jitter, retry_schedule also holds the run's republications to a jitter that moves
** them both ways, not only one (hjitter.h: each judged on time is a sample).
*/
#ifndef SIM_HPRODUCER_H
#define SIM_HPRODUCER_H

#include <stdint.h>

#include "history.h"

typedef struct hproducer hproducer;

hproducer *hproducer_new(const history_conf *conf);   /* NULL: out of memory */
void hproducer_event(hproducer *p, history_sink *s, const history_ev *e);
void hproducer_end(hproducer *p, history_sink *s);    /* what the run left pending */
/* Rows the history says are SENDING now (for restart_state). */
int64_t hproducer_sending(const hproducer *p);
/* Payments whose process died inside their transaction, not yet seen published: each may
** be committed (its row SENDING) or not. */
int64_t hproducer_maybe(const hproducer *p);
/* Rows the history has SENDING or DEAD whose answer's transaction payment died inside:
** each may be final already (a restart may find it so). */
int64_t hproducer_maybe_moved(const hproducer *p);
void hproducer_free(hproducer *p);

#endif
