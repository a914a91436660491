/*
** history.h: the history checks: one streaming pass over a run's trace.jsonl that
** judges each part against its contract (docs/design.md, "The life of a row"), beside
** the end-state invariants of checker.h.
**
** The driver (history.c) reads the trace once, a line at a time, parses each line into
** one history_ev and hands it to every check in turn: hproducer.c (the payment
** service), hconsumer.c (accounting), hbroker.c (the broker) and hrestart.c (the
** durable state each restart finds).  A check keeps per-row state in tables sized by
** the workload (payments; outbox row ids and message ids are at most that) and the
** broker's in-flight set (bounded by OX_QUEUE_CAP per queue), never by the run's length.
**
** Each violation is reported with the ids and the trace lines behind it (history_flag).
** A check is judged only where the design claims it (history_judged); otherwise it is
** reported skipped, as atomicity is under `direct`.
**
** The notes' details are free text written by lib/ (ox_svc_event); the checks parse
** only these formats, and only here is that list kept (a change in lib/ must change it):
**   payment    commit    "payment P: A cents from account C, outbox row M"
**              publish   "msg M attempt N to PAY_QUEUE"
**              consumed  "msg M marked CONSUMED"      failed  "msg M marked FAILED: WHY"
**              dead      "msg M DEAD after N attempts"
**              alert     "DEAD_LETTER: payment P dead after N attempts (outbox row M)"
**                        or "DEAD_LETTER: payment P: outbox row M has an undecodable payload"
**              recover   "N outbox rows SENDING (design D)"
**              cleanup   "msg M deleted: STATUS, updated A ms ago" (one per row, after the
**                        DELETE committed; at most scan_batch a scan; STATUS the row's
**                        last, A by the service's clock)
**              hold      "msg M held: an earlier message of account C is not settled"
**              release   "msg M released: the earlier messages of account C are settled"
**                        (design ordered, lib/ordered.h; an alert there ends with
**                        "; it blocks N later messages of account C")
**              complete  "msg M deleted: STATUS" or "msg M archived: STATUS" (knob
**                        completion: after the consumed or failed/refund notes of the
**                        transaction that finished and deleted the row)
**   relay      claim     "msg M claimed by O at N until U" (O the relay, N its clock, U the
**                        lease's end, ms; after the claiming statement committed)
**              publish, dead, alert, scan: as the payment's (the scan's own code)
**              release   "msg M released by O"   lapse  "msg M not published by O: lease of
**                        H until U" (lib/relay.h)
**   accounting purge     "N inbox rows received over R ms ago forgotten" (knob
**                        inbox_retention; read only by the reached states)
**   accounting apply     "msg M: voucher of A cents for account C"
**              refuse    "msg M refused: WHY"
**              publish   "CONSUMED for msg M to ACC_QUEUE" (or CONSUME_FAILED)
**              recover   "N inbox rows, V vouchers" (at each open)
**   broker     enqueue   "msg M KIND on QUEUE as delivery D, depth N"
**              deliver   "delivery D (msg M KIND) to NODE, ..." (design auto-ack: ", auto-acked",
**                        then an ack "... acked by broker, on delivery (auto-ack)")
**              redeliver "delivery D (msg M KIND) to NODE again, redelivery N"
**              ack       "delivery D (msg M KIND) acked by NODE"
**              reject, queue_full  "stored message D ..." (a restart could not restore D)
**              recover   "incarnation I: N messages restored" (durable) or
**                        "incarnation I: in-memory queues start empty"
** alerts_kept compares the alert notes with checker_result.alerts, the alert rows the
** end state counted (history_run's out: not judged when out->payments is 0, as under
** build/tools/history-check, which reads no database).
** The operator's `requeue` (an "operator" line, ctl "requeue all" or "requeue ID") moves
** DEAD rows back to SENDING without a note of the service's.
*/
#ifndef SIM_HISTORY_H
#define SIM_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/config.h"
#include "checker.h"

/* The history invariants, in invariant.h's order, after the end-state ones. */
enum {
    HI_PUBLISH_AFTER_COMMIT = INVARIANT_END_STATE,
    HI_RETRY_SCHEDULE,
    HI_DEAD_AFTER_MAX,
    HI_ALERT_NAMES_ROW,
    HI_FINAL_STATES,
    HI_ANSWER_AFTER_COMMIT,
    HI_DEDUPE,
    HI_BUSINESS_RULES,
    HI_REDELIVERY,
    HI_DACK,
    HI_RESTART_STATE,
    HI_CLEANUP_FINAL_ONLY,
    HI_ORDERING,              /* hordering.c: per-account order (designs that claim it) */
    HI_ALERTS_KEPT,           /* history.c: alerts committed are all there at the end */
    HI_DELIVERED,             /* delivered_until_acked (hbroker.c) */
    HI_LEASE_HELD,            /* hlease.c: the relays' leases (knob relays > 0) */
    HI_LEASE_EXCLUSIVE,
    HI_OWNED_SENT,            /* owned_then_sent */
    HI_ERRORS_REPORTED,       /* herrors.c: a failed disk call fails its step */
    HI_ERRORS_EXPLAINED,      /* herrors.c: a failed step had a fault behind it */
    HI_KNOBS_APPLIED,         /* hknobs.c: each service runs with the knobs it was given */
    HI_END
};

/* One trace line, parsed.  Strings are "" when the line has no such field; they live
** until the next line is read. */
typedef struct {
    uint32_t line;            /* 1-based */
    int64_t t_us;
    const char *ev, *node, *kind, *label, *queue, *detail, *target, *fate, *from, *to;
    const char *ctl;          /* "operator" lines */
    const char *result, *op, *file;   /* "reply" lines' result; "disk_fault" lines' failed
                                      ** call and the file it was on ("" unnamed) */
    const char *error;        /* "disk_fault" lines: what the call failed with (eio, full,
                              ** fsync_fail, nomem) */
    uint64_t pay, msg, delivery;
    int has_pay, has_msg, has_delivery;
    int64_t account, amount, exit_code;
    int64_t timer_id;         /* "id" (timer lines: which timer fired) */
} history_ev;

typedef struct history_conf {
    ox_config cfg;            /* the design and knobs the services ran with */
    uint32_t npay;            /* the workload's payments: the size of the per-row tables */
} history_conf;

typedef struct {
    const history_conf *conf;
    checker_result *out;
} history_sink;

/* Is history invariant inv (an index of invariant.h's table) judged under conf? */
int history_judged(const history_conf *conf, int inv);

/* One violation of invariant inv, for payment pay and message msg, with up to
** CHECKER_MAX_LINES trace lines (ascending or not: they are sorted). */
void history_flag(history_sink *s, int inv, uint64_t pay, uint64_t msg, const uint32_t *lines,
                  int nlines, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Note e is of a kind a check reads, and its detail does not parse in the format the
** list above gives: counted once per trace line into out->unreadable, the first quoted.
** A check that cannot read a note judges as if it were not there, so a node of one's own
** that words a note differently would otherwise pass unjudged (the run's warnings and
** conform's notes-readable clause say so). */
void history_unreadable(history_sink *s, const history_ev *e);

/* Competing consumers (topology { accounting = M }): which accounting instance a trace's
** node name is, 0 for "accounting", k-1 for "accounting-k" (k in 2..OX_MAX_INSTANCES),
** or -1 for any other node.  The instances share one database: what one committed, all
** find; what one is in the middle of is its own. */
int history_accounting_instance(const char *node);

/* Reads trace_path once and fills the history invariants of out (out's end-state part is
** left alone).  Returns 0, or -1 with a one-line reason (unreadable or malformed trace,
** out of memory). */
int history_run(const char *trace_path, const history_conf *conf, checker_result *out,
                char *err, size_t cap);

/* Fills conf from a design name and "key=value" knobs, as outbox-node would (the world
** adds frozen=SIM_FROZEN_ACCOUNT when the scenario sets none: frozen_default >= 0 says
** which).  Returns 0, or -1 with a reason. */
int history_conf_make(history_conf *conf, const char *design, const char *const *knobs,
                      int nknobs, int64_t frozen_default, uint32_t npay, char *err, size_t cap);

#endif
