/*
** queue.h: one broker queue in memory: a FIFO of messages not yet delivered and the
** set of deliveries not yet acked.
**
** Invariants: ready is a ring in enqueue (= delivery id) order; flight holds at most
** fcap (= prefetch) entries, in no particular order; ready + flight never exceed
** OX_QUEUE_CAP.  Entries are copied in and out, never pointed into across calls that
** may move them (push grows the ring, remove swaps the last flight entry down).
**
** Consumers: a queue delivers to a fixed, ordered set of 1..OX_QUEUE_CONSUMERS names
** (competing consumers: PAY_QUEUE's "accounting", "accounting-2".."accounting-M").  A
** first delivery goes to the consumer whose turn it is, and the turn moves on
** (round-robin: ox_queue_take_turn); a redelivery goes to the consumer after the one
** that last had the message (ox_queue_after), so a consumer that died holding it is not
** asked again while another exists.  Both are pure functions of the queue's past:
** no hash, no pointer, no clock.  The prefetch window is the queue's, shared by all.
**
** Part of the broker's role (service.h, Layers): includes only wire.h.
*/
#ifndef OX_QUEUE_H
#define OX_QUEUE_H

#include <stdint.h>

#include "wire.h"

#define OX_QUEUE_CAP 100000u     /* messages per queue, ready + in flight */

typedef struct {
    uint64_t id;                 /* the delivery id: unique across broker restarts */
    int64_t visible_at;          /* in flight: when it is redelivered unless acked */
    uint32_t redeliveries;
    uint8_t stored;              /* it has a row in the broker's message table */
    uint8_t consumer;            /* in flight: the index of the consumer it went to last */
    ox_msg msg;
} ox_entry;

#define OX_QUEUE_CONSUMERS 16u   /* consumers per queue (= OX_MAX_INSTANCES, config.h) */
#define OX_QUEUE_CONSUMER_MAX 31 /* characters of a consumer's name */

typedef struct {
    const char *name;            /* OX_PAY_QUEUE or OX_ACC_QUEUE */
    char consumer[OX_QUEUE_CONSUMERS][OX_QUEUE_CONSUMER_MAX + 1];
    uint32_t nconsumers;         /* 1..OX_QUEUE_CONSUMERS */
    uint32_t turn;               /* the consumer the next first delivery goes to */
    ox_entry *ready;
    uint32_t rcap, rhead, rlen;
    ox_entry *flight;
    uint32_t fcap, nflight;
} ox_queue;

/* A queue delivering to the one consumer `subscriber`: 0, or -1 when out of memory. */
int ox_queue_init(ox_queue *q, const char *name, const char *subscriber, uint32_t prefetch);
/* Adds a consumer after those the queue has (init gave it its first): 0, or -1 when the
** set is full or the name too long or already there. */
int ox_queue_add_consumer(ox_queue *q, const char *name);
/* The index of the consumer the next first delivery goes to; the turn moves on. */
uint32_t ox_queue_take_turn(ox_queue *q);
/* The index of the consumer after `i` in the rotation (i itself when it is the only one). */
uint32_t ox_queue_after(const ox_queue *q, uint32_t i);
void ox_queue_free(ox_queue *q);
uint32_t ox_queue_depth(const ox_queue *q);
/* Makes room for one more ready entry: 0, or -1 if the queue is full or memory ran
** out.  After a 0, the next push cannot fail. */
int ox_queue_reserve(ox_queue *q);
/* Appends e to ready: 0, or -1 if the queue is full or memory ran out. */
int ox_queue_push(ox_queue *q, const ox_entry *e);
/* The oldest ready entry, or NULL. */
const ox_entry *ox_queue_head(const ox_queue *q);
/* Removes the oldest ready entry into *out; the queue must have one. */
void ox_queue_pop(ox_queue *q, ox_entry *out);
/* Puts e in flight (nflight < fcap) and returns its slot, valid until the next change. */
ox_entry *ox_queue_fly(ox_queue *q, const ox_entry *e);
/* The flight slot of delivery id, or -1. */
int ox_queue_find(const ox_queue *q, uint64_t id);
void ox_queue_remove(ox_queue *q, uint32_t slot);

#endif
