/*
** cmd_shrink.c: `outbox-sim shrink RUN_DIR [--out FILE] [--invariant NAME] [-j N]
** [--max-runs N]`: a failing run made as small as it can be, written as a Lua scenario
** a person could have written by hand (docs/shrink-explore.md).
**
** "Fails the same way" means: the candidate's run breaks the target invariant, the
** first one the original broke (in the summary's order: safety invariants come first),
** or the one --invariant names.  Other invariants may break or hold.
**
** Steps, each candidate being one child run (pool.h) of the original seed:
**   1. the faults the trace shows acting become an explicit schedule (shrink_plan.h);
**      if that no longer fails, fall back to the original faults as declared;
**   2. ddmin over the faults (Zeller's delta debugging);
**   3. fewer payments (halving, then a binary search), fewer or earlier refused
**      payments, a shorter run;
**   4. simpler faults: earlier failpoint hits, times, frames and payments, sooner
**      restarts, shorter delays;
** then 3 and 4 again while they help (at most SHR_ROUNDS), with a ddmin after each.
**
** Determinism: candidates are tried in a fixed order, a batch of -j at a time, and the
** first failing one in that order wins, whichever finished first; runs are memoised by
** the candidate's text.  -j changes how many runs are spent past a winner, never which
** candidate wins (unless --max-runs cuts the search short).
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "nodeflag.h"
#include "../scenario/lg.h"
#include "pool.h"
#include "shrink_plan.h"
#include "../util/files.h"
#include "../util/json.h"

#define SHR_DEFAULT_RUNS 200
#define SHR_MAX_RUNS 100000
#define SHR_ROUNDS 3
#define SHR_TIME_RES_US 100000      /* times are shrunk in steps of 0.1 s */
#define SHR_MAX_VALUES 64
#define SHR_GRACE_MS 5000           /* a stopped candidate run gets this long */
#define SHR_RUN_LIMIT_MS 600000     /* a candidate run that takes longer is killed: exit 3 */

enum { STOP_NONE, STOP_BUDGET, STOP_SIGNAL, STOP_HARNESS };

typedef struct {
    uint64_t hash;
    int fails;
} shr_memo;

typedef struct {
    const char *run_dir, *out, *want, *argv0;
    int parallel, max_runs;
    shrink_plan_orig o;
    int declared;             /* the plan is the fallback (original faults, seeded) */
    char why_declared[400];
    char work[600];           /* RUN_DIR/shrink.work: candidates and their runs */
    int runs, seq, refused;
    char refused_why[300];
    int stop;
    char err[1024];
    shr_memo *memo;
    int nmemo;
    pool pool;
} shr;

/* ---- running candidates ---------------------------------------------------------------- */

static uint64_t fnv1a(const char *s, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h;
}

static int memo_find(const shr *s, uint64_t h) {
    for (int i = 0; i < s->nmemo; i++)
        if (s->memo[i].hash == h) return s->memo[i].fails;
    return -1;
}

/* Did the candidate's run break the target invariant? */
static int judge(shr *s, const pool_job *j, const char *slug) {
    if (j->code == 3) {
        char line[600];
        pool_log_first(j->log, line, sizeof line);
        snprintf(s->err, sizeof s->err, "a candidate run failed in the harness: %s",
                 line[0] ? line : "no message");
        s->stop = STOP_HARNESS;
        return 0;
    }
    if (j->code == 2) {
        if (!s->refused++) pool_log_first(j->log, s->refused_why, sizeof s->refused_why);
        return 0;
    }
    if (j->code != 1) return 0;
    char path[1400], err[300];
    snprintf(path, sizeof path, "%s/%s/%" PRIu64 "/summary.json", j->out, slug, j->seed);
    json_t *doc = json_r_load(path, err, sizeof err);
    int fails = json_r_bool(json_r_obj(json_r_obj(doc, "invariants"), s->o.target), "ok") == 0;
    json_decref(doc);
    return fails;
}

/* Outcomes of plans[0..n) (n <= the batch size): 1 fails the same way, 0 not, -1 not
** run (s->stop says why). */
static void outcomes(shr *s, shrink_plan *plans, int n, int *out) {
    assert(n >= 0);
    assert(n <= POOL_BATCH_MAX);
    pool_job jobs[POOL_BATCH_MAX];
    int slot[POOL_BATCH_MAX], nj = 0;
    uint64_t hash[POOL_BATCH_MAX];
    char slug[POOL_BATCH_MAX][16];
    for (int k = 0; k < n; k++) {
        lg_buf b = { 0 };
        out[k] = -1;
        if (s->stop || shrink_plan_text(&s->o, &plans[k], NULL, &b, s->err, sizeof s->err) != 0) {
            if (!s->stop) s->stop = STOP_HARNESS;
            lg_free(&b);
            continue;
        }
        hash[k] = fnv1a(b.s, b.len);
        int known = memo_find(s, hash[k]);
        if (known >= 0) out[k] = known;
        else if (s->runs >= s->max_runs - 1) s->stop = STOP_BUDGET; /* one is kept for the result */
        else {
            pool_job *j = &jobs[nj];
            memset(j, 0, sizeof *j);
            snprintf(slug[k], sizeof slug[k], "c%04d", ++s->seq);
            snprintf(j->scenario, sizeof j->scenario, "%s/%s.lua", s->work, slug[k]);
            snprintf(j->out, sizeof j->out, "%s/runs", s->work);
            snprintf(j->log, sizeof j->log, "%s/%s.log", s->work, slug[k]);
            j->seed = s->o.seed;
            if (lg_write_file(j->scenario, b.s, b.len) != 0) {
                snprintf(s->err, sizeof s->err, "cannot write %s: %s", j->scenario,
                         strerror(errno));
                s->stop = STOP_HARNESS;
            } else {
                slot[nj++] = k;
                s->runs++;
            }
        }
        lg_free(&b);
    }
    if (nj && pool_batch(&s->pool, jobs, nj, s->err, sizeof s->err) != 0) {
        s->stop = STOP_SIGNAL;
        return;
    }
    for (int i = 0; i < nj; i++) {
        int k = slot[i];
        assert(jobs[i].code >= 0);
        assert(jobs[i].code <= 3);
        out[k] = judge(s, &jobs[i], slug[k]);
        if (s->nmemo < s->max_runs) s->memo[s->nmemo++] = (shr_memo){ hash[k], out[k] };
        char dir[1400];
        snprintf(dir, sizeof dir, "%s/%s", jobs[i].out, slug[k]);
        pool_remove(&s->pool, dir);
        unlink(jobs[i].scenario);
        unlink(jobs[i].log);
    }
}

/* Builds candidate k: 0, or 1 if there is no such candidate (it counts as not failing). */
typedef int (*make_fn)(const void *ctx, int k, shrink_plan *out);

/* The first k in [0, n), in order, whose outcome is `want`; its plan moved to *got.
** Returns k, n if there is none, -1 if the search had to stop. */
static int scan(shr *s, int n, make_fn make, const void *ctx, int want, shrink_plan *got) {
    for (int base = 0; base < n; base += s->parallel) {
        int m = n - base < s->parallel ? n - base : s->parallel, out[POOL_BATCH_MAX], hit = -1;
        shrink_plan plans[POOL_BATCH_MAX];
        memset(plans, 0, sizeof plans);
        for (int k = 0; k < m; k++)
            if (make(ctx, base + k, &plans[k]) != 0) {
                shrink_plan_free(&plans[k]);
                out[k] = 0;
                plans[k].nfaults = -1;
            }
        shrink_plan real[POOL_BATCH_MAX];
        int map[POOL_BATCH_MAX], nr = 0, rout[POOL_BATCH_MAX];
        for (int k = 0; k < m; k++)
            if (plans[k].nfaults >= 0) { map[nr] = k; real[nr++] = plans[k]; }
        outcomes(s, real, nr, rout);
        for (int r = 0; r < nr; r++) out[map[r]] = rout[r];
        for (int k = 0; k < m && hit < 0; k++) {
            if (out[k] == -1) break;
            if (out[k] == want) hit = k;
        }
        int stopped = hit < 0 && s->stop;
        for (int k = 0; k < m; k++) {
            if (k == hit && got) { shrink_plan_free(got); *got = plans[k]; }
            else if (plans[k].nfaults >= 0) shrink_plan_free(&plans[k]);
        }
        if (hit >= 0) return base + hit;
        if (stopped) return -1;
    }
    return n;
}

/* ---- step 2: ddmin ------------------------------------------------------------------------ */

typedef struct {
    const shr *s;
    const shrink_plan *base;
    int n, complement;
} dd_ctx;

static int dd_make(const void *vctx, int k, shrink_plan *out) {
    const dd_ctx *c = vctx;
    if (shrink_plan_copy(out, c->base, &c->s->o) != 0) return 1;
    int len = c->base->nfaults, m = 0;
    for (int i = 0; i < len; i++) {
        int chunk = (int)((int64_t)i * c->n / len);
        if ((chunk == k) != c->complement) out->faults[m++] = c->base->faults[i];
    }
    out->nfaults = m;
    shrink_plan_fit(&c->s->o, out);
    return 0;
}

/* Delta debugging: the smallest list of faults it can find that still fails (1-minimal
** when it runs to the end: no single fault can be removed). */
static void ddmin(shr *s, shrink_plan *best) {
    if (best->nfaults == 0) return;
    dd_ctx none = { s, best, 1, 1 };
    if (scan(s, 1, dd_make, &none, 1, best) == 0) return;    /* no fault at all */
    int n = 2;
    while (best->nfaults >= 2 && !s->stop) {
        if (n > best->nfaults) n = best->nfaults;
        dd_ctx sub = { s, best, n, 0 };
        shrink_plan got = { 0 };
        int k = scan(s, n, dd_make, &sub, 1, &got);
        if (k >= 0 && k < n) { shrink_plan_free(best); *best = got; n = 2; continue; }
        if (n > 2 && !s->stop) {
            dd_ctx com = { s, best, n, 1 };
            k = scan(s, n, dd_make, &com, 1, &got);
            if (k >= 0 && k < n) {
                shrink_plan_free(best);
                *best = got;
                n = n - 1 > 2 ? n - 1 : 2;
                continue;
            }
        }
        shrink_plan_free(&got);
        if (n >= best->nfaults || s->stop) break;
        n = 2 * n < best->nfaults ? 2 * n : best->nfaults;
    }
}

/* ---- steps 3 and 4: smaller numbers ---------------------------------------------------------- */

typedef enum { P_PAYMENTS, P_RUN, P_HIT, P_AT, P_RESTART, P_NTH, P_PAY, P_DELAY } param;

typedef struct {
    const shr *s;
    const shrink_plan *base;
    param what;
    int uid;                  /* the fault, for per-fault params */
    const int64_t *vals;
} num_ctx;

static shrink_plan_fault *by_uid(shrink_plan *p, int uid) {
    for (int i = 0; i < p->nfaults; i++)
        if (p->faults[i].uid == uid) return &p->faults[i];
    return NULL;
}

/* Sets the parameter to v in p; -1 if it does not apply. */
static int set_param(shrink_plan *p, param what, int uid, int64_t v) {
    if (what == P_PAYMENTS) { p->payments = (uint32_t)v; return 0; }
    if (what == P_RUN) { p->run_us = v; return 0; }
    shrink_plan_fault *e = by_uid(p, uid);
    if (!e) return -1;
    switch (what) {
    case P_HIT: e->f.hit = (uint32_t)v; break;
    case P_AT: e->f.at_us = v; break;
    case P_RESTART: e->f.restart_after_us = v; break;
    case P_NTH: e->f.nth = (uint32_t)v; break;
    case P_PAY: e->f.pay = (uint64_t)v; break;
    case P_DELAY: e->f.min_us = e->f.max_us = v; break;
    default: return -1;
    }
    return 0;
}

static int num_make(const void *vctx, int k, shrink_plan *out) {
    const num_ctx *c = vctx;
    if (shrink_plan_copy(out, c->base, &c->s->o) != 0) return 1;
    if (set_param(out, c->what, c->uid, c->vals[k]) != 0) return 1;
    shrink_plan_fit(&c->s->o, out);
    return 0;
}

/* Tries smaller values of one number, from cur down to lo in steps of res: halving while
** the candidate still fails, then a binary search between the last failing value and
** the first passing one.  Returns 1 if best changed. */
static int shrink_number(shr *s, shrink_plan *best, param what, int uid, int64_t cur, int64_t lo,
                         int64_t res) {
    if (cur <= lo || s->stop) return 0;
    int64_t vals[SHR_MAX_VALUES];
    int nv = 0;
    for (int64_t gap = (cur - lo) / 2;; gap /= 2) {
        int64_t v = lo + gap / res * res;
        if (v < cur && (nv == 0 || v < vals[nv - 1]) && nv < SHR_MAX_VALUES) vals[nv++] = v;
        if (v == lo) break;
    }
    assert(nv <= SHR_MAX_VALUES);
    num_ctx c = { s, best, what, uid, vals };
    shrink_plan got = { 0 };
    int k = scan(s, nv, num_make, &c, 0, NULL);     /* the first that passes */
    if (k < 0) return 0;
    int changed = 0;
    if (k > 0 &&
        scan(s, 1, num_make, &(num_ctx){ s, best, what, uid, &vals[k - 1] }, 1, &got) == 0) {
        shrink_plan_free(best);
        *best = got;
        got = (shrink_plan){ 0 };
        cur = vals[k - 1];
        changed = 1;
    }
    for (int64_t pass = k < nv ? vals[k] : lo; cur - pass > res && !s->stop;) {
        int64_t mid = pass + (cur - pass) / 2 / res * res;
        if (mid <= pass) break;
        num_ctx one = { s, best, what, uid, &mid };
        int r = scan(s, 1, num_make, &one, 1, &got);
        if (r == 0) {
            shrink_plan_free(best);
            *best = got;
            got = (shrink_plan){ 0 };
            cur = mid;
            changed = 1;
        } else if (r == 1) pass = mid;
        else break;
    }
    shrink_plan_free(&got);
    return changed;
}

/* Candidate 0: no refused payment; candidate 1: as many, but the first ones. */
static int refusals_make(const void *vctx, int k, shrink_plan *out) {
    const num_ctx *c = vctx;
    if (shrink_plan_copy(out, c->base, &c->s->o) != 0) return 1;
    uint32_t n = 0;
    for (uint32_t i = 1; i <= out->payments; i++) n += out->refuse[i];
    for (uint32_t i = 1; i <= out->payments; i++) out->refuse[i] = k == 1 && i <= n;
    return 0;
}

/* Refused payments: none, or else the first ones (then fewer payments may do). */
static int fewer_refusals(shr *s, shrink_plan *best) {
    uint32_t n = 0, first = 1;
    for (uint32_t i = 1; i <= best->payments; i++) {
        n += best->refuse[i];
        if (best->refuse[i] && i > n) first = 0;
    }
    num_ctx c = { s, best, P_PAYMENTS, 0, NULL };
    shrink_plan got = { 0 };
    int tries = first ? 1 : 2;
    int k = n == 0 || s->stop ? -1 : scan(s, tries, refusals_make, &c, 1, &got);
    if (k < 0 || k >= tries) { shrink_plan_free(&got); return 0; }
    shrink_plan_free(best);
    *best = got;
    return 1;
}

/* Step 3: fewer payments, fewer refusals, a shorter run. */
static int smaller_workload(shr *s, shrink_plan *best) {
    int changed = shrink_number(s, best, P_PAYMENTS, 0, best->payments, best->payments ? 1 : 0, 1);
    changed |= fewer_refusals(s, best);
    int64_t need = (int64_t)((double)best->payments / s->o.sc->workload.rate * 1e6 + 0.5);
    int64_t lo = (need + SHR_TIME_RES_US - 1) / SHR_TIME_RES_US * SHR_TIME_RES_US;
    if (lo < SHR_TIME_RES_US) lo = SHR_TIME_RES_US;
    changed |= shrink_number(s, best, P_RUN, 0, best->run_us, lo, SHR_TIME_RES_US);
    return changed;
}

/* Step 4: each fault's numbers, smaller.  Each shrink_number() may replace *best, so a
** fault is found again by its uid after each one, never kept by pointer. */
static int simpler_faults(shr *s, shrink_plan *best) {
    int uids[SIM_MAX_FAULTS], n = best->nfaults, changed = 0;
    for (int i = 0; i < n; i++) uids[i] = best->faults[i].uid;
    for (int i = 0; i < n && !s->stop; i++) {
        const shrink_plan_fault *e = by_uid(best, uids[i]);
        if (!e) continue;
        sim_fault f = e->f;
        int from_trace = e->from_trace;
        if (scenario_kills(f.kind) && f.failpoint[0])
            changed |= shrink_number(s, best, P_HIT, uids[i], f.hit, 1, 1);
        if (scenario_kills(f.kind) && !f.failpoint[0])
            changed |= shrink_number(s, best, P_AT, uids[i], f.at_us, 0, SHR_TIME_RES_US);
        if (scenario_kills(f.kind) && f.restart_after_us > 0)
            changed |=
                shrink_number(s, best, P_RESTART, uids[i], f.restart_after_us, 0, SHR_TIME_RES_US);
        if (!from_trace) continue;
        if (f.pay > 1) changed |= shrink_number(s, best, P_PAY, uids[i], (int64_t)f.pay, 1, 1);
        if ((e = by_uid(best, uids[i])) != NULL && e->f.nth > 1)
            changed |= shrink_number(s, best, P_NTH, uids[i], e->f.nth, 1, 1);
        if (f.kind == FK_DELAY && f.max_us > 1000)
            changed |= shrink_number(s, best, P_DELAY, uids[i], f.max_us, 1000, 1000);
    }
    return changed;
}

/* ---- the result ------------------------------------------------------------------------------ */

/* "pay 8 -> 1" for what step 4 changed, appended to the fault's comment. */
static void annotate(const shr *s, shrink_plan *p) {
    for (int i = 0; i < p->nfaults; i++) {
        shrink_plan_fault *e = &p->faults[i];
        const sim_fault *was =
            s->declared ? &s->o.sc->faults[e->uid - 1] : &s->o.events[e->uid - 1].f;
        char more[160] = "", a[32], b[32];
        size_t n = 0;
#define WAS(cond, ...) \
    if ((cond) && n < sizeof more) n += (size_t)snprintf(more + n, sizeof more - n, __VA_ARGS__)
        WAS(was->pay != e->f.pay, "; shrunk from pay = %" PRIu64, was->pay);
        WAS(was->nth != e->f.nth, "; shrunk from nth = %u", was->nth);
        WAS(was->hit != e->f.hit, "; shrunk from hit = %u", was->hit);
        WAS(was->at_us != e->f.at_us, "; shrunk from at = %s", lg_seconds(was->at_us, a, sizeof a));
        WAS(was->restart_after_us != e->f.restart_after_us, "; shrunk from restart_after = %s",
            lg_seconds(was->restart_after_us, b, sizeof b));
        WAS(was->max_us != e->f.max_us, "; shrunk from max = %s",
            lg_seconds(was->max_us, a, sizeof a));
#undef WAS
        if (n) snprintf(e->note + strlen(e->note), sizeof e->note - strlen(e->note), "%s", more);
    }
}

static int original_faults(const shr *s) { return s->declared ? s->o.sc->nfaults : s->o.nevents; }

static void header(const shr *s, const shrink_plan *p, char *h, size_t cap) {
    const sim_scenario *sc = s->o.sc;
    char r0[32], r1[32], outname[600];
    const char *base = strrchr(s->out, '/');
    snprintf(outname, sizeof outname, "%s", base ? base + 1 : s->out);
    size_t n = (size_t)snprintf(
        h, cap,
        "%s: written by `outbox-sim shrink %s`:\n"
        "the smallest run it found that breaks %s as the failing run did\n"
        "(%s, seed %" PRIu64 ", design %s:\n"
        "\"%s\").\n"
        "%u payments -> %u, %d injected faults -> %d, run %s s -> %s s; found in %d runs.\n",
        outname, s->run_dir, s->o.target, s->o.file, s->o.seed, s->o.design, s->o.violation,
        sc->workload.payments, p->payments, original_faults(s), p->nfaults,
        lg_seconds(sc->run_us, r0, sizeof r0), lg_seconds(p->run_us, r1, sizeof r1), s->runs + 1);
    if (n >= cap) return;
    if (!s->declared)
        n += (size_t)snprintf(h + n, cap - n,
            "Every fault is explicit: the frame it acts on (link, label, payment, which one),\n"
            "the failpoint hit or the time.  Nothing is drawn at random; the seed still draws\n"
            "the amounts, the payers and the network's latencies (1-3 ms), so run it with it:\n");
    else
        n += (size_t)snprintf(h + n, cap - n,
            "The faults are the original's, as declared: those with a chance still draw from\n"
            "the seed (%s), so run it with it:\n", s->why_declared);
    if (n >= cap) return;
    snprintf(h + n, cap - n,
        "  %s run %s --seed %" PRIu64 "%s\n"
        "It expects every invariant to hold: while the bug is there it fails (exit 1) and\n"
        "names %s; once the bug is fixed it passes, so it can stay as a\n"
        "regression test.\n",
        s->argv0, s->out, s->o.seed, nodeflag_suffix(), s->o.target);
}

/* Writes the result and runs it once more: it must fail the same way. */
static int write_result(shr *s, shrink_plan *best) {
    annotate(s, best);
    char *h = malloc(4096);
    lg_buf b = { 0 };
    if (!h) return 3;
    header(s, best, h, 4096);
    int rc = shrink_plan_text(&s->o, best, h, &b, s->err, sizeof s->err);
    free(h);
    if (rc == 0 && lg_write_file(s->out, b.s, b.len) != 0) {
        snprintf(s->err, sizeof s->err, "cannot write %s: %s", s->out, strerror(errno));
        rc = -1;
    }
    lg_free(&b);
    if (rc != 0) return 3;
    pool_job j = { .seed = s->o.seed };
    snprintf(j.scenario, sizeof j.scenario, "%s", s->out);
    snprintf(j.out, sizeof j.out, "%s/final", s->work);
    snprintf(j.log, sizeof j.log, "%s/final.log", s->work);
    if (pool_batch(&s->pool, &j, 1, s->err, sizeof s->err) != 0) return 3;
    s->runs++;
    const char *slash = strrchr(s->out, '/');
    char slug[256];
    snprintf(slug, sizeof slug, "%s", slash ? slash + 1 : s->out);
    if (strlen(slug) > 4 && !strcmp(slug + strlen(slug) - 4, ".lua")) slug[strlen(slug) - 4] = '\0';
    if (!judge(s, &j, slug)) {
        if (!s->err[0])
            snprintf(s->err, sizeof s->err,
                     "%s did not fail again (exit %d), so it was removed: "
                     "shrinking is not reproducible here",
                     s->out, j.code);
        unlink(s->out);
        return 3;
    }
    return 0;
}

/* ---- the command ------------------------------------------------------------------------------
 */

static const char shrink_usage[] =
    "usage: outbox-sim shrink RUN_DIR [--out FILE] [--invariant NAME] [-j N] [--max-runs N]\n"
    "  a failing run (a directory written by outbox-sim run), made as small as it can be\n"
    "  and written as a Lua scenario with explicit faults (default RUN_DIR/shrunk.lua);\n"
    "  see docs/shrink-explore.md\n"
    "  --node ROLE=COMMAND: the implementation a role runs, as the failing run had it\n"
    "  (docs/protocol.md)\n";

/* Returns 0, an exit code, or -1 after --help. */
static int parse_args(int argc, char **argv, shr *s) {
    s->parallel = pool_cores() < POOL_BATCH_MAX ? pool_cores() : POOL_BATCH_MAX;
    s->max_runs = SHR_DEFAULT_RUNS;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(shrink_usage, stdout);
            return -1;
        } else if (!strcmp(a, "--out") || !strcmp(a, "--invariant")) {
            if (!v || !*v) return cmd_usage_error("%s: expected a value", a);
            *(!strcmp(a, "--out") ? &s->out : &s->want) = v;
            i++;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--max-runs")) {
            int j = !strcmp(a, "-j");
            if (!v || cmd_parse_u64(v, &n) != 0 || n < (j ? 1u : 2u) ||
                n > (j ? POOL_BATCH_MAX : SHR_MAX_RUNS)) {
                fprintf(stderr,
                        "outbox-sim: shrink: %s: expected a number from %d to %d, got '%s'\n", a,
                        j ? 1 : 2, j ? POOL_BATCH_MAX : SHR_MAX_RUNS, v ? v : "");
                return 2;
            }
            *(j ? &s->parallel : &s->max_runs) = (int)n;
            i++;
        } else if (a[0] == '-') {
            return cmd_usage_error("shrink: unknown flag '%s'", a);
        } else if (!s->run_dir) {
            s->run_dir = a;
        } else {
            return cmd_usage_error("shrink takes one run directory; unexpected '%s'", a);
        }
    }
    if (!s->run_dir)
        return cmd_usage_error("shrink: missing RUN_DIR (a directory written by outbox-sim run)%s",
                               "");
    return 0;
}

static int copy_make(const void *vctx, int k, shrink_plan *out) {
    const num_ctx *c = vctx;
    (void)k;
    return shrink_plan_copy(out, c->base, &c->s->o) != 0;
}

/* 1 if plan p fails the same way, 0 if not, -1 if the search had to stop. */
static int try_plan(shr *s, const shrink_plan *p) {
    num_ctx c = { s, p, P_PAYMENTS, 0, NULL };
    int k = scan(s, 1, copy_make, &c, 1, NULL);
    return k == 0 ? 1 : k == 1 ? 0 : -1;
}

static int stop_code(const shr *s) { return s->stop == STOP_BUDGET ? 1 : 3; }

/* Step 1: the explicit schedule, or the fallback.  Returns 0, or an exit code. */
static int first_plan(shr *s, shrink_plan *best) {
    if (s->o.overflow) {
        snprintf(s->why_declared, sizeof s->why_declared, "the run had more than %d injections",
                 SIM_MAX_FAULTS);
    } else {
        if (shrink_plan_explicit(&s->o, best) != 0) return 3;
        lg_buf b = { 0 };
        char why[200];
        int fits = shrink_plan_text(&s->o, best, NULL, &b, why, sizeof why) == 0;
        lg_free(&b);
        int r = fits ? try_plan(s, best) : 0;
        if (r != 0) return r == 1 ? 0 : stop_code(s);
        if (fits)
            snprintf(s->why_declared, sizeof s->why_declared,
                     "the explicit schedule did not break %s again", s->o.target);
        else
            snprintf(s->why_declared, sizeof s->why_declared,
                     "the explicit schedule is too long (%s)", why);
        shrink_plan_free(best);
    }
    s->declared = 1;
    if (shrink_plan_declared(&s->o, best) != 0) return 3;
    shrink_plan_fit(&s->o, best);
    int r = try_plan(s, best);
    if (r != 0) return r == 1 ? 0 : stop_code(s);
    snprintf(s->err, sizeof s->err,
             "%s does not break %s again, neither with its faults made explicit nor as "
             "declared with seed %" PRIu64 " (was the scenario or the binary changed since?)",
             s->o.file, s->o.target, s->o.seed);
    s->stop = STOP_HARNESS;
    return 3;
}

/* Steps 2 to 4. */
static void search(shr *s, shrink_plan *best) {
    double t = pool_now();
    int64_t runs = s->runs;
    int before = best->nfaults;
    ddmin(s, best);
    if (s->stop == STOP_SIGNAL || s->stop == STOP_HARNESS) return;
    printf("  step 2    ddmin: %d faults -> %d (%" PRId64 " run%s)\n", before, best->nfaults,
           s->runs - runs, s->runs - runs == 1 ? "" : "s");
    fflush(stdout);
    runs = s->runs;
    uint32_t pay0 = best->payments;
    int64_t run0 = best->run_us;
    int changed = 1;
    for (int round = 0; round < SHR_ROUNDS && changed && !s->stop; round++) {
        int nf = best->nfaults;
        changed = smaller_workload(s, best);
        changed |= simpler_faults(s, best);
        if (best->nfaults > 1 && (changed || best->nfaults != nf)) ddmin(s, best);
    }
    if (s->stop == STOP_SIGNAL || s->stop == STOP_HARNESS) return;
    char a[32], b[32];
    printf("  step 3-4  payments %u -> %u, run %s s -> %s s, simpler faults, %d left (%" PRId64
           " runs, %.1f s so far)\n",
           pay0, best->payments, lg_seconds(run0, a, sizeof a),
           lg_seconds(best->run_us, b, sizeof b), best->nfaults, s->runs - runs,
           pool_now() - t);
    fflush(stdout);
}

static void print_start(const shr *s, int64_t runs) {
    char also[400] = "";
    for (int i = 0, n = 0; i < s->o.nbroken; i++)
        if (strcmp(s->o.broken[i], s->o.target))
            snprintf(also + strlen(also), sizeof also - strlen(also), "%s%s",
                     n++ ? ", " : "; also broken: ", s->o.broken[i]);
    printf("shrink: %s: %s, seed %" PRIu64 ", design %s\n", s->run_dir, s->o.file, s->o.seed,
           s->o.design);
    printf("  matching  %s, %s%s%s\n", s->o.target,
           s->want ? "as asked" : "the first invariant it broke", also,
           also[0] && !s->want ? " (--invariant NAME picks another)" : "");
    if (!s->declared)
        printf("  step 1    %d injections made explicit (%d drops, %d duplicates, %d delays, %d "
               "broker losses, %d crashes, "
               "%d kept as declared): it still fails (%" PRId64 " run)\n",
               s->o.nevents, s->o.drops, s->o.dups, s->o.delays, s->o.losses, s->o.crashes,
               s->o.kept, runs);
    else
        printf("  step 1    fallback: %s; the original %d faults are kept as declared, with seed "
               "%" PRIu64 ": it still fails "
               "(%" PRId64 " run%s)\n",
               s->why_declared, s->o.sc->nfaults, s->o.seed, runs, runs == 1 ? "" : "s");
    fflush(stdout);
}

static void print_end(const shr *s, const shrink_plan *best, double t0) {
    char a[32], b[32];
    printf("  wrote     %s: it breaks %s (exit 1)\n", s->out, s->o.target);
    printf("  smaller   payments %u -> %u, injected faults %d -> %d, run %s s -> %s s, in %d runs "
           "(-j %d, %.1f s)\n",
           s->o.sc->workload.payments, best->payments, original_faults(s), best->nfaults,
           lg_seconds(s->o.sc->run_us, a, sizeof a), lg_seconds(best->run_us, b, sizeof b), s->runs,
           s->parallel, pool_now() - t0);
    if (s->stop == STOP_BUDGET)
        printf("  stopped   --max-runs %d reached: this is smaller, but maybe not the smallest\n",
               s->max_runs);
    if (s->refused)
        printf("  note      %d candidates were refused by the scenario loader (first: %s)\n",
               s->refused, s->refused_why);
    printf("  reproduce %s run %s --seed %" PRIu64 "%s\n", s->argv0, s->out, s->o.seed,
           nodeflag_suffix());
}

static int prepare(shr *s, char *out_default, size_t cap) {
    char dir[512];
    snprintf(dir, sizeof dir, "%s", s->run_dir);
    for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--) dir[n - 1] = '\0';
    snprintf(out_default, cap, "%s/shrunk.lua", dir);
    if (!s->out) s->out = out_default;
    char out_dir[600];
    snprintf(out_dir, sizeof out_dir, "%s", s->out);
    char *slash = strrchr(out_dir, '/');
    if (slash) *slash = '\0';
    if (access(slash ? (out_dir[0] ? out_dir : "/") : ".", W_OK) != 0) {
        fprintf(stderr, "outbox-sim: shrink: --out %s: cannot write in that directory: %s\n",
                s->out, strerror(errno));
        return 2;
    }
    snprintf(s->work, sizeof s->work, "%s/shrink.work", dir);
    files_rmtree(s->work);    /* left by a shrink that was killed */
    if (files_mkdirs(s->work) != 0) {
        fprintf(stderr, "outbox-sim: shrink: cannot create %s: %s\n", s->work, strerror(errno));
        return 3;
    }
    s->memo = calloc((size_t)s->max_runs + 1, sizeof *s->memo);
    if (!s->memo) { fprintf(stderr, "outbox-sim: shrink: out of memory\n"); return 3; }
    return 0;
}

int cmd_shrink(int argc, char **argv) {
    static shr s;
    memset(&s, 0, sizeof s);
    s.argv0 = argv[0];
    int rc = parse_args(argc, argv, &s);
    if (rc) return rc < 0 ? 0 : rc;
    char err[1400], out_default[600];
    if ((rc = shrink_plan_read(&s.o, s.run_dir, s.want, err, sizeof err)) != 0) {
        fprintf(stderr, "outbox-sim: shrink: %s\n", err);
        shrink_plan_orig_free(&s.o);
        return rc;
    }
    pool_init(&s.pool, s.parallel, cmd_self());
    s.pool.grace_ms = SHR_GRACE_MS;
    s.pool.limit_ms = SHR_RUN_LIMIT_MS;
    double t0 = pool_now();
    shrink_plan best = { 0 };
    int prepared =
        (rc = prepare(&s, out_default, sizeof out_default)) == 0; /* it says what went wrong */
    if (prepared && (rc = first_plan(&s, &best)) == 0) {
        print_start(&s, s.runs);
        search(&s, &best);
        if (s.stop == STOP_NONE || s.stop == STOP_BUDGET) rc = write_result(&s, &best);
        else rc = 3;
    }
    if (rc == 0) print_end(&s, &best, t0);
    else if (s.stop == STOP_SIGNAL)
        fprintf(stderr, "outbox-sim: shrink: interrupted by a signal; nothing written\n");
    else if (prepared)
        fprintf(stderr, "outbox-sim: shrink: %s\n", s.err[0] ? s.err : "out of memory");
    pool_remove(&s.pool, s.work);   /* a SIGKILLed run's janitor may still be at work */
    pool_fini(&s.pool);
    shrink_plan_free(&best);
    shrink_plan_orig_free(&s.o);
    free(s.memo);
    return rc;
}
