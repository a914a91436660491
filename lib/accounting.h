/*
** accounting.h: the accounting service (the consumer), internal to the library.
**
** On a PAYMENT delivered from PAY_QUEUE it records the message id in its inbox and,
** unless the business rules refuse it, writes the voucher, in ONE transaction; then
** it answers on ACC_QUEUE (CONSUMED, or CONSUME_FAILED with the reason) and acks the
** delivery.  A message id already in the inbox is a duplicate: nothing is written
** and the stored outcome is answered again, so a lost answer is repaired by the
** producer's next publication.
**
** Competing consumers: several accounting processes (instances) may open one database
** and take deliveries of one queue (broker.h).  The inbox's primary key on msg_id, read
** and written inside one BEGIN IMMEDIATE transaction (store.c), is what keeps a message
** applied once across them: SQLite's write lock serializes the instances, and the second
** to take a message finds the first's row.  Design dedupe-per-instance keeps the ids in
** the process's memory instead (struct ox_accounting, never global): a redelivery to
** another instance, or to the same one after a restart, is applied again.
**
** The roles layer (service.h, Layers): includes svc.h and the foundations below it,
** never service.h; service.c calls in, and nothing here calls back up.
*/
#ifndef OX_ACCOUNTING_H
#define OX_ACCOUNTING_H

#include <sqlite3.h>

#include "svc.h"

/* Design dedupe-per-instance: the message ids this process applied or refused, newest
** last, in a ring of OX_SEEN_MAX (the oldest is forgotten first). */
#define OX_SEEN_MAX 65536u

struct ox_accounting {
    sqlite3_stmt *find_inbox, *ins_inbox, *replace_inbox, *ins_voucher;
    sqlite3_stmt *purge;       /* knob inbox_retention */
    uint64_t *seen;            /* dedupe-per-instance only: OX_SEEN_MAX ids, else NULL */
    uint32_t seen_head, nseen; /* the ring: oldest at seen_head, nseen <= OX_SEEN_MAX */
};

ox_status ox_accounting_open(ox_service *s);
void ox_accounting_close(ox_service *s);
ox_status ox_accounting_on_frame(ox_service *s, const char *from, const ox_frame *f);

/* Inbox retention (knob inbox_retention > 0): start arms OX_TIMER_PURGE every
** scan_interval; each purge deletes, in a transaction of its own, at most scan_batch inbox
** rows received longer ago than the retention (by the service's clock), and notes how many.
** A message id forgotten that way is new again: retention must outlast the longest
** redelivery (every publication the producer may still make), or a late copy is applied
** twice.  With retention 0 (the default) no timer is armed and nothing changes. */
ox_status ox_accounting_start(ox_service *s);
ox_status ox_accounting_on_timer(ox_service *s, int id);

#endif
