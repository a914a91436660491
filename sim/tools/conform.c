/*
** conform.c: `outbox-sim conform --node ROLE=COMMAND`, the conformance suite for one
** role (see conform.h): the clauses, their runs on the pool, the judging and the lines.
*/
#include "conform.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../proto/exit.h"
#include "cmd.h"
#include "conform_judge.h"
#include "library.h"
#include "nodeflag.h"
#include "runner.h"
#include "../util/files.h"
#include "../scenario/scenario.h"

#define CONFORM_MAX_RUNS 32
#define CONFORM_TICK_MS 250
#define CONFORM_SKEW_S (-86400)   /* the clock scenarios' skew (scenarios/conform/clock-*) */

#define RP (1u << OX_ROLE_PAYMENT)
#define RB (1u << OX_ROLE_BROKER)
#define RA (1u << OX_ROLE_ACCOUNTING)
#define RR (1u << OX_ROLE_RELAY)

typedef enum {
    J_STEPS,     /* every step kind of the role reached it, all answered */
    J_REJECT,    /* damaged frames rejected alone */
    J_CLOCK,     /* expectations met, rows stamped with the step's clock */
    J_RESTART,   /* expectations met across a restart of the role */
    J_DUP,       /* expectations met with frames to the role duplicated */
    J_MET,       /* expectations met */
    J_INV        /* the invariant named by the clause held */
} conform_kind;

typedef struct {
    const char *name;       /* the clause; for J_INV the invariant (sim/util/invariant.h) */
    unsigned roles;         /* RP|RB|RA|RR: the roles it is judged for */
    conform_kind kind;
    const char *scenario;   /* relative to the library (library.h) */
} conform_clause;

/* The suite.  A clause name may come once per role; rows of one name for different roles
** pick each role's scenario.  Invariants are mapped to the role that keeps them
** (sim/check: hproducer.c payment, hconsumer.c accounting, hbroker.c the broker,
** hlease.c the relays, hrestart.c every role). */
static const conform_clause CLAUSES[] = {
    { "protocol-steps", RP | RB | RA, J_STEPS, "conform/steps.lua" },
    { "protocol-steps", RR, J_STEPS, "relays-lease.lua" },
    { "protocol-reject", RP | RB | RA, J_REJECT, "corrupt-frames.lua" },
    { "clock-from-step", RP, J_CLOCK, "conform/clock-payment.lua" },
    { "clock-from-step", RB, J_CLOCK, "conform/clock-broker.lua" },
    { "clock-from-step", RA, J_CLOCK, "conform/clock-accounting.lua" },
    { "clock-from-step", RR, J_CLOCK, "conform/clock-relay.lua" },
    { "restart-keeps-commits", RP, J_RESTART, "crash-after-commit.lua" },
    { "restart-keeps-commits", RB, J_RESTART, "broker-crash-durable.lua" },
    { "restart-keeps-commits", RA, J_RESTART, "crash-after-apply.lua" },
    { "restart-keeps-commits", RR, J_RESTART, "relays-lease.lua" },
    { "idempotent-pay", RP, J_MET, "resubmit-in-flight.lua" },
    { "idempotent-frames", RP | RB, J_DUP, "conform/duplicate-answers.lua" },
    { "idempotent-frames", RA, J_DUP, "duplicate-delivery.lua" },
    { "idempotent-publish", RB, J_DUP, "duplicate-delivery.lua" },
    { "durability", RP, J_INV, "crash-after-commit.lua" },
    { "atomicity", RP, J_INV, "crash-after-commit.lua" },
    { "publish_after_commit", RP, J_INV, "business-rollback.lua" },
    { "retry_schedule", RP, J_INV, "pay-queue-loss.lua" },
    { "retry_schedule", RR, J_INV, "relays-lease.lua" },
    { "eventual_consistency", RP, J_INV, "pay-queue-loss.lua" },
    { "eventual_consistency", RA, J_INV, "duplicate-delivery.lua" },
    { "eventual_consistency", RB, J_INV, "broker-crash-durable.lua" },
    { "convergence", RP, J_INV, "pay-queue-loss.lua" },
    { "dead_after_max_attempts", RP, J_INV, "dead-letters.lua" },
    { "alert_names_row", RP, J_INV, "dead-letters.lua" },
    { "dead_letters_alerted", RP, J_INV, "dead-letters.lua" },
    { "final_states_final", RP, J_INV, "late-answer-to-dead.lua" },
    { "compensation", RP, J_INV, "refusal-compensated.lua" },
    { "cleanup_final_only", RP, J_INV, "cleanup-late-answers.lua" },
    { "alerts_kept", RP, J_INV, "cleanup-late-answers.lua" },
    { "exactly_once", RA, J_INV, "duplicate-delivery.lua" },
    { "dedupe_same_answer", RA, J_INV, "duplicate-delivery.lua" },
    { "answer_after_commit", RA, J_INV, "crash-after-apply.lua" },
    { "business_rules", RA, J_INV, "amount-limit-boundary.lua" },
    { "no_phantom", RA, J_INV, "business-rollback.lua" },
    { "broker_redelivery", RB, J_INV, "queue-wait-past-visibility.lua" },
    { "dack_names_delivery", RB, J_INV, "conform/duplicate-answers.lua" },
    { "delivered_until_acked", RB, J_INV, "broker-crash-durable.lua" },
    { "restart_state", RP, J_INV, "crash-after-commit.lua" },
    { "restart_state", RB, J_INV, "broker-crash-durable.lua" },
    { "restart_state", RA, J_INV, "crash-after-apply.lua" },
    { "restart_state", RR, J_INV, "relays-lease.lua" },
    { "lease_held", RR, J_INV, "relays-lease.lua" },
    { "lease_exclusive", RR, J_INV, "relays-lease.lua" },
    { "owned_then_sent", RR, J_INV, "relays-lease.lua" },
    { "errors_reported", RP | RA, J_INV, "disk-eio-mid-commit.lua" },
    { "errors_reported", RR, J_INV, "relays-disk-error.lua" },
    { "errors_explained", RP | RA, J_INV, "disk-eio-mid-commit.lua" },
    { "errors_explained", RB, J_INV, "broker-disk-eio.lua" },
    { "errors_explained", RR, J_INV, "relays-disk-error.lua" },
};
#define NCLAUSES ((int)(sizeof CLAUSES / sizeof CLAUSES[0]))

/* The protocol clauses, judged over every run: a harness error naming the role, by what
** it says (sim/core/proc.c and sim/check/checker.c write these words).  The last entry
** takes any other. */
static const struct {
    const char *name;
    const char *words[3];
} PROTOCOL[] = {
    { "protocol-seq", { "with the reply to step", "sections", NULL } },
    { "protocol-effects", { "malformed reply", "oversized reply", NULL } },
    { "database-contract", { "database", NULL, NULL } },
    { "protocol-answers", { NULL, NULL, NULL } },
};
#define NPROTOCOL ((int)(sizeof PROTOCOL / sizeof PROTOCOL[0]))

typedef struct {
    char path[1200];        /* the scenario file */
    char slug[128];
    pool_job job;
    runner_result res;
    int ended;
    int failed;             /* some clause of it failed: its directory is kept */
    int protocol;           /* index into PROTOCOL of its harness error, or -1 */
    char expected[SIM_MAX_EXPECT][32];   /* invariants the scenario expects broken */
    int nexpected;
} conform_run;

typedef struct {
    ox_role role;
    const char *out;
    int jobs, keep;
    char lib[1100];
    conform_run runs[CONFORM_MAX_RUNS];
    int nruns;
    int run_of[NCLAUSES];   /* -1: not the role's */
    int nclauses, nfailed, errors;
    pool pool;
} conform;

static const char conform_help[] =
    "usage: outbox-sim conform --node ROLE=COMMAND [-j N] [--out DIR] [--keep]\n"
    "       outbox-sim conform --list\n"
    "\n"
    "The conformance suite of one role (payment, broker, accounting or relay) of your own\n"
    "implementation, COMMAND, with this project's nodes in the other roles\n"
    "(docs/protocol.md, \"Conformance\").  Prints one line per clause failed,\n"
    "\"conform: ROLE: CLAUSE: what, where\", then a summary line.\n"
    "  -j N        at most N runs at once (default: online CPUs)\n"
    "  --out DIR   the runs, DIR/<scenario>/1/ (default reports/conform/ROLE); a run some\n"
    "              clause failed on is kept, the others removed\n"
    "  --keep      keep every run\n"
    "  --list      print the clauses: name, roles, scenario (* = judged over every run)\n"
    "Exit: 0 every clause passed, 1 some failed, 2 bad usage, 3 the suite itself failed.\n";

/* --list: every clause, "CLAUSE ROLES SCENARIO", ROLES joined by commas; the clauses
** judged over every run have the scenario "*". */
static void list_clauses(void) {
    for (int k = 0; k < NCLAUSES; k++) {
        printf("%s ", CLAUSES[k].name);
        const char *sep = "";
        for (int r = 0; r < OX_ROLE_COUNT; r++) {
            if (!(CLAUSES[k].roles & (1u << r))) continue;
            printf("%s%s", sep, ox_role_name((ox_role)r));
            sep = ",";
        }
        printf(" %s\n", CLAUSES[k].scenario);
    }
    for (int p = 0; p < NPROTOCOL; p++)
        printf("%s payment,broker,accounting,relay *\n", PROTOCOL[p].name);
    printf("notes-readable payment,broker,accounting,relay *\n");
    printf("expectations payment,broker,accounting,relay *\n");
}

static int parse_conform(conform *c, int argc, char **argv) {
    c->jobs = pool_cores();
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(conform_help, stdout); return -1; }
        if (!strcmp(a, "--list")) {
            if (argc != 3) return cmd_usage_error("conform: --list takes nothing else%s", "");
            list_clauses();
            return -1;
        }
        if (!strcmp(a, "--keep")) { c->keep = 1; continue; }
        if (strcmp(a, "-j") && strcmp(a, "--jobs") && strcmp(a, "--out"))
            return cmd_usage_error("conform: unknown argument '%s'", a);
        if (!v) return cmd_usage_error("conform: %s needs a value", a);
        i++;
        if (!strcmp(a, "--out")) {
            if (!*v) return cmd_usage_error("conform: --out: expected a directory%s", "");
            c->out = v;
        } else if (runner_parse_jobs(v, &c->jobs) != 0) {
            return cmd_usage_error("conform: -j: expected 1..256 parallel runs, got '%s'", v);
        }
    }
    int n = nodeflag_count();
    if (n == 0)
        return cmd_usage_error("conform: name the role to test: --node ROLE=COMMAND%s", "");
    if (n > 1)
        return cmd_usage_error("conform: tests one role at a time: give one --node, not %s",
                               n == 2 ? "two" : "several");
    const char *const *table = nodeflag_table();
    for (int r = 0; r < OX_ROLE_COUNT; r++)
        if (table[r]) c->role = (ox_role)r;
    assert(table[c->role] != NULL);
    return 0;
}

/* The role's clauses and their runs, one per scenario, in the table's order. */
static int plan(conform *c) {
    if (library_dir(c->lib, sizeof c->lib) != 0)
        return cmd_usage_error("conform: no scenarios/ here, nor " LIBRARY_INSTALLED " nor "
                               LIBRARY_CHECKOUT " beside outbox-sim%s", "");
    for (int k = 0; k < NCLAUSES; k++) {
        c->run_of[k] = -1;
        if (!(CLAUSES[k].roles & (1u << c->role))) continue;
        c->nclauses++;
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", c->lib, CLAUSES[k].scenario);
        int i = 0;
        while (i < c->nruns && strcmp(c->runs[i].path, path)) i++;
        if (i == c->nruns) {
            assert(c->nruns < CONFORM_MAX_RUNS);
            snprintf(c->runs[c->nruns++].path, sizeof c->runs[0].path, "%s", path);
        }
        c->run_of[k] = i;
    }
    assert(c->nclauses > 0);
    return 0;
}

/* Loads each run's scenario (its slug; a bad one is this suite's bug) and sets its job. */
static int prepare(conform *c) {
    for (int i = 0; i < c->nruns; i++) {
        conform_run *r = &c->runs[i];
        char err[1024];
        sim_scenario *sc = scenario_load(r->path, 1, err, sizeof err);
        if (!sc) { fprintf(stderr, "outbox-sim: conform: %s\n", err); return OX_EXIT_HARNESS; }
        snprintf(r->slug, sizeof r->slug, "%s", sc->slug);
        assert(sc->expect.nviolated >= 0);
        assert(sc->expect.nviolated <= SIM_MAX_EXPECT);
        for (int v = 0; v < sc->expect.nviolated; v++)
            snprintf(r->expected[v], sizeof r->expected[v], "%s", sc->expect.violated[v]);
        r->nexpected = sc->expect.nviolated;
        scenario_free(sc);
        /* Built in buffers of their own first: the job lives inside *c, and GCC's
        ** restrict check (-O0, the coverage build) takes c->out and the job's fields
        ** for one object. */
        pool_job *j = &r->job;
        char path[sizeof j->scenario], dir[sizeof j->run_dir];
        int n = snprintf(path, sizeof path, "%s", r->path);
        int m = snprintf(dir, sizeof dir, "%s/%s/1", c->out, r->slug);
        if (n < 0 || n >= (int)sizeof path || m < 0 || m >= (int)sizeof dir) {
            fprintf(stderr, "outbox-sim: conform: %s: path too long\n", n >= (int)sizeof path
                    ? r->path : c->out);
            return OX_EXIT_USAGE;
        }
        memset(j, 0, sizeof *j);
        memcpy(j->scenario, path, sizeof path);
        j->seed = 1;
        snprintf(j->out, sizeof j->out, "%s", c->out);
        memcpy(j->run_dir, dir, sizeof dir);
        j->tag = i;
        r->protocol = -1;
    }
    return 0;
}

/* Every run, -j at a time; the results are kept by index. */
static void run_all(conform *c) {
    int next = 0, done = 0;
    while (done < c->nruns && !c->pool.stop_sig) {
        while (!c->pool.stop_sig && c->pool.nrunning < c->pool.max && next < c->nruns) {
            char err[1400];
            if (runner_start(&c->pool, &c->runs[next].job, err, sizeof err) != 0) {
                fprintf(stderr, "outbox-sim: conform: %s\n", err);
                c->errors++;
                done += c->nruns - next;
                next = c->nruns;
            } else {
                next++;
            }
        }
        pool_job j;
        runner_result res;
        int rc = runner_wait(&c->pool, CONFORM_TICK_MS, &j, &res);
        if (rc < 0) break;
        if (rc == 0) continue;
        assert(j.tag >= 0);
        assert(j.tag < c->nruns);
        conform_run *r = &c->runs[j.tag];
        r->job = j;
        r->res = res;
        r->ended = 1;
        done++;
    }
}

/* ---- judging ------------------------------------------------------------------- */

/* The run's log says "outbox-sim: harness error: WHAT": the line says WHAT. */
static const char *bare(const char *why) {
    static const char *const prefixes[] = { "outbox-sim: ", "harness error: " };
    for (int i = 0; i < 2; i++)
        if (!strncmp(why, prefixes[i], strlen(prefixes[i]))) why += strlen(prefixes[i]);
    return why;
}

static void fail(conform *c, const char *clause, const char *what, conform_run *r) {
    c->nfailed++;
    if (r) {
        r->failed = 1;
        printf("conform: %s: %s: %s, in %s seed 1 (%s/)\n", ox_role_name(c->role), clause, what,
               r->job.scenario, r->job.run_dir);
    } else {
        printf("conform: %s: %s: %s\n", ox_role_name(c->role), clause, what);
    }
}

/* The words of a harness error, without the run's directory (which holds --out, and
** may hold any word) and without the log it points to ("(see DIR/broker.log)"). */
static void scrub(const char *why, const char *run_dir, char *out, size_t cap) {
    assert(cap > 0);
    size_t n = 0, dl = strlen(run_dir);
    for (const char *p = why; *p && n + 1 < cap;) {
        if (!strncmp(p, " (see ", 6)) break;
        if (dl && !strncmp(p, run_dir, dl)) { p += dl; continue; }
        out[n++] = *p++;
    }
    out[n] = '\0';
}

/* A run's harness error: the role's protocol clause, or -1 (not the role's: the suite's). */
static int classify(const conform *c, const conform_run *r) {
    char why[sizeof r->res.why];
    scrub(r->res.why, r->job.run_dir, why, sizeof why);
    if (!strstr(why, ox_role_name(c->role))) return -1;
    for (int p = 0; p < NPROTOCOL; p++) {
        int any = PROTOCOL[p].words[0] == NULL;
        for (int w = 0; w < 3 && PROTOCOL[p].words[w]; w++)
            any |= strstr(why, PROTOCOL[p].words[w]) != NULL;
        if (any) return p;
    }
    assert(0);
    return -1;
}

/* The protocol clauses: each fails on the first run (in table order) that shows it. */
static void judge_protocol(conform *c) {
    for (int i = 0; i < c->nruns; i++) {
        conform_run *r = &c->runs[i];
        if (!r->ended || r->res.exit_code < 2) continue;
        r->protocol = r->res.exit_code == 3 ? classify(c, r) : -1;
        if (r->protocol < 0) {
            fprintf(stderr, "outbox-sim: conform: %s: %s (%s/)\n", r->job.scenario, r->res.why,
                    r->job.run_dir);
            c->errors++;
        }
    }
    for (int p = 0; p < NPROTOCOL; p++) {
        c->nclauses++;
        for (int i = 0; i < c->nruns; i++) {
            if (c->runs[i].protocol != p) continue;
            fail(c, PROTOCOL[p].name, bare(c->runs[i].res.why), &c->runs[i]);
            break;
        }
    }
}

/* "broke X (N), Y (M)" or the run's reason. */
static void met_why(const runner_result *res, char *out, size_t cap) {
    if (res->ninv == 0) { snprintf(out, cap, "%s", res->why); return; }
    size_t n = (size_t)snprintf(out, cap, "broke");
    for (int i = 0; i < res->ninv && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s %s (%" PRIu64 ")", i ? "," : "", res->inv[i],
                              res->inv_count[i]);
}

/* The step kinds each role gets in its steps scenario: payment all five; the broker no
** PAY; accounting neither PAY nor TIMER (it sets one only under inbox_retention); a relay
** no FRAME (it only sends) and no PAY. */
static unsigned want_steps(ox_role role) {
    unsigned all = CONFORM_STEP_START | CONFORM_STEP_FRAME | CONFORM_STEP_TIMER |
                   CONFORM_STEP_PAY | CONFORM_STEP_STOP;
    if (role == OX_ROLE_PAYMENT) return all;
    if (role == OX_ROLE_BROKER) return all & ~CONFORM_STEP_PAY;
    if (role == OX_ROLE_ACCOUNTING) return all & ~(CONFORM_STEP_PAY | CONFORM_STEP_TIMER);
    assert(role == OX_ROLE_RELAY);
    return all & ~(CONFORM_STEP_PAY | CONFORM_STEP_FRAME);
}

/* One clause of the role: 0 held, 1 failed with what[cap] said. */
static int judge_one(conform *c, const conform_clause *k, conform_run *r, char *what,
                     size_t cap) {
    const runner_result *res = &r->res;
    if (res->exit_code >= 2) {
        snprintf(what, cap, "not judged: the run ended in a harness error (%s)",
                 r->protocol >= 0 ? PROTOCOL[r->protocol].name : "see above");
        return 1;
    }
    assert(k->kind != J_INV);   /* judge_inv */
    int rc = 0;
    const char *dir = r->job.run_dir;
    if (k->kind == J_STEPS) rc = conform_judge_steps(dir, c->role, want_steps(c->role), what, cap);
    if (k->kind == J_REJECT) rc = conform_judge_reject(dir, c->role, what, cap);
    if (rc == 0 && k->kind == J_RESTART) rc = conform_judge_restarted(dir, c->role, what, cap);
    if (rc == 0 && k->kind == J_DUP) rc = conform_judge_duplicated(dir, c->role, what, cap);
    if (rc == 0 && k->kind == J_CLOCK)
        rc = conform_judge_clock(dir, c->role, CONFORM_SKEW_S, what, cap);
    if (rc == 0 && res->exit_code != 0 && k->kind != J_STEPS && k->kind != J_REJECT) {
        met_why(res, what, cap);
        rc = 1;
    }
    return rc ? 1 : 0;
}

/* How often run r broke invariant inv (0: it held, its scenario expects it broken, or
** the run left no summary). */
static uint64_t broken(const conform_run *r, const char *inv) {
    if (!r->ended || !r->res.have_summary) return 0;
    for (int v = 0; v < r->nexpected; v++)
        if (!strcmp(r->expected[v], inv)) return 0;
    for (int i = 0; i < r->res.ninv; i++)
        if (!strcmp(r->res.inv[i], inv)) return r->res.inv_count[i];
    return 0;
}

/* An invariant's clause: broken in its own run, or else in any run of the role (the
** first in the table's order is cited); its own run's harness error leaves it unjudged. */
static void judge_inv(conform *c, const conform_clause *k, conform_run *own) {
    char what[700];
    if (own->res.exit_code >= 2) {
        snprintf(what, sizeof what, "not judged: the run ended in a harness error (%s)",
                 own->protocol >= 0 ? PROTOCOL[own->protocol].name : "see above");
        fail(c, k->name, what, own);
        return;
    }
    conform_run *r = own;
    uint64_t n = broken(own, k->name);
    for (int i = 0; i < c->nruns && n == 0; i++) {
        r = &c->runs[i];
        n = broken(r, k->name);
    }
    if (n == 0) return;
    snprintf(what, sizeof what, "broken %" PRIu64 " time%s", n, n == 1 ? "" : "s");
    fail(c, k->name, what, r);
}

/* 1 if one of the role's invariant clauses names an invariant run r broke. */
static int inv_covered(const conform *c, const conform_run *r) {
    for (int k = 0; k < NCLAUSES; k++)
        if (c->run_of[k] >= 0 && CLAUSES[k].kind == J_INV && broken(r, CLAUSES[k].name))
            return 1;
    return 0;
}

/* "expectations": runs that did not meet their expectations for a reason no clause
** names (an invariant no clause of the role is about, a state not reached): one line,
** the first such run cited. */
static void judge_expectations(conform *c) {
    conform_run *first = NULL;
    int more = 0;
    c->nclauses++;
    for (int i = 0; i < c->nruns; i++) {
        conform_run *r = &c->runs[i];
        if (!r->ended || r->failed || r->res.exit_code != 1 || inv_covered(c, r)) continue;
        if (first) more++;
        else first = r;
    }
    if (!first) return;
    char what[700], why[600];
    met_why(&first->res, why, sizeof why);
    if (more)
        snprintf(what, sizeof what, "%s (and %d more run%s)", why, more, more == 1 ? "" : "s");
    else snprintf(what, sizeof what, "%s", why);
    fail(c, "expectations", what, first);
}

/* "notes-readable": the first run (in table order) whose notes the checker could not all
** read fails it; a run that ended in a harness error is the protocol clauses'. */
static void judge_notes(conform *c) {
    c->nclauses++;
    for (int i = 0; i < c->nruns; i++) {
        conform_run *r = &c->runs[i];
        char what[700];
        if (!r->ended || !r->res.have_summary || r->res.exit_code >= 2) continue;
        if (conform_judge_notes(r->job.run_dir, what, sizeof what) != 1) continue;
        fail(c, "notes-readable", what, r);
        return;
    }
}

static void judge(conform *c) {
    judge_protocol(c);
    judge_notes(c);
    for (int k = 0; k < NCLAUSES; k++) {
        if (c->run_of[k] < 0) continue;
        conform_run *r = &c->runs[c->run_of[k]];
        char what[700];
        if (!r->ended) { fail(c, CLAUSES[k].name, "not judged: the run did not end", r); continue; }
        if (CLAUSES[k].kind == J_INV) judge_inv(c, &CLAUSES[k], r);
        else if (judge_one(c, &CLAUSES[k], r, what, sizeof what)) fail(c, CLAUSES[k].name, what, r);
    }
    judge_expectations(c);
}

static void tidy_runs(conform *c) {
    for (int i = 0; i < c->nruns && !c->keep; i++)
        if (c->runs[i].ended && !c->runs[i].failed) runner_remove_run_dir(c->runs[i].job.run_dir);
}

int conform_cmd(int argc, char **argv) {
    static conform c;   /* large; one per process */
    memset(&c, 0, sizeof c);
    int rc = parse_conform(&c, argc, argv);
    if (rc < 0) return OX_EXIT_OK;   /* --help, --list */
    if (rc) return rc;
    char out[1200];
    if (!c.out) {
        snprintf(out, sizeof out, "reports/conform/%s", ox_role_name(c.role));
        c.out = out;
    }
    if ((rc = plan(&c)) != 0 || (rc = prepare(&c)) != 0) return rc;
    if (files_mkdirs(c.out) != 0) {
        fprintf(stderr, "outbox-sim: conform: --out %s: cannot create it: %s\n", c.out,
                strerror(errno));
        return OX_EXIT_USAGE;
    }
    if (c.jobs > c.nruns) c.jobs = c.nruns;
    double t0 = pool_now();
    pool_init(&c.pool, c.jobs, argv[0]);
    run_all(&c);
    if (c.pool.stop_sig) runner_stop_all(&c.pool);
    pool_fini(&c.pool);
    if (c.pool.stop_sig) {
        printf("conform: %s: interrupted by signal %d\n", ox_role_name(c.role), c.pool.stop_sig);
        return OX_EXIT_HARNESS;
    }
    judge(&c);
    tidy_runs(&c);
    printf("conform: %s: %d of %d clauses failed (%d runs, %.1f s, -j %d)%s%s\n",
           ox_role_name(c.role), c.nfailed, c.nclauses, c.nruns, pool_now() - t0, c.pool.max,
           c.nfailed ? "; failed runs kept in " : "", c.nfailed ? c.out : "");
    if (c.errors) return OX_EXIT_HARNESS;
    return c.nfailed ? OX_EXIT_FAIL : OX_EXIT_OK;
}
