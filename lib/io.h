/*
** io.h: what a service needs from the program that hosts it.
**
** The library's services (service.h) do not own sockets, timers or threads.  They
** react to calls (a frame arrived, a timer fired, a client wants to pay) and ask their
** host for what they want done through this table.  A daemon implements it with ZeroMQ
** sockets and a poll loop; a test implements it by recording calls.  The services read
** the wall clock with ordinary libc calls (clock_gettime(CLOCK_REALTIME)).
**
** Every callback is invoked synchronously, from inside a service call, on the
** caller's thread.  `send` and `set_timer` must not call back into the service.
**
** The foundations layer (service.h, Layers): includes only wire.h.
*/
#ifndef OX_IO_H
#define OX_IO_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef struct ox_io {
    void *ctx;
    /* Send one encoded frame to the peer named `to` ("broker", "payment",
    ** "accounting").  Fire and forget: the network may lose, duplicate or delay it.
    ** `f` is the same frame decoded, for hosts that route or log by its fields. */
    void (*send)(void *ctx, const char *to, const uint8_t *bytes, size_t len,
                 const ox_frame *f);
    /* Call the service's on_timer(id) once, `delay_ms` from now.  Setting a timer
    ** id again replaces the pending one.  delay_ms >= 0. */
    void (*set_timer)(void *ctx, int id, int64_t delay_ms);
    /* Something an operator or a trace reader would want to see: `kind` is one short
    ** word ("commit", "publish", "scan", "dead", "apply", "duplicate", ...), `pay` the
    ** payment id it concerns (0 for none), `detail` a short human sentence. */
    void (*event)(void *ctx, const char *kind, uint64_t pay, const char *detail);
    /* A named failpoint (service.h lists them) was reached.  NULL in production.  A
    ** test host may crash the process here, so the service must be at a state a real
    ** crash could leave. */
    void (*failpoint)(void *ctx, const char *name);
    /* BUGGIFY-style fault injection.  NULL in production, and then no fault is ever
    ** injected.  The service asks at a named injection site (OX_SITE_* below) whether
    ** to take the injected fault path there; nonzero means yes.  The fault path is
    ** always one a real system can take (a broker that loses what it accepted), never
    ** a corruption of the service's own invariants. */
    int (*inject)(void *ctx, const char *site);
} ox_io;

/* Injection sites, each "<role>.<what>":
**   broker.lose   the broker accepted a PUBLISH (after broker.after_accept) and loses
**                 it instead of enqueueing it: event "lost_inside", nothing stored,
**                 nothing delivered, nothing sent back (internal loss in the MQ). */
#define OX_SITE_BROKER_LOSE "broker.lose"
/*   payment.rollback     a payment transaction's writes are done and a business rule
**                        fails before COMMIT (BUGGIFY's injected error): the transaction
**                        rolls back, event "rollback".  Asked in pay() after the payment
**                        and outbox rows (and, publish-in-tx, after the publication): the
**                        client is told FAILED; and in the scan's dead-letter transaction
**                        after the DEAD row and its alert: the row stays SENDING, the next
**                        scan tries again.
**   accounting.rollback  the same in accounting's apply, after the inbox row and the
**                        voucher: nothing is answered or acked, the broker redelivers. */
#define OX_SITE_PAYMENT_ROLLBACK "payment.rollback"
#define OX_SITE_ACCOUNTING_ROLLBACK "accounting.rollback"

/* Timer ids, as set_timer passes them and ox_service_on_timer takes them back. */
#define OX_TIMER_SCAN 1          /* payment: the recovery scan (scan.c) */
#define OX_TIMER_REDELIVER 2     /* broker: in-flight deliveries past visibility */
#define OX_TIMER_PURGE 3         /* accounting: the inbox purge (knob inbox_retention) */
#define OX_TIMER_RELAY 4         /* relay: publish the next claimed row (lib/relay.h) */

#endif
