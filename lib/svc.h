/*
** svc.h: the inside of an ox_service and the helpers the roles call, shared by
** service.c and the role files (payment.c, scan.c, accounting.c, broker.c,
** brokerdb.c).  Not part of the public API.
**
** The helpers layer (service.h, Layers): below the roles, above the foundations.  It
** includes store.h, wire.h, io.h and the leaves, never service.h or a role's header,
** and svc.c calls nothing above it; so the roles call down into it and service.c
** calls down into the roles, and no call goes back up.
**
** An ox_service owns everything the library keeps: its copy of the config and io
** table, its database, its jitter PRNG, its last error, and the state of its one
** role (exactly one of pay/acc/brk is set; a relay has rel and pay).  There is no state
** anywhere else.
**
** The helpers here (svc.c) are the only way the roles talk to their host: they send
** encoded frames, set timers, report events, pass failpoints and ask injection sites,
** and they tolerate a host that leaves a callback NULL.  The frames themselves are
** built by wire.h's constructors (ox_wire_publish, ox_wire_deliver, ox_wire_dack).
*/
#ifndef OX_SVC_H
#define OX_SVC_H

#include <stdint.h>

#include "config.h"
#include "io.h"
#include "prng.h"
#include "role.h"
#include "status.h"
#include "store.h"
#include "wire.h"

/* A service's last error: the database's path (up to OX_PATH_MAX) and the reason after
** it, so that no path is long enough to cut the reason off. */
#define OX_ERR_MAX (OX_PATH_MAX + 512)
#define OX_DETAIL_MAX_LEN 160

/* The same typedef as service.h's (C11 allows the repetition): the roles see the
** struct without including the layer above them. */
typedef struct ox_service ox_service;

struct ox_payment;
struct ox_accounting;
struct ox_broker;
struct ox_relay;

struct ox_service {
    ox_role role;
    ox_config cfg;
    ox_io io;
    ox_store store;
    ox_prng prng;               /* retry jitter: seeded from cfg.seed only */
    char err[OX_ERR_MAX];
    struct ox_payment *pay;
    struct ox_accounting *acc;
    struct ox_broker *brk;
    struct ox_relay *rel;       /* role relay: with pay, whose rows it scans (relay.h) */
};

#if defined(__GNUC__)
#define OX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OX_PRINTF(a, b)
#endif

/* Records a one-line error and returns `st`. */
ox_status ox_svc_fail(ox_service *s, ox_status st, const char *fmt, ...) OX_PRINTF(3, 4);
/* Reports an event to the host (kind: one word; detail: deterministic text). */
void ox_svc_event(ox_service *s, const char *kind, uint64_t pay, const char *fmt, ...)
    OX_PRINTF(4, 5);
/* Rejects a frame: sets the error, reports a "reject" event, returns OX_ERR_FRAME. */
ox_status ox_svc_reject(ox_service *s, const char *from, uint64_t pay, const char *fmt, ...)
    OX_PRINTF(4, 5);
void ox_svc_failpoint(ox_service *s, const char *name);
/* Nonzero when the host injects a fault at `site` (io.h, OX_SITE_*); 0 without a hook. */
static inline int ox_svc_inject(ox_service *s, const char *site) {
    return s->io.inject != NULL && s->io.inject(s->io.ctx, site) != 0;
}
/* Encodes f and sends it to `to`.  Our own frames always encode; a failure is a bug. */
void ox_svc_send(ox_service *s, const char *to, const ox_frame *f);
void ox_svc_timer(ox_service *s, int id, int64_t delay_ms);

/* Sends the broker a PUBLISH of msg on queue (ox_wire_publish). */
void ox_svc_publish(ox_service *s, const char *queue, const ox_msg *msg);
/* Sends the broker a DACK of `delivery` on queue (ox_wire_dack). */
void ox_svc_dack(ox_service *s, const char *queue, uint64_t delivery);

#endif
