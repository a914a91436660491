/*
** svc.h: the inside of an ox_service, shared by service.c and the three role files
** (payment.c, accounting.c, broker.c).  Not part of the public API.
**
** An ox_service owns everything the library keeps: its copy of the config and io
** table, its database, its jitter PRNG, its last error, and the state of its one
** role (exactly one of pay/acc/brk is set).  There is no state anywhere else.
**
** The helpers here are the only way the roles talk to their host: they send
** encoded frames, set timers, report events, pass failpoints and ask injection sites,
** and they tolerate a host that leaves a callback NULL.
*/
#ifndef OX_SVC_H
#define OX_SVC_H

#include <stdint.h>

#include "prng.h"
#include "service.h"
#include "store.h"

#define OX_ERR_MAX 512
#define OX_DETAIL_MAX_LEN 160

struct ox_payment;
struct ox_accounting;
struct ox_broker;

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

/* A PUBLISH frame of msg on queue. */
void ox_svc_publish(ox_service *s, const char *queue, const ox_msg *msg);
/* A DACK of `delivery` on queue. */
void ox_svc_dack(ox_service *s, const char *queue, uint64_t delivery);

#endif
