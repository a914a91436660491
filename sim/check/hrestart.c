/*
** hrestart.c: restart_state (see hrestart.h).
*/
#include "hrestart.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hrestart {
    const history_conf *conf;
    uint32_t start_line[3];   /* the latest start or restart: payment, broker, accounting */
    uint32_t cut_line[3];     /* > 0: a power cut made this node's state indefinite there */
};

hrestart *hrestart_new(const history_conf *conf) {
    hrestart *r = calloc(1, sizeof *r);
    if (r) r->conf = conf;
    return r;
}

void hrestart_free(hrestart *r) { free(r); }

static int node_index(const char *node) {
    if (!strcmp(node, "payment")) return 0;
    if (!strcmp(node, "broker")) return 1;
    if (history_accounting_instance(node) >= 0) return 2;   /* the instances share one inbox */
    return -1;
}

static void payment_found(hrestart *r, history_sink *s, const history_ev *e,
                          const hproducer *p) {
    long long n = 0;
    if (sscanf(e->detail, "%lld outbox rows SENDING", &n) != 1) {
        history_unreadable(s, e);
        return;
    }
    int64_t want = hproducer_sending(p), maybe = hproducer_maybe(p);
    int64_t moved = hproducer_maybe_moved(p);
    /* a transaction payment died inside may or may not be there (hproducer.h) */
    if (n >= want - moved && n <= want + maybe) return;
    uint32_t lines[2] = { r->start_line[0], e->line };
    history_flag(s, HI_RESTART_STATE, 0, 0, lines, 2,
                 "payment restarted and found %lld SENDING rows; the history committed %"
                 PRId64, n, want);
}

static void broker_found(hrestart *r, history_sink *s, const history_ev *e, const hbroker *b) {
    const ox_config *c = &r->conf->cfg;
    unsigned long long inc = 0;
    unsigned n = 0;
    if (sscanf(e->detail, "incarnation %llu: %u messages restored", &inc, &n) != 2) return;
    if (!c->durable && n > 0) {
        /* In-memory queues commit nothing to disk: what a restart finds must be nothing.  A
        ** broker that keeps its queues anyway ignores the knob, and a scenario written to
        ** show what a crash of in-memory queues loses would silently show nothing. */
        uint32_t lines[2] = { r->start_line[1], e->line };
        history_flag(s, HI_RESTART_STATE, 0, 0, lines, 2,
                     "broker incarnation %llu restored %u messages, but its queues are in "
                     "memory (knob durable = false): a crash takes them", inc, n);
        return;
    }
    if (!c->durable || c->delivery != OX_AT_LEAST_ONCE) return;   /* nothing is kept */
    uint32_t want = hbroker_held(b);
    if (n == want) return;
    uint32_t lines[2] = { r->start_line[1], e->line };
    history_flag(s, HI_RESTART_STATE, 0, 0, lines, 2,
                 "broker incarnation %llu restored %u messages; %u were accepted and not "
                 "acked", inc, n, want);
}

/* "N inbox rows, V vouchers": what accounting committed is there, no more (but for the
** messages it died inside: maybe). */
static void accounting_found(hrestart *r, history_sink *s, const history_ev *e,
                             const hconsumer *c) {
    long long n = 0, v = 0;
    if (sscanf(e->detail, "%lld inbox rows, %lld vouchers", &n, &v) != 2) {
        history_unreadable(s, e);
        return;
    }
    int64_t rows = hconsumer_inbox_rows(c), vouchers = hconsumer_vouchers(c);
    int64_t maybe = hconsumer_maybe(c);
    assert(maybe >= 0);
    if (n >= rows && n <= rows + maybe && v >= vouchers && v <= vouchers + maybe) return;
    uint32_t lines[2] = { r->start_line[2], e->line };
    history_flag(s, HI_RESTART_STATE, 0, 0, lines, 2,
                 "accounting restarted and found %lld inbox rows and %lld vouchers; the "
                 "history committed %" PRId64 " and %" PRId64, n, v, rows, vouchers);
}

/* 1 if every commit of node i is durable when COMMIT returns (wal+full|extra,
** delete+extra).  durable_send alone does not count: it syncs before a send, so a
** commit not yet sent may still be taken back, and the history cannot tell which. */
static int durable_at_commit(const hrestart *r, int i) {
    ox_config c = r->conf->cfg;
    ox_config_resolve(&c, (ox_role)i);
    if (c.journal_mode == OX_JOURNAL_DELETE) return c.synchronous == OX_SYNC_EXTRA;
    return c.synchronous >= OX_SYNC_FULL;
}

void hrestart_event(hrestart *r, history_sink *s, const history_ev *e, const hproducer *p,
                    const hbroker *b, const hconsumer *c) {
    int i = node_index(e->node);
    if (i < 0) return;
    if (!strcmp(e->ev, "power_cut")) {
        /* What the cut took back was never promised (issue 13: indefinite, not lost):
        ** the node's durable state is no longer a function of the history. */
        if (!durable_at_commit(r, i) && !r->cut_line[i]) r->cut_line[i] = e->line;
        return;
    }
    if (r->cut_line[i]) return;
    if (!strcmp(e->ev, "start") || !strcmp(e->ev, "restart")) {
        r->start_line[i] = e->line;
        return;
    }
    if (strcmp(e->ev, "note") != 0 || strcmp(e->kind, "recover") != 0) return;
    if (i == 0) payment_found(r, s, e, p);
    else if (i == 1) broker_found(r, s, e, b);
    else accounting_found(r, s, e, c);
}
