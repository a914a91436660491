/*
** hlease.c: lease_held, lease_exclusive, owned_then_sent (see hlease.h).
*/
#include "hlease.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/relay.h"
#include "../scenario/scenario.h"

typedef struct {              /* a relay's publication whose release is still due */
    uint64_t id;              /* 0: none */
    uint64_t pay;
    int64_t t_us;
    uint32_t line, epoch;
} lkept;

typedef struct {
    int8_t holder;            /* node slot of the last claim still open, -1 none */
    uint8_t sent;             /* the holder published or dead-lettered it since its claim */
    uint8_t settled;          /* CONSUMED or FAILED: nothing left to send */
    uint32_t claim_line;
    uint32_t epoch;           /* the holder's disruption count at the claim */
    int64_t claim_us, exp_us; /* virtual time of the claim and of its expiry */
    int64_t off_ms;           /* the holder's clock minus virtual time at the claim (plus
                              ** the run's epoch, the same for every node) */
    uint64_t pay;
} lmsg;

struct hlease {
    const history_conf *conf;
    uint32_t n;               /* msgs[1..n] */
    lmsg *msgs;
    uint32_t epoch[SIM_MAX_NODES];   /* crashes, restarts, pauses, resumes, disk faults */
    uint8_t slowed[SIM_MAX_NODES];   /* a slow or clock fault named it: not judged lapsing */
    uint8_t clocked[SIM_MAX_NODES];  /* a clock or clock_jump fault named it */
    lkept kept[SIM_MAX_NODES];       /* the release each relay's step still owes */
    int64_t batch_us[SIM_MAX_NODES]; /* the step of each relay's last "scan" note, -1 none */
    int32_t batch_left[SIM_MAX_NODES];   /* the claims that note announced, not yet seen */
    uint32_t batch_line[SIM_MAX_NODES];
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
    for (int i = 0; i < SIM_MAX_NODES; i++) l->batch_us[i] = -1;
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

/* lease_exclusive: relay `node` claims m at e while another relay's lease runs.  Excused
** when a clock fault named either relay and the taker's clock was ahead of the holder's
** (each measured at its claim: the note's clock against the line's virtual time) by more
** than the margin the knobs declare (lease_skew): the fault explains the break, as the
** margin is all a lease can tolerate.  A skew within the margin is the design's fault
** (relay-skewed-clock takes no margin), as is any break without a clock fault. */
static void judge_exclusive(hlease *l, history_sink *s, const history_ev *e, lmsg *m,
                            uint64_t id, int node, int64_t off_ms) {
    assert(m->holder >= 0);
    assert(m->holder != node);
    int64_t ahead = off_ms - m->off_ms, margin = l->conf->cfg.lease_skew_ms;
    int faulted = l->clocked[node] || l->clocked[m->holder];
    /* 2 ms of slack: each clock is read in whole ms, and libfaketime parses the step's time
    ** from text (1700000002.050000 may read as ...2.049999). */
    if (faulted && ahead > 0 && ahead > margin - 2) return;
    char why[96] = "";
    if (faulted)
        snprintf(why, sizeof why, " (its clock %.3f s ahead of %s's, within lease_skew %.3f s)",
                 (double)ahead / 1e3, scenario_node_name(m->holder), (double)margin / 1e3);
    uint32_t lines[2] = { m->claim_line, e->line };
    history_flag(s, HI_LEASE_EXCLUSIVE, m->pay, id, lines, 2,
                 "msg %" PRIu64 " claimed by %s at %.3f s while %s held it until %.3f s%s",
                 id, e->node, (double)e->t_us / 1e6, scenario_node_name(m->holder),
                 (double)m->exp_us / 1e6, why);
}

/* A relay's claims come as a batch its "scan" note announces in the same step ("%d
** due"), and the claim notes that follow name exactly that many rows: the count is
** what the relay owes (a send or a release each), and an operator reading "3 due" and
** then four claims, or claims with no scan before them, cannot tell what it took. */
static void batch_over(hlease *l, history_sink *s, int node) {
    if (l->batch_left[node] > 0) {
        uint32_t line[1] = { l->batch_line[node] };
        history_flag(s, HI_OWNED_SENT, 0, 0, line, 1,
                     "%s's scan at %.3f s announced %" PRId32 " more claims than it noted",
                     scenario_node_name(node), (double)l->batch_us[node] / 1e6,
                     l->batch_left[node]);
    }
    l->batch_left[node] = 0;
}

static void on_batch(hlease *l, history_sink *s, const history_ev *e, int node) {
    int n = 0;
    if (sscanf(e->detail, "%d due", &n) != 1 || n < 0) {
        history_unreadable(s, e);
        return;
    }
    batch_over(l, s, node);
    l->batch_us[node] = e->t_us;
    l->batch_left[node] = n;
    l->batch_line[node] = e->line;
}

static void claim_counted(hlease *l, history_sink *s, const history_ev *e, int node) {
    if (l->batch_us[node] == e->t_us && l->batch_left[node] > 0) {
        l->batch_left[node]--;
        return;
    }
    uint32_t line[1] = { e->line };
    history_flag(s, HI_OWNED_SENT, e->pay, 0, line, 1,
                 "%s claimed a row at %.3f s that no scan note of its step announced",
                 e->node, (double)e->t_us / 1e6);
}

static void on_claim(hlease *l, history_sink *s, const history_ev *e, int node) {
    claim_counted(l, s, e, node);
    uint64_t id = 0;
    lmsg *m = msg_of(l, e, &id);
    char owner[32];
    long long at = 0, until = 0;
    if (!m || sscanf(e->detail, "msg %*u claimed by %31s at %lld until %lld", owner, &at,
                     &until) != 3)
        return;
    int64_t off_ms = (int64_t)at - e->t_us / 1000;
    /* The lease the claiming statement wrote is the one the knobs and the design declare
    ** (lib/relay.c, ox_relay_lease_ms): both ends are the relay's own clock, one reading. */
    int64_t want = ox_relay_lease_ms(&l->conf->cfg);
    if (until - at != want) {
        uint32_t line[1] = { e->line };
        history_flag(s, HI_LEASE_HELD, e->pay, id, line, 1,
                     "msg %" PRIu64 " claimed by %s for %lld ms; the lease the knobs declare "
                     "is %" PRId64 " ms", id, e->node, until - at, want);
    }
    judge_lapse(l, s, m, id, e->t_us, e->line);
    if (m->holder >= 0 && m->holder != node && e->t_us < m->exp_us)
        judge_exclusive(l, s, e, m, id, node, off_ms);
    m->holder = (int8_t)node;
    m->sent = 0;
    m->claim_line = e->line;
    m->epoch = l->epoch[node];
    m->claim_us = e->t_us;
    m->exp_us = (e->t_us / 1000 + (until - at)) * 1000;   /* the relay's ms, in virtual time */
    m->off_ms = off_ms;
    m->pay = e->pay;
}

/* owned_then_sent, its last part: relay `node` published (or dead-lettered) a row under its
** lease and gives the lease back in the same step (lib/relay.c, publish_next: the release
** is guarded by the same owner and expiry the publication was, read at the same time, so
** it always finds the lease).  A relay that keeps it holds the row for nothing until the
** lease runs out, and the other relays wait.  Judged once the trace's time moves past the
** step, or when the relay publishes again; excused when the step failed (a crash, a
** failed disk call, an error note: the epoch moved). */
static void judge_kept(hlease *l, history_sink *s, int node) {
    lkept *k = &l->kept[node];
    if (k->id == 0) return;
    if (l->epoch[node] == k->epoch)
        history_flag(s, HI_OWNED_SENT, k->pay, k->id, &k->line, 1,
                     "msg %" PRIu64 " published by %s at %.3f s and its lease kept: no "
                     "release in that step", k->id, scenario_node_name(node),
                     (double)k->t_us / 1e6);
    k->id = 0;
}

/* A publication or a dead letter by relay `node`: only under its own unexpired lease. */
static void on_send(hlease *l, history_sink *s, const history_ev *e, int node) {
    uint64_t id = 0;
    lmsg *m = msg_of(l, e, &id);
    if (!m) return;
    if (m->holder == node && e->t_us < m->exp_us) {
        m->sent = 1;
        judge_kept(l, s, node);
        l->kept[node] = (lkept){ id, e->pay, e->t_us, e->line, l->epoch[node] };
        return;
    }
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

/* "msg M released by O": a relay gives up only a lease it holds, before it runs out (the
** release's statement is guarded by owner and lease_until: lib/relay.c).  A release of
** a lease another relay took since, or of none, hands that relay's row to whoever claims
** next while it may still be publishing it.  The ordered design's "msg M released: ..."
** (a held row let go, lib/ordered.h) is not a lease's and is left alone. */
static void on_release(hlease *l, history_sink *s, const history_ev *e, int node) {
    uint64_t id = 0;
    lmsg *m = msg_of(l, e, &id);
    char by[32];
    if (!m || sscanf(e->detail, "msg %*u released by %31s", by) != 1) return;
    int own = strcmp(by, e->node) == 0;   /* the note names the relay that wrote it */
    if (own && m->holder == node && e->t_us < m->exp_us) {
        m->holder = -1;
        if (l->kept[node].id == id) l->kept[node].id = 0;   /* the release it owed */
        return;
    }
    uint32_t lines[2] = { m->claim_line, e->line };
    if (!own)
        history_flag(s, HI_LEASE_HELD, e->pay, id, lines + 1, 1,
                     "msg %" PRIu64 " released by %s in a note of %s at %.3f s", id, by,
                     e->node, (double)e->t_us / 1e6);
    else if (m->holder < 0)
        history_flag(s, HI_LEASE_HELD, e->pay, id, lines + 1, 1,
                     "msg %" PRIu64 " released by %s at %.3f s with no lease open on it", id,
                     e->node, (double)e->t_us / 1e6);
    else
        history_flag(s, HI_LEASE_HELD, e->pay, id, lines, 2,
                     "msg %" PRIu64 " released by %s at %.3f s, but the lease was %s's until "
                     "%.3f s", id, e->node, (double)e->t_us / 1e6,
                     scenario_node_name(m->holder), (double)m->exp_us / 1e6);
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
    if (!strcmp(e->kind, "scan")) on_batch(l, s, e, node);
    else if (!strcmp(e->kind, "claim")) on_claim(l, s, e, node);
    else if (!strcmp(e->kind, "publish") || !strcmp(e->kind, "dead")) on_send(l, s, e, node);
    else if (!strcmp(e->kind, "release")) on_release(l, s, e, node);
    else if (!strcmp(e->kind, "lapse")) {
        lmsg *m = msg_of(l, e, &id);
        if (m && m->holder == node) {
            judge_lapse(l, s, m, id, e->t_us, e->line);
            m->holder = -1;   /* the lease lapsed: nobody's now */
        }
    }
}

void hlease_event(hlease *l, history_sink *s, const history_ev *e) {
    if (l->conf->cfg.relays == 0) return;
    l->last_us = e->t_us;
    for (int n = 0; n < SIM_MAX_NODES; n++) {
        if (l->kept[n].id && e->t_us > l->kept[n].t_us) judge_kept(l, s, n);
        if (l->batch_left[n] > 0 && e->t_us > l->batch_us[n]) batch_over(l, s, n);
    }
    int node = scenario_node_parse(e->node);
    /* A relay's error note: its step failed and rolled back, as after a failed disk call. */
    if (node >= 0 && !strcmp(e->ev, "note") && (!strcmp(e->kind, "error") ||
                                                 !strcmp(e->kind, "fatal")))
        l->epoch[node]++;
    if (!strcmp(e->ev, "note")) { on_note(l, s, e); return; }
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
        if (t >= 0 && strncmp(e->kind, "clock", 5) == 0) l->clocked[t] = 1;
    }
}

void hlease_end(hlease *l, history_sink *s) {
    if (l->conf->cfg.relays == 0) return;
    for (int n = 0; n < SIM_MAX_NODES; n++) {
        judge_kept(l, s, n);
        batch_over(l, s, n);
    }
    for (uint32_t i = 1; i <= l->n; i++) judge_lapse(l, s, &l->msgs[i], i, l->last_us, 0);
}
