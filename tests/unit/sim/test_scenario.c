/*
** test_scenario.c: the Lua scenario loader (sim/scenario/scenario.c, sim/scenario/sandbox.c).
**
** Each test writes small scenario files into a private mkdtemp directory (removed at
** the end) and checks the plain C data they load into, or the exact one-line error
** with its file and line.  The last test loads every scenario shipped in scenarios/
** (the suite runs from the repository root).
*/
#include <dirent.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../../sim/scenario/scenario.h"

#define SEC 1000000LL

typedef struct {
    char dir[64];
} fixture;

static int setup(void **state) {
    fixture *fx = calloc(1, sizeof *fx);
    if (fx == NULL) return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_scenario.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

/* Removes the directory and every file a test wrote into it. */
static int teardown(void **state) {
    fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    if (d) {
        char path[512];
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", fx->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* Writes dir/name with text; returns the path in a static-free caller buffer. */
static const char *write_file(void **state, const char *name, const char *text, char *path,
                              size_t n) {
    fixture *fx = *state;
    snprintf(path, n, "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static sim_scenario *load_ok(void **state, const char *name, const char *text, uint64_t seed) {
    char path[512], err[600] = "";
    sim_scenario *sc =
        scenario_load(write_file(state, name, text, path, sizeof path), seed, err, sizeof err);
    if (sc == NULL) fail_msg("%s did not load: %s", name, err);
    return sc;
}

/* The load must fail with exactly PATH followed by `tail` (prefix: err only starts so). */
static void load_fails(void **state, const char *name, const char *text, const char *tail,
                       int prefix) {
    char path[512], err[1024] = "", want[1200];
    sim_scenario *sc =
        scenario_load(write_file(state, name, text, path, sizeof path), 1, err, sizeof err);
    if (sc != NULL) {
        scenario_free(sc);
        fail_msg("%s loaded, but should fail with '%s'", name, tail);
    }
    snprintf(want, sizeof want, "%s%s", path, tail);
    if (prefix ? strncmp(err, want, strlen(want)) != 0 : strcmp(err, want) != 0)
        fail_msg("%s:\n   got  '%s'\n   want '%s'%s", name, err, want, prefix ? "..." : "");
    assert_null(strchr(err, '\n'));
}

#define FAILS(name, text, tail) load_fails(state, name, text, tail, 0)
#define FAILS_PREFIX(name, text, tail) load_fails(state, name, text, tail, 1)

#define HEAD "scenario { name = \"t\", run = 30 }\n"

/* ---- what loads ---------------------------------------------------------------------- */

static void scenario_fields_and_sorted_knobs(void **state) {
    sim_scenario *sc = load_ok(state, "full.lua",
                               "scenario {\n"
                               "  name   = \"producer crashes between commit and publish\",\n"
                               "  design = \"mark-on-publish\",\n"
                               "  knobs  = { visibility = 5.5, retry = \"linear\", max_attempts = "
                               "8, durable = true, retry_base = 2.0 },\n"
                               "  workload = { payments = 200, rate = 20, amount = {100, 5000}, "
                               "accounts = 12, refuse = {3, 7, 200} },\n"
                               "  run = 30, settle = 120.5,\n"
                               "}\n",
                               1);
    assert_string_equal(sc->name, "producer crashes between commit and publish");
    assert_string_equal(sc->slug, "full");
    assert_string_equal(sc->design, "mark-on-publish");
    assert_int_equal(sc->run_us, 30 * SEC);
    assert_int_equal(sc->settle_us, 120500000);
    assert_int_equal(sc->nknobs, 5);
    const char *want[] = { "durable=1", "max_attempts=8", "retry=linear", "retry_base=2",
                           "visibility=5.5" };
    for (int i = 0; i < 5; i++) assert_string_equal(sc->knobs[i], want[i]);
    const sim_workload *w = &sc->workload;
    assert_int_equal(w->payments, 200);
    assert_true(w->rate == 20.0);
    assert_int_equal(w->amount_min, 100);
    assert_int_equal(w->amount_max, 5000);
    assert_int_equal(w->accounts, 12);
    int refused = 0;
    for (uint32_t i = 0; i <= w->payments; i++) refused += w->refuse[i];
    assert_int_equal(refused, 3);
    assert_true(w->refuse[3] && w->refuse[7] && w->refuse[200] && !w->refuse[0]);
    assert_int_equal(sc->nfaults, 0);
    assert_int_equal(sc->ncallbacks, 0);
    assert_true(sc->expect.all_invariants);
    assert_int_equal(sc->expect.dead_min, -1);
    assert_int_equal(sc->expect.dead_max, -1);
    scenario_free(sc);
}

static void defaults_apply(void **state) {
    sim_scenario *sc = load_ok(state, "tiny.lua", "scenario { name = \"tiny\" }\n", 1);
    assert_string_equal(sc->design, "outbox");
    assert_int_equal(sc->run_us, 30 * SEC);
    assert_int_equal(sc->settle_us, 120 * SEC);
    assert_int_equal(sc->nknobs, 0);
    assert_int_equal(sc->workload.payments, 100);
    assert_true(sc->workload.rate == 10.0);
    assert_int_equal(sc->workload.amount_min, 100);
    assert_int_equal(sc->workload.amount_max, 10000);
    assert_int_equal(sc->workload.accounts, 10);
    scenario_free(sc);
}

static void frame_faults_match_and_window(void **state) {
    sim_scenario *sc = load_ok(
        state, "frames.lua",
        HEAD "drop { link = \"payment->broker\", p = 0.3 }\n"
             "drop { link = \"*->broker\", queue = \"PAY_QUEUE\", label = \"PUBLISH\", nth = 3 }\n"
             "duplicate { link = \"broker<->accounting\", start = 5, stop = 10 }\n"
             "duplicate { from = \"broker\", to = \"payment\", label = \"DELIVER CONSUMED\", "
             "copies = 4, p = 0.5 }\n"
             "delay { to = \"accounting\", min = 0.25, max = 1.5 }\n"
             "drop { link = \"payment<->broker\", label = \"PUBLISH\" }\n",
        1);
    assert_int_equal(sc->nfaults, 7);
    sim_fault *f = sc->faults;
    for (int i = 0; i < sc->nfaults; i++) assert_int_equal(f[i].id, i + 1);
    assert_int_equal(f[0].kind, FK_DROP);
    assert_int_equal(f[0].line, 2);
    assert_int_equal(f[0].src, 0);
    assert_int_equal(f[0].dst, 1);
    assert_true(f[0].p == 0.3);
    assert_int_equal(f[0].nth, 0);
    assert_int_equal(f[0].from_us, 0);
    assert_true(f[0].to_us == SIM_FOREVER);
    assert_int_equal(f[1].src, SIM_ANY);
    assert_int_equal(f[1].dst, 1);
    assert_string_equal(f[1].queue, "PAY_QUEUE");
    assert_string_equal(f[1].label, "PUBLISH");
    assert_int_equal(f[1].nth, 3);
    /* "<->" declares both directions */
    assert_int_equal(f[2].kind, FK_DUPLICATE);
    assert_int_equal(f[2].src, 1);
    assert_int_equal(f[2].dst, 2);
    assert_int_equal(f[3].src, 2);
    assert_int_equal(f[3].dst, 1);
    assert_int_equal(f[2].copies, 1);
    assert_true(f[2].p == 1.0);
    assert_int_equal(f[2].from_us, 5 * SEC);
    assert_int_equal(f[2].to_us, 10 * SEC);
    assert_int_equal(f[3].line, 4);
    assert_int_equal(f[4].src, 1);
    assert_int_equal(f[4].dst, 0);
    assert_int_equal(f[4].copies, 4);
    assert_int_equal(f[5].kind, FK_DELAY);
    assert_int_equal(f[5].src, SIM_ANY);
    assert_int_equal(f[5].dst, 2);
    assert_int_equal(f[5].min_us, 250000);
    assert_int_equal(f[5].max_us, 1500000);
    /* "<->" with a label only one direction carries: only that direction */
    assert_int_equal(f[6].src, 0);
    assert_int_equal(f[6].dst, 1);
    scenario_free(sc);
}

static void between_sets_and_nests_windows(void **state) {
    sim_scenario *sc = load_ok(state, "between.lua", HEAD
        "between(10, 20, function()\n"
        "  drop { link = \"payment->broker\", p = 0.3 }\n"
        "  between(15, 30, function() delay { link = \"broker->accounting\", max = 1 } end)\n"
        "  duplicate { link = \"broker->accounting\", start = 12 }\n"
        "  crash { node = \"broker\" }\n"
        "end)\n"
        "drop { link = \"broker->payment\" }\n", 1);
    assert_int_equal(sc->nfaults, 5);
    sim_fault *f = sc->faults;
    assert_int_equal(f[0].from_us, 10 * SEC);
    assert_int_equal(f[0].to_us, 20 * SEC);
    assert_int_equal(f[0].line, 3);
    assert_int_equal(f[1].from_us, 15 * SEC);   /* [15, 30) within [10, 20) */
    assert_int_equal(f[1].to_us, 20 * SEC);
    assert_int_equal(f[2].from_us, 12 * SEC);
    assert_int_equal(f[2].to_us, 20 * SEC);
    assert_int_equal(f[3].kind, FK_CRASH);       /* a crash inside between(): at its start */
    assert_int_equal(f[3].node, 1);
    assert_int_equal(f[3].at_us, 10 * SEC);
    assert_int_equal(f[3].restart_after_us, 1 * SEC);
    assert_int_equal(f[4].from_us, 0);           /* the window is restored afterwards */
    assert_true(f[4].to_us == SIM_FOREVER);
    scenario_free(sc);
}

static void crashes(void **state) {
    sim_scenario *sc = load_ok(state, "crash.lua",
                               HEAD "crash { node = \"payment\", at_failpoint = "
                                    "\"payment.after_commit\", hit = 3, restart_after = 2.0 }\n"
                                    "crash { at_failpoint = \"accounting.after_apply\" }\n"
                                    "crash { node = \"broker\", at = 12.5, restart = false }\n",
                               1);
    assert_int_equal(sc->nfaults, 3);
    sim_fault *f = sc->faults;
    assert_int_equal(f[0].kind, FK_CRASH);
    assert_int_equal(f[0].node, 0);
    assert_string_equal(f[0].failpoint, "payment.after_commit");
    assert_int_equal(f[0].hit, 3);
    assert_int_equal(f[0].at_us, -1);
    assert_int_equal(f[0].restart_after_us, 2 * SEC);
    assert_int_equal(f[1].node, 2);              /* the failpoint names its node */
    assert_int_equal(f[1].hit, 1);
    assert_int_equal(f[1].restart_after_us, 1 * SEC);
    assert_int_equal(f[2].node, 1);
    assert_int_equal(f[2].at_us, 12500000);
    assert_string_equal(f[2].failpoint, "");
    assert_int_equal(f[2].restart_after_us, -1);
    scenario_free(sc);
}

typedef struct {
    int n;
    int lines[8];
    char texts[8][200];
} notes;

static void note_hook(void *ctx, int line, const char *text) {
    notes *ns = ctx;
    if (ns->n >= 8) return;
    ns->lines[ns->n] = line;
    snprintf(ns->texts[ns->n], sizeof ns->texts[0], "%s", text);
    ns->n++;
}

static void at_callbacks_sorted_and_fired(void **state) {
    sim_scenario *sc = load_ok(state, "at.lua", HEAD
        "at(5, function() note(\"a\") end)\n"
        "at(2, function() note(\"b\") end)\n"
        "at(5, function() note(\"c\") end)\n"
        "at(2.5, function()\n"
        "  note(\"d\")\n"
        "  drop { link = \"payment->broker\" }\n"
        "  drop { link = \"payment->broker\", stop = 9 }\n"
        "  crash { node = \"accounting\", restart_after = 3 }\n"
        "  between(4, 6, function() delay { link = \"broker->payment\", max = 0.5 } end)\n"
        "end)\n", 1);
    assert_int_equal(sc->ncallbacks, 4);
    int64_t t[] = { 2 * SEC, 2500000, 5 * SEC, 5 * SEC };
    int lines[] = { 3, 5, 2, 4 };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sc->callbacks[i].t_us, t[i]);
        assert_int_equal(sc->callbacks[i].line, lines[i]);
    }
    notes ns = { 0 };
    sc->note = note_hook;
    sc->note_ctx = &ns;
    char err[600];
    for (int i = 0; i < 4; i++)
        assert_int_equal(scenario_fire(sc, i, sc->callbacks[i].t_us, err, sizeof err), 0);
    assert_int_equal(ns.n, 4);
    assert_string_equal(ns.texts[0], "b");
    assert_string_equal(ns.texts[1], "d");
    assert_string_equal(ns.texts[2], "a");
    assert_string_equal(ns.texts[3], "c");
    assert_int_equal(ns.lines[1], 6);
    assert_int_equal(sc->nfaults, 4);
    sim_fault *f = sc->faults;
    assert_int_equal(f[0].from_us, 2500000);    /* from the callback's time... */
    assert_true(f[0].to_us == SIM_FOREVER);     /* ...until healing */
    assert_int_equal(f[0].line, 7);
    assert_int_equal(f[1].to_us, 9 * SEC);
    assert_int_equal(f[2].kind, FK_CRASH);
    assert_int_equal(f[2].at_us, 2500000);
    assert_int_equal(f[2].restart_after_us, 3 * SEC);
    assert_int_equal(f[3].from_us, 4 * SEC);
    assert_int_equal(f[3].to_us, 6 * SEC);
    scenario_free(sc);
}

static void expectations(void **state) {
    sim_scenario *sc = load_ok(state, "expect.lua",
                               HEAD "expect { violated = {\"eventual_consistency\"}, hold = "
                                    "{\"dead_letters_alerted\", \"durability\"},\n"
                                    "         dead_letters = {min = 1} }\n",
                               1);
    const sim_expect *e = &sc->expect;
    assert_false(e->all_invariants);
    assert_int_equal(e->nviolated, 1);
    assert_string_equal(e->violated[0], "eventual_consistency");
    assert_int_equal(e->nhold, 2);
    assert_string_equal(e->hold[0], "dead_letters_alerted");
    assert_string_equal(e->hold[1], "durability");
    assert_int_equal(e->dead_min, 1);
    assert_int_equal(e->dead_max, -1);
    scenario_free(sc);
    sc = load_ok(state, "expect2.lua", HEAD "expect { all_invariants = true, dead_letters = 3 }\n",
                 1);
    assert_true(sc->expect.all_invariants);
    assert_int_equal(sc->expect.dead_min, 3);
    assert_int_equal(sc->expect.dead_max, 3);
    scenario_free(sc);
    sc = load_ok(state, "expect3.lua", HEAD "expect { dead_letters = {0, 10} }\n", 1);
    assert_int_equal(sc->expect.dead_min, 0);
    assert_int_equal(sc->expect.dead_max, 10);
    scenario_free(sc);
}

static void refusals_drawn_from_the_seed(void **state) {
    const char *text =
        "scenario { name = \"r\", run = 30, workload = { payments = 1000, rate = 100,\n"
        "  refuse = {1}, refuse_rate = 0.3 } }\n";
    sim_scenario *a = load_ok(state, "r.lua", text, 7), *b = load_ok(state, "r.lua", text, 7);
    sim_scenario *c = load_ok(state, "r.lua", text, 8);
    int na = 0;
    for (int i = 1; i <= 1000; i++) na += a->workload.refuse[i];
    assert_true(na > 200 && na < 400);
    assert_true(a->workload.refuse[1]);
    assert_memory_equal(a->workload.refuse, b->workload.refuse, 1001);
    assert_memory_not_equal(a->workload.refuse, c->workload.refuse, 1001);
    scenario_free(a);
    scenario_free(b);
    scenario_free(c);
}

/* math.random: the same stream for a seed, another for another seed. */
static void random_is_the_runs_seed(void **state) {
    const char *text = HEAD "local xs = {}\n"
                            "for i = 1, 8 do xs[i] = math.random(1000000) end\n"
                            "at(1, function() note(table.concat(xs, \",\") .. \"|\" .. "
                            "math.random(5, 9) .. \"|\" .. math.random()) end)\n";
    char got[3][200];
    uint64_t seeds[3] = { 42, 42, 43 };
    for (int i = 0; i < 3; i++) {
        sim_scenario *sc = load_ok(state, "rnd.lua", text, seeds[i]);
        notes ns = { 0 };
        sc->note = note_hook;
        sc->note_ctx = &ns;
        char err[600];
        assert_int_equal(scenario_fire(sc, 0, SEC, err, sizeof err), 0);
        assert_int_equal(ns.n, 1);
        snprintf(got[i], sizeof got[i], "%s", ns.texts[0]);
        scenario_free(sc);
    }
    assert_string_equal(got[0], got[1]);
    assert_string_not_equal(got[0], got[2]);
}

/* pairs() visits keys in sorted order and tostring() prints no addresses, so nothing
** in a trace depends on Lua's hash seed or on where memory was. */
static void pairs_and_tostring_are_reproducible(void **state) {
    sim_scenario *sc = load_ok(
        state, "det.lua",
        HEAD "local t = { zeta = 1, alpha = 2, [3] = 'c', [1] = 'a', [2.5] = 'b', mid = 3 }\n"
             "local out = {}\n"
             "for k, v in pairs(t) do out[#out + 1] = k .. '=' .. v end\n"
             "at(1, function() note(table.concat(out, ' ') .. ' ' .. tostring({}) .. ' ' .. "
             "string.format('%s', print)) end)\n",
        1);
    notes ns = { 0 };
    sc->note = note_hook;
    sc->note_ctx = &ns;
    char err[600];
    assert_int_equal(scenario_fire(sc, 0, SEC, err, sizeof err), 0);
    assert_string_equal(ns.texts[0], "1=a 2.5=b 3=c alpha=2 mid=3 zeta=1 table function");
    scenario_free(sc);
}

/* ---- errors: one line, FILE:LINE: function: what ------------------------------------------- */

static void syntax_and_runtime_errors_name_the_line(void **state) {
    FAILS("syntax.lua", HEAD "drop { link = \"payment->broker\"\n\nexpect {}\n",
          ":4: '}' expected (to close '{' at line 2) near 'expect'");
    FAILS("runtime.lua", HEAD "local x\n\nlocal y = x.field\n",
          ":4: attempt to index a nil value (local 'x')");
    FAILS("error.lua", HEAD "\nerror(\"custom trouble\")\n", ":3: custom trouble");
    FAILS("error0.lua", HEAD "error(\"no position\", 0)\n", ":2: no position");
    FAILS("errtable.lua", HEAD "error({})\n", ":2: error object is a table value");
}

static void callback_errors_name_the_line(void **state) {
    sim_scenario *sc = load_ok(state, "cb.lua", HEAD
        "at(3, function()\n"
        "  drop { link = \"payment->broker\" }\n"
        "  local t = nil\n"
        "  t.x = 1\n"
        "end)\n"
        "at(4, function() drop { link = \"paymnt->broker\" } end)\n"
        "at(5, function() crash { node = \"payment\", at = 1 } end)\n"
        "at(6, function() expect { all_invariants = true } end)\n"
        "at(7, function() at(9, function() end) end)\n", 1);
    char err[600], want[700];
    const char *path = sc->path;
    assert_int_equal(scenario_fire(sc, 0, 3 * SEC, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:5: attempt to index a nil value (local 't')", path);
    assert_string_equal(err, want);
    assert_int_equal(sc->nfaults, 0);    /* a failed callback declares nothing */
    assert_int_equal(scenario_fire(sc, 1, 4 * SEC, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s:7: drop: unknown node 'paymnt' in link 'paymnt->broker' (did you mean "
             "'payment'? nodes: payment, broker, accounting)",
             path);
    assert_string_equal(err, want);
    assert_int_equal(scenario_fire(sc, 2, 5 * SEC, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s:8: crash: 'at' = 1 s lies outside the window of this at() callback [5, healing)",
             path);
    assert_string_equal(err, want);
    assert_int_equal(scenario_fire(sc, 3, 6 * SEC, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:9: expect: only at load time, not inside an at() callback",
             path);
    assert_string_equal(err, want);
    assert_int_equal(scenario_fire(sc, 4, 7 * SEC, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:10: at: only at load time, not inside an at() callback", path);
    assert_string_equal(err, want);
    scenario_free(sc);
}

static void unknown_names(void **state) {
    FAILS("node.lua", HEAD "\ndrop { link = \"paymnt->broker\" }\n",
          ":3: drop: unknown node 'paymnt' in link 'paymnt->broker' (did you mean 'payment'? "
          "nodes: payment, broker, accounting)");
    FAILS("from.lua", HEAD "drop { from = \"bank\" }\n",
          ":2: drop: unknown node 'bank' in 'from' (nodes: payment, broker, accounting)");
    FAILS("nolink.lua", HEAD "drop { link = \"payment->accounting\" }\n",
          ":2: drop: no frame travels payment->accounting (links: payment<->broker, "
          "broker<->accounting)");
    FAILS("badlink.lua", HEAD "drop { link = \"payment broker\" }\n",
          ":2: drop: 'link' must look like \"payment->broker\", \"*->broker\" or "
          "\"broker<->accounting\", got 'payment broker'");
    FAILS("nomatch.lua", HEAD "duplicate { link = \"payment->broker\", label = \"DELIVER\" }\n",
          ":2: duplicate: no frame on payment->broker has label 'DELIVER' (frames there: PUBLISH "
          "PAYMENT "
          "(payment->broker, PAY_QUEUE), DACK (payment->broker, ACC_QUEUE))");
    FAILS("queue.lua", HEAD "drop { queue = \"PAY_QUEU\" }\n",
          ":2: drop: unknown queue 'PAY_QUEU' (did you mean 'PAY_QUEUE'? queues: PAY_QUEUE, "
          "ACC_QUEUE)");
    FAILS_PREFIX("label.lua", HEAD "drop { label = \"DELIVR\" }\n",
                 ":2: drop: label 'DELIVR' begins no frame label (did you mean 'DELIVER'? labels: "
                 "PUBLISH PAYMENT");
    FAILS("fp.lua", HEAD "crash { node = \"payment\", at_failpoint = \"payment.after_comit\" }\n",
          ":2: crash: unknown failpoint 'payment.after_comit' (did you mean "
          "'payment.after_commit'? see outbox-sim failpoints)");
    FAILS("fpnode.lua",
          HEAD "crash { node = \"accounting\", at_failpoint = \"payment.after_commit\" }\n",
          ":2: crash: failpoint 'payment.after_commit' is in payment, not in accounting");
    FAILS("keep.lua", HEAD "power_loss { node = \"payment\", at = 3, keep = \"tron\" }\n",
          ":2: power_loss: unknown keep 'tron' (did you mean 'torn'? keeps: none, random, torn)");
    FAILS("plnode.lua", HEAD "power_loss { at = 3 }\n",
          ":2: power_loss: needs 'node' (payment, broker or accounting)");
    FAILS("plfp.lua",
          HEAD "power_loss { node = \"broker\", at_failpoint = \"payment.after_commit\" }\n",
          ":2: power_loss: failpoint 'payment.after_commit' is in payment, not in broker");
    FAILS("plboth.lua",
          HEAD "power_loss { node = \"payment\", at = 2,\n"
               "  at_failpoint = \"payment.after_commit\" }\n",
          ":2: power_loss: give either 'at' or 'at_failpoint', not both");
    FAILS_PREFIX(
        "design.lua", "scenario { name = \"t\",\n  design = \"outbx\" }\n",
        ":1: scenario: unknown design 'outbx' (did you mean 'outbox'? designs: outbox, direct,");
    FAILS_PREFIX("knob.lua", "scenario { name = \"t\", knobs = { retry_bse = 2 } }\n",
                 ":1: scenario: knobs: unknown knob 'retry_bse'");
    FAILS("knobval.lua", "scenario { name = \"t\", knobs = { max_attempts = 0 } }\n",
          ":1: scenario: knobs: max_attempts: expected an integer 1..1000, got '0'");
    FAILS_PREFIX("knobfrozen.lua", "scenario { name = \"t\", knobs = { frozen = \"3\" } }\n",
                 ":1: scenario: knobs: 'frozen' is set by the simulator");
    FAILS("inv.lua", HEAD "expect { violated = { \"exactly_onse\" } }\n",
          ":2: expect: unknown invariant 'exactly_onse' in 'violated' (did you mean "
          "'exactly_once'? invariants: "
          "durability, atomicity, no_phantom, exactly_once, eventual_consistency, compensation, "
          "dead_letters_alerted, convergence, publish_after_commit, retry_schedule, "
          "dead_after_max_attempts, alert_names_row, final_states_final, answer_after_commit, "
          "dedupe_same_answer, business_rules, broker_redelivery, dack_names_delivery, "
          "restart_state, cleanup_final_only, ordering, alerts_kept, delivered_until_acked, "
          "lease_held, lease_exclusive, owned_then_sent, errors_reported, errors_explained, "
          "knobs_applied)");
}

static void unknown_fields(void **state) {
    FAILS("field.lua", "scenario { name = \"t\", rnu = 30, zzz = 1 }\n",
          ":1: scenario: unknown field 'rnu' (did you mean 'run'? fields: name, design, knobs, "
          "workload, run, settle)");
    FAILS("wfield.lua", "scenario { name = \"t\", workload = { paymnets = 3 } }\n",
          ":1: scenario: unknown field 'workload.paymnets' (did you mean 'payments'? fields: "
          "payments, rate, amount, "
          "accounts, refuse, refuse_rate, client_retries)");
    FAILS("dfield.lua", HEAD "drop { lnik = \"payment->broker\" }\n",
          ":2: drop: unknown field 'lnik' (did you mean 'link'? fields: link, from, to, queue, "
          "label, pay, p, nth, start, stop)");
    FAILS("cfield.lua", HEAD "crash { node = \"payment\", at = 3, restart_afterr = 1 }\n",
          ":2: crash: unknown field 'restart_afterr' (did you mean 'restart_after'? fields: node, "
          "at, at_failpoint, "
          "hit, restart_after, restart)");
    FAILS("efield.lua", HEAD "expect { violate = {\"durability\"} }\n",
          ":2: expect: unknown field 'violate' (did you mean 'violated'? fields: all_invariants, "
          "violated, hold, others_hold, dead_letters, faults_act, reached, never)");
    FAILS("positional.lua", HEAD "drop { \"payment->broker\" }\n",
          ":2: drop: 'drop' takes named fields only (name = value), not a list; fields: link, "
          "from, to, queue, "
          "label, pay, p, nth, start, stop");
}

static void absurd_numbers(void **state) {
    FAILS("negstart.lua", HEAD "drop { link = \"payment->broker\", start = -1 }\n",
          ":2: drop: 'start' must be a time in seconds >= 0 and < 30 (the run length), got -1");
    FAILS("negrun.lua", "scenario { name = \"t\", run = -5 }\n",
          ":1: scenario: 'run' must be a time in seconds > 0 and <= 86400, got -5");
    FAILS("settle.lua", "scenario { name = \"t\", settle = 100000 }\n",
          ":1: scenario: 'settle' must be a time in seconds >= 0 and <= 86400, got 100000");
    FAILS("rate.lua", "scenario { name = \"t\", workload = { rate = -5 } }\n",
          ":1: scenario: 'workload.rate' must be a number > 0 and <= 100000 (payments per virtual "
          "second), got -5");
    FAILS("rate2.lua", "scenario { name = \"t\", workload = { rate = 1e9 } }\n",
          ":1: scenario: 'workload.rate' must be a number > 0 and <= 100000 (payments per virtual "
          "second), got 1000000000");
    FAILS("nan.lua", "scenario { name = \"t\", run = 0/0 }\n",
          ":1: scenario: 'run' must be a time in seconds > 0 and <= 86400, got nan");
    FAILS("fit.lua",
          "scenario { name = \"t\", run = 5, workload = { payments = 200, rate = 20 } }\n",
          ":1: scenario: the workload does not fit in the run: 200 payments at 20 per second take "
          "10 s, but run = 5 s");
    FAILS("refuse.lua",
          "scenario { name = \"t\", workload = { payments = 10, refuse = {3, 11} } }\n",
          ":1: scenario: 'workload.refuse[2]' names payment 11, but payments are numbered 1..10");
    FAILS("p.lua", HEAD "drop { link = \"payment->broker\", p = 1.5 }\n",
          ":2: drop: 'p' must be a probability >= 0 and <= 1, got 1.5");
    FAILS("pnth.lua", HEAD "drop { link = \"payment->broker\", p = 0.5, nth = 2 }\n",
          ":2: drop: give either 'p' or 'nth', not both");
    FAILS("delay.lua", HEAD "delay { link = \"payment->broker\", min = 2, max = 1 }\n",
          ":2: delay: 'min' (2) must be <= 'max' (1)");
    FAILS("window.lua", HEAD "drop { link = \"payment->broker\", start = 10, stop = 5 }\n",
          ":2: drop: 'start' (10) must be before 'stop' (5)");
    FAILS("stop.lua", HEAD "drop { link = \"payment->broker\", stop = 40 }\n",
          ":2: drop: 'stop' must be a time in seconds > 0 and <= 30 (the run length), got 40");
    FAILS("outside.lua",
          HEAD
          "between(10, 20, function()\n  drop { link = \"payment->broker\", start = 25 }\nend)\n",
          ":3: drop: its window [25, 30) does not overlap between(10, 20)");
    FAILS("amount.lua", "scenario { name = \"t\", workload = { amount = {5000, 100} } }\n",
          ":1: scenario: 'workload.amount' has min 5000 > max 100");
    FAILS("string.lua", HEAD "drop { link = \"payment->broker\", p = \"0.3\" }\n",
          ":2: drop: 'p' must be a probability >= 0 and <= 1, got '0.3'");
}

static void scenario_once_and_first(void **state) {
    FAILS("missing.lua", "local x = 1\n",
          ": no scenario { ... } in this file (every scenario declares one, first)");
    FAILS("twice.lua", HEAD "\n" HEAD, ":3: scenario: declared twice (first at line 1)");
    FAILS("first.lua", "drop { link = \"payment->broker\" }\n" HEAD,
          ":1: drop: scenario { ... } must come first (it sets the run length that times are "
          "checked against)");
    FAILS("noname.lua", "scenario { run = 3 }\n",
          ":1: scenario: 'name' is required: one line saying what the scenario shows");
    FAILS("note.lua", HEAD "note(\"hello\")\n",
          ":2: note: only inside at() callbacks (at load time, write a Lua comment)");
    FAILS("crashfp.lua",
          HEAD
          "between(1, 2, function()\n crash { at_failpoint = \"payment.after_commit\" }\nend)\n",
          ":3: crash: 'at_failpoint' counts hits from the start of the run, so it cannot be "
          "declared inside "
          "between() or an at() callback");
}

static void sandbox_has_no_escape(void **state) {
    FAILS("io.lua", HEAD "local f = io.open(\"/etc/passwd\")\n",
          ":2: attempt to index a nil value (global 'io')");
    FAILS("os.lua", HEAD "os.exit(1)\n", ":2: attempt to index a nil value (global 'os')");
    FAILS("require.lua", HEAD "require(\"os\")\n",
          ":2: attempt to call a nil value (global 'require')");
    FAILS("dofile.lua", HEAD "dofile(\"/etc/passwd\")\n",
          ":2: attempt to call a nil value (global 'dofile')");
    FAILS("load.lua", HEAD "load(\"return 1\")\n",
          ":2: attempt to call a nil value (global 'load')");
    FAILS("debug.lua", HEAD "debug.sethook()\n",
          ":2: attempt to index a nil value (global 'debug')");
    FAILS("seed.lua", HEAD "math.randomseed(1)\n",
          ":2: math.randomseed: not available: math.random draws from the run's seed (outbox-sim "
          "run SCENARIO --seed N)");
    FAILS(
        "gc.lua", HEAD "setmetatable({}, { __gc = function() end })\n",
        ":2: setmetatable: __gc is not allowed (finalizers run at times that differ between runs)");
    FAILS("print.lua", HEAD "print(1)\n",
          ":2: print: not available in scenarios (use note() inside at() callbacks)");
    FAILS("budget.lua", HEAD "local n = 0\nwhile true do n = n + 1 end\n",
          ":3: scenario exceeded its instruction budget (100 million instructions)");
    FAILS("budget2.lua", HEAD "while true do pcall(function() while true do end end) end\n",
          ":2: scenario exceeded its instruction budget (100 million instructions)");
    FAILS("memory.lua", HEAD "local s = string.rep(\"x\", 1 << 30)\n",
          ": scenario exceeded its memory limit (64 MiB)");
}

static void missing_file_and_long_path(void **state) {
    fixture *fx = *state;
    char path[512], err[600], want[700];
    snprintf(path, sizeof path, "%s/absent.lua", fx->dir);
    assert_null(scenario_load(path, 1, err, sizeof err));
    snprintf(want, sizeof want, "%s: cannot read scenario: No such file or directory", path);
    assert_string_equal(err, want);
    /* Lua abbreviates paths over 60 bytes in its messages; errors still name the file. */
    const char *name = "a-scenario-file-with-a-rather-long-name-for-a-classroom-demo-of-loss.lua";
    FAILS(name, HEAD "\nlocal x = nil + 1\n", ":3: attempt to perform arithmetic on a nil value");
    char text[200];
    snprintf(text, sizeof text, HEAD "drop { link = \"x->broker\" }\n");
    load_fails(
        state, name, text,
        ":2: drop: unknown node 'x' in link 'x->broker' (nodes: payment, broker, accounting)", 0);
}

/* ---- the fault model: partitions, broker loss, clocks, slow nodes, the nemesis ------------ */

static void new_fault_kinds_load(void **state) {
    sim_scenario *sc = load_ok(
        state, "kinds.lua",
        HEAD "partition { between = {\"payment\", \"broker\"}, start = 5, stop = 15 }\n"
             "partition { between = {\"accounting\", \"broker\"}, oneway = true }\n"
             "broker_loss { queue = \"PAY_QUEUE\", p = 0.2, start = 1, stop = 9 }\n"
             "broker_loss { nth = 4 }\n"
             "clock { node = \"payment\", skew = -3.5 }\n"
             "clock_jump { node = \"broker\", at = 10, by = 30 }\n"
             "between(12, 20, function() clock_jump { node = \"accounting\", by = -0.25 } end)\n"
             "slow { node = \"accounting\", per_message = 0.2, stop = 15 }\n"
             "drop { link = \"payment->broker\", pay = 7 }\n"
             "at(4, function() clock_jump { node = \"payment\", by = -30 } partition { between = "
             "{\"broker\", \"payment\"}, stop = 6 } end)\n",
        1);
    assert_int_equal(sc->nfaults, 9);
    sim_fault *f = sc->faults;
    assert_int_equal(f[0].kind, FK_PARTITION);
    assert_int_equal(f[0].src, 0);
    assert_int_equal(f[0].dst, 1);
    assert_true(f[0].twoway);
    assert_int_equal(f[0].from_us, 5 * SEC);
    assert_int_equal(f[0].to_us, 15 * SEC);
    assert_int_equal(f[1].src, 2);              /* one way: from the first named to the second */
    assert_int_equal(f[1].dst, 1);
    assert_false(f[1].twoway);
    assert_true(f[1].to_us == SIM_FOREVER);
    assert_int_equal(f[2].kind, FK_BROKER_LOSS);
    assert_string_equal(f[2].queue, "PAY_QUEUE");
    assert_true(f[2].p == 0.2);
    assert_int_equal(f[2].from_us, 1 * SEC);
    assert_int_equal(f[2].to_us, 9 * SEC);
    assert_string_equal(f[3].queue, "");        /* any queue */
    assert_int_equal(f[3].nth, 4);
    assert_int_equal(f[4].kind, FK_CLOCK);
    assert_int_equal(f[4].node, 0);
    assert_int_equal(f[4].by_us, -3500000);
    assert_int_equal(f[5].kind, FK_CLOCK_JUMP);
    assert_int_equal(f[5].node, 1);
    assert_int_equal(f[5].at_us, 10 * SEC);
    assert_int_equal(f[5].by_us, 30 * SEC);
    assert_int_equal(f[6].at_us, 12 * SEC);      /* inside between(): at its start */
    assert_int_equal(f[6].by_us, -250000);
    assert_int_equal(f[7].kind, FK_SLOW);
    assert_int_equal(f[7].node, 2);
    assert_int_equal(f[7].per_us, 200000);
    assert_int_equal(f[7].to_us, 15 * SEC);
    assert_int_equal(f[8].kind, FK_DROP);
    assert_true(f[8].pay == 7);
    for (int i = 0; i < sc->nfaults; i++) assert_int_equal(f[i].nemesis, 0);
    char err[600];
    assert_int_equal(scenario_fire(sc, 0, 4 * SEC, err, sizeof err), 0);
    assert_int_equal(sc->nfaults, 11);
    assert_int_equal(f[9].at_us, 4 * SEC);       /* inside at(): at the callback's time */
    assert_int_equal(f[9].node, 0);
    assert_int_equal(f[10].kind, FK_PARTITION);
    assert_int_equal(f[10].from_us, 4 * SEC);
    assert_int_equal(f[10].to_us, 6 * SEC);
    assert_string_equal(scenario_fault_kind_name(FK_BROKER_LOSS), "broker_loss");
    assert_string_equal(scenario_fault_kind_name(0), "?");
    scenario_free(sc);
}

#define NEMESIS_ALL \
    "nemesis { drop = 0.2, duplicate = 0.1, delay = 0.2, delay_max = 1, broker_loss = 0.1, slow " \
    "= 0.05,\n" \
    "  clock_skew = 5, crash_every = 4, restart_max = 3, failpoints = true, partition_every = " \
    "5,\n" \
    "  partition_max = 4, clock_jumps = true, clock_every = 6, clock_max = 20, rollback = 0.1,\n" \
    "  start = 2, stop = 28 }\n"

/* One seed, one schedule: the same seed draws the same faults, another seed others; all
** inside the window and within the maxima, each marked as the nemesis's. */
static void nemesis_draws_from_the_seed(void **state) {
    const char *text = HEAD "drop { link = \"payment->broker\", p = 0.5 }\n" NEMESIS_ALL;
    sim_scenario *a = load_ok(state, "nem.lua", text, 11), *b = load_ok(state, "nem.lua", text, 11);
    sim_scenario *c = load_ok(state, "nem.lua", text, 12);
    assert_int_equal(a->nnemeses, 1);
    assert_int_equal(a->nemeses[0].line, 3);
    assert_int_equal(a->nemeses[0].first, 2);
    assert_int_equal(a->nemeses[0].count, a->nfaults - 1);
    assert_true(a->nemeses[0].swarm);
    assert_true(a->nfaults > 5);
    assert_int_equal(a->nfaults, b->nfaults);
    int same = a->nfaults == c->nfaults;
    for (int i = 0; i < a->nfaults; i++) {
        sim_fault *f = &a->faults[i], *g = &b->faults[i];
        assert_int_equal(f->kind, g->kind);
        assert_true(f->p == g->p && f->from_us == g->from_us && f->to_us == g->to_us &&
                    f->at_us == g->at_us);
        assert_true(f->by_us == g->by_us && f->node == g->node && f->src == g->src &&
                    f->hit == g->hit);
        if (same && i < c->nfaults)
            same = f->kind == c->faults[i].kind && f->p == c->faults[i].p &&
                   f->at_us == c->faults[i].at_us;
        if (i == 0) { assert_int_equal(f->nemesis, 0); continue; }
        assert_int_equal(f->nemesis, 1);
        assert_int_equal(f->line, 3);
        assert_true(f->p >= 0 && f->p <= 0.2);
        if (f->kind == FK_CLOCK) assert_true(f->by_us >= -5 * SEC && f->by_us <= 5 * SEC);
        else if (f->kind == FK_CLOCK_JUMP)
            assert_true(f->at_us >= 2 * SEC && f->at_us < 28 * SEC && f->by_us != 0);
        else if (f->kind == FK_CRASH && !f->failpoint[0])
            assert_true(f->at_us >= 2 * SEC && f->at_us < 28 * SEC);
        else if (f->kind == FK_CRASH) assert_true(f->hit >= 1 && f->hit <= 100);
        else assert_true(f->from_us >= 2 * SEC && f->to_us <= 28 * SEC && f->from_us < f->to_us);
        if (f->kind == FK_SLOW) assert_true(f->per_us > 0 && f->per_us <= 50000);
        if (f->kind == FK_PARTITION) assert_true(f->to_us - f->from_us <= 4 * SEC + 1000);
    }
    assert_false(same);
    scenario_free(a);
    scenario_free(b);
    scenario_free(c);
}

/* swarm = false: every kind given is on, at exactly the given rates. */
/* power_loss = p: each crash the nemesis draws is a power loss with chance p, its keep
** drawn too; at 1 every one is, at 0 (not given) none, and the crashes' times are the
** same as without it (the extra draws come after each crash's own). */
static void nemesis_power_loss(void **state) {
    static const char *const TEXT[] = {
        HEAD "nemesis { crash_every = 2, swarm = false }\n",
        HEAD "nemesis { crash_every = 2, swarm = false, power_loss = 1 }\n",
    };
    sim_scenario *plain = load_ok(state, "plain.lua", TEXT[0], 5);
    sim_scenario *power = load_ok(state, "power.lua", TEXT[1], 5);
    int keeps[3] = { 0 };
    assert_true(plain->nfaults >= 5);
    assert_true(power->nfaults >= 5);
    for (int i = 0; i < plain->nfaults; i++) assert_int_equal(plain->faults[i].kind, FK_CRASH);
    for (int i = 0; i < power->nfaults; i++) {
        const sim_fault *f = &power->faults[i];
        assert_int_equal(f->kind, FK_POWER_LOSS);
        assert_true(f->keep >= 0 && f->keep <= 2);
        keeps[f->keep]++;
    }
    assert_true(plain->faults[0].at_us == power->faults[0].at_us);   /* the first: same draws */
    assert_true(plain->faults[0].node == power->faults[0].node);
    assert_true(keeps[0] + keeps[1] + keeps[2] == power->nfaults);
    scenario_free(plain);
    scenario_free(power);
}

static void nemesis_fixed_rates(void **state) {
    sim_scenario *sc = load_ok(state, "fixed.lua", HEAD
        "nemesis { drop = 0.1, broker_loss = 0.05, crash_every = 10, swarm = false }\n", 3);
    int drops = 0, losses = 0, crashes = 0;
    for (int i = 0; i < sc->nfaults; i++) {
        const sim_fault *f = &sc->faults[i];
        if (f->kind == FK_DROP) { drops++; assert_true(f->p == 0.1); }
        if (f->kind == FK_BROKER_LOSS) { losses++; assert_true(f->p == 0.05); }
        if (f->kind == FK_CRASH) { crashes++; assert_true(f->at_us > 0 && f->at_us < 30 * SEC); }
    }
    assert_int_equal(drops, 4);       /* one per direction frames travel */
    assert_int_equal(losses, 2);      /* one per queue */
    assert_true(crashes >= 2 && crashes <= 6);
    assert_false(sc->nemeses[0].swarm);
    scenario_free(sc);
}

static void same_fault(const sim_fault *a, const sim_fault *b) {
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->src, b->src);
    assert_int_equal(a->dst, b->dst);
    assert_int_equal(a->twoway, b->twoway);
    assert_string_equal(a->queue, b->queue);
    assert_string_equal(a->label, b->label);
    assert_true(a->pay == b->pay && a->p == b->p && a->nth == b->nth);
    if (a->kind == FK_DUPLICATE) assert_int_equal(a->copies, b->copies);
    assert_true(a->min_us == b->min_us && a->max_us == b->max_us);
    if (!scenario_kills(a->kind) || !a->failpoint[0]) {
        assert_true(a->from_us == b->from_us);
        assert_true(a->to_us == b->to_us);
    }
    assert_int_equal(a->node, b->node);
    assert_true(a->at_us == b->at_us);
    assert_string_equal(a->failpoint, b->failpoint);
    assert_int_equal(a->keep, b->keep);
    assert_int_equal(a->hit, b->hit);
    assert_true(a->restart_after_us == b->restart_after_us);
    assert_true(a->by_us == b->by_us && a->per_us == b->per_us);
    assert_true(a->rate == b->rate);
    assert_string_equal(a->disk_err, b->disk_err);
    assert_string_equal(a->disk_op, b->disk_op);
    assert_string_equal(a->sql, b->sql);
    assert_string_equal(a->knob, b->knob);
}

/* 1 if the nemesis faults of sc (from index `from`) include every kind, and crashes both
** at a time and at a failpoint. */
/* Stands in for the simulator's ctl() hook where no run exists. */
static int operator_says_ok(void *ctx, int line, int argc, const char *const *argv, char *out,
                            size_t cap) {
    (void)ctx; (void)line; (void)argc; (void)argv;
    snprintf(out, cap, "ok");
    return 0;
}

/* Records what ctl() passed, for ctl_flags_output_and_checks. */
static char ctl_seen[256];
static int operator_echoes(void *ctx, int line, int argc, const char *const *argv, char *out,
                           size_t cap) {
    (void)ctx; (void)line;
    ctl_seen[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(ctl_seen);
        snprintf(ctl_seen + n, sizeof ctl_seen - n, "%s%s", i ? " " : "", argv[i]);
    }
    snprintf(out, cap, "id 1 DEAD\n");
    return 1;
}

/* ctl() takes outbox-ctl's own flags and returns its code and output; check() and
** fail_check() record a failed check (a run failure) instead of raising an error. */
static void ctl_flags_output_and_checks(void **state) {
    sim_scenario *sc = load_ok(state, "ctl.lua", HEAD
        "at(3, function()\n"
        "  local code, out = ctl(\"list\", \"--status\", \"DEAD\", \"--limit\", \"5\")\n"
        "  if out ~= \"id 1 DEAD\\n\" then error(\"output not returned: \" .. out) end\n"
        "  check(code == 0, \"list exited \" .. code)\n"
        "  check(true, \"never recorded\")\n"
        "end)\n"
        "at(4, function() fail_check(\"the operator saw trouble\") end)\n"
        "at(5, function() ctl(\"list\", \"--db\", \"/etc/passwd\") end)\n"
        "at(6, function() check(1, \"not a boolean\") end)\n", 1);
    char err[600], want[700];
    sc->ctl = operator_echoes;
    assert_int_equal(scenario_fire(sc, 0, 3 * SEC, err, sizeof err), 0);
    assert_string_equal(ctl_seen, "list --status DEAD --limit 5");
    assert_int_equal(sc->checks_failed, 1);
    assert_int_equal(sc->nchecks, 1);
    assert_string_equal(sc->checks[0].text, "list exited 1");
    assert_int_equal(sc->checks[0].line, 5);
    assert_int_equal(sc->checks[0].t_us, 3 * SEC);
    assert_int_equal(scenario_fire(sc, 1, 4 * SEC, err, sizeof err), 0);
    assert_int_equal(sc->checks_failed, 2);
    assert_string_equal(sc->checks[1].text, "the operator saw trouble");
    assert_int_equal(scenario_fire(sc, 2, 5 * SEC, err, sizeof err), -1);
    snprintf(want, sizeof want,
             "%s:9: ctl: argument 2 ('--db'): the simulator names the database itself", sc->path);
    assert_string_equal(err, want);
    assert_int_equal(scenario_fire(sc, 3, 6 * SEC, err, sizeof err), -1);
    assert_non_null(strstr(err, ":10: check: expects a boolean and a string"));
    scenario_free(sc);
    FAILS("checkload.lua", HEAD "check(false, \"x\")\n",
          ":2: check: only inside at() callbacks (at load time, use expect{})");
}

static int draws_every_kind(const sim_scenario *sc, int from) {
    int kinds[FK_KIND_COUNT] = { 0 }, at_fp = 0;
    for (int i = from; i < sc->nfaults; i++) {
        kinds[sc->faults[i].kind]++;
        at_fp += sc->faults[i].kind == FK_CRASH && sc->faults[i].failpoint[0];
    }
    for (int k = FK_DROP; k < FK_KIND_COUNT; k++)
        if (kinds[k] == 0 && k != FK_CORRUPT && k != FK_POWER_LOSS && k != FK_TAMPER &&
            k != FK_MISCONFIG)
            return 0;   /* the nemesis draws no corruption, power loss, tamper or misconfig */
    return at_fp > 0 && at_fp < kinds[FK_CRASH];
}

/* The Lua form of every fault (the "lua" field of its trace line) declares it again,
** exactly: a nemesis run read back from its trace is an explicit scenario. */
static void fault_lua_reads_back(void **state) {
    const char *orig = HEAD
        "drop { link = \"payment->broker\", queue = \"PAY_QUEUE\", label = \"PUBLISH\", pay = 9, p "
        "= 0.3, start = 1.5 }\n"
        "duplicate { link = \"*->accounting\", nth = 4, copies = 3, stop = 20 }\n"
        "delay { min = 0.05, max = 0.123456789 }\n"
        "crash { node = \"broker\", at = 12.5, restart = false }\n"
        "crash { at_failpoint = \"accounting.after_apply\", hit = 3, restart_after = 0 }\n"
        "partition { between = {\"broker\", \"accounting\"}, oneway = true, start = 3, stop = 4 }\n"
        "broker_loss { p = 1 / 3 }\n"
        "clock { node = \"accounting\", skew = 0.1 }\n"
        "clock_jump { node = \"payment\", at = 7, by = -12.5 }\n"
        "slow { node = \"broker\", per_message = 0.001, start = 2 }\n"
        "power_loss { node = \"payment\", at = 4.25, keep = \"torn\", restart_after = 0.5 }\n"
        "power_loss { at_failpoint = \"broker.after_accept\", hit = 2, keep = \"random\", "
        "restart = false }\n"
        "rollback { node = \"accounting\", p = 0.25, start = 1, stop = 9 }\n"
        "disk { node = \"payment\", fault = \"eio\", on = \"read\", nth = 2, start = 1 }\n"
        "pause { node = \"accounting\", at = 2.5, duration = 0.125 }\n"
        "clock { node = \"broker\", skew = -1, rate = 1.25 }\n" NEMESIS_ALL
        "nemesis { disk = 0.3, pause_every = 5, pause_max = 2, clock_rate = 0.2, swarm = false }\n";
    /* the first seed whose swarm switched every kind on (each is on with chance 3/4) */
    sim_scenario *sc = NULL;
    for (uint64_t seed = 1; seed <= 200 && sc == NULL; seed++) {
        sc = load_ok(state, "orig.lua", orig, seed);
        if (!draws_every_kind(sc, 16)) { scenario_free(sc); sc = NULL; }
    }
    if (sc == NULL) fail_msg("no seed in 1..200 drew every kind of fault");
    char text[65536] = HEAD, lua[640];
    size_t len = strlen(text);
    for (int i = 0; i < sc->nfaults; i++) {
        size_t n = scenario_fault_lua(&sc->faults[i], lua, sizeof lua);
        assert_int_equal(n, strlen(lua));
        assert_null(strchr(lua, '\n'));
        len += (size_t)snprintf(text + len, sizeof text - len, "%s\n", lua);
        assert_true(len < sizeof text);
    }
    sim_scenario *back =
        load_ok(state, "back.lua", text, 99999); /* another seed: nothing is drawn */
    assert_int_equal(back->nfaults, sc->nfaults);
    for (int i = 0; i < sc->nfaults; i++) same_fault(&sc->faults[i], &back->faults[i]);
    scenario_fault_lua(&sc->faults[5], lua, sizeof lua);
    assert_string_equal(
        lua,
        "partition { between = {\"broker\", \"accounting\"}, oneway = true, start = 3, stop = 4 }");
    scenario_fault_lua(&sc->faults[10], lua, sizeof lua);
    assert_string_equal(
        lua, "power_loss { node = \"payment\", at = 4.25, keep = \"torn\", restart_after = 0.5 }");
    scenario_fault_lua(&sc->faults[11], lua, sizeof lua);
    assert_string_equal(lua, "power_loss { at_failpoint = \"broker.after_accept\", hit = 2, "
                             "keep = \"random\", restart = false }");
    scenario_fault_lua(&sc->faults[3], lua, sizeof lua);
    assert_string_equal(lua, "crash { node = \"broker\", at = 12.5, restart = false }");
    scenario_fault_lua(&sc->faults[13], lua, sizeof lua);
    assert_string_equal(lua, "disk { node = \"payment\", fault = \"eio\", on = \"read\", nth = 2, "
                             "start = 1 }");
    scenario_fault_lua(&sc->faults[14], lua, sizeof lua);
    assert_string_equal(lua, "pause { node = \"accounting\", at = 2.5, duration = 0.125 }");
    scenario_fault_lua(&sc->faults[15], lua, sizeof lua);
    assert_string_equal(lua, "clock { node = \"broker\", skew = -1, rate = 1.25 }");
    scenario_fault_lua(&sc->faults[0], lua, sizeof lua);
    assert_string_equal(
        lua,
        "drop { link = \"payment->broker\", queue = \"PAY_QUEUE\", label = \"PUBLISH\", pay = 9, "
        "p = 0.3, start = 1.5 }");
    scenario_free(sc);
    scenario_free(back);
}

/* tamper{} and disk{ fault = "nomem" } (on = "alloc" by default) in their Lua form, which
** declares them again exactly. */
static void fault_lua_tamper_nomem(void **state) {
    const char *orig = HEAD
        "tamper { node = \"broker\", at = 3.5, sql = \"UPDATE meta SET value = 'x'\" }\n"
        "disk { node = \"payment\", fault = \"nomem\", nth = 7, start = 2, at_start = true }\n";
    static const char *const want[2] = {
        "tamper { node = \"broker\", at = 3.5, sql = \"UPDATE meta SET value = 'x'\", "
        "restart_after = 1 }",
        "disk { node = \"payment\", fault = \"nomem\", on = \"alloc\", nth = 7, start = 2, "
        "at_start = true, restart_after = 1 }" };
    sim_scenario *sc = load_ok(state, "tn.lua", orig, 1);
    assert_int_equal(sc->nfaults, 2);
    assert_int_equal(sc->faults[0].kind, FK_TAMPER);
    char text[2048] = HEAD, lua[640];
    for (int i = 0; i < 2; i++) {
        scenario_fault_lua(&sc->faults[i], lua, sizeof lua);
        assert_string_equal(lua, want[i]);
        strcat(text, lua);
        strcat(text, "\n");
    }
    sim_scenario *back = load_ok(state, "tn2.lua", text, 2);
    for (int i = 0; i < 2; i++) same_fault(&sc->faults[i], &back->faults[i]);
    scenario_free(sc);
    scenario_free(back);
}

/* misconfig{} in its Lua form declares it again; a knob the configuration takes, or none,
** is a scenario error naming the line. */
static void misconfig_faults(void **state) {
    const char *orig = HEAD "misconfig { node = \"broker\", at = 2.5, knob = \"prefetch=0\" }\n";
    sim_scenario *sc = load_ok(state, "mc.lua", orig, 1);
    assert_int_equal(sc->faults[0].kind, FK_MISCONFIG);
    assert_string_equal(sc->faults[0].knob, "prefetch=0");
    char text[1024] = HEAD, lua[640];
    scenario_fault_lua(&sc->faults[0], lua, sizeof lua);
    assert_string_equal(lua, "misconfig { node = \"broker\", at = 2.5, knob = \"prefetch=0\", "
                        "restart_after = 1 }");
    strcat(text, lua);
    sim_scenario *back = load_ok(state, "mc2.lua", text, 1);
    same_fault(&sc->faults[0], &back->faults[0]);
    scenario_free(sc);
    scenario_free(back);
    FAILS("mc3.lua", HEAD "misconfig { node = \"broker\", at = 2, knob = \"prefetch=5\" }\n",
          ":2: misconfig: knob 'prefetch=5' is one the configuration takes: a misconfig deploys "
          "a knob it must refuse (set a good one in knobs { })");
    FAILS("mc4.lua", HEAD "misconfig { node = \"broker\", at = 2 }\n",
          ":2: misconfig: needs 'knob', like misconfig { node = \"payment\", at = 3, knob = "
          "\"scan_batch=0\" }");
}

static void slow_nemesis_drop_errors(void **state);

/* A fault that could never act is an error (scenarios/README.md): one on refusal answers
** alone when nothing is refused; two slow windows of one node that overlap. */
static void faults_that_cannot_act_or_conflict(void **state) {
    FAILS("cf.lua",
          HEAD "drop { link = \"broker->payment\", label = \"DELIVER CONSUME_FAILED\" }\n",
          ":2: drop: only CONSUME_FAILED answers match, and this workload refuses no payment: the "
          "fault could never act (refuse some with workload.refuse or workload.refuse_rate)");
    FAILS_PREFIX("cf2.lua", HEAD "duplicate { label = \"PUBLISH CONSUME_\" }\n",
          ":2: duplicate: only CONSUME_FAILED answers match");
    sim_scenario *sc = load_ok(state, "cf3.lua",
        "scenario { name = \"t\", run = 30, workload = { payments = 10, refuse = {3} } }\n"
        "drop { link = \"broker->payment\", label = \"DELIVER CONSUME_FAILED\" }\n", 1);
    assert_int_equal(sc->nfaults, 1);
    scenario_free(sc);
    sc = load_ok(state, "cf4.lua", HEAD "drop { label = \"DELIVER CONSUME\" }\n", 1);
    assert_int_equal(sc->nfaults, 1);   /* CONSUMED answers match too: it can act */
    scenario_free(sc);
    FAILS("sl.lua", HEAD "slow { node = \"accounting\", per_message = 0.1, start = 0, stop = 10 }\n"
          "slow { node = \"accounting\", per_message = 0.3, start = 5, stop = 15 }\n",
          ":3: slow: accounting is already slow in [0, 10) (declared at line 2): two slow "
          "windows of one node may not overlap; end one where the other starts");
    sc = load_ok(state, "sl2.lua", HEAD "slow { node = \"broker\", per_message = 0.1 }\n"
                 "at(5, function() slow { node = \"broker\", per_message = 0.3 } end)\n", 1);
    char err[600];
    assert_int_equal(scenario_fire(sc, 0, 5 * SEC, err, sizeof err), -1);
    assert_non_null(strstr(err, ":3: slow: broker is already slow in [0, healing) (declared at "
                                "line 2)"));
    scenario_free(sc);
    sc = load_ok(state, "sl3.lua", HEAD
        "slow { node = \"accounting\", per_message = 0.1, start = 0, stop = 10 }\n"
        "slow { node = \"accounting\", per_message = 0.3, start = 10, stop = 15 }\n"
        "slow { node = \"payment\", per_message = 0.3, start = 5, stop = 15 }\n", 1);
    assert_int_equal(sc->nfaults, 3);   /* back to back, and another node: fine */
    scenario_free(sc);
}

/* rollback { } and expect { reached = ... }: each mistake one line, at its line. */
static void rollback_and_reached_errors(void **state) {
    FAILS("r1.lua", HEAD "rollback { node = \"broker\", p = 0.2 }\n",
          ":2: rollback: the broker has no transaction to roll back (node = \"payment\" or "
          "\"accounting\")");
    FAILS("r2.lua", HEAD "rollback { p = 0.2 }\n",
          ":2: rollback: needs 'node', like rollback { node = \"payment\", p = 0.2 }");
    FAILS("r3.lua", HEAD "rollback { node = \"payment\", p = 2 }\n",
          ":2: rollback: 'p' must be a probability >= 0 and <= 1, got 2");
    FAILS("x1.lua", HEAD "expect { reached = { \"row_ded\" } }\n",
          ":2: expect: unknown reached state 'row_ded' (did you mean 'row_dead'? states: "
          "client_retry, payment_resubmitted, answer_unknown, payment_rolled_back, republished, "
          "row_dead, dead_letter_rolled_back, late_answer_to_dead, refund, answer_duplicate, "
          "restart_finds_sending, rows_cleaned, duplicate_absorbed, refused, apply_rolled_back, "
          "redelivered, stale_ack, "
          "broker_lost_inside, broker_restored, frame_rejected, frame_dropped, partition_cut, "
          "frame_duplicated, crash_in_tx, operator_requeue, power_cut_lost, disk_error, paused, "
          "inbox_purged, row_completed)");
    FAILS("x2.lua", HEAD "expect { reached = \"row_dead\" }\n",
          ":2: expect: 'reached' must be a table like { \"row_dead\", duplicate_absorbed = 3 }, "
          "got 'row_dead'");
    FAILS("x3.lua", HEAD "expect { reached = { \"row_dead\", row_dead = 2 } }\n",
          ":2: expect: 'reached' names 'row_dead' twice");
    FAILS("x4.lua", HEAD "expect { reached = { refund = 0 } }\n",
          ":2: expect: 'reached.refund' must be an integer from 1 to 4294967295, got 0");
    FAILS("x5.lua", HEAD "expect { reached = { zzz = 1, aaa = 1 } }\n",
          ":2: expect: unknown reached state 'aaa' (states: client_retry, payment_resubmitted, "
          "answer_unknown, payment_rolled_back, republished, row_dead, dead_letter_rolled_back, "
          "late_answer_to_dead, refund, answer_duplicate, restart_finds_sending, rows_cleaned, "
          "duplicate_absorbed, "
          "refused, apply_rolled_back, redelivered, stale_ack, broker_lost_inside, "
          "broker_restored, frame_rejected, frame_dropped, partition_cut, frame_duplicated, "
          "crash_in_tx, operator_requeue, power_cut_lost, disk_error, paused, inbox_purged, "
          "row_completed)");
    sim_scenario *sc = load_ok(state, "x6.lua",
                               HEAD "rollback { node = \"accounting\", p = 0.5, start = 2 }\n"
                               "expect { reached = { \"refund\", row_dead = 3 } }\n", 1);
    assert_int_equal(sc->expect.nreached, 2);
    assert_int_equal(sc->expect.reached[reached_index("refund")], 1);
    assert_int_equal(sc->expect.reached[reached_index("row_dead")], 3);
    assert_int_equal(sc->expect.reached[reached_index("redelivered")], 0);
    assert_int_equal(sc->nfaults, 1);
    assert_int_equal(sc->faults[0].kind, FK_ROLLBACK);
    assert_int_equal(sc->faults[0].node, 2);
    assert_int_equal(sc->faults[0].from_us, 2000000);
    scenario_free(sc);
}

static void new_fault_errors(void **state) {
    FAILS("p1.lua", HEAD "partition { between = {\"payment\", \"accounting\"} }\n",
          ":2: partition: no frame travels payment->accounting: payment and accounting talk only "
          "through the broker "
          "(cut payment<->broker or broker<->accounting)");
    FAILS("p2.lua", HEAD "partition { between = {\"payment\"} }\n",
          ":2: partition: 'between' must name exactly two nodes, like {\"payment\", \"broker\"}");
    FAILS("p3.lua", HEAD "partition { between = {\"payment\", \"payment\"} }\n",
          ":2: partition: 'between' names payment twice");
    FAILS("p4.lua", HEAD "partition { between = {\"payment\", \"brokr\"} }\n",
          ":2: partition: unknown node 'brokr' in 'between[2]' (did you mean 'broker'? nodes: "
          "payment, broker, accounting)");
    FAILS("p5.lua", HEAD "partition { start = 3 }\n",
          ":2: partition: needs 'between', the two nodes to cut apart, like between = "
          "{\"payment\", \"broker\"}");
    FAILS("p6.lua", HEAD "partition { between = {\"payment\", \"broker\"}, oneway = 1 }\n",
          ":2: partition: 'oneway' must be true or false, got 1");
    FAILS("b1.lua", HEAD "broker_loss { queue = \"PAY_QUEU\", p = 0.1 }\n",
          ":2: broker_loss: unknown queue 'PAY_QUEU' (did you mean 'PAY_QUEUE'? queues: PAY_QUEUE, "
          "ACC_QUEUE)");
    FAILS("b2.lua", HEAD "broker_loss { p = 0.1, nth = 2 }\n",
          ":2: broker_loss: give either 'p' or 'nth', not both");
    FAILS("c1.lua", HEAD "clock { node = \"payment\" }\n",
          ":2: clock: needs 'skew', like clock { node = \"payment\", skew = -3.5 }");
    FAILS("c2.lua", HEAD "clock { node = \"*\", skew = 3 }\n",
          ":2: clock: 'node' must name one node, not \"*\"");
    FAILS("c3.lua", HEAD "clock { node = \"payment\", skew = 100000 }\n",
          ":2: clock: 'skew' must be a time in seconds >= -86400 and <= 86400, got 100000");
    FAILS("c4.lua",
          HEAD "between(1, 2, function()\n  clock { node = \"payment\", skew = 1 }\nend)\n",
          ":3: clock: a skew holds from the start of the run, so not inside between() (use "
          "clock_jump for a change "
          "during the run)");
    FAILS("j1.lua", HEAD "clock_jump { node = \"payment\", by = 5 }\n",
          ":2: clock_jump: needs 'at', like clock_jump { node = \"payment\", at = 10, by = -30 }");
    FAILS("j2.lua", HEAD "clock_jump { node = \"payment\", at = 3, by = 0 }\n",
          ":2: clock_jump: 'by' must not be 0 (seconds forward, or negative: backward)");
    FAILS("j3.lua",
          HEAD "between(5, 10, function() clock_jump { node = \"broker\", at = 12, by = 1 } end)\n",
          ":2: clock_jump: 'at' = 12 s lies outside between(5, 10)");
    slow_nemesis_drop_errors(state);
}

/* The rest of new_fault_errors: slow, nemesis and drop, and the load-time-only rule. */
static void slow_nemesis_drop_errors(void **state) {
    FAILS("s1.lua", HEAD "slow { node = \"accounting\" }\n",
          ":2: slow: needs 'per_message', like slow { node = \"accounting\", per_message = 0.2 }");
    FAILS("s2.lua", HEAD "slow { node = \"accounting\", per_message = 0 }\n",
          ":2: slow: 'per_message' must be a time in seconds > 0 and <= 60, got 0");
    FAILS("s3.lua", HEAD "slow { per_message = 1 }\n",
          ":2: slow: needs 'node', like slow { node = \"accounting\", per_message = 0.2 }");
    FAILS("n1.lua", HEAD "nemesis { }\n",
          ":2: nemesis: nothing to inject: give at least one of drop, duplicate, delay, "
          "broker_loss, slow, clock_skew, "
          "crash_every, partition_every, clock_jumps, rollback, disk, pause_every, clock_rate");
    FAILS("n6.lua", HEAD "nemesis { drop = 0.1, power_loss = 0.5 }\n",
          ":2: nemesis: 'power_loss' goes with 'crash_every'");
    FAILS("n2.lua", HEAD "nemesis { delay_max = 2 }\n",
          ":2: nemesis: 'delay_max' goes with 'delay'");
    FAILS("n3.lua", HEAD "nemesis { drop = 0.1, clock_every = 2 }\n",
          ":2: nemesis: 'clock_every' goes with 'clock_jumps = true'");
    FAILS("n4.lua", HEAD "nemesis { crash_every = 0.1 }\n",
          ":2: nemesis: 'crash_every' must be a time in seconds >= 0.5 and <= 86400, got 0.1");
    FAILS_PREFIX("n5.lua", HEAD "nemesis { drp = 0.1 }\n",
                 ":2: nemesis: unknown field 'drp' (did you mean 'drop'? fields: drop,");
    FAILS("n6.lua", HEAD "between(1, 2, function() nemesis { drop = 0.1 } end)\n",
          ":2: nemesis: not inside between() (give it 'start' and 'stop')");
    FAILS("d1.lua", "scenario { name = \"t\", workload = { payments = 10 } }\ndrop { pay = 11 }\n",
          ":2: drop: 'pay' must be an integer from 1 to 10, got 11");
    FAILS("d2.lua", HEAD "drop { label = \"DACK\", pay = 3 }\n",
          ":2: drop: 'pay' cannot match label 'DACK': a DACK is about a delivery, not a payment");
    /* load-time-only functions refuse to run inside an at() callback */
    sim_scenario *sc = load_ok(state, "cbs.lua", HEAD
        "at(1, function() clock { node = \"payment\", skew = 1 } end)\n"
        "at(2, function() nemesis { drop = 0.1 } end)\n", 1);
    char err[600], want[700];
    assert_int_equal(scenario_fire(sc, 0, 1 * SEC, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: clock: only at load time, not inside an at() callback",
             sc->path);
    assert_string_equal(err, want);
    assert_int_equal(scenario_fire(sc, 1, 2 * SEC, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:3: nemesis: only at load time, not inside an at() callback",
             sc->path);
    assert_string_equal(err, want);
    assert_int_equal(sc->nfaults, 0);
    scenario_free(sc);
}

/* ---- the shipped scenarios ------------------------------------------------------------ */

static void every_shipped_scenario_loads(void **state) {
    (void)state;
    glob_t g;
    assert_int_equal(glob("scenarios/*.lua", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 8);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            char err[600] = "";
            sim_scenario *sc = scenario_load(g.gl_pathv[i], seed, err, sizeof err);
            if (sc == NULL)
                fail_msg("%s (seed %llu): %s", g.gl_pathv[i], (unsigned long long)seed, err);
            assert_true(sc->name[0] != '\0');
            sc->ctl = operator_says_ok;   /* no simulator here to run outbox-ctl */
            for (int k = 0; k < sc->ncallbacks; k++)
                if (scenario_fire(sc, k, sc->callbacks[k].t_us, err, sizeof err) != 0)
                    fail_msg("%s: callback %d: %s", g.gl_pathv[i], k, err);
            scenario_free(sc);
        }
    }
    globfree(&g);
}

static void node_names(void **state) {
    (void)state;
    const char *names[] = { "payment", "broker", "accounting" };
    for (int i = 0; i < SIM_NODES; i++) {
        assert_string_equal(scenario_node_name(i), names[i]);
        assert_int_equal(scenario_node_parse(names[i]), i);
    }
    assert_int_equal(scenario_node_parse("bank"), -1);
    assert_int_equal(scenario_node_parse(""), -1);
    assert_string_equal(scenario_node_name(SIM_ANY), "*");
}

/* topology { relays = N }: relay-1..relay-N join the three nodes, each fault may name
** them, the nemesis draws among them all, and a shared database is never power-cut. */
static void topology_relays(void **state) {
    sim_scenario *sc = load_ok(state, "topo.lua", HEAD "topology { relays = 2 }\n"
                               "crash { node = \"relay-2\", at = 3 }\n"
                               "partition { between = {\"relay-1\", \"broker\"}, start = 1,"
                               " stop = 2 }\n"
                               "crash { node = \"relay-1\", at_failpoint = "
                               "\"payment.scan_after_publish\" }\n", 1);
    assert_int_equal(scenario_node_count(sc), 5);
    assert_int_equal(scenario_node_nth(sc, 4), 4);
    assert_true(scenario_node_active(sc, 4));
    assert_false(scenario_node_active(sc, 5));
    assert_int_equal(sc->faults[0].node, 4);
    assert_int_equal(sc->faults[1].src, 3);
    assert_int_equal(sc->faults[1].dst, 1);
    assert_int_equal(sc->faults[2].node, 3);
    assert_string_equal(scenario_knob(sc, "relays"), "2");
    assert_string_equal(scenario_node_name(3), "relay-1");
    assert_int_equal(scenario_node_role(3), OX_ROLE_RELAY);
    assert_string_equal(scenario_node_db(3), "payment");
    scenario_free(sc);
    /* a nemesis over five nodes crashes a relay too (seed-drawn, but over 40 crashes) */
    sc = load_ok(state, "topo-nem.lua", HEAD "topology { relays = 2 }\n"
                 "nemesis { crash_every = 0.5, swarm = false }\n", 1);
    int relays = 0;
    for (int i = 0; i < sc->nfaults; i++) relays += sc->faults[i].node >= 3;
    assert_true(relays > 0);
    scenario_free(sc);
    /* without topology the same nemesis draws exactly as before: none beyond node 2 */
    sc = load_ok(state, "topo-none.lua", HEAD "nemesis { crash_every = 0.5, swarm = false }\n", 1);
    for (int i = 0; i < sc->nfaults; i++) assert_true(sc->faults[i].node < 3);
    assert_int_equal(scenario_node_count(sc), 3);
    scenario_free(sc);
    FAILS("topo-inactive.lua",
          HEAD "topology { relays = 2 }\ncrash { node = \"relay-3\", at = 3 }\n",
          ":3: crash: unknown node 'relay-3' in 'node' (did you mean 'relay-1'? nodes: payment, "
          "broker, accounting, relay-1, relay-2)");
    FAILS_PREFIX("topo-none.lua", HEAD "crash { node = \"relay-1\", at = 3 }\n",
                 ":2: crash: unknown node 'relay-1' in 'node' (");
    FAILS("topo-late.lua",
          HEAD "crash { node = \"payment\", at = 3 }\ntopology { relays = 1 }\n",
          ":3: topology: declare it before any fault or nemesis { }: they name its nodes");
    FAILS("topo-twice.lua", HEAD "topology { relays = 1 }\ntopology { relays = 2 }\n",
          ":3: topology: declared twice (first at line 2)");
    FAILS("topo-range.lua", HEAD "topology { relays = 9 }\n",
          ":2: topology: 'relays' must be an integer from 0 to 8, got 9");
    FAILS_PREFIX("topo-knob.lua", "scenario { name = \"t\", knobs = { relays = 2 } }\n",
                 ":1: scenario: knobs: 'relays' is set by the simulator");
    FAILS("topo-power.lua",
          HEAD "topology { relays = 1 }\npower_loss { node = \"payment\", at = 3 }\n",
          ":3: power_loss: payment shares the payment database with other processes (topology "
          "{ relays = 1 }), and a power cut of a shared file cannot be exact: each process "
          "journals only its own writes");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(topology_relays, setup, teardown),
        cmocka_unit_test_setup_teardown(scenario_fields_and_sorted_knobs, setup, teardown),
        cmocka_unit_test_setup_teardown(defaults_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(frame_faults_match_and_window, setup, teardown),
        cmocka_unit_test_setup_teardown(between_sets_and_nests_windows, setup, teardown),
        cmocka_unit_test_setup_teardown(crashes, setup, teardown),
        cmocka_unit_test_setup_teardown(at_callbacks_sorted_and_fired, setup, teardown),
        cmocka_unit_test_setup_teardown(expectations, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_drawn_from_the_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(random_is_the_runs_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(pairs_and_tostring_are_reproducible, setup, teardown),
        cmocka_unit_test_setup_teardown(syntax_and_runtime_errors_name_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(callback_errors_name_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_names, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(absurd_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(scenario_once_and_first, setup, teardown),
        cmocka_unit_test_setup_teardown(sandbox_has_no_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_file_and_long_path, setup, teardown),
        cmocka_unit_test_setup_teardown(new_fault_kinds_load, setup, teardown),
        cmocka_unit_test_setup_teardown(nemesis_draws_from_the_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(nemesis_fixed_rates, setup, teardown),
        cmocka_unit_test_setup_teardown(nemesis_power_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(fault_lua_reads_back, setup, teardown),
        cmocka_unit_test_setup_teardown(fault_lua_tamper_nomem, setup, teardown),
        cmocka_unit_test_setup_teardown(misconfig_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(rollback_and_reached_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(new_fault_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(faults_that_cannot_act_or_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(ctl_flags_output_and_checks, setup, teardown),
        cmocka_unit_test(every_shipped_scenario_loads),
        cmocka_unit_test(node_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
