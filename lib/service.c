/*
** service.c: the public entry points of service.h.
**
** The top layer of lib/ (service.h, Layers).  This file owns the lifecycle (open,
** start, close) and the dispatch of calls to the role: every frame is decoded here
** once, so a frame that fails ox_wire_decode is rejected before any role sees it, and
** a role only ever handles well-formed frames.  It calls down into the roles and the
** helpers of svc.c; nothing below calls back up into it.
*/
#include "service.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svc.h"
#include "accounting.h"
#include "broker.h"
#include "payment.h"
#include "relay.h"

_Static_assert(OX_SERVICE_ERR_MAX == OX_ERR_MAX, "service.h promises the room svc.h gives");

/* ---- failpoints ---- */

static const char *const FAILPOINTS[] = {
    "payment.after_commit",
    "payment.after_publish",
    "payment.before_commit",
    "payment.scan_after_publish",
    "broker.after_accept",
    "accounting.after_apply",
    "accounting.after_ack",
    "payment.after_consumed",
    NULL,
};

const char *const *ox_service_failpoints(void) { return FAILPOINTS; }

/* ---- lifecycle ---- */

static ox_status role_open(ox_service *s) {
    switch (s->role) {
    case OX_ROLE_PAYMENT: return ox_payment_open(s);
    case OX_ROLE_ACCOUNTING: return ox_accounting_open(s);
    case OX_ROLE_BROKER: return ox_broker_open(s);
    case OX_ROLE_RELAY: return ox_relay_open(s);
    }
    return ox_svc_fail(s, OX_ERR_ROLE, "unknown role %d", (int)s->role);
}

static void role_close(ox_service *s) {
    if (s->rel) ox_relay_close(s);
    if (s->pay) ox_payment_close(s);
    if (s->acc) ox_accounting_close(s);
    if (s->brk) ox_broker_close(s);
}

/* A config filled in by hand rather than through ox_config_set gets the same range
** checks, so the roles may assert them. */
static const char *config_problem(const ox_config *c) {
    if ((unsigned)c->design >= OX_DESIGN_COUNT) return "design";
    if ((unsigned)c->retry > OX_RETRY_EXPONENTIAL) return "retry";
    if (c->retry_base_ms <= 0) return "retry_base";
    if (c->retry_max_ms <= 0) return "retry_max";
    if (!(c->jitter >= 0.0 && c->jitter <= 1.0)) return "jitter";
    if (c->max_attempts < 1 || c->max_attempts > 1000) return "max_attempts";
    if (c->scan_interval_ms <= 0) return "scan_interval";
    if (c->scan_batch < 1 || c->scan_batch > 10000) return "scan_batch";
    if ((unsigned)c->delivery > OX_AT_MOST_ONCE) return "delivery";
    if (c->durable != 0 && c->durable != 1) return "durable";
    if (c->visibility_ms <= 0) return "visibility";
    if (c->prefetch < 1 || c->prefetch > 10000) return "prefetch";
    if ((unsigned)c->synchronous > OX_SYNC_EXTRA) return "synchronous";
    if ((unsigned)c->journal_mode > OX_JOURNAL_DELETE) return "journal_mode";
    if (c->durable_send != 0 && c->durable_send != 1) return "durable_send";
    if (c->max_amount <= 0) return "max_amount";
    if (c->nfrozen < 0 || c->nfrozen > OX_MAX_FROZEN) return "frozen";
    if (c->cleanup_after_ms < 0) return "cleanup_after";
    if (c->inbox_retention_ms < 0) return "inbox_retention";
    if ((unsigned)c->completion > OX_COMPLETE_ARCHIVE) return "completion";
    if (c->relays < 0 || c->relays > 8) return "relays";
    if (c->lease_ms <= 0) return "lease";
    if (c->relay_rtt_ms <= 0) return "relay_rtt";
    if (c->owner[0] == '\0' || memchr(c->owner, '\0', sizeof c->owner) == NULL) return "owner";
    return NULL;
}

ox_service *ox_service_open(ox_role role, const char *db_path, const ox_config *cfg,
                            const ox_io *io, char *err, size_t errlen) {
    assert(db_path);
    assert(cfg);
    assert(io);
    assert(err);
    assert(errlen > 0);
    if ((unsigned)role >= OX_ROLE_COUNT) {
        snprintf(err, errlen, "unknown role %d", (int)role);
        return NULL;
    }
    ox_config mine = *cfg;
    ox_config_resolve(&mine, role);   /* "payment.synchronous=full" and the like */
    const char *bad = config_problem(&mine);
    if (bad) {
        snprintf(err, errlen, "%s: config knob %s out of range (see config.h)", db_path, bad);
        return NULL;
    }
    ox_service *s = calloc(1, sizeof *s);
    if (!s) { snprintf(err, errlen, "%s: out of memory", db_path); return NULL; }
    s->role = role;
    s->cfg = mine;
    s->io = *io;
    /* One stream per purpose, so that a new use of randomness never shifts jitter. */
    ox_prng_seed(&s->prng, ox_prng_derive(cfg->seed, 1));
    /* a relay opens the payment's database: its schema and its identity */
    ox_role store_role = role == OX_ROLE_RELAY ? OX_ROLE_PAYMENT : role;
    ox_status st = ox_store_open(&s->store, store_role, db_path, &s->cfg, s->err, sizeof s->err);
    if (st == OX_OK) st = role_open(s);
    if (st != OX_OK) {
        snprintf(err, errlen, "%s", s->err);
        ox_service_close(s);
        return NULL;
    }
    return s;
}

void ox_service_close(ox_service *s) {
    if (!s) return;
    role_close(s);
    ox_store_close(&s->store);
    free(s);
}

const char *ox_service_error(const ox_service *s) { return s ? s->err : "no service"; }

/* The "config" note, first of a START: what this service runs with, as
** ox_config_format spells it.  Longer than ox_svc_event's details, so said directly. */
static void say_config(ox_service *s) {
    char text[OX_CONFIG_TEXT_MAX + 1];
    int n = ox_config_format(&s->cfg, s->role, text, sizeof text);
    assert(n > 0);   /* OX_CONFIG_TEXT_MAX holds every configuration */
    if (s->io.event) s->io.event(s->io.ctx, "config", 0, text);
}

ox_status ox_service_start(ox_service *s) {
    assert(s);
    say_config(s);
    switch (s->role) {
    case OX_ROLE_PAYMENT: return ox_payment_start(s);
    case OX_ROLE_BROKER: return ox_broker_start(s);
    case OX_ROLE_ACCOUNTING: return ox_accounting_start(s);   /* a timer only to purge */
    case OX_ROLE_RELAY: return ox_relay_start(s);
    }
    return OX_ERR_ROLE;
}

/* ---- calls ---- */

/* "truncated header" and "truncated body" are one wire code; the length tells which. */
static const char *decode_why(ox_wire_err e, size_t len) {
    if (e == OX_WIRE_TRUNCATED)
        return len < OX_FRAME_HEADER ? "truncated header" : "truncated body";
    return ox_wire_strerror(e);
}

ox_status ox_service_on_frame(ox_service *s, const char *from, const uint8_t *bytes, size_t len) {
    assert(s);
    assert(bytes || len == 0);
    if (!from) from = "?";
    ox_frame f;
    ox_wire_err e = ox_wire_decode(bytes, len, &f);
    if (e != OX_WIRE_OK)
        return ox_svc_reject(s, from, 0, "%s (%zu bytes)", decode_why(e, len), len);
    switch (s->role) {
    case OX_ROLE_PAYMENT: return ox_payment_on_frame(s, from, &f);
    case OX_ROLE_ACCOUNTING: return ox_accounting_on_frame(s, from, &f);
    case OX_ROLE_BROKER: return ox_broker_on_frame(s, from, &f);
    case OX_ROLE_RELAY: return ox_svc_reject(s, from, 0, "relay: takes no frames");
    }
    return OX_ERR_ROLE;
}

ox_status ox_service_on_timer(ox_service *s, int id) {
    assert(s);
    switch (s->role) {
    case OX_ROLE_PAYMENT: return ox_payment_on_timer(s, id);
    case OX_ROLE_BROKER: return ox_broker_on_timer(s, id);
    case OX_ROLE_ACCOUNTING: return ox_accounting_on_timer(s, id);
    case OX_ROLE_RELAY: return ox_relay_on_timer(s, id);
    }
    return ox_svc_fail(s, OX_ERR_ROLE, "%s: no timer %d", ox_role_name(s->role), id);
}

ox_status ox_service_pay(ox_service *s, uint64_t pay_id, uint32_t account, int64_t amount) {
    assert(s);
    if (s->role != OX_ROLE_PAYMENT)
        return ox_svc_fail(s, OX_ERR_ROLE, "%s: pay() is for the payment service",
                           ox_role_name(s->role));
    ox_status r = ox_payment_pay(s, pay_id, account, amount);
    /* The host answers OK after we return: under durable_send only once it is durable. */
    return r == OX_OK ? ox_store_barrier(&s->store) : r;
}

/* ---- group commit ---- */

ox_status ox_service_group_begin(ox_service *s) {
    assert(s);
    assert(!ox_store_in_group(&s->store));
    if (s->role == OX_ROLE_BROKER)
        return ox_svc_fail(s, OX_ERR_ROLE, "broker: no group commit (its queues live in memory,"
                           " which a failed group could not roll back)");
    return ox_store_group_begin(&s->store);
}

ox_status ox_service_group_end(ox_service *s) {
    assert(s);
    assert(ox_store_in_group(&s->store));
    return ox_store_group_end(&s->store);
}
