/*
** hbroker.h: the broker's history checks (history.h): broker_redelivery,
** dack_names_delivery, delivered_until_acked.
**
** It keeps the messages the broker holds (accepted, not yet acked), keyed by delivery id,
** in an open-addressing table that doubles at half full, up to HBROKER_CAP slots: the
** broker holds at most OX_QUEUE_CAP messages per queue, so the table follows what is in
** flight, never the run's length.  A restart of in-memory queues empties it (the crash
** took them); a durable restart keeps it (restart_state compares it with what the broker
** restored).
** Redelivery timing is judged on virtual time, not from a clock fault naming the broker on.
**
** delivered_until_acked (at-least-once) is judged at the history's end, on what the table
** still holds: a message in flight must have been sent again within twice the visibility
** timeout of its last sending, and a ready one delivered while its queue's window had
** room, both counted from the broker's last disturbance (a fault naming it, its restart,
** a resume, the heal).  Nothing is owed by a broker down or paused at the end, and a
** message held at a power cut of the broker is never owed (its fate is indefinite).  What
** a crash of in-memory queues or broker.lose took is not in the table.  At most once is
** judged as it goes: each queue sends in delivery id order, once.
** dack_names_delivery also holds the broker to its ids: each enqueue's is larger than
** every one before (broker.h: never reused, so a DACK from before a restart cannot ack
** a later message), except after a power cut of the broker (its counter is indefinite).
*/
#ifndef SIM_HBROKER_H
#define SIM_HBROKER_H

#include <stdint.h>

#include "history.h"

#define HBROKER_CAP (1u << 18)   /* slots: > 2 queues x OX_QUEUE_CAP, a power of two */

typedef struct hbroker hbroker;

hbroker *hbroker_new(const history_conf *conf);   /* NULL: out of memory */
void hbroker_event(hbroker *b, history_sink *s, const history_ev *e);
/* Messages the history says the broker holds now (for restart_state). */
uint32_t hbroker_held(const hbroker *b);
/* Judges delivered_until_acked on what the broker still owes (call once, at the end). */
void hbroker_end(hbroker *b, history_sink *s);
void hbroker_free(hbroker *b);

#endif
