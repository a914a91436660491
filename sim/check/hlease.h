/*
** hlease.h: the relays' lease checks (history.h), judged only when relay processes ran
** (knob relays > 0, topology { relays = N }):
**   lease_held       a relay publishes (or dead-letters) a row only while it holds an
**                    unexpired lease on it, and each lease it writes is the length the
**                    knobs and the design declare (lib/relay.h, ox_relay_lease_ms), and
**                    it releases only a lease it holds (not one another relay took since);
**   lease_exclusive  two relays never hold one row at once (excused when a clock fault
**                    named one of the two and the taker's clock ran ahead of the holder's
**                    by more than knob lease_skew, the margin the leases are sized for);
**   owned_then_sent  a live relay that claimed a row publishes it before its lease runs
**                    out ("a row owned and never sent"): a claim that lapses with no
**                    publication, while its relay neither crashed, restarted nor paused
**                    and the row was still unsettled, is the silent backlog of a stale
**                    owner; and a relay gives the lease back in the step that published
**                    the row (a publication whose step has no release of it, unless the
**                    step crashed or failed, leaves the row owned for nothing).
** From the relays' notes (lib/relay.h; formats in history.h): claim "msg M claimed by O
** at N until U" (N and U on the relay's clock, ms), publish, dead, release, lapse; and the
** payment's consumed/failed.  Times are judged in virtual time: a claim's expiry is its
** line's time plus U - N, so a relay whose clock is off is judged by the true time, as
** the other relays live it.
**
** Memory: one record per message (sized by the workload, like the other checks) and a
** disruption count per node slot.
*/
#ifndef SIM_HLEASE_H
#define SIM_HLEASE_H

#include "history.h"

typedef struct hlease hlease;

hlease *hlease_new(const history_conf *conf);   /* NULL: out of memory */
void hlease_event(hlease *l, history_sink *s, const history_ev *e);
/* The claims still open at the end of the trace, judged at its last time. */
void hlease_end(hlease *l, history_sink *s);
void hlease_free(hlease *l);

#endif
