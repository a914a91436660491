/*
** hlease.c: lease_held, lease_exclusive, owned_then_sent (see hlease.h).
*/
#include "hlease.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../scenario/scenario.h"

typedef struct {
    int8_t holder;            /* node slot of the last claim still open, -1 none */
    uint8_t sent;             /* the holder published or dead-lettered it since its claim */
    uint8_t settled;          /* CONSUMED or FAILED: nothing left to send */
    uint32_t claim_line;
    uint32_t epoch;           /* the holder's disruption count at the claim */
    int64_t claim_us, exp_us; /* virtual time of the claim and of its expiry */
    uint64_t pay;
} lmsg;

struct hlease {
    const history_conf *conf;
    uint32_t n;               /* msgs[1..n] */
    lmsg *msgs;
    uint32_t epoch[SIM_MAX_NODES];   /* crashes, restarts, pauses, resumes, disk faults */
    uint8_t slowed[SIM_MAX_NODES];   /* a slow or clock fault named it: not judged lapsing */
    int64_t last_us;
};

hlease *hlease_new(const history_conf *conf) {
    hlease *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->conf = conf;
    /* Judged only when relays ran: without them the table stays empty, so the checker's
    ** memory on a run without relays is what it was before the lease checks. */
    l->n = conf->cfg.relays > 0 ? conf->npay : 0;
    l->msgs = calloc((size_t)l->n + 1, sizeof *l->msgs);
    if (!l->msgs) { hlease_free(l); return NULL; }
    for (uint32_t i = 0; i <= l->n; i++) l->msgs[i].holder = -1;
    return l;
}

void hlease_free(hlease *l) {
    if (!l) return;
    free(l->msgs);
    free(l);
}

/* The message a relay note names ("msg M ..."), or NULL when out of the table. */
static lmsg *msg_of(hlease *l, const history_ev *e, uint64_t *id) {
    unsigned long long m = 0;
    if (sscanf(e->detail, "msg %llu", &m) != 1 || m == 0 || m > l->n) return NULL;
    *id = m;
    return &l->msgs[m];
}

static int relay_node(const history_ev *e) {
    int n = scenario_node_parse(e->node);
    return n >= 0 && scenario_node_role(n) == OX_ROLE_RELAY ? n : -1;
}

/* owned_then_sent: the open claim of m lapsed (its expiry is at or before now) unsent,
** its holder live all along and the row unsettled. */
static void judge_lapse(hlease *l, history_sink *s, lmsg *m, uint64_t id, int64_t now,
                        uint32_t line) {
    if (m->holder < 0 || m->sent || m->settled || m->exp_us > now) return;
    int h = m->holder;
    if (l->epoch[h] != m->epoch || l->slowed[h]) return;   /* crashed, paused, failed: excused */
    uint32_t lines[2] = { m->claim_line, line };
    history_flag(s, HI_OWNED_SENT, m->pay, id, lines, line ? 2 : 1,
                 "msg %" PRIu64 " claimed by %s at %.3f s, lease over at %.3f s, never "
                 "published by it, though it neither crashed, paused nor failed a disk call",
                 id,
                 scenario_node_name(h), (double)m->claim_us / 1e6, (double)m->exp_us / 1e6);
    m->holder = -1;
}

static void on_claim(hlease *l, history_sink *s, const history_ev *e, int node) {
    uint64_t id = 0;
    lmsg *m = msg_of(l, e, &id);
    char owner[32];
    long long at = 0, until = 0;
    if (!m || sscanf(e->detail, "msg %*u claimed by %31s at %lld until %lld", owner, &at,
                     &until) != 3)
        return;
    judge_lapse(l, s, m, id, e->t_us, e->line);
    if (m->holder >= 0 && m->holder != node && e->t_us < m->exp_us) {
        uint32_t lines[2] = { m->claim_line, e->line };
        history_flag(s, HI_LEASE_EXCLUSIVE, m->pay, id, lines, 2,
                     "msg %" PRIu64 " claimed by %s at %.3f s while %s held it until %.3f s",
                     id, e->node, (double)e->t_us / 1e6, scenario_node_name(m->holder),
                     (double)m->exp_us / 1e6);
    }
    m->holder = (int8_t)node;
    m->sent = 0;
    m->claim_line = e->line;
    m->epoch = l->epoch[node];
    m->claim_us = e->t_us;
    m->exp_us = (e->t_us / 1000 + (until - at)) * 1000;   /* the relay's ms, in virtual time */
    m->pay = e->pay;
}

/* A publication or a dead letter by relay `node`: only under its own unexpired lease. */
static void on_send(hlease *l, history_sink *s, const history_ev *e, int node) {
    uint64_t id = 0;
    lmsg *m = msg_of(l, e, &id);
    if (!m) return;
    if (m->holder == node && e->t_us < m->exp_us) { m->sent = 1; return; }
    uint32_t lines[2] = { m->claim_line, e->line };
    if (m->holder < 0)
        history_flag(s, HI_LEASE_HELD, e->pay, id, lines + 1, 1,
                     "msg %" PRIu64 " %s by %s at %.3f s with no lease open on it", id,
                     e->kind, e->node, (double)e->t_us / 1e6);
    else
        history_flag(s, HI_LEASE_HELD, e->pay, id, lines, 2,
                     "msg %" PRIu64 " %s by %s at %.3f s, but the lease was %s's until %.3f s",
                     id, e->kind, e->node, (double)e->t_us / 1e6, scenario_node_name(m->holder),
                     (double)m->exp_us / 1e6);
}

static void on_note(hlease *l, history_sink *s, const history_ev *e) {
    uint64_t id = 0;
    if (!strcmp(e->node, "payment")) {   /* an answer settles the row */
        lmsg *m = (!strcmp(e->kind, "consumed") || !strcmp(e->kind, "failed"))
                  ? msg_of(l, e, &id) : NULL;
        if (m) m->settled = 1;
        return;
    }
    int node = relay_node(e);
    if (node < 0) return;
    if (!strcmp(e->kind, "claim")) on_claim(l, s, e, node);
    else if (!strcmp(e->kind, "publish") || !strcmp(e->kind, "dead")) on_send(l, s, e, node);
    else if (!strcmp(e->kind, "release") || !strcmp(e->kind, "lapse")) {
        lmsg *m = msg_of(l, e, &id);
        if (m && m->holder == node && !strcmp(e->kind, "lapse"))
            judge_lapse(l, s, m, id, e->t_us, e->line);
        if (m && m->holder == node) m->holder = -1;
    }
}

void hlease_event(hlease *l, history_sink *s, const history_ev *e) {
    if (l->conf->cfg.relays == 0) return;
    l->last_us = e->t_us;
    if (!strcmp(e->ev, "note")) { on_note(l, s, e); return; }
    int node = scenario_node_parse(e->node);
    /* A failed disk call (or allocation) rolls the relay's step back: a claim made before
    ** it may lapse unsent without the relay being at fault, as after a crash. */
    if (node >= 0 && (!strcmp(e->ev, "crash") || !strcmp(e->ev, "restart") ||
                      !strcmp(e->ev, "pause") || !strcmp(e->ev, "resume") ||
                      !strcmp(e->ev, "disk_fault")))
        l->epoch[node]++;
    if (!strcmp(e->ev, "fault")) {
        int t = scenario_node_parse(e->target);
        int slows = !strcmp(e->kind, "slow") || !strcmp(e->kind, "clock") ||
                    !strcmp(e->kind, "clock_jump");
        if (t >= 0 && slows) l->slowed[t] = 1;
    }
}

void hlease_end(hlease *l, history_sink *s) {
    if (l->conf->cfg.relays == 0) return;
    for (uint32_t i = 1; i <= l->n; i++) judge_lapse(l, s, &l->msgs[i], i, l->last_us, 0);
}
