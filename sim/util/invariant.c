/*
** invariant.c: the table of the invariants the checker judges (see invariant.h).
*/
#include "invariant.h"

#include <assert.h>
#include <string.h>

static const invariant_info TABLE[INVARIANT_COUNT] = {
    { "durability", "every payment the client saw succeed is in the payment database",
      "The client was told OK, but the payment is not in the database: an acknowledged write "
      "was lost." },
    { "atomicity", "every payment has its outbox row, and every outbox row its payment",
      "A payment and its outbox row were not written together, so one exists without the "
      "other." },
    { "no_phantom",
      "every voucher belongs to a committed payment, with the same amount and account, and "
      "the inbox row that booked it names that payment",
      "Accounting booked a voucher for a payment that never committed: the message left "
      "before COMMIT, and the transaction then died." },
    { "exactly_once", "at most one voucher per payment",
      "One payment was booked more than once: a duplicate delivery was applied again, because "
      "the consumer does not remember which messages it applied." },
    { "eventual_consistency",
      "every paid payment has exactly one voucher and its outbox row is CONSUMED; nothing is "
      "left SENDING",
      "Money left the payer but accounting never booked it (or the outbox row never learnt it "
      "was): a message was lost and nothing sent it again." },
    { "compensation",
      "every refused payment is refunded, has no voucher, and its row is FAILED",
      "Accounting refused a payment but the payer was not refunded: the CONSUME_FAILED answer "
      "was lost or ignored." },
    { "dead_letters_alerted", "every DEAD row has an alert",
      "An outbox row gave up (DEAD) without an alert: nobody will know to requeue it." },
    { "convergence",
      "after healing, the system went quiet (nothing SENDING, nothing in flight, nothing the "
      "broker holds unacked) before the settle phase ended",
      "The system did not go quiet after the faults stopped: rows stayed SENDING or frames "
      "kept flying." },
    /* The history invariants (sim/check/history.h): judged over the whole trace. */
    { "publish_after_commit",
      "nothing is published for a payment before its transaction committed",
      "The payment service published a message before COMMIT: had the transaction died, "
      "accounting would book a payment that never was." },
    { "retry_schedule",
      "every republication comes when the retry policy says (base, linear or exponential, "
      "cap, jitter), attempt after attempt, taken by the first scan at or after it is due "
      "(a full scan takes the oldest due first); over the run, the jitter moves "
      "republications both earlier and later",
      "The recovery scan republished too early, too late or skipped an attempt, starved the "
      "oldest rows of a backlog, or its jitter only ever pushed one way: the retry policy the "
      "knobs set is not the one that ran." },
    { "dead_after_max_attempts",
      "a row goes DEAD after exactly max_attempts publications, never before or after",
      "A row gave up an attempt early or kept trying past its budget: the attempt count is "
      "off by one somewhere." },
    { "alert_names_row",
      "every DEAD is followed by one alert naming that row and payment (design ordered: "
      "and how many later messages of its account it blocks)",
      "A dead letter was silent, or its alert names another row: the operator would requeue "
      "the wrong payment, or none." },
    { "final_states_final",
      "an answer moves a row at most once, and nothing moves a row out of CONSUMED or FAILED",
      "A row left a final state or was settled twice: a late or duplicate answer changed "
      "what was already decided." },
    { "answer_after_commit",
      "accounting answers and acks a delivery only after the inbox row deciding it committed",
      "Accounting answered or acked before its transaction committed: a crash there loses "
      "the voucher the answer claims." },
    { "dedupe_same_answer",
      "a duplicate delivery gets the same answer as the first and never a second voucher; "
      "no purge forgets a message younger than inbox_retention",
      "A message delivered twice was applied twice or answered differently: the consumer "
      "does not remember what it decided." },
    { "business_rules",
      "accounting refuses exactly the frozen accounts and the amounts not in 1..max_amount",
      "Accounting applied a payment its rules refuse, or refused one they accept: a rule or "
      "its boundary is wrong." },
    { "broker_redelivery",
      "no redelivery before the visibility timeout, and each carries its count, one more than "
      "the last, across a durable broker's restarts; each queue delivers first in, first out; "
      "at most once delivers each message once",
      "The broker redelivered a message still within its visibility timeout, counted its "
      "redeliveries wrong (a consumer parks poison messages by that count), or delivered "
      "twice what it promised to deliver at most once, or let a message overtake one its "
      "queue accepted before it." },
    { "dack_names_delivery",
      "an ack removes exactly the delivery its DACK names, and only one in flight",
      "The broker acked a delivery other than the one named, or one that was not in flight: "
      "its bookkeeping of deliveries is wrong." },
    { "restart_state",
      "each restart finds the durable state the history committed (SENDING rows, stored "
      "messages, inbox rows and vouchers)",
      "A restart found less (or more) than was committed before it: a write reported done "
      "was not durable, and this restart is where it went missing." },
    { "cleanup_final_only",
      "the cleanup deletes only rows CONSUMED or FAILED for at least cleanup_after, never a "
      "SENDING or DEAD row; completion delete or archive only the row its answer just "
      "finished, and every row it finished, each with its complete note; each cleanup note "
      "says the deleted row's status and age",
      "The cleanup deleted a row that still had work to do, a dead letter the operator "
      "needs, or a settled row too young: the retention rule ignores the row's status or "
      "its age (or a completion deleted a row no answer had finished)." },
    { "ordering",
      "for each account, vouchers are applied in the order its payments committed (judged "
      "only under designs that claim it)",
      "A payment was booked while an earlier payment of the same account was still on its "
      "way: a retried message was overtaken by the next one of its key, and the design "
      "trusted the queue to keep the order." },
    { "alerts_kept",
      "every alert the history committed is still in the payment database at the end: an "
      "alert is never deleted",
      "An alert is gone: the retention job, or a cascade from the row it names, deleted the "
      "record an operator needs of a payment that ran out of attempts." },
    { "delivered_until_acked",
      "at least once: an accepted message is delivered again after each visibility timeout "
      "until a DACK acks it, unless a fault the run injected took it",
      "The broker stopped delivering a message nobody acked, with no crash of in-memory "
      "queues or internal loss to explain it: it counts a message done before its DACK, or "
      "a restart forgot what was in flight." },
    { "lease_held",
      "a relay publishes a row only while it holds an unexpired lease on it, a lease as "
      "long as the knobs declare (judged only with relays)",
      "A relay published a row whose lease it no longer held: it stalled past its lease "
      "(a pause, a slow publish) and went on as if the row were still its own, so another "
      "relay may be publishing it too." },
    { "lease_exclusive",
      "two relays never hold one row at once (judged only with relays)",
      "A relay claimed a row another relay still held: the claim does not look at the lease, "
      "and both publish the same row." },
    { "owned_then_sent",
      "a live relay publishes every row it claims before its lease runs out, and gives the "
      "lease back as it publishes; its claims are the batch its scan note announces (judged "
      "only with relays)",
      "A relay claimed a row and let its lease run out without publishing it, though it "
      "neither crashed, paused nor failed a disk call: the lease is shorter than the work "
      "it covers, and rows sit owned and unsent.  Or it published and kept the lease, so "
      "the row sits owned until it runs out." },
    { "errors_reported",
      "a disk call that failed (an injected error on a write of the WAL or journal, a sync "
      "of the journal, a read of the database) fails the step that made it: the service "
      "rolls back and says error, refuses the payment, or stops",
      "A service swallowed a failed disk call and went on as if it had succeeded: it acked "
      "a message, or answered, on a transaction that had rolled back." },
    { "errors_explained",
      "every error a service reports has a fault behind it: a failed disk call in the same "
      "step, or a database tampered with; an error of its own (a constraint, a misused "
      "statement, a lock it left open) is a bug, and so is an error that does not say what "
      "failed, or names another cause than the failed calls' (an I/O error, a full disk, no "
      "memory), and a rejected frame whose reason holds no word",
      "A service failed a step with no fault injected: its own SQL or state broke, and the "
      "retries that made the run converge hid it." },
    { "knobs_applied",
      "every service runs with the knobs it was given: the configuration it says at START is "
      "what its design, seed and knobs resolve to",
      "A service misread a knob (a unit, a range, a default, a knob wired to nothing): it ran "
      "with another configuration than the scenario's, and every check that takes the knobs "
      "at their word judged it against a schedule it never kept." },
};

const invariant_info *invariant_at(int i) {
    assert(i >= 0);
    assert(i < INVARIANT_COUNT);
    assert(TABLE[i].name != NULL);
    return &TABLE[i];
}

int invariant_index(const char *name) {
    if (!name) return -1;
    for (int i = 0; i < INVARIANT_COUNT; i++)
        if (strcmp(TABLE[i].name, name) == 0) return i;
    return -1;
}

void invariant_names(const char *out[INVARIANT_COUNT + 1]) {
    for (int i = 0; i < INVARIANT_COUNT; i++) out[i] = TABLE[i].name;
    out[INVARIANT_COUNT] = NULL;
}
