/*
** relay.h: a relay, the recovery scan as a process of its own (issue 14), internal to
** the library.
**
** Several relays share the payment database with the payment service, as production
** services share one database server.  The payment service (knob relays > 0) still
** writes a payment and its outbox row in one transaction, publishes at once and handles
** the answers, but never scans; each relay runs the scan on its timer:
**   - claim: ONE statement moves up to a batch of due SENDING rows whose lease is free
**     or expired (or already its own) to owner = its name (knob owner), lease_until =
**     now + lease, and returns them (a note `claim` per row); under design ordered only
**     the rows no earlier unsettled row of their account blocks (OX_ORDERED_CLAIM_SQL);
**     under resend-every-scan every SENDING row, due or not, as the scan's collect;
**   - clocks: lease_until is written from the claiming relay's clock and read against
**     another's, so a lease is over for another relay only once lease_until + lease_skew
**     <= its now (the margin, knob lease_skew: what the relays' clocks may differ by);
**     relays whose clocks differ by more than the margin can hold one row at once;
**   - publish: one claimed row per round trip (knob relay_rtt, timer OX_TIMER_RELAY), as
**     a relay that waits for the broker's confirmation before the next; before each it
**     reads the row again and publishes only while it still holds the lease (else a note
**     `lapse`); the row itself goes through ox_payment_scan_row, the scan's own code
**     (attempts, DEAD and its alert, the reschedule); then the lease is released (a note
**     `release`: lease_until 0, the row is free at once);
**   - it claims only what it can publish within half its lease, so a live relay never
**     lets a claim lapse;
**   - then, on the same timer, the scan's cleanup (knob cleanup_after,
**     ox_payment_cleanup), which the payment service no longer runs.
** A crashed or paused relay's rows come back when its lease runs out.  The columns
** outbox.owner and outbox.lease_until are added by the first relay that opens the file
** (ALTER TABLE), so a database no relay opened is byte for byte what it was.
** Weak designs: relay-no-lease (claims every due row, held or not, and publishes its
** batch without reading it again), relay-short-lease (the lease is half a round trip,
** and the batch is not sized to it), relay-zombie (claims with a lease, then publishes
** its batch without reading it again, whether or not the lease still holds),
** relay-skewed-clock (trusts its own clock: takes another owner's row as soon as its
** lease_until has passed on its own clock, no margin, so a skew smaller than lease_skew
** already lets two relays hold one row).
**
** The roles layer (service.h, Layers): includes svc.h and payment.h (its rows are the
** payment's), never service.h.
*/
#ifndef OX_RELAY_H
#define OX_RELAY_H

#include <sqlite3.h>

#include "svc.h"

struct ox_relay {
    sqlite3_stmt *claim, *holder, *release;
    int n, next;                 /* rows claimed into s->pay->due, the next to publish */
    int64_t batch_pay;           /* design alert-stale-payment, per claimed batch */
};

ox_status ox_relay_open(ox_service *s);
void ox_relay_close(ox_service *s);
ox_status ox_relay_start(ox_service *s);
ox_status ox_relay_on_timer(ox_service *s, int id);
/* The lease this relay writes: knob lease, or half of relay_rtt (relay-short-lease). */
int64_t ox_relay_lease_ms(const ox_config *c);
/* How long past another owner's lease_until (on that owner's clock) this relay waits, on
** its own clock, before it takes the row: knob lease_skew, or 0 (relay-skewed-clock). */
int64_t ox_relay_margin_ms(const ox_config *c);

#endif
