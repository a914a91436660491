/*
** config.h: which outbox design a service runs, and its knobs.
**
** A design is the seed's full pattern (`outbox`) or one of the deliberately weaker
** variants that real systems ship (docs/design.md).  Knobs tune it.  Every knob has a
** default and a "key=value" spelling, so a command line, a scenario and a test set
** them the same way:
**
**   key              values (default)                     who reads it
**   retry            linear | exponential (linear)        payment scan
**   retry_base       seconds > 0 (2)                      payment scan: attempt n waits
**                                                         base*n (linear) or base*2^(n-1)
**   retry_max        seconds > 0 (60)                     payment scan: cap on one interval
**   jitter           0..1 (0): +-fraction of each interval payment scan
**   max_attempts     1..1000 (8): publications before DEAD payment scan
**   scan_interval    seconds > 0 (1)                      payment scan timer
**   scan_batch       1..10000 (100): rows per scan        payment scan
**   delivery         at-least-once | at-most-once         broker
**   durable          0 | 1 (0): queues in SQLite          broker
**   visibility       seconds > 0 (5): redelivery timeout  broker (at-least-once)
**   prefetch         1..10000 (100): unacked per queue    broker
**   synchronous      off | normal | full | extra (normal) every SQLite database
**   journal_mode     wal | delete (wal)                   every SQLite database
**   durable_send     0 | 1 (0): nothing leaves before     every service: payment's publish
**                    the commit behind it is durable      and OK, accounting's answer and
**                                                         ack, the broker's deliveries
**   max_amount       cents > 0 (100000000): larger refused accounting
**   frozen           comma list of account numbers ("")   accounting refuses them
**   cleanup_after    seconds >= 0 (0 = never): delete CONSUMED/FAILED rows older   payment scan
**   seed             u64 (0): seeds the jitter stream     payment
**   inbox_retention  seconds >= 0 (0 = forever): forget inbox rows received longer ago
**                    than that, by a purge every scan_interval  accounting
**   completion       mark | delete | archive (mark): what the answer's transaction does
**                    with a finished (CONSUMED, FAILED) outbox row: keep it, delete it
**                    (its tombstone stays), or move it to outbox_archive   payment
**   relays           0..8 (0): relay processes run the scan (the simulator's topology sets
**                    it): payment then publishes at once but never scans   payment
**   lease            seconds > 0 (10): how long a relay's claim on a row lasts   relay
**   lease_skew       seconds 0..3600 (1): the clock skew between relays a lease tolerates:
**                    a relay takes another owner's row only once lease_until + lease_skew
**                    <= its now; size it against the relays' clocks' worst skew   relay
**   relay_rtt        seconds > 0 (0.02): a relay publishes one claimed row per round trip
**                    (a publish and its confirmation)   relay
**   owner            a name of up to 23 characters ("relay"): the claims' owner   relay
**   accounting_instances  1..16 (1): the competing consumers of PAY_QUEUE, named by
**                    ox_config_instance_name: "accounting", "accounting-2".."accounting-M"
**                    broker
**
** Per service: `synchronous`, `journal_mode` and `durable_send` may be prefixed with a
** role's name ("payment.synchronous=full", "broker.journal_mode=delete").  Every
** process reads the same knobs; ox_config_resolve() picks its own role's.  A prefixed
** knob wins over the unprefixed one whatever their order (a scenario's knobs are
** sorted, so order could not mean anything).
**
** Durability (what a power cut can take back; docs/design.md "The simulated disk"): a
** commit is durable at once under wal+full, wal+extra and delete+extra.  Under wal+normal
** (and off) a commit is durable only once its files are synced: under normal at the next
** checkpoint, under off never.  durable_send=1 syncs the WAL (under off the database
** too) before anything that depends on the commit is sent (store.h, ox_store_barrier),
** under any wal setting.  Under delete, where no barrier can sync the directory the
** journal's unlink needs, durable_send=1 runs synchronous=extra.  ox_config_durable()
** says which.
**
** The foundations layer (service.h, Layers): a leaf (role.h is one too).
*/
#ifndef OX_CONFIG_H
#define OX_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "role.h"

typedef enum {
    OX_DESIGN_OUTBOX = 0,          /* the seed's design: passes every scenario */
    OX_DESIGN_DIRECT,              /* commit, then publish; no outbox row, no recovery */
    OX_DESIGN_PUBLISH_IN_TX,       /* publish before COMMIT */
    OX_DESIGN_OUTBOX_NO_RECOVERY,  /* outbox row, but no recovery scan */
    OX_DESIGN_OUTBOX_NO_DEDUPE,    /* consumer applies every delivery */
    OX_DESIGN_MARK_ON_PUBLISH,     /* row marked CONSUMED when published, not when acked */
    OX_DESIGN_ACK_BEFORE_APPLY,    /* consumer acks the delivery, then applies */
    OX_DESIGN_RESEND_EVERY_SCAN,   /* the scan republishes every SENDING row, due or not */
    OX_DESIGN_RETRIES_NOT_ATTEMPTS,/* max_attempts read as retries: DEAD one publication late */
    OX_DESIGN_OK_BEFORE_COMMIT,    /* client told OK once the rows are written, before COMMIT */
    OX_DESIGN_ALERT_OUTSIDE_TX,    /* DEAD committed alone, its alert in a second transaction */
    OX_DESIGN_CLEANUP_BY_AGE,      /* cleanup deletes rows by age, whatever their status */
    /* Per-key ordering (issue 14): both claim that an account's vouchers are applied in
    ** the order its payments committed (the history check `ordering`). */
    OX_DESIGN_ORDERED,             /* one message in flight per account (lib/ordered.h) */
    OX_DESIGN_ORDERED_NAIVE,       /* the seed's outbox, trusting the queue to keep order */
    /* Weak designs of the producer's and consumer's history contracts (issue 12) */
    OX_DESIGN_ALERT_STALE_PAYMENT, /* a scan's alerts all name its first DEAD row's payment */
    OX_DESIGN_ANSWER_UNGUARDED,    /* the answer's UPDATE has no status guard: rewrites finals */
    OX_DESIGN_LIMIT_INCLUSIVE,     /* accounting refuses an amount equal to max_amount */
    OX_DESIGN_CLEANUP_TAKES_ALERTS,/* the cleanup deletes a row's alerts with it (cascade) */
    /* The broker's weak designs (lib/broker.c, lib/brokerdb.c). */
    OX_DESIGN_AUTO_ACK,            /* at-least-once broker forgets a message as it delivers it */
    OX_DESIGN_FORGET_UNACKED,      /* durable broker deletes a message's row at delivery */
    OX_DESIGN_REDELIVER_EARLY,     /* visibility timeout counted from enqueue, not delivery */
    /* The relays' weak designs (issue 14, lib/relay.c); the same as outbox without relays. */
    OX_DESIGN_RELAY_NO_LEASE,      /* every relay claims every due row, held or not */
    OX_DESIGN_RELAY_SHORT_LEASE,   /* the lease is half a publish round trip (relay_rtt) */
    OX_DESIGN_RELAY_ZOMBIE,        /* a relay publishes its claimed rows, lease expired or not */
    /* Competing consumers (issue 14, item 3; lib/accounting.c). */
    OX_DESIGN_DEDUPE_PER_INSTANCE, /* each accounting instance remembers processed ids in memory */
    /* Relays again (issue 14, item 2's open end; lib/relay.c). */
    OX_DESIGN_RELAY_SKEWED_CLOCK,  /* a relay trusts its own clock: takes an expired lease with
                                   ** no lease_skew margin */
    /* A failed disk call (issue 12, errors_reported; lib/payment.c). */
    OX_DESIGN_SWALLOW_ERROR,       /* the answer handler acks an answer whose UPDATE failed */
    /* The scan's order (issue 12, retry_schedule: a full scan takes the oldest due first). */
    OX_DESIGN_SCAN_NEWEST_FIRST,   /* the scan reads due rows newest first (ORDER BY id DESC) */
    /* An error of the service's own (issue 12, errors_explained; lib/payment.c). */
    OX_DESIGN_LOOKUP_LEFT_OPEN,    /* the payment lookup that finds one is never reset */
    OX_DESIGN_COUNT
} ox_design;

typedef enum { OX_RETRY_LINEAR = 0, OX_RETRY_EXPONENTIAL } ox_retry;
typedef enum { OX_AT_LEAST_ONCE = 0, OX_AT_MOST_ONCE } ox_delivery;
typedef enum { OX_SYNC_OFF = 0, OX_SYNC_NORMAL = 1, OX_SYNC_FULL = 2, OX_SYNC_EXTRA = 3 } ox_sync;
typedef enum { OX_JOURNAL_WAL = 0, OX_JOURNAL_DELETE = 1 } ox_journal;
typedef enum { OX_COMPLETE_MARK = 0, OX_COMPLETE_DELETE, OX_COMPLETE_ARCHIVE } ox_completion;

#define OX_MAX_FROZEN 16

typedef struct {
    ox_design design;
    ox_retry retry;
    int64_t retry_base_ms;
    int64_t retry_max_ms;
    double jitter;
    int max_attempts;
    int64_t scan_interval_ms;
    int scan_batch;
    ox_delivery delivery;
    int durable;
    int64_t visibility_ms;
    int prefetch;
    ox_sync synchronous;
    ox_journal journal_mode;
    int durable_send;
    /* per-role overrides ("payment.synchronous=full"); -1: the unprefixed value */
    int8_t role_sync[OX_ROLE_COUNT];
    int8_t role_journal[OX_ROLE_COUNT];
    int8_t role_durable_send[OX_ROLE_COUNT];
    int64_t max_amount;
    uint32_t frozen[OX_MAX_FROZEN];
    int nfrozen;
    int64_t cleanup_after_ms;
    uint64_t seed;
    int64_t inbox_retention_ms;    /* 0: the inbox remembers every message id forever */
    ox_completion completion;
    /* relays (issue 14, lib/relay.h) */
    int relays;                    /* relay processes; > 0: the payment service never scans */
    int64_t lease_ms;              /* a relay's claim lasts this long */
    int64_t lease_skew_ms;         /* ... and another relay waits this much longer */
    int64_t relay_rtt_ms;          /* a relay publishes one claimed row per round trip */
    char owner[24];                /* the relay's name, written into the rows it claims */
    int accounting_instances;      /* PAY_QUEUE's consumers (1..OX_MAX_INSTANCES) */
} ox_config;

/* The configuration a service of `role` runs with, as one line of "key=value" words
** separated by single spaces, in config.h's table order: the design, the knobs that role
** reads (the table's last column; a relay reads the scan's too), and the three every
** database reads.  Each value in one spelling: seconds as a decimal of at most three
** places, names as the knobs spell them, numbers in decimal.  A service says it at
** START (the "config" note, docs/protocol.md), so that a host can compare it with what
** the knobs it was given resolve to (the simulator's knobs_applied).  Returns its
** length, or -1 when it did not fit in cap (OX_CONFIG_TEXT_MAX always fits: a note's
** detail holds it). */
#define OX_CONFIG_TEXT_MAX 500
int ox_config_format(const ox_config *c, ox_role role, char *out, size_t cap);

/* Competing consumers: the most instances of one role a broker queue spreads over. */
#define OX_MAX_INSTANCES 16
/* The name of instance i (1..n) of a role run as n instances: the role's own name for the
** first (so one instance is addressed as always, and a fault or a check naming the role
** still means the same process whatever n), "<role>-<i>" for the others.  Writes it into
** out[cap] and returns 0, or -1 if it did not fit or i, n are out of range. */
int ox_config_instance_name(const char *role, int i, int n, char *out, size_t cap);

void ox_config_default(ox_config *c);
/* Sets one knob from its text form.  Returns 0, or -1 with a one-line reason in err
** ("unknown knob 'x'", "retry_base: expected seconds > 0, got '-1'"). */
int ox_config_set(ox_config *c, const char *key, const char *value, char *err, size_t errlen);
/* "key=value" form of ox_config_set. */
int ox_config_set_kv(ox_config *c, const char *kv, char *err, size_t errlen);

/* Applies the overrides of `role` to c's own fields (and clears them all): afterwards
** c->synchronous, journal_mode and durable_send are that role's. */
void ox_config_resolve(ox_config *c, ox_role role);
/* 1 if every commit of a service with this (resolved) config is durable before anything
** depending on it is sent (above): wal+full|extra, delete+extra, or durable_send. */
int ox_config_durable(const ox_config *c);
const char *ox_sync_name(ox_sync s);
const char *ox_journal_name(ox_journal j);
const char *ox_completion_name(ox_completion m);

const char *ox_design_name(ox_design d);
/* Returns 0 and sets *d, or -1 for an unknown name. */
int ox_design_parse(const char *name, ox_design *d);
/* All design names, comma-separated, for error messages and help. */
const char *ox_design_names(void);
/* 1 if design d claims per-account ordering (ordered, ordered-naive): only then is the
** history invariant `ordering` judged. */
int ox_design_claims_ordering(ox_design d);

#endif
