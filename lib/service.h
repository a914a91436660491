/*
** service.h: the three services of the local message table pattern, as embeddable
** state machines over their own SQLite databases.
**
**   payment     pay(): the payment row and its outbox row (status SENDING) in ONE
**               transaction; after COMMIT it publishes the message to PAY_QUEUE.  A
**               recovery scan (timer) republishes due SENDING rows, pushing each next
**               attempt out by a growing interval; after max_attempts the row becomes
**               DEAD and an alert row is written.  On ACC_QUEUE: CONSUMED marks the row
**               CONSUMED; CONSUME_FAILED marks it FAILED and refunds the payment, in one
**               transaction.  Both idempotent.
**   accounting  On PAY_QUEUE: records the msg id in its inbox and, if new, the voucher,
**               in ONE transaction (or refuses: frozen account / invalid amount).  Then
**               publishes CONSUMED (also for a duplicate) or CONSUME_FAILED to ACC_QUEUE
**               and acks (DACK) the delivery.
**   broker      Queues PAY_QUEUE (subscriber "accounting") and ACC_QUEUE (subscriber
**               "payment").  At-least-once: a delivery stays until DACKed and is
**               redelivered after the visibility timeout; at-most-once: forgotten once
**               sent.  In memory (lost on crash) or durable (its SQLite file).
**
** Lifecycle: ox_service_open() opens or creates the database (refusing a database of
** another program or another role) and recovers; ox_service_start() arms timers (call
** it once per process start); then any number of on_frame/on_timer/pay calls, one at a
** time; ox_service_close().  No global state: several services may live in one process.
**
** Failpoints passed to io->failpoint, in the order a payment's life meets them:
**   payment.after_commit        payment + outbox row committed, client not yet answered
**   payment.after_publish       first publication sent, not yet returned
**   payment.before_commit       publish-in-tx only: published, transaction still open
**   payment.scan_after_publish  recovery scan republished a row, not yet rescheduled
**   broker.after_accept         broker decoded a PUBLISH, not yet enqueued
**   accounting.after_apply      inbox + voucher committed, CONSUMED not yet sent
**   accounting.after_ack        CONSUMED sent and delivery acked
**   payment.after_consumed      payment marked the row CONSUMED/FAILED, not yet acked
** ox_service_failpoints() lists them for tools.
**
** Timer ids (io.h): payment uses OX_TIMER_SCAN; broker uses OX_TIMER_REDELIVER;
** accounting uses OX_TIMER_PURGE (only with inbox_retention > 0); a relay (role
** OX_ROLE_RELAY, on the payment database: relay.h) OX_TIMER_SCAN and OX_TIMER_RELAY.
**
** Group commit (payment and accounting only).  Between ox_service_group_begin() and
** ox_service_group_end() the service runs inside one database transaction: each call
** (on_frame, on_timer) still succeeds or fails alone (its transaction becomes a
** savepoint of the group's), but only ox_service_group_end() commits, so N frames cost
** one COMMIT.  The contract for the host:
**   - until group_end returns OX_OK nothing of the group is durable, so the host holds
**     every io->send it is asked for during the group, and releases them, in order,
**     only after group_end returned OX_OK.  If group_end fails it drops them: nothing
**     was committed, and the peers retry (the broker redelivers what was not acked,
**     the payment's recovery scan republishes what was not marked CONSUMED);
**   - the same holds for ox_service_pay() inside a group: its OX_OK means "committed
**     with the group", so the host holds the client's answer like a send (the live host
**     never groups payments: its clients wait on a REP socket; the simulator's node
**     answers a batch only after its group committed);
**   - events and failpoints inside a group mark the same places in a frame's logic as
**     outside one, but "committed" there means "part of the group";
**   - a group is closed by group_end before ox_service_close() (close rolls it back).
** The broker refuses groups (OX_ERR_ROLE): its queues live in memory, which a failed
** group could not roll back.
**
** Layers.  lib/ is built in four layers; a file includes and calls only its own
** layer and those below it, never one above:
**   service.c    this header: lifecycle, and the dispatch of every call to the role
**   roles        payment.c + scan.c (payment.h), accounting.c (accounting.h),
**                broker.c + brokerdb.c + queue.c (broker.h, queue.h)
**   helpers      svc.c (svc.h): the service's inside and the only way the roles reach
**                their host (send, publish, ack, timers, events, failpoints)
**   foundations  store.c (SQLite), wire.c + codec.c (frames), config.c, retry.c,
**                prng.c, clock.c, role.c, and the headers io.h, status.h, schema.h
** So a call goes down: ox_service_pay -> ox_payment_pay -> ox_payment_publish ->
** ox_svc_publish -> ox_wire_publish, ox_wire_encode; and nothing in a role or below
** knows service.c exists.  A role never calls another role: the broker stands between them.
*/
#ifndef OX_SERVICE_H
#define OX_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "io.h"
#include "role.h"
#include "status.h"

typedef struct ox_service ox_service;

/* The room a reason needs: a database path of up to 1023 bytes and what failed after it
** (svc.h's OX_ERR_MAX, asserted equal in service.c).  A shorter err cuts the reason off. */
#define OX_SERVICE_ERR_MAX (1024 + 512)

/* Opens the service's database at `db_path` (created if missing).  On failure returns
** NULL and a one-line reason in err (OX_SERVICE_ERR_MAX bytes hold any). `cfg` and `io`
** are copied. */
ox_service *ox_service_open(ox_role role, const char *db_path, const ox_config *cfg,
                            const ox_io *io, char *err, size_t errlen);
/* Arms the service's timers (payment: first scan; broker: redelivery). */
ox_status ox_service_start(ox_service *s);
/* A frame arrived from peer `from`.  A rejected frame changes nothing. */
ox_status ox_service_on_frame(ox_service *s, const char *from, const uint8_t *bytes,
                              size_t len);
/* Timer `id` fired. */
ox_status ox_service_on_timer(ox_service *s, int id);
/* payment only: pay `amount` cents from `account` as payment `pay_id` (the client's
** idempotency key: paying the same id again returns OX_OK and changes nothing).
** OX_OK means committed. */
ox_status ox_service_pay(ox_service *s, uint64_t pay_id, uint32_t account, int64_t amount);
/* Group commit (see above).  group_begin: BEGIN IMMEDIATE; no group may be open.
** group_end: COMMIT; on failure it rolls the whole group back and returns OX_ERR_DB
** with the reason in ox_service_error().  No transaction is open after group_end. */
ox_status ox_service_group_begin(ox_service *s);
ox_status ox_service_group_end(ox_service *s);
/* The last error's one-line description. */
const char *ox_service_error(const ox_service *s);
void ox_service_close(ox_service *s);

/* NULL-terminated list of every failpoint name above. */
const char *const *ox_service_failpoints(void);

#endif
