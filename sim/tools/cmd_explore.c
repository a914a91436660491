/*
** cmd_explore.c: `outbox-sim explore SCENARIO [--seed N] [--design D] [--depth 1|2] [-j N]
** [--max-variants N] [--power [KEEP]] [--sync-points] [--out DIR]`: systematic
** exploration of a small scenario (docs/shrink-explore.md).
**
** One run as given (the baseline) says which failpoints were passed how often and which
** frames were sent before healing.  Then one variant per crash at each (failpoint, hit),
** per loss and per duplication of each of those frames, and with --depth 2 per pair of
** such faults; each variant is the scenario file with its extra fault lines appended, so
** the workload and the file's own faults stay exactly as they were.  With --power every
** crash variant is a power cut instead, `power_loss { at_failpoint, hit, keep }` at the
** same (failpoint, hit): what a cut at each point of the run takes back.  Such a variant
** runs on the simulated disk (power_wanted) while the baseline does not; the disk changes
** no decision of the run (sim/core/power.h), so the hits still line up.
**
** --sync-points puts every run of the exploration on the simulated disk (DISKF_ENV) with
** its sync points reported (EX_SYNC_ENV, node/simhost.c): each node passes the failpoint
** "<node>.after_sync" after each sync its VFS records, so the baseline counts them as
** failpoint hits and a crash (a power cut with --power) right after each sync is a
** variant too.  Runs inherit both from explore's environment, so the reproduction
** commands name them.  Off by default: a crash inside COMMIT after its sync leaves a
** transaction committed that its service never saw commit, which the checker counts as
** not committed (docs/shrink-explore.md, "Sync points").
**
** Crashes are per instance: a failpoint line of the trace names the node that passed it,
** and with topology{} a failpoint is passed by every instance running its code (the
** accounting instances pass accounting's, each relay payment.scan_*).  Each (failpoint,
** node) gets its own variants, `crash { node = "accounting-2", at_failpoint, hit }` with
** hit counting that node's own passes (as the world counts them, fp_node_hits); without
** topology each failpoint has its one node and the variants are what they always were.
**
** Why the variants hit what they aim at: a variant is the baseline plus faults that draw
** nothing from the seed (nth, failpoint hit), so it is the baseline, byte for byte, up
** to the moment its first fault acts.  Appended faults come after the file's load-time
** faults in the fault list, so a frame dropped by one of those never reaches them: the
** nth of a frame counts the frames of its link and label that were not dropped by the
** file's load-time faults nor cut by a partition.  Each variant's summary is checked:
** a fault that did not act is reported as not reached.
**
** Variants run in a fixed order, -j at a time; which variants run (when there are more
** than --max-variants) is drawn from the seed; nothing depends on which run finished
** first.  Variant files and run directories are kept for the variants that broke.
**
** On a terminal a progress line (rewritten in place, like sweep's) says what runs: the
** baseline, then variants done of those chosen, how many broke, and the time left.
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "../../lib/prng.h"
#include "../../lib/service.h"
#include "../../proto/disk.h"
#include "cmd.h"
#include "nodeflag.h"
#include "../core/diskf.h"
#include "../scenario/lg.h"
#include "pool.h"
#include "../report/tline.h"
#include "../util/files.h"
#include "../util/json.h"

#define EX_DEFAULT_VARIANTS 500
#define EX_MAX_VARIANTS 100000
#define EX_CHUNK 128               /* variants on disk at once */
#define EX_MAX_FPS 64
#define EX_MAX_INV 16
#define EX_STREAM 0x6578706c6f7265ULL   /* "explore": the sampling stream of the seed */
#define EX_GRACE_MS 5000           /* a stopped variant run gets this long */
#define EX_RUN_LIMIT_MS 600000     /* a variant run that takes longer is killed: exit 3 */
#define EX_SYNC_ENV "OUTBOX_SYNC_POINTS"   /* "1": nodes pass <node>.after_sync (simhost.c) */
#define EX_SYNC_RUN DISKF_ENV "=simulated " EX_SYNC_ENV "=1 "   /* before a reproduction */
#define EX_TICK_S 0.25             /* the progress line is redrawn at most this often */

typedef enum { EX_CRASH = 1, EX_DROP, EX_DUP, EX_POWER } ex_kind;

/* As variant file names ("0004-power.lua"); described as "power cut at ...". */
static const char *const KIND_NAMES[] = { "?", "crash", "drop", "duplicate", "power" };

/* A crash or a power cut: a fault at a (failpoint, hit), not on a frame. */
static int ex_kills(ex_kind k) { return k == EX_CRASH || k == EX_POWER; }

typedef struct {
    ex_kind kind;
    char failpoint[65];
    int node;                 /* kills: the slot that passes the failpoint (scenario.h) */
    uint32_t hit;
    int keep;                 /* EX_POWER: the disk_keep of the cut (proto/disk.h) */
    int src, dst;
    char label[33];
    uint32_t nth;
    uint64_t pay;             /* the frame's payment in the baseline, for descriptions */
} ex_fault;

typedef struct {
    int a, b;                 /* indices into singles; b = -1 for one fault */
    int id;                   /* 1-based, the file's number */
    int code;                 /* the run's exit code */
    int reached;              /* every fault of it acted */
    int nbroken;
    uint8_t broken[EX_MAX_INV];    /* ranks into inv_names */
    char why[200];
} ex_variant;

/* Every frame the services exchange (as scenario.c's FRAMES): for "never reached". */
static const struct { int src, dst; const char *label; } CATALOGUE[] = {
    { 0, 1, "PUBLISH PAYMENT" },  { 1, 2, "DELIVER PAYMENT" },        { 2, 1, "DACK" },
    { 2, 1, "PUBLISH CONSUMED" }, { 2, 1, "PUBLISH CONSUME_FAILED" }, { 1, 0, "DELIVER CONSUMED" },
    { 1, 0, "DELIVER CONSUME_FAILED" }, { 0, 1, "DACK" },
};
#define NCATALOGUE (int)(sizeof CATALOGUE / sizeof CATALOGUE[0])

typedef struct {
    const char *file, *design, *out, *argv0;
    unsigned long long seed;
    int depth, parallel, max_variants;
    int power, keep;          /* --power: crash variants become power cuts keeping `keep` */
    int sync_points;          /* --sync-points: nodes pass <node>.after_sync (EX_SYNC_ENV) */
    char dir[512], slug[128], file_design[32];
    char *text;               /* the scenario file, for the variants */
    size_t text_len;
    int base_faults;          /* faults declared at load: a variant's get the next ids */
    struct {
        char name[65];
        uint32_t hits;                    /* every node's passes */
        uint32_t node_hits[SIM_MAX_NODES];    /* each node's own (a crash's hit counts these) */
    } fps[EX_MAX_FPS];
    int nfps;
    uint32_t frames[NCATALOGUE];     /* per catalogue entry, before healing */
    ex_fault *singles;
    int nsingles, cap_singles, frames_sent;
    ex_variant *vars;
    int nvars, singles_total;
    long long pairs_total;
    char inv_names[EX_MAX_INV][32];
    int ninv;
    int errors, harness;      /* variants that exited 2 / 3 */
    char first_error[300];
    /* the progress line (a terminal only) */
    int tty, drawn;
    int judged, broke;        /* variants whose batch ended, and those of them that broke */
    double t0, last_draw;
    pool pool;
} explore;

/* ---- arguments and the output directory --------------------------------------------------- */

static int parse_num(const char *flag, const char *v, unsigned long long lo, unsigned long long hi,
                     unsigned long long *out) {
    if (v && cmd_parse_u64(v, out) == 0 && *out >= lo && *out <= hi) return 0;
    fprintf(stderr, "outbox-sim: explore: %s: expected a number from %llu to %llu, got '%s'\n",
            flag, lo, hi, v ? v : "");
    return 2;
}

static const char explore_usage[] =
    "usage: outbox-sim explore SCENARIO [--seed N] [--design D] [--depth 1|2] [-j N]\n"
    "                          [--max-variants N] [--power [none|random|torn]] [--sync-points]\n"
    "                          [--out DIR]\n"
    "  a crash at every failpoint hit, a loss and a duplicate of every frame of a small\n"
    "  scenario, one variant each (and pairs with --depth 2): which break which invariant;\n"
    "  --power: a power cut (keeping that of the unsynced writes, none by default) instead\n"
    "  of each crash; --sync-points: also right after each sync of a node's simulated disk;\n"
    "  see docs/shrink-explore.md\n"
    "  --node ROLE=COMMAND: run COMMAND as ROLE instead of bin/outbox-node (docs/protocol.md)\n";

/* Returns 0, an exit code, or -1 after --help. */
static int parse_args(int argc, char **argv, explore *x) {
    x->seed = 1;
    x->depth = 1;
    x->parallel = pool_cores() < POOL_BATCH_MAX ? pool_cores() : POOL_BATCH_MAX;
    x->max_variants = EX_DEFAULT_VARIANTS;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned long long n;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(explore_usage, stdout);
            return -1;
        } else if (!strcmp(a, "--seed")) {
            if (!v || cmd_parse_u64(v, &x->seed) != 0)
                return cmd_usage_error(
                    "explore: --seed: expected an unsigned 64-bit integer, got '%s'", v ? v : "");
        } else if (!strcmp(a, "--design")) {
            ox_design d;
            if (!v || ox_design_parse(v, &d) != 0) {
                fprintf(stderr,
                        "outbox-sim: explore: --design: unknown design '%s' (designs: %s)\n",
                        v ? v : "", ox_design_names());
                return 2;
            }
            x->design = v;
        } else if (!strcmp(a, "--out")) {
            if (!v || !*v) return cmd_usage_error("explore: --out: expected a directory%s", "");
            x->out = v;
        } else if (!strcmp(a, "--depth")) {
            if (parse_num(a, v, 1, 2, &n)) return 2;
            x->depth = (int)n;
        } else if (!strcmp(a, "-j")) {
            if (parse_num(a, v, 1, POOL_BATCH_MAX, &n)) return 2;
            x->parallel = (int)n;
        } else if (!strcmp(a, "--max-variants")) {
            if (parse_num(a, v, 1, EX_MAX_VARIANTS, &n)) return 2;
            x->max_variants = (int)n;
        } else if (!strcmp(a, "--sync-points")) {
            x->sync_points = 1;
            continue;
        } else if (!strcmp(a, "--power")) {
            disk_keep k = DISK_KEEP_NONE;
            x->power = 1;
            if (!v || disk_keep_parse(v, &k) != 0) continue;   /* KEEP is optional */
            x->keep = (int)k;
        } else if (a[0] == '-') {
            return cmd_usage_error("explore: unknown flag '%s'", a);
        } else if (!x->file) {
            x->file = a;
            continue;
        } else {
            return cmd_usage_error("explore takes one scenario; unexpected '%s'", a);
        }
        i++;
    }
    if (!x->file) return cmd_usage_error("explore: missing SCENARIO (a Lua file)%s", "");
    return 0;
}

/* Loads the scenario once here, so a bad one fails before anything runs, and keeps its
** text for the variants. */
static int load(explore *x) {
    char err[1024];
    sim_scenario *sc = scenario_load(x->file, x->seed, err, sizeof err);
    if (!sc) { fprintf(stderr, "outbox-sim: %s\n", err); return 2; }
    snprintf(x->slug, sizeof x->slug, "%s", sc->slug);
    snprintf(x->file_design, sizeof x->file_design, "%s", sc->design);
    x->base_faults = sc->nfaults;
    scenario_free(sc);
    FILE *f = fopen(x->file, "r");
    x->text = malloc(LG_MAX_TEXT + 1);
    if (!f || !x->text) {
        fprintf(stderr, "outbox-sim: %s: cannot read scenario: %s\n", x->file, strerror(errno));
        if (f) fclose(f);
        return 2;
    }
    x->text_len = fread(x->text, 1, LG_MAX_TEXT, f);
    fclose(f);
    return 0;
}

/* DIR must be new, empty, or a former exploration (it has explore.txt): only then are its
** variants/ and runs/ replaced. */
static int prepare_dir(explore *x) {
    if (x->out) snprintf(x->dir, sizeof x->dir, "%s", x->out);
    else snprintf(x->dir, sizeof x->dir, "reports/explore/%s", x->slug);
    char marker[600], path[600];
    snprintf(marker, sizeof marker, "%s/explore.txt", x->dir);
    struct stat st;
    if (stat(x->dir, &st) == 0 && access(marker, F_OK) != 0) {
        int empty = rmdir(x->dir) == 0;     /* an empty directory: fine, made again below */
        if (!empty) {
            fprintf(
                stderr,
                "outbox-sim: explore: --out %s: exists and is not an exploration (no explore.txt); "
                "give a new or empty directory\n",
                x->dir);
            return 2;
        }
    }
    const char *sub[] = { "variants", "runs" };
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", x->dir, sub[i]);
        if (files_rmtree(path) != 0 || files_mkdirs(path) != 0) {
            fprintf(stderr, "outbox-sim: explore: cannot prepare %s: %s\n", path, strerror(errno));
            return 3;
        }
    }
    return 0;
}

/* ---- the baseline --------------------------------------------------------------------------- */

static int add_single(explore *x, const ex_fault *f) {
    if (x->nsingles == x->cap_singles) {
        int cap = x->cap_singles ? x->cap_singles * 2 : 256;
        ex_fault *n = realloc(x->singles, (size_t)cap * sizeof *n);
        if (!n) return -1;
        x->singles = n;
        x->cap_singles = cap;
    }
    x->singles[x->nsingles++] = *f;
    return 0;
}

static int catalogue_index(int src, int dst, const char *label) {
    for (int i = 0; i < NCATALOGUE; i++)
        if (CATALOGUE[i].src == src && CATALOGUE[i].dst == dst &&
            !strcmp(CATALOGUE[i].label, label))
            return i;
    return -1;
}

/* Failpoint names, in the order the services list them (their hits before healing are
** counted from the trace: a crash fault cannot fire after healing), and the invariants. */
static int read_failpoints(explore *x, const char *summary) {
    char err[700];
    json_t *doc = json_r_load(summary, err, sizeof err);
    if (!doc) {
        fprintf(stderr, "outbox-sim: explore: %s\n", err);
        return 3;
    }
    for (const char *const *fp = ox_service_failpoints(); *fp && x->nfps < EX_MAX_FPS; fp++)
        snprintf(x->fps[x->nfps++].name, sizeof x->fps[0].name, "%s", *fp);
    json_t *fps = json_r_obj(doc, "failpoints"), *invs = json_r_obj(doc, "invariants"), *v;
    const char *name;
    json_object_foreach(fps, name, v) {
        if (x->nfps >= EX_MAX_FPS) break;
        int known = 0;    /* one the services do not list (a newer binary): explored too */
        for (int i = 0; i < x->nfps && !known; i++) known = !strcmp(x->fps[i].name, name);
        if (!known) snprintf(x->fps[x->nfps++].name, sizeof x->fps[0].name, "%s", name);
    }
    json_object_foreach(invs, name, v) {
        if (x->ninv >= EX_MAX_INV) break;
        snprintf(x->inv_names[x->ninv++], sizeof x->inv_names[0], "%s", name);
    }
    json_decref(doc);
    return 0;
}

/* One "send" line before healing: counted, and, if it reached the appended faults, two
** targets (a loss and a duplicate of it).  seen: per link and label.  Returns 0 or -1. */
typedef struct { int src, dst; char label[33]; uint32_t n; } ex_counter;

static int on_send(explore *x, const tline *l, ex_counter *seen, int *nseen) {
    int src = scenario_node_parse(l->from), dst = scenario_node_parse(l->to);
    size_t label_len = strlen(l->label);
    if (src < 0 || dst < 0 || label_len >= sizeof seen[0].label) return 0;
    int k = catalogue_index(src, dst, l->label);
    if (k >= 0) x->frames[k]++;
    int by_file = !strcmp(l->fate, "dropped") && l->fault <= x->base_faults;
    if (!strcmp(l->fate, "partitioned") || by_file) return 0;
    int i = 0;
    while (i < *nseen && !(seen[i].src == src && seen[i].dst == dst &&
                           !strcmp(seen[i].label, l->label)))
        i++;
    if (i == *nseen) {
        if (*nseen == 64) return 0;
        seen[(*nseen)++] = (ex_counter){ .src = src, .dst = dst };
        memcpy(seen[i].label, l->label, label_len + 1);   /* fits: checked above */
    }
    seen[i].n++;
    if (l->fate[0]) return 0;    /* dropped anyway (by a fault declared later): nothing to add */
    ex_fault e = { .src = src, .dst = dst, .nth = seen[i].n, .pay = l->pay };
    assert(label_len < sizeof e.label);
    memcpy(e.label, l->label, label_len + 1);
    x->frames_sent++;
    e.kind = EX_DROP;
    if (add_single(x, &e)) return -1;
    e.kind = EX_DUP;
    return add_single(x, &e);
}

typedef struct {
    explore *x;
    ex_counter seen[64];
    int nseen;
} ex_reader;

static int frames_each(void *ctx, const tline *l, uint32_t lineno, const char *raw,
                       size_t len, char *err, size_t cap) {
    ex_reader *rd = ctx;
    if (!strcmp(l->ev, "heal")) return 1;
    if (!strcmp(l->ev, "failpoint")) {
        int node = scenario_node_parse(l->node);
        for (int i = 0; i < rd->x->nfps; i++) {
            if (strcmp(rd->x->fps[i].name, l->name) != 0) continue;
            rd->x->fps[i].hits++;
            if (node >= 0) rd->x->fps[i].node_hits[node]++;
        }
        return 0;
    }
    if (strcmp(l->ev, "send") != 0 || on_send(rd->x, l, rd->seen, &rd->nseen) == 0) return 0;
    snprintf(err, cap, "out of memory at line %u", lineno);
    return -1;
}

/* Frames sent before healing: each one that reached the appended faults is a target. */
static int read_frames(explore *x, const char *trace) {
    ex_reader rd = { .x = x };
    char err[700];
    if (tline_each(trace, TLINE_STRICT, frames_each, &rd, err, sizeof err) == 0) return 0;
    fprintf(stderr, "outbox-sim: explore: %s\n", err);
    return 3;
}

/* Crashes first (failpoint order, then node, then hit), then the frames (drop, duplicate
** each). */
static int build_singles(explore *x) {
    int nframes = x->nsingles;
    ex_fault *frames = x->singles;
    x->singles = NULL;
    x->nsingles = x->cap_singles = 0;
    int rc = 0;
    for (int i = 0; i < x->nfps && !rc; i++)
        for (int node = 0; node < SIM_MAX_NODES && !rc; node++)
            for (uint32_t h = 1; h <= x->fps[i].node_hits[node] && !rc; h++) {
                ex_fault e = { .kind = x->power ? EX_POWER : EX_CRASH, .hit = h,
                               .keep = x->keep, .node = node };
                snprintf(e.failpoint, sizeof e.failpoint, "%s", x->fps[i].name);
                rc = add_single(x, &e);
            }
    for (int k = EX_DROP; k <= EX_DUP && !rc; k++)
        for (int i = 0; i < nframes && !rc; i++)
            if ((int)frames[i].kind == k) rc = add_single(x, &frames[i]);
    free(frames);
    x->singles_total = x->nsingles;
    return rc ? 3 : 0;
}

/* ---- the progress line -------------------------------------------------------------------- */

static void progress_clear(explore *x) {
    if (x->drawn) fputs("\r\033[K", stdout);
    fflush(stdout);
    x->drawn = 0;
}

/* pool_batch's tick: the baseline while there are no variants yet, then the variants. */
static void progress(void *ctx, const pool_job *jobs, int n, int done) {
    explore *x = ctx;
    double now = pool_now();
    if (!x->tty) return;
    if (done == n) { progress_clear(x); return; }   /* the batch is over: the caller speaks */
    if (x->drawn && now - x->last_draw < EX_TICK_S) return;
    x->last_draw = now;
    x->drawn = 1;
    if (x->nvars == 0) {
        printf("\r\033[Kexplore: the baseline run of %s (%.0f s)", x->file, now - x->t0);
        fflush(stdout);
        return;
    }
    int broke = x->broke, finished = x->judged + done;
    for (int i = 0; i < n; i++) broke += jobs[i].code == 1;
    double el = now - x->t0, rate = el > 0 ? finished / el : 0;
    printf("\r\033[Kexplore: %d/%d variants, %d broke, %.1f runs/s", finished, x->nvars, broke,
           rate);
    if (rate > 0) printf(", ~%.0f s left", (x->nvars - finished) / rate);
    fflush(stdout);
}

static int run_baseline(explore *x) {
    pool_job j = { .seed = x->seed };
    snprintf(j.scenario, sizeof j.scenario, "%s", x->file);
    snprintf(j.design, sizeof j.design, "%s", x->design ? x->design : "");
    snprintf(j.out, sizeof j.out, "%s/runs", x->dir);
    snprintf(j.log, sizeof j.log, "%s/runs/baseline.log", x->dir);
    char err[300], line[600];
    if (pool_batch(&x->pool, &j, 1, err, sizeof err) != 0) {
        progress_clear(x);
        fprintf(stderr, "outbox-sim: explore: %s\n", err);
        return 3;
    }
    char run_dir[1200], path[1300];
    snprintf(run_dir, sizeof run_dir, "%s/runs/%s/%llu", x->dir, x->slug, x->seed);
    if (j.code >= 2) {
        pool_log_first(j.log, line, sizeof line);
        fprintf(stderr, "outbox-sim: explore: the scenario as given did not run (exit %d): %s\n",
                j.code, line);
        return j.code;
    }
    if (j.code == 1) {
        fprintf(stderr,
                "outbox-sim: explore: the scenario fails as given (see %s/summary.json), so its "
                "variants "
                "would show nothing new: explore a scenario that passes\n",
                run_dir);
        return 1;
    }
    unlink(j.log);
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    int rc = read_failpoints(x, path);
    snprintf(path, sizeof path, "%s/trace.jsonl", run_dir);
    if (!rc) rc = read_frames(x, path);
    if (!rc) rc = build_singles(x);
    return rc;
}

/* ---- choosing and writing variants ------------------------------------------------------------
 */

/* m distinct numbers of [0, total), in increasing order, drawn from the seed (Floyd's
** algorithm; membership by binary search in the sorted prefix). */
static uint64_t *sample(uint64_t seed, uint64_t total, int m) {
    uint64_t *out = malloc((size_t)(m ? m : 1) * sizeof *out);
    if (!out) return NULL;
    ox_prng p;
    ox_prng_seed(&p, ox_prng_derive(seed, EX_STREAM));
    int n = 0;
    for (uint64_t j = total - (uint64_t)m; j < total; j++) {
        uint64_t t = ox_prng_below(&p, j + 1);
        int lo = 0, hi = n;
        while (lo < hi) { int mid = (lo + hi) / 2; if (out[mid] < t) lo = mid + 1; else hi = mid; }
        if (lo < n && out[lo] == t) { t = j; lo = n; }     /* j is larger than all so far */
        memmove(&out[lo + 1], &out[lo], (size_t)(n - lo) * sizeof *out);
        out[lo] = t;
        n++;
    }
    return out;
}

static sim_fault as_fault(const ex_fault *e) {
    sim_fault f;
    memset(&f, 0, sizeof f);
    f.src = f.dst = f.node = SIM_ANY;
    f.p = 1.0;
    f.copies = 1;
    f.at_us = -1;
    f.to_us = SIM_FOREVER;
    if (ex_kills(e->kind)) {
        assert(e->node >= 0);
        assert(e->node < SIM_MAX_NODES);
        f.kind = e->kind == EX_POWER ? FK_POWER_LOSS : FK_CRASH;
        f.keep = e->keep;
        f.node = e->node;
        snprintf(f.failpoint, sizeof f.failpoint, "%s", e->failpoint);
        f.hit = e->hit;
        f.restart_after_us = 1000000;
    } else {
        f.kind = e->kind == EX_DROP ? FK_DROP : FK_DUPLICATE;
        f.src = e->src;
        f.dst = e->dst;
        snprintf(f.label, sizeof f.label, "%s", e->label);
        f.nth = e->nth;
        f.restart_after_us = -1;
    }
    return f;
}

/* The node whose code a failpoint is in: "accounting" of "accounting.after_apply". */
static int fp_owner(const char *failpoint) {
    char node[32];
    snprintf(node, sizeof node, "%.*s", (int)strcspn(failpoint, "."), failpoint);
    return scenario_node_parse(node);
}

static const char *describe(const ex_fault *e, char *buf, size_t cap) {
    const char *what = e->kind == EX_POWER ? "power cut" : "crash";
    if (ex_kills(e->kind) && e->node != fp_owner(e->failpoint))   /* an instance: say which */
        snprintf(buf, cap, "%s of %s at %s, hit %u", what, scenario_node_name(e->node),
                 e->failpoint, e->hit);
    else if (ex_kills(e->kind))
        snprintf(buf, cap, "%s at %s, hit %u", what, e->failpoint, e->hit);
    else {
        int n = snprintf(buf, cap, "%s %s->%s %s #%u", KIND_NAMES[e->kind],
                         scenario_node_name(e->src), scenario_node_name(e->dst), e->label, e->nth);
        if (e->pay && n > 0 && (size_t)n < cap)
            snprintf(buf + n, cap - (size_t)n, " (payment %" PRIu64 ")", e->pay);
    }
    return buf;
}

static const char *var_describe(const explore *x, const ex_variant *v, char *buf, size_t cap) {
    char a[200], b[200];
    describe(&x->singles[v->a], a, sizeof a);
    if (v->b < 0) snprintf(buf, cap, "%s", a);
    else snprintf(buf, cap, "%s + %s", a, describe(&x->singles[v->b], b, sizeof b));
    return buf;
}

static void var_path(const explore *x, const ex_variant *v, char *buf, size_t cap,
                     const char *ext) {
    const ex_fault *a = &x->singles[v->a];
    snprintf(buf, cap, "%s/variants/%04d-%s%s", x->dir, v->id,
             v->b >= 0 ? "pair" : KIND_NAMES[a->kind], ext);
}

/* The nth rule (shrink_plan.h): two faults on one link and label: duplicate first, then
** the later drop before the earlier. */
static int second_first(const ex_fault *a, const ex_fault *b) {
    if (ex_kills(a->kind) || ex_kills(b->kind) || a->src != b->src || a->dst != b->dst ||
        strcmp(a->label, b->label))
        return 0;
    if (a->kind != b->kind) return b->kind == EX_DUP;
    return a->kind == EX_DROP && b->nth > a->nth;
}

/* The variant's faults in the order they are written (their ids follow the file's). */
static void written(const explore *x, const ex_variant *v, const ex_fault *out[2]) {
    out[0] = &x->singles[v->a];
    out[1] = v->b >= 0 ? &x->singles[v->b] : NULL;
    if (out[1] && second_first(out[0], out[1])) {
        const ex_fault *t = out[0];
        out[0] = out[1];
        out[1] = t;
    }
}

/* A failpoint the node under test declared, not one of this project's (nor a sync point):
** the variant names it in failpoints { } first, or it would not load.  Only names of
** the characters failpoints { } allows are written (anything else could not be one). */
static int own_failpoint(const ex_fault *f) {
    if (!ex_kills(f->kind) || strstr(f->failpoint, ".after_sync") != NULL) return 0;
    for (const char *const *p = ox_service_failpoints(); *p; p++)
        if (!strcmp(*p, f->failpoint)) return 0;
    size_t n = strlen(f->failpoint);
    return n > 0 && strspn(f->failpoint, "abcdefghijklmnopqrstuvwxyz0123456789_.") == n;
}

static int write_variant(const explore *x, const ex_variant *v) {
    char path[700], desc[500], line[700];
    var_path(x, v, path, sizeof path, ".lua");
    lg_buf b = { 0 };
    lg_printf(&b, "%.*s%s\n-- outbox-sim explore, variant %04d: %s\n", (int)x->text_len, x->text,
              x->text_len && x->text[x->text_len - 1] != '\n' ? "\n" : "", v->id,
              var_describe(x, v, desc, sizeof desc));
    const ex_fault *mine[2];
    written(x, v, mine);
    for (int m = 0; m < 2 && mine[m]; m++) {
        sim_fault f = as_fault(mine[m]);
        scenario_fault_lua(&f, line, sizeof line);
        if (own_failpoint(mine[m])) lg_printf(&b, "failpoints { \"%s\" }\n", mine[m]->failpoint);
        lg_printf(&b, "%s\n", line);
    }
    int rc = b.overflow ? -1 : lg_write_file(path, b.s, b.len);
    lg_free(&b);
    return rc;
}

/* ---- running them -----------------------------------------------------------------------------
 */

static int inv_rank(explore *x, const char *name) {
    for (int i = 0; i < x->ninv; i++)
        if (!strcmp(x->inv_names[i], name)) return i;
    if (x->ninv == EX_MAX_INV) return -1;
    snprintf(x->inv_names[x->ninv], sizeof x->inv_names[0], "%s", name);
    return x->ninv++;
}

/* Did each fault of the variant act?  Its faults are the summary's last ones. */
static int faults_acted(explore *x, const ex_variant *v, const json_t *doc) {
    const ex_fault *mine[2];
    written(x, v, mine);
    int k = 0, reached = 1;
    size_t i;
    json_t *c;
    json_array_foreach(json_r_arr(doc, "faults"), i, c) {
        int64_t id = 0, matched = 0;
        json_r_int(c, "id", &id);
        int64_t m = id - x->base_faults - 1;
        if (m < 0 || m > 1 || !mine[m]) continue;
        int acted = ex_kills(mine[m]->kind)
                        ? json_r_bool(c, "fired") == 1
                        : json_r_int(c, "matched_frames", &matched) == 0 &&
                              matched >= (int64_t)mine[m]->nth;
        reached &= acted;
        k++;
    }
    return reached && k == (mine[1] ? 2 : 1);
}

/* Reads what a variant's run broke, and whether its faults acted (run_dir: DIR/runs/<slug>). */
static void judge(explore *x, ex_variant *v, const pool_job *j, const char *run_dir) {
    assert(j->code >= 0);
    assert(j->code <= 3);
    v->code = j->code;
    v->reached = 1;
    if (j->code >= 2) {
        char *first = x->first_error;
        if (!x->errors++ && j->code == 2) pool_log_first(j->log, first, sizeof x->first_error);
        if (j->code == 3) { x->harness++; pool_log_first(j->log, first, sizeof x->first_error); }
        return;
    }
    char path[1500], err[300];
    snprintf(path, sizeof path, "%s/%llu/summary.json", run_dir, x->seed);
    json_t *doc = json_r_load(path, err, sizeof err);
    if (!doc) { v->code = 3; x->harness++; return; }
    const char *name;
    json_t *inv;
    json_object_foreach(json_r_obj(doc, "invariants"), name, inv) {
        if (json_r_bool(inv, "ok") != 0 || json_r_bool(inv, "skipped") == 1) continue;
        int r = inv_rank(x, name);
        if (r >= 0 && v->nbroken < EX_MAX_INV) v->broken[v->nbroken++] = (uint8_t)r;
    }
    const char *why = json_r_str(doc, "why");
    snprintf(v->why, sizeof v->why, "%s", why ? why : "");
    v->reached = faults_acted(x, v, doc);
    json_decref(doc);
}

/* Runs vars[from, to), EX_CHUNK at a time; keeps the files of those that broke. */
static int run_variants(explore *x, int from, int to) {
    pool_job *jobs = calloc(EX_CHUNK, sizeof *jobs);
    char err[300];
    if (!jobs) return 3;
    int rc = 0;
    for (int base = from; base < to && !rc; base += EX_CHUNK) {
        int n = to - base < EX_CHUNK ? to - base : EX_CHUNK;
        for (int i = 0; i < n && !rc; i++) {
            ex_variant *v = &x->vars[base + i];
            pool_job *j = &jobs[i];
            memset(j, 0, sizeof *j);
            j->seed = x->seed;
            snprintf(j->design, sizeof j->design, "%s", x->design ? x->design : "");
            var_path(x, v, j->scenario, sizeof j->scenario, ".lua");
            var_path(x, v, j->log, sizeof j->log, ".log");
            snprintf(j->out, sizeof j->out, "%s/runs", x->dir);
            if (write_variant(x, v) != 0) {
                fprintf(stderr, "outbox-sim: explore: cannot write %s\n", j->scenario);
                rc = 3;
            }
        }
        if (!rc && pool_batch(&x->pool, jobs, n, err, sizeof err) != 0) {
            progress_clear(x);
            if (!x->pool.stop_sig) fprintf(stderr, "outbox-sim: explore: %s\n", err);
            rc = 3;
        }
        for (int i = 0; i < n; i++) {
            ex_variant *v = &x->vars[base + i];
            char slug[200], run_dir[1400];
            const char *s = strrchr(jobs[i].scenario, '/');
            snprintf(slug, sizeof slug, "%.*s", (int)(strlen(s + 1) - 4), s + 1);
            snprintf(run_dir, sizeof run_dir, "%s/runs/%s", x->dir, slug);
            if (!rc) judge(x, v, &jobs[i], run_dir);
            x->judged++;
            x->broke += v->code == 1;
            if (rc || v->code == 0) { pool_remove(&x->pool, run_dir); unlink(jobs[i].scenario); }
            unlink(jobs[i].log);
        }
    }
    free(jobs);
    return rc;
}

static int add_variant(explore *x, int a, int b) {
    assert(x->nvars < x->max_variants);
    assert(a >= 0);
    assert(a < x->nsingles);
    assert(b < x->nsingles);
    ex_variant *v = &x->vars[x->nvars];
    memset(v, 0, sizeof *v);
    v->a = a;
    v->b = b;
    v->id = ++x->nvars;
    return 0;
}

/* Depth 1: every single fault, or a sample of max_variants of them. */
static int choose_singles(explore *x) {
    int m = x->nsingles <= x->max_variants ? x->nsingles : x->max_variants;
    uint64_t *pick = m < x->nsingles ? sample(x->seed, (uint64_t)x->nsingles, m) : NULL;
    if (m < x->nsingles && !pick) return 3;
    for (int i = 0; i < m; i++) add_variant(x, pick ? (int)pick[i] : i, -1);
    free(pick);
    return 0;
}

/* Pair number q of the k*(k-1)/2 pairs (i < j), in lexicographic order. */
static void pair_of(uint64_t q, uint64_t k, uint64_t *i, uint64_t *j) {
    assert(k >= 2);
    assert(q < k * (k - 1) / 2);
    uint64_t lo = 0, hi = k - 1;    /* the largest i with offset(i) <= q */
    while (lo + 1 < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (mid * (2 * k - mid - 1) / 2 <= q) lo = mid; else hi = mid;
    }
    *i = lo;
    *j = lo + 1 + (q - lo * (2 * k - lo - 1) / 2);
    assert(*i < *j);
    assert(*j < k);
}

/* Depth 2: pairs of the single faults whose variant passed and acted, as many as the
** budget leaves, drawn from the seed when there are more. */
static int choose_pairs(explore *x) {
    int *ok = malloc((size_t)(x->nvars ? x->nvars : 1) * sizeof *ok), k = 0;
    if (!ok) return 3;
    for (int i = 0; i < x->nvars; i++)
        if (x->vars[i].code == 0 && x->vars[i].reached) ok[k++] = x->vars[i].a;
    uint64_t total = (uint64_t)k * (uint64_t)(k > 0 ? k - 1 : 0) / 2;
    x->pairs_total = (long long)total;
    uint64_t room = (uint64_t)(x->max_variants - x->nvars > 0 ? x->max_variants - x->nvars : 0);
    int m = (int)(total < room ? total : room);
    uint64_t *pick = m && (uint64_t)m < total ? sample(x->seed, total, m) : NULL;
    int rc = m && (uint64_t)m < total && !pick ? 3 : 0;
    for (int n = 0; n < m && !rc; n++) {
        uint64_t i, j;
        pair_of(pick ? pick[n] : (uint64_t)n, (uint64_t)k, &i, &j);
        const ex_fault *a = &x->singles[ok[i]], *b = &x->singles[ok[j]];
        int same_frame = !ex_kills(a->kind) && !ex_kills(b->kind) && a->src == b->src &&
                         a->dst == b->dst && a->nth == b->nth && !strcmp(a->label, b->label);
        if (!same_frame)
            add_variant(x, ok[i], ok[j]); /* a drop and a copy of one frame: the drop wins */
    }
    free(pick);
    free(ok);
    return rc;
}

/* ---- the report --------------------------------------------------------------------------------
 */

static void counts(const explore *x, lg_buf *b) {
    int ran[5] = { 0 }, broke[5] = { 0 };
    for (int i = 0; i < x->nvars; i++) {
        const ex_variant *v = &x->vars[i];
        ex_kind kind = x->singles[v->a].kind;
        int k = v->b >= 0 ? 4 : ex_kills(kind) ? 1 : (int)kind;   /* power cuts: slot 1 */
        ran[k]++;
        broke[k] += v->code == 1;
    }
    const char *kills = x->power ? "power cut" : "crash";
    lg_printf(b, "  variants   %d %s, %d drop, %d duplicate, %d pair = %d", ran[1], kills, ran[2],
              ran[3], ran[4], x->nvars);
    if (x->singles_total > ran[1] + ran[2] + ran[3])
        lg_printf(b, " (%d of %d single faults, drawn from the seed: --max-variants)",
                  ran[1] + ran[2] + ran[3], x->singles_total);
    if (x->depth == 2) lg_printf(b, " (%d of %lld pairs)", ran[4], x->pairs_total);
    lg_printf(b, "\n  broke      %d %s, %d drop, %d duplicate, %d pair = %d\n", broke[1], kills,
              broke[2], broke[3], broke[4], broke[1] + broke[2] + broke[3] + broke[4]);
}

static void table(const explore *x, lg_buf *b) {
    int rows = 0;
    for (int r = 0; r <= x->ninv; r++)
        for (int i = 0; i < x->nvars; i++) {
            const ex_variant *v = &x->vars[i];
            int hit = 0;
            for (int k = 0; k < v->nbroken; k++) hit |= v->broken[k] == r;
            if (v->code != 1 || (r < x->ninv ? !hit : v->nbroken != 0)) continue;
            if (!rows++)
                lg_printf(b, "\n  %-22s %-4s  %-58s %s\n", "invariant", "#", "variant",
                          "reproduce");
            char desc[500], path[700];
            var_path(x, v, path, sizeof path, ".lua");
            lg_printf(b, "  %-22s %04d  %-58s %s%s run %s --seed %llu%s%s%s\n",
                      r < x->ninv ? x->inv_names[r] : v->why, v->id,
                      var_describe(x, v, desc, sizeof desc),
                      x->sync_points ? EX_SYNC_RUN : "", x->argv0, path, x->seed,
                      x->design ? " --design " : "", x->design ? x->design : "",
                      nodeflag_suffix());
        }
}

static void never_reached(const explore *x, lg_buf *b) {
    int n = 0;
    for (int i = 0; i < x->nfps; i++)
        if (!x->fps[i].hits)
            lg_printf(
                b, "%s  never reached: failpoint %s (no hit before healing in the baseline run)\n",
                n++ ? "" : "\n", x->fps[i].name);
    for (int i = 0; i < NCATALOGUE; i++)
        if (!x->frames[i])
            lg_printf(b, "%s  never reached: frame %s->%s %s (none sent before healing)\n",
                      n++ ? "" : "\n", scenario_node_name(CATALOGUE[i].src),
                      scenario_node_name(CATALOGUE[i].dst), CATALOGUE[i].label);
    for (int i = 0; i < x->nvars; i++) {
        const ex_variant *v = &x->vars[i];
        char desc[500];
        if (v->code <= 1 && !v->reached)
            lg_printf(b, "%s  never reached: variant %04d (%s): a fault of it never acted\n",
                      n++ ? "" : "\n", v->id, var_describe(x, v, desc, sizeof desc));
    }
}

/* A failpoint passed by other nodes than its own: each node's hits, "(relay-1 4, relay-2 7)". */
static void by_node(const explore *x, int i, lg_buf *b) {
    int owner = fp_owner(x->fps[i].name), n = 0, others = 0;
    for (int node = 0; node < SIM_MAX_NODES; node++)
        others += node != owner && x->fps[i].node_hits[node] > 0;
    if (!others) return;
    for (int node = 0; node < SIM_MAX_NODES; node++)
        if (x->fps[i].node_hits[node])
            lg_printf(b, "%s%s %u", n++ ? ", " : " (", scenario_node_name(node),
                      x->fps[i].node_hits[node]);
    lg_printf(b, ")");
}

static int report(explore *x, double t0) {
    lg_buf b = { 0 };
    int broke = 0;
    for (int i = 0; i < x->nvars; i++) broke += x->vars[i].code == 1;
    lg_printf(&b, "explore: %s, seed %llu, design %s, depth %d", x->file, x->seed,
              x->design ? x->design : x->file_design, x->depth);
    if (x->power) lg_printf(&b, ", power cuts keep %s", disk_keep_name((disk_keep)x->keep));
    if (x->sync_points) lg_printf(&b, ", sync points");
    lg_printf(&b, "\n");
    int hits = 0;
    for (int i = 0; i < x->nfps; i++) hits += (int)x->fps[i].hits;
    lg_printf(
        &b, "  baseline   passes; before healing: %d failpoint hits, %d frames (%s/runs/%s/%llu)\n",
        hits, x->frames_sent, x->dir, x->slug, x->seed);
    lg_printf(&b, "  failpoints");
    for (int i = 0, n = 0; i < x->nfps; i++)
        if (x->fps[i].hits) {
            lg_printf(&b, "%s %s %u", n++ ? "," : "", x->fps[i].name, x->fps[i].hits);
            by_node(x, i, &b);
        }
    lg_printf(&b, " (hits before healing)\n");
    counts(x, &b);
    lg_printf(&b, "  ran        %d variant runs in %.1f s (-j %d); %s\n", x->nvars,
              pool_now() - t0, x->parallel,
              broke ? "the variants that broke are kept in variants/ and runs/"
                    : "every variant kept the expectations");
    table(x, &b);
    never_reached(x, &b);
    if (x->errors)
        lg_printf(&b, "\n  %d variants did not run (exit 2 or 3); first: %s\n", x->errors,
                  x->first_error);
    char path[600];
    snprintf(path, sizeof path, "%s/explore.txt", x->dir);
    if (!b.overflow) {
        fwrite(b.s, 1, b.len, stdout);
        if (lg_write_file(path, b.s, b.len) != 0)
            fprintf(stderr, "outbox-sim: explore: cannot write %s\n", path);
    }
    lg_free(&b);
    return x->harness ? 3 : x->errors ? 2 : broke ? 1 : 0;
}

/* --sync-points: every run explore starts inherits both (the baseline's too). */
static int sync_env(void) {
    if (setenv(DISKF_ENV, "simulated", 1) == 0 && setenv(EX_SYNC_ENV, "1", 1) == 0) return 0;
    fprintf(stderr, "outbox-sim: explore: setenv: %s\n", strerror(errno));
    return -1;
}

int cmd_explore(int argc, char **argv) {
    static explore x;
    memset(&x, 0, sizeof x);
    x.argv0 = argv[0];
    int rc = parse_args(argc, argv, &x);
    if (rc < 0) return 0;
    if (!rc) rc = load(&x);
    if (!rc && x.sync_points && sync_env() != 0) rc = 3;
    if (!rc) rc = prepare_dir(&x);
    if (rc) { free(x.text); return rc; }
    pool_init(&x.pool, x.parallel, cmd_self());
    x.pool.grace_ms = EX_GRACE_MS;
    x.pool.limit_ms = EX_RUN_LIMIT_MS;
    x.pool.tick = progress;
    x.pool.tick_ctx = &x;
    x.tty = isatty(STDOUT_FILENO);
    double t0 = x.t0 = pool_now();
    rc = run_baseline(&x);
    if (rc && !x.pool.stop_sig) {      /* the marker, so that the directory can be used again */
        char path[600], line[700];
        snprintf(path, sizeof path, "%s/explore.txt", x.dir);
        int n = snprintf(line, sizeof line,
                         "explore: %s: the baseline run did not pass (exit %d): nothing explored\n",
                         x.file, rc);
        lg_write_file(path, line, (size_t)n);
    }
    if (!rc) x.vars = calloc((size_t)x.max_variants, sizeof *x.vars);
    if (!rc && !x.vars) rc = 3;
    if (!rc) rc = choose_singles(&x);
    if (!rc) rc = run_variants(&x, 0, x.nvars);
    int singles = x.nvars;
    if (!rc && x.depth == 2) rc = choose_pairs(&x);
    if (!rc && x.nvars > singles) rc = run_variants(&x, singles, x.nvars);
    if (!rc) rc = report(&x, t0);
    else if (x.pool.stop_sig) {
        char path[600];
        snprintf(path, sizeof path, "%s/variants", x.dir);
        pool_remove(&x.pool, path);   /* a SIGKILLed run's janitor may still be at work */
        fprintf(stderr,
                "outbox-sim: explore: interrupted; the unfinished exploration in %s was removed\n",
                x.dir);
        pool_remove(&x.pool, x.dir);
        rc = 3;
    }
    pool_fini(&x.pool);
    free(x.text);
    free(x.singles);
    free(x.vars);
    return rc;
}
