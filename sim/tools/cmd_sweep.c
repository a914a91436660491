/*
** cmd_sweep.c: `outbox-sim sweep SCENARIO... --seeds A..B [-j N] [--shard K/N]
** [--time-budget S] [--junit FILE] [--json FILE] [--out DIR] [--rerun FRACTION]
** [--design NAME] [--keep]`: many seeds of many scenarios, each an isolated child run
** (runner.h), at most -j at once.
**
** The runs are numbered over scenario x seed, scenario first: run i is scenario
** i / nseeds with seed A + i % nseeds.  `--shard K/N` keeps the runs with i % N == K-1,
** so N jobs cover every run exactly once between them.
**
** Determinism in the field: a sample of the runs is run a second time into DIR/.rerun
** and the trace hashes compared.  The sample is a pure function of the scenario names
** and seed numbers (a hash of each below a threshold, plus the shard's run with the
** smallest hash so that at least one is checked), so the same sweep always reruns the
** same runs.  A difference is a harness failure (exit 3), printed with both
** hashes and the first line where the two traces part.  A sweep that stops starting
** runs early (a time budget) may never reach its sampled runs: then the first run that
** finished is rerun, so no sweep that ran something ends with nothing checked (unless
** --rerun 0 turned the check off).
**
** One sweep writes a directory at a time: DIR/.lock is held (flock) while it
** runs, and a second sweep into the same DIR is refused (exit 2) before it runs anything.
** The JUnit file has a test case per run that ran; the runs never started are summed
** up in one skipped case per scenario, so a budget over millions of seeds stays small.
**
** Exit code: 3 a harness failure (a run's, a determinism mismatch, a signal, reports
** not written), else 2 a bad scenario at run time, else 1 a run did not meet its
** expectations, else 0.
*/
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "cmd.h"
#include "runner.h"
#include "../util/files.h"
#include "../util/lock.h"
#include "../util/json.h"
#include "../scenario/scenario.h"

#define SWEEP_MAX_SCENARIOS 256
#define SWEEP_MAX_RUNS 10000000ULL        /* per sweep (after sharding too): split with --shard */
#define SWEEP_RECAP 20                    /* failures repeated at the end */
#define SWEEP_TICK_MS 250

typedef struct {
    const char *path;
    char slug[128];
} sweep_scenario;

typedef struct {
    int scen;
    uint64_t seed;
    int orig_exit;
    char orig_hash[48];
    int orig_pass;            /* the original passed: its dir goes once the rerun agrees */
    int done;
} rerun_item;

typedef struct {
    /* options */
    sweep_scenario sc[SWEEP_MAX_SCENARIOS];
    int nsc;
    uint64_t a, b;
    int have_seeds, jobs, keep;
    uint64_t shard_k, shard_n;
    double budget;            /* < 0: none */
    double rerun;
    const char *junit, *json, *out, *design;
    /* the plan */
    uint64_t nseeds, total, planned, next_i, started;
    uint64_t passed, failed, errors, skipped;
    uint32_t reached;         /* bit i: some run reached state i (sim/util/reached.h) */
    uint64_t sample_min_i;
    uint64_t sample_thresh;   /* key < thresh is sampled; all when sample_all */
    int sample_all, sample_none;
    rerun_item *rq;
    size_t rq_cap, rq_head, rq_tail;   /* rq_cap: the sampled runs, plus one fallback */
    uint64_t nsampled;                 /* runs of the plan in the sample */
    int fallback_held;                 /* a run kept in case no sampled run ends well */
    rerun_item fallback;
    uint64_t rerun_done, rerun_same, rerun_diff, rerun_errors;
    int budget_spent;         /* the time budget ran out: no run starts any more */
    int start_failed;         /* a run could not be started: no run starts any more */
    char start_err[256];      /* why */
    int lock_fd;
    uint64_t junit_not_run_cases;
    /* outputs */
    FILE *junit_body, *fail_body;
    uint64_t nfail_json;
    char recap[SWEEP_RECAP][1200];
    int nrecap;
    int worst;                /* exit code so far */
    int tty;
    double t0, last_draw;
    pool pool;
} sweep;

static const char sweep_help[] =
    "usage: outbox-sim sweep SCENARIO... --seeds A..B [-j N] [--shard K/N] [--time-budget S]\n"
    "                        [--junit FILE] [--json FILE] [--out DIR] [--rerun FRACTION]\n"
    "                        [--design NAME] [--keep]\n"
    "\n"
    "Runs every scenario with every seed, each run an isolated `outbox-sim run`.\n"
    "  --seeds A..B        seeds A to B, both included (or one seed N)\n"
    "  -j N                at most N runs at once (default: online CPUs)\n"
    "  --shard K/N         only the runs numbered K-1 mod N (scenario x seed, scenario first):\n"
    "                      N jobs with K = 1..N cover every run exactly once\n"
    "  --time-budget S     start no run after S seconds (S > 0); say how many ran and were\n"
    "                      skipped, and rerun at least one that ran\n"
    "  --junit FILE        JUnit XML, one test case per scenario and seed\n"
    "  --json FILE         JSON summary: counts, failures and their commands, rate\n"
    "  --out DIR           run directories DIR/<scenario>/<seed>/ (default reports/runs)\n"
    "  --rerun FRACTION    rerun this share of the runs and compare trace hashes (default\n"
    "                      0.05, at least one run that ran; 0 turns it off)\n"
    "  --design NAME       run the scenarios under this design instead of their own\n"
    "  --keep              keep the directories of passing runs (default: deleted)\n"
    "  --node ROLE=COMMAND run COMMAND as ROLE instead of bin/outbox-node (repeatable;\n"
    "                      docs/protocol.md)\n"
    "Every failure prints the command that reproduces it.  Exit: 0 all met, 1 a run did\n"
    "not meet its expectations, 2 bad usage or scenario, 3 harness failure (a run's, a\n"
    "determinism mismatch, a signal).\n";

/* ---- options ------------------------------------------------------------------ */

static int parse_shard(const char *s, uint64_t *k, uint64_t *n) {
    char buf[64];
    if (!s || strlen(s) >= sizeof buf) return -1;
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    unsigned long long x, y;
    if (!slash) return -1;
    *slash = '\0';
    if (cmd_parse_u64(buf, &x) != 0 || cmd_parse_u64(slash + 1, &y) != 0) return -1;
    if (y < 1 || y > 1000000 || x < 1 || x > y) return -1;
    *k = x;
    *n = y;
    return 0;
}

static int parse_fraction(const char *s, double lo, double hi, double *out) {
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int parse_flag(sweep *s, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!strcmp(a, "--keep")) { s->keep = 1; return 0; }
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(sweep_help, stdout); return -1; }
    if (!v) return cmd_usage_error("sweep: %s needs a value", a);
    (*i)++;
    if (!strcmp(a, "--seeds")) {
        if (runner_parse_seeds(v, &s->a, &s->b) != 0)
            return cmd_usage_error("sweep: --seeds: expected A..B (A <= B) or N, got '%s'", v);
        s->have_seeds = 1;
    } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs")) {
        if (runner_parse_jobs(v, &s->jobs) != 0)
            return cmd_usage_error("sweep: -j: expected 1..256 parallel runs, got '%s'", v);
    } else if (!strcmp(a, "--shard")) {
        if (parse_shard(v, &s->shard_k, &s->shard_n) != 0)
            return cmd_usage_error("sweep: --shard: expected K/N with 1 <= K <= N, got '%s'", v);
    } else if (!strcmp(a, "--time-budget")) {
        if (parse_fraction(v, 0, 1e9, &s->budget) != 0 || s->budget <= 0)
            return cmd_usage_error(
                "sweep: --time-budget: expected seconds > 0 (a budget of 0 would run nothing), "
                "got '%s'", v);
    } else if (!strcmp(a, "--rerun")) {
        if (parse_fraction(v, 0, 1, &s->rerun) != 0)
            return cmd_usage_error("sweep: --rerun: expected a fraction 0..1, got '%s'", v);
    } else if (!strcmp(a, "--design")) {
        ox_design d;
        if (ox_design_parse(v, &d) != 0) {
            fprintf(stderr, "outbox-sim: sweep: --design: unknown design '%s' (designs: %s)\n", v,
                    ox_design_names());
            return 2;
        }
        s->design = v;
    } else if (!strcmp(a, "--junit")) {
        s->junit = v;
    } else if (!strcmp(a, "--json")) {
        s->json = v;
    } else if (!strcmp(a, "--out")) {
        if (!*v) return cmd_usage_error("sweep: --out: expected a directory%s", "");
        s->out = v;
    } else {
        (*i)--;
        return cmd_usage_error("sweep: unknown flag '%s'", a);
    }
    return 0;
}

static int parse_sweep(sweep *s, int argc, char **argv) {
    s->out = "reports/runs";
    s->jobs = pool_cores();
    s->shard_k = s->shard_n = 1;
    s->budget = -1;
    s->rerun = 0.05;
    for (int i = 2; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            int rc = parse_flag(s, argc, argv, &i);
            if (rc) return rc;
        } else if (s->nsc >= SWEEP_MAX_SCENARIOS) {
            return cmd_usage_error("sweep: at most 256 scenarios, got more at '%s'", argv[i]);
        } else {
            s->sc[s->nsc++].path = argv[i];
        }
    }
    if (!s->nsc) { fputs(sweep_help, stderr); return 2; }
    if (!s->have_seeds) return cmd_usage_error("sweep: --seeds A..B is required%s", "");
    if (s->b - s->a >= SWEEP_MAX_RUNS)
        return cmd_usage_error("sweep: --seeds %s: more than 10000000 seeds in one sweep", "");
    s->nseeds = s->b - s->a + 1;
    s->total = s->nseeds * (uint64_t)s->nsc;
    if (s->total > SWEEP_MAX_RUNS)
        return cmd_usage_error(
            "sweep: more than 10000000 runs (scenarios x seeds)%s; use fewer seeds", "");
    return 0;
}

/* DIR/.lock (sim/util/lock.h, the same lock a run takes on its own directory): two
** sweeps writing one directory would remove and rerun each other's run directories and
** mix their reports without a word. */
static int lock_out(sweep *s) {
    char err[1400];
    int busy = 0;
    s->lock_fd = lock_dir(s->out, &busy, err, sizeof err);
    if (s->lock_fd >= 0) return 0;
    if (busy)
        fprintf(stderr, "outbox-sim: sweep: --out %s; give each sweep its own --out\n", err);
    else
        fprintf(stderr, "outbox-sim: sweep: --out %s: %s\n", s->out, err);
    return 2;
}

/* Every scenario is loaded once here, so a bad one is reported before anything runs. */
static int validate(sweep *s) {
    for (int i = 0; i < s->nsc; i++) {
        char err[1024];
        sim_scenario *sc = scenario_load(s->sc[i].path, s->a, err, sizeof err);
        if (!sc) { fprintf(stderr, "outbox-sim: %s\n", err); return 2; }
        snprintf(s->sc[i].slug, sizeof s->sc[i].slug, "%s", sc->slug);
        scenario_free(sc);
        for (int k = 0; k < i; k++) {
            if (strcmp(s->sc[k].slug, s->sc[i].slug) != 0) continue;
            fprintf(stderr,
                    "outbox-sim: sweep: %s and %s would both write %s/%s/: give each scenario "
                    "once, with distinct file names\n",
                    s->sc[k].path, s->sc[i].path, s->out, s->sc[i].slug);
            return 2;
        }
    }
    /* The reports' directories are made now, so a bad path fails before any run. */
    const char *files[2] = { s->junit, s->json };
    for (int i = 0; i < 2; i++) {
        char parent[1100];
        if (!files[i]) continue;
        snprintf(parent, sizeof parent, "%s", files[i]);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) { *slash = '\0'; files_mkdirs(parent); }
        if (!*files[i] || files[i][strlen(files[i]) - 1] == '/' || !files_dir_writable(files[i])) {
            fprintf(stderr, "outbox-sim: sweep: %s '%s': cannot write a file there\n",
                    i ? "--json" : "--junit", files[i]);
            return 2;
        }
    }
    if (files_mkdirs(s->out) != 0) {
        fprintf(stderr, "outbox-sim: sweep: --out %s: cannot create it: %s\n", s->out,
                strerror(errno));
        return 2;
    }
    return lock_out(s);
}

/* ---- the plan ----------------------------------------------------------------- */

static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int run_scen(const sweep *s, uint64_t i) {
    assert(i < s->total);
    return (int)(i / s->nseeds);
}

static uint64_t run_seed(const sweep *s, uint64_t i) {
    assert(i < s->total);
    return s->a + i % s->nseeds;
}

/* The sample's order: a hash of the scenario's name and the seed, nothing else. */
static uint64_t sample_key(const sweep *s, uint64_t i) {
    return mix64(fnv1a(s->sc[run_scen(s, i)].slug) ^ mix64(run_seed(s, i)));
}

static int sampled(const sweep *s, uint64_t i) {
    if (s->sample_none) return 0;
    return s->sample_all || i == s->sample_min_i || sample_key(s, i) < s->sample_thresh;
}

static int plan(sweep *s) {
    uint64_t k = s->shard_k - 1, n = s->shard_n;
    s->planned = s->total > k ? (s->total - k + n - 1) / n : 0;
    s->next_i = k;
    s->sample_none = s->rerun <= 0 || s->planned == 0;
    s->sample_all = s->rerun >= 1;
    /* f * 2^64, computed below 2^64 since f < 1 here. */
    s->sample_thresh = s->sample_all || s->sample_none ? 0 : (uint64_t)ldexp(s->rerun, 64);
    uint64_t best = UINT64_MAX, count = 0;
    s->sample_min_i = UINT64_MAX;
    for (uint64_t i = k; !s->sample_none && i < s->total; i += n) {
        uint64_t key = sample_key(s, i);
        if (key < best || s->sample_min_i == UINT64_MAX) { best = key; s->sample_min_i = i; }
    }
    for (uint64_t i = k; !s->sample_none && i < s->total; i += n) count += sampled(s, i);
    s->nsampled = count;
    s->rq_cap = (size_t)count + !s->sample_none;   /* + the fallback (fallback_queue) */
    if (s->rq_cap && !(s->rq = calloc(s->rq_cap, sizeof *s->rq))) {
        fprintf(stderr, "outbox-sim: sweep: out of memory for %" PRIu64 " reruns\n", count);
        return 3;
    }
    return 0;
}

static void job_for(const sweep *s, int scen, uint64_t seed, int rerun, pool_job *j) {
    memset(j, 0, sizeof *j);
    snprintf(j->scenario, sizeof j->scenario, "%s", s->sc[scen].path);
    j->seed = seed;
    snprintf(j->design, sizeof j->design, "%s", s->design ? s->design : "");
    snprintf(j->out, sizeof j->out, "%s%s", s->out, rerun ? "/.rerun" : "");
    snprintf(j->run_dir, sizeof j->run_dir, "%s/%s/%" PRIu64, j->out, s->sc[scen].slug, seed);
}

/* ---- what the user sees ------------------------------------------------------- */

static void clear_progress(sweep *s) {
    if (s->tty) fputs("\r\033[K", stdout);
}

static uint64_t finished(const sweep *s) {
    /* Reruns' errors count in s->errors too: only the main runs' outcomes are summed. */
    return s->passed + s->failed + s->errors - s->rerun_errors;
}

static void draw_progress(sweep *s, int force) {
    double now = pool_now();
    if (!s->tty || (!force && now - s->last_draw < SWEEP_TICK_MS / 1000.0)) return;
    s->last_draw = now;
    double el = now - s->t0;
    uint64_t done = finished(s);
    double rate = el > 0 ? done / el : 0;
    char left[64] = "";
    uint64_t remaining = s->planned - done - s->skipped;
    if (rate > 0) {
        double t = remaining / rate;
        if (s->budget >= 0 && t > s->budget - el) t = s->budget - el > 0 ? s->budget - el : 0;
        snprintf(left, sizeof left, ", ~%.0f s left", t);
    }
    printf("\r\033[Ksweep: %" PRIu64 "/%" PRIu64 " runs, %" PRIu64 " failed%s, %.1f runs/s%s",
           done, s->planned, s->failed, s->errors ? " (+errors)" : "", rate, left);
    fflush(stdout);
}

static void print_run(sweep *s, const pool_job *j, const runner_result *res, const char *cmd) {
    clear_progress(s);
    const char *slug = s->sc[j->tag >= 0 ? run_scen(s, (uint64_t)j->tag) : 0].slug;
    uint64_t done = finished(s);
    if (res->exit_code == 0) {
        if (!s->tty)
            printf("[%" PRIu64 "/%" PRIu64 "] %s seed %" PRIu64 ": pass (%.2f s)\n", done,
                   s->planned, slug, j->seed, res->seconds);
    } else {
        printf("[%" PRIu64 "/%" PRIu64 "] %s seed %" PRIu64 ": %s: %s\n", done, s->planned, slug,
               j->seed,
               res->exit_code == 1   ? "FAIL"
               : res->exit_code == 2 ? "SCENARIO ERROR"
                                     : "HARNESS ERROR",
               res->why);
        printf("    reproduce: %s\n    run dir:   %s/\n", cmd, j->run_dir);
    }
    fflush(stdout);
    draw_progress(s, 1);
}

/* ---- reports ------------------------------------------------------------------ */

/* s escaped for XML text and attribute values (drops bytes XML 1.0 forbids). */
static void xml_str(FILE *f, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\t': fputs("&#9;", f); break;
        default:
            if (*p >= 0x20) fputc(*p, f);   /* other control bytes are not XML 1.0 */
        }
    }
}

static void junit_case(sweep *s, const char *slug, uint64_t seed, const char *suffix,
                       const runner_result *res, const char *cmd, const char *run_dir) {
    FILE *f = s->junit_body;
    if (!f) return;
    fputs("    <testcase classname=\"", f);
    xml_str(f, slug);
    assert(res != NULL);
    fprintf(f, "\" name=\"seed %" PRIu64 "%s\" time=\"%.3f\"", seed, suffix, res->seconds);
    if (res->exit_code == 0) { fputs("/>\n", f); return; }
    const char *tag = res->exit_code == 1 ? "failure" : "error";
    fprintf(f, ">\n      <%s message=\"", tag);
    xml_str(f, res->why);
    fputs("\" type=\"", f);
    xml_str(f, res->exit_code == 1   ? (res->ninv ? res->inv[0] : "expectations")
               : res->exit_code == 2 ? "scenario error"
                                     : "harness error");
    fputs("\">reproduce: ", f);
    xml_str(f, cmd);
    fputs("&#10;run dir: ", f);
    xml_str(f, run_dir);
    for (int k = 0; k < res->ninv; k++) {
        fprintf(f, "%s%s (%" PRIu64 ")", k ? ", " : "&#10;broken: ", res->inv[k],
                res->inv_count[k]);
    }
    if (res->hash[0]) fprintf(f, "&#10;trace hash: %s", res->hash);
    fprintf(f, "</%s>\n    </testcase>\n", tag);
}

static void json_failure(sweep *s, const char *slug, uint64_t seed, const runner_result *res,
                         const char *cmd, const char *run_dir, int scen) {
    if (s->nrecap < SWEEP_RECAP)
        snprintf(s->recap[s->nrecap++], sizeof s->recap[0], "%s", cmd);
    FILE *f = s->fail_body;
    if (!f) return;
    /* One element of the "failures" array of the --json file, written ahead into a
    ** temp file: the array is copied in whole at the end (write_json). */
    json_w w;
    json_w_init_file(&w, f, JSON_SPACED);
    if (s->nfail_json++) json_w_put(&w, ",", 1);
    json_w_break(&w, 4);
    json_w_obj(&w);
    json_w_kstr(&w, "scenario", slug);
    json_w_kstr(&w, "file", s->sc[scen].path);
    json_w_kuint(&w, "seed", seed);
    json_w_kint(&w, "exit_code", res->exit_code);
    json_w_kstr(&w, "why", res->why);
    json_w_key(&w, "invariants");
    json_w_obj(&w);
    for (int k = 0; k < res->ninv; k++) json_w_kuint(&w, res->inv[k], res->inv_count[k]);
    json_w_obj_end(&w);
    json_w_kstr(&w, "trace_hash", res->hash);
    json_w_kstr(&w, "command", cmd);
    json_w_kstr(&w, "run_dir", run_dir);
    json_w_obj_end(&w);
    json_w_flush(&w);   /* a write error shows in ferror() of the file at the end */
}

static void note_exit(sweep *s, int code) {
    /* 3 outranks 2 outranks 1: the worst thing that happened decides. */
    if (code > s->worst) s->worst = code;
}

/* ---- a run ended -------------------------------------------------------------- */

static void rerun_set(rerun_item *it, int scen, uint64_t seed, const runner_result *res) {
    memset(it, 0, sizeof *it);
    it->scen = scen;
    it->seed = seed;
    it->orig_exit = res->exit_code;
    it->orig_pass = res->exit_code == 0;
    snprintf(it->orig_hash, sizeof it->orig_hash, "%s", res->hash);
}

/* The fallback's directory goes unless it is to be kept; the fallback is forgotten. */
static void fallback_drop(sweep *s) {
    if (!s->fallback_held) return;
    s->fallback_held = 0;
    if (!s->fallback.orig_pass || s->keep) return;
    pool_job j;
    job_for(s, s->fallback.scen, s->fallback.seed, 0, &j);
    runner_remove_run_dir(j.run_dir);
}

/* When no main run will start or end any more and none of those that ran was queued
** for a rerun (the sampled ones were never reached: a time budget, or they ended in
** errors), the first run that ended with a verdict is rerun instead: a sweep that
** ran something always checks determinism at least once. */
static void fallback_queue(sweep *s) {
    int more = !s->budget_spent && !s->start_failed && s->next_i < s->total;
    if (!s->fallback_held || more || s->started != finished(s)) return;
    assert(s->rq_tail == 0);
    assert(s->rq_cap >= 1);   /* plan() kept a place for it */
    s->rq[s->rq_tail++] = s->fallback;
    s->fallback_held = 0;     /* now an ordinary rerun: rerun_done removes its dir */
}

static void main_done(sweep *s, const pool_job *j, const runner_result *res) {
    uint64_t i = (uint64_t)j->tag;
    int scen = run_scen(s, i);
    char cmd[1200];
    runner_command(&s->pool, j, cmd, sizeof cmd);
    if (res->exit_code == 0) s->passed++;
    else if (res->exit_code == 1) s->failed++;
    else s->errors++;
    if (res->have_summary) s->reached |= res->reached;
    note_exit(s, res->exit_code);
    print_run(s, j, res, cmd);
    junit_case(s, s->sc[scen].slug, j->seed, "", res, cmd, j->run_dir);
    if (res->exit_code) json_failure(s, s->sc[scen].slug, j->seed, res, cmd, j->run_dir, scen);
    assert(j->tag >= 0);
    if (res->exit_code <= 1 && !s->sample_none && sampled(s, i) && s->rq_tail < s->rq_cap) {
        rerun_set(&s->rq[s->rq_tail++], scen, j->seed, res);
        fallback_drop(s);   /* a sampled run will be rerun: the fallback is not needed */
        return;             /* the directory stays until the rerun is compared */
    }
    if (res->exit_code <= 1 && !s->sample_none && s->rq_tail == 0 && !s->fallback_held) {
        rerun_set(&s->fallback, scen, j->seed, res);
        s->fallback_held = 1;
        return;             /* kept: it may be the one run rerun (fallback_queue) */
    }
    if (res->exit_code == 0 && !s->keep) runner_remove_run_dir(j->run_dir);
}

/* Prints where two traces part: the first differing line of each. */
static void first_difference(const char *a, const char *b) {
    FILE *fa = fopen(a, "re"), *fb = fopen(b, "re");
    if (!fa || !fb) {
        fprintf(stderr, "    (cannot open %s)\n", !fa ? a : b);
        if (fa) fclose(fa);
        if (fb) fclose(fb);
        return;
    }
    char *la = NULL, *lb = NULL;
    size_t ca = 0, cb = 0;
    for (uint64_t line = 1;; line++) {
        ssize_t na = getline(&la, &ca, fa), nb = getline(&lb, &cb, fb);
        if (na < 0 && nb < 0) {
            fprintf(stderr, "    the trace files are identical: the hashes were computed over "
                            "different bytes\n");
            break;
        }
        if (na >= 0 && nb >= 0 && na == nb && !memcmp(la, lb, (size_t)na)) continue;
        fprintf(stderr, "    first difference at line %" PRIu64 ":\n", line);
        fprintf(stderr, "      first: %.400s%s", na >= 0 ? la : "(end of file)\n",
                na > 400 ? "...\n" : "");
        fprintf(stderr, "      rerun: %.400s%s", nb >= 0 ? lb : "(end of file)\n",
                nb > 400 ? "...\n" : "");
        break;
    }
    free(la);
    free(lb);
    fclose(fa);
    fclose(fb);
}

static void rerun_done(sweep *s, const pool_job *j, const runner_result *res) {
    assert(j->tag < 0);
    assert((size_t)(-j->tag - 1) < s->rq_head);
    rerun_item *it = &s->rq[-j->tag - 1];
    assert(!it->done);
    pool_job orig;
    job_for(s, it->scen, it->seed, 0, &orig);
    const char *slug = s->sc[it->scen].slug;
    s->rerun_done++;
    it->done = 1;
    int same = res->exit_code == it->orig_exit && !strcmp(res->hash, it->orig_hash);
    if (same) {
        s->rerun_same++;
        runner_remove_run_dir(j->run_dir);
        if (it->orig_pass && !s->keep) runner_remove_run_dir(orig.run_dir);
        if (!s->tty)
            printf("rerun %s seed %" PRIu64 ": same trace (%s)\n", slug, it->seed, res->hash);
        return;
    }
    char cmd[1200];
    runner_command(&s->pool, &orig, cmd, sizeof cmd);
    runner_result bad = *res;
    clear_progress(s);
    fflush(stdout);
    if (res->exit_code >= 2) {
        /* The rerun itself broke: a harness error, not a proven difference. */
        s->errors++;
        s->rerun_errors++;
        snprintf(bad.why, sizeof bad.why, "rerun failed: %.480s", res->why);
        fprintf(stderr, "outbox-sim: sweep: the rerun of %s seed %" PRIu64 " failed: %s\n", slug,
                it->seed, res->why);
    } else {
        s->rerun_diff++;
        bad.exit_code = 3;
        snprintf(bad.why, sizeof bad.why,
                 "determinism: the rerun's trace differs (%s exit %d, rerun %s exit %d)",
                 it->orig_hash, it->orig_exit, res->hash, res->exit_code);
        char ta[1200], tb[1200];
        snprintf(ta, sizeof ta, "%s/trace.jsonl", orig.run_dir);
        snprintf(tb, sizeof tb, "%s/trace.jsonl", j->run_dir);
        fprintf(stderr,
                "outbox-sim: DETERMINISM FAILURE: %s seed %" PRIu64
                " ran twice and the traces differ\n",
                slug, it->seed);
        fprintf(stderr, "    first run: %s, exit %d  (%s)\n", it->orig_hash, it->orig_exit, ta);
        fprintf(stderr, "    rerun:     %s, exit %d  (%s)\n", res->hash, res->exit_code, tb);
        first_difference(ta, tb);
        fprintf(stderr, "    reproduce: %s\n", cmd);
    }
    note_exit(s, 3);
    junit_case(s, slug, it->seed, " (rerun)", &bad, cmd, j->run_dir);
    json_failure(s, slug, it->seed, &bad, cmd, j->run_dir, it->scen);
    draw_progress(s, 1);
}

/* ---- the loop ----------------------------------------------------------------- */

/* May another main run start?  Notes when the time budget runs out. */
static int main_may_start(sweep *s) {
    if (s->budget_spent || s->start_failed || s->next_i >= s->total) return 0;
    if (s->budget >= 0 && pool_now() - s->t0 >= s->budget) { s->budget_spent = 1; return 0; }
    return 1;
}

static int start_next(sweep *s) {
    pool_job j;
    int main_ok = main_may_start(s);
    if (!main_ok && s->rq_head == s->rq_tail) fallback_queue(s);
    if (s->rq_head < s->rq_tail) {
        size_t k = s->rq_head++;
        job_for(s, s->rq[k].scen, s->rq[k].seed, 1, &j);
        j.tag = -(long)k - 1;
    } else {
        if (!main_ok) return 0;
        job_for(s, run_scen(s, s->next_i), run_seed(s, s->next_i), 0, &j);
        j.tag = (long)s->next_i;
        s->next_i += s->shard_n;
        s->started++;
    }
    char err[1400];
    if (runner_start(&s->pool, &j, err, sizeof err) != 0) {
        clear_progress(s);
        fprintf(stderr, "outbox-sim: sweep: %s\n", err);
        snprintf(s->start_err, sizeof s->start_err, "%.200s", err);
        if (j.tag >= 0) {   /* never started: counted with the runs not run */
            s->next_i -= s->shard_n;
            s->started--;
        }
        return -1;
    }
    return 1;
}

static void loop(sweep *s) {
    for (;;) {
        while (!s->pool.stop_sig && s->pool.nrunning < s->pool.max) {
            int rc = start_next(s);
            if (rc < 0) { note_exit(s, 3); s->start_failed = 1; s->rq_head = s->rq_tail; }
            if (rc <= 0) break;
        }
        if (s->pool.stop_sig) return;
        pool_job j;
        runner_result res;
        int rc = runner_wait(&s->pool, SWEEP_TICK_MS, &j, &res);
        if (rc < 0) return;   /* nothing running and nothing left to start */
        if (rc == 1) {
            if (j.tag >= 0) main_done(s, &j, &res);
            else rerun_done(s, &j, &res);
        }
        draw_progress(s, 0);
    }
}

/* ---- the end ------------------------------------------------------------------ */

/* Why runs were never started, or NULL when every planned run started. */
static const char *not_run_reason(const sweep *s, char *buf, size_t cap) {
    if (s->started >= s->planned) return NULL;
    if (s->pool.stop_sig) snprintf(buf, cap, "interrupted by signal %d", s->pool.stop_sig);
    else if (s->budget_spent) snprintf(buf, cap, "time budget of %g s spent", s->budget);
    else if (s->start_failed) snprintf(buf, cap, "a run could not be started (%s)", s->start_err);
    else snprintf(buf, cap, "not started");
    return buf;
}

/* The runs never started, summed up in one skipped JUnit case per scenario: a CI
** report of a budgeted sweep over a million seeds stays a few kilobytes. */
static void junit_not_run(sweep *s) {
    char why[320];
    if (!s->junit_body || !not_run_reason(s, why, sizeof why)) return;
    for (int sc = 0; sc < s->nsc; sc++) {
        uint64_t n = 0, lo = 0, hi = 0;
        for (uint64_t i = s->next_i; i < s->total; i += s->shard_n) {
            if (run_scen(s, i) != sc) continue;
            if (!n++) lo = run_seed(s, i);
            hi = run_seed(s, i);
        }
        if (!n) continue;
        s->junit_not_run_cases++;
        FILE *f = s->junit_body;
        fputs("    <testcase classname=\"", f);
        xml_str(f, s->sc[sc].slug);
        fprintf(f,
                "\" name=\"not run: %" PRIu64 " seed%s %" PRIu64 "..%" PRIu64 "%s\" time=\"0\">"
                "<skipped message=\"%s: %" PRIu64 " run%s of this scenario never started\"/>"
                "</testcase>\n",
                n, n == 1 ? "" : "s", lo, hi, s->shard_n > 1 ? " of this shard" : "", why, n,
                n == 1 ? "" : "s");
    }
}

static void write_junit(FILE *f, void *ctx) {
    sweep *s = ctx;
    double el = pool_now() - s->t0;
    /* The cases written: one per run that ended, one per rerun that differed, one per
    ** scenario with runs never started (junit_not_run). */
    uint64_t tests = finished(s) + s->rerun_diff + s->junit_not_run_cases;
    uint64_t errors = s->errors + s->rerun_diff, skipped = s->junit_not_run_cases;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f,
            "<testsuites name=\"outbox-sim sweep\" tests=\"%" PRIu64 "\" failures=\"%" PRIu64
            "\" errors=\"%" PRIu64 "\" skipped=\"%" PRIu64 "\" time=\"%.3f\">\n",
            tests, s->failed, errors, skipped, el);
    fprintf(f,
            "  <testsuite name=\"outbox-sim sweep shard %" PRIu64 "/%" PRIu64 "\" tests=\"%" PRIu64
            "\" failures=\"%" PRIu64 "\" errors=\"%" PRIu64 "\" skipped=\"%" PRIu64
            "\" time=\"%.3f\">\n",
            s->shard_k, s->shard_n, tests, s->failed, errors, skipped, el);
    fprintf(f,
            "    <properties>\n      <property name=\"planned\" value=\"%" PRIu64 "\"/>\n"
            "      <property name=\"ran\" value=\"%" PRIu64 "\"/>\n"
            "      <property name=\"not_run\" value=\"%" PRIu64 "\"/>\n    </properties>\n",
            s->planned, finished(s), s->planned - finished(s));
    if (s->junit_body) {
        rewind(s->junit_body);
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, s->junit_body)) > 0) fwrite(buf, 1, n, f);
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
}

/* The second half of the --json file: reruns, failures, rates. */
static void write_json_end(sweep *s, json_w *w, double el, uint64_t done) {
    json_w_break(w, 2);
    json_w_key(w, "rerun");
    json_w_obj(w);
    json_w_key(w, "fraction");
    json_w_fmt(w, "%g", s->rerun);
    json_w_kuint(w, "sampled", s->rq_tail);
    json_w_kuint(w, "checked", s->rerun_done);
    json_w_kuint(w, "identical", s->rerun_same);
    json_w_kuint(w, "mismatches", s->rerun_diff);
    json_w_obj_end(w);
    json_w_break(w, 2);
    json_w_key(w, "failures");
    json_w_arr(w);
    if (s->fail_body) {
        rewind(s->fail_body);
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, s->fail_body)) > 0) json_w_put(w, buf, n);
    }
    if (s->nfail_json) json_w_break(w, 2);
    json_w_arr_end(w);
    json_w_break(w, 2);
    json_w_key(w, "failure_rate");
    json_w_fmt(w, "%.6f", done ? (double)(s->failed + s->errors) / done : 0.0);
    json_w_break(w, 2);
    json_w_key(w, "wall_seconds");
    json_w_fmt(w, "%.3f", el);
    json_w_break(w, 2);
    json_w_key(w, "runs_per_second");
    json_w_fmt(w, "%.3f", el > 0 ? done / el : 0.0);
    json_w_break(w, 2);
    json_w_key(w, "seeds_per_minute");
    json_w_fmt(w, "%.1f", el > 0 ? 60.0 * done / el : 0.0);
    json_w_break(w, 2);
    json_w_key(w, "time_budget");
    if (s->budget >= 0) json_w_fmt(w, "%g", s->budget); else json_w_null(w);
    json_w_break(w, 2);
    json_w_kbool(w, "interrupted", s->pool.stop_sig != 0);
    json_w_break(w, 2);
    json_w_kint(w, "exit_code", s->worst);
    json_w_break(w, 0);
    json_w_obj_end(w);
    json_w_put(w, "\n", 1);
}

static void write_json(FILE *f, void *ctx) {
    sweep *s = ctx;
    double el = pool_now() - s->t0;
    uint64_t done = finished(s);
    json_w w;
    json_w_init_file(&w, f, JSON_SPACED);
    json_w_obj(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "scenarios");
    json_w_arr(&w);
    for (int i = 0; i < s->nsc; i++) {
        json_w_obj(&w);
        json_w_kstr(&w, "name", s->sc[i].slug);
        json_w_kstr(&w, "file", s->sc[i].path);
        json_w_obj_end(&w);
    }
    json_w_arr_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "seeds");
    json_w_obj(&w);
    json_w_kuint(&w, "from", s->a);
    json_w_kuint(&w, "to", s->b);
    json_w_obj_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "shard");
    json_w_obj(&w);
    json_w_kuint(&w, "k", s->shard_k);
    json_w_kuint(&w, "n", s->shard_n);
    json_w_obj_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "design");
    if (s->design) json_w_str(&w, s->design); else json_w_null(&w);
    json_w_break(&w, 2);
    json_w_kint(&w, "jobs", s->pool.max);
    json_w_break(&w, 2);
    json_w_kstr(&w, "out", s->out);
    json_w_break(&w, 2);
    json_w_key(&w, "counts");
    json_w_obj(&w);
    json_w_kuint(&w, "planned", s->planned);
    json_w_kuint(&w, "ran", done);
    json_w_kuint(&w, "passed", s->passed);
    json_w_kuint(&w, "failed", s->failed);
    json_w_kuint(&w, "errors", s->errors);
    json_w_kuint(&w, "skipped", s->planned - done);
    json_w_obj_end(&w);
    write_json_end(s, &w, el, done);
    json_w_flush(&w);
}

static void write_reports(sweep *s) {
    char err[1400];
    if (s->junit && files_write(s->junit, write_junit, s, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: sweep: %s\n", err);
        note_exit(s, 3);
    }
    if (s->json && files_write(s->json, write_json, s, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: sweep: %s\n", err);
        note_exit(s, 3);
    }
}

static void print_end(sweep *s) {
    double el = pool_now() - s->t0;
    uint64_t done = finished(s);
    clear_progress(s);
    if (s->pool.stop_sig)
        printf("sweep: interrupted by signal %d: the runs in progress were stopped and their "
               "directories removed\n",
               s->pool.stop_sig);
    /* Only a budget that was given and ran out is a "time budget spent". */
    if (s->budget_spent && s->planned > s->started)
        printf("sweep: time budget of %g s spent: %" PRIu64 " runs ran, %" PRIu64 " skipped\n",
               s->budget, done, s->planned - s->started);
    else if (s->start_failed && !s->pool.stop_sig && s->planned > s->started)
        printf("sweep: stopped starting runs after the error above: %" PRIu64 " runs ran, %" PRIu64
               " not started\n",
               done, s->planned - s->started);
    printf("sweep: %" PRIu64 " runs in %.1f s (%.2f runs/s, %.1f seeds/min): %" PRIu64
           " passed, %" PRIu64 " failed, %" PRIu64 " errors",
           done, el, el > 0 ? done / el : 0.0, el > 0 ? 60.0 * done / el : 0.0, s->passed,
           s->failed, s->errors - s->rerun_errors);
    if (s->planned > done) printf(", %" PRIu64 " not run", s->planned - done);
    printf("\n");
    if (s->rq_tail)
        printf("sweep: determinism: %" PRIu64 " of %zu sampled runs rerun, %" PRIu64
               " identical, %" PRIu64 " differ%s\n",
               s->rerun_done, s->rq_tail, s->rerun_same, s->rerun_diff,
               s->rerun_errors ? ", some reruns failed (see above)" : "");
    else if (!s->sample_none && done)
        printf("sweep: determinism: not checked: no run ended with a verdict to compare\n");
    char never[1024];
    if (done && runner_unreached(s->reached, never, sizeof never))
        printf("sweep: reached states no run reached: %s\n", never);
    else if (done)
        printf("sweep: reached states: every one reached by some run\n");
    if (s->nrecap) {
        printf("sweep: reproduce the failures with:\n");
        for (int i = 0; i < s->nrecap; i++) printf("  %s\n", s->recap[i]);
        uint64_t more = s->failed + s->errors + s->rerun_diff - (uint64_t)s->nrecap;
        if (more)
            printf("  ... and %" PRIu64 " more%s\n", more,
                   s->json ? " (all of them in the --json file)" : "");
    }
    if (s->junit) printf("sweep: JUnit XML in %s\n", s->junit);
    if (s->json) printf("sweep: JSON summary in %s\n", s->json);
    fflush(stdout);
}

static void cleanup_dirs(const sweep *s) {
    char dir[1100];
    /* Passing runs kept for a rerun that never happened (a signal, a budget). */
    for (size_t k = 0; k < s->rq_tail; k++) {
        if (s->rq[k].done || !s->rq[k].orig_pass || s->keep) continue;
        pool_job j;
        job_for(s, s->rq[k].scen, s->rq[k].seed, 0, &j);
        runner_remove_run_dir(j.run_dir);
    }
    for (int i = 0; i < s->nsc; i++) {
        snprintf(dir, sizeof dir, "%s/.rerun/%s", s->out, s->sc[i].slug);
        rmdir(dir);
        snprintf(dir, sizeof dir, "%s/%s", s->out, s->sc[i].slug);
        rmdir(dir);
    }
    snprintf(dir, sizeof dir, "%s/.rerun", s->out);
    rmdir(dir);
}

/* An unlinked temp file, not inherited by the children. */
static FILE *temp_file(void) {
    FILE *f = tmpfile();
    if (f) fcntl(fileno(f), F_SETFD, FD_CLOEXEC);
    return f;
}

static void print_start(const sweep *s) {
    printf("sweep: %d scenario%s x seeds %" PRIu64 "..%" PRIu64 " = %" PRIu64 " runs", s->nsc,
           s->nsc > 1 ? "s" : "", s->a, s->b, s->total);
    if (s->shard_n > 1)
        printf(", shard %" PRIu64 "/%" PRIu64 ": %" PRIu64 " runs", s->shard_k, s->shard_n,
               s->planned);
    printf("; -j %d; %" PRIu64 " rerun%s for determinism; run dirs in %s/\n", s->jobs,
           s->nsampled, s->nsampled == 1 ? "" : "s", s->out);
    fflush(stdout);
}

/* The sweep's end on every path after validate(): its lock, then its memory. */
static int release(sweep *s, int rc) {
    lock_release(s->lock_fd);
    s->lock_fd = -1;
    free(s->rq);
    s->rq = NULL;
    return rc;
}

int cmd_sweep(int argc, char **argv) {
    static sweep s;   /* large; one per process */
    memset(&s, 0, sizeof s);
    s.lock_fd = -1;
    int rc = parse_sweep(&s, argc, argv);
    if (rc < 0) return 0;   /* --help */
    if (!rc) rc = validate(&s);
    if (!rc) rc = plan(&s);
    if (rc) return release(&s, rc);
    if (s.jobs > 0 && (uint64_t)s.jobs > s.planned && s.planned > 0) s.jobs = (int)s.planned;
    s.tty = isatty(STDOUT_FILENO);
    s.t0 = pool_now();
    /* Unlinked temp files: nothing is left behind, whatever way the sweep ends. */
    if ((s.junit && !(s.junit_body = temp_file())) || (s.json && !(s.fail_body = temp_file()))) {
        perror("outbox-sim: sweep: tmpfile");
        if (s.junit_body) fclose(s.junit_body);
        return release(&s, 3);
    }
    print_start(&s);
    pool_init(&s.pool, s.jobs, argv[0]);
    loop(&s);
    if (s.pool.stop_sig) {
        runner_stop_all(&s.pool);
        note_exit(&s, 3);
    }
    pool_fini(&s.pool);
    fallback_drop(&s);   /* a signal stopped the sweep before it could be rerun */
    junit_not_run(&s);
    s.skipped = s.planned - finished(&s);
    write_reports(&s);
    print_end(&s);
    cleanup_dirs(&s);
    if (s.junit_body) fclose(s.junit_body);
    if (s.fail_body) fclose(s.fail_body);
    return release(&s, s.worst);
}
