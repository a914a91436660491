/*
** cmd_matrix.c: `outbox-sim matrix [SCENARIO...] [--seeds A..B] [-j N] [--out DIR]
** [--expect FILE] [--keep]`: every design against every scenario, as a table.
**
** Each (design, scenario, seed) is an isolated child run (runner.h) into
** DIR/<design>/<scenario>/<seed>/; a design other than the scenario's own is passed
** with --design.  A cell is "pass" when every seed met the scenario's expectations,
** else the result of the lowest seed that did not: the first invariant it broke
** ("exactly_once@1"), "held:X" when a break the scenario expects did not happen,
** "dead_letters" when the number of DEAD rows was wrong, "error" for a harness or
** scenario error.  One run directory is kept per cell (the one the cell cites).
**
** Outputs: the table on stdout; DIR/matrix.json (cells with their reproduction
** commands and run directories, for renderers); DIR/matrix.html (the table as a page,
** each cell linked to its run: inside DIR with everything else the matrix wrote, so
** `--out X` writes nothing beside X); DIR/matrix.expected (the cells in the
** format of --expect, to review and copy over the kept table).  --expect compares the
** cells run with the kept table's lines for the same scenarios and lists every
** difference.
**
** Exit code: 3 a cell is "error" or a signal stopped the matrix; else 1 --expect found
** a difference; else 0.  A weak design failing a scenario is the point of the table,
** not an error.
*/
#include <assert.h>
#include <errno.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "cmd.h"
#include "../report/html.h"
#include "library.h"
#include "runner.h"
#include "../util/files.h"
#include "../util/json.h"
#include "../scenario/scenario.h"

#define MATRIX_MAX_SCENARIOS 256
#define MATRIX_MAX_SEEDS 1000
#define MATRIX_MAX_EXPECT 65536       /* lines of an --expect file */
#define MATRIX_TICK_MS 250

typedef struct {
    const char *path;
    char slug[128];
    char design[32];                  /* the scenario's own */
} matrix_scenario;

typedef struct {
    int bad;                          /* some seed did not pass */
    uint64_t seed;                    /* the lowest such seed; else the first seed */
    char result[64];
    char why[512];
    int first_kept;                   /* the first seed passed and its dir is kept */
} matrix_cell;

typedef struct {
    char design[32], scenario[128], result[64];
    int line, used;
} expect_line;

typedef struct {
    matrix_scenario sc[MATRIX_MAX_SCENARIOS];
    int nsc;
    glob_t g;
    int have_glob;
    uint64_t a, b, nseeds;
    int jobs, keep;
    const char *out, *expect;
    matrix_cell *cells;               /* [OX_DESIGN_COUNT][nsc] */
    expect_line *ex;
    int nex;
    uint64_t total, next, done, errors;
    uint64_t design_done[OX_DESIGN_COUNT];    /* runs finished per design */
    uint32_t reached;                 /* bit i: some run reached state i (util/reached.h) */
    int tty;
    double t0, last_draw;
    pool pool;
} matrix;

/* ---- options and scenarios ---------------------------------------------------- */

static const char matrix_help[] =
    "usage: outbox-sim matrix [SCENARIO...] [--seeds A..B] [-j N] [--out DIR] [--expect FILE] "
    "[--keep]\n"
    "\n"
    "Runs every design against every scenario (default: scenarios/*.lua here, else those of\n"
    "the installed library) and every seed\n"
    "(default 1..2) and prints a table: rows designs, columns scenarios, each cell \"pass\"\n"
    "or the first invariant broken and the lowest seed that shows it (exactly_once@1).\n"
    "  -j N             at most N runs at once (default: online CPUs)\n"
    "  --out DIR        DIR/<design>/<scenario>/<seed>/, DIR/matrix.json, DIR/matrix.html,\n"
    "                   DIR/matrix.expected (default reports/matrix); one run directory is\n"
    "                   kept per cell\n"
    "  --expect FILE    compare with a kept table (lines \"design scenario result\", e.g.\n"
    "                   tests/matrix.expected) for the scenarios run; exit 1 on a difference\n"
    "  --keep           keep every run directory\n"
    "  --node ROLE=COMMAND run COMMAND as ROLE instead of bin/outbox-node (repeatable;\n"
    "                      docs/protocol.md)\n"
    "Exit: 0 done (and matching), 1 a difference from --expect, 2 bad usage or scenario,\n"
    "3 a run's harness error or a signal.\n";

static int parse_matrix(matrix *m, int argc, char **argv) {
    m->a = 1;
    m->b = 2;
    m->out = "reports/matrix";
    m->jobs = pool_cores();
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--keep")) { m->keep = 1; continue; }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            char dir[1100];
            fputs(matrix_help, stdout);
            if (library_dir(dir, sizeof dir) == 0) printf("Default scenarios: %s/*.lua\n", dir);
            return -1;
        }
        if (a[0] != '-' || !a[1]) {
            if (m->nsc >= MATRIX_MAX_SCENARIOS)
                return cmd_usage_error("matrix: at most 256 scenarios, got more at '%s'", a);
            m->sc[m->nsc++].path = a;
            continue;
        }
        if (strcmp(a, "--seeds") && strcmp(a, "-j") && strcmp(a, "--jobs") && strcmp(a, "--out") &&
            strcmp(a, "--expect"))
            return cmd_usage_error("matrix: unknown flag '%s'", a);
        if (!v) return cmd_usage_error("matrix: %s needs a value", a);
        i++;
        if (!strcmp(a, "--seeds")) {
            if (runner_parse_seeds(v, &m->a, &m->b) != 0 || m->b - m->a >= MATRIX_MAX_SEEDS)
                return cmd_usage_error(
                    "matrix: --seeds: expected A..B (A <= B, at most 1000 seeds) or N, got '%s'",
                    v);
        } else if (!strcmp(a, "--out")) {
            if (!*v) return cmd_usage_error("matrix: --out: expected a directory%s", "");
            m->out = v;
        } else if (!strcmp(a, "--expect")) {
            m->expect = v;
        } else if (runner_parse_jobs(v, &m->jobs) != 0) {
            return cmd_usage_error("matrix: -j: expected 1..256 parallel runs, got '%s'", v);
        }
    }
    m->nseeds = m->b - m->a + 1;
    return 0;
}

/* No scenario named: the library (scenarios/ here, else the installed one: library.h),
** every .lua file in it, in byte order (C locale). */
static int default_scenarios(matrix *m) {
    char dir[1100], pattern[1200];
    if (library_dir(dir, sizeof dir) != 0)
        return cmd_usage_error("matrix: no scenario given, and no scenarios/ here, nor "
                               LIBRARY_INSTALLED " nor " LIBRARY_CHECKOUT " beside outbox-sim%s",
                               "");
    snprintf(pattern, sizeof pattern, "%s/*.lua", dir);
    int rc = glob(pattern, 0, NULL, &m->g);
    if (rc == GLOB_NOMATCH || (rc == 0 && m->g.gl_pathc == 0)) {
        if (rc == 0) globfree(&m->g);
        return cmd_usage_error("matrix: no scenario given and no %s/*.lua", dir);
    }
    if (rc != 0) return cmd_usage_error("matrix: cannot list %s/*.lua", dir);
    m->have_glob = 1;
    if (m->g.gl_pathc > MATRIX_MAX_SCENARIOS)
        return cmd_usage_error("matrix: more than 256 scenarios in %s/", dir);
    for (size_t i = 0; i < m->g.gl_pathc; i++) m->sc[m->nsc++].path = m->g.gl_pathv[i];
    return 0;
}

static int load_scenarios(matrix *m) {
    for (int i = 0; i < m->nsc; i++) {
        char err[1024];
        sim_scenario *sc = scenario_load(m->sc[i].path, m->a, err, sizeof err);
        if (!sc) { fprintf(stderr, "outbox-sim: %s\n", err); return 2; }
        snprintf(m->sc[i].slug, sizeof m->sc[i].slug, "%s", sc->slug);
        snprintf(m->sc[i].design, sizeof m->sc[i].design, "%s", sc->design);
        scenario_free(sc);
        for (int k = 0; k < i; k++) {
            if (strcmp(m->sc[k].slug, m->sc[i].slug) != 0) continue;
            fprintf(stderr,
                    "outbox-sim: matrix: %s and %s have the same name '%s': give each scenario "
                    "once, with distinct file names\n",
                    m->sc[k].path, m->sc[i].path, m->sc[i].slug);
            return 2;
        }
    }
    return 0;
}

/* ---- the kept table ----------------------------------------------------------- */

static int read_expect(matrix *m) {
    FILE *f = fopen(m->expect, "re");
    if (!f) {
        fprintf(stderr, "outbox-sim: matrix: --expect %s: %s\n", m->expect, strerror(errno));
        return 2;
    }
    if (!(m->ex = calloc(MATRIX_MAX_EXPECT, sizeof *m->ex))) { fclose(f); return 3; }
    char line[512];
    int no = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        no++;
        char *p = line + strspn(line, " \t");
        if (*p == '#' || *p == '\n' || *p == '\0') continue;
        expect_line *e = &m->ex[m->nex];
        char extra[8];
        if (m->nex >= MATRIX_MAX_EXPECT) {
            fprintf(stderr, "outbox-sim: matrix: %s:%d: more than %d lines\n", m->expect, no,
                    MATRIX_MAX_EXPECT);
            rc = 2;
        } else if (sscanf(p, "%31s %127s %63s %7s", e->design, e->scenario, e->result, extra) !=
                   3) {
            fprintf(stderr,
                    "outbox-sim: matrix: %s:%d: expected \"design scenario result\", got: %s",
                    m->expect, no, p);
            rc = 2;
        } else {
            e->line = no;
            for (int k = 0; k < m->nex && !rc; k++) {
                if (strcmp(m->ex[k].design, e->design) || strcmp(m->ex[k].scenario, e->scenario))
                    continue;
                fprintf(stderr, "outbox-sim: matrix: %s:%d: %s %s is already on line %d\n",
                        m->expect, no, e->design, e->scenario, m->ex[k].line);
                rc = 2;
            }
            m->nex++;
        }
    }
    fclose(f);
    return rc;
}

/* ---- runs --------------------------------------------------------------------- */

static int idx_design(const matrix *m, uint64_t i) {
    return (int)(i / ((uint64_t)m->nsc * m->nseeds));
}
static int idx_scen(const matrix *m, uint64_t i) { return (int)(i / m->nseeds % (uint64_t)m->nsc); }
static uint64_t idx_seed(const matrix *m, uint64_t i) { return m->a + i % m->nseeds; }

static void job_for(const matrix *m, int d, int s, uint64_t seed, pool_job *j) {
    memset(j, 0, sizeof *j);
    const char *design = ox_design_name((ox_design)d);
    snprintf(j->scenario, sizeof j->scenario, "%s", m->sc[s].path);
    j->seed = seed;
    if (strcmp(design, m->sc[s].design) != 0) snprintf(j->design, sizeof j->design, "%s", design);
    snprintf(j->out, sizeof j->out, "%s/%s", m->out, design);
    snprintf(j->run_dir, sizeof j->run_dir, "%s/%s/%" PRIu64, j->out, m->sc[s].slug, seed);
}

static matrix_cell *cell_at(matrix *m, int d, int s) {
    assert(d >= 0);
    assert(d < OX_DESIGN_COUNT);
    assert(s >= 0);
    assert(s < m->nsc);
    return &m->cells[d * m->nsc + s];
}

static void draw_progress(matrix *m, int force) {
    double now = pool_now();
    if (!m->tty || (!force && now - m->last_draw < MATRIX_TICK_MS / 1000.0)) return;
    m->last_draw = now;
    printf("\r\033[Kmatrix: %" PRIu64 "/%" PRIu64 " runs, %.1f s", m->done, m->total, now - m->t0);
    fflush(stdout);
}

/* Keeps one directory per cell: the lowest failing seed's, else the first seed's. */
static void run_done(matrix *m, const pool_job *j, const runner_result *res) {
    uint64_t i = (uint64_t)j->tag;
    int d = idx_design(m, i), s = idx_scen(m, i);
    matrix_cell *c = cell_at(m, d, s);
    char token[64];
    runner_result_token(res, token, sizeof token);
    m->done++;
    if (res->have_summary) m->reached |= res->reached;
    /* Piped (CI logs): one line as each design's row is complete. */
    if (++m->design_done[d] == (uint64_t)m->nsc * m->nseeds && !m->tty) {
        printf("matrix: %s done (%" PRIu64 "/%" PRIu64 " runs, %.1f s)\n",
               ox_design_name((ox_design)d), m->done, m->total, pool_now() - m->t0);
        fflush(stdout);
    }
    if (res->exit_code >= 2) {
        m->errors++;
        if (m->tty) fputs("\r\033[K", stdout);
        fflush(stdout);
        fprintf(stderr, "outbox-sim: matrix: %s %s seed %" PRIu64 ": %s (%s/)\n",
                ox_design_name((ox_design)d), m->sc[s].slug, j->seed, res->why, j->run_dir);
    }
    if (!strcmp(token, "pass")) {
        if (j->seed == m->a) c->first_kept = 1;
        else if (!m->keep) runner_remove_run_dir(j->run_dir);
        return;
    }
    if (c->bad && c->seed < j->seed) {
        if (!m->keep) runner_remove_run_dir(j->run_dir);
        return;
    }
    if (c->bad && !m->keep) {
        pool_job old;
        job_for(m, d, s, c->seed, &old);
        runner_remove_run_dir(old.run_dir);
    }
    c->bad = 1;
    c->seed = j->seed;
    snprintf(c->result, sizeof c->result, "%s", token);
    snprintf(c->why, sizeof c->why, "%s", res->why);
}

static void loop(matrix *m) {
    for (;;) {
        while (!m->pool.stop_sig && m->pool.nrunning < m->pool.max && m->next < m->total) {
            pool_job j;
            uint64_t i = m->next++;
            job_for(m, idx_design(m, i), idx_scen(m, i), idx_seed(m, i), &j);
            j.tag = (long)i;
            char err[1400];
            if (runner_start(&m->pool, &j, err, sizeof err) != 0) {
                fprintf(stderr, "outbox-sim: matrix: %s\n", err);
                m->errors++;
                m->next = m->total;
            }
        }
        if (m->pool.stop_sig) return;
        pool_job j;
        runner_result res;
        int rc = runner_wait(&m->pool, MATRIX_TICK_MS, &j, &res);
        if (rc < 0) return;
        if (rc == 1) run_done(m, &j, &res);
        draw_progress(m, rc == 1);
    }
}

/* ---- outputs ------------------------------------------------------------------ */

static void cell_text(const matrix_cell *c, char *out, size_t cap) {
    if (!c->bad) snprintf(out, cap, "pass");
    else if (!strcmp(c->result, "error")) snprintf(out, cap, "error@%" PRIu64, c->seed);
    else snprintf(out, cap, "%s@%" PRIu64, c->result, c->seed);
}

/* Columns that fit: the terminal's width on a terminal, else 160. */
static int table_width(const matrix *m) {
    struct winsize ws;
    if (m->tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) return ws.ws_col;
    return 160;
}

/* Scenarios [from, to) as one block of the table, the design column first. */
static void print_block(matrix *m, const int *w, int dw, int from, int to) {
    char text[80];
    /* No padding after the last column: no trailing blanks. */
    printf("%-*s", dw, "design");
    for (int s = from; s < to; s++) printf("  %-*s", s + 1 < to ? w[s] : 0, m->sc[s].slug);
    printf("\n");
    for (int d = 0; d < OX_DESIGN_COUNT; d++) {
        printf("%-*s", dw, ox_design_name((ox_design)d));
        for (int s = from; s < to; s++) {
            cell_text(cell_at(m, d, s), text, sizeof text);
            printf("  %-*s", s + 1 < to ? w[s] : 0, text);
        }
        printf("\n");
    }
}

/* Rows are designs, columns scenarios; a table wider than the screen is cut into
** blocks of columns, each repeating the design column. */
static void print_table(matrix *m) {
    int dw = 6;
    for (int d = 0; d < OX_DESIGN_COUNT; d++) {
        int n = (int)strlen(ox_design_name((ox_design)d));
        if (n > dw) dw = n;
    }
    int w[MATRIX_MAX_SCENARIOS];
    char text[80];
    for (int s = 0; s < m->nsc; s++) {
        w[s] = (int)strlen(m->sc[s].slug);
        for (int d = 0; d < OX_DESIGN_COUNT; d++) {
            cell_text(cell_at(m, d, s), text, sizeof text);
            if ((int)strlen(text) > w[s]) w[s] = (int)strlen(text);
        }
    }
    int limit = table_width(m);
    for (int from = 0; from < m->nsc;) {
        int to = from + 1, width = dw + 2 + w[from];
        while (to < m->nsc && width + 2 + w[to] <= limit) width += 2 + w[to++];
        if (from) printf("\n");
        print_block(m, w, dw, from, to);
        from = to;
    }
    printf("(a cell: pass, or the first invariant broken @ the lowest seed that shows it; held:X = "
           "an\n"
           " expected break did not happen; dead_letters = wrong number of DEAD rows; "
           "unreached:X = a\n state the scenario must reach was not; error = harness)\n");
    char never[1024];
    if (runner_unreached(m->reached, never, sizeof never))
        printf("matrix: reached states no run reached: %s\n", never);
    else
        printf("matrix: reached states: every one reached by some run\n");
}

/* The run a cell cites: the failing seed's, or the first seed's. */
static void cell_job(const matrix *m, int d, int s, pool_job *j) {
    const matrix_cell *c = &m->cells[d * m->nsc + s];
    job_for(m, d, s, c->bad ? c->seed : m->a, j);
}

/* One cell of matrix.json: the run it cites and how to run it again. */
static void write_cell(matrix *m, json_w *w, int d, int s) {
    const matrix_cell *c = cell_at(m, d, s);
    pool_job j;
    cell_job(m, d, s, &j);
    char cmd[1200];
    runner_command(&m->pool, &j, cmd, sizeof cmd);
    json_w_break(w, 4);
    json_w_obj(w);
    json_w_kstr(w, "design", ox_design_name((ox_design)d));
    json_w_kstr(w, "scenario", m->sc[s].slug);
    json_w_kstr(w, "file", m->sc[s].path);
    json_w_kstr(w, "result", c->bad ? c->result : "pass");
    json_w_kuint(w, "seed", j.seed);
    json_w_kstr(w, "why", c->bad ? c->why : "expectations met");
    json_w_kstr(w, "command", cmd);
    json_w_kstr(w, "run_dir", j.run_dir);
    json_w_obj_end(w);
}

static void write_json(FILE *f, void *ctx) {
    matrix *m = ctx;
    json_w w;
    json_w_init_file(&w, f, JSON_SPACED);
    json_w_obj(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "designs");
    json_w_arr(&w);
    for (int d = 0; d < OX_DESIGN_COUNT; d++) json_w_str(&w, ox_design_name((ox_design)d));
    json_w_arr_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "scenarios");
    json_w_arr(&w);
    for (int s = 0; s < m->nsc; s++) json_w_str(&w, m->sc[s].slug);
    json_w_arr_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "seeds");
    json_w_obj(&w);
    json_w_kuint(&w, "from", m->a);
    json_w_kuint(&w, "to", m->b);
    json_w_obj_end(&w);
    json_w_break(&w, 2);
    json_w_key(&w, "cells");
    json_w_arr(&w);
    for (int d = 0; d < OX_DESIGN_COUNT; d++)
        for (int s = 0; s < m->nsc; s++) write_cell(m, &w, d, s);
    json_w_break(&w, 2);
    json_w_arr_end(&w);
    json_w_break(&w, 0);
    json_w_obj_end(&w);
    json_w_put(&w, "\n", 1);
    json_w_flush(&w);
}

static void write_expected(FILE *f, void *ctx) {
    matrix *m = ctx;
    fprintf(
        f,
        "# The design matrix, one line per cell: design scenario result.\n"
        "# result: pass; or the first invariant the design breaks in that scenario (at any seed\n"
        "# of the matrix); held:X = a break the scenario expects did not happen; dead_letters =\n"
        "# the number of DEAD rows was not the expected one; error = a harness or scenario error.\n"
        "# Written by `outbox-sim matrix` (seeds %" PRIu64 "..%" PRIu64
        "); checked by `make matrix`;\n"
        "# regenerate with `make matrix-update` and review the diff.\n",
        m->a, m->b);
    for (int d = 0; d < OX_DESIGN_COUNT; d++)
        for (int s = 0; s < m->nsc; s++) {
            const matrix_cell *c = cell_at(m, d, s);
            fprintf(f, "%s %s %s\n", ox_design_name((ox_design)d), m->sc[s].slug,
                    c->bad ? c->result : "pass");
        }
}

static int scenario_run(const matrix *m, const char *slug) {
    for (int s = 0; s < m->nsc; s++)
        if (!strcmp(m->sc[s].slug, slug)) return 1;
    return 0;
}

/* Lists every difference from the kept table, for the scenarios that ran. */
static int compare(matrix *m) {
    int diffs = 0, cells = 0;
    for (int d = 0; d < OX_DESIGN_COUNT; d++) {
        for (int s = 0; s < m->nsc; s++) {
            const matrix_cell *c = cell_at(m, d, s);
            const char *got = c->bad ? c->result : "pass";
            const char *design = ox_design_name((ox_design)d);
            expect_line *e = NULL;
            for (int k = 0; k < m->nex && !e; k++)
                if (!strcmp(m->ex[k].design, design) && !strcmp(m->ex[k].scenario, m->sc[s].slug))
                    e = &m->ex[k];
            cells++;
            if (e) e->used = 1;
            if (e && !strcmp(e->result, got)) continue;
            if (!diffs++) printf("matrix: differences from %s:\n", m->expect);
            pool_job j;
            cell_job(m, d, s, &j);
            char cmd[1200];
            runner_command(&m->pool, &j, cmd, sizeof cmd);
            if (e)
                printf("  %s:%d: %s %s: expected %s, got %s", m->expect, e->line, design,
                       m->sc[s].slug, e->result, got);
            else printf("  %s: %s %s: no line (got %s)", m->expect, design, m->sc[s].slug, got);
            if (c->bad)
                printf(" at seed %" PRIu64 ": %s\n      reproduce: %s\n", c->seed, c->why, cmd);
            else printf("\n      reproduce: %s\n", cmd);
        }
    }
    for (int k = 0; k < m->nex; k++) {
        if (m->ex[k].used || !scenario_run(m, m->ex[k].scenario)) continue;
        if (!diffs++) printf("matrix: differences from %s:\n", m->expect);
        printf("  %s:%d: unknown design '%s' (designs: %s)\n", m->expect, m->ex[k].line,
               m->ex[k].design, ox_design_names());
    }
    if (!diffs) printf("matrix: all %d cells match %s\n", cells, m->expect);
    else printf("matrix: %d difference%s from %s\n", diffs, diffs == 1 ? "" : "s", m->expect);
    return diffs;
}

/* Cells that passed at their first seed but failed at a later one keep the failing dir. */
static void prune_dirs(matrix *m) {
    for (int d = 0; d < OX_DESIGN_COUNT && !m->keep; d++)
        for (int s = 0; s < m->nsc; s++) {
            matrix_cell *c = cell_at(m, d, s);
            if (!c->bad || !c->first_kept || c->seed == m->a) continue;
            pool_job j;
            job_for(m, d, s, m->a, &j);
            runner_remove_run_dir(j.run_dir);
        }
}

static int finish(matrix *m) {
    double el = pool_now() - m->t0;
    if (m->tty) fputs("\r\033[K", stdout);
    if (m->pool.stop_sig) {
        printf("matrix: interrupted by signal %d after %" PRIu64 " of %" PRIu64
               " runs; the runs in progress were stopped\n",
               m->pool.stop_sig, m->done, m->total);
        return 3;
    }
    prune_dirs(m);
    printf("matrix: %d designs x %d scenarios x seeds %" PRIu64 "..%" PRIu64 ": %" PRIu64
           " runs in %.1f s (-j %d)\n\n",
           OX_DESIGN_COUNT, m->nsc, m->a, m->b, m->done, el, m->pool.max);
    print_table(m);
    char path[1100], err[1400];
    int rc = m->errors ? 3 : 0;
    snprintf(path, sizeof path, "%s/matrix.json", m->out);
    if (files_write(path, write_json, m, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: matrix: %s\n", err);
        rc = 3;
    } else {
        printf("matrix: cells, commands and run dirs in %s\n", path);
        char html[1200];
        snprintf(html, sizeof html, "%s/matrix.html", m->out);
        if (html_matrix(path, html, err, sizeof err) != 0) {
            fprintf(stderr, "outbox-sim: matrix: %s\n", err);
            rc = 3;
        } else printf("matrix: the table as a page, each cell linked to its run: %s\n", html);
    }
    snprintf(path, sizeof path, "%s/matrix.expected", m->out);
    if (files_write(path, write_expected, m, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: matrix: %s\n", err);
        rc = 3;
    }
    if (m->expect && compare(m) && !rc) rc = 1;
    if (m->errors)
        printf("matrix: %" PRIu64 " run%s ended in a harness or scenario error (see above)\n",
               m->errors, m->errors == 1 ? "" : "s");
    return rc;
}

int cmd_matrix(int argc, char **argv) {
    static matrix m;   /* large; one per process */
    memset(&m, 0, sizeof m);
    int rc = parse_matrix(&m, argc, argv);
    if (rc < 0) return 0;   /* --help */
    if (!rc && !m.nsc) rc = default_scenarios(&m);
    if (!rc) rc = load_scenarios(&m);
    if (!rc && m.expect) rc = read_expect(&m);
    if (!rc && files_mkdirs(m.out) != 0) {
        fprintf(stderr, "outbox-sim: matrix: --out %s: cannot create it: %s\n", m.out,
                strerror(errno));
        rc = 2;
    }
    if (!rc && !(m.cells = calloc((size_t)OX_DESIGN_COUNT * (size_t)m.nsc, sizeof *m.cells)))
        rc = 3;
    if (!rc) {
        m.total = (uint64_t)OX_DESIGN_COUNT * (uint64_t)m.nsc * m.nseeds;
        if ((uint64_t)m.jobs > m.total) m.jobs = (int)m.total;
        m.tty = isatty(STDOUT_FILENO);
        m.t0 = pool_now();
        pool_init(&m.pool, m.jobs, argv[0]);
        loop(&m);
        if (m.pool.stop_sig) runner_stop_all(&m.pool);
        pool_fini(&m.pool);
        rc = finish(&m);
    }
    free(m.cells);
    free(m.ex);
    if (m.have_glob) globfree(&m.g);
    return rc;
}
