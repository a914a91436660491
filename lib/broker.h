/*
** broker.h: the message broker (the MQ), internal to the library.
**
** Two queues, PAY_QUEUE (consumers "accounting", and "accounting-2".."accounting-M"
** under knob accounting_instances = M: competing consumers, broker.c) and ACC_QUEUE
** (consumer "payment").  A PUBLISH is enqueued and delivered in FIFO order while the queue has
** fewer than `prefetch` unacked deliveries.
**   at-least-once: a delivery stays in flight until its DACK; after `visibility` it
**     is redelivered (redeliveries + 1) by the OX_TIMER_REDELIVER timer.
**   at-most-once: a message is forgotten as it is sent.
** Memory queues are lost with the process; durable=1 (at-least-once) keeps each
** message in the `message` table from enqueue to DACK and restores it on open.
**
** Delivery ids are incarnation << 32 | sequence, where the incarnation is a counter in
** the broker database's `meta` table, bumped at every open: an id is never reused,
** so a DACK that was in the network when the broker restarted cannot ack a message
** it did not deliver.
**
** The roles layer (service.h, Layers): includes svc.h, queue.h and the foundations,
** never service.h; service.c calls in, and nothing here calls back up.
*/
#ifndef OX_BROKER_H
#define OX_BROKER_H

#include <sqlite3.h>

#include "queue.h"
#include "svc.h"

#define OX_NQUEUES 2

typedef struct { uint64_t id; uint32_t slot; } ox_expired;

struct ox_broker {
    ox_queue q[OX_NQUEUES];
    uint64_t incarnation;        /* < 2^31, so ids stay positive as SQLite integers */
    uint32_t seq;                /* last sequence number given out in this incarnation */
    int64_t timer_at;            /* when the pending REDELIVER timer fires; -1: none */
    ox_expired *expired;         /* prefetch slots: a scan's expired deliveries */
    sqlite3_stmt *bump, *ins_msg, *del_msg, *upd_msg, *load;
};

ox_status ox_broker_open(ox_service *s);
void ox_broker_close(ox_service *s);
ox_status ox_broker_start(ox_service *s);
ox_status ox_broker_on_frame(ox_service *s, const char *from, const ox_frame *f);
ox_status ox_broker_on_timer(ox_service *s, int id);

/* brokerdb.c: the broker's SQLite side. */
ox_status ox_brokerdb_prepare(ox_service *s);
ox_status ox_brokerdb_bump(ox_service *s);
ox_status ox_brokerdb_insert(ox_service *s, const ox_queue *q, const ox_entry *e);
ox_status ox_brokerdb_delete(ox_service *s, uint64_t id);
ox_status ox_brokerdb_update(ox_service *s, const ox_entry *e);
/* Restores every stored message into its queue, ready, in id order. */
ox_status ox_brokerdb_load(ox_service *s, uint32_t *restored);

#endif
