/*
** ordered.h: design `ordered`: one message in flight per account, so that an account's
** vouchers are applied in the order its payments committed (issue 14, per-key ordering).
**
** Why this shape and not sequence numbers checked by the consumer: it needs nothing of
** the wire, the broker or accounting (no new field, no per-account state in the inbox),
** only the producer's own rows, and it holds whatever the broker and the network do
** (drops, delays, duplicates, redeliveries): a message leaves only once every earlier
** message of its account is settled (CONSUMED or FAILED), and an answer is only sent
** after accounting's inbox row committed, so the earlier voucher is already applied.
** Its cost: an account's messages travel one round trip apart (measured in `make bench`).
**
** The rules, all in the payment database:
**   - pay(): a new row whose account has an earlier row SENDING or DEAD is *held*: it
**     is written with attempts 0 and due at once, not published, and noted ("hold");
**   - an answer that settles a row (CONSUMED, FAILED) *releases* the account's next
**     row if it is held: published as attempt 1 and rescheduled like a first
**     publication, noted ("release");
**   - the scan reads only rows that no earlier unsettled row of their account blocks
**     (OX_ORDERED_SCAN_SQL), so a held row whose release was lost (a crash between the
**     answer's COMMIT and the release) is published by the next scan, as attempt 1;
**   - its own failure mode: a DEAD row blocks its account until an operator requeues it
**     (outbox-ctl requeue) or a late answer settles it; its alert says how many later
**     messages of the account it blocks (Axon's sequenced dead-letter queue).
** A held row waiting behind a DEAD one is *blocked*: it is not lost, it waits for the
** operator like the DEAD row itself, so the simulator's quiet probe does not count it
** as work left (OX_ORDERED_PENDING_SQL).
**
** An index payment(account, id) is created at open (this design only), so that finding
** an account's earlier rows does not read the whole payment table.
**
** The roles layer (payment.h): called from payment.c and scan.c only; lib/relay.c uses
** OX_ORDERED_CLAIM_SQL.
*/
#ifndef OX_ORDERED_H
#define OX_ORDERED_H

#include <stddef.h>
#include <stdint.h>

#include "payment.h"

/* The scan's query under design ordered: scan.c's, minus the rows that an earlier
** SENDING or DEAD row of the same account blocks.  ?1 now, ?2 the batch. */
#define OX_ORDERED_SCAN_SQL \
    "SELECT o.id, o.payment_id, o.attempts, o.payload FROM outbox o" \
    " JOIN payment p ON p.id=o.payment_id" \
    " WHERE o.status='SENDING' AND o.next_attempt_at<=?1 AND NOT EXISTS (" \
    "SELECT 1 FROM payment p2 JOIN outbox o2 ON o2.payment_id=p2.id" \
    " WHERE p2.account=p.account AND p2.id<>p.id AND o2.id<o.id" \
    " AND o2.status IN ('SENDING', 'DEAD'))" \
    " ORDER BY o.next_attempt_at, o.id LIMIT ?2"

/* The same filter for a relay's claim (lib/relay.c, topology { relays = N }): ?1 owner,
** ?2 lease_until, ?3 now, ?4 limit, ?5 now minus the lease's margin (knob lease_skew).
** A relay that claimed a row an earlier unsettled one of its account blocks would publish
** the account out of order, as a scan without the filter would. */
#define OX_ORDERED_CLAIM_SQL \
    "UPDATE outbox SET owner=?1, lease_until=?2 WHERE id IN (SELECT o.id FROM outbox o" \
    " JOIN payment p ON p.id=o.payment_id" \
    " WHERE o.status='SENDING' AND o.next_attempt_at<=?3" \
    " AND (o.lease_until<=?5 OR o.owner=?1) AND NOT EXISTS (" \
    "SELECT 1 FROM payment p2 JOIN outbox o2 ON o2.payment_id=p2.id" \
    " WHERE p2.account=p.account AND p2.id<>p.id AND o2.id<o.id" \
    " AND o2.status IN ('SENDING', 'DEAD'))" \
    " ORDER BY o.next_attempt_at, o.id LIMIT ?4) RETURNING id, payment_id, attempts, payload"

/* Rows left to deliver under design ordered: SENDING rows, minus those blocked behind
** a DEAD row of their account (waiting for the operator, not for the system). */
#define OX_ORDERED_PENDING_SQL \
    "SELECT count(*) FROM outbox o JOIN payment p ON p.id=o.payment_id" \
    " WHERE o.status='SENDING' AND NOT EXISTS (" \
    "SELECT 1 FROM payment p2 JOIN outbox o2 ON o2.payment_id=p2.id" \
    " WHERE p2.account=p.account AND p2.id<>p.id AND o2.id<o.id AND o2.status='DEAD')"

struct ox_ordered;

/* At open, design ordered only: the index and the statements.  Returns OX_OK or an
** error (s->err says it). */
ox_status ox_ordered_open(ox_service *s);
void ox_ordered_close(ox_service *s);

/* In pay()'s transaction, after the rows are written: *held = 1 if an earlier row of
** m's account is unsettled, and then the new row is made held (attempts 0, due now). */
ox_status ox_ordered_hold(ox_service *s, const ox_msg *m, int64_t now, int *held);
/* After COMMIT, for a held row: its "hold" note. */
void ox_ordered_note_hold(ox_service *s, const ox_msg *m);

/* After an answer settled the row of payment pay_id (its change is done): publishes the
** account's next row if it is held.  An error is noted ("error") and leaves the row
** held, for the scan: the answer itself stands, and is acked. */
void ox_ordered_release(ox_service *s, uint64_t pay_id, int64_t now);

/* Appends to a DEAD row's alert text "; it blocks N later messages of account C"
** (text holds cap bytes).  Leaves text as it was if the count cannot be read. */
void ox_ordered_alert_text(ox_service *s, const ox_due *d, char *text, size_t cap);

#endif
